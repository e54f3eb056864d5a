"""The columnar LSTM / GRU generators (``workload/recurrent.py``) against the loop they replaced.

``reference`` below is the pre-columnar generator, kept here verbatim as the reference: one
Python call per tensor and op, records collected in lists, then ``Workload(name, tensors,
ops)``. Every cell x schedule x pointwise style x layer count must give the same tensors,
ops (names, kinds, operands, dimensions, functions, tags, in order), edges and MACs.
"""

from __future__ import annotations

import pytest

from cimsim.dtypes import DTYPES
from cimsim.errors import WorkloadError
from cimsim.workload import Op, Tensor, Workload
from cimsim.workload.builders import CELL_FN
from cimsim.workload.generators import POINTWISE, SCHEDULES, gru, lstm
from cimsim.workload.io import workload_to_dict


def _positive(gen, name, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise WorkloadError(f"{gen}: {name} must be an integer >= {minimum}, got {value!r}")
    return value


def _choice(gen, name, value, allowed):
    if value not in allowed:
        raise WorkloadError(f"{gen}: {name} {value!r} is not one of {', '.join(allowed)}")
    return value


class _Loop:
    """The old generator builder: a Tensor / Op record per call."""

    def __init__(self, dtype):
        self.dtype, self.tensors, self.ops = dtype, [], []

    def tensor(self, name, shape, role="activation"):
        self.tensors.append(Tensor(name, tuple(int(s) for s in shape), self.dtype, role))
        return name

    def matmul(self, name, a, b, *, m, k, n, batch=1, weight=False, outputs, tags):
        outs = (outputs,) if isinstance(outputs, str) else tuple(outputs)
        self.ops.append(Op(name, "matmul", (a, b), outs, m=m, k=k, n=n, batch=batch,
                           weight=b if weight else None, tags=dict(tags)))

    def vector(self, name, kind, inputs, output, *, tags, fn=None, ops_per_element=None):
        outs = (output,) if isinstance(output, str) else tuple(output)
        self.ops.append(Op(name, kind, tuple(inputs), outs, fn=fn, ops_per_element=ops_per_element,
                           tags=dict(tags)))

    def build(self, name, metadata):
        return Workload(name, self.tensors, self.ops, metadata)


def reference(cell: str, input_size, hidden, layers, steps, batch, dtype, schedule, name,
               pointwise="fused"):
    gen = cell
    I = _positive(gen, "input_size", input_size)
    H = _positive(gen, "hidden", hidden)
    L = _positive(gen, "layers", layers)
    T = _positive(gen, "steps", steps)
    B = _positive(gen, "batch", batch)
    _choice(gen, "dtype", dtype, DTYPES)
    _choice(gen, "schedule", schedule, SCHEDULES)
    _choice(gen, "pointwise", pointwise, POINTWISE)
    gates = 4 if cell == "lstm" else 3
    G = gates * H
    b = _Loop(dtype)

    if schedule == "layer":
        b.tensor("x", (T, B, I), "input")
    else:
        for t in range(T):
            b.tensor(f"x.t{t}", (B, I), "input")

    def declare_layer(l: int) -> None:
        Il = I if l == 0 else H
        b.tensor(f"l{l}.W_ih", (G, Il), "weight")
        b.tensor(f"l{l}.W_hh", (G, H), "weight")
        b.tensor(f"l{l}.b_ih", (G,), "weight")
        b.tensor(f"l{l}.b_hh", (G,), "weight")
        b.tensor(f"l{l}.h0", (B, H), "input")
        if cell == "lstm":
            b.tensor(f"l{l}.c0", (B, H), "input")

    def step(l: int, t: int) -> None:
        p = f"l{l}.t{t}"
        tg = {"layer": l, "step": t}
        hprev = f"l{l}.h0" if t == 0 else f"l{l}.t{t - 1}.h"
        b.tensor(f"{p}.hproj", (B, G))
        b.matmul(f"{p}.hproj", hprev, f"l{l}.W_hh", m=B, k=H, n=G, weight=True,
                 outputs=f"{p}.hproj", tags={**tg, "part": "recurrent"})
        bias = (f"l{l}.b_ih", f"l{l}.b_hh")
        if pointwise == "fused":
            # all gate arithmetic of the step in one op; vector-op counts are the
            # sums of the separate stages below, spread over the op's outputs
            if cell == "lstm":
                cprev = f"l{l}.c0" if t == 0 else f"l{l}.t{t - 1}.c"
                b.tensor(f"{p}.c", (B, H))
                b.tensor(f"{p}.h", (B, H))
                # 4H x (3 adds + 4 activation) + H x 3 (cell) + H x 5 (hidden) over 2H outputs
                b.vector(f"{p}.cell", "elementwise", (f"{p}.xproj", f"{p}.hproj", *bias, cprev),
                         (f"{p}.c", f"{p}.h"), fn=CELL_FN["lstm"], ops_per_element=18,
                         # the longest dependency chain of the aten cell's ops (the fused
                         # op's chain_ops; the serial-step tests check it against a trace)
                         tags={**tg, "part": "state", "chain_ops": 6})
            else:
                b.tensor(f"{p}.h", (B, H))
                # 2H x 7 (r, z) + H x 8 (candidate) + H x 4 (state) over H outputs
                b.vector(f"{p}.cell", "elementwise", (f"{p}.xproj", f"{p}.hproj", *bias, hprev),
                         f"{p}.h", fn=CELL_FN["gru"], ops_per_element=26,
                         # the longest dependency chain of the aten cell's ops (chain_ops)
                         tags={**tg, "part": "state", "chain_ops": 8})
        elif pointwise == "aten":
            _aten_pointwise(b, cell, p, tg, l, t, H, B, hprev, bias)
        elif cell == "lstm":
            cprev = f"l{l}.c0" if t == 0 else f"l{l}.t{t - 1}.c"
            b.tensor(f"{p}.gates", (B, G))
            b.vector(f"{p}.gates", "elementwise", (f"{p}.xproj", f"{p}.hproj", *bias), f"{p}.gates",
                     fn="add", ops_per_element=3, tags={**tg, "part": "gates", "chain_ops": 1})
            b.tensor(f"{p}.act", (B, G))
            # sigmoid on i, f, o and tanh on g: both cost the same per element
            b.vector(f"{p}.act", "elementwise", (f"{p}.gates",), f"{p}.act", fn="sigmoid",
                     tags={**tg, "part": "activation", "chain_ops": 1})
            b.tensor(f"{p}.c", (B, H))
            b.vector(f"{p}.c", "elementwise", (f"{p}.act", cprev), f"{p}.c", fn="lstm_cell",
                     ops_per_element=3, tags={**tg, "part": "state", "chain_ops": 2})  # f*c, i*g; +
            b.tensor(f"{p}.h", (B, H))
            b.vector(f"{p}.h", "elementwise", (f"{p}.act", f"{p}.c"), f"{p}.h", fn="lstm_hidden",
                     ops_per_element=5, tags={**tg, "part": "output", "chain_ops": 2})  # tanh; *
        else:
            # r, z = sigmoid(x_rz + b_ih_rz + h_rz + b_hh_rz): 3 adds + sigmoid (4)
            b.tensor(f"{p}.rz", (B, 2 * H))
            b.vector(f"{p}.rz", "elementwise", (f"{p}.xproj", f"{p}.hproj", *bias), f"{p}.rz",
                     fn="gru_rz", ops_per_element=7, tags={**tg, "part": "gates", "chain_ops": 2})
            # n = tanh(x_n + b_in + r * (h_n + b_hn)): 2 adds, mul, add, tanh (4)
            b.tensor(f"{p}.n", (B, H))
            b.vector(f"{p}.n", "elementwise", (f"{p}.xproj", f"{p}.hproj", f"{p}.rz", *bias),
                     f"{p}.n", fn="gru_candidate", ops_per_element=8,
                     tags={**tg, "part": "candidate", "chain_ops": 3})  # r*h_n, + x_n, tanh
            # h' = (1 - z) * n + z * h: sub, mul, mul, add
            b.tensor(f"{p}.h", (B, H))
            b.vector(f"{p}.h", "elementwise", (f"{p}.rz", f"{p}.n", hprev), f"{p}.h",
                     fn="gru_state", ops_per_element=4, tags={**tg, "part": "state", "chain_ops": 3})

    def concat(l: int) -> None:
        b.tensor(f"l{l}.y", (T, B, H))
        b.vector(f"l{l}.concat", "copy", [f"l{l}.t{t}.h" for t in range(T)], f"l{l}.y",
                 tags={"layer": l, "part": "concat"})

    if schedule == "layer":
        for l in range(L):
            declare_layer(l)
            Il = I if l == 0 else H
            src = "x" if l == 0 else f"l{l - 1}.y"
            outs = [b.tensor(f"l{l}.t{t}.xproj", (B, G)) for t in range(T)]
            b.matmul(f"l{l}.xproj", src, f"l{l}.W_ih", m=T * B, k=Il, n=G, weight=True,
                     outputs=outs, tags={"layer": l, "part": "input"})
            for t in range(T):
                step(l, t)
            concat(l)
    else:
        for l in range(L):
            declare_layer(l)
        # emit along anti-diagonals so that list order is also wavefront order
        for diag in range(T + L - 1):
            for l in range(max(0, diag - T + 1), min(L, diag + 1)):
                t = diag - l
                Il = I if l == 0 else H
                src = f"x.t{t}" if l == 0 else f"l{l - 1}.t{t}.h"
                b.tensor(f"l{l}.t{t}.xproj", (B, G))
                b.matmul(f"l{l}.t{t}.xproj", src, f"l{l}.W_ih", m=B, k=Il, n=G, weight=True,
                         outputs=f"l{l}.t{t}.xproj", tags={"layer": l, "step": t, "part": "input"})
                step(l, t)
        concat(L - 1)

    in_sizes = [I] + [H] * (L - 1)
    macs = sum(T * B * G * (Il + H) for Il in in_sizes)
    weights = sum(G * (Il + H) + 2 * G for Il in in_sizes)
    if schedule == "layer":
        rec_steps, rec_matmuls = L * T, L * T - (L - 1)
    else:
        rec_steps, rec_matmuls = T + L - 1, T
    meta = {
        "generator": cell,
        "params": {"input_size": I, "hidden": H, "layers": L, "steps": T, "batch": B,
                   "dtype": dtype, "schedule": schedule, "pointwise": pointwise},
        "schedule": schedule,
        "gates": gates,
        "macs": macs,
        "weight_elements": weights,
        # every path through step (l, t) passes its state-update op (part=state):
        "recurrent_steps_on_critical_path": rec_steps,
        # the step-0 recurrent matmul of a layer reads only h0, so it is off the path
        # through the layer below; hence one fewer per extra layer (layer schedule)
        "recurrent_matmuls_on_critical_path": rec_matmuls,
        "notes": "tags.part: input (W_ih), recurrent (W_hh), state (c_t for LSTM, h_t for GRU)",
    }
    default = f"{cell}-L{L}-I{I}-H{H}-T{T}-B{B}-{dtype}-{schedule}"
    return b.build(name or default, meta)


def _aten_pointwise(b, cell: str, p: str, tg: dict, l: int, t: int, H: int, B: int,
                    hprev: str, bias: tuple[str, str]) -> None:
    """A step's gate arithmetic as PyTorch's native CPU cells run it (ATen ``LSTMCell`` /
    ``GRUCell`` in aten/src/ATen/native/RNN.cpp): one op per ATen call that does arithmetic,
    10 per step for either cell (the biases are added by the ``addmm`` calls there; here the
    first add reads them)."""

    def op(name, fn, inputs, part, outputs=None):
        outs = outputs or (b.tensor(f"{p}.{name}", (B, H)),)
        b.vector(f"{p}.{name}", "elementwise", inputs, outs if len(outs) > 1 else outs[0], fn=fn,
                 tags={**tg, "part": part})

    if cell == "lstm":
        cprev = f"l{l}.c0" if t == 0 else f"l{l}.t{t - 1}.c"
        # gates = hproj.add_(xproj), then unsafe_chunk(4): one add over the four gate slices
        gates = tuple(b.tensor(f"{p}.pre_{g}", (B, H)) for g in "ifgo")
        op("gates", "add", (f"{p}.hproj", f"{p}.xproj", *bias), "gates", outputs=gates)
        for g, fn in zip("ifgo", ("sigmoid", "sigmoid", "tanh", "sigmoid")):  # sigmoid_ / tanh_
            op(g, fn, (f"{p}.pre_{g}",), "activation")
        op("fc", "mul", (f"{p}.f", cprev), "cell")  # forgetgate.mul(cx)
        op("ig", "mul", (f"{p}.i", f"{p}.g"), "cell")  # ingate.mul(cellgate)
        op("c", "add", (f"{p}.fc", f"{p}.ig"), "state")  # .add_(...)
        op("tc", "tanh", (f"{p}.c",), "output")  # cy.tanh()
        op("h", "mul", (f"{p}.o", f"{p}.tc"), "output")  # outgate.mul(...)
    else:
        op("pre_r", "add", (f"{p}.hproj", f"{p}.xproj", *bias), "gates")  # h_r.add_(x_r)
        op("r", "sigmoid", (f"{p}.pre_r",), "gates")
        op("pre_z", "add", (f"{p}.hproj", f"{p}.xproj"), "gates")  # h_z.add_(x_z)
        op("z", "sigmoid", (f"{p}.pre_z",), "gates")
        op("hn", "mul", (f"{p}.hproj", f"{p}.r"), "candidate")  # h_n.mul_(r)
        op("pre_n", "add", (f"{p}.xproj", f"{p}.hn"), "candidate")  # x_n.add(...)
        op("n", "tanh", (f"{p}.pre_n",), "candidate")  # .tanh_()
        op("d", "sub", (hprev, f"{p}.n"), "state")  # hidden - newgate
        op("dz", "mul", (f"{p}.d", f"{p}.z"), "state")  # .mul_(inputgate)
        op("h", "add", (f"{p}.dz", f"{p}.n"), "state")  # .add_(newgate)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("pointwise", POINTWISE)
@pytest.mark.parametrize("layers, steps, batch", [(1, 1, 1), (1, 4, 2), (3, 4, 1), (4, 2, 3)])
def test_columnar_generator_equals_the_loop(cell, schedule, pointwise, layers, steps, batch):
    gen = lstm if cell == "lstm" else gru
    w = gen(5, 4, layers, steps=steps, batch=batch, schedule=schedule, pointwise=pointwise, dtype="bf16")
    ref = reference(cell, 5, 4, layers, steps, batch, "bf16", schedule, None, pointwise)
    assert workload_to_dict(w) == workload_to_dict(ref)  # tensors, ops, tags, metadata, in order
    assert w.macs == ref.macs == w.metadata["macs"]
    for a, b in zip(w.predecessors, ref.predecessors):  # the edges
        assert a.tolist() == b.tolist()
    assert len(w) == len(ref) and len(w.tensors) == len(ref.tensors)


def test_op_and_tensor_counts_closed_form():
    # fused LSTM, layer schedule: per layer an input projection, 2 ops per step and a concat;
    # tensors: x, 6 per layer (W_ih, W_hh, b_ih, b_hh, h0, c0), 4 per step, y per layer
    L, T = 3, 7
    w = lstm(8, 8, L, steps=T)
    assert len(w) == L * (2 * T + 2)
    assert len(w.tensors) == 1 + L * (6 + 4 * T + 1)
    # aten GRU, wavefront: x_t, 5 per layer (no c0), per step 2 matmuls + 10 ops, 12 tensors
    w = gru(8, 8, L, steps=T, schedule="wavefront", pointwise="aten")
    assert len(w) == L * T * 12 + 1
    assert len(w.tensors) == T + 5 * L + 12 * L * T + 1


@pytest.mark.parametrize("cell, per_step", [("lstm", 1 + 6), ("gru", 1 + 8)])
def test_every_pointwise_style_counts_the_same_serial_steps(cell, per_step):
    """review 13-5: the serial-step path counted a fused cell as its chain of dependent aten ops
    (LSTM add, sigmoid, mul, add, tanh, mul = 6; GRU 8) but each "separate" gate op as 1, so
    one LSTM read 113 steps fused and 81 separate. Closed form, one layer of T steps: the
    input projection, then per step the recurrent matmul and the cell's chain."""
    from cimsim import load_architecture, simulate

    arch, T = load_architecture("gpu-hbm3"), 8
    gen = lstm if cell == "lstm" else gru
    steps = [simulate(arch, gen(16, 16, 1, steps=T, pointwise=p), engine="analytic").critical_path_serial_steps
             for p in ("fused", "separate", "aten")]
    assert steps == [1 + per_step * T] * 3
