"""What a trace does not see, said rather than dropped: parameters this forward never reads,
experts no token chose, and float tensors that appear without an aten op producing them.

A trace records the path the example inputs take. A parameter that path never reads (the
untaken arm of an ``if``, an expert the router did not pick this step) is neither a weight of
the workload nor in its weight bytes, yet a weight-stationary CIM / PIM chip must hold it all
the same. Each such parameter is listed in ``metadata['unread_parameters']`` (name, shape,
dtype, bytes, and ``matrix``, the k x n a matmul reads it as, for a Linear's or an ungrouped
convolution's weight or an expert's slice: a flat CIM pool holds those on arrays it never
reads, :mod:`cimsim.hw.cim.flat`; a tied parameter read under another name is read), and so is
each parameter (or buffer the trace holds as a weight: a lookup table ``T[idx]`` reads) its ops
read only in part (an embedding table's gathered rows: ``bytes`` is the
part never read, beside ``read_bytes`` and ``parameter_bytes``; the weights hold the part
read, so weights plus these bytes are every parameter's whole size), each mixture of experts with
experts no token chose in ``metadata['unrouted_experts']`` (module, expert ids, of how many,
bytes), and ``cimsim trace`` and every run print a note.

A floating-point tensor that is no parameter, buffer or input and that no traced aten op
produced (``torch.from_numpy`` of a numpy result, a tensor attribute that is no registered
buffer) is read as a constant; the work that made it ran outside torch and is not counted.
Each is listed in ``metadata['untraced_tensors']`` and said (scalars stay quiet: a one-element
constant is a hyperparameter, not lost work).
"""

from __future__ import annotations

import math
import re
from collections import Counter

from ...dtypes import DTYPE_BYTES
from ...units import si
import numpy as np

from .storage import _sorted_distinct, as_offsets, distinct_size, storage_key

#: names listed in a note before ``...``
SHOWN = 3


def untraced(low, t, name: str) -> None:
    """Record constant ``name`` (tensor ``t``, no traced op made it) if it is a float tensor of
    more than one element that is no parameter: work outside torch may have made it."""
    if t.is_floating_point() and t.numel() > 1 and not isinstance(t, low.torch.nn.Parameter):
        ev = low.ev
        low.untraced.append({"name": name, "shape": [int(s) for s in t.shape], "dtype": low.dt(t),
                             "where": getattr(ev, "where", "") or ""})


def unrouted(low, b, used: list[int], rows: int = 0) -> None:
    """Record which experts of the stacked weight ``b`` (G x K x N) one ``_grouped_mm`` read,
    and the ``rows`` it routed (tokens x experts per token)."""
    if not low.st.known(b):
        return
    pieces = low.st.pieces(b)
    if len({vid for vid, _ in pieces}) != 1 or low.st.versions[pieces[0][0]].role != "weight":
        return
    name = low.st.versions[pieces[0][0]].name
    G, K, N = (int(s) for s in b.shape)
    dtype = low.dt(b)
    if not hasattr(low, "experts"):
        low.experts = {}
    entry = low.experts.setdefault(name, {"module": low.ev.module, "of": G, "shape": [K, N],
                                          "dtype": dtype, "read": set(), "rows": []})
    entry["read"].update(used)
    entry["rows"].append(int(rows))


def _entry(name, shape, dtype, matrix=None) -> dict:
    """An unread parameter; ``matrix``: the k x n a matmul would read it as (the matrix a
    weight-stationary CIM holds), where known."""
    n = 1
    for s in shape:
        n *= int(s)
    out = {"name": name, "shape": [int(s) for s in shape], "dtype": dtype,
           "bytes": int(n * DTYPE_BYTES[dtype])}
    if matrix is not None:
        out["matrix"] = [int(x) for x in matrix]
    return out


def _matrix(torch, modules: dict, name: str, p):
    """The k x n a Linear's or an ungrouped convolution's weight is read as (k: its inputs,
    the kernel's elements included; n: its outputs), else None (a bias, an embedding table,
    a norm's scale: no matrix a crossbar holds)."""
    path, _, leaf = name.rpartition(".")
    mod = modules.get(path)
    if leaf != "weight" or p.dim() < 2:
        return None
    if isinstance(mod, torch.nn.Linear):
        return int(p.shape[1]), int(p.shape[0])
    conv = isinstance(mod, torch.nn.modules.conv._ConvNd) and not mod.transposed and mod.groups == 1
    return (math.prod(int(x) for x in p.shape[1:]), int(p.shape[0])) if conv else None


