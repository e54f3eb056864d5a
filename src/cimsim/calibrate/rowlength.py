"""The weight's row length past the last-level cache (see :mod:`cimsim.calibrate`).

A matmul kernel streams its weight one stored row at a time; past the caches a short row
restarts the stream more often, and a long one less. On a 2-vCPU AMD EPYC VM (MKL, 1 thread,
2026-12-04) weights of 64 MiB ran, against the square of the same bytes, at 0.82-0.88x as
``N = 4K`` (rows of K / 2 elements) and 1.02-1.11x as ``N = K / 4`` at 1 to 64 activation rows,
and at 30.25 and 64 MiB over rows 1-16 0.83-0.95x and 1.08-1.19x; inside the caches the ratio
followed the shapes' alignment instead (0.71-1.38x). The calibration times the three shapes of
one weight past the LLC and fits ``rate ~ row_bytes ** a``: ``mac_efficiency.row_length_exponent``.
"""

from __future__ import annotations

import math
import statistics

#: activation rows the three shapes are timed at: the GEMV, the few-row path, the blocked path
ROW_LENGTH_ROWS = (1, 8, 64)
#: the weight is the first table side whose square is at least this many times the LLC, so that
#: it streams from DRAM
ROW_LENGTH_PAST_LLC = 2


def row_length_side(llc: float, sides) -> int:
    """The side of the square whose three shapes are timed: the first of ``sides`` at least
    :data:`ROW_LENGTH_PAST_LLC` x the LLC, else the largest."""
    return next((s for s in sides if 4 * s * s >= ROW_LENGTH_PAST_LLC * llc), sides[-1])


def shapes(side: int) -> dict[str, tuple[int, int]]:
    """``(N, K)`` of the square and its two rectangles of the same elements: ``tall`` (``N = 4K``,
    rows half the square's) and ``wide`` (``N = K / 4``, rows twice it)."""
    return {"square": (side, side), "tall": (2 * side, side // 2), "wide": (side // 2, 2 * side)}


def fit_exponent(times: dict) -> tuple[float, str]:
    """``a`` of ``rate ~ row_bytes ** a`` from ``times[(shape, rows)]`` (seconds, the same MACs
    for the three shapes at one row count): per row count, log2(rate of ``wide`` / rate of
    ``tall``) over log2 of their row lengths' ratio (4), the median over the row counts; and the
    comment that says how."""
    rows = sorted({r for _, r in times})
    per = {r: math.log2(times[("tall", r)] / times[("wide", r)]) / 2 for r in rows}
    a = statistics.median(per.values())
    how = ("rate over the square's at rows " + ", ".join(
        f"{r}: tall {times[('square', r)] / times[('tall', r)]:.2f}x, wide {times[('square', r)] / times[('wide', r)]:.2f}x"
        for r in rows) + "; a = median of log2(wide / tall) / 2")
    return a, how
