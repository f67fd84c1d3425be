"""The PyTorch model against the contract-only NumPy reference, and the int8 export."""

import numpy as np
import torch

from inkjot_train import reference
from inkjot_train.model import BiQRNN, count_parameters, fo_pool, fo_pool_reference
from inkjot_train.modelio import load_model, quantize_rows, save_model
from inkjot_train.synth import make_synthetic

D = 11


def small_model(input_dim=D, seed=0):
    torch.manual_seed(seed)
    m = BiQRNN(7, 3, 8, 3, input_dim=input_dim, dropout=0.0).eval()
    m.set_normalization(torch.rand(input_dim) - 0.5, torch.rand(input_dim) + 0.5)
    return m


def test_fo_pool_gradient_and_forward():
    torch.manual_seed(0)
    z = torch.randn(9, 3, 5, dtype=torch.double).tanh().requires_grad_()
    f = torch.randn(9, 3, 5, dtype=torch.double).sigmoid().requires_grad_()
    assert torch.autograd.gradcheck(fo_pool, (z, f))
    assert torch.allclose(fo_pool(z, f), fo_pool_reference(z, f))


def test_padding_does_not_leak_across_the_batch():
    m = small_model().double()
    lens = [5, 11, 1, 8]
    xs = [torch.randn(n, D, dtype=torch.double) for n in lens]
    x = torch.full((max(lens), len(lens), D), 77.0, dtype=torch.double)
    for i, xi in enumerate(xs):
        x[: len(xi), i] = xi
    batched = m(x, torch.tensor(lens))
    for i, xi in enumerate(xs):
        alone = m(xi[:, None], torch.tensor([len(xi)]))[:, 0]
        assert (alone - batched[: len(xi), i]).abs().max().item() < 1e-10


def test_widened_model_computes_what_the_narrow_one_did():
    narrow = small_model(D - 1).double()
    wide = BiQRNN(7, 3, 8, 3, input_dim=D, dropout=0.0).double().eval()
    wide.load_widened(narrow.state_dict())
    x = torch.randn(12, 2, D, dtype=torch.double)
    lens = torch.tensor([12, 7])
    assert (narrow(x, lens) - wide(x, lens)).abs().max().item() < 1e-12


def test_parameter_count():
    m = small_model()
    assert sum(p.numel() for p in m.parameters()) == count_parameters(3, 8, 3, 7, D)


def test_reference_equals_model_on_exported_files(tmp_path):
    m = small_model()
    alphabet = ["", "a", "b", "c", "d", "e", "f"]
    inks = make_synthetic(4, seed=9)
    for quant, name in (("none", "m.safetensors"), ("int8-per-channel", "m-int8.safetensors")):
        path = str(tmp_path / name)
        save_model(m, alphabet, path, quant, 0.5, "test", {"feature_names": ",".join(inks.feature_names)})
        loaded, alpha, meta = load_model(path)
        assert alpha == alphabet and meta["quantization"] == quant
        tensors, meta = reference.load_exported(path)
        loaded = loaded.double()
        for i in range(len(inks)):
            x = inks.ink(i)
            with torch.no_grad():
                lp = loaded(torch.from_numpy(x).double()[:, None], torch.tensor([len(x)]))[:, 0].numpy()
            assert np.abs(reference.forward(tensors, meta, x) - lp).max() < 1e-9


def test_int8_round_trip_within_half_a_step(tmp_path):
    m = small_model()
    path = str(tmp_path / "m-int8.safetensors")
    save_model(m, [""] + list("abcdef"), path, "int8-per-channel")
    tensors, _ = reference.load_exported(path)
    for name, w in m.export_state().items():
        if not name.endswith(".weight"):
            assert np.array_equal(tensors[name], w.numpy())  # biases stay f32
            continue
        q, scale = tensors[name + "_q"], tensors[name + "_scale"]
        assert q.dtype == np.int8 and np.abs(q.astype(int)).max() == 127  # each row's largest |w| -> 127
        err = np.abs(q.astype(np.float32) * scale[:, None] - w.numpy())
        assert np.all(err <= scale[:, None] / 2 + 1e-7)


def test_all_zero_row_gets_scale_one():
    q, scale = quantize_rows(torch.tensor([[0.0, 0.0], [0.5, -1.0]]))
    assert scale[0].item() == 1.0 and abs(scale[1].item() - 1.0 / 127.0) < 1e-9
    assert q.tolist() == [[0, 0], [64, -127]]
