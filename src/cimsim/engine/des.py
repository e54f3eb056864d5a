"""Discrete-event simulation of a costed op DAG (SimPy).

Why one module of over 600 lines: the SimPy engine's callbacks (``_simpy_run``), its
link model (``_Link``: processor sharing, exclusive transfers, loaded-latency curves,
pieces) and the state it shares with the compiled replay (``_State``) are one set of
rules, read together. The compiled replay, which mirrors the callbacks rule for rule
(the same floating-point operations in the same order), is :mod:`.replay` (until
2026-12-06 in this module, 978 lines): a change to one is made to the other in the
same diff (the completion arithmetic appears once per implementation, deliberately).

The engine knows servers, links and time, nothing about hardware configs.

Servers
    Each op runs on one server (the processor, the PIM units, or the CIM arrays
    holding its weight matrix). A server runs one op at a time, taking ready
    ops in program order (lowest index first). Different servers run at once.
Simultaneous events
    Everything that happens at one instant (ops completing, transfers ending)
    is applied before any op starts; then every idle server with a ready op
    takes its lowest-index one, the servers taken in the order of those ops'
    indices (program order), so the op listed first starts its transfers
    first (and, on a link with exclusive transfers, holds it first). An op
    that becomes ready at ``t`` on a server freed at ``t`` competes with the
    server's waiting ops by index. Ops of zero duration started at ``t`` end
    at ``t``, and the ops they free start in a later round at the same ``t``.
Links
    Shared bandwidths (the off-chip memory bus, the host <-> CIM interconnect).
    Concurrent transfers share a link equally (processor sharing): ``k``
    transfers on a link of rate ``R`` each progress at ``R / k``; the shares
    are recomputed whenever a transfer starts or ends.
Exclusive transfers (optional, per op and link)
    A transfer marked exclusive holds its link alone and is not preempted: it
    starts when the link carries nothing, and every transfer that arrives
    while it runs, or while it waits, queues behind it (first come, first
    served); when the link empties, the head of the queue starts (an exclusive
    transfer alone, else the run of non-exclusive ones up to the next exclusive,
    sharing). Waiting counts as the transfer's time.
Loaded latency (optional, per link)
    A link may carry a curve ``(u, extra_s)``, piecewise linear, starting at
    ``(0, 0)`` (beyond its last point, its last value): a transfer that shared its link (or waited) finishes its part
    of the op ``extra_s(u)`` after its last byte, where ``u = 1 - b / (R d)``
    is the share of the link's capacity other transfers used while it was in
    flight (``b`` its bytes, ``R`` the rate, ``d`` from its arrival to its last
    byte). A transfer that never shared has ``u = 0`` and no extra latency.
    The extra latency does not occupy the link.
An op
    starts when its predecessors are done and its server is free; its compute
    (``compute_s`` on the server) and its transfers run concurrently (or, for a
    ``serial`` op, one after the other); when all are done (each transfer's
    loaded latency included), its fixed ``latency_s`` elapses; then it completes.
Pieces (optional, per op)
    An op that is not serial may pipeline its transfers and its compute in
    pieces (e.g. one activation row at a time): with ``p_x`` transfer pieces and
    ``p_c`` compute pieces, its compute cannot end before its last piece is
    computed after its transfers are through, nor before all of it is computed
    after the first transfer piece arrived: its work ends at
    ``max(x_end + compute / p_c, c_end + (x_end - start) / p_x)``, where
    ``x_end`` is when its transfers are through and ``c_end = start +
    compute``. The default ``p_x = p_c = inf`` gives ``max(x_end, c_end)``: the
    two overlap entirely; ``p_x = p_c = 1`` gives the serial op's sum.
Ahead (optional, per op and link)
    A transfer marked ahead runs before the op's other transfers: those start when
    every ahead one is through (an input that must arrive before the op's output
    can leave, over another link). ``x_end`` is then when the last of the rest is
    through. Only the SimPy engine runs such an op (the compiled replay declines a
    DAG with one).

Two implementations of these rules, with the same results:

SimPy (the reference event engine)
    Driven by SimPy events with callbacks rather than one generator process per
    op: an op costs one event (compute and latency together) or, when it moves
    bytes over a link, the link's completion event plus one for whatever
    compute or latency remains after it. Only SimPy's public API is used.
The compiled replay (``method="auto"``, the default)
    While no transfer starts on a link that already carries one, no link
    shares and every op's duration is fixed by its own costs. A compiled kernel
    (:func:`.replay._replay`) then replays exactly the events the SimPy engine would
    schedule -- the same times from the same floating-point operations,
    processed in the same order (time, then the order in which they were
    scheduled, as SimPy does) -- without SimPy's per-event objects. Before each
    event it checks whether the event would start a transfer beside another;
    if so, SimPy takes over from that state (the pending events re-created in
    their order, at their exact times) and runs the stretch where transfers
    share, handing back to the replay once ``HANDBACK_AFTER`` events in a row
    leave every link with at most one transfer. Where sharing is dense (short
    replay stretches) SimPy runs to the end. The run is held to the SimPy
    engine bit for bit on random DAGs (``tests/engine/test_engine_paths.py``).

Neither keeps a per-event record: the result is the per-op start and end
arrays and the per-link busy time.

"""

