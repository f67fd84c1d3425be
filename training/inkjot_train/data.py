"""Loading `inkjot featurize` safetensors files, alphabet, filtering, length-bucketed batching.

File layout (contract with the Rust featurizer):
  features      F32 [N_curves_total, D]   one row per curve, columns named by the `feature_names`
                                          metadata (today dx, dy, d1, d2, a1, a2, g1, g2, g3, p, y)
  offsets       I64 [N_inks + 1]          ink i = features[offsets[i]:offsets[i+1]]
  labels        U8  [bytes]               concatenated UTF-8 labels, label_offsets I64 [N_inks + 1]
  ids           U8  [bytes]               concatenated UTF-8 ids,    id_offsets    I64 [N_inks + 1]
  __metadata__  format=inkjot-features, version=1, feature_dim=D, feature_names=comma list of D names

The feature names and their count are read from the file, never assumed here.
"""

from __future__ import annotations

import collections
import functools
import glob
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

FEATURES_FORMAT = "inkjot-features"


def kind_of(ink_id: str) -> str:
    """UNIPEN category -> 'char' (1a-1d), 'word' (6, 7), 'text' (8), else 'other'."""
    cat = ink_id.split("/", 1)[0]
    if cat.startswith("1"):
        return "char"
    if cat in ("6", "7"):
        return "word"
    if cat == "8":
        return "text"
    return "other"


def sample_group(ink_id: str) -> str:
    """The --sample-weights group of an ink: 'synthetic' for `inkjot synth` ids (`/synth-`), else
    its UNIPEN kind ('char', 'word', 'text' or 'other')."""
    return "synthetic" if "/synth-" in ink_id else kind_of(ink_id)


def weighted_positions(groups: Sequence[str], weights: dict[str, float], rng: np.random.Generator) -> np.ndarray:
    """Positions 0..len(groups)-1 drawn for one epoch: an ink of a group with weight w (1 when the
    group is not in `weights`) appears floor(w) times, plus once more with probability w - floor(w).
    Sorted; all positions once when `weights` is empty."""
    n = len(groups)
    if not weights:
        return np.arange(n, dtype=np.int64)
    w = np.array([weights.get(g, 1.0) for g in groups], dtype=np.float64)
    whole = np.floor(w)
    counts = whole.astype(np.int64) + (rng.random(n) < (w - whole)).astype(np.int64)
    return np.repeat(np.arange(n, dtype=np.int64), counts)


def _split_strings(buf: np.ndarray, offs: np.ndarray) -> list[str]:
    b = buf.tobytes()
    return [b[offs[i] : offs[i + 1]].decode("utf-8") for i in range(len(offs) - 1)]