def _read_in_part(low, v, name: str, t) -> dict | None:
    """The entry of a parameter ``t`` (source version ``v``) its ops read only in part (an
    embedding table's gathered rows): ``bytes``, the part never read, beside ``read_bytes`` and
    ``parameter_bytes``; None when something read it whole (or it was read only by a cast).
    The parameter is its own elements, not its storage's: ``torch.hann_window(256)`` is 256
    elements of a 257-element storage (a periodic window is the symmetric one of N + 1 points
    less its last), and reading all 256 reads it whole."""
    if not v.reads or any(r is None for r in v.reads):
        return None
    if low.st.covers(t, low.st.storages[storage_key(t)]):
        size = v.size
        # one distinct read: its tensor's elements (counted once by source_tensors); else the union
        n = int(v.tensors[0][2]) if len(v.tensors) == 1 else distinct_size(v.reads)
    else:  # a view of a larger storage: the reads that fall on its own elements
        own = _sorted_distinct(low.st.units(t).astype(np.int64))
        read = _sorted_distinct(np.concatenate([as_offsets(r) for r in v.reads]).astype(np.int64))
        size, n = len(own), len(np.intersect1d(own, read, assume_unique=True))
    if n >= size:
        return None
    unit = DTYPE_BYTES[v.dtype or low.dtype]
    out = _entry(name, tuple(t.shape), v.dtype or low.dtype)
    out.update(bytes=(size - n) * unit, read_bytes=n * unit, parameter_bytes=size * unit)
    return out


def _view(t, key) -> tuple:
    """A parameter's or buffer's identity: its view of its storage (``key``), not the storage,
    so two buffers viewing different parts of one storage are each checked (a tied parameter,
    the same view under two names, once)."""
    return key, int(t.storage_offset()), tuple(t.shape), tuple(t.stride())


def collect(low, model) -> dict:
    """The metadata entries (only those not empty) of what the trace by ``low`` of ``model``
    did not see: ``unread_parameters``, ``unrouted_experts``, ``untraced_tensors``."""
    # read: by an op's operand (a gather's rows included) or through Lowerer.read (a cast)
    vids = low.read_vids | {vid for p in low.protos for o in p.operands for vid, _ in o}
    read_keys = {key for key, vid in low.source_vid.items() if vid in vids}
    unread, seen, by_name = [], set(), {}
    modules = dict(model.named_modules(remove_duplicate=False))
    for name, p in model.named_parameters(remove_duplicate=False):
        key = storage_key(p) if p.numel() else None
        if key is None or _view(p, key) in seen:  # a tied parameter: checked once
            continue
        seen.add(_view(p, key))
        if key not in read_keys:  # a tied parameter read under another name is read
            unread.append(_entry(name, tuple(p.shape), low.dt(p), _matrix(low.torch, modules, name, p)))
            by_name[name] = unread[-1]["bytes"]
        elif name not in getattr(low, "experts", {}):  # a stacked expert weight: per expert below
            part = _read_in_part(low, low.st.versions[low.source_vid[key]], name, p)
            if part is not None:
                unread.append(part)
    for name, b in model.named_buffers(remove_duplicate=False):  # a table held as a buffer
        key = storage_key(b) if b.numel() else None
        if key is None or _view(b, key) in seen or key not in read_keys \
                or low.names.get(key, (None, None))[0] != "weight":
            continue
        seen.add(_view(b, key))
        part = _read_in_part(low, low.st.versions[low.source_vid[key]], name, b)
        if part is not None:
            unread.append(part)
    moe: dict[str, dict] = {}
    for wname, e in getattr(low, "experts", {}).items():  # torch._grouped_mm's stacked experts
        idle = [g for g in range(e["of"]) if g not in e["read"]]
        for g in idle:
            unread.append(_entry(f"{wname}[{g}]", e["shape"], e["dtype"], e["shape"]))
        if idle:
            m = moe.setdefault(e["module"], {"module": e["module"], "experts": set(), "of": e["of"],
                                             "bytes": 0})
            m["experts"].update(idle)
            m["bytes"] += len(idle) * unread[-1]["bytes"]
    routing = _routing(model, modules, getattr(low, "experts", {}))
    for path, mod in modules.items():  # plain torch: a ModuleList of experts, some never called
        if re.search(r"experts?$", path.split(".")[-1], re.I) and type(mod).__name__ == "ModuleList":
            idle, size = [], 0
            for i, child in enumerate(mod):
                names = [f"{path}.{i}.{n}" for n, p in child.named_parameters() if p.numel()]
                if names and all(n in by_name for n in names):
                    idle.append(i)
                    size += sum(by_name[n] for n in names)
            if idle:
                moe[path] = {"module": path, "experts": set(idle), "of": len(mod), "bytes": size}
    out: dict = {}
    if unread:
        out["unread_parameters"] = unread
    if moe:
        out["unrouted_experts"] = [{**m, "experts": sorted(m["experts"])} for m in moe.values()]
    if routing:
        out["expert_routing"] = routing
    if low.untraced:
        out["untraced_tensors"] = low.untraced
    return out


