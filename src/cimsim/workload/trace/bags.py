"""Row gathers: ``aten.embedding``, ``aten.index_select`` of a parameter, ``W[idx]`` of a
parameter (``aten.index`` with one integer index on dim 0), and ``aten._embedding_bag``
(``nn.EmbeddingBag``, ``F.embedding_bag``), a gather and a reduction.

An embedding lookup reads only the table rows its indices name, each a random access of one row
(:func:`gather_rows`). Only those rows are random: tag ``random_read_bytes`` (their bytes)
says so, and a ``type: dram`` level charges the op's other bytes, its ids and the output it
writes (a GNN's E x d gathered features), at its streaming rate. A bag lookup reads them and reduces each bag's rows to one: one op of
kind ``reduction`` whose vector work is one operation per gathered element (the bag's sum; a
mean's divide and a max's compare count the same), plus one per gathered element for
``per_sample_weights`` (the multiply); it reads the indices, the offsets and the per-sample
weights besides the rows. It was a copy of the whole table, with the reduction free: a DLRM-size
table cost its every byte at every lookup.

``W[mask]`` with one bool (or uint8) mask over dim 0 is the row gather of the rows it marks
(``mask.nonzero()``), a negative row id the row it counts from the end. The other gathers by
index of a parameter (:data:`.aten.GATHERS`: ``W[idx]`` with several index tensors, a mask or a
slice before the index, ``torch.gather``, ``torch.take``) read the elements they name
(:func:`gather_elements`). Every gather moves the whole 64 B lines it touches, each run of
adjacent lines one random access (:func:`emit_lines`: tags ``access_bytes``, their mean,
``random_read_bytes``, the lines' bytes, ``table_bytes``, the table, which a level streams
instead where that is faster: :func:`cimsim.pipeline.pattern_scale`); without index values each
id is taken as a distinct row (element), its own lines, at most the table's. A row gather of a
view whose rows are not contiguous in storage (``W.t()[i]``, ``W[:, ::2][i]``) reads its
elements' lines the same way. They were copies of the whole table (a ``W[idx]`` of a 1e6 x 64
fp32 table read its 256 MB for 655 kB of rows).

Of an activation, ``x[src]`` by row ids is the same row gather (:func:`row_table`), and a gather
by several index tensors or ``torch.gather`` reads the rows it picks (:func:`pick_rows`:
PointNet++'s ``points[batch_idx, idx]``, CLIP's ``h[arange(B), eos]``), tagged as
``index_select`` of the same rows; they were copies of the whole activation (CLIP's pooling
read its [64, 77, 512] states, 10.09 MB, for 131 kB of rows).
"""

from __future__ import annotations

import math

import numpy as np

from .registry import Call, aten, lowers
from .aten import GATHERS
from .storage import RowRead, _sorted_distinct, offsets, runs, storage_key
from ..randomtags import LINE

#: integer dtypes an index of a row gather has (a bool or uint8 index is a mask)
INDEX_DTYPES = ("int64", "int32", "int16", "int8")


@lowers(aten.embedding)
def embedding(low, c: Call) -> None:
    gather_rows(low, c.base, c.args, c.targets)


@lowers(aten.index_select)
def index_select(low, c: Call) -> None:
    """Rows of a parameter (an embedding table) or of an activation (:func:`row_table`: a GNN's
    node features) are a gather; along another dimension (``W.index_select(1, ids)``), the
    elements it names (:func:`gather_elements`); of anything else, a copy."""
    table, ids = c.args[0], c.args[2]
    if not (low._is_param(table) or row_table(low, table)):
        low.emit("copy", c.base, c.reads, c.targets)
    elif table.dim() > 1 and c.args[1] % table.dim():  # W.index_select(1, ids): strided elements
        gather_elements(low, c, table, [None] * (c.args[1] % table.dim()) + [ids], [ids],
                        _no_values(low, ids))
    else:
        gather_rows(low, c.base, c.args, c.targets)


