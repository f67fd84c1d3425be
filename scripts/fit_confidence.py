#!/usr/bin/env python3
"""Fit the confidence calibration maps of a language pack on labelled word inks.

Runs `inkjot recognize --confidence-features` on the words of DATA, with the pack's LM (n-best 5,
every candidate) and without it (greedy, one candidate); splits the writers in two (sorted writer
ids, even positions fit, odd positions report); fits a logistic map (Newton's method, small L2) per
mode on the fit half, over the features in MODE_FEATURES (the others get weight 0); prints
reliability tables (10 bins) and expected calibration errors on the report half, before (raw
confidence, exp(score)) and after. A mode's map is kept only when, on held-out writers both ways
round (fit on either half, report on the other), it calibrates the best candidate better than the
raw confidence on average over the two ways and no more than 0.005 worse either way, and every
candidate no more than 0.01 worse (expected calibration error); otherwise
that mode keeps the raw confidence. With --write it stores the kept maps (fitted on the fit half, the ones
whose report is printed) in models/<lang>/decoder.json under `confidence` and reseals the pack.

    python3 scripts/fit_confidence.py --data ../shared/data/unipen/valid.jsonl.gz --lang en --write
"""

import argparse
import gzip
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from seal import lm_file, seal_decoder_json  # noqa: E402  (scripts/seal.py)

ROOT = pathlib.Path(__file__).resolve().parent.parent
FEATURES = ["log_share", "margin", "mean_posterior", "min_char_posterior", "log_length"]
# Chosen by held-out ECE on UNIPEN valid words (docs/confidence.md): more features fit the fit half
# better and the other half no better.
MODE_FEATURES = {"beam": [0, 1, 2], "greedy": [0, 1, 2, 3, 4]}


def read_words(path, kind):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as f:
        for line in f:
            record = json.loads(line)
            if record.get("kind") == kind and record.get("label"):
                yield record


def recognize(args, words_file, extra):
    cmd = [str(args.inkjot), "recognize", "--confidence-features", "--lang", args.lang, *extra, str(words_file)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def rows(results, labels, writers):
    """(features, correct, raw confidence, writer, rank) per candidate."""
    out = []
    for r in results:
        for rank, c in enumerate(r.get("candidates", [])):
            correct = c["text"].strip() == labels[r["id"]].strip()
            out.append((c["features"], correct, float(np.exp(c["score"])), writers[r["id"]], rank))
    return out


def fit_logistic(x, y, l2=1e-3, steps=50):
    x1 = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(x1.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-x1 @ w))
        grad = x1.T @ (p - y) + l2 * w
        hess = (x1 * (p * (1 - p))[:, None]).T @ x1 + l2 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], w[-1]


def apply(w, b, x):
    return 1 / (1 + np.exp(-(x @ w + b)))


def reliability(p, y, bins=10):
    table, ece = [], 0.0
    for i in range(bins):
        lo, hi = i / bins, (i + 1) / bins
        mask = (p >= lo) & ((p < hi) if i < bins - 1 else (p <= hi))
        n = int(mask.sum())
        if n:
            conf, acc = float(p[mask].mean()), float(y[mask].mean())
            ece += n / len(p) * abs(conf - acc)
            table.append((f"{lo:.1f}-{hi:.1f}", n, conf, acc))
        else:
            table.append((f"{lo:.1f}-{hi:.1f}", 0, None, None))
    return table, ece


