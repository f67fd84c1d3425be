#!/usr/bin/env python3
"""Measure CPU training throughput (sequences/s, curves/s) on synthetic data with realistic
UNIPEN-like lengths (chars ~4 curves, words ~20, text lines ~100) and extrapolate the epoch time.

  python3 training/bench.py --configs 5x96,4x112,3x128 --steps 100
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np
import torch

from inkjot_train.data import build_alphabet, collate, load_inkset, make_batches, prepare
from inkjot_train.model import BiQRNN
from inkjot_train.synth import make_synthetic

# UNIPEN train_r01_v07 as featurized by `inkjot featurize`: 178,039 inks, 2,430,292 curves
# (char 4.7, word 18.2, text 60.7 curves per ink on average).
UNIPEN_TRAIN = 178039
UNIPEN_TRAIN_CURVES = 2430292


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--configs", default="5x96", help="comma list of LAYERSxHIDDEN[xKERNEL]")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--max-tokens", type=int, default=2048)
    ap.add_argument("--max-batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("-n", type=int, default=20000, help="synthetic inks")
    ap.add_argument("--data", help="benchmark on this featurize file instead of synthetic data")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    inks = load_inkset(a.data) if a.data else make_synthetic(a.n, seed=0)
    alphabet = build_alphabet(inks.labels, 1)
    prep = prepare(inks, alphabet)
    C = 96  # real alphabet: 95 printable ASCII + blank
    ctc = torch.nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)
    for cfg in a.configs.split(","):
        parts = [int(v) for v in cfg.split("x")]
        L, H = parts[0], parts[1]
        K = parts[2] if len(parts) > 2 else 2
        model = BiQRNN(C, L, H, K, input_dim=inks.feature_dim)
        nparam = sum(p.numel() for p in model.parameters())
        opt = torch.optim.Adam(model.parameters(), 1e-3)
        batches = make_batches(prep.lengths, a.max_tokens, a.max_batch, np.random.default_rng(0))
        seqs = curves = padded = 0
        t0 = None
        for step, pos in enumerate(batches[: a.steps + 3]):
            if step == 3:
                t0 = time.perf_counter()
                seqs = curves = padded = 0
            b = collate(prep, pos)
            lp = model(b.x, b.lengths)
            loss = ctc(lp, b.targets, b.lengths, b.target_lengths) / b.target_lengths.sum()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            seqs += b.size
            curves += int(b.lengths.sum())
            padded += b.x.shape[0] * b.size
        dt = time.perf_counter() - t0
        sps, cps = seqs / dt, curves / dt
        print(
            f"{L}x{H}xK{K}: params {nparam:,}  {sps:7.1f} seq/s  {cps:8.0f} curves/s  "
            f"{(a.steps) / dt:5.2f} steps/s  padding {1 - curves / padded:.1%}  "
            f"-> UNIPEN train epoch ({UNIPEN_TRAIN_CURVES:,} curves) ~ {UNIPEN_TRAIN_CURVES / cps / 60:.1f} min",
            flush=True,
        )


if __name__ == "__main__":
    main()
