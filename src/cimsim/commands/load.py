"""``run``, ``compare``, ``sweep`` and ``report``'s ``--period`` and ``--deadline``: a run at a stated load, and its
deadline check (:mod:`cimsim.report.load`)."""

from __future__ import annotations

from typing import NamedTuple

import click

from ..errors import CimsimError
from ..report import columns as C


class Load(NamedTuple):
    """The stated load of ``run`` / ``compare``: seconds, W and J (None where not given)."""
    period_s: float | None
    deadline_s: float | None
    idle: str
    harvest_w: float | None = None
    storage_j: float | None = None
    #: ``--deadline MODEL=TIME``: (model, seconds) per model of a merged workload
    model_deadlines: tuple = ()
    #: ``--arrivals``: periodic or poisson requests at mean gap ``period_s`` (None: not stated)
    arrivals: str | None = None
    #: ``--ttft-slo``, ``--tpot-slo``: per-request SLOs of a serving run, s (None: not stated)
    slo: tuple = (None, None)


def slo_options(f):
    """``run``'s ``--ttft-slo`` and ``--tpot-slo`` (:mod:`cimsim.report.slo`)."""
    f = click.option("--tpot-slo", metavar="TIME", default=None,
                     help="An LLM serving run's time-per-output-token SLO per request, e.g. 1.2ms: "
                          "the share of its requests within it.")(f)
    return click.option("--ttft-slo", metavar="TIME", default=None,
                        help="An LLM serving run's time-to-first-token SLO per request, e.g. 50ms: "
                             "the share of its requests within it (and, with --tpot-slo, meeting both).")(f)


def arrivals_option(f):
    """``--arrivals periodic|poisson`` (``run``, ``compare``: :mod:`cimsim.report.queueing`)."""
    return click.option("--arrivals", type=click.Choice(["periodic", "poisson"]), default=None,
                        help="Runs (one arrival: a whole run, a serving run's burst) arrive at mean gap "
                             "--period, strictly periodic or Poisson, to one FIFO server running one at a "
                             "time (no batching): mean, p50, p95 and p99 response time (queueing + the run) "
                             "and, with --deadline, the share within it (exact M/D/1; under --idle sleep|gate "
                             "only an arrival finding the server idle waits for the wake-up).")(f)


def load_options(f):
    """``--period``, ``--deadline``, ``--idle``, ``--harvest`` and ``--storage``
    (:mod:`cimsim.report.load`, :mod:`cimsim.report.idle`, :mod:`cimsim.report.intermittent`)."""
    f = click.option("--storage", metavar="ENERGY", default=None,
                     help="Usable stored energy, e.g. 382.5uJ (a capacitor's 0.5 C (Vmax^2 - "
                          "Vmin^2)): whether one wake-up and run fits (under --idle on the first "
                          "call after power-up), how many runs a charge powers, else how many "
                          "charges a run needs.")(f)
    f = click.option("--harvest", metavar="POWER", default=None,
                     help="A harvested power, e.g. 100uW: the highest rate of runs it sustains "
                          "under --idle (also printed for on and gate).")(f)
    f = click.option("--idle", type=click.Choice(["on", "sleep", "gate"]), default="on",
                     show_default=True,
                     help="What the parts do between runs at --period (and before a --deadline's "
                          "request): on at static power; sleep: each part with an idle.sleep_power "
                          "in its retention state (DRAM self-refresh); gate: power-gated at "
                          "idle.gated_power (default 0 W), the backing store asleep (gated where it "
                          "states volatile: false), volatile (SRAM) "
                          "CIM weights re-programmed each period. Wake-up: idle.wake_energy, "
                          "idle.wake_latency.")(f)
    f = click.option("--deadline", metavar="TIME", default=None,
                     help="Check the latency against a deadline, e.g. 500us: slack and met/missed "
                          "(the latency is the DES's point estimate, not a worst-case bound); of a "
                          "merged workload also per model, MODEL=TIME, comma-separated (e.g. "
                          "100ms,planner=20ms): that model's completion time.")(f)
    return click.option("--period", metavar="TIME|RATE", default=None,
                        help="One run every period, idle in between (--idle), e.g. 1ms, 10min, "
                             "1h, 1d or 1kHz: energy per period and per sample, average power, "
                             "utilization at that load (energy_j, j_per_sample and power are "
                             "back to back); compare, sweep and report give a config or point "
                             "too slow for it NaN and a note.")(f)