def report(title, raw, cal, y):
    t_raw, e_raw = reliability(raw, y)
    t_cal, e_cal = reliability(cal, y)
    print(f"\n### {title}\n")
    print(f"{len(y)} candidates, {y.mean():.3f} right. ECE before {e_raw:.4f}, after {e_cal:.4f}.\n")
    print("| bin | n before | mean conf. before | right before | n after | mean conf. after | right after |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    fmt = lambda v: "" if v is None else f"{v:.3f}"  # noqa: E731
    for (b, n0, c0, a0), (_, n1, c1, a1) in zip(t_raw, t_cal, strict=True):
        print(f"| {b} | {n0} | {fmt(c0)} | {fmt(a0)} | {n1} | {fmt(c1)} | {fmt(a1)} |")
    return e_raw, e_cal


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--kind", default="word")
    ap.add_argument("--lang", default="en")
    ap.add_argument("--inkjot", default=ROOT / "target/release/inkjot")
    ap.add_argument("--write", action="store_true", help="store the maps in models/<lang>/decoder.json")
    args = ap.parse_args()

    words = list(read_words(args.data, args.kind))
    labels = {w["id"]: w["label"] for w in words}
    writers = {w["id"]: w.get("writer", "") for w in words}
    names = sorted(set(writers.values()))
    fit_writers = set(names[0::2])
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl") as f:
        for w in words:
            f.write(json.dumps(w) + "\n")
        f.flush()
        modes = {
            "beam": recognize(args, f.name, ["--nbest", "5"]),
            "greedy": recognize(args, f.name, ["--no-lm", "--nbest", "1"]),
        }
    print(f"{len(words)} {args.kind} inks, {len(names)} writers: fit on {len(fit_writers)}, report on the others.")
    maps = {}
    for mode, results in modes.items():
        data = rows(results, labels, writers)
        x = np.array([d[0] for d in data], dtype=np.float64)
        y = np.array([d[1] for d in data], dtype=np.float64)
        raw = np.array([d[2] for d in data])
        fit = np.array([d[3] in fit_writers for d in data])
        top = np.array([d[4] == 0 for d in data])
        cols = MODE_FEATURES[mode]
        beats_raw = True
        gain = 0.0
        for a, b in [(~fit, fit), (fit, ~fit)]:
            w, bias = fit_logistic(x[a][:, cols], y[a])
            swapped = apply(w, bias, x[:, cols])
            # The score that matters most is the best candidate's (a keyboard auto-commits it):
            # the map must calibrate it better on average over both ways round, no worse than
            # 0.005 either way, and every candidate no worse than 0.01.
            best = b & top
            ece = [reliability(c[m], y[m])[1] for m in (best, b) for c in (raw, swapped)]
            print(
                f"{mode}, fit on one half, checked on the other: "
                f"ECE best {ece[0]:.4f} -> {ece[1]:.4f}, every {ece[2]:.4f} -> {ece[3]:.4f}"
            )
            gain += ece[0] - ece[1]
            beats_raw &= ece[1] < ece[0] + 0.005 and ece[3] < ece[2] + 0.01
        beats_raw &= gain > 0
        w, bias = fit_logistic(x[fit][:, cols], y[fit])
        weights = np.zeros(len(FEATURES))
        weights[cols] = w
        maps[mode] = {"weights": [round(float(v), 5) for v in weights], "bias": round(float(bias), 5)}
        cal = apply(np.array(maps[mode]["weights"]), maps[mode]["bias"], x)
        held = ~fit
        report(f"{mode}: every candidate, report writers", raw[held], cal[held], y[held])
        if mode == "beam":
            report(f"{mode}: best candidate only, report writers", raw[held & top], cal[held & top], y[held & top])
        report(f"{mode}: every candidate, fit writers (in-sample)", raw[fit], cal[fit], y[fit])
        print("\nweights:", dict(zip(FEATURES, maps[mode]["weights"], strict=True)), "bias:", maps[mode]["bias"])
        if not beats_raw:
            print(f"\n{mode}: the map does not beat the raw confidence on held-out writers both ways; not kept.")
            del maps[mode]
    if args.write:
        pack = ROOT / "models" / args.lang
        config = json.loads((pack / "decoder.json").read_text())
        config.pop("checksum", None)
        config["confidence"] = maps
        (pack / "decoder.json").write_text(seal_decoder_json(lm_file(pack).read_bytes(), config))
        print(f"\nwrote {pack / 'decoder.json'}")


if __name__ == "__main__":
    main()
