"""One run: place -> cost -> engine -> report.

>>> from cimsim import simulate, load_architecture, load_workload
>>> r = simulate(load_architecture("configs/gpu-hbm3.yaml"), load_workload("workloads/lstm.json"))
>>> r.latency_s, r.bound
"""

from __future__ import annotations

import copy
import json
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .config import Architecture
from .cost import CostTable, compute_costs
from .engine.analytic import analytic_latency
from .engine.des import simulate_dag
from .errors import CimsimError
from .mapping.placement import Placement, place
from .report import columns as C
from .report.result import Result, attribute_ops, attribute_path, bound_of, realized_critical_path
from .workload.graph import longest_paths
from .workload.ir import Workload

ENGINES = ("des", "analytic")


@dataclass
class RunData:
    """What the stages produced for one run (the report's input)."""

    arch: Architecture
    workload: Workload
    engine: str
    placement: Placement
    costs: CostTable
    rates: np.ndarray  # effective bandwidth of each resource, B/s
    resource_s: np.ndarray  # (ops x resources) transfer time of each op alone, s
    duration: np.ndarray  # each op alone: work + latency, s
    latency_s: float
    start: np.ndarray
    end: np.ndarray
    path: np.ndarray  # realised critical path (DES) or the dependency critical path
    critical_path_s: float
    critical_path: np.ndarray


def resource_rates(arch: Architecture) -> np.ndarray:
    """Effective bandwidth (peak x sustained fraction) of each memory level, then each link."""
    hw = arch.hardware
    return np.array([(hw.memory[r] if r in hw.memory else hw.links[r]).effective_bandwidth
                     for r in hw.resources], dtype=np.float64)


#: bandwidth-like fields: the stages apply them (engine rates), components never read them, so
#: a placement and cost table can be reused across points that differ only in these
_RATE_FIELDS = ("bandwidth", "sustained_fraction")
_COSTS: "OrderedDict[tuple, tuple]" = OrderedDict()
_COSTS_KEEP = 4


def _rate_free_key(arch: Architecture) -> str | None:
    if not arch.source_data:
        return None
    d = copy.deepcopy(dict(arch.source_data))
    for section in ("memory", "links"):
        for item in (d.get(section) or {}).values():
            if isinstance(item, dict):
                for f in _RATE_FIELDS:
                    item.pop(f, None)
    return json.dumps(d, sort_keys=True, default=str)


def _place_and_cost(arch: Architecture, workload: Workload, reuse: bool):
    """Placement and cost table, reused from an earlier call when only memory-level and link
    bandwidths differ (the component contract: costs never depend on them)."""
    key = (id(workload), _rate_free_key(arch)) if reuse else None
    if key is not None and key[1] is not None and key in _COSTS:
        wl, pl, costs = _COSTS[key]
        if wl is workload:
            _COSTS.move_to_end(key)
            return pl, costs
    pl = place(workload, arch)
    costs = compute_costs(pl, arch, workload.arrays)
    if key is not None and key[1] is not None:
        _COSTS[key] = (workload, pl, costs)
        while len(_COSTS) > _COSTS_KEEP:
            _COSTS.popitem(last=False)
    return pl, costs


def simulate(arch: Architecture, workload: Workload, engine: str = "des", keep_ops: bool = True,
             reuse_costs: bool = False) -> Result:
    """Simulate ``workload`` on ``arch`` and report latency, energy and utilization.

    Parameters
    ----------
    engine : ``"des"`` (discrete-event simulation, shares bandwidth between
        concurrent transfers) or ``"analytic"`` (critical-path and bandwidth
        bounds, no event simulation).
    keep_ops : attach the per-op table (``Result.op_table``); sweeps turn it off.
    reuse_costs : reuse the placement and cost table of an earlier call on the same workload
        object whose architecture differs only in memory-level and link bandwidths (sweeps).
    """
    if engine not in ENGINES:
        raise CimsimError(f"engine '{engine}' is not one of {', '.join(ENGINES)}")
    pl, costs = _place_and_cost(arch, workload, reuse_costs)
    indptr, indices = workload.predecessors
    rates = resource_rates(arch)
    resource_s = costs.bytes / rates if len(rates) else np.zeros((pl.n_ops, 0))
    transfer_s = resource_s.max(axis=1) if resource_s.shape[1] else np.zeros(pl.n_ops)
    work = np.where(pl.serial, costs.compute_s + transfer_s, np.maximum(costs.compute_s, transfer_s))
    duration = work + costs.latency_s

    dist, cp_path = longest_paths(indptr, indices, duration)
    cp_s = float(dist.max()) if len(dist) else 0.0
    if engine == "des":
        rec = simulate_dag(indptr, indices, pl.server, costs.compute_s, costs.latency_s, costs.bytes,
                           rates, pl.serial)
        latency = rec.makespan
        start, end = rec.start, rec.end
        path = realized_critical_path(indptr, indices, pl.server, start, end)
    else:
        latency, _ = analytic_latency(indptr, indices, pl.server, duration, costs.bytes, rates, cp_s)
        # times as if each op ran alone, as early as its dependencies allow
        end = dist
        start = end - duration
        path = cp_path
    run = RunData(arch, workload, engine, pl, costs, rates, resource_s, duration, float(latency),
                  start, end, path, float(cp_s), cp_path)
    return build_result(run, keep_ops)


def _frac(x: float, latency: float) -> float:
    return float(x / latency) if latency > 0 else 0.0


