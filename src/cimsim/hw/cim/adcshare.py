"""One ADC shared by several arrays (``cim.adc.arrays_per_adc`` = k; PUMA's, PRIME's sharing):
what a group of k arrays behind one ADC multiplexer costs, and the configs it makes sense on.

1. The block has ``ceil(arrays / k)`` x (ADCs per array) column-side ADCs (with
   ``transposed_read`` as many row-side ones per group as its rows ask): their area
   (``area.adc`` is one ADC's), their derived shift-adds' area and the leakage the static model
   puts on that area are per ADC (:mod:`.derive`). The energy per conversion is unchanged: the
   conversions are as many, and a derived ADC is derived at its own rate.
2. One slice of an MVM whose matrix converts on ``m`` arrays at once (its row x column tiles
   times the copies running rows together; the tiles of the matrix as its arrays hold it, so a
   transposed read (``transposed_read``) of a 1024 x 64 matrix held on 8 x 2 arrays converts on
   those 16, not on the 1 x 32 its own 64 x 1024 would tile as) takes ``max(read_latency, s x
   ceil(cols / ADCs per array) / rate)``, ``s = min(k, m)`` (:func:`share`): the arrays of a group hold their sampled
   columns and the ADC converts them one array after another. A matrix on one array is not
   slowed. The groups are taken as aligned with a matrix's first array (a matrix of m >= k
   arrays fills whole groups); two matrices that run at once on one group are not serialised
   against each other (a known limit).
3. The multiplexer in front of the ADC selects ``k x ceil(cols / ADCs per array)`` columns
   (its derived ``mux_energy`` per conversion, :func:`~cimsim.hw.circuits.periphery.column_mux`).
4. It needs one ADC per array (``per_array: 1`` or ``columns_per_adc`` = ``cols``), at most
   ``arrays`` arrays, a converter to share (not a digital bit-serial or adder-tree cell), and
   with a chip block a divisor of the first level's fanout (an ADC serves arrays of one unit).
"""

from __future__ import annotations

import numpy as np

from ..circuits.array import preset as cell_preset
from ..parts.cell import DEFAULT_CELL

FIELD = "adc.arrays_per_adc"


def check(c) -> None:
    """Rule 4 and the ADC count's bounds; raises ``ValueError`` in one line naming the field."""
    a = c.adc
    for f in ("columns_per_adc", "per_array"):
        v = getattr(a, f)
        if v is not None and v > c.cols:
            raise ValueError(f"adc.{f} ({v}) cannot exceed cols ({c.cols}): " + (
                "one ADC serves at most its array's columns (one ADC shared by k arrays: "
                "adc.arrays_per_adc k, README 'An ADC shared by several arrays')" if f == "columns_per_adc" else "at most one ADC per column"))
    k = a.arrays_per_adc
    if k == 1:
        return
    per = a.adcs_per_array(c.cols)
    if per > 1:
        raise ValueError(f"{FIELD} ({k}) shares one ADC among arrays: it needs one ADC per array "
                         f"(per_array 1 or columns_per_adc {c.cols}), not {per}")
    if k > c.arrays:
        raise ValueError(f"{FIELD} ({k}) cannot exceed arrays ({c.arrays}): allowed 1 to "
                         f"{c.arrays}")
    cell = c.cell.type if c.cell is not None else DEFAULT_CELL[c.technology]
    if cell_preset(cell).kind == "digital":
        raise ValueError(f"{FIELD} ({k}): an {cell} array has no converter to share (its "
                         "columns' adders are in the cells); allowed: 1")
    if c.chip is not None:
        name, lv = next(iter(c.chip.levels.items()))
        if lv.fanout % k:
            raise ValueError(f"{FIELD} ({k}) must divide chip level {name}'s fanout "
                             f"({lv.fanout} arrays a unit): an ADC serves the arrays of one "
                             f"{name}")


def share(c, active):
    """Arrays whose conversions one ADC serialises in a slice (rule 2): ``min(k, active)``,
    at least 1; ``active`` the arrays a matrix converts on at once (broadcasts)."""
    k = c.adc.arrays_per_adc
    if k == 1:
        return 1.0
    return np.clip(np.asarray(active, dtype=float), 1.0, float(k))


def t_vector(c, d, reads, slices, active, at=None):
    """:meth:`~cimsim.hw.cim.CIMConfig.t_vector` of the ops ``at`` (None: all) whose per-op
    ``reads`` and ``slices`` (arrays, or one scalar) meet ``active`` arrays converting at once,
    per op or ops x copy counts (2-D: a row per op)."""
    two = np.ndim(active) == 2

    def pick(x):
        if not np.ndim(x):
            return x
        x = np.asarray(x) if at is None else np.asarray(x)[at]
        return x[:, None] if two else x

    return c.t_vector(d, pick(reads), pick(slices), active)
