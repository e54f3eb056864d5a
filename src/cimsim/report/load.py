"""A run at a stated load, and the figures that need no load: what a control loop or a service
below saturation costs, and whether a run meets a deadline.

A run's ``energy_j``, ``j_per_sample``, ``ops_per_j`` and ``average_power_w`` are full-load
figures: runs back to back, never idle. At a load of one run (``samples`` samples) every period
``T`` (q = samples / T samples/s), the system does the run and then idles at its static power
(nothing is power-gated), so with ``P_static`` the static power of all the devices the run
stands for and ``E_dyn`` the run's energy without static energy:

    E(T) = E_dyn + P_static x T            (one period)
    P(q) = P_static + q x E_dyn / samples  (average power; E_dyn / samples = dynamic_j_per_sample)
    E(T) / samples = P(q) / q              (energy of one sample at that load)

which is the full-load figure at ``T = run_s`` (the latency; a micro-batched pipeline's time
over all its micro-batches, ``pipeline_span_s``). The shortest period is :func:`min_period_s`:
``run_s``, or on a layer-pipelined chip (``pipeline_interval_s``) ``samples x interval``, the
steady state's, where consecutive runs overlap in the chip's layer pipeline and E(T) at
``T = interval`` is ``pipelined_j_per_sample``. A shorter period is refused (``strict``) or gives
NaN period columns and a note (``compare``: one config too slow does not stop the others).

The deadline check compares :func:`response_s` (the latency; under micro-batches the time the
last request of the run is served, ``pipeline_span_s``), the DES's point estimate
(deterministic: no spread, not a worst-case bound), with the stated deadline.
"""

from __future__ import annotations

import copy
import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from . import columns as C, idle, period_words as words, queueing, slo
from .devices import all_mark, micro_batches, system
from .format import pct, si
from ..errors import CimsimError
from ..units import UnitError, parse_quantity


def static_power_w(r) -> float:
    """``energy_static_j / latency_s`` of the simulated device, W; NaN for zero latency."""
    return r.energy_breakdown_j.get(C.STATIC, 0.0) / r.latency_s if r.latency_s > 0 else math.nan


def run_s(r) -> float:
    """The time of one run, s: the latency, or a micro-batched pipeline's time over all its
    micro-batches (``pipeline_span_s``, what its per-sample figures divide)."""
    span = getattr(r, "pipeline_span_s", None)
    return r.latency_s if span is None else float(span)


def min_period_s(r) -> float:
    """The shortest period at which one run can repeat, s: :func:`run_s`, or on a layer-pipelined
    chip the steady state's ``samples x pipeline_interval_s`` (consecutive runs overlap in the
    chip's layer pipeline; each sample still takes the latency); at a load stated with
    ``--idle sleep|gate`` (its ``period_idle``), ``period_wake_s`` + :func:`run_s`, but with
    ``--arrivals poisson`` :func:`run_s` (:func:`_bound`)."""
    return _bound(r, _wake_s(idle.figures(r, r.facts.get(C.PERIOD_IDLE, "on"))),
                  r.facts.get(C.QUEUE_ARRIVALS))


def _bound(r, wake_s: float | None, arrivals: str | None) -> float:
    """The time a period must not be shorter than, s: :func:`_min_period`; under ``--arrivals
    poisson`` with a wake-up only a request that finds the server idle waits for it, so the
    queue is stable while one run, :func:`run_s`, is shorter than the mean gap (final read 23-2
    F2 2; :mod:`cimsim.report.queueing`). Periodic arrivals each find it idle: wake + run."""
    if arrivals == "poisson" and wake_s is not None:
        return run_s(r)
    return _min_period(r, wake_s)


def wake_share(r, wake_s: float | None, period_s: float, arrivals: str | None) -> float:
    """The share of runs that wake the parts first: under ``--arrivals poisson`` and ``--idle
    sleep|gate`` the share of requests finding the server idle, ``P0 = (1 - rho) / (1 + w / T)``
    (``rho = S / T``, M/G/1 with a setup time: a cycle is an idle gap of mean ``T`` and a busy
    period started by ``w + S`` of work, of mean ``(w + S) / (1 - rho)``, so the server is idle
    ``T / (T + (w + S) / (1 - rho))`` of the time, and by PASTA that share of requests find it
    so); 1 otherwise (and where the queue is unstable, rho >= 1; final read 23-2 F2 3)."""
    if arrivals != "poisson" or not wake_s or run_s(r) >= period_s:
        return 1.0
    return (1 - run_s(r) / period_s) / (1 + wake_s / period_s)


