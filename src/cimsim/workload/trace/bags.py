"""Row gathers: ``aten.embedding``, ``aten.index_select`` of a parameter, and
``aten._embedding_bag`` (``nn.EmbeddingBag``, ``F.embedding_bag``), a gather and a reduction.

An embedding lookup reads only the table rows its indices name, each a random access of one row
(:func:`gather_rows`). A bag lookup reads them and reduces each bag's rows to one: one op of
kind ``reduction`` whose vector work is one operation per gathered element (the bag's sum; a
mean's divide and a max's compare count the same), plus one per gathered element for
``per_sample_weights`` (the multiply); it reads the indices, the offsets and the per-sample
weights besides the rows. It was a copy of the whole table, with the reduction free: a DLRM-size
table cost its every byte at every lookup.
"""

from __future__ import annotations

import math

import numpy as np

from ...dtypes import DTYPE_BYTES
from .registry import Call, aten, lowers
from .storage import offsets, storage_key


@lowers(aten.embedding)
def embedding(low, c: Call) -> None:
    gather_rows(low, c.base, c.args, c.targets)


@lowers(aten.index_select)
def index_select(low, c: Call) -> None:
    """Rows of a parameter (an embedding table) are a gather; of anything else, a copy."""
    if low._is_param(c.args[0]):
        gather_rows(low, c.base, c.args, c.targets)
    else:
        low.emit("copy", c.base, c.reads, c.targets)


def gather_rows(low, base, args, targets, kind="copy", vec=None, extra=(), tags=None):
    """An embedding lookup reads only the rows it gathers (a bag's: ``kind`` reduction);
    ``extra``: the other tensors it reads (a bag's offsets and per-sample weights); ``tags``:
    more tags (a bag's ``pool``). Tags ``lookups`` (ids looked up), ``rows_read`` (the distinct
    rows read) and ``table_rows`` (the table's rows) let a run say when repeated ids of a table larger than a cache are taken
    as hits (:mod:`cimsim.cost.gathers`)."""
    if base != "index_select":
        table, idx = args[0], args[1]
    else:
        table, dim, idx = args[0], args[1], args[2]
        if dim != 0:
            low.emit("copy", base, [table, idx], targets)
            return
    if not low.st.known(table):
        low._source(table)
    from torch._subclasses.fake_tensor import is_fake

    if idx.is_meta or is_fake(idx):  # shapes only (no values): assume distinct ids
        rows = np.arange(min(idx.numel(), table.shape[0]), dtype=np.int64)
    else:
        rows = np.asarray(low.torch.unique(idx.reshape(-1)).tolist(), dtype=np.int64)
    inner = offsets(0, tuple(table.shape[1:]), tuple(table.stride()[1:]))
    offs = (table.storage_offset() + rows[:, None] * table.stride(0) + inner[None, :]).reshape(-1)
    offs = low.st.units_at(table, offs)  # a view of another element size: its storage's units
    vid = low.st.storages[storage_key(table)].cur
    pieces = [(vid, offs if len(offs) < low.st.versions[vid].size else None)]
    # its access pattern: random reads of one row each (the memory level's random-access rate)
    row_bytes = int(math.prod(table.shape[1:])) * DTYPE_BYTES[low.dt(table)]
    low.emit(kind, base, [pieces, idx, *extra], targets, vec=vec,
             tags={"part": "gather", "access_bytes": row_bytes, "lookups": int(idx.numel()),
                   "rows_read": len(rows), "table_rows": int(table.shape[0]), **(tags or {})})


@lowers("_embedding_bag", "_embedding_bag_forward_only", "embedding_bag")
def embedding_bag(low, c: Call) -> None:
    table, idx = c.args[0], c.args[1]
    per_sample = c.args[6] if len(c.args) > 6 else low.ev.kwargs.get("per_sample_weights")
    dim = int(table.numel() // max(1, table.shape[0]))
    elems = float(idx.numel() * dim)
    offsets = c.args[2] if len(c.args) > 2 else low.ev.kwargs.get("offsets")
    # the bags' offsets and per-sample weights are read too (a weight computed in the model is
    # a dependency: the bag runs after it)
    extra = [t for t in (offsets, per_sample) if isinstance(t, low.torch.Tensor)]
    mode = c.args[4] if len(c.args) > 4 else low.ev.kwargs.get("mode", 0)
    # its pooling (tag ``pool``): near-bank PIM units claim a sum or a mean (``embedding``)
    pool = POOLS.get(mode if isinstance(mode, int) else str(mode), str(mode))
    gather_rows(low, c.base, (table, idx), c.targets, kind="reduction",
                vec=elems * (2.0 if per_sample is not None else 1.0), extra=extra,
                tags={"pool": pool})


#: ``aten._embedding_bag``'s ``mode`` (0, 1, 2; ``F.embedding_bag`` names them)
POOLS = {0: "sum", 1: "mean", 2: "max", "sum": "sum", "mean": "mean", "max": "max"}
