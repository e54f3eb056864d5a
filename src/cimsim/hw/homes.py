"""Which memory levels are a tensor's home and which lie off the compute chip: one rule for the
loader (its ``area`` check, :func:`far_errors`) and :class:`~cimsim.hw.base.Hardware`
(``home_tiers``, ``off_chip``). ``levels``: ``(name, MemoryLevel)`` pairs, innermost first."""

from __future__ import annotations

from typing import Iterable


def home_names(levels: Iterable) -> tuple[str, ...]:
    """The home of tensors: the backing store (the last level), or, where it is a far tier
    (``far: true``, hierarchy rule 9), the near tier before it and it (near first)."""
    levels = list(levels)
    names = [n for n, _ in levels]
    return tuple(names[-2:]) if len(levels) >= 2 and levels[-1][1].far else tuple(names[-1:])


def off_chip_names(levels: Iterable) -> tuple[str, ...]:
    """The levels off the compute chip, innermost first: those marked ``off_chip``, else the
    home tiers (:func:`home_names`)."""
    levels = list(levels)
    home = home_names(levels)
    return tuple(n for n, c in levels if (c.off_chip if c.off_chip is not None else n in home))


def far_errors(levels: list) -> list[tuple[str, str]]:
    """``(field, message)`` errors: a far tier (``memory.LEVEL.far``) is the last level, beside a
    near tier before it, which is a memory off the chip (no ``area``, no ``off_chip: false``)."""
    out = [(f"memory.{n}.far", "only the last level (the backing store) may be a far tier; list "
            "it last, or leave far out") for n, c in levels[:-1] if c.far]
    if len(levels) == 1 and levels[0][1].far:
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
                            "or leave far out"))
    return out
