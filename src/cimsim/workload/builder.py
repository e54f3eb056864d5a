"""Building a workload op by op: :class:`WorkloadBuilder` appends tensors and ops into growing
columns and hands them to :meth:`~cimsim.workload.ir.Workload.from_columns`.

Each call takes a fast path when every field is well typed (a few ``type()``
tests, then appends) and otherwise a checked path that words what is wrong with
the field (a one-line :class:`~cimsim.errors.WorkloadError`). The builder checks
only what it needs to store a value: types, names of declared tensors, strings
it turns into codes, integers that fit the int64 columns. Every rule on the
values (positive shapes, tensor and MAC limits, operand sizes, dependency order,
repeated names, ...) is one entry of :mod:`cimsim.workload.checks`, run once
over the columns by :meth:`WorkloadBuilder.build`.
"""

from __future__ import annotations

import math
from array import array
from itertools import accumulate, chain, islice
from typing import Mapping, Sequence

import numpy as np

from ..dtypes import DTYPE_BYTES
from ..errors import WorkloadError
from .checks import MAX_COUNT, describe, finite_ope_message, is_int, shape_message, tensor_bytes_message
from .columns import StringTable, TagBuilder
from .ir import Workload, WorkloadColumns
from .kinds import DTYPE_CODES, KIND_CODES, OP_KINDS, ROLE_CODES, ROLES

#: Keys of an op object in a workload file
OP_KEYS = frozenset({"name", "kind", "inputs", "outputs", "m", "k", "n", "batch", "weight", "fn",
                      "ops_per_element", "tags", "generic_macs"})


NONE = type(None)


def _only(values: list, *types: type) -> bool:
    """Every value's type is one of ``types`` (exactly: a bool is not an int)."""
    return set(map(type, values)) <= set(types)


def _ptrs(lists: list, last: int) -> list[int]:
    """CSR pointers after ``last`` for the lengths of ``lists``."""
    return list(islice(accumulate(map(len, lists), initial=last), 1, None))


def _frombuffer(a: array, dtype) -> np.ndarray:
    return np.frombuffer(a, dtype=dtype) if len(a) else np.zeros(0, dtype=dtype)


