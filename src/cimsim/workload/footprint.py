"""Bytes a workload holds in memory at once: weights, KV caches, activations (and a training
step's optimizer state and master weights).

The placement stage refuses a workload whose footprint exceeds the backing store's capacity
(:func:`cimsim.mapping.placement.place`). Its parts, each live over its own span:

``weights``
    every stationary parameter (role ``weight``), resident for the whole run, each element
    once (a weight matmuls read through overlapping views, a tensor per read, counts the union
    of its reads: ``metadata["overlapping_weight_reads"]``, :func:`overlap_excess`), and every
    parameter a traced forward never read (``metadata["unread_parameters"]``: an expert no
    token chose, an untaken branch's layer): the model holds them all the same, so a mixture
    of experts whose unrouted experts do not fit is refused like any other (``unread``: their
    bytes, part of ``weights``).
``kv_cache``
    state that persists across iterations: a model input (role ``input``) that a matmul reads
    as its B operand without holding it stationary (the K and V caches an attention reads in
    place; the ops that read them are those PIM units with ``claims: [kv_cache]`` claim),
    directly or through copies that only scale or reshape it (:func:`cache_roots`: eager
    attention's ``K * scale``, a transposed or contiguous copy); in a traced workload only an
    input the model was given as a cache (its forward argument's name says so:
    ``past_key_values``, ``layer_past``, ``cache``: :data:`cimsim.workload.resident.CACHE_INPUT`)
    or marked resident (``cimsim trace --resident NAME``: a database passed to ``forward``),
    not a plain input that an attention reads as its K. A serving run gives each
    decode step its caches as new input tensors (one per request and layer, at the step's
    length), so the caches resident during an iteration are all those its ops read, every
    layer's at once, for the whole iteration. Iterations are the ``metadata["llm"]``
    ``step_end_ops`` of a serving workload, else the whole workload is one. A prefill reads
    no cache: the running requests' caches persist through it and the new requests' fill as
    it runs. Where its ops state the cache rows they write (tag ``store_bytes``, as
    ``cimsim workload llm`` writes it), an op of the prefill is charged the caches of the
    decode step after it less the rows that step appends (its own ``store_bytes``: one row a
    request and layer) and less all the prefill writes (the running requests' caches as they
    stand) plus what the prefill has written up to and including that op; without the tag (a
    traced serving run), the decode step's caches, all layers, all through the prefill (an
    upper bound). A prefill no decode step follows (``--decode 0``: a prefill node's run) holds
    the rows it writes as it writes them, its requests' whole caches at its end, as one a decode
    step follows does. A request that ends at a prefill a decode step follows (``--decode 0``
    beside longer requests under continuous batching) holds the rows it writes, and its cached
    prefix, to that prefill's end: only the rows of the requests that go on come off the decode
    step's caches (:mod:`.kvcache`; find-G2 2).
``activations``
    every other input and activation, live from the first op that touches it (a model input:
    from the first op of its iteration, as it is in memory before the iteration starts, on its
    first reader's pipeline stage under pipeline parallelism; a
    traced decode step's caches, read by a concatenation rather than a matmul, are all live at
    its first op) through the last that reads it (a model output to the end: one no op reads,
    or one the model returns, ``metadata["outputs"]``, :mod:`.returned`, as a later op may read
    it too), the ops running one after another in program order; each op's inputs and outputs are live together while it runs. A depthwise
    convolution's im2col matrix (:meth:`~cimsim.workload.oparrays.OpArrays.direct_depthwise_pairs`)
    is not counted, as a processor's direct kernel never forms it (the footprint is the
    workload's, whatever runs the convolution: a TPU whose host writes the matrix for it, as
    tpu-like does, has it in its traffic, not here); the copy's input is live through the
    convolution, which reads it. Nor, in the placement's count, is the matrix of a
    convolution whose unit builds the windows from the raw input (input reuse on a flat CIM
    pool or a systolic array: placement rule 4a), which no one forms; nor a transposed
    convolution's partial sums, the col2im's input, which a real kernel accumulates into the
    output (:mod:`.livespans`: the input stays live through the col2im). The outputs
    of ops tagged ``on_chip`` (a fused kernel's intermediates: FlashAttention's scores) take
    no memory level and are not counted. Where KV
    caches are found, an output no op reads of an op that stores bytes in the backing store
    (tag ``store_bytes``: the K and V rows a decode step appends) is those rows of the cache,
    counted with it (the cache a step reads includes the step's own row); it is live only
    while its op runs, not to the end of the run as a model output would be.

``optimizer_state``
    a traced training step's optimizer state (``metadata["optimizer_state"]``: Adam's
    ``exp_avg`` and ``exp_avg_sq``, twice the fp32 weights' bytes, and its ``step`` counts; a
    momentum buffer), resident for the whole run like the weights. The tensors that hold it
    (each entry's ``tensors``: the state read at the start, its versions written in place) are
    no activations.
``master_weights``
    a traced training step that read its parameters at another dtype (autocast's bf16 copies:
    those are the weights): the parameters at their own dtype (``metadata["master_weights"]``,
    the fp32 master copy the gradients update), resident for the whole run.

The footprint is the largest of ``kv_cache + activations`` over the ops, plus the weights, the
optimizer state and the master weights: the parts are reported at that op (:class:`Footprint`).

A pipeline-parallel serving run (``metadata["llm"]["pipeline"]``: p stages, m micro-batches;
the workload is one micro-batch) runs each stage on its own device: the footprint is the
largest stage's, each stage holding the weights its ops read (a parameter read in part, an
untied embedding table, on the stage of the first op that reads its part, a weight tensor
``<name>[part]``; parameters no op reads belong to no stage: they are counted on the largest,
an upper bound), the caches they read of all m
micro-batches, and the activations live while its ops run (one micro-batch at a time). An
op's stage is the number of send/recv ops before it in its iteration (the stage boundaries;
the last, the token return, belongs to the last stage).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import WorkloadError
from .kinds import ROLE_WEIGHT, SENDRECV
from .kvcache import (  # noqa: F401  (the KV cache part, split out: importable from here too)
    _iterations, cache_appends, cache_roots, input_roots, kv_cache_mask, kv_cache_profile,
    peak_kv_cache_bytes)
from .returned import listed, returned_mask


#: a served weight tensor's name: an iteration's prefix (``it3.decode.sb1.r0.``, none for a
#: weight shared by every iteration), the parameter, and which read of it (``[part]``, ``[2]``)
PART_READ = re.compile(r"^(?:it\d+\.(?:prefill|decode)(?:\.sb\d+)?(?:\.r\d+)?\.)?(.+)\[[^\[\]]*\]$")


@dataclass(frozen=True)
class Footprint:
    """Bytes live at once at the workload's peak (the op where ``kv_cache + activations`` is
    largest)."""

    weights: int
    kv_cache: int
    activations: int
    stage: int | None = None  # the pipeline stage (device) it is for, None when one device
    stages: int = 1
    optimizer_state: int = 0  # a training step's optimizer state (module docstring)
    master_weights: int = 0  # a mixed-precision training step's master weights
    unread: int = 0  # of ``weights``: parameters the traced forward never read (module docstring)
    op: int | None = field(default=None, compare=False)  # the op at the peak (None: no ops)
    #: the most bytes of KV cache resident at once over the run (one device's: a pipeline
    #: stage's, the largest), wherever the peak is: the prefill peak holds the prompt's rows
    #: only, the cache grows to P + D tokens by the last step
    kv_cache_peak: int = field(default=0, compare=False)
    #: ``(conv, copy, cols)``: the im2col matrices it counts as never formed (rule 4a), for
    #: :func:`~cimsim.workload.livespans.peak_holders` to name what it counts; None: none
    folded: tuple | None = field(default=None, compare=False, repr=False)

    @property
    def total(self) -> int:
        return (self.weights + self.kv_cache + self.activations + self.optimizer_state
                + self.master_weights)


def _training_part(workload, key: str) -> object:
    """``metadata[key]`` of a traced training step, checked: a malformed one is a one-line
    :class:`WorkloadError`."""
    part = workload.metadata.get(key)
    if part is None:
        return None
    entry = ("a list of {name, bytes, tensors: [tensor names]}" if key == "optimizer_state"
             else "{bytes: N}")
    items = part if isinstance(part, list) else [part]
    if not isinstance(part, list if key == "optimizer_state" else dict) or not all(
            isinstance(e, dict) and isinstance(e.get("bytes"), int) and not isinstance(e["bytes"], bool)
            and e["bytes"] >= 0 and all(isinstance(n, str) for n in e.get("tensors", []))
            and isinstance(e.get("tensors", []), list) for e in items):
        raise WorkloadError(f"workload '{workload.name}': metadata {key} must be {entry} "
                            "(bytes an integer >= 0)")
    return part


def optimizer_state_bytes(workload) -> int:
    """Bytes of a traced training step's optimizer state (0 when it has none)."""
    return sum(e["bytes"] for e in _training_part(workload, "optimizer_state") or [])


