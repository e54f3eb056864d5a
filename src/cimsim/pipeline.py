"""One run, the stages in order: place -> cost -> engine, handed to the report.

>>> from cimsim import simulate, load_architecture, load_workload
>>> r = simulate(load_architecture("configs/gpu-hbm3.yaml"), load_workload("workloads/lstm.json"))
>>> r.latency_s, r.bound

The placement and cost table of a run can be reused by a later one whose
architecture differs only in rate fields (memory-level and link bandwidths):
pass the same :class:`~cimsim.cost.cache.CostCache` to both (sweeps do).
"""

from __future__ import annotations

import numpy as np

from .config import Architecture
from .cost import CostTable, compute_costs
from .cost.cache import CostCache
from .engine.analytic import analytic_latency
from .engine.des import simulate_dag
from .errors import CimsimError
from .hw.base import STREAM, Pattern
from .mapping.placement import Placement, place
from .report.build import RunData, build_result
from .report.result import Result, realized_critical_path
from .workload.graph import longest_paths
from .workload.ir import Workload

ENGINES = ("des", "analytic")


def resource_rates(arch: Architecture) -> np.ndarray:
    """Sustained bandwidth of each memory level, then each link, for streaming reads
    (:data:`~cimsim.hw.base.STREAM`): the rates the engine shares (an op of another pattern
    moves more bytes at them, :func:`pattern_scale`)."""
    hw = arch.hardware
    return np.array([hw.resource(r).bytes_per_s() for r in hw.resources], dtype=np.float64)


def pattern_scale(arch: Architecture, arrays, rates: np.ndarray) -> np.ndarray | None:
    """(n_ops, n_resources) factor ``stream rate / rate of the op's pattern`` on each resource,
    or None when it is 1 everywhere (every op streams reads, or no resource's rate depends on
    the pattern: the fast path, and every bundled config).

    The engine shares one rate per resource; an op whose pattern a resource serves slower is
    charged the time of its bytes at its own rate by moving ``bytes x scale`` at the streaming
    rate (the engine stays pattern-free; energy is charged on the counted bytes, unscaled).
    """
    if arrays.streams or not len(rates):
        return None
    n = len(arrays.kind)
    size = arrays.access_bytes if arrays.access_bytes is not None else np.zeros(n)
    reads = arrays.read_fraction if arrays.read_fraction is not None else np.ones(n)
    keys, inverse = np.unique(np.stack([size, reads], axis=1), axis=0, return_inverse=True)
    pats = [STREAM if (s == 0 and r == 1) else
            Pattern.random_access(float(s), float(r)) if s > 0 else Pattern.stream(float(r))
            for s, r in keys]
    hw = arch.hardware
    cols = []
    for j, name in enumerate(hw.resources):
        res = hw.resource(name)
        cols.append(np.array([rates[j] / res.bytes_per_s(p) if p is not STREAM else 1.0
                              for p in pats]))
    table = np.stack(cols, axis=1)  # (n_patterns, n_resources)
    if (table == 1.0).all():
        return None
    return table[inverse.reshape(-1)]


def engine_rules(arch: Architecture, table: CostTable):
    """The engine's optional link rules: ``(exclusive, curves)``.

    ``exclusive`` (ops x resources, or None): an op that *holds* a resource (``hold_s > 0``,
    e.g. a PIM op in ``blocked`` sharing) holds it alone, non-preemptive; other transfers
    queue behind it. ``curves`` (per resource, or None): each resource's loaded-latency curve
    (:meth:`~cimsim.hw.base.Resource.loaded_latency_curve`). None when no resource has one /
    nothing holds (every bundled config: the engine's plain rules, bit for bit)."""
    hw = arch.hardware
    curves = [hw.resource(r).loaded_latency_curve() for r in hw.resources]
    held = table.hold_s is not None and bool(table.hold_s.any())
    return (table.hold_s > 0 if held else None,
            curves if any(c is not None for c in curves) else None)


