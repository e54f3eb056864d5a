"""Intermittent computing at a load (a batteryless node that wakes, runs and powers off): the
first call after power-up's energy, the highest rate a harvested power sustains, whether one
wake-up fits an energy store, and the cells' wear-out at a period (:mod:`cimsim.report.load`).

With ``n`` devices, P_s = n x ``static_power_w``, E_dyn the run's dynamic energy (all its
samples), t the run's time (:func:`~cimsim.report.load.run_s`) and, under ``--idle sleep|gate``
(:mod:`cimsim.report.idle`), W the wake-up time (``period_wake_s``), E_w its energy
(``period_wake_energy_j``) and P_i the power between runs (``period_idle_power_w``):

- a wake-up and one run take B = W + t and draw E_b = E_dyn + P_s x B + E_w; under ``on`` the
  parts stay on, B = t, E_b = E_dyn + P_s x t, P_i = P_s;
- the first call after power-up (``power_up_energy_j``, one device): E_dyn + the volatile
  weights' programming energy + P_s x ``power_up_latency_s`` (= energy_j + that energy + P_s x
  that programming time); no idle.wake_energy (``--idle gate`` adds the parts' wake-ups);
- a harvested power P sustains a period T where P x T = E_b + P_i x (T - B), so at most
  q = (P - P_i) / (E_b - P_i x B) runs/s: ``on``, (P - P_s) / E_dyn; gated at 0 W, P / E_b;
  never more than one run every shortest period; none where P <= P_i;
- a store of E_s joules (a capacitor's 0.5 C (V_max^2 - V_min^2)) powers floor(E_s / E_r) whole
  runs, E_r the energy from a wake-up to the run's end (``storage_run_energy_j``: under ``on``
  the first call after power-up, under sleep|gate E_b); a run larger than E_s needs
  ceil(E_r / E_s) charges and its running state checkpointed to non-volatile memory between
  them, which is not modelled (README "A run at a load": the arithmetic to add it).
"""

from __future__ import annotations

import math

from . import columns as C, idle
from .devices import system
from .format import si


def power_up_energy_j(r) -> float:
    """The first call after power-up's energy, J, one device (module docstring)."""
    prog_s, prog_j = r.power_up_programming_s, getattr(r, "power_up_programming_j", 0.0)
    if prog_s <= 0 and prog_j == 0:
        return r.energy_j
    from .load import static_power_w

    return r.energy_j + prog_j + static_power_w(r) * prog_s


def wake_cycle(r, mode: str) -> tuple[float, float, float]:
    """``(B, E_b, P_i)`` of one wake-up and run under ``mode`` (module docstring), all devices."""
    from .load import dynamic_j_per_sample, run_s, static_power_w

    f = idle.figures(r, mode)
    n, p_s, t = system(r).devices, static_power_w(r), run_s(r)
    e_dyn = dynamic_j_per_sample(r) * max(r.samples, 1)
    if f["acts"] == "on":  # every part stays on (review 22 A 2)
        return t, e_dyn + n * p_s * t, n * p_s
    b = f["wake_s"] + t
    return b, e_dyn + n * p_s * b + idle.wake_energy_j(r, f, n), n * idle.idle_power_w(f, p_s)


def run_energy_j(r, mode: str) -> float:
    """``storage_run_energy_j``: the energy from a wake-up (under ``on``: power-up) to the run's
    end, J, all devices (module docstring)."""
    if idle.acts(r, mode) != "on":
        return wake_cycle(r, mode)[1]
    from .load import static_power_w

    n = system(r).devices  # the programming once per tensor-parallel share (review 22 F 2)
    return (wake_cycle(r, "on")[1] + idle.programmed_devices(r) * getattr(r, "power_up_programming_j", 0.0)
            + n * static_power_w(r) * r.power_up_programming_s)


