"""Reading a workload JSON in the exact layout :func:`~cimsim.workload.io.save_workload`
writes, straight from the file's bytes into the columns (no Python object per op).

The writer is byte-deterministic: no whitespace, keys in a fixed order, strings
ASCII (``ensure_ascii``), a matmul's ``m, k, n, batch[, weight]`` together, the
optional keys only when set. A numba-compiled scanner walks the ``tensors`` and
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
from numba import njit

from ..errors import WorkloadError
from .columns import StringTable, TagColumns
from .ir import Workload, WorkloadColumns
from .kinds import DTYPE_CODES, KIND_CODES, ROLE_CODES

_HEAD = b'{"format":"cimsim-workload","version":1,'
_TENSORS = b',"tensors":['
_OPS = b'],"ops":['
#: The literals of the layout, by number (the scanner's ``_L*`` constants)
_LITERALS = (b'{"name":"', b'","shape":[', b',"dtype":"', b'","role":"', b'"}', b'","kind":"',
             b'","inputs":[', b'],"outputs":[', b',"m":', b',"k":', b',"n":', b',"batch":',
             b',"weight":"', b',"fn":"', b',"ops_per_element":', b',"generic_macs":', b',"tags":{')
(_LNAME, _LSHAPE, _LDTYPE, _LROLE, _LTEND, _LKIND, _LIN, _LOUT, _LM, _LK, _LN, _LBATCH, _LWEIGHT,
 _LFN, _LOPE, _LGM, _LTAGS) = range(len(_LITERALS))
_LIT = np.frombuffer(b"".join(_LITERALS), dtype=np.uint8)
_LIT_PTR = np.cumsum([0] + [len(x) for x in _LITERALS]).astype(np.int64)
_Q, _COMMA, _COLON, _RBRACKET, _RBRACE, _MINUS = 34, 44, 58, 93, 125, 45
_ERR = -1


# --------------------------------------------------------------------------- scanner
@njit(cache=True, inline="always")
def _lit(buf, i, k, lit, ptr):
    """Index after literal ``k`` at ``buf[i]``, or -1."""
    a, b = ptr[k], ptr[k + 1]
    if i + (b - a) > buf.shape[0]:
        return -1
    for j in range(b - a):
        if buf[i + j] != lit[a + j]:
            return -1
    return i + (b - a)


@njit(cache=True, inline="always")
def _str(buf, i, end):
    """Index of the closing quote of the string whose body starts at ``i``, or -1."""
    while i < end:
        c = buf[i]
        if c == _Q:
            return i
        if c == 92 or c < 32 or c > 127:  # an escape, a control or non-ASCII character
            return -1
        i += 1
    return -1


@njit(cache=True, inline="always")
def _int(buf, i, end, out, j, signed):
    """A JSON integer (at most 18 digits; a sign if ``signed``) at ``buf[i]`` into
    ``out[j]``; returns the index after it, or -1."""
    neg = False
    if signed and i < end and buf[i] == _MINUS:
        neg = True
        i += 1
    if i >= end or buf[i] < 48 or buf[i] > 57:
        return -1
    if buf[i] == 48:
        out[j] = 0
        return i + 1
    v = 0
    n = 0
    while i < end and 48 <= buf[i] <= 57:
        v = v * 10 + (buf[i] - 48)
        i += 1
        n += 1
        if n > 18:
            return -1
    out[j] = -v if neg else v
    return i


@njit(cache=True, inline="always")
def _number(buf, i, end):
    """Index after a non-negative JSON number at ``buf[i]`` (at most 64 bytes), or -1."""
    s = i
    if i >= end or buf[i] < 48 or buf[i] > 57:
        return -1
    if buf[i] == 48:
        i += 1
    else:
        while i < end and 48 <= buf[i] <= 57:
            i += 1
    if i < end and buf[i] == 46:  # .
        i += 1
        d = i
        while i < end and 48 <= buf[i] <= 57:
            i += 1
        if i == d:
            return -1
    if i < end and (buf[i] == 101 or buf[i] == 69):  # e E
        i += 1
        if i < end and (buf[i] == 43 or buf[i] == 45):
            i += 1
        d = i
        while i < end and 48 <= buf[i] <= 57:
            i += 1
        if i == d:
            return -1
    return i if i - s <= 64 else -1


@njit(cache=True, inline="always")
def _hash(buf, s, e):
    h = np.uint64(14695981039346656037)
    for i in range(s, e):
        h = (h ^ np.uint64(buf[i])) * np.uint64(1099511628211)
    return h


@njit(cache=True, inline="always")
def _same(buf, s1, e1, s2, e2):
    if e1 - s1 != e2 - s2:
        return False
    for j in range(e1 - s1):
        if buf[s1 + j] != buf[s2 + j]:
            return False
    return True


@njit(cache=True, inline="always")
def _intern(buf, s, e, table, starts, ends, count, add):
    """The number of the string ``buf[s:e]`` in a table (open addressing over ``starts`` /
    ``ends``, ``count[0]`` strings): -1 if absent and not ``add``, -2 if it is full."""
    mask = table.shape[0] - 1
    h = np.int64(_hash(buf, s, e) & np.uint64(mask))
    while True:
        t = table[h]
        if t < 0:
            break
        if _same(buf, starts[t], ends[t], s, e):
            return t
        h = (h + 1) & mask
    if not add:
        return -1
    n = count[0]
    if n >= starts.shape[0]:
        return -2
    starts[n], ends[n] = s, e
    table[h] = n
    count[0] = n + 1
    return n


def _table(capacity: int):
    size = 1 << max(4, (2 * capacity + 1).bit_length())
    return (np.full(size, -1, dtype=np.int32), np.zeros(capacity, dtype=np.int64),
            np.zeros(capacity, dtype=np.int64), np.zeros(1, dtype=np.int64))


@njit(cache=True)
def _scan_tensors(buf, i, end, lit, ptr, names, dims, ptrs, dtype, role, tid, dvoc, rvoc):
    """The tensor records ``buf[i:end]``; returns their number, or -1 (not this layout, or
    a repeated name)."""
    n = 0
    nd = 0
    ptrs[0] = 0
    while i < end:
        i = _lit(buf, i, 0, lit, ptr)  # {"name":"
        if i < 0 or n >= ptrs.shape[0] - 1:
            return -1
        e = _str(buf, i, end)
        if e < 0:
            return -1
        if _intern(buf, i, e, tid[0], names[0], names[1], tid[1], True) != n:
            return -1  # a repeated name (the generic reader words it)
        i = _lit(buf, e, 1, lit, ptr)  # ","shape":[
        if i < 0:
            return -1
        if i < end and buf[i] != _RBRACKET:
            while True:
                if nd >= dims.shape[0]:
                    return -1
                i = _int(buf, i, end, dims, nd, False)
                if i < 0 or i >= end:
                    return -1
                nd += 1
                if buf[i] != _COMMA:
                    break
                i += 1
        if i >= end or buf[i] != _RBRACKET:
            return -1
        ptrs[n + 1] = nd
        i = _lit(buf, i + 1, 2, lit, ptr)  # ,"dtype":"
        if i < 0:
            return -1
        e = _str(buf, i, end)
        if e < 0:
            return -1
        dtype[n] = _intern(buf, i, e, dvoc[0], dvoc[1], dvoc[2], dvoc[3], True)
        i = _lit(buf, e, 3, lit, ptr)  # ","role":"
        if i < 0 or dtype[n] < 0:
            return -1
        e = _str(buf, i, end)
        if e < 0:
            return -1
        role[n] = _intern(buf, i, e, rvoc[0], rvoc[1], rvoc[2], rvoc[3], True)
        i = _lit(buf, e, 4, lit, ptr)  # "}
        if i < 0 or role[n] < 0:
            return -1
        n += 1
        if i < end:
            if buf[i] != _COMMA:
                return -1
            i += 1
            if i >= end:
                return -1
    return n


@njit(cache=True)
def _refs(buf, i, end, close, ids, nref, tid, names):
    """The tensor names of a list up to ``close`` (``]``) into ``ids[nref:]``; returns
    (index after the list's last string, new nref), or (-1, 0)."""
    if i < end and buf[i] == close:
        return i, nref
    while True:
        if i >= end or buf[i] != _Q or nref >= ids.shape[0]:
            return -1, 0
        e = _str(buf, i + 1, end)
        if e < 0:
            return -1, 0
        # the tensor after the last one named first (files list them mostly in order):
        # no hash, and its name is likely in cache
        t = tid[2][0] + 1
        if t >= tid[1][0] or not _same(buf, names[0][t], names[1][t], i + 1, e):
            t = _intern(buf, i + 1, e, tid[0], names[0], names[1], tid[1], False)
            if t < 0:
                return -1, 0  # not a declared tensor
        tid[2][0] = t
        ids[nref] = t
        nref += 1
        i = e + 1
        if i < end and buf[i] == _COMMA:
            i += 1
            continue
        return i, nref


@njit(cache=True)
def _scan_ops(buf, i, end, lit, ptr, tid, names, op_names, kind, kvoc, in_ptr, in_ids, out_ptr,
              out_ids, dims, weight, fn, fvoc, ope, ovoc, tag_ptr, tag_key, tag_str, tag_int,
              keyvoc, valvoc, rec_end):
    """The op records ``buf[i:end]``; returns their number, or -1 (not this layout, an
    undeclared tensor, a repeated tag key)."""
    n = 0
    nin = 0
    nout = 0
    ntag = 0
    in_ptr[0] = out_ptr[0] = tag_ptr[0] = 0
    while i < end:
        i = _lit(buf, i, 0, lit, ptr)  # {"name":"
        if i < 0 or n >= kind.shape[0]:
            return -1
        e = _str(buf, i, end)
        if e < 0:
            return -1
        op_names[0, n], op_names[1, n] = i, e
        i = _lit(buf, e, 5, lit, ptr)  # ","kind":"
        if i < 0:
            return -1
        e = _str(buf, i, end)
        if e < 0:
            return -1
        kind[n] = _intern(buf, i, e, kvoc[0], kvoc[1], kvoc[2], kvoc[3], True)
        i = _lit(buf, e, 6, lit, ptr)  # ","inputs":[
        if i < 0 or kind[n] < 0:
            return -1
        i, nin = _refs(buf, i, end, _RBRACKET, in_ids, nin, tid, names)
        if i < 0:
            return -1
        in_ptr[n + 1] = nin
        i = _lit(buf, i, 7, lit, ptr)  # ],"outputs":[
        if i < 0:
            return -1
        i, nout = _refs(buf, i, end, _RBRACKET, out_ids, nout, tid, names)
        if i < 0 or i >= end or buf[i] != _RBRACKET:
            return -1
        out_ptr[n + 1] = nout
        i += 1
        dims[0, n] = dims[1, n] = dims[2, n] = dims[4, n] = 0
        dims[3, n] = 1
        weight[n] = fn[n] = ope[n] = -1
        j = _lit(buf, i, 8, lit, ptr)  # ,"m":
        if j >= 0:
            for d in range(4):
                if d:
                    j = _lit(buf, j, 8 + d, lit, ptr)  # ,"k": ,"n": ,"batch":
                    if j < 0:
                        return -1
                j = _int(buf, j, end, dims[d], n, False)
                if j < 0:
                    return -1
            i = j
            j = _lit(buf, i, 12, lit, ptr)  # ,"weight":"
            if j >= 0:
                e = _str(buf, j, end)
                if e < 0:
                    return -1
                weight[n] = _intern(buf, j, e, tid[0], names[0], names[1], tid[1], False)
                if weight[n] < 0:
                    return -1
                i = e + 1
        j = _lit(buf, i, 13, lit, ptr)  # ,"fn":"
        if j >= 0:
            e = _str(buf, j, end)
            if e < 0:
                return -1
            fn[n] = _intern(buf, j, e, fvoc[0], fvoc[1], fvoc[2], fvoc[3], True)
            if fn[n] < 0:
                return -1
            i = e + 1
        j = _lit(buf, i, 14, lit, ptr)  # ,"ops_per_element":
        if j >= 0:
            e = _number(buf, j, end)
            if e < 0:
                return -1
            ope[n] = _intern(buf, j, e, ovoc[0], ovoc[1], ovoc[2], ovoc[3], True)
            if ope[n] < 0:
                return -1
            i = e
        j = _lit(buf, i, 15, lit, ptr)  # ,"generic_macs":
        if j >= 0:
            i = _int(buf, j, end, dims[4], n, False)
            if i < 0:
                return -1
        j = _lit(buf, i, 16, lit, ptr)  # ,"tags":{
        if j >= 0:
            i = j
            first = ntag
            while True:
                if i >= end or buf[i] != _Q or ntag >= tag_key.shape[0]:
                    return -1
                e = _str(buf, i + 1, end)
                if e < 0 or e + 1 >= end or buf[e + 1] != _COLON:
                    return -1
                k = _intern(buf, i + 1, e, keyvoc[0], keyvoc[1], keyvoc[2], keyvoc[3], True)
                if k < 0:
                    return -1
                for t in range(first, ntag):
                    if tag_key[t] == k:
                        return -1  # a repeated key: json.loads keeps the last value
                tag_key[ntag] = k
                i = e + 2
                if i < end and buf[i] == _Q:
                    e = _str(buf, i + 1, end)
                    if e < 0:
                        return -1
                    tag_str[ntag] = _intern(buf, i + 1, e, valvoc[0], valvoc[1], valvoc[2], valvoc[3], True)
                    if tag_str[ntag] < 0:
                        return -1
                    i = e + 1
                else:
                    tag_str[ntag] = -1
                    i = _int(buf, i, end, tag_int, ntag, True)
                    if i < 0:
                        return -1
                ntag += 1
                if i < end and buf[i] == _COMMA:
                    i += 1
                    continue
                if i >= end or buf[i] != _RBRACE:
                    return -1
                i += 1
                break
        tag_ptr[n + 1] = ntag
        if i >= end or buf[i] != _RBRACE:
            return -1
        rec_end[n] = i
        i += 1
        n += 1
        if i < end:
            if buf[i] != _COMMA:
                return -1
            i += 1
            if i >= end:
                return -1
    return n


@njit(cache=True)
def _count(buf, a, b):
    """How many ``{``, ``"``, ``:`` and ``,`` ``buf[a:b]`` holds (bounds for the arrays)."""
    nb = nq = nc = nk = 0
    for i in range(a, b):
        c = buf[i]
        if c == 123:
            nb += 1
        elif c == _Q:
            nq += 1
        elif c == _COLON:
            nc += 1
        elif c == _COMMA:
            nk += 1
    return nb, nq, nc, nk


@njit(cache=True)
def _gather(buf, starts, ends, offsets, out):
    for t in range(starts.shape[0]):
        o = offsets[t]
        for j in range(ends[t] - starts[t]):
            out[o + j] = buf[starts[t] + j]


# --------------------------------------------------------------------------- columns
class _Other(Exception):
    """Not in the layout read here (the generic reader takes the file)."""


def _strings(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> StringTable:
    offsets = np.zeros(len(starts) + 1, dtype=np.int64)
    np.cumsum(ends - starts, out=offsets[1:])
    blob = np.empty(int(offsets[-1]), dtype=np.uint8)
    _gather(buf, starts, ends, offsets, blob)
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
    lit, ptr = _LIT, _LIT_PTR
    # tensors
    a, b = t0 + 1, t1
    # bounds, not counts (a name may hold any of these bytes): the arrays are allocated, not
    # touched, beyond what the scan fills, so a loose bound costs no memory
    nt_max, _, _, commas = _count(buf, a, b)
    names = np.zeros((2, nt_max), dtype=np.int64)
    tid = _table(nt_max)
    tid = (tid[0], tid[3], np.full(1, -1, dtype=np.int64))  # table, count, last found
    dims = np.empty(commas + 1, dtype=np.int64)  # a tensor: one dim more than its shape's commas
    shape_ptr = np.zeros(nt_max + 1, dtype=np.int64)
    dtype = np.zeros(nt_max, dtype=np.int64)
    role = np.zeros(nt_max, dtype=np.int64)
    dvoc, rvoc = _table(64), _table(64)
    nt = _scan_tensors(buf, a, b, lit, ptr, names, dims, shape_ptr, dtype, role, tid, dvoc, rvoc)
    if nt < 0:
        raise _Other
    # ops
    a, b = t1 + len(_OPS), end - 2
    no_max, quotes, colons, _ = _count(buf, a, b)
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
    kvoc, fvoc, ovoc = _table(64), _table(few), _table(few)
    keyvoc, valvoc = _table(few), _table(no_max + 16)
    no = _scan_ops(buf, a, b, lit, ptr, tid, names, op_names, kind, kvoc, in_ptr, in_ids, out_ptr,
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
