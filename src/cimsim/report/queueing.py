"""Response times of a stream of requests at a stated mean rate (``--arrivals``): what a
capacity planner asks of a deterministic run (find-Q 2, Q 6).

What is modelled: **one FIFO server, one run at a time, no batching, no overlap between
requests**. Each request holds the server for the run's occupancy ``S`` (:func:`cimsim.report.
load.min_period_s`: the latency, or a layer-pipelined chip's ``samples x pipeline_interval_s``)
and answers ``R`` after it starts (:func:`cimsim.report.load.response_s` plus any ``--idle``
wake-up). Arrivals come at mean gap ``T`` (``--period``): ``periodic`` (D/D/1: every gap ``T``,
no wait while ``S <= T``) or ``poisson`` (M/D/1: exponential gaps). The waits follow Lindley's
recursion ``W[n+1] = max(0, W[n] + S - A[n+1])`` over :data:`ARRIVALS_N` arrivals drawn with a
fixed seed (:data:`SEED`), so a rerun gives the same figures; the response of a request is
``W + R``. The M/D/1 mean response in closed form, ``rho S / (2 (1 - rho)) + R`` with
``rho = S / T``, is given beside the simulated one. A utilisation of 1 or more has no steady
state: every figure is infinite and the share within the deadline 0.

Not modelled: several servers, dynamic batching (collect up to B requests or a timeout),
requests overlapping in the engine, arrival traces, service-time spread (the run is a point
estimate).
"""

from __future__ import annotations

import math

import numpy as np

from . import columns as C
from .format import pct, si
from ..errors import CimsimError

#: the arrival processes ``--arrivals`` takes
KINDS = ("periodic", "poisson")
#: arrivals simulated (the first tenth is dropped as warm-up)
ARRIVALS_N = 1_000_000
#: the generator's seed: the same figures on every run
SEED = 2026
#: the period utilisation above which a deadline verdict without ``--arrivals`` gets a note
BUSY = 0.7


def check_kind(kind: str | None) -> str | None:
    """``kind`` if it is one of :data:`KINDS` (or None); else a one-line error."""
    if kind is not None and kind not in KINDS:
        raise CimsimError(f"arrivals {kind!r}: must be one of {', '.join(KINDS)}")
    return kind


def waits(occupancy_s: float, gap_s: float, kind: str, n: int = ARRIVALS_N,
          seed: int = SEED) -> np.ndarray:
    """The queueing waits (s) of ``n`` requests, each holding one FIFO server ``occupancy_s``,
    arriving ``kind`` at mean gap ``gap_s``, by Lindley's recursion in closed form: with
    ``X[k] = sum_{i<=k} (S - A[i])``, ``W[k] = X[k] - min(0, min_{j<=k} X[j])``; the first tenth
    (warm-up from an empty queue) dropped."""
    gaps = (np.random.default_rng(seed).exponential(gap_s, n) if kind == "poisson"
            else np.full(n, gap_s))
    x = np.cumsum(occupancy_s - gaps)
    w = x - np.minimum(np.minimum.accumulate(x), 0.0)
    return w[n // 10:]


def md1_mean_response_s(occupancy_s: float, gap_s: float, response_s: float) -> float:
    """M/D/1's mean response, s: ``rho S / (2 (1 - rho)) + R``, ``rho = S / T``; inf at rho >= 1."""
    rho = occupancy_s / gap_s
    return math.inf if rho >= 1 else rho * occupancy_s / (2 * (1 - rho)) + response_s


def facts(occupancy_s: float, response_s: float, gap_s: float, kind: str,
          deadline_s: float | None) -> dict:
    """The :data:`~cimsim.report.columns.QUEUE_COLUMNS` of ``kind`` arrivals at mean gap
    ``gap_s`` (module docstring); ``queue_within_deadline`` only with ``deadline_s``."""
    out: dict[str, object] = {C.QUEUE_ARRIVALS: kind}
    if occupancy_s >= gap_s and (kind == "poisson" or occupancy_s > gap_s):  # no steady state
        out.update({k: math.inf for k in C.QUEUE_TIME_COLUMNS})
        if deadline_s is not None:
            out[C.QUEUE_WITHIN_DEADLINE] = 0.0
        return out
    resp = waits(occupancy_s, gap_s, kind) + response_s
    p50, p95, p99 = np.percentile(resp, [50, 95, 99])
    out.update({C.QUEUE_MEAN_RESPONSE_S: float(resp.mean()), C.QUEUE_P50_RESPONSE_S: float(p50),
                C.QUEUE_P95_RESPONSE_S: float(p95), C.QUEUE_P99_RESPONSE_S: float(p99),
                C.QUEUE_MD1_MEAN_RESPONSE_S: md1_mean_response_s(occupancy_s, gap_s, response_s)})
    if deadline_s is not None:
        out[C.QUEUE_WITHIN_DEADLINE] = float(np.mean(resp <= deadline_s))
    return out


def time_text(x: float) -> str:
    """A response time, or ``unbounded`` where the queue has no steady state (inf)."""
    return "unbounded (busy ≥ 100 %)" if x == math.inf else si(x, "s")


def row(f: dict) -> tuple[str, str]:
    """``run``'s ``arrivals`` line from a result's facts ``f``."""
    kind = f[C.QUEUE_ARRIVALS]
    head = (f"{kind} at one request every {si(f[C.PERIOD_S], 's')} on average, one FIFO server, "
            "no batching or overlap: response ")
    if f[C.QUEUE_MEAN_RESPONSE_S] == math.inf:
        return ("arrivals", head + "unbounded: the period is not longer than one run, so the queue grows"
                + (f"; {pct(f[C.QUEUE_WITHIN_DEADLINE])} of requests within the deadline"
                   if C.QUEUE_WITHIN_DEADLINE in f else ""))
    text = (f"{head}mean {si(f[C.QUEUE_MEAN_RESPONSE_S], 's')}, p50 "
            f"{si(f[C.QUEUE_P50_RESPONSE_S], 's')}, p95 {si(f[C.QUEUE_P95_RESPONSE_S], 's')}, p99 "
            f"{si(f[C.QUEUE_P99_RESPONSE_S], 's')}")
    if kind == "poisson":
        text += f" (M/D/1 closed-form mean {si(f[C.QUEUE_MD1_MEAN_RESPONSE_S], 's')})"
    if C.QUEUE_WITHIN_DEADLINE in f:
        text += f"; {pct(f[C.QUEUE_WITHIN_DEADLINE])} of requests within the deadline"
    return ("arrivals", text)


def busy_note(utilization: float, occupancy_s: float, gap_s: float, response_s: float) -> str:
    """The note on a deadline checked at a period ``utilization`` busy, above :data:`BUSY`,
    without ``--arrivals``: the verdict holds for strictly periodic arrivals only."""
    return (f"the period is {pct(utilization)} busy: the deadline verdict holds for strictly "
            "periodic arrivals only; requests at the same mean rate arriving at random queue "
            f"(Poisson: M/D/1 mean response {si(md1_mean_response_s(occupancy_s, gap_s, response_s), 's')} "
            "against one run's "
            f"{si(response_s, 's')}); --arrivals poisson gives p50/p95/p99 and the share within it")