def stated_load(period: str | None, deadline: str | None, idle: str = "on",
                harvest: str | None = None, storage: str | None = None, per_model: bool = False,
                arrivals: str | None = None, slo: tuple = (None, None)) -> Load:
    """``--period`` and ``--deadline`` in seconds, ``--harvest`` in W, ``--storage`` in J (None
    where not given), and ``--idle``, which needs one of them; ``per_model``: deadlines per
    model (``MODEL=TIME``, ``run``'s) are taken, else refused."""
    from ..report.load import stated_value

    if idle != "on" and period is None and deadline is None and harvest is None and storage is None:
        raise CimsimError(f"--idle {idle} says what the parts do between runs: give --period "
                          "(or --deadline, which then counts the wake-up, --harvest or --storage)")
    if arrivals is not None and period is None:
        raise CimsimError(f"--arrivals {arrivals}: give --period, the mean gap between requests (1ms, or a rate: 1kHz)")

    whole, models = _deadlines(deadline)
    if models and not per_model:
        raise CimsimError(f"--deadline {deadline!r}: a deadline per model (MODEL=TIME) goes with "
                          "cimsim run of a merged workload; here give one TIME for the run")
    return Load(stated_value(period, "period_s", "--period"), whole, idle,
                stated_value(harvest, "harvest_w", "--harvest"),
                stated_value(storage, "storage_j", "--storage"), models, arrivals,
                tuple(stated_value(v, "deadline_s", f"--{k}-slo") for k, v in zip(("ttft", "tpot"), slo)))


def _deadlines(text: str | None) -> tuple[float | None, tuple]:
    """``--deadline``: the run's deadline (s, None where not given) and the per-model ones,
    ``((model, s), ...)``, from ``TIME`` and ``MODEL=TIME`` items separated by commas."""
    from ..report.load import stated_value

    if text is None:
        return None, ()
    whole, per_model = None, []
    for item in text.split(","):
        model, eq, t = item.strip().rpartition("=")
        if eq and not model.strip():
            raise CimsimError(f"--deadline {text!r}: '{item.strip()}' names no model (MODEL=TIME)")
        if not eq and whole is not None:
            raise CimsimError(f"--deadline {text!r}: two deadlines for the whole run; a model's is MODEL=TIME")
        v = stated_value(t.strip(), "deadline_s", "--deadline")
        if eq and any(m == model.strip() for m, _ in per_model):
            raise CimsimError(f"--deadline {text!r}: two deadlines for model '{model.strip()}'; give one")
        if eq:
            per_model.append((model.strip(), v))
        else:
            whole = v
    return whole, tuple(per_model)


def at_load(r, load: Load, strict: bool = True):
    """``r`` at the stated load; its error as the option's (``--period 1 µs is shorter ...``).
    Not ``strict`` (``compare``), a period too short for ``r`` gives NaN period columns."""
    from ..report.models import with_deadlines
    from ..report.slo import with_slo

    if load[:2] == (None, None) and load[3:5] == (None, None) and not load.model_deadlines:
        return with_slo(r, *load.slo)
    try:
        out = r.at_load(load.period_s, load.deadline_s, strict, load.idle, load.harvest_w,
                        load.storage_j, load.arrivals)
        return with_slo(with_deadlines(out, load.model_deadlines, load.period_s), *load.slo)
    except CimsimError as exc:  # the option's own (period, deadline, ...): as the option
        raise CimsimError(f"--{exc}" if str(exc).startswith(_OPTION_ERRORS) else str(exc)) from None


#: how :func:`cimsim.report.load.load_facts`' errors about a stated value start (review 22 A 1:
#: no other error, a config's, is the option's)
_OPTION_ERRORS = ("period ", "deadline ", "harvest ", "storage ", "idle ")


def power_up_cell(r) -> str:
    """``compare``'s ``first call`` cell: the first call after power-up's time and energy."""
    from ..report.format import si

    return f"{si(r.power_up_latency_s, 's')}, {si(r.power_up_energy_j, 'J')}"


def stated_headers(load: Load) -> list[str]:
    """The headers of :func:`load_cells`."""
    return ((["harvest rate"] if load.harvest_w else []) + (["runs a charge"] if load.storage_j else [])
            + ([f"{load.arrivals} p99 response"] if load.arrivals else []))


def load_cells(r, load: Load) -> list[str]:
    """``compare``'s ``harvest rate``, ``runs a charge`` and ``--arrivals`` p99 response cells
    where stated (review 22 F 5; find-Q 2: with a deadline, the share of requests within it)."""
    from ..report.format import pct
    from ..report.load_table import harvest_cell, storage_cell
    from ..report.queueing import time_text

    f = r.facts
    queue = [time_text(f[C.QUEUE_P99_RESPONSE_S]) + (f" ({pct(f[C.QUEUE_WITHIN_DEADLINE])} in deadline)"
                                                   if C.QUEUE_WITHIN_DEADLINE in f else "")] if load.arrivals else []
    return ([harvest_cell(r)] if load.harvest_w else []) + ([storage_cell(r)] if load.storage_j else []) + queue
