"""Physical plausibility of a run's design: notes (never errors: the run completes) on silicon
that no single exposure field or wafer holds, and on an average power above the thermal design
power a component's config states (``tdp``, :mod:`cimsim.hw.power`).

Constants, with their sources:

- :data:`RETICLE_M2`: 26 mm x 33 mm = 858 mm², the full exposure field of the 4x-reduction
  scanners that make every leading-edge die (ASML TWINSCAN NXT (DUV immersion) and NXE (EUV)
  product specifications: "field size 26 x 33 mm"), so the largest die one exposure makes (the
  "reticle limit"; NVIDIA's GH100 is 814 mm²). A larger design is several dies or a stitched or
  wafer-scale part.
- :data:`WAFER_300MM_M2`: the whole area of a 300 mm wafer (SEMI M1 diameter), pi x (150 mm)² =
  70,685.8 mm²; a design above it cannot be built on one wafer at all, edge loss not counted.

No note is given on power density (W per mm² of the counted area): the limit depends on the
package and cooling, and no single published threshold holds for all of them; the column
(:data:`cimsim.report.columns.POWER_DENSITY_W_PER_M2`) reports it.
"""

from __future__ import annotations

import math

from ..units import area, si

#: one lithography exposure field, 26 mm x 33 mm (see the module's sources), m²
RETICLE_M2 = 26e-3 * 33e-3
#: a 300 mm wafer's area, pi x (0.15 m)², m²
WAFER_300MM_M2 = math.pi * 0.15 ** 2
#: how a note that is a warning (not a buildable design) starts: `run` and `compare` print it
#: on its own line as a warning, not as one more note
WARNING = "warning: "


def area_notes(arch) -> list[str]:
    """A note per component (its area parts together: one die) and per on-chip memory level whose
    declared or derived area is above one reticle; a warning where one is above a 300 mm wafer."""
    pieces = {f"component '{c.name}'": sum(c.area_m2().values()) for c in arch.instances}
    pieces.update({f"memory level '{lv}'": m.area for lv, m in arch.memory.items() if m.area is not None})
    out = []
    for what, a in pieces.items():
        if a > WAFER_300MM_M2 * (1 + 1e-9):
            out.append(f"{WARNING}{what} counts {area(a)} of silicon, more than a whole 300 mm wafer "
                       f"({area(WAFER_300MM_M2)}; {a / WAFER_300MM_M2:,.3g} wafers): not a buildable "
                       "design")
        elif a > RETICLE_M2 * (1 + 1e-9):  # 858 mm^2 as written in a config is not above
            out.append(f"{what} counts {area(a)} of silicon, more than one reticle ({area(RETICLE_M2)} "
                       f"= 26 mm x 33 mm, the largest die one lithography exposure makes; "
                       f"{a / RETICLE_M2:.3g} reticles): not one die, but several dies or a "
                       "stitched or wafer-scale part, whose die-to-die links are not modelled")
    return out


def component_power_w(comp, ids, parts, energy, latency: float, op_energy) -> dict[str, float]:
    """A component's average power by what its TDP covers, W: ``compute`` (its energy parts),
    ``static`` (its static power) and each level or link of its ``tdp_includes`` (the energy of
    the bytes its ops ``ids`` moved over it: ``op_energy[ids, parts.index(r)]``)."""
    out = {"compute": sum(energy.get(f"{comp.name}_{p}", 0.0) for p in comp.energy_parts) / latency,
           "static": comp.static_power_w}
    for r in comp.tdp_includes:
        j = list(parts).index(r) if r in parts else None
        out[r] = float(op_energy[ids, j].sum()) / latency if j is not None and len(ids) else 0.0
    return out


def tdp_notes(pl, costs, energy: dict[str, float], latency: float) -> list[str]:
    """A note per component whose config states a ``tdp`` and whose average power over the run
    (:func:`component_power_w`) exceeds it, naming the part, its TDP and the power by part."""
    out = []
    if not latency > 0:
        return out
    for comp, ids in zip(pl.components, pl.idx):
        tdp = comp.tdp_w
        if tdp is None:
            continue
        by = component_power_w(comp, ids, costs.parts, energy, latency, costs.energy)
        total = sum(by.values())
        if total > tdp:
            part = getattr(comp.config, "name", None)
            who = f"{comp.name} ({part})" if isinstance(part, str) and part else comp.name
            out.append(f"average power of {who} is {si(total, 'W')}, above its TDP of {si(tdp, 'W')} "
                       f"(by {total / tdp - 1:.1%}; " + " + ".join(f"{k} {si(v, 'W')}" for k, v in by.items())
                       + "): the part would lower its clock to hold its TDP, so this run's latency "
                       "is too short, or its energy per operation too high")
    return out