#: a mixture of experts' experts per token, as configs and modules name it
TOP_K = ("num_experts_per_tok", "top_k", "moe_top_k")


def _top_k(model, modules: dict, path: str):
    """Experts per token of the MoE whose experts are module ``path``: its block's or its
    router's ``top_k`` (transformers' MoE blocks), else the model config's; None if unknown."""
    block = modules.get(path.rpartition(".")[0])
    for obj in (block, getattr(block, "gate", None), getattr(block, "router", None),
                getattr(model, "config", None)):
        for k in TOP_K:
            v = getattr(obj, k, None)
            if type(v) is int and v >= 1:
                return v
    return None


def uniform_experts(E: int, k: int, B: int) -> float:
    """Distinct experts B tokens use on average when each picks k of E uniformly at random:
    ``E (1 - (1 - k/E)^B)`` (an expert is missed by one token with probability 1 - k/E)."""
    return E * (1.0 - (1.0 - k / E) ** B)


def _routing(model, modules: dict, experts: dict) -> list[dict]:
    """Per MoE layer run once by ``_grouped_mm``: experts that took tokens, of how many, the
    tokens and experts per token, and the uniform-routing expectation (:func:`uniform_experts`);
    a layer run more than once, or whose experts per token is unknown, is left out."""
    out, seen = [], set()
    for e in experts.values():
        if e["module"] in seen or len(e["rows"]) != 1:
            continue
        seen.add(e["module"])
        k = _top_k(model, modules, e["module"])
        if k is None or e["rows"][0] % k or k > e["of"]:
            continue
        tokens = e["rows"][0] // k
        out.append({"module": e["module"], "experts_used": len(e["read"]), "of": e["of"],
                    "tokens": tokens, "top_k": k,
                    "uniform_expected": round(uniform_experts(e["of"], k, tokens), 4)})
    return out


def routing_note(meta) -> str | None:
    """The note comparing each MoE layer's experts used with uniform routing's expectation; the
    router's random weights and ``--param seed`` are named only for an ``hf:`` zoo entry built
    with random weights (``metadata['zoo']``), any other model's routing is that of its
    example inputs (its weights may be trained)."""
    layers = meta.get("expert_routing") or []
    if not layers:
        return None
    groups: dict[tuple, list] = {}
    for r in layers:
        groups.setdefault((r["of"], r["top_k"], r["tokens"], r["uniform_expected"]), []).append(r)
    parts = []
    for (E, k, B, mean), rs in groups.items():
        used = ", ".join(str(r["experts_used"]) for r in rs)
        parts.append(f"{len(rs)} layer(s) used {used} of {E} experts for {B} token(s) x top-{k}; "
                     f"uniform routing uses E(1-(1-k/E)^B) = {mean:.2f} on average")
    zoo = meta.get("zoo") if isinstance(meta.get("zoo"), dict) else {}
    if str(zoo.get("name", "")).startswith("hf:") and zoo.get("weights") == "real":
        return ("expert routing is one sample of the router's random weights, not a trained "
                "router's: " + "; ".join(parts) + " (the weights read follow the sample; "
                "average over seeds, --zoo hf:...'s --param seed=N; metadata['expert_routing'])")
    return ("expert routing is the routing of the example inputs (one sample), against uniform "
            "routing: " + "; ".join(parts) + " (the weights read follow it; "
            "metadata['expert_routing'])")


def _names(entries) -> str:
    names = [str(e.get("name", "?")) for e in entries]
    return ", ".join(names[:SHOWN]) + (", ..." if len(names) > SHOWN else "")


def _shown(entries, say) -> str:
    """``say`` of the first :data:`SHOWN` entries, then ``...`` where there are more."""
    return ", ".join(say(e) for e in entries[:SHOWN]) + (", ..." if len(entries) > SHOWN else "")


