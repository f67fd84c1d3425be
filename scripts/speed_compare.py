#!/usr/bin/env python3
"""Speed of inkjot next to PyTorch and ONNX Runtime on the same words, batch 1, one thread (issue #14).

Takes the first N word records (`kind == "word"`) of DATA and measures, per word:

  inkjot int8 / f32   `inkjot eval --kind word --no-lm --json` on those words: the whole recognition
                      (features of the ink + network + greedy decoding), timed inside the CLI.
  PyTorch f32         the network alone (models/recognizer.safetensors through training/inkjot_train),
                      `torch.set_num_threads(1)`, `torch.inference_mode()`, on the features written by
                      `inkjot featurize` for the same words.
  ORT f32 / int8      the same network exported to ONNX and run by onnxruntime (one intra-op and one
                      inter-op thread, sequential execution); int8 = `quantize_dynamic`: QInt8 weights
                      per output channel (inkjot's int8 scheme), activations quantized on the fly.
                      The fo-pooling scan is a Python time loop, which the exporter unrolls: one graph is
                      exported (and cached) per distinct sequence length.

Feature extraction and decoding are excluded for PyTorch and ORT (network alone) and included for
inkjot. Each Python backend first runs one word of every distinct length untimed (warm-up). It checks
that the greedy texts of every backend agree with PyTorch's and that ORT's log-probabilities match
PyTorch's, then prints a table (ms per word p50 / p90 / mean, ratio to inkjot), the machine and the
commands. Progress goes to stderr, the report to stdout.

Run it on one core (the children inherit the affinity; thread-count variables are set to 1 as well):

    taskset -c 1 python3 scripts/speed_compare.py --n 1000 --inkjot /path/to/target/release/inkjot

Needs torch, safetensors, numpy (training/requirements.txt) and, unless --skip-ort,
`pip install -r scripts/requirements-speed.txt` (onnxruntime, onnx).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import logging
import math
import os
import pathlib
import shlex
import subprocess
import sys
import tempfile
import time
import unicodedata
import warnings

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
THREAD_VARS = ["OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "RAYON_NUM_THREADS"]
REQUIREMENTS = "scripts/requirements-speed.txt"
COMMANDS: list[str] = []  # every external command run, for the report


def log(msg: str) -> None:
    print(f"speed_compare: {msg}", file=sys.stderr, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1000, help="number of words (the first N of DATA)")
    p.add_argument("--data", default=str(ROOT.parent / "shared/data/unipen/valid.jsonl.gz"), help="JSONL(.gz) inks")
    p.add_argument("--model-dir", default=str(ROOT / "models"), help="holds recognizer[-int8].safetensors")
    p.add_argument("--inkjot", default=str(ROOT / "target/release/inkjot"), help="release inkjot binary")
    p.add_argument("--skip-ort", action="store_true", help="leave out ONNX Runtime")
    return p.parse_args(argv)


def one_thread_env() -> None:
    """Thread-count variables to 1 here (before torch is imported) and so in every child."""
    for var in THREAD_VARS:
        os.environ[var] = "1"


def require_ort():
    """The onnx and onnxruntime modules, or exit with the line to install them."""
    try:
        import onnx
        import onnxruntime
    except ImportError as e:
        sys.exit(f"speed_compare: {e.name} is missing: pip install -r {REQUIREMENTS} (or pass --skip-ort)")
    return onnx, onnxruntime


# ---------------------------------------------------------------------------------------- data


def write_words(data: str, n: int, out: pathlib.Path) -> list[str]:
    """The first n word records of data, written to out as JSONL; their ids."""
    opener = gzip.open if data.endswith(".gz") else open
    ids = []
    with opener(data, "rt", encoding="utf-8") as src, open(out, "w", encoding="utf-8") as dst:
        for line in src:
            rec = json.loads(line)
            if rec.get("kind") != "word" or rec.get("label") is None:
                continue
            dst.write(line if line.endswith("\n") else line + "\n")
            ids.append(rec["id"])
            if len(ids) == n:
                break
    if len(ids) < n:
        log(f"only {len(ids)} words in {data}")
    return ids


def run_cmd(cmd: list[str]) -> str:
    COMMANDS.append(shlex.join(cmd))
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"speed_compare: {shlex.join(cmd)} failed ({res.returncode}):\n{res.stderr.strip()}")
    return res.stdout


# ---------------------------------------------------------------------------------------- inkjot


def inkjot_latency(binary: str, words: pathlib.Path, model: pathlib.Path, n: int) -> dict:
    """p50 / p90 / p99 / max ms per word of the whole recognition, as `inkjot eval` measures it."""
    cmd = [binary, "eval", str(words), "--kind", "word", "--no-lm", "--model", str(model), "--limit", str(n)]
    report = json.loads(run_cmd(cmd + ["--json"]).strip().splitlines()[-1])
    lat = report["latency_ms"]
    # eval reports percentiles, no mean
    return {"p50": lat["p50"], "p90": lat["p90"], "mean": None, "n": report["inks"], "cer": report["cer"]}


def inkjot_texts(binary: str, words: pathlib.Path, model: pathlib.Path) -> dict[str, str]:
    """id -> greedy text of each word, read as one line (as `eval` does)."""
    cmd = [binary, "recognize", str(words), "--no-lm", "--single-line", "--nbest", "1", "--model", str(model)]
    out = {}
    for line in run_cmd(cmd).splitlines():
        rec = json.loads(line)
        cands = rec.get("candidates") or [{"text": ""}]
        out[rec["id"]] = cands[0]["text"]
    return out


def featurize(binary: str, words: pathlib.Path, out: pathlib.Path):
    from inkjot_train.data import load_inkset

    run_cmd([binary, "featurize", str(words), "--out", str(out)])
    return load_inkset(str(out))


# ---------------------------------------------------------------------------------------- timing


def summarize(ms: list[float]) -> dict:
    """p50 / p90 with the rule inkjot eval uses (rank (n-1)p rounded half away from zero, as Rust's
    f64::round; Python's round() goes to even), and the mean."""
    s = sorted(ms)

    def pct(p):
        return s[math.floor((len(s) - 1) * p + 0.5)]

    return {"p50": pct(0.5), "p90": pct(0.9), "mean": float(np.mean(s)), "n": len(s)}


def warm_up_order(lengths: list[int]) -> list[int]:
    """Index of the first word of each distinct length."""
    first: dict[int, int] = {}
    for i, t in enumerate(lengths):
        first.setdefault(t, i)
    return sorted(first.values())


def time_each(run_one, n: int, lengths: list[int]) -> tuple[list, list[float]]:
    """Outputs and ms of run_one(i) for i < n, after one untimed run per distinct length."""
    for i in warm_up_order(lengths):
        run_one(i)
    outs, ms = [], []
    for i in range(n):
        t0 = time.perf_counter()
        y = run_one(i)
        ms.append((time.perf_counter() - t0) * 1e3)
        outs.append(y)
    return outs, ms


def greedy(logp: np.ndarray, alphabet: list[str]) -> str:
    """Best-path CTC decoding of [T, C] log-probabilities (class 0 = blank)."""
    best = logp.argmax(axis=-1)
    out, prev = [], 0
    for k in best.tolist():
        if k != prev and k != 0:
            out.append(alphabet[k])
        prev = k
    return "".join(out)


def same_text(a: str, b: str) -> bool:
    return unicodedata.normalize("NFC", a.strip()) == unicodedata.normalize("NFC", b.strip())


# ---------------------------------------------------------------------------------------- PyTorch


def word_inputs(inks) -> list[np.ndarray]:
    """[T, 1, D] float32 features of each word (time-major, batch 1)."""
    o = inks.offsets
    return [np.ascontiguousarray(inks.features[o[i] : o[i + 1]][:, None, :]) for i in range(len(o) - 1)]


def run_torch(model, xs: list[np.ndarray]) -> tuple[list[np.ndarray], list[float]]:
    import torch

    tx = [torch.from_numpy(x) for x in xs]
    tl = [torch.tensor([x.shape[0]]) for x in xs]

    def one(i):
        return model(tx[i], tl[i])

    with torch.inference_mode():
        outs, ms = time_each(one, len(xs), [x.shape[0] for x in xs])
    return [y[:, 0].numpy() for y in outs], ms


# ---------------------------------------------------------------------------------------- ONNX Runtime


@contextlib.contextmanager
def functional_fo_pool():
    """The training scan writes its steps in place into an empty tensor, which tracing does not
    carry into ONNX; the plain reference scan (the same arithmetic, a list of steps) exports."""
    from inkjot_train import model as qrnn

    saved = qrnn.fo_pool
    qrnn.fo_pool = qrnn.fo_pool_reference
    try:
        yield
    finally:
        qrnn.fo_pool = saved


def export_graphs(model, lengths: list[int], folder: pathlib.Path) -> dict[int, pathlib.Path]:
    """One ONNX graph per distinct sequence length (the fo-pooling loop is unrolled by tracing)."""
    import torch

    paths = {}
    for t in sorted(set(lengths)):
        path = folder / f"qrnn_T{t}.onnx"
        if not path.exists():
            x = torch.zeros(t, 1, model.arch["input_dim"])
            with warnings.catch_warnings(), functional_fo_pool():
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    model,
                    (x, torch.tensor([t])),
                    str(path),
                    input_names=["x", "lengths"],
                    output_names=["logp"],
                    opset_version=17,
                    dynamo=False,
                )
        paths[t] = path
    return paths