def _wake_s(f: dict) -> float | None:
    """The wake-up time of :func:`cimsim.report.idle.figures` ``f``, s; None where its figures
    are on's (every part stays on: runs may overlap, review 22 A 2)."""
    return None if f["acts"] == "on" else f["wake_s"]


def _min_period(r, wake_s: float | None) -> float:
    """:func:`min_period_s` with the wake-up time ``wake_s`` of ``--idle sleep|gate`` (None: on):
    then the parts idle between runs, so runs never overlap: ``wake_s`` + :func:`run_s`."""
    if wake_s is not None:
        return wake_s + run_s(r)
    interval = r.facts.get(C.PIPELINE_INTERVAL_S)
    t = run_s(r)
    if isinstance(interval, float) and math.isfinite(interval) and interval > 0:
        return min(t, max(r.samples, 1) * interval)
    return t


def response_s(r) -> float:
    """The time a deadline is checked against, s: the latency, or under micro-batches the time
    the run's last request is served (``pipeline_span_s``: the last micro-batch's last token)."""
    return run_s(r)


def power_up_response_s(r) -> float:
    """The time the first call after power-up answers in, s: the longest part's wake-up
    (:func:`cimsim.report.idle.power_up_wake_s`), the volatile weights' re-programming, then
    :func:`response_s` (review 22 F 2, F 3); what ``power_up_deadline_slack_s`` holds to the
    deadline (under ``--idle gate``, where every call is one, the gated call's)."""
    return idle.power_up_wake_s(r) + r.power_up_programming_s + response_s(r)


def dynamic_j_per_sample(r) -> float:
    """The energy of one sample without static energy, J, over the devices and samples
    ``j_per_sample`` divides (all the devices of a tensor- or pipeline-parallel run; a
    micro-batched pipeline's every micro-batch): ``j_per_sample`` less all the devices' static
    power over :func:`run_s`, a share of each sample."""
    n, j = max(r.samples, 1), r.facts.get(C.J_PER_SAMPLE)
    j = system(r).energy_j / n if j is None else float(j)
    return j - system(r).devices * static_power_w(r) * run_s(r) / n


def power_up_latency_s(r) -> float:
    """``latency_s`` + the programming time of the weights power-off loses (volatile cells)."""
    return r.latency_s + r.power_up_programming_s


def power_up(arch, plans, rates) -> dict:
    """The Result fields of power-up and idle: :func:`power_up_s`, that programming's energy
    (J) and each part's idle figures (:func:`cimsim.report.idle.parts`)."""
    lost = {c.name: p.programming for c, p in zip(arch.instances, plans) if p is not None
            and p.programming is not None and getattr(p.programming, "volatile", True)}
    parts = idle.parts(arch)
    for n in lost:  # gating loses its weights: it wakes re-programming them (review 22 A 4)
        parts[n]["reprograms"] = True
    for d in lost.values():  # the level power-up programming reads from (review 22 F 4); a
        store = getattr(d, "store", None)  # plug-in's own programming may name none
        if store in parts:
            parts[store]["feeds_power_up"] = True
    return {"power_up_programming_s": power_up_s(plans, rates),
            "power_up_programming_j": float(sum(d.energy_j for d in lost.values())),
            "idle_parts": parts}


def power_up_s(plans, rates) -> float:
    """The programming time (s) of the weights held in cells that lose them at power-off: the
    plans' deployments (``Plan.programming``) whose ``volatile`` is not false, added as
    ``programming_time_s`` adds them; ``rates`` the sustained B/s by resource name."""
    held = [p.programming for p in plans if p is not None and p.programming is not None]
    return float(sum(d.time_s(rates) for d in held if getattr(d, "volatile", True)))


def period_of(text: str, option: str = "--period", rate_ok: bool = True) -> float:
    """A period in seconds from a time (``1ms``) or, ``rate_ok``, a rate (``1kHz``: its
    inverse); one-line :class:`CimsimError` naming ``option`` (``--period``, or ``period_s=``:
    no space after an ``=``) otherwise."""
    head = f"{option}{'' if option.endswith('=') else ' '}{text!r}"
    try:
        value = parse_quantity(text, "s")
    except UnitError as exc:
        if not rate_ok:
            raise CimsimError(f"{head}: {exc}") from None
        try:
            rate = parse_quantity(text, "Hz")
        except UnitError:
            raise CimsimError(f"{head}: {exc}; give a period (1ms) or a rate "
                              "(1kHz, one run per period)") from None
        value = 1.0 / rate if rate > 0 else math.nan
    if not (math.isfinite(value) and value > 0):
        raise CimsimError(f"{head}: must be a positive, finite time (1ms)"
                          + (" or rate (1kHz)" if rate_ok else ""))
    return value


