"""Lifting passes over the lowered ops: merge what the hardware runs as one op.

1. :func:`fuse_pointwise`: a chain (any connected set) of elementwise ops
   becomes one ``elementwise`` op whose vector work is the members' sum: a
   bias add + GELU, the gate arithmetic of one LSTM / GRU step (then named
   ``lstm_pointwise`` / ``gru_pointwise`` / ``rnn_pointwise`` like the
   generators' fused cell op), RoPE, RMSNorm's scaling. It is named after its first member's
   module (tag ``module``); members from several modules: tag ``modules`` lists each one's.
2. :func:`absorb_into_softmax`: the scale / mask arithmetic whose only use is a
   softmax joins it, so attention is ``scores matmul -> softmax -> AV matmul``.
3. :func:`tag_recurrent`: matmuls reading ``weight_ih*`` / ``weight_hh*`` are
   tagged ``part: input`` / ``recurrent`` with their layer and step, the cell op
   ``part: state``.

Fusion never creates a cycle: a group stays open only while no op outside it
has read any of its outputs; an op joins only open groups. Nor does it cross a value read
(``syncs``: each tensor's sync epoch, :mod:`.control`): the ops after an ``if x[i]:`` / ``.item()``
/ ``nonzero`` join only ops after it, as no runtime fuses across a host sync (eager runs each op;
``torch.compile`` breaks its graph there): a hand-written NMS loop is an op per iteration.
"""

from __future__ import annotations

import re
import json
from collections import Counter, defaultdict

from ..builders import CELL_FN
from ..ir import ELEMENTWISE_OPS_PER_ELEMENT, KIND_OPS_PER_ELEMENT, Op

_CELL_FN = {mod: CELL_FN[cell] for cell, mods in (("lstm", ("LSTM", "LSTMCell")), ("gru", ("GRU", "GRUCell")),
                                                  ("rnn", ("RNN", "RNNCell"))) for mod in mods}
#: the modules defining torch's recurrent layers: ``nn.LSTM`` ... ``nn.RNNCell`` and their
#: dynamic-quantized twins, each one aten call (``at::lstm``, ``quantized_lstm``) whatever runs inside
_TORCH_RNN_MODULES = ("torch.nn.modules.rnn", "torch.ao.nn.quantized.dynamic.modules.rnn")


def recurrent_types(modules: dict) -> dict[str, str]:
    """Module path -> the torch recurrent class it is or subclasses (``LSTM``, ``GRUCell``, ...),
    for the modules that are torch's own recurrent layers (:data:`_TORCH_RNN_MODULES`; a
    subclass of ``nn.LSTM`` too): a hand-written ``class LSTM(nn.Module)`` is not one, its ops
    are separate kernels as eager torch runs them."""
    out = {}
    for path, mod in modules.items():
        for cls in type(mod).__mro__:
            if cls.__module__ in _TORCH_RNN_MODULES and cls.__name__ in _CELL_FN:
                out[path] = cls.__name__
                break
    return out


def vector_ops(op: Op, tensors) -> float:
    out = sum(tensors[t].numel for t in op.outputs)
    if op.ops_per_element is not None:
        return op.ops_per_element * out
    if op.kind == "elementwise":
        return ELEMENTWISE_OPS_PER_ELEMENT[op.fn] * out
    if op.kind == "reduction":
        return KIND_OPS_PER_ELEMENT["reduction"] * sum(tensors[t].numel for t in op.inputs)
    return KIND_OPS_PER_ELEMENT.get(op.kind, 0.0) * out


