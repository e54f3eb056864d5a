"""Response times of a stream of requests at a stated mean rate (``--arrivals``): what a
capacity planner asks of a deterministic run (find-Q 2, Q 6).

What is modelled: **one FIFO server, one run at a time, no batching**. Each run holds the server
for the run's occupancy ``S`` (:func:`cimsim.report.load.min_period_s`: the latency, or a
layer-pipelined chip's ``samples x pipeline_interval_s``, where a run enters the pipeline every
``S`` and answers in the latency) and answers ``R`` after it starts
(:func:`cimsim.report.load.response_s`). Arrivals come at mean gap ``T`` (``--period``):
``periodic`` (D/D/1: every gap ``T``, no wait while ``S <= T``) or ``poisson`` (M/D/1:
exponential gaps). One arrival is one run: on a serving run a burst of its requests, on a run
of N samples all N (review 23 B 3).

The M/D/1 figures are exact, not sampled (review 23 B 1): the mean response is the closed form
``rho S / (2 (1 - rho)) + R`` (``rho = S / T``); the percentiles and the share within a
deadline come from the exact waiting-time distribution, in a form with positive terms only
(stable at any load): the number in system ``N`` at a random time has the distribution of the
embedded chain ``N' = max(N - 1, 0) + A`` (``A`` Poisson(rho): in any window of length ``S``
exactly one request leaves if one is there), solved by level crossing,
``pi[j] a0 = pi[0] Abar[j] + sum_{k=1}^{j-1} pi[k] Abar[j-k+1]`` (``Abar[j] = P(A >= j)``);
and a request waits at most ``k S + u`` (``0 <= u < S``) exactly when the requests it finds,
less the one that leaves within ``S - u`` before it came, plus those that came in that window
are at most ``k``: ``P(W <= kS + u) = sum_j P(N <= k + 1 - j) Poisson(j; rho (1 - u / S))``
(Franx 2001's M/D/c form for one server). Where ``N`` would need more than :data:`MAX_STATES`
states (a p99 past about 2 x 10^5 runs of wait: utilisation within about 2 x 10^-5 of 1), a figure it needs is NaN and the line says
it was not computed.

Under ``--idle sleep|gate`` only a request that finds the server idle waits for the wake-up
``w`` (review 23 B 2): M/D/1 with a setup time, whose wait is the M/D/1 wait plus an
independent delay ``X`` (Fuhrmann and Cooper's decomposition): ``X = w`` with probability
``1 / (1 + w / T)``, else uniform on ``(0, w)`` (a request that came during a wake-up waits
the rest of it), mean ``(w + w^2 / 2T) / (1 + w / T)``. Stability is ``S < T``; periodic
arrivals each find the server idle and answer in ``w + R``.

A utilisation of 1 or more has no steady state (poisson at ``S >= T``, periodic above):
every time figure is infinite and the share within the deadline 0; periodic at exactly
``S = T`` waits not at all.

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
#: the most queue-length states the exact M/D/1 distribution is solved over
MAX_STATES = 100_000
#: the queue-length tail below which the distribution counts as complete
TAIL = 1e-13
#: Poisson(rho < 1) terms kept: the next is below 1e-300
_TERMS = 180
#: the period utilisation above which a deadline verdict without ``--arrivals`` gets a note
BUSY = 0.7


def check_kind(kind: str | None) -> str | None:
    """``kind`` if it is one of :data:`KINDS` (or None); else a one-line error."""
    if kind is not None and kind not in KINDS:
        raise CimsimError(f"arrivals {kind!r}: must be one of {', '.join(KINDS)}")
    return kind


def md1_mean_response_s(occupancy_s: float, gap_s: float, response_s: float) -> float:
    """M/D/1's mean response, s: ``rho S / (2 (1 - rho)) + R``, ``rho = S / T``; inf at rho >= 1."""
    rho = occupancy_s / gap_s
    return math.inf if rho >= 1 else rho * occupancy_s / (2 * (1 - rho)) + response_s


def _poisson(c: np.ndarray) -> np.ndarray:
    """Poisson(c) probabilities of 0 .. :data:`_TERMS` - 1, one row per mean in ``c`` (< 1)."""
    c = np.atleast_1d(np.asarray(c, dtype=float))[:, None]
    j = np.arange(_TERMS)
    logs = np.cumsum(np.log(np.maximum(j, 1)))  # log j!
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.exp(np.where(j == 0, 0.0, j * np.log(c)) - c - logs)


