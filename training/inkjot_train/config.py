"""The training run's configuration: one validated, immutable dataclass built from argv once.

It is written as `config.json` next to the checkpoints (and stored inside them), so a run can be
repeated exactly: `TrainConfig.load_json(path)` reads it back.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_EPOCHS = 60
SCHEDULES = ("cosine", "plateau")
SELECT_METRICS = ("all", "word")


class ConfigError(ValueError):
    """A configuration value that is out of range or contradicts another one."""


@dataclass(frozen=True)
class TrainConfig:
    """Everything `train.py` needs. Field names are the command-line options with `-` -> `_`."""

    # data
    train: tuple[str, ...]
    valid: str | None = None
    valid_subset: int = 2000
    min_char_count: int = 5
    max_len: int = 1500
    max_tokens: int = 2048
    max_batch: int = 128
    curriculum: bool = True
    sample_weights: str = ""
    # model
    layers: int = 5
    hidden: int = 96
    kernel: int = 2
    dropout: float = 0.1
    input_dropout: float = 0.0
    # optimization: the schedule spans `steps` optimizer steps, or `epochs` epochs when steps is 0
    epochs: int = DEFAULT_EPOCHS
    steps: int = 0
    lr: float = 2e-3
    min_lr_ratio: float = 0.05
    warmup_steps: int = 300
    schedule: str = "cosine"
    plateau_patience: int = 2
    weight_decay: float = 0.0
    clip: float = 1.0
    patience: int = 8
    select_metric: str = "all"
    seed: int = 0
    threads: int = 2
    # stops that do not change the schedule
    max_steps: int = 0
    max_minutes: float = 0.0
    # run
    name: str = "inkjot-qrnn"
    run_dir: str | None = None
    resume: bool = False
    init_from: str | None = None
    checkpoint_minutes: float = 10.0
    keep_epochs: int = 0
    log_seconds: float = 30.0
    export_dir: str = os.path.join(REPO_ROOT, "models")
    export: bool = True
    trained: str = ""

    def __post_init__(self):
        object.__setattr__(self, "train", tuple(self.train))
        self.validate()

    def validate(self):
        """Raise ConfigError for the first value out of range or contradiction found."""
        if not self.train or any(not isinstance(p, str) or not p for p in self.train):
            raise ConfigError("train: give at least one featurize file")
        at_least = {
            "valid_subset": 0,
            "min_char_count": 1,
            "max_len": 0,
            "max_tokens": 1,
            "max_batch": 1,
            "layers": 1,
            "hidden": 1,
            "kernel": 1,
            "epochs": 1,
            "steps": 0,
            "warmup_steps": 0,
            "plateau_patience": 1,
            "patience": 1,
            "threads": 1,
            "max_steps": 0,
            "keep_epochs": 0,
        }
        for key, low in at_least.items():
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"{key}: must be an integer >= {low}, got {value!r}")
        for key in ("lr", "clip", "checkpoint_minutes", "log_seconds"):
            _check_float(key, getattr(self, key), low=0.0, low_open=True)
        for key in ("weight_decay", "max_minutes"):
            _check_float(key, getattr(self, key), low=0.0)
        _check_float("min_lr_ratio", self.min_lr_ratio, low=0.0, high=1.0)
        for key in ("dropout", "input_dropout"):
            _check_float(key, getattr(self, key), low=0.0, high=1.0, high_open=True)
        if self.schedule not in SCHEDULES:
            raise ConfigError(f"schedule: one of {', '.join(SCHEDULES)}, got {self.schedule!r}")
        if self.select_metric not in SELECT_METRICS:
            raise ConfigError(f"select_metric: one of {', '.join(SELECT_METRICS)}, got {self.select_metric!r}")
        if 0 < self.max_minutes <= 1:
            raise ConfigError("max_minutes: 1 minute is kept for the final evaluation/export; give more than 1")
        try:
            parse_sample_weights(self.sample_weights)
        except ValueError as e:
            raise ConfigError(f"sample_weights: {e}") from None
        if self.resume and self.init_from:
            raise ConfigError("resume and init_from exclude each other")
        if not self.name or os.sep in self.name:
            raise ConfigError(f"name: a file name without {os.sep!r}, got {self.name!r}")

    # ---- derived values

    def resolved_run_dir(self) -> str:
        """`run_dir`, or training/runs/<name> in the repository."""
        return self.run_dir or os.path.join(REPO_ROOT, "training", "runs", self.name)

    def with_arch(self, arch: dict[str, Any]) -> TrainConfig:
        """A copy whose layers/hidden/kernel are those of a checkpoint's `arch`."""
        return dataclasses.replace(self, layers=arch["layers"], hidden=arch["hidden"], kernel=arch["kernel"])

    # ---- (de)serialization

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (the train files as a list)."""
        d = dataclasses.asdict(self)
        d["train"] = list(self.train)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """The inverse of to_dict; unknown keys are an error (a typo must not pass silently)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"unknown config keys: {', '.join(unknown)}")
        return cls(**d)

    def save_json(self, path: str, **extra: Any):
        """Write the config (plus `extra` keys such as the command line) as JSON."""
        body = dict(config=self.to_dict(), **extra)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(body, f, indent=1, ensure_ascii=False)
            f.write("\n")
        os.replace(tmp, path)

    @classmethod
    def load_json(cls, path: str) -> TrainConfig:
        """Read a config written by save_json."""
        with open(path) as f:
            body = json.load(f)
        if not isinstance(body, dict) or not isinstance(body.get("config"), dict):
            raise ConfigError(f"{path}: no `config` object")
        return cls.from_dict(body["config"])

    @classmethod
    def from_argv(cls, argv: Sequence[str] | None = None) -> TrainConfig:
        """Parse the command line (sys.argv[1:] by default); exits with a usage error on bad values."""
        parser = build_parser()
        ns = parser.parse_args(argv)
        values = vars(ns)
        if values["steps"] and values["epochs"] is not None:
            parser.error("give --epochs or --steps, not both")
        if values["epochs"] is None:
            values["epochs"] = DEFAULT_EPOCHS
        values["export"] = not values.pop("no_export")
        try:
            return cls(**values)
        except ConfigError as e:
            parser.error(str(e))
            raise  # parser.error exits; this keeps type checkers and readers sure of it


