"""From what the stages produced for one run to its :class:`~cimsim.report.result.Result`.

:class:`RunData` is the pipeline's hand-over (placement, cost table, engine
times); :func:`build_result` turns it into a Result: energy, utilization,
bound, critical path, traffic and, when asked, the per-op table. Nothing here
names a device: components, memory levels and links are looped over by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import columns as C
from ..hw.base import MEASURED_BOUND_DETAIL, MEASURED_COMPUTE
from .provenance import placeholder_shares, precision_notes
from .result import Result, attribute_ops, attribute_path, bound_of, measured_share

if TYPE_CHECKING:  # annotations only: report reads these, it never runs a stage
    from ..config import Architecture
    from ..cost import CostTable
    from ..mapping.placement import Placement
    from ..workload.ir import Workload


@dataclass
class RunData:
    """What the stages produced for one run (the report's input)."""

    arch: "Architecture"
    workload: "Workload"
    engine: str
    placement: "Placement"
    costs: "CostTable"
    rates: np.ndarray  # effective bandwidth of each resource, B/s
    resource_s: np.ndarray  # (ops x resources) transfer time of each op alone, s
    duration: np.ndarray  # each op alone: work + latency, s
    latency_s: float
    start: np.ndarray
    end: np.ndarray
    path: np.ndarray  # realised critical path (DES) or the dependency critical path
    critical_path_s: float
    critical_path: np.ndarray


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
        peak = hw.resource(r).peak_bytes_per_s()
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
    detail = ""
    measured = _measured_ops(pl)
    if part == "compute" and measured is not None:
        share = measured_share(run.path, run.start, run.end, costs.latency_s, costs.compute_s,
                               run.resource_s, measured, pl.serial)
        if share > 0.5:
            detail = MEASURED_BOUND_DETAIL
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
    if detail:
        notes.append(f"bound: {share:.1%} of the critical path's compute time comes from measured "
                     "tables (timed kernels), which already include the weight streaming of the "
                     "kernel; the memory traffic behind it is not split out")
    prov, e_share, a_share = placeholder_shares(arch, energy, areas)
    mixed = precision_notes(pl.components, pl.idx, run.workload.arrays.dtype)
    notes += mixed
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
        bound_detail=detail,
        realized_path_ops=int(len(run.path)),
        energy_placeholder_share=e_share,
        area_placeholder_share=a_share,
        provenance=prov,
        precision_mismatch=bool(mixed),
    )
    if keep_ops:
        result.op_table = _op_table(run)
        result.path_table = attribute_ops(run.path, run.start, run.end, costs.latency_s,
                                          costs.compute_s, run.resource_s, costs.resources, pl.serial)
    return result


def _measured_ops(pl) -> np.ndarray | None:
    """A bool per op: its compute time comes from a measured table (``MEASURED_COMPUTE``, a
    component's op column); None when no component marks any."""
    out = None
    for ids, plan in zip(pl.idx, pl.plans):
        col = plan.op_columns.get(MEASURED_COMPUTE) if plan is not None else None
        if col is not None:
            out = np.zeros(pl.n_ops, dtype=bool) if out is None else out
            out[ids] = np.asarray(col, dtype=bool)
    return out


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
