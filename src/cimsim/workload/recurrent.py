"""The LSTM / GRU generators, built as columns: one block of array operations per layer (or
one for the whole wavefront), however many steps.

A step is data (:data:`STEPS`): after the recurrent matmul ``hproj = h_{t-1} W_hh``, the
tensors and elementwise ops of its gate arithmetic, by cell and pointwise style. The
generator expands the step over every ``(layer, step)`` with NumPy: tensor ids are
``base + instance * tensors_per_step + slot``, so "the previous step's ``h``" is an
index shift. Names, tags and order are what a loop over the steps would give
(``tests/workload/test_generators.py`` holds them to a loop reference).
"""

from __future__ import annotations

import numpy as np

from ..errors import WorkloadError
from .argnames import arg, arg_is, at_least, integer
from .builders import CELL_FN
from .builders import Builder
from .ir import Workload

SCHEDULES: tuple[str, ...] = ("layer", "wavefront")
#: "fused": one pointwise op per step for all gate arithmetic (as cuDNN's fused
#: kernel does); "separate": one op per PyTorch-level pointwise stage; "aten": one op
#: per ATen call of PyTorch's native CPU cell (10 per step; see STEPS).
POINTWISE: tuple[str, ...] = ("fused", "separate", "aten")

#: Gate arithmetic of one step, by (cell, pointwise): the step's tensors after ``hproj``
#: as (suffix, width: "H", "2H" or "G" = gates x H; rows are the batch) and its ops as
#: (suffix, fn, inputs, outputs, ops per element or None, tags.part). Inputs name a tensor
#: of the step, ``xproj`` (the step's input projection), ``hprev`` / ``cprev`` (the
#: previous step's state, h0 / c0 at step 0) or the biases ``b_ih`` / ``b_hh``.
STEPS: dict[tuple[str, str], tuple[list, list]] = {
    # all gate arithmetic in one op; vector-op counts are the sums of the separate stages,
    # spread over the op's outputs: LSTM 4H x (3 adds + 4 activation) + H x 3 (cell) +
    # H x 5 (hidden) over 2H outputs; GRU 2H x 7 (r, z) + H x 8 (candidate) + H x 4 (state)
    ("lstm", "fused"): ([("c", "H"), ("h", "H")], [
        ("cell", CELL_FN["lstm"], ("xproj", "hproj", "b_ih", "b_hh", "cprev"), ("c", "h"), 18, "state")]),
    ("gru", "fused"): ([("h", "H")], [
        ("cell", CELL_FN["gru"], ("xproj", "hproj", "b_ih", "b_hh", "hprev"), ("h",), 26, "state")]),
    # sigmoid on i, f, o and tanh on g: both cost the same per element
    ("lstm", "separate"): ([("gates", "G"), ("act", "G"), ("c", "H"), ("h", "H")], [
        ("gates", "add", ("xproj", "hproj", "b_ih", "b_hh"), ("gates",), 3, "gates"),
        ("act", "sigmoid", ("gates",), ("act",), None, "activation"),
        ("c", "lstm_cell", ("act", "cprev"), ("c",), 3, "state"),
        ("h", "lstm_hidden", ("act", "c"), ("h",), 5, "output")]),
    # r, z = sigmoid(x_rz + b_ih_rz + h_rz + b_hh_rz): 3 adds + sigmoid (4); n = tanh(x_n +
    # b_in + r * (h_n + b_hn)): 2 adds, mul, add, tanh (4); h' = (1 - z) * n + z * h: 4
    ("gru", "separate"): ([("rz", "2H"), ("n", "H"), ("h", "H")], [
        ("rz", "gru_rz", ("xproj", "hproj", "b_ih", "b_hh"), ("rz",), 7, "gates"),
        ("n", "gru_candidate", ("xproj", "hproj", "rz", "b_ih", "b_hh"), ("n",), 8, "candidate"),
        ("h", "gru_state", ("rz", "n", "hprev"), ("h",), 4, "state")]),
    # as PyTorch's native CPU cells run it (ATen LSTMCell / GRUCell in
    # aten/src/ATen/native/RNN.cpp): one op per ATen call that does arithmetic, 10 per step
    # (the biases are added by the addmm calls there; here the first add reads them)
    ("lstm", "aten"): ([(s, "H") for s in ("pre_i", "pre_f", "pre_g", "pre_o", "i", "f", "g", "o", "fc",
                                            "ig", "c", "tc", "h")], [
        # gates = hproj.add_(xproj), then unsafe_chunk(4): one add over the four gate slices
        ("gates", "add", ("hproj", "xproj", "b_ih", "b_hh"), ("pre_i", "pre_f", "pre_g", "pre_o"),
         None, "gates"),
        ("i", "sigmoid", ("pre_i",), ("i",), None, "activation"),  # sigmoid_ / tanh_
        ("f", "sigmoid", ("pre_f",), ("f",), None, "activation"),
        ("g", "tanh", ("pre_g",), ("g",), None, "activation"),
        ("o", "sigmoid", ("pre_o",), ("o",), None, "activation"),
        ("fc", "mul", ("f", "cprev"), ("fc",), None, "cell"),  # forgetgate.mul(cx)
        ("ig", "mul", ("i", "g"), ("ig",), None, "cell"),  # ingate.mul(cellgate)
        ("c", "add", ("fc", "ig"), ("c",), None, "state"),  # .add_(...)
        ("tc", "tanh", ("c",), ("tc",), None, "output"),  # cy.tanh()
        ("h", "mul", ("o", "tc"), ("h",), None, "output")]),  # outgate.mul(...)
    ("gru", "aten"): ([(s, "H") for s in ("pre_r", "r", "pre_z", "z", "hn", "pre_n", "n", "d", "dz", "h")], [
        ("pre_r", "add", ("hproj", "xproj", "b_ih", "b_hh"), ("pre_r",), None, "gates"),  # h_r.add_(x_r)
        ("r", "sigmoid", ("pre_r",), ("r",), None, "gates"),
        ("pre_z", "add", ("hproj", "xproj"), ("pre_z",), None, "gates"),  # h_z.add_(x_z)
        ("z", "sigmoid", ("pre_z",), ("z",), None, "gates"),
        ("hn", "mul", ("hproj", "r"), ("hn",), None, "candidate"),  # h_n.mul_(r)
        ("pre_n", "add", ("xproj", "hn"), ("pre_n",), None, "candidate"),  # x_n.add(...)
        ("n", "tanh", ("pre_n",), ("n",), None, "candidate"),  # .tanh_()
        ("d", "sub", ("hprev", "n"), ("d",), None, "state"),  # hidden - newgate
        ("dz", "mul", ("d", "z"), ("dz",), None, "state"),  # .mul_(inputgate)
        ("h", "add", ("dz", "n"), ("h",), None, "state")]),  # .add_(newgate)
}


