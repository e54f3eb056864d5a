"""Per-model figures of a merged workload (:mod:`cimsim.workload.merge`: ``metadata["models"]``):
each model's start, completion time (its latency: the end of its last op, from the run's
start), dynamic energy (its ops' energy) and ops, ``run``'s lines and ``--json``'s ``models``
table; and a deadline per model (``--deadline planner=20ms``). Static energy is the system's,
over the whole run, and not split between the models."""

from __future__ import annotations

import copy
import math

import numpy as np

from ..errors import CimsimError, WorkloadError
from ..units import si


#: the ``bound`` of a model's figures under the analytic engine (review 22 I 8)
LOWER = "lower (analytic: each op alone)"
#: the run's note on them
ANALYTIC_MODELS_NOTE = ("analytic engine: each model's completion time (and its deadline's met and "
                        "slack) takes each op alone, as early as its inputs allow: lower bounds (the "
                        "DES, where ops share units and links, can be much later, and the run's latency "
                        "may exceed every model's); use --engine des for per-model times")


def model_figures(metadata: dict, run, energy: np.ndarray, notes: list | None = None) -> dict:
    """``{model: {start_s, latency_s, dynamic_energy_j, ops, after}}`` from the engine's run
    (its ops' ``start`` and ``end`` times, s) and the ops' energies (J), each model's ops the
    range ``metadata["models"]`` states; ``{}`` for a workload that is not a merge. A range
    outside the ops is a one-line error. Under the analytic engine each model also has
    ``bound`` (:data:`LOWER`) and ``notes`` gets :data:`ANALYTIC_MODELS_NOTE`."""
    models = metadata.get("models")
    if not models:
        return {}
    start, end = run.start, run.end
    lower = getattr(run, "engine", "des") == "analytic"
    if lower and notes is not None:
        notes.append(ANALYTIC_MODELS_NOTE)
    out = {}
    for i, m in enumerate(models):
        try:
            first, n, name = int(m["first_op"]), int(m["ops"]), str(m["name"])
        except (KeyError, TypeError, ValueError):
            raise WorkloadError(f"metadata.models[{i}]: needs name, first_op and ops (what cimsim "
                                "workload merge writes)") from None
        if not (0 <= first and 0 < n and first + n <= len(end)):
            raise WorkloadError(f"metadata.models[{i}] ({name}): ops {first} to {first + n - 1} are not "
                                f"among the workload's {len(end):,} ops")
        sl = slice(first, first + n)
        out[name] = {"start_s": float(np.min(start[sl])), "latency_s": float(np.max(end[sl])),
                     "dynamic_energy_j": float(np.sum(energy[sl])), "ops": n,
                     "after": list(m.get("after") or []), **({"bound": LOWER} if lower else {})}
    return out


def with_deadlines(r, deadlines, period_s: float | None = None) -> object:
    """A copy of Result ``r`` whose per-model figures add ``deadline_s``, ``deadline_slack_s``,
    ``meets_deadline``, ``deadline_response_s`` and ``power_up_deadline_slack_s`` for each
    ``(model, seconds)`` of ``deadlines``; a model the run does not have is a one-line error.
    A model answers as the run does (final read 22-2 2): after the wake-up of the ``--idle`` the
    run was put at load under (``r.facts``' ``period_idle``, :func:`cimsim.report.idle.figures`)
    then its completion time; the first call after power-up after the longest wake-up and the
    re-programming of volatile weights (:func:`cimsim.report.load.power_up_response_s`) then its
    completion time. One longer than ``period_s`` gets the note
    :func:`cimsim.report.load.past_period_note` says."""
    from . import columns as C, idle
    from .load import _PAST_PERIOD, _wake_s, min_period_s, past_period_note

    if not deadlines:
        return r
    if not r.models:
        raise CimsimError(f"deadline {deadlines[0][0]}=...: a per-model deadline needs a merged workload "
                          "(cimsim workload merge); this one has no models")
    out = copy.copy(r)
    out.models = {k: dict(v) for k, v in r.models.items()}
    named = [n for n, _ in deadlines]
    if len(set(named)) != len(named):
        twice = next(n for n in named if named.count(n) > 1)
        raise CimsimError(f"deadline {twice}=...: two deadlines for model '{twice}'; give one")
    f = idle.figures(r, r.facts.get(C.PERIOD_IDLE, "on"))
    wake = _wake_s(f) or 0.0
    power_up = idle.power_up_wake_s(r) + r.power_up_programming_s  # before the first call's ops
    mine = tuple(f"model {n}'s deadline " for n in named)  # restated: their old notes go
    out.notes = [n for n in out.notes if not (n.startswith(mine) and n.endswith(_PAST_PERIOD))]
    for name, t in deadlines:
        if name not in out.models:
            raise CimsimError(f"deadline {name}={si(t, 's')}: no model '{name}' (the models: "
                              f"{', '.join(out.models)})")
        m = out.models[name]
        resp = wake + m["latency_s"]
        slow = math.nan if period_s is not None and min_period_s(r) > period_s else 0.0  # find-Q 1
        m.update(deadline_s=t, deadline_slack_s=t - resp + slow, meets_deadline=resp + slow <= t,
                 deadline_response_s=resp,
                 power_up_deadline_slack_s=t + slow - (resp if f["acts"] == "gate" else power_up + m["latency_s"]))
        if period_s is not None and t > period_s:
            out.notes = [*out.notes, past_period_note(t, period_s, f"model {name}'s ")]
    return out


def model_rows(r) -> list[tuple[str, str]]:
    """``run``'s line per model: its completion time, start, dynamic energy, what it waits on and
    its deadline (with the wake-up it waits for first, and the first call after power-up where
    that misses it, as the run's ``deadline`` line)."""
    from . import columns as C

    from .slo import queue_clause

    mode = r.facts.get(C.PERIOD_IDLE, "on")
    rows = []
    for name, m in (r.models or {}).items():
        low = "bound" in m  # the analytic engine's: lower bounds
        text = (f"done at {'≥ ' if low else ''}{si(m['latency_s'], 's')} (first op at {si(m['start_s'], 's')}"
                f"{'; lower bounds, each op alone: --engine des' if low else ''}), "
                f"{si(m['dynamic_energy_j'], 'J')} dynamic, {m['ops']:,} op{'s' if m['ops'] != 1 else ''}"
                + (f", after {', '.join(m['after'])}" if m["after"] else ""))
        if "deadline_s" in m:
            text += (f"; deadline {si(m['deadline_s'], 's')}: "
                     + ("MISSED" if not m["meets_deadline"] else "met by the lower bound" if low else "met")
                     + f", slack {'≤ ' if low else ''}{si(m['deadline_slack_s'], 's')}")
            if (wake := m.get("deadline_response_s", m["latency_s"]) - m["latency_s"]) > 0:
                text += f" (waking {si(wake, 's')} first, --idle {mode})"
            pu = m.get("power_up_deadline_slack_s", 0.0)
            if m["meets_deadline"] and pu < 0 and mode != "gate":
                text += (f"; the first call after power-up ({si(m['deadline_s'] - pu, 's')}) MISSES it "
                         f"by {si(-pu, 's')}")
            text += queue_clause(r.facts)  # the deadline of one run, not queued (F2 4)
        rows.append((f"model {name}", text))
    return rows