def _merge(members: list[Op], tensors, consumers, kind, fn, name, tags, keep=frozenset()) -> Op:
    """One op of ``members``: its outputs are those read outside the group or by no op, and
    those in ``keep`` (state written in place that outlives the step, :mod:`.persist`: an
    Adam step's new ``exp_avg``, read by the parameter update in the same group, is written
    back all the same)."""
    produced = {t for op in members for t in op.outputs}
    ids = {id(op) for op in members}
    ins = tuple(dict.fromkeys(t for op in members for t in op.inputs if t not in produced))
    outs = tuple(t for op in members for t in op.outputs
                 if t in keep or not consumers.get(t) or any(id(c) not in ids for c in consumers[t]))
    total = sum(vector_ops(op, tensors) for op in members)
    n_out = sum(tensors[t].numel for t in outs)
    tags = dict(tags)
    tags["fused"] = len(members)
    if "+".join(str(op.tags.get("epilogue")) for op in members) == "bias+relu":
        tags["epilogue"] = "bias+relu"  # a matmul's bias add then its ReLU: still its epilogue
    tags["serial_ops"] = serial_ops(members, tensors)
    tags["chain_ops"] = chain_ops(members)
    # the chain from each input to the outputs, from the inputs to each output, and from each
    # input to each output, where they differ from chain_ops: a path entering a recurrence step
    # through its state pays the state's mul + add, not the per-step coefficient chain (softplus
    # -> exp) that runs ahead; a stabiliser m kept beside a memory c reaches c, c never reaches m
    into, outof = chains_by_tensor(members)
    over = len(outs) > 1 and chain_io_over(members, ins, outs)
    io = None if over else chain_io(members, ins, outs)
    if over and len(ins) > 1:  # its pairs count the bound; a run note says so
        tags["chain_io_omitted"] = len(ins) * len(outs)
    if io is not None and all(x == min(into[a], outof.get(b, 0)) for a, row in zip(ins, io)
                              for b, x in zip(outs, row)):
        io = None  # every output depends on every input by the bound chain_in / chain_out give
    if io is not None or any(into[t] != tags["chain_ops"] for t in ins) or \
            any(outof.get(t, 0) != tags["chain_ops"] for t in outs):
        tags["chain_in"] = [into[t] for t in ins]
        tags["chain_out"] = [outof.get(t, 0) for t in outs]
    if io is not None:
        tags["chain_io"] = io
    return Op(name, kind, ins, outs, fn=fn, ops_per_element=total / n_out if n_out else 0.0, tags=tags,
              generic_macs=sum(op.generic_macs for op in members))


def cell_dispatches(members: list[Op], consumers, ops: list[Op]) -> int:
    """The torch calls one traced step of a native RNN cell's gate arithmetic makes (tag
    ``dispatches``): a member each, members of one launch once, and none for a member whose
    launch an op outside the group holds (the recurrent ``addmm``'s bias add: paid with the
    matmul). An LSTM or GRU step: 10, the arithmetic ATen calls of ``RNN.cpp``'s cells, as the
    generators' ``pointwise="aten"`` form has them; its views (``unsafe_chunk``'s narrows) are
    not counted."""
    ids = {id(op) for op in members}
    outside = {str(op.tags["launch"]) for op in ops if id(op) not in ids and "launch" in op.tags}
    launches = {str(op.tags["launch"]) for op in members if "launch" in op.tags} - outside
    return sum("launch" not in op.tags for op in members) + len(launches)


def serial_ops(members: list[Op], tensors) -> float:
    """Operations one element's result needs one after another in a fused chain: the longest
    path through the members (in program order), each adding its own operations per output
    element. A bias add + GELU is its few; a recurrence written as pointwise ops over T steps
    (an RWKV or diagonal-SSM state, an EMA) is T times a step's: the fused op is that deep,
    however many lanes share its elements (the processor's time is at least this many cycles)."""
    depth: dict[str, float] = {}
    deepest = 0.0
    for op in members:
        n = sum(tensors[t].numel for t in op.outputs)
        own = op.tags.get("serial_ops")  # a member stating its own (logaddexp: its chain, 11)
        d = (float(own) if own is not None else vector_ops(op, tensors) / n if n else 0.0) + max(
            (depth[t] for t in op.inputs if t in depth), default=0.0)
        for t in op.outputs:
            depth[t] = d
        deepest = max(deepest, d)
    return round(deepest, 6)


def chain_ops(members: list[Op]) -> int:
    """Dependent ops in a fused group: the members on its longest dependency chain (in program
    order), each 1 (or its own ``chain_ops`` where it states one, its ``chain_in`` /
    ``chain_out`` per input and output where it states those). The unit of the serial-step
    path (``columns.CRITICAL_PATH_SERIAL_STEPS``): a bias add + GELU is 2, an LSTM step's gate
    arithmetic its add -> sigmoid -> mul -> add -> tanh -> mul, a T-step recurrence T x a step's;
    per-element vector work stays in :func:`serial_ops`."""
    return max(_depths(members).values(), default=0)


def member_chains(op: Op) -> tuple[list[int], list[int]]:
    """``(per input, per output)`` dependent ops of ``op`` (tags ``chain_in`` / ``chain_out``,
    else its ``chain_ops``, else 1, for each)."""
    c = int(op.tags.get("chain_ops", 1))
    return (list(op.tags.get("chain_in") or [c] * len(op.inputs)),
            list(op.tags.get("chain_out") or [c] * len(op.outputs)))


