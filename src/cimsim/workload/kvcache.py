"""Where a workload's KV caches are and how many of their bytes are resident per op: the
``kv_cache`` part of the footprint (:mod:`.footprint`, whose docstring states the rule: which
inputs are caches, which iterations hold which rows).

Split out of :mod:`.footprint` (which still re-exports these names) to keep each module under
600 lines; the footprint assembles its parts from :func:`kv_cache_mask` and
:func:`kv_cache_profile`.
"""

from __future__ import annotations

import numpy as np

from .kinds import COPY, ELEMENTWISE, MATMUL, ROLE_INPUT
from .resident import SCALES, is_resident_name, merged_models, resident_arguments, sent_inputs

def cache_roots(workload, roots: np.ndarray | None = None) -> np.ndarray:
    """int64 per tensor: the KV cache it is, or is a copy of that only scales or reshapes it,
    as a tensor id; -1 for any other tensor. The caches are the model inputs (role ``input``)
    and, in a traced workload (``metadata["capture"]``), only the resident ones
    (:func:`cimsim.workload.resident.is_resident_name`: a cache's name, or marked resident),
    never a split half's input sent over the link (:func:`~cimsim.workload.resident.sent_inputs`);
    the copies are :func:`input_roots`' (``roots``, computed when None)."""
    marked = resident_arguments(workload)  # checked even where every input is resident
    root = input_roots(workload) if roots is None else roots
    traced, sent = workload.metadata.get("capture") is not None, sent_inputs(workload)
    models = merged_models(workload)  # a merge: each model's own rule (its capture)
    if not traced and not sent and not any(models.values()):
        return root
    names = workload.columns.tensor_names

    def by_trace(name: str) -> bool:
        head = name.partition(".")[0]
        return traced if models.get(head) is None else bool(models[head])

    given = np.unique(root[root >= 0])
    keep = np.zeros(len(root), dtype=bool)
    keep[given] = [names[t] not in sent and (not by_trace(names[t]) or is_resident_name(names[t], marked, models))
                   for t in given.tolist()]
    return np.where((root >= 0) & keep[np.maximum(root, 0)], root, -1)


def input_roots(workload) -> np.ndarray:
    """int64 per tensor: the model input (role ``input``) it is, or is a copy of that only
    scales or reshapes it, as a tensor id; -1 for any other tensor. A copy is the output of an
    op with one input and one output that is a ``copy`` (a transpose, a contiguous or expanded
    copy) or an elementwise multiply or divide by a constant (eager attention's ``K *
    scale``), followed through chains of them."""
    c = workload.columns
    root = np.full(c.n_tensors, -1, dtype=np.int64)
    caches = np.flatnonzero(c.tensor_role == ROLE_INPUT)
    root[caches] = caches
    if c.n_ops == 0 or not len(caches):
        return root
    scale = np.array([f in SCALES for f in c.fn_vocab] + [False], dtype=bool)
    kind = c.kind
    passes = ((np.diff(c.in_ptr) == 1) & (np.diff(c.out_ptr) == 1)
              & ((kind == COPY) | ((kind == ELEMENTWISE) & scale[c.fn])))
    ops = np.flatnonzero(passes)
    src, dst = c.in_ids[c.in_ptr[ops]], c.out_ids[c.out_ptr[ops]]
    while True:  # one round per link of the longest chain (a handful)
        new = np.where(root[dst] < 0, root[src], root[dst])
        if (new == root[dst]).all():
            return root
        root[dst] = new


def kv_cache_mask(workload) -> np.ndarray:
    """Per tensor: a KV cache (:func:`cache_roots`) that a matmul reads as its B operand (its
    second input), itself or a copy of it, without holding it stationary (the K of
    ``q . K^T``, the V of ``p . V``); not one a matmul autograd ran reads (tag ``part:
    backward``: a weight gradient ``dY^T x`` reads the minibatch ``x``, no state that persists
    across iterations)."""
    c = workload.columns
    mask = np.zeros(c.n_tensors, dtype=bool)
    if c.n_ops == 0:
        return mask
    reads_kv = (c.kind == MATMUL) & (np.diff(c.in_ptr) >= 2)
    arrays = workload.arrays
    if arrays.backward is not None:  # a weight gradient (autograd's) reads this step's minibatch
        reads_kv &= ~arrays.backward
    two = np.flatnonzero(reads_kv)
    b = c.in_ids[c.in_ptr[two] + 1]
    root = arrays.cache_root[b]
    mask[root[(root >= 0) & (b != c.weight[two])]] = True
    return mask