class WorkloadBuilder:
    """Appends tensors and ops into growing columns, checking each field's type as it
    arrives; :meth:`build` validates the whole graph (vectorised) and returns the
    :class:`Workload`. What generators, the tracer and the file readers use.

    >>> b = WorkloadBuilder("tiny")
    >>> b.tensor("x", (1, 4), "fp32", "input"); b.tensor("W", (4, 8), "fp32", "weight")
    >>> b.tensor("y", (1, 8), "fp32", "activation")
    >>> b.op("mm", "matmul", ["x", "W"], ["y"], m=1, k=4, n=8, weight="W")
    >>> w = b.build()

    ``by_id=True``: ops name their tensors by the ids :meth:`tensor` returned (ints)
    instead of by name; no name index is kept (the cheapest way to write a large
    workload; a repeated tensor name is then found when :meth:`build` validates).
    :meth:`build` may be called again (each call returns an equal workload), but a builder
    takes no tensor or op after it: the built workload shares its columns (one line says so).
    """

    def __init__(self, name: str, by_id: bool = False):
        if type(name) is not str:
            raise WorkloadError(f"the workload 'name' must be a string, got {describe(name)}")
        self.name = name
        self._built = False
        self._tnames: list[str] = []
        self._tid: dict[str, int] | None = None if by_id else {}
        self._shape_ptr = array("q", [0])
        self._dims = array("q")
        self._tdtype = array("b")
        self._trole = array("b")
        self._onames: list[str] = []
        self._kind = array("b")
        self._in_ptr = array("q", [0])
        self._in = array("q")
        self._out_ptr = array("q", [0])
        self._out = array("q")
        self._mknb = tuple(array("q") for _ in range(4))
        self._weight = array("q")
        self._fn = array("i")
        self._fn_ids: dict[str, int] = {}
        self._ope = array("d")
        self._gm = array("q")
        self._tags = TagBuilder()

    def _fail(self, where: str, msg: str):
        raise WorkloadError(f"workload '{self.name}': {where}: {msg}")

    def __len__(self) -> int:
        return len(self._onames)

    # ------------------------------------------------------------------ tensors
    def tensor(self, name: str, shape: Sequence[int], dtype: str, role: str = "activation") -> int:
        """Declare a tensor; returns its id. ``shape``: a list or tuple of positive integers
        (NumPy integers too) or a 1-D NumPy integer array."""
        if self._built:
            self._after_build()
        # fast path: every field well typed (the checked path words the errors)
        if (type(name) is str and type(role) is str and type(dtype) is str
                and type(shape) in (tuple, list) and all(type(d) is int for d in shape)
                and (not shape or max(shape) <= MAX_COUNT and min(shape) >= -MAX_COUNT)):
            rc, dc = ROLE_CODES.get(role), DTYPE_CODES.get(dtype)
            if rc is not None and dc is not None:
                return self._append_tensor(name, shape, dc, rc)
        return self._tensor_checked(name, shape, dtype, role)

    def _append_tensor(self, name: str, shape, dc: int, rc: int) -> int:
        i = len(self._tnames)
        if self._tid is not None:
            self._tid.setdefault(name, i)  # a repeated name is a rule of checks (build)
        self._tnames.append(name)
        self._dims.extend(shape)
        self._shape_ptr.append(len(self._dims))
        self._tdtype.append(dc)
        self._trole.append(rc)
        return i

    def _tensor_checked(self, name, shape, dtype, role) -> int:
        i = len(self._tnames)
        if type(name) is not str:
            self._fail(f"tensor #{i}", f"field 'name' must be a string, got {describe(name)}")
        where = f"tensor '{name}'"
        if type(role) is not str:
            self._fail(where, f"field 'role' must be a string, got {describe(role)}")
        rc = ROLE_CODES.get(role)
        if rc is None:
            self._fail(where, f"role '{role}' is not one of {', '.join(ROLES)}")
        if type(dtype) is not str:
            self._fail(where, f"field 'dtype' must be a string, got {describe(dtype)}")
        dc = DTYPE_CODES.get(dtype)
        if dc is None:
            self._fail(where, f"dtype '{dtype}' is not one of {', '.join(DTYPE_BYTES)}")
        if isinstance(shape, np.ndarray) and shape.ndim == 1 and shape.dtype.kind in "iu":
            shape = shape.tolist()  # a NumPy shape (a 1-D integer array) reads as its list
        elif isinstance(shape, np.ndarray):
            self._fail(where, f"shape must be a list, a tuple or a 1-D integer array of positive "
                              f"integers, got a {shape.ndim}-D {shape.dtype} array {shape.tolist()}")
        if not isinstance(shape, (list, tuple)) or not all(is_int(d) for d in shape):
            self._fail(where, shape_message(tuple(shape) if isinstance(shape, (list, tuple)) else shape))
        # int64 storage: a dimension beyond 2**62 is refused here, worded as the rule would
        if any(d > MAX_COUNT for d in shape):
            self._fail(where, tensor_bytes_message(tuple(shape)))
        if any(d < -MAX_COUNT for d in shape):
            self._fail(where, shape_message(tuple(shape)))
        return self._append_tensor(name, [int(d) for d in shape], dc, rc)

    # ------------------------------------------------------------------ ops
    def _ids(self, ids: object) -> list[int] | None:
        """``ids`` as a list if every one is a declared tensor id (by_id mode), else None."""
        out = list(ids)  # type: ignore[call-overload]
        if out and not (all(type(t) is int for t in out) and min(out) >= 0 and max(out) < len(self._tnames)):
            return None
        return out

    def _refs(self, names: object, key: str, what: str, where: str) -> list[int]:
        if self._tid is None:  # by id
            if not isinstance(names, (list, tuple)):
                self._fail(where, f"field '{key}' must be a list of tensor ids, got {describe(names)}")
            for t in names:
                if not is_int(t) or not 0 <= t < len(self._tnames):
                    self._fail(where, f"{what} {describe(t)} is not a declared tensor id "
                                      f"(0..{len(self._tnames) - 1})")
            return [int(t) for t in names]
        if not isinstance(names, (list, tuple)):
            self._fail(where, f"field '{key}' must be a list of tensor names, got {describe(names)}")
        tid = self._tid
        ids = []
        for t in names:
            j = tid.get(t) if type(t) is str else None
            if j is None:
                if type(t) is not str:
                    self._fail(where, f"field '{key}' must be a list of tensor names; it holds "
                                      f"{describe(t)}")
                self._fail(where, f"{what} '{t}' is not a declared tensor")
            ids.append(j)
        return ids

    def op(self, name: str, kind: str, inputs: Sequence[str], outputs: Sequence[str], m: int = 0,
           k: int = 0, n: int = 0, batch: int = 1, weight: str | None = None, fn: str | None = None,
           ops_per_element: float | None = None, tags: Mapping[str, object] | None = None,
           generic_macs: int = 0) -> int:
        """Append an op (fields as :class:`Op`, tensors by name); returns its index."""
        if self._built:
            self._after_build()
        i = len(self._onames)
        # fast path: every field well typed (the checked path words the errors)
        kc = KIND_CODES.get(kind) if type(kind) is str else None
        if (kc is not None and type(name) is str and type(m) is int and type(k) is int
                and type(n) is int and type(batch) is int and type(inputs) in (tuple, list)
                and type(outputs) in (tuple, list)
                and (weight is None or type(weight) is (str if self._tid is not None else int))
                and (fn is None or type(fn) is str)
                and (ops_per_element is None or type(ops_per_element) in (int, float))
                and type(generic_macs) is int
                and -MAX_COUNT <= min(m, k, n, batch, generic_macs)
                and max(m, k, n, batch, generic_macs) <= MAX_COUNT):
            tid = self._tid
            try:
                if tid is None:
                    ins, outs = self._ids(inputs), self._ids(outputs)
                    wid = -1 if weight is None else self._ids((weight,))[0]  # type: ignore[index]
                else:
                    ins = [tid[t] for t in inputs]
                    outs = [tid[t] for t in outputs]
                    wid = -1 if weight is None else tid[weight]
                ope = math.nan if ops_per_element is None else float(ops_per_element)
            except (KeyError, TypeError, OverflowError):
                pass
            else:
                if ins is not None and outs is not None and (ops_per_element is None or ope == ope):
                    self._tags.add(tags, f"op '{name}' (#{i})")
                    self._append_op(name, kc, ins, outs, (m, k, n, batch), wid,
                                    -1 if fn is None else self._fn_ids.setdefault(fn, len(self._fn_ids)),
                                    ope, generic_macs)
                    return i
        if type(name) is not str:
            self._fail(f"op #{i}", f"field 'name' must be a string, got {describe(name)}")
        where = f"op '{name}' (#{i})"
        if type(kind) is not str:
            self._fail(where, f"field 'kind' must be a string, got {describe(kind)}")
        kc = KIND_CODES.get(kind)
        if kc is None:
            self._fail(where, f"kind '{kind}' is not one of {', '.join(OP_KINDS)}")
        ins = self._refs(inputs, "inputs", "input", where)
        outs = self._refs(outputs, "outputs", "output", where)
        dims = (m, k, n, batch)
        for key, v in zip(("m", "k", "n", "batch"), dims):
            if not is_int(v) or not -MAX_COUNT <= v <= MAX_COUNT:
                self._fail(where, f"field '{key}' must be an integer (at most 2**62), got {describe(v)}")
        if weight is None:
            wid = -1
        elif self._tid is None:
            wid = self._refs([weight], "weight", "weight", where)[0]
        elif type(weight) is not str:
            self._fail(where, f"field 'weight' must be a tensor name or null, got {describe(weight)}")
        else:
            wid = self._tid.get(weight, -1)
            if wid < 0:
                self._fail(where, f"weight '{weight}' is not a declared tensor")
        if fn is None:
            fc = -1
        elif type(fn) is not str:
            self._fail(where, f"field 'fn' must be a string or null, got {describe(fn)}")
        else:
            fc = self._fn_ids.setdefault(fn, len(self._fn_ids))
        if ops_per_element is None:
            ope = math.nan
        else:
            if isinstance(ops_per_element, (bool, np.bool_)) or not isinstance(
                    ops_per_element, (int, float, np.integer, np.floating)):
                self._fail(where, f"field 'ops_per_element' must be a number, got {describe(ops_per_element)}")
            try:
                ope = float(ops_per_element)
            except OverflowError:
                ope = math.inf  # refused by a rule of checks, as an infinite value is
            if math.isnan(ope):  # NaN marks "not set" in the column: it cannot be stored
                self._fail(where, finite_ope_message(ops_per_element))
        if not is_int(generic_macs) or not -MAX_COUNT <= generic_macs <= MAX_COUNT:
            self._fail(where, f"field 'generic_macs' must be a non-negative integer, got {describe(generic_macs)}")
        self._tags.add(tags, where)
        self._append_op(name, kc, ins, outs, dims, wid, fc, ope, int(generic_macs))
        return i

    def _append_op(self, name, kc, ins, outs, dims, wid, fc, ope, gm=0) -> None:
        self._onames.append(name)
        self._kind.append(kc)
        self._in.extend(ins)
        self._in_ptr.append(len(self._in))
        self._out.extend(outs)
        self._out_ptr.append(len(self._out))
        for col, v in zip(self._mknb, dims):
            col.append(int(v))
        self._weight.append(wid)
        self._fn.append(fc)
        self._ope.append(ope)
        self._gm.append(gm)

    # ------------------------------------------------------------------ many at once
    def tensors_from_records(self, items: list) -> bool:
        """Declare the tensors of ``items`` (dicts with exactly the keys name, shape, dtype,
        role) at list-comprehension speed when every field is well typed; returns False,
        having declared nothing, otherwise (then declare them one by one: that words the
        error)."""
        if self._built:
            self._after_build()
        tid = self._tid
        if not items:
            return tid is not None
        try:
            if tid is None or not _only(items, dict) or set(map(len, items)) - {4}:
                return False
            names = [t["name"] for t in items]
            shapes = [t["shape"] for t in items]
            dcs = [DTYPE_CODES[t["dtype"]] for t in items]
            rcs = [ROLE_CODES[t["role"]] for t in items]
        except (KeyError, TypeError):
            return False
        if not (_only(names, str) and _only(shapes, list)):
            return False
        dims = list(chain.from_iterable(shapes))
        if dims and not (_only(dims, int) and -MAX_COUNT <= min(dims) and max(dims) <= MAX_COUNT):
            return False
        base = len(self._tnames)
        new = dict(zip(names, range(base, base + len(names))))
        if len(new) != len(names) or not tid.keys().isdisjoint(new):
            return False  # a repeated name: one by one keeps the first id
        tid.update(new)
        self._tnames.extend(names)
        self._dims.fromlist(dims)
        self._shape_ptr.fromlist(_ptrs(shapes, self._shape_ptr[-1]))
        self._tdtype.fromlist(dcs)
        self._trole.fromlist(rcs)
        return True

    def ops_from_records(self, items: list) -> bool:
        """Append the ops of ``items`` (dicts with the keys of a workload file's ops) at
        list-comprehension speed when every field is well typed; returns False, having
        appended nothing, otherwise (then append them one by one: that words the error)."""
        if self._built:
            self._after_build()
        tid = self._tid
        if tid is None:
            return False
        if not items:
            return True
        try:
            if not _only(items, dict) or not set(chain.from_iterable(items)) <= OP_KEYS:
                return False
            names = [o["name"] for o in items]
            kcs = [KIND_CODES[o["kind"]] for o in items]
            ins = [o["inputs"] for o in items]
            outs = [o["outputs"] for o in items]
            if not (_only(names, str) and _only(ins, list) and _only(outs, list)):
                return False
            in_ids = list(map(tid.__getitem__, chain.from_iterable(ins)))
            out_ids = list(map(tid.__getitem__, chain.from_iterable(outs)))
            # a matmul without m, k or n: None, so one by one words it (not as a zero given)
            mm = [o["kind"] == "matmul" for o in items]
            dims = [[o.get(key, None if is_mm and key in "mkn" else default) for o, is_mm in zip(items, mm)]
                    for key, default in (("m", 0), ("k", 0), ("n", 0), ("batch", 1), ("generic_macs", 0))]
            weights = [o.get("weight") for o in items]
            wids = [-1 if w is None else tid[w] for w in weights]
            fns = [o.get("fn") for o in items]
            opes = [o.get("ops_per_element") for o in items]
            tags = [o.get("tags") for o in items]
        except (KeyError, TypeError):
            return False
        flat = list(chain.from_iterable(dims))
        if not (_only(flat, int) and -MAX_COUNT <= min(flat) and max(flat) <= MAX_COUNT
                and _only(weights, str, NONE) and _only(fns, str, NONE)
                and _only(opes, int, float, NONE)):
            return False
        try:
            ope = [math.nan if v is None else float(v) for v in opes]
        except OverflowError:
            return False
        if any(map(math.isnan, [v for v in opes if v is not None])):
            return False  # NaN marks "not set" in the column
        if not self._tags.add_many(tags):
            return False
        fn_ids = self._fn_ids
        self._onames.extend(names)
        self._kind.fromlist(kcs)
        self._in.fromlist(in_ids)
        self._in_ptr.fromlist(_ptrs(ins, self._in_ptr[-1]))
        self._out.fromlist(out_ids)
        self._out_ptr.fromlist(_ptrs(outs, self._out_ptr[-1]))
        for col, values in zip(self._mknb, dims):
            col.fromlist(values)
        self._gm.fromlist(dims[4])
        self._weight.fromlist(wids)
        self._fn.fromlist([-1 if f is None else fn_ids.setdefault(f, len(fn_ids)) for f in fns])
        self._ope.fromlist(ope)
        return True

    # ------------------------------------------------------------------ result
    def columns(self) -> WorkloadColumns:
        m, k, n, batch = (_frombuffer(a, np.int64) for a in self._mknb)
        return WorkloadColumns(
            tensor_names=StringTable.from_list(self._tnames, "tensor"),
            shape_ptr=_frombuffer(self._shape_ptr, np.int64),
            shape_dims=_frombuffer(self._dims, np.int64),
            tensor_dtype=_frombuffer(self._tdtype, np.int8),
            tensor_role=_frombuffer(self._trole, np.int8),
            op_names=StringTable.from_list(self._onames, "op"),
            kind=_frombuffer(self._kind, np.int8),
            in_ptr=_frombuffer(self._in_ptr, np.int64), in_ids=_frombuffer(self._in, np.int64),
            out_ptr=_frombuffer(self._out_ptr, np.int64), out_ids=_frombuffer(self._out, np.int64),
            m=m, k=k, n=n, batch=batch,
            weight=_frombuffer(self._weight, np.int64),
            fn=_frombuffer(self._fn, np.int32),
            fn_vocab=tuple(self._fn_ids),
            ops_per_element=_frombuffer(self._ope, np.float64),
            tags=self._tags.build(len(self._onames)),
            generic_macs=_frombuffer(self._gm, np.int64),
        )

    def build(self, metadata: Mapping[str, object] | None = None) -> "Workload":
        w = Workload.from_columns(self.name, self.columns(), metadata)
        self._built = True
        return w

    def _after_build(self):
        self._fail("builder", "build() was called: the workload built shares this builder's "
                              "columns, so it takes no more tensors or ops (start a new "
                              "WorkloadBuilder, or declare everything before build())")

