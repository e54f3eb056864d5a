"""Where the part that binds a run changes along a line of the latency figure.

A bandwidth sweep's ``bound`` can stay ``memory`` from end to end while ``bound_part`` moves
from ``dram`` to ``sram`` (find-F 7: the LSTM on cpu-ddr5 flattens where its on-chip SRAM
level takes over); the figure showed the flattening and not the crossover. Each point of a line
whose ``bound_part`` (``bound`` where a table has none) differs from the point before it on the
line is ringed, with ``from → to`` written beside it: the crossover lies between the two
swept values. One legend entry says what the rings are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..report.columns import BOUND, BOUND_PART

#: the legend entry of the rings
CHANGE_LABEL = "bound_part changes (from → to)"
#: the ring and its text
CHANGE_COLOR = "#222222"


def bound_parts(g: pd.DataFrame) -> list | None:
    """The part that bounds each row of ``g`` (``bound_part``, else ``bound``; None for a row
    with none), or None when ``g`` has neither column."""
    for col in (BOUND_PART, BOUND):
        if col in g.columns:
            return [None if pd.isna(v) or str(v) == "" else str(v) for v in g[col]]
    return None


def changes(parts: list) -> list[tuple[int, str, str]]:
    """``(i, before, after)`` for each point ``i`` whose part differs from the one before it
    (both known)."""
    return [(i, a, b) for i, (a, b) in enumerate(zip(parts, parts[1:]), start=1)
            if a is not None and b is not None and a != b]


def mark_bound_changes(ax, g: pd.DataFrame, xs, y) -> int:
    """Ring each point of the line ``(xs, y)`` (the rows ``g``, in x order) where the binding
    part changes, its ``from → to`` beside it; how many were marked."""
    parts = bound_parts(g)
    if parts is None:
        return 0
    xs, y = np.asarray(xs, dtype=float), np.asarray(y, dtype=float)
    marked = 0
    for i, before, after in changes(parts):
        if not (np.isfinite(xs[i]) and np.isfinite(y[i])):
            continue
        ax.plot([xs[i]], [y[i]], linestyle="none", marker="o", markersize=11, markerfacecolor="none",
                markeredgecolor=CHANGE_COLOR, markeredgewidth=1.2, zorder=4, label=CHANGE_LABEL)
        ax.annotate(f"{before} → {after}", (xs[i], y[i]), xytext=(7, 7), textcoords="offset points",
                    fontsize="x-small", color=CHANGE_COLOR, zorder=4)
        marked += 1
    return marked
