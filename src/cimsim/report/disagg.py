"""Prefill/decode disaggregation (find-E2 3): ``run CONFIG LLM.npz --kv-link 'bandwidth=400Gb/s,
latency=5us,energy_per_bit=10pJ'`` ships each request's KV cache from a prefill node to a decode
node over the link and adds :data:`~cimsim.report.columns.DISAGG_COLUMNS` and, per request,
:data:`~cimsim.report.columns.DISAGG_REQUEST_LISTS` (``--json``).

Per request r of P_r prompt tokens, on one device (a tensor-parallel share of N devices holds
``max(kv_heads // N, 1)`` key/value heads, as the capacity check counts them):

- ``kv_transfer_bytes`` = 2 (K and V) x layers x kv_heads x head_dim x kv dtype bytes x P_r;
- ``kv_transfer_s`` = bytes x 8 / bandwidth (bit/s) + latency (the transfer alone);
- ``kv_transfer_j`` = the link's bytes x 8 x (tx + rx energy per bit) x N (every device ships its
  share) + both ends' memory, bytes x 2 x the home level's energy per byte x N (find-E3 4);
- ``ttft_prefill_node_s``: the first token, returned by the prefill node (this run's TTFT, or
  ``--prefill-run``'s: :mod:`.disagg_pair`); NaN on the decode node's run (``--prefix P-1``)
  without it (find-E3 1);
- ``ttft_disagg_s``: when the cache is on the decode node (:func:`arrivals`): ``--kv-overlap
  none``, the whole cache after the prefill; ``layer``, each layer's share as the prefill writes
  it (find-E3 3); the one link serving chunks in order of first tokens, + latency;
  ``ttft2_disagg_s`` that + one decode-only step (the second token, which the transfer delays).

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


def decode_node_run(p: dict) -> bool:
    """The decode node's run of the README recipe: every request arrives with all but its last
    prompt token cached (``--prefix P-1``), so its prefill step is a 1-row admission pass."""
    prompt = p["prompt"] if isinstance(p["prompt"], list) else [p["prompt"]]
    pre = p.get("prefix", 0) or 0
    pre = pre if isinstance(pre, list) else [pre] * len(prompt)
    return len(pre) == len(prompt) and all(int(b) >= 1 and int(b) == int(a) - 1 for a, b in zip(prompt, pre))


def arrivals(first, window, wire, latency: float, layers: int, overlap: str) -> np.ndarray:
    """When each request's cache is on the decode node: its cache in ``layers`` equal chunks
    (``layer``: chunk l ready at ``first - window x (layers-1-l) / layers``, the prefill's last
    iteration split evenly over the layers, the last at the first token) or one chunk at the first
    token (``none``). The one link carries one chunk at a time, each ``wire / k``: of the chunks
    ready when it is free, the earliest first token's (ties: request order), its lowest layer;
    + ``latency`` once per request."""
    import heapq

    k = layers if overlap == "layer" else 1
    n = len(first)
    req, lay = np.repeat(np.arange(n), k), np.tile(np.arange(k), n)
    ready = np.asarray(first, float)[req] - np.asarray(window, float)[req] * (k - 1 - lay) / k
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(n)
    order = np.lexsort((lay, rank[req], ready))
    done, free, nxt, heap = np.zeros(n), 0.0, 0, []
    while nxt < order.size or heap:
        if not heap:
            free = max(free, float(ready[order[nxt]]))
        while nxt < order.size and ready[order[nxt]] <= free:
            c = int(order[nxt])
            heapq.heappush(heap, (int(rank[req[c]]), int(lay[c]), c))
            nxt += 1
        c = heapq.heappop(heap)[2]
        free += wire[req[c]] / k
        done[req[c]] = free + latency
    return done


def with_kv_link(r, workload, link, arch=None, overlap: str = "none", prefill=None):
    """A copy of Result ``r`` (an LLM serving run of ``workload`` on ``arch``) with the
    disaggregation columns of ``link`` (module docstring); ``r`` itself as it was. ``prefill``:
    the prefill node's run (:func:`cimsim.report.disagg_pair.load_prefill_run`), with the decode
    node's run (``--prefix P-1``) only."""
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
    dnode = decode_node_run(p)
    if prefill is not None and not dnode:
        raise CimsimError(f"--prefill-run goes with the decode node's run (a workload with --prefix P-1, "
                          f"P-1 cached tokens a request); workload '{workload.name}' is not one")
    tp = int(p.get("tensor_parallel", 1) or 1)
    per_token = kv_bytes_per_token(p)
    nbytes = np.asarray(prompt, dtype=np.int64) * per_token
    wire = nbytes / link.uplink_bytes_per_s  # B/s
    own = wire + link.latency_s
    link_j = nbytes * (link.tx_j_per_byte + link.rx_j_per_byte) * tp
    recv = _memory_j_per_byte(arch)  # find-E3 4: the receiver writes the cache into its home level
    send = recv if prefill is None or prefill.send_j_per_byte is None else prefill.send_j_per_byte
    mem_j = nbytes * (send + recv) * tp
    joules = link_j + mem_j
    first = prefill.ttft if prefill is not None else (np.full(n, math.nan) if dnode else ttft)
    window = (prefill.window if prefill is not None else
              np.asarray(r.serving_requests.get(C.REQUEST_PREFILL_STEP_S, [math.nan] * n), dtype=float))
    if overlap == "layer" and np.isnan(window[~np.isnan(first)]).any():
        raise CimsimError("--kv-overlap layer: the prefill node's run gives no request_prefill_step_s "
                          "(a run --json from before 2026-12-10): rerun it")
    done = (np.full(n, math.nan) if np.isnan(first).any()
            else arrivals(first, window, wire, link.latency_s, int(p["layers"]), overlap))
    kinds = np.asarray(llm.get("step_kind", []), dtype=object)
    n_dec = int((kinds == "decode").sum())
    dec_tok = float(np.asarray(llm.get("step_tokens", []), dtype=float)[kinds == "decode"].sum()) if n_dec else 0.0
    rate = r.serving.get(C.DECODE_TOKENS_PER_S, math.nan)
    keep = int(p.get("accepted", 1)) if p.get("verify") else 1
    tpot = dec_tok / rate / n_dec / keep if n_dec and rate == rate and rate > 0 else math.nan
    tpj, tokens = r.serving.get(C.TOKENS_PER_J, math.nan), r.serving.get(C.TOKENS_PER_RUN, math.nan)
    # review S 1: a prefill-only run (--decode 0, the prefill node's) has no decode node's
    # energy or tokens in it; find-E3 1: the decode node's run (--prefix P-1) none of the prefill
    # node's: no energy over both nodes unless --prefill-run gives it
    energy = tokens / tpj if n_dec and tpj == tpj and tpj > 0 and (prefill is not None or not dnode) else math.nan
    notes = _colocated_note(kinds)
    if prefill is not None:  # find-E3 2: the prefill node made the first tokens: drop the 1-row passes
        passes = tp * float(r.serving.get(C.PREFILL_ENERGY_J, 0.0))
        energy = prefill.energy_j + energy - passes
        notes.append(prefill.note(passes, int((kinds == "prefill").sum()), send == recv))
    elif dnode:
        notes.append("--kv-link on the decode node's run (--prefix P-1): its TTFT is its 1-row admission "
                     "pass, not a first token, and it holds none of the prefill node's energy: "
                     "ttft_prefill_node_s, ttft_disagg_s, ttft2_disagg_s and disagg_tokens_per_j are n/a; "
                     "give --prefill-run PF.json (the prefill node's run --json of the workload with "
                     "--decode 0) for the placement's figures")
    total = energy + float(joules.sum())
    facts = {C.KV_LINK_BYTES_PER_S: link.uplink_bytes_per_s, C.KV_LINK_LATENCY_S: link.latency_s,
             C.KV_TOKEN_BYTES: per_token, C.KV_TRANSFER_BYTES: int(nbytes.sum()), C.KV_TRANSFER_S: float(own.mean()),
             C.KV_TRANSFER_J: float(joules.sum()), C.KV_TRANSFER_LINK_J: float(link_j.sum()),
             C.KV_TRANSFER_MEMORY_J: float(mem_j.sum()), C.KV_OVERLAP: overlap,
             C.TTFT_PREFILL_NODE_S: float(first.mean()), C.TTFT_DISAGG_S: float(done.mean()),
             C.TTFT_DISAGG_MAX_S: float(done.max()), C.TTFT2_DISAGG_S: float((done + tpot).mean()),
             C.TPOT_DECODE_ONLY_S: tpot, C.DISAGG_ENERGY_J: total,
             C.DISAGG_TOKENS_PER_J: tokens / total if total == total else math.nan}
    out = copy.copy(r)
    out.notes = list(r.notes) + notes
    out.facts = {**{k: v for k, v in r.facts.items() if k not in C.DISAGG_COLUMNS}, **facts}
    out.serving_requests = {**r.serving_requests,
                            C.REQUEST_KV_TRANSFER_BYTES: [int(b) for b in nbytes],
                            C.REQUEST_KV_TRANSFER_S: [float(x) for x in own],
                            C.REQUEST_KV_TRANSFER_J: [float(x) for x in joules],
                            C.REQUEST_TTFT_DISAGG_S: [float(x) for x in done],
                            C.REQUEST_TTFT2_DISAGG_S: [float(x) for x in done + tpot]}
    return out


