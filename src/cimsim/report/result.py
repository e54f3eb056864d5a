"""Metrics from the event record: the :class:`Result` of one (workload, architecture) run."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit

from . import columns as C


@dataclass
class Result:
    """Everything a user sees about one run. Units are in the field names."""

    workload: str
    architecture: str
    engine: str
    latency_s: float
    energy_breakdown_j: dict[str, float]
    utilization: dict[str, float]
    bound: str
    path_time_s: dict[str, float]  # critical-path time attributed to memory / compute / overhead
    critical_path_s: float
    critical_path_ops: int
    parallelism: float
    bound_memory_s: float
    bound_compute_s: float
    macs: int
    ops: int
    samples: int
    dram_bytes: float
    weight_bytes: int
    activation_bytes: int
    weights_on_chip: bool
    cim_arrays_needed: int
    cim_reprograms: int
    ops_per_unit: dict[str, int]
    notes: list[str] = field(default_factory=list)
    op_table: object = None  # pandas.DataFrame of per-op placement, costs and times

    @property
    def energy_j(self) -> float:
        return float(sum(self.energy_breakdown_j.values()))

    @property
    def throughput_macs_per_s(self) -> float:
        return self.macs / self.latency_s if self.latency_s > 0 else float("nan")

    @property
    def samples_per_s(self) -> float:
        return self.samples / self.latency_s if self.latency_s > 0 else float("nan")

    def record(self) -> dict[str, object]:
        """One flat row keyed by :data:`cimsim.report.columns.RESULT_COLUMNS`."""
        row: dict[str, object] = {
            C.WORKLOAD: self.workload,
            C.ARCHITECTURE: self.architecture,
            C.ENGINE: self.engine,
            C.LATENCY: self.latency_s,
            C.ENERGY: self.energy_j,
            C.BOUND: self.bound,
            C.CRITICAL_PATH_S: self.critical_path_s,
            C.CRITICAL_PATH_OPS: self.critical_path_ops,
            C.PARALLELISM: self.parallelism,
            C.BOUND_MEMORY_S: self.bound_memory_s,
            C.BOUND_COMPUTE_S: self.bound_compute_s,
            C.MACS: self.macs,
            C.OPS: self.ops,
            C.THROUGHPUT_MACS: self.throughput_macs_per_s,
            C.SAMPLES_PER_S: self.samples_per_s,
            C.DRAM_BYTES: self.dram_bytes,
            C.WEIGHT_BYTES: self.weight_bytes,
            C.ACTIVATION_BYTES: self.activation_bytes,
            C.WEIGHTS_ON_CHIP: self.weights_on_chip,
            C.CIM_ARRAYS_NEEDED: self.cim_arrays_needed,
            C.CIM_REPROGRAMS: self.cim_reprograms,
            C.OPS_PROCESSOR: self.ops_per_unit.get("processor", 0),
            C.OPS_CIM: self.ops_per_unit.get("cim", 0),
            C.OPS_PIM: self.ops_per_unit.get("pim", 0),
        }
        for comp in C.ENERGY_COMPONENTS:
            row[C.energy_column(comp)] = self.energy_breakdown_j[comp]
        for res in C.UTILIZATIONS:
            row[C.util_column(res)] = self.utilization[res]
        for part in C.PATH_PARTS:
            row[C.path_column(part)] = self.path_time_s[part]
        assert tuple(row) == C.RESULT_COLUMNS
        return row

    def to_json(self) -> dict[str, object]:
        """The ``--json`` object: headline numbers plus breakdowns as nested objects."""
        return {
            "workload": self.workload,
            "architecture": self.architecture,
            "engine": self.engine,
            "latency_s": self.latency_s,
            "energy_j": self.energy_j,
            "energy_breakdown_j": dict(self.energy_breakdown_j),
            "utilization": dict(self.utilization),
            "bound": self.bound,
            "critical_path_time_s": dict(self.path_time_s),
            "critical_path_s": self.critical_path_s,
            "critical_path_ops": self.critical_path_ops,
            "parallelism": self.parallelism,
            "bound_memory_s": self.bound_memory_s,
            "bound_compute_s": self.bound_compute_s,
            "macs": self.macs,
            "ops": self.ops,
            "throughput_macs_per_s": self.throughput_macs_per_s,
            "samples_per_s": self.samples_per_s,
            "dram_bytes": self.dram_bytes,
            "weight_bytes": self.weight_bytes,
            "activation_bytes": self.activation_bytes,
            "weights_on_chip": self.weights_on_chip,
            "cim_arrays_needed": self.cim_arrays_needed,
            "cim_reprograms": self.cim_reprograms,
            "ops_per_unit": dict(self.ops_per_unit),
            "notes": list(self.notes),
        }


def attribute_path(path: np.ndarray, start: np.ndarray, end: np.ndarray, latency_s: np.ndarray,
                   compute_s: np.ndarray, dram_s: np.ndarray, link_s: np.ndarray,
                   serial: np.ndarray | None = None) -> dict[str, float]:
    """Split the time of the ops on a critical path into the parts of ``PATH_PARTS``.

    Each op's fixed latency (dispatch, access latency) is overhead; the rest of
    its duration goes to whichever of compute, DRAM transfer and interconnect
    transfer takes longest when the op runs alone. A ``serial`` op (transfers,
    then compute) splits the rest between its transfer and its compute in
    proportion to their times alone.
    """
    out = {part: 0.0 for part in C.PATH_PARTS}
    for i in path:
        d = float(end[i] - start[i])
        over = min(float(latency_s[i]), d)
        rest = d - over
        out["overhead"] += over
        if serial is not None and serial[i]:
            xfer = max(float(dram_s[i]), float(link_s[i]))
            total = xfer + float(compute_s[i])
            share = xfer / total if total > 0 else 0.0
            out["memory" if dram_s[i] >= link_s[i] else "interconnect"] += rest * share
            out["compute"] += rest * (1.0 - share)
            continue
        if dram_s[i] >= link_s[i] and dram_s[i] > compute_s[i]:
            out["memory"] += rest
        elif link_s[i] > compute_s[i]:
            out["interconnect"] += rest
        else:
            out["compute"] += rest
    return out


def bound_of(path_time: dict[str, float], latency_s: float, critical_path_s: float) -> str:
    """What bounds the run, one of ``BOUNDS`` (see :mod:`cimsim.report.columns`)."""
    part = max(C.PATH_PARTS, key=lambda k: path_time[k])
    if part != "overhead":
        return part
    return "dependency" if latency_s <= 1.1 * critical_path_s else "overhead"


def realized_critical_path(indptr, indices, server, start, end) -> np.ndarray:
    """Walk back from the last op to finish through whatever it waited for last.

    An op waited for its latest-finishing predecessor or for the op that ran
    before it on its server, whichever ended later (ties: the higher index).
    """
    n = len(start)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((np.arange(n), start))
    prev_on_server = _prev_on_server(order, np.asarray(server, np.int64), int(np.max(server)) + 1)
    rev = _walk_back(np.asarray(indptr, np.int64), np.asarray(indices, np.int64), prev_on_server,
                     np.asarray(start, np.float64), np.asarray(end, np.float64))
    return rev[::-1].copy()


@njit(cache=True)
def _prev_on_server(order, server, n_servers):
    prev = np.full(order.shape[0], -1, np.int64)
    last = np.full(n_servers, -1, np.int64)
    for i in order:
        s = server[i]
        prev[i] = last[s]
        last[s] = i
    return prev


@njit(cache=True)
def _walk_back(indptr, indices, prev_on_server, start, end):
    n = start.shape[0]
    path = np.empty(n, np.int64)
    i = np.argmax(end)
    path[0] = i
    length = 1
    while True:
        limit = start[i] + 1e-15 * max(1.0, start[i])
        best = -1
        for e in range(indptr[i], indptr[i + 1] + 1):
            c = indices[e] if e < indptr[i + 1] else prev_on_server[i]
            if c < 0 or end[c] > limit:
                continue
            if best < 0 or end[c] > end[best] or (end[c] == end[best] and c > best):
                best = c
        if best < 0:
            break
        i = best
        path[length] = i
        length += 1
    return path[:length]
