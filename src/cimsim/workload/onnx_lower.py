"""The node-by-node lowering of an ONNX graph into the tracer's ops (:mod:`.onnx_import` reads
the file and calls :class:`Importer` on each node, in the topological order ONNX stores them).

Each mapped node type becomes the ops :mod:`.trace` emits for the torch call it exports from:
the tables below name them. Model inputs read in part (``x[t]``, ``x[:, 1:]``, ``x.split()``
of a model input) are their own input tensors, ``x[0]``, ``x[1]``, ... as the tracer's; a
``Split`` an op's output is the only reader of is that op writing the parts (a fused QKV
projection split in three); any other ``Slice`` / ``Split`` / ``Gather`` of an activation is a
copy (the tracer's view is free). A value holding only 0 and 1 (a comparison's bool, cast to
float: a spike) is followed by :mod:`.trace.binary`'s rules, and a weight matmul reading one
is tagged ``input_value_bits: 1``.
"""

from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace

from ..dtypes import DTYPE_BYTES
from ..errors import WorkloadError
from .ir import Op, Tensor
from .kinds import ELEMENTWISE_OPS_PER_ELEMENT
from .trace.aten import pow_fn
from .trace.assemble import _operand
from .randomtags import LINE
from .trace.binary import keeps_values
from .trace.resample import INTERPOLATIONS, _weighted_sum
from .windows import window_taps
from .onnx_values import constant_of_shape, init_bit, lower as lower_values
from .onnx_tables import (ATEN_OF, COPIES, DTYPES, ELEMENTWISE, FLOATS, MAC_TYPES, NAMED, NO_DATA, NORMS,
                          PARTS, POOLS, REDUCTIONS, RESIZES, SOFTMAXES, SUPPORTED, VIEWS, module,
                          small_value, weight_names)