def rollout_sizes(gen: str, horizon, out_features, I: int, schedule: str,
                  bidirectional: bool) -> tuple[int, int]:
    """(horizon, out_features) of a rollout, checked: horizon 0 (none) or more, after the layer
    schedule's context of one direction, out_features from 1 to the input width I (the output
    fed back; the rest of the input is covariates; None: 1), given only with a horizon."""
    if out_features is not None and not integer(horizon):
        raise WorkloadError(f"{gen}: {arg('out_features')} goes with {arg('horizon')} (the width of "
                            "the output a rollout feeds back)")
    Hz = at_least(gen, "horizon", horizon, 0)
    O = at_least(gen, "out_features", 1 if out_features is None else out_features)
    if Hz and (schedule != "layer" or bidirectional):
        raise WorkloadError(f"{gen}: {arg('horizon')} goes with {arg_is('schedule', 'layer')} and one "
                            "direction: a rollout feeds each step's output to the next step, after the "
                            "whole context")
    if O > I:
        raise WorkloadError(f"{gen}: {arg_is('out_features', O)} must be at most "
                            f"{arg_is('input_size', I)}: the output is fed back as (part of) the next "
                            "step's input")
    return Hz, O


def _chain(step_ops: list) -> int:
    """Ops on the longest dependency chain of one step's gate ops (``STEPS``, in order)."""
    depth: dict[str, int] = {}
    for _, _, ins, outs, _, _ in step_ops:
        d = 1 + max((depth.get(t, 0) for t in ins), default=0)
        depth.update(dict.fromkeys(outs, d))
    return max(depth.values())


