"""Re-programming when the weight matrices do not all fit in the arrays.

Rules, in order:

1. If every matrix fits at once, all are programmed before the run
   (deployment, not charged) and nothing is re-programmed.
2. Otherwise some matrices may be **pinned**: programmed before the run (not
   charged) and kept. The other matrices share the arrays left: an LRU cache
   of whole matrices over program order (empty at the start of the run), where
   an op whose matrix is not resident evicts the least recently used ones
   until it fits, then re-programs its arrays; one larger than the arrays left
   runs through them in rounds (rule 3). Which to pin, the classic choices
   first, in this order: nothing; greedily, each leaving room for the largest
   not pinned; for each room R (a matrix size, smallest first: the unpinned
   share R or more arrays), every matrix larger than R and the others
   most-used first (then in order of first use) while R is left. None of
   these runs a matrix in rounds that would fit all the arrays alone. The one
   that writes fewest arrays in the run is kept, the first of those writing as
   many (a matrix pinned for few uses can leave too little room for one used
   every step; one array short of all the weights, the room of the smallest
   matrices leaves two of them sharing). The floors are tried, beside what
   that choice pins, exactly when every matrix fits the arrays alone and
   that choice re-programs a matrix used more than once in the run that fits
   the arrays it leaves on its own: for each floor F (a matrix size, largest
   first, then 1 array), the classic pins held and the other matrices
   most-used first while F arrays are left, the ones not pinned that are
   larger than what is left running through it in rounds (an LSTM whose two
   matrices each fit but not together, a small head pinned or not: its
   recurrent matrix pinned, the input projection in rounds beside it, half
   the arrays written); the floors again with the matrices whose pin saves
   most writes (uses x arrays) first; kept by the same count against the
   classic choice. The gate is a heuristic: a floor trades link bytes for
   rounds, each a write pass and a read pass. Placement sees a pass's time
   (write latency, read latency) but not the link's or the backing store's
   bytes per second (it is rate-free, so runs that differ only in rates
   share one placement), so no rate-free measure ranks a floor against a
   room honestly. Where the matrices re-programmed are used once each, a
   pin saves one load at most and fewest arrays written chose badly (GPT-2
   small's decode step on sram-cim: all but 9 matrices pinned, those 9
   through 28 arrays in 243 rounds, 6,657 instead of 6,984 arrays written
   but 3.931 instead of 3.879 ms, +1.3 %; +6.1 to +16.6 % on the other
   three CIM configs), so the gate stays shut there; where a matrix is
   larger than all the arrays nothing is pinned (rule 3; floors beside
   Llama-2-7B's lm_head on sram-cim ran 127 matrices through 260 arrays:
   32.21 instead of 31.7 s). Several decode steps use each matrix more than
   once and open it, where many rounds may cost more than the loads saved.
   The search is bounded: at most 3 x (distinct matrix
   sizes) + 4 choices, each an O(matrices) pick and one LRU pass over the
   ops, a set already tried not passed again. Before 2026-12-05 (night) nothing was pinned: one array
   short of all the weights re-programmed every matrix, a 2.9x step in a
   GPT-2 decode step's latency. Before the floors (2026-12-06) nothing was
   pinned beside a matrix run in rounds: the LSTM above re-programmed both
   matrices every run; from their merge to the review that followed, the
   floors were weighed against the rooms too, and from then until
   review14-5 tried only where the classic choice pinned nothing (a 32-array
   head beside that LSTM turned them off: 4.292 instead of 2.587 ms on
   rram-cim). A pinned matrix is its own
   engine server (its matmuls run while the others re-program); the others
   are one server.
3. A matrix larger than the arrays it may use (all arrays, or those left
   beside the pinned matrices) runs in rounds, ``ceil(its arrays / those
   arrays)`` (:func:`rounds`), re-programming every round, and leaves nothing
   resident.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ...units import plain


def pinned(group_of_op: np.ndarray, arrays_of_group: np.ndarray, arrays: int,
           room: int | None = None) -> set[int]:
    """The matrices (groups) rule 2 pins leaving ``room`` arrays free (every matrix larger must
    be pinned; None: room for the largest matrix not pinned, found as they are taken)."""
    return _pin(_Matrices(group_of_op, arrays_of_group), arrays, room)


class _Matrices:
    """What pinning reads of a run's matrices, once for every room tried: each one's arrays,
    the order to pin in (most-used first, then first use) and the order by size."""

    def __init__(self, group_of_op: np.ndarray, arrays_of_group: np.ndarray):
        ops = group_of_op.tolist()
        order = list(dict.fromkeys(ops))
        self.need = {g: int(arrays_of_group[g]) for g in order}
        uses: dict[int, int] = {}
        for g in ops:
            uses[g] = uses.get(g, 0) + 1
        first = {g: i for i, g in enumerate(order)}
        self.uses = uses
        self.by_use = sorted(order, key=lambda g: (-uses[g], first[g]))
        #: most arrays a pin saves writing first (uses x arrays), then first use
        self.by_saved = sorted(order, key=lambda g: (-uses[g] * self.need[g], first[g]))
        self.by_size = sorted(order, key=lambda g: -self.need[g])


def _pin(m: _Matrices, arrays: int, room: int | None) -> set[int]:
    need = m.need
    if not need or max(need.values()) > arrays:  # rule 3 clears every array
        return set()
    out: set[int] = set()
    used = 0
    if room is not None:  # what cannot share `room` arrays is pinned, if it all fits beside them
        out = {g for g in need if need[g] > room}
        used = sum(need[g] for g in out)
        if used > arrays - room:
            return set()
    for g in m.by_use:
        if g in out:
            continue
        left = room if room is not None else next(
            (need[h] for h in m.by_size if h not in out and h != g), 0)
        if used + need[g] + left <= arrays:
            out.add(g)
            used += need[g]
    return out


def _pin_floor(m: _Matrices, arrays: int, floor: int, order: list[int],
               keep: frozenset[int] = frozenset()) -> set[int]:
    """Rule 2's floors: ``keep`` (the classic choice's pins), then the matrices in ``order``
    while ``floor`` arrays are left; the others share what is left, a larger one in rounds."""
    out = set(keep)
    used = sum(m.need[g] for g in out)
    for g in order:
        if g in out:
            continue
        if used + m.need[g] + floor <= arrays:
            out.add(g)
            used += m.need[g]
    return out


def _lru(ops: list, need, free: int, keep: set) -> np.ndarray:
    """Rule 2's LRU over ``free`` arrays for the matrices not in ``keep`` (rule 3 inside)."""
    reprogram = np.zeros(len(ops), dtype=bool)
    resident: OrderedDict[int, int] = OrderedDict()
    used = 0
    for i, g in enumerate(ops):
        if g in keep:
            continue
        n = int(need[g])
        if n > free:  # rule 3: a matrix larger than the arrays it may use, in rounds
            reprogram[i] = True
            resident.clear()
            used = 0
            continue
        if g in resident:
            resident.move_to_end(g)
            continue
        while used + n > free:
            _, freed = resident.popitem(last=False)
            used -= freed
        resident[g] = n
        used += n
        reprogram[i] = True
    return reprogram


