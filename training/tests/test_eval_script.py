"""eval.py refuses a featurize file whose features are not the ones the model was trained on."""

import dataclasses
import importlib.util
import os

import pytest
import torch

from inkjot_train.data import load_inkset, save_inkset
from inkjot_train.model import BiQRNN
from inkjot_train.modelio import save_model

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def eval_main():
    spec = importlib.util.spec_from_file_location("inkjot_eval_script", os.path.join(HERE, "eval.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def test_eval_checks_feature_names(synthetic_files, tmp_path, capsys):
    inks = load_inkset(synthetic_files[1])
    torch.manual_seed(0)
    model = BiQRNN(3, 1, 4, 2, input_dim=inks.feature_dim, dropout=0.0)
    path = str(tmp_path / "m.safetensors")
    save_model(model, ["", "a", "b"], path, extra={"feature_names": ",".join(inks.feature_names)})
    main = eval_main()
    assert main(["--model", path, "--data", synthetic_files[1], "--examples", "0"]) == 0
    assert "CER" in capsys.readouterr().out
    renamed = str(tmp_path / "renamed.safetensors")
    save_inkset(renamed, dataclasses.replace(inks, feature_names=("q",) + inks.feature_names[1:]))
    with pytest.raises(SystemExit, match="reads features"):
        main(["--model", path, "--data", renamed])
