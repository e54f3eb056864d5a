"""Points a sweep figure must not let be taken at face value, marked where they are drawn.

A row whose ``extrapolated`` is true ran a circuit model outside the range its laws were fitted
on (a CIM deriving its numbers at a supply outside 0.8-1.1 x its node's nominal): every sweep and
accuracy figure draws a black cross over such a point, and the legend says what the cross means.
``cimsim plot --where extrapolated==false`` leaves the points out instead.

A row whose ``precision_mismatch`` is true ran on a unit that computes at its own fixed precision
(8-bit CIM arrays under an fp16 workload): :func:`mark_precision` names its architecture
``NAME (!p)`` in every sweep figure's legend (as ``cimsim compare`` does), and the caption
(:func:`cimsim.plot.held.held_note`) says what ``(!p)`` means.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..report.columns import ARCHITECTURE, EXTRAPOLATED, PRECISION_MISMATCH
from .style import MISMATCH_MARK

#: the legend entry of the cross over an extrapolated point
EXTRAPOLATED_LABEL = "extrapolated (outside a model's fitted range)"
#: the caption's words for the ``(!p)`` after an architecture's name
PRECISION_NOTE = ("(!p): computes at its own fixed precision, not the workload's dtype: rows "
                  "compare unlike precisions")
#: how the cross looks: a thin black x, used by no architecture's marker, above every series
CROSS = {"linestyle": "none", "marker": "x", "color": "black", "markersize": 9,
         "markeredgewidth": 1.3, "zorder": 5}


def true_mask(rows: pd.DataFrame, column: str) -> np.ndarray:
    """True for each row whose ``column`` is true (a bool, 1, or ``true`` as a CSV read back as
    text gives it); all false when the table has no such column."""
    if column not in rows.columns:
        return np.zeros(len(rows), dtype=bool)
    return np.array([v is True or (isinstance(v, (bool, np.bool_, int, float)) and v == 1)
                     or (isinstance(v, str) and v.strip().lower() in ("true", "1"))
                     for v in rows[column]], dtype=bool)


def extrapolated_mask(rows: pd.DataFrame) -> np.ndarray:
    """True for each row whose ``extrapolated`` is true (:func:`true_mask`)."""
    return true_mask(rows, EXTRAPOLATED)


def mark_precision(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with each architecture that has a row of ``precision_mismatch`` true named
    ``NAME (!p)`` in all its rows (its legend entry in every sweep figure; its colour and marker
    are NAME's); ``rows`` itself when none has."""
    m = true_mask(rows, PRECISION_MISMATCH)
    if not m.any() or ARCHITECTURE not in rows.columns:
        return rows
    marked = set(rows.loc[m, ARCHITECTURE].astype(str))
    out = rows.copy()
    out[ARCHITECTURE] = [f"{a}{MISMATCH_MARK}" if str(a) in marked else a for a in rows[ARCHITECTURE]]
    return out


def mark_extrapolated(ax, rows: pd.DataFrame, x, y) -> bool:
    """Cross the points (``x``, ``y``: the values drawn for ``rows``, in order) of the rows that
    are extrapolated; True when one was crossed."""
    m = extrapolated_mask(rows)
    if not m.any():
        return False
    ax.plot(np.asarray(x, dtype=float)[m], np.asarray(y, dtype=float)[m], label=EXTRAPOLATED_LABEL,
            **CROSS)
    return True
