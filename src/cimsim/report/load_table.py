"""The cells of a stated load in a table (``cimsim report``'s "At the stated load" table, and
``compare``'s columns): the idle mode between runs, the harvest rate and the runs a charge
powers, and the note under the report's table, worded from the ``--idle`` mode the runs were
taken under (:mod:`cimsim.report.load`, :mod:`cimsim.report.idle`,
:mod:`cimsim.report.intermittent`; review 22 B 1, F 5).
"""

from __future__ import annotations

from . import columns as C
from .format import si


def between_cell(r) -> str:
    """``gate: idle 0 W, wake 2.098 ms, 11.15 mJ``: what the parts do between runs of ``r``
    (``period_idle``), the power then and a period's wake-up; ``on`` where they stay on."""
    f = r.facts
    mode = f.get(C.PERIOD_IDLE, "on")
    if mode == "on":
        return "on"
    parts = [f"idle {si(f[C.PERIOD_IDLE_POWER_W], 'W')}"] if C.PERIOD_IDLE_POWER_W in f else []
    wake = [si(f[k], u) for k, u in ((C.PERIOD_WAKE_S, "s"), (C.PERIOD_WAKE_ENERGY_J, "J")) if k in f]
    return f"{mode}: " + ", ".join(parts + ([f"wake {', '.join(wake)}"] if wake else []))


def harvest_cell(r) -> str:
    """The harvest rate: the highest rate of runs the stated power sustains, or ``no runs``."""
    q = r.facts[C.HARVEST_RUNS_PER_S]
    return f"{si(q, 'Hz')} (every {si(1.0 / q, 's')})" if q > 0 else "no runs"


def storage_cell(r) -> str:
    """Runs a full charge of the stated store powers, or the charges one run needs."""
    f = r.facts
    if f[C.STORAGE_RUNS] >= 1:
        n = f[C.STORAGE_RUNS]
        return f"{n:,} run{'s' if n != 1 else ''} of {si(f[C.STORAGE_RUN_ENERGY_J], 'J')}"
    return f"does NOT fit: {si(f[C.STORAGE_RUN_ENERGY_J], 'J')}, {f[C.STORAGE_CHARGES_PER_RUN]:,} charges"


def load_note(runs) -> str:
    """The note under the report's load table, from the ``--idle`` mode of ``runs``."""
    modes = sorted({r.facts.get(C.PERIOD_IDLE, "on") for r in runs})
    period = any(C.PERIOD_S in r.facts for r in runs)
    text = []
    if period and "on" in modes:
        text.append("--idle on: one run every period, idle at static power in between (nothing "
                    "power-gated): energy per period = dynamic energy of the run + static power x "
                    "period.")
    if period and set(modes) - {"on"}:
        text.append(f"--idle {'/'.join(m for m in modes if m != 'on')}: the parts wake "
                    "(period_wake_s, period_wake_energy_j), run, then idle at period_idle_power_w "
                    "(between runs): energy per period = dynamic energy + static power over the "
                    "wake-up and the run + idle power over the rest + the wake-up energy.")
    if period:
        text.append("The comparison table's figures are at full load, runs back to back.")
    if any(C.DEADLINE_S in r.facts for r in runs):
        text.append("A deadline's slack is against " + ("period_wake_s + " if set(modes) - {"on"} else "")
                    + "the DES's point estimate of the latency, not a worst-case bound.")
    if any(C.HARVEST_POWER_W in r.facts or C.STORAGE_J in r.facts for r in runs):
        text.append("Harvest: the highest rate of runs the stated power sustains; a charge: the "
                    "runs one full store powers (under --idle on from power-up, so with the first "
                    "call's re-programming).")
    return " ".join(text)
