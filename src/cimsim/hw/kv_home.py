"""A note on the cache layout's KV cache (find-C 2, left part of d26-C2): without a far tier the
backing store is the home of every model input (hierarchy rule 3), so a KV cache is read from it
at every decode step, even where every weight is on chip and an on-chip level before the store
has room for the cache too (a WSE-like wafer whose 40 GB of SRAM hold a 1.3B model's 2.622 GB of
weights while the 25.17 MB cache is re-read from a 150 GB/s external store: 319.5 µs a token).
That is the rule, not a bug of the run, but the design meant is usually an on-chip SRAM with the
store beside it: a far tier with ``near_on_chip: true`` (hierarchy rule 9, README "A far memory
tier"), whose near tier is the home of the cache. The note says so where the user meets it."""

from __future__ import annotations

import numpy as np

from ..units import si
from .base import OpArrays


def kv_home_note(hw, levels, capacities, resident: dict[str, float], all_fit: bool,
                 ops: OpArrays, idx) -> list[str]:
    """One note where a processor's run has no far tier (``levels`` end at the backing store),
    keeps every weight on chip (``all_fit``), reads a KV cache (model inputs: each decode step's
    cache a tensor of its own, read at that step) from the off-chip backing store, and its last
    level before the store is on chip with room for all those tensors together beside its
    resident weights (``resident``: weight bytes by level)."""
    if not all_fit or len(levels) < 2 or levels[-1] != hw.backing_store:
        return []
    off = set(hw.off_chip)
    near = levels[-2]
    if levels[-1] not in off or near in off:
        return []
    kv = ops.kv_tensors()
    if kv is None or not kv.any():
        return []
    reads = float(ops.reads_of(kv)[np.asarray(idx)].sum())
    room = float(capacities[-2]) - float(resident.get(near, 0.0))
    if reads <= 0 or room < float(ops.tensor_bytes[kv].sum()):
        return []
    back = levels[-1]
    return [f"KV cache: {si(reads, 'B')} of it (a model input) read from the backing store {back}, "
            f"its home, at each step that uses it, though every weight is on chip and {near} has "
            f"room for it ({si(room, 'B')} free beside its weights): the cache layout homes model "
            f"inputs in the backing store. For an on-chip {near} that keeps the cache, with {back} "
            f"a store beside it, declare memory.{back}.far: true and memory.{back}.near_on_chip: "
            f"true (and memory.{back}.place.weights: 1 to stream the weights from it); README "
            "'A far memory tier'"]
