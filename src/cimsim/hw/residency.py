"""Rule 1 of :mod:`cimsim.hw.hierarchy`: which reused weight matrices stay resident in which
level, and from which use. Levels are inclusive: a matrix placed in a level also takes its
bytes of room in every level outside it (before the backing store), so an L2 as large as the
L3 behind it adds no room for weights. The barriers (:func:`barrier_ops`,
:func:`ancestor_barriers`) say when a matrix's room may be given back."""

from __future__ import annotations

import numpy as np

from .base import OpArrays


def take(room: list[float], size: float) -> int:
    """The innermost level with ``size`` bytes of room left in it and every level outside it
    (inclusive levels), that room taken in each; -1 if none."""
    j = innermost(room, size)
    if j >= 0:
        for k in range(j, len(room)):
            room[k] -= size
    return j


def inclusive_room(room: list[float]) -> list[float]:
    """Per level (innermost first), the room a matrix placed there finds: under inclusion it
    also takes room in every level outside it, so the least of its own and theirs."""
    out, least = list(room), float("inf")
    for j in range(len(room) - 1, -1, -1):
        least = min(least, room[j])
        out[j] = least
    return out


def innermost(room: list[float], size: float) -> int:
    """The innermost level whose inclusive room (:func:`inclusive_room`) holds ``size``; -1."""
    return next((j for j, r in enumerate(inclusive_room(room)) if size <= r), -1)


