"""Prefill/decode disaggregation (find-E2 3): ``run CONFIG LLM.npz --kv-link 'bandwidth=400Gb/s,
latency=5us,energy_per_bit=10pJ'`` ships each request's KV cache from a prefill node to a decode
node over the link and adds :data:`~cimsim.report.columns.DISAGG_COLUMNS` and, per request,
:data:`~cimsim.report.columns.DISAGG_REQUEST_LISTS` (``--json``).

Per request r of P_r prompt tokens, on one device (a tensor-parallel share of N devices holds
``max(kv_heads // N, 1)`` key/value heads, as the capacity check counts them):

- ``kv_transfer_bytes`` = 2 (K and V) x layers x kv_heads x head_dim x kv dtype bytes x P_r;
- ``kv_transfer_s`` = bytes x 8 / bandwidth (bit/s) + latency (the transfer alone);
- ``kv_transfer_j`` = bytes x 8 x (tx + rx energy per bit) x N (every device ships its share);
- ``ttft_disagg_s``: the request's first token (this run's TTFT) and then its whole cache over
  the one link, not layer-pipelined (a transfer starts when the prefill has written every
  layer), the link serving the requests one at a time in order of their first tokens
  (FIFO: a request whose prefill ends while another's cache is on the link waits), + latency.

Besides: ``tpot_decode_only_s``, the mean span of the run's decode-only iterations (those with
no prefill row: what a decode node runs) per token a request keeps in one
(``accepted`` under ``--verify``), and ``disagg_tokens_per_j``, the run's tokens over the
energy of all its devices plus every transfer's (both nodes this config; idle time not
counted; NaN on a run with no decode step, a prefill node's ``--decode 0``, which holds no
decode node's energy). A run that admits a prefill after a decode step gets a note: its
``ttft_disagg_s`` and ``tpot_decode_only_s`` keep the co-located run's queueing and batches. A pipeline-parallel run (the cache split over stages) and a run with image tokens
(a vision encoder's or cross-attention keys) are refused with one line."""

from __future__ import annotations

import copy
import math

import numpy as np

from . import columns as C
from .format import si
from ..dtypes import DTYPE_BYTES
from ..errors import CimsimError

_NEEDS = ("layers", "kv_heads", "head_dim", "dtype", "prompt")


def parse_kv_link(text: str):
    """The link of ``--kv-link`` (``split --link``'s fields: bandwidth= or uplink=, latency=,
    energy_per_bit= or tx_energy=, rx_energy=, name=); a downlink (nothing comes back) or a
    bad field is a one-line error naming ``--kv-link``."""
    from ..split import parse_link

    try:
        link = parse_link(text)
    except CimsimError as exc:  # parse_link's lines name split's --link
        raise CimsimError(str(exc).replace("--link ", "--kv-link ", 1) if "--link " in str(exc)
                          else f"--kv-link {text!r}: {exc}") from None
    if link.downlink_bytes_per_s is not None:
        raise CimsimError(f"--kv-link {text!r}: a downlink is not used (the cache goes one way, "
                          "prefill node to decode node); give bandwidth=, latency=, energy_per_bit=")
    return link


def check_kv_workload(workload) -> None:
    """Refuse (one line) a workload whose KV cache cannot be shipped (module docstring)."""
    _params(workload)


def _params(workload) -> dict:
    meta = workload.metadata if isinstance(workload.metadata, dict) else {}
    p, llm = meta.get("params"), meta.get("llm")
    where = f"--kv-link: workload '{workload.name}'"
    if not isinstance(llm, dict):
        raise CimsimError(f"{where} is not an LLM serving run (cimsim workload llm, trace --serve): "
                          "there is no KV cache to ship")
    missing = [k for k in _NEEDS if not isinstance(p, dict) or k not in p]
    if missing:
        raise CimsimError(f"{where}: metadata.params has no {missing[0]!r}; the KV bytes need "
                          f"{', '.join(_NEEDS)} (cimsim workload llm writes them)")
    if int(p.get("pipeline_parallel", 1) or 1) > 1:
        raise CimsimError(f"{where} is pipeline-parallel ({p['pipeline_parallel']} stages, each "
                          "shipping its layers' cache): not modelled; generate it with "
                          "--pipeline-parallel 1 (and --tensor-parallel N for a share)")
    if p.get("image_tokens") or p.get("vision_workload") or p.get("cross_layers"):
        raise CimsimError(f"{where} has image tokens (vision encoder or cross-attention keys): "
                          "their cache is not counted; use a text-only workload")
    return p


