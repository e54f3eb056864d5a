"""Reference PyTorch models of the bundled workloads (zoo family ``reference``).

Each factory takes the same keyword parameters as the generator of the same
name in :mod:`cimsim.workload.generators` (defaults: the bundled workload's
parameters) and returns ``(model, args, kwargs)``. Tracing the model gives a
workload with the generator's MAC count and matmul structure
(``cimsim trace --zoo reference -o DIR`` regenerates all five).

torch is imported inside the functions.
"""

from __future__ import annotations

import math

from ..workload.generators import BUNDLED, level_sizes
from ..workload.trace import require_torch
from .registry import register

#: reference model name -> bundled workload it reproduces (traced in encode mode)
REFERENCE_MODELS: tuple[str, ...] = ("lstm", "gru", "hier-attn", "transformer", "tcn")


def params(name: str, overrides: dict) -> dict:
    """The generator parameters reference model ``name`` is built with (bundled size + ``overrides``)."""
    params = dict(BUNDLED[name]["params"])
    unknown = sorted(set(overrides) - set(params) - {"dtype", "schedule", "mode", "partial"})
    if unknown:
        from ..errors import WorkloadError

        raise WorkloadError(f"zoo model '{name}' has no parameter {', '.join(unknown)}; "
                            f"parameters: {', '.join(k for k in params if k not in ('dtype', 'schedule', 'mode'))}")
    params.update(overrides)
    params.pop("dtype", None)
    params.pop("schedule", None)
    params.pop("mode", None)
    return params


@register("lstm", "reference", "stacked nn.LSTM at the bundled lstm workload's size", fake=False)
def lstm(**overrides):
    """Stacked nn.LSTM over ``steps`` (input ``(steps, batch, input_size)``)."""
    torch = require_torch()
    p = params("lstm", overrides)
    torch.manual_seed(0)
    model = torch.nn.LSTM(p["input_size"], p["hidden"], p["layers"]).eval()
    return model, (torch.randn(p["steps"], p["batch"], p["input_size"]),), {}


@register("gru", "reference", "stacked nn.GRU at the bundled gru workload's size", fake=False)
def gru(**overrides):
    """Stacked nn.GRU over ``steps``."""
    torch = require_torch()
    p = params("gru", overrides)
    torch.manual_seed(0)
    model = torch.nn.GRU(p["input_size"], p["hidden"], p["layers"]).eval()
    return model, (torch.randn(p["steps"], p["batch"], p["input_size"]),), {}


