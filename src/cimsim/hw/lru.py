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
   its *reuse distance*: the distinct bytes touched since its previous use: every other tensor
   read or written in between (weights, activations, model inputs such as a KV cache; each
   once, however often it is touched) and the matrix itself. Within an op the touches are its
   inputs, its outputs, then its weight, so the op's *own* outputs count in the distance of
   the weight it reads (review H 4): conservative by one output a use, which is large for a
   weight with a large output (an lm_head over a vocabulary, an FC at a large batch); kept
   because a GEMM writes its output tiles while it streams the weight, so most of the output
   is written before the weight's last rows are read. Levels are inclusive, so a matrix
   a level holds is in every level outside it too. (Without the workload's producer columns:
   the model inputs by tensor, every op's outputs as new bytes.)
4. Only weights follow this rule: activations stay where the hierarchy's rule 2 puts them
   (the innermost level that holds one op's inputs plus outputs, never evicted), under either
   rule.
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


def lru_sources(ops, idx: np.ndarray, pair_op: np.ndarray, pair_w: np.ndarray, pair_bytes: np.ndarray,
                capacity: list[float], back: int) -> np.ndarray:
    """The level each (op, weight) pair reads its weight from (rules 1-2): an index into the
    levels, ``back`` for the backing store. ``idx``: the component's ops (program order);
    ``pair_op``: each pair's position in ``idx`` (ascending), ``capacity``: the non-backing
    levels'."""
    n_pairs = len(pair_op)
    src = np.full(n_pairs, back, dtype=np.int64)
    if not n_pairs or not capacity:
        return src
    touches = _activation_touches(ops, idx)
    # a Fenwick tree over the timeline of touches holds each tensor's bytes at its latest
    # touch, so the distinct bytes between two touches of a weight are a prefix-sum difference
    size = sum(len(t) for t in touches) + n_pairs + 1
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
    last: dict[int, tuple[int, float]] = {}
    slot, p = 0, 0

    def touch(key: int, b: float) -> int | None:
        nonlocal slot
        prev = last.get(key)
        if prev is not None:
            add(prev[0], -prev[1])
        add(slot, b)
        last[key] = (slot, b)
        slot += 1
        return None if prev is None else prev[0]

    for o, acts in enumerate(touches):
        for key, b in acts:
            touch(key, b)
        while p < n_pairs and pair_op[p] == o:
            b = float(pair_bytes[p])
            here = slot
            prev = touch(int(pair_w[p]), b)
            if prev is not None:
                held = np.flatnonzero(caps >= prefix(here) - prefix(prev + 1) + b)
                if len(held):
                    src[p] = int(held[0])
            p += 1
    return src


def _activation_touches(ops, idx: np.ndarray) -> list[list[tuple[int, float]]]:
    """Per op of ``idx``: the (key, bytes) of the activation tensors it touches, inputs then
    outputs, keyed by tensor id (a tensor read again moves to the most recent, counted once).
    Without the producer columns: the model inputs it reads by id and its outputs as new
    bytes (``act_out_bytes``)."""
    n_t = len(ops.tensor_bytes)
    tb = ops.tensor_bytes
    out: list[list[tuple[int, float]]] = []
    if ops.act_ptr is not None and ops.producer is not None:
        writers = np.flatnonzero(ops.producer >= 0)
        order = np.argsort(ops.producer[writers], kind="stable")
        writers = writers[order]
        starts = np.searchsorted(ops.producer[writers], np.arange(len(ops.kind) + 1))
        for g in idx:
            ins = ops.act_ids[ops.act_ptr[g]:ops.act_ptr[g + 1]]
            outs = writers[starts[g]:starts[g + 1]]
            out.append([(int(t), float(tb[t])) for t in ins] + [(int(t), float(tb[t])) for t in outs])
        return out
    for j, g in enumerate(idx):
        ins = ops.input_ids[ops.input_ptr[g]:ops.input_ptr[g + 1]]
        acts = [(int(t), float(tb[t])) for t in ins]
        if ops.act_out_bytes[g] > 0:
            acts.append((n_t + j, float(ops.act_out_bytes[g])))  # a new tensor: a key of its own
        out.append(acts)
    return out
