"""Weights a CIM leaves to the host by name (``cim.exclude``): a LoRA adapter's A and B, any
matrix a designer keeps digital beside a base model held in the arrays (find-L, finding 2).

Rules, in order:

1. ``exclude`` is a list of shell-style globs (:func:`fnmatch.fnmatchcase`: ``*`` any run of
   characters, ``?`` one, ``[...]`` a set; case-sensitive), matched against the full name of
   a matmul's stationary weight tensor as the workload names it (``blocks.0.q.A.weight``;
   ``cimsim workload`` and the trace list them). Default: none, the CIM claims every matmul
   with a stationary weight.
2. A matmul whose stationary weight matches any pattern is not claimed: it stays free for the
   components of lower priority (the processor runs it, as any op no accelerator takes), so
   it holds no array, is neither programmed nor re-programmed, and its bias add / ReLU does not
   ride on it (:mod:`.epilogue`). The placement decides this once, before either engine runs,
   so the DES and the analytic engine run the same ops on the host.
3. A pattern that matches no stationary weight of the workload is an error naming it and a
   few of the weights' names (a typo would otherwise leave every adapter in the arrays).
4. The run's notes count what was kept off the arrays: matmuls, distinct weights and MACs,
   per pattern (an op matched by several patterns counts under the first).
"""

from __future__ import annotations

from fnmatch import fnmatchcase

import numpy as np

from ...errors import MappingError
from ...units import si


def _weights(ops) -> tuple[np.ndarray, list[str]]:
    """(the matmuls with a stationary weight, as a bool mask; the names of the tensor ids)."""
    mm = (ops.stationary >= 0) & ops.mac_dtype_ok()
    return mm, ops.tensor_names


def matches(c, ops, name: str = "cim") -> np.ndarray:
    """int64 per op: the index into ``c.exclude`` of the first pattern its stationary weight's
    name matches (rule 1), -1 for none (and for every op without ``exclude``)."""
    n = ops.kind.shape[0]
    hit = np.full(n, -1, dtype=np.int64)
    if not c.exclude:
        return hit
    mm, names = _weights(ops)
    ids = np.unique(ops.stationary[mm])
    first = {}
    for t in ids.tolist():
        j = next((j for j, p in enumerate(c.exclude) if fnmatchcase(names[int(t)], p)), -1)
        if j >= 0:
            first[t] = j
    unmatched = [p for j, p in enumerate(c.exclude)
                 if not any(fnmatchcase(names[int(t)], p) for t in ids.tolist())]
    if unmatched:  # rule 3
        shown = ", ".join(f"'{names[int(t)]}'" for t in ids[:3].tolist())
        raise MappingError(
            f"{name}.exclude: pattern '{unmatched[0]}' matches none of the workload's {len(ids):,} "
            "stationary weight names" + (f" (e.g. {shown})" if len(ids) else "")
            + "; allowed: shell-style globs over the full weight tensor name, e.g. '*.lora_A.*'")
    if first:
        at = np.flatnonzero(mm)
        j = np.array([first.get(int(t), -1) for t in ops.stationary[at].tolist()], dtype=np.int64)
        hit[at] = j
    return hit


def note(name: str, c, ops, free: np.ndarray) -> str | None:
    """Rule 4's note on the ``free`` matmuls the patterns kept off the arrays, or None."""
    if not c.exclude:
        return None
    hit = matches(c, ops, name)
    kept = free & (hit >= 0)
    if not kept.any():
        return None
    per = []
    for j, p in enumerate(c.exclude):
        sel = kept & (hit == j)
        if sel.any():
            per.append(f"'{p}' {int(sel.sum()):,} matmul(s), "
                       f"{np.unique(ops.stationary[sel]).size:,} weight(s), "
                       f"{si(float(ops.macs[sel].sum()), 'MAC')}")
    return (f"{name}: exclude kept {int(kept.sum()):,} matmul(s) with "
            f"{np.unique(ops.stationary[kept]).size:,} stationary weight(s), "
            f"{si(float(ops.macs[kept].sum()), 'MAC')} of {si(float(ops.macs.sum()), 'MAC')}, "
            f"off the arrays ({'; '.join(per)}): they hold no array and run on the "
            "component that takes what the arrays do not (macs_<unit> says which)")
