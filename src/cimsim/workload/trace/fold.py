"""``--fold-computed-weights`` (``trace(..., fold_computed_weights=True)``): a matmul whose
matrix is computed each forward from one parameter alone is re-pointed at that parameter.

A BitNet ``BitLinear`` written the usual way quantises ``self.weight`` inside ``forward``
(``w_q = round(clamp(w / scale, -1, 1)) * scale`` with ``scale = w.abs().mean()``, or
``sign(w)``): the matmul's matrix is an op's output, an activation, so without folding no CIM
array, PIM unit or systolic weight store takes it (0 weight MACs; :mod:`.computed` lists it).
With folding, a matmul-family operand (``mm``, ``addmm``, ``linear``, ``bmm``, ...; not a
convolution's weight) is folded where

* it is one whole version (no slice or concatenation of several),
* everything it was computed from is one parameter of its own size (the matrix's elements)
  plus at most scalar constants (an ``eps``): no example input, no random draw, no buffer,
  no packed or integer tensor, no second parameter,
* every op on the way is an elementwise, reduction, softmax or copy op (a scale
  ``w.abs().mean()``, ``round``, ``clamp``, ``sign``, a cast): no matmul, no unknown op,
* the parameter was not rewritten in place during the forward, and the step's optimizer does not
  update it (a training step runs the transform every step),
* every fold of the parameter has the same transform chain (``sign(w)`` at one matmul and
  ``relu(w)`` at another are two matrices: the second is not folded).

The matmul then reads the parameter as its stationary weight (its bytes: the parameter's, at
its dtype or ``--dtype``, or at the dtype of the transform's last cast: ``sign(w).half()`` is
fp16, listed in ``metadata['weights_cast']``), and the transform ops that nothing else reads are dropped: a
deployment runs them once, when it programs the weight, not in each forward. Each fold is
listed in ``metadata['folded_weights']`` (``op``, ``weight``, ``dropped``: the ops' names) and
``cimsim trace`` says so (a run of the saved file prints no note of its own). The weight's values in ``--stats`` are the computed
matrix's (what the array holds). An operand that does not qualify stays as it was (listed in
``metadata['computed_weights']`` with the reason the note gives).
"""

from __future__ import annotations

from .computed import CONST, FED, INT_BUFFER, PACKED, PARAM, RANDOM, RESEEDED, _walk, origin

#: proto kinds a weight transform may consist of
TRANSFORM_KINDS = frozenset({"elementwise", "reduction", "softmax", "copy"})
#: the bits that keep an operand from being folded (an input, a draw, a packed or integer tensor)
BLOCKING = FED | PACKED | RANDOM | RESEEDED | INT_BUFFER


def _source(low, pieces, numel: int):
    """The parameter version operand ``pieces`` (of ``numel`` elements) is computed from alone,
    with the transform protos' indices; else the reason it does not qualify (a str, said in
    ``metadata['computed_weights']``' ``not_folded``), or None where it is no parameter's (module
    docstring)."""
    if len(pieces) != 1 or pieces[0][1] is not None:
        return "a slice or concatenation of several tensors"
    vid = pieces[0][0]
    v = low.st.versions[vid]
    if v.producer < 0:
        return None
    flags = origin(low, vid)
    if not flags & PARAM or flags & BLOCKING:
        return None
    if v.size != numel:
        return "a broadcast or expanded weight (the matmul reads more elements than it has)"
    params, protos = [], set()
    for u, p in _walk(low, [vid]):
        src = low.st.versions[u]
        if p is None:
            sflags = low.src_flags.get(u, 0)
            if sflags & PARAM and src.role == "weight":
                params.append(u)
            elif not (sflags & CONST and src.size <= 1):  # a buffer, or a constant tensor
                return "computed from a buffer or a constant tensor besides the parameter"
            continue
        if p.kind not in TRANSFORM_KINDS or p.tags.get("unknown") or p.macs:
            return f"computed through {p.name}, not an elementwise, reduction or copy op"
        protos.add(src.producer)
    if len(params) != 1 or low.st.versions[params[0]].size != numel:
        return "computed from several parameters"
    if any(vid in low.st.history.get(k, ()) for k in low.param_keys):  # rewritten in place
        return None
    name = low.st.versions[params[0]].name
    if any(params[0] in low.st.history.get(k, ()) for k in getattr(low, "fold_updated", ())):
        return (f"the step's optimizer updates {name}, so its transform runs every step, not once "
                "when the weight is programmed")
    chain = tuple(_base(low.protos[i].name) for i in sorted(protos))
    seen = low.__dict__.setdefault("fold_chains", {}).setdefault(name, chain)
    if seen != chain:  # one array cannot hold two different matrices of one parameter (review L1 1)
        return (f"{name} is folded at another matmul through another transform "
                f"({', '.join(seen) or 'none'}), and one parameter holds one matrix")
    return params[0], protos


