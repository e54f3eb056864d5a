"""What near-bank PIM units (:mod:`cimsim.hw.pim`) say about the operands they hold: a model
input they left on the host because it is not resident state, and the bytes their own number
format (``precision``) gives the operands they hold in the banks."""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..dtypes import DTYPE_BYTES
from ..errors import CapacityError, MappingError
from ..units import si
from .base import OpArrays

#: inputs named in a note, the rest counted
NAMED = 3
#: the poolings of a gather (tag ``pool``) the ``embedding`` claim runs
POOLS = ("sum", "mean")


def bag_note(name: str, claims, ops: OpArrays, free: np.ndarray, took: np.ndarray) -> Optional[str]:
    """What became of the free embedding bags (row gathers that pool): left on the host
    without the ``embedding`` claim, or with it, those it cannot run and why; and the index
    accumulations (``pool: scatter``) left on the host. None if nothing."""
    if ops.gather_pool is None:
        return None
    pools = ops.gather_pool.astype(str)
    notes = (_bags_left_note(name, claims, ops, free, took, pools),
             _scatter_note(name, free & ~took & (pools == "scatter")))
    return "; ".join(n for n in notes if n) or None


def _scatter_note(name: str, left) -> Optional[str]:
    if not left.any():
        return None
    return (f"{name} took 0 of {int(left.sum())} gather-reduction(s) by index "
            "(index_add / scatter_add, a GNN's aggregation): they stay on the host, as the "
            "row gather before them: the table is an activation and the reduce a scatter "
            f"into rows, not a bag; {name} pools only embedding bags of a weight table "
            "(claim embedding)")


def _bags_left_note(name: str, claims, ops: OpArrays, free, took, pools) -> Optional[str]:
    bags = free & (pools != "") & (pools != "scatter")
    left = bags & ~took
    if not left.any():
        return None
    n = int(left.sum())
    if "embedding" not in claims:
        return (f"{n} gather-reduction(s) (embedding bags) stay on the host: add embedding "
                f"to {name}.claims to pool them in the banks")
    why = [f"{int(k.sum())} pool by {p}" for p in sorted(set(pools[left]) - set(POOLS) - {"?"})
           if (k := left & (pools == p)).any()]
    for k, what in ((left & (pools == "?"), "state no pooling (tag pool; retrace)"),
                    (left & np.isin(pools, POOLS) & (ops.weight_bytes <= 0), "gather from a "
                     "table that is not a weight"),
                    (left & np.isin(pools, POOLS) & (ops.weight_bytes > 0), "have a dtype its "
                     "units do not compute in")):
        if k.any():
            why.append(f"{int(k.sum())} {what}")
    return (f"{name} took {int((bags & took).sum())} of {int(bags.sum())} gather-reductions "
            f"(embedding bags); {n} stay on the host: {', '.join(why)} (it pools by "
            f"{' or '.join(POOLS)})")


def plain_input_note(name: str, claims, ops: OpArrays, left: np.ndarray) -> Optional[str]:
    """The ``left`` ops (bool per op: free, not taken) that are matmuls without a weight reading
    a traced model input that is no resident state as their second operand
    (:meth:`OpArrays.plain_input_operands`): they stay on the host; the note names the inputs,
    their bytes, why (the argument's name) and how to mark them. None if none."""
    found = ops.plain_input_operands()
    if found is None:
        return None
    reader, tensors = found
    keep = left[reader]
    if not keep.any():
        return None
    reader, tensors = reader[keep], tensors[keep]
    ids = np.unique(tensors)
    named = [f"'{ops.tensor_names[int(t)]}' ({si(float(ops.tensor_bytes[t]), 'B')})"
             for t in ids[:NAMED].tolist()]
    more = f" and {len(ids) - NAMED} more" if len(ids) > NAMED else ""
    args = sorted({ops.input_argument(int(t)) for t in ids.tolist()})
    add = "" if "kv_cache" in claims else f", and add kv_cache to {name}.claims"
    one = len(ids) == 1
    what, verb, count = ("model input", "is", "it counts") if one else ("model inputs", "are", "they count")
    return (f"{len(np.unique(reader))} matmul(s) without a weight stay on the host: their second "
            f"operand, {what} {', '.join(named)}{more} (or a scaled or transposed copy), {verb} no "
            f"resident state, so {count} as {'an activation' if one else 'activations'} sent every "
            "run: a traced input lies in memory across runs only where "
            "its forward argument is named as a cache (past_key_values, layer_past, a name "
            "holding cache or past) or marked resident (retrace with "
            f"{' '.join(f'--resident {a}' for a in args)}{add} to read {'it' if one else 'them'} in the banks)")