def build_result(run: RunData, keep_ops: bool = True) -> Result:
    """The :class:`Result` of a run: energy, utilization, bound, critical path, traffic."""
    arch, pl, costs, latency = run.arch, run.placement, run.costs, run.latency_s
    if not np.isfinite(latency) or latency < 0:
        raise AssertionError(f"the engine returned an impossible latency ({latency} s)")
    energy = {part: float(costs.energy[:, j].sum()) for j, part in enumerate(costs.parts)}
    energy[C.STATIC] = arch.static_power_w * latency

    busy_per_server = np.bincount(pl.server, weights=run.end - run.start, minlength=pl.n_servers)
    util: dict[str, float] = {}
    ops = run.workload.arrays
    for comp, ids, plan, cost in zip(pl.components, pl.idx, pl.plans, costs.component_costs):
        if plan is None:
            util.update({f"{comp.name}_{u}": 0.0 for u in comp.utilizations})
            continue
        first = int(pl.server[ids[0]]) - int(plan.server[0])
        busy = float(busy_per_server[first:first + plan.n_servers].sum()) / plan.n_servers
        for u, v in comp.utilization(ops, ids, plan, cost, busy, latency).items():
            util[f"{comp.name}_{u}"] = v
    hw = arch.hardware
    traffic = {r: float(costs.bytes[:, j].sum()) for j, r in enumerate(costs.resources)}
    for r in costs.resources:
        peak = (hw.memory[r] if r in hw.memory else hw.links[r]).bandwidth
        util[C.resource_util(r)] = _frac(traffic[r] / peak, latency)
    for k, v in util.items():
        if not np.isfinite(v) or v < 0 or v > 1.0 + 1e-9:
            raise AssertionError(f"utilization {k} = {v} is outside [0, 1]: cost model inconsistency "
                                 f"in architecture '{arch.name}'")
    # what remains above 1 is floating-point rounding (at most 1e-9)
    util = {k: min(float(v), 1.0) for k, v in util.items()}
    for k, v in energy.items():
        if not np.isfinite(v) or v < 0:
            raise AssertionError(f"energy part {k} = {v} J is impossible (architecture '{arch.name}')")

    path_time = attribute_path(run.path, run.start, run.end, costs.latency_s, costs.compute_s,
                               run.resource_s, costs.resources, pl.serial)
    bound, part = bound_of(path_time, hw.memory, latency, run.critical_path_s)
    per_server = np.bincount(pl.server, weights=costs.compute_s, minlength=pl.n_servers)
    mem_s = [traffic[r] / run.rates[j] for j, r in enumerate(costs.resources) if r in hw.memory]
    facts: dict[str, object] = {}
    for comp in pl.components:
        for f, default in comp.facts.items():
            facts[C.fact_column(comp.name, f)] = default
    facts.update(pl.facts())
    notes = list(pl.notes)
    areas = C.area_parts(arch)
    if areas:
        bare = [c.name for c in arch.instances if not c.area_m2()]
        if bare:
            notes.append(f"area counts only the parts that declare one: none given for {', '.join(bare)}, "
                         "so area efficiency is an upper bound")
    total_dur = float(run.duration.sum())
    cp_s = run.critical_path_s
    wl = run.workload
    params = wl.metadata.get("params")
    batch = wl.metadata.get("batch") or (params.get("batch") if isinstance(params, dict) else None) or 1
    result = Result(
        workload=wl.name,
        architecture=arch.name,
        engine=run.engine,
        latency_s=float(latency),
        energy_breakdown_j=energy,
        utilization=util,
        bound=bound,
        bound_part=part,
        path_time_s=path_time,
        critical_path_s=cp_s,
        critical_path_ops=int(len(run.critical_path)),
        parallelism=total_dur / cp_s if cp_s > 0 else 1.0,
        bound_memory_s=float(max(mem_s)) if mem_s else 0.0,
        bound_compute_s=float(per_server.max()),
        macs=int(wl.macs),
        ops=len(wl.ops),
        samples=int(batch) if isinstance(batch, (int, float)) else 1,
        traffic_bytes=traffic,
        weight_bytes=int(wl.weight_bytes),
        activation_bytes=int(wl.activation_bytes),
        ops_per_unit={c.name: int(len(ids)) for c, ids in zip(pl.components, pl.idx)},
        facts=facts,
        area_breakdown_m2=areas,
        notes=notes,
    )
    if keep_ops:
        result.op_table = _op_table(run)
        result.path_table = attribute_ops(run.path, run.start, run.end, costs.latency_s,
                                          costs.compute_s, run.resource_s, costs.resources, pl.serial)
    return result


def _op_table(run: RunData):
    import pandas as pd

    pl, costs, wl = run.placement, run.costs, run.workload
    cols = {
        "op": [op.name for op in wl.ops],
        "kind": [op.kind for op in wl.ops],
        "unit": pl.unit_names,
        "server": pl.server,
        "macs": wl.arrays.macs,
        "vector_ops": wl.arrays.vector_ops,
    }
    for j, r in enumerate(costs.resources):
        cols[C.bytes_column(r)] = costs.bytes[:, j]
    cols.update({
        "compute_s": costs.compute_s,
        "latency_s": costs.latency_s,
        "duration_s": run.duration,
        "start_s": run.start,
        "end_s": run.end,
        "energy_j": costs.energy.sum(axis=1),
    })
    cols.update(pl.op_columns())
    return pd.DataFrame(cols)


def op_table(arch: Architecture, workload: Workload, engine: str = "des"):
    """Per-op placement, costs and times as a DataFrame (one row per op)."""
    return simulate(arch, workload, engine=engine, keep_ops=True).op_table