def harvest_runs_per_s(r, power_w: float, mode: str, arrivals: str | None = None) -> float:
    """The highest rate of runs ``power_w`` sustains under ``mode``, runs/s (module docstring);
    ``arrivals`` poisson: :func:`_poisson_rate`."""
    from .load import _min_period, run_s

    b, e_b, p_i = wake_cycle(r, mode)
    wake = None if idle.acts(r, mode) == "on" else b - run_s(r)
    if power_w <= p_i:
        return 0.0
    need = e_b - p_i * b  # the energy a run costs above the idle power
    if arrivals == "poisson" and wake:
        return _poisson_rate(r, power_w - p_i, mode, p_i)
    fastest = 1.0 / _min_period(r, wake)
    return fastest if need <= 0 else min((power_w - p_i) / need, fastest)


def _poisson_rate(r, h: float, mode: str, p_i: float) -> float:
    """The highest Poisson rate q (runs/s) whose average power above the idle power ``p_i`` is
    ``h`` (W) when only the share P0 = (1 - q s) / (1 + q w) of requests that find the server
    idle wake it (:func:`cimsim.report.load.wake_share`; final read 23-2 F2 3): with a = the
    run's energy above the idle power (dynamic + (P_s - P_i) s) and c = a wake-up's (its energy
    + (P_s - P_i) w), q a + c q P0 = h, i.e. q^2 (a w - c s) + q (a + c - h w) - h = 0: its
    largest root below 1 / s (the queue's stability bound), or 1 / s where that needs no more."""
    from .load import dynamic_j_per_sample, run_s, static_power_w

    f = idle.figures(r, mode)
    n, s, w = system(r).devices, run_s(r), f["wake_s"]
    extra = n * static_power_w(r) - p_i
    a = dynamic_j_per_sample(r) * max(r.samples, 1) + extra * s
    c = idle.wake_energy_j(r, f, n) + extra * w
    if a <= h * s:  # back to back (rho -> 1: no wake-ups) within the power
        return 1.0 / s
    qa, qb = a * w - c * s, a + c - h * w
    if qa == 0:
        return h / qb
    disc = math.sqrt(qb * qb + 4 * qa * h)
    roots = [x for x in ((-qb + disc) / (2 * qa), (-qb - disc) / (2 * qa)) if 0 < x < 1.0 / s]
    return max(roots)


def stated_facts(r, harvest_w: float | None, storage_j: float | None, mode: str,
                 arrivals: str | None = None) -> dict:
    """:data:`~cimsim.report.columns.HARVEST_COLUMNS` and ``STORAGE_COLUMNS`` where stated
    (``arrivals``: :func:`harvest_runs_per_s`)."""
    out: dict[str, object] = {}
    if harvest_w is not None:
        q = harvest_runs_per_s(r, harvest_w, mode, arrivals)
        out.update({C.HARVEST_POWER_W: float(harvest_w), C.HARVEST_RUNS_PER_S: q,
                    C.HARVEST_PERIOD_S: 1.0 / q if q > 0 else math.nan})
    if storage_j is not None:
        e = run_energy_j(r, mode)
        out.update({C.STORAGE_J: float(storage_j), C.STORAGE_RUN_ENERGY_J: e,
                    C.STORAGE_RUNS: math.floor(storage_j / e) if e > 0 else math.nan,
                    C.STORAGE_CHARGES_PER_RUN: max(1, math.ceil(e / storage_j))})
    return out


def wearout_facts(r, period_s: float) -> dict:
    """``period_wearout_s`` (and levelled) at one run every ``period_s``: the fewest runs any CIM
    unit's cells last (``<cim>_runs_to_wearout``) x the period; {} where no run writes a cell of
    a unit with non-volatile cells (SRAM wears nothing)."""
    out = {}  # volatile (SRAM) cells wear nothing: their endurance is a placeholder (review 22 F 7)
    volatile = tuple(f"{n}_" for n, p in (getattr(r, "idle_parts", None) or {}).items()
                     if p.get("reprograms"))
    for col, suffix in ((C.PERIOD_WEAROUT_S, "_runs_to_wearout"),
                        (C.PERIOD_WEAROUT_LEVELLED_S, "_runs_to_wearout_levelled")):
        runs = [float(v) for k, v in r.facts.items() if k.endswith(suffix) and not k.startswith(volatile)
                and isinstance(v, (int, float)) and math.isfinite(v)]
        if runs:
            out[col] = min(runs) * period_s
    return out


