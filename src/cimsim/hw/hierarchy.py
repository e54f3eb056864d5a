"""Where a component's bytes come from in a memory hierarchy: per-matrix weight
residency and activation placement, in program order.

Rules, in order (``levels`` innermost first; the last is the backing store,
which holds every tensor):

1. A weight matrix read by more than one op of the component is *reused*. In
   program order of first use, each reused matrix stays resident in the
   innermost non-backing level with room left for it; its first use still
   reads it from the backing store, later uses read the level it stays in.
   A matrix that fits nowhere, and every matrix read only once, streams from
   the backing store at every use (residency would not save a byte).
   A resident matrix gives its room back once every use of it has surely
   finished: at a matrix's first use, before it is placed, every resident
   matrix whose uses all lie before the latest *barrier* at or before that
   first use returns its room. A barrier is an op that every op listed before
   it reaches along the dependencies of the whole workload (any component's
   ops: a path may pass through a host's pointwise op), so everything listed
   before it has finished when it starts (:func:`barrier_ops`); a component
   runs its own ops in program order (one server takes its lowest-listed ready
   op), so a first use listed after a barrier runs after it. A layer that waits
   for the whole layer below (an LSTM's ``layer`` schedule) thus reuses the
   room of the layer below's dead matrices; layers that overlap in time (the
   ``wavefront`` schedule) have no barrier between them and keep their room.
   (A single-use matrix costs the same either way; the report's "weights on
   chip" says whether *every* matrix fits the non-backing levels at once,
   no room returned.)
2. An op's activations (inputs plus outputs) stay in the innermost
   non-backing level whose capacity holds them, else they go through the
   backing store. The whole capacity, not the room the resident weights of rule 1
   leave: a cache keeps the data just written (the op's activations) over weights
   last read an op or a step ago, so in this accounting a level's resident weights
   and one op's activations may together exceed its capacity (stated, not modelled
   as an eviction).
3. A model input (role ``input``: the input sequence, a KV cache, anything given
   before the run) is in the backing store when the run starts: the first of
   these ops to read it reads it from there; later reads count as activations.
   A pipeline-parallel run (``OpArrays.stage``) applies these rules to each stage's ops
   apart: every stage is a device with levels of its own (:func:`staged_traffic`).
4. Bytes are inclusive: bytes read from level ``j`` also pass every level
   inside it, so they are charged to levels ``0 .. j`` (bandwidth and energy).
   Weights and inputs are reads; an op's outputs are writes, into the level its
   activations stay in (and, inclusively, every level inside it).
6. Bytes an op also stores in the backing store (``OpArrays.store_bytes``: a
   KV-cache append) are writes to the backing store, passing every level.
5. An op pays the access latency of the slowest level it touches, once.

With two levels this is the classic model of an on-chip SRAM in front of
DRAM; with more (L2, LLC, DRAM) the same rules apply level by level.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from .base import OpArrays


@dataclass
class HierarchyTraffic:
    bytes: dict[str, np.ndarray]  # level -> bytes per op (aligned with idx)
    latency_s: np.ndarray  # access latency per op (slowest level touched)
    resident: dict[str, float]  # level -> weight bytes resident there (each matrix in turn)
    streamed_weight_bytes: float  # distinct weight bytes that stream from the backing store
    reused_total_bytes: float  # distinct bytes of weights read more than once
    all_reused_resident: bool
    #: every weight matrix fits in the non-backing levels at once (reused ones first,
    #: then single-use ones in program order): the classic "weights stay on chip"
    all_fit: bool
    #: level -> the part of ``bytes`` that are writes (the op's outputs, on the levels its
    #: activations pass)
    write_bytes: dict[str, np.ndarray]
    #: bytes of room that resident matrices gave back after their last use and later ones
    #: needed (beyond the room left free; rule 1): the part of ``resident`` there in turn
    returned_bytes: float = 0.0


def hierarchy_traffic(ops: OpArrays, idx: np.ndarray, levels: list[str], capacity: list[float],
                      latency: list[float]) -> HierarchyTraffic:
    """Bytes per level for the ops ``idx`` reading through ``levels`` (rules above)."""
    n_all = ops.kind.shape[0]
    n, n_lv = len(idx), len(levels)
    back = n_lv - 1
    pos = np.full(n_all, -1, dtype=np.int64)
    pos[idx] = np.arange(n)
    op_of_pair = np.repeat(np.arange(n_all), np.diff(ops.weight_ptr))
    local = pos[op_of_pair]
    sel = local >= 0
    pair_op, pair_w = local[sel], ops.weight_ids[sel]
    pair_bytes = ops.tensor_bytes[pair_w]
    src = np.full(len(pair_w), back, dtype=np.int64)
    resident = {lv: 0.0 for lv in levels[:-1]}
    reused_total = returned = 0.0
    all_resident = all_fit = all_once = True
    if len(pair_w):
        # = np.unique(pair_w, return_index=True, return_counts=True), in O(pairs) (ids are
        # tensor indices): a sort of every pair cost most of this function on large workloads
        counts_all = np.bincount(pair_w)
        uw = np.flatnonzero(counts_all)
        counts = counts_all[uw]
        first_all = np.full(len(counts_all), len(pair_w), dtype=np.int64)
        np.minimum.at(first_all, pair_w, np.arange(len(pair_w)))
        first = first_all[uw]
        last_all = np.full(len(counts_all), -1, dtype=np.int64)
        np.maximum.at(last_all, pair_w, np.arange(len(pair_w)))
        first_op, last_op = idx[pair_op[first]], idx[pair_op[last_all[uw]]]  # program order
        room = list(capacity[:-1])  # with each matrix's room returned once it is dead (rule 1)
        once = list(capacity[:-1])  # every matrix at once, nothing returned (``all_fit``)
        given = [0.0] * back  # per level: room given back that no matrix has taken yet
        level_of = np.full(len(uw), back, dtype=np.int64)
        live: list[tuple[int, int, int, float]] = []  # (last use, matrix, level, bytes): a heap
        bars = None
        by_first = np.argsort(first, kind="stable")
        for u in by_first:
            if counts[u] < 2:
                continue
            size = float(ops.tensor_bytes[uw[u]])
            reused_total += size
            all_once &= _take(once, size) >= 0
            if live and size > room[0]:  # returning room can only move it inward: do it now
                if bars is None:
                    bars = barrier_ops(ops)
                at = np.searchsorted(bars, first_op[u], side="right") - 1
                done_before = bars[at] if at >= 0 else 0
                while live and live[0][0] < done_before:
                    _, _, j, b = heapq.heappop(live)
                    room[j] += b
                    given[j] += b
            j = _take(room, size)
            if j >= 0:
                took = min(given[j], max(0.0, size - (room[j] + size - given[j])))
                given[j] -= took  # the part of its room that only the returned room had
                returned += took
                level_of[u] = j
                resident[levels[j]] += size
                heapq.heappush(live, (int(last_op[u]), int(u), j, size))
            else:
                all_resident = False
        all_fit = all_once
        for u in by_first:
            if counts[u] >= 2 or not all_fit:
                continue
            all_fit = _take(once, float(ops.tensor_bytes[uw[u]])) >= 0
        level_all = np.full(len(counts_all), back, dtype=np.int64)
        level_all[uw] = level_of
        src = level_all[pair_w]
        src[first] = back  # a first use reads the backing store
        streamed = float(ops.tensor_bytes[uw].sum()) - sum(resident.values())
    else:
        streamed = 0.0
    act = ops.act_in_bytes[idx] + ops.act_out_bytes[idx]
    act_level = np.full(n, back, dtype=np.int64)
    for j in range(back - 1, -1, -1):  # innermost that holds them wins (its whole capacity: rule 2)
        act_level[act <= capacity[j]] = j
    first_in = first_input_reads(ops, idx, pos)  # rule 3
    act_rest = act - first_in
    act_out = ops.act_out_bytes[idx]
    store = ops.stored(idx)
    in_nz = np.flatnonzero(first_in) if len(ops.input_ids) else None
    out: dict[str, np.ndarray] = {}
    writes: dict[str, np.ndarray] = {}
    lat = np.zeros(n)
    for j, lv in enumerate(levels):
        m = src >= j
        if not m.any():  # no weight byte passes this level (or no weights)
            b = np.zeros(n)
        elif m.all():  # every weight byte does (always the innermost)
            b = np.bincount(pair_op, weights=pair_bytes, minlength=n)
        else:
            b = np.bincount(pair_op[m], weights=pair_bytes[m], minlength=n)
        # the sums below skip adding zeros (bytes are never -0.0, so x + 0.0 is x): the same
        # bits as ``b + where(a, act_rest, 0) + first_in + store``, without four passes
        a = act_level >= j
        b += act_rest if a.all() else np.where(a, act_rest, 0.0)
        if in_nz is not None:
            b[in_nz] += first_in[in_nz]
        if store is not None:
            b += store
        out[lv] = b
        w = np.where(a, act_out, 0.0)
        writes[lv] = w if store is None else w + store
        if latency[j] > 0:
            lat = np.maximum(lat, np.where(b > 0, latency[j], 0.0))
    return HierarchyTraffic(out, lat, resident, streamed, reused_total, all_resident, all_fit,
                            writes, returned)


def _take(room: list[float], size: float) -> int:
    """The innermost level with ``size`` bytes of room left, its room taken; -1 if none."""
    for j, left in enumerate(room):
        if size <= left:
            room[j] = left - size
            return j
    return -1


def barrier_ops(ops: OpArrays) -> np.ndarray:
    """The ops (ascending, in program order over *all* ops of ``ops``, whatever component runs
    them) that every earlier op reaches along the dependencies: when one starts, every op
    listed before it has finished. In a topological order paths only go forward, so op ``b``
    is one exactly when every earlier op without a successor among the ops before ``b`` (an
    *open sink*) is a direct predecessor of ``b``. An open sink ``p`` of ``b`` with ``b`` as a
    successor has ``b`` as its first successor, so ``b`` is a barrier when the open sinks
    before it number as many as the ops whose first successor it is: O(ops + edges).

    The edges are the activations an op reads from the op that wrote them (the producer
    columns; a workload lists its ops in dependency order, checked when it is built). An
    edge that does not go forward (an ``OpArrays`` built by hand) and an ``OpArrays``
    without the producer columns give fewer barriers (op 0 alone, trivially), never a
    wrong one: fewer edges only mean fewer paths."""
    n = ops.kind.shape[0]
    if ops.producer is None or ops.act_ptr is None or n == 0:
        return np.zeros(min(n, 1), dtype=np.int64)
    reader = ops.act_readers()
    prod = ops.producer[ops.act_ids]
    fwd = (prod >= 0) & (prod < reader)
    first_succ = np.full(n, n, dtype=np.int64)
    np.minimum.at(first_succ, prod[fwd], reader[fwd])
    # op p is an open sink of every b in p + 1 .. first_succ[p]
    delta = np.zeros(n + 2, dtype=np.int64)
    delta[1:n + 1] += 1
    delta -= np.bincount(first_succ + 1, minlength=n + 2)
    open_sinks = np.cumsum(delta)[:n]
    closing = np.bincount(first_succ[first_succ < n], minlength=n)
    return np.flatnonzero(open_sinks == closing)


def first_input_reads(ops: OpArrays, idx: np.ndarray, pos: np.ndarray | None = None,
                      among_all: bool = False) -> np.ndarray:
    """Rule 3, per op of ``idx``: the bytes of model inputs it is the first of ``idx`` to read
    (in program order), which it reads from the backing store. Components without a hierarchy
    of their own (a CIM, a systolic array) apply it with ``among_all``: an op of ``idx`` that
    is the first of *all* ops to read such an input, which the host then reads from the
    backing store and sends over their link (an input the host's processor read before is in
    its levels already). ``pos``: each op's place in ``idx`` (-1 outside), when the caller
    has it."""
    first_in = np.zeros(len(idx))
    if not len(ops.input_ids):
        return first_in
    n_all = ops.kind.shape[0]
    if pos is None:
        pos = np.full(n_all, -1, dtype=np.int64)
        pos[idx] = np.arange(len(idx))
    op_of_in = np.repeat(np.arange(n_all), np.diff(ops.input_ptr))
    if among_all:  # the first reader of each input among every op, kept where it is one of idx
        _, first = np.unique(ops.input_ids, return_index=True)  # pairs are in op order
        loc = pos[op_of_in[first]]
        keep = loc >= 0
        np.add.at(first_in, loc[keep], ops.tensor_bytes[ops.input_ids[first][keep]])
        return first_in
    loc = pos[op_of_in]
    keep = loc >= 0
    in_op, in_t = loc[keep], ops.input_ids[keep]
    if len(in_t):
        _, first = np.unique(in_t, return_index=True)  # pairs are in op order
        np.add.at(first_in, in_op[first], ops.tensor_bytes[in_t[first]])
    return first_in


def staged_traffic(ops: OpArrays, idx: np.ndarray, levels: list[str], capacity: list[float],
                   latency: list[float]) -> HierarchyTraffic:
    """:func:`hierarchy_traffic` of each pipeline stage's ops apart (``OpArrays.stage``: a
    pipeline-parallel run puts each stage on a device of its own, with its own levels), merged:
    per-op arrays in ``idx`` order, resident and streamed bytes summed over the devices, the
    flags true when true on every device. One call of :func:`hierarchy_traffic` without stages.
    Rule 1 gives room back on each device apart, at the barriers of the whole workload's order
    (a stage's device runs its ops in program order too)."""
    if ops.stage is None or len(idx) == 0:
        return hierarchy_traffic(ops, idx, levels, capacity, latency)
    st = ops.stage[idx]
    n = len(idx)
    merged = HierarchyTraffic({lv: np.zeros(n) for lv in levels}, np.zeros(n),
                              {lv: 0.0 for lv in levels[:-1]}, 0.0, 0.0, True, True,
                              {lv: np.zeros(n) for lv in levels})
    for s in np.unique(st):
        at = np.flatnonzero(st == s)
        t = hierarchy_traffic(ops, idx[at], levels, capacity, latency)
        for lv in levels:
            merged.bytes[lv][at] = t.bytes[lv]
            merged.write_bytes[lv][at] = t.write_bytes[lv]
        merged.latency_s[at] = t.latency_s
        for lv, b in t.resident.items():
            merged.resident[lv] += b
        merged.streamed_weight_bytes += t.streamed_weight_bytes
        merged.reused_total_bytes += t.reused_total_bytes
        merged.all_reused_resident &= t.all_reused_resident
        merged.all_fit &= t.all_fit
        merged.returned_bytes += t.returned_bytes
    return merged