def _iterations(workload) -> tuple[np.ndarray, list[str]]:
    """Per op: its iteration (serving steps from ``metadata["llm"]``, else all 0) and each
    iteration's kind."""
    n = workload.columns.n_ops
    llm = workload.metadata.get("llm")
    ends = llm.get("step_end_ops") if isinstance(llm, dict) else None
    if not ends:
        return np.zeros(n, dtype=np.int64), ["run"]
    ends = np.asarray(ends, dtype=np.int64)
    it = np.minimum(np.searchsorted(ends, np.arange(n, dtype=np.int64), side="left"), len(ends) - 1)
    kinds = list(llm.get("step_kind", ["decode"] * len(ends)))
    return it, kinds


def cache_appends(workload) -> np.ndarray:
    """Per tensor: an output no op reads of an op tagged ``store_bytes`` (a cache append)."""
    c = workload.columns
    out = np.zeros(c.n_tensors, dtype=bool)
    store = workload.arrays.store_bytes if c.n_ops else None
    if store is None:
        return out
    read = np.zeros(c.n_tensors, dtype=bool)
    read[c.in_ids] = True
    entry = store[workload._op_of_out] > 0
    out[c.out_ids[entry]] = True
    return out & ~read


def kv_cache_profile(workload, mask: np.ndarray, ops: np.ndarray | None = None,
                     nbytes: np.ndarray | None = None) -> np.ndarray:
    """Per op: bytes of the KV caches resident during its iteration (:mod:`.footprint`'s
    docstring, ``kv_cache``);
    ``ops``: the ops whose cache writes count (a pipeline stage's), default all; ``nbytes``:
    per tensor, the bytes a cache is held at (:func:`.footprint.footprint`), default its own (the rows a
    prefill writes then scale as the decode step's caches do)."""
    c = workload.columns
    n_ops = c.n_ops
    if n_ops == 0:
        return np.zeros(n_ops, dtype=np.int64)
    it, kinds = _iterations(workload)
    store = workload.arrays.store_bytes
    last = [s for s, k in enumerate(kinds)  # a prefill no decode step follows (--decode 0)
            if k == "prefill" and (s + 1 == len(kinds) or kinds[s + 1] != "decode")]
    if not mask.any() and (store is None or not last):
        return np.zeros(n_ops, dtype=np.int64)
    first = np.full(c.n_tensors, n_ops, dtype=np.int64)
    np.minimum.at(first, c.in_ids, workload._op_of_in)
    ids = np.flatnonzero(mask)
    per_it = np.zeros(len(kinds), dtype=np.int64)
    np.add.at(per_it, it[first[ids]], workload.tensor_nbytes[ids].astype(np.int64))
    own = per_it
    if nbytes is not None:
        per_it = np.zeros(len(kinds), dtype=np.int64)
        np.add.at(per_it, it[first[ids]], nbytes[ids].astype(np.int64))
    prof = per_it[it]
    leaving = _leaving_shares(workload, it, kinds) if store is not None else None
    if store is not None:  # a prefill no decode step follows (--decode 0, a prefill node)
        for s in last:  # holds the rows it writes, layer by layer, as one a decode step follows
            lo, hi = np.searchsorted(it, s, side="left"), np.searchsorted(it, s, side="right")
            st = np.rint(store[lo:hi]).astype(np.int64) * (1 if ops is None else ops[lo:hi])
            if own[s] and per_it[s] != own[s]:  # the rows held as its cached prefix is
                st = np.rint(st * (per_it[s] / own[s])).astype(np.int64)
            # no request runs beside it; a cached prefix's caches it reads hold all P rows
            prof[lo:hi] = np.maximum(per_it[s], np.cumsum(st))
    for s in range(len(kinds) - 1):
        if kinds[s] != "prefill" or kinds[s + 1] != "decode":
            continue
        lo, hi = np.searchsorted(it, s, side="left"), np.searchsorted(it, s, side="right")
        if store is None:  # the decode step's caches, all layers, all through the prefill
            prof[lo:hi] = max(per_it[s], per_it[s + 1])
            continue
        # the running requests' caches (the decode step's less the rows that step appends,
        # one a request and layer, and less what this prefill writes) and the new requests'
        # as the prefill writes them, layer by layer
        nxt = slice(hi, np.searchsorted(it, s + 1, side="right"))
        st, step = (np.rint(store[r]).astype(np.int64) for r in (slice(lo, hi), nxt))
        if ops is not None:
            st, step = st * ops[lo:hi], step * ops[nxt]
        if own[s + 1] and per_it[s + 1] != own[s + 1]:  # the rows held as the caches are
            st, step = (np.rint(x * (per_it[s + 1] / own[s + 1])).astype(np.int64) for x in (st, step))
        gone, pre = (np.rint(st * x[lo:hi]).astype(np.int64).sum() for x in leaving) if leaving else (0, 0)
        cum = np.cumsum(st)
        # a request that ends at this prefill (--decode 0 beside longer ones, find-G2 2) holds
        # the rows it writes (and its cached prefix) to the prefill's end, in no decode step:
        # only the rows of the requests that go on come off the next step's caches
        prof[lo:hi] = np.maximum(per_it[s], max(int(per_it[s + 1] - step.sum() - (cum[-1] - gone)), 0)
                                 + pre + cum)
    return prof