def master_weight_bytes(workload) -> int:
    """Bytes of a mixed-precision training step's master weights (0 when it has none)."""
    part = _training_part(workload, "master_weights")
    return part["bytes"] if part else 0


def unread_weight_bytes(workload) -> int:
    """Bytes of the parameters a traced forward never read (``metadata["unread_parameters"]``:
    :mod:`cimsim.workload.trace.unread`), 0 when none; a malformed entry is a one-line
    :class:`WorkloadError`."""
    part = workload.metadata.get("unread_parameters")
    if part is None:
        return 0
    if not isinstance(part, list) or not all(
            isinstance(e, dict) and type(e.get("bytes")) is int and e["bytes"] >= 0 for e in part):
        raise WorkloadError(f"workload '{workload.name}': metadata unread_parameters must be a list "
                            "of {name, shape, dtype, bytes} (bytes an integer >= 0)")
    return sum(e["bytes"] for e in part)


def untied_table_bytes(workload) -> int:
    """Bytes of the ``unread_parameters`` entries that are a generated LLM's untied input
    embedding table (``untied_table``: :func:`cimsim.workload.llm_hf.untied_table`), 0 if none."""
    unread_weight_bytes(workload)  # the entries checked
    return sum(e["bytes"] for e in workload.metadata.get("unread_parameters") or []
               if e.get("untied_table") is True)


