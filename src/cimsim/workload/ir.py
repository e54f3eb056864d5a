"""The workload IR: a DAG of ops over named tensors.

A :class:`Workload` is a list of :class:`Op` in topological order over a set of
:class:`Tensor`. Dependencies are never written by hand: an op depends on the
ops that produce its input tensors. A tensor's ``role`` says where it comes from:

``input``
    given before the run starts (the model's inputs);
``weight``
    a stationary parameter (may be mapped to CIM arrays or PIM banks);
``activation``
    produced by exactly one op of the workload.

Matmul semantics: ``out[b, m, n] = sum_k A[b, m, k] * B[b, k, n]`` over
``batch`` independent products. A matmul may split its output over several
tensors (e.g. one per time step); their sizes add up to ``batch * m * n``. When ``weight`` names ``B``, the weight is
shared by the whole batch (``B`` has ``k * n`` elements). MACs of a matmul are
``batch * m * k * n``; every other kind does vector work only.

Storage is columnar (:class:`WorkloadColumns`): kind codes, dimensions, tensor
ids of inputs and outputs in CSR form and the tensor table, all NumPy arrays,
from the file to the engine. ``Workload.ops`` and ``Workload.tensors`` are views
that build an :class:`Op` / :class:`Tensor` only when one is asked for.
:class:`WorkloadBuilder` appends ops into growing columns (with every field
type-checked as it arrives); :meth:`Workload.from_columns` takes ready arrays.
Validation runs on the columns, vectorised; the first invalid op is then
re-checked alone to word its one-line error.
"""

from __future__ import annotations

import math
import reprlib
from array import array
from collections.abc import Mapping as MappingABC
from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from ..dtypes import DTYPE_BYTES, DTYPES
from ..errors import WorkloadError
from .columns import StringTable, TagBuilder, TagColumns, check_json_value
from .kinds import (  # noqa: F401  (re-exported: the names were defined here before)
    DTYPE_CODES,
    DTYPE_SIZES,
    ELEMENTWISE,
    ELEMENTWISE_OPS_PER_ELEMENT,
    KIND_CODES,
    KIND_OPS_PER_ELEMENT,
    MATMUL,
    OP_KINDS,
    ROLE_ACTIVATION,
    ROLE_CODES,
    ROLE_WEIGHT,
    ROLES,
    OpKind,
)

#: Largest dimension, element count, byte count or MAC count of one op or tensor.
MAX_COUNT = 1 << 62

_repr = reprlib.Repr()
_repr.maxlevel, _repr.maxstring, _repr.maxother, _repr.maxlist, _repr.maxtuple = 3, 60, 60, 8, 8


def describe(value: object) -> str:
    """``type value`` for an error message, shortened (never a multi-line or huge repr)."""
    return f"{type(value).__name__} {_repr.repr(value)}"


def is_int(value: object) -> bool:
    """An integer, not a bool (``True`` is not a dimension)."""
    return type(value) is int or isinstance(value, np.integer)