def member_pairs(op: Op):
    """``chain(a, b)``: the dependent ops of ``op`` from its input ``a`` to its output ``b``
    (positions), None where ``b`` does not depend on ``a``: tag ``chain_io``, else
    ``min(chain_in[a], chain_out[b])`` (:func:`member_chains`)."""
    io = op.tags.get("chain_io")
    if io is not None:
        return lambda a, b: io[a][b]
    cin, cout = member_chains(op)
    return lambda a, b: min(cin[a], cout[b])


def _depths(members: list[Op]) -> dict[str, int]:
    """The longest chain from any input of the group to each tensor its members write."""
    depth: dict[str, int] = {}
    for op in members:
        pair, cout = member_pairs(op), member_chains(op)[1]
        for b, (t, co) in enumerate(zip(op.outputs, cout)):
            got = [depth.get(x, 0) + c for a, x in enumerate(op.inputs) if (c := pair(a, b)) is not None]
            depth[t] = max(depth.get(t, 0), co, *got)
    return depth


def chains_by_tensor(members: list[Op]) -> tuple[dict[str, int], dict[str, int]]:
    """``(into, outof)``: per tensor a member reads, the longest chain from it to any tensor
    the group writes; per tensor a member writes, the longest chain from any input to it (tags
    ``chain_in`` / ``chain_out`` of the fused op, by its inputs and outputs). Linear in the
    members: a T-step recurrence fused into one op stays O(T)."""
    tail: dict[str, int] = {}
    for op in reversed(members):
        pair = member_pairs(op)
        for a, t in enumerate(op.inputs):
            got = [tail.get(y, 0) + c for b, y in enumerate(op.outputs) if (c := pair(a, b)) is not None]
            tail[t] = max(tail.get(t, 0), *got) if got else tail.get(t, 0)
    return tail, _depths(members)


def chain_io_over(members: list[Op], ins, outs) -> bool:
    """Whether the pass of :func:`chain_io` would outgrow its bounds: over
    :data:`cimsim.workload.depth.CHAIN_IO_MAX` pairs (the tag's size), or over
    :data:`cimsim.workload.depth.CHAIN_IO_WORK` for the pass (each member's input x output
    pairs, times the fewer of the group's inputs and outputs, the side it runs from: what a
    tensor can carry). Checked before any of it is worked out."""
    from ..depth import CHAIN_IO_MAX, CHAIN_IO_WORK

    if len(ins) * len(outs) > CHAIN_IO_MAX:
        return True
    edges = sum(len(op.inputs) * len(op.outputs) for op in members)
    return edges * min(len(ins), len(outs)) > CHAIN_IO_WORK


def chain_io(members: list[Op], ins, outs, backward: bool | None = None) -> list[list] | None:
    """Tag ``chain_io`` of the op fusing ``members`` (group inputs ``ins``, outputs ``outs``):
    per input, per output, the longest chain of dependent ops from that input to that output
    (each member its own pairs, :func:`member_pairs`), None where the output does not depend on
    the input. None where it says nothing the tags ``chain_in`` / ``chain_out`` do not (one
    output: each pair is the input's ``chain_in``) and where :func:`chain_io_over`. One pass
    from the smaller side (``backward``: None picks it): forward, a tensor carries the longest
    chain from each group input that reaches it; backward, to each group output it reaches."""
    if len(outs) < 2 or chain_io_over(members, ins, outs):
        return None
    if backward is None:
        backward = len(outs) < len(ins)
    if not backward:
        reach: dict[str, dict[str, int]] = {t: {t: 0} for t in ins}
        for op in members:
            pair = member_pairs(op)
            for b, t in enumerate(op.outputs):
                _carry(reach.setdefault(t, {}), ((pair(a, b), reach.get(x)) for a, x in enumerate(op.inputs)))
        return [[reach.get(b, {}).get(a) for b in outs] for a in ins]
    tail: dict[str, dict[str, int]] = {t: {t: 0} for t in outs}
    for op in reversed(members):
        pair = member_pairs(op)
        for a, x in enumerate(op.inputs):
            _carry(tail.setdefault(x, {}), ((pair(a, b), tail.get(y)) for b, y in enumerate(op.outputs)))
    return [[tail.get(a, {}).get(b) for b in outs] for a in ins]


