"""What near-bank PIM units (:mod:`cimsim.hw.pim`) say about the operands they hold: a model
input they left on the host because it is not resident state, and the bytes their own number
format (``precision``) gives the operands they hold in the banks."""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..units import si
from .base import OpArrays

#: inputs named in a note, the rest counted
NAMED = 3


def plain_input_note(name: str, claims, ops: OpArrays, left: np.ndarray) -> Optional[str]:
    """The ``left`` ops (bool per op: free, not taken) that are matmuls without a weight reading
    a traced model input that is no resident state as their second operand
    (:meth:`OpArrays.plain_input_operands`): they stay on the host; the note names the inputs,
    their bytes, why (the argument's name) and how to mark them. None if none."""
    found = ops.plain_input_operands()
    if found is None:
        return None
    reader, tensors = found
    keep = left[reader]
    if not keep.any():
        return None
    reader, tensors = reader[keep], tensors[keep]
    ids = np.unique(tensors)
    named = [f"'{ops.tensor_names[int(t)]}' ({si(float(ops.tensor_bytes[t]), 'B')})"
             for t in ids[:NAMED].tolist()]
    more = f" and {len(ids) - NAMED} more" if len(ids) > NAMED else ""
    args = sorted({ops.tensor_names[int(t)].split(".")[0].split("[")[0] for t in ids.tolist()})
    add = "" if "kv_cache" in claims else f", and add kv_cache to {name}.claims"
    return (f"{len(np.unique(reader))} matmul(s) without a weight stay on the host: their second "
            f"operand, model input {', '.join(named)}{more}, is no resident state, so it counts as "
            "an activation sent every run: a traced input lies in memory across runs only where "
            "its forward argument is named as a cache (past_key_values, layer_past, a name "
            "holding cache or past) or marked resident (retrace with "
            f"{' '.join(f'--resident {a}' for a in args)}{add} to read it in the banks)")


def held_format_note(name: str, own: str, stored: float, held: float, out: float,
                     out_held: float, apart: bool) -> Optional[str]:
    """Bytes of the operands the units hold in the banks at their own number format ``own``
    (``held``) against the workload's (``stored``), and of their results (``out_held`` against
    ``out``), where the format widens them (an int8 database on fp16 units: the footprint
    grows); None otherwise (a narrower format, fp32 ops on fp16 units, is the precision
    mismatch note's; the footprint keeps the workload's bytes, an upper bound). ``apart``: the
    units' memory is a device of its own (its capacity check, not the host footprint, counts
    them)."""
    if held <= stored:
        return None
    where = ("its device's capacity check counts the weights in it" if apart else
             f"the footprint and the capacity check count the {si(held - stored, 'B')} more")
    return (f"{name} computes in {own} only: it holds the {si(stored, 'B')} of operands it reads "
            f"in its banks as {own}, {si(held, 'B')} ({where}), and sends its results as {own}, "
            f"{si(out_held, 'B')} for the workload's {si(out, 'B')}")


def held_operand_bytes(ops: OpArrays, idx: np.ndarray, scale: np.ndarray, weighted: np.ndarray,
                       kv_read: np.ndarray | None) -> tuple[float, float, float, float]:
    """``(weights stored, weights held, caches stored, caches held)``: bytes of the distinct
    tensors the ops ``idx`` read in the banks, at the workload's dtype and in the units' format
    (``scale``: per op of ``idx``, held bytes per stored byte; a tensor at its first reader's):
    the weights of the ``weighted`` ops (bool per op of ``idx``) and the KV caches (model inputs)
    the others read (``kv_read``: bool by tensor id, :meth:`OpArrays.kv_tensors`; None: none)."""
    tb = ops.tensor_bytes
    owner = np.repeat(np.arange(len(ops.kind)), np.diff(ops.weight_ptr))
    pos = np.full(len(ops.kind), -1, dtype=np.int64)
    pos[idx] = np.arange(len(idx))
    sel = (pos[owner] >= 0) & weighted[np.maximum(pos[owner], 0)]
    ws, first = np.unique(ops.weight_ids[sel], return_index=True)
    w = (float(tb[ws].sum()), float((tb[ws] * scale[pos[owner[sel]][first]]).sum()))
    if kv_read is None or ops.act_ptr is None:
        return (*w, 0.0, 0.0)
    reader = ops.act_readers()
    sel = (pos[reader] >= 0) & ~weighted[np.maximum(pos[reader], 0)]
    ids = ops.act_ids[sel]
    root = ids if ops.cache_root is None else ops.cache_root[ids]
    keep = (root >= 0) & kv_read[np.maximum(root, 0)]
    ks, first = np.unique(root[keep], return_index=True)
    return (*w, float(tb[ks].sum()), float((tb[ks] * scale[pos[reader[sel][keep]][first]]).sum()))
