"""The read sweep: bandwidth against working set, and what it says about the last-level cache.

:func:`sweep_sizes` gives the working sets, :func:`find_knee` where the cache ends (the knee)
and :func:`cache_plateau` the cache's bandwidth up to a knee. ``measure`` looks for the knee in
each size's fastest call and takes the plateau from the timing's statistic (the capacity is the
hardware's; a burst of other jobs' traffic over a few sizes moves a median sweep's knee).
"""

from __future__ import annotations

import statistics


def sweep_sizes(lo: int, hi: int, per_octave: int = 2) -> list[int]:
    """Working-set sizes from ``lo`` to ``hi`` in steps of 2^(1/per_octave), rounded to 4 KiB."""
    out, k = [], 0
    while True:
        s = int(round(lo * 2 ** (k / per_octave) / 4096)) * 4096
        if s > hi:
            return out
        out.append(s)
        k += 1


def find_knee(sweep: list[tuple[int, float]], inner_bytes: float, dram_bps: float) -> tuple[float, float]:
    """(knee bytes, cache bandwidth B/s) of a bandwidth-vs-working-set sweep.

    Cache plateau: the highest bandwidth at working sets above ``inner_bytes``
    (the private caches of all threads). The knee is the largest working set
    whose bandwidth is above the geometric mean of that plateau and
    ``dram_bps``, found scanning upward from the plateau's peak.
    """
    pts = [(s, bw) for s, bw in sweep if s > inner_bytes] or list(sweep)
    i_peak = max(range(len(pts)), key=lambda i: pts[i][1])
    peak = pts[i_peak][1]
    thresh = (peak * dram_bps) ** 0.5
    knee = pts[i_peak][0]
    for s, bw in pts[i_peak:]:
        if bw < thresh:
            break
        knee = s
    return float(knee), cache_plateau(sweep, inner_bytes, knee)


def cache_plateau(sweep: list[tuple[int, float]], inner_bytes: float, knee: float) -> float:
    """The cache's bandwidth (B/s) in a bandwidth-vs-working-set sweep whose cache ends at
    ``knee``: the median of the sweep's bandwidths from its peak above ``inner_bytes`` (the
    private caches) up to the knee (the peak's alone if the knee lies below it)."""
    pts = [(s, bw) for s, bw in sweep if s > inner_bytes] or list(sweep)
    i_peak = max(range(len(pts)), key=lambda i: pts[i][1])
    plateau = [bw for s, bw in pts if pts[i_peak][0] <= s <= knee] or [pts[i_peak][1]]
    return float(statistics.median(plateau))
