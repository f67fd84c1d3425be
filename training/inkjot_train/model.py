"""Bidirectional QRNN (Bradbury et al. 2016) with fo-pooling, CTC output head.

Parameter layout is a contract with the Rust inference code (see training/README.md):

  qrnn.{l}.{fwd|bwd}.weight  [3H, K*D_in]  column k*D_in + i multiplies x_{t-(K-1)+k}[i]
                                           (k = 0 is the oldest tap, taps before t = 0 are 0)
  qrnn.{l}.{fwd|bwd}.bias    [3H]          rows 0..H = z, H..2H = f, 2H..3H = o
  out.weight                 [C, 2H]       layer output channels: fwd 0..H, then bwd H..2H
  out.bias                   [C]

z = tanh, f = sigmoid, o = sigmoid;  c_t = f_t*c_{t-1} + (1-f_t)*z_t, c_{-1} = 0;  h_t = o_t*c_t.
The backward direction runs the same computation on each sequence reversed over its own
length, and its output is reversed back.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# ----------------------------------------------------------------------------------------
# fo-pooling: c_t = f_t * c_{t-1} + b_t  with b_t = (1 - f_t) * z_t, time-major [T, B, C].
# A custom autograd function with explicit forward and backward scans keeps the autograd graph
# to O(1) nodes instead of O(T). Plain Python loops: one addcmul per time step is cheap next to
# the matmuls (TorchScript was tried: it re-specializes for every new sequence length and costs
# seconds per new shape).
# ----------------------------------------------------------------------------------------


def _scan_fwd(f: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    # c[t] = f[t] * c[t-1] + b[t], c[-1] = 0
    c = torch.empty_like(b)
    T = b.size(0)
    if T == 0:
        return c
    c[0] = b[0]
    for t in range(1, T):
        torch.addcmul(b[t], f[t], c[t - 1], out=c[t])
    return c


def _scan_bwd(f: torch.Tensor, gc: torch.Tensor) -> torch.Tensor:
    # g[t] = gc[t] + f[t+1] * g[t+1], g[T-1] = gc[T-1]
    g = torch.empty_like(gc)
    T = gc.size(0)
    if T == 0:
        return g
    g[T - 1] = gc[T - 1]
    for t in range(T - 2, -1, -1):
        torch.addcmul(gc[t], f[t + 1], g[t + 1], out=g[t])
    return g


class _FoScan(torch.autograd.Function):
    @staticmethod
    def forward(ctx, f, b):
        f = f.contiguous()
        b = b.contiguous()
        c = _scan_fwd(f, b)
        ctx.save_for_backward(f, c)
        return c

    @staticmethod
    def backward(ctx, gc):
        f, c = ctx.saved_tensors
        g = _scan_bwd(f, gc.contiguous())
        c_prev = torch.zeros_like(c)
        c_prev[1:] = c[:-1]
        return g * c_prev, g


def fo_pool(z: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """Time-major fo-pooling. z, f: [T, B, C] (already activated). Returns c: [T, B, C]."""
    b = (1.0 - f) * z
    if torch.is_grad_enabled() and (f.requires_grad or b.requires_grad):
        return _FoScan.apply(f, b)
    return _scan_fwd(f.contiguous(), b.contiguous())


def fo_pool_reference(z: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """Plain autograd reference (for tests)."""
    c = torch.zeros_like(z[0])
    out = []
    for t in range(z.size(0)):
        c = f[t] * c + (1 - f[t]) * z[t]
        out.append(c)
    return torch.stack(out)


# ----------------------------------------------------------------------------------------


def reverse_index(lengths: torch.Tensor, T: int) -> torch.Tensor:
    """[T, B] index that reverses each sequence within its own length (padding stays put)."""
    t = torch.arange(T, device=lengths.device).unsqueeze(1)  # [T,1]
    L = lengths.to(t.dtype).unsqueeze(0)  # [1,B]
    return torch.where(t < L, L - 1 - t, t)


def reverse_padded(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """x: [T, B, D] time-major; idx from reverse_index. An involution."""
    return torch.gather(x, 0, idx.unsqueeze(-1).expand_as(x))


def causal_taps(x: torch.Tensor, K: int) -> torch.Tensor:
    """x: [T, B, D] -> [T, B, K*D]; block k holds x_{t-(K-1)+k} (zeros before t = 0)."""
    if K == 1:
        return x
    T = x.size(0)
    xp = F.pad(x, (0, 0, 0, 0, K - 1, 0))  # zero-pad K-1 steps at the start of time
    return torch.cat([xp[k : k + T] for k in range(K)], dim=-1)


class QRNNLayer(nn.Module):
    """One bidirectional QRNN layer. Parameters follow the export contract directly."""

    def __init__(self, input_dim: int, hidden: int, kernel: int):
        super().__init__()
        self.input_dim = input_dim
        self.hidden = hidden
        self.kernel = kernel
        self.fwd = nn.Linear(kernel * input_dim, 3 * hidden)
        self.bwd = nn.Linear(kernel * input_dim, 3 * hidden)
        self.reset_parameters()

    def reset_parameters(self):
        H = self.hidden
        fan_in = self.kernel * self.input_dim
        bound = 1.0 / math.sqrt(fan_in)
        for lin in (self.fwd, self.bwd):
            nn.init.uniform_(lin.weight, -bound, bound)
            nn.init.zeros_(lin.bias)
            with torch.no_grad():
                # positive forget-gate bias: remember more at start of training
                lin.bias[H : 2 * H].fill_(1.0)

    def forward(self, x: torch.Tensor, rev_idx: torch.Tensor) -> torch.Tensor:
        """x: [T, B, D_in] time-major, rev_idx: [T, B]. Returns [T, B, 2H]."""
        H = self.hidden
        xf = causal_taps(x, self.kernel)
        xb = causal_taps(reverse_padded(x, rev_idx), self.kernel)
        gf = self.fwd(xf)  # [T,B,3H]
        gb = self.bwd(xb)
        # run both directions in one scan: channels [fwd H | bwd H]
        z = torch.tanh(torch.cat([gf[..., :H], gb[..., :H]], dim=-1))
        f = torch.sigmoid(torch.cat([gf[..., H : 2 * H], gb[..., H : 2 * H]], dim=-1))
        o = torch.sigmoid(torch.cat([gf[..., 2 * H :], gb[..., 2 * H :]], dim=-1))
        h = o * fo_pool(z, f)  # [T,B,2H]
        hb = reverse_padded(h[..., H:], rev_idx)
        return torch.cat([h[..., :H], hb], dim=-1)


class BiQRNN(nn.Module):
    """The recognizer network: `layers` bidirectional QRNN layers and a linear CTC output layer.
    `input_dim` is the number of features it reads (the first `input_dim` columns of its input)."""

    def __init__(
        self,
        num_classes: int,
        layers: int,
        hidden: int,
        kernel: int,
        *,
        input_dim: int,
        dropout: float = 0.1,
        input_dropout: float = 0.0,
    ):
        super().__init__()
        self.arch = dict(type="bi-qrnn", layers=layers, hidden=hidden, kernel=kernel, input_dim=input_dim)
        self.num_classes = num_classes
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.qrnn = nn.ModuleList(
            [QRNNLayer(input_dim if l == 0 else 2 * hidden, hidden, kernel) for l in range(layers)]
        )
        self.out = nn.Linear(2 * hidden, num_classes)
        self.register_buffer("feature_mean", torch.zeros(input_dim))
        self.register_buffer("feature_std", torch.ones(input_dim))

    def load_widened(self, state: dict[str, torch.Tensor]):
        """Load a state dict of a model with the same layers but fewer input features (a prefix of
        this model's): the extra input columns of layer 0 start at zero, so the widened model
        computes exactly what the old one did until training teaches it to use them. The new
        features' normalization is left as it is (set it before with set_normalization)."""
        old_dim = state["feature_mean"].numel()
        new_dim = self.arch["input_dim"]
        if old_dim > new_dim:
            raise ValueError(f"checkpoint reads {old_dim} features, this model only {new_dim}")
        state = dict(state)
        K = self.arch["kernel"]
        for d in ("fwd", "bwd"):
            key = f"qrnn.0.{d}.weight"
            w = state[key]
            wide = torch.zeros(w.size(0), K * new_dim, dtype=w.dtype)
            for k in range(K):
                wide[:, k * new_dim : k * new_dim + old_dim] = w[:, k * old_dim : (k + 1) * old_dim]
            state[key] = wide
        mean = self.feature_mean.clone()
        std = self.feature_std.clone()
        mean[:old_dim] = state["feature_mean"]
        std[:old_dim] = state["feature_std"]
        state["feature_mean"] = mean
        state["feature_std"] = std
        self.load_state_dict(state)

    def set_normalization(self, mean, std):
        self.feature_mean.copy_(torch.as_tensor(mean, dtype=self.feature_mean.dtype))
        self.feature_std.copy_(torch.as_tensor(std, dtype=self.feature_std.dtype))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """x: [T, B, D] raw features (time-major, zero padded; D >= input_dim, only the first
        input_dim are read, so a model trained on fewer features runs on newer files), lengths: [B].
        Returns log-probabilities [T, B, C]. Outputs at t >= length are garbage."""
        T = x.size(0)
        x = x[..., : self.arch["input_dim"]]
        x = (x - self.feature_mean) / self.feature_std
        if self.training and self.input_dropout > 0:
            x = F.dropout(x, self.input_dropout, True)
        rev = reverse_index(lengths, T)
        for layer in self.qrnn:
            x = layer(x, rev)
            if self.training and self.dropout > 0:
                x = F.dropout(x, self.dropout, True)
        return F.log_softmax(self.out(x), dim=-1)

    def export_state(self) -> dict[str, torch.Tensor]:
        """Tensors with the contract names (f32, contiguous, CPU)."""
        out = {}
        for l, layer in enumerate(self.qrnn):
            for d in ("fwd", "bwd"):
                lin = getattr(layer, d)
                out[f"qrnn.{l}.{d}.weight"] = lin.weight.detach().float().cpu().contiguous()
                out[f"qrnn.{l}.{d}.bias"] = lin.bias.detach().float().cpu().contiguous()
        out["out.weight"] = self.out.weight.detach().float().cpu().contiguous()
        out["out.bias"] = self.out.bias.detach().float().cpu().contiguous()
        return out

    def load_export_state(self, tensors: dict[str, torch.Tensor]):
        with torch.no_grad():
            for l, layer in enumerate(self.qrnn):
                for d in ("fwd", "bwd"):
                    lin = getattr(layer, d)
                    lin.weight.copy_(tensors[f"qrnn.{l}.{d}.weight"])
                    lin.bias.copy_(tensors[f"qrnn.{l}.{d}.bias"])
            self.out.weight.copy_(tensors["out.weight"])
            self.out.bias.copy_(tensors["out.bias"])


def count_parameters(layers: int, hidden: int, kernel: int, num_classes: int, input_dim: int) -> int:
    """Parameter count of a BiQRNN (weights and biases; the normalization buffers excluded)."""
    n = 0
    for l in range(layers):
        d_in = input_dim if l == 0 else 2 * hidden
        n += 2 * (3 * hidden * kernel * d_in + 3 * hidden)
    n += num_classes * 2 * hidden + num_classes
    return n