def _base(name: str) -> str:
    """An op's name without its ``#N`` suffix (``clamp#1`` -> ``clamp``)."""
    return name.split("#", 1)[0]


def operands(low, pa, pb, a, b):
    """``(pa, pb, folds)``: the matmul's operand pieces, each computed-from-one-parameter one
    replaced by that parameter (``folds``: (parameter version, transform protos) per fold); a
    fold through a cast reads the parameter at the cast's dtype (``metadata['weights_cast']``).
    An operand that does not qualify keeps its pieces and its reason (``low.fold_why``)."""
    folds = []
    out = []
    for pieces, t in ((pa, a), (pb, b)):
        found = _source(low, pieces, t.numel()) if pieces else None
        if not isinstance(found, tuple):
            if found is not None:
                low.__dict__.setdefault("fold_why", {})[pieces[0][0]] = found
            out.append(pieces)
            continue
        src = low.st.versions[found[0]]
        new = low.dt(t)
        if t.is_floating_point() and src.dtype is not None and new != src.dtype:  # sign(w).half(): the array holds fp16
            key = (src.name, new)
            if key not in low._cast_of:
                low._cast_of[key] = low.st.add_source(t, "weight", src.name, new)
                low.cast_weights[src.name] = new
            found = (low._cast_of[key].id, found[1])
        folds.append(found)
        out.append([(found[0], None)])
    return out[0], out[1], folds


def record(low, pid: int, folds) -> None:
    """Remember matmul proto ``pid``'s folds (its transform protos dropped in :func:`drop`)."""
    for src, protos in folds:
        low.__dict__.setdefault("folds", []).append(
            {"op": low.protos[pid].name, "weight": low.st.versions[src].name, "_protos": protos})


def drop(low) -> None:
    """Before assembling: the folds' transform protos that no kept op reads and the model does
    not return lose their reads and writes (:func:`.assemble.finish` then emits no op for them);
    ``low.folded_weights``: the entries for ``metadata['folded_weights']``."""
    folds = low.__dict__.get("folds", [])
    low.folded_weights = []
    if not folds:
        return
    candidates = set().union(*(f["_protos"] for f in folds))
    lasting = getattr(low, "lasting_vids", set())
    dead = set(candidates)
    while True:
        read = {vid for i, p in enumerate(low.protos) if i not in dead
                for operand in p.operands for vid, _ in operand}
        keep = {i for i in dead if any(o in read or o in lasting for o in low.protos[i].outputs)}
        if not keep:
            break
        dead -= keep
    for f in folds:
        names = sorted(low.protos[i].name for i in f.pop("_protos") if i in dead)
        low.folded_weights.append({**f, "dropped": names})
    for i in dead:
        p = low.protos[i]
        p.operands, p.shapes, p.outputs = [], [], []


def summary(entries) -> str:
    """The note of ``metadata['folded_weights']`` (``cimsim trace``, runs)."""
    ops = sum(len(e["dropped"]) for e in entries)
    names = ", ".join(sorted({e["weight"] for e in entries})[:4]) + (", ..." if len({e["weight"] for e in entries}) > 4 else "")
    return (f"{len(entries)} matmul(s) read a weight computed each forward from one parameter "
            f"({names}): folded (--fold-computed-weights), each now reads that parameter as its "
            f"stationary weight and the {ops} transform op(s) computing it are dropped (run once, "
            "when the weight is programmed); the array holds the transformed values")