class MD1:
    """The exact M/D/1 wait of service ``s`` at utilisation ``rho`` (< 1), the wait in units of
    ``s`` (module docstring): :meth:`cdf` and :meth:`quantile`; ``wake`` (in units of ``s``):
    the setup delay of a request finding the server idle, ``gap`` the mean gap (units of ``s``)."""

    def __init__(self, rho: float, wake: float = 0.0):
        self.rho, self.wake, self.gap = rho, wake, 1 / rho
        pmf = _poisson(rho)[0]
        abar = np.cumsum(pmf[::-1])[::-1]  # P(A >= j), summed from the small end
        pi = np.zeros(MAX_STATES)
        pi[0] = total = 1 - rho
        j = 1
        while 1 - total > TAIL and j < MAX_STATES:
            lo = max(1, j + 2 - _TERMS)
            pi[j] = (pi[0] * (abar[j] if j < _TERMS else 0.0)
                     + float(np.dot(pi[lo:j], abar[j - lo + 1:1:-1]))) / pmf[0]
            total += pi[j]
            j += 1
        self.n_le = np.cumsum(pi[:j])  # P(N <= n)
        self.complete = 1 - total <= TAIL
        self._whole = None  # the integral of wait_cdf over (0, k), k = 0, 1, ... (cached)

    def _n_le(self, m: np.ndarray) -> np.ndarray:
        """P(N <= m) for integer ``m`` (0 below 0; beyond the states solved, 1 where the
        distribution is complete, else NaN)."""
        last = self.n_le.size - 1
        out = self.n_le[np.clip(m, 0, last)]
        out = np.where(m < 0, 0.0, out)
        return np.where(m > last, 1.0 if self.complete else np.nan, out)

    def wait_cdf(self, t) -> np.ndarray:
        """P(W <= t) of the M/D/1 wait alone, t in units of ``s``."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        k = np.floor(np.maximum(t, 0.0)).astype(np.int64)
        terms = _poisson(self.rho * (1 - (np.maximum(t, 0.0) - k)))
        m = k[:, None] + 1 - np.arange(_TERMS)[None, :]
        f = np.where(m >= 1, self._n_le(m), 0.0)
        return np.where(t < 0, 0.0, np.sum(f * terms, axis=1))

    def _wait_integral(self, t) -> np.ndarray:
        """The integral of :meth:`wait_cdf` over (0, t), in closed form: on ``kS + (0, u)`` each
        term integrates to ``(1 / rho) (P(A_rho > j) - P(A_c > j))``, ``c = rho (1 - u)``."""
        t = np.maximum(np.atleast_1d(np.asarray(t, dtype=float)), 0.0)
        k = np.floor(t).astype(np.int64)

        def above(c):  # P(Poisson(c) > j), j = 0 .. _TERMS - 1, summed from the small end
            return np.cumsum(_poisson(c)[:, ::-1], axis=1)[:, ::-1][:, 1:]

        full_q = above(self.rho)[0]
        if self._whole is None:  # each full interval: sum_j P(N <= i + 1 - j) P(A > j) / rho
            upto = self._n_le(np.arange(1, self.n_le.size + _TERMS + 1))  # P(N <= i + 1)
            per = np.convolve(upto, full_q)[:upto.size] / self.rho
            self._whole = np.concatenate([[0.0], np.cumsum(per)])
        kk = np.minimum(k, self._whole.size - 1)  # beyond: P(N <= n) = 1, each interval 1
        whole = self._whole[kk] + (k - kk) * (1.0 if self.complete else math.nan)
        part_q = full_q[None, :] - above(self.rho * (1 - (t - k)))
        m = k[:, None] + 1 - np.arange(_TERMS - 1)[None, :]
        return whole + np.sum(np.where(m >= 1, self._n_le(m), 0.0) * part_q, axis=1) / self.rho

    def cdf(self, t) -> np.ndarray:
        """P(W + X <= t): the wait including the wake-up delay ``X`` (module docstring)."""
        w = self.wake
        if w == 0:
            return self.wait_cdf(t)
        t = np.atleast_1d(np.asarray(t, dtype=float))
        spread = self._wait_integral(t) - self._wait_integral(t - w) * (t >= w)
        return (self.wait_cdf(t - w) + spread / self.gap) / (1 + w / self.gap)

    def mean(self) -> float:
        """E[W + X], units of ``s``."""
        w, g = self.wake, self.gap
        return self.rho / (2 * (1 - self.rho)) + (w + w * w / (2 * g)) / (1 + w / g)

    def quantile(self, p: float) -> float:
        """The ``p`` quantile of ``W + X`` (units of ``s``), by bisection; NaN where the states
        solved do not reach it."""
        if self.cdf(0.0)[0] >= p:
            return 0.0
        reach = np.flatnonzero(self.n_le >= p)
        if reach.size == 0:
            return math.nan
        lo, hi = 0.0, float(reach[0]) + self.wake  # P(W + X <= n + w) >= P(N <= n) >= p
        for _ in range(64):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if self.cdf(mid)[0] < p else (lo, mid)
        return hi


def facts(occupancy_s: float, response_s: float, gap_s: float, kind: str,
          deadline_s: float | None, wake_s: float = 0.0) -> dict:
    """The :data:`~cimsim.report.columns.QUEUE_COLUMNS` of ``kind`` arrivals at mean gap
    ``gap_s`` (module docstring); ``queue_within_deadline`` only with ``deadline_s``.
    ``wake_s``: the wake-up of ``--idle sleep|gate``, waited for by a request that finds the
    server idle only."""
    out: dict[str, object] = {C.QUEUE_ARRIVALS: kind}
    rho = occupancy_s / gap_s
    if kind == "periodic" and occupancy_s + wake_s > gap_s or kind == "poisson" and rho >= 1:
        out.update({k: math.inf for k in C.QUEUE_TIME_COLUMNS})  # no steady state
        if deadline_s is not None:
            out[C.QUEUE_WITHIN_DEADLINE] = 0.0
        return out
    md1 = md1_mean_response_s(occupancy_s, gap_s, response_s)
    if kind == "periodic":  # every request finds the server idle
        one = wake_s + response_s
        out.update({k: one for k in C.QUEUE_TIME_COLUMNS})
        out[C.QUEUE_MD1_MEAN_RESPONSE_S] = md1
        if deadline_s is not None:
            out[C.QUEUE_WITHIN_DEADLINE] = float(one <= deadline_s)
        return out
    q = MD1(rho, wake_s / occupancy_s)
    out.update({C.QUEUE_MEAN_RESPONSE_S: q.mean() * occupancy_s + response_s,
                **{col: q.quantile(p) * occupancy_s + response_s for col, p in (
                    (C.QUEUE_P50_RESPONSE_S, 0.5), (C.QUEUE_P95_RESPONSE_S, 0.95),
                    (C.QUEUE_P99_RESPONSE_S, 0.99))},
                C.QUEUE_MD1_MEAN_RESPONSE_S: md1})
    if deadline_s is not None:
        out[C.QUEUE_WITHIN_DEADLINE] = (float(q.cdf((deadline_s - response_s) / occupancy_s)[0])
                                        if deadline_s >= response_s else 0.0)
    return out


def time_text(x: float) -> str:
    """A response time, ``unbounded`` where the queue has no steady state (inf), or ``not
    computed`` where the exact distribution needs more than :data:`MAX_STATES` states (NaN)."""
    if x != x:
        return "not computed (utilisation too close to 1 for the exact distribution)"
    return "unbounded (busy ≥ 100 %)" if x == math.inf else si(x, "s")


def row(f: dict, burst: str = "", pipeline: tuple[float, float] | None = None,
        wake_s: float = 0.0) -> tuple[str, str]:
    """``run``'s ``arrivals`` line from a result's facts ``f``. ``burst``: what one arrival
    brings where it is more than one request (``8 requests``: a serving run's burst, ``4
    samples``; review 23 B 3); ``pipeline``: ``(S, R)`` of a layer-pipelined chip taking a run
    every ``S`` and answering in ``R`` (review 23 B 4); ``wake_s``: the ``--idle`` wake-up."""
    kind = f[C.QUEUE_ARRIVALS]
    one, noun = (f"one run (a burst of {burst})", "runs") if burst else ("one request", "requests")
    server = (f"one layer pipeline taking a run every {si(pipeline[0], 's')} (pipeline_interval_s), "
              f"each answering in its latency {si(pipeline[1], 's')}" if pipeline
              else "one FIFO server running one at a time, no batching")
    head = f"{kind} at {one} every {si(f[C.PERIOD_S], 's')} on average, {server}: response "
    within = (f"; {pct(f[C.QUEUE_WITHIN_DEADLINE])} of {noun} within the deadline"
              if C.QUEUE_WITHIN_DEADLINE in f else "")
    if f[C.QUEUE_MEAN_RESPONSE_S] == math.inf:
        return ("arrivals", head + "unbounded: the period is not longer than one run, so the queue grows"
                + within)
    text = head + ", ".join(f"{what} {time_text(f[col])}" for what, col in (
        ("mean", C.QUEUE_MEAN_RESPONSE_S), ("p50", C.QUEUE_P50_RESPONSE_S),
        ("p95", C.QUEUE_P95_RESPONSE_S), ("p99", C.QUEUE_P99_RESPONSE_S)))
    if kind == "poisson":
        text += " (exact M/D/1" + (f"; the {si(wake_s, 's')} wake-up only for a {noun[:-1]} that finds "
                                   "it idle" if wake_s > 0 else "") + ")"
    elif wake_s > 0:
        text += f" (each finds it idle and waits the {si(wake_s, 's')} wake-up)"
    return ("arrivals", text + within)


def busy_note(utilization: float, occupancy_s: float, gap_s: float, response_s: float) -> str:
    """The note on a deadline checked at a period ``utilization`` busy, above :data:`BUSY`,
    without ``--arrivals``: the verdict holds for strictly periodic arrivals only."""
    return (f"the period is {pct(utilization)} busy: the deadline verdict holds for strictly "
            "periodic arrivals only; requests at the same mean rate arriving at random queue "
            f"(Poisson: M/D/1 mean response {si(md1_mean_response_s(occupancy_s, gap_s, response_s), 's')} "
            "against one run's "
            f"{si(response_s, 's')}); --arrivals poisson gives p50/p95/p99 and the share within it")
