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
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping, Sequence

import numpy as np

from ..dtypes import DTYPE_BYTES
from ..errors import WorkloadError

from .kinds import (  # noqa: F401  (re-exported: the names were defined here before)
    ELEMENTWISE_OPS_PER_ELEMENT,
    KIND_OPS_PER_ELEMENT,
    OP_KINDS,
    ROLES,
    OpKind,
)


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

    @property
    def macs(self) -> int:
        return self.batch * self.m * self.k * self.n if self.kind == "matmul" else 0


class Workload:
    """An op DAG with its tensors. Valid once constructed (see :meth:`validate`)."""

    def __init__(
        self,
        name: str,
        tensors: Sequence[Tensor],
        ops: Sequence[Op],
        metadata: Mapping[str, object] | None = None,
    ):
        self.name = name
        self.tensors: dict[str, Tensor] = {}
        for t in tensors:
            if t.name in self.tensors:
                raise WorkloadError(f"workload '{name}': tensor '{t.name}' is declared twice")
            self.tensors[t.name] = t
        self.ops: list[Op] = list(ops)
        self.metadata: dict[str, object] = dict(metadata or {})
        self._validate()

    # ------------------------------------------------------------------ checks
    def _fail(self, where: str, msg: str) -> None:
        raise WorkloadError(f"workload '{self.name}': {where}: {msg}")

    def _validate(self) -> None:
        for t in self.tensors.values():
            where = f"tensor '{t.name}'"
            if t.role not in ROLES:
                self._fail(where, f"role '{t.role}' is not one of {', '.join(ROLES)}")
            if t.dtype not in DTYPE_BYTES:
                self._fail(where, f"dtype '{t.dtype}' is not one of {', '.join(DTYPE_BYTES)}")
            if not t.shape or any((not isinstance(d, int)) or d < 1 for d in t.shape):
                self._fail(where, f"shape {t.shape} must be a non-empty list of positive integers")
        produced: dict[str, int] = {}
        names: set[str] = set()
        for i, op in enumerate(self.ops):
            where = f"op '{op.name}' (#{i})"
            if op.name in names:
                self._fail(where, "op name is used twice")
            names.add(op.name)
            if op.kind not in OP_KINDS:
                self._fail(where, f"kind '{op.kind}' is not one of {', '.join(OP_KINDS)}")
            if not op.outputs:
                self._fail(where, "an op needs at least one output")
            for t in op.inputs:
                if t not in self.tensors:
                    self._fail(where, f"input '{t}' is not a declared tensor")
                tt = self.tensors[t]
                if tt.role == "activation" and t not in produced:
                    self._fail(
                        where,
                        f"input '{t}' is an activation no earlier op produces "
                        "(ops must be listed in dependency order)",
                    )
            for t in op.outputs:
                if t not in self.tensors:
                    self._fail(where, f"output '{t}' is not a declared tensor")
                if self.tensors[t].role != "activation":
                    self._fail(where, f"output '{t}' has role '{self.tensors[t].role}'; outputs are activations")
                if t in produced:
                    self._fail(where, f"output '{t}' is already produced by op #{produced[t]}")
                produced[t] = i
            if op.kind == "matmul":
                self._check_matmul(op, where)
            else:
                if op.weight is not None:
                    self._fail(where, "only a matmul can have a stationary 'weight' operand")
                if op.kind == "elementwise":
                    if op.fn is None:
                        self._fail(where, "an elementwise op needs 'fn'")
                    if op.fn not in ELEMENTWISE_OPS_PER_ELEMENT and op.ops_per_element is None:
                        self._fail(
                            where,
                            f"fn '{op.fn}' is unknown; use one of "
                            f"{', '.join(sorted(ELEMENTWISE_OPS_PER_ELEMENT))} or set ops_per_element",
                        )
            if op.ops_per_element is not None and op.ops_per_element < 0:
                self._fail(where, "ops_per_element must be >= 0")
        for t in self.tensors.values():
            if t.role == "activation" and t.name not in produced:
                self._fail(f"tensor '{t.name}'", "activation is produced by no op")

    def _check_matmul(self, op: Op, where: str) -> None:
        for d in ("m", "k", "n", "batch"):
            v = getattr(op, d)
            if not isinstance(v, int) or v < 1:
                self._fail(where, f"matmul dimension {d}={v!r} must be a positive integer")
        if len(op.inputs) != 2:
            self._fail(where, f"a matmul takes exactly 2 inputs (A, B), got {len(op.inputs)}")
        a, b = (self.tensors[t] for t in op.inputs)
        if op.weight is not None:
            if op.weight != b.name:
                self._fail(where, f"weight '{op.weight}' must be the second input (B), got '{b.name}'")
            if b.role != "weight":
                self._fail(where, f"weight operand '{b.name}' has role '{b.role}', expected 'weight'")
            if b.numel != op.k * op.n:
                self._fail(where, f"weight '{b.name}' has {b.numel} elements, expected k*n = {op.k * op.n}")
        elif b.numel != op.batch * op.k * op.n:
            self._fail(where, f"B '{b.name}' has {b.numel} elements, expected batch*k*n = {op.batch * op.k * op.n}")
        if a.numel != op.batch * op.m * op.k:
            self._fail(where, f"A '{a.name}' has {a.numel} elements, expected batch*m*k = {op.batch * op.m * op.k}")
        out_numel = sum(self.tensors[t].numel for t in op.outputs)
        if out_numel != op.batch * op.m * op.n:
            self._fail(where, f"outputs {list(op.outputs)} have {out_numel} elements, expected batch*m*n = {op.batch * op.m * op.n}")

    # --------------------------------------------------------------- queries
    def __len__(self) -> int:
        return len(self.ops)

    def __repr__(self) -> str:
        return f"Workload({self.name!r}, ops={len(self.ops)}, macs={self.macs})"

    @cached_property
    def macs(self) -> int:
        return sum(op.macs for op in self.ops)

    @cached_property
    def weight_bytes(self) -> int:
        """Bytes of all stationary parameters (role ``weight``)."""
        return sum(t.nbytes for t in self.tensors.values() if t.role == "weight")

    @cached_property
    def activation_bytes(self) -> int:
        """Bytes of all inputs and activations (an upper bound on live activations)."""
        return sum(t.nbytes for t in self.tensors.values() if t.role != "weight")

    @cached_property
    def arrays(self):
        """The ops as flat NumPy columns (:class:`cimsim.workload.arrays.OpArrays`)."""
        from .arrays import op_arrays

        return op_arrays(self)

    @cached_property
    def predecessors(self) -> tuple[np.ndarray, np.ndarray]:
        """Dependencies as CSR arrays ``(indptr, indices)``: preds of op i are
        ``indices[indptr[i]:indptr[i+1]]`` (sorted, unique)."""
        producer: dict[str, int] = {}
        indptr = np.zeros(len(self.ops) + 1, dtype=np.int64)
        idx: list[int] = []
        for i, op in enumerate(self.ops):
            preds = sorted({producer[t] for t in op.inputs if t in producer})
            idx.extend(preds)
            indptr[i + 1] = len(idx)
            for t in op.outputs:
                producer[t] = i
        return indptr, np.asarray(idx, dtype=np.int64)

    def op_index(self, name: str) -> int:
        for i, op in enumerate(self.ops):
            if op.name == name:
                return i
        raise KeyError(name)