class Rooms:
    """Rule 1's placement, in program order over the uses of reused matrices that are not
    resident: each matrix's first use (:meth:`first_use`, called in order of first use), then,
    for a matrix that did not fit and has uses left, each later use but its last. At such a
    use ``v`` a level's room is its capacity less every matrix placed on it so far, plus the
    matrices *dead at* ``v``: all their uses are listed before ``v``'s ancestor barrier
    (:func:`ancestor_barriers`), so they finished before ``v`` starts. Room is not pooled: a
    matrix dead at one op need not be dead at a later-listed op that does not descend from the
    same barrier. A matrix placed at use ``v`` is read from its level from its next use on.
    The ancestor barriers are found (one pass over the ops) only where the latest barrier
    listed before a use, their bound, would let a matrix die."""

    def __init__(self, ops: OpArrays, idx: np.ndarray, pair_op: np.ndarray, pair_w: np.ndarray,
                 uw: np.ndarray, counts: np.ndarray, first: np.ndarray, last: np.ndarray,
                 cap: list[float]) -> None:
        self.ops, self.pair_w, self.uw, self.first = ops, pair_w, uw, first
        self.pair_gop = idx[pair_op]  # each pair's op, in program order over all ops
        self.first_op, self.last_op = self.pair_gop[first], self.pair_gop[last]
        self.size = ops.tensor_bytes[uw].astype(float)
        self.later = (counts >= 3) & (self.size <= max(cap, default=0.0))  # may be placed later
        self.cap, self.occ = list(cap), [0.0] * len(cap)  # occ: every matrix placed so far
        self.level: dict[int, int] = {}  # matrix -> its level
        self.install: dict[int, int] = {}  # matrix -> the pair (use) that reads it cold last
        self.p_last: list[int] = []  # per placed matrix: its last use, level, bytes
        self.p_level: list[int] = []
        self.p_size: list[float] = []
        self.returned, self.all_at_first = 0.0, True
        self.pending: list[list] = []  # [matrix, uses (pairs), their ops, listed(ops), next]
        self._anc: np.ndarray | None = None
        self._bars: np.ndarray | None = None
        self._groups: tuple[np.ndarray, np.ndarray] | None = None
        self._thr: dict[float, int | None] = {}

    @property
    def anc(self) -> np.ndarray:
        if self._anc is None:
            self._anc = ancestor_barriers(self.ops)
        return self._anc

    def listed(self, op: np.ndarray | int) -> np.ndarray:
        """The latest barrier listed at or before each op (-1 if none): a bound on its ancestor
        barrier that needs no pass over the ops (so no pass is made where it rules deaths out)."""
        if self._bars is None:
            self._bars = barrier_ops(self.ops)
        at = np.searchsorted(self._bars, op, side="right") - 1
        return np.where(at >= 0, self._bars[np.maximum(at, 0)], -1)

    def first_use(self, u: int, size: float) -> None:
        """Matrix ``u``'s first use (``u = -1``: after the last one): the later uses of pending
        matrices listed before it first, then ``u`` itself."""
        f = int(self.first_op[u]) if u >= 0 else self.ops.kind.shape[0]
        self._advance(f)
        if u < 0:
            return
        if self._place(u, size, f, int(self.first[u])):
            return
        self.all_at_first = False
        if self.later[u]:
            uses = self._uses(u)
            gop = self.pair_gop[uses]
            self.pending.append([u, uses, gop, self.listed(gop), 1])

    def _rooms_at(self, op: int) -> list[float]:
        room = [c - o for c, o in zip(self.cap, self.occ)]
        if self.p_last and min(self.p_last) < self.listed(op):
            last = np.asarray(self.p_last)
            dead = last < self.anc[op]
            if dead.any():  # a dead matrix frees its level and every level outside it
                freed = np.cumsum(np.bincount(np.asarray(self.p_level)[dead],
                                              weights=np.asarray(self.p_size)[dead],
                                              minlength=len(room)))
                room = [r + float(b) for r, b in zip(room, freed)]
        return room

    def _place(self, u: int, size: float, op: int, pair: int) -> bool:
        if not self.cap:  # no level before the backing store
            return False
        free = inclusive_room([c - o for c, o in zip(self.cap, self.occ)])
        room = free if size <= free[0] else self._rooms_at(op)  # else: barriers may free room
        j = innermost(room, size)
        if j < 0:
            return False
        # the part of its room that only matrices placed before (dead now) had held
        self.returned += size - min(size, max(0.0, free[j]))
        for k in range(j, len(self.occ)):  # inclusive: it takes room in every outer level
            self.occ[k] += size
        self.level[u], self.install[u] = j, pair
        self.p_last.append(int(self.last_op[u]))
        self.p_level.append(j)
        self.p_size.append(size)
        self._thr.clear()
        return True

    def _advance(self, f: int) -> None:
        """Place pending matrices at their uses listed before op ``f``, earliest first."""
        while self.pending:
            best = None
            for e in self.pending:
                c = self._candidate(e, f)
                if c is not None and (best is None or c < best[0]):
                    best = (c, e)
            self.pending = [e for e in self.pending if e[4] < len(e[1]) - 1]
            if best is None:
                return
            op, e = best
            u = e[0]
            if self._place(u, float(self.size[u]), op, int(e[1][e[4]])):
                self.pending = [x for x in self.pending if x is not e]
            else:  # not reached: the threshold says it fits there
                e[4] += 1

    def _candidate(self, e: list, f: int) -> int | None:
        """The op of pending matrix ``e``'s first use before ``f`` (not its last use) where it
        fits now; its cursor moves past the uses where it cannot (room only shrinks until ``f``,
        but where matrices die)."""
        u, uses, gop, listed, k = e
        stop = len(uses) - 1
        if k >= stop or gop[k] >= f:
            return None
        end = min(stop, int(np.searchsorted(gop, f)))
        t = self._threshold(float(self.size[u]))
        if t is None:  # no level frees enough room while these placements stand
            e[4] = end
            return None
        hit = k + np.flatnonzero(listed[k:end] >= t)
        if len(hit):  # the bound allows it: the ancestor barrier decides
            hit = hit[self.anc[gop[hit]] >= t]
        if not len(hit):
            e[4] = end
            return None
        e[4] = int(hit[0])
        return int(gop[e[4]])

    def _threshold(self, size: float) -> int | None:
        """The least ancestor barrier at which ``size`` bytes fit some level now (None: none)."""
        if size in self._thr:
            return self._thr[size]
        best = threshold(self.cap, self.occ, np.asarray(self.p_last), np.asarray(self.p_level),
                         np.asarray(self.p_size), size)
        self._thr[size] = best
        return best

    def _uses(self, u: int) -> np.ndarray:
        """The pairs of matrix ``u`` in program order (one grouping of the pairs of every matrix
        that may be placed at a later use, made once)."""
        if self._groups is None:
            ok = np.zeros(int(self.pair_w.max()) + 1, dtype=bool)
            ok[self.uw[self.later]] = True
            sel = np.flatnonzero(ok[self.pair_w])
            order = sel[np.argsort(self.pair_w[sel], kind="stable")]
            self._groups = (order, self.pair_w[order])
        order, keys = self._groups
        lo, hi = np.searchsorted(keys, [self.uw[u], self.uw[u] + 1])
        return order[lo:hi]


