"""The workload IR: the records (:class:`Tensor`, :class:`Op`), the columns that hold
them (:class:`WorkloadColumns`) and :class:`Workload` with its queries.

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
tensors (e.g. one per time step); their sizes add up to ``batch * m * n``. When
``weight`` names ``B``, the weight is shared by the whole batch (``B`` has
``k * n`` elements). MACs of a matmul are ``batch * m * k * n``; every other
kind does vector work only.

Storage is columnar (:class:`WorkloadColumns`): kind codes, dimensions, tensor
ids of inputs and outputs in CSR form and the tensor table, all NumPy arrays,
from the file to the engine. ``Workload.ops`` and ``Workload.tensors`` are views
that build an :class:`Op` / :class:`Tensor` only when one is asked for.
Workloads are built by :class:`~cimsim.workload.builder.WorkloadBuilder` (op by
op) or :meth:`Workload.from_columns` (ready arrays); either way the rules of
:mod:`cimsim.workload.checks` hold once a :class:`Workload` exists.
"""

from __future__ import annotations

import math
from collections.abc import Mapping as MappingABC
from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterator, Mapping, Sequence

import numpy as np

from ..dtypes import TENSOR_DTYPES, tensor_bytes
from ..errors import WorkloadError, name_problem
from ..inputs import Source
from . import checks
from .tags import check_tags
from .checks import COLUMN_DTYPES, MAX_COUNT, describe, is_int  # noqa: F401  (re-exported)
from .columns import StringTable, TagColumns
from .kinds import (  # noqa: F401  (re-exported: the names were defined here before)
    DTYPE_CODES,
    DTYPE_DEN,
    DTYPE_NUM,
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
from .llm_meta import check_llm_metadata


# --------------------------------------------------------------------------- records
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
        return tensor_bytes(self.numel, self.dtype)


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
    is the shape of tensor ``i``; ``tensor_dtype`` (int8 index into TENSOR_DTYPES),
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
    """An op DAG with its tensors. Valid once constructed (every rule of
    :mod:`cimsim.workload.checks` holds). Compares by value (:meth:`__eq__`)."""

    def __init__(
        self,
        name: str,
        tensors: Sequence[Tensor],
        ops: Sequence[Op],
        metadata: Mapping[str, object] | None = None,
    ):
        from .builder import WorkloadBuilder

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
        self.name = name
        self._source = Source()  # built in memory: load_workload records its file
        if metadata is None:
            metadata = {}
        if not isinstance(metadata, Mapping):
            raise WorkloadError(f"workload '{name}': 'metadata' must be an object, got {describe(metadata)}")
        self.metadata: dict[str, object] = dict(metadata)
        checks.check_metadata(name, self.metadata)
        if not isinstance(columns, WorkloadColumns):
            raise WorkloadError(f"workload '{name}': columns must be WorkloadColumns, "
                                f"got {type(columns).__name__}")
        self._columns = WorkloadColumns(**_read_only(checks.canonical(columns, name)))
        checks.validate(self)
        check_tags(self)
        check_llm_metadata(name, self.metadata, self.columns.n_ops)
        from .returned import returned_mask

        returned_mask(self)  # metadata.outputs names declared tensors (checked at load)

    @property
    def columns(self) -> WorkloadColumns:
        """The workload's columns, read-only (build a new workload with :meth:`from_columns`:
        assigning another set skipped every check and left the derived arrays stale)."""
        return self._columns

    @property
    def source(self) -> Source:
        """What it was read from (:class:`~cimsim.inputs.Source`): the file's path as resolved
        and the SHA-256 of its bytes, both None for a workload built in memory (a generator, a
        trace, :meth:`from_columns`); ``Result.to_json()`` records it. A changed name or
        metadata since loading is not in it."""
        return getattr(self, "_source", None) or Source()  # a copy pickled before it was kept

    def __setstate__(self, state: dict) -> None:
        """Unpickled (a process pool's copy) with its columns read-only again: a pickled array
        comes back writable."""
        self.__dict__.update(state)
        c = self._columns
        self._columns = WorkloadColumns(**_read_only({f: getattr(c, f) for f in c.__dataclass_fields__}))

    def __eq__(self, other: object) -> bool:
        """By value (:mod:`cimsim.workload.same`): the same name, metadata, tensors and ops,
        exactly; a reload of its file and a pickled copy are equal to it."""
        if not isinstance(other, Workload):
            return NotImplemented
        from .same import same_workload

        return self is other or same_workload(self, other)

    def __hash__(self) -> int:
        """From the op and tensor counts only, which never change (the name and metadata may be
        set): equal workloads hash alike, and a renamed one stays findable in a dict."""
        return hash((Workload, self.columns.n_ops, self.columns.n_tensors))

    @property
    def name(self) -> str:
        """The workload's name (printed in reports); setting it checks it as loading does."""
        return self._name

    @name.setter
    def name(self, name: str) -> None:
        if type(name) is not str:
            raise WorkloadError(f"the workload 'name' must be a string, got {describe(name)}")
        if (why := name_problem(name)) is not None:
            raise WorkloadError(f"the workload 'name' {why}")
        self._name = name

    # ------------------------------------------------------------------ derived arrays
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
        """Bytes of each tensor (int64, by tensor id; a sub-byte dtype packed, rounded up)."""
        code = self.columns.tensor_dtype
        den = DTYPE_DEN[code]
        return (self.tensor_numel * DTYPE_NUM[code] + den - 1) // den

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
                      TENSOR_DTYPES[c.tensor_dtype[i]], ROLES[c.tensor_role[i]])

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
        """Bytes of all stationary parameters (role ``weight``), each element once: the weight
        tensors' bytes less what overlapping reads of one weight count twice
        (``metadata['overlapping_weight_reads']``: :func:`.footprint.overlap_excess`)."""
        from .footprint import overlap_excess
        return _exact_sum(self.tensor_nbytes[self.columns.tensor_role == ROLE_WEIGHT]) - overlap_excess(self)

    @cached_property
    def activation_bytes(self) -> int:
        """Bytes of all inputs and activations (an upper bound on live activations); a
        training step's optimizer state is not counted (:attr:`optimizer_state_bytes`)."""
        from .footprint import optimizer_state_mask
        return _exact_sum(self.tensor_nbytes[(self.columns.tensor_role != ROLE_WEIGHT)
                                             & ~optimizer_state_mask(self)])

    @cached_property
    def optimizer_state_bytes(self) -> int:
        """Bytes of a traced training step's optimizer state (``metadata["optimizer_state"]``)."""
        from .footprint import optimizer_state_bytes
        return optimizer_state_bytes(self)

    @cached_property
    def peak_live_activation_bytes(self) -> int:
        """Most bytes of inputs and activations live at once when the ops run one after another
        in program order. A tensor is live from the first op that touches it (writes or reads
        it: a model input from its first reader) through the last op that reads it; a model
        output (one no op reads, or one the model returns, ``metadata["outputs"]``, though a
        later op reads it too) stays live to the end. Each op's inputs and outputs are live
        together while it runs. KV caches count here only while read; :attr:`footprint` holds
        them resident across their iteration."""
        from .footprint import live_activation_profile
        prof = live_activation_profile(self, np.zeros(self.columns.n_tensors, dtype=bool))
        return int(prof.max()) if len(prof) else 0

    @cached_property
    def footprint(self):
        """Bytes live at once at the peak: weights, KV caches, activations
        (:class:`cimsim.workload.footprint.Footprint`; the rules in that module)."""
        from .footprint import footprint
        return footprint(self)

    @cached_property
    def graph_depth(self) -> tuple[int, int]:
        """``(serial steps, ops)`` of the graph's longest chain of dependent ops, whatever runs it
        (:func:`cimsim.workload.depth.graph_depth`)."""
        from .depth import graph_depth

        return graph_depth(self)

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

    def canonical(self) -> "Workload":
        """This graph in its canonical program order: topological, ties to the smallest op name,
        blocks the metadata names by position kept, tensors by name
        (:mod:`cimsim.workload.canonical`). Two valid listings of one graph give equal workloads; ``self`` when already in that order.
        Its latency is that one listing's (the op-name order's), not the graph's: renaming ops
        can change which listing is canonical, and so the latency."""
        from .canonical import canonical

        return canonical(self)

    def op_index(self, name: str) -> int:
        """Position of the op named ``name`` in program order (KeyError if there is none)."""
        try:
            return self.columns.op_names.index(name)
        except TypeError:
            raise KeyError(name) from None


