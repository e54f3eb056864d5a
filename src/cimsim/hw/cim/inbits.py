"""Input slices per op: fewer for an op whose input takes few values (a spiking network's 0/1
spikes), tag ``input_value_bits`` (:mod:`cimsim.workload.activity`; the tracer writes ``1`` on
a weight matmul reading the float cast of a bool tensor: :mod:`cimsim.workload.trace.binary`).

Rules. An op's input is applied in the config's ``slices`` (``ceil(input_bits / dac_bits)``;
with ``signed_inputs`` the magnitude bits') unless its input values are whole numbers below
``2^b`` (tag ``b``): then in ``min(slices, ceil(b / dac_bits))`` slices (an input of ``b`` bits
needs only its ``b`` low planes; a non-negative one no sign). Every per-slice part scales with
it: the array time ``t_vector = slices x t_slice``, and the conversions, row drives, cell reads,
input switches, pulse counters and adder-tree sums (:mod:`.energy`). The design point (its
ADC, DAC, shift-add width) is the config's: the same hardware, fed fewer slices. Bytes over
links and buffers stay at ``input_bits`` (the host's quantised words).

Signed narrow inputs (tag ``input_value_signed: 1``: whole numbers with ``|x| < 2^b``, e.g.
``torch.sign``'s -1, 0, +1; with ``input_bipolar: 1`` exactly -1 or +1, a binary neural
network's signs) follow the config's own signed-input rules, at the tagged width:

- ``signed_inputs`` (analog cells): the sign is the pulse polarity, as for any input, so the
  ``b`` magnitude bits take ``ceil(b / dac_bits)`` slices: one for -1/0/+1 and for ±1 (a zero
  drives no pulse);
- otherwise a row with a negative is sent offset-binary, as the accuracy emulator sends it
  (:mod:`cimsim.accuracy.emulator`), with the tagged width's offset ``2^b - 1`` in place of
  ``2^(input_bits - 1)``: ``x + 2^b - 1`` in ``[0, 2^(b+1) - 2]``, ``b + 1`` planes, the offset's
  ``(2^b - 1) sum_k W[k, n]`` subtracted digitally like the config's; -1/0/+1 is ``x + 1`` in
  {0, 1, 2}, 2 planes. A bipolar input's ``x + 1`` is 0 or 2: its bit-0 plane is all zero and
  is not applied, so ±1 takes 1 plane, the XNOR-popcount identity
  ``x . w = 2 ((x + 1) / 2) . w - sum w`` (on ``sram_digital`` / ``sram_dcim`` too, which take
  no ``signed_inputs``).

Wide inputs. An op whose input tensor is stored in an integer dtype wider than ``input_bits``
and wider than 8 bits (a 10-bit pixel held in ``int16`` into the first convolution; tensor
dtypes, :func:`wide_bits`; an ``int8`` tensor into a 1- or 4-bit-input design stays the container
of the design's own ``input_bits``, :data:`CONTAINER_BITS`)
is applied bit-serially in ``ceil(width / dac_bits)`` slices (with ``signed_inputs`` the
magnitude bits', ``width - 1``), more than the config's: the same DAC and ADC, fed more slices,
as a bit-serial CIM takes a wider input; a tag ``input_value_bits`` below the width narrows it
again. The shift-add accumulator must be wider too (``adc.bits + slices - 1`` bits, sized for
the config's slices: 8 more for 16 slices of an 8-slice design): assumed so, its area and
energy left at the config's, and the note says so (review C 6). An input an im2col or reshape
copy made counts at the width of the tensor it copied (an int16 image lowered to an int8
im2col matrix still holds int16 pixels), with or without ``input_reuse`` (review C 2). The placement note says which ops and how many slices (never costed at
``input_bits`` silently).

Not with an integrate-and-count readout (``adc.counting``: its phases are the design's), and
no saving where the config's slices are already 1 (a ``dac_bits = input_bits`` DAC applies
every bit at once): the run's note says which and why.
"""

from __future__ import annotations

import numpy as np


#: integer tensor dtypes and their bits (a wider one than ``input_bits`` takes more slices)
_INT_BITS = {"int8": 8, "uint8": 8, "int16": 16, "int32": 32, "int64": 64}


