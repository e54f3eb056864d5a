"""Steady-state throughput of a pipelined machine (e.g. a layer-pipelined CIM chip), closed form.

A stream of identical samples runs through the machine; every engine server (a layer's
arrays on a CIM chip, a processor, ...) runs its share of each sample's ops in program order,
and every shared bandwidth (memory level, link) carries its share of each sample's bytes.

Statement: let ``W_s`` be server ``s``'s busy time for the ``n`` samples of one run (the sum
of the times its ops hold it alone, as the DES holds a server: compute, a serial op's transfers
before it, a CIM chip's shared buffer and bus included, and the op's fixed latency) and
``W_r = bytes_r / rate_r`` the time resource ``r`` is busy. In steady state every server and resource must do one sample's work per sample interval, so
the interval is at least ``I = max(max_s W_s, max_r W_r) / n``; with unbounded buffering
between stages and no dependency from a later sample back to an earlier one (a feed-forward
pipeline), a periodic schedule with period ``I`` exists (the stage that takes ``I`` never
waits), so ``I`` is the steady-state interval and ``1 / I`` the pipelined samples per second.
Where the transfers of two servers' serial ops start together on one shared resource (equal
stages in lock-step), the DES shares it between them and settles above ``I``: ``I`` is then a
lower bound (``tests/report/test_stream_serial.py``). The limiting stage is the server or
resource that takes ``I``; for a two-stage pipeline it is the slower stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SteadyState:
    interval_s: float  # time between samples at steady state, s
    samples_per_s: float
    limit: str  # the stage (server label or resource name) that sets the interval


def steady_state(server_busy_s, server_labels, resource_busy_s: dict[str, float],
                 samples: int = 1) -> SteadyState:
    """The steady state of module docstring: ``server_busy_s`` and ``server_labels`` per server,
    ``resource_busy_s`` per shared resource, for a run of ``samples`` samples."""
    busy = np.asarray(server_busy_s, dtype=np.float64)
    cands = list(zip(busy.tolist(), server_labels)) + [(v, k) for k, v in resource_busy_s.items()]
    if not cands:
        raise ValueError("no stages: nothing runs")
    w, limit = max(cands, key=lambda c: c[0])
    interval = w / max(samples, 1)
    return SteadyState(interval, 1.0 / interval if interval > 0 else float("inf"), limit)


def shared_level_notes(pl, costs, own: set[str]) -> list[str]:
    """A note per component-owned shared resource (``own``: a CIM chip's global buffer and bus
    under ``shared_levels: engine``, not a memory level or link) that the ops of two or more
    servers use: where their transfers meet, the DES shares it and runs slower than the
    closed-form interval, which is then a lower bound (module docstring)."""
    out = []
    for j, r in enumerate(costs.resources):
        if r not in own:
            continue
        used = costs.bytes[:, j] > 0
        if costs.hold_s is not None:
            used |= costs.hold_s[:, j] > 0
        servers = np.unique(pl.server[used])
        if len(servers) > 1:
            out.append(f"pipeline: the ops of {len(servers)} servers (layers) use {r}, a level they "
                       "share: where their transfers meet, the DES shares it and a stream of samples "
                       "runs slower than pipeline_interval_s, then a lower bound (compare the DES's "
                       "gaps over a batch of samples with --placement)")
    return out


def flat_replication_notes(arch) -> list[str]:
    """A note per flat CIM (no ``chip:`` block) that states ``weight_replication: true`` (find-D
    3): its copies balance a layer pipeline, but the steady state above is computed only for a
    component whose layers are stages (:attr:`~cimsim.hw.base.Component.pipelined`, a CIM with a
    ``chip:`` block), so the run has no ``pipelined_*`` columns and ``samples_per_s`` is
    ``samples_per_run / latency_s``. A ``chip:`` block gives them."""
    out = []
    for c in arch.instances:
        cfg = c.config
        if getattr(cfg, "weight_replication", False) and getattr(cfg, "chip", True) is None:
            out.append(f"pipeline: {c.name}.weight_replication copies weights as for a layer "
                       f"pipeline, but {c.name} is flat (no {c.name}.chip block): its layers are "
                       "not stages of a stream of samples, so the run has no pipelined_* columns "
                       "(pipeline_interval_s, pipelined_samples_per_s) and samples_per_s is "
                       "samples_per_run / latency_s (one batch after another), not a steady-state rate; "
                       f"for that rate state a {c.name}.chip block (its duplication maps the "
                       "copies; e.g. isaac-chip, rram-cim's ISAAC as a chip; README 'Throughput "
                       "of the pipeline')")
    return out
