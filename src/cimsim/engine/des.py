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

Two implementations of these rules, with the same results:

SimPy (the reference event engine)
    Driven by SimPy events with callbacks rather than one generator process per
    op: an op costs one event (compute and latency together) or, when it moves
    bytes over a link, the link's completion event plus one for whatever
    compute or latency remains after it. Only SimPy's public API is used.
The uncontended path (``method="auto"``, the default)
    While no transfer ever starts on a link that is already carrying one, a
    link never shares and every op's duration is fixed by its own costs. A
    compiled kernel (:func:`_run_uncontended`) then replays exactly the events
    the SimPy engine would schedule -- the same times from the same
    floating-point operations, processed in the same order (time, then the
    order in which they were scheduled, as SimPy does) -- without SimPy's
    per-event objects. At the first transfer that would share a link the
    kernel stops and the whole DAG is simulated with SimPy instead. The two are
    held to each other bit for bit on random DAGs (``tests/test_engine_paths.py``).

Neither keeps a per-event record: the result is the per-op start and end
arrays and the per-link busy time.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import simpy
from numba import njit

METHODS = ("auto", "simpy")


@dataclass
class EventRecord:
    """What happened: per-op start and end times (s) and per-link busy time (s).

    ``path`` says which implementation produced it: ``"uncontended"`` (the
    compiled replay; no transfer ever shared a link) or ``"simpy"``.
    """

    start: np.ndarray
    end: np.ndarray
    link_busy_s: np.ndarray  # time each link carried at least one transfer
    path: str = "simpy"

    @property
    def makespan(self) -> float:
        return float(self.end.max()) if self.end.size else 0.0


@dataclass
class _Dag:
    """The engine's inputs as flat arrays: successor CSR and per-op transfer CSR."""

    n: int
    n_servers: int
    indeg: np.ndarray  # int64 (n,)
    succ_ptr: np.ndarray  # int64 (n+1,)
    succ_idx: np.ndarray  # int64, successors of op i in increasing order
    server: np.ndarray  # int64 (n,)
    compute: np.ndarray  # float64 (n,)
    latency: np.ndarray  # float64 (n,)
    total: np.ndarray  # compute + latency, float64 (n,)
    serial: np.ndarray  # bool (n,)
    xfer_ptr: np.ndarray  # int64 (n+1,): op i's transfers are xfer_ptr[i]:xfer_ptr[i+1]
    xfer_link: np.ndarray  # int64, link of each transfer (increasing within an op)
    xfer_bytes: np.ndarray  # float64, bytes of each transfer (> 0)
    rates: np.ndarray  # float64 (n_links,)


def _prepare(indptr, indices, server, compute_s, latency_s, link_bytes, link_rates, serial) -> _Dag:
    """Vectorised set-up: no per-op Python loop."""
    n = int(server.shape[0])
    indptr = np.asarray(indptr, dtype=np.int64)
    indices = np.asarray(indices, dtype=np.int64)
    indeg = np.diff(indptr)
    # successors from the predecessor CSR: edge (p -> op) sorted by p, stably,
    # so each op's successors come in increasing order
    order = np.argsort(indices, kind="stable")
    succ_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(indices, minlength=n), out=succ_ptr[1:])
    succ_idx = np.repeat(np.arange(n, dtype=np.int64), indeg)[order]
    compute = np.asarray(compute_s, dtype=np.float64)
    latency = np.asarray(latency_s, dtype=np.float64)
    link_bytes = np.asarray(link_bytes, dtype=np.float64)
    if link_bytes.size:
        mask = link_bytes > 0
        rows, cols = np.nonzero(mask)  # row-major: an op's links in increasing order
        xfer_bytes = link_bytes[rows, cols]
        xfer_link = cols.astype(np.int64)
        xfer_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=xfer_ptr[1:])
    else:
        xfer_bytes = np.zeros(0)
        xfer_link = np.zeros(0, dtype=np.int64)
        xfer_ptr = np.zeros(n + 1, dtype=np.int64)
    server = np.asarray(server, dtype=np.int64)
    return _Dag(
        n=n, n_servers=int(server.max()) + 1 if n else 0, indeg=indeg, succ_ptr=succ_ptr,
        succ_idx=succ_idx, server=server, compute=compute, latency=latency,
        total=compute + latency,
        serial=np.zeros(n, dtype=bool) if serial is None else np.asarray(serial, dtype=bool),
        xfer_ptr=xfer_ptr, xfer_link=xfer_link, xfer_bytes=xfer_bytes,
        rates=np.asarray(link_rates, dtype=np.float64),
    )