def held_format_note(name: str, own: str, ops: OpArrays, wide: np.ndarray, widened: dict,
                     out: float, out_held: float, apart: bool) -> Optional[str]:
    """The units hold the weights and KV caches they read in the banks (``wide``: bool by tensor
    id, those it widens) at their own number format ``own`` where it is wider than the ops' (``widened``: bytes an element by such op
    dtype: an int8 database on fp16 units), and send their results in it (``out_held`` bytes
    against the workload's ``out``); None where it widens nothing (a narrower format, fp32 ops
    on fp16 units, is the precision mismatch note's; the footprint keeps the workload's bytes,
    an upper bound). ``apart``: the units' memory is a device of its own (its capacity check,
    not the host footprint, counts them). The bytes at the footprint's peak are the
    placement's note (:func:`cimsim.mapping.placement.place`)."""
    if not widened:
        return None
    where = ("its device's capacity check counts them so" if apart else
             "the footprint and the capacity check count them so")
    weight = np.zeros_like(wide)
    weight[ops.weight_ids] = True
    what = " and ".join(k for k, y in (("weights", (wide & weight).any()),
                                       ("KV caches", (wide & ~weight).any())) if y)
    dts = ", ".join(f"{dt}'s {b:g} B" for dt, b in sorted(widened.items()))
    return (f"{name} computes in {own} only: it holds the {what} it reads in its "
            f"banks as {own}, {DTYPE_BYTES[own]:g} B an element for {dts} ({where}), and sends its "
            f"results as {own}, {si(out_held, 'B')} for the workload's {si(out, 'B')}")


def format_scale(own: Optional[str], ops: OpArrays, idx: np.ndarray, weighted=None):
    """Bytes in the units' number format ``own`` (``precision``) per byte of the ops' dtype
    (the operands lie in the banks and cross the bus in it, as a CIM's do at its bits); 1
    without a precision of its own. With ``weighted`` (bool per op of ``idx``: it reads a
    weight), per byte of what each op holds: a weight stored in a dtype other than its op's
    arithmetic (int4 weights of an int8 or fp16 matmul, a weight-only format dequantised as
    read, :func:`as_stored`) is held and read as stored, 1; so is a KV cache stored in a dtype
    other than its op's (an int4 ``--kv-dtype`` under fp16, int8 or fp32 arithmetic:
    :meth:`OpArrays.kv_stored_apart`; find-E 4)."""
    if own is None:
        return 1.0
    scale = np.ones(len(idx))
    names = ops.dtype[idx]
    for dt, nbytes in DTYPE_BYTES.items():
        if dt in ops.compute_dtypes and dt != own:
            scale[names == dt] = DTYPE_BYTES[own] / nbytes
    if weighted is None:
        return scale
    return np.where(as_stored(ops, idx, weighted) | (ops.kv_stored_apart()[idx] & ~weighted), 1.0, scale)


def as_stored(ops: OpArrays, idx: np.ndarray, weighted: np.ndarray) -> np.ndarray:
    """bool per op of ``idx``: a ``weighted`` op whose (first) weight is stored in a dtype
    other than its own (:attr:`OpArrays.tensor_dtype`; all False where that is not known)."""
    n_w = np.diff(ops.weight_ptr)[idx]
    if ops.tensor_dtype is None or not len(ops.weight_ids):
        return np.zeros(len(idx), dtype=bool)
    first = ops.weight_ids[np.minimum(ops.weight_ptr[idx], len(ops.weight_ids) - 1)]
    return weighted & (n_w > 0) & (ops.tensor_dtype[first] != ops.dtype[idx])


def as_stored_note(name: str, own: str, ops: OpArrays, idx: np.ndarray, stored: np.ndarray) -> Optional[str]:
    """The ``stored`` ops of ``idx`` (:func:`as_stored`): the units read their weights as
    stored, in a dtype narrower than the ops' arithmetic, not widened to ``own``; None if none."""
    if not stored.any():
        return None
    first = ops.weight_ids[ops.weight_ptr[idx][stored]]
    ws = np.unique(first)
    pairs = sorted({(str(a), str(b)) for a, b in zip(ops.tensor_dtype[first], ops.dtype[idx][stored])})
    what = ", ".join(f"{w} ({DTYPE_BYTES[w]:g} B an element) under {o} arithmetic" for w, o in pairs)
    return (f"{name} reads {len(ws)} weight(s) as stored, {what}: a weight-only format "
            f"dequantised as read, so the banks, the footprint and the capacity check count "
            f"{si(float(ops.tensor_bytes[ws].sum()), 'B')}, not {own}'s {DTYPE_BYTES[own]:g} B an "
            f"element (an operand stored in its op's dtype it holds as {own})")


