"""Widening the output layer to the multilingual alphabet: old classes unchanged, new ones from
their base letter, the widened model reads what the old one read, and training starts from it."""

import dataclasses
import json
import os
import subprocess
import unicodedata

import numpy as np
import pytest
import torch
from conftest import INKJOT_BIN
from test_trainer import tiny

from inkjot_train.alphabet import check_alphabet, init_checkpoint, widen, widened_alphabet
from inkjot_train.data import load_inkset, save_inkset
from inkjot_train.model import BiQRNN
from inkjot_train.trainer import train

OLD = ["", "a", "e", "o", "C"]
TARGET = ["", "a", "é", "e", "€", "ø", "Ω"]
BASES = {"é": "e", "€": "C", "ø": "o"}


def model():
    torch.manual_seed(0)
    m = BiQRNN(len(OLD), 1, 8, 2, input_dim=11, dropout=0.0)
    m.set_normalization(np.zeros(11), np.ones(11))
    return m.eval()


def test_new_classes_are_appended_and_start_from_their_base():
    new = widened_alphabet(OLD, TARGET)
    assert new == OLD + ["é", "€", "ø", "Ω"]
    old_model = model()
    wide = widen(old_model, OLD, new, BASES, margin=3.0)
    w, b = wide.out.weight.detach(), wide.out.bias.detach()
    w0, b0 = old_model.out.weight.detach(), old_model.out.bias.detach()
    assert torch.equal(w[:5], w0) and torch.equal(b[:5], b0)
    assert torch.equal(w[5], w0[2]) and b[5] == pytest.approx(float(b0[2]) - 3.0)  # é from e
    assert torch.equal(w[6], w0[4])  # € from C
    assert b[8] < b0[1:].mean() - 5.0  # Ω: no base, far below
    # Same hidden layers; the old classes' log-probabilities move by one constant per frame.
    x = torch.randn(30, 2, 11) * 3
    lengths = torch.tensor([30, 30])
    with torch.no_grad():
        lp0, lp = old_model(x, lengths), wide(x, lengths)
    shift = lp[..., :5] - lp0
    assert torch.allclose(shift, shift[..., :1].expand_as(shift), atol=1e-5)
    assert (shift <= 1e-6).all()
    assert torch.equal(lp.argmax(-1), lp0.argmax(-1))  # reads what it read


def test_the_new_alphabet_must_extend_the_old():
    with pytest.raises(ValueError):
        widen(model(), OLD, ["", "e", "a"], BASES)
    with pytest.raises(ValueError):
        check_alphabet(["", "e\u0301"])  # decomposed é is not NFC
    with pytest.raises(ValueError):
        check_alphabet(["", "a", "a"])


def test_training_starts_from_the_widened_checkpoint(synthetic_files, tmp_path):
    train_file, valid_file = synthetic_files
    inks = load_inkset(train_file)
    # Some labels gain accents: "e" -> "é" (classes the old model lacked).
    labels = [s.replace("e", "é") if i % 2 else s for i, s in enumerate(inks.labels)]
    relabelled = dataclasses.replace(inks, labels=labels)
    path = str(tmp_path / "accents.safetensors")
    save_inkset(path, relabelled)
    base = tiny(train_file, valid_file, tmp_path / "base", steps=4)
    train(base)
    ck = torch.load(tmp_path / "base" / "last.pt", weights_only=False)
    old = ck["alphabet"]
    m = BiQRNN(len(old), 1, 8, 2, input_dim=11, dropout=0.0)
    m.load_state_dict(ck["model"])
    new = widened_alphabet(old, old + ["é"])
    torch.save(init_checkpoint(widen(m, old, new, {"é": "e"}), new, ck["feature_names"]), tmp_path / "wide.pt")
    cfg = tiny(path, valid_file, tmp_path / "wide", steps=4, init_from=str(tmp_path / "wide.pt"))
    assert train(cfg) == 0
    out = torch.load(tmp_path / "wide" / "last.pt", weights_only=False)
    assert out["alphabet"] == new and out["model"]["out.weight"].shape[0] == len(new)


def test_the_multilingual_alphabet_of_the_cli_is_nfc_and_has_bases():
    if not os.path.exists(INKJOT_BIN):
        pytest.skip(f"{INKJOT_BIN} not built")
    alphabet = json.loads(subprocess.run([INKJOT_BIN, "alphabet"], check=True, capture_output=True).stdout)
    bases = json.loads(subprocess.run([INKJOT_BIN, "alphabet", "--bases"], check=True, capture_output=True).stdout)
    check_alphabet(alphabet)
    beyond = [s for s in alphabet[1:] if not s.isascii()]
    assert len(beyond) >= 130 and set(bases) == set(beyond)
    for s in beyond:
        assert unicodedata.normalize("NFC", s) == s and bases[s].isascii()
    for c in "äöüßàçéèêñœąćęłńóśźżčďěňřšťůžőűăîșțğış€£¥°§«»„“”‘’¿¡–…":
        assert c in alphabet
