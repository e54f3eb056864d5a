"""``replacement: lru``: a hardware-managed cache, whose weights stay between two uses only when
what the program touched in between fits (a reuse-distance model, Mattson et al. 1970).

The hierarchy's rule 1 (:mod:`.hierarchy`) *places* each reused matrix in a level with room for
it, as software placing data in a scratchpad (or an ideal cache that knew the future) would: two
4 MiB weights read in turn in a 4 MiB cache keep one there and stream the other. A least-recently
used cache keeps neither: each use of one evicts the other. On a 2-vCPU EPYC VM (8 MiB L3
reported, 4 MiB kept at cache speed) an LSTM step's two 4 MiB weights ran 3.7 GMAC/s each read in
turn, against 7.4 for either alone (2026-12-07), where the placed rule had one at cache speed.

Rules, in order (the non-backing levels, innermost first, all ``lru``):

1. A use of a weight matrix at op ``v`` finds it in the innermost level whose capacity holds
   its *reuse distance*: the distinct bytes touched since its previous use: every other weight
   matrix read in between (each once, whatever its reads), the outputs of every op in between
   (the data a cache takes in; an op's inputs were an earlier op's outputs or a model input),
   and the matrix itself. Levels are inclusive, so a matrix a level holds is in every level
   outside it too.
2. A first use reads the backing store (a cold cache), as does a use no level holds.
3. Ops are in program order (the order :mod:`.hierarchy` uses): ops that run at once on other
   servers are counted as if in turn.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

#: the hierarchy rule a memory level follows for weights (see :func:`replacement_field`)
Replacement = Literal["placed", "lru"]


def replacement_field():
    return Field(default="placed", description="How a processor's hierarchy keeps reused weights "
                 "in this level: placed (each reused matrix stays in a level with room for it, "
                 "as software fills a scratchpad; the default) or lru (a hardware cache: a matrix "
                 "stays between two uses only while the distinct bytes touched in between fit, "
                 "hw/lru.py; `cimsim calibrate` writes it for the LLC). Every level before the "
                 "backing store takes the same rule.")


def lru_sources(pair_op: np.ndarray, pair_w: np.ndarray, pair_bytes: np.ndarray,
                out_bytes: np.ndarray, capacity: list[float], back: int) -> np.ndarray:
    """The level each (op, weight) pair reads its weight from (rules 1-2): an index into the
    levels, ``back`` for the backing store. ``pair_op``: each pair's op position (program order,
    ascending), ``out_bytes``: each op's output bytes, ``capacity``: the non-backing levels'."""
    n_pairs = len(pair_op)
    src = np.full(n_pairs, back, dtype=np.int64)
    if not n_pairs or not capacity:
        return src
    n_ops = len(out_bytes)
    # a timeline of touches: each op's outputs, then its weights; a Fenwick tree over it holds
    # each weight's bytes at its latest touch and every op's outputs at theirs, so the bytes
    # between two touches of a weight are a prefix-sum difference
    op_slot = np.arange(n_ops) + np.searchsorted(pair_op, np.arange(n_ops), side="left")
    pair_slot = pair_op + 1 + np.arange(n_pairs)
    size = n_ops + n_pairs + 1
    tree = np.zeros(size + 1)

    def add(i: int, v: float) -> None:
        i += 1
        while i <= size:
            tree[i] += v
            i += i & -i

    def prefix(i: int) -> float:  # sum of slots < i
        s = 0.0
        while i > 0:
            s += tree[i]
            i -= i & -i
        return s

    caps = np.asarray(capacity, dtype=np.float64)
    last: dict[int, int] = {}
    p = 0
    for o in range(n_ops):
        if out_bytes[o] > 0:
            add(int(op_slot[o]), float(out_bytes[o]))
        while p < n_pairs and pair_op[p] == o:
            w, slot, b = int(pair_w[p]), int(pair_slot[p]), float(pair_bytes[p])
            prev = last.get(w)
            if prev is not None:
                dist = prefix(slot) - prefix(prev + 1) + b
                held = np.flatnonzero(caps >= dist)
                if len(held):
                    src[p] = int(held[0])
                add(prev, -b)
            add(slot, b)
            last[w] = slot
            p += 1
    return src
