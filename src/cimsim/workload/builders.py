"""The columnar op builder of the generators: tensors and ops appended one at a time or as
blocks of many alike, straight into column buffers (no Python object per op).

:class:`Builder` is what every generator builds with. One-at-a-time calls
(:meth:`Builder.tensor`, :meth:`Builder.matmul`, :meth:`Builder.vector`) name
tensors by name or id; block calls (:meth:`Builder.tensors`, :meth:`Builder.ops`)
append ``n`` instances of a few tensors or ops at once, instance by instance
(instance 0's tensors, then instance 1's, ...), with ids and fields as NumPy
arrays: a million-op recurrent workload is a few dozen array operations.
:meth:`Builder.build` hands the columns to ``Workload.from_columns``, which
validates them as it validates every workload.

:data:`CELL_FN` names the one fused pointwise op of a recurrent step; the
generators emit it and the tracer's pointwise fusion
(:mod:`cimsim.workload.trace.fuse`) names a fused recurrent step with it, so a
traced ``nn.LSTM`` / ``nn.GRU`` and the generator's have the same op structure
(``tests/workload/trace/test_trace.py`` holds them to it).
"""

from __future__ import annotations

from array import array
from typing import Mapping, Sequence, Union

import numpy as np

from ..errors import WorkloadError
from .columns import StringTable, TagColumns
from .ir import Workload, WorkloadColumns
from .kinds import DTYPE_CODES, KIND_CODES, ROLE_CODES

#: the most ops a workload holds (its op indices are 32-bit in the tag columns)
MAX_OPS = 2 ** 31 - 1

#: fused pointwise op of one recurrent step, by cell
CELL_FN: dict[str, str] = {"lstm": "lstm_pointwise", "gru": "gru_pointwise", "rnn": "rnn_pointwise"}

#: a tensor by name or id (one op), or ids of one tensor per instance (a block)
Ref = Union[str, int, np.ndarray]


def _i64(a: array) -> np.ndarray:
    # a view of the buffer (which then can no longer grow: a builder builds once)
    return np.frombuffer(a, dtype=np.int64) if len(a) else np.zeros(0, np.int64)


def _put(buf: array, values) -> None:
    """Append int64 ``values`` (an array) to ``buf`` at C speed."""
    buf.frombytes(np.ascontiguousarray(values, dtype=np.int64).tobytes())


def _interleave(lists: list[Sequence[str]], n: int) -> Sequence[str]:
    """``lists[0][0], lists[1][0], ..., lists[0][1], ...`` (instance by instance)."""
    if len(lists) == 1:
        return lists[0]
    out: list = [None] * (n * len(lists))
    for q, names in enumerate(lists):
        out[q::len(lists)] = names
    return out