def row_table(low, t) -> bool:
    """Whether activation ``t`` is a table whose rows a gather by row ids reads as it reads a
    parameter's (``x[src]``, ``x.index_select(0, src)`` of a GNN's node features: random rows,
    tags ``access_bytes``, ``random_read_bytes``, ``lookups``, ``rows_read``, ``table_rows``): a tensor with rows
    whose storage is one version, neither a reshape's provenance nor written in part (an
    index accumulation's destination), which stays a whole-input copy."""
    if not (isinstance(t, low.torch.Tensor) and t.dim() and t.numel()):
        return False
    st = low.st.storages.get(storage_key(t))
    return st is None or (st.prov is None and st.owner is None)


def gather_rows(low, base, args, targets, kind="copy", vec=None, extra=(), tags=None, ids=None):
    """An embedding lookup reads only the rows it gathers (a bag's: ``kind`` reduction);
    ``extra``: the other tensors it reads (a bag's offsets and per-sample weights); ``tags``:
    more tags (a bag's ``pool``); ``ids``: the row ids when the index tensor read is not them
    (a mask's ``nonzero()``, negative ids counted from the end). Its accesses are the runs
    of whole lines its rows touch (:func:`emit_lines`: rows under a line that share one are one
    access, adjacent rows one access). Tags
    ``lookups`` (ids looked up), ``rows_read`` (the distinct rows read) and ``table_rows``
    (the table's rows) let a run say when repeated ids of a table larger than a cache are
    taken as hits (:mod:`cimsim.cost.gathers`)."""
    table, idx = (args[0], args[1]) if base != "index_select" else (args[0], args[2])
    if not low.st.known(table):
        low._source(table)
    ids = idx if ids is None else ids
    order = None
    if _no_values(low, ids):  # shapes only (no values): assume distinct ids
        rows = np.arange(min(ids.numel(), table.shape[0]), dtype=np.int64)
    else:
        rows, order = first_touch(ids.reshape(-1).cpu().numpy().astype(np.int64))
    inner = offsets(0, tuple(table.shape[1:]), tuple(table.stride()[1:]))
    offs = RowRead(table.storage_offset(), rows, table.stride(0), inner)  # its rows, not elements
    if order is not None:
        order = touched_lines(table.storage_offset() + order * table.stride(0), inner, table.element_size())
    _emit_rows(low, kind, base, table, offs, [idx, *extra], targets, _no_values(low, ids),
               int(ids.numel()), int(table.shape[0]), vec=vec, tags=tags, order=order)