class Replay:
    """Whether a run order of a re-programmed server's ops re-programs as charged: the LRU
    (rule 2, over ``free`` arrays, ``keep`` pinned) replayed over the order the engine ran its
    matmuls in gives the same op flags as ``mask``, the LRU over program order (called with the
    server's ops, indices into the component's, in the order they started; the others ignored).
    Where it does, the engine ran exactly the swaps charged and no order need be imposed."""

    def __init__(self, ops: np.ndarray, group_of_op: np.ndarray, arrays_of_group: np.ndarray,
                 free: int, keep: set, mask: np.ndarray):
        self.ops, self.group, self.sizes = np.asarray(ops), np.asarray(group_of_op), arrays_of_group
        self.free, self.keep, self.mask = free, set(keep), np.asarray(mask, dtype=bool)

    def __call__(self, run_order: np.ndarray) -> bool:
        at = np.searchsorted(self.ops, run_order)  # self.ops ascending (program order)
        at = at[(at < len(self.ops)) & (self.ops[np.minimum(at, len(self.ops) - 1)] == run_order)]
        if np.all(at[1:] > at[:-1]):
            return True  # program order: the LRU's own
        return bool((_lru(self.group[at].tolist(), self.sizes, self.free, self.keep)
                     == self.mask[at]).all())