#: each stated load argument's unit, what it is, and an example with its unit
STATED = {"period_s": ("s", "time", "1ms"), "deadline_s": ("s", "time", "500us"),
          "harvest_w": ("W", "power", "100uW"), "storage_j": ("J", "energy", "382.5uJ")}


def stated_value(value, name: str, flag: str | None = None):
    """The load argument ``name`` (a key of :data:`STATED`) in its unit: None, a positive finite
    number, or text with a unit (``100uW``; a period also a rate, ``1kHz``); a one-line
    :class:`CimsimError` naming ``flag`` (default ``name=``, the Python argument; ``--harvest``
    on the command line) and the unit. What ``run``/``compare``/``report``, ``sweep()`` and
    ``Result.at_load`` all read the load with (review 22 F 6)."""
    unit, what, example = STATED[name]
    flag = flag or f"{name}="
    head = f"{flag}{'' if flag.endswith('=') else ' '}{value!r}"
    if isinstance(value, str):
        if unit == "s":
            return period_of(value, flag, name == "period_s")
        try:
            value = parse_quantity(value, unit)
        except UnitError as exc:
            raise CimsimError(f"{head}: {exc}") from None
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                              or not (math.isfinite(value) and value > 0)):
        raise CimsimError(f"{head}: must be a positive, finite {what} in {unit} (a number) or "
                          f"text with a unit ({example!r}" + (", or a rate: '1kHz')" if name == "period_s" else ")"))
    return None if value is None else float(value)


