"""Workload generators: LSTM, GRU, hierarchical attention, transformer encoder, TCN, matmul/GEMV.

Each generator returns a valid :class:`~cimsim.workload.ir.Workload` whose
``metadata`` records the generator, every parameter and closed-form facts
(MACs, weight count, levels, critical-path lengths) that the tests hold the op
graph to. The op-level definitions follow ``reference/WORKLOADS.md``.

Pure Python: no torch. Invalid arguments raise :class:`~cimsim.errors.WorkloadError`
naming the parameter and what is allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from ..dtypes import DTYPE_BYTES, DTYPES
from ..errors import WorkloadError
from .argnames import arg, arg_is, at_least
from .io import save_workload
from .builders import MAX_OPS, Builder as _Builder
from .ir import Workload
from .recurrent import POINTWISE, SCHEDULES, op_count, recurrent, rollout_sizes
from .windows import padding_only, receptive_field

__all__ = ["BUNDLED", "GENERATORS", "MODES", "OPERANDS", "PARTIAL", "POINTWISE", "SCHEDULES",
           "gru", "hier_attn", "level_sizes", "lstm", "make_bundled", "matmul", "module_macs",
           "tcn", "transformer", "write_bundled"]

MODES: tuple[str, ...] = ("encode", "stream")
#: hier-attn encode mode, a level's partial last window (``n mod window`` vectors): "pad" pads
#: it to ``window`` vectors, masked, and batches it with the full windows into the level's one
#: set of ops (what a batched encoder does: one kernel per level over a padded tensor with an
#: attention mask, as batched transformer encoders treat sequences of unequal length: PyTorch's
#: ``key_padding_mask``, HuggingFace's ``attention_mask``); "separate" gives it a set of ops of its own, unpadded (fewer MACs,
#: but a second module's ops on the level's path: N = w + 1 then cost more than N = w^2)
PARTIAL: tuple[str, ...] = ("pad", "separate")


# --------------------------------------------------------------------------- validation
_positive = at_least  # a NumPy integer counts as one


def _choice(gen: str, name: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise WorkloadError(f"{gen}: {arg(name)} {value!r} is not one of {', '.join(allowed)}")
    return value  # type: ignore[return-value]


def _flag(gen: str, name: str, value: object) -> bool:
    if type(value) is not bool:
        raise WorkloadError(f"{gen}: {arg(name)} must be true or false, got {value!r}")
    return value


def _heads(gen: str, d_model: int, heads: int) -> None:
    if d_model % heads:
        raise WorkloadError(f"{gen}: {arg_is('heads', heads)} must divide "
                            f"{arg_is('d_model', d_model)}")


# --------------------------------------------------------------------------- LSTM / GRU
def _recurrent(cell: str, input_size, hidden, layers, steps, batch, dtype, schedule, name,
               pointwise="fused", bidirectional=False, horizon=0, out_features=None):
    gen = cell
    I = _positive(gen, "input_size", input_size)
    H = _positive(gen, "hidden", hidden)
    L = _positive(gen, "layers", layers)
    T = _positive(gen, "steps", steps)
    B = _positive(gen, "batch", batch)
    _choice(gen, "dtype", dtype, DTYPES)
    _choice(gen, "schedule", schedule, SCHEDULES)
    _choice(gen, "pointwise", pointwise, POINTWISE)
    _flag(gen, "bidirectional", bidirectional)
    if bidirectional and schedule != "layer":
        raise WorkloadError(f"{gen}: {arg('bidirectional')} goes with {arg_is('schedule', 'layer')}: "
                            "a layer's reverse direction reaches step 0 last, so no layer above can "
                            "start a step before the whole layer below is done")
    D = 2 if bidirectional else 1
    Hz, O = rollout_sizes(gen, horizon, out_features, I, schedule, bidirectional)
    if (n := op_count(cell, L, T, schedule, pointwise, D, Hz, I > O)) > MAX_OPS:  # before any allocation
        decode = f" + {arg_is('horizon', Hz)} x {arg_is('layers', L)}" if Hz else ""
        raise WorkloadError(f"{gen}: {arg_is('steps', T)} x {arg_is('layers', L)}{decode} gives {n:,} ops "
                            f"({schedule} schedule, {pointwise} pointwise), more than a workload "
                            f"holds ({MAX_OPS:,}: op indices are 32-bit); use smaller sizes")
    gates = 4 if cell == "lstm" else 3
    G = gates * H
    in_sizes = [I] + [D * H] * (L - 1)  # bidirectional: a layer reads both directions' h
    macs = D * sum(T * B * G * (Il + H) for Il in in_sizes)  # a rollout: + Hz steps, Hz + 1 outputs
    macs += Hz * sum(B * G * (Il + H) for Il in in_sizes) + (Hz + 1) * B * H * O if Hz else 0
    weights = D * sum(G * (Il + H) + 2 * G for Il in in_sizes) + (O * H if Hz else 0)
    if schedule == "layer":
        rec_steps, rec_matmuls = L * T, L * T - (L - 1)
    else:
        rec_steps, rec_matmuls = T + L - 1, T
    meta = {
        "generator": cell,
        "params": {"input_size": I, "hidden": H, "layers": L, "steps": T, "batch": B,
                   "dtype": dtype, "schedule": schedule, "pointwise": pointwise,
                   **({"bidirectional": True} if bidirectional else {}),
                   **({"horizon": Hz, "out_features": O} if Hz else {})},
        "schedule": schedule,
        "gates": gates,
        "macs": macs,
        "weight_elements": weights,
        # every path through step (l, t) passes its state-update op (part=state):
        "recurrent_steps_on_critical_path": rec_steps + Hz * L,  # a decode step passes each layer
        # the step-0 recurrent matmul of a layer reads only h0, so it is off the path
        # through the layer below; hence one fewer per extra layer (layer schedule)
        "recurrent_matmuls_on_critical_path": rec_matmuls,
        "notes": "tags.part: input (W_ih), recurrent (W_hh), state (c_t for LSTM, h_t for GRU)",
    }
    if bidirectional:  # the two directions run side by side: one direction's path, twice the MACs
        meta["directions"] = D
    default = f"{cell}-L{L}-I{I}-H{H}-T{T}-B{B}-{dtype}-{schedule}" + ("-bi" if bidirectional else "") \
        + (f"-H{Hz}-O{O}" if Hz else "")
    return recurrent(cell, I, H, L, T, B, dtype, schedule, pointwise, default if name is None else name,
                     meta, D, (Hz, O))


def lstm(input_size: int, hidden: int, layers: int = 1, *, steps: int, batch: int = 1,
         dtype: str = "fp32", schedule: str = "layer", name: str | None = None,
         pointwise: str = "fused", bidirectional: bool = False, horizon: int = 0,
         out_features: int | None = None) -> Workload:
    """A stacked LSTM (nn.LSTM semantics, gates i, f, g, o) over ``steps`` time steps.
    ``bidirectional`` (layer schedule): nn.LSTM(bidirectional=True), a reverse direction per
    layer with its own weights, run beside the forward one (twice the MACs and weights, the
    same critical path; layers above the first read 2H). ``horizon`` > 0 (layer schedule): then
    an autoregressive rollout of that many steps, each fed the previous step's output
    projection (``out_features`` wide, default 1) and ``input_size - out_features`` covariates
    (DeepAR).

    ``schedule="layer"``: each layer's input projection is one matmul over all
    steps and waits for the whole layer below (critical path ``layers*steps``
    recurrent steps). ``schedule="wavefront"``: per-step input projections
    (critical path ``steps+layers-1``).
    """
    return _recurrent("lstm", input_size, hidden, layers, steps, batch, dtype, schedule, name,
                      pointwise, bidirectional, horizon, out_features)


def gru(input_size: int, hidden: int, layers: int = 1, *, steps: int, batch: int = 1,
        dtype: str = "fp32", schedule: str = "layer", name: str | None = None,
        pointwise: str = "fused", bidirectional: bool = False, horizon: int = 0,
        out_features: int | None = None) -> Workload:
    """A stacked GRU (nn.GRU semantics, gates r, z, n); schedules, ``bidirectional`` and the
    rollout as :func:`lstm`."""
    return _recurrent("gru", input_size, hidden, layers, steps, batch, dtype, schedule, name,
                      pointwise, bidirectional, horizon, out_features)


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
              dtype: str = "fp32", mode: str = "encode", name: str | None = None,
              partial: str | None = None) -> Workload:
    """The hierarchical neural attention encoder of WORKLOADS.md.

    ``mode="encode"``: all ``seq_len`` vectors are known; each level batches its
    full windows into one set of ops. A partial last window (``partial``, :data:`PARTIAL`)
    is padded to ``window`` vectors and masked into that set ("pad": its MACs are a full
    window's, the level's op count and path stay those of a full level), or gets ops of its
    own ("separate"); None: "pad". Stream mode has no batched level to pad into (each step
    computes one module per level): it takes no ``partial``.
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
    if mode == "stream" and partial is not None:
        raise WorkloadError(f"{gen}: {arg('partial')} is for mode 'encode'; mode 'stream' computes "
                            "one module per level at each step, with no batch to pad into")
    partial = _choice(gen, "partial", "pad" if partial is None else partial, PARTIAL)
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
                   "dtype": dtype, "mode": mode,
                   # stream mode has no partial window to batch: each step's module is its own
                   **({"partial": partial} if mode == "encode" else {})},
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
            # the last window padded to w vectors and masked, batched with the full ones (a
            # level of one window has no batch to join: it stays its own, unpadded)
            if tail and full and partial == "pad":
                groups = [("padded", full + 1, w)]
            else:
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
        if partial == "pad":  # the zero vectors the padded windows add (their MACs count)
            meta["padded_vectors_per_level"] = [-n % w if n > w else 0 for n in sizes]
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
    default = f"hier-attn-{mode}-N{N}-w{w}-d{d}-h{h}-B{B}-{dtype}" + (
        "-separate" if partial == "separate" else "")
    return b.build(default if name is None else name, meta)


