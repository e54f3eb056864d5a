"""A workload's canonical program order (:meth:`cimsim.workload.ir.Workload.canonical`,
``cimsim workload canonicalize``): one listing of its graph that does not depend on the order
it was listed in.

Rules:

1. The order is topological (Kahn's): an op comes after every op that makes one of its inputs.
   Among the ops ready at once the one with the smallest name (Python's ``str`` order, by code
   point) comes first. Names are unique, so the order is one order: two listings of one graph
   (same ops, same tensors, same names) give the same canonical order, and the canonical order
   of a canonical workload is itself.
2. Where the metadata names ops by position, the ops keep their blocks: an LLM serving run's
   iterations (``llm.step_end_ops``, each iteration's ops stay in it) and a merged workload's
   models (``models[].first_op``, ``ops``); each block is ordered by rule 1 on its own, and
   ``llm.first_token_ops`` / ``last_token_ops`` follow their ops to their new positions.
3. Tensors are listed by name (Python's ``str`` order, as rule 1): a tracer or generator that
   declares tensors by first use (which follows the op order) gives the same canonical workload
   and file for two listings of one graph (before 2026-12-07 tensors kept their order, so such
   listings differed: review H 2). Tags and the rest of the metadata are kept as they are.

Results may move with the order (README "Program order": who pays a cold read, the DES's
ties); compare runs of canonical workloads to compare graphs, not listings. A canonical run's
latency is that one listing's (the op-name order's), not a property of the graph nor a bound
over its listings: renaming ops can change which listing is canonical, and so the latency
(find-A3 2: a relu ``ew0`` and a matmul ``mm1`` sharing a 16 MiB x0 on cpu-ddr5, 291.95 us
canonical, 247.38 us with ``mm1`` renamed ``a0``; the bytes and energy do not move).
"""

from __future__ import annotations

import heapq

import numpy as np

from ..errors import WorkloadError


def _blocks(w) -> list[int]:
    """The first op of each block of rule 2 (0 first), ascending."""
    n = w.columns.n_ops
    starts = {0}
    llm = w.metadata.get("llm")
    if isinstance(llm, dict) and llm.get("step_end_ops"):
        starts.update(int(e) + 1 for e in llm["step_end_ops"])
    for m in w.metadata.get("models") or []:
        if isinstance(m, dict) and "first_op" in m:
            starts.update((int(m["first_op"]), int(m["first_op"]) + int(m.get("ops", 0))))
    return sorted(s for s in starts if 0 <= s < n)


def canonical_order(w) -> np.ndarray:
    """The op indices of ``w`` in canonical order (rules 1 and 2)."""
    c = w.columns
    n = c.n_ops
    names = [c.op_names[i] for i in range(n)]
    indptr, pred = w.predecessors
    succ_of = np.repeat(np.arange(n), np.diff(indptr))  # (op, pred) pairs: pred -> op
    order_s = np.argsort(pred, kind="stable")
    s_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(pred, minlength=n), out=s_ptr[1:])
    succ = succ_of[order_s]
    out: list[int] = []
    bounds = _blocks(w) + [n]
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        # preds in earlier blocks are placed already (a valid listing lists them before)
        waiting = {i: int((pred[indptr[i]:indptr[i + 1]] >= lo).sum()) for i in range(lo, hi)}
        ready = [(names[i], i) for i, k in waiting.items() if k == 0]
        heapq.heapify(ready)
        while ready:
            _, i = heapq.heappop(ready)
            out.append(i)
            for j in succ[s_ptr[i]:s_ptr[i + 1]].tolist():
                if lo <= j < hi:
                    waiting[j] -= 1
                    if waiting[j] == 0:
                        heapq.heappush(ready, (names[j], j))
        if len(out) != hi:  # a block whose op waits on a later block's: not a valid listing
            raise WorkloadError(f"workload '{w.name}': ops {lo}..{hi - 1} (a block its metadata names "
                                "by position) read an output of a later op; cannot canonicalize")
    return np.asarray(out, dtype=np.int64)


def canonical(w):
    """``w`` listed in canonical order (module rules): a new :class:`Workload`."""
    from .ir import Workload

    order = canonical_order(w)
    tensors = list(w.tensors.values())
    by_name = sorted(tensors, key=lambda t: t.name)  # rule 3
    if (order == np.arange(len(order))).all() and list(w.tensors) == [t.name for t in by_name]:
        return w
    meta = dict(w.metadata)
    llm = meta.get("llm")
    if isinstance(llm, dict):
        new_pos = np.empty_like(order)
        new_pos[order] = np.arange(len(order))
        llm = dict(llm)
        for key in ("first_token_ops", "last_token_ops"):
            if isinstance(llm.get(key), list):
                llm[key] = [int(new_pos[int(i)]) for i in llm[key]]
        meta["llm"] = llm
    ops = w.ops
    return Workload(w.name, by_name, [ops[int(i)] for i in order], meta)
