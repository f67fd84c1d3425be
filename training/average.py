#!/usr/bin/env python3
"""Average the weights of several checkpoints of one run (e.g. the last epochs of the learning-rate
decay) into one checkpoint that export.py and eval.py accept.

  python3 training/average.py --out training/runs/recognizer/avg.pt \
      snapshots/ep40.pt snapshots/ep41.pt snapshots/ep42.pt \
      --valid data-cache/valid.safetensors --kinds word

With --valid, every input and the average are evaluated (greedy CER) on the same inks, so the
gain is measured, not assumed.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np
import torch

from inkjot_train.data import load_inkset
from inkjot_train.metrics import evaluate
from inkjot_train.trainer import log, model_from_checkpoint


def average_state(checkpoints):
    """Element-wise mean of the `model` state dicts; all must have the same architecture."""
    first = checkpoints[0]
    for ck in checkpoints[1:]:
        if (
            ck["arch"] != first["arch"]
            or ck["alphabet"] != first["alphabet"]
            or ck.get("feature_names") != first.get("feature_names")
        ):
            raise SystemExit("checkpoints differ in architecture, alphabet or features; cannot average")
    avg = {}
    for key, value in first["model"].items():
        if value.is_floating_point():
            avg[key] = sum(ck["model"][key].double() for ck in checkpoints).div(len(checkpoints)).to(value.dtype)
        else:
            avg[key] = value.clone()
    return avg


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoints", nargs="+", help="best.pt/last.pt files of one run")
    ap.add_argument("--out", required=True, help="averaged checkpoint to write")
    ap.add_argument("--valid", help="featurize file to evaluate inputs and average on")
    ap.add_argument("--kinds", default="", help="only these kinds, e.g. word")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    cks = [torch.load(p, map_location="cpu", weights_only=False) for p in a.checkpoints]
    first = cks[0]
    out = dict(
        model=average_state(cks),
        alphabet=first["alphabet"],
        feature_names=first.get("feature_names"),
        arch=first["arch"],
        epoch=first.get("state", {}).get("epoch", first.get("epoch")),
        config=first.get("config", first.get("args")),
        averaged=list(a.checkpoints),
    )
    torch.save(out, a.out)
    log(f"averaged {len(cks)} checkpoints -> {a.out}")
    if a.valid:
        inks = load_inkset(a.valid)
        idx = np.arange(len(inks))
        if a.kinds:
            kinds = set(a.kinds.split(","))
            idx = np.array([i for i, k in enumerate(inks.kinds()) if k in kinds], dtype=np.int64)
        for path in list(a.checkpoints) + [a.out]:
            model, ck = model_from_checkpoint(path)
            ec, _ = evaluate(model, inks, ck["alphabet"], idx)
            log(f"{path}: {ec.line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
