"""What near-bank PIM units (:mod:`cimsim.hw.pim`) say about the operands they hold: a model
input they left on the host because it is not resident state, and the bytes their own number
format (``precision``) gives the operands they hold in the banks."""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..dtypes import DTYPE_BYTES
from ..units import si
from .base import OpArrays

#: inputs named in a note, the rest counted
NAMED = 3


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
    read, :func:`as_stored`) is held and read as stored, 1."""
    if own is None:
        return 1.0
    scale = np.ones(len(idx))
    names = ops.dtype[idx]
    for dt, nbytes in DTYPE_BYTES.items():
        if dt in ops.compute_dtypes and dt != own:
            scale[names == dt] = DTYPE_BYTES[own] / nbytes
    return scale if weighted is None else np.where(as_stored(ops, idx, weighted), 1.0, scale)


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


def max_rows_note(name: str, max_rows: int, took: int, could: int, rows: np.ndarray, bank_bound: np.ndarray,
                  mac_bound: np.ndarray, rates: tuple[float, float], bags: Optional[str]) -> str:
    """The matmuls of the kinds it claims that it left for having more ``rows`` than
    ``max_rows`` (``took`` of ``could`` taken). Raising ``max_rows`` is suggested for the
    ``bank_bound`` ones only (bool per op): their bank reads at the units' internal bandwidth
    outlast their MACs, the case near-bank units are for; a necessary condition, not a
    sufficient one (the results crossing the bus, the op latency and a blocked host are rates
    a component does not see), so the note asks to compare both runs. The ``mac_bound`` ones' MACs (at
    ``rates``: peak MAC/s, internal B/s) outlast their reads: on the units they would run at
    the units' MAC rate, a small fraction of a host's (Aquabolt-XL's 6.1 TMAC/s against an
    H100's 495), so the note says they stay on the host and advises nothing (a prefill's
    attention over a prefix cache: 9.8x the TTFT with ``max_rows`` raised; a verify step's
    or a batch's rows)."""
    path = f"{name}.max_rows"
    parts = []
    for sel, why in ((bank_bound, lambda r: f"raising {path} lets it take them at its bank bandwidth (their "
                      "results still cross the bus and each op waits its latency: compare both runs)"),
                     (mac_bound, lambda r: f"at that many rows its MACs ({si(rates[0], 'MAC/s')}) would "
                      f"outlast its bank reads ({si(rates[1], 'B/s')}), so they stay on the host: "
                      f"raising {path} would run them MAC-bound on the units")):
        n = int(sel.sum())
        if n:
            r = float(rows[sel].max())
            parts.append(f"{n} {'has' if n == 1 else 'have'} more activation rows (up to {r:g}) than "
                         f"{path} ({max_rows}); {why(r)}" if not parts else
                         f"{n} more (up to {r:g} rows): {why(r)}")
    return (f"{name} took {took} of {could} matmuls it could run: " + "; ".join(parts)
            + (f"; {bags}" if bags else ""))


#: op kinds no ``pim.claims`` entry names: PrIM's streaming kernels (VA, RED, SEL, HST, SCAN)
STREAMING_KINDS = ("elementwise", "reduction", "copy")


def streaming_note(name: str, ops: OpArrays, free: np.ndarray, took: np.ndarray) -> Optional[str]:
    """When the units took no op and the workload has nothing of a kind they claim (no
    matmul, no bag or scatter, which their own notes count: a PrIM-style streaming kernel),
    why its free ops of :data:`STREAMING_KINDS` stay on the host (find-N 4). None else."""
    if took.any() or (ops.macs > 0).any() or (ops.gather_pool is not None and ops.gather_pool.astype(bool).any()):
        return None
    left = free & np.isin(ops.kind, [ops.kind_codes[k] for k in STREAMING_KINDS])
    if not left.any():
        return None
    return (f"{name} took 0 of {int(left.sum()):,} elementwise / reduction / copy op(s): no "
            f"{name}.claims entry names them (weights, kv_cache and embedding are matmuls and "
            "embedding bags), so streaming kernels (vector add, sum, select, histogram, scan) "
            "run on the host; a sum over resident data can be written as a GEMV over a weight "
            "(see the README, PIM on the KV cache: PrIM-style kernels)")


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
