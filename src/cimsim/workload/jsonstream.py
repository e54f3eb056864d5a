"""Reading a large workload JSON without a Python object per op alive at once.

:func:`stream_workload` walks the top-level object by hand and parses the
``tensors`` and ``ops`` lists a chunk of about :data:`CHUNK` characters at a time
(``json.loads`` in C over ``[`` + chunk + ``]``), handing each chunk's elements to
the builder and dropping them. A chunk ends after a ``}`` followed by ``,`` or
``]``; such a cut can fall inside a string or a nested object, but then the
chunk does not parse (an unterminated string, unbalanced brackets) and the next
cut is tried: a chunk that parses ends exactly at an element boundary of the list.

The walk needs the header (``format``, ``version``, ``name``) before ``tensors``
and ``tensors`` before ``ops``, as :func:`~cimsim.workload.io.save_workload`
writes them. Any other layout, or text that is not JSON, returns None: the caller
then parses the whole text as before, with the same error messages.
"""

from __future__ import annotations

import json
import re
from itertools import chain
from json.decoder import scanstring
from typing import Any, Callable

import numpy as np

from ..errors import WorkloadError

CHUNK = 1 << 18
_CUT = re.compile(r"\}[ \t\n\r]*[,\]]")
_END = re.compile(r"\}[ \t\n\r]*\]")
_WS = re.compile(r"[ \t\n\r]*")
_HEADER = ("format", "version", "name")


class _Fallback(Exception):
    """The text is not in the layout the stream reads (parse it whole instead)."""


def _ws(text: str, i: int) -> int:
    return _WS.match(text, i).end()  # type: ignore[union-attr]