class Importer:
    """The tensors and ops of one graph, node by node."""

    def __init__(self, path, graph, dtype, allow_unknown, values):
        self.path, self.dtype, self.allow_unknown = path, dtype, allow_unknown
        self.values = values  # small constants' values (numpy), by ONNX name
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
        self.outputs = {v.name for v in graph.output}
        self.rename = weight_names(graph, self.inits)
        self.const: set[str] = set()  # values that carry no data (shapes, scalar constants)
        self.alias: dict[str, str] = {}  # a view's value -> the value (or IR tensor) it views
        self.tensors: dict[str, Tensor] = {}
        self.ops: list[Op] = []
        self.producer: dict[str, int] = {}  # IR tensor -> the index of the op writing it
        self.mm_of: dict[str, Op] = {}  # a weight matmul's output -> the matmul (its bias add)
        self.binary: set[str] = set()  # IR tensors holding only 0 and 1 (:mod:`.trace.binary`)
        self.parts: dict[str, dict] = {}  # a model input -> {read: its part tensor}
        self.unknown: list[dict] = []
        self.unread: list[dict] = []  # initializers read in part (an embedding's rows)
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
        """The static shape of ``value``; a 0-d tensor (a scalar) as ``(1,)``, as the tracer
        stores it."""
        if value in self.inits:
            return tuple(int(d) for d in self.inits[value].dims) or (1,)
        got = self.info.get(value)
        if got is None:
            raise WorkloadError(
                f"{self.path}: {_where(node)}: '{value}' has no static shape: ONNX shape inference, "
                "and cimsim's folding of the shape arithmetic before it (Shape, Gather, Concat, "
                "ConstantOfShape, Equal, Where, Mod, Expand, Tile, Range), cannot compute it from the "
                "graph's input shapes and constants, so it depends on the data; simplify the model (python -m onnxsim "
                "in.onnx out.onnx), export it with that shape a constant, or trace the PyTorch model "
                "instead (cimsim trace FILE.py:FACTORY)")
        return got[0] or (1,)

    def ir(self, value: str) -> str:
        """The IR tensor name of ONNX value ``value`` (through views and renamed weights)."""
        value = self.alias.get(value, value)
        return self.rename.get(value, value)

    def tensor(self, value: str, node, role: str = "activation") -> str:
        """The IR tensor of ONNX value ``value``, declared on first use."""
        name = self.ir(value)
        if name in self.tensors:
            return name
        value = self.alias.get(value, value)
        if value in self.inits:
            t = self.inits[value]
            self.tensors[name] = Tensor(name, self.shape(value, node),
                                        self._dtype(int(t.data_type), f"initializer '{value}'"), "weight")
            return name
        shape = self.shape(value, node)
        dt = self.info[value][1]
        role = "input" if value in self.inputs else role
        self.tensors[name] = Tensor(name, shape, self._dtype(dt, f"tensor '{value}'"), role)
        if dt == "bool":
            self.binary.add(name)
        return name

    def _scalar(self, v: str) -> bool:
        return v in self.inits and math.prod(self.inits[v].dims) <= 1

    def data(self, node) -> list[str]:
        """The inputs of ``node`` that carry data (no shape arithmetic, no scalar constant): all
        of a pointwise op's, a norm's (its scale, bias and statistics are weights), a
        ``Concat``'s and an unmapped op's; of any other op its first (the rest are axes, pads,
        repeats, scales)."""
        t = node.op_type
        many = t in ELEMENTWISE or t in NORMS or t == "Concat" or t not in SUPPORTED
        out = []
        for v in (node.input if many else node.input[:1]):
            if not v or v in self.const:
                continue
            if self._scalar(v) and (t in ELEMENTWISE or t not in SUPPORTED):
                continue  # a scalar operand (x * 0.5, a quantizer's scale): no tensor, as in torch
            out.append(v)
        return out

    def _op_name(self, node, i: int) -> str:
        base = node.name.strip("/").replace("/", ".") or f"{node.op_type}_{i}"
        name, n = base, 1
        while name in self.names:
            name, n = f"{base}#{n}", n + 1
        self.names.add(name)
        return name

    def add(self, op: Op) -> Op:
        for t in op.outputs:
            self.producer[t] = len(self.ops)
        self.ops.append(op)
        return op

    # ------------------------------------------------------------------ nodes
    def node(self, i: int, node) -> None:
        t = node.op_type
        ins = [v for v in node.input if v]
        if node.domain not in ("", "ai.onnx"):
            return self._unknown(i, node, f"op type '{node.domain}.{t}'")
        if t == "Constant":
            return self._constant(node)
        if t == "ConstantOfShape":
            constant_of_shape(self, node)  # its fill, for a one-hot's zeros (:mod:`.onnx_values`)
        if t in NO_DATA or (ins and all(v in self.const for v in ins)):
            if t in VIEWS and self._bit(ins[0]):  # Expand(1.0, shape): a one-hot's updates
                self.bits = {*getattr(self, "bits", ()), node.output[0]}
            self.const.update(v for v in node.output if v)
            return
        attrs = {a.name: _attr(a) for a in node.attribute}
        if t in VIEWS:
            self.alias[node.output[0]] = self.alias.get(ins[0], ins[0])
            return
        if t == "Cast" and self._cast(node, attrs):
            return
        name = self._op_name(node, i)
        tags = {"onnx": t, "module": module(node)}
        if t in ("Gemm", "MatMul"):
            return self._matmul(node, name, attrs, tags)
        if t == "Conv":
            return self._conv(node, name, attrs, tags)
        if t == "ConvTranspose":
            return self._conv_transpose(node, name, attrs, tags)
        if t == "Einsum":
            return self._einsum(i, node, name, attrs, tags)
        if t in PARTS:
            return self._part(node, name, attrs, tags)
        if t in ("OneHot", "ScatterElements"):
            return lower_values(self, node, name, attrs, tags)
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
            per = self._pow_cost(node) if t == "Pow" else None
            self.add(Op(name, "elementwise", tuple(data), tuple(outs), fn=fn, ops_per_element=per,
                        tags=tags))
        elif t in SOFTMAXES:
            self.add(Op(name, "softmax", tuple(data), tuple(outs), tags=tags))
        elif t in NORMS:
            self.add(Op(name, "layernorm", tuple(data), tuple(outs), ops_per_element=NORMS[t], tags=tags))
        elif t in REDUCTIONS:
            self.add(Op(name, "reduction", tuple(data), tuple(outs), ops_per_element=self._reduce_cost(t, data, outs),
                        tags=tags))
        elif t in POOLS:
            self.add(Op(name, "reduction", tuple(data), tuple(outs), ops_per_element=self._pool_cost(attrs, data, outs),
                        tags=tags))
        elif t in COPIES or t == "Cast":  # a cast to another dtype: a copy (a re-type)
            self.add(Op(name, "copy", tuple(dict.fromkeys(data)), tuple(outs), tags=tags))
        elif t in RESIZES:
            self._resize(node, name, attrs, tags, data, outs)
        else:
            return self._unknown(i, node, f"op type '{t}'", name, data)
        self._mark(node, data, outs)

    def _pool_cost(self, attrs, data, outs) -> float:
        """Vector ops per output element of a window pool: its window's elements inside the
        input (``pads``' begins place the windows), as the tracer counts torch's pools
        (:func:`.windows.window_taps`); the whole kernel where a shape is unknown or ``auto_pad``
        places the windows."""
        kern = [int(k) for k in attrs.get("kernel_shape") or [1]]
        nd = len(kern)
        x, o = (self.info.get(n, (None, None))[0] for n in (data[0], outs[0]))
        if x is None or o is None or attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            return float(math.prod(kern))
        pads = [int(p) for p in attrs.get("pads") or [0] * 2 * nd]
        taps = window_taps(x[-nd:], o[-nd:], kern, attrs.get("strides") or [1] * nd, pads[:nd],
                           attrs.get("dilations") or [1] * nd)
        return taps / max(math.prod(o[-nd:]), 1)

    def _reduce_cost(self, t: str, data, outs) -> float | None:
        """Vector ops per output element of a reduction whose arithmetic is more than a combine
        an element, as the tracer costs torch's equivalent (:mod:`.trace.mathops`): ``ReduceL2``
        ``vector_norm`` (2 an input element, 4 an output), ``ReduceL1`` ord 1 (2), ``ReduceSumSquare``
        ``(x * x).sum()`` (2), ``ReduceLogSumExp`` ``logsumexp`` (7, 5); None (one op an input
        element) for the others."""
        from .trace.mathops import LOGSUMEXP_OPS, norm_ops

        per = {"ReduceL2": lambda: norm_ops(2), "ReduceL1": lambda: norm_ops(1),
               "ReduceSumSquare": lambda: (ELEMENTWISE_OPS_PER_ELEMENT["mul"] + ELEMENTWISE_OPS_PER_ELEMENT["add"], 0.0),
               "ReduceLogSumExp": lambda: LOGSUMEXP_OPS}.get(t)
        n_out = sum(self.tensors[o].numel for o in outs)
        if per is None or not n_out:
            return None
        per_in, per_out = per()
        return (per_in * self.tensors[data[0]].numel + per_out * n_out) / n_out

    def _pow_cost(self, node) -> float | None:
        """Vector ops per element of a ``Pow`` whose exponent is a constant scalar (an
        initializer or ``Constant``: an exported ``x ** 2``, ``LlamaRMSNorm``'s ``pow(2)``), by
        the tracer's rule (:func:`.trace.aten.pow_fn`: 2 a multiply, 0.5 a square root); None
        (``pow``'s general cost) for any other exponent or a computed one."""
        e = self.values.get(node.input[1]) if len(node.input) > 1 else None
        if e is None or e.size != 1 or e.dtype.kind not in "iuf":
            return None
        cost = pow_fn("pow", (None, float(e.reshape(()))))
        return None if cost is None else ELEMENTWISE_OPS_PER_ELEMENT[cost]

    def _constant(self, node) -> None:
        val = next((a.t for a in node.attribute if a.name == "value" and a.HasField("t")), None)
        if val is not None and math.prod(val.dims) > 1 and val.data_type in DTYPES \
                and DTYPES[val.data_type] in FLOATS:
            val.name = node.output[0]  # a constant matrix: a weight, as an initializer is
            self.inits[node.output[0]] = val
            return
        small = small_value(val) if val is not None else None
        if small is not None:
            self.values[node.output[0]] = small
        self.const.update(node.output)

    def _mark(self, node, data, outs) -> None:
        """Mark ``outs`` binary where :mod:`.trace.binary`'s rules say so for the aten op
        ``node`` lowers like."""
        base = ATEN_OF.get(node.op_type)
        if node.op_type in RESIZES and _mode(node) == "nearest":
            base = "upsample_nearest2d"
        if base == "where":
            vals = list(node.input[1:3])
            ok = len(vals) == 2 and all(self._bit(v) for v in vals)
        elif base is not None and keeps_values(base):
            vals = [d for d in data if base == "_to_copy"  # a cast's integer input is its value
                    or self.tensors[d].dtype not in ("int64", "int32")]  # another op's: an index
            ok = bool(vals) and all(d in self.binary for d in vals)
        else:
            return
        if ok:
            self.binary.update(outs)

    def _bit(self, v: str) -> bool:
        """Whether ONNX value ``v`` holds only 0 and 1: a binary tensor or constant 0s and 1s."""
        if v in self.values:
            return all(float(x) in (0.0, 1.0) for x in self.values[v].reshape(-1).tolist())  # rule 3
        return init_bit(self, v) or (v not in self.const and self.ir(v) in self.binary)

    def _unknown(self, i, node, what, name=None, data=None) -> None:
        if not self.allow_unknown:
            raise WorkloadError(
                f"{self.path}: {_where(node, i)}: ONNX {what} has no cimsim mapping (mapped: {NAMED}); "
                "--allow-unknown keeps it as a generic op, its MACs not counted")
        name = name or self._op_name(node, i)
        data = data if data is not None else [self.tensor(v, node) for v in self.data(node)]
        outs = [self.tensor(v, node) for v in node.output if v]  # every output: a later op may read it
        macs = node.op_type in MAC_TYPES or node.domain not in ("", "ai.onnx")
        self.unknown.append({"op": f"{node.domain + '.' if node.domain else ''}{node.op_type}",
                             "node": node.name, "macs": None, **({"multiplies": True} if macs else {})})
        self.add(Op(name, "elementwise", tuple(dict.fromkeys(data)), tuple(outs), fn="generic",
                    tags={"unknown": True, "onnx": node.op_type, "module": module(node)}))

    def _cast(self, node, attrs) -> bool:
        """A cast to the IR dtype its input has already is a view (the tracer's ``_to_copy``
        that aliases); to another, False: a copy, as the tracer's (a re-type)."""
        src = self.tensor(node.input[0], node)
        if self._dtype(int(attrs.get("to", 0)), f"Cast '{node.name}'") != self.tensors[src].dtype:
            return False
        self.alias[node.output[0]] = src
        return True

    # ------------------------------------------------------------------ parts
    def _part(self, node, name, attrs, tags) -> None:
        """``Gather`` / ``Slice`` / ``Split``: of an initializer (``Gather``), the embedding
        lookup; of a model input with constant indices, its own input tensors; a ``Split`` of
        an op's output only it reads, that op's outputs; else a copy."""
        t, src_v = node.op_type, self.alias.get(node.input[0], node.input[0])
        idx = [v for v in node.input[1:] if v]
        fixed = all(v in self.const or v in self.values for v in idx)
        if t == "Gather" and src_v in self.inits:
            return self._embedding(node, name, attrs, tags)
        src = self.tensor(node.input[0], node)
        outs_v = [v for v in node.output if v]
        if src_v in self.inputs and fixed:
            key = (t, repr(sorted(attrs.items())), tuple(_key(self.values.get(v), v) for v in idx))
            made = self.parts.setdefault(src_v, {})
            for j, v in enumerate(outs_v):
                part = made.setdefault((*key, j), f"{src}[{len(made)}]")
                if part not in self.tensors:
                    self.tensors[part] = Tensor(part, self.shape(v, node), self.tensors[src].dtype, "input")
                self.alias[v] = part
            return
        p = self.producer.get(src)
        if t == "Split" and p is not None and self._only_reader(src, node) \
                and len(self.ops[p].outputs) == 1:
            outs = [self.tensor(v, node) for v in outs_v]
            self.ops[p] = dataclasses.replace(self.ops[p], outputs=tuple(outs))
            for o in outs:
                self.producer[o] = p
            if src in self.binary:
                self.binary.update(outs)
            del self.tensors[src]
            return
        outs = [self.tensor(v, node) for v in outs_v]
        reads = (src, *(self.tensor(v, node) for v in idx if not fixed))
        self.add(Op(name, "copy", reads, tuple(outs), tags={**tags, "part": t.lower()}))
        self._mark(node, [src], outs)

    def _only_reader(self, src: str, node) -> bool:
        """Whether ``node`` is the only node that reads IR tensor ``src`` (under any of its ONNX
        names: a view's reader reads it too) and it is no graph output."""
        names = [v for v, a in self.alias.items() if a == src] + [src]
        if any(v in self.outputs for v in names):
            return False
        views = sum(1 for a in self.alias.values() if a == src)  # each made by a node reading it
        return sum(self.consumers.get(v, 0) for v in names) - views == 1

    def _embedding(self, node, name, attrs, tags) -> None:
        """``Gather`` of an initializer along axis 0: an embedding lookup reads the rows its
        ids name (as the tracer's :func:`.trace.bags.gather_rows` with no index values: every id a
        distinct row, its own whole lines of 64 B, each row one random access; tag
        ``table_bytes``: a level where streaming the table is cheaper charges that); along
        another axis, a copy of the table."""
        tab_v, idx_v = node.input[0], node.input[1]
        dims = self.shape(tab_v, node)
        out = self.tensor(node.output[0], node)
        idx = () if idx_v in self.const or idx_v in self.values else (self.tensor(idx_v, node),)
        ids = self.values[idx_v].size if idx_v in self.values else \
            math.prod(self.shape(idx_v, node)) if idx_v in self.info or idx_v in self.inits else 1
        if int(attrs.get("axis", 0) or 0) % len(dims) != 0 or len(dims) < 2:
            table = self.tensor(tab_v, node)
            self.add(Op(name, "copy", (table, *idx), (out,), tags={**tags, "part": "gather"}))
            return
        rows, row = min(int(ids), dims[0]), math.prod(dims[1:])
        dt = self._dtype(int(self.inits[tab_v].data_type), f"initializer '{tab_v}'")
        row_bytes, size = row * int(DTYPE_BYTES[dt]), int(DTYPE_BYTES[dt])
        whole = dims[0] * row_bytes
        # each row its own whole lines (ids spread over the table), all the table's at most
        lines = rows * -(-row_bytes // LINE)
        fetched, accesses = (lines * LINE, rows) if lines * LINE < whole else (whole, 1)
        table = self.tensor(tab_v, node) if fetched == whole or self.consumers.get(tab_v) != 1 else None
        if table is None:  # the lines read: its own weight tensor, the rest said (unread_parameters)
            full = self.ir(tab_v)
            table = f"{full}[part]"
            self.tensors[table] = Tensor(table, (fetched // size,), dt, "weight")
            self.unread.append({"name": full, "shape": list(dims), "dtype": dt,
                                "bytes": whole - fetched, "read_bytes": fetched,
                                "parameter_bytes": whole})
        if init_bit(self, tab_v):  # rows of a 0/1 table (torch.eye(C)[tok]): 0/1 (rule 9)
            self.binary.add(out)
        self.add(Op(name, "copy", (table, *idx), (out,), tags={
            **tags, "part": "gather", "access_bytes": fetched / accesses, "lookups": int(ids),
            "rows_read": rows, "table_rows": dims[0], "random_read_bytes": fetched,
            "table_bytes": whole}))

    def _resize(self, node, name, attrs, tags, data, outs) -> None:
        """``Resize`` as ``F.interpolate``: nearest a copy; linear / cubic per output element a
        weighted sum of 2 / 4 taps a resized dimension (:mod:`.trace.resample`)."""
        mode = _mode(node)
        if mode == "nearest":
            self.add(Op(name, "copy", tuple(data), tuple(outs), tags=tags))
            return
        d = min(max(len(self.tensors[outs[0]].shape) - 2, 1), 3)  # the resized (spatial) dimensions
        taps = INTERPOLATIONS["upsample_bicubic2d" if mode == "cubic" else "upsample_linear1d"][1]
        ope = _weighted_sum(taps ** d, 1)
        self.add(Op(name, "reduction", tuple(data), tuple(outs), ops_per_element=ope, tags=tags))

    # ------------------------------------------------------------------ products
    def _emit_matmul(self, node, name, a, b, batch, m, k, n, weight, bias, tags, scales=0) -> None:
        """The matmul, then its bias (and ``alpha`` / ``beta`` multiplies) as its own op."""
        out = self.tensor(node.output[0], node)
        where = SimpleNamespace(name=name, read_as=None, tags={"module": tags["module"]})
        a = _operand(self.ops, self.tensors, where, [a], batch * m * k, "A", False)
        one = weight is not None
        b = _operand(self.ops, self.tensors, where, [b], k * n if one else batch * k * n, "B", one)
        if weight is not None:
            tags["weight_name"] = weight
            if a in self.binary:  # spikes: 0/1 inputs (:mod:`.trace.binary`)
                tags["input_value_bits"] = 1
        if bias is None and not scales:
            op = self.add(Op(name, "matmul", (a, b), (out,), m=m, k=k, n=n, batch=batch,
                             weight=b if one else None, tags=tags))
            if one:
                self.mm_of[out] = op
            return
        mm_out = f"{out}.mm"
        self.tensors[mm_out] = Tensor(mm_out, self.tensors[out].shape, self.tensors[out].dtype, "activation")
        tags["launch"] = name
        self.add(Op(name, "matmul", (a, b), (mm_out,), m=m, k=k, n=n, batch=batch,
                    weight=b if one else None, tags=tags))
        self._bias(node, name, mm_out, out, bias, n, tags, scales)

    def _bias(self, node, name, src, out, bias, n, tags, scales=0) -> None:
        ins = (src,) if bias is None else (src, self.tensor(bias, node))
        epi = {"epilogue": "bias"} if bias is not None and not scales \
            and self.tensors[ins[1]].numel == n else {}
        ope = None if not scales else float((bias is not None) + scales)
        self.add(Op(f"{name}.add_bias" if bias is not None else f"{name}.scale", "elementwise",
                    ins, (out,), fn="add" if bias is not None else "mul", ops_per_element=ope,
                    tags={"launch": name, "module": tags["module"], **epi}))

    def _matmul(self, node, name, attrs, tags) -> None:
        a_v, b_v = node.input[0], node.input[1]
        a, b = self.tensor(a_v, node), self.tensor(b_v, node)
        sa, sb = self.shape(a_v, node), self.shape(b_v, node)  # as the node reads them (a view's)
        out = self.shape(node.output[0], node)
        wa, wb = self.tensors[a].role == "weight", self.tensors[b].role == "weight"
        for v, w in ((a_v, wa), (b_v, wb)):
            if w and self.ir(v) != self.alias.get(v, v):  # an exporter's onnx::MatMul_N, renamed
                tags["onnx_weight"] = self.alias.get(v, v)
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
        if g > 1 and cin == g:  # one input channel a group: a host runs it as a direct kernel
            tags["depthwise"] = 1
        if math.prod(sx) != g * m * k:  # im2col: each output position reads its window
            cols = f"{name}.im2col"
            self.tensors[cols] = Tensor(cols, (g * m * k,), self.tensors[x].dtype, "activation")
            self.add(Op(cols, "copy", (x,), (cols,), tags={"part": "im2col", "module": tags["module"],
                                                          "launch": name}))
            # inputs read once per kernel row (hardware that reuses them across the window)
            tags["window_elems"] = int(N * cin * math.prod(out[2:-1]) * math.prod(sw[2:-1]) * sx[-1])
            tags["launch"] = name
            if x in self.binary:  # windows of spikes are spikes (and padding zeros)
                self.binary.add(cols)
            x = cols
        weight = w if g == 1 and self.tensors[w].role == "weight" else None
        bias = node.input[2] if len(node.input) > 2 and node.input[2] else None
        self._emit_matmul(node, name, x, w, g, m, k, n, weight, bias, tags)

    def _conv_transpose(self, node, name, attrs, tags) -> None:
        """A transposed convolution as the tracer's (:mod:`.trace.convs`): a matmul of every
        input position by C_in/groups x C_out/groups x kernel, then a col2im sum of the
        overlapping windows (none where they tile the output: kernel = stride, no padding)."""
        x, w = self.tensor(node.input[0], node), self.tensor(node.input[1], node)
        sx, sw = self.shape(node.input[0], node), self.shape(node.input[1], node)
        out_shape = self.shape(node.output[0], node)
        g = int(attrs.get("group", 1))
        kern = sw[2:]
        m, k, n = sx[0] * math.prod(sx[2:]), sx[1] // g, sw[1] * math.prod(kern)
        nd = len(kern)
        st, dl = attrs.get("strides") or [1] * nd, attrs.get("dilations") or [1] * nd
        direct = (math.prod(out_shape) == g * m * n and not any(attrs.get("pads") or [])
                  and not any(attrs.get("output_padding") or [])
                  and all(d * (kk - 1) + 1 <= s for kk, s, d in zip(kern, st, dl)))
        weight = w if g == 1 and self.tensors[w].role == "weight" else None
        bias = node.input[2] if len(node.input) > 2 and node.input[2] else None
        tags["part"] = "conv"
        if weight is not None:
            tags["weight_name"] = weight
        out = self.tensor(node.output[0], node)
        prod = out if direct and bias is None else f"{out}.cols"
        summed = out if bias is None else f"{out}.sum"
        for t, shape in ((prod, (g * m * n,)), (summed, self.tensors[out].shape)):
            if t != out:
                self.tensors[t] = Tensor(t, shape, self.tensors[out].dtype, "activation")
        # no window overlapping another (direct): the products are the output
        self.add(Op(name, "matmul", (x, w), (prod,), m=m, k=k, n=n, batch=g, weight=weight, tags=tags))
        if not direct:  # col2im: the overlapping windows summed
            self.add(Op(f"{name}.col2im", "reduction", (prod,), (summed,),
                        tags={"part": "col2im", "module": tags["module"]}))
        if bias is not None:  # its own op, as the tracer's (not in the matmul's launch)
            self.add(Op(f"{name}.add_bias", "elementwise", (summed if not direct else prod,
                                                             self.tensor(bias, node)), (out,), fn="add",
                        tags={"module": tags["module"]}))

    def _einsum(self, i, node, name, attrs, tags) -> None:
        """A two-operand ``Einsum`` whose every index is kept or contracted by both operands:
        a batched matmul (batch: the indices of both operands and the output; k: those of both
        only); any other, unmapped."""
        eq = attrs.get("equation") or b""
        eq = (eq.decode() if isinstance(eq, bytes) else str(eq)).replace(" ", "")
        lhs, arrow, rhs = eq.partition("->")
        ops_ = lhs.split(",")
        if len(ops_) != 2 or "." in eq or len([v for v in node.input if v]) != 2:
            return self._unknown(i, node, f"Einsum '{eq}' (two operands, no ellipsis, are mapped)", name)
        la, lb = ops_
        if not arrow:
            rhs = "".join(sorted(c for c in la + lb if (la + lb).count(c) == 1))
        a_v, b_v = node.input[0], node.input[1]
        size = dict(zip(la, self.shape(a_v, node))) | dict(zip(lb, self.shape(b_v, node)))
        batch = [c for c in rhs if c in la and c in lb]
        ms, ns = [c for c in rhs if c in la and c not in lb], [c for c in rhs if c in lb and c not in la]
        ks = [c for c in la if c in lb and c not in rhs]
        if len(set(la)) != len(la) or len(set(lb)) != len(lb) or \
                sorted(batch + ms + ns + ks) != sorted(set(la + lb)):
            return self._unknown(i, node, f"Einsum '{eq}' (an index summed over one operand only)", name)
        B, M, K, N = (math.prod(size[c] for c in cs) for cs in (batch, ms, ks, ns))
        a, b = self.tensor(a_v, node), self.tensor(b_v, node)
        wa, wb = self.tensors[a].role == "weight", self.tensors[b].role == "weight"
        if B == 1 and wa and not wb:  # W first: the product transposed, W stationary
            return self._emit_matmul(node, name, b, a, 1, N, K, M, a, None, tags)
        self._emit_matmul(node, name, a, b, B, M, K, N, b if wb and B == 1 else None, None, tags)


def _where(node, i: int | None = None) -> str:
    at = f" (#{i})" if i is not None else ""
    return f"node '{node.name}'{at}" if node.name else f"unnamed {node.op_type} node{at or ''}"


def _mode(node) -> str:
    m = next((a.s for a in node.attribute if a.name == "mode"), b"nearest")
    return m.decode() if isinstance(m, bytes) else str(m)


def _key(value, name: str):
    return repr(value.tolist()) if value is not None else name


def _attr(a):
    """An ONNX attribute's value (ints, floats, a string; else None)."""
    from onnx import helper

    try:
        return helper.get_attribute_value(a)
    except Exception:  # a graph or an unknown type: not read
        return None