def overlapping_weight_reads(workload) -> list[tuple[np.ndarray, int, int]]:
    """Per ``metadata["overlapping_weight_reads"]`` entry (a weight a matmul reads through
    overlapping views, one tensor per distinct read: :func:`cimsim.workload.trace.assemble.
    overlapping_weights`): ``(its tensors' ids, bytes they count, union bytes)``; a malformed
    entry, or one naming a tensor the workload lacks, is a one-line :class:`WorkloadError`."""
    part = workload.metadata.get("overlapping_weight_reads")
    if not part:
        return []
    names = workload.columns.tensor_names
    ok = isinstance(part, list) and all(
        isinstance(e, dict) and isinstance(e.get("tensors"), list) and e["tensors"]
        and all(isinstance(n, str) and n in names for n in e["tensors"])
        and type(e.get("bytes")) is int and type(e.get("union_bytes")) is int
        and 0 <= e["union_bytes"] <= e["bytes"] for e in part)
    if not ok:
        raise WorkloadError(f"workload '{workload.name}': metadata overlapping_weight_reads must be a "
                            "list of {name, tensors: [tensor names of this workload], bytes, "
                            "union_bytes} (integers, 0 <= union_bytes <= bytes)")
    return [(np.array([names.index(n) for n in e["tensors"]], dtype=np.int64), e["bytes"],
             e["union_bytes"]) for e in part]


def overlap_excess(workload, nbytes=None, among: np.ndarray | None = None) -> int:
    """Bytes the weight tensors count more than once (:func:`overlapping_weight_reads`: the
    tensors' bytes less their union's), at the bytes each tensor is held at (``nbytes``, default
    its own); with ``among`` (bool per tensor: a pipeline stage's) only entries all of whose
    tensors it holds (a stage holding some of them counts them whole, an upper bound)."""
    nb = workload.tensor_nbytes if nbytes is None else nbytes
    out = 0
    for ids, counted, union in overlapping_weight_reads(workload):
        if among is not None and not among[ids].all():
            continue
        held = int(np.asarray(nb)[ids].sum())
        out += held - held * union // counted if counted else 0
    return out


