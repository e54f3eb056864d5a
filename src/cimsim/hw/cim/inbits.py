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

Not with an integrate-and-count readout (``adc.counting``: its phases are the design's), and
no saving where the config's slices are already 1 (a ``dac_bits = input_bits`` DAC applies
every bit at once): the run's note says which and why.
"""

from __future__ import annotations

import numpy as np


def _bits(ops, idx):
    """The ops' ``input_value_bits`` (NaN where untagged), or None when no op states one."""
    act = ops.activity
    if act is None or np.isnan(act.input_value_bits[idx]).all():
        return None
    return act.input_value_bits[idx]


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
    if bits is None or reason(c):
        return c.slices
    own = np.ceil(np.where(np.isnan(bits), np.inf, bits) / c.dac_bits)
    per_op = np.minimum(c.slices, own) * (ops.stationary[idx] >= 0) + c.slices * (ops.stationary[idx] < 0)
    return c.slices if (per_op == c.slices).all() else per_op


def note(name: str, c, ops, idx) -> str:
    """One placement note: how many weight matmuls take a narrower input, in how many slices
    (or why not); empty when none is tagged."""
    bits = _bits(ops, idx)
    if bits is None:
        return ""
    mm = ops.stationary[idx] >= 0
    tagged = mm & ~np.isnan(bits)
    if not tagged.any():
        return ""
    low = np.where(tagged, bits, np.inf)
    what = (f"{name}: {int(tagged.sum())} of {int(mm.sum())} weight matmuls read inputs of "
            f"{_range(low[tagged])} (tag input_value_bits; 1: 0/1 only, e.g. spikes)")
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