def duration(s: float) -> str:
    """A long time in years (from one), days (from two), h or min (``25.25 h``), a short one in
    SI seconds."""
    for unit, k, least in (("years", 365.25 * 86400, 1), ("days", 86400.0, 2), ("h", 3600.0, 1),
                           ("min", 60.0, 1)):
        if s >= least * k:
            return f"{s / k:.4g} {unit}"
    return si(s, "s")


def duty(fraction: float) -> str:
    """A duty cycle to 3 significant digits in fixed point (``0.00222 %``, at one run a day
    ``0.00000465 %``, review 22 F 7), never ``<0.1 %`` or e-notation; from 10 % one decimal."""
    p = 100.0 * fraction
    if not (0 < p < 10):
        return f"{p:.1f} %"
    return f"{p:.{2 - math.floor(math.log10(p))}f} %"


def _rate(q: float) -> str:
    return f"{si(q, 'Hz')} (one run every {duration(1.0 / q)})" if q > 0 else "no runs"


def rows(r, mode: str) -> list[tuple[str, str]]:
    """``run``'s lines for a stated harvest, store and wear-out at the period."""
    f, out = r.facts, []
    if C.PERIOD_WEAROUT_S in f:
        runs = f[C.PERIOD_WEAROUT_S] / f[C.PERIOD_S]
        text = (f"the CIM cells last {runs:,.0f} runs: {duration(f[C.PERIOD_WEAROUT_S])} at one run "
                f"every {duration(f[C.PERIOD_S])}")
        if C.PERIOD_WEAROUT_LEVELLED_S in f:
            text += (f"; {f[C.PERIOD_WEAROUT_LEVELLED_S] / f[C.PERIOD_S]:,.0f} runs wear-levelled: "
                     f"{duration(f[C.PERIOD_WEAROUT_LEVELLED_S])}")
        out.append(("wear-out", f"{text} ({C.PERIOD_WEAROUT_S})"))
    if C.HARVEST_POWER_W in f:
        p, q, arrivals = f[C.HARVEST_POWER_W], f[C.HARVEST_RUNS_PER_S], f.get(C.QUEUE_ARRIVALS)
        text = (f"{si(p, 'W')} sustains at most {_rate(q)} with --idle {mode}"
                + (" (arrivals poisson: a wake-up only for a run that finds it idle)"
                   if arrivals == "poisson" and idle.acts(r, mode) != "on" else "") if q > 0 else
                f"{si(p, 'W')} sustains no runs with --idle {mode} (the power between runs, "
                f"{si(wake_cycle(r, mode)[2], 'W')}, is more)")
        for other in ("on", "gate"):
            if other != mode:
                text += f"; --idle {other}: {_rate(harvest_runs_per_s(r, p, other, arrivals))}"
        out.append(("harvest", text + f" ({C.HARVEST_RUNS_PER_S})"))
    if C.STORAGE_J in f:
        e, store = f[C.STORAGE_RUN_ENERGY_J], f[C.STORAGE_J]
        what = "the first call after power-up" if idle.acts(r, mode) == "on" else f"a wake-up ({mode}) and a run"
        text = f"{si(store, 'J')} stored; {what} draws {si(e, 'J')}: "
        if f[C.STORAGE_RUNS] >= 1:
            text += f"{f[C.STORAGE_RUNS]:,} run{'s' if f[C.STORAGE_RUNS] != 1 else ''} a full charge"
        else:
            text += (f"does NOT fit, needs {f[C.STORAGE_CHARGES_PER_RUN]:,} full charges and its "
                     "running state checkpointed between them (not modelled)")
        out.append(("storage", text + f" ({C.STORAGE_RUNS})"))
    return out