from __future__ import annotations

import bisect
import heapq
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import simpy

from .replay import _CONTENDED, _replay_kernel, _replayable

METHODS = ("auto", "simpy")
_INF = float("inf")


@dataclass
class EventRecord:
    """What happened: per-op start and end times (s) and per-link busy time (s).

    ``path`` says which implementation produced it: ``"uncontended"`` (the
    compiled replay alone; no transfer ever shared a link), ``"stitched"``
    (replay and SimPy stretches) or ``"simpy"``.
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
    #: ``(n, 5)``: compute, latency, total (compute + latency), transfer pieces, compute pieces
    #: (inf: overlapped) of each op, one row per op: one argument for the compiled replay (two
    #: more arrays in its signature made it 1.5x slower), the columns below are views of it
    per_op: np.ndarray
    serial: np.ndarray  # bool (n,)
    has_pieces: bool  # some op has finite pieces
    xfer_ptr: np.ndarray  # int64 (n+1,): op i's transfers are xfer_ptr[i]:xfer_ptr[i+1]
    xfer_link: np.ndarray  # int64, link of each transfer (increasing within an op)
    xfer_bytes: np.ndarray  # float64, bytes of each transfer (> 0)
    rates: np.ndarray  # float64 (n_links,)
    xfer_excl: np.ndarray  # bool, each transfer holds its link exclusively
    curves: list  # per link: None or (u, extra_s) float lists, the loaded-latency curve
    xfer_ahead: np.ndarray = None  # bool, each transfer runs before the op's others (Ahead)

    compute = property(lambda self: self.per_op[:, 0])  # float64 (n,)
    latency = property(lambda self: self.per_op[:, 1])  # float64 (n,)
    total = property(lambda self: self.per_op[:, 2])  # compute + latency, float64 (n,)

    @property
    def has_curve(self) -> np.ndarray:
        return np.array([c is not None for c in self.curves], dtype=np.bool_)

    @cached_property
    def lists(self) -> tuple[list, ...]:
        """The per-op arrays as Python lists (fast to index from Python), made once."""
        return (self.succ_ptr.tolist(), self.succ_idx.tolist(), self.server.tolist(),
                self.compute.tolist(), self.latency.tolist(), self.total.tolist(),
                self.serial.tolist(), self.xfer_ptr.tolist(), self.xfer_link.tolist(),
                self.xfer_bytes.tolist(),
                self.per_op[:, 3].tolist() if self.has_pieces else None,
                self.per_op[:, 4].tolist() if self.has_pieces else None)


def _prepare(indptr, indices, server, compute_s, latency_s, link_bytes, link_rates, serial,
             exclusive=None, link_latency=None, pieces=None, ahead=None) -> _Dag:
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
    link_bytes = np.asarray(link_bytes, dtype=np.float64)
    if link_bytes.size:
        mask = link_bytes > 0
        rows, cols = np.nonzero(mask)  # row-major: an op's links in increasing order
        xfer_bytes = link_bytes[rows, cols]
        xfer_link = cols.astype(np.int64)
        xfer_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=xfer_ptr[1:])
        xfer_excl = (np.zeros(len(rows), dtype=np.bool_) if exclusive is None
                     else np.asarray(exclusive, dtype=np.bool_)[rows, cols])
        xfer_ahead = (np.zeros(len(rows), dtype=np.bool_) if ahead is None
                      else np.asarray(ahead, dtype=np.bool_)[rows, cols])
    else:
        xfer_bytes = np.zeros(0)
        xfer_link = np.zeros(0, dtype=np.int64)
        xfer_ptr = np.zeros(n + 1, dtype=np.int64)
        xfer_excl = np.zeros(0, dtype=np.bool_)
        xfer_ahead = np.zeros(0, dtype=np.bool_)
    rates = np.asarray(link_rates, dtype=np.float64)
    server = np.asarray(server, dtype=np.int64)
    per_op = np.empty((n, 5))
    per_op[:, 0] = compute_s
    per_op[:, 1] = latency_s
    np.add(per_op[:, 0], per_op[:, 1], out=per_op[:, 2])
    if pieces is None:
        per_op[:, 3:] = np.inf
    else:
        per_op[:, 3], per_op[:, 4] = _pieces(pieces, n)
    return _Dag(
        n=n, n_servers=int(server.max()) + 1 if n else 0, indeg=indeg, succ_ptr=succ_ptr,
        succ_idx=succ_idx, server=server, per_op=per_op,
        serial=np.zeros(n, dtype=bool) if serial is None else np.asarray(serial, dtype=bool),
        has_pieces=bool(np.isfinite(per_op[:, 3:]).any()),
        xfer_ptr=xfer_ptr, xfer_link=xfer_link, xfer_bytes=xfer_bytes, rates=rates,
        xfer_excl=xfer_excl, curves=_curves(link_latency, rates.shape[0]), xfer_ahead=xfer_ahead,
    )


def _pieces(pieces, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Check and split the per-op ``(transfer pieces, compute pieces)``."""
    if pieces is None:
        return np.full(n, np.inf), np.full(n, np.inf)
    p = np.asarray(pieces, dtype=np.float64)
    if p.shape != (n, 2):
        raise ValueError(f"pieces is (n_ops, 2) = ({n}, 2) numbers >= 1 (inf: overlapped), not an "
                         f"array of shape {p.shape}")
    if not (p >= 1.0).all():  # NaN fails too
        raise ValueError(f"pieces is (n_ops, 2) numbers >= 1 (inf: overlapped), not "
                         f"{float(p[~(p >= 1.0)][0])!r}")
    return p[:, 0], p[:, 1]