# --------------------------------------------------------------------------- transformer
def transformer(seq_len: int, d_model: int = 512, heads: int = 8, ffn: int = 2048,
                layers: int = 1, batch: int = 1, dtype: str = "fp32",
                name: str | None = None, bias: bool = False) -> Workload:
    """A stack of nn.TransformerEncoderLayer (post-norm, relu); layernorm gains and shifts
    are modelled, the linear layers' biases with ``bias`` only (3d + d + f + d per layer, as
    nn.TransformerEncoderLayer has them): the q/k/v biases by an add op after the qkv
    projection, the others added by the op after their linear layer (residual, relu,
    residual: 2 vector ops an element instead of 1)."""
    gen = "transformer"
    N = _positive(gen, "seq_len", seq_len)
    d = _positive(gen, "d_model", d_model)
    h = _positive(gen, "heads", heads)
    f = _positive(gen, "ffn", ffn)
    L = _positive(gen, "layers", layers)
    B = _positive(gen, "batch", batch)
    _choice(gen, "dtype", dtype, DTYPES)
    _flag(gen, "bias", bias)
    _heads(gen, d, h)
    b = _Builder(dtype)
    rows, dh = B * N, d // h
    ope = 2 if bias else None  # the op after a linear layer: its add (or relu) and the bias add
    bias_of = {}
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
        if bias:
            bias_of = {w: (b.tensor(f"{p}.b_{w}", (size,), "weight"),)
                       for w, size in (("in", 3 * d), ("o", d), ("1", f), ("2", d))}
        qkv = [b.tensor(f"{p}.{s}", (B, N, d)) for s in ("q", "k", "v")]
        mm = [b.tensor(f"{p}.{s}.mm", (B, N, d)) for s in ("q", "k", "v")] if bias else qkv
        b.matmul(f"{p}.qkv", x, f"{p}.W_in", m=rows, k=d, n=3 * d, weight=True, outputs=mm,
                 tags={**tg, "part": "qkv_proj"})
        if bias:
            b.vector(f"{p}.qkv_bias", "elementwise", (*mm, *bias_of["in"]), qkv, fn="add",
                     tags={**tg, "part": "bias"})
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
        b.vector(f"{p}.res1", "elementwise", (x, f"{p}.attn", *bias_of.get("o", ())), f"{p}.res1",
                 fn="add", ops_per_element=ope, tags={**tg, "part": "residual"})
        b.tensor(f"{p}.norm1", (B, N, d))
        b.vector(f"{p}.norm1", "layernorm", (f"{p}.res1", f"{p}.ln1.gamma", f"{p}.ln1.beta"),
                 f"{p}.norm1", tags={**tg, "part": "layernorm"})
        b.tensor(f"{p}.ffn1", (B, N, f))
        b.matmul(f"{p}.ffn1", f"{p}.norm1", f"{p}.W_1", m=rows, k=d, n=f, weight=True,
                 outputs=f"{p}.ffn1", tags={**tg, "part": "ffn1"})
        b.tensor(f"{p}.relu", (B, N, f))
        b.vector(f"{p}.relu", "elementwise", (f"{p}.ffn1", *bias_of.get("1", ())), f"{p}.relu",
                 fn="relu", ops_per_element=ope, tags={**tg, "part": "relu",
                                                       "epilogue": "bias+relu" if bias else "relu"})
        b.tensor(f"{p}.ffn2", (B, N, d))
        b.matmul(f"{p}.ffn2", f"{p}.relu", f"{p}.W_2", m=rows, k=f, n=d, weight=True,
                 outputs=f"{p}.ffn2", tags={**tg, "part": "ffn2"})
        b.tensor(f"{p}.res2", (B, N, d))
        b.vector(f"{p}.res2", "elementwise", (f"{p}.norm1", f"{p}.ffn2", *bias_of.get("2", ())),
                 f"{p}.res2", fn="add", ops_per_element=ope, tags={**tg, "part": "residual"})
        b.tensor(f"{p}.out", (B, N, d))
        b.vector(f"{p}.norm2", "layernorm", (f"{p}.res2", f"{p}.ln2.gamma", f"{p}.ln2.beta"),
                 f"{p}.out", tags={**tg, "part": "layernorm"})
        x = f"{p}.out"
    meta = {
        "generator": gen,
        "params": {"seq_len": N, "d_model": d, "heads": h, "ffn": f, "layers": L, "batch": B,
                   "dtype": dtype, **({"bias": True} if bias else {})},
        "macs": L * B * (N * (4 * d * d + 2 * d * f) + 2 * N * N * d),
        "weight_elements": L * (4 * d * d + 2 * d * f + 4 * d + (5 * d + f if bias else 0)),
        "norm": "post",
        "biases": ("linear-layer biases modelled (3d + d + f + d per layer)" if bias else
                   "linear-layer biases not modelled (bias=True / --bias adds them)"),
    }
    default = f"transformer-L{L}-N{N}-d{d}-h{h}-f{f}-B{B}-{dtype}" + ("-bias" if bias else "")
    return b.build(default if name is None else name, meta)


