"""Workload validation: every rule written once, as a vectorised check and its message.

:data:`RULES` is the rule table. A :class:`Rule` holds

- ``find``: a vectorised check over a workload's columns that returns a boolean
  mask over *items* (tensors or ops) or over *entries* (rows of ``in_ids`` /
  ``out_ids``), with the item that owns each entry;
- ``message``: the one-line text for one flagged item or entry (it words the
  failure; it never checks anything again).

:func:`validate` runs the table phase by phase (tensor names, tensors, "has
ops", ops, orphans). In a phase the first item any rule flags is the one
reported, worded by the first rule of the table that flags it: the error of a
workload is the error a sequential check in file order would give. Rules see
only the columns; where a rule needs another to hold first (operand sizes need
two inputs), its mask is False where that one fails.

:func:`canonical` checks the structure of columns handed in from outside
(dtypes, lengths, CSR pointers, id ranges) before any rule reads them, and
:func:`check_metadata` the workload's metadata. The builder
(:mod:`.builder`) checks only what it must to store a value (types, names
of declared tensors, integers that fit the columns): every value rule is here.
"""

from __future__ import annotations

import reprlib
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Mapping

import numpy as np

from ..dtypes import DTYPE_BYTES, TENSOR_DTYPES
from ..errors import WorkloadError, name_problem
from .columns import StringTable, TagColumns, check_json_value
from .kinds import (
    DTYPE_SIZES,
    ELEMENTWISE,
    ELEMENTWISE_OPS_PER_ELEMENT,
    MATMUL,
    OP_KINDS,
    ROLE_ACTIVATION,
    ROLE_WEIGHT,
    ROLES,
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


# --------------------------------------------------------------------------- messages shared with the builder
def shape_message(shape: object) -> str:
    """A shape that is not a non-empty list of positive integers."""
    return f"shape {_repr.repr(shape)} must be a non-empty list of positive integers"


def tensor_bytes_message(shape: tuple) -> str:
    """A tensor of more than 2**62 bytes."""
    return (f"shape {tuple(shape)} holds {math.prod(int(d) for d in shape)} elements; at most 2**62 "
            "bytes per tensor are supported")


def finite_ope_message(value: object) -> str:
    return f"ops_per_element must be a finite number, got {value!r}"


# --------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class Rule:
    """One validation rule (see the module docstring)."""

    name: str
    #: "names", "tensor", "workload", "op" or "orphan": the phase it runs in
    phase: str
    #: vectorised check: ``(mask, owner)``; ``owner`` maps mask entries to items (None: the
    #: mask is over items)
    find: Callable[["Graph"], tuple[np.ndarray, np.ndarray | None]]
    #: the text for flagged entry ``j`` (an item index when ``owner`` is None), with its
    #: ``tensor '...'`` / ``op '...' (#i)`` prefix
    message: Callable[["Graph", int], str]


PHASES: tuple[str, ...] = ("names", "tensor", "workload", "op", "orphan")

RULES: list[Rule] = []


def rule(name: str, phase: str, message: Callable[["Graph", int], str]):
    """Register the decorated vectorised check as rule ``name`` (table order = call order)."""
    def add(find):
        RULES.append(Rule(name, phase, find, message))
        return find
    return add


class Graph:
    """What the rules read: a workload's columns and the arrays derived from them once
    (the workload's own cached arrays, shared with its queries)."""

    def __init__(self, workload: Any):
        self.w = workload
        self.c = workload.columns

    def tensor(self, i: int) -> str:
        return f"tensor '{self.c.tensor_names[i]}'"

    def op(self, i: int) -> str:
        return f"op '{self.c.op_names[i]}' (#{i})"

    def shape(self, i: int) -> tuple[int, ...]:
        c = self.c
        return tuple(c.shape_dims[c.shape_ptr[i]:c.shape_ptr[i + 1]].tolist())

    def ins(self, i: int) -> list[int]:
        c = self.c
        return c.in_ids[c.in_ptr[i]:c.in_ptr[i + 1]].tolist()

    @cached_property
    def mm(self) -> np.ndarray:
        return self.c.kind == MATMUL

    @cached_property
    def dims_ok(self) -> np.ndarray:
        c = self.c
        return (c.m >= 1) & (c.k >= 1) & (c.n >= 1) & (c.batch >= 1)

    @cached_property
    def n_in(self) -> np.ndarray:
        return np.diff(self.c.in_ptr)

    @cached_property
    def macs_f(self) -> np.ndarray:
        c = self.c
        return c.batch.astype(np.float64) * c.m * c.k * c.n

    @cached_property
    def operands(self) -> np.ndarray:
        """Matmuls whose operand sizes can be checked: positive dims, MACs in range, 2 inputs."""
        return np.flatnonzero(self.mm & self.dims_ok & (self.n_in == 2) & (self.macs_f <= MAX_COUNT))

    def on_operands(self, bad: np.ndarray) -> np.ndarray:
        """An op mask from a mask over :attr:`operands`."""
        out = np.zeros(self.c.n_ops, dtype=bool)
        out[self.operands[bad]] = True
        return out

    @cached_property
    def ab(self) -> tuple[np.ndarray, np.ndarray]:
        c, sel = self.c, self.operands
        return c.in_ids[c.in_ptr[sel]], c.in_ids[c.in_ptr[sel] + 1]

    @cached_property
    def ope(self) -> np.ndarray:
        return self.c.ops_per_element


def _item(mask: np.ndarray) -> tuple[np.ndarray, None]:
    return mask, None


# ---- tensor names
@rule("tensor declared once", "names",
      lambda g, i: f"{g.tensor(i)} is declared twice")
def _tensor_repeat(g: Graph):
    mask = np.zeros(g.c.n_tensors, dtype=bool)
    dup = g.c.tensor_names.first_repeat()
    if dup < g.c.n_tensors:
        mask[dup] = True
    return _item(mask)


def _unprintable(table) -> tuple[np.ndarray, None]:
    mask = np.zeros(len(table), dtype=bool)
    first = table.first_unprintable()
    if first < len(table):
        mask[first] = True
    return _item(mask)


@rule("tensor name printable", "names",
      lambda g, i: f"tensor #{i}: the name {name_problem(g.c.tensor_names[i])}")
def _tensor_name(g: Graph):
    return _unprintable(g.c.tensor_names)


# ---- tensors
@rule("role code", "tensor",
      lambda g, i: f"{g.tensor(i)}: role code {int(g.c.tensor_role[i])} is not one of {', '.join(ROLES)}")
def _role_code(g: Graph):
    r = g.c.tensor_role
    return _item((r < 0) | (r >= len(ROLES)))


@rule("dtype code", "tensor",
      lambda g, i: f"{g.tensor(i)}: dtype code {int(g.c.tensor_dtype[i])} is not one of "
                   f"{', '.join(DTYPE_BYTES)}")
def _dtype_code(g: Graph):
    d = g.c.tensor_dtype
    return _item((d < 0) | (d >= len(TENSOR_DTYPES)))


@rule("shape", "tensor", lambda g, i: f"{g.tensor(i)}: {shape_message(g.shape(i))}")
def _shape(g: Graph):
    c = g.c
    ndims = np.diff(c.shape_ptr)
    bad = ndims == 0
    bad_dim = c.shape_dims < 1
    if bad_dim.any():
        bad |= np.bincount(np.repeat(np.arange(c.n_tensors), ndims)[bad_dim], minlength=c.n_tensors) > 0
    return _item(bad)


@rule("tensor bytes", "tensor", lambda g, i: f"{g.tensor(i)}: {tensor_bytes_message(g.shape(i))}")
def _tensor_bytes(g: Graph):
    c = g.c
    ndims = np.diff(c.shape_ptr)
    nonempty = np.flatnonzero(ndims > 0)
    numel_f = np.zeros(c.n_tensors)
    if nonempty.size:
        numel_f[nonempty] = np.multiply.reduceat(c.shape_dims.astype(np.float64), c.shape_ptr[nonempty])
    size = DTYPE_SIZES[np.clip(c.tensor_dtype, 0, len(TENSOR_DTYPES) - 1)]
    return _item(numel_f * size > MAX_COUNT)


# ---- the workload
@rule("has ops", "workload", lambda g, i: "has no ops; a workload needs at least one op")
def _has_ops(g: Graph):
    return _item(np.array([g.c.n_ops == 0]))


# ---- ops, in the order a sequential check of one op meets them
@rule("op name printable", "op",
      lambda g, i: f"op #{i}: the name {name_problem(g.c.op_names[i])}")
def _op_name(g: Graph):
    return _unprintable(g.c.op_names)


@rule("op name used once", "op", lambda g, i: f"{g.op(i)}: op name is used twice")
def _op_repeat(g: Graph):
    mask = np.zeros(g.c.n_ops, dtype=bool)
    dup = g.c.op_names.first_repeat()
    if dup < g.c.n_ops:
        mask[dup] = True
    return _item(mask)


@rule("kind code", "op",
      lambda g, i: f"{g.op(i)}: kind code {int(g.c.kind[i])} is not one of {', '.join(OP_KINDS)}")
def _kind_code(g: Graph):
    k = g.c.kind
    return _item((k < 0) | (k >= len(OP_KINDS)))


@rule("has outputs", "op", lambda g, i: f"{g.op(i)}: an op needs at least one output")
def _has_outputs(g: Graph):
    return _item(np.diff(g.c.out_ptr) == 0)


def _unproduced_message(g: Graph, e: int) -> str:
    from .graph import order_message

    i, t = int(g.w._op_of_in[e]), int(g.c.in_ids[e])
    return f"{g.op(i)}: {order_message(g.c, g.w._first_producer, i, t)}"


@rule("inputs produced earlier", "op", _unproduced_message)
def _inputs_produced(g: Graph):
    c, w = g.c, g.w
    return (c.tensor_role[c.in_ids] == ROLE_ACTIVATION) & (w._first_producer[c.in_ids] >= w._op_of_in), \
        w._op_of_in


def _output_message(g: Graph, e: int) -> str:
    c, w = g.c, g.w
    i, t = int(w._op_of_out[e]), int(c.out_ids[e])
    role = int(c.tensor_role[t])
    if role != ROLE_ACTIVATION:
        return f"{g.op(i)}: output '{c.tensor_names[t]}' has role '{ROLES[role]}'; outputs are activations"
    first = int(w._first_out_entry[t])
    return f"{g.op(i)}: output '{c.tensor_names[t]}' is already produced by op #{int(w._op_of_out[first])}"


@rule("outputs are new activations", "op", _output_message)
def _outputs_new(g: Graph):
    c, w = g.c, g.w
    return ((c.tensor_role[c.out_ids] != ROLE_ACTIVATION)
            | (w._first_out_entry[c.out_ids] != np.arange(len(c.out_ids)))), w._op_of_out


def _dims_message(g: Graph, i: int) -> str:
    d, v = next((d, int(getattr(g.c, d)[i])) for d in ("m", "k", "n", "batch") if getattr(g.c, d)[i] < 1)
    return f"{g.op(i)}: matmul dimension {d}={v!r} must be a positive integer"


@rule("matmul dimensions", "op", _dims_message)
def _matmul_dims(g: Graph):
    return _item(g.mm & ~g.dims_ok)


def _macs_message(g: Graph, i: int) -> str:
    c = g.c
    macs = int(c.batch[i]) * int(c.m[i]) * int(c.k[i]) * int(c.n[i])
    return f"{g.op(i)}: batch*m*k*n = {macs} MACs; at most 2**62 are supported"


@rule("matmul MACs", "op", _macs_message)
def _matmul_macs(g: Graph):
    return _item(g.mm & g.dims_ok & (g.macs_f > MAX_COUNT))


@rule("matmul inputs", "op",
      lambda g, i: f"{g.op(i)}: a matmul takes exactly 2 inputs (A, B), got {int(g.n_in[i])}")
def _matmul_inputs(g: Graph):
    return _item(g.mm & g.dims_ok & (g.macs_f <= MAX_COUNT) & (g.n_in != 2))


def _tn(g: Graph, t: int) -> str:
    return g.c.tensor_names[int(t)]


@rule("weight is B", "op", lambda g, i: f"{g.op(i)}: weight '{_tn(g, g.c.weight[i])}' must be the "
                                         f"second input (B), got '{_tn(g, g.ins(i)[1])}'")
def _weight_is_b(g: Graph):
    w = g.c.weight[g.operands]
    return _item(g.on_operands((w >= 0) & (w != g.ab[1])))


def _weight_role_message(g: Graph, i: int) -> str:
    b = g.ins(i)[1]
    return (f"{g.op(i)}: weight operand '{_tn(g, b)}' has role '{ROLES[g.c.tensor_role[b]]}', "
            "expected 'weight'")


@rule("weight role", "op", _weight_role_message)
def _weight_role(g: Graph):
    w = g.c.weight[g.operands]
    return _item(g.on_operands((w >= 0) & (g.c.tensor_role[g.ab[1]] != ROLE_WEIGHT)))


def _weight_size_message(g: Graph, i: int) -> str:
    b, kn = g.ins(i)[1], int(g.c.k[i]) * int(g.c.n[i])
    return f"{g.op(i)}: weight '{_tn(g, b)}' has {int(g.w.tensor_numel[b])} elements, expected k*n = {kn}"


@rule("weight size", "op", _weight_size_message)
def _weight_size(g: Graph):
    sel, c = g.operands, g.c
    w = c.weight[sel]
    return _item(g.on_operands((w >= 0) & (g.w.tensor_numel[g.ab[1]] != c.k[sel] * c.n[sel])))


def _b_size_message(g: Graph, i: int) -> str:
    b, bkn = g.ins(i)[1], int(g.c.batch[i]) * int(g.c.k[i]) * int(g.c.n[i])
    return f"{g.op(i)}: B '{_tn(g, b)}' has {int(g.w.tensor_numel[b])} elements, expected batch*k*n = {bkn}"


@rule("B size", "op", _b_size_message)
def _b_size(g: Graph):
    sel, c = g.operands, g.c
    bkn = c.batch[sel] * c.k[sel] * c.n[sel]
    return _item(g.on_operands((c.weight[sel] < 0) & (g.w.tensor_numel[g.ab[1]] != bkn)))


def _a_size_message(g: Graph, i: int) -> str:
    a, bmk = g.ins(i)[0], int(g.c.batch[i]) * int(g.c.m[i]) * int(g.c.k[i])
    return f"{g.op(i)}: A '{_tn(g, a)}' has {int(g.w.tensor_numel[a])} elements, expected batch*m*k = {bmk}"


@rule("A size", "op", _a_size_message)
def _a_size(g: Graph):
    sel, c = g.operands, g.c
    return _item(g.on_operands(g.w.tensor_numel[g.ab[0]] != c.batch[sel] * c.m[sel] * c.k[sel]))


def _out_size_message(g: Graph, i: int) -> str:
    c = g.c
    outs = c.out_ids[c.out_ptr[i]:c.out_ptr[i + 1]].tolist()
    got = sum(int(g.w.tensor_numel[t]) for t in outs)
    bmn = int(c.batch[i]) * int(c.m[i]) * int(c.n[i])
    return (f"{g.op(i)}: outputs {[c.tensor_names[t] for t in outs]} have {got} elements, "
            f"expected batch*m*n = {bmn}")


@rule("output size", "op", _out_size_message)
def _out_size(g: Graph):
    sel, c, w = g.operands, g.c, g.w
    out_f = np.bincount(w._op_of_out, weights=w.tensor_numel[c.out_ids].astype(np.float64),
                        minlength=c.n_ops)[sel]
    return _item(g.on_operands(out_f != (c.batch[sel] * c.m[sel] * c.n[sel]).astype(np.float64)))


@rule("weight only on a matmul", "op",
      lambda g, i: f"{g.op(i)}: only a matmul can have a stationary 'weight' operand")
def _weight_on_matmul(g: Graph):
    return _item(~g.mm & (g.c.weight >= 0))


@rule("elementwise fn", "op", lambda g, i: f"{g.op(i)}: an elementwise op needs 'fn'")
def _ew_fn(g: Graph):
    return _item((g.c.kind == ELEMENTWISE) & (g.c.fn < 0))


@rule("known fn", "op",
      lambda g, i: f"{g.op(i)}: fn '{g.c.fn_vocab[g.c.fn[i]]}' is unknown; use one of "
                   f"{', '.join(sorted(ELEMENTWISE_OPS_PER_ELEMENT))} or set ops_per_element")
def _known_fn(g: Graph):
    c = g.c
    known = np.array([f in ELEMENTWISE_OPS_PER_ELEMENT for f in c.fn_vocab] + [True], dtype=bool)
    return _item((c.kind == ELEMENTWISE) & ~known[c.fn] & np.isnan(g.ope))  # fn -1: trailing True


@rule("finite ops_per_element", "op",
      lambda g, i: f"{g.op(i)}: {finite_ope_message(float(g.ope[i]))}")
def _ope_finite(g: Graph):
    return _item(np.isinf(g.ope))  # NaN means "not set"


@rule("ops_per_element >= 0", "op", lambda g, i: f"{g.op(i)}: ops_per_element must be >= 0")
def _ope_sign(g: Graph):
    return _item(g.ope < 0)


@rule("generic_macs", "op", lambda g, i: f"{g.op(i)}: generic_macs must be a non-negative integer")
def _generic_macs(g: Graph):  # on a matmul: checks_fields' rule of the kind's fields
    return _item(g.c.generic_macs < 0)


# ---- after the ops
@rule("activations produced", "orphan",
      lambda g, i: f"{g.tensor(i)}: activation is produced by no op")
def _orphans(g: Graph):
    c = g.c
    return _item((c.tensor_role == ROLE_ACTIVATION) & (g.w._first_producer == c.n_ops))


# --------------------------------------------------------------------------- running the table
def first_error(workload: Any) -> str | None:
    """The error of the first rule broken by ``workload`` (phase by phase, item order, then
    table order), or None when every rule holds."""
    g = Graph(workload)
    for phase in PHASES:
        found = []
        for r in RULES:
            if r.phase != phase:
                continue
            mask, owner = r.find(g)
            if mask.any():
                found.append((r, mask, owner))
        if not found:
            continue
        firsts = []
        for r, mask, owner in found:
            j = int(np.argmax(mask))
            firsts.append(int(owner[j]) if owner is not None else j)
        item = min(firsts)
        for r, mask, owner in found:
            if owner is None:
                if mask[item]:
                    return r.message(g, item)
            else:
                hit = np.flatnonzero(mask & (owner == item))
                if hit.size:
                    return r.message(g, int(hit[0]))
    return None


def validate(workload: Any) -> None:
    """Raise the one-line WorkloadError of the first broken rule (see :func:`first_error`)."""
    msg = first_error(workload)
    if msg is not None:
        raise WorkloadError(f"workload '{workload.name}': {msg}")


def check_metadata(name: str, metadata: Mapping[str, object]) -> None:
    """The metadata is JSON data, and a ``batch`` it gives (top level or in ``params``) is a
    positive integer."""
    params = metadata.get("params")
    for path, holder in (("metadata.batch", metadata),
                         ("metadata.params.batch", params if isinstance(params, dict) else {})):
        v = holder.get("batch")
        if v is not None and (not is_int(v) or v < 1):
            raise WorkloadError(f"workload '{name}': {path} must be a positive integer "
                                f"(samples per run), got {describe(v)}")
    from .checks_meta import check_items  # (it imports this module)

    check_items(name, metadata)
    check_json_value(metadata, f"workload '{name}'", "metadata")


#: Array columns of :class:`~cimsim.workload.ir.WorkloadColumns` and the NumPy dtype of each.
COLUMN_DTYPES: dict[str, type] = {
    "shape_ptr": np.int64, "shape_dims": np.int64, "tensor_dtype": np.int8, "tensor_role": np.int8,
    "kind": np.int8, "in_ptr": np.int64, "in_ids": np.int64, "out_ptr": np.int64,
    "out_ids": np.int64, "m": np.int64, "k": np.int64, "n": np.int64, "batch": np.int64,
    "weight": np.int64, "fn": np.int32, "ops_per_element": np.float64, "generic_macs": np.int64,
}


def canonical(c: Any, name: str) -> dict[str, Any]:
    """The fields of columns ``c`` with every array 1-D in its declared dtype and the CSR/id
    structure consistent (what the rules may assume); a corrupt column is a one-line
    WorkloadError naming it."""
    def fail(msg: str):
        raise WorkloadError(f"workload '{name}': {msg}")

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
    # storage range, so that products of a few values stay exact in int64 / float64
    if (out["shape_dims"] > MAX_COUNT).any():
        fail("column 'shape_dims' holds a dimension above 2**62")
    for key in ("m", "k", "n", "batch", "generic_macs"):
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
    out["fn_vocab"] = fn_vocab
    out["tags"] = tags
    return out


from . import checks_collective, checks_fields  # noqa: E402,F401  (register their rules in RULES)