def _curves(link_latency, n_links: int) -> list:
    """Check and normalise the per-link loaded-latency curves."""
    if link_latency is None:
        return [None] * n_links
    if len(link_latency) != n_links:
        raise ValueError(f"link_latency has {len(link_latency)} entries for {n_links} links")
    out = []
    for k, c in enumerate(link_latency):
        if c is None:
            out.append(None)
            continue
        u = np.asarray(c[0], dtype=np.float64)
        x = np.asarray(c[1], dtype=np.float64)
        if (u.ndim != 1 or u.shape != x.shape or u.size < 2 or u[0] != 0.0 or x[0] != 0.0
                or not (np.diff(u) > 0).all() or not np.isfinite(x).all() or (x < 0).any()):
            raise ValueError(f"link {k}: a loaded-latency curve is (u, extra_s) of equal length >= 2, "
                             "u strictly increasing from 0, extra_s finite, >= 0, starting at 0")
        out.append((u.tolist(), x.tolist()))
    return out


def _extra_latency(curve, b0: float, rate: float, d: float) -> float:
    """Loaded latency of a transfer of ``b0`` bytes that took ``d`` s on a link of ``rate``:
    the curve at ``u = 1 - b0 / (rate d)`` (clamped to the curve's range)."""
    u = 1.0 - b0 / (rate * d) if d > 0.0 else 0.0
    us, xs = curve
    if u <= us[0]:
        return xs[0]
    if u >= us[-1]:
        return xs[-1]
    k = bisect.bisect_right(us, u)
    u0, u1, x0, x1 = us[k - 1], us[k], xs[k - 1], xs[k]
    return x0 + (x1 - x0) * (u - u0) / (u1 - u0)


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
    exclusive: np.ndarray | None = None,
    link_latency: list | None = None,
    pieces: np.ndarray | None = None,
    ahead: np.ndarray | None = None,
) -> EventRecord:
    """Run the DAG to completion.

    Parameters
    ----------
    indptr, indices : CSR predecessor lists (any order of the ops; a cycle is an error).
    server : int array, the server of each op (0 .. n_servers-1).
    compute_s : time of each op on its server, s.
    latency_s : fixed delay of each op after its work, s.
    link_bytes : (n_ops, n_links) bytes each op moves over each link.
    link_rates : (n_links,) bandwidth of each link, B/s.
    serial : bool per op (default all False): the op's compute starts only when
        its transfers are done, instead of running beside them.
    method : ``"auto"`` replays the uncontended stretches in compiled code and
        hands the stretches where transfers share a link to SimPy;
        ``"simpy"`` runs everything in SimPy. Results are identical.
    exclusive : (n_ops, n_links) bool (default all False): the op's transfer on
        that link holds it alone, non-preemptive; others queue behind it.
    link_latency : per link, None or ``(u, extra_s)``: the loaded-latency curve
        (piecewise linear from ``(0, 0)``) of a transfer that shared the link,
        against ``u``, the share of the link other transfers used meanwhile.
    pieces : (n_ops, 2) numbers >= 1 (default all inf): per op that is not
        serial, the pieces its transfers and its compute are pipelined in
        (module docstring, "Pieces").
    ahead : (n_ops, n_links) bool (default all False): the op's transfer on that
        link runs before its others (module docstring, "Ahead").
    """
    if method not in METHODS:
        raise ValueError(f"method '{method}' is not one of {', '.join(METHODS)}")
    n = int(server.shape[0])
    if n == 0:
        return EventRecord(np.full(0, np.nan), np.full(0, np.nan), np.zeros(len(link_rates)))
    dag = _prepare(indptr, indices, server, compute_s, latency_s, link_bytes, link_rates, serial,
                   exclusive, link_latency, pieces, ahead)
    st = _State(dag)
    if method == "simpy" or not _replayable(dag) or dag.xfer_ahead.any():
        _simpy_run(dag, st, stop_when_clear=False)
        path = "simpy"
    else:
        handovers = 0
        scheduled = 0
        while _replay_kernel(dag, st) == _CONTENDED:
            # a replay stretch that was short says the sharing is dense: stay in SimPy
            replayed = st.counters[1] - scheduled
            handovers += 1
            stop = handovers <= MAX_HANDOVERS and (handovers == 1 or replayed >= MIN_REPLAY_EVENTS)
            _simpy_run(dag, st, stop_when_clear=stop)
            scheduled = st.counters[1]
        path = "uncontended" if handovers == 0 else "stitched"
    if (st.indeg > 0).any():
        raise RuntimeError("simulation ended with ops never ready: the dependency graph has a cycle")
    return EventRecord(st.start, st.end, st.link_busy, path=path)


