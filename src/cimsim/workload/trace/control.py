"""Data-dependent control flow, said rather than dropped: the tensor values a traced forward
read into Python.

A trace records the path the example inputs take. An ``if conf > t:``, a ``while cum < 0.99:``,
a ``tok.item() == eos`` or a ``generate()`` that stops at its end-of-sequence token reads a
tensor's value into Python (torch dispatches ``aten._local_scalar_dense``, ``is_nonzero``,
``item`` or ``equal``), and what runs next depends on that value: another input may run more or
fewer ops. No data moves on such a read (no op is lowered), but each is counted in
``metadata['value_reads']`` (op, module, the user's source line ``where``, the innermost line
that read it ``site``, library code included, and whose code that is, ``by``: ``model``, ``torch``,
``transformers``, ``transformers generate()`` or ``python``; the site's text ``code`` when it can
be read, ``count``). ``cimsim trace`` and every run print a note (:func:`note`) for the reads of
the model's own code and of transformers' ``generate()`` loop (its stop at an end token); a
read inside torch, the rest of transformers or Python's standard library is a check that picks
a mask or a kernel (transformers' packed-sequence test, ``nn.Transformer``'s causal-mask test,
``pack_padded_sequence``'s lengths), which the user cannot make a factory argument: recorded,
not noted.

The decision is not an edge of the workload: an IR matmul reads exactly its A and B, so the
ops after a read do not wait for the op whose value was read (README "Data-dependent control
flow"); a run's critical path can leave the decision's ops out.
"""

from __future__ import annotations

import linecache
import os
import sys
import sysconfig

#: aten ops that read a tensor's value into Python (a bool or a number the model's code uses)
VALUE_READS = frozenset({"_local_scalar_dense", "is_nonzero", "item", "equal"})
#: read sites named in the note before ``...``
SHOWN = 2
#: the code whose reads the note names (:func:`_by`)
NOTED = frozenset({"model", "transformers generate()"})
#: characters of a site's code quoted before "…"
QUOTE = 80


def read_value(low, ev, base: str) -> None:
    """Count event ``ev`` (an op of :data:`VALUE_READS`) by (op, module, source line) on ``low``."""
    reads = low.__dict__.setdefault("value_reads", {})
    key = (base, ev.module, ev.where, ev.site or ev.where)
    reads[key] = reads.get(key, 0) + 1


def _code(where: str) -> str | None:
    """The text of the source line ``where`` (``file:line``), or None where it cannot be read."""
    path, _, line = where.rpartition(":")
    if not path or not line.isdigit():
        return None
    text = linecache.getline(path, int(line)).split("  #")[0].strip()
    return (text[:QUOTE - 1] + "…" if len(text) > QUOTE else text) or None


def _library(path: str) -> str | None:
    """The library (``torch``, ``transformers``, ``python`` for the standard library) whose file
    ``path`` is, or None for the model's own code."""
    for name in ("torch", "transformers"):
        mod = sys.modules.get(name)
        if mod is not None and getattr(mod, "__file__", None) \
                and path.startswith(os.path.dirname(mod.__file__) + os.sep):
            return name
    stdlib = sysconfig.get_paths()["stdlib"] + os.sep
    if path.startswith(stdlib) and "-packages" + os.sep not in path:
        return "python"
    return None


def _by(site: str) -> str:
    """Whose code made the read at ``site``: ``model`` or a library (:data:`NOTED`)."""
    lib = _library(site.rpartition(":")[0])
    if lib == "transformers" and f"{os.sep}generation{os.sep}" in site:
        return "transformers generate()"  # its loop's stop at an end-of-sequence token
    return lib or "model"


def collect(low) -> dict:
    """``{'value_reads': [...]}``, most frequent first (empty dict when the forward read none)."""
    reads = getattr(low, "value_reads", None) or {}
    out = []
    for (op, module, where, site), n in sorted(reads.items(), key=lambda kv: -kv[1]):
        entry = {"op": f"aten.{op}", "module": module, "where": where, "site": site, "by": _by(site),
                 "count": n}
        if (code := _code(site)) is not None:
            entry["code"] = code
        out.append(entry)
    return {"value_reads": out} if out else {}


def _site(e) -> str:
    site = str(e.get("site") or e.get("where", "?"))
    by = e.get("by", "model")
    # the model's own file by its name; a library's by its path in the installed packages
    short = site.rsplit("-packages/", 1)[-1] if by != "model" and "-packages/" in site else \
        site.rsplit("/", 1)[-1]
    if by != "model":
        short += f", {by}"
    code = e.get("code")
    times = f" x{e['count']}" if int(e.get("count", 1)) > 1 else ""
    return f"`{code}` at {short}{times}" if code else f"{short}{times}"


def note(meta) -> list[str]:
    """The note ``cimsim trace`` and a run print for ``metadata['value_reads']``."""
    reads = [e for e in meta.get("value_reads") or [] if e.get("by", "model") in NOTED]
    if not reads:
        return []
    n = sum(int(e.get("count", 1)) for e in reads)
    sites = ", ".join(_site(e) for e in reads[:SHOWN]) + (", ..." if len(reads) > SHOWN else "")
    return [f"{n} value read(s) decided the control flow (e.g. {sites}): the trace is the path this "
            "example input took, and other inputs may run more or fewer ops; trace each path (a "
            "factory argument: --arg) to compare (README 'Data-dependent control flow'; "
            "metadata['value_reads'])"]
