#!/usr/bin/env python3
"""Widen an exported model to the multilingual alphabet, as a checkpoint for `train.py --init-from`.

  target/release/inkjot alphabet > alphabet.json
  target/release/inkjot alphabet --bases > bases.json
  python3 training/widen.py --model models/recognizer.safetensors --alphabet alphabet.json \
      --bases bases.json --out training/runs/widened.pt

Old classes keep their index and weights; each new one starts from its base letter's output row
(see inkjot_train/alphabet.py). Prints how many classes were added.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch

from inkjot_train.alphabet import init_checkpoint, load_alphabet, widen, widened_alphabet
from inkjot_train.data import load_inkset
from inkjot_train.modelio import load_model


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="an exported f32 model file")
    ap.add_argument("--alphabet", required=True, help="JSON list (inkjot alphabet)")
    ap.add_argument("--bases", required=True, help="JSON object (inkjot alphabet --bases)")
    ap.add_argument("--features", help="a featurize file naming the features (for models whose metadata lacks them)")
    ap.add_argument("--margin", type=float, default=3.0, help="new rows' bias below their base's")
    ap.add_argument("--out", required=True, help="checkpoint for train.py --init-from")
    a = ap.parse_args(argv)
    model, old, meta = load_model(a.model)
    with open(a.bases, encoding="utf-8") as f:
        bases = json.load(f)
    new = widened_alphabet(old, load_alphabet(a.alphabet))
    wide = widen(model, old, new, bases, a.margin)
    names = [n for n in meta.get("feature_names", "").split(",") if n]
    if not names and a.features:
        names = list(load_inkset(a.features).feature_names[: model.arch["input_dim"]])
    if len(names) != model.arch["input_dim"]:
        n = model.arch["input_dim"]
        raise SystemExit(f"{a.model}: metadata feature_names does not list {n} features (give --features)")
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    torch.save(init_checkpoint(wide, new, names), a.out)
    print(f"{a.model}: {len(old)} classes -> {len(new)} ({len(new) - len(old)} added) -> {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