#: the fused cell op's ``chain_ops`` tag: the dependent ops of the step it stands for, those of
#: PyTorch's native cell (the "aten" style: LSTM add -> sigmoid -> mul -> add -> tanh -> mul = 6,
#: GRU 8), as a traced cell's fused group counts them (:func:`.trace.fuse.chain_ops`)
CELL_CHAIN_OPS: dict[str, int] = {cell: _chain(STEPS[(cell, "aten")][1]) for cell in ("lstm", "gru")}
#: the ``chain_ops`` of each "separate" gate op: the aten cell ops on its own part of the chain
#: (LSTM gates: add; act: sigmoid; c: f*c, i*g then add = 2; h: tanh(c) then mul = 2. GRU rz:
#: add, sigmoid = 2; n: r*h_n, + x_n, tanh = 3; h: h - n, * z, + n = 3), so every pointwise
#: style of one cell counts the same dependent ops a step
SEPARATE_CHAIN_OPS: dict[tuple[str, str], int] = {
    ("lstm", "gates"): 1, ("lstm", "act"): 1, ("lstm", "c"): 2, ("lstm", "h"): 2,
    ("gru", "rz"): 2, ("gru", "n"): 3, ("gru", "h"): 3}
assert all(sum(v for (c, _), v in SEPARATE_CHAIN_OPS.items() if c == cell) == CELL_CHAIN_OPS[cell]
           for cell in CELL_CHAIN_OPS)


def _chain_tag(cell: str, pointwise: str, op: str) -> dict:
    """A gate op's ``chain_ops`` tag (none in the aten style: one op is one step there)."""
    if pointwise == "fused":
        return {"chain_ops": CELL_CHAIN_OPS[cell]}
    return {"chain_ops": SEPARATE_CHAIN_OPS[(cell, op)]} if pointwise == "separate" else {}


def op_count(cell: str, L: int, T: int, schedule: str, pointwise: str, D: int = 1,
             horizon: int = 0, feedback: bool = True) -> int:
    """The ops :func:`recurrent` emits, exactly: per step the recurrent matmul and the gate
    ops of ``STEPS`` (the wavefront schedule: and the step's input projection); the layer
    schedule adds per layer and direction (``D``: 2 bidirectional) one input projection over
    all steps and per layer a concat, the wavefront one concat (1 layer, fused: 2 T + 2). A
    rollout of ``horizon`` steps adds per step its input's copy (``feedback``: covariates to
    join), per layer the step's 2 matmuls, gate ops and concat, and the output projection, and
    once the context's output projection and the outputs' concat."""
    gate_ops = len(STEPS[(cell, pointwise)][1])
    decode = horizon * (feedback + L * (3 + gate_ops) + 1) + 2 if horizon else 0
    if schedule == "layer":
        return L * (D * (T * (1 + gate_ops) + 1) + 1) + decode
    return L * T * (2 + gate_ops) + 1