def load_facts(r, period_s: float | None = None, deadline_s: float | None = None,
               strict: bool = True, idle_mode: str = "on", harvest_w: float | None = None,
               storage_j: float | None = None, arrivals: str | None = None) -> dict:
    """The :data:`~cimsim.report.columns.PERIOD_COLUMNS` of one run every ``period_s`` and the
    :data:`~cimsim.report.columns.DEADLINE_COLUMNS` against ``deadline_s`` (module docstring);
    each group only where its value is given. A value not positive and finite is a one-line
    :class:`CimsimError`, and so is a period shorter than :func:`min_period_s` where ``strict``;
    not ``strict``, that period's other columns are NaN (:func:`too_short_text` says why).
    ``idle_mode``: what the parts do between runs (:mod:`cimsim.report.idle`): under sleep or
    gate a period charges the run's static power over the wake-up and the run only, the idle
    power over the rest and the wake-up energy, and a deadline counts the wake-up time.
    ``harvest_w``, ``storage_j``: :func:`cimsim.report.intermittent.stated_facts`.
    ``arrivals`` (periodic, poisson; needs a period): the
    :data:`~cimsim.report.columns.QUEUE_COLUMNS` of requests at mean gap ``period_s``
    (:mod:`cimsim.report.queueing`)."""
    from . import intermittent

    out: dict[str, object] = {}
    period_s, deadline_s, harvest_w, storage_j = (
        stated_value(v, k) for k, v in zip(STATED, (period_s, deadline_s, harvest_w, storage_j)))
    if queueing.check_kind(arrivals) is not None and period_s is None:
        raise CimsimError(f"arrivals {arrivals!r}: give a period, the mean gap between requests (1ms, or a rate: 1kHz)")
    f = idle.figures(r, idle.check_mode(idle_mode))
    wake = _wake_s(f)
    if arrivals is not None:
        # the wake-up only for a request that finds the server idle (review 23 B 2)
        out.update(queueing.facts(_min_period(r, wake) - (wake or 0.0), response_s(r), period_s, arrivals,
                                  deadline_s, wake or 0.0))
    if period_s is not None:
        t, slow_at = _min_period(r, wake), _bound(r, wake, arrivals)
        if slow_at > period_s and strict:
            raise CimsimError(too_short_text(r, period_s, wake, arrivals))
        n, p_static = system(r).devices, static_power_w(r)
        p_idle = n * idle.idle_power_w(f, p_static)
        share = wake_share(r, wake, period_s, arrivals)  # of the runs that wake first (F2 3)
        if wake is None:
            energy = dynamic_j_per_sample(r) * max(r.samples, 1) + n * p_static * period_s
        else:  # static power over the wake-ups and the run, the idle power over the rest
            t = run_s(r) + share * wake
            energy = (dynamic_j_per_sample(r) * max(r.samples, 1) + n * p_static * t
                      + p_idle * (period_s - t) + share * idle.wake_energy_j(r, f, n))
        out.update({C.PERIOD_S: float(period_s), C.PERIOD_ENERGY_J: energy,
                    C.PERIOD_J_PER_SAMPLE: energy / max(r.samples, 1),
                    C.PERIOD_AVERAGE_POWER_W: energy / period_s,
                    C.PERIOD_UTILIZATION: t / period_s, C.PERIOD_IDLE: idle_mode,
                    C.PERIOD_IDLE_POWER_W: p_idle, C.PERIOD_WAKE_ENERGY_J: idle.wake_energy_j(r, f, n),
                    C.PERIOD_WAKE_S: f["wake_s"]})
        if (tokens := r.serving.get(C.TOKENS_PER_RUN, 0.0)) > 0:  # find-C 23 C 2
            out[C.PERIOD_J_PER_TOKEN] = energy / tokens
        if slow_at > period_s:  # too slow for it: NaN, not a figure of overlapping runs
            out.update({k: math.nan for k in C.PERIOD_NAN_COLUMNS})
        out.update(intermittent.wearout_facts(r, period_s))
    if deadline_s is not None:
        resp = response_s(r) + (wake or 0.0)
        # a period shorter than a run: the backlog grows each period, so no response is bounded
        # and no deadline is met (find-Q 1); slack NaN, not one run's slack on an idle system
        slow = math.nan if period_s is not None and _bound(r, wake, arrivals) > period_s else 0.0
        out.update({C.DEADLINE_S: float(deadline_s), C.DEADLINE_SLACK_S: deadline_s - resp + slow,
                    C.MEETS_DEADLINE: bool(resp + slow <= deadline_s), C.DEADLINE_RESPONSE_S: resp,
                    C.POWER_UP_DEADLINE_SLACK_S: deadline_s + slow - (
                        resp if f["acts"] == "gate" else power_up_response_s(r))})
    if any(v is not None for v in (period_s, deadline_s, harvest_w, storage_j)) or idle_mode != "on":
        out.setdefault(C.PERIOD_IDLE, idle_mode)  # the --idle they were taken under, and
    if idle_mode != "on":  # the wake-up a deadline alone counts (review 22 A 3)
        out.setdefault(C.PERIOD_WAKE_S, f["wake_s"])
    return {**out, **intermittent.stated_facts(r, harvest_w, storage_j, idle_mode, arrivals)}


def at_load(r, period_s: float | None = None, deadline_s: float | None = None,
            strict: bool = True, idle_mode: str = "on", harvest_w: float | None = None,
            storage_j: float | None = None, arrivals: str | None = None):
    """A copy of the Result ``r`` whose facts (so ``record()``, ``to_json()`` and attributes)
    add :func:`load_facts`; ``r`` itself is left as it was. Not ``strict``, a period the run
    cannot keep gives NaN period columns and a note (:func:`too_short_text`). Each call states
    the whole load: the period and deadline columns (and that note) of an earlier ``at_load``
    are replaced, not added to (a period-only call has no deadline columns). ``idle_mode``
    (:mod:`cimsim.report.idle`) other than on needs a period or a deadline; its notes on the
    defaults it used are added. ``harvest_w`` (W) and ``storage_j`` (J) add the
    :data:`~cimsim.report.columns.HARVEST_COLUMNS` and ``STORAGE_COLUMNS``; ``arrivals`` the
    ``QUEUE_COLUMNS`` (:mod:`cimsim.report.queueing`)."""
    if idle_mode != "on" and period_s is None and deadline_s is None and harvest_w is None \
            and storage_j is None:
        raise CimsimError(f"idle {idle_mode!r} says what the parts do between runs: give a period "
                          "(or a deadline, which then counts the wake-up, a harvest or a storage)")
    out = copy.copy(r)
    out.facts = {**{k: v for k, v in r.facts.items() if k not in C.STATED_LOAD_COLUMNS},
                 **load_facts(r, period_s, deadline_s, strict, idle_mode, harvest_w, storage_j, arrivals)}
    out.notes = [n for n in r.notes if not n.endswith((_NAN_NOTE, words.COLD_END, *_PAST_PERIOD))
                 and not n.startswith(_IDLE_NOTES)]
    f = idle.figures(r, idle_mode)
    wake = _wake_s(f)
    out.notes += f["notes"]
    if period_s is not None and _bound(r, wake, arrivals) > period_s:
        out.notes.append(f"{too_short_text(r, period_s, wake, arrivals)}{_NAN_NOTE}")
    elif period_s is not None:  # a cold call each period, a loop's weights in cache (find-V 3)
        out.notes += words.cold_note(r, period_s, idle_mode)
    busy = out.facts.get(C.PERIOD_UTILIZATION, math.nan)
    if deadline_s is not None and deadline_s > period_s_or_inf(period_s) and busy == busy \
            and (arrivals is None or run_s(r) > period_s):  # stated arrivals: their line says it
        out.notes.append(past_period_note(deadline_s, period_s, pipelined=run_s(r) > period_s))
    if deadline_s is not None and arrivals is None and busy > queueing.BUSY:  # find-Q 2
        out.notes.append(queueing.busy_note(busy, _min_period(r, wake), period_s,
                                            out.facts[C.DEADLINE_RESPONSE_S]))
    for name, m in (getattr(r, "models", None) or {}).items():  # per-model deadlines, this period
        if period_s is not None and m.get("deadline_s") is not None and m["deadline_s"] > period_s:
            out.notes.append(past_period_note(m["deadline_s"], period_s, f"model {name}'s "))
    return out


