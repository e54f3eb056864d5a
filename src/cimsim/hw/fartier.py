"""Hierarchy rule 9 (:mod:`.hierarchy`): where a far memory tier (``memory.LEVEL.far``: a CXL
expander, a second NUMA node) is the backing store, the home of a tensor is the near tier
before it (DDR, HBM) or the far tier, and the two are flat tiers side by side, not a cache and
what it caches.

- Capacities add: the home holds ``near + far`` bytes, in any size order.
- First touch, near first: the tensors that live in the home for the whole run (weights, model
  inputs such as a KV cache) take the near tier in program order of first touch (weights, then
  model inputs, at one op); the bytes past the near tier's capacity spill to the far tier (a
  tensor across the boundary is split, as pages would be: its bytes from there on are far).
  Rows appended to a KV cache (``store_bytes``) go where the run's KV caches are on average
  (their bytes-weighted far share, not the share of the cache they join); with no cache model
  input, they take room as the run's first activations do. Their near part holds its room
  from the op that writes them to the end of its iteration (the run without iterations): a
  prefill's rows through the rest of the prefill, as the footprint has them. The running
  requests' caches of a continuous batch hold no room through a later prefill (not modelled).
  A KV cache (:meth:`OpArrays.kv_tensors`) gives its near room back at the end of the
  iteration of its last reader (:attr:`OpArrays.iteration`: each decode iteration's cache is
  its own input, resident through the whole iteration that reads it, every layer's at once, as
  the footprint has it; the next iteration's cache of that layer and request takes the room
  over); any other model input after its last reader; a weight keeps it to the end of the run.
- An op's activations that go through the home (rule 2) take the room those tensors leave in
  the near tier while it runs, the part over it the far tier; a model input read again (a KV
  cache at each decode step) is read from its own home.
- Bytes from the far tier pass the levels inside the near tier (caches), not the near tier: its
  bandwidth, energy and latency are its own, not capped by the near tier's.
- An offload policy (``memory.LEVEL.place``, :class:`~.homes.FarPlace`) overrides first touch
  for the classes it names: a share ``s`` of each such tensor's bytes (every weight, every KV
  cache and its appended rows, each op's activations) is homed in the far tier and ``1 - s``
  in the near tier, which that near part holds over the tensor's life as above, ahead of the
  first-touch tensors (they get the room left at the peak of the pinned bytes over their own
  life). Pinned near bytes past the near tier's capacity are an error, never spilled; so are
  far bytes (pinned, spilled and far activations) past the far tier's at their peak.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from ..errors import MappingError
from ..units import capacity_text, si
from .base import OpArrays


@dataclass
class FarHome:
    """Per tensor and per op, the share of bytes whose home is the far tier (0..1)."""
    tensor: np.ndarray  # per tensor of ``ops``: far share of its bytes
    store: np.ndarray  # per op of ``idx``: far share of its appended rows
    act: np.ndarray  # per op of ``idx``: far share of its activations through the home
    near_bytes: float  # weight bytes homed in the near tier
    far_bytes: float  # weight bytes homed in the far tier


def _spill(sizes: np.ndarray, room: float) -> np.ndarray:
    """Per item, in order, the share of its bytes past ``room`` (filled in order)."""
    end = np.cumsum(sizes)
    over = np.clip(end - room, 0.0, sizes)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sizes > 0, over / sizes, 0.0)


def _iteration_ends(ops: OpArrays, idx: np.ndarray) -> np.ndarray | None:
    """Per place in ``idx``: the place after the last op of its iteration (None without
    iterations)."""
    if ops.iteration is None or not len(idx):
        return None
    it = ops.iteration[idx]
    last_of = np.zeros(int(it.max()) + 1, dtype=np.int64)  # per iteration: its last place + 1
    np.maximum.at(last_of, it, np.arange(1, len(idx) + 1))
    return last_of[it]


def _input_ends(ops: OpArrays, idx: np.ndarray, t: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Per model input ``t`` (``last``: the place in ``idx`` of its last reader): the place
    after which it gives its near room back. A KV cache holds it to the end of the iteration
    of its last reader (the whole cache is live through the step that reads it, layer after
    layer); any other input, and every input without iterations, to its last reader."""
    end = last + 1
    kv = ops.kv_tensors()
    it_end = _iteration_ends(ops, idx)
    if it_end is None or kv is None or not len(t):
        return end
    return np.where(kv[t], it_end[last], end)