def recurrent(cell: str, I: int, H: int, L: int, T: int, B: int, dtype: str, schedule: str,
              pointwise: str, name: str, meta: dict, D: int = 1,
              rollout: tuple[int, int] = (0, 0)) -> Workload:
    """The op graph of a stacked ``cell`` (arguments checked by the caller). ``D = 2``
    (bidirectional, layer schedule only): each layer has a forward and a reverse direction
    (``l{l}.rev.*``: own weights, steps T - 1 down to 0), independent of each other, whose
    outputs the layer's concat joins (width 2H, the next layer's input).

    ``rollout = (horizon, O)`` with horizon > 0 (layer schedule, ``D = 1``): after the T context
    steps, an autoregressive rollout as a DeepAR / seq2seq forecaster runs it (``out = W_out h``
    of width O fed back as the next step's input): the output projection of the last context
    step's top ``h``, then per decode step ``T + j`` its input ``t{T+j}.x`` (the previous output
    joined to the step's I - O covariates, a copy; the output itself where O = I), each layer's
    step (input projection of M = batch rows, recurrent matmul, gate ops) and its one-step
    output (a copy, as ``nn.LSTM`` called on one step stacks it), and the output projection;
    the states carry over from step to step. The outputs are joined into ``y`` (horizon, B, O)."""
    G = (4 if cell == "lstm" else 3) * H
    width = {"H": H, "2H": 2 * H, "G": G}
    b = Builder(dtype)
    step_tensors, step_ops_of = STEPS[(cell, pointwise)]
    if schedule == "layer":
        b.tensor("x", (T, B, I), "input")
    else:
        x_t = b.tensors(T, [([f"x.t{t}" for t in range(T)], (B, I), "input")])[0]
    layer: list[dict[str, int]] = []

    def declare_layer(l: int, sfx: str = "") -> None:
        Il = I if l == 0 else D * H
        ids = {key: b.id(b.tensor(f"l{l}{sfx}.{key}", shape, role)) for key, shape, role in (
            ("W_ih", (G, Il), "weight"), ("W_hh", (G, H), "weight"), ("b_ih", (G,), "weight"),
            ("b_hh", (G,), "weight"), ("h0", (B, H), "input"))}
        if cell == "lstm":
            ids["c0"] = b.id(b.tensor(f"l{l}{sfx}.c0", (B, H), "input"))
        layer.append(ids)

    def step_ops(pre: list[str], refs: dict, lw: dict, tags: dict, src=None, k_in=None) -> list:
        """The op specs of the steps named ``pre`` (:meth:`Builder.ops`): the input projection
        (where ``src`` is given, of width ``k_in``), the recurrent matmul, the gate ops;
        ``refs`` holds the steps' tensor ids by suffix, ``hprev`` / ``cprev`` and the biases,
        ``lw`` the weights."""
        ops = []
        if src is not None:
            ops.append(dict(names=[p + "xproj" for p in pre], kind="matmul", inputs=(src, lw["W_ih"]),
                            outputs=(refs["xproj"],), m=B, k=k_in, n=G, weight=lw["W_ih"],
                            tags={**tags, "part": "input"}))
        ops.append(dict(names=[p + "hproj" for p in pre], kind="matmul", inputs=(refs["hprev"], lw["W_hh"]),
                        outputs=(refs["hproj"],), m=B, k=H, n=G, weight=lw["W_hh"],
                        tags={**tags, "part": "recurrent"}))
        return ops + [dict(names=[p + suffix for p in pre], kind="elementwise", fn=fn, ope=ope,
                           inputs=tuple(refs[r] for r in ins), outputs=tuple(refs[o] for o in outs),
                           tags={**tags, "part": part, **_chain_tag(cell, pointwise, suffix)})
                      for suffix, fn, ins, outs, ope, part in step_ops_of]

    def steps(ls: np.ndarray, ts: np.ndarray, prev: np.ndarray, xproj: np.ndarray | None = None,
              src: np.ndarray | None = None, d: int = 0) -> dict[str, np.ndarray]:
        """Declare and emit the steps ``(ls[j], ts[j])`` of direction ``d`` in order; ``prev[j]``
        is the instance of the step before in the same layer and direction (-1 for the first:
        it reads h0 / c0); ``src``: the steps' inputs, projected each (else ``xproj``, the
        sequence's projection). Returns the tensor ids by suffix."""
        n = len(ls)
        sfx = ".rev" if d else ""
        pre = [f"l{l}{sfx}.t{t}." for l, t in zip(ls.tolist(), ts.tolist())]
        specs = [("xproj", "G")] if src is not None else []
        specs += [("hproj", "G"), *step_tensors]
        declared = b.tensors(n, [([p + s for p in pre], (B, width[w]), "activation") for s, w in specs])
        ids = dict(zip([s for s, _ in specs], declared))
        if xproj is not None:
            ids["xproj"] = xproj
        lw = {key: np.array([u.get(key, -1) for u in layer], dtype=np.int64)[ls * D + d]
              for key in ("W_ih", "W_hh", "b_ih", "b_hh", "h0", "c0")}
        first = prev < 0
        refs = dict(ids, b_ih=lw["b_ih"], b_hh=lw["b_hh"],
                    hprev=np.where(first, lw["h0"], ids["h"][np.maximum(prev, 0)]))
        if cell == "lstm":
            refs["cprev"] = np.where(first, lw["c0"], ids["c"][np.maximum(prev, 0)])
        tags = {"layer": ls, "step": ts, **({"direction": "reverse" if d else "forward"} if D == 2 else {})}
        b.ops(n, step_ops(pre, refs, lw, tags, src, np.where(ls == 0, I, H)))
        return ids

    def concat(l: int, *hs: np.ndarray) -> None:
        b.tensor(f"l{l}.y", (T, B, D * H))
        b.vector(f"l{l}.concat", "copy", hs, f"l{l}.y", tags={"layer": l, "part": "concat"})

    t_all = np.arange(T, dtype=np.int64)
    last: list[tuple] = []  # per layer, the ids of the last context step's (h, c)
    if schedule == "layer":
        for l in range(L):
            Il = I if l == 0 else D * H
            src = "x" if l == 0 else f"l{l - 1}.y"
            hs = []
            for d in range(D):  # the reverse direction runs t = T - 1 down to 0
                sfx = ".rev" if d else ""
                tags = {"layer": l, "part": "input",
                        **({"direction": "reverse" if d else "forward"} if D == 2 else {})}
                declare_layer(l, sfx)
                xproj = b.tensors(T, [([f"l{l}{sfx}.t{t}.xproj" for t in range(T)], (B, G), "activation")])[0]
                b.matmul(f"l{l}{sfx}.xproj", src, layer[l * D + d]["W_ih"], m=T * B, k=Il, n=G,
                         weight=True, outputs=(xproj,), tags=tags)
                ts = t_all[::-1].copy() if d else t_all
                ids = steps(np.full(T, l, dtype=np.int64), ts, t_all - 1, xproj=xproj[ts], d=d)
                hs.append(ids["h"][::-1] if d else ids["h"])  # in time order
                last.append((ids["h"][T - 1:], ids["c"][T - 1:] if cell == "lstm" else None))
            concat(l, *hs)
        if rollout[0]:
            _rollout(b, step_ops, layer, last, rollout, T, B, I, H,
                     [("xproj", (B, G)), ("hproj", (B, G))] + [(s, (B, width[w])) for s, w in step_tensors])
    else:
        for l in range(L):
            declare_layer(l)
        # emit along anti-diagonals so that list order is also wavefront order
        ls, ts = np.divmod(np.arange(L * T, dtype=np.int64), T)
        order = np.lexsort((ls, ls + ts))
        ls, ts = ls[order], ts[order]
        inst = np.empty((L, T), dtype=np.int64)
        inst[ls, ts] = np.arange(L * T)
        prev = np.where(ts > 0, inst[ls, np.maximum(ts - 1, 0)], -1)
        below = inst[np.maximum(ls - 1, 0), ts]
        # the input of (l, t) is x_t or the h of (l - 1, t): ids known once the block is declared,
        # since a step's tensors are base + instance * per_step + slot
        per_step = 2 + len(step_tensors)
        base = len(b._tnames)
        h_slot = 2 + [s for s, _ in step_tensors].index("h")
        src = np.where(ls == 0, x_t[ts], base + below * per_step + h_slot)
        ids = steps(ls, ts, prev, src=src)
        concat(L - 1, ids["h"][inst[L - 1]])
    return b.build(name, meta)


