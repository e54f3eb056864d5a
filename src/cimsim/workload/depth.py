"""Path length in dependent ops (serial steps), the unit of ``columns.CRITICAL_PATH_SERIAL_STEPS``
and ``columns.GRAPH_DEPTH_SERIAL_STEPS``.

Each op is 1 step, or its tag ``chain_ops`` (a fused pointwise chain's members on its longest
chain, a scan's levels; a fraction rounds up, and no op is under 1). A fused op may state the
chain per input and per output (tags ``chain_in`` / ``chain_out``, one number per input and per
output, written by :func:`cimsim.workload.trace.fuse.chains_by_tensor`): a path that enters it
through input ``a`` and leaves by output ``b`` counts ``min(chain_in[a], chain_out[b])``. A
recurrence step ``h = exp(-softplus(dt[t])) * h + x[t]`` is 5 ops deep from ``dt[t]`` but 2 from
``h``, so a chain through the state pays 2 a step (the coefficient chain runs ahead).

- :func:`path_serial_steps`: the steps along a given op path (the dependency critical path, the
  time-critical one: it depends on the config's op times);
- :func:`graph_depth`: the longest chain of the graph itself, in steps and in ops, whatever ran
  it: one pass over the ops in topological order.
"""

from __future__ import annotations

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


class _Chains:
    """The per-op steps and the per-input / per-output lists where ops state them."""

    def __init__(self, workload):
        c = self.c = workload.columns
        self.steps = _per_op_steps(workload).tolist()
        self.n_in, self.n_out = np.diff(c.in_ptr).tolist(), np.diff(c.out_ptr).tolist()
        self.cin = _stated(workload, "chain_in", np.diff(c.in_ptr))
        self.cout = _stated(workload, "chain_out", np.diff(c.out_ptr))

    def ins(self, i: int) -> list[float]:
        return self.cin.get(i) or [self.steps[i]] * self.n_in[i]

    def outs(self, i: int) -> list[float]:
        return self.cout.get(i) or [self.steps[i]] * self.n_out[i]


def _step(x: float) -> int:
    return max(1, math.ceil(x))


def path_serial_steps(workload, path) -> int:
    """Serial steps along ``path`` (op indices, each op depending on the one before): each op
    its steps from the input the path enters it by (an output of the op before it) to the output
    it leaves by (an input of the op after it); the first op from any input, the last to any
    output (or where two ops on the path share no tensor)."""
    path = [int(i) for i in np.asarray(path).tolist()]
    if not path:
        return 0
    ch = _Chains(workload)
    if not ch.cin and not ch.cout:
        return int(sum(ch.steps[i] for i in path))
    c = ch.c
    ptr_in, ids_in = c.in_ptr.tolist(), c.in_ids.tolist()
    ptr_out, ids_out = c.out_ptr.tolist(), c.out_ids.tolist()
    total = 0
    for k, i in enumerate(path):
        if i not in ch.cin and i not in ch.cout:
            total += int(ch.steps[i])
            continue
        entering = set(ids_out[ptr_out[path[k - 1]]:ptr_out[path[k - 1] + 1]]) if k else set()
        leaving = set(ids_in[ptr_in[path[k + 1]]:ptr_in[path[k + 1] + 1]]) if k + 1 < len(path) else set()
        a = [x for t, x in zip(ids_in[ptr_in[i]:ptr_in[i + 1]], ch.ins(i)) if t in entering]
        b = [x for t, x in zip(ids_out[ptr_out[i]:ptr_out[i + 1]], ch.outs(i)) if t in leaving]
        total += _step(min(max(a or ch.ins(i), default=ch.steps[i]),
                           max(b or ch.outs(i), default=ch.steps[i])))
    return total


def graph_depth(workload) -> tuple[int, int]:
    """``(serial steps, ops)`` of the graph's longest chains (columns.GRAPH_DEPTH_SERIAL_STEPS,
    GRAPH_DEPTH_OPS): over every path of dependent ops, the most summed steps (each op's steps
    from the input the path enters by to the output it leaves by) and, apart, the most ops. A
    property of the workload alone, whatever config runs it. Linear in the ops and their tensors
    (an op stating per-input chains: n log n in its inputs)."""
    ch = _Chains(workload)
    c = ch.c
    steps = ch.steps
    ptr_in, ids_in = c.in_ptr.tolist(), c.in_ids.tolist()
    ptr_out, ids_out = c.out_ptr.tolist(), c.out_ids.tolist()
    depth = [0.0] * c.n_tensors  # the longest chain (steps) ending at each tensor
    nops = [0] * c.n_tensors  # the most ops on a chain ending at each tensor
    stated = ch.cin.keys() | ch.cout.keys()
    dget, nget = depth.__getitem__, nops.__getitem__
    for i in range(c.n_ops):
        ins = ids_in[ptr_in[i]:ptr_in[i + 1]]
        outs = ids_out[ptr_out[i]:ptr_out[i + 1]]
        n_i = 1 + max(map(nget, ins)) if ins else 1
        if i in stated:
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