def first_touch(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(distinct, in_order)``: the distinct values of ``ids``, ascending, and the same in the
    order the ids first name them (the order a gather reads them in)."""
    distinct, first = np.unique(ids, return_index=True)
    return distinct, distinct[np.argsort(first, kind="stable")]


def touched_lines(starts: np.ndarray, inner: np.ndarray, unit: int):
    """``(first, last)``: the :data:`LINE` s that the pieces at storage offsets ``starts`` (in
    elements of ``unit`` bytes, each the elements ``inner`` after its start) begin and end in,
    in the order they are read (:func:`ordered_accesses`); None for empty pieces, and for
    pieces whose elements are not one run (a strided view's rows, ``W.t()[i]``: their set of
    lines keeps its runs, the order not taken into account)."""
    if not len(inner) or not _contiguous(np.sort(inner)):
        return None
    lo, hi = int(inner.min()), int(inner.max())
    return (starts + lo) * unit // LINE, ((starts + hi + 1) * unit - 1) // LINE


def run_lines(order: np.ndarray, unit: int):
    """:func:`touched_lines` of elements read one by one at storage offsets ``order`` (in
    elements of ``unit`` bytes, in the order read): each run of consecutive offsets read in
    turn is one piece (``torch.gather`` / ``torch.take`` of whole rows reads a row's elements
    in turn: the row is the piece, as a row gather's is)."""
    if not len(order):
        return order, order
    cut = np.flatnonzero(np.diff(order) != 1) + 1
    starts, ends = order[np.r_[0, cut]], order[np.r_[cut - 1, len(order) - 1]]
    return starts * unit // LINE, ((ends + 1) * unit - 1) // LINE


def ordered_accesses(order, runs_sorted: int, lines: int, pieces: int | None = None) -> int:
    """The random accesses of reading pieces whose first and last :data:`LINE` s are ``order``
    (:func:`touched_lines`), in the order they are read: each line is fetched once, at its
    first touch, so a piece fetches the lines of its span no piece before it touched (pieces
    that do not overlap share at most their end lines), and its fetch continues the access
    before it where its span of new lines touches the span fetched just before, on either
    side: the line after its last (ascending) or before its first (descending: rows of one
    line or of many, a reverse sweep is one run as a forward one is). Adjacent lines read far
    apart in time (unsorted ids) are two row activations, not one access of both. At least
    ``runs_sorted`` (the runs of the set of lines: sorted ids), at most ``lines`` (and
    ``pieces``)."""
    first, last = (np.asarray(x, dtype=np.int64) for x in order)
    n = len(first)
    if not n:
        return runs_sorted
    seq = np.empty(2 * n, dtype=np.int64)
    seq[0::2], seq[1::2] = first, last
    _, at, inv = np.unique(seq, return_index=True, return_inverse=True)
    piece = np.arange(n)
    earlier = at[inv.reshape(-1)] // 2  # the piece that first touched each end line
    lo = first + (earlier[0::2] < piece)  # an end line fetched before: not fetched again
    hi = last - (earlier[1::2] < piece)
    new = lo <= hi
    lo, hi = lo[new], hi[new]
    joined = (lo[1:] == hi[:-1] + 1) | (hi[1:] + 1 == lo[:-1])
    count = 1 + int(np.count_nonzero(~joined))
    top = lines if pieces is None else min(lines, max(pieces, runs_sorted))
    return int(min(max(count, runs_sorted), top))


def _emit_rows(low, kind, base, table, offs: RowRead, others, targets, fake: bool,
               lookups: int, table_rows: int, vec=None, tags=None, order=None) -> None:
    """Emit a gather of ``lookups`` row ids reading rows ``offs`` of ``table`` (of
    ``table_rows``) and the tensors ``others`` (its ids): the whole lines its rows touch
    (:func:`emit_lines`; ``fake``: without index values, the rows taken as distinct and spread,
    each its own lines). Every row gather follows this one rule, whatever op wrote it and however
    long its rows (``nn.Embedding``, ``W[idx]``, ``index_select``, ``x[src]``, a pick,
    ``torch.gather`` of whole rows); ``order``: the lines each row begins and ends in, in the
    order the ids read them (:func:`ordered_accesses`). Tag ``row_bytes``: the bytes of one
    looked-up row of the view (a row or column slice of a larger storage reads only these;
    near-bank PIM units read them at every lookup)."""
    nrows, one = len(offs.rows), offs.base + offs.inner
    row_bytes = len(offs.inner) * table.element_size()
    if not low.st.same_unit(table):  # a view of another element size: its storage's units
        one, offs = low.st.units_at(table, one), low.st.units_at(table, offs.offsets())
    emit_lines(low, kind, base, table, offs, others, targets, spread=nrows if fake else None,
               one=one, vec=vec, order=order, tags={"lookups": lookups, "rows_read": nrows,
                                       "table_rows": table_rows, "row_bytes": row_bytes, **(tags or {})})


def line_spans(starts: np.ndarray, lengths: np.ndarray, unit: int) -> tuple[int, int]:
    """``(lines, accesses)`` of reading the ascending, disjoint runs of elements ``starts``,
    ``lengths`` (``unit`` bytes each): the distinct lines of :data:`LINE` bytes they touch (two
    runs in one line fetch it once) and the runs of consecutive such lines, each one random
    access (four 8 B rows in one 32 B span are one access, not four)."""
    if not len(starts):
        return 0, 0
    first, last = starts * unit // LINE, ((starts + lengths) * unit - 1) // LINE
    shared = int(np.count_nonzero(first[1:] == last[:-1]))
    return (int((last - first + 1).sum()) - shared,
            1 + int(np.count_nonzero(first[1:] > last[:-1] + 1)))


def line_read(low, table, offs, spread=None, one=None, order=None):
    """``(read, fetched, accesses)`` of a gather of ``table`` reading its storage offsets
    ``offs`` (an array or a :class:`RowRead`, in its storage's units): the distinct lines of
    :data:`LINE` bytes they touch, read whole (a line's other bytes come with it): ``read``
    their offsets (``offs`` itself where its runs are whole lines), ``fetched`` their bytes,
    ``accesses`` the runs of consecutive lines (each one random access; with ``order``, the
    lines its pieces begin and end in as its ids read them, the runs read in that order:
    :func:`ordered_accesses`). ``spread`` = n (ids
    without values): n distinct pieces laid out as ``one``, spread over the table, each its own
    lines and accesses (all the table's lines at most: then one run)."""
    unit, vid = low.st.unit_of(table), low.st.storages[storage_key(table)].cur
    size = low.st.versions[vid].size
    per = LINE // unit if LINE % unit == 0 else 0
    src = offs if spread is None else one
    starts, lengths = runs(src)
    if not len(starts):
        return offs, 0, 0
    lines, accesses = line_spans(starts, lengths, unit)
    if order is not None and spread is None:
        accesses = ordered_accesses(order, accesses, lines, len(order[0]))
    ends = starts + lengths
    whole = not per or (not (starts % per).any() and not ((ends % per != 0) & (ends != size)).any())
    if spread is not None:
        table_lines = -(-size * unit // LINE)
        lines, accesses = (lines * spread, accesses * spread) if lines * spread < table_lines \
            else (table_lines, 1)
        if whole:
            return offs, min(len(offs) * unit, size * unit), accesses
        ids = np.arange(lines, dtype=np.int64)  # shapes only: the first lines stand for them
    elif whole:
        return offs, int(lengths.sum()) * unit, accesses
    else:
        first, last = starts // per, (ends - 1) // per
        n = last - first + 1
        ids = _sorted_distinct(np.repeat(first - (np.cumsum(n) - n), n) + np.arange(int(n.sum())))
    read = RowRead(0, ids, per, np.arange(per, dtype=np.int64))
    if (int(ids[-1]) + 1) * per > size:  # the storage ends inside its last line
        read = read.offsets()
        read = read[read < size]
    return read, len(read) * unit, accesses


def emit_lines(low, kind, base, table, offs, others, targets, spread=None, one=None, vec=None,
               tags=None, order=None) -> None:
    """Emit a gather of ``table`` reading storage offsets ``offs`` (:func:`line_read`: the whole
    lines they touch) and the tensors ``others`` (its ids): tags ``access_bytes`` (the mean
    bytes of its accesses, runs of whole lines), ``random_read_bytes`` (the lines' bytes: the
    ids and the output stream) and ``table_bytes`` (the table's storage: a level where
    streaming it is cheaper than those accesses charges it streamed instead,
    :func:`cimsim.pipeline.pattern_scale`)."""
    read, fetched, accesses = line_read(low, table, offs, spread, one, order)
    vid = low.st.storages[storage_key(table)].cur
    pieces = [[(vid, read if len(read) < low.st.versions[vid].size else None)]] if len(read) else []
    low.emit(kind, base, [*pieces, *others], targets, vec=vec,  # no row (all padding_idx): no table
             tags={"part": "gather", **({"access_bytes": fetched / max(1, accesses),
                   "random_read_bytes": fetched, "table_bytes": _storage_bytes(low, table)} if pieces else {}),
                   **(tags or {})})


def _storage_bytes(low, table) -> int:
    return low.st.versions[low.st.storages[storage_key(table)].cur].size * low.st.unit_of(table)


def _contiguous(inner: np.ndarray) -> bool:
    """Whether a row's element offsets ``inner`` are one run of consecutive offsets."""
    return len(inner) < 2 or bool(np.all(np.diff(inner) == 1))


@lowers("_embedding_bag", "_embedding_bag_forward_only", "embedding_bag")
def embedding_bag(low, c: Call) -> None:
    table, idx = c.args[0], c.args[1]
    per_sample = c.args[6] if len(c.args) > 6 else low.ev.kwargs.get("per_sample_weights")
    pad = c.args[8] if len(c.args) > 8 else low.ev.kwargs.get("padding_idx", -1)
    ids = idx
    if isinstance(pad, int) and pad >= 0 and not _no_values(low, idx):
        ids = idx.reshape(-1)[idx.reshape(-1) != pad]  # torch reads no row for a padding_idx
    dim = int(table.numel() // max(1, table.shape[0]))
    elems = float(ids.numel() * dim)
    offsets = c.args[2] if len(c.args) > 2 else low.ev.kwargs.get("offsets")
    # the bags' offsets and per-sample weights are read too (a weight computed in the model is
    # a dependency: the bag runs after it)
    extra = [t for t in (offsets, per_sample) if isinstance(t, low.torch.Tensor)]
    mode = c.args[4] if len(c.args) > 4 else low.ev.kwargs.get("mode", 0)
    # its pooling (tag ``pool``): near-bank PIM units claim a sum or a mean (``embedding``)
    pool = POOLS.get(mode if isinstance(mode, int) else str(mode), str(mode))
    gather_rows(low, c.base, (table, idx), c.targets, kind="reduction",
                vec=elems * (2.0 if per_sample is not None else 1.0), extra=extra,
                tags={"pool": pool}, ids=ids)


#: ``aten._embedding_bag``'s ``mode`` (0, 1, 2; ``F.embedding_bag`` names them)
POOLS = {0: "sum", 1: "mean", 2: "max", "sum": "sum", "mean": "mean", "max": "max"}


@lowers(*GATHERS)
def param_gather(low, c: Call) -> None:
    """A gather by index (:data:`.aten.GATHERS`) of a parameter reads only what it names: the
    rows of ``W[idx]`` (:func:`gather_rows`, as ``nn.Embedding``), the elements of any other
    pattern (:func:`gather_elements`); ``x[idx]`` of an activation by row ids the same row
    gather (:func:`_activation_rows`); an activation's by several index tensors or
    ``torch.gather`` the rows they pick (:func:`pick_rows`); of anything else, a copy."""
    table = c.args[0]
    param = isinstance(table, low.torch.Tensor) and table.numel() and table.dim() and low._is_param(table)
    take = c.base == "take" and row_table(low, table)  # torch.take of an activation: its elements
    if not (param or take or _activation_rows(low, c, table)):
        if not (row_table(low, table) and pick_rows(low, c, table)):
            low.emit("copy", c.base, c.reads, c.targets)
        return
    if c.base == "gather":
        idx = [c.args[2]]
    elif c.base == "take":
        idx = [c.args[1]]
    else:
        idx = list(c.args[1])
    tensors = [i for i in idx if isinstance(i, low.torch.Tensor)]
    fake = any(_no_values(low, i) for i in tensors)
    one = c.base in ("index", "_unsafe_index") and len(tensors) == 1 and idx[0] is tensors[0]
    dtype = str(tensors[0].dtype).removeprefix("torch.") if one else ""
    if one and dtype in INDEX_DTYPES:  # row ids (a negative id counts from the end)
        i = tensors[0]
        gather_rows(low, c.base, (table, i), c.targets,
                    ids=i if fake or not bool((i < 0).any()) else i % table.shape[0])
    elif one and dtype in MASK_DTYPES and _row_mask(tensors[0], table) and not fake:
        # a mask over dim 0 picks whole rows: the rows it marks, the grain from their runs
        gather_rows(low, c.base, (table, tensors[0]), c.targets,
                    ids=tensors[0].nonzero().reshape(-1))
    else:
        gather_elements(low, c, table, idx, tensors, fake)


def _activation_rows(low, c: Call, table) -> bool:
    """Whether gather ``c`` is ``x[idx]`` of activation ``table`` by one tensor of integer row
    ids (:func:`row_table`): a row gather as a parameter's; its other gathers stay copies."""
    if c.base not in ("index", "_unsafe_index") or not row_table(low, table):
        return False
    idx = list(c.args[1])
    return (len(idx) == 1 and isinstance(idx[0], low.torch.Tensor)
            and str(idx[0].dtype).removeprefix("torch.") in INDEX_DTYPES)


def pick_rows(low, c: Call, table) -> bool:
    """Gather ``c`` of activation ``table`` (:func:`row_table`) by several index tensors
    (``points[batch_idx, idx]``, CLIP's ``h[arange(B), ids.argmax(-1)]``, a slice before the
    index: ``x[:, i]``) or by ``torch.gather`` reads the rows it picks, as ``index_select`` of
    the same rows does (:func:`_emit_rows`): a row is the block of the dimensions after the
    last indexed one (a ``gather``'s: after its ``dim``, where the index is the same along them,
    as ``idx[..., None].expand(-1, -1, C)`` is; else one element). Tags ``access_bytes`` (the mean
    run of whole lines of :data:`LINE` bytes the rows touch), ``table_bytes``, ``lookups`` (rows picked), ``rows_read`` (distinct ones;
    without index values as many as picked, at most the table's), ``table_rows`` (those its
    storage holds: a stride-0 dimension, an ``expand``'s, counts once), ``random_read_bytes``.
    The rows read are a :class:`.storage.RowRead`, whose runs of rows cut the activation into
    atoms without listing its elements (:mod:`.atoms`: a pick of 2**34 elements traces in
    well under a second). False (nothing emitted) for any other gather: integer index tensors
    only (a mask and ``_unsafe_index``, an upsampling's, stay whole-input copies; ``take`` reads
    elements, :func:`gather_elements`)."""
    torch, out = low.torch, c.targets[0]
    shape, stride, off = tuple(table.shape), tuple(table.stride()), table.storage_offset()
    if c.base == "gather":
        dim, index = c.args[1] % table.dim(), c.args[2]
        tensors, lead = [index], dim + 1
        if index.dim() != table.dim() or not _row_index(low, index, shape, lead):
            lead = table.dim()  # one element a pick
    elif c.base == "index":
        idx = list(c.args[1])
        tensors = [i for i in idx if i is not None]
        if not tensors or not all(isinstance(i, torch.Tensor) for i in tensors):
            return False
        lead = max(d for d, i in enumerate(idx) if i is not None) + 1
    else:
        return False
    if not (out.numel() and all(str(i.dtype).removeprefix("torch.") in INDEX_DTYPES for i in tensors)):
        return False
    if not low.st.known(table):
        low._source(table)
    fake = any(_no_values(low, i) for i in tensors)
    width = int(math.prod(shape[lead:]))
    # the table's rows are its storage's: a stride-0 (``expand``ed) dimension repeats the rows
    held = [(n, st) for n, st in zip(shape[:lead], stride[:lead]) if st]
    lookups, table_rows = out.numel() // width, int(math.prod(n for n, _ in held))
    if fake:  # shapes only: the picks taken to be distinct rows, as fake ids are
        starts = np.full(min(lookups, table_rows), off, dtype=np.int64)
        if held:
            first = np.unravel_index(np.arange(len(starts), dtype=np.int64), tuple(n for n, _ in held))
            for p, (_, st) in zip(first, held):
                starts += p * st
        starts = _sorted_distinct(starts)  # rows that overlap in storage (a strided view's): once
    elif c.base == "gather":
        sel = index[(slice(None),) * lead + (0,) * (index.dim() - lead)]
        starts, order = first_touch(_gather_offsets(torch, stride, off, sel, dim).reshape(-1).numpy())
    else:
        starts, order = first_touch(_advanced_offsets(torch, shape[:lead], stride[:lead], off,
                                                      idx[:lead]).reshape(-1).numpy())
    inner = offsets(0, shape[lead:], stride[lead:])
    order = None if fake else touched_lines(order, inner, table.element_size())
    step = math.gcd(*(st for st, n in zip(stride[:lead], shape[:lead]) if n > 1)) or 1
    rows = RowRead(off, (starts - off) // step, step, inner)  # row starts, in steps of ``step``
    _emit_rows(low, "copy", c.base, table, rows, tensors, c.targets, fake, lookups, table_rows,
               order=order)
    return True


def _row_index(low, index, shape, lead: int) -> bool:
    """Whether a ``gather``'s ``index`` picks whole rows of the dimensions from ``lead`` on: as
    long as the table's there and the same along them (a stride of 0, an ``expand``, or
    without it by value)."""
    if tuple(index.shape[lead:]) != shape[lead:]:
        return False
    if all(st == 0 or n == 1 for st, n in zip(index.stride()[lead:], index.shape[lead:])):
        return True
    if _no_values(low, index):
        return False
    first = index[(slice(None),) * lead + (slice(0, 1),) * (index.dim() - lead)]
    return bool((index == first).all())


#: dtypes of a mask index (``W[mask]``)
MASK_DTYPES = ("bool", "uint8")


def _row_mask(mask, table) -> bool:
    """Whether ``mask`` masks ``table``'s rows: one dimension, as long as dim 0."""
    return mask.dim() == 1 and mask.shape[0] == table.shape[0]


def _no_values(low, t) -> bool:
    from torch._subclasses.fake_tensor import is_fake

    return t.is_meta or is_fake(t)


def gather_elements(low, c: Call, table, idx, tensors, fake: bool) -> None:
    """Gather ``c`` of parameter ``table`` (or of an activation, :func:`row_table`: its
    ``torch.take``, ``index_select`` along dim 1 or later) by the index ``idx`` (``tensors``: its index tensors)
    reads the whole lines of the distinct elements it names, each run of adjacent lines one
    random access (:func:`emit_lines`). Without index
    values (fake ids) the output's elements are taken to be distinct elements of the table, as
    :func:`gather_rows` takes fake ids to be distinct rows, each its own access (one element)."""
    torch = low.torch
    if not low.st.known(table):
        low._source(table)
    out, order = c.targets[0], None
    if fake:
        offs = table.storage_offset() + np.arange(min(out.numel(), table.numel()), dtype=np.int64)
    else:
        dim = c.args[1] % table.dim() if c.base == "gather" else None
        offs, order = first_touch(_element_offsets(torch, c.base, table, idx, dim).reshape(-1).numpy())
        order = run_lines(order, table.element_size())
    # fake ids: each element its own access (one element, its line), as many as the output's
    emit_lines(low, "copy", c.base, table, low.st.units_at(table, offs), tensors, c.targets,
               spread=len(offs) if fake else None, one=low.st.units_at(table, offs[:1]), order=order)


def _element_offsets(torch, base: str, table, idx, dim=None):
    """Storage offsets (in ``table``'s elements) of the elements gather ``base`` reads (``dim``:
    a ``gather``'s)."""
    shape, stride = tuple(table.shape), tuple(table.stride())
    if base == "take":  # flat indices into the row-major order, counted from the end if < 0
        flat, offs = idx[0].reshape(-1) % table.numel(), torch.zeros(idx[0].numel(), dtype=torch.int64)
        for size, st in zip(reversed(shape), reversed(stride)):
            offs, flat = offs + flat % size * st, flat // size
        return offs + table.storage_offset()
    if base == "gather":
        return _gather_offsets(torch, stride, table.storage_offset(), idx[0], dim)
    return _advanced_offsets(torch, shape, stride, table.storage_offset(), idx)


def _gather_offsets(torch, stride, off: int, index, dim: int):
    """Storage offsets of ``torch.gather(table, dim, index)``'s elements (``table``'s
    ``stride``, storage offset ``off``): out[i][j][k] = table[i][index[i][j][k]][k] (dim 1)."""
    offs = index.to(torch.int64) * stride[dim]
    for d in range(index.dim()):
        if d != dim:
            view = [1] * index.dim()
            view[d] = index.shape[d]
            offs = offs + (torch.arange(index.shape[d]) * stride[d]).view(view)
    return offs + off


def _advanced_offsets(torch, shape, stride, off: int, idx):
    """Storage offsets of ``table[idx]`` (advanced indexing, None a whole dimension) of a table
    of ``shape`` and ``stride`` at storage offset ``off``: each dimension's offsets, expanded
    (free) to the table's shape, indexed."""
    key = tuple(slice(None) if i is None else i for i in idx)
    offs = torch.full((), off, dtype=torch.int64)
    for d, (size, st) in enumerate(zip(shape, stride)):
        view = [1] * len(shape)
        view[d] = size
        offs = offs + (torch.arange(size, dtype=torch.int64) * st).view(view).expand(shape)[key]
    return offs