def _rollout(b: Builder, step_ops, layer: list[dict], state: list, rollout: tuple[int, int], T: int,
             B: int, I: int, H: int, step_shapes: list) -> None:
    """The autoregressive decode steps after the context (:func:`recurrent`'s ``rollout``), all
    ``horizon`` of them in one block (:meth:`Builder.tensors`, :meth:`Builder.ops`: a decode step
    is an instance, its tensors and ops in the order a loop over the steps declares them; one
    call per step and layer grew superlinearly, 20,000 steps in 23.5 s). ``step_ops`` gives a
    layer's step ops, ``layer`` each layer's weight ids, ``state`` each layer's last (h, c) ids,
    ``step_shapes`` a layer step's (suffix, shape) tensors."""
    horizon, O = rollout
    L = len(state)
    b.tensor("W_out", (O, H), "weight")
    ctx = b.tensor("out.ctx", (B, O))
    b.matmul("out.ctx", state[-1][0], "W_out", m=B, k=H, n=O, weight=True, outputs=ctx,
             tags={"layer": L - 1, "step": T - 1, "part": "output"})
    ts = T + np.arange(horizon, dtype=np.int64)
    tn = ts.tolist()
    specs = []  # (key, names, shape, role) of a decode step's tensors
    if I > O:  # the fed-back output joined to the step's covariates
        specs += [("x", [f"t{t}.x" for t in tn], (B, I), "activation"),
                  ("cov", [f"t{t}.cov" for t in tn], (B, I - O), "input")]
    for l in range(L):
        specs += [((l, s), [f"l{l}.t{t}.{s}" for t in tn], shape, "activation") for s, shape in step_shapes]
        specs.append(((l, "y"), [f"l{l}.t{t}.y" for t in tn], (1, B, H), "activation"))
    specs.append(("out", [f"t{t}.out" for t in tn], (B, O), "activation"))
    ids = dict(zip([k for k, *_ in specs], b.tensors(horizon, [spec[1:] for spec in specs])))
    prev = np.concatenate(([b.id(ctx)], ids["out"][:-1]))  # each step's output fed back
    ops, src = [], prev
    if I > O:
        ops.append(dict(names=[f"t{t}.x" for t in tn], kind="copy", inputs=(prev, ids["cov"]),
                        outputs=(ids["x"],), tags={"step": ts, "part": "feedback"}))
        src = ids["x"]
    for l in range(L):
        own = {s: ids[(l, s)] for s, _ in step_shapes}
        h0, c0 = state[l]  # the state carries over from the step before (the context's last)
        refs = dict(own, b_ih=layer[l]["b_ih"], b_hh=layer[l]["b_hh"],
                    hprev=np.concatenate((h0, own["h"][:-1])))
        if c0 is not None:
            refs["cprev"] = np.concatenate((c0, own["c"][:-1]))
        ops += step_ops([f"l{l}.t{t}." for t in tn], refs, layer[l], {"layer": l, "step": ts}, src,
                        I if l == 0 else H)
        ops.append(dict(names=[f"l{l}.t{t}.concat" for t in tn], kind="copy", inputs=(own["h"],),
                        outputs=(ids[(l, "y")],), tags={"layer": l, "step": ts, "part": "concat"}))
        src = ids[(l, "y")]
    ops.append(dict(names=[f"t{t}.out" for t in tn], kind="matmul", inputs=(src, b.id("W_out")),
                    outputs=(ids["out"],), m=B, k=H, n=O, weight=b.id("W_out"),
                    tags={"layer": L - 1, "step": ts, "part": "output"}))
    b.ops(horizon, ops)
    b.tensor("y", (horizon, B, O))
    b.vector("y.concat", "copy", (ids["out"],), "y", tags={"part": "concat"})
