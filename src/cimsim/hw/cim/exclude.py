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
3. A pattern that matches no stationary weight of the workload keeps nothing off the arrays,
   and the run's note says so, naming it and a few of the weights' names (a typo would
   otherwise leave every adapter in the arrays unseen). A note, not an error: one config is
   meant for an adapted model and its base alike (``cimsim compare`` over both, which names
   the config and workload of each note). Before 2026-12-06 (mend) it was an error, which
   stopped a whole ``compare`` at the base model.
4. The run's notes count what was kept off the arrays: matmuls, distinct weights and MACs,
   per pattern (an op matched by several patterns counts under the first).
"""

from __future__ import annotations

from fnmatch import fnmatchcase

import numpy as np

from ...units import si


def _weights(ops) -> np.ndarray:
    """The matmuls with a stationary weight, as a bool mask per op."""
    return (ops.stationary >= 0) & ops.mac_dtype_ok()


def matches(c, ops) -> np.ndarray:
    """int64 per op: the index into ``c.exclude`` of the first pattern its stationary weight's
    name matches (rule 1), -1 for none (and for every op without ``exclude``)."""
    n = ops.kind.shape[0]
    hit = np.full(n, -1, dtype=np.int64)
    if not c.exclude:
        return hit
    mm, names = _weights(ops), ops.tensor_names
    first = {}
    for t in np.unique(ops.stationary[mm]).tolist():
        j = next((j for j, p in enumerate(c.exclude) if fnmatchcase(names[int(t)], p)), -1)
        if j >= 0:
            first[t] = j
    if first:
        at = np.flatnonzero(mm)
        j = np.array([first.get(int(t), -1) for t in ops.stationary[at].tolist()], dtype=np.int64)
        hit[at] = j
    return hit


def unmatched_text(name: str, c, ops) -> str | None:
    """Rule 3's note on the patterns matching no stationary weight of the workload, or None."""
    mm, names = _weights(ops), ops.tensor_names
    ids = np.unique(ops.stationary[mm])
    unmatched = [p for p in c.exclude
                 if not any(fnmatchcase(names[int(t)], p) for t in ids.tolist())]
    if not unmatched:
        return None
    shown = ", ".join(f"'{names[int(t)]}'" for t in ids[:3].tolist())
    pats = ", ".join(f"'{p}'" for p in unmatched)
    return (f"{name}.exclude: pattern{'s' if len(unmatched) > 1 else ''} {pats} match"
            f"{'' if len(unmatched) > 1 else 'es'} none of this workload's {len(ids):,} "
            "stationary weight names" + (f" (e.g. {shown})" if len(ids) else "")
            + ", so keep nothing off the arrays (a typo? shell-style globs over the full weight "
            "tensor name, e.g. '*.lora_A.*')")


def note(name: str, c, ops, free: np.ndarray) -> str | None:
    """Rule 4's note on the ``free`` matmuls the patterns kept off the arrays and rule 3's on
    the patterns that matched nothing, or None."""
    if not c.exclude:
        return None
    hit = matches(c, ops)
    kept = free & (hit >= 0)
    said = unmatched_text(name, c, ops)
    if not kept.any():
        return said
    per = []
    for j, p in enumerate(c.exclude):
        sel = kept & (hit == j)
        if sel.any():
            per.append(f"'{p}' {int(sel.sum()):,} matmul(s), "
                       f"{np.unique(ops.stationary[sel]).size:,} weight(s), "
                       f"{si(float(ops.macs[sel].sum()), 'MAC')}")
    kept_text = (f"{name}: exclude kept {int(kept.sum()):,} matmul(s) with "
                 f"{np.unique(ops.stationary[kept]).size:,} stationary weight(s), "
                 f"{si(float(ops.macs[kept].sum()), 'MAC')} of {si(float(ops.macs.sum()), 'MAC')}, "
                 f"off the arrays ({'; '.join(per)}): they hold no array and run on the "
                 "component that takes what the arrays do not (macs_<unit> says which)")
    return kept_text if said is None else f"{kept_text}; {said}"
