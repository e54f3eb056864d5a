"""Where a part's silicon lies: on the compute chip or off it, and on which tier of a 3D stack
(find-B 1: memory bonded on logic, RRAM arrays built over their CMOS periphery, CIM chips
stacked in tiers).

Silicon area (``area_m2``) adds every part that declares one, whatever lies over what. A stack's
*footprint*, the area its heat leaves through (what a heat sink and a package see), is its
largest tier:

1. Each area part lies on a tier: 0 is the base, a tier above is bonded or built on the one
   below. A component states ``stack: {tier: N}`` (all its area parts) and, by name, tiers of
   its area parts that lie elsewhere (``cim: {stack: {parts: {arrays: 1}}}`` puts RRAM arrays over
   the ADCs and drivers beneath them); an on-chip memory level with an ``area`` states
   ``stack: {tier: N}`` (a DRAM die bonded on the logic: ``off_chip: false``, ``area``,
   ``stack: {tier: 1}``). A part that states no tier is on tier 0.
2. ``stack: {dies: true}``: a component of several identical dies (a CIM's ``chips``) stacks
   them one a tier: die k (from 0) holds 1/dies of each part, on that part's tier + k.
3. The footprint is the largest tier's area (the sum of its parts): the result's
   ``stack_footprint_m2``, over which ``power_density_w_per_m2`` divides the power dissipated
   in the declared silicon (:mod:`cimsim.report.density`). ``area_m2`` and
   ``ops_per_s_per_m2`` stay on all the silicon (what the dies cost).
4. Opt-in: where no part states a tier, parts or dies, the parts lie side by side, the result
   has no ``stack_footprint_m2`` and power density is over ``area_m2``, as before.
"""

from __future__ import annotations

from typing import Mapping, Optional

from pydantic import BaseModel, ConfigDict, Field

from ..quantity import Flag, NonNegativeInt
from ..units import area


def _tier(what: str) -> str:
    return (f"The tier of a 3D stack {what} on: 0 the base, 1 the die bonded or built on it, ... "
            "Where any part states a tier, the run reports stack_footprint_m2 (the largest tier's "
            "area; parts that state none on tier 0) and power_density_w_per_m2 over it "
            "(hw/stack.py). Default: not stated.")