def simulate_dag(
    indptr: np.ndarray,
    indices: np.ndarray,
    server: np.ndarray,
    compute_s: np.ndarray,
    latency_s: np.ndarray,
    link_bytes: np.ndarray,
    link_rates: np.ndarray,
    serial: np.ndarray | None = None,
    *,
    method: str = "auto",
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
    method : ``"auto"`` replays the run in compiled code while no two
        transfers share a link and falls back to SimPy at the first that
        would; ``"simpy"`` always runs the SimPy engine. Results are identical.
    """
    if method not in METHODS:
        raise ValueError(f"method '{method}' is not one of {', '.join(METHODS)}")
    n = int(server.shape[0])
    if n == 0:
        return EventRecord(np.full(0, np.nan), np.full(0, np.nan), np.zeros(len(link_rates)))
    dag = _prepare(indptr, indices, server, compute_s, latency_s, link_bytes, link_rates, serial)
    if method == "auto" and _replayable(dag):
        rec = _uncontended(dag)
        if rec is not None:
            return rec
    return _simpy_engine(dag)


# --------------------------------------------------------------------------- SimPy engine
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
        # the timeout carries the version it was scheduled under
        self.env.timeout(dt, self.version).callbacks.append(self._fire)

    def _fire(self, ev) -> None:
        if ev.value != self.version:
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
            cb(op)

    def start(self, op: int, nbytes: float, callback) -> None:
        """Start moving ``nbytes`` for ``op``; ``callback(op)`` when they are through."""
        self._advance()
        self.active[op] = [nbytes, max(1e-6, 1e-12 * nbytes), callback]
        self._reschedule()


def _simpy_engine(dag: _Dag) -> EventRecord:
    n = dag.n
    env = simpy.Environment()
    links = [_Link(env, float(r)) for r in dag.rates]

    indeg_l = dag.indeg.tolist()
    succ_ptr_l = dag.succ_ptr.tolist()
    succ_idx_l = dag.succ_idx.tolist()
    server_l = dag.server.tolist()
    compute_l = dag.compute.tolist()
    latency_l = dag.latency.tolist()
    total_l = dag.total.tolist()
    serial_l = dag.serial.tolist()
    xfer_ptr_l = dag.xfer_ptr.tolist()
    xfer_link_l = [links[c] for c in dag.xfer_link.tolist()]
    xfer_bytes_l = dag.xfer_bytes.tolist()

    heappush, heappop = heapq.heappush, heapq.heappop
    timeout = env.timeout

    ready: list[list[int]] = [[] for _ in range(dag.n_servers)]
    busy = [False] * dag.n_servers
    pending = [0] * n
    compute_end = [0.0] * n
    start_l = [0.0] * n
    end_l = [0.0] * n

    def complete(i: int) -> None:
        end_l[i] = env.now
        s = server_l[i]
        busy[s] = False
        for k in range(succ_ptr_l[i], succ_ptr_l[i + 1]):
            j = succ_idx_l[k]
            indeg_l[j] -= 1
            if indeg_l[j] == 0:
                sj = server_l[j]
                heappush(ready[sj], j)
                if not busy[sj]:
                    launch(sj)
        if ready[s] and not busy[s]:
            launch(s)

    def on_complete(ev) -> None:
        complete(ev.value)

    def on_part(i: int) -> None:
        # a transfer finished; the op's compute runs on its own server for a
        # fixed time, so it needs no event of its own: it ends at compute_end
        pending[i] -= 1
        if pending[i] == 0:
            now = env.now
            if serial_l[i]:
                delay = total_l[i]
            else:
                delay = (compute_end[i] - now if compute_end[i] > now else 0.0) + latency_l[i]
            if delay > 0.0:
                timeout(delay, i).callbacks.append(on_complete)
            else:
                complete(i)

    def launch(s: int) -> None:
        i = heappop(ready[s])
        busy[s] = True
        now = env.now
        start_l[i] = now
        k0, k1 = xfer_ptr_l[i], xfer_ptr_l[i + 1]
        if k0 == k1:
            # compute and latency in one event
            timeout(total_l[i], i).callbacks.append(on_complete)
            return
        compute_end[i] = now + compute_l[i]
        pending[i] = k1 - k0
        for k in range(k0, k1):
            xfer_link_l[k].start(i, xfer_bytes_l[k], on_part)

    for i in np.flatnonzero(dag.indeg == 0).tolist():
        heappush(ready[server_l[i]], i)
    for s in range(dag.n_servers):
        if ready[s]:
            launch(s)
    env.run()
    if any(d > 0 for d in indeg_l):
        raise RuntimeError("simulation ended with ops never ready: the dependency graph has a cycle")
    return EventRecord(np.array(start_l), np.array(end_l), np.array([lk.busy for lk in links]))


# --------------------------------------------------------------------------- uncontended path
def _replayable(dag: _Dag) -> bool:
    """Inputs on which the compiled replay's arithmetic provably matches Python's:
    finite, non-negative times and bytes, positive rates. Anything else goes to
    SimPy, which reports it as it always has."""
    return bool(
        np.isfinite(dag.total).all() and (dag.compute >= 0).all() and (dag.latency >= 0).all()
        and np.isfinite(dag.xfer_bytes).all()
        and (dag.rates > 0).all() and not np.isnan(dag.rates).any()
    )


# statuses of the kernel
_DONE, _CONTENDED = 0, 1
# event kinds
_EV_COMPLETE, _EV_FIRE = 0, 1


def _uncontended(dag: _Dag) -> EventRecord | None:
    """Run the compiled replay; ``None`` if a transfer would have shared a link."""
    start = np.zeros(dag.n)
    end = np.zeros(dag.n)
    busy_s = np.zeros(dag.rates.shape[0])
    indeg = dag.indeg.copy()
    status = _run_uncontended(
        dag.n_servers, indeg, dag.succ_ptr, dag.succ_idx, dag.server, dag.compute, dag.latency,
        dag.total, dag.serial, dag.xfer_ptr, dag.xfer_link, dag.xfer_bytes, dag.rates,
        start, end, busy_s)
    if status == _CONTENDED:
        return None
    if (indeg > 0).any():
        raise RuntimeError("simulation ended with ops never ready: the dependency graph has a cycle")
    return EventRecord(start, end, busy_s, path="uncontended")


@njit(cache=True)
def _heap_push(t, q, a, b, size, time, seq, x, y):
    """Push event (time, seq) with payload (x, y) onto the binary min-heap ordered by (t, q)."""
    k = size
    while k > 0:
        parent = (k - 1) >> 1
        if t[parent] < time or (t[parent] == time and q[parent] < seq):
            break
        t[k], q[k], a[k], b[k] = t[parent], q[parent], a[parent], b[parent]
        k = parent
    t[k], q[k], a[k], b[k] = time, seq, x, y
    return size + 1


@njit(cache=True)
def _heap_pop(t, q, a, b, size):
    """Remove the root (the caller has read it); return the new size."""
    size -= 1
    if size == 0:
        return 0
    time, seq, x, y = t[size], q[size], a[size], b[size]
    k = 0
    while True:
        c = 2 * k + 1
        if c >= size:
            break
        if c + 1 < size and (t[c + 1] < t[c] or (t[c + 1] == t[c] and q[c + 1] < q[c])):
            c += 1
        if time < t[c] or (time == t[c] and seq < q[c]):
            break
        t[k], q[k], a[k], b[k] = t[c], q[c], a[c], b[c]
        k = c
    t[k], q[k], a[k], b[k] = time, seq, x, y
    return size


@njit(cache=True)
def _ready_push(heap, base, size, op):
    """Push ``op`` onto the int min-heap ``heap[base : base+size]``; return the new size."""
    k = size
    while k > 0:
        parent = (k - 1) >> 1
        if heap[base + parent] <= op:
            break
        heap[base + k] = heap[base + parent]
        k = parent
    heap[base + k] = op
    return size + 1


@njit(cache=True)
def _ready_pop(heap, base, size):
    """Pop the smallest op of ``heap[base : base+size]``; return ``(op, new size)``."""
    top = heap[base]
    size -= 1
    if size > 0:
        last = heap[base + size]
        k = 0
        while True:
            c = 2 * k + 1
            if c >= size:
                break
            if c + 1 < size and heap[base + c + 1] < heap[base + c]:
                c += 1
            if last <= heap[base + c]:
                break
            heap[base + k] = heap[base + c]
            k = c
        heap[base + k] = last
    return top, size


@njit(cache=True)
def _run_uncontended(n_servers, indeg, succ_ptr, succ_idx, server, compute, latency, total, serial,
                     xfer_ptr, xfer_link, xfer_bytes, rates, start, end, link_busy):
    """Replay the SimPy engine's events while every link carries at most one transfer.

    Mirrors ``_simpy_engine`` step for step: the same events (an op's completion;
    a link's completion check) scheduled in the same order at times computed by
    the same floating-point expressions, processed in (time, schedule order)
    like SimPy's queue. Returns ``_CONTENDED`` as soon as a transfer would start
    on a busy link (the SimPy engine then runs the DAG), else ``_DONE`` with
    ``start``, ``end``, ``link_busy`` filled and ``indeg`` left > 0 for ops
    that never became ready (a cycle).
    """
    n = server.shape[0]
    n_links = rates.shape[0]
    # per-server ready heaps in one array, server s at ready_base[s]
    counts = np.zeros(n_servers, dtype=np.int64)
    for i in range(n):
        counts[server[i]] += 1
    ready_base = np.zeros(n_servers, dtype=np.int64)
    for s in range(1, n_servers):
        ready_base[s] = ready_base[s - 1] + counts[s - 1]
    ready = np.empty(n, dtype=np.int64)
    ready_size = np.zeros(n_servers, dtype=np.int64)
    busy = np.zeros(n_servers, dtype=np.bool_)
    pending = np.zeros(n, dtype=np.int64)
    compute_end = np.zeros(n)
    # each link: its one transfer (op, remaining bytes, tolerance) and its clock
    link_op = np.full(n_links, -1, dtype=np.int64)
    link_rem = np.zeros(n_links)
    link_tol = np.zeros(n_links)
    link_last = np.zeros(n_links)
    # the event queue: at most one event per busy server and per busy link
    cap = n_servers + n_links + 1
    ev_t = np.empty(cap)
    ev_q = np.empty(cap, dtype=np.int64)
    ev_op = np.empty(cap, dtype=np.int64)
    ev_link = np.empty(cap, dtype=np.int64)  # -1: the op's completion, else a link check
    n_ev = 0
    seq = 0
    now = 0.0

    for i in range(n):
        if indeg[i] == 0:
            s = server[i]
            ready_size[s] = _ready_push(ready, ready_base[s], ready_size[s], i)
    # servers to launch, in the order the SimPy engine calls launch(s): a launch
    # schedules events but never completes an op, so deferring the calls to the
    # end of complete() pops the same ops and schedules the same events in order
    to_launch = np.empty(n_servers + 1, dtype=np.int64)
    n_launch = 0
    for s in range(n_servers):
        if ready_size[s] > 0:
            to_launch[n_launch] = s
            n_launch += 1

    while True:
        # ---- launch(s) for each queued server, in order
        for li in range(n_launch):
            s = to_launch[li]
            i, ready_size[s] = _ready_pop(ready, ready_base[s], ready_size[s])
            busy[s] = True
            start[i] = now
            k0 = xfer_ptr[i]
            k1 = xfer_ptr[i + 1]
            if k0 == k1:
                n_ev = _heap_push(ev_t, ev_q, ev_op, ev_link, n_ev, now + total[i], seq, i, -1)
                seq += 1
                continue
            compute_end[i] = now + compute[i]
            pending[i] = k1 - k0
            for k in range(k0, k1):
                lk = xfer_link[k]
                if link_op[lk] >= 0:
                    return _CONTENDED
                b = xfer_bytes[k]
                # _Link.start on an idle link: _advance moves nothing; then reschedule
                link_last[lk] = now
                link_op[lk] = i
                link_rem[lk] = b
                link_tol[lk] = max(1e-6, 1e-12 * b)
                n_ev = _heap_push(ev_t, ev_q, ev_op, ev_link, n_ev,
                                  now + max(b, 0.0) * 1.0 / rates[lk], seq, i, lk)
                seq += 1
        n_launch = 0

        if n_ev == 0:
            return _DONE
        now = ev_t[0]
        i = ev_op[0]
        lk = ev_link[0]
        n_ev = _heap_pop(ev_t, ev_q, ev_op, ev_link, n_ev)

        if lk >= 0:
            # _Link._fire with one transfer in flight
            rate = rates[lk]
            dt = now - link_last[lk]
            if dt > 0.0:
                link_rem[lk] -= rate * dt / 1.0
                link_busy[lk] += dt
            link_last[lk] = now
            per_byte = 1.0 / rate
            rem = link_rem[lk]
            if not (rem <= link_tol[lk] or now + rem * per_byte <= now):
                n_ev = _heap_push(ev_t, ev_q, ev_op, ev_link, n_ev,
                                  now + max(rem, 0.0) * 1.0 / rate, seq, i, lk)
                seq += 1
                continue
            link_op[lk] = -1
            # on_part
            pending[i] -= 1
            if pending[i] != 0:
                continue
            if serial[i]:
                delay = total[i]
            else:
                delay = (compute_end[i] - now if compute_end[i] > now else 0.0) + latency[i]
            if delay > 0.0:
                n_ev = _heap_push(ev_t, ev_q, ev_op, ev_link, n_ev, now + delay, seq, i, -1)
                seq += 1
                continue
        # complete(i): successors in increasing order, each launched at once if
        # its server is idle, then this op's server takes its next ready op
        end[i] = now
        s = server[i]
        busy[s] = False
        for k in range(succ_ptr[i], succ_ptr[i + 1]):
            j = succ_idx[k]
            indeg[j] -= 1
            if indeg[j] == 0:
                sj = server[j]
                ready_size[sj] = _ready_push(ready, ready_base[sj], ready_size[sj], j)
                if not busy[sj]:
                    to_launch[n_launch] = sj
                    n_launch += 1
                    busy[sj] = True  # launched below, in this order
        if ready_size[s] > 0 and not busy[s]:
            to_launch[n_launch] = s
            n_launch += 1
