"""Re-programming when the weight matrices do not all fit in the arrays.

Rules, in order:

1. If every matrix fits at once, all are programmed before the run
   (deployment, not charged) and nothing is re-programmed.
2. Otherwise matrices are **pinned**: in order of first use, each whose arrays
   leave room for the largest matrix not pinned is programmed before the run
   (not charged) and stays for good, run after run. The other matrices share
   the arrays left: an LRU cache of whole matrices over program order, where an
   op whose matrix is not resident evicts the least recently used ones until it
   fits, then re-programs its arrays (every use of a matrix that is not pinned
   re-programs it once the ones sharing with it cycle: what a run re-programs
   is what every repeat of it re-programs). Before 2026-12-05 (night) nothing
   was pinned: one array short of all the weights re-programmed every matrix,
   a 2.9x step in a GPT-2 decode step's latency.
3. A matrix larger than all arrays runs in rounds, re-programming every
   round, and leaves nothing resident; with one, nothing is pinned.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ...units import plain


def pinned(group_of_op: np.ndarray, arrays_of_group: np.ndarray, arrays: int) -> set[int]:
    """The matrices (groups) rule 2 programs before the run and keeps."""
    order = list(dict.fromkeys(group_of_op.tolist()))
    need = {g: int(arrays_of_group[g]) for g in order}
    if not order or max(need.values()) > arrays:  # rule 3 clears every array
        return set()
    by_size = sorted(order, key=lambda g: -need[g])  # the largest not pinned, looked up in order
    out: set[int] = set()
    used = 0
    for g in order:
        room = next((need[h] for h in by_size if h not in out and h != g), 0)
        if used + need[g] + room <= arrays:
            out.add(g)
            used += need[g]
    return out


def lru_reprograms(group_of_op: np.ndarray, arrays_of_group: np.ndarray, arrays: int) -> np.ndarray:
    """Bool per op (program order): the op re-programs its matrix's arrays."""
    reprogram = np.zeros(len(group_of_op), dtype=bool)
    keep = pinned(group_of_op, arrays_of_group, arrays)
    free = arrays - sum(int(arrays_of_group[g]) for g in keep)
    resident: OrderedDict[int, int] = OrderedDict()
    used = 0
    for i, g in enumerate(group_of_op.tolist()):
        if g in keep:
            continue
        need = int(arrays_of_group[g])
        if need > free:  # only where nothing is pinned: a matrix larger than all arrays
            reprogram[i] = True
            resident.clear()
            used = 0
            continue
        if g in resident:
            resident.move_to_end(g)
            continue
        while used + need > free:
            _, freed = resident.popitem(last=False)
            used -= freed
        resident[g] = need
        used += need
        reprogram[i] = True
    return reprogram


def wear_text(written_arrays: float, arrays: int, endurance: float) -> str:
    """``"X writes per cell per run on average: an endurance of E cycles lasts N runs"``: the
    arrays' cells written per run (over a big matrix's rounds each of its arrays once)."""
    per_cell = written_arrays / arrays
    return (f"{plain(per_cell, 3)} writes per cell per run on average: an endurance of "
            f"{plain(endurance, 3)} cycles lasts {plain(endurance / per_cell, 3)} runs")
