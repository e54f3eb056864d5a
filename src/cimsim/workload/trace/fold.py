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
* the parameter was not rewritten in place during the forward.

The matmul then reads the parameter as its stationary weight (its bytes: the parameter's, at
its dtype or ``--dtype``), and the transform ops that nothing else reads are dropped: a
deployment runs them once, when it programs the weight, not in each forward. Each fold is
listed in ``metadata['folded_weights']`` (``op``, ``weight``, ``dropped``: the ops' names) and
``cimsim trace`` and every run say so. The weight's values in ``--stats`` are the computed
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
    with the transform protos' indices; None where it does not qualify (module docstring)."""
    if len(pieces) != 1 or pieces[0][1] is not None:
        return None
    vid = pieces[0][0]
    v = low.st.versions[vid]
    if v.producer < 0 or v.size != numel:
        return None
    flags = origin(low, vid)
    if not flags & PARAM or flags & BLOCKING:
        return None
    params, protos = [], set()
    for u, p in _walk(low, [vid]):
        src = low.st.versions[u]
        if p is None:
            sflags = low.src_flags.get(u, 0)
            if sflags & PARAM and src.role == "weight":
                params.append(u)
            elif not (sflags & CONST and src.size <= 1):  # a buffer, or a constant tensor
                return None
            continue
        if p.kind not in TRANSFORM_KINDS or p.tags.get("unknown") or p.macs:
            return None
        protos.add(src.producer)
    if len(params) != 1 or low.st.versions[params[0]].size != numel:
        return None
    if any(vid in low.st.history.get(k, ()) for k in low.param_keys):  # rewritten in place
        return None
    return params[0], protos


def operands(low, pa, pb, a, b):
    """``(pa, pb, folds)``: the matmul's operand pieces, each computed-from-one-parameter one
    replaced by that parameter (``folds``: (parameter version, transform protos) per fold)."""
    folds = []
    out = []
    for pieces, t in ((pa, a), (pb, b)):
        found = _source(low, pieces, t.numel()) if pieces else None
        if found is None:
            out.append(pieces)
            continue
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
