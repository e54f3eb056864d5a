"""Data-dependent control flow, said rather than dropped: the tensor values a traced forward
read into Python.

A trace records the path the example inputs take. An ``if conf > t:``, a ``while cum < 0.99:``,
a ``tok.item() == eos`` or a ``generate()`` that stops at its end-of-sequence token reads a
tensor's value into Python (torch dispatches ``aten._local_scalar_dense``, ``is_nonzero``,
``item`` or ``equal``), and what runs next depends on that value: another input may run more or
fewer ops. No data moves on such a read (no op is lowered), but each is counted in
``metadata['value_reads']`` (op, module, source line ``where``, the line's text ``code`` when it
can be read, ``count``), and ``cimsim trace`` and every run print a note (:func:`note`).

The decision is not an edge of the workload: an IR matmul reads exactly its A and B, so the
ops after a read do not wait for the op whose value was read (README "Data-dependent control
flow"); a run's critical path can leave the decision's ops out.
"""

from __future__ import annotations

import linecache

#: aten ops that read a tensor's value into Python (a bool or a number the model's code uses)
VALUE_READS = frozenset({"_local_scalar_dense", "is_nonzero", "item", "equal"})
#: read sites named in the note before ``...``
SHOWN = 2


def read_value(low, ev, base: str) -> None:
    """Count event ``ev`` (an op of :data:`VALUE_READS`) by (op, module, source line) on ``low``."""
    reads = low.__dict__.setdefault("value_reads", {})
    key = (base, ev.module, ev.where)
    reads[key] = reads.get(key, 0) + 1


def _code(where: str) -> str | None:
    """The text of the source line ``where`` (``file:line``), or None where it cannot be read."""
    path, _, line = where.rpartition(":")
    if not path or not line.isdigit():
        return None
    text = linecache.getline(path, int(line)).split("  #")[0].strip()
    return text[:80] or None


def collect(low) -> dict:
    """``{'value_reads': [...]}``, most frequent first (empty dict when the forward read none)."""
    reads = getattr(low, "value_reads", None) or {}
    out = []
    for (op, module, where), n in sorted(reads.items(), key=lambda kv: -kv[1]):
        entry = {"op": f"aten.{op}", "module": module, "where": where, "count": n}
        if (code := _code(where)) is not None:
            entry["code"] = code
        out.append(entry)
    return {"value_reads": out} if out else {}


def _site(e) -> str:
    where = str(e.get("where", "?"))
    short = where.rsplit("/", 1)[-1]
    code = e.get("code")
    times = f" x{e['count']}" if int(e.get("count", 1)) > 1 else ""
    return f"`{code}` at {short}{times}" if code else f"{short}{times}"


def note(meta) -> list[str]:
    """The note ``cimsim trace`` and a run print for ``metadata['value_reads']``."""
    reads = meta.get("value_reads") or []
    if not reads:
        return []
    n = sum(int(e.get("count", 1)) for e in reads)
    sites = ", ".join(_site(e) for e in reads[:SHOWN]) + (", ..." if len(reads) > SHOWN else "")
    return [f"{n} value read(s) decided the control flow (e.g. {sites}): the trace is the path this "
            "example input took, and other inputs may run more or fewer ops; trace each path (a "
            "factory argument: --arg) to compare (README 'Data-dependent control flow'; "
            "metadata['value_reads'])"]
