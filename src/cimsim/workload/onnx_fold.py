"""Static shapes that ONNX's shape inference leaves unknown, computed by folding the graph's
shape arithmetic (:func:`fill_shapes`, called by :mod:`.onnx_import` after inference).

``onnx.shape_inference.infer_shapes(..., data_prop=True)`` propagates values through Shape,
Gather, Concat, Slice, Unsqueeze and a few arithmetic ops, but not through ConstantOfShape,
Equal, Where, Mod, Expand, Tile or Range. A PyTorch export of ``x.expand(n, -1, -1)`` (the CLS token
of an FT-Transformer or a ViT: ``self.cls.expand(x.shape[0], -1, -1)``) computes the shape as
``Where(Equal(shape, -1), ConstantOfShape(...), shape)``, so the Expand, and every value after it,
had no static shape although every graph input's was static: the import stopped at the next
node ("no static shape"). Here a copy of the model has each node whose inputs are all known
small values (constants, small initializers, the Shape or Size of a tensor of static shape)
evaluated with numpy and replaced by a Constant of its value, and shape inference runs again,
round after round, until nothing more folds; the static shapes found are copied into the
model's ``value_info``. The model's nodes are not changed: only shapes are added.
"""

from __future__ import annotations

import numpy as np

#: the most elements a folded value may hold (shape arithmetic is small; a folded
#: ConstantOfShape of an activation's size is not kept)
MAX_ELEMENTS = 4096
#: rounds of folding and inference (each round can resolve one more Shape of a new static shape)
ROUNDS = 8


def _static(v) -> tuple | None:
    tt = v.type.tensor_type
    if tt.HasField("shape") and all(d.HasField("dim_value") for d in tt.shape.dim):
        return tuple(int(d.dim_value) for d in tt.shape.dim)
    return None


def _shapes(graph) -> dict:
    return {v.name: s for v in (*graph.input, *graph.value_info, *graph.output)
            if (s := _static(v)) is not None}


def missing(graph) -> set[str]:
    """Node outputs without a static shape."""
    have = _shapes(graph)
    return {o for nd in graph.node for o in nd.output if o and o not in have}


def fill_shapes(onnx, model):
    """``model`` with the static shapes the folding finds added to its ``value_info`` (see the
    module docstring); unchanged where inference already gave every value one."""
    lost = missing(model.graph)
    if not lost:
        return model
    work = onnx.ModelProto()
    work.CopyFrom(model)
    for _ in range(ROUNDS):
        if not _fold(onnx, work.graph):
            break
        try:
            work = onnx.shape_inference.infer_shapes(work, data_prop=True)
        except Exception:  # noqa: BLE001 - what the folding gave inference refuses: keep the first
            return model
        if not missing(work.graph) & lost:
            break
    found = {v.name: v for v in (*work.graph.value_info, *work.graph.output)
             if v.name in lost and _static(v) is not None}
    if found:
        keep = [v for v in model.graph.value_info if v.name not in found]
        del model.graph.value_info[:]
        model.graph.value_info.extend(keep + [found[n] for n in sorted(found)])
    return model


def _known(onnx, graph) -> dict:
    from onnx import numpy_helper

    out = {}
    for t in graph.initializer:
        n = int(np.prod(t.dims)) if len(t.dims) else 1
        if n <= MAX_ELEMENTS:
            try:
                a = numpy_helper.to_array(t)
            except Exception:  # noqa: BLE001 - a type numpy does not read, or bytes dropped
                continue
            if a.size == n:
                out[t.name] = a
    return out


def _fold(onnx, graph) -> int:
    """Replace each node that evaluates to a small value by a Constant of it; how many."""
    from onnx import helper, numpy_helper

    vals, shapes, done = _known(onnx, graph), _shapes(graph), 0
    for i, nd in enumerate(list(graph.node)):
        try:
            got = _eval(helper, nd, vals, shapes)
        except Exception:  # noqa: BLE001 - anything numpy cannot do here stays for inference
            got = None
        if got is None:
            continue
        got = [np.asarray(g) for g in got]
        if any(g.size > MAX_ELEMENTS or g.dtype == object for g in got):
            continue
        vals.update(zip(nd.output, got))
        if nd.op_type != "Constant" and len(got) == 1:
            const = helper.make_node("Constant", [], [nd.output[0]], name=nd.name,
                                     value=numpy_helper.from_array(got[0]))
            graph.node.remove(graph.node[i])
            graph.node.insert(i, const)
            done += 1
    return done


