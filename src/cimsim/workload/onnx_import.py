"""Import an ONNX model into a cimsim :class:`~cimsim.workload.ir.Workload` (the ``onnx`` extra:
``pip install 'cimsim[onnx]'``; ``cimsim trace --onnx FILE.onnx``, :func:`trace_onnx`).

The graph is read with the ``onnx`` package and its shapes come from
``onnx.shape_inference``; each node becomes the ops the PyTorch tracer (:mod:`.trace`) emits for
the same layer, in the same op vocabulary, so a model exported with ``torch.onnx.export`` imports
to the MACs and weight bytes its ``cimsim trace`` has:

* ``Gemm`` / ``MatMul``: a matmul whose initializer operand is its stationary ``weight``
  (``W @ x`` with the initializer first: the product transposed, as the tracer does); two
  activations: a batched matmul without a weight; a bias is its own ``add`` op tagged
  ``epilogue: bias``, as is a ``MatMul`` + ``Add`` of a bias initializer of ``n`` elements;
* ``Conv``: an im2col matmul (``output positions x C_in/groups x kernel`` MACs; a ``copy``
  op forms the windows where they overlap); grouped: a batch of per-group products with no
  stationary weight, as the tracer's;
* pointwise ops (:data:`ELEMENTWISE`), ``Softmax`` / ``LogSoftmax``, the norms
  (``LayerNormalization`` 8 vector ops an element, an inference ``BatchNormalization`` 2),
  reductions and pools (one op per output element per window element), ``Concat`` / ``Pad``
  / ``Tile`` as copies;
* ``Reshape``, ``Flatten``, ``Transpose``, ``Squeeze``, ``Unsqueeze``, ``Identity``,
  ``Dropout`` are views (free); ``Constant``, ``Shape`` and every node that reads only those
  (the export's shape arithmetic) carry no data.

Initializers are ``weight`` tensors under their own names (``torch.onnx.export`` keeps the
parameters' qualified names). Pointwise chains then fuse as traced ones do
(:func:`.trace.fuse.fuse_pointwise`: a bias add + ReLU is one op). Any other op type is refused
in one line naming it and its node, or with ``allow_unknown`` kept as a generic op whose MACs
are not counted (listed in ``metadata['unknown_ops']``). ``LSTM`` / ``GRU`` / ``RNN`` are refused
either way: trace the PyTorch model instead (their steps are the tracer's).
"""

from __future__ import annotations

import math
from pathlib import Path

from ..errors import WorkloadError, name_problem
from .ir import Op, Tensor, Workload

__all__ = ["ONNX_INSTALL_HINT", "looks_like_onnx", "trace_onnx"]

ONNX_INSTALL_HINT = "pip install 'cimsim[onnx]'"

#: ONNX TensorProto.DataType -> IR dtype
DTYPES = {1: "fp32", 10: "fp16", 16: "bf16", 3: "int8", 2: "uint8", 5: "int16", 6: "int32", 7: "int64",
          9: "bool", 11: "fp64"}
FLOATS = {"fp32", "fp16", "bf16", "fp64"}
#: ONNX pointwise op -> IR elementwise fn (as :data:`.trace.aten.POINTWISE` maps torch's)
ELEMENTWISE = {
    **dict.fromkeys(("Add", "Sub", "Sum"), "add"), "Mul": "mul",
    **dict.fromkeys(("Div", "Reciprocal", "Mod"), "div"), "Neg": "neg",
    **dict.fromkeys(("Max", "Clip"), "max"), "Min": "min",
    **dict.fromkeys(("Relu", "LeakyRelu", "PRelu"), "relu"),
    **dict.fromkeys(("Abs", "Sign", "Floor", "Ceil", "Round"), "abs"),
    **dict.fromkeys(("Where", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "Not",
                     "And", "Or", "Xor", "IsNaN", "IsInf"), "where"),
    "Pow": "pow", **dict.fromkeys(("Exp", "Elu", "Selu", "Celu"), "exp"), "Log": "log",
    "Sqrt": "sqrt", **dict.fromkeys(("Sigmoid", "HardSigmoid"), "sigmoid"),
    **dict.fromkeys(("Tanh", "Sin", "Cos", "Tan", "Atan", "Asin", "Acos", "Sinh", "Cosh"), "tanh"),
    "Gelu": "gelu", **dict.fromkeys(("HardSwish", "Mish"), "silu"), "Erf": "erf",
    "Softplus": "softplus",
}
VIEWS = {"Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Dropout"}
NO_DATA = {"Constant", "Shape", "Size", "ConstantOfShape", "Range"}
SOFTMAXES = {"Softmax", "LogSoftmax"}
#: norms -> vector ops per element of the normalised output (:mod:`.trace.aten`'s choices)
NORMS = {"LayerNormalization": 8.0, "InstanceNormalization": 8.0, "GroupNormalization": 8.0,
         "BatchNormalization": 2.0}
