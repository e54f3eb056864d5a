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
  It weighs each part alone and, where several parts form one die, their sum
  (:func:`one_die_groups`, find-C 4).

No note is given on power density (W per mm² of the counted area): the limit depends on the
package and cooling, and no single published threshold holds for all of them; the column
(:data:`cimsim.report.columns.POWER_DENSITY_W_PER_M2`) reports it.
"""

from __future__ import annotations

import math

import numpy as np

from ..units import area, si

#: one lithography exposure field, 26 mm x 33 mm (see the module's sources), m²
RETICLE_M2 = 26e-3 * 33e-3
#: a 300 mm wafer's area, pi x (0.15 m)², m²
WAFER_300MM_M2 = math.pi * 0.15 ** 2
#: how a note that is a warning (not a buildable design) starts: `run` and `compare` print it
#: on its own line as a warning, not as one more note
WARNING = "warning: "


def area_notes(arch) -> list[str]:
    """A note per component (its area parts together: one die, or one of its identical
    :attr:`~cimsim.hw.base.Component.dies`) and per on-chip memory level whose declared or derived
    area is above one reticle; a warning where one is above a 300 mm wafer."""
    pieces = {(f"component '{c.name}'" if c.dies == 1 else f"each of component '{c.name}''s "
               f"{c.dies:,} chips"): sum(c.area_m2().values()) / c.dies for c in arch.instances}
    pieces.update({f"memory level '{lv}'": m.area for lv, m in arch.memory.items() if m.area is not None})
    # a component's warnings on its process (a CIM cell below its supply's minimum voltage, or
    # smaller than the node's published 6T cell: find-T 1, 4)
    out = [n for c in arch.instances for n in getattr(c, "technology_notes", lambda: [])()]
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
    for tier, parts in one_die_groups(arch).items():
        a = sum(parts.values())
        if len(parts) < 2 or a <= WAFER_300MM_M2 * (1 + 1e-9) or max(parts.values()) > WAFER_300MM_M2 * (1 + 1e-9):
            continue  # one part alone is weighed above (a part above a wafer warns there already)
        where = "form one die" if tier is None else f"form tier {tier} of the stack"
        out.append(f"{WARNING}the on-chip parts that {where} ("
                   + ", ".join(f"{n} {area(x)}" for n, x in parts.items())
                   + f") together count {area(a)} of silicon, more than a whole 300 mm wafer "
                   f"({area(WAFER_300MM_M2)}; {a / WAFER_300MM_M2:,.3g} wafers): not a buildable "
                   "design (a part on a die of its own says so with a stack: tier)")
    return out


def one_die_groups(arch) -> dict[int | None, dict[str, float]]:
    """The parts that lie side by side on one die, ``{tier: {part: m²}}``: without a ``stack:``
    block, one group (key None) of every component with an area that is one chip
    (:attr:`~cimsim.hw.base.Component.dies` 1) on its own silicon (not near-bank PIM units in
    a memory level's dies, :attr:`~cimsim.hw.base.Component.sits_in`, nor a separate PIM
    device) and every memory level with an area (an on-chip level); with one, those parts
    grouped by their tier (:mod:`cimsim.hw.stack`: a part that states none on tier 0; a
    component whose dies are stacked, ``stack: {dies: true}``, gives one die's share to each of
    its tiers), the footprint rule's tiers. A component of several chips laid side by side
    (``cim.chips`` without ``stack.dies``) is separate chips: weighed one chip at a time above."""
    from ..hw import stack

    stacked = arch.stacked
    out: dict[int | None, dict[str, float]] = {}
    for c in arch.instances:
        if c.sits_in is not None or getattr(c.config, "sharing", None) == "separate":
            continue
        st = stack._stack(c.config)
        dies = max(int(c.dies), 1)
        per_die = bool(getattr(st, "dies", False)) and dies > 1
        if dies > 1 and not per_die:
            continue
        for p, a in c.area_m2().items():
            base = st.tier_of(p) if isinstance(st, stack.PartStack) else 0
            for k in range(dies if per_die else 1):
                key = (base + k) if stacked else None
                name = f"component '{c.name}'"
                out.setdefault(key, {})[name] = out.get(key, {}).get(name, 0.0) + float(a) / dies
    for n, m in arch.memory.items():
        if m.area is not None:
            out.setdefault((stack._stack(m).tier or 0) if stacked else None, {})[f"memory level '{n}'"] = float(m.area)
    return out


def die_facts(arch) -> dict[str, float]:
    """``die_area_<component>_m2`` and ``dies_<component>`` of each component
    (:func:`cimsim.report.columns.die_area_column`): its :attr:`~cimsim.hw.base.Component.dies`
    chips, each split into ceil(chip area / :data:`RETICLE_M2`) equal dies where it is above one
    reticle (858 mm² itself is one die); the die area NaN where the component declares none. A
    component with no silicon of its own (``own_silicon = False``: a collective, which is links)
    has 0 dies, so the cost model neither prices nor flags it (review K 5)."""
    from . import columns as C

    out: dict[str, float] = {}
    for c in arch.instances:
        if not getattr(c, "own_silicon", True):
            out[C.die_area_column(c.name)] = math.nan
            out[C.dies_column(c.name)] = 0
            continue
        total = sum(c.area_m2().values()) if c.area_m2() else math.nan
        per_chip = total / c.dies
        split = max(1, math.ceil(per_chip / RETICLE_M2 - 1e-9)) if per_chip > 0 else 1
        out[C.die_area_column(c.name)] = per_chip / split
        out[C.dies_column(c.name)] = c.dies * split
    return out


def _own_w(comp, energy, latency: float) -> float:
    return sum(energy.get(f"{comp.name}_{p}", 0.0) for p in comp.energy_parts) / latency


def component_power_w(comp, ids, parts, energy, latency: float, op_energy, inside=(),
                      level_static=None) -> dict[str, float]:
    """A component's average power by what its TDP covers, W: ``compute`` (its energy parts),
    ``static`` (its static power); for each component of ``inside`` (``(component, ids)``, those
    whose silicon sits in a level of its ``tdp_includes``: PIM units in a GPU module's HBM) its
    ``<name> compute`` and ``<name> static``; and each level or link of its ``tdp_includes``:
    the energy of the bytes its ops ``ids`` and those of ``inside`` moved over it
    (``op_energy[ids, parts.index(r)]``), with the ``<level> static`` power ``level_static``
    states for it where above 0 W."""
    out = {"compute": _own_w(comp, energy, latency), "static": comp.static_power_w}
    for other, _ in inside:
        out[f"{other.name} compute"] = _own_w(other, energy, latency)
        out[f"{other.name} static"] = other.static_power_w
    every = np.concatenate([np.asarray(ids, dtype=np.int64),
                            *(np.asarray(i, dtype=np.int64) for _, i in inside)])
    for r in comp.tdp_includes:
        j = list(parts).index(r) if r in parts else None
        out[r] = float(op_energy[every, j].sum()) / latency if j is not None and len(every) else 0.0
        if (level_static or {}).get(r, 0.0) > 0:
            out[f"{r} static"] = level_static[r]
    return out


def tdp_notes(pl, costs, energy: dict[str, float], latency: float, level_static=None) -> list[str]:
    """A note per component whose config states a ``tdp`` and whose average power over the run
    (:func:`component_power_w`: with the components that sit in a level its ``tdp_includes``
    names, and those levels' static power ``level_static``) exceeds it, naming the part, its
    TDP and the power by part."""
    out = []
    if not latency > 0:
        return out
    placed = list(zip(pl.components, pl.idx))
    for comp, ids in placed:
        tdp = comp.tdp_w
        if tdp is None:
            continue
        inside = [(o, i) for o, i in placed
                  if o is not comp and o.sits_in is not None and o.sits_in in comp.tdp_includes]
        by = component_power_w(comp, ids, costs.parts, energy, latency, costs.energy, inside,
                               level_static)
        total = sum(by.values())
        if total > tdp:
            part = getattr(comp.config, "name", None)
            who = f"{comp.name} ({part})" if isinstance(part, str) and part else comp.name
            out.append(f"average power of {who} is {si(total, 'W')}, above its TDP of {si(tdp, 'W')} "
                       f"(by {total / tdp - 1:.1%}; " + " + ".join(f"{k} {si(v, 'W')}" for k, v in by.items())
                       + "): the part would lower its clock to hold its TDP, so this run's latency "
                       "is too short, or its energy per operation too high")
    return out


def power_cap_notes(pl, costs) -> list[str]:
    """A note per component whose ops a power limit slowed (a compute part of class ``power``,
    the PIM's ``power_cap``): how many of its ops, the time the limit added and the field."""
    out = []
    for comp, ids, cost in zip(pl.components, pl.idx, costs.component_costs):
        for p, cls in comp.compute_parts.items():
            if cls != "power" or cost is None or p not in cost.compute_parts:
                continue
            added = np.asarray(cost.compute_parts[p], dtype=np.float64)
            if not (added > 0).any():
                continue
            field = f"{comp.name}.power_cap" if hasattr(comp.config, "power_cap") else f"{comp.name}'s power limit"
            total = float(np.asarray(cost.compute_s, dtype=np.float64).sum())
            out.append(f"{field} binds on {int((added > 0).sum())} of {len(ids)} {comp.name} ops: "
                       f"it adds {si(float(added.sum()), 's')} ({added.sum() / total:.1%} of their "
                       f"compute time {si(total, 's')}) above their MAC and bank time, the path "
                       f"part {comp.name}_{p} (bound class power); more MAC units or bank "
                       f"bandwidth would not shorten them, a higher {field} would")
    return out


def implausible(area: list[str], tdp: list[str]) -> list[str]:
    """The notes of what no part can do, of :func:`area_notes` and :func:`tdp_notes`: silicon
    above a 300 mm wafer (the ``warning:`` notes) and power above a stated TDP. A reticle
    exceeded (several dies) and a binding power cap (a limit honoured) stay notes only."""
    return [n for n in area if n.startswith(WARNING)] + list(tdp)
