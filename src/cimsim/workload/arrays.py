"""A workload's ops as flat NumPy columns (:class:`~cimsim.workload.oparrays.OpArrays`, what
the cost kernels and engines read), computed from its columns.

Computed once per workload (``Workload.arrays``) and shared by every
architecture it is placed on.
"""

from __future__ import annotations

import numpy as np

from ..dtypes import DTYPES, TENSOR_DTYPES, matmul_dtype
from .kinds import (  # noqa: F401  (KIND_CODES, dtype_bytes_of re-exported for mapping/)
    ELEMENTWISE,
    ELEMENTWISE_OPS_PER_ELEMENT,
    KIND_CODES,
    KIND_OPS_BY_CODE,
    KIND_OPS_PER_ELEMENT,
    MATMUL,
    REDUCTION,
    ROLE_INPUT,
    ROLE_WEIGHT,
    dtype_bytes_of,
)
from .llm_meta import op_iterations
from .returned import returned_column, returned_mask
from . import orientation
from .tags import show
from .randomtags import RANDOM_TAGS, _random_columns, _random_reference, lookup_column, lookup_reference  # noqa: F401
from .oparrays import EPILOGUE_CODES, OpArrays, recasts, untagged_epilogue  # noqa: F401  (re-exported: defined here before)

OpArrays.kind_codes = KIND_CODES  # the kind table, for components (oparrays imports none)
OpArrays.compute_dtypes = DTYPES  # the dtypes a component may claim a MAC op in
#: [code of A, code of B] -> code of the dtype the matmul computes in (:func:`matmul_dtype`)
_MATMUL_CODES = np.array([[TENSOR_DTYPES.index(matmul_dtype(a, b)) for b in TENSOR_DTYPES]
                          for a in TENSOR_DTYPES], dtype=np.int64)


def _num_tag(tags, key: str, n: int, default: float) -> np.ndarray | None:
    """float64 values of the numeric tag ``key`` per op (``default`` where an op lacks it or
    its value is not a number); None when no op has the key."""
    col = tags.columns.get(key)
    if col is None:
        return None
    has = np.array([key in o for o in tags.orders], dtype=bool)[np.asarray(tags.order_code)]
    vals = (col[1].astype(np.float64) if col[0] == "int"
            else np.array([float(v) if isinstance(v, (int, float)) and not isinstance(v, bool)
                           else default for v in col[2]] + [default])[col[1]])
    return np.where(has, vals, default)


