"""The tags of an op's random accesses (:mod:`.arrays` reads them into
:class:`~.oparrays.OpArrays`): ``random_read_bytes`` / ``random_write_bytes``, the bytes of an
op with ``access_bytes`` that are its random accesses (a row gather's lines; a scatter-add's
read-modify-write of its destination rows), and ``table_bytes``, the table a traced gather's
accesses read (with it, ``access_bytes`` is the mean of accesses of whole 64 B lines, and a
level where streaming the table is cheaper charges that: :func:`cimsim.pipeline.pattern_scale`).
"""

from __future__ import annotations

import numpy as np

#: a trace's metadata ``gather_rule``: gathers charged their whole 64 B lines, runs of adjacent
#: lines one access each, tag ``table_bytes`` (a trace without it predates 2026-12-06)
GATHER_RULE = "lines (2026-12-06)"

#: tags of the bytes of an op with ``access_bytes`` that are its random accesses, read and
#: written (a row gather's lines; a scatter-add's read-modify-write of its destination rows)
RANDOM_TAGS = ("random_read_bytes", "random_write_bytes")

#: bytes a random access fetches at least (a cache line, a DRAM burst of DDR4/5; every
#: preset's burst divides it): the lines a traced gather's accesses are made of
LINE = 64


def line_mix(size):
    """Accesses of ``size`` bytes (a number or an array) as the mean of accesses of ``k`` and
    ``k + 1`` whole :data:`LINE` s: ``(mixed, k, f)``, ``mixed`` where ``size`` is such a mean
    (more than one line, not a whole number of them), ``f`` the fraction of the way to ``k + 1``
    (the charge, :func:`cimsim.pipeline._gather_rates`, and the note, :mod:`cimsim.cost.gathers`)."""
    m = np.asarray(size, dtype=np.float64) / LINE
    k = np.floor(m)
    return (m > 1) & (m != k), k, m - k


def _random_columns(tags, n: int, names, workload: str, size) -> tuple[np.ndarray | None, ...]:
    """``(random_read_bytes, random_write_bytes, table_bytes)`` from the tags of the same names:
    NaN where an op states none (its every byte takes its ``access_bytes`` pattern; no table),
    0 for the random one it leaves out; None when no op states one. A negative value, or one on
    an op without ``access_bytes`` (a stream, which has no random bytes), is refused."""
    from ..errors import WorkloadError
    from .arrays import _num_tag

    cols = [_num_tag(tags, key, n, np.nan) if n else None for key in (*RANDOM_TAGS, "table_bytes")]
    if all(c is None for c in cols):
        return None, None, None
    rr, rw, tb = (np.full(n, np.nan) if c is None else c for c in cols)
    stated = ~np.isnan(rr) | ~np.isnan(rw)
    rr, rw = (np.where(stated & np.isnan(c), 0.0, c) for c in (rr, rw))
    for key, col in zip((*RANDOM_TAGS, "table_bytes"), (rr, rw, tb)):
        neg = np.flatnonzero(col < 0)
        if len(neg):
            raise WorkloadError(f"workload '{workload}': op '{names[neg[0]]}' (#{neg[0]}): tag {key} = {col[neg[0]]:g} "
                                "is not allowed; it must be >= 0 bytes")
    size = size if size is not None else np.zeros(n)
    for key, on in ((" / ".join(RANDOM_TAGS), stated), ("table_bytes", ~np.isnan(tb))):
        loose = np.flatnonzero(on & (size == 0))
        if len(loose):
            raise WorkloadError(f"workload '{workload}': op '{names[loose[0]]}' (#{loose[0]}): tags {key} need "
                                "access_bytes (the size of its random accesses); a streaming op "
                                "has no random bytes")
    some = cols[0] is not None or cols[1] is not None
    return (rr if some else None), (rw if some else None), (tb if cols[2] is not None else None)


def _random_reference(ops) -> tuple[np.ndarray | None, ...]:
    """:func:`_random_columns` of :func:`.arrays.op_arrays_reference`, op by op (unchecked)."""
    keys = (*RANDOM_TAGS, "table_bytes")
    if not any(k in op.tags for op in ops for k in keys):
        return None, None, None
    out = np.array([[float(op.tags[k]) if k in op.tags else np.nan for k in keys] for op in ops])
    stated = ~np.isnan(out[:, :2]).all(axis=1)
    out[:, :2][stated[:, None] & np.isnan(out[:, :2])] = 0.0
    rr_rw = (out[:, 0], out[:, 1]) if stated.any() else (None, None)
    return (*rr_rw, out[:, 2] if not np.isnan(out[:, 2]).all() else None)


def lookup_column(tags, n: int) -> np.ndarray | None:
    """Per op, the bytes of every row a traced gather looks up, repeats included (tags
    ``lookups`` x ``row_bytes``, the row of the view read: a slice's, not its storage's; a
    trace from before 2026-12-07 without ``row_bytes``: ``table_bytes`` / ``table_rows``):
    what near-bank units without a cache read in the banks; NaN where an op states them not;
    None when no op does."""
    from .arrays import _num_tag

    cols = [_num_tag(tags, k, n, np.nan) if n else None
            for k in ("lookups", "table_bytes", "table_rows", "row_bytes")]
    if any(c is None for c in cols[:3]):
        return None
    looked, tb, rows, row = cols
    with np.errstate(divide="ignore", invalid="ignore"):
        old = np.where(rows > 0, tb / rows, np.nan)
    out = looked * (old if row is None else np.where(np.isnan(row), old, row))
    return out if not np.isnan(out).all() else None


def lookup_reference(ops) -> np.ndarray | None:
    """:func:`lookup_column` op by op."""
    def one(t) -> float:
        if "lookups" not in t:
            return np.nan
        if "row_bytes" in t:
            return float(t["lookups"]) * float(t["row_bytes"])
        if "table_bytes" in t and float(t.get("table_rows", 0)) > 0:
            return float(t["lookups"]) * float(t["table_bytes"]) / float(t["table_rows"])
        return np.nan

    out = np.array([one(op.tags) for op in ops])
    return out if len(out) and not np.isnan(out).all() else None
