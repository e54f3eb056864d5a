"""What power density divides (find-B 2): the power dissipated in the declared silicon.

``area_m2`` is the compute die's (the components' and the on-chip levels'); a memory level off
the chip (:attr:`cimsim.hw.base.Hardware.off_chip`: HBM or DRAM beside the die, a DIMM) is not in
it, so neither is its energy: its accesses (``energy_<level>_j``) and its ``static_power`` are
dissipated in its own dies. Nor is a component that sits in such a level (review P 1: its
:attr:`~cimsim.hw.base.Component.sits_in` is off-chip, e.g. hbm-pim's near-bank PIM units in the
HBM3 dies): its energy parts and static power are dissipated in that level's dies, and an area it
declares (``area_per_unit``) is theirs, not the compute die's. :func:`offchip_memory_power_w` is
that power, which ``power_density_w_per_m2`` leaves out of the numerator. A level marked
``off_chip: false`` (a DRAM die bonded on the logic) counts, as do links (their ports are on the
dies at both ends), components in an on-chip level, and components on their own die (a component
that declares no area: the note that area counts only the parts that declare one).

Where parts are stacked (:mod:`cimsim.hw.stack`, find-B 1), the density's area is the stack's
footprint, ``stack_footprint_m2`` (the largest tier's), not the silicon summed over the tiers:
the heat of every tier leaves through the footprint."""
from __future__ import annotations

from . import columns as C


def offchip_components(components, off_levels) -> dict[str, dict]:
    """The result's ``off_chip_components``: for each component whose silicon sits in an
    off-chip level, ``{"level", "energy" (its energy_breakdown_j keys), "static" (its
    static_power_column parts), "area" (its area_breakdown_m2 keys)}``."""
    out = {}
    for c in components:
        if c.sits_in is None or c.sits_in not in off_levels:
            continue
        split = getattr(c, "static_power_parts_w", None)
        out[c.name] = {"level": c.sits_in, "energy": tuple(f"{c.name}_{p}" for p in c.energy_parts),
                       "static": tuple(f"{c.name}_{k}" for k in dict(split)) if split else (c.name,),
                       "area": tuple(f"{c.name}_{p}" for p in c.area_m2())}
    return out


def offchip_parts(r) -> dict[str, tuple[float, float]]:
    """``name -> (J, W)``, one device's: each off-chip level's access energy over the run and its
    stated static power, then each component sitting in one (``<name> in <level>``) likewise."""
    e, f = r.energy_breakdown_j, r.facts
    out = {lv: (float(e.get(lv, 0.0)), float(f.get(C.static_power_column(lv), 0.0)))
           for lv in tuple(getattr(r, "off_chip_levels", ()) or ())}
    for name, c in (getattr(r, "off_chip_components", None) or {}).items():
        out[f"{name} in {c['level']}"] = (sum(float(e.get(k, 0.0)) for k in c["energy"]),
                                          sum(float(f.get(C.static_power_column(k), 0.0)) for k in c["static"]))
    return out


def offchip_split(r) -> tuple[float, float]:
    """``(J, W)``: the off-chip parts' (:func:`offchip_parts`) access energy over the run (one
    device's) and their stated static power (one device's)."""
    parts = offchip_parts(r).values()
    return sum(j for j, _ in parts), sum(w for _, w in parts)


def offchip_area_m2(r) -> float:
    """The declared area of the components that sit in an off-chip level, m² (one device's)."""
    a = r.area_breakdown_m2
    return sum(float(a.get(k, 0.0)) for c in (getattr(r, "off_chip_components", None) or {}).values()
               for k in c["area"])


def offchip_memory_power_w(r) -> float:
    """The off-chip memory levels' average power over the run, W (access energy / latency +
    their static power), with the components sitting in them; 0 W where nothing is off the chip;
    NaN for a run of zero latency."""
    dynamic, static = offchip_split(r)
    if not r.latency_s > 0:
        return float("nan")
    return dynamic / r.latency_s + static


def power_density(power_w: float, offchip_w: float, area_m2: float, offchip_area_m2: float = 0.0) -> float:
    """(power − off-chip power) / (area − off-chip components' area), W/m²; NaN without a die
    area. Never below 0 W/m²: the off-chip part is a part of the power."""
    die = area_m2 - offchip_area_m2
    if not die > 0:
        return float("nan")
    return max(power_w - offchip_w, 0.0) / die


def die_power_density(r) -> float:
    """A result's ``power_density_w_per_m2`` (one device's): :func:`power_density` of its average
    power, off-chip power, and its area less the off-chip components' (review P 1), or, where
    parts are stacked, the stack's footprint (find-B 1: the footprint is the tiers' own parts)."""
    f = r.facts.get(C.STACK_FOOTPRINT_M2)
    if f is not None:
        return power_density(r.average_power_w, offchip_memory_power_w(r), float(f))
    return power_density(r.average_power_w, offchip_memory_power_w(r), r.area_m2, offchip_area_m2(r))


def stack_facts(arch) -> dict[str, float]:
    """``{STACK_FOOTPRINT_M2: m²}`` where a part of ``arch`` states a tier (:mod:`cimsim.hw.stack`),
    else ``{}``."""
    if not getattr(arch, "stacked", False):
        return {}
    from ..hw import stack
    return {C.STACK_FOOTPRINT_M2: stack.footprint_m2(arch.instances, arch.memory)}


def stack_notes(arch) -> list[str]:
    """The run's note on the stack's tiers and footprint (none where nothing is stacked)."""
    if not getattr(arch, "stacked", False):
        return []
    from ..hw import stack
    return [stack.note(arch.instances, arch.memory)]


def footprint_m2(r) -> float:
    """The area power density divides by: ``stack_footprint_m2`` where the run has one (a stack),
    else ``area_m2`` (parts side by side)."""
    f = r.facts.get(C.STACK_FOOTPRINT_M2)
    return r.area_m2 if f is None else float(f)
