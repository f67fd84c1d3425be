"""eval.py refuses a featurize file whose features are not the ones the model was trained on."""

import dataclasses

import pytest
import torch

from inkjot_train.data import load_inkset, save_inkset
from inkjot_train.model import BiQRNN
from inkjot_train.modelio import save_model


def test_eval_checks_feature_names(synthetic_files, tmp_path, capsys, load_script):
    inks = load_inkset(synthetic_files[1])
    torch.manual_seed(0)
    model = BiQRNN(3, 1, 4, 2, input_dim=inks.feature_dim, dropout=0.0)
    path = str(tmp_path / "m.safetensors")
    save_model(model, ["", "a", "b"], path, extra={"feature_names": ",".join(inks.feature_names)})
    main = load_script("training/eval.py").main
    assert main(["--model", path, "--data", synthetic_files[1], "--examples", "0"]) == 0
    assert "CER" in capsys.readouterr().out
    renamed = str(tmp_path / "renamed.safetensors")
    save_inkset(renamed, dataclasses.replace(inks, feature_names=("q",) + inks.feature_names[1:]))
    with pytest.raises(SystemExit, match="reads features"):
        main(["--model", path, "--data", renamed])