def lru_reprograms(group_of_op: np.ndarray, arrays_of_group: np.ndarray,
                   arrays: int) -> tuple[np.ndarray, int, set[int]]:
    """``(bool per op (program order): the op re-programs its matrix's arrays, the arrays
    re-programming writes: all, or those left beside the pinned matrices, the pinned
    matrices)``: of no pinning and the pinnings for each room a matrix size leaves (and the
    greedy one), the one that writes fewest arrays in the run (the first of those writing as
    many); where every matrix fits all the arrays and that choice re-programs a matrix used more
    than once that fits the arrays it leaves alone, the pinnings for each floor (a matrix size,
    or 1 array) beside its pins too, the same way, each running at most one matrix in rounds
    (rule 2: the floors' rounds cost passes that placement, rate-free, cannot weigh against the
    bytes they save; the gate is a heuristic: a floor that sent several of GPT-2's matrices
    through a small room in hundreds of rounds wrote fewer arrays and ran up to 21 % slower)."""
    ops = group_of_op.tolist()
    need = arrays_of_group[group_of_op]
    best = (_lru(ops, arrays_of_group, arrays, set()), arrays, set())
    best_w = float(need[best[0]].sum())
    m = _Matrices(group_of_op, arrays_of_group)
    sizes = sorted(set(m.need.values()))
    tried: set[frozenset] = {frozenset()}

    def fewest(picks, most_in_rounds=None):
        nonlocal best, best_w
        for keep in picks:
            if frozenset(keep) in tried:
                continue
            tried.add(frozenset(keep))
            free = arrays - sum(m.need[g] for g in keep)
            if most_in_rounds is not None and sum(
                    1 for g, n in m.need.items() if g not in keep and n > free) > most_in_rounds:
                continue  # a floor running several matrices in rounds: passes outweigh bytes
            mask = _lru(ops, arrays_of_group, free, keep)
            w = float(need[mask].sum())
            if w < best_w:
                best, best_w = (mask, free, keep), w

    fewest(_pin(m, arrays, room) for room in [None, *sizes])
    if _floors_may_help(m, group_of_op, arrays, *best):  # rule 2's floors, beside the pins
        keep = frozenset(best[2])
        fewest((_pin_floor(m, arrays, floor, order, keep) for order in (m.by_use, m.by_saved)
                for floor in [*sizes[::-1], 1]), most_in_rounds=1)
    return best


def _floors_may_help(m: _Matrices, group_of_op: np.ndarray, arrays: int, mask: np.ndarray,
                     free: int, keep: set[int]) -> bool:
    """Rule 2's gate: every matrix fits all the arrays (else rule 3 clears them) and the classic
    choice re-programs a matrix used more than once in the run that fits the ``free`` arrays
    left beside its pins on its own (two such that do not fit together evict each other)."""
    if max(m.need.values(), default=0) > arrays:
        return False
    return any(m.uses[g] > 1 and m.need[g] <= free
               for g in set(group_of_op[mask].tolist()) - keep)


def rounds(group_of_op: np.ndarray, arrays_of_group: np.ndarray, free: int,
           keep: set[int]) -> np.ndarray:
    """Rule 3's rounds of each op: 1 for a pinned matrix, else ``ceil(its arrays / free)``
    (at least 1), ``free`` the arrays re-programming writes (:func:`lru_reprograms`)."""
    need = np.asarray(arrays_of_group, dtype=np.float64)[group_of_op]
    kept = np.isin(group_of_op, sorted(keep))
    return np.where(kept, 1.0, np.maximum(1.0, np.ceil(need / max(free, 1))))


def wear(written: np.ndarray, cells: np.ndarray, free: int, array_cells: int) -> tuple[float, float]:
    """``(worst, mean)`` writes of a cell per run under re-programming (:func:`wear_text`'s
    arguments): a cell written by every re-programming, ``ceil(written / free)`` times by each,
    and the weight cells written spread evenly over the ``free`` arrays' cells."""
    written = np.asarray(written, dtype=np.float64)
    total = float(np.asarray(cells, dtype=np.float64).sum())
    return float(np.ceil(written / free).sum()), total / (free * array_cells)


def lifetime(written: np.ndarray, cells: np.ndarray, free: int, array_cells: int,
             endurance: float, pulses: int) -> dict[str, float]:
    """The facts ``runs_to_wearout`` (worst case) and ``runs_to_wearout_levelled`` (perfect
    wear-levelling): the runs an ``endurance`` of write pulses lasts, ``pulses`` per write
    (:func:`wear`); NaN (no bound) where the run writes no cell."""
    worst, mean = wear(written, cells, free, array_cells)
    return {"runs_to_wearout": endurance / (worst * pulses) if worst else np.nan,
            "runs_to_wearout_levelled": endurance / (mean * pulses) if mean else np.nan}


