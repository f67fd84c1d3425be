#!/usr/bin/env python3
"""The shipped model's training recipe, end to end: featurize, stages 1-4, averages, export.

  python3 training/recipe.py                    # the full recipe (~7.5 h on 2 idle CPU cores)
  python3 training/recipe.py --from-stage 3     # go on from stage 3 (earlier outputs in place)
  python3 training/recipe.py --dry-run          # print the commands only
  python3 training/recipe.py --smoke            # tiny: 200 inks per file, 1 epoch per stage (CI)

Paths are relative to the repository: data from ../shared/data/unipen, features in data-cache/,
runs in training/runs/, the final model in training/runs/export/ (--export-dir models to replace
the shipped files). Every stage is a plain train.py / average.py / export.py command, printed before
it runs and logged to <runs>/<stage>.log. See training/README.md for what each stage does and how
its epoch count maps to the wall-clock budgets the shipped model was trained with.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
AUG_SEEDS = range(1, 40)  # augmented copies featurized; the stages use a growing prefix of them


@dataclass(frozen=True)
class Stage:
    """One training stage: a new run (or a resumed one) on the clean file + augmented copies 1..aug."""

    number: int
    name: str  # run name: training/runs/<name>/
    aug: int  # augmented copies 1..aug
    epochs: int  # epochs the cosine spans (full recipe)
    args: tuple[str, ...]  # further train.py options
    smoke_epochs: int = 1
    average: bool = False  # average the last kept epoch checkpoints afterwards


STAGES = (
    # stage 1: clean + 6 augmented copies, Adam 2e-3, cosine over 33 epochs (90 min on 2 cores)
    Stage(1, "recognizer", 6, 33, ()),
    # stage 2: resume with 3 more copies; the cosine now spans 86 epochs, so it restarts warm at
    # p = 33/86 (~70% of the peak lr) and decays to 5% (125 more minutes)
    Stage(
        2,
        "recognizer",
        9,
        86,
        ("--resume", "--patience", "30", "--select-metric", "word", "--keep-epochs", "6"),
        smoke_epochs=2,
        average=True,
    ),
    # stage 3: new run from the stage-2 mean, 19 copies, lr 1e-3 over 43 epochs (105 min)
    Stage(
        3,
        "recognizer-v2",
        19,
        43,
        ("--lr", "1e-3", "--no-curriculum", "--patience", "100", "--select-metric", "word", "--keep-epochs", "6"),
        average=True,
    ),
    # stage 4: new run from the stage-3 mean, 39 copies, lr 7e-4 over 49 epochs (110 min)
    Stage(
        4,
        "recognizer-v3",
        39,
        49,
        ("--lr", "7e-4", "--no-curriculum", "--patience", "100", "--select-metric", "word", "--keep-epochs", "6"),
        average=True,
    ),
)
INIT_FROM = {3: "recognizer", 4: "recognizer-v2"}  # stage -> run whose average it starts from


class Recipe:
    """Runs (or prints) the commands of the recipe with the paths chosen on the command line."""

    def __init__(self, a: argparse.Namespace):
        self.a = a
        self.log_dir = a.runs
        self.python = sys.executable

    def run(self, cmd: list[str], log_name: str):
        # shown as run from the repository root (where it runs), to copy and paste
        shown = ["python3" if c == self.python else c.replace(REPO + os.sep, "") for c in cmd]
        print(f"$ {' '.join(shlex.quote(c) for c in shown)}", flush=True)
        if self.a.dry_run:
            return
        os.makedirs(self.log_dir, exist_ok=True)
        log_path = os.path.join(self.log_dir, log_name)
        t0 = time.time()
        with open(log_path, "a") as log:
            r = subprocess.run(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            with open(log_path) as f:
                tail = f.read()[-3000:]
            raise SystemExit(f"{tail}\nfailed ({r.returncode}) after {time.time() - t0:.0f}s; log: {log_path}")
        print(f"  done in {time.time() - t0:.0f}s (log {log_path.replace(REPO + os.sep, '')})", flush=True)

    # ---- paths

    def feature_file(self, seed: int) -> str:
        name = "train.safetensors" if seed == 0 else f"train_aug{seed}.safetensors"
        return os.path.join(self.a.cache, name)

    def valid_file(self) -> str:
        return os.path.join(self.a.cache, "valid.safetensors")

    def run_dir(self, name: str) -> str:
        return os.path.join(self.a.runs, name)

    def average_file(self, name: str) -> str:
        return os.path.join(self.run_dir(name), "avg-last6.pt")

    # ---- steps

    def featurize(self):
        inkjot = os.path.join(REPO, "target", "release", "inkjot")
        if not os.path.exists(inkjot) and not self.a.dry_run:
            self.run(["cargo", "build", "--release", "--bin", "inkjot"], "featurize.log")
        train = os.path.join(self.a.data, "train.jsonl.gz")
        valid = os.path.join(self.a.data, "valid.jsonl.gz")
        limit = ["--max-inks", str(self.a.smoke_inks)] if self.a.smoke else []
        jobs = [(valid, self.valid_file(), [])] + [
            (train, self.feature_file(k), ["--augment", "1", "--seed", str(k)] if k else []) for k in (0, *AUG_SEEDS)
        ]
        os.makedirs(self.a.cache, exist_ok=True)
        for src, out, extra in jobs:
            if os.path.exists(out) and not self.a.smoke:
                continue  # featurizing is deterministic: an existing file is the same file
            self.run([inkjot, "featurize", src, *extra, *limit, "--out", out], "featurize.log")

    def stage(self, s: Stage):
        files = ",".join(self.feature_file(k) for k in range(s.aug + 1))
        epochs = s.smoke_epochs if self.a.smoke else s.epochs
        cmd = [self.python, os.path.join(HERE, "train.py"), "--train", files, "--valid", self.valid_file()]
        cmd += ["--name", s.name, "--run-dir", self.run_dir(s.name), "--epochs", str(epochs), "--no-export"]
        cmd += ["--threads", str(self.a.threads), *s.args]
        if self.a.smoke:  # a small network and a 100-ink valid subset: the commands, not the model, are tested
            cmd += ["--layers", "2", "--hidden", "32", "--valid-subset", "100"]
        if s.number in INIT_FROM:
            cmd += ["--init-from", self.average_file(INIT_FROM[s.number])]
        self.run(cmd, f"{s.name}.log")
        if s.average:
            run_dir = self.run_dir(s.name)
            kept = sorted(f for f in os.listdir(run_dir) if f.startswith("epoch-")) if not self.a.dry_run else []
            paths = [os.path.join(run_dir, f) for f in kept] or [os.path.join(run_dir, "epoch-*.pt")]
            cmd = [self.python, os.path.join(HERE, "average.py"), "--out", self.average_file(s.name), *paths]
            cmd += ["--valid", self.valid_file(), "--kinds", "word", "--threads", str(self.a.threads)]
            self.run(cmd, f"{s.name}.log")

    def export(self):
        cmd = [self.python, os.path.join(HERE, "export.py"), "--checkpoint", self.average_file(STAGES[-1].name)]
        cmd += ["--name", self.a.name, "--export-dir", self.a.export_dir, "--valid", self.valid_file()]
        cmd += ["--threads", str(self.a.threads)]
        self.run(cmd, "export.log")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(REPO, "..", "shared", "data", "unipen"))
    ap.add_argument("--cache", default=os.path.join(REPO, "data-cache"), help="featurized files")
    ap.add_argument("--runs", default=os.path.join(REPO, "training", "runs"), help="run dirs and logs")
    ap.add_argument("--export-dir", default=os.path.join(REPO, "training", "runs", "export"))
    ap.add_argument("--name", default="recognizer", help="exported model name")
    ap.add_argument("--from-stage", type=int, default=0, choices=range(0, 6), help="0 featurize, 1-4, 5 export")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    ap.add_argument("--smoke", action="store_true", help="tiny run in a temporary directory (CI)")
    ap.add_argument("--smoke-inks", type=int, default=200, help="inks per featurized file with --smoke")
    a = ap.parse_args(argv)
    t0 = time.time()
    tmp = None
    if a.smoke:
        tmp = tempfile.TemporaryDirectory(prefix="inkjot-recipe-")
        a.cache = os.path.join(tmp.name, "data-cache")
        a.runs = os.path.join(tmp.name, "runs")
        a.export_dir = os.path.join(tmp.name, "export")
        a.from_stage = 0
    try:
        recipe = Recipe(a)
        if a.from_stage <= 0:
            recipe.featurize()
        for s in STAGES:
            if a.from_stage <= s.number:
                print(f"== stage {s.number}: {s.name}", flush=True)
                recipe.stage(s)
        recipe.export()
        if a.smoke and not a.dry_run:
            for suffix in ("", "-int8"):
                path = os.path.join(a.export_dir, f"{a.name}{suffix}.safetensors")
                if not os.path.getsize(path):
                    raise SystemExit(f"{path} is empty")
        print(f"recipe {'(smoke) ' if a.smoke else ''}finished in {time.time() - t0:.0f}s", flush=True)
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