REDUCTIONS = {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL2",
              "ReduceL1", "ReduceSumSquare", "ReduceLogSumExp", "ArgMax", "ArgMin",
              "GlobalAveragePool", "GlobalMaxPool", "CumSum"}
POOLS = {"MaxPool", "AveragePool", "LpPool"}
COPIES = {"Concat", "Pad", "Tile"}
RECURRENT = {"LSTM", "GRU", "RNN"}
SUPPORTED = sorted({"Gemm", "MatMul", "Conv", *ELEMENTWISE, *VIEWS, *SOFTMAXES, *NORMS, *REDUCTIONS,
                    *POOLS, *COPIES})


def looks_like_onnx(raw: bytes, path: str | Path = "") -> bool:
    """Whether a file's bytes (or its ``.onnx`` suffix, unless it holds JSON) say it is an ONNX
    model: a ModelProto starts with field 1 (``ir_version``, a small varint) and then field 2,
    3, 4, 5, 6 or 7."""
    if str(path).lower().endswith(".onnx") and raw.lstrip()[:1] != b"{":
        return True
    return len(raw) > 3 and raw[0] == 0x08 and 0 < raw[1] < 32 and raw[2] in (0x12, 0x1a, 0x22, 0x2a,
                                                                              0x32, 0x3a)


def _require_onnx():
    try:
        import onnx
    except ImportError:
        raise WorkloadError(f"reading an ONNX model needs the onnx package: {ONNX_INSTALL_HINT}") from None
    return onnx


def trace_onnx(path: str | Path, name: str | None = None, allow_unknown: bool = False,
               dtype: str | None = None, dims: dict[str, int] | None = None) -> Workload:
    """The workload of the ONNX model in ``path``.

    name : the workload's name (default: the file name without ``.onnx``).
    allow_unknown : keep op types without a mapping as generic ops (their MACs not counted,
        listed in ``metadata['unknown_ops']``) instead of raising.
    dtype : fp32|fp16|bf16|int8 for every floating-point tensor; default: each tensor's own.
    dims : values of the graph inputs' symbolic dimensions (``{"batch": 8}``), which an export
        with ``dynamic_axes`` leaves named; every one must be given.
    """
    onnx = _require_onnx()
    path = Path(path)
    if name is not None and (why := name_problem(name)) is not None:
        raise WorkloadError(f"trace_onnx(): name {why}")
    if dtype is not None and dtype not in ("fp32", "fp16", "bf16", "int8"):
        raise WorkloadError(f"trace_onnx(): dtype {dtype!r} is not one of fp32, fp16, bf16, int8")
    try:
        model = onnx.load(str(path))
    except FileNotFoundError:
        raise WorkloadError(f"{path}: no such file") from None
    except Exception as exc:  # a protobuf decode error: not an ONNX model
        raise WorkloadError(f"{path}: not an ONNX model ({_first_line(exc)})") from None
    _set_dims(model, path, dims or {})
    try:
        model = onnx.shape_inference.infer_shapes(model, data_prop=True)
    except Exception as exc:
        raise WorkloadError(f"{path}: ONNX shape inference failed: {_first_line(exc)}") from None
    imp = _Importer(path, model.graph, dtype, allow_unknown)
    for i, node in enumerate(model.graph.node):
        imp.node(i, node)
    n_lowered = len(imp.ops)
    if not imp.ops:
        raise WorkloadError(f"{path}: the graph computes nothing (only views, shapes and constants): "
                            "there is nothing to simulate")
    from collections import Counter

    from .trace.fuse import absorb_into_softmax, drop_lone_launches, fuse_pointwise

    ops = fuse_pointwise(imp.ops, imp.tensors, {})
    ops = drop_lone_launches(absorb_into_softmax(ops, imp.tensors))
    macs = sum(op.macs for op in ops if op.kind == "matmul")
    metadata = {
        "source": "cimsim.trace_onnx",
        "onnx_file": path.name,
        "onnx_producer": f"{model.producer_name} {model.producer_version}".strip(),
        "onnx_opsets": {(o.domain or "ai.onnx"): int(o.version) for o in model.opset_import},
        "onnx_nodes": len(model.graph.node),
        "ops_before_fusion": n_lowered,
        "ops_by_kind": dict(sorted(Counter(op.kind for op in ops).items())),
        "unknown_ops": imp.unknown,
        "generic_macs": 0,
        "mapped_mac_share": (1.0 if macs else None),
    }
    try:
        return Workload(path.stem if name is None else name, list(imp.tensors.values()), ops, metadata)
    except WorkloadError as exc:
        raise WorkloadError(f"{path}: the imported graph is invalid: {exc}") from None


