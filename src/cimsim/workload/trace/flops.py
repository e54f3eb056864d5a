"""A FLOP counter that cannot be fooled: ``FlopCounterMode`` with its blind spots closed.

Plain ``torch.utils.flop_counter.FlopCounterMode`` on CPU counts 0 for a
oneDNN-fused ``nn.LSTM`` / ``nn.GRU`` (one ``mkldnn_rnn`` op it has no formula
for), counts CPU flash attention from its own formula and has no formula for
``aten.mv``, ``aten.addmv``, ``aten.dot``, ``aten.vdot``, ``aten.addbmm`` and
``aten._trilinear`` (``nn.Bilinear``), nor for the in-place forms ``addmm_``, ``baddbmm_``,
``addbmm_`` and ``addmv_`` (each its own overload packet; the ``out=`` forms are overloads of
the plain packets and are counted). :func:`count_macs`
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

    def addmm(bias, a, b, *args, out_shape=None, **kwargs):  # also baddbmm: b x m x k x n
        return 2 * math.prod(a) * b[-1]

    def trilinear(i1, i2, i3, expand1, expand2, expand3, sumdim, *args, out_shape=None, **kwargs):
        # sum over ``sumdim`` of i1 * i2 * i3, each unsqueezed at its expand dims: one product
        # term per element of the broadcast iteration space (nn.Bilinear: batch x out x in1 x in2)
        def unsqueezed(shape, dims):
            shape = list(shape)
            for d in sorted(dims):
                shape.insert(d, 1)
            return shape

        full = [max(a, b, c) for a, b, c in zip(unsqueezed(i1, expand1), unsqueezed(i2, expand2),
                                                unsqueezed(i3, expand3))]
        return 2 * math.prod(full)

    return {aten.mv: mv, aten.addmv: addmv, aten.dot: dot, aten.vdot: dot, aten.addbmm: addbmm,
            aten._trilinear: trilinear,
            # in place (``b.addmm_(x, W)``): the same products, written into ``b``
            aten.addmm_: addmm, aten.baddbmm_: addmm, aten.addbmm_: addbmm, aten.addmv_: addmv}


def count_macs(model, inputs, kwargs=None) -> int:
    """MACs of ``model(*inputs, **kwargs)`` by the hardened FLOP counter (FLOPs / 2)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from .capture import capture_context

    counter = FlopCounterMode(display=False, custom_mapping=extra_formulas(torch))
    with capture_context(torch), counter:
        model(*inputs, **(kwargs or {}))
    return counter.get_total_flops() // 2


def flop_macs(torch, ev) -> int:
    """MACs the (hardened) FLOP counter gives this op: FLOPs / 2; None if it has no formula."""
    from torch.utils.flop_counter import flop_registry, shape_wrapper

    packet = ev.func._overloadpacket
    f = flop_registry.get(packet)
    if f is None and packet in extra_formulas(torch):
        f = shape_wrapper(extra_formulas(torch)[packet])
    if f is None:
        return None
    try:
        return int(f(*ev.args, out_val=ev.out, **ev.kwargs)) // 2
    except Exception:  # a formula that cannot read these arguments: no MACs known
        return None
