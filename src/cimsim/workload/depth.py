"""Path length in dependent ops (serial steps), the unit of ``columns.CRITICAL_PATH_SERIAL_STEPS``
and ``columns.GRAPH_DEPTH_SERIAL_STEPS``.

Each op is 1 step, or its tag ``chain_ops`` (a fused pointwise chain's members on its longest
chain, a scan's levels; a fraction rounds up, and no op is under 1). A fused op may state its
chain per input and output pair (tag ``chain_io``: per input, per output, the dependent ops from
that input to that output, ``null`` where the output does not depend on it) beside the chain per
input and per output (tags ``chain_in`` / ``chain_out``: from each input to any output, to each
output from anything), all written by :func:`cimsim.workload.trace.fuse.chain_io`. A path that
enters it through input ``a`` and leaves by output ``b`` counts ``chain_io[a][b]``; where only
``chain_in`` / ``chain_out`` are stated, it counts ``min(chain_in[a], chain_out[b])``: exact for
an op with one output; an upper bound, assuming every output depends on every input, for an op
over :data:`CHAIN_IO_MAX` pairs or :data:`CHAIN_IO_WORK` (tag ``chain_io_omitted``) or from a
trace before ``chain_io`` (no metadata :data:`CHAIN_RULE_KEY`), which :func:`bound_notes` name. A recurrence step ``h = exp(-softplus(dt[t])) * h + x[t]`` is 5 ops deep from
``dt[t]`` but 2 from ``h``; an xLSTM-like step keeping a stabiliser ``m`` beside the memory ``c``
is 2 deep from ``m`` to ``m``, 6 from ``m`` to ``c``, 2 from ``c`` to ``c`` and not at all from ``c``
to ``m``, so a chain over T steps pays 2 a step.

- :func:`path_serial_steps`: the steps along a given op path (the dependency critical path, the
  time-critical one: it depends on the config's op times): the longest chain of dependent ops
  that follows it, tensor by tensor, never more than :func:`graph_depth`;
- :func:`graph_depth`: the longest chain of the graph itself, in steps and in ops, whatever ran
  it: one pass over the ops in topological order.
"""

from __future__ import annotations

import functools
import math
from bisect import bisect_right

import numpy as np

from ..errors import WorkloadError


def _per_op_steps(workload) -> np.ndarray:
    """float64 per op: its ``chain_ops`` rounded up, at least 1."""
    chain = workload.arrays.chain_ops
    if chain is None:
        return np.ones(workload.columns.n_ops)
    return np.maximum(1.0, np.ceil(chain))


def _stated(workload, tag: str, counts: np.ndarray) -> dict[int, list[float]]:
    """Per op that states tag ``chain_in`` / ``chain_out``: its list, checked (one number >= 0 per
    input / output of the op)."""
    c = workload.columns
    col = c.tags.columns.get(tag)
    if col is None:
        return {}
    has = np.array([tag in o for o in c.tags.orders], dtype=bool)[np.asarray(c.tags.order_code)]
    ops = np.flatnonzero(has)
    if col[0] == "json":  # each distinct list checked once
        vocab = [[float(x) for x in v] if isinstance(v, list) and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x >= 0 for x in v)
            else None for v in col[2]]
        lengths = np.array([-1 if v is None else len(v) for v in vocab] + [-1])
        code = np.asarray(col[1])[ops]
        bad = ops[lengths[code] != counts[ops]]
    else:  # every value a whole number: none is a list
        vocab, code, bad = [], None, ops
    if len(bad):
        i = int(bad[0])
        v = col[2][int(col[1][i])] if col[0] == "json" else int(col[1][i])
        what = "input" if tag == "chain_in" else "output"
        raise WorkloadError(f"workload '{workload.name}': op '{c.op_names[i]}': tag {tag} = {v!r} is not "
                            f"allowed; it must be a list of {counts[i]} numbers >= 0 (dependent ops "
                            f"from each {what} of the op, in the order of its {what}s)")
    return dict(zip(ops.tolist(), (vocab[k] for k in code.tolist()))) if len(ops) else {}


