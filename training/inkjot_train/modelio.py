"""Exported model files (contract with the Rust inference code).

f32 file:   qrnn.{l}.{fwd|bwd}.weight [3H, K*D_in], qrnn.{l}.{fwd|bwd}.bias [3H],
            out.weight [C, 2H], out.bias [C]  (all F32)
int8 file:  every `X.weight` is replaced by `X.weight_q` (I8, same shape) and
            `X.weight_scale` (F32 [rows]); symmetric per output channel (row):
            scale = max|w_row| / 127, q = clip(round(w / scale), -127, 127); biases stay F32.
            A row that is all zero gets scale 1.0 (q = 0).
metadata:   format=inkjot-model, version=1, alphabet (JSON list, [0] = "" = CTC blank),
            arch (JSON {type, layers, hidden, kernel, input_dim}), feature_mean / feature_std
            (JSON lists of input_dim floats), quantization (none | int8-per-channel), valid_cer, trained;
            extra (not read by the Rust code): feature_names (comma list of the input_dim features
            read, from the training files), valid_cer_word, valid_wer_word, valid_n.
"""

from __future__ import annotations

import json
import os

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from .model import BiQRNN

MODEL_FORMAT = "inkjot-model"


def f32_json_list(values) -> list[float]:
    """Shortest decimal that round-trips each value as f32."""
    return [float(str(np.float32(v))) for v in np.asarray(values, dtype=np.float32)]


def quantize_rows(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    w = w.detach().float().cpu()
    amax = w.abs().amax(dim=1)
    scale = torch.where(amax > 0, amax / 127.0, torch.ones_like(amax))
    q = torch.round(w / scale[:, None]).clamp_(-127, 127).to(torch.int8)
    return q.contiguous(), scale.contiguous()


def dequantize_rows(q: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return q.float() * scale.float()[:, None]


def build_metadata(model: BiQRNN, alphabet, quantization: str, valid_cer, trained: str, extra=None) -> dict[str, str]:
    meta = {
        "format": MODEL_FORMAT,
        "version": "1",
        "alphabet": json.dumps(list(alphabet), ensure_ascii=False),
        "arch": json.dumps(model.arch),
        "feature_mean": json.dumps(f32_json_list(model.feature_mean.cpu().numpy())),
        "feature_std": json.dumps(f32_json_list(model.feature_std.cpu().numpy())),
        "quantization": quantization,
        "valid_cer": "nan" if valid_cer is None else f"{float(valid_cer):.6f}",
        "trained": trained,
    }
    if extra:
        meta.update({k: str(v) for k, v in extra.items()})
    return meta


def int8_tensors(model: BiQRNN) -> dict[str, torch.Tensor]:
    out = {}
    for name, t in model.export_state().items():
        if name.endswith(".weight"):
            q, s = quantize_rows(t)
            out[name + "_q"] = q
            out[name + "_scale"] = s
        else:
            out[name] = t
    return out


def save_model(model: BiQRNN, alphabet, path: str, quantization: str = "none", valid_cer=None, trained="", extra=None):
    """Write `model` as an f32 (quantization "none") or int8 ("int8-per-channel") model file."""
    if quantization == "none":
        tensors = model.export_state()
    elif quantization == "int8-per-channel":
        tensors = int8_tensors(model)
    else:
        raise ValueError(quantization)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    save_file(tensors, tmp, metadata=build_metadata(model, alphabet, quantization, valid_cer, trained, extra))
    os.replace(tmp, path)
    return path


def read_metadata(path: str) -> dict[str, str]:
    with safe_open(path, framework="pt") as f:
        return dict(f.metadata() or {})


def load_model(path: str, dequantize: bool = True) -> tuple[BiQRNN, list[str], dict[str, str]]:
    """Load an exported f32 or int8 file into a BiQRNN (int8 weights are dequantized)."""
    meta = read_metadata(path)
    if meta.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path}: not an {MODEL_FORMAT} file (format={meta.get('format')!r})")
    arch = json.loads(meta["arch"])
    if arch.get("type") != "bi-qrnn":
        raise ValueError(f"{path}: unsupported arch {arch}")
    alphabet = json.loads(meta["alphabet"])
    model = BiQRNN(
        len(alphabet), arch["layers"], arch["hidden"], arch["kernel"], input_dim=arch["input_dim"], dropout=0.0
    )
    model.set_normalization(json.loads(meta["feature_mean"]), json.loads(meta["feature_std"]))
    t = load_file(path)
    if meta.get("quantization", "none") == "int8-per-channel":
        deq = {}
        for k, v in t.items():
            if k.endswith(".weight_q"):
                base = k[: -len("_q")]
                deq[base] = dequantize_rows(v, t[base + "_scale"])
            elif not k.endswith(".weight_scale"):
                deq[k] = v
        t = deq
    model.load_export_state(t)
    model.eval()
    return model, alphabet, meta


def quantized_copy(model: BiQRNN) -> BiQRNN:
    """A copy of `model` whose weight matrices are replaced by their int8 dequantized values."""
    import copy

    m = copy.deepcopy(model).float()
    st = {}
    for k, v in m.export_state().items():
        st[k] = dequantize_rows(*quantize_rows(v)) if k.endswith(".weight") else v
    m.load_export_state(st)
    return m


def describe_file(path: str) -> str:
    t = load_file(path)
    n = sum(v.numel() for v in t.values())
    return f"{path}: {os.path.getsize(path):,} bytes, {len(t)} tensors, {n:,} values"