def _carry(into: dict[str, int], steps) -> None:
    """``into[end] = max(into[end], d + c)`` over each ``(c, {end: d})`` (c None: no edge)."""
    for c, ends in steps:
        if c is None or not ends:
            continue
        for end, d in ends.items():
            if d + c > into.get(end, -1):
                into[end] = d + c


def _consumers(ops):
    c = defaultdict(list)
    for op in ops:
        for t in op.inputs:
            c[t].append(op)
    return c


def fuse_pointwise(ops: list[Op], tensors, module_types: dict[str, str], keep=frozenset(),
                   syncs=None) -> list[Op]:
    """``module_types``: torch's recurrent modules by path (:func:`recurrent_types`), whose
    gate arithmetic is named ``lstm_pointwise`` / ...; ``syncs``: tensor name -> the sync epoch
    of the op writing it (absent: 0); ops of different epochs are never fused, nor the ops of a
    one-kernel composite's call with others."""
    syncs = syncs or {}
    # a one-kernel composite's ops (:mod:`.custom`, launch ``custom:...``) fuse among themselves only
    epoch = [(syncs.get(op.outputs[0], 0) if op.outputs else 0,
              op.tags["launch"] if str(op.tags.get("launch")).startswith("custom:") else None) for op in ops]
    producer: dict[str, int] = {}
    group = list(range(len(ops)))  # union-find parent, by op index
    open_ = [False] * len(ops)

    def find(i):
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    first = list(range(len(ops)))  # position of each group's first member
    ext = [-1] * len(ops)  # latest op outside the group that the group reads from
    for i, op in enumerate(ops):
        # an op carrying MACs (an unknown op, dense linear algebra: :mod:`.linalg`) is no pointwise op
        fusable = op.kind == "elementwise" and not op.tags.get("unknown") and not op.generic_macs
        roots = set()
        for t in op.inputs:
            p = producer.get(t)
            if p is None:
                continue
            r = find(p)
            if fusable and open_[r] and ops[p].kind == "elementwise" and epoch[r] == epoch[i]:
                roots.add(r)
        own_ext = max((producer[t] for t in op.inputs if t in producer and find(producer[t]) not in roots),
                      default=-1)
        if roots:
            # a group does not span an op it waits for: an LSTM step's gate add (after the step's
            # recurrent matmul) does not join the bias add of the whole-sequence input projection
            cur_first, cur_ext, chosen = i, own_ext, set()
            for r in sorted(roots, key=lambda r: -first[r]):
                f, e = min(cur_first, first[r]), max(cur_ext, ext[r])
                if e < f:
                    cur_first, cur_ext = f, e
                    chosen.add(r)
            roots = chosen
            own_ext = cur_ext
        if fusable:
            open_[i] = True
            ext[i] = own_ext
            for r in roots:
                group[r] = i
                open_[r] = False
                first[i] = min(first[i], first[r])
        me = find(i)
        for t in op.inputs:
            p = producer.get(t)
            if p is not None and find(p) != me:
                open_[find(p)] = False  # read from outside: the group is closed
        for t in op.outputs:
            producer[t] = i
    members = defaultdict(list)
    for i in range(len(ops)):
        members[find(i)].append(i)
    last = {root: idx[-1] for root, idx in members.items()}
    consumers = _consumers(ops)
    taken = {op.name for op in ops}
    names: dict[str, int] = {}
    out = []
    for i, op in enumerate(ops):
        root = find(i)
        idx = members[root]
        if len(idx) == 1:
            out.append(op)
            continue
        if last[root] != i:
            continue
        group_ops = [ops[j] for j in idx]
        mod = group_ops[0].tags.get("module", "")
        fn = _CELL_FN.get(module_types.get(mod, ""), "fused")
        tags = {"module": mod}
        if "module_calls" in group_ops[0].tags:  # --launch-module: the first member's calls
            tags["module_calls"] = group_ops[0].tags["module_calls"]
        # a registered composite's ops (:mod:`.custom`), every member its: still its (one launch)
        own = {(o.tags.get("custom_op"), o.tags.get("launch") if str(o.tags.get("launch")).startswith("custom:")
                else None) for o in group_ops}
        if len(own) == 1 and (c := own.pop())[0] is not None:
            tags.update({"custom_op": c[0], **({"launch": c[1]} if c[1] else {})})
        mods = list(dict.fromkeys(o.tags.get("module", "") for o in group_ops))
        if len(mods) > 1:  # named after its first member's; each member's module said
            tags["modules"] = mods
        if fn != "fused":  # torch's native RNN cell: one op, the ATen calls it stands for (find-C 3)
            tags["dispatches"] = cell_dispatches(group_ops, consumers, ops)
        prefix = f"{mod}.{fn}" if mod else fn
        n = names.get(prefix, 0)
        while (prefix if n == 0 else f"{prefix}#{n}") in taken:
            n += 1
        names[prefix] = n + 1
        out.append(_merge(group_ops, tensors, consumers, "elementwise", fn,
                          prefix if n == 0 else f"{prefix}#{n}", tags, keep))
    _drop_internal(out, tensors)
    return out


