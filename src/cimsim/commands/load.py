"""``run``, ``compare``, ``sweep`` and ``report``'s ``--period`` and ``--deadline``: a run at a stated load, and its
deadline check (:mod:`cimsim.report.load`)."""

from __future__ import annotations

import click

from ..errors import CimsimError


def load_options(f):
    """``--period`` and ``--deadline`` (:mod:`cimsim.report.load`)."""
    f = click.option("--deadline", metavar="TIME", default=None,
                     help="Check the latency against a deadline, e.g. 500us: slack and met/missed "
                          "(the latency is the DES's point estimate, not a worst-case bound).")(f)
    return click.option("--period", metavar="TIME|RATE", default=None,
                        help="One run every period, idle at static power in between, e.g. 1ms or "
                             "1kHz: energy per period and per sample, average power, "
                             "utilization at that load (energy_j, j_per_sample and power are "
                             "back to back); compare, sweep and report give a config or point "
                             "too slow for it NaN and a note.")(f)


def stated_load(period: str | None, deadline: str | None) -> tuple[float | None, float | None]:
    """``--period`` and ``--deadline`` in seconds (None where not given)."""
    from ..report.load import period_of

    return (None if period is None else period_of(period),
            None if deadline is None else period_of(deadline, "--deadline", rate_ok=False))


def at_load(r, period_s, deadline_s, strict: bool = True):
    """``r`` at the stated load; its error as the option's (``--period 1 µs is shorter ...``).
    Not ``strict`` (``compare``), a period too short for ``r`` gives NaN period columns."""
    if period_s is None and deadline_s is None:
        return r
    try:
        return r.at_load(period_s, deadline_s, strict)
    except CimsimError as exc:
        raise CimsimError(f"--{exc}") from None
