"""One run: place -> cost -> engine -> report.

>>> from cimsim import simulate, load_architecture, load_workload
>>> r = simulate(load_architecture("configs/gpu-hbm3.yaml"), load_workload("workloads/lstm.json"))
>>> r.latency_s, r.bound
"""

from __future__ import annotations

import numpy as np

from .config import Architecture
from .cost.kernels import ENERGY_COLUMNS, CostTable, compute_costs
from .engine.analytic import analytic_latency
from .engine.des import simulate_dag
from .errors import CimsimError
from .mapping.placement import UNIT_CIM, UNIT_NAMES, UNIT_PIM, UNIT_PROCESSOR, Placement, place
from .report import columns as C
from .report.result import Result, attribute_path, bound_of, realized_critical_path
from .workload.graph import longest_path, path_lengths
from .workload.ir import Workload

ENGINES = ("des", "analytic")

LINK_DRAM, LINK_INTERCONNECT = 0, 1


def servers_of(pl: Placement) -> np.ndarray:
    """Engine server of each op: 0 processor, 1 PIM, 2+g the CIM arrays of matrix g
    (all CIM ops on server 2 when the matrices share re-programmed arrays)."""
    server = np.where(pl.unit == UNIT_PROCESSOR, 0, 1).astype(np.int64)
    cim = pl.unit == UNIT_CIM
    server[cim] = 2 if pl.cim_shared else 2 + pl.cim_group[cim]
    return server


def _link_rates(arch: Architecture) -> np.ndarray:
    link_bw = arch.interconnect.bandwidth if arch.interconnect is not None else np.inf
    return np.array([arch.memory.effective_bandwidth, link_bw])


def simulate(arch: Architecture, workload: Workload, engine: str = "des", keep_ops: bool = True) -> Result:
    """Simulate ``workload`` on ``arch`` and report latency, energy and utilization.

    Parameters
    ----------
    engine : ``"des"`` (discrete-event simulation, shares bandwidth between
        concurrent transfers) or ``"analytic"`` (critical-path and bandwidth
        bounds, no event simulation).
    keep_ops : attach the per-op table (``Result.op_table``); sweeps turn it off.
    """
    if engine not in ENGINES:
        raise CimsimError(f"engine '{engine}' is not one of {', '.join(ENGINES)}")
    pl = place(workload, arch)
    dtypes = workload.arrays.dtype
    try:
        costs = compute_costs(pl, arch, dtypes)
    except KeyError as exc:
        raise CimsimError(f"architecture '{arch.name}': {exc.args[0]}") from None
    indptr, indices = workload.predecessors
    server = servers_of(pl)
    rates = _link_rates(arch)
    link_bytes = np.stack([costs.dram_bytes, costs.link_bytes], axis=1)
    per_link_s = link_bytes / rates
    transfer_s = per_link_s.max(axis=1) if len(server) else np.zeros(0)
    work = np.where(pl.serial, costs.compute_s + transfer_s, np.maximum(costs.compute_s, transfer_s))
    duration = work + costs.latency_s

    cp_s, cp_path = longest_path(indptr, indices, duration)
    if engine == "des":
        rec = simulate_dag(indptr, indices, server, costs.compute_s, costs.latency_s, link_bytes, rates,
                           pl.serial)
        latency = rec.makespan
        start, end = rec.start, rec.end
        path = realized_critical_path(indptr, indices, server, start, end)
    else:
        latency, _ = analytic_latency(indptr, indices, server, duration, link_bytes, rates)
        # times as if each op ran alone, as early as its dependencies allow
        end = path_lengths(indptr, indices, duration)
        start = end - duration
        path = cp_path
    return _report(arch, workload, engine, pl, costs, server, duration, per_link_s, latency,
                   start, end, path, cp_s, cp_path, keep_ops)