#: the most input x output pairs a fused op states its ``chain_io`` for (a longer list would
#: outgrow the op): inputs x outputs > 16,384 falls back to the bound, e.g. a loop fused whole
#: reading a[t] and x[t] and writing y[t] each step, (2T + 1) x T pairs, from T = 91
CHAIN_IO_MAX = 16384
#: the most work the tracer's pass for ``chain_io`` may do (:func:`cimsim.workload.trace.fuse.
#: chain_io_over`): the members' input x output pairs times the fewer of the group's inputs and
#: outputs (the side the pass runs from), about a second of Python at the bound
CHAIN_IO_WORK = 1 << 21


def _stated_io(workload, ops_in: np.ndarray, ops_out: np.ndarray) -> dict[int, list]:
    """Per op that states tag ``chain_io``: its matrix, checked (a list per input of a number
    >= 0 or null per output)."""
    c = workload.columns
    col = c.tags.columns.get("chain_io")
    if col is None:
        return {}
    has = np.array(["chain_io" in o for o in c.tags.orders], dtype=bool)[np.asarray(c.tags.order_code)]
    out = {}
    for i in np.flatnonzero(has).tolist():
        v = col[2][int(col[1][i])] if col[0] == "json" else int(col[1][i])
        n_in, n_out = int(ops_in[i]), int(ops_out[i])
        if not (isinstance(v, list) and len(v) == n_in and all(
                isinstance(r, list) and len(r) == n_out and all(x is None or (
                    isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x >= 0)
                    for x in r) for r in v)):
            shown = repr(v) if len(repr(v)) <= 80 else repr(v)[:77] + "..."
            raise WorkloadError(f"workload '{workload.name}': op '{c.op_names[i]}': tag chain_io = {shown} "
                                f"is not allowed; it must be a list of {n_in} lists (one per input) of "
                                f"{n_out} numbers >= 0 or null (dependent ops from that input to each "
                                "output, null where the output does not depend on it)")
        out[i] = v
    return out


class _Chains:
    """The per-op steps and the per-input / per-output / per-pair chains where ops state them."""

    def __init__(self, workload):
        c = self.c = workload.columns
        self.step_array = _per_op_steps(workload)
        self.cin = self.cout = self.io = {}
        if any(t in c.tags.columns for t in ("chain_in", "chain_out", "chain_io")):
            n_in, n_out = np.diff(c.in_ptr), np.diff(c.out_ptr)
            self.cin = _stated(workload, "chain_in", n_in)
            self.cout = _stated(workload, "chain_out", n_out)
            self.io = _stated_io(workload, n_in, n_out)
        self.stated = self.cin.keys() | self.cout.keys() | self.io.keys()

    # per-op Python lists for the op-by-op walks, built on first use: path_serial_steps on a
    # workload stating no chains sums step_array and builds none (3 lists of n_ops, ~1.6 ms at
    # 40k ops, 40 ms at 1M)
    @functools.cached_property
    def steps(self) -> list[float]:
        return self.step_array.tolist()

    @functools.cached_property
    def n_in(self) -> list[int]:
        return np.diff(self.c.in_ptr).tolist()

    @functools.cached_property
    def n_out(self) -> list[int]:
        return np.diff(self.c.out_ptr).tolist()

    def ins(self, i: int) -> list[float]:
        return self.cin.get(i) or [self.steps[i]] * self.n_in[i]

    def outs(self, i: int) -> list[float]:
        return self.cout.get(i) or [self.steps[i]] * self.n_out[i]

    def through(self, i: int, carried: list[tuple[int, float]]) -> list[float]:
        """Op ``i`` stating chains: each output's longest chain ending there, given the chains
        ``(input position, steps)`` ending at its inputs: at least the op's own chain to the
        output (a chain starting at the op), else the most of ``steps + chain(a -> b)`` over the
        inputs ``a`` it depends on (``chain_io``, else ``min(chain_in, chain_out)``)."""
        cout = self.outs(i)
        got = [float(_step(x)) for x in cout]
        io = self.io.get(i)
        cin = None if io is not None else self.ins(i)
        for a, d in carried:
            for b in range(len(got)):
                x = io[a][b] if io is not None else min(cin[a], cout[b])
                if x is not None and d + _step(x) > got[b]:
                    got[b] = d + _step(x)
        return got


