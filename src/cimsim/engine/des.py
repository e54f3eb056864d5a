"""Discrete-event simulation of a costed op DAG (SimPy).

The engine knows servers, links and time, nothing about hardware configs.

Servers
    Each op runs on one server (the processor, the PIM units, or the CIM arrays
    holding its weight matrix). A server runs one op at a time, taking ready
    ops in program order (lowest index first). Different servers run at once.
Links
    Shared bandwidths (the off-chip memory bus, the host <-> CIM interconnect).
    Concurrent transfers share a link equally (processor sharing): ``k``
    transfers on a link of rate ``R`` each progress at ``R / k``; the shares
    are recomputed whenever a transfer starts or ends.
An op
    starts when its predecessors are done and its server is free; its compute
    (``compute_s`` on the server) and its transfers run concurrently (or, for a
    ``serial`` op, one after the other); when all are done, its fixed
    ``latency_s`` elapses; then it completes.

For speed the simulation is driven by SimPy events with callbacks rather
than one generator process per op: an op costs one event (compute and latency
together) or, when it moves bytes over a link, the link's completion event
plus one for whatever compute or latency remains after it.
"""

from __future__ import annotations

from dataclasses import dataclass

import heapq

import numpy as np
import simpy


@dataclass
class EventRecord:
    """What happened: per-op start and end times (s) and per-link busy time (s)."""

    start: np.ndarray
    end: np.ndarray
    link_busy_s: np.ndarray  # time each link carried at least one transfer

    @property
    def makespan(self) -> float:
        return float(self.end.max()) if self.end.size else 0.0


class _Done:
    """What a link hands to a transfer's callback (quacks like a SimPy event's value)."""

    __slots__ = ("_value",)

    def __init__(self, op: int):
        self._value = op


class _Link:
    """A bandwidth shared equally by the transfers in flight (processor sharing)."""

    __slots__ = ("env", "rate", "active", "last", "version", "busy")

    def __init__(self, env: simpy.Environment, rate: float):
        self.env = env
        self.rate = rate
        self.active: dict[int, list] = {}  # op -> [remaining bytes, tolerance, callback]
        self.last = 0.0
        self.version = 0
        self.busy = 0.0

    def _advance(self) -> None:
        now = self.env.now
        dt = now - self.last
        if dt > 0.0 and self.active:
            moved = self.rate * dt / len(self.active)
            for rec in self.active.values():
                rec[0] -= moved
            self.busy += dt
        self.last = now

    def _reschedule(self) -> None:
        self.version += 1
        if not self.active:
            return
        remaining = min(rec[0] for rec in self.active.values())
        dt = max(remaining, 0.0) * len(self.active) / self.rate
        ev = self.env.timeout(dt)
        version = self.version
        ev.callbacks.append(lambda _e: self._fire(version))

    def _fire(self, version: int) -> None:
        if version != self.version:
            return  # superseded by a later start or finish
        self._advance()
        now, per_byte = self.env.now, len(self.active) / self.rate
        # done: within the byte tolerance, or so close that the clock cannot
        # represent the time left (now + dt == now), which would loop forever
        done = [op for op, rec in self.active.items()
                if rec[0] <= rec[1] or now + rec[0] * per_byte <= now]
        callbacks = [(op, self.active.pop(op)[2]) for op in done]
        self._reschedule()
        for op, cb in callbacks:
            cb(_Done(op))

    def start(self, op: int, nbytes: float, callback) -> None:
        self._advance()
        self.active[op] = [nbytes, max(1e-6, 1e-12 * nbytes), callback]
        self._reschedule()


