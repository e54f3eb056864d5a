"""Per-phase figures of an LLM serving run: the prefill's and the decode's latency, energy and
bound (:data:`~cimsim.report.columns.PHASE_COLUMNS`), read from each op's ``phase`` tag
(``prefill`` or ``decode``, as ``cimsim workload llm`` and ``trace --serve`` write it).

Definitions (``columns.py`` says them per column). With ``P`` the ops of a phase and ``R`` the
realised critical path (the chain the engine ran, contiguous from 0 to the latency):

- ``<phase>_latency_s`` = sum over ``R ∩ P`` of ``end - start``: the latency split along the path,
  each instant counted once, in the phase of the op the path is in. Prefill and decode add up
  to ``latency_s`` less the path's untagged ops (none in a generated run). Where phases of
  different requests overlap (continuous batching admitting a request between decode steps,
  sub-batches, a hand-made workload running them side by side), the overlapped time is the
  phase's whose op the path ran.
- ``<phase>_active_s`` = the measure of the union of ``[start, end]`` over ``P``: the wall time in
  which some op of the phase runs; the two phases may add up to more than the latency.
- ``<phase>_dynamic_energy_j`` = sum over ``P`` of the op's energy (every part but static).
- ``<phase>_energy_j`` = that + the run's static power x ``<phase>_latency_s``, so the phases
  share the static energy as they share the latency.
- ``<phase>_bound`` / ``_bound_part``: :func:`~cimsim.report.result.bound_of` (the run's rule)
  over ``R ∩ P``: their time split into parts as the run's path is (compute parts of a
  component moved out as for the run), its latency ``<phase>_latency_s`` and, for the
  dependency test, the time of ``P``'s ops on the dependency critical path. None where
  ``R ∩ P`` is empty (the phase hidden under the other).

An analytic run whose latency a link's bytes set (no op path) splits that link's time by the
phase's ops on it, as its path table does.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from . import columns as C
from .format import si
from .result import attribute_path, bound_of


def phase_codes(workload) -> np.ndarray:
    """Per op, the index of its ``phase`` tag in :data:`~cimsim.report.columns.PHASES`, -1 for
    an op with none (or another value)."""
    c = workload.columns
    out = np.full(c.n_ops, -1, dtype=np.int64)
    col = c.tags.columns.get("phase")
    if col is None or col[0] != "json":  # absent, or every value a number: no phase name
        return out
    has = np.array(["phase" in o for o in c.tags.orders], dtype=bool)[np.asarray(c.tags.order_code)]
    lut = np.array([C.PHASES.index(v) if isinstance(v, str) and v in C.PHASES else -1
                    for v in col[2]] + [-1], dtype=np.int64)
    codes = np.asarray(col[1], dtype=np.int64)
    out[has] = lut[codes[has]]
    return out


def union_s(start: np.ndarray, end: np.ndarray) -> float:
    """The measure of the union of the intervals ``[start_i, end_i]``, s."""
    if not len(start):
        return 0.0
    o = np.argsort(start, kind="stable")
    s, e = start[o], end[o]
    reach = np.maximum.accumulate(e)
    first = np.flatnonzero(np.concatenate(([True], s[1:] > reach[:-1])))  # each run's first
    last = np.concatenate((first[1:] - 1, [len(s) - 1]))
    return float((reach[last] - s[first]).sum())


def phase_figures(run, classes: dict[str, str], static_w: float) -> dict[str, object]:
    """The :data:`~cimsim.report.columns.PHASE_COLUMNS` of ``run`` (a
    :class:`~cimsim.report.build.RunData`; module docstring); ``classes``: the bound classes of
    the components' compute parts and shared bandwidths, as the run's bound takes them;
    ``static_w``: the run's static power, W."""
    from .build import _split_compute  # the run's own split of compute parts (build imports us)

    code = phase_codes(run.workload)
    costs, pl = run.costs, run.placement
    path = np.asarray(run.path, dtype=np.int64)
    cp = np.asarray(run.critical_path, dtype=np.int64)
    memory = run.arch.hardware.memory
    dyn = costs.energy.sum(axis=1) if costs.energy.size else np.zeros(len(code))
    out: dict[str, object] = {}
    for k, ph in enumerate(C.PHASES):
        mine = code == k
        if not mine.any():
            out.update({f"{ph}_latency_s": np.nan, f"{ph}_active_s": np.nan, f"{ph}_energy_j": np.nan,
                        f"{ph}_dynamic_energy_j": np.nan, f"{ph}_bound": None, f"{ph}_bound_part": None})
            continue
        on = path[mine[path]]
        if run.path_time is not None:  # an analytic run a link's bytes set: that link's time
            r = max(run.path_time, key=lambda p: run.path_time[p])
            parts = dict.fromkeys(run.path_time, 0.0)
            parts[r] = float(run.resource_s[on, list(costs.resources).index(r)].sum())
            latency = parts[r]
        else:
            parts = attribute_path(on, run.start, run.end, costs.latency_s, costs.compute_s,
                                   run.resource_s, costs.resources, pl.serial, costs.pieces, costs.ahead)
            _split_compute(parts, dataclasses.replace(run, path=on), pl, costs)
            latency = float((run.end[on] - run.start[on]).sum())
        bound, part = (bound_of(parts, memory, latency, float(run.duration[cp[mine[cp]]].sum()), classes)
                       if len(on) and latency > 0 else (None, None))
        ids = np.flatnonzero(mine)
        d = float(dyn[ids].sum())
        out.update({f"{ph}_latency_s": latency, f"{ph}_active_s": union_s(run.start[ids], run.end[ids]),
                    f"{ph}_energy_j": d + static_w * latency, f"{ph}_dynamic_energy_j": d,
                    f"{ph}_bound": bound, f"{ph}_bound_part": part})
    return out


def phase_rows(sv: dict) -> list[tuple[str, str]]:
    """``cimsim run``'s ``LLM phases`` row under its ``LLM serving`` line: each phase's share of
    the latency, its active time where phases overlap, its energy (dynamic) and its bound; none
    without phase figures."""
    texts = []
    for ph in C.PHASES:
        t = sv.get(f"{ph}_latency_s")
        if not isinstance(t, float) or t != t:
            continue
        act, bound, part = sv[f"{ph}_active_s"], sv[f"{ph}_bound"], sv[f"{ph}_bound_part"]
        label = "no time on the critical path" if bound is None else \
            f"bound {bound}" + (f" ({part})" if part != bound else "")
        texts.append(f"{ph} {si(t, 's')} of the latency"
                     + (f" (active {si(act, 's')}: beside other ops)" if act > t * (1 + 1e-6) else "")
                     + f", {si(sv[f'{ph}_energy_j'], 'J')} (dynamic {si(sv[f'{ph}_dynamic_energy_j'], 'J')}), {label}")
    return [("LLM phases", "; ".join(texts))] if texts else []