def _drop_internal(ops, tensors) -> None:
    used = {t for op in ops for t in (*op.inputs, *op.outputs)}
    for name in list(tensors):
        if name not in used:
            del tensors[name]


def absorb_into_softmax(ops: list[Op], tensors, keep=frozenset(), syncs=None) -> list[Op]:
    """An elementwise op whose every output is read only by one softmax (and does not outlive
    the step: ``keep``; of its sync epoch: ``syncs``, as :func:`fuse_pointwise`) joins that softmax."""
    syncs = syncs or {}
    consumers = _consumers(ops)
    producer = {t: op for op in ops for t in op.outputs}
    absorbed: dict[int, Op] = {}
    replace: dict[int, Op] = {}
    for op in ops:
        if op.kind != "softmax" or len(op.inputs) != 1:
            continue
        p = producer.get(op.inputs[0])
        if p is None or p.kind != "elementwise" or p.tags.get("unknown") or p.generic_macs or len(p.outputs) != 1:
            continue
        if [id(c) for c in consumers[p.outputs[0]]] != [id(op)] or p.outputs[0] in keep or \
                syncs.get(p.outputs[0], 0) != syncs.get(op.outputs[0], 0):
            continue
        merged = _merge([p, op], tensors, consumers, "softmax", None, op.name, dict(op.tags))
        absorbed[id(p)] = p
        replace[id(op)] = merged
    out = [replace.get(id(op), op) for op in ops if id(op) not in absorbed]
    _drop_internal(out, tensors)
    return out


_RNN_W = re.compile(r"(?:^|\.)weight_(ih|hh|hr)(?:_l(\d+))?(_reverse)?$")


def tag_recurrent(ops: list[Op], module_types: dict[str, str]) -> bool:
    """Tag recurrent matmuls and cell ops; True if the model has recurrent layers.
    ``module_types``: torch's recurrent modules by path (:func:`recurrent_types`)."""
    steps: dict[tuple, int] = defaultdict(int)
    found = False
    made: dict[str, int] = {}  # tensor name -> the op that wrote it
    for i, op in enumerate(ops):
        made.update((t, i) for t in op.outputs)
        wname = op.tags.get("weight_name")
        if op.kind == "matmul" and wname:
            m = _RNN_W.search(wname)
            if m and module_types.get(op.tags.get("module", ""), "") in _CELL_FN:
                found = True
                part = {"ih": "input", "hh": "recurrent", "hr": "projection"}[m.group(1)]
                tags = dict(op.tags)
                tags["part"] = part
                tags["layer"] = int(m.group(2) or 0)
                if m.group(3):
                    tags["direction"] = "reverse"
                if part == "recurrent":
                    key = (op.tags.get("module"), wname)
                    tags["step"] = steps[key]
                    steps[key] += 1
                ops[i] = _replace_tags(op, tags)
        elif op.kind == "elementwise" and op.fn in _CELL_FN.values():
            ops[i] = _replace_tags(op, {**op.tags, "part": "state"})
        elif op.kind == "copy" and module_types.get(op.tags.get("module", ""), "") in ("LSTM", "GRU", "RNN"):
            # stacking the step outputs of a layer (the generators' concat), or the final states
            ops[i] = _replace_tags(op, {**op.tags, "part": "concat", **_rnn_launch(ops, op, made)})
    return found


def _rnn_launch(ops: list[Op], op: Op, made: dict[str, int]) -> dict:
    """The ``launch`` tag of an RNN call's restack copy (``torch.stack`` of the step outputs or
    of the final ``h_n`` / ``c_n``, inside one ``at::lstm`` / ``at::gru`` call, one ``_cudnn_rnn``
    on CUDA): the launch of the latest op of the same module that wrote one of its inputs (the
    last step's cell), that op given its own name as one where it had none; {} without one."""
    src = [made[t] for t in op.inputs if t in made and ops[made[t]].tags.get("module") == op.tags.get("module")]
    if not src:
        return {}
    p = max(src)
    if "launch" not in ops[p].tags:
        ops[p] = _replace_tags(ops[p], {**ops[p].tags, "launch": ops[p].name})
    return {"launch": ops[p].tags["launch"]}


