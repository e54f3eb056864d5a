"""The realised critical path of a run: the chain the DES actually ran, walked back from the last op
to finish through whatever each op waited for last (``columns.REALIZED_PATH``)."""

from __future__ import annotations

import numpy as np
from numba import njit


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