def _step(x: float) -> int:
    return max(1, math.ceil(x))


def path_serial_steps(workload, path) -> int:
    """Serial steps along ``path`` (op indices, each op depending on the one before): the
    longest chain of dependent ops that follows it, tracked tensor by tensor: the tensors an op
    hands the next carry the longest chain ending at each (only those the next op reads: a chain
    leaving by an output the path does not follow is not the path's; at the last op, every
    output's), and an op counts its steps from the input the chain enters by to the output it
    leaves by (a fused op's ``chain_io``, where an output that does not depend on the entering
    tensor starts a chain afresh). Never more than
    :func:`graph_depth` (where consecutive ops share no tensor, the chain goes on from the
    longest before)."""
    path = np.asarray(path, dtype=np.int64).ravel()
    if not path.size:
        return 0
    ch = _Chains(workload)
    if not ch.stated:  # whole numbers >= 1 as float64: the sum is exact in any order
        return int(ch.step_array[path].sum())
    path = path.tolist()
    c = ch.c
    ptr_in, ids_in = c.in_ptr.tolist(), c.in_ids.tolist()
    ptr_out, ids_out = c.out_ptr.tolist(), c.out_ids.tolist()
    carried: dict[int, float] = {}  # tensor -> the longest chain along the path ending at it
    before = 0.0  # the longest chain ending at the op before (where the next shares no tensor)
    for k, i in enumerate(path):
        ins = ids_in[ptr_in[i]:ptr_in[i + 1]]
        outs = ids_out[ptr_out[i]:ptr_out[i + 1]]
        enter = [(a, carried[t]) for a, t in enumerate(ins) if t in carried]
        lift = 0.0
        if not enter and k:  # no tensor shared with the op before: go on from its longest chain
            enter = [(a, before) for a in range(len(ins))]
            lift = 0.0 if ins else before
        if i in ch.stated:
            got = [lift + d for d in ch.through(i, enter)]
        else:
            got = [lift + ch.steps[i] + max((d for _, d in enter), default=0.0)] * len(outs)
        before = max(got, default=lift + ch.steps[i])
        if k + 1 == len(path):  # the last op: the longest chain it ends
            return int(before)
        # only what the next op reads goes on: an output the path does not follow (a side
        # chain leaving a fused op) is no step of the path
        nxt = set(ids_in[ptr_in[path[k + 1]]:ptr_in[path[k + 1] + 1]])
        carried = {t: d for t, d in zip(outs, got) if t in nxt}
    return 0


def graph_depth(workload) -> tuple[int, int]:
    """``(serial steps, ops)`` of the graph's longest chains (columns.GRAPH_DEPTH_SERIAL_STEPS,
    GRAPH_DEPTH_OPS): over every path of dependent ops, the most summed steps (each op's steps
    from the input the path enters by to the output it leaves by) and, apart, the most ops. A
    property of the workload alone, whatever config runs it. Linear in the ops and their tensors
    (an op stating per-input chains: n log n in its inputs; per pair: inputs x outputs)."""
    ch = _Chains(workload)
    c = ch.c
    steps = ch.steps
    ptr_in, ids_in = c.in_ptr.tolist(), c.in_ids.tolist()
    ptr_out, ids_out = c.out_ptr.tolist(), c.out_ids.tolist()
    depth = [0.0] * c.n_tensors  # the longest chain (steps) ending at each tensor
    nops = [0] * c.n_tensors  # the most ops on a chain ending at each tensor
    stated = ch.stated
    dget, nget = depth.__getitem__, nops.__getitem__
    for i in range(c.n_ops):
        ins = ids_in[ptr_in[i]:ptr_in[i + 1]]
        outs = ids_out[ptr_out[i]:ptr_out[i + 1]]
        n_i = 1 + max(map(nget, ins)) if ins else 1
        if i in ch.io:
            got = ch.through(i, [(a, depth[t]) for a, t in enumerate(ins)])
        elif i in stated:
            got = _depths_through(ins, ch.ins(i), ch.outs(i), depth)
        else:
            d = steps[i] + (max(map(dget, ins)) if ins else 0.0)
            got = [d] * len(outs)
        for t, d in zip(outs, got):
            if d > depth[t]:
                depth[t] = d
            if n_i > nops[t]:
                nops[t] = n_i
    return int(max(depth, default=0.0)), int(max(nops, default=0))


