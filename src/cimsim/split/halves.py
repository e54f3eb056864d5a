"""The two workloads of a cut (:mod:`.cuts`), each with metadata of its own.

The prefix's crossing tensors become its outputs (``metadata.outputs``, with any model output the
prefix makes); in the suffix they become inputs (``role: input``) listed in
``metadata.split.crossing``, so no resident rule takes them for a KV cache
(:func:`cimsim.workload.resident.sent_inputs`). Every op, tensor and tag is kept as it is, so a
layer costs the same in a half as in the whole model. The metadata that names tensors is each
half's own:

- ``overlapping_weight_reads``: the entries whose tensors all lie in the half (a weight read by
  both halves, tied embeddings, is held whole on each side);
- ``resident_inputs``: the arguments of the half's own inputs (a resident input lives on the
  side that reads it: on both, where both read it);
- ``unread_parameters``: an entry read in part goes to the side of its first reader, one no op
  reads to the server (to the edge at the last cut): never both;
- ``buffer_weights`` and ``computed_weights``: those of the half's weights and ops;
- ``models`` (a merge, :mod:`cimsim.workload.merge`): each model's op range re-based and clipped
  to the half's ops (a model cut in two is kept on both sides with its part, one wholly on the
  other side is dropped), and ``edges`` and each model's ``after`` those whose tensor is made and
  read in the half (final read 22-2 1).
"""

from __future__ import annotations

from ..errors import WorkloadError
from .cuts import Cut, returned_names, cut_points


def _unread_sides(metadata, ops: list[dict], k: int, has_suffix: bool) -> tuple[list, list]:
    """``(prefix's, suffix's)`` ``unread_parameters`` entries (the module's docstring)."""
    from ..workload.footprint import PART_READ

    entries = metadata.get("unread_parameters")
    if not isinstance(entries, list):
        return [], []
    first: dict[str, int] = {}
    for i, op in enumerate(ops):
        for t in op["inputs"]:
            m = PART_READ.match(t)
            if m:
                first.setdefault(m.group(1), i)
    sides: tuple[list, list] = ([], [])
    for e in entries:
        at = first.get(e.get("name")) if isinstance(e, dict) and "read_bytes" in e else None
        on_edge = (at < k) if at is not None else not has_suffix
        sides[0 if on_edge else 1].append(e)
    return sides


def _models(metadata: dict, lo: int, part: list[dict]) -> tuple[list, list]:
    """The half's ``(models, edges)`` of a merge (the module's docstring): the half holds the ops
    ``lo`` to ``lo + len(part) - 1`` of the whole."""
    made = {t for op in part for t in op["outputs"]}
    read = {t for op in part for t in op["inputs"]}
    edges = [e for e in metadata.get("edges") or []
             if isinstance(e, str) and "=" in e and e.partition("=")[2] in made & read]
    feeds = {(e.partition(".")[0], e.partition("=")[2].partition(".")[0]) for e in edges}
    models = []
    for m in metadata.get("models") or []:
        if not isinstance(m, dict) or not {"first_op", "ops"} <= m.keys():
            models.append(m)  # as it was: the run's one-line error names it
            continue
        first, last = max(int(m["first_op"]), lo), min(int(m["first_op"]) + int(m["ops"]), lo + len(part))
        if first < last:
            models.append(dict(m, first_op=first - lo, ops=last - first,
                               after=sorted(a for a in m.get("after") or [] if (m.get("name"), a) in feeds)))
    return models, edges


def _meta(metadata: dict, part: list[dict], tensors: list[dict], unread: list, extra: dict,
          lo: int = 0) -> dict:
    """The half's metadata (the module's docstring): ``metadata`` with its tensor-naming keys
    cut to the half's ``part`` (ops ``lo`` on of the whole) and ``tensors``, and ``extra`` set."""
    from ..workload.oparrays import argument

    names = {t["name"] for t in tensors}
    meta = dict(metadata, **extra)
    over = [e for e in metadata.get("overlapping_weight_reads") or []
            if isinstance(e, dict) and set(e.get("tensors") or ()) <= names]
    args = {argument(t["name"]) for t in tensors if t.get("role") == "input"}
    resident = [a for a in metadata.get("resident_inputs") or [] if a in args]
    bufs = metadata.get("buffer_weights")
    held = {}
    if isinstance(bufs, dict):
        for b in bufs.get("names") or []:
            mine = [t for t in tensors if t["name"] == b or t["name"].startswith(b + "[")]
            if mine:
                held[b] = sum(int(t.get("nbytes", 0)) for t in mine)
    ops = {op["name"] for op in part}
    computed = [e for e in metadata.get("computed_weights") or [] if isinstance(e, dict) and e.get("op") in ops]
    for key, value in (("overlapping_weight_reads", over), ("resident_inputs", resident),
                       ("unread_parameters", unread), ("computed_weights", computed)):
        if value:
            meta[key] = value
        else:
            meta.pop(key, None)
    if isinstance(metadata.get("models"), list):
        meta["models"], meta["edges"] = _models(metadata, lo, part)
        if not meta["models"]:
            meta.pop("models")
    if held:
        non = [b for b in bufs.get("non_persistent") or [] if b in held]
        meta["buffer_weights"] = {"bytes": sum(held.values()), "names": list(held),
                                  **({"non_persistent": non} if non else {})}
    else:
        meta.pop("buffer_weights", None)
    return meta


def cut_workload(workload, cut: Cut | int):
    """The two workloads of a cut: ``(prefix, suffix)``, each None where it has no op (cut 0 has
    no prefix, cut n no suffix). The prefix returns the crossing tensors (and any model output it
    makes); the suffix reads them as inputs (see the module's docstring)."""
    from ..workload.io import workload_from_dict, workload_to_dict

    if isinstance(cut, int):
        n = len(workload.ops)
        if not 0 <= cut <= n:
            raise WorkloadError(f"cut {cut}: workload '{workload.name}' has {n} ops, so a cut is "
                                f"0 (server only) to {n} (edge only)")
        cut = next(c for c in cut_points(workload, ends=True, lowered=True) if c.index == cut)
    d = workload_to_dict(workload)
    ops, k = d["ops"], cut.index
    returned = returned_names(workload)
    metadata = dict(d["metadata"]) if isinstance(d["metadata"], dict) else {}
    unread = _unread_sides(metadata, ops, k, k < len(ops))
    nbytes = {name: t.nbytes for name, t in workload.tensors.items()}

    def half(part: list[dict], tag: str, inputs: set[str], outputs: list[str], mine: list, lo: int):
        if not part:
            return None
        used = {t for op in part for t in op["inputs"] + op["outputs"]}
        tensors = [dict(t, role="input") if t["name"] in inputs else t
                   for t in d["tensors"] if t["name"] in used]
        split = {"cut": k, "part": tag, "of": workload.name,
                 **({"crossing": sorted(inputs)} if inputs else {})}
        meta = _meta(metadata, part, [dict(t, nbytes=nbytes[t["name"]]) for t in tensors], mine,
                     {"outputs": [t for t in outputs if t in used], "split": split}, lo)
        return workload_from_dict(dict(d, name=f"{workload.name}-{tag}{k}", metadata=meta,
                                       tensors=tensors, ops=part), source=f"{workload.name} cut {k}")

    made_before = {t for op in ops[:k] for t in op["outputs"]}
    prefix = half(ops[:k], "edge", set(), sorted(set(cut.tensors) | (returned & made_before)), unread[0], 0)
    suffix = half(ops[k:], "server", set(cut.tensors), sorted(returned - made_before), unread[1], k)
    return prefix, suffix
