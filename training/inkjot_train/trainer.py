"""Training loop: CTC on a bidirectional QRNN, step-based schedule, checkpoints, resume, export."""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import shutil
import sys
import time
from collections.abc import Sequence

import numpy as np
import torch

from .config import REPO_ROOT, TrainConfig, parse_sample_weights
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
    weighted_positions,
)
from .metrics import evaluate
from .model import BiQRNN, count_parameters
from .modelio import describe_file, load_model, quantized_copy, save_model
from .schedule import CosineSchedule, total_steps_for

__all__ = ["REPO_ROOT", "TrainConfig", "export_checkpoint", "main", "model_from_checkpoint", "train"]


def log(msg: str):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def fmt_secs(s: float) -> str:
    s = max(0, int(s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class TrainSets:
    """Loads/caches prepared train files; epoch e uses file e % n. Every file must have the
    feature names of the first one."""

    def __init__(self, paths: list[str], alphabet, max_len: int, feature_names: tuple[str, ...]):
        self.paths = paths
        self.alphabet = alphabet
        self.max_len = max_len
        self.feature_names = feature_names
        self.cache: dict[str, Prepared] = {}

    def get(self, path: str, inks: InkSet | None = None) -> Prepared:
        if path not in self.cache:
            t0 = time.time()
            inks = inks if inks is not None else load_inkset(path)
            require_features(inks, self.feature_names)
            prep = prepare(inks, self.alphabet, self.max_len)
            log(f"train file {path}: {prep.report()} ({time.time() - t0:.1f}s)")
            self.cache[path] = prep
        return self.cache[path]

    def for_epoch(self, epoch: int) -> Prepared:
        return self.get(self.paths[epoch % len(self.paths)])


def require_features(inks: InkSet, names: Sequence[str]):
    """Raise ValueError unless the file's feature names are exactly `names`."""
    if tuple(inks.feature_names) != tuple(names):
        raise ValueError(
            f"{inks.path}: features {','.join(inks.feature_names)} differ from the first train file's "
            f"{','.join(names)}; featurize all files with the same inkjot"
        )


def require_prefix(read: Sequence[str] | None, input_dim: int, names: Sequence[str], source: str):
    """A checkpoint that read `input_dim` features named `read` (None: not recorded, from before the
    names were kept) can run on files with `names` only if they start with the ones it read."""
    if input_dim > len(names):
        raise ValueError(f"{source} reads {input_dim} features, the train files have only {len(names)}")
    if read is not None and tuple(read) != tuple(names[:input_dim]):
        raise ValueError(
            f"{source} read features {','.join(read)}, the train files start {','.join(names[:input_dim])}"
        )


def atomic_save(obj, path: str):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def adopt_arch(cfg: TrainConfig, arch: dict, source: str) -> TrainConfig:
    """Take layers/hidden/kernel from a checkpoint's arch, warning about command-line values it overrides."""
    for k in ("layers", "hidden", "kernel"):
        if getattr(cfg, k) != arch[k]:
            log(f"warning: --{k} {getattr(cfg, k)} ignored, {source} has {arch[k]}")
    return cfg.with_arch(arch)


def main(argv=None) -> int:
    """train.py: parse the command line once into a TrainConfig and train."""
    cfg = TrainConfig.from_argv(argv)
    args = list(argv) if argv is not None else sys.argv[1:]
    command = "python3 training/train.py " + " ".join(shlex.quote(a) for a in args)
    return train(cfg, command)


def train(cfg: TrainConfig, command: str = "") -> int:
    """Run (or resume) the training `cfg` describes; export the best checkpoint at the end."""
    t_start = time.time()
    torch.set_num_threads(cfg.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(cfg.seed)
    run_dir = cfg.resolved_run_dir()
    os.makedirs(run_dir, exist_ok=True)
    last_path = os.path.join(run_dir, "last.pt")
    best_path = os.path.join(run_dir, "best.pt")
    log(f"command: {command}")

    train_paths = expand_paths(cfg.train)
    log(f"train files ({len(train_paths)}): {', '.join(train_paths)}")

    ckpt = None
    if cfg.resume:
        if not os.path.exists(last_path):
            raise SystemExit(f"--resume: {last_path} does not exist")
        ckpt = torch.load(last_path, map_location="cpu", weights_only=False)
        st = ckpt["state"]
        log(
            f"resuming from {last_path}: epoch {st['epoch'] + 1} batch {st['step_in_epoch']} "
            f"(global step {st['global_step']})"
        )
        cfg = adopt_arch(cfg, ckpt["arch"], "checkpoint")

    init = None
    if cfg.init_from:
        init = torch.load(cfg.init_from, map_location="cpu", weights_only=False)
        log(f"initializing from {cfg.init_from} (reads {init['arch']['input_dim']} features)")
        cfg = adopt_arch(cfg, init["arch"], "--init-from")

    # ---- data, alphabet, feature names and normalization (from the first train file)
    first = load_inkset(train_paths[0])
    feature_names = tuple(first.feature_names)
    log(f"features ({len(feature_names)}, from {train_paths[0]}): {','.join(feature_names)}")
    input_dim = len(feature_names)
    if ckpt is not None:
        alphabet = ckpt["alphabet"]
        input_dim = ckpt["arch"]["input_dim"]
        require_prefix(ckpt.get("feature_names"), input_dim, feature_names, f"checkpoint {last_path}")
    elif init is not None:
        alphabet = init["alphabet"]
        require_prefix(init.get("feature_names"), init["arch"]["input_dim"], feature_names, cfg.init_from)
    else:
        alphabet = build_alphabet(first.labels, cfg.min_char_count)
    log(f"alphabet: {len(alphabet) - 1} chars + blank: {''.join(alphabet[1:])!r}")
    sets = TrainSets(train_paths, alphabet, cfg.max_len, feature_names)
    sets.get(train_paths[0], first)
    if ckpt is None:
        mean, std = feature_stats(first.features)
        log("train feature statistics (raw):\n" + describe_features(first.features, feature_names))
    del first

    valid = None
    valid_idx = None
    if cfg.valid:
        valid = load_inkset(cfg.valid)
        require_features(valid, feature_names)
        n_ok = int((valid.lengths > 0).sum())
        chars = set(alphabet[1:])
        oov = sum(1 for s in valid.labels if any(c not in chars for c in s))
        rng = np.random.default_rng(12345)
        cand = np.flatnonzero(valid.lengths > 0)
        if cfg.valid_subset and cfg.valid_subset < len(cand):
            valid_idx = np.sort(rng.choice(cand, size=cfg.valid_subset, replace=False))
        else:
            valid_idx = cand
        log(
            f"valid {cfg.valid}: {len(valid)} inks ({n_ok} non-empty, {oov} with chars outside the alphabet "
            f"- kept, they count as errors); evaluating {len(valid_idx)} per epoch"
        )

    # ---- model / optimizer
    C = len(alphabet)
    model = BiQRNN(
        C,
        cfg.layers,
        cfg.hidden,
        cfg.kernel,
        input_dim=input_dim,
        dropout=cfg.dropout,
        input_dropout=cfg.input_dropout,
    )
    if ckpt is None:
        model.set_normalization(mean, std)
    if init is not None:
        model.load_widened(init["model"])
    nparam = sum(p.numel() for p in model.parameters())
    if nparam != count_parameters(cfg.layers, cfg.hidden, cfg.kernel, C, input_dim):
        raise RuntimeError(f"parameter count {nparam} differs from count_parameters")
    log(
        f"model: bi-QRNN layers={cfg.layers} hidden={cfg.hidden} kernel={cfg.kernel} inputs={input_dim} "
        f"classes={C} params={nparam:,} (int8 ~{nparam / 1e6:.2f} MB)"
    )
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    ctc = torch.nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)

    state = dict(
        epoch=0,
        step_in_epoch=0,
        global_step=0,
        train_secs=0.0,
        best_cer=float("inf"),
        best_epoch=-1,
        evals_since_best=0,
        plateau_factor=1.0,
        plateau_bad=0,
        history=[],
        steps_per_epoch=0,
    )
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        state.update(ckpt["state"])
        torch.set_rng_state(ckpt["torch_rng"])
    feature_names_read = list(feature_names[:input_dim])
    cfg.save_json(
        os.path.join(run_dir, "config.json"),
        command=command,
        train_files=train_paths,
        feature_names=feature_names_read,
        alphabet=alphabet,
    )

    def checkpoint(tag=""):
        atomic_save(
            dict(
                model=model.state_dict(),
                optimizer=opt.state_dict(),
                state=state,
                alphabet=alphabet,
                feature_names=feature_names_read,
                arch=model.arch,
                config=cfg.to_dict(),
                torch_rng=torch.get_rng_state(),
                norm=dict(mean=model.feature_mean.tolist(), std=model.feature_std.tolist()),
            ),
            last_path,
        )
        log(f"checkpoint saved: {last_path} {tag}")

    def save_best(summ: dict):
        atomic_save(
            dict(
                model=model.state_dict(),
                alphabet=alphabet,
                feature_names=feature_names_read,
                arch=model.arch,
                valid=summ,
                epoch=state["epoch"],
                step=state["global_step"],
                config=cfg.to_dict(),
            ),
            best_path,
        )

    def run_eval(label: str) -> float | None:
        if valid is None:
            return None
        t0 = time.time()
        ec, samples = evaluate(model, valid, alphabet, valid_idx, examples=5)
        summ = ec.summary()
        metric = summ.get("cer_word", summ["cer_all"]) if cfg.select_metric == "word" else summ["cer_all"]
        log(f"valid ({label}, {time.time() - t0:.0f}s): {ec.line()}")
        for i, ref, hyp in samples:
            log(f"   {i:28s} ref={ref[:60]!r} hyp={hyp[:60]!r}")
        state["history"].append(
            dict(epoch=state["epoch"], step=state["global_step"], train_secs=state["train_secs"], **summ)
        )
        with open(os.path.join(run_dir, "metrics.jsonl"), "a") as f:
            f.write(json.dumps(state["history"][-1]) + "\n")
        if metric < state["best_cer"]:
            state["best_cer"] = metric
            state["best_epoch"] = state["epoch"]
            state["evals_since_best"] = 0
            state["plateau_bad"] = 0
            save_best(summ)
            log(f"new best valid CER {metric:.2%} -> {best_path}")
        else:
            state["evals_since_best"] += 1
            state["plateau_bad"] += 1
            if cfg.schedule == "plateau" and state["plateau_bad"] >= cfg.plateau_patience:
                state["plateau_factor"] *= 0.5
                state["plateau_bad"] = 0
                log(f"plateau: lr factor -> {state['plateau_factor']}")
        return metric

    def lr_at(step: int, schedule: CosineSchedule) -> float:
        if cfg.schedule == "plateau":
            return cfg.lr * schedule.warmup(step) * state["plateau_factor"]
        return cfg.lr * schedule.factor(step)

    def done_training() -> bool:
        if cfg.steps:
            return state["global_step"] >= cfg.steps
        return state["epoch"] >= cfg.epochs

    # ---- training loop
    # the wall-clock limit is a safety stop for this invocation only (1 min is kept for the final
    # evaluation/export); it never changes the learning rate, so a resumed run goes on unchanged
    limit = cfg.max_minutes * 60.0 if cfg.max_minutes > 0 else float("inf")
    secs_at_start = state["train_secs"]
    stop_reason = None
    last_ckpt = time.time()
    evaluated_current = False
    sample_weights = parse_sample_weights(cfg.sample_weights)
    if sample_weights:
        log(f"sample weights per epoch: {sample_weights} (other groups 1)")
    model.train()
    while not done_training() and stop_reason is None:
        epoch = state["epoch"]
        prep = sets.for_epoch(epoch)
        rng = np.random.default_rng([cfg.seed, epoch])
        order = "ascending" if (epoch == 0 and cfg.curriculum) else "shuffle"
        drawn = weighted_positions(prep.groups, sample_weights, rng)
        batches = [drawn[b] for b in make_batches(prep.lengths[drawn], cfg.max_tokens, cfg.max_batch, rng, order=order)]
        if not state["steps_per_epoch"]:
            state["steps_per_epoch"] = len(batches)
        schedule = CosineSchedule(
            total_steps_for(cfg.epochs, cfg.steps, state["steps_per_epoch"]), cfg.warmup_steps, cfg.min_lr_ratio
        )
        start_step = state["step_in_epoch"]
        goal = f"step budget {cfg.steps}" if cfg.steps else f"{cfg.epochs} epochs"
        log(
            f"epoch {epoch + 1} ({goal}, schedule over {schedule.total_steps} steps): {prep.inks.path} "
            f"{len(batches)} batches"
            f"{' (curriculum: short first)' if order == 'ascending' else ''}"
            f"{f', resuming at batch {start_step}' if start_step else ''}"
        )
        t_log = time.time()
        win = dict(loss=0.0, chars=0, seqs=0, curves=0, steps=0, t=time.time())
        ep_t0 = time.time()
        for bi in range(start_step, len(batches)):
            b = collate(prep, batches[bi])
            lr = lr_at(state["global_step"], schedule)
            for gparam in opt.param_groups:
                gparam["lr"] = lr
            lp = model(b.x, b.lengths)
            nchar = int(b.target_lengths.sum())
            loss = ctc(lp, b.targets, b.lengths, b.target_lengths) / nchar
            opt.zero_grad(set_to_none=True)
            loss.backward()
            gn = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
            if torch.isfinite(gn):
                opt.step()
            state["global_step"] += 1
            state["step_in_epoch"] = bi + 1
            state["train_secs"] = secs_at_start + (time.time() - t_start)
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
            if now - t_log >= cfg.log_seconds or bi + 1 == len(batches):
                dt = max(1e-9, now - win["t"])
                done = bi + 1 - start_step
                eta = (now - ep_t0) / max(1, done) * (len(batches) - bi - 1)
                left = limit - (now - t_start)
                log(
                    f"ep {epoch + 1} {bi + 1}/{len(batches)} step {state['global_step']} "
                    f"loss/char {win['loss'] / max(1, win['chars']):.4f} lr {lr:.2e} "
                    f"{win['steps'] / dt:.2f} steps/s {win['seqs'] / dt:.0f} seq/s {win['curves'] / dt:.0f} curves/s "
                    f"epoch ETA {fmt_secs(eta)}" + (f" time limit in {fmt_secs(left)}" if limit < float("inf") else "")
                )
                t_log = now
                win = dict(loss=0.0, chars=0, seqs=0, curves=0, steps=0, t=now)
            if now - last_ckpt >= cfg.checkpoint_minutes * 60:
                checkpoint("(periodic)")
                last_ckpt = time.time()
            if cfg.steps and state["global_step"] >= cfg.steps:
                break
            if cfg.max_steps and state["global_step"] >= cfg.max_steps:
                stop_reason = f"max steps {cfg.max_steps}"
                break
            if now - t_start >= limit - 60:
                stop_reason = f"safety stop: wall-clock limit {cfg.max_minutes} min (--resume goes on)"
                break
        if stop_reason is None and state["step_in_epoch"] == len(batches):
            state["epoch"] += 1
            state["step_in_epoch"] = 0
            run_eval(f"epoch {epoch + 1}")
            evaluated_current = True
            checkpoint(f"(epoch {epoch + 1})")
            if cfg.keep_epochs > 0:
                keep_epoch_weights(run_dir, epoch + 1, cfg.keep_epochs)
            last_ckpt = time.time()
            if valid is not None and state["evals_since_best"] >= cfg.patience:
                stop_reason = f"early stop: no improvement in {cfg.patience} evals"
    if stop_reason is None:
        stop_reason = f"step budget {cfg.steps} done" if cfg.steps else f"{cfg.epochs} epochs done"
    log(f"stopping: {stop_reason}")
    if not evaluated_current:
        run_eval("final")
        checkpoint("(final)")
    log(
        f"training time {fmt_secs(state['train_secs'])}, {state['global_step']} steps, "
        f"best valid CER {state['best_cer']:.2%} (epoch {state['best_epoch']})"
    )

    if not os.path.exists(best_path):  # no valid set: best = last
        save_best({})
    if not cfg.export:
        return 0
    trained = cfg.trained or (
        f"inkjot bi-QRNN trained {fmt_secs(state['train_secs'])} ({state['global_step']} steps, "
        f"{state['epoch']} epochs) on {', '.join(os.path.basename(p) for p in train_paths)}; valid "
        f"{os.path.basename(cfg.valid) if cfg.valid else '-'}; {command}"
    )
    export_checkpoint(best_path, cfg.export_dir, cfg.name, valid=valid, trained=trained)
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
    model = BiQRNN(len(ck["alphabet"]), a["layers"], a["hidden"], a["kernel"], input_dim=a["input_dim"], dropout=0.0)
    model.load_state_dict(ck["model"])
    model.eval()
    return model, ck


def export_checkpoint(
    ckpt_path: str, export_dir: str, name: str, valid: InkSet | None = None, valid_subset: int = 0, trained: str = ""
) -> list[str]:
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
            extra[q] = {
                "valid_cer_word": f"{ec.cer('word'):.6f}" if ec.n["word"] else "nan",
                "valid_wer_word": f"{ec.wer('word'):.6f}" if ec.n["word"] else "nan",
                "valid_n": str(ec.n["all"]),
            }
            log(f"export eval [{q}] on {ec.n['all']} valid inks ({time.time() - t0:.0f}s): {ec.line()}")
    names = ck.get("feature_names")
    paths = []
    for q, suffix in (("none", ""), ("int8-per-channel", "-int8")):
        p = os.path.join(export_dir, f"{name}{suffix}.safetensors")
        meta = dict(extra.get(q, {}))
        if names:
            meta["feature_names"] = ",".join(names)
        save_model(model, alphabet, p, q, cer[q], trained, meta)
        loaded, _, _ = load_model(p)  # sanity: re-load
        paths.append(p)
        log("exported " + describe_file(p))
    nparam = sum(p.numel() for p in model.parameters())
    log(f"parameters: {nparam:,}")
    return paths