def _join_strings(strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    enc = [s.encode("utf-8") for s in strings]
    offs = np.zeros(len(enc) + 1, dtype=np.int64)
    offs[1:] = np.cumsum([len(e) for e in enc])
    return np.frombuffer(b"".join(enc), dtype=np.uint8).copy(), offs


@dataclass
class InkSet:
    """All inks of one featurize file (or a subset of it)."""

    features: np.ndarray  # [N_curves, len(feature_names)] f32
    offsets: np.ndarray  # [N+1] i64
    labels: list[str]
    ids: list[str]
    feature_names: tuple[str, ...]  # column names of `features`, from the file's metadata
    path: str = ""
    metadata: dict[str, str] = field(default_factory=dict)

    def __len__(self):
        return len(self.labels)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def ink(self, i: int) -> np.ndarray:
        return self.features[self.offsets[i] : self.offsets[i + 1]]

    def kinds(self) -> list[str]:
        return [kind_of(i) for i in self.ids]

    def subset(self, idx: Iterable[int]) -> InkSet:
        idx = np.asarray(list(idx), dtype=np.int64)
        lens = self.lengths[idx]
        offs = np.zeros(len(idx) + 1, dtype=np.int64)
        offs[1:] = np.cumsum(lens)
        if len(idx):
            feats = np.concatenate([self.ink(int(i)) for i in idx], axis=0)
        else:
            feats = np.zeros((0, self.features.shape[1]), np.float32)
        return InkSet(
            feats,
            offs,
            [self.labels[i] for i in idx],
            [self.ids[i] for i in idx],
            self.feature_names,
            self.path,
            self.metadata,
        )

    @property
    def feature_dim(self) -> int:
        return len(self.feature_names)


def parse_feature_names(meta: dict[str, str], path: str = "") -> tuple[str, ...]:
    """The feature names of a featurize file's metadata (`feature_names`, checked against
    `feature_dim` when that is present). Raises ValueError if they are missing or inconsistent."""
    raw = meta.get("feature_names")
    if not raw:
        raise ValueError(f"{path}: no `feature_names` metadata; featurize the data again with `inkjot featurize`")
    names = tuple(n.strip() for n in raw.split(","))
    if any(not n for n in names) or len(set(names)) != len(names):
        raise ValueError(f"{path}: bad `feature_names` metadata {raw!r} (empty or repeated names)")
    dim = meta.get("feature_dim")
    if dim is not None and dim != str(len(names)):
        raise ValueError(f"{path}: feature_dim {dim} but {len(names)} feature_names")
    return names


def load_inkset(path: str) -> InkSet:
    """Read a featurize file, checking its metadata and the consistency of every tensor."""
    with safe_open(path, framework="numpy") as f:
        meta = f.metadata() or {}
    if meta.get("format") != FEATURES_FORMAT:
        raise ValueError(f"{path}: metadata format is {meta.get('format')!r}, expected {FEATURES_FORMAT!r}")
    if meta.get("version") != "1":
        raise ValueError(f"{path}: unsupported version {meta.get('version')!r}")
    names = parse_feature_names(meta, path)
    t = load_file(path)
    feats = np.ascontiguousarray(t["features"], dtype=np.float32)
    offs = t["offsets"].astype(np.int64)
    if feats.ndim != 2 or feats.shape[1] != len(names):
        raise ValueError(f"{path}: features shape {feats.shape}, expected [N, {len(names)}] for {','.join(names)}")
    if offs[0] != 0 or offs[-1] != feats.shape[0] or np.any(np.diff(offs) < 0):
        raise ValueError(f"{path}: inconsistent offsets")
    labels = _split_strings(t["labels"], t["label_offsets"].astype(np.int64))
    ids = _split_strings(t["ids"], t["id_offsets"].astype(np.int64))
    if not (len(labels) == len(ids) == len(offs) - 1):
        raise ValueError(f"{path}: {len(offs) - 1} inks but {len(labels)} labels / {len(ids)} ids")
    if not np.all(np.isfinite(feats)):
        bad = int((~np.isfinite(feats)).any(axis=1).sum())
        raise ValueError(f"{path}: {bad} curves with non-finite features")
    return InkSet(feats, offs, labels, ids, names, path, dict(meta))


def save_inkset(path: str, inks: InkSet, extra_meta: dict[str, str] | None = None):
    """Write an InkSet in the featurize layout (used for synthetic/test files)."""
    lb, lo = _join_strings(inks.labels)
    ib, io = _join_strings(inks.ids)
    meta = {
        "format": FEATURES_FORMAT,
        "version": "1",
        "feature_dim": str(inks.feature_dim),
        "feature_names": ",".join(inks.feature_names),
    }
    if extra_meta:
        meta.update(extra_meta)
    save_file(
        {
            "features": np.ascontiguousarray(inks.features, dtype=np.float32),
            "offsets": inks.offsets.astype(np.int64),
            "labels": lb,
            "label_offsets": lo,
            "ids": ib,
            "id_offsets": io,
        },
        path,
        metadata=meta,
    )


def expand_paths(specs: Sequence[str]) -> list[str]:
    """Comma-separated lists and globs -> sorted unique existing paths (order of specs kept)."""
    out: list[str] = []
    for spec in specs:
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            hits = sorted(glob.glob(part)) if any(ch in part for ch in "*?[") else [part]
            if not hits:
                raise FileNotFoundError(f"no file matches {part!r}")
            for h in hits:
                if not os.path.exists(h):
                    raise FileNotFoundError(h)
                if h not in out:
                    out.append(h)
    return out


# ---------------------------------------------------------------------------------------
# alphabet and filtering


def build_alphabet(labels: Iterable[str], min_count: int = 5) -> list[str]:
    cnt = collections.Counter()
    for s in labels:
        cnt.update(s)
    chars = sorted(c for c, n in cnt.items() if n >= min_count)
    return [""] + chars


def ctc_min_frames(ids: Sequence[int]) -> int:
    """Minimum input length CTC needs: label length + number of equal adjacent labels."""
    return len(ids) + sum(1 for a, b in zip(ids, ids[1:], strict=False) if a == b)


@dataclass
class Prepared:
    """Encoded, filtered view of an InkSet ready for batching."""

    inks: InkSet
    index: np.ndarray  # kept ink indices into inks
    targets: list[np.ndarray]  # per kept ink, int64 class ids (1..C-1)
    lengths: np.ndarray  # curves per kept ink
    dropped: dict[str, int]

    def __len__(self):
        return len(self.index)

    @functools.cached_property
    def groups(self) -> list[str]:
        """The --sample-weights group of each kept ink (see sample_group)."""
        ids = self.inks.ids
        return [sample_group(ids[i]) for i in self.index]

    def report(self) -> str:
        n = len(self.inks)
        parts = [f"{len(self.index)}/{n} inks kept"]
        parts += [f"dropped {v} ({k})" for k, v in self.dropped.items() if v]
        return ", ".join(parts)


def prepare(inks: InkSet, alphabet: Sequence[str], max_len: int = 0, min_len: int = 1) -> Prepared:
    cmap = {c: i for i, c in enumerate(alphabet) if i > 0}
    lens = inks.lengths
    keep, targets = [], []
    dropped = collections.Counter()
    for i, lab in enumerate(inks.labels):
        L = int(lens[i])
        if len(lab) == 0:
            dropped["empty label"] += 1
            continue
        try:
            t = [cmap[c] for c in lab]
        except KeyError:
            dropped["chars outside alphabet"] += 1
            continue
        if L < max(min_len, 1):
            dropped["no curves"] += 1
            continue
        if max_len and L > max_len:
            dropped[f"longer than {max_len} curves"] += 1
            continue
        if L < ctc_min_frames(t):
            dropped["CTC infeasible (curves < label + repeats)"] += 1
            continue
        keep.append(i)
        targets.append(np.asarray(t, dtype=np.int64))
    index = np.asarray(keep, dtype=np.int64)
    return Prepared(inks, index, targets, lens[index].astype(np.int64), dict(dropped))


def feature_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean/std (float64 accumulation), returned as float32-representable values."""
    x = features.astype(np.float64)
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std = np.where(std < 1e-6, 1.0, std)
    return mean.astype(np.float32), std.astype(np.float32)


def describe_features(features: np.ndarray, names: Sequence[str]) -> str:
    """A table of per-feature quantiles, mean and std (for the training log)."""
    qs = np.percentile(features, [0, 1, 50, 99, 100], axis=0)
    rows = ["feature      min       p1      p50      p99      max     mean      std"]
    for j, name in enumerate(names):
        col = features[:, j]
        rows.append(f"{name:>7} " + " ".join(f"{v:8.3f}" for v in qs[:, j]) + f" {col.mean():8.3f} {col.std():8.3f}")
    return "\n".join(rows)


# ---------------------------------------------------------------------------------------
# batching


def make_batches(
    lengths: np.ndarray,
    max_tokens: int,
    max_batch: int,
    rng: np.random.Generator,
    chunk: int = 8192,
    order: str = "shuffle",
) -> list[np.ndarray]:
    """Length-bucketed batches of positions into `lengths`.

    Positions are shuffled, cut into chunks of `chunk`, sorted by length inside each chunk and
    packed greedily so that batch_size * max_len <= max_tokens and batch_size <= max_batch.
    order: 'shuffle' (random batch order) or 'ascending' (shortest batches first: curriculum).
    """
    n = len(lengths)
    perm = rng.permutation(n)
    batches: list[np.ndarray] = []
    for s in range(0, n, chunk):
        part = perm[s : s + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        cur: list[int] = []
        cur_max = 0
        for p in part:
            L = int(lengths[p])
            new_max = max(cur_max, L)
            if cur and ((len(cur) + 1) * new_max > max_tokens or len(cur) >= max_batch):
                batches.append(np.asarray(cur, dtype=np.int64))
                cur, new_max = [], L
            cur.append(int(p))
            cur_max = new_max
        if cur:
            batches.append(np.asarray(cur, dtype=np.int64))
    if order == "ascending":
        keys = np.array([lengths[b].max() for b in batches]) + rng.random(len(batches)) * 0.5
        batches = [batches[i] for i in np.argsort(keys, kind="stable")]
    else:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


@dataclass
class Batch:
    x: torch.Tensor  # [T, B, D] raw features, zero padded
    lengths: torch.Tensor  # [B] int64
    targets: torch.Tensor  # [sum target lengths] int64
    target_lengths: torch.Tensor  # [B] int64
    positions: np.ndarray  # positions in Prepared

    @property
    def size(self):
        return int(self.lengths.numel())


def collate(prep: Prepared, positions: np.ndarray) -> Batch:
    lens = prep.lengths[positions]
    T = int(lens.max())
    B = len(positions)
    x = np.zeros((T, B, prep.inks.feature_dim), dtype=np.float32)
    feats, offs = prep.inks.features, prep.inks.offsets
    for b, p in enumerate(positions):
        i = prep.index[p]
        x[: lens[b], b] = feats[offs[i] : offs[i + 1]]
    tg = [prep.targets[p] for p in positions]
    return Batch(
        torch.from_numpy(x),
        torch.from_numpy(lens.astype(np.int64)),
        torch.from_numpy(np.concatenate(tg)),
        torch.tensor([len(t) for t in tg], dtype=torch.int64),
        positions,
    )