def _read_only(fields: dict) -> dict:
    """``fields`` with each array (and each name table's arrays) a read-only view: the derived
    arrays and the checks are computed once, so an edit in place (``w.columns.m[0] = 5``) is
    refused rather than run unchecked or ignored. A new workload is built with
    :meth:`Workload.from_columns` (or a builder), which checks it."""
    def frozen(a: np.ndarray) -> np.ndarray:
        v = a.view()
        v.flags.writeable = False
        return v

    out = {k: frozen(v) if isinstance(v, np.ndarray) else v for k, v in fields.items()}
    for key in ("tensor_names", "op_names"):
        s = out[key]
        out[key] = StringTable(frozen(s.blob), frozen(s.offsets))
    tags = out.get("tags")
    if tags is not None:  # the tag columns too (an out-of-range order code was an IndexError)
        out["tags"] = type(tags)(frozen(tags.order_code), list(tags.orders),
                                 {k: tuple(frozen(x) if isinstance(x, np.ndarray) else x for x in col)
                                  for k, col in tags.columns.items()})
    return out


def _exact_sum(values: np.ndarray) -> int:
    """Sum of non-negative int64 values as a Python int (no wrap-around)."""
    if values.size == 0:
        return 0
    if float(values.astype(np.float64).sum()) < MAX_COUNT:
        return int(values.sum())
    return sum(values.tolist())



def __getattr__(name: str):
    # WorkloadBuilder was defined here before the split; it imports this module, hence lazily
    if name == "WorkloadBuilder":
        from .builder import WorkloadBuilder

        return WorkloadBuilder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