def kv_stored_note(name: str, own: str, ops: OpArrays, idx: np.ndarray, weighted: np.ndarray) -> Optional[str]:
    """The ops of ``idx`` (not ``weighted``) that read a KV cache stored in a dtype other than
    their own (:meth:`OpArrays.kv_stored_apart`): the units read those caches as stored, not
    widened to ``own`` (find-E 4: an int4 cache under int8 arithmetic was held at 1 B an
    element and named fp16's 2 B); None if none."""
    sel = ops.kv_stored_apart()[idx] & ~weighted
    if not sel.any():
        return None
    kv = ops.kv_tensors()
    roots = np.flatnonzero(kv) if kv is not None else np.zeros(0, dtype=np.int64)
    ops_dt = sorted({str(d) for d in ops.dtype[idx][sel]})
    stored = sorted({str(d) for d in ops.tensor_dtype[roots]} - set(ops_dt))
    what = ", ".join(f"{d} ({DTYPE_BYTES[d]:g} B an element)" for d in stored)
    return (f"{name} reads the KV caches of {int(sel.sum())} op(s) as stored, {what} under "
            f"{', '.join(ops_dt)} arithmetic: a cache format dequantised as read, so the banks, the "
            f"footprint and the capacity check count their stored bytes, not {own}'s "
            f"{DTYPE_BYTES[own]:g} B an element")


def held_tensor_bytes(ops: OpArrays, idx: np.ndarray, scale, weighted: np.ndarray,
                      kv_read: np.ndarray | None) -> np.ndarray:
    """float64 by tensor id: the bytes the ops ``idx`` hold each tensor they read in the banks
    at (``scale``: per op of ``idx``, held bytes per stored byte; a tensor at its first
    reader's): the weights of the ``weighted`` ops (bool per op of ``idx``) and the KV caches
    (model inputs) the others read (``kv_read``: bool by tensor id,
    :meth:`OpArrays.kv_tensors`; None: none); 0 for every other tensor."""
    tb = ops.tensor_bytes
    held = np.zeros(len(tb))
    scale = np.broadcast_to(np.asarray(scale, dtype=np.float64), idx.shape)
    pos = np.full(len(ops.kind), -1, dtype=np.int64)
    pos[idx] = np.arange(len(idx))
    owner = np.repeat(np.arange(len(ops.kind)), np.diff(ops.weight_ptr))
    sel = (pos[owner] >= 0) & weighted[np.maximum(pos[owner], 0)]
    ws, first = np.unique(ops.weight_ids[sel], return_index=True)
    held[ws] = tb[ws] * scale[pos[owner[sel]][first]]
    if kv_read is None or ops.act_ptr is None:
        return held
    reader = ops.act_readers()
    sel = (pos[reader] >= 0) & ~weighted[np.maximum(pos[reader], 0)]
    ids = ops.act_ids[sel]
    root = ids if ops.cache_root is None else ops.cache_root[ids]
    keep = (root >= 0) & kv_read[np.maximum(root, 0)]
    ks, first = np.unique(root[keep], return_index=True)
    held[ks] = tb[ks] * scale[pos[reader[sel][keep]][first]]
    return held


def max_rows_note(name: str, max_rows: int, took: int, could: int, rows: np.ndarray, past: np.ndarray,
                  bags: Optional[str]) -> str:
    """The matmuls of the kinds it claims that it left for having more ``rows`` than
    ``max_rows`` (``past``: bool per op; ``took`` of ``could`` taken). Whether raising
    ``max_rows`` would speed them up depends on the host's rates, which a placement does not
    see: the run's :func:`max_rows_verdict` note weighs it (find-E 1)."""
    path, n = f"{name}.max_rows", int(past.sum())
    text = (f"{n} {'has' if n == 1 else 'have'} more activation rows (up to {float(rows[past].max()):g}) "
            f"than {path} ({max_rows}) (the {path} note weighs raising it)") if n else ""
    return (f"{name} took {took} of {could} matmuls it could run: " + "; ".join(t for t in (text, bags) if t))