def quantize_graphs(paths: dict[int, pathlib.Path]) -> dict[int, pathlib.Path]:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(logging.ERROR)  # one "consider pre-processing" warning per graph
    out = {}
    for t, path in paths.items():
        q = path.with_name(path.stem + "_int8.onnx")
        if not q.exists():
            quantize_dynamic(str(path), str(q), weight_type=QuantType.QInt8, per_channel=True)
        out[t] = q
    return out


def ort_sessions(ort, paths: dict[int, pathlib.Path]) -> dict:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return {t: ort.InferenceSession(str(p), opts, providers=["CPUExecutionProvider"]) for t, p in paths.items()}


def run_ort(sessions: dict, xs: list[np.ndarray]) -> tuple[list[np.ndarray], list[float]]:
    feeds = [{"x": x, "lengths": np.array([x.shape[0]], dtype=np.int64)} for x in xs]
    sess = [sessions[x.shape[0]] for x in xs]

    def one(i):
        return sess[i].run(None, feeds[i])[0]

    outs, ms = time_each(one, len(xs), [x.shape[0] for x in xs])
    return [y[:, 0] for y in outs], ms


def ort_backends(model, xs: list[np.ndarray], folder: pathlib.Path) -> dict[str, tuple]:
    """ORT f32 and int8 runs: name -> (log-probs, ms); int8 left out (with a message) if it fails."""
    _, ort = require_ort()
    lengths = [x.shape[0] for x in xs]
    t0 = time.perf_counter()
    graphs = export_graphs(model, lengths, folder)
    log(f"exported {len(graphs)} ONNX graphs (one per length) in {time.perf_counter() - t0:.1f} s")
    results = {"ORT f32": run_ort(ort_sessions(ort, graphs), xs)}
    log("ORT f32 done")
    try:
        qgraphs = quantize_graphs(graphs)
        results["ORT int8"] = run_ort(ort_sessions(ort, qgraphs), xs)
        log("ORT int8 done")
    except Exception as e:  # report it and go on without int8
        log(f"ORT int8 failed: {type(e).__name__}: {e}")
    return results


