"""scripts/speed_compare.py: its greedy decoding, percentiles, and the ONNX export it times (checked
with onnx's reference evaluator, so no onnxruntime is needed; skipped without the onnx package)."""

import numpy as np
import pytest
import torch

from inkjot_train.model import BiQRNN


@pytest.fixture(scope="module")
def sc(load_script):
    return load_script("scripts/speed_compare.py")


def test_greedy_collapses_repeats_and_drops_blanks(sc):
    path = [1, 1, 0, 1, 2, 2, 0, 0, 3]
    logp = np.log(np.eye(4, dtype=np.float32)[path] + 1e-6)
    assert sc.greedy(logp, ["", "a", "b", "c"]) == "aabc"


def test_summarize_uses_the_nearest_rank_of_inkjot_eval(sc):
    s = sc.summarize([float(v) for v in range(10, 0, -1)])
    assert (s["p50"], s["p90"], s["mean"], s["n"]) == (6.0, 9.0, 5.5, 10)


def test_onnx_graph_computes_what_the_model_does(sc, tmp_path):
    pytest.importorskip("onnx")
    from onnx.reference import ReferenceEvaluator

    torch.manual_seed(0)
    model = BiQRNN(5, 2, 4, 2, input_dim=3, dropout=0.0).eval()
    x = torch.randn(6, 1, 3)
    paths = sc.export_graphs(model, [6], tmp_path)
    got = ReferenceEvaluator(str(paths[6])).run(None, {"x": x.numpy(), "lengths": np.array([6], dtype=np.int64)})[0]
    with torch.inference_mode():
        want = model(x, torch.tensor([6])).numpy()
    np.testing.assert_allclose(got, want, atol=1e-5)
