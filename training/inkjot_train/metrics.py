"""Greedy CTC decoding, edit distance, CER/WER evaluation."""

from __future__ import annotations

import collections
from collections.abc import Sequence

import numpy as np
import torch

from .data import InkSet, kind_of


def edit_distance(a: Sequence, b: Sequence) -> int:
    """Levenshtein distance; rows vectorized with numpy (insertions via a cumulative min)."""
    if len(a) < len(b):
        a, b = b, a
    if len(b) == 0:
        return len(a)
    if isinstance(a, str) and isinstance(b, str):
        av = np.frombuffer(a.encode("utf-32-le"), dtype=np.uint32)
        bv = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    else:
        vocab: dict = {}
        av = np.array([vocab.setdefault(x, len(vocab)) for x in a], dtype=np.int64)
        bv = np.array([vocab.setdefault(x, len(vocab)) for x in b], dtype=np.int64)
    n = len(bv)
    ar = np.arange(n + 1)
    prev = ar.copy()
    for i in range(1, len(av) + 1):
        cost = (bv != av[i - 1]).astype(np.int64)
        tmp = np.empty(n + 1, dtype=np.int64)
        tmp[0] = i
        tmp[1:] = np.minimum(prev[1:] + 1, prev[:-1] + cost)
        prev = np.minimum.accumulate(tmp - ar) + ar
    return int(prev[-1])


def greedy_decode(logprobs: torch.Tensor, lengths: torch.Tensor, alphabet: Sequence[str]) -> list[str]:
    """logprobs [T, B, C] -> strings (collapse repeats, drop blank 0)."""
    best = logprobs.argmax(dim=-1).cpu().numpy()  # [T,B]
    out = []
    for b, L in enumerate(lengths.tolist()):
        seq = best[:L, b]
        if L == 0:
            out.append("")
            continue
        keep = np.ones(L, dtype=bool)
        keep[1:] = seq[1:] != seq[:-1]
        keep &= seq != 0
        out.append("".join(alphabet[i] for i in seq[keep]))
    return out


class ErrorCounter:
    def __init__(self):
        self.char_err = collections.Counter()
        self.char_ref = collections.Counter()
        self.word_err = collections.Counter()
        self.word_ref = collections.Counter()
        self.n = collections.Counter()
        self.exact = collections.Counter()

    def add(self, hyp: str, ref: str, kind: str):
        for k in (kind, "all"):
            self.char_err[k] += edit_distance(hyp, ref)
            self.char_ref[k] += len(ref)
            self.word_err[k] += edit_distance(hyp.split(), ref.split())
            self.word_ref[k] += len(ref.split())
            self.n[k] += 1
            self.exact[k] += int(hyp == ref)

    def cer(self, kind="all") -> float:
        return self.char_err[kind] / max(1, self.char_ref[kind])

    def wer(self, kind="all") -> float:
        return self.word_err[kind] / max(1, self.word_ref[kind])

    def summary(self) -> dict[str, float]:
        out = {}
        for k in ["all", "char", "word", "text", "other"]:
            if self.n[k]:
                out[f"cer_{k}"] = self.cer(k)
                out[f"wer_{k}"] = self.wer(k)
                out[f"acc_{k}"] = self.exact[k] / self.n[k]
                out[f"n_{k}"] = self.n[k]
        return out

    def line(self) -> str:
        parts = []
        for k in ["all", "char", "word", "text"]:
            if self.n[k]:
                parts.append(f"{k}: CER {self.cer(k):.2%} WER {self.wer(k):.2%} (n={self.n[k]})")
        return " | ".join(parts)


def pad_batch(inks: InkSet, idx: Sequence[int]):
    lens = np.array([inks.offsets[i + 1] - inks.offsets[i] for i in idx], dtype=np.int64)
    T = max(1, int(lens.max()))
    x = np.zeros((T, len(idx), inks.feature_dim), dtype=np.float32)
    for b, i in enumerate(idx):
        x[: lens[b], b] = inks.ink(i)
    return torch.from_numpy(x), torch.from_numpy(lens)


@torch.no_grad()
def evaluate(
    model,
    inks: InkSet,
    alphabet: Sequence[str],
    indices: Sequence[int] = None,
    max_tokens: int = 8192,
    max_batch: int = 256,
    examples: int = 0,
) -> tuple[ErrorCounter, list]:
    """Greedy CER/WER of `model` on inks[indices] (all inks with >= 1 curve by default)."""
    was_training = model.training
    model.eval()
    if indices is None:
        indices = range(len(inks))
    lens = inks.lengths
    idx = sorted((int(i) for i in indices if lens[i] > 0), key=lambda i: (lens[i], i))
    ec = ErrorCounter()
    samples = []
    s = 0
    while s < len(idx):
        e = s + 1
        while e < len(idx) and e - s < max_batch and (e - s + 1) * lens[idx[e]] <= max_tokens:
            e += 1
        batch = idx[s:e]
        x, bl = pad_batch(inks, batch)
        hyps = greedy_decode(model(x, bl), bl, alphabet)
        for i, h in zip(batch, hyps, strict=True):
            ec.add(h, inks.labels[i], kind_of(inks.ids[i]))
            samples.append((inks.ids[i], inks.labels[i], h))
        s = e
    model.train(was_training)
    if examples:
        rng = np.random.default_rng(0)
        pick = rng.choice(len(samples), size=min(examples, len(samples)), replace=False)
        samples = [samples[i] for i in sorted(pick)]
    return ec, samples
