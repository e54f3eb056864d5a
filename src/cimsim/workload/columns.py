"""Columnar storage for a workload: strings as one UTF-8 blob, tags as one column per key.

A million-op workload is a few dozen NumPy arrays, not a million Python objects:
:class:`StringTable` holds op or tensor names as ``blob`` (uint8) plus
``offsets`` (int64, ``n + 1``); :class:`TagColumns` holds the free-form op tags
as one column per key (int64 values where every value is an int, otherwise codes
into a vocabulary of distinct values) plus, per op, a code for its key order.
"""

from __future__ import annotations

import json
import math
from operator import itemgetter
from array import array
from collections.abc import Mapping, Sequence
from typing import Any, Iterator

import numpy as np

from ..errors import WorkloadError

#: Deepest nesting of lists/objects allowed in metadata and tag values.
MAX_DEPTH = 32


# --------------------------------------------------------------------------- strings
class StringTable(Sequence):
    """An immutable sequence of ``str`` stored as one UTF-8 blob plus offsets."""

    __slots__ = ("blob", "offsets", "_index", "_ascii")

    def __init__(self, blob: np.ndarray, offsets: np.ndarray):
        self.blob = blob
        self.offsets = offsets
        self._index: dict[str, int] | None = None
        self._ascii: bool | None = None

    @classmethod
    def from_list(cls, strings: Sequence[str], what: str = "name") -> "StringTable":
        """Encode ``strings`` (already known to be ``str``); a string that is not valid
        Unicode (a lone surrogate, as JSON's ``\\ud800`` gives) is a WorkloadError."""
        n = len(strings)
        text = "".join(strings)
        try:
            raw = text.encode("utf-8")
        except UnicodeEncodeError:
            bad = next(i for i, s in enumerate(strings) if not _encodable(s))
            raise WorkloadError(f"{what} #{bad} ({strings[bad]!r}) is not valid Unicode "
                                "(a lone surrogate)") from None
        if len(raw) == len(text):
            lengths = np.fromiter(map(len, strings), dtype=np.int64, count=n)
        else:
            lengths = np.fromiter((len(s.encode("utf-8")) for s in strings), dtype=np.int64, count=n)
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return cls(np.frombuffer(raw, dtype=np.uint8), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        return self.blob[self.offsets[i]:self.offsets[i + 1]].tobytes().decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        return iter(self.tolist())

    def tolist(self) -> list[str]:
        off = self.offsets.tolist()
        raw = self.blob.tobytes()
        if self.is_ascii:
            text = raw.decode("ascii")
            return [text[a:b] for a, b in zip(off[:-1], off[1:])]
        return [raw[a:b].decode("utf-8") for a, b in zip(off[:-1], off[1:])]

    def take(self, indices) -> list[str]:
        """The strings at ``indices`` (any int array-like), in order: one decode of the blob,
        not one per string (what :class:`Taken` materialises)."""
        idx = np.asarray(indices, dtype=np.int64).ravel()
        if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= len(self)):
            raise IndexError(f"string index out of range 0..{len(self) - 1}")
        starts, ends = self.offsets[idx].tolist(), self.offsets[idx + 1].tolist()
        raw = self.blob.tobytes()
        if self.is_ascii:
            text = raw.decode("ascii")
            return [text[a:b] for a, b in zip(starts, ends)]
        return [raw[a:b].decode("utf-8") for a, b in zip(starts, ends)]

    @property
    def is_ascii(self) -> bool:
        if self._ascii is None:
            self._ascii = bool(self.blob.size == 0 or int(self.blob.max()) < 128)
        return self._ascii

    def index(self, name: str, *args) -> int:  # type: ignore[override]
        """Position of ``name`` (first occurrence); KeyError if absent."""
        if self._index is None:
            index: dict[str, int] = {}
            for i, s in enumerate(self.tolist()):
                index.setdefault(s, i)
            self._index = index
        return self._index[name]

    def __contains__(self, name: object) -> bool:
        try:
            self.index(name)  # type: ignore[arg-type]
        except (KeyError, TypeError):
            return False
        return True

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StringTable):
            return np.array_equal(self.offsets, other.offsets) and np.array_equal(self.blob, other.blob)
        if isinstance(other, (list, tuple)):
            return self.tolist() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"StringTable({len(self)} strings)"

    def first_unprintable(self) -> int:
        """Index of the first string that is empty or holds a control character (C0, DEL or
        C1: a newline, a tab, an escape), or ``len(self)`` if none; vectorised over the bytes
        (UTF-8 encodes C0 and DEL as themselves, C1 as 0xC2 0x80..0x9F)."""
        n = len(self)
        b = self.blob
        bad = (b < 0x20) | (b == 0x7F)
        bad[:-1] |= (b[:-1] == 0xC2) & (b[1:] >= 0x80) & (b[1:] <= 0x9F)
        empty = np.flatnonzero(np.diff(self.offsets) == 0)
        at = np.flatnonzero(bad)
        first = int(empty[0]) if empty.size else n
        if at.size:
            first = min(first, int(np.searchsorted(self.offsets, at[0], side="right")) - 1)
        return first

    def first_repeat(self, chunk: int = 1 << 16) -> int:
        """Index of the first string equal to an earlier one, or ``len(self)`` if all differ.

        Vectorised: a 64-bit polynomial hash of every string (in chunks), sorted;
        strings with equal hashes are then compared exactly.
        """
        n = len(self)
        if n < 2:
            return n
        h = np.empty(n, dtype=np.uint64)
        lens = np.diff(self.offsets)
        # ``chunk``: bytes hashed at once (bounds the temporaries)
        powers = _Powers()
        powers.ensure(min(self.blob.size, chunk + int(lens.max())) + 1)  # once: chunks fit
        start = 0
        while start < n:
            stop = int(np.searchsorted(self.offsets, self.offsets[start] + chunk, side="right")) - 1
            stop = min(max(stop, start + 1), n)
            h[start:stop] = _hash_range(self.blob, self.offsets, start, stop, powers)
            start = stop
        h ^= lens.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        hs = np.sort(h)
        if not (hs[1:] == hs[:-1]).any():  # the common case: all hashes differ
            return n
        order = np.argsort(h, kind="stable")
        hs = h[order]
        same = np.flatnonzero(hs[1:] == hs[:-1])
        if not same.size:
            return n
        first = n
        # groups of equal hashes: exact comparison (collisions are rare)
        groups: dict[int, list[int]] = {}
        for j in same.tolist():
            groups.setdefault(int(hs[j]), []).extend((int(order[j]), int(order[j + 1])))
        for members in groups.values():
            seen: set[str] = set()
            for i in sorted(set(members)):
                s = self[i]
                if s in seen:
                    first = min(first, i)
                    break
                seen.add(s)
        return first