def kv_bytes_per_token(p: dict) -> int:
    """One device's K and V bytes per token: 2 x layers x kv heads (its share) x head_dim x
    the KV dtype's bytes."""
    tp = int(p.get("tensor_parallel", 1) or 1)
    kv = max(int(p["kv_heads"]) // tp, 1)
    return 2 * int(p["layers"]) * kv * int(p["head_dim"]) * DTYPE_BYTES[p.get("kv_dtype", p["dtype"])]


def with_kv_link(r, workload, link):
    """A copy of Result ``r`` (an LLM serving run of ``workload``) with the disaggregation
    columns of ``link`` (module docstring); ``r`` itself as it was."""
    p = _params(workload)
    llm = workload.metadata["llm"]
    ttft = np.asarray(r.serving_requests.get(C.REQUEST_TTFT_S, []), dtype=float)
    n = ttft.size
    prompt = p["prompt"] if isinstance(p["prompt"], list) else [p["prompt"]]
    if len(prompt) == 1:
        prompt = prompt * n
    if len(prompt) != n:
        raise CimsimError(f"--kv-link: workload '{workload.name}': metadata.params.prompt lists "
                          f"{len(prompt)} lengths for {n} requests")
    tp = int(p.get("tensor_parallel", 1) or 1)
    per_token = kv_bytes_per_token(p)
    nbytes = np.asarray(prompt, dtype=np.int64) * per_token
    wire = nbytes / link.uplink_bytes_per_s  # B/s
    own = wire + link.latency_s
    joules = nbytes * (link.tx_j_per_byte + link.rx_j_per_byte) * tp
    done = np.empty(n)
    free = 0.0
    for i in np.argsort(ttft, kind="stable"):  # FIFO over one link, in order of first tokens
        free = max(free, ttft[i]) + wire[i]
        done[i] = free + link.latency_s
    kinds = np.asarray(llm.get("step_kind", []), dtype=object)
    n_dec = int((kinds == "decode").sum())
    dec_tok = float(np.asarray(llm.get("step_tokens", []), dtype=float)[kinds == "decode"].sum()) if n_dec else 0.0
    rate = r.serving.get(C.DECODE_TOKENS_PER_S, math.nan)
    keep = int(p.get("accepted", 1)) if p.get("verify") else 1
    tpot = dec_tok / rate / n_dec / keep if n_dec and rate == rate and rate > 0 else math.nan
    tpj, tokens = r.serving.get(C.TOKENS_PER_J, math.nan), r.serving.get(C.TOKENS_PER_RUN, math.nan)
    # review S 1: a prefill-only run (--decode 0, the prefill node's) has no decode node's
    # energy or tokens in it: no tokens/J over both nodes
    energy = tokens / tpj if n_dec and tpj == tpj and tpj > 0 else math.nan
    facts = {C.KV_LINK_BYTES_PER_S: link.uplink_bytes_per_s, C.KV_LINK_LATENCY_S: link.latency_s,
             C.KV_TOKEN_BYTES: per_token, C.KV_TRANSFER_BYTES: int(nbytes.sum()), C.KV_TRANSFER_S: float(own.mean()),
             C.KV_TRANSFER_J: float(joules.sum()), C.TTFT_DISAGG_S: float(done.mean()),
             C.TTFT_DISAGG_MAX_S: float(done.max()), C.TPOT_DECODE_ONLY_S: tpot,
             C.DISAGG_TOKENS_PER_J: tokens / (energy + float(joules.sum())) if energy == energy else math.nan}
    out = copy.copy(r)
    out.notes = list(r.notes) + _colocated_note(kinds)
    out.facts = {**{k: v for k, v in r.facts.items() if k not in C.DISAGG_COLUMNS}, **facts}
    out.serving_requests = {**r.serving_requests,
                            C.REQUEST_KV_TRANSFER_BYTES: [int(b) for b in nbytes],
                            C.REQUEST_KV_TRANSFER_S: [float(x) for x in own],
                            C.REQUEST_KV_TRANSFER_J: [float(x) for x in joules],
                            C.REQUEST_TTFT_DISAGG_S: [float(x) for x in done]}
    return out


def _colocated_note(kinds) -> list[str]:
    """review S 3: a run that admits a prefill after a decode step (continuous batching, or
    static waves) keeps co-location in ttft_disagg_s and tpot_decode_only_s; say so."""
    dec = np.flatnonzero(kinds == "decode")
    if not dec.size or not (np.flatnonzero(kinds == "prefill") > dec[0]).any():
        return []
    return ["--kv-link on a co-located run (prefills admitted between decode steps): ttft_disagg_s "
            "still queues behind the other requests' decode steps and tpot_decode_only_s keeps this "
            "run's batches; for the two nodes apart run the workload with --decode 0 (prefill node, "
            "with --kv-link) and with --prefix P-1 (decode node's TPOT) (README: prefill/decode "
            "disaggregation)"]


def rows(r) -> list[tuple[str, str]]:
    """``run``'s ``disaggregated`` line (with ``--kv-link``); [] without."""
    f = r.facts
    if C.TTFT_DISAGG_S not in f:
        return []
    n = len(r.serving_requests.get(C.REQUEST_TTFT_S, []))
    tpot = f[C.TPOT_DECODE_ONLY_S]
    tpj = f[C.DISAGG_TOKENS_PER_J]
    return [("disaggregated", (
        f"{f[C.KV_TOKEN_BYTES]:,} B of KV a token (one device's), over a link of "
        f"{si(f[C.KV_LINK_BYTES_PER_S] * 8, 'b/s')} and {si(f[C.KV_LINK_LATENCY_S], 's')}: "
        f"{si(f[C.KV_TRANSFER_BYTES], 'B')} shipped for "
        f"{n:,} request{'s' if n != 1 else ''}, {si(f[C.KV_TRANSFER_S], 's')} a request on the link "
        f"(mean), {si(f[C.KV_TRANSFER_J], 'J')} in all; time to first token "
        f"{si(f[C.TTFT_DISAGG_S], 's')} mean, {si(f[C.TTFT_DISAGG_MAX_S], 's')} max (this run's "
        "prefill, then the whole cache over the link, not layer-pipelined, one request at a time); "
        f"per output token {si(tpot, 's') if tpot == tpot else 'n/a (no decode-only step)'} over the "
        f"decode-only steps; " + (f"{tpj:,.4g} tokens/J over both nodes (this config each) and the link"
                                  if tpj == tpj else "tokens/J n/a (no decode step: the decode node's "
                                  "tokens and energy are not in this run; take its run's)")))]