def _lowering(ops, p) -> bool:
    """Op ``p`` copies values without changing them: the im2col copy before a convolution, or
    a copy of the same dtype or element count changed (a reshape, a view) that is no recast
    (a cast of the same elements to another dtype is a real quantisation: not followed)."""
    if p < 0:
        return False
    if ops.im2col is not None and ops.im2col[p]:
        return True
    copy = ops.kind_codes.get("copy")
    return (copy is not None and int(ops.kind[p]) == copy
            and not (ops.recast is not None and ops.recast[p]))


def _int_bits(ops, t, depth=4) -> int:
    """Integer bits of activation tensor ``t``: its dtype's, or, where a lowering copy
    (:func:`_lowering`) made it, the widest of that copy's inputs' (an int16 image copied into
    an int8 im2col matrix still holds the int16 pixels: review C 2)."""
    w = _INT_BITS.get(str(ops.tensor_dtype[t]), 0)
    p = int(ops.producer[t]) if ops.producer is not None else -1
    if depth > 0 and w and _lowering(ops, p):
        w = max([w, *(_int_bits(ops, u, depth - 1) for u in ops.act_ids[ops.act_ptr[p]:ops.act_ptr[p + 1]])])
    return w


#: an integer input this wide or narrower is the container of the design's quantised inputs: a
#: design stating ``input_bits`` 1 or 4 takes an ``int8`` tensor's values at its own bits (how a
#: bit-serial macro is fed, and how the ``cim-macros`` validation cases state Colonnade's 1-bit and
#: Chih's 4-bit inputs), as before the wide-input rule; only a wider dtype (int16, int32) is fed whole
CONTAINER_BITS = 8


def wide_bits(c, ops, idx):
    """Per op of ``idx``: the bits of its widest integer activation input where wider than
    both the config's ``input_bits`` and :data:`CONTAINER_BITS` (0 elsewhere, and on ops that
    are no weight matmul), or None when none is (or the tensor dtypes are not known). An input an im2col / reshape copy made
    counts at the width of what it copied (:func:`_int_bits`), whether or not the config reads
    the window directly (``input_reuse``)."""
    if ops.tensor_dtype is None or ops.act_ptr is None:
        return None
    out = np.zeros(len(idx))
    for j, i in enumerate(idx):
        if ops.stationary[i] < 0:
            continue
        ids = ops.act_ids[ops.act_ptr[i]:ops.act_ptr[i + 1]]
        w = max((_int_bits(ops, t) for t in ids), default=0)
        out[j] = w if w > max(c.input_bits, CONTAINER_BITS) else 0
    return out if out.any() else None


def _wide_slices(c, wide):
    """Slices of a ``wide``-bit input (0: the config's)."""
    mag = np.maximum(wide - 1, 1) if c.signed_inputs else wide
    return np.where(wide > 0, np.ceil(mag / c.dac_bits), c.slices)


def _bits(ops, idx):
    """The ops' ``input_value_bits`` (NaN where untagged), or None when no op states one."""
    act = ops.activity
    if act is None or np.isnan(act.input_value_bits[idx]).all():
        return None
    return act.input_value_bits[idx]


def _planes(c, ops, idx, bits):
    """Input bit-planes each op's values need (module rules): ``b`` unsigned or with
    ``signed_inputs``; ``b + 1`` offset-binary; 1 for a bipolar input offset-binary."""
    act = ops.activity
    signed = act.input_value_signed[idx] == 1
    if c.signed_inputs:
        return bits
    return np.where(act.input_bipolar[idx] == 1, 1.0, bits + signed)


def reason(c) -> str:
    """Why config ``c`` cannot apply a narrower input in fewer slices ('' when it can)."""
    if c.adc.counting is not None:
        return "its integrate-and-count readout (adc.counting) has the design's phases"
    if c.slices <= 1:
        return (f"its inputs already take one slice (input_bits {c.input_bits}, dac_bits "
                f"{c.dac_bits})")
    return ""


