"""Runs against a chosen baseline architecture: speed-up and energy ratio, per workload.

``speed-up = baseline latency / latency`` (above 1: faster than the baseline) and
``energy ratio = energy / baseline energy`` (below 1: less energy than the baseline; undefined,
NaN, when the baseline counted no energy), each run against the baseline's run of the same
workload. The baseline's own rows are 1 and 1. A tensor- or pipeline-parallel run's time and
energy are the run's, all its devices' (``system_energy_j`` over ``pipeline_span_s`` under
micro-batches; find-L 1: ``latency_s`` is then one micro-batch's, shorter than the run, and
``energy_j`` one device's).
Pure arithmetic on results: nothing here simulates.
"""

from __future__ import annotations

from typing import Iterable

from ..errors import CimsimError

#: the columns ``compare --baseline`` adds (beside latency and energy; left out last, since the
#: title promises them)
RATIO_HEADERS = ["speed-up ×", "energy ratio"]


def baseline_ratios(results: Iterable, baseline: str) -> dict[tuple[str, str], tuple[float, float]]:
    """``{(workload, architecture): (speed-up, energy ratio)}`` of each result against the
    result of architecture ``baseline`` on the same workload; a workload the baseline did not
    run has no entry. Refuses a baseline that ran nothing (one line, naming what ran)."""
    results = list(results)
    bad = next((r for r in results if not all(hasattr(r, a) for a in
                                               ("workload", "architecture", "latency_s", "energy_j"))), None)
    if bad is not None:
        raise CimsimError(f"baseline_ratios() takes Results (simulate()'s), got a {type(bad).__name__}")
    keys = [(r.workload, r.architecture) for r in results]
    if len(set(keys)) != len(keys):
        twice = next(k for k in keys if keys.count(k) > 1)
        raise CimsimError(f"two runs of workload '{twice[0]}' on architectures named '{twice[1]}': "
                          "ratios are keyed by name; give each config its own name")
    base = {r.workload: r for r in results if r.architecture == baseline}
    if not base:
        names = ", ".join(dict.fromkeys(r.architecture for r in results))
        raise CimsimError(f"--baseline {baseline}: no such architecture among the runs ({names})")
    out = {}
    for r in results:
        b = base.get(r.workload)
        if b is None:
            continue
        (bt, be), (rt, re) = _run(b), _run(r)
        speed = bt / rt if rt > 0 else float("nan")
        energy = re / be if be > 0 else float("nan")
        out[(r.workload, r.architecture)] = (speed, energy)
    return out


def _run(r) -> tuple[float, float]:
    """The run's time and energy, what the ratios divide (module docstring): ``latency_s`` and
    ``energy_j``, or for a tensor- or pipeline-parallel run all its devices' (``system_energy_j``)
    over the run's time (a micro-batched pipeline's ``pipeline_span_s``, not ``latency_s``, one
    micro-batch's through the stages on one device: find-L 1)."""
    if not getattr(r, "one_device_share", False):
        return r.latency_s, r.energy_j
    from .devices import system
    s = system(r)
    return s.latency_s, s.energy_j


def period_energy_ratios(results: Iterable, baseline: str) -> dict[tuple[str, str], float]:
    """``{(workload, architecture): period_j_per_sample / the baseline's}``: the energy ratio at a
    stated period (``Result.at_load``), where the full-load ratio leaves out the idle static
    power between runs; NaN where either run cannot keep the period (or has none)."""
    from . import columns as C

    results = list(results)
    base = {r.workload: r.facts.get(C.PERIOD_J_PER_SAMPLE, float("nan"))
            for r in results if r.architecture == baseline}
    out = {}
    for r in results:
        b = base.get(r.workload)
        if b is not None:
            e = r.facts.get(C.PERIOD_J_PER_SAMPLE, float("nan"))
            out[(r.workload, r.architecture)] = e / b if b > 0 else float("nan")
    return out


def with_ratios(df, ratios: dict, baseline: str, period: dict | None = None):
    """``df`` (one row per run, ``workload`` and ``architecture`` columns) with the columns
    ``baseline``, ``speedup_vs_baseline`` and ``energy_ratio_vs_baseline`` (empty where the
    baseline did not run that workload), after ``architecture``: the table's CSV copy says what
    the printed table's ratio columns say; with ``period`` (:func:`period_energy_ratios`) also
    ``period_energy_ratio_vs_baseline``."""
    from . import columns as C

    keys = list(zip(df[C.WORKLOAD], df[C.ARCHITECTURE]))
    out = df.copy()
    at = list(out.columns).index(C.ARCHITECTURE) + 1
    for j, (name, values) in enumerate(((C.BASELINE, [baseline] * len(keys)),
                                        (C.SPEEDUP, [ratios.get(k, (None, None))[0] for k in keys]),
                                        (C.ENERGY_RATIO, [ratios.get(k, (None, None))[1] for k in keys]))):
        out.insert(at + j, name, values)
    out[[C.SPEEDUP, C.ENERGY_RATIO]] = out[[C.SPEEDUP, C.ENERGY_RATIO]].astype(float)
    if period is not None:
        out.insert(at + 3, C.PERIOD_ENERGY_RATIO, [float(period.get(k, float("nan"))) for k in keys])
    return out


def ratio(x: float, undefined: str = "n/a") -> str:
    """A ratio as printed: ``2.5×``, ``0.0123×``; NaN (no denominator: a baseline that counted no
    energy) as ``undefined``."""
    return undefined if x != x else f"{x:.3g}×"