def _woken(r, f: dict, mode: str) -> str:
    """The ``at the period`` line's words on the wake-ups it charges under ``--arrivals poisson``
    (:func:`wake_share`; final read 23-2 F2 3); "" elsewhere (a wake-up every run)."""
    wake = _wake_s(idle.figures(r, mode))
    if f.get(C.QUEUE_ARRIVALS) != "poisson" or not wake:
        return ""
    share = wake_share(r, wake, f[C.PERIOD_S], "poisson")
    return (f" (a {si(wake, 's')} wake-up for {pct(share)} of the requests, those that find it idle: "
            "(1 - rho) / (1 + wake / period))")


def _volatile_store(r) -> str:
    """The ``first call`` line's caveat where the level power-up programming reads the weights
    from is volatile (``memory.<level>.volatile`` not false: DRAM, PSRAM): at a real power-up it
    lost them too (review 22 F 4)."""
    lost = volatile_stores(r)
    return (f". {volatile_store_text(lost)}" if lost else "")


def volatile_store_text(lost) -> str:
    """:func:`_volatile_store`'s words for the levels ``lost``."""
    return (f"{', '.join(lost)}, where the weights are programmed from, is volatile (memory.<level>."
            "volatile not false): a real power-off loses them there too, and reloading it from "
            "non-volatile storage is not modelled (the first call assumes it kept them)")


def volatile_stores(r) -> list[str]:
    """The volatile levels power-up programming reads the weights from (:func:`_volatile_store`)."""
    return [n for n, p in (getattr(r, "idle_parts", None) or {}).items()
            if p.get("feeds_power_up") and not p.get("keeps")]


def period_s_or_inf(period_s: float | None) -> float:
    """``period_s``, or inf where none is stated."""
    return math.inf if period_s is None else period_s


def past_period_note(deadline_s: float, period_s: float, whose: str = "", pipelined: bool = False) -> str:
    """The note on a deadline longer than a period the run keeps (find-B 3, find-Q 5): on a
    layer-pipelined chip (``pipelined``: the period shorter than the latency) the check is one
    sample's latency through the pipeline at its steady interval; elsewhere strictly periodic
    runs never overlap, and what a deadline past the period can mean is queueing under arrivals
    that are not periodic (:mod:`cimsim.report.queueing`)."""
    head = f"{whose}deadline {si(deadline_s, 's')} is longer than the period {si(period_s, 's')}: "
    if pipelined:
        return (head + "runs overlap in the layer pipeline, and the deadline is checked against one "
                f"sample's latency through the pipeline at its steady interval")
    return (head + "at strictly periodic arrivals each run ends before the next starts, so the deadline "
            "is checked against one run alone; arrivals that are not periodic queue (--arrivals "
            "poisson gives the response times)")


#: the ends of :func:`past_period_note` and of the busy note (so that a later ``at_load`` drops them)
_PAST_PERIOD = ("at its steady interval", "gives the response times)", "and the share within it")


