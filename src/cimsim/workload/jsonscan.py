"""The numba kernels of :mod:`cimsim.workload.jsonfast`: one pass over a workload file's
bytes that checks each tensor or op record against the layout
:func:`~cimsim.workload.io.save_workload` writes and writes its fields into preallocated
arrays; hash tables (open addressing, exact comparison on equal hashes) that number
repeated strings by first appearance and resolve tensor names.

Each scanner returns the number of records read, or -1 when a byte is not where the layout
puts it (or a name is undeclared or repeated, a table is full): the caller then reads the
file the generic way.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: The literals of the layout; the scanners name them by number (the comment beside says which)
LITERALS = (b'{"name":"', b'","shape":[', b',"dtype":"', b'","role":"', b'"}', b'","kind":"',
            b'","inputs":[', b'],"outputs":[', b',"m":', b',"k":', b',"n":', b',"batch":',
            b',"weight":"', b',"fn":"', b',"ops_per_element":', b',"generic_macs":', b',"tags":{')
LIT = np.frombuffer(b"".join(LITERALS), dtype=np.uint8)
LIT_PTR = np.cumsum([0] + [len(x) for x in LITERALS]).astype(np.int64)
_Q, _COMMA, _COLON, _RBRACKET, _RBRACE, _MINUS = 34, 44, 58, 93, 125, 45


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


def new_table(capacity: int):
    size = 1 << max(4, (2 * capacity + 1).bit_length())
    return (np.full(size, -1, dtype=np.int32), np.zeros(capacity, dtype=np.int64),
            np.zeros(capacity, dtype=np.int64), np.zeros(1, dtype=np.int64))


@njit(cache=True)
def scan_tensors(buf, i, end, lit, ptr, names, dims, ptrs, dtype, role, tid, dvoc, rvoc):
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
def scan_ops(buf, i, end, lit, ptr, tid, names, op_names, kind, kvoc, in_ptr, in_ids, out_ptr,
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
def count_bytes(buf, a, b):
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
def gather(buf, starts, ends, offsets, out):
    for t in range(starts.shape[0]):
        o = offsets[t]
        for j in range(ends[t] - starts[t]):
            out[o + j] = buf[starts[t] + j]