# --------------------------------------------------------------------------- TCN
#: the most layers :func:`tcn` builds: layer l's dilation 2^l is an int64 tag (2^62 at most)
TCN_MAX_LAYERS = 63


def tcn(steps: int, channels: int = 256, kernel: int = 3, layers: int = 8, batch: int = 1,
        dtype: str = "fp32", name: str | None = None, bias: bool = False) -> Workload:
    """A stack of causal dilated Conv1d layers (dilation 2^l, relu after each) as
    matmuls over an explicit im2col (a ``copy`` op per layer); the conv biases (C per layer,
    as ``nn.Conv1d`` has them) with ``bias`` only, added by the layer's relu op (2 vector
    ops an element instead of 1). A layer whose dilation is >= ``steps`` reads only
    zero padding through its k - 1 earlier taps: ``metadata['padding_only_layers']`` counts
    them (0 for k = 1, which has no earlier taps). At most :data:`TCN_MAX_LAYERS` layers
    (the dilation 2^l is a 64-bit tag)."""
    gen = "tcn"
    T = _positive(gen, "steps", steps)
    C = _positive(gen, "channels", channels)
    k = _positive(gen, "kernel", kernel)
    L = _positive(gen, "layers", layers)
    if L > TCN_MAX_LAYERS:
        raise WorkloadError(f"{gen}: {arg_is('layers', L)}: layer {L - 1}'s dilation 2^{L - 1} is past "
                            f"a 64-bit integer; at most {TCN_MAX_LAYERS} layers (from layer "
                            f"{(T - 1).bit_length()} on, the dilation is >= {arg_is('steps', T)})")
    B = _positive(gen, "batch", batch)
    _choice(gen, "dtype", dtype, DTYPES)
    _flag(gen, "bias", bias)
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
        bs = (b.tensor(f"{p}.b", (C,), "weight"),) if bias else ()
        b.vector(f"{p}.relu", "elementwise", (f"{p}.conv", *bs), f"{p}.out", fn="relu",
                 ops_per_element=2 if bias else None,
                 tags={**tg, "part": "relu", "epilogue": "bias+relu" if bias else "relu"})
        x = f"{p}.out"
    meta = {
        "generator": gen,
        "params": {"steps": T, "channels": C, "kernel": k, "layers": L, "batch": B, "dtype": dtype,
                   **({"bias": True} if bias else {})},
        "macs": L * B * T * C * C * k,
        "weight_elements": L * (C * C * k + (C if bias else 0)),
        "dilations": [2 ** l for l in range(L)],
        "receptive_field": receptive_field(k, [2 ** l for l in range(L)]),
        "critical_path_layers": L,
        # layers l with 2^l >= T: every earlier tap t - j 2^l (j >= 1) is before the sequence
        # (causal: (k - 1) 2^l zeros before it); k = 1 has no earlier taps (:mod:`.windows`)
        "padding_only_layers": sum(padding_only(T, k, 1, (k - 1) * 2 ** l, 2 ** l, T) for l in range(L)),
        "biases": "conv biases modelled (C per layer)" if bias else
                  "conv biases not modelled (bias=True / --bias adds them)",
    }
    default = f"tcn-L{L}-T{T}-C{C}-k{k}-B{B}-{dtype}" + ("-bias" if bias else "")
    return b.build(default if name is None else name, meta)


