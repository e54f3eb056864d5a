"""Points a sweep figure must not let be taken at face value, marked where they are drawn.

A row whose ``extrapolated`` is true ran a circuit model outside the range its laws were fitted
on (a CIM deriving its numbers at a supply outside 0.8-1.1 x its node's nominal): every sweep and
accuracy figure draws a black cross over such a point, and the legend says what the cross means.
``cimsim plot --where extrapolated==false`` leaves the points out instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..report.columns import EXTRAPOLATED

#: the legend entry of the cross over an extrapolated point
EXTRAPOLATED_LABEL = "extrapolated (outside a model's fitted range)"
#: how the cross looks: a thin black x, used by no architecture's marker, above every series
CROSS = {"linestyle": "none", "marker": "x", "color": "black", "markersize": 9,
         "markeredgewidth": 1.3, "zorder": 5}


def extrapolated_mask(rows: pd.DataFrame) -> np.ndarray:
    """True for each row whose ``extrapolated`` is true (a bool, 1, or ``true`` as a CSV
    read back as text gives it); all false when the table has no such column."""
    if EXTRAPOLATED not in rows.columns:
        return np.zeros(len(rows), dtype=bool)
    return np.array([v is True or (isinstance(v, (bool, np.bool_, int, float)) and v == 1)
                     or (isinstance(v, str) and v.strip().lower() in ("true", "1"))
                     for v in rows[EXTRAPOLATED]], dtype=bool)


def mark_extrapolated(ax, rows: pd.DataFrame, x, y) -> bool:
    """Cross the points (``x``, ``y``: the values drawn for ``rows``, in order) of the rows that
    are extrapolated; True when one was crossed."""
    m = extrapolated_mask(rows)
    if not m.any():
        return False
    ax.plot(np.asarray(x, dtype=float)[m], np.asarray(y, dtype=float)[m], label=EXTRAPOLATED_LABEL,
            **CROSS)
    return True
