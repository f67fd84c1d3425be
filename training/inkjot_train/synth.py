"""Synthetic featurize files (same layout as `inkjot featurize`) for tests and benchmarks.

Each character has a fixed random prototype of 2-5 curves; an ink is the concatenation of its
characters' prototypes plus noise, with pen-up curves (p = 1) between some characters. Lengths
mimic UNIPEN: chars ~4 curves, words ~20, text lines ~100+.
"""

from __future__ import annotations

import argparse

import numpy as np

from .data import InkSet, save_inkset

# The column layout of today's `inkjot featurize` files, imitated by the synthetic data (test data
# only: training reads the names from each file's metadata).
SYNTH_FEATURE_NAMES = ("dx", "dy", "d1", "d2", "a1", "a2", "g1", "g2", "g3", "p", "y")
_DIM = len(SYNTH_FEATURE_NAMES)
_PEN_UP = SYNTH_FEATURE_NAMES.index("p")

DEFAULT_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789.,'-"
WORDS_LEN = (2, 9)


def make_synthetic(
    n: int,
    seed: int = 0,
    chars: str = DEFAULT_CHARS,
    mix=(0.55, 0.38, 0.07),
    noise: float = 0.15,
    proto_seed: int = 1234,
) -> InkSet:
    prng = np.random.default_rng(proto_seed)  # prototypes shared between files
    protos = {}
    for c in chars:
        k = int(prng.integers(2, 6))
        p = prng.normal(0, 1, size=(k, _DIM)).astype(np.float32)
        p[:, 0:2] *= 20.0  # dx, dy in "device units"
        p[:, _PEN_UP] = 0.0
        protos[c] = p
    penup = np.zeros(_DIM, np.float32)
    penup[_PEN_UP] = 1.0
    rng = np.random.default_rng(seed)
    feats, offs, labels, ids = [], [0], [], []
    kinds = rng.choice(3, size=n, p=np.asarray(mix) / np.sum(mix))
    for j in range(n):
        kind = int(kinds[j])
        if kind == 0:
            label = str(rng.choice(list(chars)))
            cat = "1c"
        elif kind == 1:
            L = int(rng.integers(*WORDS_LEN))
            label = "".join(rng.choice(list(chars[:26]), size=L))
            cat = "7"
        else:
            words = [
                "".join(rng.choice(list(chars), size=int(rng.integers(1, 9)))) for _ in range(int(rng.integers(3, 8)))
            ]
            label = " ".join(words)
            cat = "8"
        parts = []
        for ci, c in enumerate(label):
            if c == " ":
                g = penup.copy()
                g[0] = 60.0 + rng.normal(0, 5)
                parts.append(g[None])
                continue
            p = protos[c] + rng.normal(0, noise, size=protos[c].shape).astype(np.float32) * np.abs(protos[c]).clip(0.2)
            p[:, _PEN_UP] = 0.0
            parts.append(p)
            if ci + 1 < len(label) and rng.random() < 0.3:
                g = penup.copy()
                g[0:2] = rng.normal(0, 10, 2)
                parts.append(g[None])
        x = np.concatenate(parts, axis=0).astype(np.float32)
        feats.append(x)
        offs.append(offs[-1] + len(x))
        labels.append(label)
        ids.append(f"{cat}/syn/{seed:010x}/{j}")
    return InkSet(np.concatenate(feats), np.asarray(offs, np.int64), labels, ids, SYNTH_FEATURE_NAMES, "synthetic")


def main(argv=None):
    ap = argparse.ArgumentParser(description="write a synthetic featurize-layout safetensors file")
    ap.add_argument("--out", required=True)
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mix", default="0.55,0.38,0.07", help="fractions char,word,text")
    a = ap.parse_args(argv)
    inks = make_synthetic(a.n, a.seed, mix=tuple(float(v) for v in a.mix.split(",")))
    save_inkset(a.out, inks, {"source": "synthetic"})
    print(f"wrote {a.out}: {len(inks)} inks, {inks.offsets[-1]} curves")


if __name__ == "__main__":
    main()
