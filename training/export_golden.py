#!/usr/bin/env python3
"""Golden outputs for the Rust parity tests.

Picks N inks from a featurize file (by default one char, one word, one text line, then more in
file order; only inks with <= --max-len curves) and writes tests/golden/<name>.safetensors:

  features_{i}       F32 [T, 11]  raw (un-normalized) features, exactly as in the featurize file
  logprobs_{i}       F32 [T, C]   log-softmax output of the f32 model (eval mode, batch of one)
  logprobs_int8_{i}  F32 [T, C]   same with every weight matrix replaced by its int8 dequantized value
                                  (q * scale, per output row), biases f32
  metadata: format=inkjot-golden, version=1, n, model, ids, labels (JSON lists),
            greedy_f32 / greedy_int8 (JSON lists of greedy CTC decodes), computed_in

The reference is computed in float64 from the f32 weights (so it is the exact value an f32
implementation approximates), then stored as f32.

  python3 training/export_golden.py --model models/inkjot-qrnn.safetensors \
      --data data-cache/valid.safetensors --n 4
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch
from safetensors.torch import save_file

from inkjot_train.data import load_inkset
from inkjot_train.metrics import greedy_decode
from inkjot_train.modelio import load_model, quantized_copy
from inkjot_train.trainer import REPO_ROOT


def pick(inks, n, max_len, ids=None):
    if ids:
        want = ids.split(",")
        pos = {s: i for i, s in enumerate(inks.ids)}
        missing = [w for w in want if w not in pos]
        if missing:
            raise SystemExit(f"ids not found: {missing}")
        return [pos[w] for w in want]
    lens = inks.lengths
    kinds = inks.kinds()
    ok = [i for i in range(len(inks)) if 0 < lens[i] <= max_len]
    chosen = []
    for k in ("char", "word", "text"):
        for i in ok:
            if kinds[i] == k and i not in chosen:
                chosen.append(i)
                break
    for i in ok:
        if len(chosen) >= n:
            break
        if i not in chosen:
            chosen.append(i)
    return chosen[:n]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="exported f32 model .safetensors")
    ap.add_argument("--data", required=True, help="featurize .safetensors to take inks from")
    ap.add_argument("--n", type=int, default=4)
    ap.add_argument("--ids", help="comma-separated ink ids to use instead of the automatic pick")
    ap.add_argument("--max-len", type=int, default=200, help="max curves per picked ink")
    ap.add_argument("--name", help="output name (default: model file stem)")
    ap.add_argument("--out-dir", default=os.path.join(REPO_ROOT, "tests", "golden"))
    a = ap.parse_args(argv)

    model, alphabet, meta = load_model(a.model)
    if meta.get("quantization") != "none":
        raise SystemExit("--model must be the f32 export (quantization=none)")
    qmodel = quantized_copy(model)
    model, qmodel = model.double().eval(), qmodel.double().eval()
    inks = load_inkset(a.data)
    chosen = pick(inks, a.n, a.max_len, a.ids)
    tensors, gf, gq = {}, [], []
    with torch.no_grad():
        for j, i in enumerate(chosen):
            feats = torch.from_numpy(inks.ink(i).copy())
            x = feats.double().unsqueeze(1)
            L = torch.tensor([feats.shape[0]])
            lp = model(x, L)
            lq = qmodel(x, L)
            tensors[f"features_{j}"] = feats.float().contiguous()
            tensors[f"logprobs_{j}"] = lp[:, 0].float().contiguous()
            tensors[f"logprobs_int8_{j}"] = lq[:, 0].float().contiguous()
            gf += greedy_decode(lp, L, alphabet)
            gq += greedy_decode(lq, L, alphabet)
    name = a.name or os.path.splitext(os.path.basename(a.model))[0]
    os.makedirs(a.out_dir, exist_ok=True)
    out = os.path.join(a.out_dir, f"{name}.safetensors")
    md = {
        "format": "inkjot-golden",
        "version": "1",
        "n": str(len(chosen)),
        "model": os.path.basename(a.model),
        "data": os.path.basename(a.data),
        "ids": json.dumps([inks.ids[i] for i in chosen], ensure_ascii=False),
        "labels": json.dumps([inks.labels[i] for i in chosen], ensure_ascii=False),
        "greedy_f32": json.dumps(gf, ensure_ascii=False),
        "greedy_int8": json.dumps(gq, ensure_ascii=False),
        "computed_in": "float64 (stored as f32)",
    }
    save_file(tensors, out, metadata=md)
    print(f"wrote {out} ({os.path.getsize(out):,} bytes)")
    for j, i in enumerate(chosen):
        T = inks.lengths[i]
        diff = (tensors[f"logprobs_{j}"] - tensors[f"logprobs_int8_{j}"]).abs().max().item()
        print(
            f"  {j}: {inks.ids[i]} T={T} label={inks.labels[i][:40]!r} greedy={gf[j][:40]!r} "
            f"greedy_int8={gq[j][:40]!r} max|f32-int8| logprob diff {diff:.3g}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