#: a SimPy stretch hands back to the compiled replay once this many events in
#: a row left every link with at most one transfer ...
HANDBACK_AFTER = 32
#: ... at most this many times, and only while each replay stretch (after the
#: first) schedules at least MIN_REPLAY_EVENTS events; else SimPy runs to the end
MAX_HANDOVERS = 8
MIN_REPLAY_EVENTS = 256


class _State:
    """Everything between two events, as arrays both implementations read and write.

    ``ready`` holds one binary min-heap of op indices per server (server ``s``
    at ``ready[ready_base[s]:][:ready_size[s]]``, the layout of ``heapq``);
    the ``ev_*`` arrays are the pending events, a binary min-heap on
    (time, schedule order): ``ev_link`` is -1 for an op's completion, else the
    link whose completion check it is; ``counters`` is [events pending,
    events ever scheduled]; ``now`` is [the time of the last event applied]. An idle
    server with a ready op means a dispatch is due at ``now`` (after the events
    still pending at ``now``)."""

    def __init__(self, dag: _Dag):
        n, n_servers, n_links = dag.n, dag.n_servers, dag.rates.shape[0]
        self.indeg = dag.indeg.copy()
        per_server = np.bincount(dag.server, minlength=n_servers)
        self.ready_base = np.zeros(n_servers, dtype=np.int64)
        np.cumsum(per_server[:-1], out=self.ready_base[1:])
        # the ops without predecessors, ascending within each server (a sorted array is a heap)
        roots = np.flatnonzero(self.indeg == 0)
        rs = dag.server[roots]
        order = np.argsort(rs, kind="stable")
        rs_sorted = rs[order]
        rank = np.arange(len(roots)) - np.searchsorted(rs_sorted, rs_sorted, side="left")
        self.ready = np.empty(n, dtype=np.int64)
        self.ready[self.ready_base[rs_sorted] + rank] = roots[order]
        self.ready_size = np.bincount(rs, minlength=n_servers).astype(np.int64)
        self.busy = np.zeros(n_servers, dtype=np.bool_)
        self.running = np.full(n_servers, -1, dtype=np.int64)
        self.pending = np.zeros(n, dtype=np.int64)
        self.compute_end = np.zeros(n)
        self.start = np.zeros(n)
        self.end = np.zeros(n)
        self.link_op = np.full(n_links, -1, dtype=np.int64)
        self.link_rem = np.zeros(n_links)
        self.link_tol = np.zeros(n_links)
        self.link_last = np.zeros(n_links)
        self.link_busy = np.zeros(n_links)
        # the transfer in flight: its arrival, its bytes, whether it ever shared the link
        self.link_t0 = np.zeros(n_links)
        self.link_b0 = np.zeros(n_links)
        self.link_shared = np.zeros(n_links, dtype=np.bool_)
        # per op: the latest time one of its transfers is through, loaded latency included
        self.xfer_done = np.zeros(n)
        cap = n_servers + n_links + 1  # one event per busy server and per busy link
        self.ev_t = np.empty(cap)
        self.ev_q = np.empty(cap, dtype=np.int64)
        self.ev_op = np.empty(cap, dtype=np.int64)
        self.ev_link = np.empty(cap, dtype=np.int64)
        self.counters = np.zeros(2, dtype=np.int64)
        self.now = np.zeros(1)