class LevelStack(BaseModel):
    """The ``stack:`` block of a memory level (module docstring, rule 1)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    tier: Optional[NonNegativeInt] = Field(default=None, description=_tier(
        "the level's die lies") + " An on-chip level with an area only (off_chip: false, area).")

    def stated(self) -> bool:
        return self.tier is not None


class PartStack(LevelStack):
    """The ``stack:`` block of a component (module docstring, rules 1-2)."""

    tier: Optional[NonNegativeInt] = Field(default=None, description=_tier(
        "its area parts lie (those named in parts excepted)"))
    parts: dict[str, NonNegativeInt] = Field(default_factory=dict, description="Tiers of its area "
                                             "parts by name (the area_<component>_<part>_m2 parts: "
                                             "arrays: 1 puts RRAM arrays over the CMOS periphery); "
                                             "the others on tier (0 unless stated). Default: none.")
    dies: Flag = Field(default=False, description="Its identical dies (a CIM's chips) are stacked "
                       "one on another, one a tier from tier up, not side by side: each tier holds "
                       "one die's share of each part. Default: false.")

    def stated(self) -> bool:
        return self.tier is not None or bool(self.parts) or self.dies

    def tier_of(self, part: str) -> int:
        return self.parts.get(part, self.tier or 0)


def area_field():
    """``memory.LEVEL.area``."""
    return Field(default=None, description="Silicon area of an on-chip level (counted in the "
                 "architecture's area; leave out off chip).")


def off_chip_field():
    """``memory.LEVEL.off_chip``."""
    return Field(default=None, description="The level lies off the compute chip (DRAM, HBM, an "
                 "accelerator's own weight DRAM): its bytes count as off-chip traffic in tables. "
                 "Default: the backing store (the last level) only; with a far tier, it and the near tier (unless near_on_chip).")


def stack_field(component: bool):
    """The ``stack`` field of a component (``component``) or memory level."""
    return Field(default_factory=PartStack if component else LevelStack, description="Where its "
                 "silicon lies in a 3D stack (memory bonded on logic, RRAM over CMOS, stacked "
                 "CIM tiers): tier" + (", parts, dies" if component else "") + ". Default: not "
                 "stacked (side by side).")


def _stack(cfg):
    return getattr(cfg, "stack", None) or LevelStack()


def stated(components: Mapping, memory: Mapping) -> bool:
    """Whether any component config or memory level states a tier, parts or dies (rule 4)."""
    return any(_stack(c).stated() for c in (*components.values(), *memory.values()))


def tiers(instances, memory: Mapping) -> dict[int, dict[str, float]]:
    """``{tier: {part: m²}}``, tiers ascending: every declared area part (the ``area_<part>_m2``
    names; a stacked die's share as ``<part> (die k of n)``) on its tier (rules 1-2)."""
    out: dict[int, dict[str, float]] = {}
    for c in instances:
        st = _stack(c.config)
        dies = max(int(getattr(c, "dies", 1)), 1)
        stacked = bool(getattr(st, "dies", False)) and dies > 1
        for p, a in c.area_m2().items():
            base = st.tier_of(p) if isinstance(st, PartStack) else 0
            if not stacked:
                out.setdefault(base, {})[f"{c.name}_{p}"] = float(a)
                continue
            for k in range(dies):
                out.setdefault(base + k, {})[f"{c.name}_{p} (die {k + 1} of {dies})"] = float(a) / dies
    for n, m in memory.items():
        if m.area is not None:
            out.setdefault(_stack(m).tier or 0, {})[n] = float(m.area)
    return dict(sorted(out.items()))


def footprint_m2(instances, memory: Mapping) -> float:
    """The largest tier's area, m² (rule 3); NaN where no part declares a positive area."""
    sums = [sum(parts.values()) for parts in tiers(instances, memory).values()]
    best = max(sums, default=0.0)
    return best if best > 0 else float("nan")


def note(instances, memory: Mapping) -> str:
    """The run's note: each tier's area and parts, the footprint, what divides by it."""
    rows = tiers(instances, memory)
    total = sum(a for parts in rows.values() for a in parts.values())
    text = "; ".join(f"tier {t}: {area(sum(p.values()))} "
                     f"({', '.join(n for n, a in p.items() if a > 0) or 'no area'})"
                     for t, p in rows.items())
    return (f"stack: {text}. Footprint {area(footprint_m2(instances, memory))}, the "
            f"largest tier (stack_footprint_m2): power_density_w_per_m2 is over it; area_m2 and "
            f"ops_per_s_per_m2 count all {area(total)} of silicon (hw/stack.py)")


def errors(instances, memory: Mapping, off_chip: tuple[str, ...]) -> list[tuple[str, str]]:
    """``(field, message)`` for each tier that places nothing: on an off-chip level, on a level or
    component that declares no area, on a part the component does not have."""
    out = []
    for n, m in memory.items():
        if not _stack(m).stated():
            continue
        if n in off_chip:
            out.append((f"memory.{n}.stack.tier", "the level lies off the compute chip (the "
                        "backing store, or off_chip: true), so it is in no stack: leave stack out, "
                        "or mark it off_chip: false with its area (a die bonded on the logic)"))
        elif m.area is None:
            out.append((f"memory.{n}.stack.tier", "the level declares no area, so nothing of it "
                        f"lies on a tier: give memory.{n}.area (its die's), or leave stack out "
                        "(a level without an area is inside a component's)"))
    for c in instances:
        st = _stack(c.config)
        if not st.stated():
            continue
        parts = c.area_m2()
        if not parts:
            out.append((f"{c.name}.stack", f"{c.name} declares no area, so nothing of it lies on "
                        "a tier: give its area, or leave stack out"))
        else:
            out += [(f"{c.name}.stack.parts.{p}", f"'{p}' is not an area part of {c.name}; its "
                     f"parts: {', '.join(parts)}") for p in getattr(st, "parts", {}) if p not in parts]
    return out
