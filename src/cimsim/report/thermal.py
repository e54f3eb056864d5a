"""The junction temperature of a run (find-B 5): ``thermal.t_ambient`` + ``thermal.r_th`` x the
power dissipated on the chip, the run's average power less the off-chip memory levels'
(:mod:`.density`: what ``power_density_w_per_m2`` divides). Only where the config has a
``thermal:`` block (:class:`cimsim.hw.thermal.Thermal`)."""
from __future__ import annotations

import math

from ..hw.homes import dram_like
from ..hw.thermal import DRAM_HOT_C
from . import columns as C, density
from .format import si
from .plausible import WARNING


def on_chip_power_w(r) -> float:
    """The run's average power less the off-chip memory levels', W (never below 0 W; NaN for a
    run of zero latency)."""
    return max(r.average_power_w - density.offchip_memory_power_w(r), 0.0) \
        if r.latency_s > 0 else float("nan")


def apply(arch, r) -> None:
    """Add ``t_junction_c`` to ``r``'s facts and its notes: the arithmetic, a warning (not
    physically plausible) above ``t_junction_max``, and a note per on-chip DRAM-like level
    (``off_chip: false``: a die bonded on the logic, at the junction's temperature) above 85 °C,
    where a DRAM refreshes twice as often."""
    th = getattr(arch, "thermal", None)
    if th is None:
        return
    p = on_chip_power_w(r)
    tj = th.junction_c(p)
    r.facts[C.T_JUNCTION_C] = tj
    if math.isnan(tj):
        return
    off = density.offchip_memory_power_w(r)
    less = f" (average power {si(r.average_power_w, 'W')} less the off-chip levels' {si(off, 'W')})" \
        if off > 0 else ""
    r.notes.append(f"thermal: junction {tj:.1f} °C = t_ambient {th.t_ambient:g} °C + r_th "
                   f"{th.r_th:g} K/W x {si(p, 'W')} on the chip{less}; one lumped θ_ja at the "
                   "run's average power (steady state: no peak, no gradient between dies)")
    if th.t_junction_max is not None and tj > th.t_junction_max:
        room = th.t_junction_max - th.t_ambient
        warn = (f"{WARNING}junction {tj:.1f} °C is above thermal.t_junction_max "
                f"({th.t_junction_max:g} °C): at r_th {th.r_th:g} K/W the chip may dissipate "
                f"{si(room / th.r_th, 'W')}, not {si(p, 'W')} (or r_th at most "
                f"{room / p:.4g} K/W at this power)")
        r.notes.append(warn)
        r.physical_notes.append(warn)
        r.implausible_notes.append(warn)
    hot = [n for n, lv in arch.memory.items() if n not in r.off_chip_levels and dram_like(lv)]
    if hot and tj > DRAM_HOT_C:
        timed = [n for n in hot if getattr(arch.memory[n], "standard", None) is not None]
        r.notes.append(
            f"thermal: on-chip DRAM {', '.join(hot)} at the junction's {tj:.1f} °C, above "
            f"{DRAM_HOT_C:g} °C, where a DRAM refreshes twice as often (tREFI halved, e.g. 3.9 us "
            "for DDR4/5): not applied by itself; "
            + (f"set it: --set memory.{timed[0]}.timings.n_refi=<half its value>" if timed else
               "a type: fixed level has no timings (its refresh is in its bandwidth and "
               "static_power): retype it as type: dram and halve timings.n_refi"))