def _hier_classes(torch):
    from torch import nn  # (torch is loaded: the caller's require_torch)

    class AttentionModule(nn.Module):
        """Self-attention over each window, then attention pooling to one context vector."""

        def __init__(self, d_model: int, heads: int):
            super().__init__()
            self.heads = heads
            self.q = nn.Linear(d_model, d_model, bias=False)
            self.k = nn.Linear(d_model, d_model, bias=False)
            self.v = nn.Linear(d_model, d_model, bias=False)
            self.o = nn.Linear(d_model, d_model, bias=False)
            self.pool_q = nn.Parameter(torch.randn(d_model) / math.sqrt(d_model))

        def forward(self, x, pad=None):  # x: (batch, windows, n, d) -> (batch, windows, d)
            """``pad``: (windows, n) true at padding vectors, masked out of the keys and the pool."""
            B, W, n, d = x.shape
            h = self.heads

            def split(t):
                return t.view(B, W, n, h, d // h).transpose(2, 3)

            q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
            scores = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(d // h))
            if pad is not None:
                scores = scores.masked_fill(pad[:, None, None, :], float("-inf"))
            y = torch.softmax(scores, dim=-1) @ v
            y = self.o(y.transpose(2, 3).reshape(B, W, n, d))
            logits = y @ self.pool_q
            if pad is not None:
                logits = logits.masked_fill(pad, float("-inf"))
            pool = torch.softmax(logits, dim=-1)
            return (pool.unsqueeze(-2) @ y).squeeze(-2)

    class HierarchicalAttentionEncoder(nn.Module):
        """The seed's hierarchical neural attention encoder (WORKLOADS.md).

        Each level splits its sequence into windows of ``window`` vectors (full
        windows batched; a partial last window padded and masked into that batch, or
        ``partial="separate"``: on its own) and replaces each window by its context
        vector, until one vector remains.
        """

        def __init__(self, d_model: int, heads: int, window: int, levels: int, partial: str = "pad"):
            super().__init__()
            self.window = window
            self.partial = partial
            self.levels = nn.ModuleList(AttentionModule(d_model, heads) for _ in range(levels))

        def forward(self, x):  # x: (batch, N, d) -> (batch, d)
            B, _, d = x.shape
            w = self.window
            for level in self.levels:
                n = x.size(1)
                if n == 1:
                    break
                full, tail = divmod(n, w)
                if tail and full and self.partial == "pad":
                    pad = torch.arange((full + 1) * w, device=x.device).view(full + 1, w) >= n
                    x = nn.functional.pad(x, (0, 0, 0, w - tail))
                    x = level(x.reshape(B, full + 1, w, d), pad)
                    continue
                ctx = []
                if full:
                    ctx.append(level(x[:, : full * w].reshape(B, full, w, d)))
                if tail:
                    ctx.append(level(x[:, full * w:].reshape(B, 1, tail, d)))
                x = torch.cat(ctx, dim=1)
            return x[:, 0]

    return HierarchicalAttentionEncoder


@register("hier-attn", "reference", "the hierarchical attention encoder at the bundled hier-attn size")
def hier_attn(**overrides):
    """The hierarchical attention encoder over ``seq_len`` vectors of width ``d_model``."""
    torch = require_torch()
    partial = overrides.get("partial", "pad")
    p = params("hier-attn", {k: v for k, v in overrides.items() if k != "partial"})
    torch.manual_seed(0)
    cls = _hier_classes(torch)
    levels = len(level_sizes(p["seq_len"], p["window"]))
    model = cls(p["d_model"], p["heads"], p["window"], levels, partial).eval()
    return model, (torch.randn(p["batch"], p["seq_len"], p["d_model"]),), {}


@register("transformer", "reference", "nn.TransformerEncoder at the bundled transformer size")
def transformer(**overrides):
    """nn.TransformerEncoder of post-norm relu layers, in eval mode (torch's fused fast path)."""
    torch = require_torch()
    p = params("transformer", overrides)
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(p["d_model"], p["heads"], p["ffn"], batch_first=True)
    model = torch.nn.TransformerEncoder(layer, p["layers"], enable_nested_tensor=False).eval()
    return model, (torch.randn(p["batch"], p["seq_len"], p["d_model"]),), {}


def _tcn_class(torch):
    from torch import nn  # (torch is loaded: the caller's require_torch)
    F = torch.nn.functional

    class TCN(nn.Module):
        """Causal dilated Conv1d stack (dilation 2^l, relu after each), no biases."""

        def __init__(self, channels: int, kernel: int, layers: int):
            super().__init__()
            self.kernel = kernel
            self.convs = nn.ModuleList(
                nn.Conv1d(channels, channels, kernel, dilation=2**l, bias=False) for l in range(layers))

        def forward(self, x):  # x: (batch, channels, steps)
            for conv in self.convs:
                x = torch.relu(conv(F.pad(x, ((self.kernel - 1) * conv.dilation[0], 0))))
            return x

    return TCN


@register("tcn", "reference", "causal dilated Conv1d stack at the bundled tcn size")
def tcn(**overrides):
    """A TCN over ``steps`` (input ``(batch, channels, steps)``)."""
    torch = require_torch()
    p = params("tcn", overrides)
    torch.manual_seed(0)
    model = _tcn_class(torch)(p["channels"], p["kernel"], p["layers"]).eval()
    return model, (torch.randn(p["batch"], p["channels"], p["steps"]),), {}