def max_rows_verdict(name: str, max_rows: int, rows: np.ndarray, units_s: np.ndarray, host_s: np.ndarray,
                     pays: Optional[np.ndarray] = None) -> str:
    """Whether raising ``max_rows`` speeds up the matmuls it left for their ``rows`` (find-E 1):
    ``units_s`` is each op's time alone on the units as the run charges it (:func:`time_alone`:
    max(MAC time, bank reads) and the inputs and results over the bus, overlapped, serial or
    in pieces as the run runs them; in blocked sharing one after the other, review P 2; plus
    the op's latency where it pays its launch group's: ``pays``, bool per op, None: every op;
    find-B 1), ``host_s`` its time
    alone where it ran in this run (its latency as the run charged it). Being MAC-bound on the units is no reason to stay on the
    host: a host that is itself bound by reading the weight over the bus is slower while the
    units' MACs per element (``m`` at the units' peak) take less than that read. The note
    names the largest row count to raise it to that gains most over the ops it would take
    (their sums: ops alone, serial, so an estimate; compare both runs), and what the rest would
    cost on the units against the host. Where no row count gains, it says raising it would not
    speed these ops up, not that the run would be slower: on a server of their own the units
    may run them beside independent host work (a k-NN's cross term beside its norms)."""
    path = f"{name}.max_rows"
    order = np.argsort(rows, kind="stable")
    r, gain = rows[order], np.cumsum((host_s - units_s)[order])
    last = np.r_[r[1:] != r[:-1], True]  # the end of each row count's run
    best = int(np.argmax(np.where(last, gain, -np.inf)))

    paid = np.ones(len(rows), dtype=bool) if pays is None else pays

    def line(sel) -> str:
        n, k = int(sel.sum()), int((sel & paid).sum())
        # the launches named only where some op rides on its group's (review P 5)
        grouped = f" ({k} launch(es): one per launch group, as the run charges them)" if k < n else ""
        return (f"{n} matmul(s) of up to {float(rows[sel].max()):g} rows would take {si(float(units_s[sel].sum()), 's')} "
                f"on its units{grouped} "
                f"against {si(float(host_s[sel].sum()), 's')} on the host in this run")
    if gain[best] <= 0:
        return (f"{path} ({max_rows}): raising it would not speed up the matmuls it leaves for their "
                f"rows: {line(rows > 0)} (each op alone, serial: an estimate); a run gains from it only "
                "where the units run them beside the host's other work (compare both runs)")
    up = float(r[best])
    rest = rows > up
    return (f"{path} ({max_rows}): raising it to {up:g} speeds up the matmuls it then takes: "
            f"{line(rows <= up)} (each op alone, serial: an estimate, compare both runs)"
            + (f"; raising it further gains less in all: the other {line(rest)}" if rest.any() else ""))


#: op kinds no ``pim.claims`` entry names: PrIM's streaming kernels (VA, RED, SEL, HST, SCAN)
STREAMING_KINDS = ("elementwise", "reduction", "copy")


#: the least share of the bytes the workload's ops move that streaming ops left on the host
#: carry for :func:`streaming_note` in a run where the units took ops
STREAMING_SHARE = 0.10


def streaming_note(name: str, ops: OpArrays, free: np.ndarray, took: np.ndarray) -> Optional[str]:
    """Why the free ops of :data:`STREAMING_KINDS` the units did not take, bags and
    scatter-adds (their own notes count them) and matmul epilogues aside, stay on the host
    (PrIM-style streaming kernels: vector add, sum, select, histogram, scan), with their count,
    bytes and share of the bytes the workload's ops move: when the units took no op and the
    workload has nothing they could claim (no matmul, no bag; find-N 4), and when they took
    ops but the streaming ops left on the host move more bytes than those, and at least
    :data:`STREAMING_SHARE` of all (a 48 MB vector add
    beside a 16 kB GEMV the units took: most of the run's traffic stays on the host). None else
    (a run whose matmuls the units refused says why in its own note)."""
    left = free & ~took & np.isin(ops.kind, [ops.kind_codes[k] for k in STREAMING_KINDS])
    pools = ops.gather_pool.astype(str) if ops.gather_pool is not None else np.full(len(left), "")
    left &= pools == ""  # bags and scatter-adds: the units' own notes count them
    for epi in (ops.epilogue, ops.untagged_epilogue):  # a matmul's bias / ReLU: the matmul's part
        if epi is not None:
            left &= epi == 0
    if not left.any():
        return None
    moved = ops.weight_bytes + ops.act_in_bytes + ops.act_out_bytes
    share = float(moved[left].sum()) / max(float(moved.sum()), 1.0)
    claimable = (ops.macs > 0).any() or ((pools != "") & (pools != "scatter")).any()
    if took.any():
        if moved[left].sum() <= moved[took].sum() or share < STREAMING_SHARE:
            return None
    elif claimable:
        return None
    return (f"{name} took 0 of {int(left.sum()):,} elementwise / reduction / copy op(s): no "
            f"{name}.claims entry names them (weights, kv_cache and embedding are matmuls and "
            "embedding bags), so streaming kernels (vector add, sum, select, histogram, scan) "
            f"run on the host, moving {si(float(moved[left].sum()), 'B')} ({100 * share:.3g} % of the "
            "bytes the workload's ops move); a sum over resident data can be written as a GEMV "
            "over a weight (see the README, PIM on the KV cache: PrIM-style kernels)")


