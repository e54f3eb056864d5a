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
- ``unphased_*``: the same for the ops with no phase tag (a hand-composed vision encoder ahead
  of the prefill, say), so that prefill + decode + unphased = ``latency_s`` and ``energy_j``;
  ``unphased_ops`` counts them (0 where every op is tagged).

Under ``--engine analytic`` no op runs beside another (each op alone, as early as its
dependencies allow: no schedule), so ``<phase>_active_s`` is NaN. Where the latency is the
dependency path (the ops' end times reach it) that path is ``R`` and the split is along it, as
a lower bound. Where the busiest unit's or a link's work sets the latency, past every op's end,
no timeline holds it: the phases' latency, energy and bound are NaN / None and only the dynamic
energy (each op's own) is split. :func:`phase_figures` adds a note saying which.
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


def _nan_phase(ph: str) -> dict[str, object]:
    return {f"{ph}_latency_s": np.nan, f"{ph}_active_s": np.nan, f"{ph}_energy_j": np.nan,
            f"{ph}_dynamic_energy_j": np.nan, f"{ph}_bound": None, f"{ph}_bound_part": None}


NO_PHASE = {C.UNPHASED_LATENCY_S: np.nan, C.UNPHASED_ENERGY_J: np.nan,
            C.UNPHASED_DYNAMIC_ENERGY_J: np.nan, C.UNPHASED_OPS: np.nan}


def phase_figures(run, classes: dict[str, str], static_w: float, notes: list[str]) -> dict[str, object]:
    """The :data:`~cimsim.report.columns.PHASE_COLUMNS` of ``run`` (a
    :class:`~cimsim.report.build.RunData`; module docstring); ``classes``: the bound classes of
    the components' compute parts and shared bandwidths, as the run's bound takes them;
    ``static_w``: the run's static power, W. Appends to ``notes`` what an analytic run's
    figures are (or why it has no phase time)."""
    from .build import _split_compute  # the run's own split of compute parts (build imports us)

    code = phase_codes(run.workload)
    out: dict[str, object] = {}
    if not (code >= 0).any():  # no op has a phase: no phase figures at all
        for ph in C.PHASES:
            out.update(_nan_phase(ph))
        return {**out, **NO_PHASE}
    costs, pl = run.costs, run.placement
    path = np.asarray(run.path, dtype=np.int64)
    cp = np.asarray(run.critical_path, dtype=np.int64)
    memory = run.arch.hardware.memory
    dyn = costs.energy.sum(axis=1) if costs.energy.size else np.zeros(len(code))
    des = run.engine == "des"
    # the ops' times are a timeline of the latency (the DES's, or an analytic run's dependency
    # path): else the busiest unit's or a link's work sets it, past every op's end
    timed = des or bool(len(run.end) and float(run.end.max()) >= run.latency_s * (1 - 1e-9))
    for k, ph in enumerate(C.PHASES):
        mine = code == k
        if not mine.any():
            out.update(_nan_phase(ph))
            continue
        ids = np.flatnonzero(mine)
        d = float(dyn[ids].sum())
        if not timed:
            out.update({**_nan_phase(ph), f"{ph}_dynamic_energy_j": d})
            continue
        on = path[mine[path]]
        parts = attribute_path(on, run.start, run.end, costs.latency_s, costs.compute_s,
                               run.resource_s, costs.resources, pl.serial, costs.pieces, costs.ahead)
        _split_compute(parts, dataclasses.replace(run, path=on), pl, costs)
        latency = float((run.end[on] - run.start[on]).sum())
        bound, part = (bound_of(parts, memory, latency, float(run.duration[cp[mine[cp]]].sum()), classes)
                       if len(on) and latency > 0 else (None, None))
        out.update({f"{ph}_latency_s": latency,
                    f"{ph}_active_s": union_s(run.start[ids], run.end[ids]) if des else np.nan,
                    f"{ph}_energy_j": d + static_w * latency, f"{ph}_dynamic_energy_j": d,
                    f"{ph}_bound": bound, f"{ph}_bound_part": part})
    none = code < 0
    d = float(dyn[none].sum())
    off = path[none[path]]  # the path's ops with no phase
    t = float((run.end[off] - run.start[off]).sum()) if timed else np.nan
    out.update({C.UNPHASED_LATENCY_S: t, C.UNPHASED_ENERGY_J: d + static_w * t,
                C.UNPHASED_DYNAMIC_ENERGY_J: d, C.UNPHASED_OPS: int(none.sum())})
    if not des:
        notes.append(ANALYTIC_PHASE_NOTE + (
            "prefill_/decode_latency_s split the dependency path, which is the latency (each op "
            "alone, as early as its dependencies allow): lower bounds, as the latency is; no active "
            "times (the _active_s columns are empty: no op runs beside another, no schedule)"
            if timed else
            f"no phase time (prefill_/decode_latency_s, _active_s and _energy_j empty, no phase "
            f"bound): the latency ({si(run.latency_s, 's')}) is the busiest unit's or a link's work, "
            f"past every op's end (at most {si(float(run.end.max()), 's')}), and no schedule splits "
            "it; only the dynamic energy is split by phase") + "; use --engine des for the phases' time")
    return out


#: how an analytic run's note on its phase figures opens
ANALYTIC_PHASE_NOTE = "analytic engine, LLM phases: "


def _nan(x) -> bool:
    return not isinstance(x, (int, float)) or x != x


def _pct(x: float, whole: float) -> str:
    return f" ({100 * x / whole:.1f} %)" if whole > 0 else ""  # NaN whole: False


def phase_rows(sv: dict, latency_s: float = np.nan, energy_j: float = np.nan) -> list[tuple[str, str]]:
    """``cimsim run``'s ``LLM phases`` row under its ``LLM serving`` line: each phase's share of
    the latency, its active time where phases overlap, its energy (dynamic) and its bound, then
    the share of the ops with no phase tag where there are any (in % of the run's ``latency_s``
    and ``energy_j`` where given); only the dynamic energy where
    the engine gives no phase time (analytic, busiest unit); none without phase figures."""
    texts = []
    for ph in C.PHASES:
        t, dyn = sv.get(f"{ph}_latency_s"), sv.get(f"{ph}_dynamic_energy_j")
        if _nan(t):
            if not _nan(dyn):  # an analytic run with no phase time: its note says why
                texts.append(f"{ph} dynamic {si(dyn, 'J')}")
            continue
        act, bound, part = sv[f"{ph}_active_s"], sv[f"{ph}_bound"], sv[f"{ph}_bound_part"]
        label = "no time on the critical path" if bound is None else \
            f"bound {bound}" + (f" ({part})" if part != bound else "")
        texts.append(f"{ph} {si(t, 's')} of the latency"
                     + (f" (active {si(act, 's')}: beside other ops)" if act > t * (1 + 1e-6) else "")
                     + f", {si(sv[f'{ph}_energy_j'], 'J')} (dynamic {si(sv[f'{ph}_dynamic_energy_j'], 'J')}), {label}")
    n = sv.get(C.UNPHASED_OPS)
    if texts and not _nan(n) and n > 0:  # ops with no phase tag: their share, not dropped
        t, e, dyn = sv[C.UNPHASED_LATENCY_S], sv[C.UNPHASED_ENERGY_J], sv[C.UNPHASED_DYNAMIC_ENERGY_J]
        texts.append(f"in no phase ({n:,} op{'s' if n != 1 else ''} without a phase tag) "
                     + (f"dynamic {si(dyn, 'J')}" if _nan(t) else
                        f"{si(t, 's')}{_pct(t, latency_s)} of the latency, {si(e, 'J')}{_pct(e, energy_j)} "
                        f"of the energy (dynamic {si(dyn, 'J')})"))
    untimed = any(_nan(sv.get(f"{ph}_latency_s")) and not _nan(sv.get(f"{ph}_dynamic_energy_j"))
                  for ph in C.PHASES)
    return [("LLM phases", "; ".join(texts) + (" (no phase time under the analytic engine: see its note)"
                                               if untimed else ""))] if texts else []
