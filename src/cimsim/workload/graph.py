"""Graph queries over a workload's dependency CSR: longest paths, levels.

The kernel is numba-compiled; :func:`longest_path_reference` is the plain
NumPy/Python reference the tests hold it to.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _longest_path(indptr, indices, weights, dist_out, pred_out):
    n = weights.shape[0]
    for i in range(n):
        best = 0.0
        arg = -1
        for j in range(indptr[i], indptr[i + 1]):
            p = indices[j]
            if dist_out[p] > best or (arg == -1 and dist_out[p] >= best):
                best = dist_out[p]
                arg = p
        dist_out[i] = best + weights[i]
        pred_out[i] = arg


def longest_path(indptr: np.ndarray, indices: np.ndarray, weights: np.ndarray):
    """Longest weighted path through a DAG whose ops are in topological order.

    Parameters
    ----------
    indptr, indices : CSR predecessor lists (``Workload.predecessors``).
    weights : per-op weight (seconds, or 1.0 to count ops).

    Returns
    -------
    length : float, the largest path weight.
    path : int64 array of op indices on one longest path, first to last.
    """
    w = np.ascontiguousarray(weights, dtype=np.float64)
    n = w.shape[0]
    if n == 0:
        return 0.0, np.zeros(0, dtype=np.int64)
    dist = np.zeros(n, dtype=np.float64)
    pred = np.full(n, -1, dtype=np.int64)
    _longest_path(np.asarray(indptr, np.int64), np.asarray(indices, np.int64), w, dist, pred)
    return float(dist.max()), _walk(dist, pred)


def longest_paths(indptr: np.ndarray, indices: np.ndarray, weights: np.ndarray):
    """``(dist, path)``: the longest weighted path ending at every op (inclusive) and one
    overall longest path, from one pass (what :func:`longest_path` and :func:`path_lengths`
    compute separately)."""
    w = np.ascontiguousarray(weights, dtype=np.float64)
    n = w.shape[0]
    dist = np.zeros(n, dtype=np.float64)
    if n == 0:
        return dist, np.zeros(0, dtype=np.int64)
    pred = np.full(n, -1, dtype=np.int64)
    _longest_path(np.asarray(indptr, np.int64), np.asarray(indices, np.int64), w, dist, pred)
    return dist, _walk(dist, pred)


def path_lengths(indptr: np.ndarray, indices: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Longest weighted path ending at each op (inclusive): with durations as
    weights, the earliest finish time of every op when nothing contends."""
    w = np.ascontiguousarray(weights, dtype=np.float64)
    dist = np.zeros(w.shape[0], dtype=np.float64)
    pred = np.full(w.shape[0], -1, dtype=np.int64)
    if w.shape[0]:
        _longest_path(np.asarray(indptr, np.int64), np.asarray(indices, np.int64), w, dist, pred)
    return dist


def with_server_order(indptr: np.ndarray, indices: np.ndarray, server: np.ndarray,
                      in_order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The CSR predecessor lists ``(indptr, indices)`` with one more edge into each op of a
    server marked ``in_order`` (bool per server): from the op listed before it on that server
    (program order), where it is not a predecessor already, appended after the op's own. Ops
    in topological order stay so (every edge added runs from a lower index to a higher)."""
    indptr = np.asarray(indptr, dtype=np.int64)
    indices = np.asarray(indices, dtype=np.int64)
    server = np.asarray(server, dtype=np.int64)
    ops = np.flatnonzero(np.asarray(in_order, dtype=bool)[server])  # increasing: program order
    if len(ops) < 2:
        return indptr, indices
    by = ops[np.argsort(server[ops], kind="stable")]  # per server, in program order
    same = server[by[1:]] == server[by[:-1]]
    prev, nxt = by[:-1][same], by[1:][same]
    n = len(server)
    op_of = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    keys = op_of * n + indices  # ascending where each op's list is (Workload.predecessors)
    if len(keys) and not (keys[1:] >= keys[:-1]).all():
        keys = np.sort(keys)
    want = nxt * n + prev
    at = np.minimum(np.searchsorted(keys, want), max(len(keys) - 1, 0))
    new = keys[at] != want if len(keys) else np.ones(len(want), dtype=bool)
    prev, nxt = prev[new], nxt[new]
    if not len(nxt):
        return indptr, indices
    owner = np.concatenate([op_of, nxt])
    order = np.argsort(owner, kind="stable")  # each op's own first, then the added edge
    out_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n), out=out_ptr[1:])
    return out_ptr, np.concatenate([indices, prev])[order]


def _walk(dist: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """The path ending at the op with the largest ``dist``, first to last (compiled walk)."""
    return _walk_kernel(dist, pred)


@njit(cache=True)
def _walk_kernel(dist, pred):
    i = np.argmax(dist)
    rev = np.empty(dist.shape[0], np.int64)
    length = 0
    while i >= 0:
        rev[length] = i
        length += 1
        i = pred[i]
    return rev[:length][::-1].copy()


def longest_path_reference(indptr, indices, weights):
    """Reference implementation of :func:`longest_path` (pure Python loop)."""
    n = len(weights)
    if n == 0:
        return 0.0, np.zeros(0, dtype=np.int64)
    dist = np.zeros(n)
    pred = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        preds = indices[indptr[i]:indptr[i + 1]]
        if len(preds):
            p = preds[np.argmax(dist[preds])]
            dist[i] = dist[p] + weights[i]
            pred[i] = p
        else:
            dist[i] = weights[i]
    end = int(np.argmax(dist))
    path = [end]
    while pred[path[-1]] >= 0:
        path.append(int(pred[path[-1]]))
    return float(dist.max()), np.asarray(path[::-1], dtype=np.int64)


def order_message(c, first_producer: np.ndarray, i: int, t: int) -> str:
    """Why op ``i``'s input tensor ``t`` is not produced before it (the rule "inputs produced
    earlier" of :mod:`.checks`): no op produces it; or op ``p`` does, listed after it, and
    either ``p`` depends on ``i`` (a cycle, named op by op in data-flow order) or the file only
    lists them out of order (the fix: move ``p`` and what it needs before ``i``)."""
    names = c.op_names
    p = int(first_producer[t])
    if p >= c.n_ops:
        return f"input '{c.tensor_names[t]}' is an activation no op produces"
    if p == i:  # a self-dependency: it reads what it writes
        return (f"op '{names[i]}' reads its own output '{c.tensor_names[t]}' (a self-dependency); an op's "
                "inputs come from earlier ops or the workload's inputs and weights")
    # walk back from p through the producers of its inputs: does it reach i?
    back = {p: -1}
    todo = [p]
    while todo:
        q = todo.pop()
        for u in c.in_ids[c.in_ptr[q]:c.in_ptr[q + 1]].tolist():
            r = int(first_producer[u])
            if r < c.n_ops and r not in back:
                back[r] = q
                todo.append(r)
    what = f"input '{c.tensor_names[t]}' is produced by op '{names[p]}' (#{p}), listed after it"
    if i not in back:
        return (f"{what}; ops must be listed in dependency order (a producer before its readers): "
                f"move op '{names[p]}' (and the ops it needs) before op '{names[i]}'")
    cycle = [i]
    while cycle[-1] != p:
        cycle.append(back[cycle[-1]])
    # cycle runs i -> ... -> p following readers; p produces i's input, closing it
    path = " -> ".join(f"'{names[q]}'" for q in [*cycle, i])
    return f"{what}, and it depends on this op: a cycle ({path}); a workload is acyclic"
