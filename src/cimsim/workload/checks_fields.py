"""The rules on fields an op's kind does not read (registered into :data:`.checks.RULES`, phase
``op``): ``m``, ``k``, ``n`` and ``batch`` are a matmul's, ``fn`` an elementwise op's, and
``ops_per_element`` / ``generic_macs`` set the work of the other kinds. A hand-written op with
a field of another kind (``"fn": "relu"`` on a matmul, ``"k": 999`` on a ReLU) ran without it
and without a word, as if the ReLU were modelled or the size meant something."""

from __future__ import annotations

import numpy as np

from .checks import Graph, _item, rule
from .kinds import OP_KINDS

#: the fields every op may have
COMMON_FIELDS: tuple[str, ...] = ("name", "kind", "inputs", "outputs", "tags")
#: the fields of a kind besides :data:`COMMON_FIELDS`: what a workload file's op may give
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    kind: (("m", "k", "n", "batch", "weight") if kind == "matmul" else
           ("fn", "ops_per_element", "generic_macs") if kind == "elementwise" else
           ("ops_per_element", "generic_macs"))
    for kind in OP_KINDS}


def _set_fields(g: Graph) -> dict[str, np.ndarray]:
    """Per field a kind may not read, the ops that set it (a value other than its default)."""
    c = g.c
    return {"m": c.m != 0, "k": c.k != 0, "n": c.n != 0, "batch": c.batch != 1, "fn": c.fn >= 0,
            "ops_per_element": ~np.isnan(c.ops_per_element), "generic_macs": c.generic_macs != 0}


def _misplaced(g: Graph) -> np.ndarray:
    """``(fields, ops)``: whether each op sets each field its kind does not read."""
    kind = g.c.kind
    return np.array([values & np.array([field not in KIND_FIELDS[k] for k in OP_KINDS])[kind]
                     for field, values in _set_fields(g).items()]).reshape(7, len(kind))


def _whose(field: str) -> str:
    return ("matmul" if field in ("m", "k", "n", "batch") else
            "elementwise" if field == "fn" else "non-matmul")


def _message(g: Graph, i: int) -> str:
    """Every misplaced field of op ``i``, by the kind it belongs to (a ReLU given m, k and n
    names all three, not one a run)."""
    kind = OP_KINDS[int(g.c.kind[i])]
    names = list(_set_fields(g))
    wrong = [names[j] for j in np.flatnonzero(_misplaced(g)[:, i])]
    parts = []
    for whose in dict.fromkeys(_whose(f) for f in wrong):
        these = [f for f in wrong if _whose(f) == whose]
        listed = ", ".join(repr(f) for f in these)
        parts.append(f"field {listed} applies to {whose} ops" if len(these) == 1 else
                     f"fields {listed} apply to {whose} ops")
    hint = " (a matmul's activation is an elementwise op of its own)" if "fn" in wrong and kind == "matmul" else ""
    return (f"{g.op(i)}: {' and '.join(parts)}, not {kind}{hint}; an op of kind "
            f"'{kind}' takes {', '.join(repr(f) for f in (*COMMON_FIELDS, *KIND_FIELDS[kind]))}")


@rule("fields of the op's kind", "op", _message)
def _fields_of_kind(g: Graph):
    return _item(_misplaced(g).any(axis=0))


#: the elementwise functions that read nothing (a random draw generated in place)
NO_INPUT_FNS: tuple[str, ...] = ("rng",)


def _no_input_message(g: Graph, i: int) -> str:
    fn = g.c.fn_vocab[int(g.c.fn[i])] if g.c.fn[i] >= 0 else "?"
    return (f"{g.op(i)}: an elementwise '{fn}' op with no inputs (it would depend on nothing and "
            f"start at t = 0); name what it reads in 'inputs' (only {', '.join(NO_INPUT_FNS)} "
            "reads nothing)")


@rule("elementwise ops read something", "op", _no_input_message)
def _elementwise_inputs(g: Graph):
    c = g.c
    free = np.array([f in NO_INPUT_FNS for f in c.fn_vocab] + [False])
    return _item((c.kind == OP_KINDS.index("elementwise")) & (g.n_in == 0) & ~free[c.fn])
