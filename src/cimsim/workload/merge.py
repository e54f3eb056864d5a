"""Several models on one system, as one workload (``cimsim workload merge``, :func:`merge_workloads`).

Each model's tensors, ops, matmul weights and the tags that name a group or a parameter
(``launch``, ``weight_name``) are prefixed with the model's name (``lss.``), so that names the
models share stay apart. Models are independent (all start at time 0) unless an edge says one
feeds another: ``B.input=A.output`` makes model B's input tensor ``input`` model A's tensor
``output`` (B's ops read A's tensor; B's input is no longer a tensor of its own), so that B's ops
that read it wait for A's op that writes it. ``chain`` adds the edge from each model to the next:
the next model's one input of the same dtype and elements as the previous model's one output.
An edge needs the same dtype and element count on both sides (a reshape is free; anything else,
a cast, a concatenation of two models' outputs, a decoder of detections into a planner's
tokens, is an op of its own: trace it as a model and merge it between them).

Models are listed in the order given, except that a model comes after every model it reads
from (a workload's ops are in dependency order). The merged workload's ``metadata["models"]``
lists each model's name, its ops (a contiguous range of the merged op order) and what it reads
from (``after``), which the run's per-model figures read (:mod:`cimsim.report.models`).
"""

from __future__ import annotations

import re
from typing import Iterable, Mapping, Sequence

from ..errors import WorkloadError
from .io import workload_from_dict, workload_to_dict
from .ir import Workload

#: a model's name: a prefix of its tensor and op names (no dot, no space)
NAME = re.compile(r"[A-Za-z0-9_-]+")
#: the tags whose values name a group or a parameter of one model (prefixed as names are)
NAMED_TAGS = ("launch", "weight_name")
#: metadata carried over where every model states the same value (how it was traced)
SHARED_METADATA = ("gather_rule", "chain_rule", "source", "capture")


def parse_edge(text: str, models: Sequence[str]) -> tuple[str, str, str, str]:
    """``'B.input=A.output'`` as ``(B, input, A, output)``; a one-line error naming what is
    wrong and what is allowed."""
    head = f"--after {text!r}"
    if text.count("=") != 1:
        raise WorkloadError(f"{head}: write MODEL.INPUT=MODEL.OUTPUT (model B's input := model A's "
                            "output, e.g. planner.tok=lss.det.add_bias)")
    sides = []
    for side in text.split("="):
        model, dot, tensor = side.strip().partition(".")
        if not dot or not tensor:
            raise WorkloadError(f"{head}: '{side.strip()}' is not MODEL.TENSOR")
        if model not in models:
            raise WorkloadError(f"{head}: no model '{model}' (the models: {', '.join(models)})")
        sides.append((model, tensor))
    (b, inp), (a, out) = sides
    if a == b:
        raise WorkloadError(f"{head}: a model cannot feed itself")
    return b, inp, a, out


def _is_wait(text: str) -> bool:
    """``'big=small'``: a control edge (no tensor named on either side)."""
    return text.count("=") == 1 and "." not in text


def parse_wait(text: str, models: Sequence[str]) -> tuple[str, str]:
    """``'B=A'`` (model B starts after model A ends: a cascade's big model after the small one's
    confidence test) as ``(B, A)``; a one-line error naming what is wrong."""
    b, a = (x.strip() for x in text.split("="))
    for m in (b, a):
        if m not in models:
            raise WorkloadError(f"--after {text!r}: no model '{m}' (the models: {', '.join(models)})")
    if a == b:
        raise WorkloadError(f"--after {text!r}: a model cannot wait for itself")
    return b, a


def _returned(w: Workload) -> list[str]:
    """A model's returned outputs (``metadata.outputs``, else the tensors its ops write that none reads)."""
    outs = list(w.metadata.get("outputs") or [])
    if not outs:
        read = {i for op in w.ops for i in op.inputs}
        outs = [o for op in w.ops for o in op.outputs if o not in read]
    return outs


