"""Runs against a chosen baseline architecture: speed-up and energy ratio, per workload.

``speed-up = baseline latency / latency`` (above 1: faster than the baseline) and
``energy ratio = energy / baseline energy`` (below 1: less energy than the baseline; undefined,
NaN, when the baseline counted no energy), each run against the baseline's run of the same
workload. The baseline's own rows are 1 and 1.
Pure arithmetic on results: nothing here simulates.
"""

from __future__ import annotations

from typing import Iterable

from ..errors import CimsimError


def baseline_ratios(results: Iterable, baseline: str) -> dict[tuple[str, str], tuple[float, float]]:
    """``{(workload, architecture): (speed-up, energy ratio)}`` of each result against the
    result of architecture ``baseline`` on the same workload; a workload the baseline did not
    run has no entry. Refuses a baseline that ran nothing (one line, naming what ran)."""
    results = list(results)
    base = {r.workload: r for r in results if r.architecture == baseline}
    if not base:
        names = ", ".join(dict.fromkeys(r.architecture for r in results))
        raise CimsimError(f"--baseline {baseline}: no such architecture among the runs ({names})")
    out = {}
    for r in results:
        b = base.get(r.workload)
        if b is None:
            continue
        speed = b.latency_s / r.latency_s if r.latency_s > 0 else float("nan")
        energy = r.energy_j / b.energy_j if b.energy_j > 0 else float("nan")
        out[(r.workload, r.architecture)] = (speed, energy)
    return out


def ratio(x: float, undefined: str = "n/a") -> str:
    """A ratio as printed: ``2.5×``, ``0.0123×``; NaN (no denominator: a baseline that counted no
    energy) as ``undefined``."""
    return undefined if x != x else f"{x:.3g}×"
