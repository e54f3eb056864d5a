"""Lines that would hide under one already drawn (two architectures alike on a workload: a
PIM whose units take no op of it runs as its host alone), drawn by
:func:`cimsim.plot.figures.metric_vs_param` as a wide pale band with its label saying which."""

from __future__ import annotations

import numpy as np


def covers(seen, x, y):
    """``(label, 0)`` of a drawn line this one equals, ``(label, 1)`` of one it stays within 5 %
    of at every point (lines that close sit on each other on a log axis), else None."""
    for _, label, sx, sy in seen:
        if sx.shape != x.shape or not np.array_equal(sx, x):
            continue
        ok = np.isfinite(sy) & np.isfinite(y)
        if not ok.any() or (np.isfinite(sy) != np.isfinite(y)).any():
            continue
        if np.array_equal(sy[ok], y[ok]):
            return label, 0
        if np.all(np.abs(y[ok] - sy[ok]) <= 0.05 * np.abs(sy[ok])):
            return label, 1
    return None
