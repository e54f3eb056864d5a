"""Quantized arithmetic: QAT's fake quantization and ``aten._int_mm`` (int8 x int8 -> int32).

**Fake quantization** (``prepare_qat``: ``_fused_moving_avg_obs_fq_helper``,
``fake_quantize_per_tensor_affine(_cachemask)``, ``fake_quantize_per_channel_affine(_cachemask)``)
rounds a tensor to its quantized grid and back: an elementwise op of
:data:`FAKE_QUANT_OPS_PER_ELEMENT` vector ops per element (divide by the scale, add the zero
point and round, clamp, scale back), :data:`OBSERVER_OPS_PER_ELEMENT` more where the moving
average observer also takes the tensor's min and max. Its outputs are the quantized tensor and
the observer buffers it updates. A fake-quantized *whole weight* is that weight as deployed
(quantized once, stored so): the matmul reading it keeps it stationary, as it would read the
parameter itself, and no op is charged for it. Its element size stays the parameter's (trace
with ``--dtype int8`` for 1 B a weight).

**Bit widths** (find-D 3): the grid's ``quant_min`` / ``quant_max`` say the deployed integer
codes. A weight matmul reading a fake-quantized input (the fake-quant's output itself, not
through another op) is tagged ``input_value_bits: b``, ``b = ceil(log2(max(|qmin|, qmax) + 1))``
(its codes are whole numbers below ``2^b``; ``input_value_signed: 1`` where ``qmin < 0``); one
reading a fake-quantized whole weight is tagged ``weight_value_bits: b``, ``b = ceil(log2(qmax -
qmin + 1))`` bits (a CIM stores it so: :mod:`cimsim.hw.cim.wbits`). The input's fake-quant op
itself stays a vector op (the run's host work; a deployed chip's input quantizer is not
separated out).

``aten._int_mm`` (``torch._int_mm``: the GEMM torchao's int8 dynamic and weight-only
quantization lower to) is an m x k by k x n matmul of int8 operands: m*k*n MACs, the int8
parameter or buffer its stationary weight.
"""

from __future__ import annotations

import math

from .registry import Call, bound_args, lowers

#: vector ops per element of fake quantization: x / scale, + zero point and round, clamp, back
FAKE_QUANT_OPS_PER_ELEMENT = 4.0
#: the moving-average observer's min and max of the tensor, per element (the fused helper)
OBSERVER_OPS_PER_ELEMENT = 2.0
FUSED_FAKE_QUANT = "_fused_moving_avg_obs_fq_helper"


@lowers(FUSED_FAKE_QUANT, "fake_quantize_per_tensor_affine", "fake_quantize_per_tensor_affine_cachemask",
        "_fake_quantize_per_tensor_affine_cachemask_tensor_qparams", "fake_quantize_per_channel_affine",
        "fake_quantize_per_channel_affine_cachemask", "_fake_quantize_learnable_per_tensor_affine",
        "_fake_quantize_learnable_per_channel_affine")
def fake_quant(low, c: Call) -> None:
    x = c.args[0]
    out = _outs(low.ev.out)[0]
    grid = _grid(low, c)
    if _weight_as_deployed(low, x, out):
        if grid is not None:  # the parameter's version: what a matmul reading it reads
            for vid, _ in low.st.pieces(out):
                _bits(low)[("w", vid)] = max(1, math.ceil(math.log2(grid[1] - grid[0] + 1)))
        return
    per = FAKE_QUANT_OPS_PER_ELEMENT + (OBSERVER_OPS_PER_ELEMENT if c.base == FUSED_FAKE_QUANT else 0.0)
    returned = [t for t in c.targets if any(t is o for o in _outs(low.ev.out))]
    targets = returned + [t for t in c.targets if not any(t is r for r in returned)]  # its result first
    low.emit("elementwise", c.base, c.reads, targets, fn="div", vec=per * x.numel(), tags={"fake_quant": True})
    if grid is not None and out.numel() and low.st.known(out):
        lo, hi = grid
        b = max(1, math.ceil(math.log2(max(abs(lo), hi) + 1)))
        for vid, _ in low.st.pieces(out):
            _bits(low)[("x", vid)] = {"input_value_bits": b, **({"input_value_signed": 1} if lo < 0 else {})}


def _grid(low, c: Call):
    """(quant_min, quant_max) of a fake-quant call, or None where not whole numbers given."""
    named = bound_args(low.ev, c.args, low.ev.kwargs)
    lo, hi = named.get("quant_min"), named.get("quant_max")
    if isinstance(lo, int) and isinstance(hi, int) and hi > lo and hi >= 0:
        return lo, hi
    return None


def _bits(low) -> dict:
    """The lowering's fake-quantized versions: ('x', vid) -> input tags, ('w', vid) -> bits."""
    if not hasattr(low, "_fq_bits"):
        low._fq_bits = {}
    return low._fq_bits


def tag(low, tags: dict, pa, pb) -> None:
    """A weight matmul's bit tags (module docstring) from its operands' pieces ``pa`` (input)
    and ``pb`` (weight); nothing where they were not fake-quantized (or a tag is already set)."""
    marks = getattr(low, "_fq_bits", None)
    if not marks:
        return
    if len(pb) == 1 and ("w", pb[0][0]) in marks:
        tags.setdefault("weight_value_bits", marks[("w", pb[0][0])])
    if pa and "input_value_bits" not in tags and all(("x", v) in marks for v, _ in pa):
        got = [marks[("x", v)] for v, _ in pa]
        if all(g == got[0] for g in got):
            tags.update(got[0])


def _outs(out) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _weight_as_deployed(low, x, out) -> bool:
    """A fake-quantized whole weight (read as is or through a view) is that weight: ``out``
    aliases it, so a matmul reading ``out`` reads the stationary parameter."""
    if x.numel() == 0 or out.numel() != x.numel() or low.st.known(out):
        return False
    pieces = low.read(x)
    if not low._is_weight(pieces) or pieces[0][1] is not None:
        return False
    v = low.st.versions[pieces[0][0]]
    if v.producer >= 0 or v.size != x.numel():
        return False
    return low.st.alias_copy(x, out, low.dt(out))


@lowers("_int_mm")
def int_mm(low, c: Call) -> None:
    a, b = c.args[:2]
    low._matmul_op(c, None, a, b, 1, *a.shape, b.shape[1])
