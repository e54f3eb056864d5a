"""Quantized ops whose int8 weights are packed (``torch.ScriptObject``), unpacked into int8 matmuls.

``torch.ao.quantization.quantize_dynamic`` turns ``nn.Linear`` into ``quantized::linear_dynamic``
and ``nn.LSTM`` / ``nn.GRU`` into ``aten.quantized_lstm`` / ``aten.quantized_gru``; ``convert``
of a static-quantization model turns ``nn.Linear`` into ``quantized::linear`` (``_relu``: with
its ReLU fused). Their weights are ``LinearPackedParamsBase`` objects, which
``torch.ops.quantized.linear_unpack`` turns back into the int8 weight (``N x K``) and the fp32
bias; an RNN's ``CellParamsBase`` holds two of them per layer and direction (``weight_ih``,
``weight_hh``) and its fp32 biases. The unpacked tensors are ``weight`` tensors named as the
float model names them (``fc.weight``, ``lstm.weight_ih_l0``): int8 weights 1 B an element,
stationary (a CIM array claims them), biases fp32.

A quantized Linear of an ``M x K`` input lowers to

- (dynamic only) the input's quantization to int8: an elementwise op of
  :data:`DYNAMIC_QUANT_OPS_PER_ELEMENT` vector ops per element (the observer's min and max, then
  divide by the scale, add the zero point and round, clamp); a static model's input is already
  quantized (``quantize_per_tensor``: :data:`QUANTIZE_OPS_PER_ELEMENT`);
- an int8 matmul ``M x K`` by ``K x N``, M·K·N MACs, accumulating in int32;
- the accumulators' dequantization (dynamic: scale to fp32, 1 op an element) or requantization
  (static: scale, add the zero point and round, clamp: 3), plus 1 for the bias and 1 for a fused
  ReLU: an elementwise op writing the op's output.

A quantized LSTM / GRU runs the float layer's own lowering (``torch.lstm`` / ``torch.gru`` on
the dequantized weights, recorded and lowered as ``nn.LSTM`` is: one input projection over the
T steps, then per step the recurrent matmul and the fused cell op) with each gate matmul
lowered as the quantized Linear above, on the int8 weight: 4H·(I + H) MACs per step and batch
row for an LSTM, as the float model's.

An RNN cell's packed parameters of another kind (``quantize_dynamic(dtype=torch.float16)``) or a
packed-sequence input stay unknown ops, marked ``packed_weights`` (:meth:`.lower.Lowerer._unknown`).
"""

from __future__ import annotations

from types import SimpleNamespace

from .quant import FAKE_QUANT_OPS_PER_ELEMENT, OBSERVER_OPS_PER_ELEMENT
from .registry import Call, aten, lowers
from .storage import storage_key

#: quantize to int8: divide by the scale, add the zero point and round, clamp
QUANTIZE_OPS_PER_ELEMENT = FAKE_QUANT_OPS_PER_ELEMENT - 1.0
#: a dynamic quantization also finds the tensor's min and max (its observer) first
DYNAMIC_QUANT_OPS_PER_ELEMENT = QUANTIZE_OPS_PER_ELEMENT + OBSERVER_OPS_PER_ELEMENT
#: int32 accumulators to fp32 (dynamic): one multiply by the product of the scales
DEQUANT_OPS_PER_ELEMENT = 1.0
#: int32 accumulators to the output's quint8 (static): scale, add the zero point and round, clamp
REQUANT_OPS_PER_ELEMENT = 3.0
#: ``dequantize`` of a quantized tensor: subtract the zero point, multiply by the scale
DEQUANTIZE_OPS_PER_ELEMENT = 2.0

_LINEARS = {"linear_dynamic": (True, False), "linear_relu_dynamic": (True, True),
            "linear": (False, False), "linear_relu": (False, True)}
_RNNS = {"quantized_lstm": "lstm", "quantized_gru": "gru"}


def _path(low, leaf: str) -> str:
    mod = low.ev.module
    return f"{mod}.{leaf}" if mod else leaf


def _name_source(low, t, name: str) -> None:
    """Tensor ``t`` (kept alive by the caller) is the weight called ``name``."""
    if t is not None and t.numel():
        low.names[storage_key(t)] = ("weight", name)


