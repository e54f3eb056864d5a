"""Where a workload can be cut in two, and the two workloads a cut makes (no simulation here).

A workload's ops are in topological order, so every position ``k`` in ``0..n`` of that order is
a cut: ops ``0..k-1`` run on the edge (the *prefix*), ops ``k..n-1`` on the server (the
*suffix*). Cut 0 is "server only" (the edge sends the model's raw inputs), cut ``n`` "edge only"
(nothing is sent). What crosses cut ``k`` uplink is every tensor the edge holds that a suffix op
reads: an activation made by a prefix op and read at or after ``k``, or a model input
(``role: input``) read at or after ``k`` (the edge holds the inputs). Weights never cross (each
side holds its own). What comes back downlink is every tensor the model returns
(``metadata.outputs``, or the activations no op reads) that a suffix op makes.

The prefix's crossing tensors become its outputs (``metadata.outputs``, with any model output the
prefix makes); in the suffix they become inputs (``role: input``). Every other op, tensor, tag
and metadata key is kept as it is, so a layer costs the same in a half as in the whole model.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from ..dtypes import tensor_bytes
from ..errors import WorkloadError


@dataclass(frozen=True)
class Cut:
    """One cut of a workload's op order.

    ``index``: the ops run on the edge (0 = server only, n = edge only); ``after``: the last op on
    the edge (None at cut 0); ``before``: the first op on the server (None at cut n);
    ``tensors``: the tensors sent uplink, with ``numel`` elements and ``nbytes`` bytes each (their
    own dtypes); ``returned``: the model outputs the server makes (sent back downlink when the
    link has a downlink), ``returned_bytes`` their bytes."""

    index: int
    after: str | None
    before: str | None
    tensors: tuple[str, ...]
    numel: tuple[int, ...]
    nbytes: tuple[int, ...]
    returned: tuple[str, ...]
    returned_bytes: int

    def uplink_bytes(self, dtype: str | None = None) -> int:
        """Bytes sent uplink: the tensors at their own dtypes, or each element in ``dtype``
        (``int8``: a quantized cut, 1 B an element)."""
        if dtype is None:
            return sum(self.nbytes)
        return sum(tensor_bytes(n, dtype) for n in self.numel)


def _returned_names(workload) -> set[str]:
    from ..workload.returned import listed

    if listed(workload):
        return set(workload.metadata["outputs"])
    read = {t for op in workload.ops for t in op.inputs}
    return {name for name, t in workload.tensors.items() if t.role == "activation" and name not in read}


def cut_points(workload, after: tuple[str, ...] | list[str] = (), module_depth: int | None = None,
               single_tensor: bool = False, ends: bool = True) -> list[Cut]:
    """Every cut of ``workload``'s op order (see the module's docstring), in order.

    ``after``: keep only cuts right after an op whose name matches one of these glob patterns
    (``blocks.*.relu*``, ``mean``); ``module_depth``: keep only cuts where the first
    ``module_depth`` dotted parts of the op tag ``module`` (or of the op name, where no tag) change
    (2: between ``blocks.0`` and ``blocks.1``); ``single_tensor``: keep only cuts with exactly one
    tensor crossing; ``ends``: keep cut 0 (server only) and cut n (edge only) whatever the
    filters say."""
    if isinstance(after, str):
        after = (after,)
    if module_depth is not None and module_depth < 1:
        raise WorkloadError(f"module depth {module_depth}: give 1 or more (the dotted parts of an "
                            "op's module that name a boundary)")
    if hasattr(workload.metadata, "get") and workload.metadata.get("llm") is not None:
        raise WorkloadError(f"workload '{workload.name}' is an LLM serving run (prefill and decode "
                            "steps over a KV cache): it is not cut by op order; trace or generate "
                            "one forward pass to study a split")
    ops = list(workload.ops)
    n = len(ops)
    tensors = workload.tensors
    producer: dict[str, int] = {}
    last_read: dict[str, int] = {}
    for i, op in enumerate(ops):
        for t in op.inputs:
            last_read[t] = i
        for t in op.outputs:
            producer.setdefault(t, i)
    returned = _returned_names(workload)
    unmatched = [p for p in after if not any(fnmatch.fnmatchcase(op.name, p) for op in ops)]
    if unmatched:
        raise WorkloadError(f"--after {unmatched[0]!r}: no op of workload '{workload.name}' has a "
                            f"name matching it (a glob over op names: "
                            f"its ops run from {ops[0].name!r} to {ops[-1].name!r})")

    def module(i: int) -> tuple[str, ...]:
        op = ops[i]
        name = op.tags.get("module") if hasattr(op.tags, "get") else None
        parts = str(name if name is not None else op.name).split(".")
        return tuple(parts[:module_depth])

    # what crosses cut k: held by the edge (made before k, or a model input) and read at k or after
    # (one sweep over the order: a tensor joins at the cut after its producer, leaves after its
    # last reader)
    joins: dict[int, list[str]] = {}
    for t, last in last_read.items():
        made = producer.get(t, -1)
        if tensors[t].role != "weight" and (made >= 0 or tensors[t].role == "input") and made < last:
            joins.setdefault(made + 1, []).append(t)
    live: dict[str, int] = {}
    cuts = []
    for k in range(n + 1):
        for t in joins.get(k, ()):
            live[t] = last_read[t]
        for t in [t for t, last in live.items() if last < k]:
            del live[t]
        end = k in (0, n)
        keep = True
        if 0 < k and after and not any(fnmatch.fnmatchcase(ops[k - 1].name, p) for p in after):
            keep = False
        if keep and module_depth is not None and 0 < k < n and module(k - 1) == module(k):
            keep = False
        crossing = list(live)
        if keep and single_tensor and len(crossing) != 1:
            keep = False
        if not keep and not (ends and end):
            continue
        back = tuple(sorted(t for t in returned if producer.get(t, -1) >= k))
        cuts.append(Cut(k, ops[k - 1].name if k else None, ops[k].name if k < n else None,
                        tuple(crossing), tuple(tensors[t].numel for t in crossing),
                        tuple(tensors[t].nbytes for t in crossing), back,
                        sum(tensors[t].nbytes for t in back)))
    return cuts


def cut_workload(workload, cut: Cut | int):
    """The two workloads of a cut: ``(prefix, suffix)``, each None where it has no op (cut 0 has
    no prefix, cut n no suffix). The prefix returns the crossing tensors (and any model output it
    makes); the suffix reads them as inputs."""
    from ..workload.io import workload_from_dict, workload_to_dict

    if isinstance(cut, int):
        n = len(workload.ops)
        if not 0 <= cut <= n:
            raise WorkloadError(f"cut {cut}: workload '{workload.name}' has {n} ops, so a cut is "
                                f"0 (server only) to {n} (edge only)")
        cut = next(c for c in cut_points(workload, ends=True) if c.index == cut)
    d = workload_to_dict(workload)
    ops, k = d["ops"], cut.index
    returned = _returned_names(workload)
    metadata = dict(d["metadata"]) if isinstance(d["metadata"], dict) else {}

    def half(part: list[dict], tag: str, inputs: set[str], outputs: list[str]):
        if not part:
            return None
        used = {t for op in part for t in op["inputs"] + op["outputs"]}
        tensors = [dict(t, role="input") if t["name"] in inputs else t
                   for t in d["tensors"] if t["name"] in used]
        meta = dict(metadata, outputs=[t for t in outputs if t in used], split={"cut": k, "part": tag, "of": workload.name})
        return workload_from_dict(dict(d, name=f"{workload.name}-{tag}{k}", metadata=meta,
                                       tensors=tensors, ops=part), source=f"{workload.name} cut {k}")

    made_before = {t for op in ops[:k] for t in op["outputs"]}
    prefix = half(ops[:k], "edge", set(), sorted(set(cut.tensors) | (returned & made_before)))
    suffix = half(ops[k:], "server", set(cut.tensors), sorted(returned - made_before))
    return prefix, suffix