def claims_words(claims) -> str:
    """What near-bank units with these ``claims`` take, in words
    (:meth:`cimsim.hw.base.Component.claims_words`)."""
    words = {"weights": "GEMV-shaped matmuls with a stationary weight (at most max_rows activation rows)",
             "kv_cache": "matmuls without a weight whose second operand is a KV cache (a model input; "
                         "in a trace, one given as a cache or marked --resident)",
             "embedding": "embedding bags (row gathers pooled by sum or mean from a weight table)"}
    return "; ".join(words[c] for c in claims)


def no_cache_note(name: str, claims, ops: OpArrays, free: np.ndarray, took: np.ndarray,
                  kv: np.ndarray) -> Optional[str]:
    """With ``kv_cache`` claimed in a run that reads no KV cache (``kv``: bytes per op read in
    the banks, all 0) and takes none: the weightless matmuls (attention's Q·Kᵀ and P·V, not a
    backward's) left on the host, whose second operands the run computes itself (an encoder's
    or a prefill's own K and V), and what the claim is for; None if there are none."""
    if "kv_cache" not in claims or (kv > 0).any() or took.any():
        return None
    left = free & (ops.rows > 0) & (ops.stationary < 0)
    if ops.backward is not None:
        left &= ~ops.backward
    plain = ops.plain_input_operands()  # a traced model input that is no cache: plain_input_note's
    if plain is not None:
        left[plain[0]] = False
    if not left.any():
        return None
    origin = ops.second_operand_origin()
    fresh = int((left & origin[0]).sum()) if origin is not None else 0
    made = (f" ({fresh} of them {'reads' if fresh == 1 else 'read'} what a matmul with a weight made "
            "in this run: a K or V projection, or an attention output's W_o projection)" if fresh else "")
    return (f"{name} took 0 of {int(left.sum())} matmul(s) without a weight: it claims kv_cache, "
            f"{claims_words(['kv_cache'])}, and this run reads no cache: their second operands are "
            f"activations the run computes{made}, as an encoder's or a prefill's attention over its own "
            "K and V is, so they stay on the host; kv_cache helps decode steps that read a cache "
            "(cimsim workload llm, cimsim trace --serve)")


