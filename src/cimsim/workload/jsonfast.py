"""Reading a workload JSON in the exact layout :func:`~cimsim.workload.io.save_workload`
writes, straight from the file's bytes into the columns (no Python object per op).

The writer is byte-deterministic: no whitespace, keys in a fixed order, strings
ASCII (``ensure_ascii``), a matmul's ``m, k, n, batch[, weight]`` together, the
optional keys only when set. A numba-compiled scanner (:mod:`.jsonscan`) walks the ``tensors`` and
``ops`` lists once, checking every byte against that layout, a subset of JSON's
grammar: strings without escapes, control or non-ASCII characters, non-negative
integers of at most 18 digits (below 2**62: they fit the int64 columns),
``ops_per_element`` a non-negative JSON number, tag values integers or strings.
Tensor names go into a hash table (exact byte comparison on equal hashes) that
resolves every reference; repeated strings (kinds, dtypes, roles, fns,
``ops_per_element`` texts, tag keys and string values) are numbered by first
appearance. A file that passes means exactly what ``json.loads`` says it means;
the columns are then validated by the same
:meth:`~cimsim.workload.ir.Workload.from_columns` as every other workload.

Anything else (whitespace, another key order, an escape in a string, a float
dimension, a nested or float tag, a repeated tag key, an undeclared or repeated
tensor name, any validation error) returns None: the caller then reads the file
the generic way, which gives the same workload or words the error as before.
"""

from __future__ import annotations

import json
import math

import numpy as np

from ..errors import WorkloadError
from .columns import StringTable, TagColumns
from .ir import Workload, WorkloadColumns
from .jsonscan import LIT, LIT_PTR, count_bytes, gather, new_table, scan_ops, scan_tensors
from .kinds import DTYPE_CODES, KIND_CODES, ROLE_CODES

_HEAD = b'{"format":"cimsim-workload","version":1,'
_TENSORS = b',"tensors":['
_OPS = b'],"ops":['

# --------------------------------------------------------------------------- columns
class _Other(Exception):
    """Not in the layout read here (the generic reader takes the file)."""


