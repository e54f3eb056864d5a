"""Per-request SLOs of an LLM serving run (find-Q 4): ``run --ttft-slo 50ms --tpot-slo 1.2ms``
gives the share of the run's requests whose time to first token (``request_ttft_s``) and time
per output token (``request_tpot_s``) are within them, and the share meeting both: the
:data:`~cimsim.report.columns.SLO_COLUMNS`. The requests are the run's (a burst, every request
arriving at t = 0; arrival processes are not modelled for serving runs), so the shares are of
that burst, not of a service at a rate."""

from __future__ import annotations

import copy

import numpy as np

from . import columns as C
from .format import pct, si
from ..errors import CimsimError


def with_slo(r, ttft_s: float | None, tpot_s: float | None):
    """A copy of Result ``r`` with the SLO columns of ``ttft_s`` / ``tpot_s`` (s, None: not
    stated); ``r`` itself as it was. A run that is not an LLM serving run is a one-line error."""
    if ttft_s is None and tpot_s is None:
        return r
    ttft = np.asarray(r.serving_requests.get(C.REQUEST_TTFT_S, []), dtype=float)
    if not r.serving or ttft.size == 0:
        raise CimsimError("ttft-slo / tpot-slo: per-request SLOs need an LLM serving run "
                          "(cimsim workload llm, trace --serve); this run has no requests")
    tpot = np.asarray(r.serving_requests.get(C.REQUEST_TPOT_S, [np.nan] * ttft.size), dtype=float)
    ok = np.ones(ttft.size, dtype=bool)
    facts = {}
    if ttft_s is not None:
        hit = ttft <= ttft_s
        facts.update({C.SLO_TTFT_S: ttft_s, C.SLO_TTFT_ATTAINMENT: float(hit.mean())})
        ok &= hit
    if tpot_s is not None:
        hit = np.isnan(tpot) | (tpot <= tpot_s)  # one token: no TPOT to miss
        facts.update({C.SLO_TPOT_S: tpot_s, C.SLO_TPOT_ATTAINMENT: float(hit.mean())})
        ok &= hit
    facts[C.SLO_ATTAINMENT] = float(ok.mean())
    out = copy.copy(r)
    out.facts = {**{k: v for k, v in r.facts.items() if k not in C.SLO_COLUMNS}, **facts}
    return out


def rows(r) -> list[tuple[str, str]]:
    """``run``'s ``SLO`` line: each stated SLO's attainment over the run's requests."""
    f = r.facts
    if C.SLO_ATTAINMENT not in f:
        return []
    n = len(r.serving_requests.get(C.REQUEST_TTFT_S, []))
    parts = [f"{what} ≤ {si(f[t], 's')}: {pct(f[a])}" for what, t, a in (
        ("TTFT", C.SLO_TTFT_S, C.SLO_TTFT_ATTAINMENT), ("TPOT", C.SLO_TPOT_S, C.SLO_TPOT_ATTAINMENT)) if t in f]
    return [("SLO", f"{', '.join(parts)}; all stated: {pct(f[C.SLO_ATTAINMENT])} of the {n:,} requests "
             f"(this run's burst, every request arriving at t = 0{queue_clause(f)})")]


def queue_clause(f: dict) -> str:
    """``, without ...``: under ``--arrivals`` (facts ``f``), that a figure of one run leaves out
    the queueing wait the ``arrivals`` line computes (F2 4); else ''."""
    from . import columns as C

    if not f.get(C.QUEUE_ARRIVALS) or f.get(C.QUEUE_MEAN_RESPONSE_S) is None:
        return ""
    return (f"; without the queueing wait of --arrivals {f[C.QUEUE_ARRIVALS]}: the arrivals "
            f"line's mean response is {si(f[C.QUEUE_MEAN_RESPONSE_S], 's')}")