def unpack_linear(low, packed, name: str):
    """(int8 weight ``N x K``, fp32 bias or None) of a ``LinearPackedParamsBase``, named
    ``name.weight`` / ``name.bias``; one unpacking per object (the same tensors each call)."""
    cache = low.__dict__.setdefault("_unpacked", {})
    hit = cache.get(id(packed))
    if hit is None:
        q, b = low.torch.ops.quantized.linear_unpack(packed)
        w = q.int_repr()  # its int8 values: a plain tensor (a per-channel one has no views)
        _name_source(low, w, f"{name}.weight")
        _name_source(low, b, f"{name}.bias")
        qparams = per_channel_qparams(low, q, name)
        hit = cache[id(packed)] = (packed, w, b, q, qparams)  # the object too: its id stays its own
    return hit[1], hit[2]


def per_channel_qparams(low, q, name: str) -> list:
    """A per-channel weight's scales (fp32) and zero points (int32), as fbgemm's kernel reads
    them, named ``name.weight_scale`` / ``name.weight_zero_point``: weights (stored with the
    model), read by the matmul's (de/re)quantization; [] for a per-tensor weight (one scalar)."""
    torch = low.torch
    if q.qscheme() not in (torch.per_channel_affine, torch.per_channel_symmetric,
                           torch.per_channel_affine_float_qparams):
        return []
    out = [q.q_per_channel_scales().to(torch.float32), q.q_per_channel_zero_points().to(torch.int32)]
    for t, leaf in zip(out, ("weight_scale", "weight_zero_point")):
        _name_source(low, t, f"{name}.{leaf}")
    return out


def qparams_of(low, w) -> list:
    """The per-channel scales and zero points of unpacked int8 weight ``w`` ([] if none)."""
    return next((h[4] for h in low.__dict__.get("_unpacked", {}).values() if h[1] is w), [])


def dequantized(low, w):
    """The fp32 values of unpacked int8 weight ``w`` (:func:`unpack_linear`)."""
    return next(h[3] for h in low._unpacked.values() if h[1] is w).dequantize()


def quantized_linear(low, base: str, x, w, bias, out, dynamic: bool, relu: bool = False) -> None:
    """``out = x @ w.T + bias`` of an int8 weight ``w`` (``N x K``) as the module docstring says."""
    from .lower import Proto

    n, k = w.shape
    m = x.numel() // k
    if dynamic:
        qid = low.emit("elementwise", "quantize", [x], [], fn="div", vec=DYNAMIC_QUANT_OPS_PER_ELEMENT * x.numel(),
                       tags={"quantize": "dynamic"})
        xq = [(low._virtual(qid, (m, k), ".q", dtype="int8"), None)]
    else:
        xq = low.read(x)
    wname = low.names[storage_key(w)][1]
    tags = {"aten": base, "weight_name": wname, "quantized": "dynamic" if dynamic else "static"}
    low.read(w)  # sourced as stored (N x K), then read transposed
    pid = low._proto(Proto("matmul", low._name(base), [xq, low.read(w.t())], [], m=m, k=k, n=n, batch=1,
                           weight=True, tags=tags, shapes=[(m, k), (k, n)]))
    acc = low._virtual(pid, (m, n), ".acc", dtype="int32")
    per = (DEQUANT_OPS_PER_ELEMENT if dynamic else REQUANT_OPS_PER_ELEMENT) + (bias is not None) + relu
    reads = [[(acc, None)]] + ([bias] if bias is not None else []) + qparams_of(low, w)
    low.emit("elementwise", "dequantize" if dynamic else "requantize", reads, [out], fn="mul", vec=per * m * n)


@lowers(*(f"quantized::{n}" for n in _LINEARS))
def packed_linear(low, c: Call) -> None:
    dynamic, relu = _LINEARS[c.base]
    x, packed = c.args[:2]
    w, b = unpack_linear(low, packed, low.ev.module or "linear")
    quantized_linear(low, c.base, x, w, b, low.ev.out, dynamic, relu)


