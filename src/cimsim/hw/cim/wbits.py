"""Weight bits per op: a layer quantised narrower than the block (mixed precision, HAWQ/HAQ-style
per-layer bits), tag ``weight_value_bits`` (:mod:`cimsim.workload.activity`).

Rules. A weight matmul's matrix is stored at the config's ``weight_bits`` unless the op is tagged
``weight_value_bits: b`` (its weight's values are b-bit integers): then at ``w = min(weight_bits,
b)`` bits, in ``ceil(w / bits_per_cell)`` cells a weight (differential: ``2 ceil(max(w - 1, 1) /
bits_per_cell)`` columns), a cell of more bits than ``w`` programmed to ``2^w`` levels. Everything
that follows the matrix's columns follows it: its arrays, its conversions and cell reads per input
slice, the cells programmed and their write energy (:mod:`.tiling`, :mod:`.energy`). The design
point (ADC, DAC, shift-add width, peak) stays the config's: the same hardware, fewer columns a
weight. A tag wider than ``weight_bits`` is held at ``weight_bits`` (the arrays hold no more) and
the note says so. The input side's counterpart is ``input_value_bits`` (:mod:`.inbits`).

The bytes a matrix is programmed from follow it too (read at the smaller of the stored bits and
the weight's dtype, :func:`.programming.stored_bits`), and so does ``--accuracy``, which emulates
each tagged layer at its own bits (:mod:`cimsim.accuracy.layerbits`, find-L2 1).
"""

from __future__ import annotations

import numpy as np


def _tagged(ops, idx):
    """The ops' ``weight_value_bits`` on weight matmuls (NaN elsewhere), or None when none."""
    act = ops.activity
    if act is None or act.weight_value_bits is None:
        return None
    b = np.where(ops.stationary[idx] >= 0, act.weight_value_bits[idx], np.nan)
    return None if np.isnan(b).all() else b


def op_weight_bits(c, ops, idx):
    """Weight bits each op of ``idx`` stores its matrix at (module rules): the config's
    ``weight_bits`` (an int) when no op is narrower, else a float64 array per op."""
    b = _tagged(ops, idx)
    if b is None:
        return c.weight_bits
    per = np.where(np.isnan(b), c.weight_bits, np.minimum(b, c.weight_bits))
    return c.weight_bits if (per == c.weight_bits).all() else per


def note(name: str, c, ops, idx) -> str:
    """One placement note: how many weight matmuls hold narrower weights, at how many cells a
    weight; empty when none is tagged."""
    b = _tagged(ops, idx)
    if b is None:
        return ""
    from .tiling import columns_per_weight

    mm = ops.stationary[idx] >= 0
    tagged = ~np.isnan(b)
    lo, hi = int(np.nanmin(b)), int(np.nanmax(b))
    what = (f"{name}: {int(tagged.sum())} of {int(mm.sum())} weight matmuls hold "
            + (f"{lo}-bit" if lo == hi else f"{lo}-{hi}-bit") + " weights (tag weight_value_bits)")
    narrow = tagged & (b < c.weight_bits)
    parts = []
    if narrow.any():
        full = columns_per_weight(c.weight_bits, c.bits_per_cell, c.differential)
        cells = sorted({int(columns_per_weight(int(w), c.bits_per_cell, c.differential))
                        for w in b[narrow]})
        fewer = [x for x in cells if x < full]
        parts.append(f"{int(narrow.sum())} narrower than weight_bits {c.weight_bits}, "
                     + (f"stored in {', '.join(map(str, cells))} column(s) a weight instead of "
                        f"{full} (bits_per_cell {c.bits_per_cell}): their arrays, conversions, "
                        "cell reads and programming follow" if fewer else
                        f"in the same {full} column(s) a weight (bits_per_cell "
                        f"{c.bits_per_cell}: no fewer cells hold them)"))
    wide = tagged & (b > c.weight_bits)
    if wide.any():
        parts.append(f"{int(wide.sum())} wider than weight_bits {c.weight_bits}, held at "
                     f"{c.weight_bits} bits (the arrays hold no more)")
    return (f"{what}: {'; '.join(parts) or 'at the config weight_bits, as any other'}; "
            "--accuracy emulates each at its own bits")