def _range_max(a: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per pair, ``a[lo:hi].max()`` (0 where the range is empty): a sparse table."""
    out = np.zeros(len(lo))
    ok = hi > lo
    if not len(a) or not ok.any():
        return out
    table = [a]
    while (1 << len(table)) <= len(a):
        k = 1 << (len(table) - 1)
        table.append(np.maximum(table[-1][:-k], table[-1][k:]))
    lo, hi = lo[ok], np.minimum(hi[ok], len(a))
    j = np.floor(np.log2(hi - lo)).astype(np.int64)
    got = np.empty(len(lo))
    for lv in np.unique(j):
        m = j == lv
        got[m] = np.maximum(table[lv][lo[m]], table[lv][hi[m] - (1 << lv)])
    out[ok] = got
    return out


def far_home(ops: OpArrays, idx: np.ndarray, pos: np.ndarray, near_cap: float,
             pair_op: np.ndarray, pair_w: np.ndarray, act: np.ndarray, place=None,
             names: tuple[str, str] = ("near", "far"), far_cap: float = float("inf")) -> FarHome:
    """The homes of rule 9 for the ops ``idx`` (``pos``: each op's place in ``idx``, -1 outside;
    ``pair_op`` / ``pair_w``: their (op, weight) pairs in program order; ``act``: each op's
    activation bytes; ``place``: the far tier's :class:`~.homes.FarPlace` or None; ``names``:
    the near and the far tier, for its errors; ``far_cap``: the far tier's capacity, which the
    bytes a policy puts there may not pass at their peak)."""
    n_all = ops.kind.shape[0]
    n = len(idx)
    items_t, items_op, items_end, items_kind = [], [], [], []
    if len(pair_w):  # weights: from their first use to the end of the run
        w, f = np.unique(pair_w, return_index=True)
        items_t.append(w), items_op.append(pair_op[f]), items_kind.append(np.zeros(len(w)))
        items_end.append(np.full(len(w), n))
    if len(ops.input_ids):  # model inputs: from their first reader to their last
        loc = pos[np.repeat(np.arange(n_all), np.diff(ops.input_ptr))]
        keep = loc >= 0
        it, il = ops.input_ids[keep], loc[keep]
        t, f = np.unique(it, return_index=True)
        last = np.full(len(ops.tensor_bytes), -1, dtype=np.int64)
        np.maximum.at(last, it, il)
        items_t.append(t), items_op.append(il[f]), items_kind.append(np.ones(len(t)))
        items_end.append(_input_ends(ops, idx, t, last[t]))
    t, o, e, k = (np.concatenate(x) if x else np.zeros(0) for x in
                  (items_t, items_op, items_end, items_kind))
    t, o, e = t.astype(np.int64), o.astype(np.int64), e.astype(np.int64)
    sizes = ops.tensor_bytes[t].astype(float)
    kv = ops.kv_tensors()
    pin = _pinned(place, k, kv[t] if kv is not None else np.zeros(len(t), dtype=bool))
    pinned = ~np.isnan(pin)
    share = np.where(pinned, pin, 0.0)
    near = np.where(pinned, sizes * (1.0 - share), 0.0)  # bytes each holds in the near tier
    held = np.zeros(n + 1)  # per op: the pinned near bytes held while it runs
    np.add.at(held, o[pinned], near[pinned])
    np.add.at(held, np.minimum(e[pinned], n), -near[pinned])
    held = np.cumsum(held)[:n]
    if pinned.any() and n and held.max() > near_cap * (1 + 1e-12):
        _too_much(place, held.max(), near_cap, names)
    peak = _range_max(held, o, e)  # per item: the pinned bytes' peak over its life
    live: list[tuple[int, int]] = []  # (end, item) of first-touch items holding near room
    used = 0.0
    for i in np.lexsort((k, o))[~pinned[np.lexsort((k, o))]].tolist():
        while live and live[0][0] <= o[i]:  # their last reader is done: room given back
            used -= near[heapq.heappop(live)[1]]
        near[i] = min(sizes[i], max(0.0, near_cap - used - peak[i]))
        share[i] = 1.0 - near[i] / sizes[i] if sizes[i] > 0 else 0.0
        if near[i] > 0:
            used += near[i]
            heapq.heappush(live, (int(e[i]), i))
    tensor = np.zeros(len(ops.tensor_bytes))
    tensor[t] = share
    occ = np.zeros(n + 1)  # per op: near bytes those tensors hold while it runs
    np.add.at(occ, o, near)
    np.add.at(occ, np.minimum(e, n), -near)
    # rows appended to a KV cache (store_bytes) land in the cache, a model input whose room
    # is counted above: its far share (bytes-weighted), else, with no such cache, past the room
    store = ops.stored(idx)
    st = np.zeros(n)
    if place is not None and place.kv_cache is not None:  # pinned: the caches' own share
        st[:] = place.kv_cache
    elif kv is not None and kv.any() and ops.tensor_bytes[kv].sum() > 0:
        st[:] = float((ops.tensor_bytes[kv] * tensor[kv]).sum() / ops.tensor_bytes[kv].sum())
    elif store is not None:
        st = _spill(store, float(np.maximum(0.0, near_cap - np.cumsum(occ)[:n]).min()))
    if store is not None:  # the near part of the rows holds its room from the op that writes
        held = store * (1.0 - st)  # them to the end of its iteration (the run without one),
        it_end = _iteration_ends(ops, idx)  # where the next step's cache input takes it over
        np.add.at(occ, np.arange(n), held)
        np.add.at(occ, np.full(n, n) if it_end is None else it_end, -held)
    room = np.maximum(0.0, near_cap - np.cumsum(occ)[:n])
    if place is not None and place.activations is not None:
        act_far = np.full(n, float(place.activations))
        over = act * (1.0 - act_far) > room * (1 + 1e-12)
        if over.any():
            i = int(np.argmax(over))
            raise MappingError(
                f"memory.{names[1]}.place.activations {place.activations:g} keeps "
                f"{si(float(act[i] * (1 - act_far[i])), 'B')} of the activations of op {i} (in "
                f"program order) in {names[0]}, which has {si(float(room[i]), 'B')} free while it "
                f"runs; raise the share (up to 1) or leave activations out (first touch)")
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            act_far = np.where(act > room, (act - room) / act, 0.0)
    if place is not None and n:  # the far side of a policy is held to its capacity too (F2 1)
        far = np.zeros(n + 1)  # per op: the far bytes held while it runs
        np.add.at(far, o, sizes * share)
        np.add.at(far, np.minimum(e, n), -sizes * share)
        if store is not None:
            it_end = _iteration_ends(ops, idx)
            np.add.at(far, np.arange(n), store * st)
            np.add.at(far, np.full(n, n) if it_end is None else it_end, -store * st)
        far = np.cumsum(far)[:n] + act * act_far
        if far.max() > far_cap * (1 + 1e-12):
            _too_much(place, float(far.max()), far_cap, names, side="far")
    wt = k == 0
    far_w = float((sizes[wt] * share[wt]).sum())
    return FarHome(tensor, st, act_far, float(sizes[wt].sum()) - far_w, far_w)


def _pinned(place, kind: np.ndarray, kv: np.ndarray) -> np.ndarray:
    """Per item (``kind`` 0: a weight, 1: a model input; ``kv``: a KV cache): the far share
    ``place`` pins it to, NaN where first touch places it."""
    out = np.full(len(kind), np.nan)
    if place is not None:
        for cls, m in (("weights", kind == 0), ("kv_cache", (kind == 1) & kv)):
            if getattr(place, cls) is not None:
                out[m] = getattr(place, cls)
    return out


def _too_much(place, held: float, cap: float, names: tuple[str, str], side: str = "near") -> None:
    """The one-line refusal of a policy whose pinned bytes pass the ``side`` tier's capacity:
    near ones, raise the far shares; far ones (F2 1), lower them; or raise that capacity."""
    near, far = names
    tier = near if side == "near" else far
    given = ", ".join(f"{c} {getattr(place, c):g}" for c in ("weights", "kv_cache", "activations")
                      if getattr(place, c) is not None)  # every share given (review 23 C 7)
    raise MappingError(f"memory.{far}.place ({given}) keeps {si(held, 'B')} in {tier} at its "
                       f"peak, over memory.{tier}.capacity {capacity_text(cap)}; "
                       f"{'raise' if side == 'near' else 'lower'} the far shares or raise "
                       f"memory.{tier}.capacity")


def input_reads(ops: OpArrays, idx: np.ndarray, pos: np.ndarray,
                weight: np.ndarray | None = None) -> np.ndarray:
    """Per op of ``idx``: the bytes of model inputs it reads (each pair once), each scaled by
    ``weight`` (per tensor) when given."""
    out = np.zeros(len(idx))
    if not len(ops.input_ids):
        return out
    loc = pos[np.repeat(np.arange(ops.kind.shape[0]), np.diff(ops.input_ptr))]
    keep = loc >= 0
    t = ops.input_ids[keep]
    b = ops.tensor_bytes[t].astype(float)
    np.add.at(out, loc[keep], b if weight is None else b * weight[t])
    return out