def _encodable(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_P = 1099511628211  # odd, so invertible modulo 2**64


class _Powers:
    """P**j and P**-j modulo 2**64 for j < length, grown on demand."""

    def __init__(self) -> None:
        self.up = np.ones(1, dtype=np.uint64)
        self.down = np.ones(1, dtype=np.uint64)

    def ensure(self, length: int) -> None:
        if length <= len(self.up):
            return
        up = np.full(length, _P, dtype=np.uint64)
        down = np.full(length, pow(_P, -1, 1 << 64), dtype=np.uint64)
        up[0] = down[0] = 1
        self.up = np.cumprod(up, dtype=np.uint64)  # wraps modulo 2**64
        self.down = np.cumprod(down, dtype=np.uint64)


def _hash_range(blob, offsets, start, stop, powers: _Powers) -> np.ndarray:
    """sum_j (byte_j + 1) * P**j (mod 2**64) of strings start..stop-1, from one prefix sum:
    the hash of bytes [a, b) is (prefix[b] - prefix[a]) * P**-a."""
    a0, b0 = int(offsets[start]), int(offsets[stop])
    powers.ensure(b0 - a0 + 1)
    x = blob[a0:b0].astype(np.uint64)
    x += np.uint64(1)
    x *= powers.up[:b0 - a0]
    prefix = np.zeros(b0 - a0 + 1, dtype=np.uint64)
    np.cumsum(x, out=prefix[1:])
    lo = offsets[start:stop] - a0
    hi = offsets[start + 1:stop + 1] - a0
    return (prefix[hi] - prefix[lo]) * powers.down[lo]


# --------------------------------------------------------------------------- JSON values
def check_json_value(value: Any, where: str, field: str) -> None:
    """``value`` must be JSON data (str, int, finite float, bool, None, lists, objects with
    string keys) nested at most :data:`MAX_DEPTH` deep; else a one-line WorkloadError."""
    stack = [(value, field, 0)]
    while stack:
        v, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise WorkloadError(f"{where}: '{field}' is nested more than {MAX_DEPTH} levels deep")
        t = type(v)
        if t is str or t is int or t is bool or v is None:
            continue
        if t is float:
            if not math.isfinite(v):
                raise WorkloadError(f"{where}: '{path}' holds {v!r}; numbers must be finite")
            continue
        if t is list or t is tuple:
            stack.extend((x, f"{path}[{i}]", depth + 1) for i, x in enumerate(v))
            continue
        if t is dict:
            for k, x in v.items():
                if type(k) is not str:
                    raise WorkloadError(f"{where}: '{path}' has a key {k!r}; keys must be strings")
                stack.append((x, f"{path}.{k}", depth + 1))
            continue
        raise WorkloadError(f"{where}: '{path}' holds a {t.__name__}; only JSON data "
                            "(strings, numbers, booleans, null, lists, objects) is allowed")


class Taken:
    """Some strings of a :class:`StringTable` by index, not yet decoded: what a
    :class:`Materialised` field holds until it is first read (a pickle holds the list)."""

    __slots__ = ("table", "indices")

    def __init__(self, table: StringTable, indices):
        self.table, self.indices = table, np.array(indices, dtype=np.int64)  # a copy

    def tolist(self) -> list[str]:
        return self.table.take(self.indices)

    def __len__(self) -> int:
        return int(self.indices.size)

    def __reduce__(self):
        return list, (self.tolist(),)


class Materialised:
    """A dataclass field (list-valued, default empty) that may be given a :class:`Taken`: it
    decodes it into a ``list`` the first time the field is read and keeps that list, so a run
    pays for naming its ops only where someone asks (``Result.critical_path_op_names``)."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return ()  # the dataclass default (hashable); __set__ stores a fresh list
        v = obj.__dict__.get(self.name, [])
        if not isinstance(v, list):
            v = obj.__dict__[self.name] = v.tolist() if isinstance(v, Taken) else list(v)
        return v

    def __set__(self, obj, value) -> None:
        obj.__dict__[self.name] = value if isinstance(value, (list, Taken)) else list(value)


# --------------------------------------------------------------------------- tags
class TagColumns:
    """Per-op tags as columns.

    ``orders[order_code[i]]`` is the tuple of keys of op ``i`` (in its order);
    ``columns[key]`` is ``("int", int64 values)`` or ``("json", int32 codes, vocab)``
    with one entry per op (meaningless where the op lacks the key).
    """

    __slots__ = ("order_code", "orders", "columns")

    def __init__(self, order_code: np.ndarray, orders: list[tuple[str, ...]],
                 columns: dict[str, tuple]):
        self.order_code = order_code
        self.orders = orders
        self.columns = columns

    @classmethod
    def empty(cls, n: int) -> "TagColumns":
        return cls(np.zeros(n, dtype=np.int32), [()], {})

    def get(self, i: int) -> dict[str, object]:
        keys = self.orders[int(self.order_code[i])]
        out: dict[str, object] = {}
        for key in keys:
            col = self.columns[key]
            if col[0] == "int":
                out[key] = int(col[1][i])
            else:
                v = col[2][int(col[1][i])]
                out[key] = json.loads(json.dumps(v)) if isinstance(v, (list, dict)) else v
        return out


class _TagColumnBuilder:
    """One key's values: int64 while every value is an int, else codes into a vocabulary."""

    __slots__ = ("idx", "ints", "codes", "vocab_ids", "vocab")

    def __init__(self) -> None:
        self.idx = array("q")
        self.ints: array | None = array("q")
        self.codes: array | None = None
        self.vocab_ids: dict[tuple[bool, object], int] = {}
        self.vocab: list[object] = []

    def add(self, i: int, v: object) -> None:
        self.idx.append(i)
        if self.ints is not None:
            if type(v) is int and -(1 << 63) <= v < (1 << 63):
                self.ints.append(v)
                return
            self.codes = array("i", (self._code(x) for x in self.ints))
            self.ints = None
        self.codes.append(self._code(v))  # type: ignore[union-attr]

    def add_ints(self, idx: list[int], values: list[int]) -> bool:
        """Add int values (already checked to be ints) at ops ``idx``; False (nothing added)
        when they do not all fit an int64 column."""
        if self.ints is None or not values or min(values) < -(1 << 63) or max(values) >= (1 << 63):
            return False
        self.idx.fromlist(idx)
        self.ints.fromlist(values)
        return True

    def add_values(self, idx: list[int], values: list) -> None:
        """Add values (ints and strings only) at ops ``idx``, as codes into the vocabulary."""
        if self.ints is not None:
            self.codes = array("i", (self._code(x) for x in self.ints))
            self.ints = None
        self.idx.fromlist(idx)
        # ints and strings only (add_many checked): a value's code once per distinct value, in
        # first-appearance order as one by one would give
        lut = {v: self._code(v) for v in dict.fromkeys(values)}
        self.codes.fromlist(list(map(lut.__getitem__, values)))  # type: ignore[union-attr]

    def _code(self, v: object) -> int:
        # strings by value; anything else by its JSON text (1, 1.0, true and "1" differ)
        key = (True, v) if type(v) is str else (False, json.dumps(v))
        c = self.vocab_ids.get(key)
        if c is None:
            c = self.vocab_ids[key] = len(self.vocab)
            self.vocab.append(v)
        return c

    def build(self, n: int) -> tuple:
        idx = np.frombuffer(self.idx, dtype=np.int64)
        if self.ints is not None:
            arr = np.zeros(n, dtype=np.int64)
            arr[idx] = np.frombuffer(self.ints, dtype=np.int64)
            return ("int", arr)
        codes = np.zeros(n, dtype=np.int32)
        codes[idx] = np.frombuffer(self.codes, dtype=np.int32)
        return ("json", codes, self.vocab)


class TagBuilder:
    """Collects one tags mapping per op into :class:`TagColumns` (growing arrays, no
    per-op objects kept)."""

    def __init__(self) -> None:
        self.order_code = array("i")
        self.order_ids: dict[tuple[str, ...], int] = {(): 0}
        self.values: dict[str, _TagColumnBuilder] = {}

    def add(self, tags: Mapping[str, object] | None, where: str) -> None:
        i = len(self.order_code)
        if not tags:
            self.order_code.append(0)
            return
        if not isinstance(tags, Mapping):
            raise WorkloadError(f"{where}: field 'tags' must be an object, got {type(tags).__name__}")
        keys = tuple(tags)
        code = self.order_ids.get(keys)
        if code is None:
            for k in keys:
                if type(k) is not str:
                    raise WorkloadError(f"{where}: 'tags' has a key {k!r}; keys must be strings")
            code = self.order_ids[keys] = len(self.order_ids)
        for k, v in tags.items():
            if type(v) is not int and type(v) is not str:
                check_json_value(v, where, f"tags.{k}")
        self.order_code.append(code)
        for k, v in tags.items():
            col = self.values.get(k)
            if col is None:
                col = self.values[k] = _TagColumnBuilder()
            col.add(i, v)

    def add_many(self, tags: list) -> bool:
        """The fast path for many ops at once: every op's tags a dict of int or str values
        under string keys. Returns False, having added nothing, for anything else (the caller
        then adds op by op, which words the error)."""
        first = len(self.order_code)
        types = set(map(type, tags))
        if not types <= {dict, type(None)}:
            return False
        keys_of = list(map(tuple, tags)) if types == {dict} else [tuple(t) if t else () for t in tags]
        distinct = set(keys_of)
        groups: dict[tuple, list[int]] = {}
        if len(distinct) == 1:  # the common case: every op of the chunk has the same keys
            keys = distinct.pop()
            if keys:
                groups[keys] = list(range(len(tags)))
        else:
            for j, keys in enumerate(keys_of):
                if keys:
                    groups.setdefault(keys, []).append(j)
        new_orders: dict[tuple, int] = {}
        plan = []
        for keys, js in groups.items():
            if keys not in self.order_ids:
                if not all(type(k) is str for k in keys):
                    return False
                new_orders[keys] = len(self.order_ids) + len(new_orders)
            group = tags if len(js) == len(tags) else [tags[j] for j in js]
            idx = [first + j for j in js]
            for k in keys:
                values = list(map(itemgetter(k), group))
                types = set(map(type, values))
                if not types <= {int, str}:
                    return False
                plan.append((k, idx, values, types == {int}))
        for k, idx, values, ints in plan:
            col = self.values.get(k)
            if col is None:
                col = self.values[k] = _TagColumnBuilder()
            if not (ints and col.add_ints(idx, values)):
                col.add_values(idx, values)
        self.order_ids.update(new_orders)
        self.order_code.fromlist([self.order_ids[keys] for keys in keys_of])
        return True

    def build(self, n: int) -> TagColumns:
        columns = {key: col.build(n) for key, col in self.values.items()}
        orders = [k for k, _ in sorted(self.order_ids.items(), key=lambda kv: kv[1])]
        order = np.frombuffer(self.order_code, dtype=np.int32) if n else np.zeros(0, dtype=np.int32)
        return TagColumns(order.copy(), orders, columns)