#: the starts of :func:`cimsim.report.idle.figures`' notes (so that a later ``at_load`` drops them)
_IDLE_NOTES = ("idle sleep: ", "idle gate: ")


#: the end of the note of a period a run cannot keep (so that a later ``at_load`` drops it)
_NAN_NOTE = ": its period columns are NaN"


def _outward(x: float, unit: str, digits: int, ok) -> str:
    """``x`` in ``unit`` at ``digits`` significant digits (more where needed), rounded up or down
    as ``ok`` (the parsed text -> accepted) wants: a suggestion fed back is accepted."""
    for d in range(digits, 18):
        num, unit_text = si(x, unit, 17).split(" ", 1)
        m = Decimal(num)
        step = Decimal(1).scaleb(m.adjusted() - d + 1)
        for rounding in (ROUND_CEILING, ROUND_FLOOR):
            text = f"{format(m.quantize(step, rounding=rounding).normalize(), 'f')} {unit_text}"
            if ok(parse_quantity(text, unit)):
                return text
    return si(x, unit, 17)


def too_short_text(r, period_s: float, wake_s: float | None = None, arrivals: str | None = None) -> str:
    """Why a period is refused: shorter than :func:`min_period_s`, with the shortest period and
    the highest rate it accepts, each rounded outward so that it is accepted fed back (find-R
    A 3); on a layer-pipelined chip, the latency beside the interval (find-R A 4); under
    ``--idle sleep|gate`` the wake-up ``wake_s`` before the run (not with ``arrivals``
    poisson, :func:`_bound`)."""
    t, n = _bound(r, wake_s, arrivals), max(r.samples, 1)
    queued = wake_s if t < _min_period(r, wake_s) else None  # poisson: only an idle server's
    if queued is not None:  # request waits the wake-up (final read 23-2 F2 2)
        wake_s = None
    d = 4
    while d < 17 and si(t, "s", d) == si(period_s, "s", d):
        d += 1  # never "1.036 ms is shorter than 1.036 ms"
    shortest = _outward(t, "s", d, lambda v: v >= t)
    rate = _outward(1.0 / t, "Hz", d, lambda v: 1.0 / v >= t)
    per_s = words.refusal_rate(r, t, d, _outward)  # samples/s, items/s where stated
    head = (f"period {si(period_s, 's', d)} ({si(1.0 / period_s, 'Hz', d)}) is shorter than ")
    if wake_s:  # (0 s, parts that wake at once: no such clause, review 22 A 2)
        what = (f"waking ({si(wake_s, 's', d)}: period_wake_s) and one run of {r.workload} on "
                f"{r.architecture} ({si(run_s(r), 's', d)}): {si(t, 's', d)}")
    elif t < run_s(r):  # a layer-pipelined chip
        what = (f"the layer pipeline's steady state of {r.workload} on {r.architecture}: "
                f"{si(t, 's', d)} a run ({n:,} x pipeline_interval_s: the chip takes a sample every "
                f"{si(t / n, 's', d)}, each for its latency, {si(r.latency_s, 's')}, runs overlapping)")
    else:
        what = f"one run of {r.workload} on {r.architecture}: {si(t, 's', d)} ({words.run_holds(r)})"
        if (wake_s is not None or queued is not None) and _min_period(r, None) < t:  # parts idle:
            what += "; its parts idle between runs (--idle), so runs do not overlap in its layer pipeline"
        if queued is not None:
            what += (f" (under --arrivals poisson only a request that finds it idle waits the "
                     f"{si(queued, 's', d)} wake-up: the queue keeps up while one run is shorter "
                     "than the mean gap)")
    alone = "" if t < run_s(r) else (  # the most one run at a time keeps, not a capacity (find-Q 3)
        " one run at a time (runs never overlap under --period; independent requests the engine "
        "could overlap may sustain more: not modelled)")
    return (f"{head}{what}, so it runs at most {rate} ({per_s}){alone}; give a "
            f"period of at least {shortest}")


def served(r) -> str:
    """A serving run's ``deadline`` line's words for the latency (find-Q 4): the last of its
    requests' completion; "" for any other run."""
    n = len(getattr(r, "serving_requests", {}).get(C.REQUEST_TTFT_S, []))
    return (f"the last of its {n:,} requests' completion (the makespan, the latency; per request: "
            "--ttft-slo, --tpot-slo)" if n > 1 else "")


