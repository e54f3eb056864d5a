"""A run's utilizations (:attr:`~cimsim.report.result.Result.utilization`): each component's
(:meth:`~cimsim.hw.base.Component.utilization`) and each memory level's, link's and shared
bandwidth's occupancy, each in [0, 1] of the latency -- except a component's
:attr:`~cimsim.hw.base.Component.oversubscribed_utilizations` (a CIM chip's one global
buffer and bus under ``shared_levels: per_op``, charged to each op alone), which may exceed 1
where ops in flight together overlap on the level: reported as it is, with a note, never
clamped."""

from __future__ import annotations

import numpy as np

from . import columns as C
from ..errors import ComponentError
from .format import si


def _frac(x: float, latency: float) -> float:
    return float(x / latency) if latency > 0 else 0.0


def run_utilization(arch, run, traffic: dict[str, float]) -> tuple[dict[str, float], list[str]]:
    """``(utilization by name, notes)`` of ``run`` (a :class:`~cimsim.report.build.RunData`)."""
    pl, costs, latency = run.placement, run.costs, run.latency_s
    busy_per_server = np.bincount(pl.server, weights=run.end - run.start, minlength=pl.n_servers)
    util: dict[str, float] = {}
    over: dict[str, str] = {}  # a utilization that may exceed 1: its component
    ops = pl.arrays  # the columns its components placed the ops with
    for comp, ids, plan, cost in zip(pl.components, pl.idx, pl.plans, costs.component_costs):
        over.update({f"{comp.name}_{u}": comp.name for u in comp.oversubscribed_utilizations})
        if plan is None:
            util.update({f"{comp.name}_{u}": 0.0 for u in comp.utilizations})
            continue
        first = int(pl.server[ids[0]]) - int(plan.server[0])
        busy = float(busy_per_server[first:first + plan.n_servers].sum()) / plan.n_servers
        got = comp.utilization(ops, ids, plan, cost, busy, latency)
        if set(got) != set(comp.utilizations):
            raise ComponentError(f"component '{comp.name}' ({comp.type_name}): utilization() "
                                 f"returned {sorted(got)}, not its type's utilizations "
                                 f"{list(comp.utilizations)}")
        for u, v in got.items():
            if not np.isfinite(v) or v < 0 or (v > 1.0 + 1e-9 and f"{comp.name}_{u}" not in over):
                raise ComponentError(f"component '{comp.name}' ({comp.type_name}): utilization "
                                     f"{u} = {v} is outside [0, 1]")
            util[f"{comp.name}_{u}"] = v
    hw = arch.hardware
    # occupancy: the bytes at peak plus the time ops hold the resource without moving counted
    # bytes (a CIM chip's shared buffer and bus cycles, a blocked PIM op's hold of its level),
    # which the memory bound counts too; bytes alone read a chip's bound level as 1.7 % busy
    hold = costs.hold_s.sum(axis=0) if costs.hold_s is not None else np.zeros(len(costs.resources))
    for j, r in enumerate(costs.resources):
        peak = hw.resource(r).peak_bytes_per_s()
        util[C.resource_util(r)] = _frac(traffic[r] / peak + float(hold[j]), latency)
    for k, v in util.items():
        if not np.isfinite(v) or v < 0 or (v > 1.0 + 1e-9 and k not in over):
            raise AssertionError(f"utilization {k} = {v} is outside [0, 1]: cost model inconsistency "
                                 f"in architecture '{arch.name}'")
    notes = [f"{over[k]}: utilization {k} is {100 * v:.1f} %: shared_levels: per_op charges "
             "each op this level alone, so ops in flight together overlap on its one unit and the "
             f"latency ({si(latency, 's')}) is a lower bound: the level alone needs "
             f"{si(v * latency, 's')}, {v:.1f}x the latency; shared_levels: engine serialises it"
             for k, v in util.items() if k in over and v > 1.0 + 1e-9]
    # what remains above 1 elsewhere is floating-point rounding (at most 1e-9)
    return {k: float(v) if k in over else min(float(v), 1.0) for k, v in util.items()}, notes