#: the lifetime facts of a run that writes no cell during it (:func:`lifetime`): no bound
NO_WEAR = {"runs_to_wearout": np.nan, "runs_to_wearout_levelled": np.nan}


def wear_text(written: np.ndarray, cells: np.ndarray, free: int, array_cells: int,
              endurance: float, arrays: int, in_rounds: int = 0, pulses: int = 1) -> str:
    """What rule 2 did and what it costs the cells: the re-programmings (``written``: the
    arrays each writes, a big matrix's over its rounds; ``cells``: the weight cells each writes,
    ``k x physical columns``, the cells the write energy counts) over the ``free`` arrays of
    ``array_cells`` cells each that they share (all ``arrays``, or those beside the pinned
    matrices), ``in_rounds`` matrices larger than them (rule 3), and the runs an ``endurance``
    lasts. Which arrays a matrix takes is not modelled, so the lifetime is the worst case: a
    cell written by every re-programming, ``ceil(written / free)`` times by each (a big
    matrix's rounds); with perfect wear-levelling (the writes spread evenly) each cell takes
    ``sum(cells) / (free x array_cells)``, given second. Before 2026-12-06 only that mean was
    given, as the lifetime; until find-L 1 it counted whole arrays, ``sum(written) / free``, so
    a thin matrix (a rank-8 LoRA B, 8 of an array's 128 rows) counted 16x its cells. Each
    programming applies ``pulses`` (``write_verify_pulses``) write pulses to its cells, and an
    endurance counts pulses (a device's SET/RESET cycles), so the runs are ``endurance /
    (writes x pulses)``; before 2026-12-06 the pulses were charged in the write energy but not
    worn (find-N 6: 10 pulses lasted 10x too long)."""
    worst, mean = wear(written, cells, free, array_cells)
    total = float(np.asarray(cells, dtype=np.float64).sum())
    how = (f"matrices pinned on {arrays - free:,} arrays before the run, the rest "
           f"over the {free:,} left" if free < arrays else "over all arrays, nothing pinned")
    if in_rounds:
        how += (f"; {in_rounds:,} matri{'x' if in_rounds == 1 else 'ces'} larger than "
                f"{'the arrays left' if free < arrays else 'all arrays'} "
                f"run{'s' if in_rounds == 1 else ''} through them in rounds, a programming each")
    n = len(written)
    worn = (f" x {pulses:,} write pulses each (write_verify_pulses) = "
            f"{plain(worst * pulses, 3)} pulses per run" if pulses != 1 else "")
    when = f"{n:,} time{'s' if n != 1 else ''} during the run"
    if in_rounds:  # every re-programming's rounds: ceil(written / free), 1 where it fits
        when += f", in {int(worst):,} rounds"
    return (f"arrays are re-programmed {when} (LRU, {how}); which "
            f"arrays a matrix takes is not modelled, so at worst one cell is written by each: "
            f"{plain(worst, 3)} writes per run{worn}, and an endurance of "
            f"{plain(endurance, 3)} write pulses lasts {plain(endurance / (worst * pulses), 3)} runs "
            f"(with perfect wear-levelling, the "
            f"{int(total):,} weight cells written a run spread over the "
            f"{free * array_cells:,} cells of those arrays: {plain(mean, 3)} "
            f"writes per cell per run on average, and {plain(endurance / (mean * pulses), 3)} runs)")


def chips_text(needed: int, arrays: int, chips: int = 1, name: str | None = None,
               replication: bool = False) -> str:
    """How many chips of ``arrays`` arrays would hold ``needed`` arrays of weights at once
    (``ceil(needed / arrays)``; find-G 2), and what the model does: a chip block (``name``
    None) is one chip, re-programmed; a flat pool ``name`` of ``chips`` chips re-programs all
    their arrays as one pool, and ``<name>.chips`` splits the weights (:mod:`.chips`; with
    ``replication``, ``weight_replication`` on, which several chips refuse, the advice says to
    turn it off)."""
    want = -(-int(needed) // int(arrays))
    head = f" ({want:,} chips of this size would hold them: ceil({int(needed):,} / {int(arrays):,}); "
    if name is None:
        return head + "cimsim models one chip, re-programmed, not the weights split across chips)"
    if chips == 1:
        off = f" and {name}.weight_replication: false" if replication else ""
        return head + (f"one chip is modelled, re-programmed: {name}.chips: {want:,} with a "
                       f"{name}.chip_link{off} splits the weights across chips)")
    return head + f"the {chips:,} chips modelled are re-programmed as one pool)"
