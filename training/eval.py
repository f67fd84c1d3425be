#!/usr/bin/env python3
"""Greedy-decoding CER/WER of an exported model (f32 or int8) or a checkpoint on a featurize file.

python3 training/eval.py --model models/inkjot-qrnn-int8.safetensors --data data-cache/valid.safetensors
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np
import torch

from inkjot_train.data import load_inkset
from inkjot_train.metrics import evaluate
from inkjot_train.modelio import load_model
from inkjot_train.trainer import model_from_checkpoint


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="exported .safetensors or a training .pt checkpoint")
    ap.add_argument("--data", required=True, help="featurize .safetensors")
    ap.add_argument("--subset", type=int, default=0, help="random subset size (0 = all)")
    ap.add_argument("--kinds", default="", help="only these kinds, e.g. word or char,word,text")
    ap.add_argument("--examples", type=int, default=10, help="print this many (id, ref, hyp)")
    ap.add_argument("--errors-out", help="write all (id, ref, hyp) as JSON lines")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    if a.model.endswith(".pt"):
        model, ck = model_from_checkpoint(a.model)
        alphabet = ck["alphabet"]
        read = ck.get("feature_names")
    else:
        model, alphabet, meta = load_model(a.model)
        print(f"model {a.model}: quantization={meta.get('quantization')} arch={meta.get('arch')}")
        read = meta["feature_names"].split(",") if meta.get("feature_names") else None
    inks = load_inkset(a.data)
    # models from before the names were recorded read the first input_dim features
    if read is not None and list(inks.feature_names[: len(read)]) != list(read):
        raise SystemExit(f"{a.model} reads features {','.join(read)}; {a.data} has {','.join(inks.feature_names)}")
    idx = np.arange(len(inks))
    if a.kinds:
        kinds = set(a.kinds.split(","))
        idx = np.array([i for i, k in enumerate(inks.kinds()) if k in kinds], dtype=np.int64)
    if a.subset and a.subset < len(idx):
        idx = np.sort(np.random.default_rng(12345).choice(idx, a.subset, replace=False))
    ec, samples = evaluate(model, inks, alphabet, idx, examples=0)
    if a.errors_out:
        with open(a.errors_out, "w") as f:
            for i, r, h in samples:
                f.write(json.dumps(dict(id=i, ref=r, hyp=h), ensure_ascii=False) + "\n")
    rng = np.random.default_rng(0)
    for j in sorted(rng.choice(len(samples), size=min(a.examples, len(samples)), replace=False)):
        i, r, h = samples[j]
        print(f"{i:28s} ref={r[:70]!r} hyp={h[:70]!r}")
    print(ec.line())
    print(json.dumps(ec.summary()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
