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


def band_of(label: str) -> str:
    """The series label under a band's (``"a (= b)"`` -> ``"a"``); a line's label unchanged."""
    for mark in (" (= ", " (within 5 % of "):
        if label.endswith(")") and mark in label:
            return label[:label.index(mark)]
    return label


#: how a line drawn under one it equals looks: wide and pale, beneath
BAND = {"linewidth": 6, "alpha": 0.35, "zorder": 1}


def band_label(label: str, under) -> str:
    """``label`` with what it equals (``under`` from :func:`covers`; None: unchanged)."""
    return label if under is None else f"{label} ({'=' if under[1] == 0 else 'within 5 % of'} {under[0]})"
