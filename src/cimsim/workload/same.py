"""Whether two workloads are the same value (:meth:`cimsim.workload.ir.Workload.__eq__`): the
same name and metadata, and column by column the same tensors and ops, exactly. Read from the
columns with NumPy (an LLM serving run's million ops compare without building one ``Op``).

Tags compare as each op's ``tags`` dict does: the same keys with the same values, where a
value is told apart by its JSON text as the tag columns store it (``1``, ``1.0``, ``true`` and
``"1"`` differ); their column encoding (int or vocabulary codes, the vocabulary's order, a key's
order within an op) does not matter.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np

from .columns import StringTable, TagColumns

if TYPE_CHECKING:
    from .ir import Workload, WorkloadColumns

#: the numeric columns, compared element by element (``ops_per_element``: a NaN, "not set",
#: equals a NaN)
_ARRAYS = ("shape_ptr", "shape_dims", "tensor_dtype", "tensor_role", "kind", "in_ptr", "in_ids",
           "out_ptr", "out_ids", "m", "k", "n", "batch", "weight", "fn", "ops_per_element",
           "generic_macs")


def _objects(values) -> np.ndarray:
    """A 1-D object array of ``values`` (tuples stay elements: ``np.array`` would make rows)."""
    values = list(values)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _same_strings(a: StringTable, b: StringTable) -> bool:
    return np.array_equal(a.offsets, b.offsets) and np.array_equal(a.blob, b.blob)


def _fns(c: "WorkloadColumns") -> np.ndarray:
    """Each op's ``fn`` as text (``""`` for none): two vocabularies may order the names apart."""
    vocab = _objects([*c.fn_vocab, ""])
    return vocab[c.fn]  # -1 (none) picks the "" at the end


def _value_key(v: object) -> tuple:
    # as the tag columns' vocabulary tells values apart (columns._TagColumnBuilder._code)
    return (True, v) if type(v) is str else (False, json.dumps(v))


def _keys_of(t: TagColumns) -> np.ndarray:
    """Each op's set of tag keys, as an index into one list of key sets."""
    return _objects(frozenset(o) for o in t.orders)[t.order_code]


def _values(t: TagColumns, key: str, ops: np.ndarray) -> np.ndarray:
    """The tag ``key``'s value keys (:func:`_value_key`) at ``ops``."""
    col = t.columns[key]
    if col[0] == "int":
        return _objects((False, str(int(v))) for v in col[1][ops])
    return _objects(_value_key(v) for v in col[2])[col[1][ops]]


def _same_tags(a: TagColumns, b: TagColumns) -> bool:
    keys_a, keys_b = _keys_of(a), _keys_of(b)
    if not (keys_a == keys_b).all():
        return False
    for key in a.columns.keys() | b.columns.keys():
        ops = np.flatnonzero([key in ks for ks in keys_a])
        if ops.size and not (_values(a, key, ops) == _values(b, key, ops)).all():
            return False
    return True


def same_workload(a: "Workload", b: "Workload") -> bool:
    """Whether ``a`` and ``b`` are the same workload: name, metadata, tensors and ops."""
    if a.name != b.name or a.metadata != b.metadata:
        return False
    ca, cb = a.columns, b.columns
    if ca.n_ops != cb.n_ops or ca.n_tensors != cb.n_tensors:
        return False
    if not all(np.array_equal(getattr(ca, f), getattr(cb, f), equal_nan=f == "ops_per_element")
               for f in _ARRAYS if f != "fn"):
        return False
    return (_same_strings(ca.tensor_names, cb.tensor_names)
            and _same_strings(ca.op_names, cb.op_names)
            and (_fns(ca) == _fns(cb)).all()
            and _same_tags(ca.tags, cb.tags))