SAMPLE_GROUPS = ("char", "word", "text", "other", "synthetic")


def parse_sample_weights(spec: str) -> dict[str, float]:
    """`group=weight,...` -> {group: weight} (groups of SAMPLE_GROUPS; ValueError when malformed)."""
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        group, sep, value = part.partition("=")
        group = group.strip()
        if not sep or group not in SAMPLE_GROUPS:
            raise ValueError(f"expected group=weight with a group of {', '.join(SAMPLE_GROUPS)}, got {part!r}")
        if group in weights:
            raise ValueError(f"group {group!r} given twice")
        try:
            w = float(value)
        except ValueError:
            raise ValueError(f"weight of {group!r} is not a number: {value!r}") from None
        if not math.isfinite(w) or w < 0:
            raise ValueError(f"weight of {group!r} must be a finite number >= 0, got {value!r}")
        weights[group] = w
    return weights


def _check_float(key, value, low=None, high=None, low_open=False, high_open=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{key}: must be a finite number, got {value!r}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ConfigError(f"{key}: must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ConfigError(f"{key}: must be {'<' if high_open else '<='} {high}, got {value}")


def build_parser() -> argparse.ArgumentParser:
    """The command line of train.py; TrainConfig.from_argv turns its result into a TrainConfig."""
    ap = argparse.ArgumentParser(
        description="Train the inkjot bidirectional QRNN (CTC) on `inkjot featurize` files.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    g = ap.add_argument_group("data")
    g.add_argument(
        "--train",
        nargs="+",
        required=True,
        help="featurize files (globs / comma lists). Epoch e uses file e %% n. The FIRST file "
        "(put the clean, un-augmented one first) defines alphabet, feature names and normalization.",
    )
    g.add_argument("--valid", help="featurize file for validation")
    g.add_argument("--valid-subset", type=int, default=2000, help="random valid inks evaluated per epoch (0 = all)")
    g.add_argument("--min-char-count", type=int, default=5, help="alphabet: chars seen at least this often in train")
    g.add_argument("--max-len", type=int, default=1500, help="drop train inks with more curves (0 = no limit)")
    g.add_argument("--max-tokens", type=int, default=2048, help="batch budget: batch_size * padded_len")
    g.add_argument("--max-batch", type=int, default=128, help="max inks per batch")
    g.add_argument(
        "--no-curriculum",
        dest="curriculum",
        action="store_false",
        help="disable: first epoch's batches ordered short to long",
    )
    g.add_argument(
        "--sample-weights",
        default="",
        help="how often each group of train inks is drawn per epoch, e.g. word=2,synthetic=0.35 "
        "(groups: char, word, text (real UNIPEN inks by category), other, synthetic (ids with "
        "'/synth-'); default 1 each; a weight w draws an ink floor(w) times plus once more with "
        "probability w - floor(w))",
    )
    m = ap.add_argument_group("model")
    m.add_argument("--layers", type=int, default=5)
    m.add_argument("--hidden", type=int, default=96)
    m.add_argument("--kernel", type=int, default=2)
    m.add_argument("--dropout", type=float, default=0.1, help="dropout on each layer's output (training only)")
    m.add_argument("--input-dropout", type=float, default=0.0)
    o = ap.add_argument_group("optimization (the schedule counts optimizer steps, never time)")
    o.add_argument(
        "--epochs",
        type=int,
        default=None,
        help=f"epochs to train; the cosine spans them (epochs x the first epoch's steps) (default {DEFAULT_EPOCHS})",
    )
    o.add_argument("--steps", type=int, default=0, help="instead of --epochs: optimizer steps to train and decay over")
    o.add_argument("--lr", type=float, default=2e-3, help="peak learning rate")
    o.add_argument("--min-lr-ratio", type=float, default=0.05, help="cosine floor, as a fraction of --lr")
    o.add_argument("--warmup-steps", type=int, default=300)
    o.add_argument(
        "--schedule",
        choices=SCHEDULES,
        default="cosine",
        help="cosine: warmup + cosine over the step budget; plateau: halve on no improvement",
    )
    o.add_argument("--plateau-patience", type=int, default=2)
    o.add_argument("--weight-decay", type=float, default=0.0)
    o.add_argument("--clip", type=float, default=1.0, help="gradient norm clipping")
    o.add_argument("--patience", type=int, default=8, help="early stop after this many evals without improvement")
    o.add_argument("--select-metric", choices=SELECT_METRICS, default="all", help="valid CER used to pick best")
    o.add_argument("--seed", type=int, default=0)
    o.add_argument("--threads", type=int, default=2)
    s = ap.add_argument_group("stops (they end a run early without changing its schedule)")
    s.add_argument(
        "--max-steps", type=int, default=0, help="stop at this global step (tests; resume to go on) (0 = none)"
    )
    s.add_argument(
        "--max-minutes",
        type=float,
        default=0,
        help="safety limit on this invocation's wall-clock time: checkpoint, export best, exit; "
        "--resume goes on where it stopped (0 = none)",
    )
    r = ap.add_argument_group("run")
    r.add_argument("--run-dir", default=None, help="checkpoints/logs (default training/runs/<name>)")
    r.add_argument("--name", default="inkjot-qrnn", help="model name for models/<name>.safetensors")
    r.add_argument("--resume", action="store_true", help="continue from <run-dir>/last.pt")
    r.add_argument(
        "--init-from",
        default=None,
        help="start a new run from this checkpoint's weights, alphabet and normalization "
        "(fine-tuning; features it did not read get zero weights and fresh statistics)",
    )
    r.add_argument("--checkpoint-minutes", type=float, default=10.0)
    r.add_argument(
        "--keep-epochs",
        type=int,
        default=0,
        help="also keep the weights at the end of the last N epochs as epoch-<e>.pt (for average.py)",
    )
    r.add_argument("--log-seconds", type=float, default=30.0)
    r.add_argument("--export-dir", default=os.path.join(REPO_ROOT, "models"))
    r.add_argument("--no-export", action="store_true")
    r.add_argument("--trained", default="", help="description stored in the exported metadata")
    return ap
