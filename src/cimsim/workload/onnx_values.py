"""The ONNX import's one-hot forms (:mod:`.onnx_lower` calls these): ``OneHot`` and
``ScatterElements`` as the tracer lowers ``F.one_hot`` and ``scatter``, and which initializers
hold only 0 and 1 (``torch.eye``, a zeros or ones tensor), so that :mod:`.trace.binary`'s
rules 8 and 9 tag the same inputs in an imported model as in the traced one.

- ``OneHot(indices, depth, values)``: a copy reading the indices and writing the
  ``N x depth`` output (torch's ``zeros`` then ``scatter_``); 0/1 when ``values`` is [0, 1].
- ``ScatterElements(data, indices, updates)``: without ``reduction`` a copy reading the
  indices and updates (and ``data`` where it is a tensor) and writing the output, 0/1 when
  ``data`` and ``updates`` are (rule 8: a ``ConstantOfShape`` or initializer of zeros, ones);
  with ``reduction`` (add, mul, max, min) a reduction of one op an update element, as the
  tracer's ``scatter_add`` (:mod:`.trace.scatter`), never 0/1.
- a ``Gather`` of an initializer whose values are all 0 or 1 (``torch.eye(4)[tok]``,
  ``index_select``): 0/1 rows (rule 9).
"""

from __future__ import annotations

import math

from .ir import Op

#: an initializer up to this many elements is read for its values (0/1 or not)
MAX_READ = 1 << 22


def binary_inits(model) -> set[str]:
    """The initializers and ``Constant`` tensors (by the value name) of at most :data:`MAX_READ`
    elements whose values are all 0 or 1, read before the import drops the weights' bytes
    (their first 64 values first: a trained weight fails there, unread past them)."""
    from onnx import TensorProto, numpy_helper

    tensors = [(t.name, t) for t in model.graph.initializer]
    tensors += [(nd.output[0], a.t) for nd in model.graph.node if nd.op_type == "Constant"
                for a in nd.attribute if a.HasField("t")]
    out = set()
    for name, t in tensors:
        if t.data_location == TensorProto.EXTERNAL or not 0 < math.prod(t.dims) <= MAX_READ:
            continue
        try:
            a = numpy_helper.to_array(t).reshape(-1)
        except Exception:  # a type numpy_helper does not read
            continue
        if a.dtype.kind in "biuf" and all(bool(((p == 0) | (p == 1)).all()) for p in (a[:64], a)):
            out.add(name)
    return out


def init_bit(imp, v: str) -> bool:
    """Whether ONNX value ``v`` is an initializer or constant (:func:`binary_inits`) or a
    ``ConstantOfShape`` holding only 0 and 1."""
    if v in imp.__dict__.setdefault("fills", {}):
        return float(imp.fills[v]) in (0.0, 1.0)
    return imp.alias.get(v, v) in imp.__dict__.get("bits", ())


def constant_of_shape(imp, node) -> None:
    """Keep a ``ConstantOfShape``'s fill value (default 0) for :func:`init_bit`."""
    from .onnx_tables import small_value

    val = next((a.t for a in node.attribute if a.name == "value" and a.HasField("t")), None)
    small = small_value(val) if val is not None else None
    fill = 0.0 if val is None else float(small.reshape(-1)[0]) if small is not None and small.size else None
    if fill is not None:
        imp.__dict__.setdefault("fills", {})[node.output[0]] = fill


def lower(imp, node, name, attrs, tags) -> None:
    """``OneHot`` or ``ScatterElements`` (the module docstring)."""
    out = imp.tensor(node.output[0], node)
    if node.op_type == "OneHot":
        idx = node.input[0]
        reads = () if idx in imp.const else (imp.tensor(idx, node),)
        imp.add(Op(name, "copy", reads, (out,), tags={**tags, "part": "one_hot"}))
        vals = imp.values.get(node.input[2]) if len(node.input) > 2 else None
        if vals is not None and [float(x) for x in vals.reshape(-1).tolist()] == [0.0, 1.0]:
            imp.binary.add(out)
        return
    data, idx, upd = (node.input[j] for j in range(3))
    reads = tuple(dict.fromkeys(imp.tensor(v, node) for v in (data, idx, upd) if v and v not in imp.const))
    reduction = attrs.get("reduction", b"none")
    if reduction not in (b"none", "none"):
        n_upd = math.prod(imp.shape(upd, node))
        imp.add(Op(name, "reduction", reads, (out,), ops_per_element=n_upd / max(imp.tensors[out].numel, 1),
                   tags={**tags, "pool": "scatter"}))
        return
    imp.add(Op(name, "copy", reads, (out,), tags={**tags, "part": "scatter"}))
    if all(imp._bit(v) for v in (data, upd)):
        imp.binary.add(out)