@dataclass(frozen=True, slots=True)
class Tensor:
    """A tensor of the workload."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    role: str

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.numel * DTYPE_BYTES[self.dtype]


@dataclass(frozen=True, slots=True)
class Op:
    """One operation.

    Parameters
    ----------
    name : unique op name.
    kind : one of :data:`OP_KINDS`.
    inputs, outputs : tensor names.
    m, k, n, batch : matmul dimensions (matmul only).
    weight : the input tensor that is the stationary ``B`` operand (matmul only).
    fn : elementwise function (elementwise only), a key of ELEMENTWISE_OPS_PER_ELEMENT.
    ops_per_element : override of the vector-op count per element.
    tags : free-form labels for reports (layer, step, level, ...).
    generic_macs : MACs of a non-matmul op whose arithmetic cimsim cannot map to a
        matmul (a traced op kept with ``--allow-unknown``, its FLOP-counter MACs); 0 otherwise.
    """

    name: str
    kind: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    m: int = 0
    k: int = 0
    n: int = 0
    batch: int = 1
    weight: str | None = None
    fn: str | None = None
    ops_per_element: float | None = None
    tags: Mapping[str, object] = field(default_factory=dict)
    generic_macs: int = 0

    @property
    def macs(self) -> int:
        return self.batch * self.m * self.k * self.n if self.kind == "matmul" else self.generic_macs


# --------------------------------------------------------------------------- columns
@dataclass(frozen=True, eq=False)
class WorkloadColumns:
    """A workload as NumPy columns (the storage behind :class:`Workload`).

    Tensors, by tensor id: ``tensor_names``; ``shape_dims[shape_ptr[i]:shape_ptr[i+1]]``
    is the shape of tensor ``i``; ``tensor_dtype`` (int8 index into DTYPES),
    ``tensor_role`` (int8 index into ROLES). Ops, in topological order:
    ``op_names``; ``kind`` (int8 index into OP_KINDS); inputs of op ``j`` are the
    tensor ids ``in_ids[in_ptr[j]:in_ptr[j+1]]`` (outputs likewise); ``m, k, n,
    batch`` (int64, as written even where the kind ignores them); ``weight``
    (tensor id of the stationary operand, -1 if none); ``fn`` (int32 index into
    ``fn_vocab``, -1 if none); ``ops_per_element`` (float64, NaN if not set); ``tags``;
    ``generic_macs`` (int64: MACs of a non-matmul op kept with its counted MACs, else 0;
    None when built without it means all zero).
    """

    tensor_names: StringTable
    shape_ptr: np.ndarray
    shape_dims: np.ndarray
    tensor_dtype: np.ndarray
    tensor_role: np.ndarray
    op_names: StringTable
    kind: np.ndarray
    in_ptr: np.ndarray
    in_ids: np.ndarray
    out_ptr: np.ndarray
    out_ids: np.ndarray
    m: np.ndarray
    k: np.ndarray
    n: np.ndarray
    batch: np.ndarray
    weight: np.ndarray
    fn: np.ndarray
    fn_vocab: tuple[str, ...]
    ops_per_element: np.ndarray
    tags: TagColumns
    generic_macs: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.generic_macs is None:
            object.__setattr__(self, "generic_macs", np.zeros(len(self.kind), dtype=np.int64))

    @property
    def n_ops(self) -> int:
        return len(self.kind)

    @property
    def n_tensors(self) -> int:
        return len(self.tensor_role)


#: Array columns and the NumPy dtype each is held in.
COLUMN_DTYPES: dict[str, type] = {
    "shape_ptr": np.int64, "shape_dims": np.int64, "tensor_dtype": np.int8, "tensor_role": np.int8,
    "kind": np.int8, "in_ptr": np.int64, "in_ids": np.int64, "out_ptr": np.int64,
    "out_ids": np.int64, "m": np.int64, "k": np.int64, "n": np.int64, "batch": np.int64,
    "weight": np.int64, "fn": np.int32, "ops_per_element": np.float64, "generic_macs": np.int64,
}


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
    A builder builds once.
    """

    def __init__(self, name: str, by_id: bool = False):
        if type(name) is not str:
            raise WorkloadError(f"the workload 'name' must be a string, got {describe(name)}")
        self.name = name
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
        """Declare a tensor; returns its id."""
        # fast path: every field well typed (the checks below word the errors)
        tid = self._tid
        if (type(name) is str and type(role) is str and type(dtype) is str
                and (tid is None or name not in tid)
                and type(shape) in (tuple, list) and shape and all(type(d) is int for d in shape)
                and min(shape) >= 1):
            rc, dc = ROLE_CODES.get(role), DTYPE_CODES.get(dtype)
            if rc is not None and dc is not None and math.prod(shape) * DTYPE_BYTES[dtype] <= MAX_COUNT:
                i = len(self._tnames)
                if tid is not None:
                    tid[name] = i
                self._tnames.append(name)
                self._dims.extend(shape)
                self._shape_ptr.append(len(self._dims))
                self._tdtype.append(dc)
                self._trole.append(rc)
                return i
        return self._tensor_checked(name, shape, dtype, role)

    def _tensor_checked(self, name, shape, dtype, role) -> int:
        i = len(self._tnames)
        if type(name) is not str:
            self._fail(f"tensor #{i}", f"field 'name' must be a string, got {describe(name)}")
        where = f"tensor '{name}'"
        if self._tid is not None and name in self._tid:
            raise WorkloadError(f"workload '{self.name}': tensor '{name}' is declared twice")
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
        if not isinstance(shape, (list, tuple)) or not shape or not all(is_int(d) and d >= 1 for d in shape):
            shown = tuple(shape) if isinstance(shape, (list, tuple)) else shape
            self._fail(where, f"shape {_repr.repr(shown)} must be a non-empty list of positive integers")
        numel = math.prod(int(d) for d in shape)
        if numel * DTYPE_BYTES[dtype] > MAX_COUNT:
            self._fail(where, f"shape {tuple(shape)} holds {numel} elements; at most 2**62 bytes "
                              "per tensor are supported")
        if self._tid is not None:
            self._tid[name] = i
        self._tnames.append(name)
        self._dims.extend(int(d) for d in shape)
        self._shape_ptr.append(len(self._dims))
        self._tdtype.append(dc)
        self._trole.append(rc)
        return i

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
        i = len(self._onames)
        # fast path: every field well typed (the checks below word the errors)
        kc = KIND_CODES.get(kind) if type(kind) is str else None
        if (kc is not None and type(name) is str and type(m) is int and type(k) is int
                and type(n) is int and type(batch) is int and type(inputs) in (tuple, list)
                and type(outputs) in (tuple, list)
                and (weight is None or type(weight) is (str if self._tid is not None else int))
                and (fn is None or type(fn) is str)
                and (ops_per_element is None or type(ops_per_element) in (int, float))
                and type(generic_macs) is int and 0 <= generic_macs <= MAX_COUNT
                and -MAX_COUNT <= min(m, k, n, batch) and max(m, k, n, batch) <= MAX_COUNT):
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
                if ins is not None and outs is not None and (ops_per_element is None or math.isfinite(ope)):
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
                ope = math.inf
            if not math.isfinite(ope):
                self._fail(where, f"ops_per_element must be a finite number, got {ops_per_element!r}")
        if not is_int(generic_macs) or not 0 <= generic_macs <= MAX_COUNT:
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
        return Workload.from_columns(self.name, self.columns(), metadata)


