"""TrainConfig: built from argv once, validated, written as JSON and read back."""

import dataclasses
import json

import pytest

from inkjot_train.config import DEFAULT_EPOCHS, ConfigError, TrainConfig, build_parser


def test_from_argv_reads_every_option():
    cfg = TrainConfig.from_argv(
        ["--train", "a.safetensors", "b*.safetensors", "--valid", "v.safetensors", "--lr", "1e-3", "--steps", "500"]
        + ["--no-curriculum", "--no-export", "--layers", "3", "--select-metric", "word", "--max-minutes", "90"]
    )
    assert cfg.train == ("a.safetensors", "b*.safetensors")
    assert cfg.valid == "v.safetensors"
    assert cfg.lr == 1e-3 and cfg.steps == 500 and cfg.epochs == DEFAULT_EPOCHS
    assert cfg.curriculum is False and cfg.export is False
    assert cfg.layers == 3 and cfg.select_metric == "word" and cfg.max_minutes == 90


def test_parser_and_dataclass_know_the_same_options():
    dests = {a.dest for a in build_parser()._actions if a.dest != "help"}
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    assert dests - {"no_export"} == fields - {"export"}


def test_json_round_trip(tmp_path):
    cfg = TrainConfig.from_argv(["--train", "t.safetensors", "--epochs", "7", "--init-from", "x.pt", "--seed", "3"])
    path = str(tmp_path / "config.json")
    cfg.save_json(path, command="python3 training/train.py ...")
    back = TrainConfig.load_json(path)
    assert back == cfg
    with open(path) as f:
        body = json.load(f)
    assert body["command"].startswith("python3") and body["config"]["epochs"] == 7


def test_unknown_key_is_an_error():
    d = TrainConfig(train=("t",)).to_dict()
    d["learning_rate"] = 1.0
    with pytest.raises(ConfigError, match="learning_rate"):
        TrainConfig.from_dict(d)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(lr=0.0), "lr"),
        (dict(lr=float("nan")), "lr"),
        (dict(min_lr_ratio=1.5), "min_lr_ratio"),
        (dict(dropout=1.0), "dropout"),
        (dict(layers=0), "layers"),
        (dict(epochs=0), "epochs"),
        (dict(steps=-1), "steps"),
        (dict(max_tokens=2.5), "max_tokens"),
        (dict(schedule="linear"), "schedule"),
        (dict(select_metric="text"), "select_metric"),
        (dict(max_minutes=0.5), "max_minutes"),
        (dict(resume=True, init_from="x.pt"), "exclude"),
        (dict(train=()), "train"),
        (dict(name="a/b"), "name"),
        (dict(sample_weights="words=2"), "sample_weights"),
        (dict(sample_weights="word=-1"), "sample_weights"),
        (dict(sample_weights="word=2,word=1"), "sample_weights"),
        (dict(sample_weights="synthetic"), "sample_weights"),
    ],
)
def test_validation_errors(change, message):
    values = dict(train=("t.safetensors",))
    values.update(change)
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**values)


def test_argv_errors_exit_with_usage(capsys):
    with pytest.raises(SystemExit) as e:
        TrainConfig.from_argv(["--train", "t", "--lr", "-1"])
    assert e.value.code == 2
    assert "lr" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        TrainConfig.from_argv(["--train", "t", "--epochs", "3", "--steps", "100"])


def test_with_arch_takes_the_checkpoint_shape():
    cfg = TrainConfig(train=("t",), layers=5, hidden=96, kernel=2)
    adopted = cfg.with_arch(dict(type="bi-qrnn", layers=2, hidden=16, kernel=3, input_dim=11))
    assert (adopted.layers, adopted.hidden, adopted.kernel) == (2, 16, 3)
    assert cfg.layers == 5  # frozen: the original is unchanged
