"""Scatter and index accumulations: ``scatter_add``, ``index_add``, ``scatter_reduce``,
``index_reduce``, ``scatter(..., reduce=)``, ``index_put(..., accumulate=True)``.

The work is one operation per *source* element (``index_add(alpha=a)``, a != 1: two, the
scaling and the add; ``scatter_reduce`` / ``index_reduce`` of ``"mean"``: one more per
destination element the index touches, the division). The destination and the int64 index are not counted as
work: a GNN's aggregation over E edges of d features is E x d adds, an MoE's combine of an
expert's r rows r x d adds, however large the destination.

Bytes: the source and the index are read. An in-place op (``out.index_add_(...)``) reads and
writes only the destination elements its index touches (read-modify-write of those rows; an
element touched twice is read once); an out-of-place one (``zeros.scatter_add(...)``) writes
its whole result, so it reads the whole destination it copies. A fake-tensor trace (shapes
only) has no index values: there an in-place op reads and writes the whole destination.

An accumulation into whole rows of the destination along dim 0 (``out.index_add_(0, dst, h)``,
``scatter_add(0, dst[:, None].expand(-1, d), h)``, ``index_put_((dst,), h, accumulate=True)``: a
GNN's aggregation over E edges) is a read-modify-write of one row per index, random rows as a
row gather's (:mod:`.bags`): tags ``access_bytes`` (the row's bytes), ``lookups`` (the row ids,
E), ``rows_read`` (the distinct rows; without index values min(E, rows)), ``table_rows`` (the
destination's rows) and ``random_read_bytes`` / ``random_write_bytes`` (the touched rows'
bytes, read and written back), so that a ``type: dram`` level charges those rows at its
random-row rate and a run says when the destination is larger than a cache
(:mod:`cimsim.cost.gathers`); the op's other bytes (its E x d source, its ids, the rest of a
copied destination) stream. Every
accumulation is tagged ``pool: scatter``: a gather-reduction near-bank PIM counts in its note
and does not take (:class:`cimsim.hw.pim.PIM`: it pools only a bag of a weight table).
"""

from __future__ import annotations

import math

import numpy as np

from ...dtypes import DTYPE_BYTES
from .bags import INDEX_DTYPES, _contiguous, first_touch, line_spans, ordered_accesses, touched_lines
from .registry import Call, bound_args, lowers
from .stats import has_data
from .storage import _sorted_distinct, offsets, tensor_offsets

#: op -> (dim argument, index argument, source argument) positions
_ARGS = {"scatter_add": (1, 2, 3), "scatter_reduce": (1, 2, 3), "scatter": (1, 2, 3),
         "index_add": (1, 2, 3), "index_reduce": (1, 2, 3), "index_put": (None, 1, 2),
         "_index_put_impl": (None, 1, 2)}


def _arg(low, c: Call, name: str, pos: int | None, default=None):
    values = bound_args(low.ev, c.args, low.ev.kwargs)
    if name in values:
        return values[name]
    return c.args[pos] if pos is not None and pos < len(c.args) else default


def _touched(torch, c: Call, dest, dim, index):
    """Storage offsets (in ``dest``'s elements) of the destination elements the index touches
    (distinct, ascending), or None (no index values: a fake-tensor trace). Found from the
    distinct ids where the index names whole slices (``index_add``, ``index_put`` with one
    integer index, ``scatter_add`` with an index expanded over the other dimensions: a GNN's
    E edges into N nodes cost their distinct ids and the N rows' offsets, not E x d offsets),
    else one offset per index element, counted by marks (:func:`.storage._sorted_distinct`)."""
    idx = index if isinstance(index, (list, tuple)) else [index]
    if not has_data(torch, *[i for i in idx if i is not None]):
        return None
    if c.base.startswith("index_put") or c.base == "_index_put_impl":
        if len(idx) == 1 and idx[0] is not None and dest.dim() \
                and str(idx[0].dtype).removeprefix("torch.") in INDEX_DTYPES:  # rows of dim 0
            return _slices(torch, dest, 0, idx[0].reshape(-1), dest.shape)
        pos = torch.from_numpy(tensor_offsets(dest).reshape(tuple(dest.shape)))
        hit = pos[tuple(slice(None) if i is None else i.cpu() for i in idx)]
    elif c.base.startswith("index_"):
        return _slices(torch, dest, dim, index.reshape(-1), dest.shape)
    elif _expanded(index, dim):  # one id per slice along ``dim``, its extent the index's
        ids = index[tuple(slice(None) if k == dim else 0 for k in range(index.dim()))]
        return _slices(torch, dest, dim, ids, index.shape)
    else:
        pos = torch.from_numpy(tensor_offsets(dest).reshape(tuple(dest.shape)))
        hit = pos.gather(dim, index.cpu())
    return _sorted_distinct(hit.reshape(-1).numpy())


