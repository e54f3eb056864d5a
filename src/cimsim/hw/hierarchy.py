"""Where a component's bytes come from in a memory hierarchy: per-matrix weight
residency and activation placement, in program order.

Rules, in order (``levels`` innermost first; the last is the backing store,
which holds every tensor):

1. A weight matrix read by more than one op of the component is *reused*. In
   program order of first use, each reused matrix stays resident in the
   innermost non-backing level with room left for it; its first use still
   reads it from the backing store, later uses read the level it stays in.
   A matrix that finds room at no use (below), and every matrix read only
   once, streams from the backing store at every use (residency would not
   save a byte).
   A resident matrix gives its room back once every use of it has surely
   finished. An op's *ancestor barrier* is the latest *barrier* that is the
   op itself or one of its ancestors along the dependencies of the whole
   workload (any component's ops: a path may pass through a host's pointwise
   op); a barrier is an op that every op listed before it reaches
   (:func:`barrier_ops`, :func:`ancestor_barriers`). A matrix is *dead at* op
   ``v`` when all its uses are listed before ``v``'s ancestor barrier: they
   all finished before the barrier started, and ``v`` starts after it, on
   whatever server each runs. (A barrier merely listed before ``v`` is not
   enough: every server takes its lowest-listed *ready* op, so an op that
   does not descend from the barrier may run before it, while ops listed
   earlier wait on another server: a PIM unit, a host, another stage.)
   At each use ``v`` of a reused matrix that is not resident, in program
   order (its first use, and each later one until it is placed), a level's
   room is its capacity less every matrix placed in it so far, plus those
   dead at ``v``: room is not pooled, as a matrix dead at one op need not be
   dead at a later-listed op outside its barrier. (So the matrices resident
   at once in any real schedule fit: the last of them placed counted every
   other, none dead where it was placed.) If the matrix has uses
   after ``v`` and fits a level, it stays there from its next use on (``v``
   reads the backing store, as a cold read installs it); placed at its first
   use, it is read cold once. A layer that waits for the whole layer below
   (an LSTM's ``layer`` schedule) thus reuses the room of the layer below's
   dead matrices from its first op that descends from such a barrier (an
   LSTM's step 1: step 0 reads only ``h0``); layers that overlap in time
   (the ``wavefront`` schedule) have no barrier between them and keep their
   room.
   (A single-use matrix costs the same either way; the report's "weights on
   chip" says whether *every* matrix fits the non-backing levels at once,
   no room returned.)
   Levels are inclusive: a matrix placed in a level takes its room there and in every
   level outside it (before the backing store), so an L2 as large as the L3 adds no
   room for weights (:mod:`.residency`).
   Reuse-aware: where some reused matrix finds no room at its first use or sits outside
   the innermost level, the same placement is also made with the matrices taken most bytes
   saved first ((reads - 1) x bytes) and most reads first, and the one of the three that
   keeps the most bytes of reads off the backing store is kept, then off each level inward
   (program order on a tie): a large matrix read twice keeps neither the backing store nor
   an inner level from a smaller one read twenty times (:func:`.residency.reuse_aware`).
2. An op's activations (inputs plus outputs) stay in the innermost
   non-backing level whose capacity holds them, else they go through the
   backing store. The whole capacity, not the room the resident weights of rule 1
   leave: a cache keeps the data just written (the op's activations) over weights
   last read an op or a step ago, so in this accounting a level's resident weights
   and one op's activations may together exceed its capacity (stated, not modelled
   as an eviction).
3. A model input (role ``input``: the input sequence, a KV cache, anything given before the
   run) is in the backing store when the run starts. Its reads, in program order:

   a. The first read, by an op of ``idx`` or by an op of a component the host fetches inputs
      for (a CIM, a systolic array: ``inputs_via_host``, ``OpArrays.via_host``; on the same
      pipeline stage), reads it from the backing store (for such an op the host reads it,
      charged on that op, to the store and the link), through the host's levels; they keep a
      copy, whatever kind of op read it and whether its op's activations fit a level.
   b. Every later read by an op of ``idx`` is an activation read (rule 2): from the level that
      holds its op's activations.
   c. Where that op's activations fit no level (rule 2: the backing store), the read takes the
      copy of (a) in the innermost level that holds the input alone (:func:`kept_copy_reads`),
      not the backing store (not with a far tier: there it reads its home tier, rule 9).
   d. An input that fits no level alone is read from the backing store again by such a reader.

   So the bytes a graph moves do not depend on which of its readers is listed first, as long as
   the input alone fits a level; only who pays the cold read (and its latency) moves. History:
   before 2026-12-07 (find-A 1) a host op after a CIM op read the input from the backing store
   again (128 B of DRAM for a 64 B input read by a CIM matmul, then by a relu; 64 B listed the
   other way); (c) came with review H 1 for an input a CIM / systolic op read first (before: 20
   MiB of x0 twice on sram-cim when the relu's in + out, 40 MiB, spilled the 37.5 MiB L3), and
   holds for any first reader since find-A3 1 (before: a host matmul, then a relu whose in +
   out, 64 MiB, spill cpu-ddr5's 37.5 MiB L3, read a 32 MiB x0 from DRAM twice, 100,794,368 B
   against 67,239,936 B listed relu-first; both 2026-12-07). Known gap (d): a 64 MiB input on sram-cim is read twice
   listed matmul-first (the CIM's fetch, then the relu), once listed relu-first (the CIM op
   takes the host's copy: :func:`first_input_reads` with ``among_all``).
   PIM units read inputs in the DRAM banks (no host level passed): a host op after them
   reads the store.
   A pipeline-parallel run (``OpArrays.stage``) applies these rules to each stage's ops
   apart: every stage is a device with levels of its own (:func:`staged_traffic`).
4. Bytes are inclusive: bytes read from level ``j`` also pass every level
   inside it, so they are charged to levels ``0 .. j`` (bandwidth and energy).
   Weights and inputs are reads; an op's outputs are writes, into the level its
   activations stay in (and, inclusively, every level inside it).
6. Bytes an op also stores in the backing store (``OpArrays.store_bytes``: a
   KV-cache append) are writes to the backing store, passing every level.
5. An op pays the access latency of the slowest level it touches, once.
7. An op's outputs that rule 2 puts in the backing store stay there (:func:`through_backing`):
   another component that reads one (a CIM, a systolic array, PIM units: ``OpArrays.backed``)
   gets it over its link after the host reads it back from the backing store, at every op of
   it that brings the tensor in (:func:`backed_reads`), as a model input its first reader.
8. The other way: an output of another component (a CIM, a systolic array, PIM units) that
   a host op reads from the backing store (rule 2: that op's activations fit no level before
   it) is written there first, once, on the op that made it (``OpArrays.landed``,
   :func:`add_landed`): its bytes in the workload's dtype, a write of the backing store (energy
   and bandwidth), and that op pays the store's access latency. Its output lands in host
   memory as it comes over the link, where the host op later reads it. (Before 2026-12-06 it
   was read from there but never written.) A collective's output is written by the collective
   itself (rules 2 and 3 applied to its ops: :meth:`~.collective.Collective.memory_traffic`,
   since 2026-12-07; before, charged on no level either way). Not written: a tensor another
   host op made in a level that held it (rule 2 per op: a known gap; fc1 -> relu at
   10.5 MB of L3: fc1's 2.10 + 8.39 MB fit, so its 8.39 MB output is written to L3 only,
   relu's 8.39 + 8.39 MB do not, so it reads those 8.39 MB from DRAM, never written there).

9. A far tier (the backing store marked ``far``: a CXL expander) is a peer of the level before
   it (the near tier, DDR), not a cache behind it: the two are the home together, their
   capacities add, tensors fill the near tier first (first touch) and spill to the far one,
   and bytes from the far tier pass the levels inside the near tier, not the near tier
   (:mod:`.fartier`). Rules 1-8 then read "the backing store" as a tensor's home tier.

Not modelled: eviction and write-back. An activation kept in a level by rule 2 is taken
to be there for every later reader, whatever streamed through the level in between, and
an output kept there is never written back to the backing store (a run whose ops'
activations all fit writes 0 B of outputs to DRAM, its final output included), under either
weight rule; for weights, rule 1's placement or a hardware cache's reuse distance
(``replacement: lru``, :mod:`.lru`), no other replacement policy, and no exclusive /
non-inclusive levels; every level is one shared level (a per-core private L2 is not modelled).

With two levels this is the classic model of an on-chip SRAM in front of
DRAM; with more (L2, LLC, DRAM) the same rules apply level by level.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .base import OpArrays
from .fartier import far_home, input_reads
from .lru import lru_sources
from .residency import Rooms, reuse_aware, take


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
    #: home level -> the weight bytes the ops read from it in one run (the backing store; with a
    #: far tier, the near and the far one): every first use and every use no level holds, the
    #: weight part of ``bytes`` there (a cold call's weight reads, review 22 E 1)
    home_weight_bytes: dict[str, float] = field(default_factory=dict)
    #: weight bytes each op reads from its home at this use (aligned with idx; its first use, a
    #: single-use weight, one no level holds): what a processor's ``mac_efficiency.cold_from``
    #: looks up as a weight streamed from beyond the caches (None: not computed)
    cold_weight_bytes: np.ndarray | None = None
    #: under ``replacement: lru``: level -> weight bytes of the uses after a first use that it
    #: served (the innermost level holding their reuse distance; the home: a miss)
    lru_reads: dict[str, float] | None = None


def hierarchy_traffic(ops: OpArrays, idx: np.ndarray, levels: list[str], capacity: list[float],
                      latency: list[float], far: bool = False, place=None, lru: bool = False) -> HierarchyTraffic:
    """Bytes per level for the ops ``idx`` reading through ``levels`` (rules above; ``far``:
    the last two levels are a near and a far tier, rule 9; ``place``: the far tier's offload
    policy, :class:`~.homes.FarPlace`, or None: first touch; ``lru``: the levels before the
    home are hardware caches, whose weights follow :mod:`.lru` in place of rule 1's placement)."""
    n_all = ops.kind.shape[0]
    n, n_lv = len(idx), len(levels)
    back = n_lv - 2 if far else n_lv - 1  # the home (with a far tier: near and far, rule 9)
    pos = np.full(n_all, -1, dtype=np.int64)
    pos[idx] = np.arange(n)
    op_of_pair = np.repeat(np.arange(n_all), np.diff(ops.weight_ptr))
    local = pos[op_of_pair]
    sel = local >= 0
    pair_op, pair_w = local[sel], ops.weight_ids[sel]
    pair_bytes = ops.tensor_bytes[pair_w]
    src = np.full(len(pair_w), back, dtype=np.int64)
    resident = {lv: 0.0 for lv in levels[:back]}
    reused_total = returned = 0.0
    all_resident = all_fit = all_once = True
    lru_reads = None
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
        by_first = np.argsort(first, kind="stable")
        rooms = Rooms(ops, idx, pair_op, pair_w, uw, counts, first, last_all[uw], capacity[:back])
        once = list(capacity[:back])  # every matrix at once, nothing returned (``all_fit``)
        for u in by_first:
            if counts[u] < 2:
                continue
            size = float(ops.tensor_bytes[uw[u]])
            reused_total += size
            all_once &= take(once, size) >= 0
            rooms.first_use(int(u), size)
        rooms.first_use(-1, 0.0)  # later uses after the last first use
        placed, install, returned = reuse_aware(rooms, counts)
        for u, j in placed.items():
            resident[levels[j]] += float(ops.tensor_bytes[uw[u]])
        all_resident = rooms.all_at_first
        all_fit = all_once
        for u in by_first:
            if counts[u] >= 2 or not all_fit:
                continue
            all_fit = take(once, float(ops.tensor_bytes[uw[u]])) >= 0
        level_all = np.full(len(counts_all), back, dtype=np.int64)
        for u, j in placed.items():
            level_all[uw[u]] = j
        src = level_all[pair_w]
        src[first] = back  # a first use reads the backing store
        for u, pair in install.items():
            if pair != first[u]:  # placed at a later use: the uses up to it read it cold
                src[np.flatnonzero(pair_w[:pair + 1] == uw[u])] = back
        if lru:  # hw/lru.py in place of the placement: what a use finds is its reuse distance's
            src = lru_sources(ops, idx, pair_op, pair_w, pair_bytes, capacity[:back], back)
            later = np.arange(len(pair_w)) != first_all[pair_w]  # the uses after a first
            lru_reads = {lv: float(pair_bytes[later & (src == j)].sum()) for j, lv in enumerate(levels[:back + 1])}
            inner = np.full(len(counts_all), back, dtype=np.int64)
            np.minimum.at(inner, pair_w, src)
            resident = {lv: float(ops.tensor_bytes[uw[inner[uw] == j]].sum()) for j, lv in enumerate(levels[:back])}
            reused = counts_all[pair_w] >= 2
            all_resident = bool((src[reused & later] < back).all())
            returned = 0.0
        streamed = float(ops.tensor_bytes[uw].sum()) - sum(resident.values())
    else:
        streamed = 0.0
    act = _act_bytes(ops, idx)
    act_level = np.full(n, back, dtype=np.int64)
    for j in range(back - 1, -1, -1):  # innermost that holds them wins (its whole capacity: rule 2)
        act_level[act <= capacity[j]] = j
    first_in = first_input_reads(ops, idx, pos)  # rule 3
    act_rest = act - first_in
    kept = None if far else kept_copy_reads(ops, idx, pos, act_level, capacity[:back])  # rule 3
    act_out = ops.act_out_bytes[idx]
    store = ops.stored(idx)
    in_nz = np.flatnonzero(first_in) if len(ops.input_ids) else None
    out: dict[str, np.ndarray] = {}
    writes: dict[str, np.ndarray] = {}
    lat = np.zeros(n)
    home = None
    if far:  # rule 9: activations other than model inputs read again take the near tier's room
        again = input_reads(ops, idx, pos) - first_in
        home = far_home(ops, idx, pos, float(capacity[back]), pair_op, pair_w, act_rest - again,
                        place, (levels[back], levels[back + 1]), float(capacity[back + 1]))
        resident.update({levels[back]: home.near_bytes, levels[back + 1]: home.far_bytes})
        streamed = 0.0  # every weight has a home tier now (reported there), none streams past it
    for j, lv in enumerate(levels[:back + 1]):
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
        if kept is not None:  # a copy the host kept: not read from the levels past its own
            k_op, k_bytes, k_lv = kept
            b -= np.bincount(k_op[k_lv < j], weights=k_bytes[k_lv < j], minlength=n)
        if in_nz is not None:
            b[in_nz] += first_in[in_nz]
        if store is not None:
            b += store
        out[lv] = b
        w = np.where(a, act_out, 0.0)
        writes[lv] = w if store is None else w + store
        if home is not None and j == back:  # rule 9: split between the near and the far tier
            for k, share in ((j, 1.0), (j + 1, 0.0)):  # near: 1 - the far share; far
                out[levels[k]], writes[levels[k]] = _tier_part(
                    ops, idx, pos, home, share, src >= j, pair_op, pair_bytes, pair_w, a,
                    act_rest, again, act_out, store)
            for k in (j, j + 1):
                if latency[k] > 0:
                    lat = np.maximum(lat, np.where(out[levels[k]] > 0, latency[k], 0.0))
        elif latency[j] > 0:
            lat = np.maximum(lat, np.where(b > 0, latency[j], 0.0))
    cold = pair_bytes[src >= back]  # the weight bytes read from the home, per pair
    homes = ({levels[back]: float(cold.sum())} if home is None else  # rule 9: the far share apart
             {levels[back + 1]: float((cold * home.tensor[pair_w[src >= back]]).sum())})
    if home is not None:
        homes = {levels[back]: float(cold.sum()) - homes[levels[back + 1]], **homes}
    at_home = src >= back
    cold_per_op = (np.bincount(pair_op[at_home], weights=pair_bytes[at_home], minlength=n)
                   if len(pair_op) else np.zeros(n))
    return HierarchyTraffic(out, lat, resident, streamed, reused_total, all_resident, all_fit,
                            writes, returned, homes, cold_per_op, lru_reads)


def _tier_part(ops, idx, pos, home, near, m, pair_op, pair_bytes, pair_w, a, act_rest, again,
               act_out, store):
    """Rule 9: of the bytes and writes each op moves in its home, those of the far tier
    (``near`` 0.0), or of the near tier (``near`` 1.0: one less the far shares)."""
    n = len(idx)
    tensor, act = abs(near - home.tensor), abs(near - home.act)
    wb = np.bincount(pair_op[m], weights=(pair_bytes * tensor[pair_w])[m], minlength=n)
    first = first_input_reads(ops, idx, pos, weight=tensor)
    again_t = input_reads(ops, idx, pos, tensor) - first  # model inputs read again: their home
    b = wb + first + np.where(a, again_t + (act_rest - again) * act, 0.0)
    w = np.where(a, act_out * act, 0.0)
    if store is not None:
        kept = abs(near - home.store)
        b, w = b + store * kept, w + store * kept
    return b, w



def first_input_reads(ops: OpArrays, idx: np.ndarray, pos: np.ndarray | None = None,
                      among_all: bool = False, weight: np.ndarray | None = None) -> np.ndarray:
    """Rule 3, per op of ``idx``: the bytes of model inputs it is the first of ``idx`` to read
    (in program order), which it reads from the backing store, unless an op of a component the
    host fetches inputs for (``OpArrays.via_host``: a CIM, a systolic array; on the same
    pipeline stage) read it before: the host fetched it then, and the op reads it as an
    activation (its level by rule 2). Components without a hierarchy
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
    if ops.via_host is not None:  # an op the host fetched inputs for (a CIM): it may be first
        other = ops.via_host[op_of_in] & ~keep
        if ops.stage is not None:  # on this device (pipeline stage) only
            other &= np.isin(ops.stage[op_of_in], ops.stage[idx])
        keep = keep | other
    in_op, in_t = loc[keep], ops.input_ids[keep]
    if len(in_t):
        _, first = np.unique(in_t, return_index=True)  # pairs are in op order
        first = first[in_op[first] >= 0]  # read first by an op of idx, not by such an op
        b = ops.tensor_bytes[in_t[first]]
        np.add.at(first_in, in_op[first], b if weight is None else b * weight[in_t[first]])
    return first_in


def kept_copy_reads(ops: OpArrays, idx: np.ndarray, pos: np.ndarray, act_level: np.ndarray,
                    capacity: list[float]):
    """Rule 3's kept copy, per read of a model input by an op of ``idx`` whose activations fit no
    level (rule 2: the backing store) and that is not the input's first read: the first read of
    the input by an op of ``idx`` or by an op the host fetched inputs for (``OpArrays.via_host``;
    on the same pipeline stage) brought it from the backing store through the host's levels, so
    this read takes it from the innermost level that holds the input alone, not from the backing
    store again. Whatever kind of op read it first: a CIM / systolic op (review H 1, 2026-12-07)
    or a host op, spilled or not (find-A3 1, 2026-12-07: before, x0 of 32 MiB read by a matmul,
    then by a relu whose in + out spill cpu-ddr5's 37.5 MiB L3, was read from DRAM twice).
    ``(ops, bytes, level)`` per such read (positions in ``idx``), or None when there is none; an
    input that fits no level alone is left to rule 2 (read from the backing store again)."""
    if not len(ops.input_ids) or not len(capacity):
        return None
    n_all = ops.kind.shape[0]
    op_of_in = np.repeat(np.arange(n_all), np.diff(ops.input_ptr))
    loc = pos[op_of_in]
    mine = loc >= 0
    spilled = np.zeros(len(mine), dtype=bool)
    spilled[mine] = act_level[loc[mine]] >= len(capacity)
    if not spilled.any():
        return None
    fetch = mine.copy()  # the reads that bring an input through the host's levels
    if ops.via_host is not None:
        other = ops.via_host[op_of_in] & ~mine
        if ops.stage is not None:  # on this device (pipeline stage) only
            other &= np.isin(ops.stage[op_of_in], ops.stage[idx])
        fetch |= other
    t = ops.input_ids
    at = np.flatnonzero(fetch)
    _, first = np.unique(t[at], return_index=True)  # pairs are in op order
    later = spilled.copy()
    later[at[first]] = False  # each input's first read: from the backing store (rule 3)
    pairs = np.flatnonzero(later & fetch)  # an input no such op read before: none kept
    if not len(pairs):
        return None
    k_op = loc[pairs]
    k_bytes = ops.tensor_bytes[t[pairs]].astype(float)
    k_lv = np.full(len(pairs), len(capacity), dtype=np.int64)
    for j in range(len(capacity) - 1, -1, -1):  # the innermost level that holds it alone
        k_lv[k_bytes <= capacity[j]] = j
    fits = k_lv < len(capacity)
    return (k_op[fits], k_bytes[fits], k_lv[fits]) if fits.any() else None


def _act_bytes(ops: OpArrays, idx: np.ndarray) -> np.ndarray:
    """Rule 2's bytes per op of ``idx``: its activations, inputs plus outputs."""
    return ops.act_in_bytes[idx] + ops.act_out_bytes[idx]


def through_backing(ops: OpArrays, idx: np.ndarray, capacity: list[float]) -> np.ndarray:
    """Rules 2 and 7, per op of ``idx``: no level before the backing store (``capacity``
    innermost first, the backing store's last) holds its activations, so its outputs are
    written to the backing store and stay there."""
    return _act_bytes(ops, idx) > max(capacity[:-1], default=-1.0)


def backed_reads(ops: OpArrays, idx: np.ndarray) -> np.ndarray:
    """Rule 7, per op of ``idx``: the bytes of the tensors the host wrote to the backing store
    (:attr:`OpArrays.backed`) it reads, each once however often it reads it: what the host
    reads back from the backing store to send to it (an op of a component that brings every
    input over its link)."""
    out = np.zeros(len(idx))
    if ops.backed is None or ops.act_ptr is None or not len(idx):
        return out
    sel = ops.backed[ops.act_ids]
    if not sel.any():
        return out
    pos = np.full(ops.kind.shape[0], -1, dtype=np.int64)
    pos[idx] = np.arange(len(idx))
    p_op, p_t = ops.read_pairs(sel)  # (op, tensor) once
    keep = pos[p_op] >= 0
    np.add.at(out, pos[p_op[keep]], ops.tensor_bytes[p_t[keep]])
    return out


def add_landed(ops: OpArrays, idx: np.ndarray, back: str, nbytes: dict, writes: dict) -> np.ndarray:
    """Rule 8, in place: per op of ``idx``, the bytes of its outputs that a host op reads from
    the backing store ``back`` (:attr:`OpArrays.landed`), written there; returns where an op
    writes some (it pays the store's access latency)."""
    if ops.landed is None or ops.producer is None or not len(idx):
        return np.zeros(len(idx), dtype=bool)
    t = np.flatnonzero(ops.landed & (ops.producer >= 0))
    out = np.bincount(ops.producer[t], weights=ops.tensor_bytes[t],
                      minlength=ops.kind.shape[0])[idx]
    nbytes[back] = nbytes.get(back, 0.0) + out
    writes[back] = writes.get(back, 0.0) + out
    return out > 0


def staged_traffic(ops: OpArrays, idx: np.ndarray, levels: list[str], capacity: list[float],
                   latency: list[float], far: bool = False, place=None, lru: bool = False) -> HierarchyTraffic:
    """:func:`hierarchy_traffic` of each pipeline stage's ops apart (``OpArrays.stage``: a
    pipeline-parallel run puts each stage on a device of its own, with its own levels), merged:
    per-op arrays in ``idx`` order, resident and streamed bytes summed over the devices, the
    flags true when true on every device. One call of :func:`hierarchy_traffic` without stages.
    Rule 1 gives room back on each device apart, at the ancestor barriers of the whole
    workload (an op that descends from a barrier starts after every op listed before it, on
    any device)."""
    if ops.stage is None or len(idx) == 0:
        return hierarchy_traffic(ops, idx, levels, capacity, latency, far, place, lru)
    st = ops.stage[idx]
    n = len(idx)
    merged = HierarchyTraffic({lv: np.zeros(n) for lv in levels}, np.zeros(n),
                              {lv: 0.0 for lv in (levels if far else levels[:-1])}, 0.0, 0.0, True, True,
                              {lv: np.zeros(n) for lv in levels}, cold_weight_bytes=np.zeros(n))
    for s in np.unique(st):
        at = np.flatnonzero(st == s)
        t = hierarchy_traffic(ops, idx[at], levels, capacity, latency, far, place, lru)
        for lv in levels:
            merged.bytes[lv][at] = t.bytes[lv]
            merged.write_bytes[lv][at] = t.write_bytes[lv]
        merged.latency_s[at] = t.latency_s
        merged.cold_weight_bytes[at] = t.cold_weight_bytes
        for lv, b in t.resident.items():
            merged.resident[lv] += b
        merged.streamed_weight_bytes += t.streamed_weight_bytes
        merged.reused_total_bytes += t.reused_total_bytes
        merged.all_reused_resident &= t.all_reused_resident
        merged.all_fit &= t.all_fit
        merged.returned_bytes += t.returned_bytes
        for lv, b in t.home_weight_bytes.items():
            merged.home_weight_bytes[lv] = merged.home_weight_bytes.get(lv, 0.0) + b
        if t.lru_reads is not None:
            merged.lru_reads = {lv: (merged.lru_reads or {}).get(lv, 0.0) + b for lv, b in t.lru_reads.items()}
    return merged