def period_power_cell(r) -> str:
    """A table's ``power at period`` cell (``compare``, the report's load table): the average
    power at the stated period, or ``too slow (65.9 ms)`` (the shortest period the run keeps)
    where the run cannot keep it (its note says why)."""
    w = r.facts[C.PERIOD_AVERAGE_POWER_W]
    return si(w, "W") + all_mark(r) if w == w else f"too slow ({si(min_period_s(r), 's')})"


def period_token_cell(r) -> str:
    """A serving table's ``J/token at period`` cell: ``period_j_per_token``, or the main table's
    ``too slow (65.9 ms)`` where the run cannot keep the period (review 23 G 6)."""
    j = r.facts.get(C.PERIOD_J_PER_TOKEN, math.nan)
    return si(j, "J") if j == j else f"too slow ({si(min_period_s(r), 's')})"


def slack_cell(r) -> str:
    """A table's ``deadline slack`` cell: the slack, ``MISSED`` before it where it is, and
    ``first call MISSED`` after it where the run meets the deadline but the first call after
    power-up (re-programming volatile weights) does not; under ``--idle sleep|gate`` the
    wake-up the request waits for first."""
    f = r.facts
    if f[C.DEADLINE_SLACK_S] != f[C.DEADLINE_SLACK_S]:  # too slow for the period (find-Q 1)
        return "MISSED (too slow for the period)"
    cell = ("" if f[C.MEETS_DEADLINE] else "MISSED ") + si(f[C.DEADLINE_SLACK_S], "s")
    if (wake := f[C.DEADLINE_RESPONSE_S] - response_s(r)) > 0:  # why (review 22 B 1)
        cell += f" (waking {si(wake, 's')} first, --idle {f.get(C.PERIOD_IDLE, 'on')})"
    if f[C.MEETS_DEADLINE] and f.get(C.POWER_UP_DEADLINE_SLACK_S, 0.0) < 0 \
            and f.get(C.PERIOD_IDLE, "on") != "gate":
        cell += ", first call MISSED"
    return cell


#: columns a Result may lack on some architecture or workload: as attributes they read NaN there
_OPTIONAL = frozenset((*C.SAMPLE_COLUMNS, *C.PIPELINE_COLUMNS, *C.PROGRAMMING_COLUMNS,
                       *C.SERVING_COLUMNS, *C.STATED_LOAD_COLUMNS, *C.THERMAL_COLUMNS))


def column_attribute(r, name: str):
    """``r.<name>`` for a column kept in ``facts`` or ``serving`` (``r.j_per_sample``,
    ``r.programming_time_s``, ``r.period_average_power_w``); NaN for such a column this run
    does not carry (``programming_time_s`` on a config that programs no weights)."""
    d = r.__dict__  # never getattr here: unpickling asks before the fields exist
    for where in ("facts", "serving"):
        if name in d.get(where, {}):
            return d[where][name]
    if name in _OPTIONAL:
        return math.nan
    raise AttributeError(f"'Result' object has no attribute {name!r}")


