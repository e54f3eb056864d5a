"""A FLOP counter that cannot be fooled: ``FlopCounterMode`` with its blind spots closed.

Plain ``torch.utils.flop_counter.FlopCounterMode`` on CPU counts 0 for a
oneDNN-fused ``nn.LSTM`` / ``nn.GRU`` (one ``mkldnn_rnn`` op it has no formula
for), counts CPU flash attention from its own formula and has no formula for
``aten.mv``, ``aten.addmv``, ``aten.dot`` and ``aten.vdot``. :func:`count_macs`
runs the model with the fused kernels off (:func:`.capture.capture_context`:
the RNN decomposes into ``addmm``, attention into ``bmm`` + softmax) and adds
the missing formulas. It is independent of the tracer's lowering: the tests
hold traced MACs to it.
"""

from __future__ import annotations

import math


def extra_formulas(torch) -> dict:
    """FLOP formulas (2 per MAC) over argument *shapes* for the matrix ops
    ``FlopCounterMode`` does not count (its ``custom_mapping`` convention)."""
    aten = torch.ops.aten

    def mv(a, x, *args, out_shape=None, **kwargs):
        return 2 * a[0] * a[1]

    def addmv(bias, a, x, *args, out_shape=None, **kwargs):
        return 2 * a[0] * a[1]

    def dot(a, b, *args, out_shape=None, **kwargs):
        return 2 * math.prod(a)

    def addbmm(bias, a, b, *args, out_shape=None, **kwargs):
        return 2 * math.prod(a) * b[-1]

    return {aten.mv: mv, aten.addmv: addmv, aten.dot: dot, aten.vdot: dot, aten.addbmm: addbmm}


def count_macs(model, inputs, kwargs=None) -> int:
    """MACs of ``model(*inputs, **kwargs)`` by the hardened FLOP counter (FLOPs / 2)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from .capture import capture_context

    counter = FlopCounterMode(display=False, custom_mapping=extra_formulas(torch))
    with capture_context(torch), counter:
        model(*inputs, **(kwargs or {}))
    return counter.get_total_flops() // 2