def _attr(helper, nd, name, default=None):
    for a in nd.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def _eval(helper, nd, vals, shapes):
    """The outputs of ``nd`` from known values, or None."""
    from onnx import numpy_helper

    op, ins = nd.op_type, list(nd.input)
    if op == "Constant":
        t = _attr(helper, nd, "value")
        if t is not None:
            return [numpy_helper.to_array(t)]
        for k, dt in (("value_int", np.int64), ("value_ints", np.int64), ("value_float", np.float32),
                      ("value_floats", np.float32)):
            v = _attr(helper, nd, k)
            if v is not None:
                return [np.array(v, dtype=dt)]
        return None
    if op in ("Shape", "Size"):
        s = shapes.get(ins[0]) if ins[0] not in vals else vals[ins[0]].shape
        if s is None:
            return None
        if op == "Size":
            return [np.array(int(np.prod(s)), dtype=np.int64)]
        start, end = _attr(helper, nd, "start", 0), _attr(helper, nd, "end", None)
        return [np.array(s[start:end], dtype=np.int64)]
    if op not in _OPS or not all(v in vals for v in ins if v):
        return None
    x = [vals[v] if v else None for v in ins]
    return [_OPS[op](helper, nd, x)]


def _axes(helper, nd, x):
    a = _attr(helper, nd, "axes")
    return list(a) if a is not None else (None if len(x) < 2 or x[1] is None else x[1].tolist())


def _unsqueeze(helper, nd, x):
    out = x[0]
    axes = _axes(helper, nd, x)
    rank = out.ndim + len(axes)
    for a in sorted(a % rank for a in axes):
        out = np.expand_dims(out, a)
    return out


def _squeeze(helper, nd, x):
    axes = _axes(helper, nd, x)
    return np.squeeze(x[0]) if axes is None else np.squeeze(x[0], tuple(a % x[0].ndim for a in axes))


def _slice(helper, nd, x):
    data, starts, ends = x[0], x[1], x[2]
    axes = x[3] if len(x) > 3 and x[3] is not None else np.arange(len(starts))
    steps = x[4] if len(x) > 4 and x[4] is not None else np.ones(len(starts), dtype=np.int64)
    sl = [slice(None)] * data.ndim
    for s, e, a, st in zip(starts.tolist(), ends.tolist(), axes.tolist(), steps.tolist()):
        sl[a % data.ndim] = slice(s, e, st)
    return data[tuple(sl)]


def _reshape(helper, nd, x):
    shape = [int(d) for d in x[1].tolist()]
    if not _attr(helper, nd, "allowzero", 0):
        shape = [x[0].shape[i] if d == 0 else d for i, d in enumerate(shape)]
    return x[0].reshape(shape)


def _div(helper, nd, x):
    a, b = x
    if np.issubdtype(a.dtype, np.integer):
        return (np.trunc(a / b)).astype(a.dtype)  # ONNX's integer division truncates
    return a / b


def _cast(helper, nd, x):
    return x[0].astype(helper.tensor_dtype_to_np_dtype(_attr(helper, nd, "to")))


def _constant_of_shape(helper, nd, x):
    from onnx import numpy_helper

    t = _attr(helper, nd, "value")
    v = numpy_helper.to_array(t).reshape(-1)[0] if t is not None else np.float32(0)
    shape = tuple(int(d) for d in x[0].tolist())
    if int(np.prod(shape)) > MAX_ELEMENTS:
        raise ValueError("too large to fold")
    return np.full(shape, v, dtype=np.asarray(v).dtype)


def _expand(helper, nd, x):
    return np.broadcast_to(x[0], np.broadcast_shapes(x[0].shape, tuple(int(d) for d in x[1].tolist()))).copy()


_OPS = {
    "Identity": lambda h, nd, x: x[0],
    "Gather": lambda h, nd, x: np.take(x[0], x[1], axis=_attr(h, nd, "axis", 0)),
    "Concat": lambda h, nd, x: np.concatenate([v for v in x if v is not None], axis=_attr(h, nd, "axis", 0)),
    "Unsqueeze": _unsqueeze, "Squeeze": _squeeze, "Slice": _slice, "Reshape": _reshape, "Cast": _cast,
    "Add": lambda h, nd, x: x[0] + x[1], "Sub": lambda h, nd, x: x[0] - x[1],
    "Mul": lambda h, nd, x: x[0] * x[1], "Div": _div,
    "Mod": lambda h, nd, x: (np.fmod if _attr(h, nd, "fmod", 0) else np.mod)(x[0], x[1]),
    "Equal": lambda h, nd, x: np.equal(x[0], x[1]), "Less": lambda h, nd, x: np.less(x[0], x[1]),
    "Greater": lambda h, nd, x: np.greater(x[0], x[1]), "Not": lambda h, nd, x: np.logical_not(x[0]),
    "And": lambda h, nd, x: np.logical_and(x[0], x[1]), "Or": lambda h, nd, x: np.logical_or(x[0], x[1]),
    "Where": lambda h, nd, x: np.where(x[0], x[1], x[2]),
    "Min": lambda h, nd, x: np.minimum.reduce(x), "Max": lambda h, nd, x: np.maximum.reduce(x),
    "Abs": lambda h, nd, x: np.abs(x[0]), "Neg": lambda h, nd, x: -x[0],
    "ConstantOfShape": _constant_of_shape, "Expand": _expand,
    "Tile": lambda h, nd, x: np.tile(x[0], [int(r) for r in x[1].tolist()]),
    "Range": lambda h, nd, x: np.arange(x[0].item(), x[1].item(), x[2].item()).astype(x[0].dtype),
}