def wait_ops(n: str, ws: Mapping[str, Workload], waits: list[str], tensors: list, ops: list) -> list:
    """Model ``n``'s ops (merged dicts) with each op that reads a model input first wait for the
    returned outputs of every model in ``waits`` (control edges, find-F 3): an op ``<op>.wait``,
    one launch with that op (tag ``launch``), that reads the input and those outputs (the host's
    test of them) and passes the input on chip (no work, no write); the op reads it from there.
    The IR has no edge without a tensor, so the wait is this op."""
    if not waits:
        return ops
    done = [f"{a}.{x}" for a in waits for x in _returned(ws[a])]
    inputs = {t["name"] for t in tensors if t.get("role") == "input"}
    by_name = {t["name"]: t for t in tensors}
    out = []
    for op in ops:
        read = [x for x in op["inputs"] if x in inputs and x != op.get("weight")]
        if not read:
            out.append(op)
            continue
        tags = dict(op.get("tags") or {})
        tags.setdefault("launch", op["name"])
        subst = {}
        for x in read:
            y = f"{op['name']}.{x.split('.', 1)[1]}.after"
            tensors.append({**by_name[x], "name": y, "role": "activation"})
            out.append({"name": f"{op['name']}.{x.split('.', 1)[1]}.wait", "kind": "copy",
                        "inputs": [x, *done], "outputs": [y], "ops_per_element": 0.0,
                        "tags": {"launch": tags["launch"], "on_chip": 1, "part": "wait",
                                 **({"module": tags["module"]} if "module" in tags else {})}})
            subst[x] = y
        out.append({**op, "inputs": [subst.get(x, x) for x in op["inputs"]], "tags": tags})
    return out


def _describe(t) -> str:
    return f"{list(t.shape)} {t.dtype} ({t.nbytes:,} B)"


#: a traced constant the tracer declared as an input (``torch.zeros`` made in ``forward``: a
#: GRU's h0), not an argument of the model's forward: no edge may feed it
CONSTANT = re.compile(r"const\d+(?:[.\[].*)?")


def declared_inputs(w: Workload) -> list:
    """The model inputs an edge may feed: role ``input``, less a trace's constants
    (:data:`CONSTANT`, data the forward made itself, not one of its arguments)."""
    traced = w.metadata.get("capture") is not None
    return [t for t in w.tensors.values()
            if t.role == "input" and not (traced and CONSTANT.fullmatch(t.name))]


def _check_edge(edge, ws: Mapping[str, Workload]) -> None:
    b, inp, a, out = edge
    head = f"--after {b}.{inp}={a}.{out}"
    tb, ta = ws[b].tensors.get(inp), ws[a].tensors.get(out)
    inputs = [t.name for t in declared_inputs(ws[b])]
    if tb is None or tb.name not in inputs:
        if tb is not None and tb.role == "input":
            raise WorkloadError(f"{head}: '{inp}' is a constant model {b}'s forward made itself "
                                f"(torch.zeros, ...), not an input it is given (its inputs: "
                                f"{', '.join(inputs) or 'none'})")
        raise WorkloadError(f"{head}: '{inp}' is not an input of model {b} (its inputs: "
                            f"{', '.join(inputs) or 'none'})")
    written = {o for op in ws[a].ops for o in op.outputs}
    if ta is None or (out not in written and ta.role != "input"):
        returned = ws[a].metadata.get("outputs") or []
        raise WorkloadError(f"{head}: '{out}' is not a tensor model {a}'s ops write (it returns: "
                            f"{', '.join(map(str, returned)) or 'not stated'})")
    if (tb.dtype, tb.numel) != (ta.dtype, ta.numel):
        raise WorkloadError(
            f"{head}: {b}.{inp} is {_describe(tb)} and {a}.{out} {_describe(ta)}: an edge needs the "
            "same dtype and element count (a reshape is free); the op that makes one from the other "
            "is a model of its own: trace it and merge it between them")


def chain_edges(names: Sequence[str], ws: Mapping[str, Workload]) -> list[tuple[str, str, str, str]]:
    """The edges ``chain`` adds: each model's one returned output (``metadata.outputs``, else the
    one tensor its ops write that none reads) into the next model's one input of its dtype and
    elements."""
    edges = []
    for a, b in zip(names, names[1:]):
        outs = list(ws[a].metadata.get("outputs") or [])
        if not outs:
            read = {i for op in ws[a].ops for i in op.inputs}
            outs = [o for op in ws[a].ops for o in op.outputs if o not in read]
        if len(outs) != 1:
            raise WorkloadError(f"--chain: model {a} has {len(outs)} outputs ({', '.join(outs[:6]) or 'none'}); "
                                f"name the edge with --after {b}.INPUT={a}.OUTPUT")
        src = ws[a].tensors[outs[0]]
        fits = [t.name for t in declared_inputs(ws[b]) if (t.dtype, t.numel) == (src.dtype, src.numel)]
        if len(fits) != 1:
            inputs = ", ".join(f"{t.name} {_describe(t)}" for t in declared_inputs(ws[b]))
            raise WorkloadError(
                f"--chain: {a}'s output {outs[0]} is {_describe(src)}; model {b} has "
                f"{'no input' if not fits else 'several inputs'} of that dtype and size (its inputs: "
                f"{inputs or 'none'}); name the edge with --after {b}.INPUT={a}.OUTPUT")
        edges.append((b, fits[0], a, outs[0]))
    return edges


