"""Re-programming when the weight matrices do not all fit in the arrays.

Rules, in order:

1. If every matrix fits at once, all are programmed before the run
   (deployment, not charged) and nothing is re-programmed.
2. Otherwise the matrices that fit are programmed before the run, in order of
   first use, each one that still fits (deployment, not charged, as in rule 1:
   one array short of everything re-programmed every matrix, a 2.9x step in a
   GPT-2 decode's latency); then the arrays are an LRU cache of whole matrices
   over program order: an op whose matrix is not resident evicts the least
   recently used matrices until it fits, then re-programs its arrays.
3. A matrix larger than all arrays runs in rounds, re-programming every
   round, and leaves nothing resident.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np


def lru_reprograms(group_of_op: np.ndarray, arrays_of_group: np.ndarray, arrays: int) -> np.ndarray:
    """Bool per op (program order): the op re-programs its matrix's arrays."""
    reprogram = np.zeros(len(group_of_op), dtype=bool)
    resident: OrderedDict[int, int] = OrderedDict()
    used = 0
    for g in dict.fromkeys(group_of_op.tolist()):  # rule 2: programmed before the run
        need = int(arrays_of_group[g])
        if used + need <= arrays:
            resident[g] = need
            used += need
    for i, g in enumerate(group_of_op.tolist()):
        need = int(arrays_of_group[g])
        if need > arrays:
            reprogram[i] = True
            resident.clear()
            used = 0
            continue
        if g in resident:
            resident.move_to_end(g)
            continue
        while used + need > arrays:
            _, freed = resident.popitem(last=False)
            used -= freed
        resident[g] = need
        used += need
        reprogram[i] = True
    return reprogram
