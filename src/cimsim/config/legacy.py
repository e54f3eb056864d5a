"""Read configs written for cimsim 0.1 (one ``memory`` level, ``processor.sram``, a
top-level ``interconnect``) by rewriting them into the current layout.

Rules, in order (a config is legacy when its ``memory`` section has a
``bandwidth`` key, i.e. is one level rather than a mapping of levels):

1. ``processor.sram`` becomes the memory level ``sram`` (innermost);
   ``memory`` becomes the level ``dram`` (its ``access_latency`` is the level's
   ``latency``).
2. ``interconnect`` becomes the link ``interconnect``; ``cim`` gets
   ``link: interconnect``.
3. ``pim`` gets the processor's ``op_overhead`` (0.1 charged the host's dispatch
   cost to PIM ops).

The result is the same machine: tests hold the rewritten bundled configs to the
numbers they gave before the redesign.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping


def is_legacy(data: Mapping) -> bool:
    mem = data.get("memory")
    return isinstance(mem, Mapping) and "bandwidth" in mem


def upgrade(data: Mapping) -> dict[str, Any]:
    """The current-layout mapping for a legacy config (a deep copy; the input is untouched)."""
    old = copy.deepcopy(dict(data))
    out: dict[str, Any] = {k: old.pop(k) for k in ("name", "description") if k in old}
    proc = old.get("processor")
    mem = dict(old.pop("memory"))
    levels: dict[str, Any] = {}
    if isinstance(proc, dict) and isinstance(proc.get("sram"), dict):
        levels["sram"] = {"technology": "on-chip SRAM", **proc.pop("sram")}
    if "access_latency" in mem:
        mem["latency"] = mem.pop("access_latency")
    levels["dram"] = mem
    out["memory"] = levels
    if "interconnect" in old:
        out["links"] = {"interconnect": old.pop("interconnect")}
        if isinstance(old.get("cim"), dict):
            old["cim"].setdefault("link", "interconnect")
    if isinstance(old.get("pim"), dict) and isinstance(proc, dict) and "op_overhead" in proc:
        old["pim"].setdefault("op_overhead", proc["op_overhead"])
    out.update(old)
    return out


def upgrade_path(path: str) -> str:
    """A legacy config's dotted path in the current layout (rules 1-2): the value a ``(U)`` mark
    in a 0.1 file names, where :func:`upgrade` moved it."""
    for old, new in (("processor.sram.", "memory.sram."), ("memory.access_latency", "memory.dram.latency"),
                     ("memory.", "memory.dram."), ("interconnect.", "links.interconnect.")):
        if path.startswith(old) or path == old.rstrip("."):
            return new + path[len(old):] if old.endswith(".") else new
    return path
