"""``run DECODE_CFG DN.npz --kv-link LINK --prefill-run PF.json`` (find-E3 2): a placement of
prefill and decode on two configs in one command. ``PF.json`` is the prefill node's ``run --json``
of the same workload with ``--decode 0`` (``DN.npz`` is it with ``--prefix P-1``, the decode
node's run). From ``PF.json`` come each request's first token (``request_ttft_s``), the window its
last prefill iteration took (``request_prefill_step_s``, for ``--kv-overlap layer``), the prefill
node's energy (``energy_j`` x its devices) and, where it was run with ``--kv-link``, the sender's
memory energy per byte (half its ``kv_transfer_memory_j``). The decode node's 1-row admission
passes (its ``prefill_energy_j`` x devices) are dropped from its energy: the prefill node made
and paid for those first tokens. ``PF.json`` must name its workload file, unchanged (its
``workload_sha256``), of the same shape (:data:`SHAPE`), requests and prompts, with ``--decode 0``
and not the decode node's ``--prefix P-1`` (a 1-row pass, review E3 1); else a one-line refusal
naming the file and the field. A partial prefix-cache hit there (``--prefix`` below P-1) is
taken as it is, with a note."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import columns as C
from .format import si
from ..errors import CimsimError

#: the workload parameters the prefill node's workload must share with the decode node's
SHAPE = ("layers", "hidden", "heads", "kv_heads", "head_dim", "ffn", "vocab", "gated", "tied", "dtype",
         "kv_dtype", "tensor_parallel", "pipeline_parallel", "requests", "attention")


@dataclass
class PrefillRun:
    """What the decode node's run takes from the prefill node's (module docstring)."""

    path: str
    ttft: np.ndarray
    window: np.ndarray
    energy_j: float
    send_j_per_byte: float | None
    prefix: int = 0  # the prefill node's --prefix (a partial prefix-cache hit there)

    def note(self, passes_j: float, passes: int, same_memory: bool) -> str:
        """The run note of a ``--prefill-run`` placement."""
        mem = ("the sender's memory read at this config's rate (rerun the prefill node with --kv-link "
               "for its own)" if same_memory and self.send_j_per_byte is None else
               "the sender's memory read at the prefill node's rate")
        return (f"--prefill-run {self.path}: first tokens and the prefill node's energy "
                f"({si(self.energy_j, 'J')}) from that run; this run's {passes:,} admission "
                f"pass{'es' if passes != 1 else ''} (1 row a request; {si(passes_j, 'J')}, prefill_energy_j x devices) "
                "dropped from the decode node's energy (the prefill node made those tokens); TPOT from "
                f"this run's decode-only steps; {mem}"
                + (f"; the prefill node's run has --prefix {self.prefix}: its first tokens and energy are "
                   f"those of a prefix-cache hit there ({self.prefix} tokens a request cached, the rest "
                   "computed), the transfer ships every prompt row" if self.prefix else ""))


def load_prefill_run(path: str | Path, workload) -> PrefillRun:
    """The prefill node's run of ``workload``'s requests (module docstring); one-line
    :class:`CimsimError` naming ``path`` and the field where it is not."""
    from ..inputs import read_input, sha256_hex
    from ..workload import load_workload

    from .disagg import _params, decode_node_run

    where = f"--prefill-run {path}"
    if not decode_node_run(_params(workload)):
        raise CimsimError(f"{where} goes with the decode node's run (a workload with --prefix P-1, P-1 "
                          f"cached tokens a request); workload '{workload.name}' is not one")
    try:
        j = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CimsimError(f"{where}: not a readable run --json file ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(j, dict) or not isinstance(j.get(C.REQUEST_TTFT_S), list):
        raise CimsimError(f"{where}: no {C.REQUEST_TTFT_S} list: give the prefill node's `cimsim run "
                          "CONFIG PF.npz --json` of an LLM serving workload")
    wpath, wsha = j.get(C.WORKLOAD_PATH), j.get(C.WORKLOAD_SHA256)
    if not isinstance(wpath, str) or not isinstance(wsha, str):
        raise CimsimError(f"{where}: names no workload file ({C.WORKLOAD_PATH}), so its shape cannot be "
                          "checked: run the prefill node on a workload file")
    try:
        data = read_input(wpath)
    except (OSError, CimsimError) as exc:
        raise CimsimError(f"{where}: its workload {wpath} cannot be read ({exc})") from None
    if sha256_hex(data) != wsha:
        raise CimsimError(f"{where}: its workload {wpath} changed since that run ({C.WORKLOAD_SHA256} "
                          "differs): rerun the prefill node")
    pf = load_workload(wpath)
    mine, theirs = workload.metadata.get("params") or {}, (pf.metadata or {}).get("params") or {}
    for k in SHAPE:
        if mine.get(k) != theirs.get(k):
            raise CimsimError(f"{where}: its workload {wpath} is not this one's prefill: {k} "
                              f"{theirs.get(k)!r} there, {mine.get(k)!r} here")
    n = len(j[C.REQUEST_TTFT_S])
    prompt = mine["prompt"] if isinstance(mine["prompt"], list) else [mine["prompt"]] * n
    theirs_p = theirs.get("prompt")
    theirs_p = theirs_p if isinstance(theirs_p, list) else [theirs_p] * n
    if list(theirs_p) != list(prompt) or len(prompt) != n:
        raise CimsimError(f"{where}: its workload {wpath} is not this one's prefill: prompt "
                          f"{theirs.get('prompt')!r} there ({n} requests), {mine.get('prompt')!r} here")
    dec = theirs.get("decode", 0)
    if any(int(d) != 0 for d in (dec if isinstance(dec, list) else [dec])):
        raise CimsimError(f"{where}: its workload {wpath} has decode {dec!r}: the prefill node's run is "
                          "the workload with --decode 0")
    pre = theirs.get("prefix", 0) or 0
    if decode_node_run(theirs):  # review E3 1: the decode node's workload with --decode 0, a 1-row pass
        raise CimsimError(f"{where}: its workload {wpath} is not this one's prefill: prefix {pre!r} there "
                          "(1 row a request computed); the prefill node computes all P rows: --prefix 0")
    ttft = np.asarray([np.nan if v is None else v for v in j[C.REQUEST_TTFT_S]], dtype=float)
    win = j.get(C.REQUEST_PREFILL_STEP_S)
    window = (np.asarray([np.nan if v is None else v for v in win], dtype=float)
              if isinstance(win, list) and len(win) == n else np.full(n, np.nan))
    energy = j.get(C.ENERGY)
    if not isinstance(energy, (int, float)) or not energy >= 0 or np.isnan(ttft).any():
        raise CimsimError(f"{where}: no {C.ENERGY} or a request without a first token: not a finished "
                          "prefill run")
    tp = int(theirs.get("tensor_parallel", 1) or 1)
    mem, nbytes = j.get(C.KV_TRANSFER_MEMORY_J), j.get(C.KV_TRANSFER_BYTES)
    send = (mem / 2 / (nbytes * tp) if isinstance(mem, (int, float)) and isinstance(nbytes, int) and nbytes > 0
            else None)
    return PrefillRun(str(path), ttft, window, float(energy) * tp, send, int(pre))