def _report(arch: Architecture, workload: Workload, engine: str, pl: Placement, costs: CostTable,
            server, duration, per_link_s, latency, start, end, path, cp_s, cp_path,
            keep_ops: bool) -> Result:
    proc = pl.unit == UNIT_PROCESSOR
    energy = {name: float(costs.energy[:, j].sum()) for j, name in enumerate(ENERGY_COLUMNS)}
    static_w = arch.processor.static_power
    static_w += arch.cim.static_power if arch.cim is not None else 0.0
    static_w += arch.pim.static_power if arch.pim is not None else 0.0
    energy["static"] = static_w * latency
    energy = {c: energy[c] for c in C.ENERGY_COMPONENTS}

    def frac(x: float) -> float:
        return float(x / latency) if latency > 0 else 0.0

    dtypes = workload.arrays.dtype
    mac_time = 0.0
    for dt in np.unique(dtypes[proc]) if proc.any() else []:
        sel = proc & (dtypes == dt)
        mac_time += pl.macs[sel].sum() / arch.processor.peak_macs_per_s(str(dt))
    util = {
        "mac": frac(mac_time),
        "processor_busy": frac(float((end - start)[proc].sum())) if proc.any() else 0.0,
        "dram_bw": frac(costs.dram_bytes.sum() / arch.memory.bandwidth),
        "cim_arrays": frac(costs.cim_array_s.sum() / arch.cim.arrays) if arch.cim is not None else 0.0,
        "pim": frac(pl.macs[pl.unit == UNIT_PIM].sum() / arch.pim_peak_macs_per_s)
        if arch.pim is not None else 0.0,
        "interconnect_bw": (
            frac(costs.link_bytes.sum() / arch.interconnect.bandwidth)
            if arch.interconnect is not None else 0.0
        ),
    }
    for k, v in util.items():
        if v > 1.0 + 1e-9:
            raise AssertionError(f"utilization {k} = {v} > 1: cost model inconsistency")
    # what remains above 1 is floating-point rounding (at most 1e-9)
    util = {k: min(v, 1.0) for k, v in util.items()}

    path_time = attribute_path(path, start, end, costs.latency_s, costs.compute_s,
                               per_link_s[:, LINK_DRAM], per_link_s[:, LINK_INTERCONNECT], pl.serial)
    bound = bound_of(path_time, float(latency), float(cp_s))

    per_server = np.bincount(server, weights=costs.compute_s) if len(server) else np.zeros(1)
    total_dur = float(duration.sum())
    notes = list(pl.notes)
    params = workload.metadata.get("params")
    batch = workload.metadata.get("batch") or (params.get("batch") if isinstance(params, dict) else None) or 1
    result = Result(
        workload=workload.name,
        architecture=arch.name,
        engine=engine,
        latency_s=float(latency),
        energy_breakdown_j=energy,
        utilization={k: float(v) for k, v in util.items()},
        bound=bound,
        path_time_s=path_time,
        critical_path_s=float(cp_s),
        critical_path_ops=int(len(cp_path)),
        parallelism=total_dur / cp_s if cp_s > 0 else 1.0,
        bound_memory_s=float(costs.dram_bytes.sum() / arch.memory.effective_bandwidth),
        bound_compute_s=float(per_server.max()),
        macs=int(workload.macs),
        ops=len(workload.ops),
        samples=int(batch) if isinstance(batch, (int, float)) else 1,
        dram_bytes=float(costs.dram_bytes.sum()),
        weight_bytes=int(workload.weight_bytes),
        activation_bytes=int(workload.activation_bytes),
        weights_on_chip=bool(pl.weights_on_chip),
        cim_arrays_needed=int(pl.cim_arrays_needed),
        cim_reprograms=int(pl.cim_reprograms),
        ops_per_unit={name: int((pl.unit == u).sum()) for u, name in enumerate(UNIT_NAMES)},
        notes=notes,
    )
    if keep_ops:
        result.op_table = _op_table(workload, pl, costs, duration, start, end, server)
    return result


def _op_table(workload, pl, costs, duration, start, end, server):
    import pandas as pd

    return pd.DataFrame({
        "op": [op.name for op in workload.ops],
        "kind": [op.kind for op in workload.ops],
        "unit": [UNIT_NAMES[u] for u in pl.unit],
        "server": server,
        "macs": pl.macs,
        "vector_ops": pl.vector_ops,
        "dram_bytes": costs.dram_bytes,
        "link_bytes": costs.link_bytes,
        "sram_bytes": costs.sram_bytes,
        "compute_s": costs.compute_s,
        "latency_s": costs.latency_s,
        "duration_s": duration,
        "start_s": start,
        "end_s": end,
        "energy_j": costs.energy.sum(axis=1),
        "cim_reprogram": pl.cim_reprogram,
    })


def op_table(arch: Architecture, workload: Workload, engine: str = "des"):
    """Per-op placement, costs and times as a DataFrame (one row per op)."""
    return simulate(arch, workload, engine=engine, keep_ops=True).op_table
