"""Workload generators: LSTM, GRU, hierarchical attention, transformer encoder, TCN.

Each generator returns a valid :class:`~cimsim.workload.ir.Workload` whose
``metadata`` records the generator, every parameter and closed-form facts
(MACs, weight count, levels, critical-path lengths) that the tests hold the op
graph to. The op-level definitions follow ``reference/WORKLOADS.md``.

Pure Python: no torch. Invalid arguments raise :class:`~cimsim.errors.WorkloadError`
naming the parameter and what is allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..dtypes import DTYPE_BYTES, DTYPES
from ..errors import WorkloadError
from .io import save_workload
from .builders import CELL_FN
from .builders import Builder as _Builder
from .ir import Workload

SCHEDULES: tuple[str, ...] = ("layer", "wavefront")
#: "fused": one pointwise op per step for all gate arithmetic (as cuDNN's fused
#: kernel does); "separate": one op per PyTorch-level pointwise stage; "aten": one op
#: per ATen call of PyTorch's native CPU cell (10 per step; see _aten_pointwise).
POINTWISE: tuple[str, ...] = ("fused", "separate", "aten")
MODES: tuple[str, ...] = ("encode", "stream")


# --------------------------------------------------------------------------- validation
def _positive(gen: str, name: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise WorkloadError(f"{gen}: {name} must be an integer >= {minimum}, got {value!r}")
    return value


def _choice(gen: str, name: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise WorkloadError(f"{gen}: {name} {value!r} is not one of {', '.join(allowed)}")
    return value  # type: ignore[return-value]


def _heads(gen: str, d_model: int, heads: int) -> None:
    if d_model % heads:
        raise WorkloadError(f"{gen}: heads={heads} must divide d_model={d_model}")


# --------------------------------------------------------------------------- LSTM / GRU
def _recurrent(cell: str, input_size, hidden, layers, steps, batch, dtype, schedule, name,
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
    b = _Builder(dtype)

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
                         tags={**tg, "part": "state"})
            else:
                b.tensor(f"{p}.h", (B, H))
                # 2H x 7 (r, z) + H x 8 (candidate) + H x 4 (state) over H outputs
                b.vector(f"{p}.cell", "elementwise", (f"{p}.xproj", f"{p}.hproj", *bias, hprev),
                         f"{p}.h", fn=CELL_FN["gru"], ops_per_element=26,
                         tags={**tg, "part": "state"})
        elif pointwise == "aten":
            _aten_pointwise(b, cell, p, tg, l, t, H, B, hprev, bias)
        elif cell == "lstm":
            cprev = f"l{l}.c0" if t == 0 else f"l{l}.t{t - 1}.c"
            b.tensor(f"{p}.gates", (B, G))
            b.vector(f"{p}.gates", "elementwise", (f"{p}.xproj", f"{p}.hproj", *bias), f"{p}.gates",
                     fn="add", ops_per_element=3, tags={**tg, "part": "gates"})
            b.tensor(f"{p}.act", (B, G))
            # sigmoid on i, f, o and tanh on g: both cost the same per element
            b.vector(f"{p}.act", "elementwise", (f"{p}.gates",), f"{p}.act", fn="sigmoid",
                     tags={**tg, "part": "activation"})
            b.tensor(f"{p}.c", (B, H))
            b.vector(f"{p}.c", "elementwise", (f"{p}.act", cprev), f"{p}.c", fn="lstm_cell",
                     ops_per_element=3, tags={**tg, "part": "state"})
            b.tensor(f"{p}.h", (B, H))
            b.vector(f"{p}.h", "elementwise", (f"{p}.act", f"{p}.c"), f"{p}.h", fn="lstm_hidden",
                     ops_per_element=5, tags={**tg, "part": "output"})
        else:
            # r, z = sigmoid(x_rz + b_ih_rz + h_rz + b_hh_rz): 3 adds + sigmoid (4)
            b.tensor(f"{p}.rz", (B, 2 * H))
            b.vector(f"{p}.rz", "elementwise", (f"{p}.xproj", f"{p}.hproj", *bias), f"{p}.rz",
                     fn="gru_rz", ops_per_element=7, tags={**tg, "part": "gates"})
            # n = tanh(x_n + b_in + r * (h_n + b_hn)): 2 adds, mul, add, tanh (4)
            b.tensor(f"{p}.n", (B, H))
            b.vector(f"{p}.n", "elementwise", (f"{p}.xproj", f"{p}.hproj", f"{p}.rz", *bias),
                     f"{p}.n", fn="gru_candidate", ops_per_element=8,
                     tags={**tg, "part": "candidate"})
            # h' = (1 - z) * n + z * h: sub, mul, mul, add
            b.tensor(f"{p}.h", (B, H))
            b.vector(f"{p}.h", "elementwise", (f"{p}.rz", f"{p}.n", hprev), f"{p}.h",
                     fn="gru_state", ops_per_element=4, tags={**tg, "part": "state"})

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


def _aten_pointwise(b: _Builder, cell: str, p: str, tg: dict, l: int, t: int, H: int, B: int,
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


def lstm(input_size: int, hidden: int, layers: int = 1, *, steps: int, batch: int = 1,
         dtype: str = "fp32", schedule: str = "layer", name: str | None = None,
         pointwise: str = "fused") -> Workload:
    """A stacked LSTM (nn.LSTM semantics, gates i, f, g, o) over ``steps`` time steps.

    ``schedule="layer"``: each layer's input projection is one matmul over all
    steps and waits for the whole layer below (critical path ``layers*steps``
    recurrent steps). ``schedule="wavefront"``: per-step input projections
    (critical path ``steps+layers-1``).
    """
    return _recurrent("lstm", input_size, hidden, layers, steps, batch, dtype, schedule, name,
                      pointwise)


def gru(input_size: int, hidden: int, layers: int = 1, *, steps: int, batch: int = 1,
        dtype: str = "fp32", schedule: str = "layer", name: str | None = None,
        pointwise: str = "fused") -> Workload:
    """A stacked GRU (nn.GRU semantics, gates r, z, n); schedules as :func:`lstm`."""
    return _recurrent("gru", input_size, hidden, layers, steps, batch, dtype, schedule, name,
                      pointwise)


# --------------------------------------------------------------------------- hierarchical attention
def level_sizes(seq_len: int, window: int) -> list[int]:
    """Input vectors of each level of the hierarchical encoder (integer arithmetic).

    Level 1 has ``seq_len`` vectors; level l+1 has ``ceil(n_l / window)``; the
    list stops when one vector remains, so its length is ``ceil(log_window seq_len)``.
    """
    sizes = []
    n = seq_len
    while n > 1:
        sizes.append(n)
        n = -(-n // window)
    return sizes


def module_macs(n: int, d: int) -> int:
    """MACs of one attention module over ``n`` vectors of width ``d`` (per batch item)."""
    return 4 * n * d * d + 2 * n * n * d + 2 * n * d


def _attn_module(b: _Builder, p: str, x: str, windows: int, nvec: int, B: int, d: int,
                 heads: int, wp: str, tags: dict) -> str:
    """Ops of ``windows`` attention modules (batched) over ``nvec`` vectors each; returns ctx."""
    inst = windows * B
    rows = inst * nvec
    dh = d // heads
    tg = {**tags, "windows": windows, "vectors": nvec}
    for proj in ("q", "k", "v"):
        b.tensor(f"{p}.{proj}", (B, windows, nvec, d))
        b.matmul(f"{p}.{proj}", x, f"{wp}.W_{proj}", m=rows, k=d, n=d, weight=True,
                 outputs=f"{p}.{proj}", tags={**tg, "part": f"{proj}_proj"})
    b.tensor(f"{p}.scores", (B, windows, heads, nvec, nvec))
    b.matmul(f"{p}.scores", f"{p}.q", f"{p}.k", m=nvec, k=dh, n=nvec, batch=inst * heads,
             outputs=f"{p}.scores", tags={**tg, "part": "scores"})
    b.tensor(f"{p}.probs", (B, windows, heads, nvec, nvec))
    b.vector(f"{p}.softmax", "softmax", (f"{p}.scores",), f"{p}.probs",
             tags={**tg, "part": "softmax"})
    b.tensor(f"{p}.av", (B, windows, nvec, d))
    b.matmul(f"{p}.av", f"{p}.probs", f"{p}.v", m=nvec, k=nvec, n=dh, batch=inst * heads,
             outputs=f"{p}.av", tags={**tg, "part": "av"})
    b.tensor(f"{p}.o", (B, windows, nvec, d))
    b.matmul(f"{p}.o", f"{p}.av", f"{wp}.W_o", m=rows, k=d, n=d, weight=True,
             outputs=f"{p}.o", tags={**tg, "part": "out_proj"})
    b.tensor(f"{p}.pool_scores", (B, windows, nvec))
    b.matmul(f"{p}.pool_scores", f"{p}.o", f"{wp}.pool_q", m=rows, k=d, n=1, weight=True,
             outputs=f"{p}.pool_scores", tags={**tg, "part": "pool_scores"})
    b.tensor(f"{p}.pool_probs", (B, windows, nvec))
    b.vector(f"{p}.pool_softmax", "softmax", (f"{p}.pool_scores",), f"{p}.pool_probs",
             tags={**tg, "part": "pool_softmax"})
    b.tensor(f"{p}.ctx", (B, windows, d))
    b.matmul(f"{p}.pool_sum", f"{p}.pool_probs", f"{p}.o", m=1, k=nvec, n=d, batch=inst,
             outputs=f"{p}.ctx", tags={**tg, "part": "pool_sum"})
    return f"{p}.ctx"


def hier_attn(seq_len: int, d_model: int = 512, heads: int = 8, window: int = 100, batch: int = 1,
              dtype: str = "fp32", mode: str = "encode", name: str | None = None) -> Workload:
    """The hierarchical neural attention encoder of WORKLOADS.md.

    ``mode="encode"``: all ``seq_len`` vectors are known; each level batches its
    full windows into one set of ops and gives a partial last window its own ops.
    ``mode="stream"``: one input vector per step; at each step the module of the
    window holding the newest item recomputes at every level (L modules per step).
    Every level has its own weights, shared by all windows of the level.
    """
    gen = "hier-attn"
    N = _positive(gen, "seq_len", seq_len, 2)
    d = _positive(gen, "d_model", d_model)
    h = _positive(gen, "heads", heads)
    w = _positive(gen, "window", window, 2)
    B = _positive(gen, "batch", batch)
    _choice(gen, "dtype", dtype, DTYPES)
    _choice(gen, "mode", mode, MODES)
    _heads(gen, d, h)
    sizes = level_sizes(N, w)
    L = len(sizes)
    windows = [-(-n // w) for n in sizes]
    b = _Builder(dtype)
    for lv in range(1, L + 1):
        for proj in ("q", "k", "v", "o"):
            b.tensor(f"L{lv}.W_{proj}", (d, d), "weight")
        b.tensor(f"L{lv}.pool_q", (d,), "weight")

    meta: dict = {
        "generator": gen,
        "params": {"seq_len": N, "d_model": d, "heads": h, "window": w, "batch": B,
                   "dtype": dtype, "mode": mode},
        "mode": mode,
        "levels": L,
        "vectors_per_level": sizes,
        "windows_per_level": windows,
        "weight_elements": L * (4 * d * d + d),
        "critical_path_modules": L,
    }

    if mode == "encode":
        prev_ctx: list[str] = []
        macs = 0
        for lv, n in enumerate(sizes, start=1):
            full, tail = divmod(n, w)
            groups = [("full", full, w)] if full else []
            if tail:
                groups.append(("tail", 1, tail))
            if lv == 1:
                ins = [b.tensor(f"x.{g}", (B, cnt * nv, d), "input") for g, cnt, nv in groups]
            else:
                ins = [b.tensor(f"L{lv}.in.{g}", (B, cnt * nv, d)) for g, cnt, nv in groups]
                b.vector(f"L{lv}.gather", "copy", prev_ctx, ins, tags={"level": lv, "part": "gather"})
            prev_ctx = []
            for (g, cnt, nv), x in zip(groups, ins):
                prev_ctx.append(_attn_module(b, f"L{lv}.{g}", x, cnt, nv, B, d, h, f"L{lv}",
                                             {"level": lv, "group": g}))
                macs += B * cnt * module_macs(nv, d)
        meta.update(modules=sum(windows), macs=macs)
    else:
        for t in range(N):
            b.tensor(f"x.t{t}", (B, 1, d), "input")
        latest: list[dict[int, str]] = [{} for _ in range(L + 1)]
        macs = 0
        for t in range(N):
            items = t + 1  # items present at the current level
            for lv in range(1, L + 1):
                newest = items - 1
                j = newest // w
                start = j * w
                cnt = newest - start + 1
                if lv == 1:
                    members = [f"x.t{i}" for i in range(start, newest + 1)]
                else:
                    members = [latest[lv - 1][i] for i in range(start, newest + 1)]
                p = f"s{t}.L{lv}"
                tg = {"level": lv, "step": t, "window": j}
                b.tensor(f"{p}.win", (B, cnt, d))
                b.vector(f"{p}.gather", "copy", members, f"{p}.win", tags={**tg, "part": "gather"})
                latest[lv][j] = _attn_module(b, p, f"{p}.win", 1, cnt, B, d, h, f"L{lv}", tg)
                macs += B * module_macs(cnt, d)
                items = j + 1
        stored = N + sum(windows)
        meta.update(
            modules=N * L,
            modules_per_step=L,
            macs=macs,
            # every input and every window's latest context vector is kept
            stored_vectors=stored,
            stored_bytes=stored * B * d * DTYPE_BYTES[dtype],
            memory_grows_with_seq_len=True,
        )
    default = f"hier-attn-{mode}-N{N}-w{w}-d{d}-h{h}-B{B}-{dtype}"
    return b.build(name or default, meta)


# --------------------------------------------------------------------------- transformer
def transformer(seq_len: int, d_model: int = 512, heads: int = 8, ffn: int = 2048,
                layers: int = 1, batch: int = 1, dtype: str = "fp32",
                name: str | None = None) -> Workload:
    """A stack of nn.TransformerEncoderLayer (post-norm, relu); biases of the linear
    layers are not modelled (layernorm gains and shifts are)."""
    gen = "transformer"
    N = _positive(gen, "seq_len", seq_len)
    d = _positive(gen, "d_model", d_model)
    h = _positive(gen, "heads", heads)
    f = _positive(gen, "ffn", ffn)
    L = _positive(gen, "layers", layers)
    B = _positive(gen, "batch", batch)
    _choice(gen, "dtype", dtype, DTYPES)
    _heads(gen, d, h)
    b = _Builder(dtype)
    rows, dh = B * N, d // h
    x = b.tensor("x", (B, N, d), "input")
    for l in range(L):
        p = f"l{l}"
        tg = {"layer": l}
        b.tensor(f"{p}.W_in", (3 * d, d), "weight")
        b.tensor(f"{p}.W_o", (d, d), "weight")
        b.tensor(f"{p}.W_1", (f, d), "weight")
        b.tensor(f"{p}.W_2", (d, f), "weight")
        for ln in ("ln1", "ln2"):
            b.tensor(f"{p}.{ln}.gamma", (d,), "weight")
            b.tensor(f"{p}.{ln}.beta", (d,), "weight")
        qkv = [b.tensor(f"{p}.{s}", (B, N, d)) for s in ("q", "k", "v")]
        b.matmul(f"{p}.qkv", x, f"{p}.W_in", m=rows, k=d, n=3 * d, weight=True, outputs=qkv,
                 tags={**tg, "part": "qkv_proj"})
        b.tensor(f"{p}.scores", (B, h, N, N))
        b.matmul(f"{p}.scores", f"{p}.q", f"{p}.k", m=N, k=dh, n=N, batch=B * h,
                 outputs=f"{p}.scores", tags={**tg, "part": "scores"})
        b.tensor(f"{p}.probs", (B, h, N, N))
        b.vector(f"{p}.softmax", "softmax", (f"{p}.scores",), f"{p}.probs",
                 tags={**tg, "part": "softmax"})
        b.tensor(f"{p}.av", (B, N, d))
        b.matmul(f"{p}.av", f"{p}.probs", f"{p}.v", m=N, k=N, n=dh, batch=B * h,
                 outputs=f"{p}.av", tags={**tg, "part": "av"})
        b.tensor(f"{p}.attn", (B, N, d))
        b.matmul(f"{p}.out_proj", f"{p}.av", f"{p}.W_o", m=rows, k=d, n=d, weight=True,
                 outputs=f"{p}.attn", tags={**tg, "part": "out_proj"})
        b.tensor(f"{p}.res1", (B, N, d))
        b.vector(f"{p}.res1", "elementwise", (x, f"{p}.attn"), f"{p}.res1", fn="add",
                 tags={**tg, "part": "residual"})
        b.tensor(f"{p}.norm1", (B, N, d))
        b.vector(f"{p}.norm1", "layernorm", (f"{p}.res1", f"{p}.ln1.gamma", f"{p}.ln1.beta"),
                 f"{p}.norm1", tags={**tg, "part": "layernorm"})
        b.tensor(f"{p}.ffn1", (B, N, f))
        b.matmul(f"{p}.ffn1", f"{p}.norm1", f"{p}.W_1", m=rows, k=d, n=f, weight=True,
                 outputs=f"{p}.ffn1", tags={**tg, "part": "ffn1"})
        b.tensor(f"{p}.relu", (B, N, f))
        b.vector(f"{p}.relu", "elementwise", (f"{p}.ffn1",), f"{p}.relu", fn="relu",
                 tags={**tg, "part": "relu"})
        b.tensor(f"{p}.ffn2", (B, N, d))
        b.matmul(f"{p}.ffn2", f"{p}.relu", f"{p}.W_2", m=rows, k=f, n=d, weight=True,
                 outputs=f"{p}.ffn2", tags={**tg, "part": "ffn2"})
        b.tensor(f"{p}.res2", (B, N, d))
        b.vector(f"{p}.res2", "elementwise", (f"{p}.norm1", f"{p}.ffn2"), f"{p}.res2", fn="add",
                 tags={**tg, "part": "residual"})
        b.tensor(f"{p}.out", (B, N, d))
        b.vector(f"{p}.norm2", "layernorm", (f"{p}.res2", f"{p}.ln2.gamma", f"{p}.ln2.beta"),
                 f"{p}.out", tags={**tg, "part": "layernorm"})
        x = f"{p}.out"
    meta = {
        "generator": gen,
        "params": {"seq_len": N, "d_model": d, "heads": h, "ffn": f, "layers": L, "batch": B,
                   "dtype": dtype},
        "macs": L * B * (N * (4 * d * d + 2 * d * f) + 2 * N * N * d),
        "weight_elements": L * (4 * d * d + 2 * d * f + 4 * d),
        "norm": "post",
        "biases": "linear-layer biases not modelled",
    }
    return b.build(name or f"transformer-L{L}-N{N}-d{d}-h{h}-f{f}-B{B}-{dtype}", meta)


# --------------------------------------------------------------------------- TCN
def tcn(steps: int, channels: int = 256, kernel: int = 3, layers: int = 8, batch: int = 1,
        dtype: str = "fp32", name: str | None = None) -> Workload:
    """A stack of causal dilated Conv1d layers (dilation 2^l, relu after each) as
    matmuls over an explicit im2col (a ``copy`` op per layer); biases not modelled."""
    gen = "tcn"
    T = _positive(gen, "steps", steps)
    C = _positive(gen, "channels", channels)
    k = _positive(gen, "kernel", kernel)
    L = _positive(gen, "layers", layers)
    B = _positive(gen, "batch", batch)
    _choice(gen, "dtype", dtype, DTYPES)
    b = _Builder(dtype)
    x = b.tensor("x", (B, T, C), "input")
    for l in range(L):
        p = f"l{l}"
        tg = {"layer": l, "dilation": 2 ** l}
        b.tensor(f"{p}.W", (C, C, k), "weight")
        b.tensor(f"{p}.cols", (B, T, C * k))
        b.vector(f"{p}.im2col", "copy", (x,), f"{p}.cols", tags={**tg, "part": "im2col"})
        b.tensor(f"{p}.conv", (B, T, C))
        b.matmul(f"{p}.conv", f"{p}.cols", f"{p}.W", m=T * B, k=C * k, n=C, weight=True,
                 outputs=f"{p}.conv", tags={**tg, "part": "conv"})
        b.tensor(f"{p}.out", (B, T, C))
        b.vector(f"{p}.relu", "elementwise", (f"{p}.conv",), f"{p}.out", fn="relu",
                 tags={**tg, "part": "relu"})
        x = f"{p}.out"
    meta = {
        "generator": gen,
        "params": {"steps": T, "channels": C, "kernel": k, "layers": L, "batch": B, "dtype": dtype},
        "macs": L * B * T * C * C * k,
        "weight_elements": L * C * C * k,
        "dilations": [2 ** l for l in range(L)],
        "receptive_field": 1 + (k - 1) * (2 ** L - 1),
        "critical_path_layers": L,
    }
    return b.build(name or f"tcn-L{L}-T{T}-C{C}-k{k}-B{B}-{dtype}", meta)


# --------------------------------------------------------------------------- registry
GENERATORS: dict[str, Callable[..., Workload]] = {
    "lstm": lstm,
    "gru": gru,
    "hier-attn": hier_attn,
    "transformer": transformer,
    "tcn": tcn,
}

#: The workloads shipped in ``workloads/``: name -> generator and its parameters.
BUNDLED: dict[str, dict] = {
    # hidden 2048: 268 MB of fp32 weights, more than any bundled processor's SRAM
    "lstm": {"generator": "lstm", "params": {"input_size": 2048, "hidden": 2048, "layers": 2,
                                             "steps": 100, "batch": 1, "dtype": "fp32",
                                             "schedule": "layer", "pointwise": "fused"}},
    "gru": {"generator": "gru", "params": {"input_size": 1024, "hidden": 1024, "layers": 1,
                                           "steps": 100, "batch": 1, "dtype": "fp32",
                                           "schedule": "layer", "pointwise": "fused"}},
    "hier-attn": {"generator": "hier-attn", "params": {"seq_len": 10000, "window": 100,
                                                       "d_model": 512, "heads": 8, "batch": 1,
                                                       "dtype": "fp32", "mode": "encode"}},
    # window 20 and N = 20^2 keep the streaming graph at 8k ops (2 levels per step) and
    # its file under 5 MB
    "hier-attn-stream": {"generator": "hier-attn", "params": {"seq_len": 400, "window": 20,
                                                              "d_model": 512, "heads": 8,
                                                              "batch": 1, "dtype": "fp32",
                                                              "mode": "stream"}},
    "transformer": {"generator": "transformer", "params": {"seq_len": 512, "d_model": 512,
                                                           "heads": 8, "ffn": 2048, "layers": 2,
                                                           "batch": 1, "dtype": "fp32"}},
    "tcn": {"generator": "tcn", "params": {"steps": 1024, "channels": 256, "kernel": 3,
                                           "layers": 8, "batch": 1, "dtype": "fp32"}},
}


def make_bundled(name: str) -> Workload:
    """Generate the bundled workload ``name`` (a key of :data:`BUNDLED`)."""
    if name not in BUNDLED:
        raise WorkloadError(f"no bundled workload '{name}'; bundled: {', '.join(BUNDLED)}")
    spec = BUNDLED[name]
    return GENERATORS[spec["generator"]](**spec["params"], name=name)


def write_bundled(directory: str | Path) -> list[Path]:
    """(Re)write every bundled workload as ``directory/NAME.json``; returns the paths."""
    out = []
    for name in BUNDLED:
        path = Path(directory) / f"{name}.json"
        save_workload(make_bundled(name), path)
        out.append(path)
    return out
