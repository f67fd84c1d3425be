"""A few optimizer steps in-process: config.json, checkpoints, the step-based lr, feature checks."""

import dataclasses

import numpy as np
import pytest
import torch

from inkjot_train.config import TrainConfig
from inkjot_train.data import load_inkset, save_inkset
from inkjot_train.schedule import CosineSchedule
from inkjot_train.trainer import train


def tiny(train_file, valid_file, run_dir, **kw):
    values = dict(
        train=(train_file,),
        valid=valid_file,
        layers=1,
        hidden=8,
        steps=12,
        warmup_steps=4,
        max_tokens=512,
        max_batch=32,
        valid_subset=20,
        run_dir=str(run_dir),
        export=False,
        log_seconds=1000.0,
    )
    values.update(kw)
    return TrainConfig(**values)


def test_run_writes_config_and_follows_the_step_schedule(synthetic_files, tmp_path):
    cfg = tiny(*synthetic_files, tmp_path / "run")
    assert train(cfg, "test") == 0
    assert TrainConfig.load_json(str(tmp_path / "run" / "config.json")) == cfg
    ck = torch.load(tmp_path / "run" / "last.pt", weights_only=False)
    assert ck["state"]["global_step"] == 12
    assert TrainConfig.from_dict(ck["config"]) == cfg
    assert ck["feature_names"] == list(load_inkset(synthetic_files[0]).feature_names)
    # the lr of the last step (index 11) is the schedule's value there, whatever the elapsed time
    expected = cfg.lr * CosineSchedule(12, 4, cfg.min_lr_ratio).factor(11)
    assert ck["optimizer"]["param_groups"][0]["lr"] == pytest.approx(expected)


def test_same_config_same_weights(synthetic_files, tmp_path):
    a = tiny(*synthetic_files, tmp_path / "a", steps=6)
    b = dataclasses.replace(a, run_dir=str(tmp_path / "b"), max_minutes=500.0)  # a safety limit only
    train(a)
    train(b)
    wa = torch.load(tmp_path / "a" / "last.pt", weights_only=False)["model"]
    wb = torch.load(tmp_path / "b" / "last.pt", weights_only=False)["model"]
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def test_valid_file_with_other_features_is_refused(synthetic_files, tmp_path):
    inks = load_inkset(synthetic_files[1])
    other = dataclasses.replace(inks, feature_names=tuple(reversed(inks.feature_names)))
    path = str(tmp_path / "other.safetensors")
    save_inkset(path, other)
    with pytest.raises(ValueError, match="differ from the first train file"):
        train(tiny(synthetic_files[0], path, tmp_path / "run"))


def test_init_from_checks_the_features_it_read(synthetic_files, tmp_path):
    train(tiny(*synthetic_files, tmp_path / "base", steps=2))
    ck = torch.load(tmp_path / "base" / "last.pt", weights_only=False)
    ck["feature_names"] = ["q"] + ck["feature_names"][1:]
    bad = str(tmp_path / "renamed.pt")
    torch.save(ck, bad)
    with pytest.raises(ValueError, match="read features"):
        train(tiny(*synthetic_files, tmp_path / "ft", steps=2, init_from=bad))
    # the genuine checkpoint fine-tunes: a fresh step count from its weights
    good = str(tmp_path / "base" / "last.pt")
    train(tiny(*synthetic_files, tmp_path / "ft2", steps=2, init_from=good))
    ft = torch.load(tmp_path / "ft2" / "last.pt", weights_only=False)
    assert ft["state"]["global_step"] == 2
    base = torch.load(good, weights_only=False)["model"]
    moved = max((ft["model"][k] - base[k]).abs().max().item() for k in base)
    assert 0 < moved < 0.5 and np.isfinite(moved)