def _leaving_shares(workload, it: np.ndarray, kinds: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """``(gone, prefix)`` per op of a prefill a decode step follows, as shares of its
    ``store_bytes``: the rows it writes for the requests that end at that prefill (computed for
    no decode step: ``--decode 0`` beside longer requests under continuous batching), and those
    requests' cached prefix rows (``--prefix``), held with them; None when no such request is in
    the run or the generator's ``params`` (prompt, decode, batch, batching) are not there. A
    request's rows in an op are its prompt rows past the prefix (the self-attention's K and V),
    or one image's tokens each (a cross-attention's K and V, tag ``part: cross_kv_proj``)."""
    from .llm_schedule import computed_decode

    meta = workload.metadata
    p, llm = meta.get("params"), meta.get("llm")
    try:
        dec = computed_decode([int(d) for d in p["decode"]], int(p["batch"]), str(p["batching"]))
        text, firsts = [int(x) for x in p["prompt"]], [int(x) for x in llm["first_token_ops"]]
        ends, prefix = np.asarray(llm["step_end_ops"], dtype=np.int64), int(p.get("prefix", 0) or 0)
    except (TypeError, KeyError, ValueError):
        return None
    if 0 not in dec or len(dec) != len(text) or len(firsts) != len(dec):
        return None
    c = workload.columns
    from .arrays import _json_tag

    cross = np.isin(_json_tag(c.tags, "part", c.n_ops), ("cross_kv_proj",))
    img = 0 if cross.any() else int(p.get("image_tokens", 0) or 0)  # image tokens in the prompt rows
    gone, pre = np.zeros(c.n_ops), np.zeros(c.n_ops)
    step = np.searchsorted(ends, firsts)  # each request's prefill
    for s in sorted(set(step.tolist())):
        if s + 1 >= len(kinds) or kinds[s] != "prefill" or kinds[s + 1] != "decode":
            continue
        reqs = [r for r in range(len(dec)) if step[r] == s]
        out = [r for r in reqs if dec[r] == 0]
        if not out:
            continue
        rows = {r: text[r] + img - prefix for r in reqs}
        ops = it == s
        gone[ops & ~cross] = sum(rows[r] for r in out) / sum(rows.values())
        gone[ops & cross] = len(out) / len(reqs)
        pre[ops & ~cross] = prefix * len(out) / sum(rows.values())
    return (gone, pre) if gone.any() else None


def peak_kv_cache_bytes(workload) -> int:
    """Most bytes of KV caches resident at once over the run (:func:`kv_cache_profile`)."""
    kv = kv_cache_profile(workload, kv_cache_mask(workload))
    return int(kv.max()) if len(kv) else 0