def analytic_notes(arch: Architecture, exclusive, curves) -> list[str]:
    """What the analytic engine leaves out of the DES's rules, for the result's notes."""
    names = arch.hardware.resources
    out = []
    if curves is not None:
        out.append("analytic engine: no loaded latency on " + ", ".join(
            n for n, c in zip(names, curves) if c is not None) + " (each op as if alone: the idle "
            "latency; the DES adds the latency that grows with load)")
    if exclusive is not None:
        out.append("analytic engine: transfers that hold " + ", ".join(
            n for n, h in zip(names, exclusive.any(axis=0)) if h) + " exclusively (e.g. PIM in "
            "blocked sharing) are not queued ahead of others; the bounds count their time only")
    return out


def place_and_cost(arch: Architecture, workload: Workload,
                   costs: CostCache | None = None) -> tuple[Placement, CostTable]:
    """The placement and cost table of ``workload`` on ``arch``; from ``costs`` when it holds
    them for an architecture equal to this one but for rate fields (the component contract:
    costs never depend on them)."""
    if costs is not None:
        hit = costs.get(arch, workload)
        if hit is not None:
            return hit
    pl = place(workload, arch)
    table = compute_costs(pl, arch, workload.arrays)
    if costs is not None:
        costs.put(arch, workload, pl, table)
    return pl, table


def simulate(arch: Architecture, workload: Workload, engine: str = "des", keep_ops: bool = True,
             costs: CostCache | None = None) -> Result:
    """Simulate ``workload`` on ``arch`` and report latency, energy and utilization.

    Parameters
    ----------
    engine : ``"des"`` (discrete-event simulation, shares bandwidth between
        concurrent transfers) or ``"analytic"`` (critical-path and bandwidth
        bounds, no event simulation).
    keep_ops : attach the per-op table (``Result.op_table``); sweeps turn it off.
    costs : a :class:`~cimsim.cost.cache.CostCache` to take the placement and cost table
        from (and to leave them in): runs on the same workload object whose architectures
        differ only in memory-level and link bandwidths share them (sweeps).
    """
    if engine not in ENGINES:
        raise CimsimError(f"engine '{engine}' is not one of {', '.join(ENGINES)}")
    pl, table = place_and_cost(arch, workload, costs)
    indptr, indices = workload.predecessors
    rates = resource_rates(arch)
    moved = table.engine_bytes(rates)
    scale = pattern_scale(arch, workload.arrays, rates)
    slow = None
    if scale is not None:  # per-op rates, as counted bytes scaled to the streaming rate
        extra = table.bytes * (scale - 1.0)  # (holds, energy and traffic unscaled)
        moved = moved + extra
        slow = extra.sum(axis=0)
    resource_s = moved / rates if len(rates) else np.zeros((pl.n_ops, 0))
    transfer_s = resource_s.max(axis=1) if resource_s.shape[1] else np.zeros(pl.n_ops)
    work = np.where(pl.serial, table.compute_s + transfer_s, np.maximum(table.compute_s, transfer_s))
    duration = work + table.latency_s

    dist, cp_path = longest_paths(indptr, indices, duration)
    cp_s = float(dist.max()) if len(dist) else 0.0
    exclusive, curves = engine_rules(arch, table)
    notes: list[str] = []
    if engine == "des":
        rec = simulate_dag(indptr, indices, pl.server, table.compute_s, table.latency_s, moved,
                           rates, pl.serial, exclusive=exclusive, link_latency=curves)
        latency = rec.makespan
        start, end = rec.start, rec.end
        path = realized_critical_path(indptr, indices, pl.server, start, end)
    else:
        latency, _ = analytic_latency(indptr, indices, pl.server, duration, moved, rates, cp_s)
        notes = analytic_notes(arch, exclusive, curves)
        # times as if each op ran alone, as early as its dependencies allow
        end = dist
        start = end - duration
        path = cp_path
    run = RunData(arch, workload, engine, pl, table, rates, resource_s, duration, float(latency),
                  start, end, path, float(cp_s), cp_path, slow, notes)
    return build_result(run, keep_ops)
