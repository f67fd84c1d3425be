"""Training loop: CTC on a bidirectional QRNN, time budget, checkpoints, resume, export."""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shlex
import shutil
import sys
import time
from typing import Dict, List, Optional

import numpy as np
import torch

from .data import (
    InkSet,
    Prepared,
    build_alphabet,
    collate,
    describe_features,
    expand_paths,
    feature_stats,
    load_inkset,
    make_batches,
    prepare,
)
from .metrics import evaluate
from .model import BiQRNN, count_parameters
from .modelio import describe_file, load_model, quantized_copy, save_model

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def log(msg: str):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def fmt_secs(s: float) -> str:
    s = max(0, int(s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        description="Train the inkjot bidirectional QRNN (CTC) on `inkjot featurize` files.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    g = ap.add_argument_group("data")
    g.add_argument("--train", nargs="+", required=True,
                   help="featurize files (globs / comma lists). Epoch e uses file e %% n. The FIRST file "
                        "(put the clean, un-augmented one first) defines alphabet and feature normalization.")
    g.add_argument("--valid", help="featurize file for validation")
    g.add_argument("--valid-subset", type=int, default=2000, help="random valid inks evaluated per epoch (0 = all)")
    g.add_argument("--min-char-count", type=int, default=5, help="alphabet: chars seen at least this often in train")
    g.add_argument("--max-len", type=int, default=1500, help="drop train inks with more curves (0 = no limit)")
    g.add_argument("--max-tokens", type=int, default=2048, help="batch budget: batch_size * padded_len")
    g.add_argument("--max-batch", type=int, default=128, help="max inks per batch")
    g.add_argument("--no-curriculum", dest="curriculum", action="store_false",
                   help="disable: first epoch's batches ordered short to long")
    m = ap.add_argument_group("model")
    m.add_argument("--layers", type=int, default=5)
    m.add_argument("--hidden", type=int, default=96)
    m.add_argument("--kernel", type=int, default=2)
    m.add_argument("--dropout", type=float, default=0.1, help="dropout on each layer's output (training only)")
    m.add_argument("--input-dropout", type=float, default=0.0)
    o = ap.add_argument_group("optimization")
    o.add_argument("--epochs", type=int, default=60, help="max epochs")
    o.add_argument("--max-minutes", type=float, default=0, help="wall-clock budget (0 = none); then export best and exit")
    o.add_argument("--lr", type=float, default=2e-3)
    o.add_argument("--min-lr-ratio", type=float, default=0.05)
    o.add_argument("--warmup-steps", type=int, default=300)
    o.add_argument("--schedule", choices=["cosine", "plateau"], default="cosine",
                   help="cosine: decays over max(step/total_steps, elapsed/max-minutes); plateau: halve on no improvement")
    o.add_argument("--plateau-patience", type=int, default=2)
    o.add_argument("--weight-decay", type=float, default=0.0)
    o.add_argument("--clip", type=float, default=1.0, help="gradient norm clipping")
    o.add_argument("--patience", type=int, default=8, help="early stop after this many evals without improvement")
    o.add_argument("--select-metric", choices=["all", "word"], default="all", help="valid CER used to pick best")
    o.add_argument("--seed", type=int, default=0)
    o.add_argument("--threads", type=int, default=2)
    o.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (tests)")
    r = ap.add_argument_group("run")
    r.add_argument("--run-dir", default=None, help="checkpoints/logs (default training/runs/<name>)")
    r.add_argument("--name", default="inkjot-qrnn", help="model name for models/<name>.safetensors")
    r.add_argument("--resume", action="store_true", help="continue from <run-dir>/last.pt")
    r.add_argument("--init-from", default=None,
                   help="start a new run from this checkpoint's weights, alphabet and normalization "
                        "(fine-tuning; features it did not read get zero weights and fresh statistics)")
    r.add_argument("--checkpoint-minutes", type=float, default=10.0)
    r.add_argument("--keep-epochs", type=int, default=0,
                   help="also keep the weights at the end of the last N epochs as epoch-<e>.pt (for average.py)")
    r.add_argument("--log-seconds", type=float, default=30.0)
    r.add_argument("--export-dir", default=os.path.join(REPO_ROOT, "models"))
    r.add_argument("--no-export", action="store_true")
    r.add_argument("--trained", default="", help="description stored in the exported metadata")
    return ap


class TrainSets:
    """Loads/caches prepared train files; epoch e uses file e % n."""

    def __init__(self, paths: List[str], alphabet, max_len: int):
        self.paths = paths
        self.alphabet = alphabet
        self.max_len = max_len
        self.cache: Dict[str, Prepared] = {}

    def get(self, path: str, inks: Optional[InkSet] = None) -> Prepared:
        if path not in self.cache:
            t0 = time.time()
            inks = inks if inks is not None else load_inkset(path)
            prep = prepare(inks, self.alphabet, self.max_len)
            log(f"train file {path}: {prep.report()} ({time.time() - t0:.1f}s)")
            self.cache[path] = prep
        return self.cache[path]

    def for_epoch(self, epoch: int) -> Prepared:
        return self.get(self.paths[epoch % len(self.paths)])


def atomic_save(obj, path: str):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def adopt_arch(args, arch: dict, source: str):
    """Take layers/hidden/kernel from a checkpoint's arch, warning about command-line values it overrides."""
    for k in ("layers", "hidden", "kernel"):
        if getattr(args, k) != arch[k]:
            log(f"warning: --{k} {getattr(args, k)} ignored, {source} has {arch[k]}")
            setattr(args, k, arch[k])


def lr_factor(args, step: int, total_steps: int, train_secs: float, plateau_factor: float) -> float:
    warm = min(1.0, (step + 1) / max(1, args.warmup_steps))
    if args.schedule == "plateau":
        return warm * plateau_factor
    p = step / max(1, total_steps)
    if args.max_minutes > 0:
        p = max(p, train_secs / (args.max_minutes * 60.0))
    p = min(1.0, p)
    cos = args.min_lr_ratio + (1 - args.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * p))
    return warm * cos


def main(argv=None):
    args = build_parser().parse_args(argv)
    t_start = time.time()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(args.seed)
    run_dir = args.run_dir or os.path.join(REPO_ROOT, "training", "runs", args.name)
    os.makedirs(run_dir, exist_ok=True)
    last_path = os.path.join(run_dir, "last.pt")
    best_path = os.path.join(run_dir, "best.pt")
    command = "python3 training/train.py " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    log(f"command: {command}")

    train_paths = expand_paths(args.train)
    log(f"train files ({len(train_paths)}): {', '.join(train_paths)}")

    ckpt = None
    if args.resume:
        if not os.path.exists(last_path):
            raise SystemExit(f"--resume: {last_path} does not exist")
        ckpt = torch.load(last_path, map_location="cpu", weights_only=False)
        st = ckpt["state"]
        log(f"resuming from {last_path}: epoch {st['epoch'] + 1} batch {st['step_in_epoch']} (global step {st['global_step']})")
        adopt_arch(args, ckpt["arch"], "checkpoint")

    init = None
    if args.init_from:
        if ckpt is not None:
            raise SystemExit("--init-from and --resume exclude each other")
        init = torch.load(args.init_from, map_location="cpu", weights_only=False)
        log(f"initializing from {args.init_from} (reads {init['arch']['input_dim']} features)")
        adopt_arch(args, init["arch"], "--init-from")

    # ---- data, alphabet, normalization (from the first train file)
    first = load_inkset(train_paths[0])
    if ckpt is not None:
        alphabet = ckpt["alphabet"]
    elif init is not None:
        alphabet = init["alphabet"]
    else:
        alphabet = build_alphabet(first.labels, args.min_char_count)
    log(f"alphabet: {len(alphabet) - 1} chars + blank: {''.join(alphabet[1:])!r}")
    sets = TrainSets(train_paths, alphabet, args.max_len)
    sets.get(train_paths[0], first)
    if ckpt is None:
        mean, std = feature_stats(first.features)
        log("train feature statistics (raw):\n" + describe_features(first.features))
    del first

    valid = None
    valid_idx = None
    if args.valid:
        valid = load_inkset(args.valid)
        n_ok = int((valid.lengths > 0).sum())
        oov = sum(1 for s in valid.labels if any(c not in set(alphabet[1:]) for c in s))
        rng = np.random.default_rng(12345)
        cand = np.flatnonzero(valid.lengths > 0)
        if args.valid_subset and args.valid_subset < len(cand):
            valid_idx = np.sort(rng.choice(cand, size=args.valid_subset, replace=False))
        else:
            valid_idx = cand
        log(f"valid {args.valid}: {len(valid)} inks ({n_ok} non-empty, {oov} with chars outside the alphabet "
            f"- kept, they count as errors); evaluating {len(valid_idx)} per epoch")

    # ---- model / optimizer
    C = len(alphabet)
    model = BiQRNN(C, args.layers, args.hidden, args.kernel, dropout=args.dropout, input_dropout=args.input_dropout)
    if ckpt is None:
        model.set_normalization(mean, std)
    if init is not None:
        model.load_widened(init["model"])
    nparam = sum(p.numel() for p in model.parameters())
    assert nparam == count_parameters(args.layers, args.hidden, args.kernel, C)
    log(f"model: bi-QRNN layers={args.layers} hidden={args.hidden} kernel={args.kernel} classes={C} "
        f"params={nparam:,} (int8 ~{nparam / 1e6:.2f} MB)")
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    ctc = torch.nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)

    state = dict(epoch=0, step_in_epoch=0, global_step=0, train_secs=0.0, best_cer=float("inf"), best_epoch=-1,
                 evals_since_best=0, plateau_factor=1.0, plateau_bad=0, history=[], steps_per_epoch=0)
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        state.update(ckpt["state"])
        torch.set_rng_state(ckpt["torch_rng"])
    with open(os.path.join(run_dir, "config.json"), "w") as f:
        json.dump(dict(vars(args), alphabet=alphabet, command=command, train_files=train_paths), f, indent=1)

    def checkpoint(tag=""):
        atomic_save(dict(model=model.state_dict(), optimizer=opt.state_dict(), state=state, alphabet=alphabet,
                         arch=model.arch, args=vars(args), torch_rng=torch.get_rng_state(),
                         norm=dict(mean=model.feature_mean.tolist(), std=model.feature_std.tolist())), last_path)
        log(f"checkpoint saved: {last_path} {tag}")

    def run_eval(label: str) -> Optional[float]:
        if valid is None:
            return None
        t0 = time.time()
        ec, samples = evaluate(model, valid, alphabet, valid_idx, examples=5)
        summ = ec.summary()
        metric = summ.get("cer_word", summ["cer_all"]) if args.select_metric == "word" else summ["cer_all"]
        log(f"valid ({label}, {time.time() - t0:.0f}s): {ec.line()}")
        for i, ref, hyp in samples:
            log(f"   {i:28s} ref={ref[:60]!r} hyp={hyp[:60]!r}")
        state["history"].append(dict(epoch=state["epoch"], step=state["global_step"], train_secs=state["train_secs"], **summ))
        with open(os.path.join(run_dir, "metrics.jsonl"), "a") as f:
            f.write(json.dumps(state["history"][-1]) + "\n")
        if metric < state["best_cer"]:
            state["best_cer"] = metric
            state["best_epoch"] = state["epoch"]
            state["evals_since_best"] = 0
            state["plateau_bad"] = 0
            atomic_save(dict(model=model.state_dict(), alphabet=alphabet, arch=model.arch, valid=summ,
                             epoch=state["epoch"], step=state["global_step"], args=vars(args)), best_path)
            log(f"new best valid CER {metric:.2%} -> {best_path}")
        else:
            state["evals_since_best"] += 1
            state["plateau_bad"] += 1
            if args.schedule == "plateau" and state["plateau_bad"] >= args.plateau_patience:
                state["plateau_factor"] *= 0.5
                state["plateau_bad"] = 0
                log(f"plateau: lr factor -> {state['plateau_factor']}")
        return metric

    # ---- training loop
    budget = args.max_minutes * 60.0 if args.max_minutes > 0 else float("inf")
    session_start = t_start  # loading time counts against the budget
    secs_at_start = state["train_secs"]  # wall-clock budget counts across resumes
    stop_reason = None
    last_ckpt = time.time()
    evaluated_current = False
    model.train()
    while state["epoch"] < args.epochs and stop_reason is None:
        epoch = state["epoch"]
        prep = sets.for_epoch(epoch)
        rng = np.random.default_rng([args.seed, epoch])
        order = "ascending" if (epoch == 0 and args.curriculum) else "shuffle"
        batches = make_batches(prep.lengths, args.max_tokens, args.max_batch, rng, order=order)
        if not state["steps_per_epoch"]:
            state["steps_per_epoch"] = len(batches)
        total_steps = args.epochs * state["steps_per_epoch"]  # schedule length (estimate: epochs vary a bit)
        start_step = state["step_in_epoch"]
        log(f"epoch {epoch + 1}/{args.epochs}: {prep.inks.path} {len(batches)} batches"
            f"{' (curriculum: short first)' if order == 'ascending' else ''}"
            f"{f', resuming at batch {start_step}' if start_step else ''}")
        t_log = time.time()
        win = dict(loss=0.0, chars=0, seqs=0, curves=0, steps=0, t=time.time())
        ep_t0 = time.time()
        for bi in range(start_step, len(batches)):
            b = collate(prep, batches[bi])
            f = lr_factor(args, state["global_step"], total_steps, state["train_secs"], state["plateau_factor"])
            for gparam in opt.param_groups:
                gparam["lr"] = args.lr * f
            lp = model(b.x, b.lengths)
            nchar = int(b.target_lengths.sum())
            loss = ctc(lp, b.targets, b.lengths, b.target_lengths) / nchar
            opt.zero_grad(set_to_none=True)
            loss.backward()
            gn = torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            if torch.isfinite(gn):
                opt.step()
            state["global_step"] += 1
            state["step_in_epoch"] = bi + 1
            state["train_secs"] = secs_at_start + (time.time() - session_start)
            evaluated_current = False
            lval = loss.detach().item()
            if not math.isfinite(lval):
                state["nonfinite_steps"] = state.get("nonfinite_steps", 0) + 1
            else:
                ema = state.get("train_loss_ema")
                state["train_loss_ema"] = lval if ema is None else 0.95 * ema + 0.05 * lval
            win["loss"] += lval * nchar
            win["chars"] += nchar
            win["seqs"] += b.size
            win["curves"] += int(b.lengths.sum())
            win["steps"] += 1
            now = time.time()
            if now - t_log >= args.log_seconds or bi + 1 == len(batches):
                dt = now - win["t"]
                done = bi + 1 - start_step
                eta = (now - ep_t0) / max(1, done) * (len(batches) - bi - 1)
                left = budget - state["train_secs"]
                log(f"ep {epoch + 1} {bi + 1}/{len(batches)} step {state['global_step']} "
                    f"loss/char {win['loss'] / max(1, win['chars']):.4f} lr {args.lr * f:.2e} "
                    f"{win['steps'] / dt:.2f} steps/s {win['seqs'] / dt:.0f} seq/s {win['curves'] / dt:.0f} curves/s "
                    f"epoch ETA {fmt_secs(eta)}" + (f" budget left {fmt_secs(left)}" if budget < float('inf') else ""))
                t_log = now
                win = dict(loss=0.0, chars=0, seqs=0, curves=0, steps=0, t=now)
            if now - last_ckpt >= args.checkpoint_minutes * 60:
                checkpoint("(periodic)")
                last_ckpt = time.time()
            if args.max_steps and state["global_step"] >= args.max_steps:
                stop_reason = f"max steps {args.max_steps}"
                break
            # leave room for the final evaluation/export (~ a minute)
            if state["train_secs"] >= budget - 60:
                stop_reason = f"time budget {args.max_minutes} min"
                break
        if stop_reason is None:
            state["epoch"] += 1
            state["step_in_epoch"] = 0
            run_eval(f"epoch {epoch + 1}")
            evaluated_current = True
            checkpoint(f"(epoch {epoch + 1})")
            if args.keep_epochs > 0:
                keep_epoch_weights(run_dir, epoch + 1, args.keep_epochs)
            last_ckpt = time.time()
            if valid is not None and state["evals_since_best"] >= args.patience:
                stop_reason = f"early stop: no improvement in {args.patience} evals"
    if stop_reason is None:
        stop_reason = f"{args.epochs} epochs done"
    log(f"stopping: {stop_reason}")
    if not evaluated_current:
        run_eval("final")
        checkpoint("(final)")
    log(f"training time {fmt_secs(state['train_secs'])}, best valid CER {state['best_cer']:.2%} (epoch {state['best_epoch']})")

    if not os.path.exists(best_path):  # no valid set: best = last
        atomic_save(dict(model=model.state_dict(), alphabet=alphabet, arch=model.arch, valid={},
                         epoch=state["epoch"], step=state["global_step"], args=vars(args)), best_path)
    if args.no_export:
        return 0
    trained = args.trained or (
        f"inkjot bi-QRNN trained {fmt_secs(state['train_secs'])} ({state['global_step']} steps, "
        f"{state['epoch']} epochs) on {', '.join(os.path.basename(p) for p in train_paths)}; valid "
        f"{os.path.basename(args.valid) if args.valid else '-'}; {command}")
    export_checkpoint(best_path, args.export_dir, args.name, valid=valid, trained=trained)
    log(f"total wall time {fmt_secs(time.time() - t_start)}")
    return 0