def load_rows(r, programs: bool, instances=()) -> list[tuple[str, str]]:
    """``run``'s summary rows: the first call after power-up where weights are programmed before
    the run (``programs``: the config programs weights; in the ``power_up_words`` of the
    ``instances`` that programmed, :mod:`cimsim.hw.declared`), the load and the deadline where
    stated."""
    from . import intermittent

    f = r.facts
    rows = []
    if programs and f.get(C.PROGRAMMING_TIME_S, 0.0) > 0:  # weights written before the run
        extra = r.power_up_programming_s
        lost = "; ".join(dict.fromkeys(getattr(c, "power_up_words", "") for c in instances
                                       if c.name in r.programmed)) or "the weights lost at power-off"
        rows.append(("first call", f"{si(r.power_up_latency_s, 's')} and "
                     f"{si(r.power_up_energy_j, 'J')} after power-up ("
                     + (f"latency + {si(extra, 's')} re-programming {lost}, "
                        f"{si(r.power_up_programming_j, 'J')} + static power over it"
                        if extra > 0 else "non-volatile cells keep their weights: the latency and energy")
                     + f"; {C.POWER_UP_LATENCY_S}, {C.POWER_UP_ENERGY_J}"
                     + ("; one micro-batch on one device, as latency_s and energy_j"
                        if micro_batches(r) > 1 else "")
                     + "); the figures above have the weights in place"
                     + _volatile_store(r)))
    if C.PERIOD_S in f and f[C.PERIOD_ENERGY_J] == f[C.PERIOD_ENERGY_J]:
        T, static = f[C.PERIOD_S], system(r).devices * r.static_power_w
        overlap = r.latency_s > T  # a layer-pipelined chip's steady state
        mode = f.get(C.PERIOD_IDLE, "on")
        split = (f"static {si(static, 'W')} + dynamic {si(f[C.PERIOD_AVERAGE_POWER_W] - static, 'W')}"
                 if mode == "on" else f"idle {si(f[C.PERIOD_IDLE_POWER_W], 'W')} between runs")
        long = f"{intermittent.duration(T)}, " if T >= 60 else ""
        rows.append(("at the period", f"one run every {si(T, 's')} ({long}{words.period_rate(r, T)}): "
                     f"{si(f[C.PERIOD_ENERGY_J], 'J')} a period"
                     + (f" (all {system(r).devices} devices)" if system(r).devices > 1 else "")  # F2 8
                     + f", {words.period_per(r, f[C.PERIOD_J_PER_SAMPLE])}"
                     f", average power {si(f[C.PERIOD_AVERAGE_POWER_W], 'W')} ({split}), "
                     f"busy {intermittent.duty(f[C.PERIOD_UTILIZATION])} of it"
                     + _woken(r, f, mode)
                     + (f" (runs overlap in the layer pipeline, one sample every "
                        f"{si(f[C.PIPELINE_INTERVAL_S], 's')} at most; each still takes the latency, "
                        f"{si(r.latency_s, 's')})" if overlap else "")
                     + words.cold_mark(r, T, mode)))
        if mode != "on":
            rows.append(("between runs", idle.between_runs_row(r, idle.figures(r, mode), mode,
                                                               system(r).devices)))
    if C.DEADLINE_S in f:
        slack = f[C.DEADLINE_SLACK_S]
        span = getattr(r, "pipeline_span_s", None) is not None
        rows.append(("deadline", f"{si(f[C.DEADLINE_S], 's')}: "
                     + ("met" if f[C.MEETS_DEADLINE] else "MISSED")
                     + f", slack {si(slack, 's')} ({pct(slack / f[C.DEADLINE_S])} of it) against "
                     + (f"waking ({si(f[C.DEADLINE_RESPONSE_S] - response_s(r), 's')}: "
                        "period_wake_s) then " if f[C.DEADLINE_RESPONSE_S] > response_s(r) else "")
                     + (f"the pipeline's last request, served at {si(response_s(r), 's')} "
                        "(pipeline_span_s)" if span else served(r) or "the latency")
                     + ", a point estimate at strictly periodic arrivals (not a worst-case bound)"))
        pu = f.get(C.POWER_UP_DEADLINE_SLACK_S, slack)
        if f.get(C.PERIOD_IDLE, "on") != "gate" and r.power_up_programming_s > 0:
            wake = idle.power_up_wake_s(r)
            what = (f"waking {si(wake, 's')}, then " if wake > 0 else "") + (
                f"{si(r.power_up_programming_s, 's')} re-programming the volatile weights, then the "
                f"pipeline's last request at {si(response_s(r), 's')} (pipeline_span_s)" if span else
                f"{C.POWER_UP_LATENCY_S}, re-programming the volatile weights")
            rows.append(("after power-up", f"the first call ({si(f[C.DEADLINE_S] - pu, 's')}: {what}) "
                         + (f"meets it, slack {si(pu, 's')}" if pu >= 0 else
                            f"MISSES it by {si(-pu, 's')}: on a node powered off between calls "
                            "every call does (--idle gate checks that)")))
    if C.QUEUE_ARRIVALS in f:  # find-Q 2
        wake = _wake_s(idle.figures(r, f.get(C.PERIOD_IDLE, "on"))) or 0.0
        occupancy = _min_period(r, wake or None) - wake
        n = len(getattr(r, "serving_requests", {}).get(C.REQUEST_TTFT_S, []))
        rows.append(queueing.row(f, f"{n:,} requests" if r.serving and n > 1 else
                                 f"{r.samples:,} samples" if r.samples > 1 else "",
                                 (occupancy, response_s(r)) if occupancy < response_s(r) else None, wake))
    rows += slo.rows(r)  # find-Q 4
    return rows + intermittent.rows(r, f.get(C.PERIOD_IDLE, "on"))
