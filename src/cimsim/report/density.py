"""What power density divides (find-B 2): the power dissipated in the declared silicon.

``area_m2`` is the compute die's (the components' and the on-chip levels'); a memory level off
the chip (:attr:`cimsim.hw.base.Hardware.off_chip`: HBM or DRAM beside the die, a DIMM) is not in
it, so neither is its energy: its accesses (``energy_<level>_j``) and its ``static_power`` are
dissipated in its own dies. :func:`offchip_memory_power_w` is that power, which
``power_density_w_per_m2`` leaves out of the numerator. A level marked ``off_chip: false`` (a
DRAM die bonded on the logic) counts, as do links (their ports are on the dies at both ends) and
components (a component that declares no area: the note that area counts only the parts that
declare one).

Where parts are stacked (:mod:`cimsim.hw.stack`, find-B 1), the density's area is the stack's
footprint, ``stack_footprint_m2`` (the largest tier's), not the silicon summed over the tiers:
the heat of every tier leaves through the footprint."""
from __future__ import annotations

from . import columns as C


def offchip_split(r) -> tuple[float, float]:
    """``(J, W)``: the off-chip levels' access energy over the run (one device's) and their
    stated static power (one device's)."""
    levels = tuple(getattr(r, "off_chip_levels", ()) or ())
    dynamic = sum(float(r.energy_breakdown_j.get(lv, 0.0)) for lv in levels)
    static = sum(float(r.facts.get(C.static_power_column(lv), 0.0)) for lv in levels)
    return dynamic, static


def offchip_memory_power_w(r) -> float:
    """The off-chip memory levels' average power over the run, W (access energy / latency +
    their static power); 0 W where no level is off the chip; NaN for a run of zero latency."""
    dynamic, static = offchip_split(r)
    if not r.latency_s > 0:
        return float("nan")
    return dynamic / r.latency_s + static


def power_density(power_w: float, offchip_w: float, area_m2: float) -> float:
    """(power − off-chip memory power) / area, W/m²; NaN without an area. Never below 0 W/m²:
    the off-chip part is a part of the power."""
    if not area_m2 > 0:
        return float("nan")
    return max(power_w - offchip_w, 0.0) / area_m2


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
