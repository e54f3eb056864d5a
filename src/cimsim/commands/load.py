"""``run``, ``compare``, ``sweep`` and ``report``'s ``--period`` and ``--deadline``: a run at a stated load, and its
deadline check (:mod:`cimsim.report.load`)."""

from __future__ import annotations

import click

from ..errors import CimsimError


def load_options(f):
    """``--period``, ``--deadline`` and ``--idle`` (:mod:`cimsim.report.load`, :mod:`cimsim.report.idle`)."""
    f = click.option("--idle", type=click.Choice(["on", "sleep", "gate"]), default="on",
                     show_default=True,
                     help="What the parts do between runs at --period (and before a --deadline's "
                          "request): on at static power; sleep: each part with an idle.sleep_power "
                          "in its retention state (DRAM self-refresh); gate: power-gated at "
                          "idle.gated_power (default 0 W), the backing store asleep, volatile (SRAM) "
                          "CIM weights re-programmed each period. Wake-up: idle.wake_energy, "
                          "idle.wake_latency.")(f)
    f = click.option("--deadline", metavar="TIME", default=None,
                     help="Check the latency against a deadline, e.g. 500us: slack and met/missed "
                          "(the latency is the DES's point estimate, not a worst-case bound).")(f)
    return click.option("--period", metavar="TIME|RATE", default=None,
                        help="One run every period, idle in between (--idle), e.g. 1ms or "
                             "1kHz: energy per period and per sample, average power, "
                             "utilization at that load (energy_j, j_per_sample and power are "
                             "back to back); compare, sweep and report give a config or point "
                             "too slow for it NaN and a note.")(f)


def stated_load(period: str | None, deadline: str | None,
                idle: str = "on") -> tuple[float | None, float | None, str]:
    """``--period`` and ``--deadline`` in seconds (None where not given), and ``--idle``, which
    needs one of them."""
    from ..report.load import period_of

    if idle != "on" and period is None and deadline is None:
        raise CimsimError(f"--idle {idle} says what the parts do between runs: give --period "
                          "(or --deadline, which then counts the wake-up)")
    return (None if period is None else period_of(period),
            None if deadline is None else period_of(deadline, "--deadline", rate_ok=False), idle)


def at_load(r, period_s, deadline_s, strict: bool = True, idle: str = "on"):
    """``r`` at the stated load; its error as the option's (``--period 1 µs is shorter ...``).
    Not ``strict`` (``compare``), a period too short for ``r`` gives NaN period columns."""
    if period_s is None and deadline_s is None:
        return r
    try:
        return r.at_load(period_s, deadline_s, strict, idle)
    except CimsimError as exc:
        raise CimsimError(f"--{exc}") from None