def _resident(workload, nbytes=None) -> tuple[int, dict]:
    """``(weights, parts)``: the bytes of every stationary parameter (those the ops read and
    those a traced forward never read; ``nbytes``: per tensor, the bytes it is held at, default
    its own) and the :class:`Footprint` fields resident for the whole run beside them
    (optimizer state, master weights, ``unread``: the never-read share)."""
    unread = unread_weight_bytes(workload)
    weights = int(workload.weight_bytes) if nbytes is None else int(
        nbytes[workload.columns.tensor_role == ROLE_WEIGHT].sum()) - overlap_excess(workload, nbytes)
    return weights + unread, {
        "optimizer_state": optimizer_state_bytes(workload),
        "master_weights": master_weight_bytes(workload), "unread": unread}


def optimizer_state_mask(workload) -> np.ndarray:
    """Per tensor: one that holds optimizer state (``metadata["optimizer_state"]`` tensors)."""
    names = {n for e in _training_part(workload, "optimizer_state") or [] for n in e.get("tensors", [])}
    if not names:
        return np.zeros(workload.columns.n_tensors, dtype=bool)
    return np.array([n in names for n in workload.columns.tensor_names.tolist()], dtype=bool)


def live_activation_profile(workload, skip: np.ndarray, appends: np.ndarray | None = None,
                            folded: tuple | None = None) -> np.ndarray:
    """Per op: bytes of non-weight tensors (``skip`` left out) live while it runs;
    ``appends``: unread outputs live only while their op runs; ``folded``: ``(conv, copy,
    cols)``, further im2col matrices never formed, as a depthwise conv's (placement rule 4a:
    a unit that builds the windows from the raw input). Each tensor's span:
    :func:`.livespans.spans` (a transposed convolution's partial sums are not held)."""
    from .livespans import spans

    n_ops = workload.columns.n_ops
    start, end, keep = spans(workload, skip, appends, folded)
    if start is None:
        return np.zeros(n_ops, dtype=np.int64)
    nb = workload.tensor_nbytes.astype(np.int64)
    delta = np.zeros(n_ops + 1, dtype=np.int64)
    np.add.at(delta, start[keep], nb[keep])
    np.add.at(delta, end[keep] + 1, -nb[keep])
    return np.cumsum(delta)[:n_ops]


def pipeline_of(workload) -> tuple[int, int] | None:
    """``(stages, micro_batches)`` of a pipeline-parallel serving run, None for any other; a
    malformed ``metadata["llm"]["pipeline"]`` is a one-line :class:`WorkloadError`."""
    llm = workload.metadata.get("llm")
    pipe = llm.get("pipeline") if isinstance(llm, dict) else None
    if pipe is None:
        return None
    ok = (isinstance(pipe, dict) and isinstance(llm.get("step_end_ops"), list) and llm["step_end_ops"]
          and all(isinstance(pipe.get(k), int) and not isinstance(pipe.get(k), bool) and pipe[k] >= 1
                  for k in ("stages", "micro_batches")))
    if not ok:
        raise WorkloadError(f"workload '{workload.name}': metadata llm.pipeline must be "
                            "{stages: N, micro_batches: M} (integers >= 1) with llm.step_end_ops")
    return pipe["stages"], pipe["micro_batches"]


def pipeline_stage_of_ops(workload, stages: int) -> np.ndarray:
    """Per op: its pipeline stage (module docstring)."""
    c = workload.columns
    n = c.n_ops
    ends = np.asarray(workload.metadata["llm"]["step_end_ops"], dtype=np.int64)
    it = np.minimum(np.searchsorted(ends, np.arange(n, dtype=np.int64), side="left"), len(ends) - 1)
    sr = (c.kind == SENDRECV).astype(np.int64)
    before = np.cumsum(sr) - sr  # send/recv ops before each op
    first = np.concatenate([[0], ends[:-1] + 1])  # each iteration's first op
    return np.minimum(before - before[first][it], stages - 1)


