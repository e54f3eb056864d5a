"""Trace a PyTorch model into a cimsim :class:`~cimsim.workload.ir.Workload`.

This is the only module of cimsim that imports torch, and it does so inside
functions: ``import cimsim.workload.trace`` works without torch installed;
calling :func:`trace` then raises :class:`TorchMissingError` naming the install
command.

How a model becomes a workload
------------------------------
1. **Capture.** ``torch.fx`` symbolic tracing with a tracer that also *runs*
   every node on the example inputs as it records it (``node.meta['val']``).
   Shapes therefore come from torch itself, and Python code that asks for a
   size (``for t in range(x.size(1))``) sees the real number, so loops over time
   unroll into one graph node per call. Recurrent modules, multi-head attention
   and transformer encoder (layers) are leaves: torch's fused kernels (cuDNN-like
   LSTM, the eval-mode transformer fast path) hide their structure, so the tracer
   expands them itself from the module's hyper-parameters and the real shapes.
2. **Emission.** Each node maps through one table to workload ops. Parameters
   become ``weight`` tensors (stationary, CIM-mappable) named by their qualified
   name; model inputs and constants are ``input`` tensors; everything computed is
   an ``activation``. Shape-only ops (view, permute, getitem, cat, ...) emit no op:
   their result aliases the tensors it came from, and the counts of such aliases
   are listed in ``metadata['aliased_ops']``. Where a matmul operand is not one
   whole tensor (a slice, a concatenation of per-step outputs, an im2col window),
   an explicit ``copy`` op materialises it, so the data movement is visible.
3. **Nothing silently dropped.** A node the table does not know raises
   :class:`~cimsim.errors.WorkloadError` naming the op, the graph node, the
   module and the source line. With ``allow_unknown=True`` it becomes a generic
   elementwise op over its output elements and is listed in
   ``metadata['unknown_ops']``.

Recurrent layers (``nn.LSTM``/``nn.GRU``/``nn.RNN``) follow the "layer"
schedule: per layer and direction one input-projection matmul over all steps
(m = T*B) whose output is split per step, then per step a recurrent matmul
(m = B) and one fused pointwise op for the gate arithmetic (as cuDNN and
PyTorch's fused cell kernels run it); the next layer's input is a ``copy``
concatenating every h_t of the layer below. Cells (``nn.LSTMCell`` etc.) called
in a Python loop become per-call ops with their input projection per step, as
the user's code computes it.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import math
import operator
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ...errors import CimsimError, WorkloadError
from ..ir import Op, Tensor, Workload

from .common import TorchMissingError, _as_tuple, require_torch  # noqa: F401


# --------------------------------------------------------------------------- capture
_TORCH_DTYPES = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16", "int8": "int8", "qint8": "int8"}


def _leaf_types(torch):
    nn = torch.nn
    return (nn.LSTM, nn.GRU, nn.RNN, nn.LSTMCell, nn.GRUCell, nn.RNNCell,
            nn.MultiheadAttention, nn.TransformerEncoderLayer, nn.TransformerEncoder)


def _capture(model, inputs):
    """Symbolically trace ``model`` while running each node on ``inputs``.

    Returns (fx Graph, traced root); every node but the output carries ``meta['val']``.
    """
    torch = require_torch()
    fx = torch.fx
    leaves = _leaf_types(torch)

    class _ConcreteProxy(fx.Proxy):
        """A proxy that answers shape questions with the real value's answer."""

        def _val(self):
            return self.node.meta.get("val")

        @property
        def shape(self):
            return self._val().shape

        @property
        def ndim(self):
            return self._val().ndim

        @property
        def dtype(self):
            return self._val().dtype

        @property
        def device(self):
            return self._val().device

        @property
        def is_nested(self):
            return bool(getattr(self._val(), "is_nested", False))

        def size(self, dim=None):
            v = self._val()
            return v.size() if dim is None else v.size(dim)

        def dim(self):
            return self._val().dim()

        def numel(self):
            return self._val().numel()

        def __len__(self):
            return len(self._val())

        def __iter__(self):
            return iter([self[i] for i in range(len(self._val()))])

        def __bool__(self):
            return bool(self._val())

    class _Tracer(fx.Tracer):
        def __init__(self, root, inputs):
            super().__init__()
            self.record_stack_traces = True
            self._root = root
            self._inputs = inputs
            self._n_placeholders = 0
            self._running = False  # executing a node on real values: no recording

        def call_module(self, m, forward, args, kwargs):
            if self._running:
                return forward(*args, **kwargs)
            return super().call_module(m, forward, args, kwargs)

        def getattr(self, attr, attr_val, parameter_proxy_cache):
            if self._running:
                return attr_val
            return super().getattr(attr, attr_val, parameter_proxy_cache)

        def is_leaf_module(self, m, qualname):
            return isinstance(m, leaves) or super().is_leaf_module(m, qualname)

        def proxy(self, node):
            return _ConcreteProxy(node, self)

        def create_node(self, kind, target, args, kwargs, name=None, type_expr=None):
            node = super().create_node(kind, target, args, kwargs, name, type_expr)
            if kind != "output":
                self._running = True
                try:
                    node.meta["val"] = self._run(node)
                finally:
                    self._running = False
            return node

        def _run(self, node):
            args = fx.node.map_arg(node.args, lambda n: n.meta["val"])
            kwargs = fx.node.map_arg(node.kwargs, lambda n: n.meta["val"])
            if node.op == "placeholder":
                i = self._n_placeholders
                self._n_placeholders += 1
                if i < len(self._inputs):
                    return self._inputs[i]
                return args[0] if args else None
            if node.op == "get_attr":
                return functools.reduce(getattr, node.target.split("."), self._root)
            if node.op == "call_function":
                return node.target(*args, **kwargs)
            if node.op == "call_method":
                obj, *rest = args
                return getattr(obj, node.target)(*rest, **kwargs)
            if node.op == "call_module":
                return self._root.get_submodule(node.target)(*args, **kwargs)
            raise AssertionError(node.op)

    if _Tracer(model, inputs).is_leaf_module(model, ""):
        # fx traces *into* the root; a leaf type (nn.LSTM, nn.Linear, ...) as root is wrapped so
        # that it stays one leaf call and keeps its structure
        model = _wrap_root(torch, model, len(inputs))
    sig = inspect.signature(model.forward)
    params = [p for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(inputs) > len(params):
        raise WorkloadError(
            f"{type(model).__name__}.forward takes {len(params)} inputs, but {len(inputs)} example inputs were given"
        )
    concrete = {}
    for p in params[len(inputs):]:
        if p.default is inspect.Parameter.empty:
            raise WorkloadError(
                f"{type(model).__name__}.forward needs input '{p.name}', which the example inputs do not give"
            )
        concrete[p.name] = p.default
    tracer = _Tracer(model, inputs)
    before = set(vars(model))
    try:
        with torch.no_grad():
            graph = tracer.trace(model, concrete_args=concrete or None)
    finally:
        # fx stows tensors created during tracing on the root; the user's model keeps no trace of it
        for attr in set(vars(model)) - before:
            if attr.startswith("_tensor_constant"):
                delattr(model, attr)
    return graph, model


def _wrap_root(torch, model, n_inputs: int):
    attr = re.sub(r"\W", "_", type(model).__name__.lower())
    if not attr.isidentifier():
        attr = "model"
    names = ", ".join(f"x{i}" for i in range(n_inputs))
    namespace: dict = {}
    exec(f"def forward(self, {names}):\n    return self.{attr}({names})\n", namespace)  # noqa: S102
    root = type("TracedRoot", (torch.nn.Module,), {"forward": namespace["forward"]})()
    setattr(root, attr, model)
    root.train(model.training)
    return root


# --------------------------------------------------------------------------- emission
@dataclass(frozen=True)
class _Ref:
    """The workload tensors a torch value is made of (one, or several concatenated/aliased)."""

    parts: tuple[str, ...]
    #: set when the value is a slice of ``parts`` (names the slicing node)
    view: str | None = None


_ELEMENTWISE = {
    "add": "add", "iadd": "add", "radd": "add", "sub": "sub", "isub": "sub", "rsub": "sub",
    "mul": "mul", "imul": "mul", "rmul": "mul", "div": "div", "truediv": "div", "itruediv": "div",
    "rtruediv": "div", "floordiv": "div", "true_divide": "div", "reciprocal": "div", "neg": "neg",
    "relu": "relu", "relu6": "relu", "leaky_relu": "relu", "hardtanh": "max", "gelu": "gelu",
    "sigmoid": "sigmoid", "tanh": "tanh", "silu": "silu", "exp": "exp", "log": "log", "sqrt": "sqrt",
    "rsqrt": "rsqrt", "pow": "pow", "square": "mul", "abs": "abs", "maximum": "max", "minimum": "min",
    "clamp": "max", "clip": "max", "clamp_min": "max", "clamp_max": "min", "where": "where",
    "masked_fill": "where", "tril": "where", "triu": "where", "erf": "erf", "softplus": "softplus",
    "elu": "exp", "mish": "softplus", "hardswish": "silu", "hardsigmoid": "sigmoid", "logsigmoid": "softplus",
    "eq": "sub", "ne": "sub", "lt": "sub", "le": "sub", "gt": "sub", "ge": "sub", "logical_not": "neg",
    "sign": "abs", "addcmul": "mul", "lerp": "mul",
}
_ALIASES = {
    "view", "reshape", "permute", "transpose", "t", "contiguous", "flatten", "unflatten", "squeeze",
    "unsqueeze", "expand", "expand_as", "view_as", "reshape_as", "movedim", "moveaxis", "swapaxes",
    "swapdims", "split", "chunk", "unbind", "narrow", "select", "to", "float", "half", "bfloat16",
    "double", "type", "type_as", "detach", "clone_alias", "cat", "concat", "concatenate", "stack",
    "hstack", "vstack", "getattr", "identity", "flatten_module", "unflatten_module", "requires_grad_",
}
_REDUCTIONS = {"sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "norm", "logsumexp",
               "prod", "var", "std", "all", "any", "cumsum", "cumprod"}
_COPIES = {"pad", "clone", "repeat", "repeat_interleave", "roll", "flip", "gather", "index_select",
           "scatter", "embedding_copy"}
_CONSTANTS = {"zeros", "ones", "full", "empty", "arange", "rand", "randn", "randint", "eye", "tensor",
              "zeros_like", "ones_like", "full_like", "empty_like", "rand_like", "randn_like",
              "new_zeros", "new_ones", "new_full", "new_empty", "new_tensor", "linspace"}
_SKIP = {"_assert_is_none", "_assert", "size", "dim", "numel"}


def _canonical_fn(torch, node) -> str:
    """Canonical name of a call_function / call_method target (in-place suffix stripped)."""
    if node.op == "call_method":
        name = node.target
    else:
        t = node.target
        name = getattr(t, "__name__", None) or str(t)
        if t is torch.nn.functional.scaled_dot_product_attention:
            name = "scaled_dot_product_attention"
    if name.endswith("_") and not name.startswith("_") and name != "requires_grad_":
        name = name[:-1]
    return name


class _Emitter:
    def __init__(self, torch, root, dtype: str, allow_unknown: bool):
        self.torch = torch
        self.root = root
        self.dtype = dtype
        self.allow_unknown = allow_unknown
        self.tensors: dict[str, Tensor] = {}
        self.ops: list[Op] = []
        self.op_names: set[str] = set()
        self.sym: dict[Any, Any] = {}
        self.unknown: list[dict] = []
        self.aliased: Counter = Counter()
        self._mat_cache: dict[tuple, str] = {}
        self.inputs_meta: dict[str, list[int]] = {}
        self.outputs: list[str] = []
        self.recurrent = False
        self._node = None

    # ------------------------------------------------------------ builders
    def _unique(self, base: str, used) -> str:
        base = re.sub(r"[^\w.\[\]:-]", "_", base)
        name, i = base, 1
        while name in used:
            i += 1
            name = f"{base}#{i}"
        return name

    def tensor(self, hint: str, shape, role: str = "activation") -> str:
        shape = tuple(int(d) for d in shape) or (1,)
        if any(d < 1 for d in shape):
            raise WorkloadError(f"{self._where()}: tensor '{hint}' has an empty shape {shape}")
        name = self._unique(hint, self.tensors)
        self.tensors[name] = Tensor(name, shape, self.dtype, role)
        return name

    def weight(self, name: str, shape) -> str:
        shape = tuple(int(d) for d in shape) or (1,)
        t = self.tensors.get(name)
        if t is not None:
            if t.role == "weight" and math.prod(t.shape) == math.prod(shape):
                return name
            name = self._unique(name, self.tensors)
        self.tensors[name] = Tensor(name, shape, self.dtype, "weight")
        return name

    def op(self, kind: str, hint: str, inputs, outputs, **kw) -> Op:
        name = self._unique(hint, self.op_names)
        self.op_names.add(name)
        tags = dict(kw.pop("tags", None) or {})
        if self._node is not None:
            tags.setdefault("node", self._node.name)
        op = Op(name=name, kind=kind, inputs=tuple(inputs), outputs=tuple(outputs), tags=tags, **kw)
        self.ops.append(op)
        return op

    def numel(self, name: str) -> int:
        return math.prod(self.tensors[name].shape)

    # ------------------------------------------------------------ refs
    def mat(self, ref: _Ref, shape, hint: str) -> str:
        """One tensor holding exactly the value ``ref`` of ``shape`` (a copy op if it must)."""
        numel = math.prod(shape) if shape else 1
        if len(ref.parts) == 1 and self.numel(ref.parts[0]) == numel:
            return ref.parts[0]
        key = (ref.parts, ref.view, tuple(shape))
        if key in self._mat_cache:
            return self._mat_cache[key]
        roles = {self.tensors[p].role for p in ref.parts}
        if roles == {"weight"} or roles == {"input"}:
            # a view of stationary data or of a model input: no op moves it at run time
            role = roles.pop()
            label = ref.parts[0] if len(ref.parts) == 1 else "+".join(ref.parts[:2])
            name = self.tensor(f"{label}[view]", shape, role)
        else:
            name = self.tensor(f"{hint}.gather", shape)
            self.op("copy", f"{hint}.gather", ref.parts, (name,), tags={"part": "materialise"})
        self._mat_cache[key] = name
        return name

    def is_weight(self, ref: _Ref) -> bool:
        return all(self.tensors[p].role == "weight" for p in ref.parts)

    def refs_in(self, *objs) -> list[str]:
        out: list[str] = []

        def visit(o):
            if isinstance(o, _Ref):
                for p in o.parts:
                    if p not in out:
                        out.append(p)
            elif isinstance(o, (tuple, list)):
                for x in o:
                    visit(x)
            elif isinstance(o, dict):
                for x in o.values():
                    visit(x)

        for o in objs:
            visit(o)
        return out

    # ------------------------------------------------------------ op helpers on (ref, shape)
    def ew(self, fn: str, parts, shape, hint: str, tags=None, opp=None) -> _Ref:
        out = self.tensor(hint, shape)
        self.op("elementwise", hint, parts, (out,), fn=fn, ops_per_element=opp, tags=tags)
        return _Ref((out,))

    def matmul(self, a: str, b: str, batch: int, m: int, k: int, n: int, out_shapes, hint: str,
               tags=None, weight: bool = False) -> tuple[str, ...]:
        outs = tuple(self.tensor(f"{hint}" if len(out_shapes) == 1 else f"{hint}.{i}", s)
                     for i, s in enumerate(out_shapes))
        self.op("matmul", hint, (a, b), outs, m=m, k=k, n=n, batch=batch,
                weight=b if weight else None, tags=tags)
        return outs

    def linear(self, x: _Ref, x_shape, w: str, b: str | None, hint: str, tags=None):
        """x @ W^T (+ b) with a stationary W of shape (out, in)."""
        out_f, in_f = self.tensors[w].shape[0], math.prod(self.tensors[w].shape[1:])
        a = self.mat(x, x_shape, hint)
        m = math.prod(x_shape[:-1]) if len(x_shape) > 1 else 1
        out_shape = tuple(x_shape[:-1]) + (out_f,)
        role_w = self.tensors[w].role == "weight"
        (y,) = self.matmul(a, w, 1, m, in_f, out_f, [out_shape], hint, tags, weight=role_w)
        ref = _Ref((y,))
        if b is not None:
            ref = self.ew("add", (y, b), out_shape, f"{hint}.add_bias", tags)
        return ref, out_shape

    # ------------------------------------------------------------ locations
    def _where(self) -> str:
        node = self._node
        if node is None:
            return "trace"
        where = f"node '{node.name}'"
        stack = node.meta.get("nn_module_stack")
        if stack:
            path = list(stack.values())[-1][0] if isinstance(list(stack.values())[-1], tuple) else list(stack)[-1]
            if path:
                where += f" in module '{path}'"
        st = node.stack_trace or ""
        torch_dir = str(Path(self.torch.__file__).parent)
        files = [fl for fl in re.findall(r'File "([^"]+)", line (\d+)', st) 
                 if not fl[0].startswith(torch_dir) and fl[0] != __file__]
        if files:
            f, line = files[-1]
            where += f" ({Path(f).name}:{line})"
        return where

    # ------------------------------------------------------------ main loop
    def run(self, graph) -> None:
        for node in graph.nodes:
            self._node = node
            if node.op == "output":
                self.outputs = self.refs_in(self._sym(node.args))
                continue
            self.sym[node] = self._emit(node)
        self._node = None

    def _sym(self, a):
        fx = self.torch.fx
        if isinstance(a, fx.Node):
            return self.sym.get(a)
        if isinstance(a, (tuple, list)):
            return tuple(self._sym(x) for x in a)
        if isinstance(a, dict):
            return {k: self._sym(v) for k, v in a.items()}
        return None

    @staticmethod
    def _val(a):
        import torch.fx as fx

        if isinstance(a, fx.Node):
            return a.meta.get("val")
        if isinstance(a, (tuple, list)):
            return type(a)(_Emitter._val(x) for x in a)
        return a

    def _arg(self, node, i: int, name: str, default=None):
        if len(node.args) > i:
            return node.args[i]
        return node.kwargs.get(name, default)

    def _from_value(self, val, hint: str, role: str):
        torch = self.torch
        if isinstance(val, torch.Tensor):
            return _Ref((self.tensor(hint, tuple(val.shape), role),))
        if isinstance(val, (tuple, list)):
            return tuple(self._from_value(v, f"{hint}.{i}", role) for i, v in enumerate(val))
        return None

    def _emit(self, node):
        torch = self.torch
        val = node.meta.get("val")
        if node.op == "placeholder":
            sym = self._from_value(val, node.name, "input")
            for p in self.refs_in(sym):
                self.inputs_meta[p] = list(self.tensors[p].shape)
            return sym
        if node.op == "get_attr":
            if not isinstance(val, torch.Tensor):
                return None
            stationary = isinstance(val, torch.nn.Parameter) or not node.target.startswith("_tensor_constant")
            if stationary:
                return _Ref((self.weight(node.target, tuple(val.shape)),))
            return _Ref((self.tensor(node.target, tuple(val.shape), "input"),))
        if node.op == "call_module":
            mod = self.root.get_submodule(node.target)
            handler = self._module_handler(mod)
            if handler is None:
                return self._unknown(node, f"module {type(mod).__module__}.{type(mod).__qualname__}")
            return handler(node, mod)
        name = _canonical_fn(torch, node)
        return self._function(node, name, val)

    # ------------------------------------------------------------ unknown
    def _unknown(self, node, what: str):
        val = node.meta.get("val")
        if not self.allow_unknown:
            raise WorkloadError(
                f"cannot trace op {what} at {self._where()}: cimsim does not know it "
                "(pass --allow-unknown / allow_unknown=True to map it to a generic elementwise op)"
            )
        self.unknown.append({"op": what, "node": node.name, "where": self._where()})
        parts = self.refs_in(self._sym(node.args), self._sym(node.kwargs))
        return self._outputs_like(val, parts, f"{node.name}", "elementwise", fn="generic",
                                  tags={"unknown": what})

    def _outputs_like(self, val, parts, hint, kind, **kw):
        """One op of ``kind`` producing a tensor per tensor in ``val``; returns the mirrored sym."""
        torch = self.torch
        flat: list = []

        def build(v, h):
            if isinstance(v, torch.Tensor):
                name = self.tensor(h, tuple(v.shape))
                flat.append(name)
                return _Ref((name,))
            if isinstance(v, (tuple, list)):
                return tuple(build(x, f"{h}.{i}") for i, x in enumerate(v))
            return None

        sym = build(val, hint)
        if not flat:
            return sym
        if not parts:
            # computed from no tensor at all: a constant, given before the run
            for n in flat:
                self.tensors[n] = Tensor(n, self.tensors[n].shape, self.dtype, "input")
            return sym
        self.op(kind, hint, parts, flat, **kw)
        return sym

    # ------------------------------------------------------------ functions and methods
    def _function(self, node, name: str, val):
        torch = self.torch
        args_sym = self._sym(node.args)
        kw_sym = self._sym(node.kwargs)
        parts = self.refs_in(args_sym, kw_sym)
        if name in _SKIP:
            return None
        if not isinstance(val, (torch.Tensor, tuple, list)) or (
            isinstance(val, (tuple, list)) and not any(isinstance(v, torch.Tensor) for v in val)
        ):
            return None  # a Python value (size, dtype, flag): no workload op
        if name in _CONSTANTS:
            return self._outputs_like(val, [], node.name, "copy")
        if name == "getitem":
            return self._getitem(node, args_sym, val)
        if name in _ALIASES:
            self.aliased[name] += 1
            src = args_sym[0] if args_sym else None
            if name in ("cat", "concat", "concatenate", "stack", "hstack", "vstack"):
                src = _Ref(tuple(parts))
            elif not isinstance(src, _Ref):
                src = _Ref(tuple(parts))
            if isinstance(val, (tuple, list)):
                return tuple(_Ref(src.parts, f"{node.name}[{i}]") if isinstance(v, torch.Tensor) else None
                             for i, v in enumerate(val))
            if name in ("narrow", "select"):
                return _Ref(src.parts, node.name)
            return src
        if name in ("matmul", "bmm", "mm", "einsum_matmul"):
            return self._matmul_node(node, node.args[0], node.args[1], val)
        if name in ("linear",):
            return self._linear_fn(node, val)
        if name in ("addmm",):
            ref = self._matmul_node(node, node.args[1], node.args[2], val)
            return self.ew("add", self.refs_in(ref, args_sym[0]), tuple(val.shape), f"{node.name}.add_bias")
        if name in ("softmax", "log_softmax"):
            return self._outputs_like(val, parts, node.name, "softmax")
        if name == "layer_norm":
            return self._outputs_like(val, parts, node.name, "layernorm")
        if name in ("conv1d", "conv2d", "conv3d"):
            x, w = node.args[0], node.args[1]
            b = self._arg(node, 2, "bias")
            stride = self._arg(node, 3, "stride", 1)
            padding = self._arg(node, 4, "padding", 0)
            groups = self._arg(node, 6, "groups", 1)
            return self._conv(node, x, self._sym(w), self._val(w), self._sym(b), stride, padding, groups, val)
        if name == "embedding":
            return self._outputs_like(val, parts, node.name, "copy", tags={"part": "embedding"})
        if name == "scaled_dot_product_attention":
            return self._sdpa(node, val)
        if name == "dropout":
            training = self._arg(node, 2, "training", True)
            p = self._arg(node, 1, "p", 0.5)
            if not training or p == 0:
                self.aliased["dropout(eval)"] += 1
                return args_sym[0]
            return self._outputs_like(val, parts, node.name, "elementwise", fn="dropout")
        if name in ("max", "min") and len(node.args) > 1 and isinstance(args_sym[1], _Ref):
            return self._outputs_like(val, parts, node.name, "elementwise", fn=name)
        if name in _REDUCTIONS:
            return self._outputs_like(val, parts, node.name, "reduction")
        if name in _COPIES:
            return self._outputs_like(val, parts, node.name, "copy")
        if name in _ELEMENTWISE:
            fn = _ELEMENTWISE[name]
            opp = None
            if name in ("addcmul", "lerp"):
                opp = 2
            return self._outputs_like(val, parts, node.name, "elementwise", fn=fn, ops_per_element=opp)
        target = node.target if node.op == "call_method" else getattr(node.target, "__qualname__", name)
        mod = "" if node.op == "call_method" else (getattr(node.target, "__module__", "") or "")
        what = f"'Tensor.{target}'" if node.op == "call_method" else f"'{mod + '.' if mod else ''}{target}'"
        return self._unknown(node, what)

    def _getitem(self, node, args_sym, val):
        torch = self.torch
        src, idx = args_sym[0], node.args[1]
        if isinstance(src, tuple):
            if isinstance(idx, int):
                return src[idx]
            if isinstance(idx, slice):
                return src[idx]
        self.aliased["getitem"] += 1
        index_parts = self.refs_in(args_sym[1])
        if index_parts:  # indexing by a tensor: a gather that depends on the index
            return self._outputs_like(val, self.refs_in(src) + index_parts, node.name, "copy",
                                      tags={"part": "gather"})
        if isinstance(val, torch.Tensor) and self.refs_in(src):
            return _Ref(tuple(self.refs_in(src)), node.name)
        return None

    # ------------------------------------------------------------ matmul
    def _matmul_node(self, node, a_arg, b_arg, val):
        a_ref, b_ref = self._sym(a_arg), self._sym(b_arg)
        a_shape, b_shape = tuple(self._val(a_arg).shape), tuple(self._val(b_arg).shape)
        return self._matmul_general(a_ref, a_shape, b_ref, b_shape, tuple(val.shape), node.name)

    def _matmul_general(self, a_ref, a_shape, b_ref, b_shape, out_shape, hint, tags=None):
        if not isinstance(a_ref, _Ref) or not isinstance(b_ref, _Ref):
            raise WorkloadError(f"{self._where()}: matmul operand is not a tensor")
        a2 = a_shape if len(a_shape) > 1 else (1,) + a_shape
        b2 = b_shape if len(b_shape) > 1 else b_shape + (1,)
        m, k = a2[-2], a2[-1]
        n = b2[-1]
        a_batch, b_batch = a2[:-2], b2[:-2]
        a_w, b_w = self.is_weight(a_ref), self.is_weight(b_ref)
        if a_w and not b_w and not a_batch:
            # W @ X: computed as (X^T W^T), the weight stays the stationary B operand
            bt = math.prod(b_batch) if b_batch else 1
            x = self.mat(b_ref, b_shape, hint)
            w = self.mat(a_ref, a_shape, hint)
            (o,) = self.matmul(x, w, 1, bt * n, k, m, [out_shape], hint, tags, weight=True)
            return _Ref((o,))
        if not b_batch:
            A = self.mat(a_ref, a_shape, hint)
            B = self.mat(b_ref, b_shape, hint)
            M = math.prod(a2[:-1])
            (o,) = self.matmul(A, B, 1, M, k, n, [out_shape], hint, tags, weight=b_w)
            return _Ref((o,))
        batch_shape = tuple(self.torch.broadcast_shapes(a_batch, b_batch))
        batch = math.prod(batch_shape)
        A = self._expanded(a_ref, a_shape, batch_shape + (m, k), hint + ".A")
        B = self._expanded(b_ref, b_shape, batch_shape + (k, n), hint + ".B")
        (o,) = self.matmul(A, B, batch, m, k, n, [out_shape], hint, tags)
        return _Ref((o,))

    def _expanded(self, ref, shape, full_shape, hint) -> str:
        if math.prod(shape) == math.prod(full_shape):
            return self.mat(ref, shape, hint)
        src = self.mat(ref, shape, hint)
        out = self.tensor(f"{hint}.expand", full_shape)
        self.op("copy", f"{hint}.expand", (src,), (out,), tags={"part": "broadcast"})
        return out

    def _linear_fn(self, node, val):
        x, w = node.args[0], node.args[1]
        b = self._arg(node, 2, "bias")
        w_ref = self._sym(w)
        w_name = self.mat(w_ref, tuple(self._val(w).shape), node.name + ".w")
        b_ref = self._sym(b)
        b_name = self.mat(b_ref, tuple(self._val(b).shape), node.name + ".b") if isinstance(b_ref, _Ref) else None
        ref, _ = self.linear(self._sym(x), tuple(self._val(x).shape), w_name, b_name, node.name)
        return ref

    # ------------------------------------------------------------ modules
    def _module_handler(self, mod) -> Callable | None:
        nn = self.torch.nn
        table = [
            (nn.Linear, self._m_linear), (nn.Conv1d, self._m_conv), (nn.Conv2d, self._m_conv),
            (nn.LayerNorm, self._m_layernorm), (nn.Embedding, self._m_embedding),
            (nn.LSTM, self._m_rnn), (nn.GRU, self._m_rnn), (nn.RNN, self._m_rnn),
            (nn.LSTMCell, self._m_cell), (nn.GRUCell, self._m_cell), (nn.RNNCell, self._m_cell),
            (nn.MultiheadAttention, self._m_mha), (nn.TransformerEncoderLayer, self._m_encoder_layer),
            (nn.TransformerEncoder, self._m_encoder), (nn.Softmax, self._m_softmax),
            (nn.LogSoftmax, self._m_softmax), (nn.Dropout, self._m_dropout),
            (nn.Identity, self._m_alias), (nn.Flatten, self._m_alias), (nn.Unflatten, self._m_alias),
            (nn.BatchNorm1d, self._m_batchnorm), (nn.BatchNorm2d, self._m_batchnorm),
        ]
        for cls, h in table:
            if isinstance(mod, cls):
                return h
        act = _ACTIVATION_MODULES.get(type(mod).__name__)
        if act is not None and type(mod).__module__.startswith("torch.nn"):
            return functools.partial(self._m_activation, act)
        return None

    def _in(self, node, i=0):
        a = node.args[i] if len(node.args) > i else None
        return self._sym(a), tuple(self._val(a).shape)

    def _params(self, qual: str, mod, *names):
        out = []
        for n in names:
            p = getattr(mod, n, None)
            out.append(None if p is None else self.weight(f"{qual}.{n}" if qual else n, tuple(p.shape)))
        return out

    def _m_linear(self, node, mod):
        x, xs = self._in(node)
        w, b = self._params(node.target, mod, "weight", "bias")
        ref, _ = self.linear(x, xs, w, b, node.name, tags={"module": node.target})
        return ref

    def _m_conv(self, node, mod):
        x = node.args[0]
        w, b = self._params(node.target, mod, "weight", "bias")
        if isinstance(mod.padding, str) or mod.padding_mode != "zeros" or any(mod.padding):
            pass  # padding only changes the output length, which the real output shape gives
        return self._conv(node, x, _Ref((w,)), mod.weight, None if b is None else _Ref((b,)),
                          mod.stride, mod.padding, mod.groups, node.meta["val"])

    def _conv(self, node, x_arg, w_ref, w_val, b_ref, stride, padding, groups, val):
        x_ref = self._sym(x_arg)
        x_shape = tuple(self._val(x_arg).shape)
        w_shape = tuple(w_val.shape)
        nd = len(w_shape) - 2
        out_shape = tuple(val.shape)
        batched = len(x_shape) == nd + 2
        B = x_shape[0] if batched else 1
        c_out, c_in_g, kernel = w_shape[0], w_shape[1], w_shape[2:]
        out_sp = out_shape[-nd:]
        m = B * math.prod(out_sp)
        k = c_in_g * math.prod(kernel)
        n_g = c_out // groups
        strides = (stride,) * nd if isinstance(stride, int) else tuple(stride)
        pads = padding if isinstance(padding, str) else ((padding,) * nd if isinstance(padding, int) else tuple(padding))
        pointwise = all(kk == 1 for kk in kernel) and all(s == 1 for s in strides) and (
            pads == "valid" or pads == "same" or all(p == 0 for p in pads))
        tags = {"module": node.target} if node.op == "call_module" else {}
        if pointwise and groups == 1:
            cols = [self.mat(x_ref, x_shape, node.name)]
        else:
            # im2col: the windows a convolution reads, one matrix per group (a real data movement)
            src = self.refs_in(x_ref)
            cols = [self.tensor(f"{node.name}.im2col" + (f".g{g}" if groups > 1 else ""), (m, k)) for g in range(groups)]
            self.op("copy", f"{node.name}.im2col", src, cols, tags={**tags, "part": "im2col"})
        w_name = self.mat(w_ref, w_shape, node.name + ".w")
        outs = []
        for g in range(groups):
            if groups == 1:
                wg = w_name
            else:
                wg = self.weight(f"{w_name}[g{g}]", (n_g, c_in_g) + tuple(kernel))
            o_shape = out_shape if groups == 1 else (m, n_g)
            (o,) = self.matmul(cols[g], wg, 1, m, k, n_g, [o_shape],
                               node.name + (f".g{g}" if groups > 1 else ""), tags,
                               weight=self.tensors[wg].role == "weight")
            outs.append(o)
        if isinstance(b_ref, _Ref):
            return self.ew("add", outs + list(b_ref.parts), out_shape, f"{node.name}.add_bias", tags)
        return _Ref(tuple(outs))

    def _m_layernorm(self, node, mod):
        x, xs = self._in(node)
        parts = self.refs_in(x) + [p for p in self._params(node.target, mod, "weight", "bias") if p]
        return self._outputs_like(node.meta["val"], parts, node.name, "layernorm")

    def _m_batchnorm(self, node, mod):
        x, xs = self._in(node)
        parts = self.refs_in(x) + [p for p in self._params(node.target, mod, "weight", "bias") if p]
        return self._outputs_like(node.meta["val"], parts, node.name, "elementwise", fn="mul", ops_per_element=2)

    def _m_embedding(self, node, mod):
        idx, _ = self._in(node)
        (w,) = self._params(node.target, mod, "weight")
        return self._outputs_like(node.meta["val"], self.refs_in(idx) + [w], node.name, "copy",
                                  tags={"part": "embedding", "module": node.target})

    def _m_softmax(self, node, mod):
        x, _ = self._in(node)
        return self._outputs_like(node.meta["val"], self.refs_in(x), node.name, "softmax")

    def _m_dropout(self, node, mod):
        x, _ = self._in(node)
        if not mod.training or mod.p == 0:
            self.aliased["dropout(eval)"] += 1
            return x
        return self._outputs_like(node.meta["val"], self.refs_in(x), node.name, "elementwise", fn="dropout")

    def _m_alias(self, node, mod):
        self.aliased[type(mod).__name__] += 1
        x, _ = self._in(node)
        return x

    def _m_activation(self, fn, node, mod):
        x, _ = self._in(node)
        return self._outputs_like(node.meta["val"], self.refs_in(x), node.name, "elementwise", fn=fn)

    # ------------------------------------------------------------ recurrent
    def _bind(self, mod, node) -> dict:
        sig = inspect.signature(mod.forward)
        bound = sig.bind(*node.args, **node.kwargs)
        bound.apply_defaults()
        return dict(bound.arguments)

    def _m_rnn(self, node, mod):
        """nn.LSTM / nn.GRU / nn.RNN unrolled per step, layer schedule."""
        self.recurrent = True
        args = self._bind(mod, node)
        x_arg = args["input"]
        x_val = self._val(x_arg)
        if not isinstance(x_val, self.torch.Tensor):
            raise WorkloadError(f"{self._where()}: {type(mod).__name__} input must be a tensor (PackedSequence is not supported)")
        x_ref, x_shape = self._sym(x_arg), tuple(x_val.shape)
        mode = mod.mode
        G = {"LSTM": 4, "GRU": 3}.get(mode, 1)
        H, L = mod.hidden_size, mod.num_layers
        P = getattr(mod, "proj_size", 0) or 0
        Hout = P or H
        D = 2 if mod.bidirectional else 1
        if len(x_shape) == 2:
            T, B = x_shape[0], 1
        elif mod.batch_first:
            B, T = x_shape[0], x_shape[1]
        else:
            T, B = x_shape[0], x_shape[1]
        hx = self._sym(args.get("hx"))
        h0_ref = c0_ref = None
        if mode == "LSTM" and isinstance(hx, tuple):
            h0_ref, c0_ref = hx
        elif isinstance(hx, _Ref):
            h0_ref = hx
        q = node.target
        base = node.name
        layer_in, layer_in_shape = x_ref, x_shape
        h_n, c_n = [], []
        outputs_by_t: list[list[str]] = []
        for l in range(L):
            I_l = mod.input_size if l == 0 else D * Hout
            A = self.mat(layer_in, layer_in_shape, f"{base}.l{l}.in")
            seq: list[list[str]] = []
            for d in range(D):
                sfx = "_reverse" if d else ""
                tag = {"module": q, "layer": l, "dir": d}
                w_ih = self.weight(f"{q}.weight_ih_l{l}{sfx}", (G * H, I_l))
                w_hh = self.weight(f"{q}.weight_hh_l{l}{sfx}", (G * H, Hout))
                biases = [self.weight(f"{q}.bias_ih_l{l}{sfx}", (G * H,)),
                          self.weight(f"{q}.bias_hh_l{l}{sfx}", (G * H,))] if mod.bias else []
                w_hr = self.weight(f"{q}.weight_hr_l{l}{sfx}", (P, H)) if P else None
                pre = f"{base}.l{l}" + (".rev" if d else "")
                xp = self.matmul(A, w_ih, 1, T * B, I_l, G * H, [(B, G * H)] * T, f"{pre}.xproj",
                                 {**tag, "part": "input"}, weight=True)
                idx = l * D + d
                h = self._state(h0_ref, (B, Hout), f"{pre}.h0", idx, D * L)
                c = self._state(c0_ref, (B, H), f"{pre}.c0", idx, D * L) if mode == "LSTM" else None
                hs = [None] * T
                order = range(T - 1, -1, -1) if d else range(T)
                for t in order:
                    stag = {**tag, "step": t}
                    h, c = self._cell_step(mode, f"{pre}.t{t}", stag, xp[t], h, c, w_hh, biases, w_hr, B, H, Hout)
                    hs[t] = h
                seq.append(hs)
                h_n.append(h)
                if c is not None:
                    c_n.append(c)
            outputs_by_t = [[seq[d][t] for d in range(D)] for t in range(T)]
            layer_in = _Ref(tuple(p for ps in outputs_by_t for p in ps))
            layer_in_shape = (T, B, D * Hout)
        out = layer_in
        if mode == "LSTM":
            return (out, (_Ref(tuple(h_n)), _Ref(tuple(c_n))))
        return (out, _Ref(tuple(h_n)))

    def _state(self, ref, shape, hint, idx, total) -> str:
        """Initial state of one (layer, direction): a zero input, or a slice of the given one."""
        if ref is None:
            return self.tensor(hint, shape, "input")
        if len(ref.parts) == total:  # one tensor per (layer, direction), e.g. a previous h_n
            return ref.parts[idx]
        if total == 1:
            return self.mat(ref, shape, hint)
        return self._slice(ref, shape, hint, total)

    def _slice(self, ref, shape, hint, total) -> str:
        src = self.mat(ref, (total,) + shape, hint + ".all")
        role = self.tensors[src].role
        if role in ("input", "weight"):
            return self.tensor(f"{hint}[view]", shape, role)
        out = self.tensor(hint, shape)
        self.op("copy", hint, (src,), (out,), tags={"part": "materialise"})
        return out

    def _cell_step(self, mode, pre, tags, xp, h, c, w_hh, biases, w_hr, B, H, Hout):
        """One recurrent step given its input projection ``xp``; returns (h_t, c_t)."""
        G = {"LSTM": 4, "GRU": 3}.get(mode, 1)
        (rec,) = self.matmul(h, w_hh, 1, B, Hout, G * H, [(B, G * H)], f"{pre}.rec",
                             {**tags, "part": "recurrent"}, weight=True)
        # The gate arithmetic of a step is one fused pointwise op, as cuDNN's RNN
        # kernels and PyTorch's fused LSTM/GRU cell kernels run it; its vector-op
        # count is the sum of the stages (same numbers as the generators):
        # LSTM 4H x (adds + 4 activation) + 3H (c_t) + 5H (h_t) over 2H outputs,
        # GRU 2H x 7 (r, z) + 8H (candidate) + 4H (h_t) over H outputs.
        etag = {**tags, "part": "state"}
        ins = [xp, rec] + biases
        if mode == "LSTM":
            h_name = f"{pre}.h" + (".raw" if w_hr else "")
            c_t = self.tensor(f"{pre}.c", (B, H))
            h_t = self.tensor(h_name, (B, H))
            adds = len(ins) - 1
            opp = (4 * (adds + 4) + 3 + 5) / 2
            self.op("elementwise", f"{pre}.cell", ins + [c], (c_t, h_t), fn="lstm_pointwise",
                    ops_per_element=opp, tags=etag)
            if w_hr is not None:
                (h_t,) = self.matmul(h_t, w_hr, 1, B, H, Hout, [(B, Hout)], f"{pre}.proj",
                                     {**tags, "part": "projection"}, weight=True)
            return h_t, c_t
        if mode == "GRU":
            (h_t,) = self.ew("gru_pointwise", ins + [h], (B, H), f"{pre}.h", etag, opp=26).parts
            return h_t, None
        etag = {**tags, "part": "gates"}
        ins = [xp, rec] + biases
        (hp,) = self.ew("add", ins, (B, H), f"{pre}.pre", etag, opp=len(ins) - 1).parts
        fn = "relu" if mode == "RNN_RELU" else "tanh"
        (h_t,) = self.ew(fn, [hp], (B, H), f"{pre}.h", etag).parts
        return h_t, None

    def _m_cell(self, node, mod):
        """nn.LSTMCell / GRUCell / RNNCell: one step per call."""
        self.recurrent = True
        nn = self.torch.nn
        mode = "LSTM" if isinstance(mod, nn.LSTMCell) else "GRU" if isinstance(mod, nn.GRUCell) else (
            "RNN_RELU" if getattr(mod, "nonlinearity", "tanh") == "relu" else "RNN_TANH")
        G = {"LSTM": 4, "GRU": 3}.get(mode, 1)
        args = self._bind(mod, node)
        x_arg = args["input"]
        x_ref, x_shape = self._sym(x_arg), tuple(self._val(x_arg).shape)
        B = x_shape[0] if len(x_shape) == 2 else 1
        H, I = mod.hidden_size, mod.input_size
        q, pre = node.target, node.name
        tags = {"module": q}
        hx = self._sym(args.get("hx"))
        hxv = self._val(args.get("hx"))
        if mode == "LSTM":
            if isinstance(hx, tuple):
                h = self.mat(hx[0], tuple(hxv[0].shape), pre + ".h_in")
                c = self.mat(hx[1], tuple(hxv[1].shape), pre + ".c_in")
            else:
                h = self.tensor(f"{pre}.h0", (B, H), "input")
                c = self.tensor(f"{pre}.c0", (B, H), "input")
        else:
            h = self.mat(hx, tuple(hxv.shape), pre + ".h_in") if isinstance(hx, _Ref) else \
                self.tensor(f"{pre}.h0", (B, H), "input")
            c = None
        w_ih, w_hh = self._params(q, mod, "weight_ih", "weight_hh")
        biases = [p for p in self._params(q, mod, "bias_ih", "bias_hh") if p] if mod.bias else []
        A = self.mat(x_ref, x_shape, pre + ".x")
        (xp,) = self.matmul(A, w_ih, 1, B, I, G * H, [(B, G * H)], f"{pre}.xproj",
                            {**tags, "part": "input"}, weight=True)
        h_t, c_t = self._cell_step(mode, pre, tags, xp, h, c, w_hh, biases, None, B, H, H)
        if mode == "LSTM":
            return (_Ref((h_t,)), _Ref((c_t,)))
        return _Ref((h_t,))

    # ------------------------------------------------------------ attention
    def _attention(self, pre, q, k, v, N, L, S, E, heads, wq, wk, wv, bq, bk, bv, wo, bo,
                   masks, dropout, tags, need_weights=False, fused_qkv=None):
        """Q/K/V projections, per-head scores, softmax, A.V and the output projection.

        ``q``/``k``/``v`` are (ref, shape); returns (ref of the output, shape, ref of weights or None).
        """
        hd = E // heads
        if fused_qkv is not None and q[0] == k[0] == v[0]:
            # self-attention: torch computes Q, K, V with one in_proj matmul
            w_in, b_in = fused_qkv
            a = self.mat(q[0], q[1], pre + ".qkv")
            qkv = self.matmul(a, w_in, 1, N * L, E, 3 * E, [(N, L, E)] * 3, f"{pre}.qkv",
                              {**tags, "part": "qkv"}, weight=True)
            if b_in is not None:
                Q, K, V = (self.ew("add", [t, b_in], (N, L, E), f"{pre}.{s}.add_bias", tags)
                           for t, s in zip(qkv, "qkv"))
            else:
                Q, K, V = (_Ref((t,)) for t in qkv)
        else:
            Q, _ = self.linear(q[0], q[1], wq, bq, f"{pre}.q", {**tags, "part": "q"})
            K, _ = self.linear(k[0], k[1], wk, bk, f"{pre}.k", {**tags, "part": "k"})
            V, _ = self.linear(v[0], v[1], wv, bv, f"{pre}.v", {**tags, "part": "v"})
        (sc,) = self.matmul(self.mat(Q, (N, L, E), pre + ".q"), self.mat(K, (N, S, E), pre + ".k"),
                            N * heads, L, hd, S, [(N, heads, L, S)], f"{pre}.scores", {**tags, "part": "scores"})
        scores = _Ref((sc,))
        if masks:
            scores = self.ew("add", [sc] + masks, (N, heads, L, S), f"{pre}.mask", tags, opp=len(masks))
        P = self._outputs_like_shape((N, heads, L, S), self.refs_in(scores), f"{pre}.softmax", "softmax", tags)
        if dropout:
            P = self.ew("dropout", list(P.parts), (N, heads, L, S), f"{pre}.attn_dropout", tags)
        (y,) = self.matmul(P.parts[0], self.mat(V, (N, S, E), pre + ".v"), N * heads, L, S, hd,
                           [(N, L, E)], f"{pre}.av", {**tags, "part": "av"})
        out, out_shape = self.linear(_Ref((y,)), (N, L, E), wo, bo, f"{pre}.o", {**tags, "part": "o"})
        weights = None
        if need_weights:
            weights = self._outputs_like_shape((N, L, S), list(P.parts), f"{pre}.attn_weights", "reduction", tags)
        return out, out_shape, weights

    def _outputs_like_shape(self, shape, parts, hint, kind, tags=None):
        out = self.tensor(hint, shape)
        self.op(kind, hint, parts, (out,), tags=tags)
        return _Ref((out,))

    def _mha_weights(self, mod, qual):
        E = mod.embed_dim
        if mod._qkv_same_embed_dim:
            wq = self.weight(f"{qual}.in_proj_weight[q]", (E, E))
            wk = self.weight(f"{qual}.in_proj_weight[k]", (E, E))
            wv = self.weight(f"{qual}.in_proj_weight[v]", (E, E))
        else:
            wq, wk, wv = self._params(qual, mod, "q_proj_weight", "k_proj_weight", "v_proj_weight")
        if mod.in_proj_bias is not None:
            bq, bk, bv = (self.weight(f"{qual}.in_proj_bias[{s}]", (E,)) for s in "qkv")
        else:
            bq = bk = bv = None
        wo, bo = self._params(f"{qual}.out_proj", mod.out_proj, "weight", "bias")
        self._fused = None
        if mod._qkv_same_embed_dim:
            self._fused = (self.weight(f"{qual}.in_proj_weight", (3 * E, E)),
                           self.weight(f"{qual}.in_proj_bias", (3 * E,)) if mod.in_proj_bias is not None else None)
        if getattr(mod, "bias_k", None) is not None or getattr(mod, "add_zero_attn", False):
            raise WorkloadError(f"{self._where()}: MultiheadAttention with add_bias_kv/add_zero_attn is not supported")
        return wq, wk, wv, bq, bk, bv, wo, bo

    def _seq_dims(self, shape, batch_first):
        """(N, L) of an attention input of ``shape``."""
        if len(shape) == 2:
            return 1, shape[0]
        return (shape[0], shape[1]) if batch_first else (shape[1], shape[0])

    def _m_mha(self, node, mod):
        args = self._bind(mod, node)
        q, k, v = (args[n] for n in ("query", "key", "value"))
        qs, ks, vs = (tuple(self._val(a).shape) for a in (q, k, v))
        N, L = self._seq_dims(qs, mod.batch_first)
        _, S = self._seq_dims(ks, mod.batch_first)
        masks = self.refs_in(self._sym(args.get("attn_mask")), self._sym(args.get("key_padding_mask")))
        need = bool(args.get("need_weights", True)) and any(
            u.op == "call_function" and u.target is operator.getitem and u.args[1] == 1 for u in node.users)
        w = self._mha_weights(mod, node.target)
        out, _, weights = self._attention(
            node.name, (self._sym(q), qs), (self._sym(k), ks), (self._sym(v), vs), N, L, S, mod.embed_dim,
            mod.num_heads, *w, masks, mod.training and mod.dropout > 0, {"module": node.target}, need,
            fused_qkv=self._fused)
        return (out, weights)

    def _sdpa(self, node, val):
        q, k, v = node.args[0], node.args[1], node.args[2]
        qs, ks, vs = (tuple(self._val(a).shape) for a in (q, k, v))
        batch_shape = tuple(self.torch.broadcast_shapes(qs[:-2], ks[:-2], vs[:-2]))
        batch = math.prod(batch_shape)
        L, E, S, Ev = qs[-2], qs[-1], ks[-2], vs[-1]
        pre = node.name
        Q = self._expanded(self._sym(q), qs, batch_shape + (L, E), pre + ".q")
        K = self._expanded(self._sym(k), ks, batch_shape + (S, E), pre + ".k")
        V = self._expanded(self._sym(v), vs, batch_shape + (S, Ev), pre + ".v")
        (sc,) = self.matmul(Q, K, batch, L, E, S, [batch_shape + (L, S)], f"{pre}.scores", {"part": "scores"})
        masks = self.refs_in(self._sym(self._arg(node, 3, "attn_mask")))
        scores = _Ref((sc,))
        if masks or self._arg(node, 5, "is_causal", False):
            scores = self.ew("add" if masks else "where", [sc] + masks, batch_shape + (L, S), f"{pre}.mask")
        P = self._outputs_like_shape(batch_shape + (L, S), list(scores.parts), f"{pre}.softmax", "softmax")
        if self._arg(node, 4, "dropout_p", 0.0):
            P = self.ew("dropout", list(P.parts), batch_shape + (L, S), f"{pre}.dropout")
        (y,) = self.matmul(P.parts[0], V, batch, L, S, Ev, [tuple(val.shape)], f"{pre}.av", {"part": "av"})
        return _Ref((y,))

    def _encoder_layer(self, pre, qual, layer, x, shape, src_mask, tags):
        """One nn.TransformerEncoderLayer (post- or pre-norm) on (ref, shape)."""
        N, L = self._seq_dims(shape, layer.self_attn.batch_first)
        E = layer.self_attn.embed_dim
        tags = {**tags, "module": qual}
        ln1 = self._params(f"{qual}.norm1", layer.norm1, "weight", "bias")
        ln2 = self._params(f"{qual}.norm2", layer.norm2, "weight", "bias")
        w = self._mha_weights(layer.self_attn, f"{qual}.self_attn")
        fused = self._fused
        drop = layer.training and layer.dropout.p > 0

        def norm(r, lnp, h):
            return self._outputs_like_shape(shape, self.refs_in(r) + [p for p in lnp if p], h, "layernorm", tags)

        def sa(r):
            out, _, _ = self._attention(f"{pre}.attn", (r, shape), (r, shape), (r, shape), N, L, L, E,
                                        layer.self_attn.num_heads, *w, src_mask,
                                        layer.training and layer.self_attn.dropout > 0, tags,
                                        fused_qkv=fused)
            if drop:
                out = self.ew("dropout", list(out.parts), shape, f"{pre}.dropout1", tags)
            return out

        def ff(r):
            w1, b1 = self._params(f"{qual}.linear1", layer.linear1, "weight", "bias")
            w2, b2 = self._params(f"{qual}.linear2", layer.linear2, "weight", "bias")
            hdn, hshape = self.linear(r, shape, w1, b1, f"{pre}.ff1", {**tags, "part": "ff1"})
            act = layer.activation
            act_name = getattr(act, "__name__", None) or type(act).__name__
            fn = _ELEMENTWISE.get(act_name.lower()) or _ACTIVATION_MODULES.get(type(act).__name__)
            if fn is None:
                raise WorkloadError(f"{self._where()}: unknown activation '{act_name}' in {qual}")
            hdn = self.ew(fn, list(hdn.parts), hshape, f"{pre}.act", tags)
            if drop:
                hdn = self.ew("dropout", list(hdn.parts), hshape, f"{pre}.dropout", tags)
            out, _ = self.linear(hdn, hshape, w2, b2, f"{pre}.ff2", {**tags, "part": "ff2"})
            if drop:
                out = self.ew("dropout", list(out.parts), shape, f"{pre}.dropout2", tags)
            return out

        def residual(a, b, h):
            return self.ew("add", self.refs_in(a, b), shape, h, tags)

        if layer.norm_first:
            x = residual(x, sa(norm(x, ln1, f"{pre}.norm1")), f"{pre}.res1")
            x = residual(x, ff(norm(x, ln2, f"{pre}.norm2")), f"{pre}.res2")
        else:
            x = norm(residual(x, sa(x), f"{pre}.res1"), ln1, f"{pre}.norm1")
            x = norm(residual(x, ff(x), f"{pre}.res2"), ln2, f"{pre}.norm2")
        return x

    def _m_encoder_layer(self, node, mod):
        args = self._bind(mod, node)
        x_arg = args["src"]
        masks = self.refs_in(self._sym(args.get("src_mask")), self._sym(args.get("src_key_padding_mask")))
        return self._encoder_layer(node.name, node.target, mod, self._sym(x_arg),
                                   tuple(self._val(x_arg).shape), masks, {})

    def _m_encoder(self, node, mod):
        args = self._bind(mod, node)
        x_arg = args["src"]
        masks = self.refs_in(self._sym(args.get("mask")), self._sym(args.get("src_key_padding_mask")))
        shape = tuple(self._val(x_arg).shape)
        x = self._sym(x_arg)
        for i, layer in enumerate(mod.layers):
            x = self._encoder_layer(f"{node.name}.layers.{i}", f"{node.target}.layers.{i}", layer, x,
                                    shape, masks, {"layer": i})
        if mod.norm is not None:
            lnp = self._params(f"{node.target}.norm", mod.norm, "weight", "bias")
            x = self._outputs_like_shape(shape, self.refs_in(x) + [p for p in lnp if p], f"{node.name}.norm",
                                         "layernorm")
        return x


_ACTIVATION_MODULES = {
    "ReLU": "relu", "ReLU6": "relu", "LeakyReLU": "relu", "GELU": "gelu", "Sigmoid": "sigmoid",
    "Tanh": "tanh", "SiLU": "silu", "Softplus": "softplus", "ELU": "exp", "Mish": "softplus",
    "Hardtanh": "max", "Hardswish": "silu", "Hardsigmoid": "sigmoid",
}


# --------------------------------------------------------------------------- public API
def trace_fx(model, example_inputs, name: str | None = None, allow_unknown: bool = False,
             dtype: str | None = None) -> Workload:
    """Trace ``model`` on ``example_inputs`` into a :class:`Workload`.

    Parameters
    ----------
    model : a ``torch.nn.Module``; traced in its current train/eval mode.
    example_inputs : a tensor or a tuple of the positional inputs of ``model.forward``.
        Shapes, loop counts and sequence lengths are taken from them.
    name : the workload's name (default: the model's class name, lower case).
    allow_unknown : map ops the tracer does not know to a generic elementwise op
        over their output elements (listed in ``metadata['unknown_ops']``)
        instead of raising :class:`~cimsim.errors.WorkloadError`.
    dtype : workload dtype (fp32|fp16|bf16|int8); default: the model's parameter dtype.
    """
    torch = require_torch()
    if not isinstance(model, torch.nn.Module):
        raise WorkloadError(f"trace() needs a torch.nn.Module, got {type(model).__name__}")
    inputs = _as_tuple(example_inputs)
    if dtype is None:
        p = next(iter(model.parameters()), None)
        torch_dtype = str(p.dtype).removeprefix("torch.") if p is not None else "float32"
        if torch_dtype not in _TORCH_DTYPES:
            raise WorkloadError(
                f"the model's parameters are {torch_dtype}, which cimsim does not model; "
                f"pass dtype= one of fp32, fp16, bf16, int8 to trace it as that type"
            )
        dtype = _TORCH_DTYPES[torch_dtype]
    try:
        graph, root = _capture(model, inputs)
    except WorkloadError:
        raise
    except Exception as exc:
        raise WorkloadError(
            f"torch.fx could not trace {type(model).__name__}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        ) from exc
    em = _Emitter(torch, root, dtype, allow_unknown)
    em.run(graph)
    wname = name or type(model).__name__.lower()
    # keep only tensors some op touches (unused parameters, e.g. of a skipped branch, are not workload data)
    used = {t for op in em.ops for t in (*op.inputs, *op.outputs)}
    tensors = [t for t in em.tensors.values() if t.name in used]
    metadata = {
        "source": "cimsim.trace (torch.fx)",
        "model": f"{type(model).__module__}.{type(model).__qualname__}",
        "torch_version": torch.__version__.split("+")[0],
        "training": bool(model.training),
        "inputs": {k: v for k, v in em.inputs_meta.items() if k in used},
        "outputs": [o for o in em.outputs if o in used],
        "aliased_ops": dict(sorted(em.aliased.items())),
        "unknown_ops": em.unknown,
    }
    if em.recurrent:
        metadata["schedule"] = "layer"
    try:
        return Workload(wname, tensors, em.ops, metadata)
    except WorkloadError as exc:
        raise WorkloadError(f"traced workload of {type(model).__name__} is invalid (a tracer bug): {exc}") from exc
