"""Per-layer bits in the accuracy emulation: a weight matmul tagged ``weight_value_bits`` /
``input_value_bits`` (:mod:`cimsim.workload.activity`) is emulated at its own bits, by the rules
the cost model stores and feeds it by (:mod:`cimsim.hw.cim.wbits`, :mod:`cimsim.hw.cim.inbits`).

Rules (find-L2 1; find-D 4 left them out). The hardware is the config's (array, cells, DAC, ADC
and its range): only the quantisation narrows.

- Weights tagged ``b``: quantised at ``w = min(weight_bits, b)`` bits, stored in
  ``ceil(w / bits_per_cell)`` cells (a cell of more bits than ``w`` holds the word alone). A 1-bit tag is emulated at 2 bits
  (-1, 0, +1: the narrowest symmetric grid), and the basis says so. Offset encoding with
  ``2 <= b <= weight_bits``: the values are b-bit integers, so all ``2^b`` codes ``-2^(b-1)..2^(b-1)-1``
  (the offset word holds them), scale ``max(max(-w) / 2^(b-1), max(w) / (2^(b-1) - 1))`` a
  column: a QAT grid reaching either end (``per_channel_symmetric`` -8..7) is exact. Otherwise
  (differential: ``b - 1`` magnitude bits; a tag wider than ``weight_bits``) symmetric,
  ``2^(w-1) - 1`` codes a side, as every weight.
- Inputs tagged ``b``: quantised at ``B = min(input_bits, b + s)`` bits, ``s = 1`` where a sign
  is applied (``signed_inputs``, or the tag ``input_value_signed``: ``b`` magnitude bits and a
  sign, as the cost counts ``ceil(b / dac_bits)`` magnitude slices or ``b + 1`` offset-binary
  planes), at least 2 (a 0/1 input is exact either way: its codes are 0 and ``2^B - 1``). The
  row's own scale, ``max |x| / (2^B - 1)`` (offset-binary and signed: ``2^(B-1) - 1``), as at
  the config's bits: exact where a row reaches its grid's top code (spikes, signs), else that
  row rounded to ``B`` bits, which is what ``B`` bits a value can carry.

A fake-quantized *whole weight* (QAT's ``fake_quantize_*`` / fused observer helper of a weight
read as is) is that weight as deployed, by the tracer's rule (:mod:`cimsim.workload.trace.quant`):
:func:`as_deployed` names its output after the weight, so the CIM emulates the matmul reading it
(before, a computed matrix run in fp32 while the cost put it on the arrays) at its tag's bits.

The tags are read from the traced workload the cost ran (a QAT model's fake-quantized grids,
spikes, -1/0/+1 signs: :mod:`cimsim.workload.trace.quant`, :mod:`.binary`), keyed by the weight's
name (the op's ``weight_name``). A weight read by ops of different tags takes the widest (an
untagged reader: the config's bits), since it is programmed once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

import torch

from .arith import Arith


@dataclass(frozen=True)
class LayerBits:
    """One weight's tags: ``weight_value_bits`` and ``input_value_bits`` (None: the config's),
    ``input_value_signed`` (the input's values are of either sign)."""

    weight_value_bits: Optional[int] = None
    input_value_bits: Optional[int] = None
    input_value_signed: bool = False


def _wider(a: Optional[int], b: Optional[int]) -> Optional[int]:
    return None if a is None or b is None else max(a, b)


def from_workload(wl) -> dict[str, LayerBits]:
    """Weight name -> :class:`LayerBits` of the workload's tagged weight matmuls (module rules);
    weights whose every reader is untagged are left out."""
    seen: dict[str, LayerBits] = {}
    for o in wl.ops:
        if o.kind != "matmul" or not o.weight:
            continue
        t = o.tags or {}
        wb, ib = t.get("weight_value_bits"), t.get("input_value_bits")
        mine = LayerBits(None if wb is None else int(wb), None if ib is None else int(ib),
                         bool(t.get("input_value_signed", 0)))
        name = str(t.get("weight_name") or o.weight)
        old = seen.get(name)
        seen[name] = mine if old is None else LayerBits(
            _wider(old.weight_value_bits, mine.weight_value_bits),
            _wider(old.input_value_bits, mine.input_value_bits),
            old.input_value_signed or mine.input_value_signed)
    return {k: v for k, v in seen.items()
            if v.weight_value_bits is not None or v.input_value_bits is not None}


def weight_bits(a: Arith, lb: LayerBits) -> int:
    """The bits a tagged weight is emulated at: ``max(2, min(weight_bits, b))``."""
    b = lb.weight_value_bits
    return a.weight_bits if b is None else max(2, min(a.weight_bits, b))


def input_bits(a: Arith, lb: LayerBits) -> int:
    """The bits a tagged input is quantised at: ``max(2, min(input_bits, b + sign))``."""
    b = lb.input_value_bits
    if b is None:
        return a.input_bits
    sign = 1 if (a.signed_inputs or lb.input_value_signed) else 0
    return max(2, min(a.input_bits, b + sign))


def narrowed(a: Arith, lb: Optional[LayerBits]) -> Arith:
    """``a`` at a tagged layer's bits (module rules): the same hardware (cells, DAC, ADC), so a
    cell or DAC wider than the layer's bits is allowed here (one cell holds the word, one slice
    the input), which :class:`Arith` refuses for a design point."""
    if lb is None:
        return a
    w, x = weight_bits(a, lb), input_bits(a, lb)
    full = (a.encoding == "offset" and lb.weight_value_bits is not None
            and 2 <= lb.weight_value_bits <= a.weight_bits)
    if (w, x) == (a.weight_bits, a.input_bits) and not full:
        return a
    out = replace(a)
    object.__setattr__(out, "weight_bits", w)   # past __post_init__'s design-point checks
    object.__setattr__(out, "input_bits", x)
    object.__setattr__(out, "full_grid", full)  # b-bit integers: all 2^w codes (emulator)
    return out


def note(a: Arith, layer_bits: dict[str, LayerBits], emulated: set[str]) -> str:
    """The basis' clause: which weights were emulated at their own bits, or empty."""
    got = {n: (weight_bits(a, lb), input_bits(a, lb)) for n, lb in layer_bits.items() if n in emulated}
    got = {n: v for n, v in got.items() if v != (a.weight_bits, a.input_bits)}
    if not got:
        return ""
    parts = [f"{n} {w}b weights x {x}b inputs" for n, (w, x) in sorted(got.items())]
    one = [n for n, lb in layer_bits.items() if n in got and lb.weight_value_bits == 1]
    return ("; per-layer bits (tags weight_value_bits / input_value_bits, as the cost): "
            + ", ".join(parts) + (f" ({', '.join(sorted(one))}: a 1-bit weight tag emulated at 2 "
                                  "bits, -1/0/+1)" if one else ""))


#: QAT's fake quantization, as the tracer lowers it (:func:`cimsim.workload.trace.quant.fake_quant`)
FAKE_QUANT_OPS = frozenset({
    "_fused_moving_avg_obs_fq_helper", "fake_quantize_per_tensor_affine",
    "fake_quantize_per_tensor_affine_cachemask", "_fake_quantize_per_tensor_affine_cachemask_tensor_qparams",
    "fake_quantize_per_channel_affine", "fake_quantize_per_channel_affine_cachemask",
    "_fake_quantize_learnable_per_tensor_affine", "_fake_quantize_learnable_per_channel_affine"})


def as_deployed(weights, held: dict, base: Optional[str], args, out) -> None:
    """Where aten op ``base`` fake-quantizes a whole named weight (``args[0]``, all of its
    storage), its output (``out``, or its first tensor) is that weight: added to ``weights``
    under the weight's name and kept alive in ``held`` (weight name -> its latest output, so its
    storage is never reused meanwhile). One output a weight: each forward's replaces the last,
    whose pointer leaves ``weights`` before it is dropped (a reused storage is no weight)."""
    if base not in FAKE_QUANT_OPS or not isinstance(weights, dict) or not args:
        return
    x = args[0]
    y = out[0] if isinstance(out, (tuple, list)) and out else out
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor) or y.numel() != x.numel():
        return
    name = weights.get(x.untyped_storage().data_ptr())
    if name is None or x.untyped_storage().nbytes() != x.numel() * x.element_size():
        return  # not a weight, or a slice of one (the tracer's rule too)
    ptr = y.untyped_storage().data_ptr()
    old = held.get(name)
    if old is not None and (was := old.untyped_storage().data_ptr()) != ptr \
            and weights.get(was) == name:
        del weights[was]  # before the old output's storage can be freed and reused
    held[name] = y
    weights.setdefault(ptr, name)
