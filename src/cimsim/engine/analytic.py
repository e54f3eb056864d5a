"""Analytic engine: lower bounds instead of an event simulation.

Latency is the largest of
- the critical path, each op taking its isolated duration
  ``max(compute_s, bytes / bandwidth per link) + latency_s`` (the sum instead
  of the max for a serial op: transfers first, then compute; for an op in
  pieces ``max(X + C / p_c, C + X / p_x)``, the DES's rule, :func:`op_work`);
- the busiest server: the sum of the isolated durations of its ops;
- each link: its total bytes over its bandwidth.

Where nothing contends (a chain of ops, or ops on different servers that do
not share a link at the same time) this equals the DES result. Where
transfers overlap on a link the DES shares the bandwidth and is slower; the
analytic value is then a lower bound.
"""

from __future__ import annotations

import numpy as np

from ..workload.graph import longest_path


def analytic_latency(indptr, indices, server, duration, link_bytes, link_rates,
                     critical_path_s: float | None = None) -> tuple[float, dict]:
    """Return ``(latency_s, bounds)`` with each bound in seconds (pass ``critical_path_s``
    when it is already known, to skip the longest-path pass). The longest-path pass needs the
    ops in topological order (each op's predecessors listed before it): a graph that is not is
    refused, naming its first offending edge (one O(edges) check)."""
    if critical_path_s is None:
        check_topological(indptr, indices)
    cp = longest_path(indptr, indices, duration)[0] if critical_path_s is None else critical_path_s
    per_server = np.bincount(server, weights=duration) if duration.size else np.zeros(1)
    link = (link_bytes.sum(axis=0) / link_rates) if link_bytes.size else np.zeros(0)
    bounds = {
        "critical_path_s": float(cp),
        "server_s": float(per_server.max()) if per_server.size else 0.0,
        "link_s": float(link.max()) if link.size else 0.0,
    }
    return max(bounds.values()), bounds


def check_topological(indptr, indices) -> None:
    """Raise ``ValueError`` naming the first edge ``p -> i`` with ``p >= i`` (the ops are not
    in topological order)."""
    indptr = np.asarray(indptr, dtype=np.int64)
    indices = np.asarray(indices, dtype=np.int64)
    op = np.repeat(np.arange(indptr.shape[0] - 1, dtype=np.int64), np.diff(indptr))
    bad = np.flatnonzero(indices >= op)
    if bad.size:
        k = int(bad[0])
        raise ValueError(f"ops are not in topological order: op {int(op[k])} depends on op "
                         f"{int(indices[k])}, listed at or after it (list each op after its "
                         "predecessors)")


def op_work(serial, pieces, compute_s, transfer_s) -> np.ndarray:
    """Each op's isolated work time: its compute ``C`` and its slowest transfer ``X`` (s)
    overlapped (``max``), one after the other for a ``serial`` op (``C + X``), or pipelined
    in ``pieces`` ``(p_x, p_c)`` per op: ``max(X + C / p_c, C + X / p_x)`` (``inf`` pieces
    add exactly nothing)."""
    if pieces is None:
        overlapped = np.maximum(compute_s, transfer_s)
    else:
        with np.errstate(invalid="ignore"):  # inf / inf where compute is inf: the max's
            fill_c = np.where(np.isinf(pieces[:, 1]), 0.0, compute_s / pieces[:, 1])
            fill_x = np.where(np.isinf(pieces[:, 0]), 0.0, transfer_s / pieces[:, 0])
        overlapped = np.maximum(transfer_s + fill_c, compute_s + fill_x)
    return np.where(serial, compute_s + transfer_s, overlapped)
