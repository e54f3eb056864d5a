"""The naive SimPy design of :func:`cimsim.engine.des.simulate_dag`: one process per op.

Written the obvious way, for the tests to hold the optimised engine to and for
``benchmarks/des_ops_per_second.py`` to measure it against. It has the plain rules
only: no exclusive transfers and no loaded-latency curves (those are held to closed-form
event logs and to the two implementations of the optimised engine agreeing,
``tests/engine/test_engine_queues.py``):

- every op is a SimPy process: wait for all predecessors (``AllOf``), request
  its server (:class:`_Servers`: at the end of each instant, after every other
  event at that time, each free server is handed to the lowest-index op waiting
  for it, in op-index order), start its transfers as processes
  and its compute as a timeout, wait for them (all at once, or transfers then
  compute for a serial op; for an op in pieces, then until its last piece and
  its whole compute after the first piece are done), wait its latency, signal
  done, release the server;
- every transfer is a process on a link that shares its rate equally among the
  transfers in flight: each transfer waits for its own finish time or for the
  link's "changed" event, whichever comes first, and re-plans.

Same rules as the engine (see its module docstring); no shortcuts. Slow: a few
SimPy events per op and per transfer.
"""

from __future__ import annotations

import numpy as np
import simpy

from .des import EventRecord, _pieces


class _EndOfInstant(simpy.Event):
    """An event processed after every ordinary event at the current time (priority 2, below
    SimPy's NORMAL): set up as SimPy's own ``Timeout`` is."""

    def __init__(self, env: simpy.Environment):
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, priority=simpy.events.NORMAL + 1)


class _Servers:
    """One-op-at-a-time servers, handed out once per instant: at the end of it, every free
    server with ops waiting goes to its lowest-index op, the grants made in op-index order."""

    def __init__(self, env: simpy.Environment, n: int):
        self.env = env
        self.free = [True] * n
        self.waiting: list[list[tuple[int, simpy.Event]]] = [[] for _ in range(n)]
        self.due = False

    def _schedule(self) -> None:
        if not self.due:
            self.due = True
            _EndOfInstant(self.env).callbacks.append(self._grant)

    def _grant(self, _ev) -> None:
        self.due = False
        heads = sorted(min(w) + (s,) for s, w in enumerate(self.waiting) if w and self.free[s])
        for i, ev, s in heads:
            self.waiting[s].remove((i, ev))
            self.free[s] = False
            ev.succeed()

    def request(self, s: int, i: int) -> simpy.Event:
        ev = self.env.event()
        self.waiting[s].append((i, ev))
        self._schedule()
        return ev

    def release(self, s: int) -> None:
        self.free[s] = True
        self._schedule()


class _SharedLink:
    """Processor sharing: ``k`` transfers in flight each move at ``rate / k``."""

    def __init__(self, env: simpy.Environment, rate: float):
        self.env = env
        self.rate = rate
        self.remaining: dict[int, float] = {}  # transfer id -> bytes left
        self.changed = env.event()
        self.last = 0.0
        self.busy = 0.0
        self._ids = 0

    def _settle(self) -> None:
        """Move every transfer in flight forward to now at the current share."""
        dt = self.env.now - self.last
        if dt > 0.0 and self.remaining:
            share = self.rate / len(self.remaining)
            for key in self.remaining:
                self.remaining[key] -= share * dt
            self.busy += dt
        self.last = self.env.now

    def _announce(self) -> None:
        """The set of transfers changed: wake every transfer to re-plan."""
        changed, self.changed = self.changed, self.env.event()
        changed.succeed()

    def transfer(self, nbytes: float):
        """Process: move ``nbytes`` over the link."""
        env = self.env
        key, self._ids = self._ids, self._ids + 1
        tolerance = max(1e-6, 1e-12 * nbytes)
        self._settle()
        self.remaining[key] = nbytes
        self._announce()
        while True:
            share = self.rate / len(self.remaining)
            left = max(self.remaining[key], 0.0)
            yield env.timeout(left / share) | self.changed
            self._settle()
            left = self.remaining[key]
            # finished, or so close that the clock cannot show the time left
            if left <= tolerance or env.now + left / share <= env.now:
                del self.remaining[key]
                self._announce()
                return env.now  # when its last byte is through


def simulate_dag_reference(
    indptr: np.ndarray,
    indices: np.ndarray,
    server: np.ndarray,
    compute_s: np.ndarray,
    latency_s: np.ndarray,
    link_bytes: np.ndarray,
    link_rates: np.ndarray,
    serial: np.ndarray | None = None,
    *,
    pieces: np.ndarray | None = None,
    ahead: np.ndarray | None = None,
) -> EventRecord:
    """Same contract as :func:`cimsim.engine.des.simulate_dag`, one SimPy process per op (an
    op with transfers ``ahead`` starts the rest when those are through)."""
    n = int(server.shape[0])
    start = np.full(n, np.nan)
    end = np.full(n, np.nan)
    env = simpy.Environment()
    links = [_SharedLink(env, float(r)) for r in link_rates]
    if n == 0:
        return EventRecord(start, end, np.zeros(len(links)))
    servers = _Servers(env, int(np.max(server)) + 1)
    done = [env.event() for _ in range(n)]
    serial = np.zeros(n, dtype=bool) if serial is None else serial
    px, pc = _pieces(pieces, n)

    def op(i: int):
        preds = indices[indptr[i]:indptr[i + 1]]
        if len(preds):
            yield env.all_of([done[p] for p in preds])
        yield servers.request(int(server[i]), i)
        start[i] = env.now
        first = [c for c, b in enumerate(link_bytes[i]) if b > 0 and ahead is not None and ahead[i][c]]
        rest = [c for c, b in enumerate(link_bytes[i]) if b > 0 and c not in first]
        transfers = [env.process(links[c].transfer(float(link_bytes[i][c]))) for c in (first or rest)]
        compute = None if serial[i] else env.timeout(float(compute_s[i]))
        if first:  # Ahead: those transfers, then the rest (the compute beside them)
            yield env.all_of(transfers)
            transfers += [env.process(links[c].transfer(float(link_bytes[i][c]))) for c in rest]
        if serial[i]:
            yield env.all_of(transfers)
            yield env.timeout(float(compute_s[i]))
        else:
            yield env.all_of(transfers + [compute])
            # pieces: the last one computed after the transfers, all after the first arrived
            x_end = start[i] if not transfers else max(t.value for t in transfers)
            fill = max(x_end + (compute_s[i] / pc[i] if pc[i] < np.inf else 0.0),
                       start[i] + compute_s[i]
                       + ((x_end - start[i]) / px[i] if px[i] < np.inf else 0.0))
            if fill > env.now:
                yield env.timeout(fill - env.now)
        yield env.timeout(float(latency_s[i]))
        end[i] = env.now
        done[i].succeed()
        servers.release(int(server[i]))

    for i in range(n):
        env.process(op(i))
    env.run()
    if np.isnan(end).any():
        raise RuntimeError("simulation ended with ops never ready: the dependency graph has a cycle")
    return EventRecord(start, end, np.array([lk.busy for lk in links]))
