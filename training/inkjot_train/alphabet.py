"""Widening a trained model to a larger alphabet (the multilingual one of `inkjot alphabet`).

The alphabet itself is defined once, in Rust (src/alphabet.rs); `inkjot alphabet` prints it as a
JSON list and `inkjot alphabet --bases` maps each symbol beyond ASCII to the ASCII character it is
drawn from (é -> e, æ -> a, € -> C). Widening keeps every old class (same index, same weights) and
appends the missing ones; a new class starts as a copy of its base's output row with the bias
lowered by `margin`, so the widened model reads what the old one read until training separates
é from e.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping, Sequence

import torch

from .model import BiQRNN


def load_alphabet(path: str) -> list[str]:
    """A model alphabet from a JSON list: "" (the CTC blank) first, then unique NFC symbols."""
    with open(path, encoding="utf-8") as f:
        alphabet = json.load(f)
    check_alphabet(alphabet, path)
    return alphabet


def check_alphabet(alphabet: Sequence[str], source: str = "alphabet") -> None:
    if not alphabet or alphabet[0] != "":
        raise ValueError(f'{source}: entry 0 must be the blank ""')
    rest = list(alphabet[1:])
    if any(not s for s in rest):
        raise ValueError(f"{source}: empty symbol after the blank")
    if len(set(rest)) != len(rest):
        raise ValueError(f"{source}: repeated symbols")
    bad = [s for s in rest if unicodedata.normalize("NFC", s) != s]
    if bad:
        raise ValueError(f"{source}: not NFC: {bad!r}")


def widened_alphabet(old: Sequence[str], target: Sequence[str]) -> list[str]:
    """`old` (indices kept) followed by the symbols of `target` it lacks, in `target`'s order."""
    have = set(old)
    return list(old) + [s for s in target[1:] if s not in have]


def widen(
    model: BiQRNN, old: Sequence[str], new: Sequence[str], bases: Mapping[str, str], margin: float = 3.0
) -> BiQRNN:
    """A copy of `model` whose output layer has one row per symbol of `new` (which must start with
    `old`). New rows: the base symbol's row (bias - margin), or the mean row (bias - 2 margin)
    when the base is not in `old`."""
    if list(new[: len(old)]) != list(old):
        raise ValueError("the new alphabet must start with the old one")
    a = model.arch
    wide = BiQRNN(len(new), a["layers"], a["hidden"], a["kernel"], input_dim=a["input_dim"], dropout=model.dropout)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    w, b = state["out.weight"], state["out.bias"]
    index = {s: i for i, s in enumerate(old)}
    rows_w, rows_b = [w], [b]
    for s in new[len(old) :]:
        base = index.get(bases[s]) if bases.get(s) else None  # never the blank ""
        if base is None:
            rows_w.append(w[1:].mean(0, keepdim=True))
            rows_b.append(b[1:].mean().reshape(1) - 2 * margin)
        else:
            rows_w.append(w[base : base + 1])
            rows_b.append(b[base].reshape(1) - margin)
    state["out.weight"] = torch.cat(rows_w)
    state["out.bias"] = torch.cat(rows_b)
    wide.load_state_dict(state)
    return wide


def init_checkpoint(model: BiQRNN, alphabet: Sequence[str], feature_names: Sequence[str]) -> dict:
    """What `train.py --init-from` reads: weights, alphabet, architecture, feature names."""
    return {
        "model": model.state_dict(),
        "alphabet": list(alphabet),
        "arch": dict(model.arch),
        "feature_names": list(feature_names),
    }