def _tag_columns(tags, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(window_elems, im2col, backward)`` from the workload's tag columns (tag ``part``:
    ``im2col``, ``backward``; ``backward`` None when no op states it)."""
    win, im2col, backward = np.zeros(n), np.zeros(n, dtype=bool), None
    if n == 0:
        return win, im2col, backward
    w = _num_tag(tags, "window_elems", n, 0.0)
    if w is not None:
        win = w
    im2col, backward = _parts(tags, n, "im2col"), _parts(tags, n, "backward")
    return win, im2col, backward if backward.any() else None


def _parts(tags, n: int, *values: str) -> np.ndarray:
    """bool per op: its tag ``part`` is one of ``values``."""
    col = tags.columns.get("part")
    if n == 0 or col is None or col[0] != "json":
        return np.zeros(n, dtype=bool)
    has = np.array(["part" in o for o in tags.orders], dtype=bool)[np.asarray(tags.order_code)]
    return has & (np.array([v in values for v in col[2]] + [False])[col[1]])


def _non_numeric(tags, key: str) -> tuple[int, object] | None:
    """``(op, value)`` of the first op whose tag ``key`` is not a number (a string, a bool,
    null), or None."""
    col = tags.columns.get(key)
    if col is None or col[0] == "int":
        return None
    has = np.array([key in o for o in tags.orders], dtype=bool)[np.asarray(tags.order_code)]
    bad = np.array([not isinstance(v, (int, float)) or isinstance(v, bool) for v in col[2]] + [False])
    hit = np.flatnonzero(has & bad[col[1]])
    return (int(hit[0]), col[2][col[1][hit[0]]]) if len(hit) else None


def check_pattern_tags(workload) -> None:
    """The access-pattern tags' values (:func:`_pattern_columns`), checked when a file is read,
    so that its error names the file (the columns themselves are built on first use)."""
    c = workload.columns
    out = None
    if c.n_ops and "store_bytes" in c.tags.columns:
        nbytes = workload.tensor_nbytes.astype(np.float64)
        kept = on_chip_tensors(workload)
        if kept is not None:
            nbytes[kept] = 0.0
        out = _act_bytes(c, nbytes, c.tensor_role == ROLE_WEIGHT)[1]
    size = _pattern_columns(c.tags, c.n_ops, c.op_names, workload.name, out)[0]
    _random_columns(c.tags, c.n_ops, c.op_names, workload.name, size)


def _pattern_columns(tags, n: int, names, workload: str, out_bytes=None) -> tuple[np.ndarray | None, ...]:
    """``(access_bytes, read_fraction, store_bytes)`` from the tags of the same names (None
    when no op states one: every op streams, stores nothing; read_fraction NaN where an op
    states none: its read share comes from the cost table, per resource). A value that is not
    a number, an access of under a byte, or a store of more than the op's outputs
    (``out_bytes``) is refused."""
    if n == 0:
        return None, None, None
    from ..errors import WorkloadError

    for key in ("access_bytes", "read_fraction", "store_bytes", *RANDOM_TAGS, "table_bytes"):
        bad = _non_numeric(tags, key)
        if bad is not None:
            raise WorkloadError(f"workload '{workload}': op '{names[bad[0]]}' (#{bad[0]}): tag {key} = {show(bad[1])} "
                                "is not a number; it must be a number (bytes, or a fraction for "
                                "read_fraction)")
    size = _num_tag(tags, "access_bytes", n, 0.0)
    reads = _num_tag(tags, "read_fraction", n, np.nan)
    store = _num_tag(tags, "store_bytes", n, 0.0)
    for col, key, ok, allowed in ((size, "access_bytes", lambda a: (a == 0) | (a >= 1),
                                   "0 (streaming) or at least 1 byte"),
                                  (reads, "read_fraction", lambda a: np.isnan(a) | ((a >= 0) & (a <= 1)),
                                   "in [0, 1]"),
                                  (store, "store_bytes", lambda a: a >= 0, ">= 0 bytes")):
        if col is not None and not ok(col).all():
            i = int(np.flatnonzero(~ok(col))[0])
            raise WorkloadError(f"workload '{workload}': op '{names[i]}' (#{i}): tag {key} = {show(col[i])} is not allowed; "
                                f"it must be {allowed}")
    if store is not None and out_bytes is not None and (store > out_bytes).any():
        i = int(np.flatnonzero(store > out_bytes)[0])
        raise WorkloadError(f"workload '{workload}': op '{names[i]}' (#{i}): tag store_bytes = {show(store[i])} is "
                            f"more than the op writes ({show(out_bytes[i])} bytes of outputs); it must be at "
                            "most its output bytes (the rows it appends to a cache)")
    return size, reads, store


def on_chip_tensors(workload) -> np.ndarray | None:
    """bool by tensor id: the outputs of ops tagged ``on_chip`` (1: a fused kernel's
    intermediate, e.g. FlashAttention's scores, passed to the next op of the kernel in
    registers and shared memory, never written to a memory level), which the op and its
    readers move at 0 bytes (placement gives back the bytes of those that pass between
    components: :func:`crossing_on_chip`); None when no op states the tag. A value other than
    0 or 1 is refused, and so is the tag on an op with a model output: one no op reads, or one
    the model returns (``metadata['outputs']``, which its caller holds in memory)."""
    c = workload.columns
    col = _num_tag(c.tags, "on_chip", c.n_ops, 0.0) if c.n_ops else None
    if col is None:
        return None
    bad = _non_numeric(c.tags, "on_chip")
    if bad is None and not np.isin(col, (0.0, 1.0)).all():
        i = int(np.flatnonzero(~np.isin(col, (0.0, 1.0)))[0])
        bad = (i, float(col[i]) if col[i] != int(col[i]) else int(col[i]))
    if bad is not None:
        from ..errors import WorkloadError

        raise WorkloadError(f"workload '{workload.name}': op '{c.op_names[bad[0]]}': tag on_chip = "
                            f"{bad[1]!r} is not allowed; it must be 0 or 1 (1: its outputs stay on "
                            "chip, a fused kernel's intermediates)")
    kept = np.zeros(c.n_tensors, dtype=bool)
    kept[c.out_ids[np.repeat(col > 0, np.diff(c.out_ptr))]] = True
    read = np.zeros(c.n_tensors, dtype=bool)
    read[c.in_ids] = True
    ret = returned_mask(workload)
    if (kept & (~read | ret)).any():  # a model output: its write and its footprint would vanish
        from ..errors import WorkloadError

        t = int(np.flatnonzero(kept & (~read | ret))[0])
        op = int(np.repeat(np.arange(c.n_ops), np.diff(c.out_ptr))[np.flatnonzero(c.out_ids == t)[0]])
        why = "is listed in metadata.outputs" if ret[t] else "is read by no op"
        raise WorkloadError(f"workload '{workload.name}': op '{c.op_names[op]}': tag on_chip = 1 but "
                            f"its output '{c.tensor_names[t]}' {why} (a model output), which its "
                            "caller holds in memory; on_chip is for a fused kernel's intermediates: "
                            "drop the tag")
    return kept


def crossing_on_chip(workload, ops: OpArrays, owner: np.ndarray) -> np.ndarray:
    """int64 ids of the tensors kept on chip (:func:`on_chip_tensors`) that an op on another
    component than their producer reads (``owner``: each op's component): they cannot stay in
    one unit's registers, so they move their bytes like any other activation."""
    kept = on_chip_tensors(workload)
    if kept is None or ops.act_ids is None or not len(ops.act_ids):
        return np.zeros(0, dtype=np.int64)
    reader = ops.act_readers()
    prod = ops.producer[ops.act_ids]
    sel = kept[ops.act_ids] & (prod >= 0)
    apart = sel.copy()
    apart[sel] = owner[reader[sel]] != owner[prod[sel]]
    return np.unique(ops.act_ids[apart])


def with_bytes_of(workload, ops: OpArrays, tensors: np.ndarray) -> OpArrays:
    """``ops`` with ``tensors`` (ids) at their full bytes again (an on_chip tensor that
    crosses units, :func:`crossing_on_chip`): the tensor bytes and the per-op activation
    bytes recomputed as :func:`op_arrays` computes them."""
    import dataclasses

    nbytes = ops.tensor_bytes.copy()
    nbytes[tensors] = workload.tensor_nbytes[tensors]
    c = workload.columns
    ain, aout = _act_bytes(c, nbytes, c.tensor_role == ROLE_WEIGHT)
    return dataclasses.replace(ops, tensor_bytes=nbytes, act_in_bytes=ain, act_out_bytes=aout)


def _act_bytes(c, nbytes: np.ndarray, is_weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float64 per op: bytes of its non-weight inputs and of its outputs (columns ``c``)."""
    no = c.n_ops
    w_entry = is_weight[c.in_ids]
    op_in = np.repeat(np.arange(no, dtype=np.int64), np.diff(c.in_ptr))
    op_out = np.repeat(np.arange(no, dtype=np.int64), np.diff(c.out_ptr))
    return (_sums(op_in[~w_entry], nbytes[c.in_ids[~w_entry]], no),
            _sums(op_out, nbytes[c.out_ids], no))


def op_arrays(workload) -> OpArrays:
    """The columns of ``workload`` (a :class:`~cimsim.workload.ir.Workload`), vectorised."""
    c = workload.columns
    no = c.n_ops
    numel = workload.tensor_numel
    nbytes = workload.tensor_nbytes.astype(np.float64)
    kept = on_chip_tensors(workload)
    if kept is not None:  # a fused kernel's intermediates: no bytes anywhere (tag on_chip)
        nbytes[kept] = 0.0
    is_weight = c.tensor_role == ROLE_WEIGHT
    kind = c.kind.astype(np.int64)
    codes = c.tensor_dtype[c.out_ids[c.out_ptr[:-1]]].astype(np.int64)  # an op's output's dtype
    # a matmul's: what its two operands multiply as (:func:`matmul_dtype`), not what it writes
    two = (kind == MATMUL) & (np.diff(c.in_ptr) == 2)
    starts = c.in_ptr[:-1][two]
    codes[two] = _MATMUL_CODES[c.tensor_dtype[c.in_ids[starts]], c.tensor_dtype[c.in_ids[starts + 1]]]
    dtype = _dtype_names(codes) if no else np.zeros(0, dtype=str)
    op_in = np.repeat(np.arange(no, dtype=np.int64), np.diff(c.in_ptr))
    op_out = np.repeat(np.arange(no, dtype=np.int64), np.diff(c.out_ptr))
    i_entry = c.tensor_role[c.in_ids] == ROLE_INPUT
    iptr = np.zeros(no + 1, dtype=np.int64)
    np.cumsum(np.bincount(op_in[i_entry], minlength=no), out=iptr[1:])
    w_entry = is_weight[c.in_ids]
    wids = c.in_ids[w_entry]
    wptr = np.zeros(no + 1, dtype=np.int64)
    np.cumsum(np.bincount(op_in[w_entry], minlength=no), out=wptr[1:])
    # bincount adds each op's entries in order, as a running sum would
    aptr = wptr.copy()
    np.cumsum(np.bincount(op_in[~w_entry], minlength=no), out=aptr[1:])
    wb = _sums(op_in[w_entry], nbytes[wids], no)
    ain, aout = _act_bytes(c, nbytes, is_weight)
    mm = kind == MATMUL
    zero = np.zeros(no)
    macs = np.where(mm, c.batch * c.m * c.k * c.n, c.generic_macs).astype(np.float64)
    rows = np.where(mm, c.batch * c.m, 0).astype(np.float64)
    batch = np.where(mm, c.batch, 1).astype(np.float64)
    kk = np.where(mm, c.k, 0).astype(np.float64)
    nn = np.where(mm, c.n, 0).astype(np.float64)
    stationary = np.where(mm, c.weight, -1).astype(np.int64)
    out_elems = _sums(op_out, numel[c.out_ids], no)
    in_elems = _sums(op_in, numel[c.in_ids], no)
    ope = c.ops_per_element
    given = ~np.isnan(ope)
    fn_ops = np.array([ELEMENTWISE_OPS_PER_ELEMENT.get(f, np.nan) for f in c.fn_vocab] + [np.nan])
    per = np.where(given, ope, np.where(kind == ELEMENTWISE, fn_ops[c.fn],
                                        KIND_OPS_BY_CODE[np.clip(kind, 0, len(KIND_OPS_BY_CODE) - 1)]))
    elems = np.where(~given & (kind == REDUCTION), in_elems, out_elems)
    vec = np.where(mm, zero, per * elems)
    win, im2col, backward = _tag_columns(c.tags, no)
    size, reads, store = _pattern_columns(c.tags, no, c.op_names, workload.name, aout)
    from .activity import activity_columns

    # a tensor's row: its bytes over its first dimension (2-D and up), else all of it
    nd = np.diff(c.shape_ptr)
    first, nd2 = np.ones(c.n_tensors), nd >= 2
    first[nd2] = c.shape_dims[c.shape_ptr[:-1][nd2]]
    wrow = np.zeros(no)
    has = stationary >= 0
    wrow[has] = nbytes[stationary[has]] / first[stationary[has]]
    dim1, nd3 = np.zeros(c.n_tensors, dtype=np.int64), nd >= 3  # a tensor's second dimension, its channels (0 under 3-D)
    dim1[nd3] = c.shape_dims[c.shape_ptr[:-1][nd3] + 1]
    return OpArrays(kind, dtype, macs, vec, rows, batch, kk, nn, wb, ain, aout, stationary, wptr,
                    wids.astype(np.int64), nbytes, c.tensor_names, iptr,
                    c.in_ids[i_entry].astype(np.int64), win, im2col, size, reads, store,
                    activity=activity_columns(c.tags, no, c.op_names, workload.name),
                    weight_row_bytes=wrow, serial_ops=_serial_column(c.tags, no, c.op_names, workload.name),
                    chain_ops=_serial_column(c.tags, no, c.op_names, workload.name, "chain_ops"),
                    **{t: _serial_column(c.tags, no, c.op_names, workload.name, t) for t in ("host_syncs", "dispatches")},
                    stage=_stages(workload), launch=_launch_column(c.tags, no),
                    unread_matrices=unread_matrices(workload.metadata), returned=returned_column(workload),
                    producer=np.where(workload._first_producer < no, workload._first_producer, -1),
                    act_ptr=aptr, act_ids=c.in_ids[~w_entry].astype(np.int64),
                    first_out=c.out_ids[c.out_ptr[:-1]].astype(np.int64) if no else np.zeros(0, np.int64),
                    backward=backward, gather_pool=_gather_pools(c.tags, no, kind),
                    **_cache_roots(workload), encoder_decoder=_encoder_decoder(workload),
                    epilogue=(epi := epilogue_column(_json_tag(c.tags, "epilogue", no), kind == ELEMENTWISE,
                                                     c.op_names, workload.name)),
                    untagged_epilogue=None if epi is not None else untagged_epilogue(
                        np.array(list(c.fn_vocab) + [""], dtype=object)[c.fn], kind == ELEMENTWISE,
                        np.diff(wptr), epi),
                    iteration=op_iterations(workload.metadata, no),
                    recast=recasts(kind == KIND_CODES["copy"], c.in_ptr, c.in_ids, c.out_ptr, c.out_ids,
                                   numel, c.tensor_dtype), tensor_dtype=_dtype_names(c.tensor_dtype.astype(np.int64)),
                    depthwise=None if (dw := _num_tag(c.tags, "depthwise", no, 0.0)) is None or not dw.any() else dw > 0,
                    weight_transposed=orientation.column(_num_tag(c.tags, "weight_transposed", no, np.nan),
                                                         _non_numeric(c.tags, "weight_transposed"), stationary,
                                                         c.op_names, workload.name),
                    **dict(zip(("random_read_bytes", "random_write_bytes", "table_bytes"),
                               _random_columns(c.tags, no, c.op_names, workload.name, size)),
                    lookup_bytes=lookup_column(c.tags, no))
                    ).derive_depthwise(_parts(c.tags, no, "conv", "conv_dw"), dim1)


def _json_tag(tags, key: str, n: int) -> np.ndarray:
    """The values of tag ``key`` per op, as text ('' where an op states none)."""
    col = tags.columns.get(key)
    if col is None or n == 0:
        return np.full(n, "", dtype=object)
    has = np.array([key in o for o in tags.orders], dtype=bool)[np.asarray(tags.order_code)]
    vals = (np.asarray(col[1]).astype(str).astype(object) if col[0] == "int"
            else np.array([str(v) for v in col[2]] + [""], dtype=object)[col[1]])
    return np.where(has, vals, "")


def epilogue_column(values: np.ndarray, elementwise: np.ndarray, names, workload: str) -> np.ndarray | None:
    """The ``epilogue`` tag per op (its text, '' where absent) as :data:`EPILOGUE_CODES` bits
    (0 where absent; None when no op states one); a value not among them, or on an op that is
    not elementwise, is refused."""
    from ..errors import WorkloadError

    has = values != ""
    if not has.any():
        return None
    codes = np.array([EPILOGUE_CODES.get(v, -1) for v in values], dtype=np.int64)
    bad = np.flatnonzero(has & ((codes < 0) | ~elementwise))
    if len(bad):
        i = int(bad[0])
        raise WorkloadError(f"workload '{workload}': op '{names[i]}' (#{i}): tag epilogue = {values[i]!r} is "
                            f"not allowed; it must be one of {', '.join(EPILOGUE_CODES)}, on an "
                            "elementwise op (what a near-memory datapath applies to a matmul's outputs)")
    return np.where(has, codes, 0)


def _gather_pools(tags, n: int, kind: np.ndarray) -> np.ndarray | None:
    """Per op, the pooling of a row gather that reduces (kind ``reduction``, tag ``part:
    gather``: an embedding bag): its tag ``pool`` (``sum``, ``mean``, ``max``), ``?`` where
    it states none; ``scatter`` for an index accumulation (tag ``pool: scatter``: a GNN's
    ``index_add``); '' for every other op. None when no op is one."""
    if n == 0:
        return None
    pool = _json_tag(tags, "pool", n)
    bag = ((_json_tag(tags, "part", n) == "gather") | (pool == "scatter")) & (kind == REDUCTION)
    if not bag.any():
        return None
    return np.where(bag, np.where(pool == "", "?", pool), "").astype(object)


def unread_matrices(metadata) -> np.ndarray | None:
    """k x n of the matrices of parameters a traced forward never read (entries of
    ``metadata['unread_parameters']`` with a ``matrix``: :mod:`cimsim.workload.trace.unread`);
    None when there are none (an entry not of two whole numbers >= 1 is not one)."""
    entries = metadata.get("unread_parameters") if hasattr(metadata, "get") else None
    if not isinstance(entries, list):
        return None
    kn = [e["matrix"] for e in entries if isinstance(e, dict) and isinstance(e.get("matrix"), list)
          and len(e["matrix"]) == 2 and all(type(x) is int and x >= 1 for x in e["matrix"])]
    return np.array(kn, dtype=np.float64) if kn else None


def _encoder_decoder(workload) -> bool:
    """One decoder step of an ``hf:`` encoder-decoder: what its factory said it built
    (:func:`cimsim.zoo.hf_seq2seq`: "one decoder step ... a cross-attention cache")."""
    zoo = workload.metadata.get("zoo")
    return isinstance(zoo, dict) and "cross-attention cache" in str(zoo.get("built", ""))


def _cache_roots(workload) -> dict:
    """``cache_root`` and ``input_root``: per tensor, the KV cache and the model input it is or
    copies (:func:`.footprint.cache_roots`, :func:`.footprint.input_roots`)."""
    from .footprint import cache_roots, input_roots

    roots = input_roots(workload)
    return {"cache_root": cache_roots(workload, roots), "input_root": roots}


def _stages(workload) -> np.ndarray | None:
    """Each op's pipeline stage of a pipeline-parallel serving run; None for any other."""
    from .footprint import pipeline_of, pipeline_stage_of_ops

    pipe = pipeline_of(workload)
    return None if pipe is None else pipeline_stage_of_ops(workload, pipe[0]).astype(np.int64)


def _serial_column(tags, n: int, names, workload: str, tag: str = "serial_ops") -> np.ndarray | None:
    """The ``serial_ops`` (or ``chain_ops``) tag per op (0 where absent; None when no op states
    it); a value that is not a number >= 0 is refused."""
    from ..errors import WorkloadError

    bad = _non_numeric(tags, tag) if n else None
    col = _num_tag(tags, tag, n, float(tag == "dispatches")) if n else None  # an op is one dispatch
    if bad is None and col is not None and not (np.isfinite(col) & (col >= 0)).all():
        i = int(np.flatnonzero(~(np.isfinite(col) & (col >= 0)))[0])
        bad = (i, col[i])
    if bad is not None:
        raise WorkloadError(f"workload '{workload}': op '{names[bad[0]]}' (#{bad[0]}): tag {tag} = {show(bad[1])} "
                            "is not allowed; it must be a number >= 0 ("
                            + {"chain_ops": "dependent ops on a path)", "host_syncs": "host value reads)",
                               "dispatches": "torch calls)"}.get(
                                tag, "operations one after another per element)"))
    return col


def _launch_column(tags, n: int) -> np.ndarray | None:
    """The ``launch`` tag per op as group numbers in order of first appearance (-1 where
    absent; None when no op states one); any JSON value names a group, numbers by value (a
    whole float is its integer: ``1`` and ``1.0`` are one group)."""
    col = tags.columns.get("launch")
    if col is None or n == 0:
        return None
    has = np.array(["launch" in o for o in tags.orders], dtype=bool)[np.asarray(tags.order_code)]
    codes = np.asarray(col[1], dtype=np.int64)
    if col[0] == "json":
        import json

        keys = [json.dumps(_whole(v), sort_keys=True) for v in col[2]]
        canon = {k: j for j, k in reversed(list(enumerate(keys)))}
        remap = np.array([canon[k] for k in keys] + [len(keys)], dtype=np.int64)
        codes = remap[codes]
    return first_appearance(codes, has)


def _whole(v):
    """A launch value with each whole float as its integer (``1.0`` -> ``1``), in lists too."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, list):
        return [_whole(x) for x in v]
    if isinstance(v, dict):
        return {k: _whole(x) for k, x in v.items()}
    return v


def first_appearance(codes: np.ndarray, has: np.ndarray) -> np.ndarray:
    """``codes`` renumbered 0, 1, ... in order of first appearance where ``has``, -1 elsewhere."""
    out = np.full(len(codes), -1, dtype=np.int64)
    sel = np.flatnonzero(has)
    if len(sel):
        uniq, first, inv = np.unique(codes[sel], return_index=True, return_inverse=True)
        rank = np.empty(len(uniq), dtype=np.int64)
        rank[np.argsort(first, kind="stable")] = np.arange(len(uniq))
        out[sel] = rank[inv]
    return out


def _dtype_names(codes: np.ndarray) -> np.ndarray:
    """dtype names of ``codes``, a str array as wide as its longest name (``<U4`` for fp32)."""
    used = np.bincount(codes.astype(np.intp), minlength=len(TENSOR_DTYPES)) > 0
    return np.array([d if u else "" for d, u in zip(TENSOR_DTYPES, used)])[codes]


def _sums(owner: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """float64 sum of ``values`` per owner index (bincount gives int64 when empty)."""
    # copy=False: no copy of the (already float64) weights and sums on million-op workloads
    return np.bincount(owner, weights=values.astype(np.float64, copy=False),
                       minlength=n).astype(np.float64, copy=False)


def op_arrays_reference(workload) -> OpArrays:
    """Reference for :func:`op_arrays`: one Python loop over ``workload.ops`` (the
    pre-columnar code). The tests hold the vectorised version to it, field by field."""
    names = tuple(workload.tensors)
    tid = {name: i for i, name in enumerate(names)}
    tensors = list(workload.tensors.values())
    nbytes = np.array([t.nbytes for t in tensors], dtype=np.float64)
    for op in workload.ops:  # a fused kernel's intermediates (tag on_chip): no bytes
        if op.tags.get("on_chip"):
            nbytes[[tid[t] for t in op.outputs]] = 0.0
    numel = [t.numel for t in tensors]
    is_weight = [t.role == "weight" for t in tensors]
    is_input = [t.role == "input" for t in tensors]
    dtypes = [t.dtype for t in tensors]
    n = len(workload.ops)
    kind = np.zeros(n, dtype=np.int64)
    dtype = np.empty(n, dtype=object)
    macs, vec, rows, kk, nn, wb, ain, aout = (np.zeros(n) for _ in range(8))
    batch = np.ones(n)
    stationary = np.full(n, -1, dtype=np.int64)
    wrow = np.zeros(n)
    wptr = np.zeros(n + 1, dtype=np.int64)
    wids: list[int] = []
    iptr = np.zeros(n + 1, dtype=np.int64)
    iids: list[int] = []
    aptr = np.zeros(n + 1, dtype=np.int64)
    aids: list[int] = []
    producer = np.full(len(names), -1, dtype=np.int64)
    for i, op in enumerate(workload.ops):
        ins = [tid[t] for t in op.inputs]
        outs = [tid[t] for t in op.outputs]
        for t in outs:
            if producer[t] < 0:
                producer[t] = i
        aids.extend(t for t in ins if not is_weight[t])
        aptr[i + 1] = len(aids)
        kind[i] = KIND_CODES[op.kind]
        dtype[i] = matmul_dtype(*(dtypes[t] for t in ins)) if op.kind == "matmul" and len(ins) == 2 \
            else dtypes[outs[0]]
        w_in = [t for t in ins if is_weight[t]]
        wids.extend(w_in)
        wptr[i + 1] = len(wids)
        iids.extend(t for t in ins if is_input[t])
        iptr[i + 1] = len(iids)
        wb[i] = sum(nbytes[t] for t in w_in)
        ain[i] = sum(nbytes[t] for t in ins if not is_weight[t])
        aout[i] = sum(nbytes[t] for t in outs)
        if op.kind == "matmul":
            macs[i] = op.batch * op.m * op.k * op.n
            rows[i], kk[i], nn[i], batch[i] = op.batch * op.m, op.k, op.n, op.batch
            if op.weight is not None:
                stationary[i] = tid[op.weight]
                shape = workload.tensors[op.weight].shape
                wrow[i] = nbytes[tid[op.weight]] / shape[0] if len(shape) >= 2 else nbytes[tid[op.weight]]
            continue
        macs[i] = op.generic_macs
        out_elems = sum(numel[t] for t in outs)
        if op.ops_per_element is not None:
            vec[i] = op.ops_per_element * out_elems
        elif op.kind == "elementwise":
            vec[i] = ELEMENTWISE_OPS_PER_ELEMENT[op.fn] * out_elems
        elif op.kind == "reduction":
            vec[i] = KIND_OPS_PER_ELEMENT["reduction"] * sum(numel[t] for t in ins)
        else:
            vec[i] = KIND_OPS_PER_ELEMENT[op.kind] * out_elems
    return OpArrays(kind, dtype.astype(str) if n else np.zeros(0, dtype=str), macs, vec, rows, batch, kk,
                    nn, wb, ain, aout, stationary, wptr, np.asarray(wids, dtype=np.int64), nbytes,
                    names, iptr, np.asarray(iids, dtype=np.int64),
                    np.array([float(op.tags.get("window_elems", 0) or 0) for op in workload.ops]),
                    np.array([op.tags.get("part") == "im2col" for op in workload.ops], dtype=bool),
                    *_pattern_reference(workload.ops), activity=_activity_reference(workload.ops), weight_row_bytes=wrow,
                    serial_ops=(np.array([float(op.tags.get("serial_ops", 0.0)) for op in workload.ops])
                                if any("serial_ops" in op.tags for op in workload.ops) else None),
                    chain_ops=(np.array([float(op.tags.get("chain_ops", 0.0)) for op in workload.ops])
                               if any("chain_ops" in op.tags for op in workload.ops) else None),
                    **{t: (np.array([float(op.tags.get(t, float(t == "dispatches"))) for op in workload.ops])
                           if any(t in op.tags for op in workload.ops) else None) for t in ("host_syncs", "dispatches")},
                    stage=_stages(workload), launch=_launch_reference(workload.ops),
                    unread_matrices=unread_matrices(workload.metadata), returned=returned_column(workload),
                    producer=producer, act_ptr=aptr, act_ids=np.asarray(aids, dtype=np.int64),
                    first_out=np.array([tid[op.outputs[0]] for op in workload.ops], dtype=np.int64),
                    backward=(back if (back := np.array([op.tags.get("part") == "backward"
                                                         for op in workload.ops], dtype=bool)).any()
                              else None),
                    gather_pool=(pool if (pool := np.array(
                        [str(op.tags.get("pool", "?")) if op.kind == "reduction"
                         and (op.tags.get("part") == "gather" or op.tags.get("pool") == "scatter")
                         else "" for op in workload.ops],
                        dtype=object)).astype(bool).any() else None),
                    **_cache_roots(workload), encoder_decoder=_encoder_decoder(workload),
                    epilogue=(epi := epilogue_column(
                        np.array([str(op.tags["epilogue"]) if "epilogue" in op.tags else ""
                                  for op in workload.ops], dtype=object),
                        kind == ELEMENTWISE, [op.name for op in workload.ops], workload.name)),
                    untagged_epilogue=None if epi is not None else untagged_epilogue(
                        np.array([op.fn or "" for op in workload.ops], dtype=object),
                        kind == ELEMENTWISE, np.diff(wptr), epi),
                    iteration=op_iterations(workload.metadata, len(workload.ops)), tensor_dtype=np.asarray(dtypes, dtype=str),
                    recast=(rc if (rc := np.array([op.kind == "copy" and len(op.inputs) == len(op.outputs) == 1
                                                  and numel[tid[op.inputs[0]]] == numel[tid[op.outputs[0]]]
                                                  and dtypes[tid[op.inputs[0]]] != dtypes[tid[op.outputs[0]]]
                                                  for op in workload.ops], dtype=bool)).any() else None),
                    depthwise=(dw if (dw := np.array([bool(op.tags.get("depthwise")) for op in workload.ops],
                                                     dtype=bool)).any() else None),
                    weight_transposed=orientation.reference(workload.ops, stationary, workload.name),
                    **dict(zip(("random_read_bytes", "random_write_bytes", "table_bytes"),
                               _random_reference(workload.ops)),
                    lookup_bytes=lookup_reference(workload.ops))
                    ).derive_depthwise(np.array([op.tags.get("part") in ("conv", "conv_dw") for op in workload.ops],
                                                dtype=bool),
                                       np.array([t.shape[1] if len(t.shape) >= 3 else 0 for t in tensors]))


def _launch_reference(ops) -> np.ndarray | None:
    """:func:`_launch_column`, op by op: a group per distinct JSON value, numbered in order."""
    import json
    if not any("launch" in op.tags for op in ops):
        return None
    seen: dict[str, int] = {}
    return np.array([seen.setdefault(json.dumps(op.tags["launch"], sort_keys=True), len(seen))
                     if "launch" in op.tags else -1 for op in ops], dtype=np.int64)


def _activity_reference(ops):
    from .activity import activity_reference
    return activity_reference(ops)


def _pattern_reference(ops) -> tuple[np.ndarray | None, ...]:
    """``(access_bytes, read_fraction, store_bytes)`` of :func:`op_arrays_reference`, op by op."""
    out = []
    for key, default in (("access_bytes", 0.0), ("read_fraction", np.nan), ("store_bytes", 0.0)):
        if not any(key in op.tags for op in ops):
            out.append(None)
            continue
        v = [op.tags.get(key, default) for op in ops]
        out.append(np.array([float(x) if isinstance(x, (int, float)) and not isinstance(x, bool)
                             else default for x in v]))
    return tuple(out)