def level_thresholds(cap: list[float], occ: list[float], last: np.ndarray, level: np.ndarray,
                     sizes: np.ndarray, size: float) -> list[int | None]:
    """Per level, the least ancestor barrier at which ``size`` bytes fit it (None: never),
    given the matrices placed (their last use, level and bytes; ``occ``: per level, the bytes
    they take there and in levels outside it): room in a level and every level outside it
    (inclusive), from the matrices whose last use is before that barrier."""
    per: list[int | None] = []
    for k, (c, o) in enumerate(zip(cap, occ)):
        need = size - (c - o)
        if need <= 0:
            per.append(-1)
            continue
        if size > c:
            per.append(None)
            continue
        on = np.flatnonzero(level <= k)  # held in level k: placed there or inside it
        order = on[np.argsort(last[on], kind="stable")]
        i = int(np.searchsorted(np.cumsum(sizes[order]), need))
        per.append(int(last[order[i]]) + 1 if i < len(order) else None)
    out: list[int | None] = list(per)
    for j in range(len(per) - 2, -1, -1):  # it must fit every level outside it too
        a, b = out[j], out[j + 1]
        out[j] = None if a is None or b is None else max(a, b)
    return out


def threshold(cap: list[float], occ: list[float], last: np.ndarray, level: np.ndarray,
              sizes: np.ndarray, size: float) -> int | None:
    """The least ancestor barrier at which ``size`` bytes fit some level (None: none)."""
    ts = [t for t in level_thresholds(cap, occ, last, level, sizes, size) if t is not None]
    return min(ts, default=None)


def ancestor_barriers(ops: OpArrays) -> np.ndarray:
    """Per op (program order over all ops of ``ops``): the latest barrier (:func:`barrier_ops`)
    that is the op itself or one of its ancestors along the dependencies; -1 if none. Every op
    listed before it has finished when the op starts, whatever servers run them: the op
    descends from that barrier, which every earlier op reaches. (The latest barrier merely
    *listed* before an op is not enough: an op that does not descend from it may run before it,
    once its own inputs exist, while ops listed earlier wait on another server.) One forward
    pass, O(ops + edges): barriers and ops whose producers are all barriers at once, a loop
    over the rest."""
    n = ops.kind.shape[0]
    bars = barrier_ops(ops)
    anc = np.full(n, -1, dtype=np.int64)
    anc[bars] = bars
    if ops.producer is None or ops.act_ptr is None or n == 0:
        return anc
    reader = ops.act_readers()
    prod = ops.producer[ops.act_ids]
    fwd = (prod >= 0) & (prod < reader)
    reader, prod = reader[fwd], prod[fwd]
    is_bar = anc >= 0
    np.maximum.at(anc, reader, np.where(is_bar[prod], prod, -1))
    anc[bars] = bars
    chained = ~is_bar[prod] & ~is_bar[reader]  # a non-barrier reading a non-barrier's output
    if chained.any():
        a = anc.tolist()
        r, p = reader[chained].tolist(), prod[chained].tolist()
        for v, q in zip(r, p):  # readers ascending: every producer is final when read
            if a[q] > a[v]:
                a[v] = a[q]
        anc = np.asarray(a, dtype=np.int64)
    return anc


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