def time_alone(comp, ops: OpArrays, idx, rate: dict, pays: np.ndarray) -> np.ndarray:
    """Each op of ``idx``'s time alone on ``comp`` at the run's ``rate`` per resource, as the
    run charges it (the engine's ``op_work`` rule): its bytes over each resource, plus the time it
    holds one (a PIM op in blocked sharing holds the level for its compute), the slowest; with
    its compute one after the other for a serial op (the placement's), in its pieces, or
    overlapped; plus its latency where it pays its launch group's (``pays``; find-B 1, review P 2)."""
    plan = comp.place(ops, idx)
    oc = comp.cost(ops, idx, plan)
    moved = np.zeros(len(idx))
    for r, b in oc.bytes.items():
        np.maximum(moved, np.asarray(b, dtype=np.float64) / rate[r]
                   + np.asarray((oc.hold_s or {}).get(r, 0.0), dtype=np.float64), out=moved)
    for r, h in (oc.hold_s or {}).items():
        if r not in oc.bytes:
            np.maximum(moved, np.asarray(h, dtype=np.float64), out=moved)
    c = np.broadcast_to(np.asarray(oc.compute_s, dtype=np.float64), (len(idx),))
    work = np.maximum(c, moved)  # overlapped; in pieces (p_x, p_c): max(X + C / p_c, C + X / p_x)
    if oc.pieces is not None:
        p = np.broadcast_to(np.asarray(oc.pieces, dtype=np.float64), (len(idx), 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            work = np.maximum(moved + np.where(np.isinf(p[:, 1]), 0.0, c / p[:, 1]),
                              c + np.where(np.isinf(p[:, 0]), 0.0, moved / p[:, 0]))
    serial = np.broadcast_to(np.asarray(plan.serial, dtype=bool), (len(idx),))
    return np.where(serial, c + moved, work) + np.where(pays, oc.latency_s, 0.0)


def mac_starved_note(pim, run, kv: np.ndarray, rows: np.ndarray) -> Optional[str]:
    """The KV-cache matmuls the units took (``kv``: bool per op of the workload, ``rows``: the
    query rows per KV head, GQA's g) where they are MAC-bound (g MACs per cache element against
    the banks' reads: the units read the cache at internal bandwidth x (bank time / MAC time))
    and their time on the units exceeds the host's at this run's rates, each op alone with the
    launches as the run charges them (find-B 2); None where there are none. The host is the
    component below the units that would run them (the processor)."""
    pl = run.placement
    me = next(i for i, k in enumerate(pl.components) if k is pim)
    idx = np.flatnonzero(kv & (pl.component == me))
    if not len(idx):
        return None
    oc = pim.cost(ops := pl.arrays, idx, None)
    t_mac, t_banks = np.asarray(oc.busy["mac"]), np.asarray(oc.busy["banks"])
    bound = t_mac > t_banks
    if not bound.any():
        return None
    idx, t_mac, t_banks = idx[bound], t_mac[bound], t_banks[bound]
    c = run.costs
    units = np.maximum(c.compute_s[idx], c.transfer_s(run.resource_s[idx])) + c.latency_s[idx]
    hosts = [k for i, k in enumerate(pl.components) if i != me and k.priority <= pim.priority
             and k.claim(ops, np.isin(np.arange(len(ops.kind)), idx))[idx].all()]
    if not hosts:
        return None
    host = min(hosts, key=lambda k: k.priority)
    unit = pl.component.copy()
    unit[idx] = pl.components.index(host)
    pays = ops.payers(unit)[idx] == idx
    rate = dict(zip(c.resources, run.rates.tolist()))
    try:
        there = time_alone(host, ops, idx, rate, pays)
    except (CapacityError, MappingError):  # a host that cannot run these ops alone: no estimate
        return None
    # the ops after the first of a launch group on the units ride on its launch and can run
    # beside the host's work on the ops before them (a request's softmax under the next
    # request's scores): the most the run can hide (review P 1)
    rides = ops.payers(pl.component)[idx] != idx
    lines, sure, gs = [], True, []
    for g in np.unique(rows[idx]):
        sel = rows[idx] == g
        u, h = float(units[sel].sum()), float(there[sel].sum())
        if u <= h:
            continue
        hide = float(units[sel & rides].sum())
        sure &= u - hide > h
        gs.append(float(g))
        cache = float((t_banks[sel] * pim.internal_bandwidth).sum()) / float(t_mac[sel].sum())
        lines.append(f"{int(sel.sum())} with g = {float(g):g} query rows per KV head take "
                     f"{si(u, 's')} on its units against {si(h, 's')} on {host.name} at this run's rates"
                     + (f", of which up to {si(hide, 's')} (the ops after each launch group's first) can run "
                        f"beside {host.name}'s work" if hide > 0 else "")
                     + f" (MAC-bound: g MACs per cache element read, so the units read the cache at "
                     f"{si(cache, 'B/s')}, their internal {si(pim.internal_bandwidth, 'B/s')} / "
                     f"{pim.internal_bandwidth / cache:.3g})")
    if not lines:
        return None
    # the value to set: below the smallest such g, e.g. the largest power of two below it (review P 3)
    g0 = min(gs)
    eg = 2 ** int(np.floor(np.log2(g0 - 1))) if g0 > 1 else 0
    head = (f"{pim.name} took KV-cache matmul(s) it runs slower than {host.name} would, even where "
            f"the run overlaps them: " if sure else
            f"{pim.name} took KV-cache matmul(s) it may run slower than {host.name} would (each op "
            f"alone, serial; the overlap the run gives them can hide the difference, so this run may "
            f"still be the faster): ")
    return (head + "; ".join(lines)
            + " (launches as the run charges them: an estimate); "
            f"{pim.name}.max_rows below {g0:g} (now {pim.config.max_rows}), e.g. {eg}, keeps them on "
            f"{host.name} (compare both runs)")
