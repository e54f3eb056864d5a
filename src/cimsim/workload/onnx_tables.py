"""The ONNX op types the import maps (:mod:`.onnx_lower` lowers them), what each is for the
tracer, and the names the exporter gives bias-free Linear weights, recovered."""

from __future__ import annotations

import math
import re

from .trace.aten import EVAL_BATCH_NORM_OPS_PER_ELEMENT, NORM_OPS_PER_ELEMENT

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
    "Abs": "abs", **dict.fromkeys(("Floor", "Ceil", "Round"), "round"), "Sign": "sign",
    **dict.fromkeys(("Where", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual",
                     "IsNaN", "IsInf"), "where"),
    **dict.fromkeys(("Not", "And", "Or", "Xor"), "bitwise"),
    "Pow": "pow", **dict.fromkeys(("Exp", "Elu", "Selu", "Celu"), "exp"), "Log": "log",
    "Sqrt": "sqrt", **dict.fromkeys(("Sigmoid", "HardSigmoid"), "sigmoid"),
    **dict.fromkeys(("Tanh", "Sin", "Cos", "Tan", "Atan", "Asin", "Acos", "Sinh", "Cosh"), "tanh"),
    "Gelu": "gelu", **dict.fromkeys(("HardSwish", "Mish"), "silu"), "Erf": "erf",
    "Softplus": "softplus",
}
#: free: the output is its input (``Expand``: a stride-0 view, read as its source, as torch's)
VIEWS = {"Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Dropout", "Expand"}
NO_DATA = {"Constant", "Shape", "Size", "ConstantOfShape", "Range"}
SOFTMAXES = {"Softmax", "LogSoftmax"}
#: norms -> vector ops per element of the normalised output (:mod:`.trace.aten`'s constants)
NORMS = {"LayerNormalization": NORM_OPS_PER_ELEMENT, "InstanceNormalization": NORM_OPS_PER_ELEMENT,
         "GroupNormalization": NORM_OPS_PER_ELEMENT, "BatchNormalization": EVAL_BATCH_NORM_OPS_PER_ELEMENT}
REDUCTIONS = {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL2",
              "ReduceL1", "ReduceSumSquare", "ReduceLogSumExp", "ArgMax", "ArgMin",
              "GlobalAveragePool", "GlobalMaxPool", "CumSum"}
POOLS = {"MaxPool", "AveragePool", "LpPool"}
COPIES = {"Concat", "Pad", "Tile"}
#: read a part of their first input (``Gather`` of an initializer: an embedding lookup)
PARTS = {"Slice", "Split", "Gather"}
RESIZES = {"Resize", "Upsample"}
RECURRENT = {"LSTM", "GRU", "RNN"}
#: op types that multiply: kept unmapped (``--allow-unknown``), their MACs are not counted, so
#: the share of MACs mapped is unknown (``mapped_mac_share`` null)
MAC_TYPES = {"MatMulInteger", "QLinearMatMul", "QLinearConv", "ConvInteger", "DeformConv", "Einsum",
             "Attention", "MultiHeadAttention", "FusedMatMul", "QAttention", "QGemm",
             "DynamicQuantizeMatMul", "MatMulNBits", "GemmFastGelu", "MatMulIntegerToFloat"}
#: ONNX op -> the aten op it lowers like, for :mod:`.trace.binary`'s value rules
ATEN_OF = {"Cast": "_to_copy", "Concat": "cat", "Tile": "tile", "Gather": "index", "Slice": "narrow_copy",
           "Split": "narrow_copy", "MaxPool": "max_pool2d", "Where": "where"}
SUPPORTED = sorted({"Gemm", "MatMul", "Conv", "ConvTranspose", "Einsum", "Cast", *ELEMENTWISE, *VIEWS,
                    *SOFTMAXES, *NORMS, *REDUCTIONS, *POOLS, *COPIES, *PARTS, *RESIZES, "OneHot",
                    "ScatterElements"})
#: the mapped types an error names (the pointwise ops, views and reductions as such)
NAMED = ("MatMul, Gemm, Conv, ConvTranspose, Einsum (two operands), Gather, Slice, Split, Cast, "
         "Resize, Concat, Pad, Tile, OneHot, ScatterElements, Softmax, the norms, pools, reductions, "
         "views and pointwise ops")
#: a constant this small keeps its values (an index, a 0 or 1 of ``Where``)
SMALL = 64


def small_value(t):
    """The values of ONNX tensor ``t`` as a numpy array when it has at most :data:`SMALL`
    elements and numpy_helper reads its type, else None."""
    from onnx import numpy_helper

    if math.prod(t.dims) > SMALL:
        return None
    try:
        return numpy_helper.to_array(t)
    except Exception:  # a type numpy_helper does not read: no value kept
        return None


def weight_names(graph, inits) -> dict[str, str]:
    """The exporter's names of bias-free Linear weights (``onnx::MatMul_164``: the transposed
    weight, constant-folded) -> the tracer's, from the module path of the node reading it
    (``/blocks.0/q/A/MatMul`` -> ``blocks.0.q.A.weight``; read by the module called again,
    ``fc1_1``, ``fc1_2``: still ``fc1.weight``). Not where another node reads it, where the
    name is taken, or where the module is one called again whose weight is an initializer
    already (``fc_2`` of ``fc``: the exporter's transposed copy)."""
    readers: dict[str, list] = {}
    same = {nd.output[0]: nd.input[0] for nd in graph.node if nd.op_type == "Identity"}  # the exporter's
    for nd in graph.node:
        for v in nd.input if nd.op_type != "Identity" else ():
            while v in same:
                v = same[v]
            readers.setdefault(v, []).append(nd)
    taken, out = set(inits), {}
    for v, nds in readers.items():
        if not v.startswith("onnx::") or v not in inits \
                or any(nd.op_type not in ("MatMul", "Gemm") for nd in nds):
            continue
        mod = module(nds[0])
        base = _AGAIN.match(mod)
        if not mod or (base and f"{base.group(1)}.weight" in inits) or f"{mod}.weight" in taken:
            continue
        if all(module(nd) == mod or (_AGAIN.match(module(nd)) or [None, None])[1] == mod for nd in nds):
            out[v] = f"{mod}.weight"
            taken.add(out[v])
    return out


#: a module called again, as the exporter names it (``fc1_2``: the third call of ``fc1``)
_AGAIN = re.compile(r"^(.*)_\d+$")


def module(node) -> str:
    """The module path of a node exported by torch (``/blocks.0/q/MatMul`` -> ``blocks.0.q``)."""
    return ".".join(node.name.strip("/").split("/")[:-1])