def by_priority(r: Rooms, order: np.ndarray) -> tuple[dict[int, int], dict[int, int], float]:
    """Rule 1's placement with the matrices taken in ``order`` (most bytes saved first, say)
    rather than in program order: each at its first use where it fits, else (a matrix read
    three or more times) at its first later use but the last where matrices dead there make
    room. Room at that use counts every matrix placed so far except those *apart* from it: dead
    there, or placed where this one is dead (all its uses before their ancestor barrier). So
    the matrices resident at once in any schedule fit: the last of them placed counted the
    others. Returns each placed matrix's level and the pair that reads it cold last, and the
    room given back (:attr:`Rooms.returned`)."""
    n_lv = len(r.cap)
    level: dict[int, int] = {}
    install: dict[int, int] = {}
    returned = 0.0
    p_op: list[int] = []  # per placed matrix: the op it is installed at, its last use, level, bytes
    p_last: list[int] = []
    p_level: list[int] = []
    p_size: list[float] = []
    top = max(r.cap, default=-1.0)  # no level before the backing store: none placed
    for u in order.tolist():
        size, last_u = float(r.size[u]), int(r.last_op[u])
        if size > top:
            continue
        io = np.asarray(p_op, dtype=np.int64)
        on = np.ones(len(io), dtype=bool)
        if len(io):  # not apart: u is not dead where it was installed (listed: anc's bound)
            maybe = last_u < r.listed(io)
            if maybe.any():
                on = ~(maybe & (last_u < r.anc[io]))
        last, lv = np.asarray(p_last, dtype=np.int64)[on], np.asarray(p_level, dtype=np.int64)[on]
        sz = np.asarray(p_size, dtype=float)[on]
        occ = np.cumsum(np.bincount(lv, weights=sz, minlength=n_lv)).tolist()
        free = inclusive_room([c - o for c, o in zip(r.cap, occ)])
        j = next((i for i, x in enumerate(free) if size <= x), -1)
        pair, op = int(r.first[u]), int(r.first_op[u])
        if j < 0:
            ts = level_thresholds(r.cap, occ, last, lv, sz, size) if r.later[u] else []
            t = min((x for x in ts if x is not None), default=None)
            if t is None:
                continue
            uses = r._uses(u)
            gop = r.pair_gop[uses]
            k = 1 + np.flatnonzero(r.listed(gop[1:-1]) >= t)
            if len(k):
                k = k[r.anc[gop[k]] >= t]
            if not len(k):
                continue
            pair, op = int(uses[k[0]]), int(gop[k[0]])
            a = int(r.anc[op])
            j = next(i for i, x in enumerate(ts) if x is not None and x <= a)
        returned += size - min(size, max(0.0, free[j]))
        level[u], install[u] = j, pair
        p_op.append(op)
        p_last.append(last_u)
        p_level.append(j)
        p_size.append(size)
    return level, install, returned


def reuse_aware(r: Rooms, counts: np.ndarray) -> tuple[dict[int, int], dict[int, int], float]:
    """Rule 1's choice among three placements: program order of first use (``r``, placed
    already), most bytes saved first ((reads - 1) x bytes) and most reads first (ties in program
    order). Each is scored by the bytes of reads each level serves from resident matrices, it
    and the levels inside it together, compared from the backing store inward (lexicographic):
    the most reads kept off the backing store first, then off the outermost cache level, and so
    on; program order on a tie. Only where some reused matrix found no room at its first use or
    sits outside the innermost level (else program order put every one in the innermost level
    from its first use: nothing to improve). A large matrix read twice thus keeps neither the
    backing store nor an inner level from a smaller one read twenty times. The choice is rate-free
    (bytes only) and greedy (three orders, not an optimum)."""
    best = (r.level, r.install, r.returned)
    if r.all_at_first and not any(r.level.values()):
        return best
    reused = np.flatnonzero(counts >= 2)
    saved_by = (counts[reused] - 1) * r.size[reused]
    orders = [reused[np.lexsort((r.first[reused], -saved_by))],
              reused[np.lexsort((r.first[reused], -counts[reused]))]]

    def served(level: dict[int, int], install: dict[int, int]) -> tuple[float, ...]:
        per = np.zeros(len(r.cap))  # bytes of reads each level serves (integers: exact sums)
        for u in sorted(level):
            k = 0 if install[u] == r.first[u] else int(np.searchsorted(r._uses(u), install[u]))
            per[level[u]] += float(r.size[u]) * (int(counts[u]) - 1 - k)
        return tuple(np.cumsum(per)[::-1].tolist())  # served at or inside each level, outer first

    top = served(r.level, r.install)
    for order in orders:
        cand = by_priority(r, order)
        s = served(cand[0], cand[1])
        if s > top:
            best, top = cand, s
    return best