# --------------------------------------------------------------------------- matmul / GEMV
OPERANDS: tuple[str, ...] = ("weight", "input")


def matmul(m: int, k: int, n: int, *, count: int = 1, chain: bool = False, operand: str = "weight",
           dtype: str = "fp32", name: str | None = None) -> Workload:
    """``count`` products ``y_i[m, n] = x_i[m, k] @ B_i[k, n]`` (a GEMV when ``m = 1``).

    ``operand="weight"``: each ``B_i`` is a stationary weight (what CIM arrays and PIM
    banks hold); ``"input"``: a model input streamed from memory like ``x_i`` (e.g. a
    KV cache). ``chain=True``: ``x_{i+1} = y_i`` (a stack of linear layers without
    activations; needs ``k == n``), so the products run one after another; otherwise
    they are independent.
    """
    gen = "matmul"
    M = _positive(gen, "m", m)
    K = _positive(gen, "k", k)
    N = _positive(gen, "n", n)
    C = _positive(gen, "count", count)
    _flag(gen, "chain", chain)
    _choice(gen, "operand", operand, OPERANDS)
    _choice(gen, "dtype", dtype, DTYPES)
    if chain and C > 1 and K != N:
        raise WorkloadError(f"{gen}: {arg_is('chain', True)} feeds each product's output to the "
                            f"next, so {arg_is('k', K)} must equal {arg_is('n', N)}")
    b = _Builder(dtype)
    x = b.tensor("x0", (M, K), "input")
    for i in range(C):
        if i and not chain:
            x = b.tensor(f"x{i}", (M, K), "input")
        w = b.tensor(f"B{i}", (K, N), operand)
        y = b.tensor(f"y{i}", (M, N))
        b.matmul(f"mm{i}", x, w, m=M, k=K, n=N, weight=operand == "weight", outputs=y,
                 tags={"index": i})
        x = y
    size = DTYPE_BYTES[dtype]
    meta = {
        "generator": gen,
        "params": {"m": M, "k": K, "n": N, "count": C, "chain": chain, "operand": operand,
                   "dtype": dtype},
        "macs": C * M * K * N,
        "weight_elements": C * K * N if operand == "weight" else 0,
        # bytes each product reads and writes (A, B, output), in the workload's dtype
        "bytes_per_product": {"a": M * K * size, "b": K * N * size, "out": M * N * size},
        "critical_path_ops": C if chain else 1,
    }
    kind = "gemv" if M == 1 else "matmul"
    default = f"{kind}-M{M}-K{K}-N{N}-x{C}{'-chain' if chain else ''}-{operand}-{dtype}"
    return b.build(default if name is None else name, meta)


# --------------------------------------------------------------------------- registry
GENERATORS: dict[str, Callable[..., Workload]] = {
    "lstm": lstm,
    "gru": gru,
    "hier-attn": hier_attn,
    "transformer": transformer,
    "tcn": tcn,
    "matmul": matmul,
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


def write_bundled(directory: str | Path, names: Iterable[str] | None = None,
                  on_written: Callable[[Workload, Path], None] | None = None) -> list[Path]:
    """(Re)write bundled workloads as ``directory/NAME.json`` (every one of :data:`BUNDLED`, or
    ``names``), in order; ``on_written(workload, path)`` is called after each file. Returns the
    paths. ``cimsim workload bundled`` is this function."""
    out = []
    for name in BUNDLED if names is None else names:
        path = Path(directory) / f"{name}.json"
        w = make_bundled(name)
        save_workload(w, path)
        out.append(path)
        if on_written is not None:
            on_written(w, path)
    return out


def __dir__() -> list[str]:
    from ..names import public_dir

    return public_dir(globals())