def notes(meta) -> list[str]:
    """The notes ``cimsim trace`` and a run print for :func:`collect`'s entries."""
    out = [n for n in [routing_note(meta)] if n]
    for m in meta.get("unrouted_experts") or []:
        ids = ", ".join(str(e) for e in m["experts"][:8]) + (", ..." if len(m["experts"]) > 8 else "")
        out.append(f"mixture of experts '{m['module']}': {len(m['experts'])} of {m['of']} experts "
                   f"({si(m['bytes'], 'B')}) received no token (expert(s) {ids})")
    every = meta.get("unread_parameters") or []
    table = [e for e in every if e.get("untied_table") is True]  # a generated LLM's (llm_hf)
    if table:
        out.append(f"the untied input embedding table ({si(sum(int(e['bytes']) for e in table), 'B')}) "
                   "is held on the first pipeline stage (the embedding's; the only one without "
                   "pipeline parallelism), counted in the footprint and the capacity check; "
                   "the generator models no gather's read of it")
    every = [e for e in every if e.get("untied_table") is not True]
    unread = [e for e in every if "read_bytes" not in e]
    part = [e for e in every if "read_bytes" in e]
    if part:
        size = sum(int(e.get("bytes", 0)) for e in part)
        what = ", ".join(f"{e.get('name', '?')} {si(e['read_bytes'], 'B')} of "
                         f"{si(e.get('parameter_bytes', 0), 'B')}" for e in part[:SHOWN])
        out.append(f"{len(part)} parameter(s) read only in part by this forward ({what}"
                   f"{', ...' if len(part) > SHOWN else ''}): {si(size, 'B')} of them never read, "
                   "not in the weights (which count the part read, an embedding table's gathered "
                   "rows), yet held in memory all the same (metadata['unread_parameters']: bytes "
                   "never read, read_bytes, parameter_bytes)")
    if unread:
        size = sum(int(e.get("bytes", 0)) for e in unread)
        out.append(f"{len(unread)} parameter(s), {si(size, 'B')}, never read by this forward: "
                   f"{_names(unread)}; not in the weights read, yet memory and a weight-stationary "
                   "chip must hold them too: the footprint (the capacity check) counts them, a flat "
                   "CIM pool gives their matrices arrays it never reads, a PIM or a CIM chip block "
                   "leaves them out (metadata['unread_parameters'])")
    over = meta.get("overlapping_weight_reads") or []
    if over:
        out.append(_overlap_note(over))
    lost = meta.get("untraced_tensors") or []
    if lost:
        what = _shown(lost, lambda e: f"{e['name']}, {'x'.join(str(s) for s in e['shape'])} {e['dtype']}")
        out.append(f"{len(lost)} tensor(s) ({what}) appeared without an aten op producing "
                   f"{'it' if len(lost) == 1 else 'them'} (torch.from_numpy? a tensor attribute that "
                   "is no buffer?): work done outside torch is not counted "
                   "(metadata['untraced_tensors'])")
    from .control import note

    return out + note(meta)  # the path the example inputs took (:mod:`.control`)


def _readers(e) -> str:
    """What reads an overlapping weight's views, in words: ``a gather and a matmul``."""
    said = []
    for r, k in sorted(Counter(e.get("readers") or []).items(), key=lambda rk: (rk[0] != "gather", rk[0])):
        noun = r if r in ("gather", "matmul") else f"{r} op"
        said.append(f"{('an' if noun[0] in 'aeiou' else 'a') if k == 1 else k} {noun}{'' if k == 1 else 's'}")
    return said[0] if len(said) == 1 else ", ".join(said[:-1]) + " and " + said[-1]


def _overlap_note(over) -> str:
    """The note on weights read through overlapping views: each entry's tensors and bytes, and
    what reads them (``readers``: a trace since 2026-12-07 records one per reading op; a file
    without them, two matmuls); the CIM clause only where two or more matmuls read one."""
    several = [e for e in over if (e.get("readers") or ["matmul"] * 2).count("matmul") >= 2]
    what = _shown(over, lambda e: f"{e['name']}: {len(e['tensors'])} tensors of {si(e['bytes'], 'B')}, "
                  f"{si(e['union_bytes'], 'B')} distinct" + (f", read by {_readers(e)}" if e.get("readers") else ""))
    tail = "the weights, the footprint and its capacity check count each element once (metadata['overlapping_weight_reads'])"
    held = ("each matmul keeps what it reads as its own stationary tensor (a CIM maps each window, and "
            "each orientation of one, to arrays of its own; each kernel streams its own window)")
    if len(several) == len(over):
        return f"{len(over)} weight(s) read through overlapping views ({what}): {held}, while {tail}"
    held = (f"; where two or more matmuls read one ({_names(several)}), {held}" if several else
            "; at most one matmul holds each as its stationary weight, so no array holds an element twice")
    return f"{len(over)} weight(s) read through overlapping views ({what}): {tail}{held}"


#: ``metadata`` key of the grid_sample ops costed by the closed-form estimate
#: (:mod:`cimsim.workload.trace.gridsample`; here, without torch, for a run's notes)
ESTIMATES = "grid_sample_estimates"


def estimate_notes(meta) -> list[str]:
    """A run's note where samplers were costed by the closed-form estimate, not their grid's
    values (``metadata['grid_sample_estimates']``)."""
    entries = meta.get(ESTIMATES) if isinstance(meta, dict) else None
    if not entries or not isinstance(entries, list):
        return []
    whys = sorted({str(e.get("why")) for e in entries if isinstance(e, dict)})
    return [f"{len(entries)} grid_sample op(s) costed by the closed-form estimate (a piece of lines "
            "per point, row of taps and channel, at most the input; neither an upper nor a lower "
            f"bound), not by their grid's values: {'; '.join(whys)} (metadata['{ESTIMATES}'])"]