def _memory_j_per_byte(arch) -> float:
    """The energy per byte of the KV cache's home level (the backing store, or the near tier
    beside a far one), as the engine charges a streamed byte there; 0 without ``arch``."""
    if arch is None:
        return 0.0
    from ..hw.homes import home_names

    return float(arch.hardware.resource(home_names(arch.memory.items())[0]).joules_per_byte())


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
    tpot, tpj, first = f[C.TPOT_DECODE_ONLY_S], f[C.DISAGG_TOKENS_PER_J], f[C.TTFT_PREFILL_NODE_S]
    how = ("layer by layer during the prefill, the last layer's share after it"
           if f[C.KV_OVERLAP] == "layer" else "the whole cache after the prefill, not layer-pipelined")
    if first == first:
        times = (f"first token {si(first, 's')} mean (from the prefill node); cache on the decode node "
                 f"{si(f[C.TTFT_DISAGG_S], 's')} mean, {si(f[C.TTFT_DISAGG_MAX_S], 's')} max ({how}, "
                 f"one request at a time); second token {si(f[C.TTFT2_DISAGG_S], 's')} mean; ")
    else:
        times = "first and second token n/a (the decode node's run: give --prefill-run); "
    if tpj == tpj:
        energy = (f"{tpj:,.4g} tokens/J over both nodes and the transfers "
                  f"({si(f[C.DISAGG_ENERGY_J], 'J')})")
    elif first == first:
        energy = ("tokens/J n/a (no decode step: the decode node's tokens and energy are not in this run; "
                  "take its run's, with --prefill-run)")
    else:
        energy = "tokens/J n/a (the prefill node's energy is not in this run: give --prefill-run)"
    return [("disaggregated", (
        f"{f[C.KV_TOKEN_BYTES]:,} B of KV a token (one device's), over a link of "
        f"{si(f[C.KV_LINK_BYTES_PER_S] * 8, 'b/s')} and {si(f[C.KV_LINK_LATENCY_S], 's')}: "
        f"{si(f[C.KV_TRANSFER_BYTES], 'B')} shipped for "
        f"{n:,} request{'s' if n != 1 else ''}, {si(f[C.KV_TRANSFER_S], 's')} a request on the link "
        f"alone (mean), {si(f[C.KV_TRANSFER_J], 'J')} in all (link {si(f[C.KV_TRANSFER_LINK_J], 'J')}, "
        f"both ends' memory {si(f[C.KV_TRANSFER_MEMORY_J], 'J')}); " + times +
        f"per output token {si(tpot, 's') if tpot == tpot else 'n/a (no decode-only step)'} over the "
        "decode-only steps; " + energy))]