# --------------------------------------------------------------------------- SimPy engine
class _Clock:
    """What the SimPy stretch tracks beside SimPy's private queue: how many
    events were ever scheduled (their order) and how many links are shared."""

    __slots__ = ("env", "seq", "shared")

    def __init__(self, env: simpy.Environment, seq: int):
        self.env = env
        self.seq = seq
        self.shared = 0  # links carrying two or more transfers


class _Link:
    """A bandwidth shared equally by the transfers in flight (processor sharing), with an
    optional queue behind exclusive transfers and an optional loaded-latency curve.

    A record is ``[remaining bytes, tolerance, callback, arrival, bytes, shared]``."""

    __slots__ = ("clock", "env", "rate", "active", "last", "version", "busy", "next_t", "next_q",
                 "waiting", "held", "curve")

    def __init__(self, clock: _Clock, rate: float, curve=None):
        self.clock = clock
        self.env = clock.env
        self.rate = rate
        self.active: dict[int, list] = {}  # op -> record
        self.last = 0.0
        self.version = 0
        self.busy = 0.0
        self.next_t = 0.0  # time and order of the current completion check
        self.next_q = 0
        self.waiting: list = []  # (op, record, exclusive) queued behind an exclusive transfer
        self.held = False  # an exclusive transfer is active
        self.curve = curve

    def _mark_shared(self) -> None:
        for rec in self.active.values():
            rec[5] = True
        for _, rec, _ in self.waiting:
            rec[5] = True

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
        self.check_at(self.env.now + dt, self.clock.seq, dt)

    def check_at(self, time: float, seq: int, delay: float) -> None:
        """Schedule the completion check (the timeout carries the link's version)."""
        self.next_t, self.next_q = time, seq
        self.clock.seq += 1
        self.env.timeout(delay, self.version).callbacks.append(self._fire)

    def _promote(self) -> None:
        """The link is empty: start the head of the queue (an exclusive transfer alone, else
        the non-exclusive ones up to the next exclusive)."""
        self.held = False
        while self.waiting:
            op, rec, excl = self.waiting[0]
            if excl and self.active:
                break
            self.waiting.pop(0)
            self.active[op] = rec
            if excl:
                self.held = True
                break

    def _fire(self, ev) -> None:
        if ev.value != self.version:
            return  # superseded by a later start or finish
        self._advance()
        active = self.active
        now, per_byte = self.env.now, len(active) / self.rate
        # done: within the byte tolerance, or so close that the clock cannot
        # represent the time left (now + dt == now), which would loop forever
        done = [op for op, rec in active.items()
                if rec[0] <= rec[1] or now + rec[0] * per_byte <= now]
        was_shared = len(active) + len(self.waiting) > 1
        callbacks = [(op, active.pop(op)) for op in done]
        if not active:
            self.held = False
            if self.waiting:
                self._promote()
        if was_shared and len(active) + len(self.waiting) < 2:
            self.clock.shared -= 1
        self._reschedule()
        curve = self.curve
        for op, rec in callbacks:
            if curve is not None and rec[5]:
                rec[2](op, _extra_latency(curve, rec[4], self.rate, now - rec[3]))
            else:
                rec[2](op)

    def start(self, op: int, nbytes: float, callback, exclusive: bool = False) -> None:
        """Start moving ``nbytes`` for ``op``; ``callback(op)`` (``callback(op, extra_s)``
        after sharing on a link with a loaded-latency curve) when they are through."""
        self._advance()
        rec = [nbytes, max(1e-6, 1e-12 * nbytes), callback, self.env.now, nbytes, False]
        active, waiting = self.active, self.waiting
        queue = self.held or bool(waiting) or (exclusive and bool(active))
        if queue:
            waiting.append((op, rec, exclusive))
        else:
            active[op] = rec
            self.held = exclusive
        count = len(active) + len(waiting)
        if count == 2:
            self.clock.shared += 1
        if count > 1 and self.curve is not None:
            self._mark_shared()
        if not queue:
            self._reschedule()