def activation_rules(workload, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """``(skip, appends)`` as the footprint counts activations: the KV caches (``mask``, default
    :func:`kv_cache_mask`) and optimizer state left out, a decode step's appended rows live
    only while their op runs (:func:`live_activation_profile`)."""
    mask = kv_cache_mask(workload) if mask is None else mask
    return mask | optimizer_state_mask(workload), cache_appends(workload) if mask.any() else None


def footprint(workload, nbytes: np.ndarray | None = None, folded: tuple | None = None) -> Footprint:
    """The workload's :class:`Footprint` (module docstring); ``nbytes``: per tensor, the bytes
    its weights and KV caches are held at where that is not their dtype's (PIM units holding
    an int8 cache as fp16: :meth:`~cimsim.hw.base.Component.held_bytes`), default their own;
    ``folded``: ``(conv, copy, cols)``, the im2col matrices a unit building the windows from
    the raw input never forms (:func:`live_activation_profile`)."""
    mask = kv_cache_mask(workload)
    kv = kv_cache_profile(workload, mask, nbytes=nbytes)
    act = live_activation_profile(workload, *activation_rules(workload, mask), folded)
    weights, train = _resident(workload, nbytes)
    if len(act) == 0:
        return Footprint(weights, 0, 0, **train)
    train["folded"] = folded
    pipe = pipeline_of(workload)
    if pipe is None:
        peak = int(np.argmax(kv + act))
        return Footprint(weights, int(kv[peak]), int(act[peak]), **train, op=peak,
                         kv_cache_peak=int(kv.max()))
    best, most = None, 0
    held, rest = _unread_by_stage(workload, pipe[0])
    for s, ops, w_s, kv_s in _stage_parts(workload, mask, *pipe, nbytes=nbytes):
        i = int(np.flatnonzero(ops)[np.argmax((kv_s + act)[ops])])
        f = Footprint(w_s + held[s], int(kv_s[i]), int(act[i]), s, pipe[0], unread=held[s], op=i,
                      folded=folded)
        most = max(most, int(kv_s[ops].max()))
        if best is None or f.total > best.total:
            best = f
    return replace(best, weights=best.weights + rest, unread=best.unread + rest, kv_cache_peak=most)


def attention_score_bytes(workload, op: int | None) -> int:
    """Bytes of unfused attention's score and probability tensors (the outputs of ops tagged
    ``part: scores`` / ``softmax`` that are not kept on chip: H x tokens x keys each) live
    while ``op`` runs (the footprint's peak: :attr:`Footprint.op`); 0 for None."""
    c = workload.columns
    if op is None or c.n_ops == 0:
        return 0
    from .arrays import _json_tag

    part = _json_tag(c.tags, "part", c.n_ops)
    scores = np.zeros(c.n_tensors, dtype=bool)
    scores[c.out_ids[np.repeat(np.isin(part, ("scores", "softmax")), np.diff(c.out_ptr))]] = True
    if not scores.any():
        return 0
    return int(live_activation_profile(workload, ~scores)[op])


def _unread_by_stage(workload, p: int) -> tuple[list[int], int]:
    """``(per stage, rest)``: the bytes of the ``unread_parameters`` entries read in part that
    each of the ``p`` pipeline stages holds (an entry's stage: that of the first op reading one
    of its parts, the weight tensors :data:`PART_READ` names after it), and the bytes of the
    other entries (no op reads them: counted on the largest stage). A generated LLM's untied
    input embedding table (``untied_table``, read by no modelled op) is held by the stage of the
    first op, where the embedding is looked up (F2 7)."""
    held, rest = [0] * p, unread_weight_bytes(workload)
    entries = {e["name"]: e["bytes"] for e in workload.metadata.get("unread_parameters") or []
               if "read_bytes" in e and isinstance(e.get("name"), str)}
    if not entries:
        return held, rest
    tables = {e["name"]: True for e in workload.metadata.get("unread_parameters") or []
              if e.get("untied_table") is True and isinstance(e.get("name"), str)}
    c = workload.columns
    of = np.full(c.n_tensors, -1, dtype=np.int64)  # per tensor: the entry whose part it is
    names = list(entries)
    at = {nm: i for i, nm in enumerate(names)}  # an entry's index, once
    for t in np.flatnonzero(c.tensor_role == ROLE_WEIGHT).tolist():
        m = PART_READ.match(c.tensor_names[t])
        if m and m.group(1) in at:
            of[t] = at[m.group(1)]
    edges = np.flatnonzero(of[c.in_ids] >= 0)
    first = np.full(len(names), c.n_ops, dtype=np.int64)  # per entry: its first reader
    np.minimum.at(first, of[c.in_ids[edges]], workload._op_of_in[edges])
    stage = pipeline_stage_of_ops(workload, p)
    for k, name in enumerate(names):
        if first[k] < c.n_ops:
            held[int(stage[first[k]])] += entries[name]
            rest -= entries[name]
        elif tables.get(name) and c.n_ops:  # an untied input table: the first op's stage (F2 7)
            held[int(stage[0])] += entries[name]
            rest -= entries[name]
    return held, rest


def _stage_parts(workload, mask, p: int, m: int, nbytes=None):
    """Per pipeline stage with ops: ``(stage, its ops (bool), the weights it reads (B), the
    caches it holds of all m micro-batches per op)``; ``nbytes`` as :func:`footprint`'s."""
    c = workload.columns
    stage = pipeline_stage_of_ops(workload, p)
    nb = (workload.tensor_nbytes if nbytes is None else nbytes).astype(np.int64)
    for s in range(p):
        ops = stage == s
        if not ops.any():
            continue
        read = np.zeros(c.n_tensors, dtype=bool)
        read[c.in_ids[ops[workload._op_of_in]]] = True
        yield (s, ops, int(nb[read & (c.tensor_role == ROLE_WEIGHT)].sum())
               - overlap_excess(workload, nb, read),
               m * kv_cache_profile(workload, mask & read, ops, nbytes))


def footprint_apart(workload, nbytes: np.ndarray | None = None,
                    folded: tuple | None = None) -> tuple[Footprint, Footprint]:
    """``(device, host)`` when the KV caches lie apart from the rest (a PIM device of its own,
    ``sharing: separate``): the device holds the caches at their own peak, the host the weights
    and the activations at theirs (each pipeline stage's, the largest), not both at the op where
    their sum peaks; ``nbytes`` and ``folded`` as :func:`footprint`'s."""
    mask = kv_cache_mask(workload)
    act = live_activation_profile(workload, *activation_rules(workload, mask), folded)
    weights, train = _resident(workload, nbytes)
    if len(act) == 0:
        return Footprint(0, 0, 0), Footprint(weights, 0, 0, **train)
    train["folded"] = folded
    pipe = pipeline_of(workload)
    if pipe is None:
        kv, peak = kv_cache_profile(workload, mask, nbytes=nbytes), int(act.argmax())
        return Footprint(0, int(kv.max()), 0), Footprint(weights, 0, int(act[peak]), **train, op=peak)
    device, host = Footprint(0, 0, 0), Footprint(0, 0, 0)
    held, rest = _unread_by_stage(workload, pipe[0])
    for s, ops, w_s, kv_s in _stage_parts(workload, mask, *pipe, nbytes=nbytes):
        device = max(device, Footprint(0, int(kv_s[ops].max()), 0, s, pipe[0]), key=lambda f: f.total)
        i = int(np.flatnonzero(ops)[np.argmax(act[ops])])
        host = max(host, Footprint(w_s + held[s], 0, int(act[i]), s, pipe[0], unread=held[s], op=i,
                                   folded=folded),
                   key=lambda f: f.total)
    return device, replace(host, weights=host.weights + rest, unread=host.unread + rest)


def checked_footprint(workload, cache_apart: bool, nbytes: np.ndarray | None = None,
                      folded: tuple | None = None) -> Footprint:
    """The footprint as the placement checks it (and results report it): :func:`footprint`, or,
    with ``cache_apart`` (the KV caches in a device of their own), :func:`footprint_apart`'s host
    side with the caches at their own peak; ``nbytes`` and ``folded`` as :func:`footprint`'s."""
    if not cache_apart:
        return workload.footprint if nbytes is None and folded is None else footprint(workload, nbytes, folded)
    device, host = footprint_apart(workload, nbytes, folded)
    return replace(host, kv_cache=device.kv_cache, kv_cache_peak=device.kv_cache)