# ---------------------------------------------------------------------------------------- report


def machine() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        return "unknown (no lscpu)"
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def agreement(texts: list[str], ref: list[str]) -> str:
    same = sum(same_text(a, b) for a, b in zip(texts, ref, strict=True))
    return f"{same}/{len(ref)}"


def fmt(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def ratio(v, ref) -> str:
    return "n/a" if v is None or ref is None else f"{v / ref:.2f}x"


def print_table(rows: list[dict], ref: dict) -> None:
    head = ["backend", "measures", "p50 ms", "p90 ms", "mean ms", "p50 / inkjot int8", "p90 / inkjot int8", "agree"]
    lines = [head]
    for r in rows:
        s = r["stats"]
        lines.append(
            [
                r["name"],
                r["what"],
                fmt(s["p50"]),
                fmt(s["p90"]),
                fmt(s["mean"]),
                ratio(s["p50"], ref["p50"]),
                ratio(s["p90"], ref["p90"]),
                r["agree"],
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in lines[1:]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |")


def print_report(args, rows: list[dict], notes: list[str]) -> None:
    ref = next(r["stats"] for r in rows if r["name"] == "inkjot int8")
    print(f"words: first {rows[0]['stats']['n']} `kind == word` records of {args.data}; batch 1, one thread")
    print(f"machine: {machine()}; {os.cpu_count()} CPUs visible, affinity {sorted(os.sched_getaffinity(0))}")
    print()
    print_table(rows, ref)
    print()
    print("inkjot = whole recognition per word (features + int8/f32 network + greedy decoding), timed by")
    print("`inkjot eval` (it reports percentiles, no mean). PyTorch / ORT = the network alone on inkjot's")
    print("features (feature extraction and decoding excluded). agree = greedy text equal to PyTorch's.")
    for note in notes:
        print(note)
    print()
    print("commands:")
    print("  " + shlex.join([sys.executable, *sys.argv]))
    for c in COMMANDS:
        print("  " + c)


# ---------------------------------------------------------------------------------------- main


def measure(args, tmp: pathlib.Path) -> tuple[list[dict], list[str]]:
    import torch

    from inkjot_train.modelio import load_model

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    model_dir = pathlib.Path(args.model_dir)
    f32, i8 = model_dir / "recognizer.safetensors", model_dir / "recognizer-int8.safetensors"
    words = tmp / "words.jsonl"
    ids = write_words(args.data, args.n, words)
    n = len(ids)
    log(f"{n} words -> {words}")

    rows = []
    for name, path in (("inkjot int8", i8), ("inkjot f32", f32)):
        log(f"{name}: inkjot eval")
        stats = inkjot_latency(args.inkjot, words, path, n)
        texts = inkjot_texts(args.inkjot, words, path)
        rows.append({"name": name, "what": "features+net+greedy", "stats": stats, "texts": [texts[i] for i in ids]})

    inks = featurize(args.inkjot, words, tmp / "features.safetensors")
    if list(inks.ids) != ids:
        sys.exit("speed_compare: featurize wrote other inks than the words asked for")
    xs = word_inputs(inks)
    model, alphabet, _ = load_model(str(f32))
    log("PyTorch")
    ref_logp, ms = run_torch(model, xs)
    ref_texts = [greedy(y, alphabet) for y in ref_logp]
    rows.append({"name": "PyTorch f32", "what": "network", "stats": summarize(ms), "texts": ref_texts})

    notes = [f"torch {torch.__version__}"]
    if not args.skip_ort:
        import onnxruntime

        notes.append(f"onnxruntime {onnxruntime.__version__}; int8 = quantize_dynamic, QInt8 weights per channel")
        notes.append("ONNX: one graph per distinct sequence length")
        notes[-1] += f" ({len(set(x.shape[0] for x in xs))} graphs, exported by tracing, loop unrolled)"
        for name, (logp, ms) in ort_backends(model, xs, tmp).items():
            diff = max(float(np.abs(a - b).max()) for a, b in zip(logp, ref_logp, strict=True))
            notes.append(f"{name}: max |log-prob - PyTorch| over all words and frames = {diff:.3g}")
            texts = [greedy(y, alphabet) for y in logp]
            rows.append({"name": name, "what": "network", "stats": summarize(ms), "texts": texts})
    for r in rows:
        r["agree"] = agreement(r["texts"], ref_texts)
    return rows, notes


def main(argv=None) -> None:
    args = parse_args(argv)
    one_thread_env()
    if not args.skip_ort:
        require_ort()
    if not os.access(args.inkjot, os.X_OK):
        sys.exit(f"speed_compare: no inkjot binary at {args.inkjot} (cargo build --release, or pass --inkjot)")
    sys.path.insert(0, str(ROOT / "training"))
    with tempfile.TemporaryDirectory(prefix="speed_compare_") as tmp:
        rows, notes = measure(args, pathlib.Path(tmp))
    print_report(args, rows, notes)


if __name__ == "__main__":
    main()
