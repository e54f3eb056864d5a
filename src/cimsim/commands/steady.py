"""``cimsim run --steady``: one call of a workload in a loop of calls on the same weights (find-C 5).

``cimsim run`` simulates one cold call: every weight comes from the backing store. A timing loop's
repeated calls (``timeit``, a serving engine) find the weights a cache level holds where the
previous call left them, and that is what the host suites validate
(:func:`cimsim.validate.host.steady_latency`): two calls back to back
(:func:`cimsim.validate.host.repeated`, weights and model inputs shared, the second call
starting when the first has finished: review H 1) less one call.
"""

from __future__ import annotations

import click

from ..report import columns as C
from ..report.format import si


def steady_option(f):
    return click.option("--steady", is_flag=True,
                        help="Also the steady per-call time: two calls back to back on the same "
                             "weights less one call (what a timing loop measures; the host suites' "
                             "predicted quantity). Runs the workload twice more.")(f)


def steady_latency_of(arch, wl, engine: str, result) -> float:
    """Seconds of one call in a loop: ``wl`` twice back to back on ``arch`` (same weights, by
    ``engine``) less ``result``, the one call already simulated."""
    from ..studies import run_one
    from ..validate.host import repeated

    return run_one(arch, repeated(wl, 2), engine=engine, keep_ops=False).latency_s - result.latency_s


def left_out(load) -> tuple[str, ...]:
    """The options of ``load`` (:class:`cimsim.commands.load.Load`) that --steady's calls are
    simulated without: they apply to the cold call only (review H 3)."""
    given = (("--period", load.period_s), ("--deadline", load.deadline_s or load.model_deadlines),
             ("--harvest", load.harvest_w), ("--storage", load.storage_j), ("--arrivals", load.arrivals),
             ("--ttft-slo", load.slo[0]), ("--tpot-slo", load.slo[1]))
    return tuple(name for name, v in given if v is not None and v != ())


class Steady:
    """``cimsim run --steady``'s figure and what it is beside: the cold call as simulated (its
    latency taken before any load option reads the result) and the options it leaves out."""

    def __init__(self, arch, wl, engine: str, result, load):
        self.seconds = steady_latency_of(arch, wl, engine, result)
        self.cold_s = result.latency_s
        self.left_out = left_out(load)

    def json(self, out: dict) -> dict:
        """The run's JSON object with ``steady_latency_s`` after ``latency_s``."""
        return with_steady(out, self.seconds)

    def text(self) -> str:
        """The text report's line, and what the steady call leaves out where options were given."""
        line = steady_text(self.seconds, self.cold_s)
        if self.left_out:
            verb = "applies" if len(self.left_out) == 1 else "apply"
            line += (f"\n  --steady leaves out {', '.join(self.left_out)}: {verb} to the cold call "
                     f"only; the two calls of the steady figure are simulated without it")
        return line


def steady_of(steady: bool, arch, wl, engine: str, result, load) -> Steady | None:
    """The --steady figure of a run (None without the flag), before the load options apply."""
    return Steady(arch, wl, engine, result, load) if steady else None


def with_steady(out: dict, steady_s: float | None) -> dict:
    """The run's JSON object with ``steady_latency_s`` after ``latency_s`` (unchanged without --steady)."""
    if steady_s is None:
        return out
    keys = list(out)
    at = keys.index(C.LATENCY) + 1
    return {**{k: out[k] for k in keys[:at]}, C.STEADY_LATENCY: steady_s, **{k: out[k] for k in keys[at:]}}


def steady_text(steady_s: float, cold_s: float) -> str:
    """The text report's line: the steady call beside the cold one the report shows."""
    return (f"steady call (--steady): {si(steady_s, 's')} a call in a loop on the same weights "
            f"(two calls less one; the cold call above: {si(cold_s, 's')}, "
            f"{steady_s / cold_s:.3g}x)" if cold_s > 0 else f"steady call (--steady): {si(steady_s, 's')}")
