"""The compiled replay of :mod:`.des` (``method="auto"``): the SimPy engine's events replayed
by a numba kernel while every link carries at most one transfer (module docstring of
:mod:`.des`, "The compiled replay").

It mirrors :func:`.des._simpy_run` rule for rule (the same floating-point operations in the
same order) and hands state back and forth with it through :class:`.des._State`: a change to
one is made to the other in the same diff. Moved out of ``des.py`` (2026-12-06) to keep both
modules near the 600-line rule; no line of the kernel changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

if TYPE_CHECKING:
    from .des import _Dag, _State


# --------------------------------------------------------------------------- compiled replay
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


def _replay_kernel(dag: _Dag, st: _State) -> int:
    return _replay(dag.n_servers, dag.succ_ptr, dag.succ_idx, dag.server, dag.per_op, dag.serial,
                   dag.xfer_ptr, dag.xfer_link, dag.xfer_bytes, dag.rates,
                   st.indeg, st.ready, st.ready_base, st.ready_size, st.busy, st.running, st.pending,
                   st.compute_end, st.start, st.end, st.link_op, st.link_rem, st.link_tol,
                   st.link_last, st.link_busy, st.ev_t, st.ev_q, st.ev_op, st.ev_link, st.counters,
                   st.link_t0, st.link_b0, st.link_shared, st.xfer_done, dag.has_curve, st.now)


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
def _push_event(ev_t, ev_q, ev_op, ev_link, counters, time, op, link):
    counters[0] = _heap_push(ev_t, ev_q, ev_op, ev_link, counters[0], time, counters[1], op, link)
    counters[1] += 1


@njit(cache=True)
def _shares(op, freed, link_op, used, xfer_ptr, xfer_link):
    """Would starting ``op``'s transfers put one beside another? ``freed``: a link
    about to finish its transfer (-1: none); ``used``: links started earlier in
    the same event (marked here)."""
    for k in range(xfer_ptr[op], xfer_ptr[op + 1]):
        lk = xfer_link[k]
        if (link_op[lk] >= 0 and lk != freed) or used[lk]:
            return True
        used[lk] = True
    return False


@njit(cache=True)
def _replay(n_servers, succ_ptr, succ_idx, server, per_op, serial, xfer_ptr, xfer_link,
            xfer_bytes, rates,
            indeg, ready, ready_base, ready_size, busy, running, pending, compute_end, start, end,
            link_op, link_rem, link_tol, link_last, link_busy, ev_t, ev_q, ev_op, ev_link, counters,
            link_t0, link_b0, link_shared, xfer_done, has_curve, clock):
    """Replay the SimPy engine's events while every link carries at most one transfer.

    Mirrors ``_simpy_run`` step for step: the same events (an op's completion;
    a link's completion check) scheduled in the same order at times computed by
    the same floating-point expressions, processed in (time, schedule order)
    like SimPy's queue, and dispatching the servers due once no event is left at
    the current time, in program order. Before each dispatch it works out,
    read-only, whether it would start a transfer on a link that carries one (or
    two at once on one link); if so it returns ``_CONTENDED`` with the dispatch
    still due (SimPy takes over from there), else it runs to the end and returns
    ``_DONE``. Applying an event never starts a transfer. A transfer that shared its
    link earlier (in SimPy) and ends on a link with a loaded-latency curve is
    also left to SimPy, which owns the curves. Ops that never became ready
    (a cycle) keep ``indeg > 0``.
    """
    n_links = rates.shape[0]
    used = np.zeros(n_links, dtype=np.bool_)
    # servers due for a dispatch (freed, or given a ready op, at ``now``), marked once each
    due = np.empty(n_servers, dtype=np.int64)
    is_due = np.zeros(n_servers, dtype=np.bool_)
    heads = np.empty(n_servers, dtype=np.int64)
    n_due = 0
    now = clock[0]
    for s in range(n_servers):  # a dispatch due where the state stopped (the start)
        if ready_size[s] > 0 and not busy[s]:
            due[n_due] = s
            is_due[s] = True
            n_due += 1

    while True:
        if n_due > 0 and (counters[0] == 0 or ev_t[0] > now):
            # ---- dispatch: each idle server with a ready op takes its lowest-index op,
            # servers in the order of those ops (program order), as dispatch() in SimPy
            n_heads = 0
            for d in range(n_due):
                s = due[d]
                if ready_size[s] > 0 and not busy[s]:
                    heads[n_heads] = ready[ready_base[s]]
                    n_heads += 1
            order = np.argsort(heads[:n_heads])
            used[:] = False
            for h in range(n_heads):
                if _shares(heads[order[h]], -1, link_op, used, xfer_ptr, xfer_link):
                    clock[0] = now
                    return _CONTENDED
            for d in range(n_due):
                is_due[due[d]] = False
            n_due = 0
            for h in range(n_heads):
                s = server[heads[order[h]]]
                i, ready_size[s] = _ready_pop(ready, ready_base[s], ready_size[s])
                busy[s] = True
                running[s] = i
                start[i] = now
                k0 = xfer_ptr[i]
                k1 = xfer_ptr[i + 1]
                if k0 == k1:
                    _push_event(ev_t, ev_q, ev_op, ev_link, counters, now + per_op[i, 2], i, -1)
                    continue
                compute_end[i] = now + per_op[i, 0]
                pending[i] = k1 - k0
                for k in range(k0, k1):
                    lk = xfer_link[k]
                    if link_op[lk] >= 0:
                        raise RuntimeError("internal: replay started a transfer on a busy link")
                    b = xfer_bytes[k]
                    # _Link.start on an idle link: _advance moves nothing; then reschedule
                    link_last[lk] = now
                    link_op[lk] = i
                    link_t0[lk] = now
                    link_b0[lk] = b
                    link_shared[lk] = False
                    link_rem[lk] = b
                    link_tol[lk] = max(1e-6, 1e-12 * b)
                    _push_event(ev_t, ev_q, ev_op, ev_link, counters,
                                now + max(b, 0.0) * 1.0 / rates[lk], i, lk)
            continue

        if counters[0] == 0:
            clock[0] = now
            return _DONE
        now = ev_t[0]
        i = ev_op[0]
        lk = ev_link[0]

        if lk >= 0:
            if link_shared[lk] and has_curve[lk]:
                clock[0] = now
                return _CONTENDED  # its loaded latency: SimPy's
            # _Link._fire with one transfer in flight: worked out before it is applied
            i = link_op[lk]
            rate = rates[lk]
            dt = now - link_last[lk]
            rem = link_rem[lk]
            if dt > 0.0:
                rem -= rate * dt / 1.0
            per_byte = 1.0 / rate
            finished = rem <= link_tol[lk] or now + rem * per_byte <= now
            delay = 0.0
            completes = False
            if finished and pending[i] == 1:
                late = xfer_done[i]
                if serial[i]:
                    delay = ((late - now) + per_op[i, 2]) if late > now else per_op[i, 2]
                else:
                    xe = late if late > now else now
                    px, pc = per_op[i, 3], per_op[i, 4]
                    a = xe + (per_op[i, 0] / pc if pc < np.inf else 0.0)
                    b = compute_end[i] + ((xe - start[i]) / px if px < np.inf else 0.0)
                    delay = (b if b > a else a) - now + per_op[i, 1]
                completes = not delay > 0.0
            counters[0] = _heap_pop(ev_t, ev_q, ev_op, ev_link, counters[0])
            if dt > 0.0:
                link_busy[lk] += dt
            link_rem[lk] = rem
            link_last[lk] = now
            if not finished:
                _push_event(ev_t, ev_q, ev_op, ev_link, counters,
                            now + max(rem, 0.0) * 1.0 / rate, i, lk)
                continue
            link_op[lk] = -1
            # on_part
            pending[i] -= 1
            if pending[i] != 0:
                continue
            if not completes:
                _push_event(ev_t, ev_q, ev_op, ev_link, counters, now + delay, i, -1)
                continue
        else:
            counters[0] = _heap_pop(ev_t, ev_q, ev_op, ev_link, counters[0])
        # complete(i): free its server, make its successors ready; both are due a dispatch
        end[i] = now
        s = server[i]
        busy[s] = False
        if not is_due[s]:
            is_due[s] = True
            due[n_due] = s
            n_due += 1
        for k in range(succ_ptr[i], succ_ptr[i + 1]):
            j = succ_idx[k]
            indeg[j] -= 1
            if indeg[j] == 0:
                sj = server[j]
                ready_size[sj] = _ready_push(ready, ready_base[sj], ready_size[sj], j)
                if not is_due[sj]:
                    is_due[sj] = True
                    due[n_due] = sj
                    n_due += 1