def _strings(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> StringTable:
    offsets = np.zeros(len(starts) + 1, dtype=np.int64)
    np.cumsum(ends - starts, out=offsets[1:])
    blob = np.empty(int(offsets[-1]), dtype=np.uint8)
    gather(buf, starts, ends, offsets, blob)
    return StringTable(blob, offsets)


def _vocab(raw: bytes, voc, codes: dict | None = None) -> list:
    """The strings of an intern table, in their numbering (mapped through ``codes``)."""
    n = int(voc[3][0])
    words = [raw[s:e].decode("ascii") for s, e in zip(voc[1][:n].tolist(), voc[2][:n].tolist())]
    return words if codes is None else [codes[w] for w in words]


def _header(raw: bytes) -> tuple[dict, int]:
    """The header object (the keys before ``tensors``) and the index of the ``[``."""
    if not raw.startswith(_HEAD):
        raise _Other
    at = len(_HEAD)
    for _ in range(8):  # a cut inside the metadata does not parse: try the next
        at = raw.find(_TENSORS, at)
        if at < 0:
            break
        try:
            top = json.loads(raw[:at] + b"}")
        except (ValueError, RecursionError):
            at += 1
            continue
        if (list(top) != ["format", "version", "name", "metadata"] or type(top["name"]) is not str
                or type(top["version"]) is not int or not isinstance(top["metadata"], dict)):
            raise _Other
        return top, at + len(_TENSORS) - 1
    raise _Other


def _chunks(rec_end: np.ndarray, start: int, end: int) -> np.ndarray:
    """The chunk of :mod:`.jsonstream` each op is read in (its cuts: the list's end when it
    is within ``CHUNK`` characters, else the first record end ``CHUNK / 2`` on)."""
    from . import jsonstream

    size = jsonstream.CHUNK
    chunk = np.zeros(len(rec_end), dtype=np.int64)
    s, first, c = start, 0, 0
    while first < len(rec_end):
        if end <= s + size - 1:  # the "]" closing the list lies in the window
            last = len(rec_end)
        else:
            last = int(np.searchsorted(rec_end, s + size // 2)) + 1
        chunk[first:last] = c
        c += 1
        first = last
        if first < len(rec_end):
            s = int(rec_end[first - 1]) + 2
    return chunk


def _first_unique(rows: np.ndarray, base: int) -> tuple[np.ndarray, np.ndarray]:
    """For the distinct rows of ``rows`` (values -1 .. base - 2): the index of each one's
    first row, and each row's distinct-row number."""
    if rows.shape[1] * math.log2(base) < 62:  # a row as one integer
        key = np.zeros(len(rows), dtype=np.int64)
        for j in range(rows.shape[1]):
            key = key * base + (rows[:, j] + 1)
        _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    else:
        _, first, inv = np.unique(rows, axis=0, return_index=True, return_inverse=True)
    return first, inv.ravel()


def _tags(raw: bytes, n: int, tag_ptr, tag_key, tag_str, tag_int, keyvoc, valvoc,
          chunk: np.ndarray) -> TagColumns:
    """The tag columns the builder's TagBuilder gives for these entries read in these
    chunks (:meth:`~cimsim.workload.columns.TagBuilder.add_many`): orders numbered by first
    appearance; a key's column int64 when all its values are ints, else codes into its
    distinct values in the order add_many meets them (chunk by chunk, within a chunk the
    ops with the same keys together, in order of their first op)."""
    counts = np.diff(tag_ptr)
    keys = _vocab(raw, keyvoc)
    values = _vocab(raw, valvoc)
    nt = int(tag_ptr[-1])
    tag_key, tag_str, tag_int = tag_key[:nt], tag_str[:nt], tag_int[:nt]
    op_of = np.repeat(np.arange(n, dtype=np.int64), counts)
    width = int(counts.max()) if n else 0
    order_code = np.zeros(n, dtype=np.int32)
    orders: list[tuple[str, ...]] = [()]
    if width:
        sig = np.full((n, width), -1, dtype=np.int64)
        sig[op_of, np.arange(nt) - np.repeat(tag_ptr[:-1], counts)] = tag_key
        first, inv = _first_unique(sig, len(keys) + 1)
        rank = np.empty(len(first), dtype=np.int64)
        nonempty = sig[first, 0] >= 0
        by_first = [u for u in np.argsort(first, kind="stable").tolist() if nonempty[u]]
        rank[~nonempty] = 0
        rank[by_first] = np.arange(1, len(by_first) + 1)
        for u in by_first:
            orders.append(tuple(keys[k] for k in sig[first[u]].tolist() if k >= 0))
        order_code[:] = rank[inv]
    # the order add_many adds the ops' values in: by chunk, group (keys) within the chunk, op
    _, gfirst, ginv = np.unique(chunk * len(orders) + order_code, return_index=True, return_inverse=True)
    add_rank = np.empty(n, dtype=np.int64)
    add_rank[np.lexsort((np.arange(n), gfirst[ginv], chunk))] = np.arange(n)
    columns: dict[str, tuple] = {}
    # a key's column as the builder makes it: its keys in order of first appearance
    key_first = np.full(len(keys), nt, dtype=np.int64)
    np.minimum.at(key_first, tag_key, np.arange(nt, dtype=np.int64))
    for k in np.argsort(key_first, kind="stable").tolist():
        sel = np.flatnonzero(tag_key == k)
        ops = op_of[sel]
        is_str = tag_str[sel] >= 0
        if not is_str.any():
            arr = np.zeros(n, dtype=np.int64)
            arr[ops] = tag_int[sel]
            columns[keys[k]] = ("int", arr)
            continue
        # codes by first appearance of (string id | int value)
        # its distinct values: the string ids, then the ints; coded by first appearance
        sv, si = np.unique(tag_str[sel][is_str], return_inverse=True)
        iv, ii = np.unique(tag_int[sel][~is_str], return_inverse=True)
        inv = np.empty(len(sel), dtype=np.int64)
        inv[is_str] = si
        inv[~is_str] = ii + len(sv)
        first = np.full(len(sv) + len(iv), n, dtype=np.int64)
        np.minimum.at(first, inv, add_rank[ops])
        order = np.argsort(first, kind="stable")
        code_of = np.empty(len(first), dtype=np.int32)
        code_of[order] = np.arange(len(first), dtype=np.int32)
        distinct = [values[v] for v in sv.tolist()] + iv.tolist()
        vocab = [distinct[u] for u in order.tolist()]
        codes = np.zeros(n, dtype=np.int32)
        codes[ops] = code_of[inv]
        columns[keys[k]] = ("json", codes, vocab)
    return TagColumns(order_code, orders, columns)


def _columns(raw: bytes) -> tuple[dict, WorkloadColumns]:
    top, t0 = _header(raw)
    t1 = raw.find(_OPS, t0)
    end = len(raw)
    while end > 0 and raw[end - 1] in b" \t\n\r" and len(raw) - end < 256:
        end -= 1
    if t1 < 0 or raw[end - 2:end] != b"]}" or t1 + len(_OPS) > end - 2:
        raise _Other
    buf = np.frombuffer(raw, dtype=np.uint8)
    lit, ptr = LIT, LIT_PTR
    # tensors
    a, b = t0 + 1, t1
    # bounds, not counts (a name may hold any of these bytes): the arrays are allocated, not
    # touched, beyond what the scan fills, so a loose bound costs no memory
    nt_max, _, _, commas = count_bytes(buf, a, b)
    # (start, end) of a name side by side: a lookup reads one cache line for both
    names = np.zeros((nt_max, 2), dtype=np.int64).T
    tid = new_table(nt_max)
    tid = (tid[0], tid[3], np.full(1, -1, dtype=np.int64))  # table, count, last found
    dims = np.empty(commas + 1, dtype=np.int64)  # a tensor: one dim more than its shape's commas
    shape_ptr = np.zeros(nt_max + 1, dtype=np.int64)
    dtype = np.zeros(nt_max, dtype=np.int64)
    role = np.zeros(nt_max, dtype=np.int64)
    dvoc, rvoc = new_table(64), new_table(64)
    nt = scan_tensors(buf, a, b, lit, ptr, names, dims, shape_ptr, dtype, role, tid, dvoc, rvoc)
    if nt < 0:
        raise _Other
    # ops
    a, b = t1 + len(_OPS), end - 2
    no_max, quotes, colons, _ = count_bytes(buf, a, b)
    n_refs, n_tags = quotes // 2, colons
    op_names = np.empty((2, no_max), dtype=np.int64)
    kind = np.empty(no_max, dtype=np.int64)
    in_ptr = np.empty(no_max + 1, dtype=np.int64)
    out_ptr = np.empty(no_max + 1, dtype=np.int64)
    in_ids = np.empty(n_refs, dtype=np.int64)
    out_ids = np.empty(n_refs, dtype=np.int64)
    op_dims = np.empty((5, no_max), dtype=np.int64)
    weight = np.empty(no_max, dtype=np.int64)
    fn = np.empty(no_max, dtype=np.int64)
    ope = np.empty(no_max, dtype=np.int64)
    tag_ptr = np.empty(no_max + 1, dtype=np.int64)
    tag_key = np.empty(n_tags, dtype=np.int32)
    tag_str = np.empty(n_tags, dtype=np.int32)
    tag_int = np.empty(n_tags, dtype=np.int64)
    op_end = np.empty(no_max, dtype=np.int64)
    few = min(no_max, 1 << 16) + 16  # distinct kinds, fns, ops_per_element texts, tag keys
    kvoc, fvoc, ovoc = new_table(64), new_table(few), new_table(few)
    keyvoc, valvoc = new_table(few), new_table(no_max + 16)
    no = scan_ops(buf, a, b, lit, ptr, tid, names, op_names, kind, kvoc, in_ptr, in_ids, out_ptr,
                   out_ids, op_dims, weight, fn, fvoc, ope, ovoc, tag_ptr, tag_key, tag_str, tag_int,
                   keyvoc, valvoc, op_end)
    if no < 0:
        raise _Other
    del tid
    dtype_codes = np.array(_vocab(raw, dvoc, DTYPE_CODES) + [0], dtype=np.int8)
    role_codes = np.array(_vocab(raw, rvoc, ROLE_CODES) + [0], dtype=np.int8)
    kind_codes = np.array(_vocab(raw, kvoc, KIND_CODES) + [0], dtype=np.int8)
    ope_values = np.array([float(v) for v in _vocab(raw, ovoc)] + [math.nan], dtype=np.float64)
    if not np.isfinite(ope_values[:-1]).all():
        raise _Other  # an overflowing number: the generic reader words it
    cols = WorkloadColumns(
        tensor_names=_strings(buf, names[0, :nt], names[1, :nt]),
        shape_ptr=shape_ptr[:nt + 1],
        shape_dims=dims[:shape_ptr[nt]],
        tensor_dtype=dtype_codes[dtype[:nt]],
        tensor_role=role_codes[role[:nt]],
        op_names=_strings(buf, op_names[0, :no], op_names[1, :no]),
        kind=kind_codes[kind[:no]],
        in_ptr=in_ptr[:no + 1], in_ids=in_ids[:in_ptr[no]],
        out_ptr=out_ptr[:no + 1], out_ids=out_ids[:out_ptr[no]],
        m=op_dims[0, :no], k=op_dims[1, :no], n=op_dims[2, :no],
        batch=op_dims[3, :no],
        weight=weight[:no],
        fn=fn[:no].astype(np.int32),
        fn_vocab=tuple(_vocab(raw, fvoc)),
        ops_per_element=ope_values[ope[:no]],
        tags=_tags(raw, no, tag_ptr[:no + 1], tag_key, tag_str, tag_int, keyvoc, valvoc,
                   _chunks(op_end[:no], a, b)),
        generic_macs=op_dims[4, :no],
    )
    return top, cols


def _read(raw: bytes) -> Workload:
    # the scanner's arrays and tables go once the columns are made; the columns are views
    # of the used part of its (over-allocated, so partly never touched) arrays
    top, cols = _columns(raw)
    return Workload.from_columns(top["name"], cols, top["metadata"])


def fast_workload(raw: bytes) -> Workload | None:
    """The workload in ``raw`` (a file's bytes) if they are in the layout
    :func:`~cimsim.workload.io.save_workload` writes and valid, else None."""
    try:
        return _read(raw)
    except (_Other, KeyError, ValueError, OverflowError, RecursionError, WorkloadError):
        return None