def op_slices(c, ops, idx):
    """Input slices of each op of ``idx`` (the module rules): the config's ``slices`` (a
    float) when no op is narrower, else an array per op."""
    bits = _bits(ops, idx)
    wide = wide_bits(c, ops, idx) if c.adc.counting is None else None
    if (bits is None or reason(c)) and wide is None:
        return c.slices
    limit = c.slices if wide is None else _wide_slices(c, wide)
    own = np.inf if bits is None or reason(c) else np.ceil(
        np.where(np.isnan(bits), np.inf, _planes(c, ops, idx, bits)) / c.dac_bits)
    per_op = np.minimum(limit, own) * (ops.stationary[idx] >= 0) + c.slices * (ops.stationary[idx] < 0)
    return c.slices if (per_op == c.slices).all() else per_op


def wide_note(name: str, c, ops, idx) -> str:
    """One placement note: the weight matmuls whose integer inputs are wider than
    ``input_bits``, and the slices they take (or why not); empty when none."""
    wide = wide_bits(c, ops, idx)
    if wide is None:
        return ""
    what = (f"{name}: {int((wide > 0).sum())} weight matmul(s) read integer inputs of "
            f"{_range(wide[wide > 0])} (their tensors' dtype, or that of the tensor an im2col / "
            f"reshape copy made theirs from), wider than input_bits "
            f"{c.input_bits}")
    if c.adc.counting is not None:
        return (f"{what}; costed at {c.slices:g} input slice(s) as any other: its "
                "integrate-and-count readout (adc.counting) has the design's phases")
    s = op_slices(c, ops, idx)
    s = np.full(len(idx), s) if np.ndim(s) == 0 else s
    extra = int(np.max(s[wide > 0]) - np.ceil(c.slices))
    acc = (f"; the shift-add accumulator is assumed {extra} bit(s) wider than one sized for "
           f"{c.slices:g} slices (adc.bits + slices - 1), its area and energy the config's"
           if extra > 0 else "")
    return (f"{what}: applied bit-serially in {_range(s[wide > 0], 'slice')} instead of "
            f"{c.slices:g} (dac_bits {c.dac_bits}): their array time, conversions, row drives "
            f"and cell reads scale with it{acc} (tag input_value_bits on the op if its values "
            "are narrower, e.g. 10 for a RAW10 pixel)")


def note(name: str, c, ops, idx) -> str:
    """One placement note: how many weight matmuls take a narrower input, in how many slices
    (or why not); empty when none is tagged."""
    bits = _bits(ops, idx)
    if bits is None:
        return ""
    mm = ops.stationary[idx] >= 0
    wide = wide_bits(c, ops, idx)  # those wider than input_bits: wide_note's
    tagged = mm & ~np.isnan(bits) & (True if wide is None else wide == 0)
    if not tagged.any():
        return ""
    low = np.where(tagged, bits, np.inf)
    signed = tagged & (ops.activity.input_value_signed[idx] == 1)
    bip = signed & (ops.activity.input_bipolar[idx] == 1)
    sign = (f", {int(signed.sum())} of them signed ({int(bip.sum())} -1/+1, "
            f"{int((signed & ~bip).sum())} -1/0/+1: "
            + ("the sign is the pulse polarity, signed_inputs" if c.signed_inputs else
               "offset-binary, x + 1, its offset subtracted digitally; -1/+1 as (x + 1) / 2, "
               "one plane") + ")") if signed.any() else ""
    what = (f"{name}: {int(tagged.sum())} of {int(mm.sum())} weight matmuls read inputs of "
            f"{_range(low[tagged])} (tag input_value_bits; 1: 0/1 only, e.g. spikes){sign}")
    why = reason(c)
    if why:
        return f"{what}, costed at {c.slices:g} input slice(s) as any other: {why}"
    s = op_slices(c, ops, idx)
    s = np.full(len(idx), s) if np.ndim(s) == 0 else s
    fewer = tagged & (s < c.slices)
    if not fewer.any():
        return f"{what}, costed at the config's {c.slices:g} input slice(s): no fewer cover them"
    return (f"{what}: {int(fewer.sum())} take {_range(s[fewer], 'slice')} instead of "
            f"{c.slices:g} (input_bits {c.input_bits}, dac_bits {c.dac_bits}): their array time, "
            "conversions, row drives and cell reads scale with it")


def _range(v, unit="bit") -> str:
    lo, hi = int(np.min(v)), int(np.max(v))
    return f"{lo} {unit}{'s' if lo != 1 else ''}" if lo == hi else f"{lo}-{hi} {unit}s"
