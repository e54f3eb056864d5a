"""The CIM lines of ``cimsim run``'s summary: each chip's floorplan, and the weights' programming
(before the run, or during it)."""

from __future__ import annotations

from ..report import columns as C
from ..report.format import pct, si


def floorplan_texts(facts: dict) -> list[str]:
    """One line per CIM chip from its floorplan facts (``<unit>_arrays_used``, ``<unit>_<level>_used``,
    ``<unit>_array_utilization``, ``<unit>_cell_utilization``; see ``hw/cim/mapping.py``)."""
    out = []
    for key in facts:
        if not key.endswith("_arrays_used"):
            continue
        unit = key[: -len("_arrays_used")]
        util, cells = facts.get(f"{unit}_array_utilization"), facts.get(f"{unit}_cell_utilization")
        if util is None or cells is None:
            continue
        levels = [(k[len(unit) + 1: -len("_used")], v) for k, v in facts.items()
                  if k.startswith(unit + "_") and k.endswith("_used") and k != key]
        whose = "chip's" if levels else "pool's"  # a flat pool: no levels, copies counted
        out.append(f"{unit}: {facts[key]:,} arrays"
                   + (" in " + ", ".join(f"{v:,} {name}" for name, v in levels) if levels else "")
                   + f"; {pct(util)} of the {whose} arrays, {pct(cells)} of their cells hold weights")
    return out


def programming_text(facts: dict, instances, programmed=None) -> str:
    """The ``programming`` line: what writing the weights once before the run costs (not charged;
    what it includes as each programming component's ``programming_includes`` says, e.g. the
    CIM's weights brought in from the backing store over the link: :mod:`cimsim.hw.cim.programming`),
    and how often a component re-programs during the run (charged: its ``reprogram_fact``, in its
    ``reprogram_parts`` energy and the latency; :mod:`cimsim.hw.declared`). Nothing written before
    the run read "0 J, 0 s to write the weights once before the run", as if programming were free
    where it costs most; a plug-in read the CIM's link and ``write`` part. ``programmed``: the
    components whose plans stated a programming (None: every one that may): only their
    ``programming_includes`` is quoted."""
    def parts(c):
        return " and ".join(f"{c.name}_{p}" for p in c.reprogram_parts) + " energy" \
            if c.reprogram_parts else "the energy"
    charged = "; ".join(f"{c.name}: {v:,} re-programming{'s' if v != 1 else ''}, in {parts(c)} "
                        "and the latency above" for c, v in C.reprogrammed(instances, facts))
    energy, time = facts[C.PROGRAMMING_ENERGY_J], facts[C.PROGRAMMING_TIME_S]
    if not energy and not time:
        return "nothing is written before the run" + (
            f": the weights are programmed during it ({charged})" if charged else "")
    says = {c.name: c.programming_includes for c in instances if c.programs_weights and c.programming_includes
            and (programmed is None or c.name in programmed)}
    includes = ("" if not says else f", {next(iter(says.values()))}" if len(set(says.values())) == 1
                else ", " + "; ".join(f"{n}: {t}" for n, t in says.items()))
    return (f"{si(energy, 'J')}, {si(time, 's')} to write the weights once before the run"
            f"{includes} ({C.PROGRAMMING_ENERGY_J}, {C.PROGRAMMING_TIME_S}): not in the "
            "energy or latency above"
            + (f"; the others are programmed during the run ({charged})" if charged else ""))


def unit_energy_text(r) -> str:
    """Each unit that ran MACs: its own dynamic energy (its ``<unit>_<part>`` energy parts; no
    static power, no memory level or link) and 2 x its MACs over it, in TOPS/W."""
    out = []
    for unit, macs in r.macs_per_unit.items():
        e = sum(v for k, v in r.energy_breakdown_j.items() if k.startswith(f"{unit}_"))
        if macs > 0 and e > 0:
            out.append(f"{unit} {si(e, 'J')} ({2 * macs / e / 1e12:.3g} TOPS/W)")
    return "; ".join(out)