def _edge_text(e) -> str:
    """A tuple edge ``(B, input, A, output)`` as :func:`parse_edge` reads it (checked alike)."""
    if not (isinstance(e, tuple) and len(e) == 4 and all(isinstance(x, str) for x in e)):
        raise WorkloadError(f"merge: edge {e!r} is neither 'B.input=A.output' nor a tuple "
                            "(B, input, A, output) of four strings")
    return f"{e[0]}.{e[1]}={e[2]}.{e[3]}"


def _order(names: Sequence[str], edges) -> list[str]:
    """``names`` in the order given, each after every model it reads from; a cycle is an error."""
    needs = {n: {a for b, _, a, _ in edges if b == n} for n in names}
    done: list[str] = []
    while len(done) < len(names):
        ready = [n for n in names if n not in done and needs[n] <= set(done)]
        if not ready:
            left = [n for n in names if n not in done]
            raise WorkloadError(f"--after: the models {', '.join(left)} read from each other in a cycle")
        done.append(ready[0])
    return done


def _prefixed(d: dict, pre: str, feeds: Mapping[str, str]) -> tuple[list, list]:
    """Model dict ``d``'s tensors and ops, names prefixed ``pre``; an input in ``feeds`` (its
    name -> the merged name of the tensor that feeds it) is that tensor, not one of its own."""
    def name(t: str) -> str:
        return feeds.get(t, pre + t)

    tensors = [{**t, "name": pre + t["name"]} for t in d["tensors"] if t["name"] not in feeds]
    ops = []
    for o in d["ops"]:
        op = {**o, "name": pre + o["name"], "inputs": [name(x) for x in o["inputs"]],
              "outputs": [pre + x for x in o["outputs"]]}
        if o.get("weight"):
            op["weight"] = name(o["weight"])
        tags = o.get("tags")
        if tags and any(k in tags for k in NAMED_TAGS):
            op["tags"] = {**tags, **{k: pre + str(tags[k]) for k in NAMED_TAGS if k in tags}}
        ops.append(op)
    return tensors, ops


#: per-model metadata that names the model's tensors or ops, carried with its names prefixed:
#: key -> the fields of each list entry that hold a name
PER_MODEL_LISTS = {"unread_parameters": ("name",), "computed_weights": ("op", "operand"),
                   "overlapping_weight_reads": (), "grid_sample_estimates": ()}


def _carry(meta: dict, own: Mapping, pre: str, fed: set[str]) -> None:
    """Add model metadata ``own`` (names prefixed ``pre``) to the merged ``meta``: its resident
    inputs (``search.xb``, still resident: :func:`cimsim.workload.resident.merged_argument`;
    one an edge feeds is no longer an input), its buffers (bytes summed), and the lists of
    :data:`PER_MODEL_LISTS`."""
    for a in own.get("resident_inputs") or []:
        if pre + a not in fed and not any(f.startswith(pre + a + ".") or f.startswith(pre + a + "[")
                                          for f in fed):
            meta.setdefault("resident_inputs", []).append(pre + a)
    bufs = own.get("buffer_weights")
    if isinstance(bufs, Mapping) and bufs.get("names"):
        mine = meta.setdefault("buffer_weights", {"bytes": 0, "names": []})
        mine["bytes"] += int(bufs.get("bytes") or 0)
        mine["names"] += [pre + b for b in bufs["names"]]
        if bufs.get("non_persistent"):
            mine.setdefault("non_persistent", []).extend(pre + b for b in bufs["non_persistent"])
    for key, fields in PER_MODEL_LISTS.items():
        for e in own.get(key) or []:
            if not isinstance(e, Mapping):
                continue
            e = {**e, **{f: pre + str(e[f]) for f in fields if f in e}}
            if key == "overlapping_weight_reads" and e.get("tensors"):
                e["tensors"] = [pre + str(x) for x in e["tensors"]]
            meta.setdefault(key, []).append({**e, "model": pre[:-1]})


