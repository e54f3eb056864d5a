"""Placement rule 1's refusal: the bytes live at once over the backing store's capacity, split
into weights, KV cache and activations, the op at the peak and its largest live tensors, and
what would bring them within it:

- unfused attention's score tensors most of the activations: ``--attention-kernel fused``;
- a host's im2col matrices (an ungrouped convolution's copy, tag ``part: im2col``): this model
  forms them on a CPU or GPU, where cuDNN's and oneDNN's implicit-GEMM kernels form none; the
  refusal says their bytes at the peak and the bytes live without them (find-U 3);
- an LLM serving run (``metadata["llm"]``): ``--weight-dtype int8 / int4`` and ``--kv-dtype
  int8 / int4``, only the formats that alone fit (else the mildest pair that does), with the
  bytes each would hold, ``--tensor-parallel N`` (the smallest N the generator accepts whose
  share would fit by the estimate, key/value heads replicated past kv_heads), and, with
  ``--prefix``, the shared prefix counted once per request, a pipeline stage's layers only
  (find-P 4; review 23 C 2-C 4);
- a far host tier (``memory.LEVEL.far``, hierarchy rule 9) where the architecture has none.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..config import Architecture
from ..dtypes import DTYPE_BYTES
from ..errors import CapacityError
from ..units import capacity_text, si
from ..workload.footprint import Footprint, attention_score_bytes, checked_footprint, untied_table_bytes
from ..workload.ir import Workload
from ..workload.livespans import peak_holders
from ..workload.llm_options import _splits


def _scores_hint(workload: Workload, fp, host: int, capacity: int) -> str:
    """Where unfused attention's score and probability tensors are most of the activations at
    the peak (:func:`~cimsim.workload.footprint.attention_score_bytes`): their bytes, and that a
    fused kernel keeps them on chip where that alone brings the ``host`` bytes within
    ``capacity``, else which share of the bytes over they are; '' where they are not most."""
    scores = attention_score_bytes(workload, fp.op)
    if scores * 2 <= fp.activations:
        return ""
    what = "the attention's score and probability tensors (H x tokens x keys each, unfused attention)"
    if host - scores <= capacity:
        return (f"; {si(scores, 'B', 6)} of the activations are {what}: generated with "
                "--attention-kernel fused (FlashAttention) they stay on chip")
    return (f"; {si(scores, 'B', 6)} of the {si(host - capacity, 'B', 6)} over are {what}: "
            "--attention-kernel fused keeps them on chip, but the rest does not fit either")


def _im2col_hint(workload: Workload, fp: Footprint, host: int, apart: bool) -> str:
    """Where im2col matrices the model forms (an ungrouped convolution's copy, not folded by
    input reuse nor a depthwise direct kernel) are live at the peak: their bytes there and the
    bytes live without any of them, which a GPU's or CPU's implicit-GEMM convolution (cuDNN,
    oneDNN) never forms; '' where none is live at the peak."""
    ops = workload.arrays
    win = getattr(ops, "window_elems", None)
    if win is None or ops.im2col is None or not ops.im2col.any() or fp.op is None:
        return ""
    conv = win > 0
    if ops.depthwise is not None:
        conv = conv & ~ops.depthwise
    pairs = ops.copy_pairs(conv)
    done = fp.folded if fp.folded is not None else (np.zeros(0, dtype=np.int64),) * 3
    new = ~np.isin(pairs[2], done[2])
    if not new.any():
        return ""
    folded = tuple(np.concatenate([d, p[new]]) for d, p in zip(done, pairs))
    without = checked_footprint(workload, apart, folded=folded)
    less = host - (without.total - (without.kv_cache if apart else 0))
    if less <= 0:
        return ""
    return (f"; these bytes include im2col matrices (ops tagged part: im2col) that this model forms "
            "on the host and cuDNN's and oneDNN's implicit-GEMM convolutions never form: without "
            f"them (each convolution reading its input) the peak is {si(host - less, 'B', 6)}, "
            f"{si(less, 'B', 6)} less (README, Memory capacity)")


def _dtype_hints(p: dict, fp: Footprint, host: int, capacity: int) -> list[str]:
    """``--weight-dtype`` / ``--kv-dtype`` int8 / int4: each format that alone brings ``host``
    within ``capacity`` (``host - part + part x new / old``), with the bytes it would hold; where
    none does alone, the mildest pair of both that does; [] where nothing does (review 23 C 3)."""
    saved: dict[tuple[str, str], float] = {}
    out = []
    for opt, what, part, dt in (("--weight-dtype", "weights", fp.weights, p.get("weight_dtype", p["dtype"])),
                                ("--kv-dtype", "KV cache", fp.kv_cache, p.get("kv_dtype", p["dtype"]))):
        now = DTYPE_BYTES.get(dt, 0)
        for to in ("int8", "int4"):
            if part and now > DTYPE_BYTES[to]:
                saved[opt, to] = part * (1 - DTYPE_BYTES[to] / now)
        fits = [to for to in ("int8", "int4") if (opt, to) in saved and host - saved[opt, to] <= capacity]
        if fits:
            shown = ", ".join(f"{to} {si(part - saved[opt, to], 'B', 4)} (peak "
                              f"{si(host - saved[opt, to], 'B', 4)})" for to in fits)
            out.append(f"{opt} {' / '.join(fits)} ({what} {si(part, 'B', 4)} -> {shown}; fits on its own)")
    if out:
        return out
    for w, k in (("int8", "int8"), ("int8", "int4"), ("int4", "int8"), ("int4", "int4")):
        if ("--weight-dtype", w) in saved and ("--kv-dtype", k) in saved:
            left = host - saved["--weight-dtype", w] - saved["--kv-dtype", k]
            if left <= capacity:
                return [f"--weight-dtype {w} with --kv-dtype {k} (together; neither alone fits: "
                        f"peak {si(left, 'B', 4)})"]
    return []


def _tp_hint(p: dict, fp: Footprint, capacity: int) -> list[str]:
    """``--tensor-parallel N``: the smallest N above the run's that the generator accepts (N
    divides the query heads and FFN width, and the key/value heads or is a multiple of them,
    :func:`~cimsim.workload.llm_options._splits`) whose device share fits by the estimate
    weights x tp / N + KV cache x kv_now / max(kv_heads // N, 1) (past kv_heads each device
    keeps one key/value head, replicated, as :func:`~cimsim.workload.llm.shard` builds it) +
    the activations counted whole (an upper bound); [] where none does (review 23 C 4)."""
    if not all(k in p for k in ("heads", "kv_heads", "ffn")):
        return []
    tp = int(p.get("tensor_parallel", 1) or 1)
    full = SimpleNamespace(heads=int(p["heads"]), kv_heads=int(p["kv_heads"]), ffn=int(p["ffn"]))
    kv_now = max(full.kv_heads // tp, 1)
    for n in range(tp + 1, full.heads + 1):
        if not _splits(full, n):
            continue
        kv_n = max(full.kv_heads // n, 1)
        w, kv = fp.weights * tp / n, fp.kv_cache * kv_n / kv_now
        if w + kv + fp.activations <= capacity:
            return [f"--tensor-parallel {n} (each device about {si(w, 'B', 4)} of weights and "
                    f"{si(kv, 'B', 4)} of KV cache, {kv_n} of the {full.kv_heads} key/value heads"
                    f"{' (replicated past kv_heads)' if n > full.kv_heads else ''}, with the "
                    f"activations counted whole {si(w + kv + fp.activations, 'B', 4)}; the smallest "
                    f"N dividing the {full.heads} heads that fits; a collective: section joins them)"]
    return []


def _llm_hints(workload: Workload, fp: Footprint, host: int, capacity: int) -> list[str]:
    """What an LLM serving run could change to fit (module docstring); [] for other workloads."""
    p = workload.metadata.get("params") if isinstance(workload.metadata.get("llm"), dict) else None
    if not isinstance(p, dict) or "dtype" not in p:
        return []
    return _dtype_hints(p, fp, host, capacity) + _tp_hint(p, fp, capacity)


def _prefix_note(workload: Workload, fp: Footprint) -> str:
    """With ``--prefix N`` and several requests live: the bytes of the prefix's K/V rows counted
    once per request beyond the first (the generator gives each its own copy), '' otherwise."""
    p = workload.metadata.get("params") if isinstance(workload.metadata.get("llm"), dict) else None
    if not isinstance(p, dict) or not p.get("prefix") or not fp.kv_cache:
        return ""
    live = min(int(p.get("batch", 1)), int(p.get("requests") or p.get("batch", 1)))
    if live < 2:
        return ""
    kv = max(int(p["kv_heads"]) // int(p.get("tensor_parallel", 1) or 1), 1)
    layers = int(p["layers"]) // (fp.stages if fp.stage is not None else 1)  # a stage's own (review 23 C 2)
    per_token = 2 * layers * kv * int(p["head_dim"]) * DTYPE_BYTES[p.get("kv_dtype", p["dtype"])]
    extra = (live - 1) * int(p["prefix"]) * per_token
    return (f"; of the KV cache, {si(extra, 'B', 6)} is the {int(p['prefix']):,}-token prefix "
            f"counted once per request ({live} requests, each its own copy, as the generator "
            "builds it; a server sharing the prefix's blocks, vLLM's prefix caching, holds it once)")


def check_capacity(workload: Workload, arch: Architecture, fp: Footprint, capacity: int,
                   held_by: str, device) -> None:
    """Rule 1: refuse ``fp`` (the bytes live at once) over the backing store's ``capacity``
    (or, KV caches in a PIM ``device`` of their own, over that device's)."""
    apart = device is not None
    if apart and fp.kv_cache > device[1]:
        raise CapacityError(
            f"workload '{workload.name}' needs {si(fp.kv_cache, 'B', 6)} of KV cache at "
            f"its peak in {device[0]}: {si(device[1], 'B', 6)}, in architecture '{arch.name}'")
    host = fp.total - (fp.kv_cache if apart else 0)
    if host <= capacity:
        return
    train = (f", optimizer state {si(fp.optimizer_state, 'B', 6)}" if fp.optimizer_state else "") + \
        (f", master weights {si(fp.master_weights, 'B', 6)}" if fp.master_weights else "")
    table = untied_table_bytes(workload)  # a generated LLM's: its unread part
    unread = (f" ({si(fp.unread, 'B', 6)} of them "
              f"{'the untied input embedding table' if table == fp.unread else 'never read by the trace'})"
              if fp.unread else "")
    parts = (f"weights {si(fp.weights, 'B', 6)}{unread}{train}, activations "
             f"{si(fp.activations, 'B', 6)}; its KV cache, {si(fp.kv_cache, 'B', 6)}, lies in the "
             "PIM device" if apart else
             f"weights {si(fp.weights, 'B', 6)}{unread}{train}, KV cache {si(fp.kv_cache, 'B', 6)}, "
             f"activations {si(fp.activations, 'B', 6)}")
    fixes = _llm_hints(workload, fp, host, capacity)
    if " + " not in held_by and not apart and all(c.reads_far_tier for c in arch.instances):
        fixes.append(f"a far host tier holding the {si(host - capacity, 'B', 4)} over "
                     "(memory.LEVEL with far: true after the backing store, hierarchy rule 9)")
    raise CapacityError(
        f"workload '{workload.name}' needs {si(host, 'B', 6)} live at once"
        f"{'' if fp.stage is None else f' on pipeline stage {fp.stage} of {fp.stages} (one device each)'}"
        f" ({parts}) but architecture '{arch.name}' has {held_by} "
        f"{capacity_text(capacity, 6)}{_prefix_note(workload, fp)}{peak_holders(workload, fp)}"
        f"{_scores_hint(workload, fp, host, capacity)}{_im2col_hint(workload, fp, host, apart)}"
        + (f"; to fit: {'; '.join(fixes)}" if fixes else ""))


def check_read_only_held(arch: Architecture, workload: Workload, folded: tuple = ()) -> None:
    """A ``read_only: true`` backing store (an MCU's NOR flash) holds the weights and the model
    inputs, never a tensor a run makes: refuse a run whose made activations live at once (model
    inputs, KV caches and optimizer state aside; ``folded``: the im2col matrices never formed)
    exceed the largest writable level inside it (the hierarchy is inclusive), even where none of its ops spills one (an op's
    inputs and outputs fitting the SRAM alone, a model output the host holds: hierarchy rule 2,
    offchip rule 8), naming the bytes, the op at the peak and its largest live tensors (find-D 2:
    a ResNet-18 edge half sending an 802.8 kB activation ran on a 640 KiB MCU moving 0 B through
    its SRAM). Where a level spilled into it, :func:`~cimsim.hw.idle.check_read_only` has
    refused the run first. A pipelined workload (one device a stage) is not checked here."""
    from ..workload.footprint import activation_rules, live_activation_profile
    from ..workload.kinds import ROLE_INPUT
    from ..workload.livespans import spans

    hw = arch.hardware
    levels = list(hw.memory)
    back = levels[-1] if levels else None
    cfg = hw.memory.get(back) if back is not None else None
    if (cfg is None or not getattr(cfg, "read_only", False) or len(levels) < 2
            or getattr(cfg, "far", False) or len(workload.ops) == 0 or _pipelined(workload)):
        return
    inner = levels[:-1]
    # the hierarchy is inclusive (an outer level holds copies of what the inner ones hold): the
    # room is the largest inner level, not their sum (review P 2)
    writable = max(int(hw.memory[n].capacity) for n in inner)
    skip, appends = activation_rules(workload)
    skip = skip | (workload.columns.tensor_role == ROLE_INPUT)
    folded = folded if folded and len(folded[0]) else None
    live = live_activation_profile(workload, skip, appends, folded)
    if not len(live) or int(live.max()) <= writable:
        return
    op = int(np.argmax(live))
    start, end, keep = spans(workload, skip, appends, folded)
    at = np.flatnonzero(keep & (start <= op) & (end >= op))
    nb = workload.tensor_nbytes
    top = at[np.argsort(-nb[at], kind="stable")][:3]
    names = workload.columns.tensor_names
    held = ", ".join(f"{n} {capacity_text(hw.memory[n].capacity)}" for n in inner)
    raise CapacityError(
        f"architecture '{arch.name}': memory.{back} is read_only, but workload '{workload.name}' "
        f"holds {si(float(live[op]), 'B')} of activations it makes live at once (model inputs, "
        f"which start in memory.{back}, aside) and the writable levels inside it hold "
        f"{held}{'' if len(inner) == 1 else f' (inclusive: {si(float(writable), chr(66))}, the largest)'}: at op '{workload.ops[op].name}' the largest are "
        + ", ".join(f"{names[t]} {si(float(nb[t]), 'B')}" for t in top)
        + " (a model output the host holds, or an activation waiting for its reader, has nowhere "
        f"to be); add a writable level before {back} (volatile: true, e.g. a PSRAM), enlarge the "
        f"inner ones, or shrink the batch or the model")


def _pipelined(workload: Workload) -> bool:
    """Whether ``workload`` is pipelined over devices (its footprint is per stage)."""
    from ..workload.footprint import pipeline_of

    return pipeline_of(workload) is not None