def _simpy_run(dag: _Dag, st: _State, stop_when_clear: bool) -> None:
    """Run SimPy from state ``st`` to the end, or (``stop_when_clear``) until
    ``HANDBACK_AFTER`` events in a row leave no link shared; write the state back.

    SimPy starts at time 0; the pending events are re-created in their schedule
    order with delay = their time, so each lands at exactly its time and ties
    keep their order. SimPy is stepped here: once no event is left at the current
    time, the servers due (freed, or given a ready op) are dispatched."""
    n_ev, seq = (int(x) for x in st.counters)
    env = simpy.Environment()
    clock = _Clock(env, seq)
    links = [_Link(clock, float(r), c) for r, c in zip(dag.rates, dag.curves)]
    excl_l = dag.xfer_excl.tolist()
    ahead_l = dag.xfer_ahead.tolist()
    any_ahead = bool(dag.xfer_ahead.any())
    behind = [False] * dag.n  # an op whose transfers ahead run: the rest start after them
    xfer_done = st.xfer_done.tolist()

    indeg_l = st.indeg.tolist()
    (succ_ptr_l, succ_idx_l, server_l, compute_l, latency_l, total_l, serial_l, xfer_ptr_l,
     xfer_link_i, xfer_bytes_l, px_l, pc_l) = dag.lists
    xfer_link_l = [links[c] for c in xfer_link_i]

    heappush, heappop = heapq.heappush, heapq.heappop
    timeout = env.timeout

    base = st.ready_base.tolist()
    ready: list[list[int]] = [st.ready[b:b + k].tolist() for b, k in zip(base, st.ready_size.tolist())]
    busy = st.busy.tolist()
    running = st.running.tolist()  # the op each server runs
    done_t = [0.0] * dag.n_servers  # time and order of each server's completion event
    done_q = [0] * dag.n_servers
    pending = st.pending.tolist()
    compute_end = st.compute_end.tolist()
    start_l = st.start.tolist()
    end_l = st.end.tolist()

    # servers freed or given a ready op at the current time: dispatched once no event is left
    # at this time (dispatch()), so everything at one instant is applied before any op starts
    due: list[int] = []
    is_due = [False] * dag.n_servers

    def complete(i: int) -> None:
        end_l[i] = env.now
        s = server_l[i]
        busy[s] = False
        if not is_due[s]:
            is_due[s] = True
            due.append(s)
        for k in range(succ_ptr_l[i], succ_ptr_l[i + 1]):
            j = succ_idx_l[k]
            indeg_l[j] -= 1
            if indeg_l[j] == 0:
                sj = server_l[j]
                heappush(ready[sj], j)
                if not is_due[sj]:
                    is_due[sj] = True
                    due.append(sj)

    def dispatch() -> None:
        # every idle server with a ready op takes its lowest-index op, in program order
        heads = sorted((ready[s][0], s) for s in due if ready[s] and not busy[s])
        for s in due:
            is_due[s] = False
        due.clear()
        for _, s in heads:
            launch(s)

    def on_complete(ev) -> None:
        complete(ev.value)

    def complete_at(i: int, s: int, time: float, seq: int, delay: float) -> None:
        done_t[s], done_q[s] = time, seq
        clock.seq += 1
        timeout(delay, i).callbacks.append(on_complete)

    def on_part(i: int, extra: float = 0.0) -> None:
        # a transfer finished; the op's compute runs on its own server for a
        # fixed time, so it needs no event of its own: it ends at compute_end
        now = env.now
        if extra > 0.0 and now + extra > xfer_done[i]:
            xfer_done[i] = now + extra  # through after its loaded latency
        pending[i] -= 1
        if pending[i] == 0 and behind[i]:  # Ahead: the rest start now
            behind[i] = False
            rest = [k for k in range(xfer_ptr_l[i], xfer_ptr_l[i + 1]) if not ahead_l[k]]
            pending[i] = len(rest)
            for k in rest:
                xfer_link_l[k].start(i, xfer_bytes_l[k], on_part, excl_l[k])
        if pending[i] == 0:
            late = xfer_done[i]
            if serial_l[i]:
                delay = ((late - now) + total_l[i]) if late > now else total_l[i]
            elif px_l is None:  # no op in pieces: the two overlap (the rule below at inf pieces)
                xe = late if late > now else now
                delay = (compute_end[i] if compute_end[i] > xe else xe) - now + latency_l[i]
            else:
                # pieces: the last computed after the transfers, all after the first arrived
                xe = late if late > now else now
                a = xe + (compute_l[i] / pc_l[i] if pc_l[i] < _INF else 0.0)
                b = compute_end[i] + ((xe - start_l[i]) / px_l[i] if px_l[i] < _INF else 0.0)
                delay = (b if b > a else a) - now + latency_l[i]
            if delay > 0.0:
                complete_at(i, server_l[i], now + delay, clock.seq, delay)
            else:
                complete(i)

    def launch(s: int) -> None:
        i = heappop(ready[s])
        busy[s] = True
        running[s] = i
        now = env.now
        start_l[i] = now
        k0, k1 = xfer_ptr_l[i], xfer_ptr_l[i + 1]
        if k0 == k1:
            # compute and latency in one event
            complete_at(i, s, now + total_l[i], clock.seq, total_l[i])
            return
        compute_end[i] = now + compute_l[i]
        first = range(k0, k1)
        if any_ahead:
            first = [k for k in first if ahead_l[k]] or first
            behind[i] = len(first) < k1 - k0
        pending[i] = len(first)
        for k in first:
            xfer_link_l[k].start(i, xfer_bytes_l[k], on_part, excl_l[k])

    # resume: the links' transfers in flight, then the pending events in schedule order
    for k, lk in enumerate(links):
        lk.last = float(st.link_last[k])
        lk.busy = float(st.link_busy[k])
        if st.link_op[k] >= 0:
            lk.active[int(st.link_op[k])] = [float(st.link_rem[k]), float(st.link_tol[k]), on_part,
                                             float(st.link_t0[k]), float(st.link_b0[k]),
                                             bool(st.link_shared[k])]
            op = int(st.link_op[k])
            lk.held = any(excl_l[x] for x in range(xfer_ptr_l[op], xfer_ptr_l[op + 1])
                          if xfer_link_i[x] == k)
    order = np.argsort(st.ev_q[:n_ev])
    for t, q, op, k in zip(st.ev_t[order].tolist(), st.ev_q[order].tolist(),
                           st.ev_op[order].tolist(), st.ev_link[order].tolist()):
        if k < 0:
            complete_at(op, server_l[op], t, q, t)
        else:
            links[k].check_at(t, q, t)
    clock.seq = seq
    # a dispatch due at the time the state stopped at (the start, or a replay stretch that
    # stopped before a dispatch that shares a link): the pending events all lie later
    for s in np.flatnonzero(~st.busy & (st.ready_size > 0)).tolist():
        is_due[s] = True
        due.append(s)
    now0 = float(st.now[0])
    if due and now0 > 0.0:
        env.run(until=now0)

    clear = 0
    peek, step = env.peek, env.step
    while True:
        t = peek()
        if due and t > env.now:
            dispatch()
            continue
        if t == _INF:
            break
        step()
        if not stop_when_clear:
            continue
        if clock.shared:
            clear = 0
        else:
            clear += 1
            if clear >= HANDBACK_AFTER and not due:
                break

    # write the state back
    st.indeg[:] = indeg_l
    st.pending[:] = pending
    st.compute_end[:] = compute_end
    st.xfer_done[:] = xfer_done
    st.start[:] = start_l
    st.end[:] = end_l
    st.busy[:] = busy
    st.running[:] = running
    for s, h in enumerate(ready):
        st.ready[base[s]:base[s] + len(h)] = h
        st.ready_size[s] = len(h)
    # pending events: each link's completion check (one transfer at most, when
    # stopped early) and the completion of each running op whose transfers are done
    events = []
    for k, lk in enumerate(links):
        st.link_last[k] = lk.last
        st.link_busy[k] = lk.busy
        st.link_op[k] = -1
        for op, rec in lk.active.items():
            st.link_op[k], st.link_rem[k], st.link_tol[k] = op, rec[0], rec[1]
            st.link_t0[k], st.link_b0[k], st.link_shared[k] = rec[3], rec[4], rec[5]
            events.append((lk.next_t, lk.next_q, -1, k))
    for s in range(dag.n_servers):
        if busy[s] and pending[running[s]] == 0:
            events.append((done_t[s], done_q[s], running[s], -1))
    events.sort()  # by (time, order): a valid heap
    for m, (t, q, op, k) in enumerate(events):
        st.ev_t[m], st.ev_q[m], st.ev_op[m], st.ev_link[m] = t, q, op, k
    st.counters[:] = (len(events), clock.seq)
    st.now[0] = env.now