def keep_epoch_weights(run_dir: str, epoch: int, keep: int):
    """Copy last.pt to epoch-<epoch>.pt and delete epoch files older than the last `keep`."""
    shutil.copyfile(os.path.join(run_dir, "last.pt"), os.path.join(run_dir, f"epoch-{epoch:03d}.pt"))
    kept = sorted(f for f in os.listdir(run_dir) if re.fullmatch(r"epoch-\d+\.pt", f))
    for old in kept[:-keep]:
        os.remove(os.path.join(run_dir, old))


def model_from_checkpoint(path: str):
    ck = torch.load(path, map_location="cpu", weights_only=False)
    a = ck["arch"]
    model = BiQRNN(len(ck["alphabet"]), a["layers"], a["hidden"], a["kernel"], a["input_dim"], dropout=0.0)
    model.load_state_dict(ck["model"])
    model.eval()
    return model, ck


def export_checkpoint(ckpt_path: str, export_dir: str, name: str, valid: Optional[InkSet] = None,
                      valid_subset: int = 0, trained: str = "") -> List[str]:
    """Write <export_dir>/<name>.safetensors (f32) and <name>-int8.safetensors; CER is measured on
    `valid` (all of it unless valid_subset) for each file."""
    model, ck = model_from_checkpoint(ckpt_path)
    alphabet = ck["alphabet"]
    qmodel = quantized_copy(model)
    cer = {"none": None, "int8-per-channel": None}
    extra = {}
    if valid is not None:
        idx = None
        if valid_subset and valid_subset < len(valid):
            idx = np.sort(np.random.default_rng(12345).choice(len(valid), valid_subset, replace=False))
        for q, m in (("none", model), ("int8-per-channel", qmodel)):
            t0 = time.time()
            ec, _ = evaluate(m, valid, alphabet, idx)
            cer[q] = ec.cer("all")
            extra[q] = {"valid_cer_word": f"{ec.cer('word'):.6f}" if ec.n["word"] else "nan",
                        "valid_wer_word": f"{ec.wer('word'):.6f}" if ec.n["word"] else "nan",
                        "valid_n": str(ec.n["all"])}
            log(f"export eval [{q}] on {ec.n['all']} valid inks ({time.time() - t0:.0f}s): {ec.line()}")
    paths = []
    for q, suffix in (("none", ""), ("int8-per-channel", "-int8")):
        p = os.path.join(export_dir, f"{name}{suffix}.safetensors")
        save_model(model, alphabet, p, q, cer[q], trained, extra.get(q))
        loaded, _, _ = load_model(p)  # sanity: re-load
        paths.append(p)
        log("exported " + describe_file(p))
    nparam = sum(p.numel() for p in model.parameters())
    log(f"parameters: {nparam:,}")
    return paths
