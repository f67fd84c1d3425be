#!/usr/bin/env python3
"""Fast end-to-end check of the training scripts (CPU, synthetic data, well under a minute):
train, resume, --keep-epochs + average.py, --init-from, export (f32 + int8), golden files, eval.
The unit tests of the pieces are in training/tests (pytest).

  python3 training/smoke_test.py [--keep DIR]

Exits non-zero on the first failure.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
warnings.filterwarnings("ignore", category=FutureWarning)

import numpy as np
import torch
from safetensors import safe_open
from safetensors.numpy import load_file

from inkjot_train import reference
from inkjot_train.data import load_inkset
from inkjot_train.modelio import load_model

T0 = time.time()


def check(cond, msg):
    if not cond:
        print(f"FAIL: {msg}", flush=True)
        sys.exit(1)
    print(f"ok   {msg}", flush=True)


def run(*cmd):
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    r = subprocess.run([sys.executable, *cmd], cwd=HERE, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        print(r.stdout[-4000:], r.stderr[-4000:], sep="\n")
        check(False, f"command failed ({r.returncode}): {' '.join(cmd)}")
    return r.stdout


def check_model_file(path, quant, feature_names):
    t = load_file(path)
    with safe_open(path, framework="numpy") as fh:
        md = fh.metadata()
    for k in (
        "format",
        "version",
        "alphabet",
        "arch",
        "feature_mean",
        "feature_std",
        "quantization",
        "valid_cer",
        "trained",
    ):
        check(k in md, f"{os.path.basename(path)}: metadata has {k}")
    check(md["format"] == "inkjot-model" and md["version"] == "1", "format/version")
    check(md["quantization"] == quant, f"quantization = {quant}")
    alpha = json.loads(md["alphabet"])
    arch = json.loads(md["arch"])
    check(
        alpha[0] == "" and all(isinstance(c, str) and len(c) == 1 for c in alpha[1:]),
        "alphabet: blank first, then chars",
    )
    dim = len(feature_names)
    check(arch["type"] == "bi-qrnn" and arch["input_dim"] == dim, "arch")
    check(md.get("feature_names") == ",".join(feature_names), "feature_names of the train files")
    check(len(json.loads(md["feature_mean"])) == dim == len(json.loads(md["feature_std"])), "feature mean/std")
    float(md["valid_cer"])
    L, H, K, C = arch["layers"], arch["hidden"], arch["kernel"], len(alpha)
    expected = {}
    for l in range(L):
        d_in = dim if l == 0 else 2 * H
        for d in ("fwd", "bwd"):
            expected[f"qrnn.{l}.{d}.weight"] = (3 * H, K * d_in)
            expected[f"qrnn.{l}.{d}.bias"] = (3 * H,)
    expected["out.weight"] = (C, 2 * H)
    expected["out.bias"] = (C,)
    names = set()
    for name, shape in expected.items():
        if name.endswith(".weight") and quant != "none":
            q, s = t[name + "_q"], t[name + "_scale"]
            check(
                q.dtype == np.int8 and q.shape == shape and np.abs(q.astype(int)).max() <= 127, f"{name}_q I8 {shape}"
            )
            check(s.dtype == np.float32 and s.shape == (shape[0],) and np.all(s > 0), f"{name}_scale F32 [{shape[0]}]")
            names |= {name + "_q", name + "_scale"}
        else:
            check(t[name].dtype == np.float32 and t[name].shape == shape, f"{name} F32 {shape}")
            names.add(name)
    check(set(t) == names, "no unexpected tensors")
    return t, md


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", help="work in this directory and keep it")
    a = ap.parse_args()
    torch.set_num_threads(2)

    work = a.keep or tempfile.mkdtemp(prefix="inkjot-smoke-")
    os.makedirs(work, exist_ok=True)
    try:
        tr, va = os.path.join(work, "train.safetensors"), os.path.join(work, "valid.safetensors")
        tr2 = os.path.join(work, "train_aug1.safetensors")
        run("-m", "inkjot_train.synth", "--out", tr, "-n", "1200", "--seed", "1")
        run("-m", "inkjot_train.synth", "--out", tr2, "-n", "1200", "--seed", "11")
        run("-m", "inkjot_train.synth", "--out", va, "-n", "150", "--seed", "2")
        common = [
            "train.py",
            "--train",
            f"{tr},{tr2}",
            "--valid",
            va,
            "--layers",
            "2",
            "--hidden",
            "16",
            "--max-tokens",
            "1024",
            "--max-batch",
            "64",
            "--warmup-steps",
            "5",
            "--lr",
            "3e-3",
            "--epochs",
            "3",
            "--log-seconds",
            "1000",
            "--threads",
            "2",
            "--valid-subset",
            "100",
        ]
        models = os.path.join(work, "models")
        # A: straight run of 50 steps (crosses into the 2nd epoch / 2nd train file), exports
        out_a = run(
            *common,
            "--run-dir",
            os.path.join(work, "runA"),
            "--max-steps",
            "50",
            "--export-dir",
            models,
            "--name",
            "smoke",
            "--keep-epochs",
            "1",
        )
        check("exported" in out_a, "training run A finished and exported")
        # B: 20 steps, then resume to 50: must reproduce A
        run(*common, "--run-dir", os.path.join(work, "runB"), "--max-steps", "20", "--no-export")
        out_b = run(*common, "--run-dir", os.path.join(work, "runB"), "--max-steps", "50", "--no-export", "--resume")
        check("resuming from" in out_b, "resume picked up the checkpoint")
        ca = torch.load(os.path.join(work, "runA", "last.pt"), weights_only=False)
        cb = torch.load(os.path.join(work, "runB", "last.pt"), weights_only=False)
        check(ca["state"]["global_step"] == cb["state"]["global_step"] == 50, "both runs at step 50")
        diff = max((ca["model"][k] - cb["model"][k]).abs().max().item() for k in ca["model"])
        check(diff < 1e-4, f"resumed run reproduces the straight run (max weight diff {diff:.1e})")
        # --keep-epochs kept the weights at the end of epoch 1; average.py averages them with step 50
        ep1 = os.path.join(work, "runA", "epoch-001.pt")
        check(os.path.exists(ep1), "--keep-epochs kept epoch-001.pt")
        avg = os.path.join(work, "avg.pt")
        out_avg = run("average.py", "--out", avg, ep1, os.path.join(work, "runA", "last.pt"), "--valid", va)
        c1 = torch.load(ep1, weights_only=False)
        cavg = torch.load(avg, weights_only=False)
        worst_avg = max(
            (cavg["model"][k] - (ca["model"][k] + c1["model"][k]) / 2).abs().max().item()
            for k in ca["model"]
            if ca["model"][k].is_floating_point()
        )
        moved = max((ca["model"][k] - c1["model"][k]).abs().max().item() for k in ca["model"])
        check(
            moved > 0 and worst_avg < 1e-6 and sum("all: CER" in line for line in out_avg.splitlines()) == 3,
            f"average.py writes the mean of the weights ({worst_avg:.1e}) and evaluates all three",
        )
        # C: --init-from starts a new run (fresh step count) from A's weights and fine-tunes them
        out_c = run(
            *common,
            "--run-dir",
            os.path.join(work, "runC"),
            "--max-steps",
            "5",
            "--no-export",
            "--init-from",
            os.path.join(work, "runA", "last.pt"),
        )
        cc = torch.load(os.path.join(work, "runC", "last.pt"), weights_only=False)
        moved_c = max((cc["model"][k] - ca["model"][k]).abs().max().item() for k in ca["model"])
        check(
            "initializing from" in out_c and cc["state"]["global_step"] == 5 and 0 < moved_c < 0.5,
            f"--init-from: run C fine-tuned run A's weights for 5 steps (max change {moved_c:.2e})",
        )
        loss = ca["state"].get("train_loss_ema")
        check(
            loss is not None and np.isfinite(loss) and not ca["state"].get("nonfinite_steps"),
            f"finite training loss ({loss:.3f})",
        )

        f32, i8 = os.path.join(models, "smoke.safetensors"), os.path.join(models, "smoke-int8.safetensors")
        names = load_inkset(tr).feature_names
        t32, md32 = check_model_file(f32, "none", names)
        t8, md8 = check_model_file(i8, "int8-per-channel", names)
        bad = []
        for k, w in t32.items():
            if k.endswith(".weight"):
                s = np.abs(w).max(axis=1) / 127.0
                q = np.clip(np.round(w / s[:, None]), -127, 127).astype(np.int8)
                if not (np.allclose(t8[k + "_scale"], s, rtol=1e-6) and np.array_equal(q, t8[k + "_q"])):
                    bad.append(k)
                if not np.array_equal(t32[k.replace(".weight", ".bias")], t8[k.replace(".weight", ".bias")]):
                    bad.append(k + " bias")
        check(not bad, f"int8: scale = max|w_row|/127, q = round(w/scale), biases f32 {bad}")

        # the contract-only NumPy reference must reproduce the PyTorch model
        inks = load_inkset(va)
        m32, alpha, _ = load_model(f32)
        m8, _, _ = load_model(i8)
        worst32 = worst8 = 0.0
        for i in range(5):
            x = torch.from_numpy(inks.ink(i).copy())
            with torch.no_grad():
                lt = m32.double()(x.double()[:, None], torch.tensor([len(x)]))[:, 0].numpy()
                l8 = m8.double()(x.double()[:, None], torch.tensor([len(x)]))[:, 0].numpy()
            worst32 = max(worst32, np.abs(reference.forward(t32, md32, inks.ink(i)) - lt).max())
            worst8 = max(worst8, np.abs(reference.forward(t8, md8, inks.ink(i)) - l8).max())
        check(
            worst32 < 1e-9 and worst8 < 1e-9,
            f"NumPy contract reference == PyTorch (f32 {worst32:.1e}, int8 {worst8:.1e})",
        )

        # golden files
        gdir = os.path.join(work, "golden")
        run("export_golden.py", "--model", f32, "--data", va, "--n", "4", "--out-dir", gdir)
        gp = os.path.join(gdir, "smoke.safetensors")
        g = load_file(gp)
        with safe_open(gp, framework="numpy") as fh:
            gmd = fh.metadata()
        ids = json.loads(gmd["ids"])
        check(len(ids) == 4 and len(json.loads(gmd["labels"])) == 4, "golden metadata ids/labels")
        gerr = 0.0
        for j in range(4):
            fj, lj, qj = g[f"features_{j}"], g[f"logprobs_{j}"], g[f"logprobs_int8_{j}"]
            check(
                fj.shape[1] == len(names) and lj.shape == (fj.shape[0], len(alpha)) == qj.shape,
                f"golden {j} shapes {fj.shape} {lj.shape}",
            )
            gerr = max(
                gerr,
                np.abs(reference.forward(t32, md32, fj) - lj).max(),
                np.abs(reference.forward(t8, md8, fj) - qj).max(),
            )
        check(gerr < 1e-5, f"golden logprobs match the NumPy reference (max diff {gerr:.1e})")

        # widen.py: the exported model over a larger alphabet, then a run starting from it
        alpha_path, bases_path = os.path.join(work, "alphabet.json"), os.path.join(work, "bases.json")
        with open(alpha_path, "w", encoding="utf-8") as f:
            json.dump(list(alpha) + ["é", "€"], f)
        with open(bases_path, "w", encoding="utf-8") as f:
            json.dump({"é": "e", "€": "C"}, f)
        wide = os.path.join(work, "widened.pt")
        widen_args = ["--alphabet", alpha_path, "--bases", bases_path, "--features", tr, "--out", wide]
        run("widen.py", "--model", f32, *widen_args)
        out_d = run(
            *common,
            "--run-dir",
            os.path.join(work, "runD"),
            "--max-steps",
            "5",
            "--init-from",
            wide,
            "--export-dir",
            models,
            "--name",
            "smoke-wide",
        )
        _, md_wide = check_model_file(os.path.join(models, "smoke-wide-int8.safetensors"), "int8-per-channel", names)
        check(
            "exported" in out_d and json.loads(md_wide["alphabet"]) == list(alpha) + ["é", "€"],
            "widen.py + --init-from: trained and exported over the widened alphabet",
        )

        out = run("eval.py", "--model", i8, "--data", va, "--examples", "2")
        check("CER" in out, "eval.py runs on the int8 model")
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"smoke test passed in {time.time() - T0:.1f}s")


if __name__ == "__main__":
    main()
