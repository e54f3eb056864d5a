"""The realised critical path of a run: the chain the DES actually ran, walked back from the last op
to finish through whatever each op waited for last (``columns.REALIZED_PATH``); and the notes
where a busy unit or link, not the dependency path, sets the latency."""

from __future__ import annotations

import numpy as np
from numba import njit

from . import columns as C


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


def analytic_bound(pl, duration, moved, rates, table, bounds, cp_s):
    """(path, path parts, note) of an analytic run whose latency the busiest unit or link sets,
    past the dependency path: the unit's ops back to back (their durations sum to the latency)
    or the link's bytes at its rate (all of it that link's)."""
    from .format import si

    if bounds["server_s"] >= bounds["link_s"]:
        busy = np.bincount(pl.server, weights=duration, minlength=pl.n_servers)
        s = int(np.argmax(busy))
        path = np.flatnonzero(pl.server == s)
        unit = pl.components[int(pl.component[path[0]])].name
        what, parts = f"the busiest unit's ({unit}: its {len(path):,} ops back to back)", None
    else:
        j = int(np.argmax(moved.sum(axis=0) / rates))
        r = table.resources[j]
        path = np.flatnonzero(moved[:, j] > 0)
        what = f"{r}'s bytes at its rate"
        parts = {res: 0.0 for res in table.resources}
        parts.update({p: 0.0 for p in C.PATH_FIXED})
        parts[r] = float(moved[:, j].sum() / rates[j])
    latency = max(bounds.values())
    note = (f"analytic: the latency ({si(latency, 's')}) is {what}, past the dependency critical "
            f"path ({si(cp_s, 's')}): the bound and the path_*_s parts describe it; op start and end "
            "times are each op alone as early as its dependencies allow, not a schedule (use the "
            "DES for a timeline)")
    return path, parts, note


def des_busiest_note(pl, duration, fixed_s, latency: float, cp_s: float) -> list[str]:
    """Why a DES latency is well past the dependency path (over 1.5 x) when one unit's ops, one
    after another, fill it (>= 90 %): the analytic run's busiest-unit note, for the DES. The
    lower bounds leave out the ops' fixed latency (dispatch, op_overhead) that sets it."""
    from .format import si

    if not len(duration) or latency <= 1.5 * cp_s:
        return []
    busy = np.bincount(pl.server, weights=duration, minlength=pl.n_servers)
    s = int(np.argmax(busy))
    if busy[s] < 0.9 * latency:
        return []
    ops = np.flatnonzero(pl.server == s)
    unit = pl.components[int(pl.component[ops[0]])].name
    return [f"des: the latency ({si(latency, 's')}) is {latency / cp_s:.3g}x the dependency critical path "
            f"({si(cp_s, 's')}): the busiest unit ({unit}) runs its {len(ops):,} ops one after another "
            f"({si(float(busy[s]), 's')} busy, {si(float(fixed_s[ops].sum()), 's')} of it the ops' fixed "
            "latency, e.g. op_overhead, which the lower bounds leave out), so independent branches "
            "(a bidirectional RNN's two directions) queue on it instead of overlapping"]