def merge_workloads(models: Mapping[str, Workload] | Iterable[tuple[str, Workload]],
                    after: Iterable[str | tuple[str, str, str, str]] = (), chain: bool = False,
                    name: str | None = None, batch: int = 1) -> Workload:
    """One workload of ``models`` (name -> workload, in order) run together on one system, model
    B's input fed by model A's output for each edge of ``after`` (``'B.input=A.output'`` or a
    tuple ``(B, input, A, output)``) and, with ``chain``, from each model to the next (module
    docstring). ``batch``: the samples the merged run stands for (``metadata.batch``)."""
    pairs = list(models.items()) if isinstance(models, Mapping) else list(models)
    names = [n for n, _ in pairs]
    if len(pairs) < 2:
        raise WorkloadError(f"merge: give two models or more (got {len(pairs)})")
    for n in names:
        if not isinstance(n, str) or not NAME.fullmatch(n):
            raise WorkloadError(f"merge: model name {n!r} must be letters, digits, '_' or '-' (it "
                                "prefixes the model's tensor and op names: lss.conv1); name it with NAME=FILE")
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise WorkloadError(f"merge: two models are named '{dup}'; name them apart (NAME=FILE)")
    ws = dict(pairs)
    for n in names:
        if ws[n].metadata.get("llm"):
            raise WorkloadError(f"merge: model {n} is an LLM serving run (metadata.llm: its prefill and "
                                "decode steps, TTFT, tokens/s), which a merge cannot keep; run it on "
                                "its own, or trace one step of it as a model and merge that")
    after = list(after)
    waits = [parse_wait(e, names) for e in after if isinstance(e, str) and _is_wait(e)]
    edges = [parse_edge(e if isinstance(e, str) else _edge_text(e), names) for e in after
             if not (isinstance(e, str) and _is_wait(e))]
    edges += chain_edges(names, ws) if chain else []
    fed: dict[tuple[str, str], str] = {}
    for e in edges:
        _check_edge(e, ws)
        if (e[0], e[1]) in fed:
            raise WorkloadError(f"--after: {e[0]}.{e[1]} is fed twice ({fed[e[0], e[1]]} and {e[2]}.{e[3]})")
        fed[e[0], e[1]] = f"{e[2]}.{e[3]}"
    for (b, inp), src in list(fed.items()):  # A's input fed by another edge: the tensor feeding it
        seen = {f"{b}.{inp}"}
        while tuple(src.split(".", 1)) in fed:
            if src in seen:
                raise WorkloadError(f"--after: the inputs {', '.join(sorted(seen))} feed each other in a cycle")
            seen.add(src)
            src = fed[tuple(src.split(".", 1))]
        fed[b, inp] = src
    order = _order(names, edges + [(b, "", a, "") for b, a in waits])
    tensors, ops, info, outputs = [], [], [], []
    consumed = {(a, out) for _, _, a, out in edges}
    meta: dict = {"batch": batch, "models": info,
                  "edges": [f"{b}.{i}={a}.{o}" for b, i, a, o in edges] + [f"{b}={a}" for b, a in waits]}
    for n in order:
        d = workload_to_dict(ws[n])
        t, o = _prefixed(d, n + ".", {inp: src for (b, inp), src in fed.items() if b == n})
        o = wait_ops(n, ws, [a for b, a in waits if b == n], t, o)
        info.append({"name": n, "first_op": len(ops), "ops": len(o),
                     "after": sorted({a for b, _, a, _ in edges if b == n} | {a for b, a in waits if b == n}),
                     **({"capture": ws[n].metadata["capture"]} if ws[n].metadata.get("capture") else {})})
        tensors += t
        ops += o
        outputs += [f"{n}.{x}" for x in ws[n].metadata.get("outputs") or [] if (n, x) not in consumed]
        _carry(meta, ws[n].metadata, n + ".", {f"{n}.{inp}" for (b, inp) in fed if b == n})
    for key in SHARED_METADATA:
        values = {str(ws[n].metadata.get(key)) for n in names}
        if len(values) == 1 and ws[names[0]].metadata.get(key) is not None:
            meta[key] = ws[names[0]].metadata[key]
    if outputs:
        meta["outputs"] = outputs
    return workload_from_dict({"format": "cimsim-workload", "version": 1,
                               "name": name or "+".join(names), "metadata": meta,
                               "tensors": tensors, "ops": ops}, source="merge")
