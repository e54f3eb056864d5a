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


def programming_text(facts: dict) -> str:
    """The ``programming`` line: what writing the weights once before the run costs (not charged;
    the weights brought in from the backing store over the link included: :mod:`cimsim.hw.cim.programming`),
    and how often a pool too small for them re-programs them during the run (charged, in its
    ``<unit>_write`` energy and the latency). A pool that re-programs everything read "0 J, 0 s to
    write the weights once before the run", as if programming were free where it costs most."""
    during = [(k[: -len("_reprograms")], v) for k, v in facts.items() if k.endswith("_reprograms")
              and isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0]
    charged = "; ".join(f"{unit}: {v:,} re-programming{'s' if v != 1 else ''}, in {unit}_write "
                        "energy and the latency above" for unit, v in during)
    energy, time = facts[C.PROGRAMMING_ENERGY_J], facts[C.PROGRAMMING_TIME_S]
    if during and not energy and not time:
        return f"nothing is written before the run: the weights are programmed during it ({charged})"
    return (f"{si(energy, 'J')}, {si(time, 's')} to write the weights once before the run, "
            "reading them from the backing store and carrying them over the link as "
            f"re-programming does ({C.PROGRAMMING_ENERGY_J}, {C.PROGRAMMING_TIME_S}): not in the "
            "energy or latency above"
            + (f"; the others are programmed during the run ({charged})" if during else ""))


def unit_energy_text(r) -> str:
    """Each unit that ran MACs: its own dynamic energy (its ``<unit>_<part>`` energy parts; no
    static power, no memory level or link) and 2 x its MACs over it, in TOPS/W."""
    out = []
    for unit, macs in r.macs_per_unit.items():
        e = sum(v for k, v in r.energy_breakdown_j.items() if k.startswith(f"{unit}_"))
        if macs > 0 and e > 0:
            out.append(f"{unit} {si(e, 'J')} ({2 * macs / e / 1e12:.3g} TOPS/W)")
    return "; ".join(out)