def simulate_dag(
    indptr: np.ndarray,
    indices: np.ndarray,
    server: np.ndarray,
    compute_s: np.ndarray,
    latency_s: np.ndarray,
    link_bytes: np.ndarray,
    link_rates: np.ndarray,
    serial: np.ndarray | None = None,
) -> EventRecord:
    """Run the DAG to completion.

    Parameters
    ----------
    indptr, indices : CSR predecessor lists; ops are in topological order.
    server : int array, the server of each op (0 .. n_servers-1).
    compute_s : time of each op on its server, s.
    latency_s : fixed delay of each op after its work, s.
    link_bytes : (n_ops, n_links) bytes each op moves over each link.
    link_rates : (n_links,) bandwidth of each link, B/s.
    serial : bool per op (default all False): the op's compute starts only when
        its transfers are done, instead of running beside them.
    """
    n = int(server.shape[0])
    env = simpy.Environment()
    start = np.full(n, np.nan)
    end = np.full(n, np.nan)
    if n == 0:
        return EventRecord(start, end, np.zeros(len(link_rates)))

    links = [_Link(env, float(r)) for r in link_rates]
    # successors and in-degrees from the predecessor CSR
    indeg = np.diff(indptr).astype(np.int64)
    order = np.argsort(indices, kind="stable")
    succ_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(indices, minlength=n), out=succ_ptr[1:])
    op_of_edge = np.repeat(np.arange(n), np.diff(indptr))
    succ_idx = op_of_edge[order]

    indeg_l = indeg.tolist()
    succ_ptr_l = succ_ptr.tolist()
    succ_idx_l = succ_idx.tolist()
    succs = [succ_idx_l[succ_ptr_l[i]:succ_ptr_l[i + 1]] for i in range(n)]
    server_l = server.tolist()
    compute_l = compute_s.tolist()
    latency_l = latency_s.tolist()
    total_l = (compute_s + latency_s).tolist()
    serial_l = serial.tolist() if serial is not None else [False] * n
    if link_bytes.size:
        nz_r, nz_c = np.nonzero(link_bytes > 0)
        nz_links: list[list] = [[] for _ in range(n)]
        for r, c in zip(nz_r.tolist(), nz_c.tolist()):
            nz_links[r].append((links[c], float(link_bytes[r, c])))
    else:
        nz_links = [[] for _ in range(n)]

    n_servers = int(server.max()) + 1
    heappush, heappop = heapq.heappush, heapq.heappop
    timeout = env.timeout

    ready: list[list[int]] = [[] for _ in range(n_servers)]
    busy = [False] * n_servers
    pending = [0] * n
    start_l = [0.0] * n
    end_l = [0.0] * n

    def on_complete(ev) -> None:
        i = ev._value
        end_l[i] = env._now
        s = server_l[i]
        busy[s] = False
        for j in succs[i]:
            indeg_l[j] -= 1
            if indeg_l[j] == 0:
                sj = server_l[j]
                heappush(ready[sj], j)
                if not busy[sj]:
                    launch(sj)
        if ready[s] and not busy[s]:
            launch(s)

    compute_end = [0.0] * n

    def on_part(ev) -> None:
        # a transfer finished; the op's compute runs on its own server for a
        # fixed time, so it needs no event of its own: it ends at compute_end
        i = ev._value
        pending[i] -= 1
        if pending[i] == 0:
            now = env._now
            if serial_l[i]:
                delay = total_l[i]
            else:
                delay = (compute_end[i] - now if compute_end[i] > now else 0.0) + latency_l[i]
            if delay > 0.0:
                timeout(delay, i).callbacks.append(on_complete)
            else:
                on_complete(_Done(i))

    def launch(s: int) -> None:
        i = heappop(ready[s])
        busy[s] = True
        now = env._now
        start_l[i] = now
        transfers = nz_links[i]
        if not transfers:
            # compute and latency in one event
            timeout(total_l[i], i).callbacks.append(on_complete)
            return
        compute_end[i] = now + compute_l[i]
        pending[i] = len(transfers)
        for link, nbytes in transfers:
            link.start(i, nbytes, on_part)

    for i in range(n):
        if indeg_l[i] == 0:
            heappush(ready[server_l[i]], i)
    for s in range(n_servers):
        if ready[s]:
            launch(s)
    env.run()
    start[:] = start_l
    end[:] = end_l
    if any(d > 0 for d in indeg_l):
        raise RuntimeError("simulation ended with ops never ready: the dependency graph has a cycle")
    return EventRecord(start, end, np.array([lk.busy for lk in links]))