@lowers("quantize_per_tensor", "quantize_per_channel", "quantize_per_tensor_dynamic")
def quantize(low, c: Call) -> None:
    per = QUANTIZE_OPS_PER_ELEMENT + (OBSERVER_OPS_PER_ELEMENT if c.base.endswith("dynamic") else 0.0)
    low.emit("elementwise", c.base, c.reads, c.targets, fn="div", vec=per * c.args[0].numel())


@lowers("dequantize")
def dequantize(low, c: Call) -> None:
    low.emit("elementwise", c.base, c.reads, c.targets, fn="mul",
             vec=DEQUANTIZE_OPS_PER_ELEMENT * sum(t.numel() for t in c.targets))


def _cells(low, params, bidirectional: bool):
    """Per cell (layer, direction): (int8 w_ih, int8 w_hh, b_ih, b_hh, suffix), or None when a
    cell's parameters are not dynamic int8 (``quantize_dynamic(dtype=torch.float16)``)."""
    cells = []
    for i, cp in enumerate(params):
        state = cp.__getstate__()[0]
        if state[0] != "quantized_dynamic" or len(state[4]) != 2 or len(state[1]) != 2:
            return None
        layer, rev = divmod(i, 2) if bidirectional else (i, 0)
        suffix = f"_l{layer}" + ("_reverse" if rev else "")
        (w_ih, _), (w_hh, _) = (unpack_linear(low, p, "") for p in state[4])
        b_ih, b_hh = state[1]
        for t, nm in ((w_ih, "weight_ih"), (w_hh, "weight_hh"), (b_ih, "bias_ih"), (b_hh, "bias_hh")):
            _name_source(low, t, _path(low, nm + suffix))
        cells.append((w_ih, w_hh, b_ih, b_hh, cp))
    return cells


@lowers(*_RNNS)
def packed_rnn(low, c: Call) -> None:
    """A dynamically quantized LSTM / GRU: the float layer's lowering, its gate matmuls int8."""
    torch, ev = low.torch, low.ev
    cells = None
    if ev.func._overloadpacket in (aten.quantized_lstm, aten.quantized_gru) and \
            ev.func._overloadname == "input":
        cells = _cells(low, c.args[2], bool(c.args[7]))
    if cells is None:  # packed sequences, fp16 cells: said as packed weights
        low._unknown(c)
        return
    from .capture import capture_context, make_recorder

    flat, by_key = [], {}  # the float layer's parameters; dequantized weight -> int8 weight
    for w_ih, w_hh, b_ih, b_hh, _ in cells:
        fs = [dequantized(low, w_ih), dequantized(low, w_hh)]
        by_key.update({storage_key(f): w for f, w in zip(fs, (w_ih, w_hh))})
        flat += [*fs, b_ih, b_hh]
    rec = make_recorder(torch)(SimpleNamespace(parents=set()))
    with capture_context(torch), rec:
        res = getattr(torch, _RNNS[c.base])(c.args[0], c.args[1], flat, *c.args[3:9])
    outer = ev
    for e in rec.events:
        e.module, e.where, e.calls = outer.module, outer.where, outer.calls
        op = e.func._overloadpacket
        # the gate matmuls: addmm / mm, and with batch_first=True the input projection as a bmm
        # of the time-major input by the weight expanded over the steps (stride 0)
        mm = op in (aten.addmm, aten.mm, aten.bmm, aten.matmul)
        b = e.args[2 if op is aten.addmm else 1] if mm else None
        w = by_key.get(storage_key(b)) if mm and b is not None else None
        if w is None:
            low.event(e)
            continue
        low.ev = e
        bias = e.args[0] if op is aten.addmm else None
        quantized_linear(low, op.__name__.split(".")[-1], e.args[1 if op is aten.addmm else 0], w, bias,
                         e.out, True)
    low.ev = outer
    # the inner capture's tensors live until the lowering ends, as the outer capture's do: a
    # storage freed here would hand its key (:func:`.storage.storage_key`) to a later tensor
    # (a quantized Linear's unpacked weight read as this layer's last cell output)
    low.__dict__.setdefault("_kept", []).append((flat, rec.events, res))
    for src, dst in zip(_leaves(res), _leaves(ev.out)):
        low._reorder(src, dst)


def _leaves(out) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]