def _depths_through(ins, cin, cout, depth) -> list[float]:
    """Each output's depth: the most, over the inputs ``a``, of ``depth[a] + min(cin[a], cout[b])``
    (each pair at least 1 step, rounded up), in n log n: inputs sorted by their chain, a prefix
    maximum of ``depth + chain`` (those that bind) and a suffix maximum of ``depth`` (those the
    output's chain binds)."""
    if not ins:
        return [float(_step(x)) for x in cout]
    pairs = sorted((_step(x), depth[t]) for t, x in zip(ins, cin))
    keys = [k for k, _ in pairs]
    pre, run = [], -math.inf
    for k, d in pairs:
        run = max(run, d + k)
        pre.append(run)
    suf, run = [0.0] * len(pairs), -math.inf
    for j in range(len(pairs) - 1, -1, -1):
        run = max(run, pairs[j][1])
        suf[j] = run
    out = []
    for x in cout:
        b = _step(x)
        j = bisect_right(keys, b)  # inputs [0, j) have chain <= b
        out.append(max(pre[j - 1] if j else -math.inf, suf[j] + b if j < len(pairs) else -math.inf))
    return out


#: a trace's metadata key naming the rule its fused ops' chains follow (traces before 2026-12-07,
#: when fused ops began to state ``chain_io``, have none)
CHAIN_RULE_KEY = "chain_rule"
CHAIN_RULE = "per input and output pair (2026-12-07)"


def bound_notes(workload) -> list[str]:
    """A run's notes where fused ops count the upper bound ``min(chain_in[a], chain_out[b])``
    per pair (several inputs and several outputs, no ``chain_io``): those the tracer left it
    off (tag ``chain_io_omitted``), and those of a trace made before ``chain_io`` (no metadata
    :data:`CHAIN_RULE_KEY`). The serial steps (``critical_path_serial_steps``,
    ``graph_depth_serial_steps``) may then be over."""
    c = workload.columns
    orders, code = c.tags.orders, np.asarray(c.tags.order_code)
    if not len(code):
        return []
    many = (np.diff(c.in_ptr) > 1) & (np.diff(c.out_ptr) > 1)

    def having(test) -> np.ndarray:
        return np.array([test(o) for o in orders], dtype=bool)[code] & many

    meta = workload.metadata if isinstance(workload.metadata, dict) else {}
    notes = []
    over = np.flatnonzero(having(lambda o: "chain_io_omitted" in o))
    if len(over):
        notes.append(_named(c, over, "over 16,384 input x output pairs, or over the tracer's work "
                            "bound for them: tag chain_io_omitted"))
    if CHAIN_RULE_KEY not in meta and str(meta.get("source", "")).startswith("cimsim.trace"):
        old = np.flatnonzero(having(lambda o: ("chain_in" in o or "chain_out" in o) and "chain_io" not in o))
        if len(old):
            notes.append(_named(c, old, "traced before 2026-12-07, no metadata chain_rule: re-trace "
                                "the model for its per-pair chains"))
    return notes


def _named(c, ops, why: str) -> str:
    shown = ", ".join(c.op_names[int(i)] for i in ops[:3]) + (", ..." if len(ops) > 3 else "")
    one = len(ops) == 1
    return (f"{len(ops):,} fused op{'' if one else 's'} with several inputs and outputs ({shown}) "
            f"state{'s' if one else ''} no chain_io ({why}): a path through {'it' if one else 'one'} "
            "counts min(chain_in, chain_out) per pair, an upper bound that takes every output to "
            "depend on every input, so critical_path_serial_steps and graph_depth_serial_steps may be over")
