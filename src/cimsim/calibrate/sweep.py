"""The read sweep: bandwidth against working set, and what it says about the last-level cache.

:func:`sweep_sizes` gives the working sets, :func:`find_knee` where the cache ends (the knee)
and :func:`cache_plateau` the cache's bandwidth up to a knee; :func:`reuse_capacity` how much of
it a repeated read keeps at the cache's speed (what the config's LLC capacity says). ``measure`` looks for the knee in
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


def read_sweep_sizes(llc_bytes: int, quick: bool) -> list[int]:
    """The read sweep's working sets for a last-level cache of ``llc_bytes``: 256 KiB up to the
    DRAM array, ``max(4 x LLC, 128 MiB)``, in half-octave steps; ``quick``: whole octaves up
    to 2x the LLC, then the DRAM array alone (find-D 5: --quick read DRAM from a 2x-LLC array,
    which a part whose kernel under-reports its L3, or whose L2s and L3 exceed 2x the L3, can
    partly hold in cache). The last size is the DRAM array."""
    dram = int(max(4 * llc_bytes, 128 * 1024 * 1024))
    if not quick:  # (as before: the last half-octave step at or below it)
        return sweep_sizes(256 * 1024, dram, per_octave=2)
    sizes = sweep_sizes(256 * 1024, 2 * llc_bytes, per_octave=1)
    dram = dram // 4096 * 4096
    return sizes + [dram] if dram > sizes[-1] else sizes


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


#: a working set stays in the cache while its repeated read runs at least this share of the
#: cache plateau's fastest: on a 2-vCPU EPYC VM (8 MiB L3 reported) one thread read 4 MiB at
#: 0.82 of the 3 MiB peak and 6 MiB at 0.60, and two 3 MiB weights read in turn ran at 0.57 of
#: either alone (2026-12-07): half the threshold's gap is already the DRAM's side
REUSE_FRACTION = 0.8


def reuse_capacity(sweep: list[tuple[int, float]], inner_bytes: float,
                   fraction: float = REUSE_FRACTION) -> float:
    """The largest working set of a bandwidth-vs-working-set sweep, scanning upward from the
    cache plateau's peak above ``inner_bytes``, whose bandwidth stays at least ``fraction`` of
    that peak: what a repeated read keeps in the cache. Below the kernel-reported size where
    other data, set conflicts and other tenants take part of the cache."""
    pts = [(s, bw) for s, bw in sweep if s > inner_bytes] or list(sweep)
    i_peak = max(range(len(pts)), key=lambda i: pts[i][1])
    keep = pts[i_peak][0]
    for s, bw in pts[i_peak:]:
        if bw < fraction * pts[i_peak][1]:
            break
        keep = s
    return float(keep)