def _slices(torch, dest, dim: int, ids, extent):
    """Distinct storage offsets of ``dest``'s slices ``ids`` along ``dim`` (a negative id
    counted from the end), each slice cut to ``extent`` (a shape) in the other dimensions."""
    rows = torch.unique(ids.cpu()).numpy().astype(np.int64) % max(dest.shape[dim], 1)
    shape = [n for k, n in enumerate(extent) if k != dim]
    stride = [s for k, s in enumerate(dest.stride()) if k != dim]
    inner = offsets(dest.storage_offset(), shape, stride)
    return _sorted_distinct((rows[:, None] * dest.stride(dim) + inner[None, :]).reshape(-1))


def _expanded(index, dim: int) -> bool:
    """Whether a scatter's ``index`` repeats one id along every dimension but ``dim`` (an
    ``expand`` of a column of ids: ``dst[:, None].expand(-1, d)``)."""
    return index.dim() > 1 and all(index.stride(k) == 0 or index.shape[k] == 1
                                   for k in range(index.dim()) if k != dim)


@lowers("scatter_add", "scatter_reduce", "index_add", "index_reduce")
def accumulate(low, c: Call) -> None:
    _lower(low, c)


@lowers("scatter", "index_put", "_index_put_impl")
def maybe_accumulate(low, c: Call) -> None:
    """``scatter`` with ``reduce=`` and ``index_put`` with ``accumulate=True`` accumulate; the
    plain ones copy."""
    acc = _arg(low, c, "accumulate", None, False) if "index_put" in c.base else \
        _arg(low, c, "reduce", None) is not None
    if not acc:
        low.emit("copy", c.base, c.reads, c.targets)
        return
    _lower(low, c)


def _lower(low, c: Call) -> None:
    torch = low.torch
    dim_at, idx_at, src_at = _ARGS[c.base]
    dest = c.args[0]
    dim = int(_arg(low, c, "dim", dim_at)) % max(dest.dim(), 1) if dim_at is not None else 0
    index = _arg(low, c, "indices" if idx_at == 1 and "index_put" in c.base else "index", idx_at)
    src = _arg(low, c, "values" if "index_put" in c.base else "src" if "scatter" in c.base else
               "source", src_at)
    n_src = src.numel() if isinstance(src, torch.Tensor) else \
        (index.numel() if isinstance(index, torch.Tensor) else dest.numel())  # a scalar source
    alpha = _arg(low, c, "alpha", None, 1)
    vec = float(n_src) * (2 if alpha not in (1, None) else 1)
    reduce = _arg(low, c, "reduce", None)
    offs = _touched(torch, c, dest, dim, index) if dest.numel() else None
    if reduce == "mean":
        vec += float(dest.numel() if offs is None else len(offs))
    others = [t for t in c.reads if t is not dest]
    tags = {"pool": "scatter", **_row_tags(low, c, dest, dim, index)}
    if offs is None or not c.mutated:  # out of place (the whole result), or no index values
        low.emit("reduction", c.base, c.reads, c.targets, vec=vec, tags=tags)
        return
    if not low.st.known(dest):  # a destination first seen here (a model input): its source
        low._source(dest)
    if low.st.is_prov(dest):  # a reshape copy written in part: a real copy first
        low._materialise(dest)
    if not low.st.same_unit(dest):  # a view of another element size: its storage's units
        offs = np.unique(low.st.units_at(dest, offs))
    rows = low.st.pieces_at(dest, offs)
    pid = low.emit("reduction", c.base, [rows, *others], [], vec=vec, tags=tags)
    _write_at(low, dest, offs, pid)


