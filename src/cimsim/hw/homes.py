"""Which memory levels are a tensor's home and which lie off the compute chip: one rule for the
loader (its ``area`` check, :func:`far_errors`) and :class:`~cimsim.hw.base.Hardware`
(``home_tiers``, ``off_chip``). ``levels``: ``(name, MemoryLevel)`` pairs, innermost first."""

from __future__ import annotations

import re
from typing import Annotated, Iterable, Optional

from pydantic import BaseModel, ConfigDict, Field

from ..quantity import NonNegativeFloat
from ..units import si

#: the share of a class's bytes homed in the far tier: 0 (all near) to 1 (all far)
Share = Optional[Annotated[NonNegativeFloat, Field(le=1)]]


class FarPlace(BaseModel):
    """``memory.LEVEL.place`` of a far tier: an offload policy, the share (0 to 1) of each
    class's bytes homed in this far tier; a class left out fills the near tier by first touch."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    weights: Share = Field(default=None, description="Share of every weight tensor's bytes homed "
                           "in the far tier (FlexGen's w_cpu: 1 - w_gpu; 1: ZeRO-Inference).")
    kv_cache: Share = Field(default=None, description="Share of every KV cache's bytes (and the "
                            "rows appended to it) homed in the far tier (FlexGen's cache_cpu).")
    activations: Share = Field(default=None, description="Share of each op's activations "
                               "through the home that go to the far tier (FlexGen's act_cpu).")


def near_on_chip_field():
    """``memory.LEVEL.near_on_chip`` (of a far tier; find-C2 2)."""
    return Field(default=False, description="A far tier's near tier (the level before it) is on "
                 "the compute chip: a wafer's or an SRAM machine's SRAM whose weights stream from an "
                 "external store (Cerebras MemoryX, a Groq or IPU model larger than the chip). The "
                 "near tier must then declare area or off_chip: false and counts as on-chip (not "
                 "off-chip traffic). Default: false (the near tier is DDR or HBM off the chip). With "
                 "far: true only.")


def home_names(levels: Iterable) -> tuple[str, ...]:
    """The home of tensors: the backing store (the last level), or, where it is a far tier
    (``far: true``, hierarchy rule 9), the near tier before it and it (near first)."""
    levels = list(levels)
    names = [n for n, _ in levels]
    return tuple(names[-2:]) if len(levels) >= 2 and levels[-1][1].far else tuple(names[-1:])


def off_chip_names(levels: Iterable) -> tuple[str, ...]:
    """The levels off the compute chip, innermost first: those marked ``off_chip``, else the
    home tiers (:func:`home_names`) but a near tier the far tier states on chip
    (``near_on_chip``)."""
    levels = list(levels)
    home = set(home_names(levels))
    if len(home) == 2 and levels[-1][1].near_on_chip:  # a near tier stated on chip (find-C2 2)
        home.discard(levels[-2][0])
    return tuple(n for n, c in levels if (c.off_chip if c.off_chip is not None else n in home))


def far_errors(levels: list) -> list[tuple[str, str]]:
    """``(field, message)`` errors: a far tier (``memory.LEVEL.far``) is the last level, beside a
    near tier before it, which is a memory off the chip (no ``area``, no ``off_chip: false``)
    and DRAM-like (:func:`dram_like`) unless it is marked ``off_chip: true``, or, where the far
    tier says ``near_on_chip: true``, an on-chip level: one that declares ``area`` or
    ``off_chip: false`` (and is not marked ``off_chip: true``)."""
    out = [(f"memory.{n}.place", "sets the offload policy of a far tier; mark the last level "
            "far: true and give place there, or leave place out")
           for n, c in levels if c.place is not None and not (c.far and (n, c) == levels[-1])]
    out += [(f"memory.{n}.far", "only the last level (the backing store) may be a far tier; list "
            "it last, or leave far out") for n, c in levels[:-1] if c.far]
    out += [(f"memory.{n}.near_on_chip", "says the near tier before a far tier is on the chip; "
             "mark this level far: true (the last level), or leave near_on_chip out")
            for n, c in levels if c.near_on_chip and not (c.far and (n, c) == levels[-1])]
    if len(levels) >= 2 and levels[-1][1].far and levels[-1][1].near_on_chip:  # stated on chip
        (n, c), far = levels[-2], levels[-1][0]
        if c.off_chip:
            out.append((f"memory.{n}.off_chip", f"memory.{far}.near_on_chip says the near tier "
                        f"'{n}' is on the compute chip, but '{n}' is marked off_chip: true; leave "
                        f"one of the two out"))
        elif c.area is None and c.off_chip is None:  # a DDR would silently go on chip (review W 1)
            out.append((f"memory.{n}.area", f"memory.{far}.near_on_chip says the near tier '{n}' "
                        f"is on the compute chip, but '{n}' declares neither area nor off_chip: "
                        f"false; give it one of the two, or leave near_on_chip out"))
    elif len(levels) == 1 and levels[0][1].far:
        n = levels[0][0]
        out.append((f"memory.{n}.far", "a far tier sits beside a near tier (DDR, HBM) listed "
                    "before it; add that level, or leave far out"))
    elif len(levels) >= 2 and levels[-1][1].far:  # the near tier is a memory off the chip
        (n, c), far = levels[-2], levels[-1][0]
        for field, on, why in (("area", c.area is not None, "declares an area"),
                               ("off_chip", c.off_chip is False, "is marked off_chip: false")):
            if on:
                out.append((f"memory.{n}.{field}", f"memory.{far}.far makes '{n}' the near tier, "
                            f"a memory off the compute chip beside '{far}' (DDR, HBM), but '{n}' "
                            f"{why}: an on-chip level; list the DDR or HBM before memory.{far}, "
                            f"set memory.{far}.near_on_chip: true if the far tier is a store "
                            f"beside on-chip memory (an SRAM machine streaming weights), or leave "
                            "far out"))
        if not out and c.off_chip is None and not dram_like(c):  # an SRAM or cache that says no more
            out.append((f"memory.{n}.technology", f"memory.{far}.far makes '{n}' the near tier, a "
                        f"main memory beside '{far}' (DDR, HBM), but '{n}' (technology "
                        f"'{c.technology or ''}', {si(float(c.capacity), 'B')}) is not DRAM-like (type: "
                        "dram, a technology naming DDR, HBM, DRAM, CXL or NUMA, or 1 GB or more): "
                        f"an on-chip SRAM or cache; list the DDR or HBM before memory.{far}, "
                        "mark it off_chip: true if it is a memory off the chip, set "
                        f"memory.{far}.near_on_chip: true if it is on-chip memory beside an "
                        "external store (an SRAM machine streaming weights), or leave far out"))
    return out


#: a level's ``technology`` that names a DRAM-like memory (not an on-chip SRAM or cache)
_DRAM_WORDS = re.compile(r"DDR|HBM|DRAM|CXL|NUMA", re.IGNORECASE)


def dram_like(cfg) -> bool:
    """A memory level that is a DRAM-like main memory: ``type: dram``, a ``technology`` that
    names DDR, HBM, DRAM, CXL or NUMA, or 1 GB or more."""
    return (getattr(cfg, "standard", None) is not None or bool(_DRAM_WORDS.search(cfg.technology or ""))
            or float(cfg.capacity) >= 1e9)


def cache_tier_note(memory, levels: list[str]) -> list[str]:
    """A note where a processor's last two levels (``levels``, names in ``memory``) are both
    DRAM-like and the last is no far tier: the one before the backing store is modelled as a
    cache of it (the inclusive hierarchy), which a CXL expander or a second NUMA node listed
    after the DDR is not."""
    if len(levels) < 2:
        return []
    (prev, p), (back, b) = ((n, memory[n]) for n in levels[-2:])
    if b.far or not (dram_like(p) and dram_like(b)):
        return []
    return [f"memory.{prev} and memory.{back} are both main memory (DRAM-like: {prev} "
            f"{si(float(p.capacity), 'B')}, {back} {si(float(b.capacity), 'B')}): {prev} is "
            f"treated as a cache of {back}, which is the home of every tensor (its bytes pass "
            f"{prev} too); if {back} is a peer memory (a CXL expander, a second NUMA node), "
            f"memory.{back}.far: true makes the two flat tiers side by side (hierarchy rule 9)"]


def replacement_errors(levels: list) -> list[tuple[str, str]]:
    """``(field, message)`` errors: ``replacement: lru`` on a home tier (the backing store; with
    a far tier, it and the near tier), which holds every tensor: no cache whose contents are
    replaced (hw/lru.py)."""
    return [(f"memory.{n}.replacement", f"lru makes a level a hardware cache, but '{n}' is where "
             "tensors live (the backing store, or a far tier's near tier): nothing is replaced "
             "there; give replacement: lru to the cache levels before it, or leave it out")
            for n, c in levels if n in home_names(levels) and c.replacement == "lru"]