def _first_line(exc) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _set_dims(model, path, dims) -> None:
    """Give the graph inputs' symbolic dimensions their values from ``dims``."""
    inits = {t.name for t in model.graph.initializer}
    used = set()
    for v in model.graph.input:
        if v.name in inits:
            continue
        for d in v.type.tensor_type.shape.dim:
            if d.HasField("dim_value"):
                continue
            sym = d.dim_param or "?"
            if sym not in dims:
                raise WorkloadError(
                    f"{path}: input '{v.name}' has the symbolic dimension '{sym}' (an export with "
                    f"dynamic_axes); give its value: --dim {sym}=N (trace_onnx(..., dims={{'{sym}': N}}))")
            val = dims[sym]
            if type(val) is not int or val < 1:
                raise WorkloadError(f"{path}: dimension '{sym}' = {val!r} must be a positive integer")
            d.dim_value = val
            used.add(sym)
    extra = sorted(set(dims) - used)
    if extra:
        raise WorkloadError(f"{path}: no input has the symbolic dimension(s) {', '.join(extra)}")


class _Importer:
    """The tensors and ops of one graph, node by node (topological order, as ONNX stores it)."""

    def __init__(self, path, graph, dtype, allow_unknown):
        self.path, self.dtype, self.allow_unknown = path, dtype, allow_unknown
        self.inits = {t.name: t for t in graph.initializer}
        self.inputs = {v.name for v in graph.input} - set(self.inits)
        self.info = {}  # value name -> (shape, IR dtype)
        for v in (*graph.input, *graph.value_info, *graph.output):
            tt = v.type.tensor_type
            if tt.HasField("shape") and all(d.HasField("dim_value") for d in tt.shape.dim):
                self.info[v.name] = (tuple(int(d.dim_value) for d in tt.shape.dim), DTYPES.get(tt.elem_type))
        self.consumers: dict[str, int] = {}
        for nd in graph.node:
            for t in nd.input:
                self.consumers[t] = self.consumers.get(t, 0) + 1
        self.const: set[str] = set()  # values that carry no data (shapes, scalar constants)
        self.alias: dict[str, str] = {}  # a view's value -> the tensor it views
        self.tensors: dict[str, Tensor] = {}
        self.ops: list[Op] = []
        self.mm_of: dict[str, Op] = {}  # a weight matmul's output -> the matmul (its bias add)
        self.unknown: list[dict] = []
        self.names: set[str] = set()

    # ------------------------------------------------------------------ tensors
    def _dtype(self, code_or_name, what: str) -> str:
        dt = DTYPES.get(code_or_name) if isinstance(code_or_name, int) else code_or_name
        if dt is None:
            raise WorkloadError(f"{self.path}: {what} has an ONNX element type ({code_or_name}) cimsim "
                                f"does not model; allowed: {', '.join(sorted(set(DTYPES.values())))}")
        if dt in FLOATS and self.dtype is not None:
            return self.dtype
        if dt == "fp64":
            raise WorkloadError(f"{self.path}: {what} is float64, which cimsim does not compute in; "
                                "import it as fp32 (--dtype fp32; trace_onnx(..., dtype='fp32'))")
        return dt

    def shape(self, value: str, node) -> tuple[int, ...]:
        if value in self.inits:
            return tuple(int(d) for d in self.inits[value].dims)
        got = self.info.get(value)
        if got is None:
            raise WorkloadError(f"{self.path}: node '{node.name}' ({node.op_type}): ONNX shape "
                                f"inference gave '{value}' no static shape")
        return got[0]

    def tensor(self, value: str, node, role: str = "activation") -> str:
        """The IR tensor of ONNX value ``value``, declared on first use."""
        value = self.alias.get(value, value)
        if value in self.tensors:
            return value
        if value in self.inits:
            t = self.inits[value]
            self.tensors[value] = Tensor(value, tuple(int(d) for d in t.dims),
                                         self._dtype(int(t.data_type), f"initializer '{value}'"), "weight")
            return value
        shape = self.shape(value, node)
        dt = self.info[value][1]
        role = "input" if value in self.inputs else role
        self.tensors[value] = Tensor(value, shape, self._dtype(dt, f"tensor '{value}'"), role)
        return value

    def data(self, node) -> list[str]:
        """The inputs of ``node`` that carry data (no shape arithmetic, no scalar constant): all
        of a pointwise op's, a norm's (its scale, bias and statistics are weights) and a
        ``Concat``'s; of any other op its first (the rest are axes, pads, repeats)."""
        t = node.op_type
        many = t in ELEMENTWISE or t in NORMS or t == "Concat" or t not in SUPPORTED
        out = []
        for v in (node.input if many else node.input[:1]):
            if not v or v in self.const:
                continue
            if v in self.inits and math.prod(self.inits[v].dims) <= 1 and node.op_type in ELEMENTWISE:
                continue  # a scalar operand (x * 0.5): no tensor, as a Python scalar in torch
            out.append(v)
        return out

    def _op_name(self, node, i: int) -> str:
        base = node.name.strip("/").replace("/", ".") or f"{node.op_type}_{i}"
        name, n = base, 1
        while name in self.names:
            name, n = f"{base}#{n}", n + 1
        self.names.add(name)
        return name

    @staticmethod
    def module(node) -> str:
        parts = node.name.strip("/").split("/")
        return ".".join(parts[:-1])

    # ------------------------------------------------------------------ nodes
    def node(self, i: int, node) -> None:
        t = node.op_type
        ins = [v for v in node.input if v]
        if node.domain not in ("", "ai.onnx"):
            return self._unknown(i, node, f"op type '{node.domain}.{t}'")
        if t in RECURRENT:
            raise WorkloadError(
                f"{self.path}: node '{node.name}' (#{i}): ONNX {t} is not imported (its steps are not "
                "in the graph); trace the PyTorch model instead (cimsim trace FILE.py:FACTORY), which "
                "lowers each step's gate matmuls and cell op")
        if t == "Constant":
            val = next((a.t for a in node.attribute if a.name == "value" and a.HasField("t")), None)
            if val is not None and math.prod(val.dims) > 1 and val.data_type in DTYPES \
                    and DTYPES[val.data_type] in FLOATS:
                val.name = node.output[0]  # a constant matrix: a weight, as an initializer is
                self.inits[node.output[0]] = val
            else:
                self.const.update(node.output)
            return
        if t in NO_DATA or (ins and all(v in self.const for v in ins)):
            self.const.update(v for v in node.output if v)
            return
        attrs = {a.name: _attr(a) for a in node.attribute}
        if t in VIEWS:
            src = self.alias.get(ins[0], ins[0])
            self.alias[node.output[0]] = src
            return
        name = self._op_name(node, i)
        tags = {"onnx": t, "module": self.module(node)}
        if t in ("Gemm", "MatMul"):
            return self._matmul(node, name, attrs, tags)
        if t == "Conv":
            return self._conv(node, name, attrs, tags)
        outs = [self.tensor(v, node) for v in node.output[:1]]
        data = [self.tensor(v, node) for v in self.data(node)]
        if t in ELEMENTWISE:
            fn = ELEMENTWISE[t]
            if t == "Relu":
                tags["epilogue"] = "relu"
            if t == "Add" and len(data) == 2 and data[1] in self.mm_of:
                data.reverse()  # bias + x @ W: the product first, as x @ W + bias
            mm = self.mm_of.get(data[0]) if t == "Add" and len(data) == 2 else None
            if mm is not None and self.tensors[data[1]].role == "weight" \
                    and self.tensors[data[1]].numel == mm.n and self.consumers.get(data[0]) == 1:
                # a weight matmul's bias add: its epilogue, in its launch (the tracer's addmm)
                tags.update(epilogue="bias", launch=mm.tags.setdefault("launch", mm.name))
            self.ops.append(Op(name, "elementwise", tuple(data), tuple(outs), fn=fn, tags=tags))
        elif t in SOFTMAXES:
            self.ops.append(Op(name, "softmax", tuple(data), tuple(outs), tags=tags))
        elif t in NORMS:
            self.ops.append(Op(name, "layernorm", tuple(data), tuple(outs), ops_per_element=NORMS[t],
                               tags=tags))
        elif t in REDUCTIONS:
            self.ops.append(Op(name, "reduction", tuple(data), tuple(outs), tags=tags))
        elif t in POOLS:
            kern = math.prod(attrs.get("kernel_shape") or [1])
            self.ops.append(Op(name, "reduction", tuple(data), tuple(outs), ops_per_element=float(kern),
                               tags=tags))
        elif t in COPIES:
            self.ops.append(Op(name, "copy", tuple(dict.fromkeys(data)), tuple(outs), tags=tags))
        else:
            self._unknown(i, node, f"op type '{t}'", name, data, outs)

    def _unknown(self, i, node, what, name=None, data=None, outs=None) -> None:
        if not self.allow_unknown:
            raise WorkloadError(
                f"{self.path}: node '{node.name}' (#{i}): ONNX {what} has no cimsim mapping; "
                "--allow-unknown keeps it as a generic op without MACs (the mapped types: README 'ONNX "
                "models', cimsim.workload.onnx_import.SUPPORTED)")
        name = name or self._op_name(node, i)
        data = data if data is not None else [self.tensor(v, node) for v in self.data(node)]
        outs = outs if outs is not None else [self.tensor(v, node) for v in node.output[:1]]
        self.unknown.append({"op": f"{node.domain + '.' if node.domain else ''}{node.op_type}",
                             "node": node.name, "macs": None})
        self.ops.append(Op(name, "elementwise", tuple(data), tuple(outs), fn="generic",
                           tags={"unknown": True, "onnx": node.op_type, "module": self.module(node)}))

    def _operand(self, names, numel, name, which, module) -> str:
        """``names[0]``, or a copy materialising it where the product reads it broadcast (as the
        tracer's :func:`.trace.assemble._operand`)."""
        src = self.tensors[names[0]]
        if src.numel == numel:
            return src.name
        out = f"{name}.{which}"
        self.tensors[out] = Tensor(out, (int(numel),), src.dtype, "activation")
        self.ops.append(Op(f"{out}.gather", "copy", (src.name,), (out,),
                           tags={"module": module, "part": "operand"}))
        return out

    def _emit_matmul(self, node, name, a, b, batch, m, k, n, weight, bias, tags, scales=0) -> None:
        """The matmul, then its bias (and ``alpha`` / ``beta`` multiplies) as its own op."""
        out = self.tensor(node.output[0], node)
        a = self._operand([a], batch * m * k, name, "A", tags["module"])
        one = weight is not None
        b = self._operand([b], k * n if one else batch * k * n, name, "B", tags["module"])
        if weight is not None:
            tags["weight_name"] = weight
        if bias is None and not scales:
            self.ops.append(op := Op(name, "matmul", (a, b), (out,), m=m, k=k, n=n, batch=batch,
                                     weight=b if one else None, tags=tags))
            if one:
                self.mm_of[out] = op
            return
        mm_out = f"{out}.mm"
        self.tensors[mm_out] = Tensor(mm_out, self.tensors[out].shape, self.tensors[out].dtype, "activation")
        tags["launch"] = name
        self.ops.append(Op(name, "matmul", (a, b), (mm_out,), m=m, k=k, n=n, batch=batch,
                           weight=b if one else None, tags=tags))
        ins = (mm_out,) if bias is None else (mm_out, self.tensor(bias, node))
        epi = {"epilogue": "bias"} if bias is not None and not scales \
            and self.tensors[ins[1]].numel == n else {}
        ope = None if not scales else float((bias is not None) + scales)
        self.ops.append(Op(f"{name}.add_bias" if bias is not None else f"{name}.scale", "elementwise",
                           ins, (out,), fn="add" if bias is not None else "mul", ops_per_element=ope,
                           tags={"launch": name, "module": tags["module"], **epi}))

    def _matmul(self, node, name, attrs, tags) -> None:
        a_v, b_v = node.input[0], node.input[1]
        a, b = self.tensor(a_v, node), self.tensor(b_v, node)
        sa, sb = self.shape(a_v, node), self.shape(b_v, node)  # as the node reads them (a view's)
        out = self.shape(node.output[0], node)
        wa, wb = self.tensors[a].role == "weight", self.tensors[b].role == "weight"
        bias, scales = None, 0
        if node.op_type == "Gemm":
            (M, K) = sa[::-1] if attrs.get("transA") else sa
            N = sb[0] if attrs.get("transB") else sb[1]
            alpha, beta = attrs.get("alpha", 1.0), attrs.get("beta", 1.0)
            if len(node.input) > 2 and node.input[2] and beta != 0:
                bias = node.input[2]
            scales = (alpha != 1) + (bias is not None and beta != 1)
            batch = 1
        else:
            K = sa[-1]
            M = sa[-2] if len(sa) > 1 else 1
            N = sb[-1] if len(sb) > 1 else 1
            batch = math.prod(out[:-2]) if len(sa) > 1 and len(sb) > 1 else math.prod(out[:-1])
        if len(sb) <= 2 or node.op_type == "Gemm":  # x @ W: the leading dimensions fold into the rows
            if not wb and wa and len(sa) == 2 and len(sb) == 2:  # W @ x: out^T = x^T W^T, W stationary
                return self._emit_matmul(node, name, b, a, 1, N, K, M, a, bias, tags, scales)
            return self._emit_matmul(node, name, a, b, 1, math.prod(sa) // K, K, N, b if wb else None,
                                     bias, tags, scales)
        if wa and not wb and len(sa) == 2:  # W @ x: out^T = x^T W^T, W stationary
            return self._emit_matmul(node, name, b, a, batch, N, K, M, a, bias, tags, scales)
        return self._emit_matmul(node, name, a, b, batch, M, K, N, None, bias, tags, scales)

    def _conv(self, node, name, attrs, tags) -> None:
        x, w = self.tensor(node.input[0], node), self.tensor(node.input[1], node)
        sx, sw = self.shape(node.input[0], node), self.shape(node.input[1], node)
        out = self.shape(node.output[0], node)
        g = int(attrs.get("group", 1))
        N, cin, cout = sx[0], sx[1], out[1]
        m, k, n = N * math.prod(out[2:]), cin // g * math.prod(sw[2:]), cout // g
        tags["part"] = "conv"
        if math.prod(sx) != g * m * k:  # im2col: each output position reads its window
            cols = f"{name}.im2col"
            self.tensors[cols] = Tensor(cols, (g * m * k,), self.tensors[x].dtype, "activation")
            self.ops.append(Op(cols, "copy", (x,), (cols,),
                               tags={"part": "im2col", "module": tags["module"], "launch": name}))
            # inputs read once per kernel row (hardware that reuses them across the window)
            tags["window_elems"] = int(N * cin * math.prod(out[2:-1]) * math.prod(sw[2:-1]) * sx[-1])
            tags["launch"] = name
            x = cols
        weight = w if g == 1 and self.tensors[w].role == "weight" else None
        bias = node.input[2] if len(node.input) > 2 and node.input[2] else None
        self._emit_matmul(node, name, x, w, g, m, k, n, weight, bias, tags)


def _attr(a):
    """An ONNX attribute's value (ints, floats, a string; else None)."""
    from onnx import helper

    try:
        return helper.get_attribute_value(a)
    except Exception:  # a graph or an unknown type: not read
        return None
