"""Re-programming when the weight matrices do not all fit in the arrays.

Rules, in order:

1. If every matrix fits at once, all are programmed before the run
   (deployment, not charged) and nothing is re-programmed.
2. Otherwise some matrices may be **pinned**: programmed before the run (not
   charged) and kept. Candidates go most-used first (then in order of first
   use), each pinned if its arrays leave room for the largest matrix not
   pinned. The other matrices share the arrays left: an LRU cache of whole
   matrices over program order (empty at the start of the run), where an op
   whose matrix is not resident evicts the least recently used ones until it
   fits, then re-programs its arrays. Pinning is kept only where it writes
   fewer arrays in the run than the same LRU over all arrays with nothing
   pinned (which it can lose to: a matrix pinned for few uses leaves less room
   for one used every step). Before 2026-12-05 (night) nothing was pinned: one
   array short of all the weights re-programmed every matrix, a 2.9x step in a
   GPT-2 decode step's latency.
3. A matrix larger than all arrays runs in rounds, re-programming every
   round, and leaves nothing resident; with one, nothing is pinned.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ...units import plain


def pinned(group_of_op: np.ndarray, arrays_of_group: np.ndarray, arrays: int) -> set[int]:
    """The matrices (groups) rule 2 would pin (before comparing with no pinning)."""
    ops = group_of_op.tolist()
    order = list(dict.fromkeys(ops))
    need = {g: int(arrays_of_group[g]) for g in order}
    if not order or max(need.values()) > arrays:  # rule 3 clears every array
        return set()
    uses: dict[int, int] = {}
    for g in ops:
        uses[g] = uses.get(g, 0) + 1
    first = {g: i for i, g in enumerate(order)}
    by_size = sorted(order, key=lambda g: -need[g])  # the largest not pinned, looked up in order
    out: set[int] = set()
    used = 0
    for g in sorted(order, key=lambda g: (-uses[g], first[g])):
        room = next((need[h] for h in by_size if h not in out and h != g), 0)
        if used + need[g] + room <= arrays:
            out.add(g)
            used += need[g]
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
        if n > free:  # only where nothing is pinned: a matrix larger than all arrays
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


def lru_reprograms(group_of_op: np.ndarray, arrays_of_group: np.ndarray,
                   arrays: int) -> tuple[np.ndarray, int]:
    """``(bool per op (program order): the op re-programs its matrix's arrays, the arrays
    re-programming writes: all, or those left beside the pinned matrices)``."""
    ops = group_of_op.tolist()
    plain_lru = _lru(ops, arrays_of_group, arrays, set())
    keep = pinned(group_of_op, arrays_of_group, arrays)
    if not keep:
        return plain_lru, arrays
    free = arrays - sum(int(arrays_of_group[g]) for g in keep)
    with_pins = _lru(ops, arrays_of_group, free, keep)
    need = arrays_of_group[group_of_op]
    if float(need[with_pins].sum()) < float(need[plain_lru].sum()):
        return with_pins, free
    return plain_lru, arrays


def wear_text(written_arrays: float, free: int, endurance: float, reprograms: int,
              arrays: int) -> str:
    """What rule 2 did and what it costs the cells: ``reprograms`` re-programmings over the
    ``free`` arrays they write (all ``arrays``, or those beside the pinned matrices), the writes
    per cell of those arrays per run (over a big matrix's rounds each of its arrays once) and
    the runs an ``endurance`` lasts."""
    per_cell = written_arrays / free
    how = (f"the most-used matrices pinned on {arrays - free} arrays before the run, the rest "
           f"over the {free} left" if free < arrays else "over all arrays, nothing pinned; a "
           "matrix larger than them all in rounds, a programming each")
    return (f"arrays are re-programmed {reprograms} times during the run (LRU, {how}), "
            f"{plain(per_cell, 3)} writes per cell of those arrays per run on average: an "
            f"endurance of {plain(endurance, 3)} cycles lasts {plain(endurance / per_cell, 3)} runs")