def _stream_list(text: str, i: int, handle: Callable[[list, int], None]) -> int:
    """Parse the list starting at ``text[i] == '['`` chunk by chunk; ``handle(items, first)``
    gets each chunk's elements and the index of its first. Returns the index after ``]``."""
    start = _ws(text, i + 1)
    if text.startswith("]", start):
        return start + 1
    done = 0
    while True:
        # cuts to try: a "}]" within the next CHUNK characters (the list may end there),
        # then every "}," or "}]" from CHUNK / 2 characters on (the windows overlap, so a
        # cut across the first window's end is still seen)
        ends = _END.finditer(text, start, start + CHUNK)
        for m in chain(ends, _CUT.finditer(text, start + CHUNK // 2)):
            end = m.end()
            try:
                items = json.loads("[" + text[start:m.start() + 1] + "]",
                                   object_pairs_hook=unique_keys)
            except (ValueError, RecursionError):
                continue
            break
        else:
            raise _Fallback
        handle(items, done)
        done += len(items)
        if text[end - 1] == "]":
            return end
        start = _ws(text, end)


class RepeatedKey(ValueError):
    """A JSON object gives one key twice (``json.loads`` would keep the last value, silently)."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def unique_keys(pairs: list) -> dict:
    """``object_pairs_hook``: the object as a dict, refusing a key given twice."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise RepeatedKey(k)
            seen.add(k)
    return out


def stream_workload(text: str, header: Callable[[dict], Any], tensors: Callable[[list, int], None],
                    ops: Callable[[list, int], None]) -> dict | None:
    """Walk the workload object in ``text``: ``header(top)`` once the header keys are read
    (before the first tensor), ``tensors`` / ``ops`` with each chunk of elements. Returns
    the other top-level values by key (``tensors`` and ``ops`` map to None), or None when
    the text is not in the streamed layout."""
    scan = json.JSONDecoder(object_pairs_hook=unique_keys).scan_once
    top: dict[str, Any] = {}
    try:
        i = _ws(text, 0)
        if not text.startswith("{", i):
            return None
        i = _ws(text, i + 1)
        if text.startswith("}", i):
            return None
        while True:
            if not text.startswith('"', i):
                return None
            key, i = scanstring(text, i + 1)
            i = _ws(text, i)
            if not text.startswith(":", i) or key in top:
                return None
            i = _ws(text, i + 1)
            if key in ("tensors", "ops") and text.startswith("[", i):
                if key == "tensors":
                    if any(k not in top for k in _HEADER) or "ops" in top:
                        return None
                    header(top)
                elif "tensors" not in top:
                    return None
                i = _stream_list(text, i, tensors if key == "tensors" else ops)
                top[key] = None
            else:
                if key in ("tensors", "ops"):
                    return None
                top[key], i = scan(text, i)
            i = _ws(text, i)
            if text.startswith(",", i):
                i = _ws(text, i + 1)
                continue
            if text.startswith("}", i) and _ws(text, i + 1) == len(text):
                return top if "ops" in top else None
            return None
    except (_Fallback, StopIteration, ValueError, RecursionError):
        return None


# --------------------------------------------------------------------------- writing
def _texts(table, a: int, b: int, enc) -> list[str]:
    """Strings ``a..b-1`` of a StringTable as JSON string literals."""
    off = table.offsets[a:b + 1].tolist()
    raw = table.blob[off[0]:off[-1]].tobytes().decode("utf-8")
    if len(raw) == off[-1] - off[0]:  # ASCII: character offsets are byte offsets
        o0 = off[0]
        return [enc(raw[x - o0:y - o0]) for x, y in zip(off[:-1], off[1:])]
    blob = table.blob
    return [enc(blob[x:y].tobytes().decode("utf-8")) for x, y in zip(off[:-1], off[1:])]


def _by_value(values: np.ndarray, text) -> list[str]:
    """``text(v)`` for every entry of ``values``, computed once per distinct value."""
    if values.size == 0:
        return []
    uniq, inv = np.unique(values, return_inverse=True, axis=0 if values.ndim > 1 else None)
    texts = [text(u) for u in (uniq.tolist() if values.ndim == 1 else [tuple(r) for r in uniq.tolist()])]
    return [texts[i] for i in inv.ravel().tolist()]


def write_json(w, f, header: dict, chunk: int = 1 << 16) -> None:
    """Write workload ``w`` to the text file ``f`` as ``json.dump(workload_to_dict(w), f,
    separators=(",", ":"))`` would, byte for byte, from its columns and ``chunk`` ops at a
    time (no object per op). ``header``: the top-level keys before ``tensors``."""
    from .kinds import OP_KINDS, ROLES
    from ..dtypes import TENSOR_DTYPES

    enc = json.encoder.encode_basestring_ascii  # json.dumps' own encoder (ensure_ascii)
    dumps = lambda v: json.dumps(v, separators=(",", ":"))  # noqa: E731
    c = w.columns
    f.write(dumps(header)[:-1] + ',"tensors":[')
    # tensors: name + a suffix per distinct (shape, dtype, role)
    tn = _texts(c.tensor_names, 0, c.n_tensors, enc)
    ndims = np.diff(c.shape_ptr)
    suffix = [""] * c.n_tensors
    for nd in np.unique(ndims).tolist():
        sel = np.flatnonzero(ndims == nd)
        rows = c.shape_dims[c.shape_ptr[sel][:, None] + np.arange(nd)]
        key = np.concatenate([rows, c.tensor_dtype[sel, None].astype(np.int64),
                              c.tensor_role[sel, None].astype(np.int64)], axis=1)
        texts = _by_value(key, lambda r: (f',"shape":[{",".join(map(str, r[:-2]))}],"dtype":"{TENSOR_DTYPES[r[-2]]}"'
                                          f',"role":"{ROLES[r[-1]]}"}}'))
        for i, t in zip(sel.tolist(), texts):
            suffix[i] = t
    for a in range(0, c.n_tensors, chunk):
        f.write(("," if a else "") + ",".join(['{"name":' + n + s for n, s in zip(tn[a:a + chunk],
                                                                                suffix[a:a + chunk])]))
    del suffix
    f.write('],"ops":[')
    kinds = [enc(k) for k in OP_KINDS]
    fn_text = [f',"fn":{enc(v)}' for v in c.fn_vocab] + [""]
    tags = c.tags
    for a in range(0, c.n_ops, chunk):
        b = min(a + chunk, c.n_ops)
        names = _texts(c.op_names, a, b, enc)
        ins = _refs(c.in_ptr, c.in_ids, a, b, tn)
        outs = _refs(c.out_ptr, c.out_ids, a, b, tn)
        kind = c.kind[a:b]
        mm = (kind == OP_KINDS.index("matmul")).tolist()
        dims = np.stack([c.m[a:b], c.k[a:b], c.n[a:b], c.batch[a:b]], axis=1).tolist()
        wt = c.weight[a:b].tolist()
        mmt = [(f',"m":{d[0]},"k":{d[1]},"n":{d[2]},"batch":{d[3]}'
                + (f',"weight":{tn[x]}' if x >= 0 else "")) if is_mm else ""
               for is_mm, d, x in zip(mm, dims, wt)]
        fn = [fn_text[i] for i in c.fn[a:b].tolist()]
        ope = _by_value(c.ops_per_element[a:b], _ope_text)
        gm = [f',"generic_macs":{g}' if g else "" for g in c.generic_macs[a:b].tolist()]
        tg = _tags_text(tags, a, b)
        f.write(("," if a else "") + ",".join([
            f'{{"name":{n},"kind":{kinds[k]},"inputs":[{i}],"outputs":[{o}]{m}{fn_}{p}{g}{t}}}'
            for n, k, i, o, m, fn_, p, g, t in zip(names, kind.tolist(), ins, outs, mmt, fn, ope, gm, tg)]))
    f.write("]}")


def _ope_text(v: float) -> str:
    if v != v:  # NaN: not set
        return ""
    return f',"ops_per_element":{json.dumps(int(v) if float(v).is_integer() else v)}'


def _refs(ptr: np.ndarray, ids: np.ndarray, a: int, b: int, tn: list[str]) -> list[str]:
    p = ptr[a:b + 1].tolist()
    flat = [tn[t] for t in ids[p[0]:p[-1]].tolist()]
    p0 = p[0]
    return [",".join(flat[x - p0:y - p0]) for x, y in zip(p[:-1], p[1:])]


def _tags_text(tags, a: int, b: int) -> list[str]:
    """``,"tags":{...}`` of ops ``a..b-1`` (empty where an op has none)."""
    order = tags.order_code[a:b]
    out = [""] * (b - a)
    for code in np.unique(order).tolist():
        keys = tags.orders[code]
        if not keys:
            continue
        sel = np.flatnonzero(order == code)
        cols = []
        for key in keys:
            col = tags.columns[key]
            v = col[1][a:b][sel]
            if col[0] == "int":
                vals = list(map(str, v.tolist()))
            else:
                vocab = [json.dumps(x, separators=(",", ":")) for x in col[2]]
                vals = [vocab[i] for i in v.tolist()]
            cols.append([json.encoder.encode_basestring_ascii(key) + ":" + s for s in vals])
        for i, parts in zip(sel.tolist(), zip(*cols)):
            out[i] = ',"tags":{' + ",".join(parts) + "}"
    return out


#: the UTF-8 byte-order mark some Windows editors write first
UTF8_BOM = b"\xef\xbb\xbf"


def utf16_or_32(raw: bytes) -> str | None:
    """What a text file that is not UTF-8 is, by its first 4 bytes (None: neither): a UTF-16 byte-order
    mark, or NULs between its first characters (JSON text holds no NUL, so ASCII JSON saved as
    UTF-16 / UTF-32 without a mark shows them: RFC 4627 §3's detection)."""
    if raw[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        return "UTF-32 text (it starts with a UTF-32 byte-order mark)"
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "UTF-16 text (it starts with a UTF-16 byte-order mark)"
    head = raw[:4]
    if len(head) == 4 and head.count(0) == 3:
        return "UTF-32 text without a byte-order mark (NUL bytes between its characters)"
    if len(head) >= 2 and (head[0] == 0) != (head[1] == 0):
        return "UTF-16 text without a byte-order mark (NUL bytes between its characters)"
    return None


def decode(raw: bytes, source: str) -> str:
    """A workload file's bytes as text: UTF-8; UTF-16 / UTF-32 or other bytes refused in one line."""
    what = utf16_or_32(raw)
    if what:
        raise WorkloadError(f"{source}: {what}; a workload file is UTF-8 JSON: save it as UTF-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WorkloadError(f"{source}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                            f"{exc.start}); a workload file is UTF-8 JSON or a .npz archive") from None
