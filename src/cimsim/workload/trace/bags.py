"""``aten._embedding_bag`` (``nn.EmbeddingBag``, ``F.embedding_bag``): a gather and a reduction.

A bag lookup reads only the table rows its indices name (each a random access of one row, as an
embedding lookup's: :meth:`Lowerer._gather_rows`) and reduces each bag's rows to one: one op of
kind ``reduction`` whose vector work is one operation per gathered element (the bag's sum; a
mean's divide and a max's compare count the same), plus one per gathered element for
``per_sample_weights`` (the multiply); it reads the indices, the offsets and the per-sample
weights besides the rows. It was a copy of the whole table, with the reduction free: a DLRM-size
table cost its every byte at every lookup.
"""

from __future__ import annotations

from .registry import Call, lowers


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
    low._gather_rows(c.base, (table, idx), c.targets, kind="reduction",
                     vec=elems * (2.0 if per_sample is not None else 1.0), extra=extra)