# --------------------------------------------------------------------------- views
class _View:
    """A read-only view of a workload's columns."""

    __slots__ = ("_w",)
    _what = ""

    def __init__(self, workload: "Workload"):
        self._w = workload

    def __repr__(self) -> str:
        return f"<{len(self)} {self._what} of workload {self._w.name!r}>"  # type: ignore[arg-type]


class OpSequence(_View, SequenceABC):
    """``Workload.ops``: a read-only sequence that builds each :class:`Op` on access."""

    __slots__ = ()
    _what = "ops"

    def __len__(self) -> int:
        return self._w.columns.n_ops

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._w._op(j) for j in range(*i.indices(len(self)))]
        n = len(self)
        if not -n <= i < n:
            raise IndexError(i)
        return self._w._op(i % n if i < 0 else i)

    def __iter__(self) -> Iterator[Op]:
        w = self._w
        names = w.columns.op_names.tolist()
        tnames = w.columns.tensor_names.tolist()
        for i, name in enumerate(names):
            yield w._op(i, name, tnames)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (OpSequence, list, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


class TensorMap(_View, MappingABC):
    """``Workload.tensors``: name -> :class:`Tensor`, in declaration order, built on access."""

    __slots__ = ()
    _what = "tensors"

    def __len__(self) -> int:
        return self._w.columns.n_tensors

    def __iter__(self) -> Iterator[str]:
        return iter(self._w.columns.tensor_names.tolist())

    def __getitem__(self, name: str) -> Tensor:
        try:
            return self._w._tensor(self._w.columns.tensor_names.index(name))
        except TypeError:
            raise KeyError(name) from None

    def __contains__(self, name: object) -> bool:
        return name in self._w.columns.tensor_names

    def values(self):  # type: ignore[override]
        w = self._w
        names = w.columns.tensor_names.tolist()
        return [w._tensor(i, name) for i, name in enumerate(names)]


# --------------------------------------------------------------------------- workload
class Workload:
    """An op DAG with its tensors. Valid once constructed (see :meth:`_validate`)."""

    def __init__(
        self,
        name: str,
        tensors: Sequence[Tensor],
        ops: Sequence[Op],
        metadata: Mapping[str, object] | None = None,
    ):
        b = WorkloadBuilder(name)
        for t in tensors:
            b.tensor(t.name, t.shape, t.dtype, t.role)
        for op in ops:
            b.op(op.name, op.kind, op.inputs, op.outputs, op.m, op.k, op.n, op.batch, op.weight,
                 op.fn, op.ops_per_element, op.tags, op.generic_macs)
        self._init(name, b.columns(), metadata)

    @classmethod
    def from_columns(cls, name: str, columns: WorkloadColumns,
                     metadata: Mapping[str, object] | None = None) -> "Workload":
        """A workload over ready columns (validated here, as every workload is)."""
        w = cls.__new__(cls)
        w._init(name, columns, metadata)
        return w

    def _init(self, name: str, columns: WorkloadColumns, metadata) -> None:
        if type(name) is not str:
            raise WorkloadError(f"the workload 'name' must be a string, got {describe(name)}")
        self.name = name
        if metadata is None:
            metadata = {}
        if not isinstance(metadata, Mapping):
            raise WorkloadError(f"workload '{name}': 'metadata' must be an object, got {describe(metadata)}")
        self.metadata: dict[str, object] = dict(metadata)
        self._check_batch()
        check_json_value(self.metadata, f"workload '{name}'", "metadata")
        self.columns = _canonical(columns, name)
        self._validate()

    # ------------------------------------------------------------------ checks
    def _fail(self, where: str, msg: str):
        raise WorkloadError(f"workload '{self.name}': {where}: {msg}")

    def _check_batch(self) -> None:
        params = self.metadata.get("params")
        for path, holder in (("metadata.batch", self.metadata),
                             ("metadata.params.batch", params if isinstance(params, dict) else {})):
            v = holder.get("batch")
            if v is not None and (not is_int(v) or v < 1):
                raise WorkloadError(f"workload '{self.name}': {path} must be a positive integer "
                                    f"(samples per run), got {describe(v)}")

    def _validate(self) -> None:
        c = self.columns
        nt, no = c.n_tensors, c.n_ops
        dup = c.tensor_names.first_repeat()
        if dup < nt:
            raise WorkloadError(f"workload '{self.name}': tensor '{c.tensor_names[dup]}' is declared twice")
        ndims = np.diff(c.shape_ptr)
        bad = (c.tensor_role < 0) | (c.tensor_role >= len(ROLES))
        bad |= (c.tensor_dtype < 0) | (c.tensor_dtype >= len(DTYPES))
        bad |= ndims == 0
        bad_dim = c.shape_dims < 1
        if bad_dim.any():
            bad |= np.bincount(np.repeat(np.arange(nt), ndims)[bad_dim], minlength=nt) > 0
        nonempty = np.flatnonzero(ndims > 0)
        numel_f = np.zeros(nt)
        if nonempty.size:
            numel_f[nonempty] = np.multiply.reduceat(c.shape_dims.astype(np.float64), c.shape_ptr[nonempty])
        size = DTYPE_SIZES[np.clip(c.tensor_dtype, 0, len(DTYPES) - 1)]
        bad |= numel_f * size > MAX_COUNT
        if bad.any():
            self._tensor_error(int(np.argmax(bad)))
        if no == 0:
            raise WorkloadError(f"workload '{self.name}': has no ops; a workload needs at least one op")
        first = min(self._first_bad_op(), c.op_names.first_repeat())
        if first < no:
            self._op_error(first)
        role = c.tensor_role
        orphan = (role == ROLE_ACTIVATION) & (self._first_producer == no)
        if orphan.any():
            self._fail(f"tensor '{c.tensor_names[int(np.argmax(orphan))]}'", "activation is produced by no op")

    def _tensor_error(self, i: int):
        c = self.columns
        where = f"tensor '{c.tensor_names[i]}'"
        role, dtype = int(c.tensor_role[i]), int(c.tensor_dtype[i])
        if not 0 <= role < len(ROLES):
            self._fail(where, f"role code {role} is not one of {', '.join(ROLES)}")
        if not 0 <= dtype < len(DTYPES):
            self._fail(where, f"dtype code {dtype} is not one of {', '.join(DTYPE_BYTES)}")
        shape = tuple(c.shape_dims[c.shape_ptr[i]:c.shape_ptr[i + 1]].tolist())
        if not shape or min(shape) < 1:
            self._fail(where, f"shape {shape} must be a non-empty list of positive integers")
        self._fail(where, f"shape {shape} holds {math.prod(shape)} elements; at most 2**62 bytes "
                          "per tensor are supported")

    @cached_property
    def _op_of_in(self) -> np.ndarray:
        c = self.columns
        return np.repeat(np.arange(c.n_ops, dtype=np.int64), np.diff(c.in_ptr))

    @cached_property
    def _op_of_out(self) -> np.ndarray:
        c = self.columns
        return np.repeat(np.arange(c.n_ops, dtype=np.int64), np.diff(c.out_ptr))

    @cached_property
    def _first_out_entry(self) -> np.ndarray:
        """Per tensor: the first entry of ``out_ids`` naming it (``len(out_ids)`` if none)."""
        c = self.columns
        first = np.full(c.n_tensors, len(c.out_ids), dtype=np.int64)
        np.minimum.at(first, c.out_ids, np.arange(len(c.out_ids), dtype=np.int64))
        return first

    @cached_property
    def _first_producer(self) -> np.ndarray:
        """Per tensor: the first op that outputs it (``n_ops`` if none)."""
        c = self.columns
        entry = self._first_out_entry
        prod = np.full(c.n_tensors, c.n_ops, dtype=np.int64)
        has = entry < len(c.out_ids)
        prod[has] = self._op_of_out[entry[has]]
        return prod

    @cached_property
    def tensor_numel(self) -> np.ndarray:
        """Elements of each tensor (int64, by tensor id)."""
        c = self.columns
        return np.multiply.reduceat(c.shape_dims, c.shape_ptr[:-1]) if c.n_tensors else np.zeros(0, np.int64)

    @cached_property
    def tensor_nbytes(self) -> np.ndarray:
        """Bytes of each tensor (int64, by tensor id)."""
        return self.tensor_numel * DTYPE_SIZES[self.columns.tensor_dtype]

    def _first_bad_op(self) -> int:
        """Index of the first op that breaks a rule (``n_ops`` if none), vectorised."""
        c = self.columns
        no = c.n_ops
        role, numel = c.tensor_role, self.tensor_numel
        firsts = [no]

        def note(mask: np.ndarray, of: np.ndarray | None = None) -> None:
            if mask.any():
                j = int(np.argmax(mask))
                firsts.append(int(of[j]) if of is not None else j)

        note((c.kind < 0) | (c.kind >= len(OP_KINDS)))
        n_out = np.diff(c.out_ptr)
        note(n_out == 0)
        op_in, op_out = self._op_of_in, self._op_of_out
        note((role[c.in_ids] == ROLE_ACTIVATION) & (self._first_producer[c.in_ids] >= op_in), op_in)
        note((role[c.out_ids] != ROLE_ACTIVATION)
             | (self._first_out_entry[c.out_ids] != np.arange(len(c.out_ids))), op_out)
        mm = c.kind == MATMUL
        dims_ok = (c.m >= 1) & (c.k >= 1) & (c.n >= 1) & (c.batch >= 1)
        note(mm & ~dims_ok)
        n_in = np.diff(c.in_ptr)
        note(mm & (n_in != 2))
        macs_f = c.batch.astype(np.float64) * c.m * c.k * c.n
        note(mm & dims_ok & (macs_f > MAX_COUNT))
        sel = np.flatnonzero(mm & dims_ok & (n_in == 2) & (macs_f <= MAX_COUNT))
        if sel.size:
            a = c.in_ids[c.in_ptr[sel]]
            b = c.in_ids[c.in_ptr[sel] + 1]
            bt, m, k, n, w = c.batch[sel], c.m[sel], c.k[sel], c.n[sel], c.weight[sel]
            has_w = w >= 0
            bad = has_w & ((w != b) | (role[b] != ROLE_WEIGHT) | (numel[b] != k * n))
            bad |= ~has_w & (numel[b] != bt * k * n)
            bad |= numel[a] != bt * m * k
            out_f = np.bincount(op_out, weights=numel[c.out_ids].astype(np.float64), minlength=no)[sel]
            bad |= out_f != (bt * m * n).astype(np.float64)
            note(bad, sel)
        note(~mm & (c.weight >= 0))
        ope = c.ops_per_element
        has_ope = ~np.isnan(ope)
        ew = c.kind == ELEMENTWISE
        note(ew & (c.fn < 0))
        known = np.array([f in ELEMENTWISE_OPS_PER_ELEMENT for f in c.fn_vocab] + [True], dtype=bool)
        note(ew & ~known[c.fn] & ~has_ope)  # fn -1 indexes the trailing True
        note(has_ope & ((ope < 0) | ~np.isfinite(ope)))
        note((c.generic_macs < 0) | (mm & (c.generic_macs != 0)))
        return min(firsts)

    def _op_error(self, i: int):
        """Word the error of op ``i`` (the first invalid op), checking it field by field."""
        c = self.columns
        tn = c.tensor_names
        where = f"op '{c.op_names[i]}' (#{i})"
        if i == c.op_names.first_repeat():
            self._fail(where, "op name is used twice")
        kind = int(c.kind[i])
        if not 0 <= kind < len(OP_KINDS):
            self._fail(where, f"kind code {kind} is not one of {', '.join(OP_KINDS)}")
        kind_name = OP_KINDS[kind]
        ins = c.in_ids[c.in_ptr[i]:c.in_ptr[i + 1]].tolist()
        outs = c.out_ids[c.out_ptr[i]:c.out_ptr[i + 1]].tolist()
        if not outs:
            self._fail(where, "an op needs at least one output")
        roles = c.tensor_role
        for t in ins:
            if roles[t] == ROLE_ACTIVATION and self._first_producer[t] >= i:
                self._fail(where, f"input '{tn[t]}' is an activation no earlier op produces "
                                  "(ops must be listed in dependency order)")
        for e in range(int(c.out_ptr[i]), int(c.out_ptr[i + 1])):
            t = int(c.out_ids[e])
            if roles[t] != ROLE_ACTIVATION:
                self._fail(where, f"output '{tn[t]}' has role '{ROLES[roles[t]]}'; outputs are activations")
            first = int(self._first_out_entry[t])
            if first != e:
                self._fail(where, f"output '{tn[t]}' is already produced by op #{int(self._op_of_out[first])}")
        weight = int(c.weight[i])
        if kind_name == "matmul":
            self._matmul_error(i, where, ins, outs, weight)
        elif weight >= 0:
            self._fail(where, "only a matmul can have a stationary 'weight' operand")
        fn = int(c.fn[i])
        ope = float(c.ops_per_element[i])
        if kind_name == "elementwise":
            if fn < 0:
                self._fail(where, "an elementwise op needs 'fn'")
            if c.fn_vocab[fn] not in ELEMENTWISE_OPS_PER_ELEMENT and math.isnan(ope):
                self._fail(where, f"fn '{c.fn_vocab[fn]}' is unknown; use one of "
                                  f"{', '.join(sorted(ELEMENTWISE_OPS_PER_ELEMENT))} or set ops_per_element")
        if not math.isnan(ope):
            if not math.isfinite(ope):
                self._fail(where, f"ops_per_element must be a finite number, got {ope!r}")
            if ope < 0:
                self._fail(where, "ops_per_element must be >= 0")
        gm = int(c.generic_macs[i])
        if gm < 0 or (gm and OP_KINDS[c.kind[i]] == "matmul"):
            self._fail(where, "generic_macs must be a non-negative integer on a non-matmul op")
        raise AssertionError(f"{where}: flagged invalid by the vectorised check, but no rule fails")

    def _matmul_error(self, i: int, where: str, ins: list[int], outs: list[int], weight: int) -> None:
        c = self.columns
        tn, numel = c.tensor_names, self.tensor_numel
        dims = {d: int(getattr(c, d)[i]) for d in ("m", "k", "n", "batch")}
        for d, v in dims.items():
            if v < 1:
                self._fail(where, f"matmul dimension {d}={v!r} must be a positive integer")
        m, k, n, batch = dims["m"], dims["k"], dims["n"], dims["batch"]
        if batch * m * k * n > MAX_COUNT:
            self._fail(where, f"batch*m*k*n = {batch * m * k * n} MACs; at most 2**62 are supported")
        if len(ins) != 2:
            self._fail(where, f"a matmul takes exactly 2 inputs (A, B), got {len(ins)}")
        a, b = ins
        if weight >= 0:
            if weight != b:
                self._fail(where, f"weight '{tn[weight]}' must be the second input (B), got '{tn[b]}'")
            if c.tensor_role[b] != ROLE_WEIGHT:
                self._fail(where, f"weight operand '{tn[b]}' has role '{ROLES[c.tensor_role[b]]}', "
                                  "expected 'weight'")
            if numel[b] != k * n:
                self._fail(where, f"weight '{tn[b]}' has {numel[b]} elements, expected k*n = {k * n}")
        elif numel[b] != batch * k * n:
            self._fail(where, f"B '{tn[b]}' has {numel[b]} elements, expected batch*k*n = {batch * k * n}")
        if numel[a] != batch * m * k:
            self._fail(where, f"A '{tn[a]}' has {numel[a]} elements, expected batch*m*k = {batch * m * k}")
        out_numel = sum(int(numel[t]) for t in outs)
        if out_numel != batch * m * n:
            self._fail(where, f"outputs {[tn[t] for t in outs]} have {out_numel} elements, "
                              f"expected batch*m*n = {batch * m * n}")

    # --------------------------------------------------------------- queries
    @cached_property
    def ops(self) -> OpSequence:
        """The ops, in topological order (each :class:`Op` built when accessed)."""
        return OpSequence(self)

    @cached_property
    def tensors(self) -> TensorMap:
        """Tensors by name, in declaration order (each :class:`Tensor` built when accessed)."""
        return TensorMap(self)

    def _tensor(self, i: int, name: str | None = None) -> Tensor:
        c = self.columns
        shape = tuple(c.shape_dims[c.shape_ptr[i]:c.shape_ptr[i + 1]].tolist())
        return Tensor(c.tensor_names[i] if name is None else name, shape,
                      DTYPES[c.tensor_dtype[i]], ROLES[c.tensor_role[i]])

    def _op(self, i: int, name: str | None = None, tnames: Sequence[str] | None = None) -> Op:
        c = self.columns
        tn = c.tensor_names if tnames is None else tnames
        weight, fn, ope = int(c.weight[i]), int(c.fn[i]), float(c.ops_per_element[i])
        return Op(
            name=c.op_names[i] if name is None else name,
            kind=OP_KINDS[c.kind[i]],
            inputs=tuple(tn[t] for t in c.in_ids[c.in_ptr[i]:c.in_ptr[i + 1]].tolist()),
            outputs=tuple(tn[t] for t in c.out_ids[c.out_ptr[i]:c.out_ptr[i + 1]].tolist()),
            m=int(c.m[i]), k=int(c.k[i]), n=int(c.n[i]), batch=int(c.batch[i]),
            weight=tn[weight] if weight >= 0 else None,
            fn=c.fn_vocab[fn] if fn >= 0 else None,
            ops_per_element=None if math.isnan(ope) else (int(ope) if ope.is_integer() else ope),
            tags=c.tags.get(i),
            generic_macs=int(c.generic_macs[i]),
        )

    def __len__(self) -> int:
        return self.columns.n_ops

    def __repr__(self) -> str:
        return f"Workload({self.name!r}, ops={len(self)}, macs={self.macs})"

    @cached_property
    def op_macs(self) -> np.ndarray:
        """MACs of each op (int64; a non-matmul op's ``generic_macs``, usually 0)."""
        c = self.columns
        return np.where(c.kind == MATMUL, c.batch * c.m * c.k * c.n, c.generic_macs)

    @cached_property
    def macs(self) -> int:
        return _exact_sum(self.op_macs)

    @cached_property
    def weight_bytes(self) -> int:
        """Bytes of all stationary parameters (role ``weight``)."""
        return _exact_sum(self.tensor_nbytes[self.columns.tensor_role == ROLE_WEIGHT])

    @cached_property
    def activation_bytes(self) -> int:
        """Bytes of all inputs and activations (an upper bound on live activations)."""
        return _exact_sum(self.tensor_nbytes[self.columns.tensor_role != ROLE_WEIGHT])

    @cached_property
    def peak_live_activation_bytes(self) -> int:
        """Most bytes of inputs and activations live at once when the ops run one after another
        in program order. A tensor is live from the op that writes it (a model input or a
        tensor no op writes: from the start) through the last op that reads it; one that no op
        reads (a model output) stays live to the end. Each op's inputs and outputs are live
        together while it runs."""
        c = self.columns
        n_ops = len(c.in_ptr) - 1
        nb = self.tensor_nbytes.astype(np.int64)
        act = c.tensor_role != ROLE_WEIGHT
        n_t = len(nb)
        start = np.zeros(n_t, dtype=np.int64)
        end = np.full(n_t, -1, dtype=np.int64)
        if n_ops:
            op_out = np.repeat(np.arange(n_ops, dtype=np.int64), np.diff(c.out_ptr))
            op_in = np.repeat(np.arange(n_ops, dtype=np.int64), np.diff(c.in_ptr))
            written = np.zeros(n_t, dtype=bool)
            written[c.out_ids] = True
            first_write = np.full(n_t, n_ops, dtype=np.int64)
            np.minimum.at(first_write, c.out_ids, op_out)
            start = np.where(written, first_write, 0)
            np.maximum.at(end, c.in_ids, op_in)
            np.maximum.at(end, c.out_ids, op_out)
            read = np.zeros(n_t, dtype=bool)
            read[c.in_ids] = True
            end = np.where(read, end, n_ops - 1)
        keep = act & (end >= 0)
        delta = np.zeros(max(n_ops, 1) + 1, dtype=np.int64)
        np.add.at(delta, start[keep], nb[keep])
        np.add.at(delta, end[keep] + 1, -nb[keep])
        return int(np.cumsum(delta).max()) if keep.any() else 0

    @cached_property
    def arrays(self):
        """The ops as flat NumPy columns (:class:`cimsim.workload.arrays.OpArrays`)."""
        from .arrays import op_arrays

        return op_arrays(self)

    @cached_property
    def predecessors(self) -> tuple[np.ndarray, np.ndarray]:
        """Dependencies as CSR arrays ``(indptr, indices)``: preds of op i are
        ``indices[indptr[i]:indptr[i+1]]`` (sorted, unique)."""
        c = self.columns
        no = c.n_ops
        producer = self._first_producer[c.in_ids]
        keep = producer < no
        key = self._op_of_in[keep] * no + producer[keep]  # grouped by op already
        if key.size > 1 and not (key[1:] > key[:-1]).all():
            key = np.sort(key)  # sort within each op, then drop repeats
            key = key[np.concatenate(([True], key[1:] != key[:-1]))]
        op, pred = np.divmod(key, no) if no else (key, key)
        indptr = np.zeros(no + 1, dtype=np.int64)
        np.cumsum(np.bincount(op, minlength=no), out=indptr[1:])
        return indptr, pred.astype(np.int64)

    def op_index(self, name: str) -> int:
        try:
            return self.columns.op_names.index(name)
        except TypeError:
            raise KeyError(name) from None


def _exact_sum(values: np.ndarray) -> int:
    """Sum of non-negative int64 values as a Python int (no wrap-around)."""
    if values.size == 0:
        return 0
    if float(values.astype(np.float64).sum()) < MAX_COUNT:
        return int(values.sum())
    return sum(values.tolist())


def _canonical(c: WorkloadColumns, name: str) -> WorkloadColumns:
    """``c`` with every array 1-D in its declared dtype and the CSR/id structure consistent;
    a corrupt column is a one-line WorkloadError naming it."""
    def fail(msg: str):
        raise WorkloadError(f"workload '{name}': {msg}")

    if not isinstance(c, WorkloadColumns):
        fail(f"columns must be WorkloadColumns, got {type(c).__name__}")
    out: dict[str, Any] = {}
    for key, dt in COLUMN_DTYPES.items():
        a = getattr(c, key)
        if not isinstance(a, np.ndarray) or a.ndim != 1:
            fail(f"column '{key}' must be a 1-D array, got {describe(a)}")
        want = np.dtype(dt)
        if a.dtype != want:
            if want.kind == "i" and a.dtype.kind in "iu":
                info = np.iinfo(want)
                if a.size and (a.min() < info.min or a.max() > info.max):
                    fail(f"column '{key}' holds values outside {want.name}")
            elif not (want.kind == "f" and a.dtype.kind in "iuf"):
                fail(f"column '{key}' must hold {want.name} values, got {a.dtype}")
            a = a.astype(want)
        out[key] = a
    for key in ("tensor_names", "op_names"):
        s = getattr(c, key)
        if not isinstance(s, StringTable):
            fail(f"column '{key}' must be a StringTable, got {type(s).__name__}")
        off = s.offsets
        if (off.ndim != 1 or off.size < 1 or off[0] != 0 or off[-1] != s.blob.size
                or (np.diff(off) < 0).any()):
            fail(f"column '{key}': offsets do not partition the text")
        try:
            s.blob.tobytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            fail(f"column '{key}' is not valid UTF-8 (byte {exc.start})")
        out[key] = s
    nt, no = len(out["tensor_dtype"]), len(out["kind"])
    lengths = {"tensor_names": (len(out["tensor_names"]), nt), "tensor_role": (len(out["tensor_role"]), nt),
               "shape_ptr": (len(out["shape_ptr"]), nt + 1), "op_names": (len(out["op_names"]), no),
               "in_ptr": (len(out["in_ptr"]), no + 1), "out_ptr": (len(out["out_ptr"]), no + 1)}
    for key in ("m", "k", "n", "batch", "weight", "fn", "ops_per_element", "generic_macs"):
        lengths[key] = (len(out[key]), no)
    for key, (got, want) in lengths.items():
        if got != want:
            fail(f"column '{key}' has {got} entries, expected {want}")
    for ptr, ids in (("shape_ptr", "shape_dims"), ("in_ptr", "in_ids"), ("out_ptr", "out_ids")):
        p = out[ptr]
        if p[0] != 0 or p[-1] != len(out[ids]) or (np.diff(p) < 0).any():
            fail(f"column '{ptr}' is not a valid index into '{ids}'")
    for ids in ("in_ids", "out_ids"):
        a = out[ids]
        if a.size and (a.min() < 0 or a.max() >= nt):
            fail(f"column '{ids}' refers to a tensor id outside 0..{nt - 1}")
    w = out["weight"]
    if w.size and (w.min() < -1 or w.max() >= nt):
        fail(f"column 'weight' refers to a tensor id outside -1..{nt - 1}")
    fn_vocab = tuple(c.fn_vocab)
    if not all(type(f) is str for f in fn_vocab):
        fail("'fn_vocab' must hold strings")
    f = out["fn"]
    if f.size and (f.min() < -1 or f.max() >= len(fn_vocab)):
        fail(f"column 'fn' refers to a function outside -1..{len(fn_vocab) - 1}")
    if (out["shape_dims"] > MAX_COUNT).any():
        fail("column 'shape_dims' holds a dimension above 2**62")
    for key in ("m", "k", "n", "batch"):
        if (np.abs(out[key]) > MAX_COUNT).any():
            fail(f"column '{key}' holds a value beyond 2**62")
    tags = c.tags
    if not isinstance(tags, TagColumns) or len(tags.order_code) != no:
        fail(f"'tags' must be TagColumns over {no} ops")
    oc = tags.order_code
    if oc.size and (oc.min() < 0 or oc.max() >= len(tags.orders)):
        fail("tags: an op's key order code is out of range")
    for keys in tags.orders:
        for key in keys:
            col = tags.columns.get(key)
            if col is None:
                fail(f"tags: key '{key}' has no column")
            if len(col[1]) != no:
                fail(f"tags: column '{key}' has {len(col[1])} entries, expected {no}")
            if col[0] == "json" and col[1].size and (col[1].min() < 0 or col[1].max() >= len(col[2])):
                fail(f"tags: column '{key}' refers to a value outside its vocabulary")
    return WorkloadColumns(fn_vocab=fn_vocab, tags=tags, **out)
