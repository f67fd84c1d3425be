"""Straight NumPy (float64) implementation of inference from an exported model file, written
from the layout contract only (independent of the PyTorch module). It is what the Rust code
implements; the smoke test checks that both agree.
"""

from __future__ import annotations

import json

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file


def load_exported(path: str):
    with safe_open(path, framework="numpy") as f:
        meta = dict(f.metadata())
    return load_file(path), meta


def _weight(t: dict[str, np.ndarray], name: str) -> np.ndarray:
    if name in t:
        return t[name].astype(np.float64)
    q, s = t[name + "_q"], t[name + "_scale"]
    # dequantize exactly like an f32 implementation would: f32(q) * f32(scale)
    return (q.astype(np.float32) * s.astype(np.float32)[:, None]).astype(np.float64)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def qrnn_direction(x: np.ndarray, W: np.ndarray, b: np.ndarray, K: int, H: int) -> np.ndarray:
    """x [T, D] -> h [T, H]; column k*D + i of W multiplies x_{t-(K-1)+k}[i] (zero before t = 0)."""
    T, D = x.shape
    cols = np.zeros((T, K * D))
    for t in range(T):
        for k in range(K):
            s = t - (K - 1) + k
            if s >= 0:
                cols[t, k * D : (k + 1) * D] = x[s]
    g = cols @ W.T + b
    z, f, o = np.tanh(g[:, :H]), _sigmoid(g[:, H : 2 * H]), _sigmoid(g[:, 2 * H :])
    h = np.zeros((T, H))
    c = np.zeros(H)
    for t in range(T):
        c = f[t] * c + (1.0 - f[t]) * z[t]
        h[t] = o[t] * c
    return h


def forward(t: dict[str, np.ndarray], meta: dict[str, str], feats: np.ndarray) -> np.ndarray:
    """Raw features [T, D] -> log-probabilities [T, C] (float64); the model reads the first
    arch["input_dim"] of the D features."""
    arch = json.loads(meta["arch"])
    L, H, K = arch["layers"], arch["hidden"], arch["kernel"]
    # the JSON decimals are the shortest round-trip strings of f32 values: parse as f32
    mean = np.asarray(json.loads(meta["feature_mean"]), dtype=np.float32).astype(np.float64)
    std = np.asarray(json.loads(meta["feature_std"]), dtype=np.float32).astype(np.float64)
    x = (feats[:, : arch["input_dim"]].astype(np.float64) - mean) / std
    for l in range(L):
        hf = qrnn_direction(x, _weight(t, f"qrnn.{l}.fwd.weight"), t[f"qrnn.{l}.fwd.bias"].astype(np.float64), K, H)
        hb = qrnn_direction(
            x[::-1], _weight(t, f"qrnn.{l}.bwd.weight"), t[f"qrnn.{l}.bwd.bias"].astype(np.float64), K, H
        )[::-1]
        x = np.concatenate([hf, hb], axis=1)
    logits = x @ _weight(t, "out.weight").T + t["out.bias"].astype(np.float64)
    m = logits.max(axis=1, keepdims=True)
    return logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