def _row_ids(torch, c: Call, dest, dim: int, index):
    """The destination row ids (a tensor) of an accumulation into whole rows along dim 0, or
    None: ``index_*`` of dim 0 and ``index_put`` of one integer index tensor (its ids), a
    ``scatter_*`` of dim 0 whose index names one row for a whole row (an ``expand`` of a
    column, or equal columns; its first column)."""
    idx = index if isinstance(index, (list, tuple)) else [index]
    if not (len(idx) == 1 and isinstance(idx[0], torch.Tensor) and dim == 0 and dest.dim()
            and str(idx[0].dtype).removeprefix("torch.") in INDEX_DTYPES):
        return None
    ids = idx[0]
    if c.base.startswith("scatter"):
        if ids.dim() != dest.dim() or tuple(ids.shape[1:]) != tuple(dest.shape[1:]):
            return None
        first = ids[(slice(None),) + (slice(0, 1),) * (ids.dim() - 1)]
        if not (all(s == 0 for s, n in zip(ids.stride()[1:], ids.shape[1:]) if n > 1)
                or (has_data(torch, ids) and bool((ids == first).all()))):
            return None
        ids = first
    elif ids.dim() != 1:
        return None
    return ids.reshape(-1)


def _row_tags(low, c: Call, dest, dim: int, index) -> dict:
    """Tags of a read-modify-write of whole destination rows (:func:`_row_ids`) whose elements
    are consecutive in storage: a row gather's; {} for any other accumulation."""
    torch = low.torch
    ids = _row_ids(torch, c, dest, dim, index)
    if ids is None or not dest.numel():
        return {}
    if not _contiguous(offsets(0, tuple(dest.shape[1:]), tuple(dest.stride()[1:]))):
        return {}
    n = int(dest.shape[0])
    row = int(math.prod(dest.shape[1:])) * DTYPE_BYTES[low.dt(dest)]
    access, rows = row, min(ids.numel(), n)
    if has_data(torch, ids) and row:  # the rows' runs of lines in the order the ids touch them
        distinct, order = first_touch((ids.reshape(-1) % n).cpu().numpy().astype(np.int64))
        rows, unit, inner = len(distinct), dest.element_size(), offsets(0, tuple(dest.shape[1:]),
                                                                         tuple(dest.stride()[1:]))
        at = dest.storage_offset() + int(inner.min())
        lines, runs_sorted = line_spans(at + distinct * dest.stride(0), np.full(rows, len(inner)), unit)
        accesses = ordered_accesses(touched_lines(dest.storage_offset() + order * dest.stride(0), inner, unit),
                                    runs_sorted, lines, rows)
        access = rows * row / accesses
    # the read-modify-write of the rows touched is random, each run of lines the ids touch in
    # order one access (sorted ids, CSR's y: one stream); the source and the ids stream
    return {"access_bytes": max(access, 1.0), "lookups": int(ids.numel()), "rows_read": int(rows),
            "table_rows": n, "random_read_bytes": int(rows) * row, "random_write_bytes": int(rows) * row}


def _write_at(low, dest, offs, pid: int) -> None:
    """Proto ``pid`` writes the destination elements at storage offsets ``offs``: a version of
    just those (the rest of the destination keeps its own)."""
    v = low.st.new_version("activation", low.protos[pid].name, len(offs), (len(offs),), producer=pid,
                           dtype=low.dt(dest))
    low.st.write_at(dest, offs, v)
    low.protos[pid].outputs.append(v.id)