def _replace_tags(op: Op, tags) -> Op:
    return Op(op.name, op.kind, op.inputs, op.outputs, m=op.m, k=op.k, n=op.n, batch=op.batch,
              weight=op.weight, fn=op.fn, ops_per_element=op.ops_per_element, tags=tags,
              generic_macs=op.generic_macs)


def drop_lone_launches(ops: list[Op]) -> list[Op]:
    """Drop tag ``launch`` where one op alone holds its value: a matmul whose bias add
    (same torch call, one dispatch: :meth:`.lower.Lowerer._matmul`) fused into a later op."""
    key = [json.dumps(op.tags["launch"], sort_keys=True) if "launch" in op.tags else None
           for op in ops]
    count = Counter(k for k in key if k is not None)
    return [_replace_tags(op, {t: v for t, v in op.tags.items() if t != "launch"})
            if k is not None and count[k] == 1 else op for op, k in zip(ops, key)]


def launch_modules(ops: list[Op], module_types: dict[str, str], names) -> list[Op]:
    """Make each call of the modules ``names`` one kernel launch (``cimsim trace
    --launch-module NAME``, ``trace(..., launch_modules=[...])``): every op traced inside one
    call (its own and its submodules') gets tag ``launch`` = ``module:<path>``, replacing the
    tracer's own (a Linear's bias add), as a custom CUDA kernel (a hash-grid encoder, a fused
    MLP) runs them. A module the model called more than once (an encoder run on the coarse and
    the fine samples, a weight-tied block, a loop's cell) is launched once a call:
    ``module:<path>#1``, ``#2``, ... in the order of the calls (tag ``module_calls``, the
    entries :func:`.capture.record` counted; a backward pass through it is an entry of its
    own); the tag is dropped here. A name is a module path (``enc``, ``mlp.0``) or a class name
    (``HashGrid``: each instance its own launch); the outermost match wins. A name matching no
    module the model ran, or only the model itself (its class: the whole model is no one
    kernel), is a one-line WorkloadError listing the modules it ran."""
    from ...errors import WorkloadError

    if isinstance(names, str):
        names = [names]
    names = list(names)
    paths = {p for p in module_types if p}
    classes = {module_types[p] for p in paths}
    for n in names:
        if n not in paths and n not in classes:
            shown = sorted(paths)[:12]
            more = f" (+{len(paths) - 12} more)" if len(paths) > 12 else ""
            which = (f"{n} is the traced model itself, not a module inside it (the whole model "
                     "would be one launch, its host syncs and value reads inside a kernel); name "
                     "the modules that run as one kernel each" if n == module_types.get("") else
                     "no module the model ran has that path or class")
            raise WorkloadError(
                f"--launch-module {n}: {which}; its module paths are {', '.join(shown) or 'none'}"
                f"{more}; its classes {', '.join(sorted(classes)) or 'none'}")
    want = set(names)

    def group(path: str):
        """The outermost module on ``path``'s chain that ``names`` picks, or None."""
        parts = path.split(".") if path else []
        for i in range(1, len(parts) + 1):
            p = ".".join(parts[:i])
            if p in want or module_types.get(p) in want:
                return p
        return None

    keyed = []  # per op: (its group's path, the entry into that module running it) or None
    calls: dict[str, dict] = defaultdict(dict)  # path -> entry -> its call number, from 1
    for op in ops:
        g = group(op.tags.get("module", ""))
        keyed.append(None if g is None else (g, (op.tags.get("module_calls") or {}).get(g)))
        if g is not None:
            calls[g].setdefault(keyed[-1][1], len(calls[g]) + 1)
    out = []
    for op, key in zip(ops, keyed):
        if key is None and "module_calls" not in op.tags:
            out.append(op)
            continue
        tags = {t: v for t, v in op.tags.items() if t != "module_calls"}
        if key is not None:
            g, k = key[0], calls[key[0]][key[1]]
            tags["launch"] = f"module:{g}" if len(calls[g]) == 1 else f"module:{g}#{k}"
        out.append(_replace_tags(op, tags))
    return out