class Builder:
    """Collects tensors (all of one dtype) and ops in dependency order, as columns."""

    def __init__(self, dtype: str):
        self.dtype = dtype
        self._dtype_code = DTYPE_CODES[dtype]
        self._tnames: list[str] = []
        self._ids: dict[str, int] = {}  # names of tensors declared one at a time
        self._ndims, self._dims, self._role = array("q"), array("q"), array("q")
        self._onames: list[str] = []
        self._kind, self._n_in, self._in, self._n_out, self._out = (array("q") for _ in range(5))
        self._m, self._k, self._n, self._batch, self._weight, self._fn = (array("q") for _ in range(6))
        self._ope = array("d")
        self._fn_ids: dict[str, int] = {}
        self._orders: dict[tuple[str, ...], int] = {(): 0}
        self._order = array("q")
        #: tag key -> pieces of (op indices, values: int64 array, or str per op / one str)
        self._tags: dict[str, list[tuple[np.ndarray, object]]] = {}
        #: tag key -> (op indices, values) of ops appended one at a time
        self._one_tags: dict[str, tuple[list[int], list]] = {}

    # ------------------------------------------------------------------ one at a time
    def id(self, ref: Ref):
        return self._ids[ref] if isinstance(ref, str) else ref

    def tensor(self, name: str, shape: tuple[int, ...], role: str = "activation") -> str:
        self._ids[name] = len(self._tnames)
        self._tnames.append(name)
        self._ndims.append(len(shape))
        self._dims.extend(int(s) for s in shape)
        self._role.append(ROLE_CODES[role])
        return name

    def matmul(self, name, a, b, *, m, k, n, batch=1, weight=False, outputs, tags) -> None:
        self._op(name, "matmul", (a, b), outputs, (m, k, n, batch), self.id(b) if weight else -1, None,
                 None, tags)

    def vector(self, name, kind, inputs, output, *, tags, fn=None, ops_per_element=None) -> None:
        self._op(name, kind, inputs, output, (0, 0, 0, 1), -1, fn, ops_per_element, tags)

    def _refs(self, refs) -> list[int]:
        if isinstance(refs, (str, int, np.integer)):
            refs = (refs,)
        out: list[int] = []
        for r in refs:
            if isinstance(r, np.ndarray):
                out.extend(r.tolist())
            else:
                out.append(int(self.id(r)))
        return out

    def _op(self, name, kind, inputs, outputs, dims, weight, fn, ope, tags) -> None:
        """One op, appended field by field (no array per op)."""
        i = len(self._onames)
        self._onames.append(name)
        self._kind.append(KIND_CODES[kind])
        for refs, count, ids in ((inputs, self._n_in, self._in), (outputs, self._n_out, self._out)):
            r = self._refs(refs)
            count.append(len(r))
            ids.fromlist(r)
        for buf, v in zip((self._m, self._k, self._n, self._batch), dims):
            buf.append(int(v))
        self._weight.append(int(weight))
        self._fn.append(-1 if fn is None else self._fn_ids.setdefault(fn, len(self._fn_ids)))
        self._ope.append(np.nan if ope is None else float(ope))
        tags = tags or {}
        self._order.append(self._orders.setdefault(tuple(tags), len(self._orders)))
        for key, v in tags.items():
            if not (type(v) is int or type(v) is str):
                raise TypeError(f"tag {key}={v!r}: generators tag with ints and strings")
            one = self._one_tags.get(key)
            if one is None:
                one = self._one_tags[key] = ([], [])
            one[0].append(i)
            one[1].append(v)

    # ------------------------------------------------------------------ blocks
    def tensors(self, n: int, specs: Sequence[tuple[Sequence[str], object, str]]) -> list[np.ndarray]:
        """Declare ``n`` instances of ``len(specs)`` tensors, instance by instance. A spec is
        ``(names, shape, role)``: ``n`` names, a shape (a tuple, or an ``(n, ndim)`` array), a
        role. Returns the ids of each spec's tensors (arrays of ``n``)."""
        r, base = len(specs), len(self._tnames)
        self._tnames.extend(_interleave([s[0] for s in specs], n))
        shapes = [np.broadcast_to(np.asarray(s[1], dtype=np.int64), (n, np.shape(s[1])[-1])) for s in specs]
        _put(self._ndims, np.tile([s.shape[1] for s in shapes], n))
        _put(self._dims, np.concatenate(shapes, axis=1).ravel())
        _put(self._role, np.tile([ROLE_CODES[s[2]] for s in specs], n))
        return [base + np.arange(n, dtype=np.int64) * r + q for q in range(r)]

    def _col(self, n: int, v) -> np.ndarray:
        return np.broadcast_to(np.asarray(self.id(v), dtype=np.int64), (n,))

    def ops(self, n: int, specs: Sequence[Mapping]) -> None:
        """Append ``n`` instances of ``len(specs)`` ops, instance by instance. A spec holds
        ``names`` (``n`` names), ``kind``, ``inputs`` and ``outputs`` (refs: a name or id for
        all instances, or an array of ``n`` ids; for one op, one spec with ``n == 1``, an
        array is any number of tensors),
        optionally ``m, k, n, batch, weight`` (a scalar or an array of ``n``), ``fn``,
        ``ope`` (ops per element) and ``tags`` (key -> a scalar or an array of ``n``)."""
        r, start = len(specs), len(self._onames)
        self._onames.extend(_interleave([s["names"] for s in specs], n))

        def grid(key, default):  # (n, r) values, instance-major
            return np.stack([self._col(n, s.get(key, default)) for s in specs], axis=1).ravel()

        _put(self._kind, np.tile([KIND_CODES[s["kind"]] for s in specs], n))
        for key, count, ids in (("inputs", self._n_in, self._in), ("outputs", self._n_out, self._out)):
            if n == 1 and r == 1:  # one op: a ref may be an array of any number of tensors
                refs = [np.atleast_1d(np.asarray(self.id(ref), dtype=np.int64)) for ref in specs[0][key]]
                flat = np.concatenate(refs) if refs else np.zeros(0, np.int64)
                count.append(len(flat))
                _put(ids, flat)
                continue
            _put(count, np.tile([len(s[key]) for s in specs], n))
            cols = [self._col(n, ref) for s in specs for ref in s[key]]
            _put(ids, np.stack(cols, axis=1).ravel() if cols else np.zeros(0, np.int64))
        for key, buf, default in (("m", self._m, 0), ("k", self._k, 0), ("n", self._n, 0),
                                  ("batch", self._batch, 1), ("weight", self._weight, -1)):
            _put(buf, grid(key, default))
        fns = [-1 if s.get("fn") is None else self._fn_ids.setdefault(s["fn"], len(self._fn_ids))
               for s in specs]
        _put(self._fn, np.tile(fns, n))
        opes = [np.nan if s.get("ope") is None else float(s["ope"]) for s in specs]
        self._ope.frombytes(np.tile(np.array(opes, dtype=np.float64), n).tobytes())
        orders = []
        for q, s in enumerate(specs):
            tags = dict(s.get("tags") or {})
            orders.append(self._orders.setdefault(tuple(tags), len(self._orders)))
            idx = start + np.arange(n, dtype=np.int64) * r + q
            for key, v in tags.items():
                if isinstance(v, (str, np.ndarray, list)) or type(v) is int:
                    value = np.asarray(v, dtype=np.int64) if isinstance(v, np.ndarray) or type(v) is int \
                        else v
                else:
                    raise TypeError(f"tag {key}={v!r}: generators tag with ints and strings")
                self._tags.setdefault(key, []).append((idx, value))
        _put(self._order, np.tile(orders, n))

    # ------------------------------------------------------------------ result
    def _tag_columns(self, n_ops: int) -> TagColumns:
        columns: dict[str, tuple] = {}
        for key, (idx, values) in self._one_tags.items():
            ints = all(type(v) is int for v in values)
            piece = np.array(values, dtype=np.int64) if ints else values
            self._tags.setdefault(key, []).append((np.array(idx, dtype=np.int64), piece))
        for key, pieces in self._tags.items():
            if all(not isinstance(v, (str, list)) for _, v in pieces):  # every value an int
                col = np.zeros(n_ops, dtype=np.int64)
                for idx, v in pieces:
                    col[idx] = v
                columns[key] = ("int", col)
                continue
            vocab: list[object] = []
            code_of: dict[tuple[bool, object], int] = {}

            def code(x) -> int:
                k = (type(x) is str, x)
                if k not in code_of:
                    code_of[k] = len(vocab)
                    vocab.append(x)
                return code_of[k]

            codes = np.zeros(n_ops, dtype=np.int32)
            for idx, v in pieces:
                if isinstance(v, str):
                    codes[idx] = code(v)
                elif isinstance(v, list):
                    codes[idx] = [code(x) for x in v]
                else:
                    uniq, inv = np.unique(v, return_inverse=True)
                    codes[idx] = np.array([code(int(x)) for x in uniq], dtype=np.int32)[inv]
            columns[key] = ("json", codes, vocab)
        orders = [keys for keys, _ in sorted(self._orders.items(), key=lambda kv: kv[1])]
        return TagColumns(_i64(self._order).astype(np.int32), orders, columns)  # < MAX_OPS: columns()

    def columns(self) -> WorkloadColumns:
        nt, no = len(self._tnames), len(self._onames)
        if no > MAX_OPS:  # the 32-bit columns (tag order, fn) would wrap, silently
            raise WorkloadError(f"{no:,} ops: more than a workload holds ({MAX_OPS:,}: op indices "
                                "are 32-bit); use smaller sizes")
        ptr = lambda counts: np.concatenate(([0], np.cumsum(_i64(counts))))  # noqa: E731
        return WorkloadColumns(
            tensor_names=StringTable.from_list(self._tnames, "tensor"), shape_ptr=ptr(self._ndims),
            shape_dims=_i64(self._dims), tensor_dtype=np.full(nt, self._dtype_code, dtype=np.int8),
            tensor_role=_i64(self._role).astype(np.int8), op_names=StringTable.from_list(self._onames, "op"),
            kind=_i64(self._kind).astype(np.int8), in_ptr=ptr(self._n_in), in_ids=_i64(self._in),
            out_ptr=ptr(self._n_out), out_ids=_i64(self._out), m=_i64(self._m), k=_i64(self._k),
            n=_i64(self._n), batch=_i64(self._batch), weight=_i64(self._weight),
            fn=_i64(self._fn).astype(np.int32), fn_vocab=tuple(self._fn_ids),
            ops_per_element=np.frombuffer(self._ope, dtype=np.float64) if no else np.zeros(0),
            tags=self._tag_columns(no))

    def build(self, name: str, metadata: dict) -> Workload:
        """The workload (once: the builder lets go of its buffers, so that a large workload's
        names and columns are not held twice while it is validated)."""
        columns = self.columns()
        self.__dict__.clear()
        w = Workload.from_columns(name, columns, metadata)
        expected = metadata.get("macs")
        if expected is not None and w.macs != expected:  # a generator bug, not user input
            raise AssertionError(f"{name}: op MACs {w.macs} != closed form {expected}")
        return w
