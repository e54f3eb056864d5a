"""find-T 5: ONNX import of shapes that shape inference leaves unknown (the CLS token's Expand).

``x.expand(n, -1, -1)`` exports as Shape -> Gather -> Concat -> ConstantOfShape / Equal / Where
-> Expand, which ``onnx.shape_inference`` (even with ``data_prop``) leaves without a static
shape: the import stopped with "no static shape". :mod:`cimsim.workload.onnx_fold` folds the
shape arithmetic; a shape that really depends on data is one line naming it and the way out.
"""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from cimsim import WorkloadError, trace_onnx  # noqa: E402
from cimsim.workload.onnx_fold import fill_shapes, missing  # noqa: E402


def _info(name, shape, t=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, t, shape)


def _const(name, value):
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(value)))


def _save(tmp_path, nodes, inputs, inits=()):
    g = helper.make_graph(nodes, "g", inputs, [_info("out", None)], list(inits))
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def test_where_expand_tile_range_chain_folds_to_static_shapes(tmp_path):
    """A CLS token (1, 1, 4) expanded to the batch of x (2, 3, 4) by torch's export pattern
    (Where(Equal(shape, -1), ConstantOfShape(3) * -1 ... ) with shape [2, -1, -1]: (2, 1, 4)),
    then it and x tiled by Concat([1], Range(1, 3, 1)) = [1, 1, 2] (last axis doubled: (2, 1, 8)
    and (2, 3, 8)), concatenated along the tokens (2, 4, 8) and multiplied by W (8 x 5):
    2 x 4 x 8 x 5 = 320 MACs."""
    nodes = [
        helper.make_node("Shape", ["x"], ["sx"]), _const("i0", np.array(0, np.int64)),
        helper.make_node("Gather", ["sx", "i0"], ["n"], axis=0),
        _const("ax", np.array([0], np.int64)), helper.make_node("Unsqueeze", ["n", "ax"], ["n1"]),
        _const("m1", np.array([-1, -1], np.int64)), helper.make_node("Concat", ["n1", "m1"], ["shp"], axis=0),
        _const("three", np.array([3], np.int64)), helper.make_node("ConstantOfShape", ["three"], ["ones"],
                                                                   value=numpy_helper.from_array(np.array([1], np.int64))),
        _const("neg", np.array(-1, np.int64)), helper.make_node("Mul", ["ones", "neg"], ["negs"]),
        helper.make_node("Equal", ["shp", "negs"], ["eq"]), helper.make_node("Where", ["eq", "ones", "shp"], ["tgt"]),
        helper.make_node("Expand", ["cls", "tgt"], ["clsn"]),  # (2, 1, 4): no static shape before
        _const("r0", np.array(1, np.int64)), _const("r1", np.array(3, np.int64)),
        helper.make_node("Range", ["r0", "r1", "r0"], ["rep"]),  # [1, 2]
        _const("one", np.array([1], np.int64)), helper.make_node("Concat", ["one", "rep"], ["reps"], axis=0),
        helper.make_node("Tile", ["clsn", "reps"], ["clst"]),  # (2, 1, 8)
        helper.make_node("Tile", ["x", "reps"], ["xt"]),  # (2, 3, 8)
        helper.make_node("Concat", ["clst", "xt"], ["seq"], axis=1),  # (2, 4, 8)
        helper.make_node("MatMul", ["seq", "W"], ["out"]),
    ]
    inits = [numpy_helper.from_array(np.ones((1, 1, 4), np.float32), "cls"),
             numpy_helper.from_array(np.ones((8, 5), np.float32), "W")]
    path = _save(tmp_path, nodes, [_info("x", [2, 3, 4])], inits)
    model = onnx.shape_inference.infer_shapes(onnx.load(str(path)), data_prop=True)
    assert "clsn" in missing(model.graph)  # what inference alone leaves
    filled = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in fill_shapes(onnx, model).graph.value_info}
    assert (filled["clsn"], filled["clst"], filled["seq"]) == ([2, 1, 4], [2, 1, 8], [2, 4, 8])
    w = trace_onnx(path)
    assert sum(op.macs for op in w.ops if op.kind == "matmul") == 2 * 4 * 8 * 5


def test_torch_cls_token_expand_imports(tmp_path):
    """The FT-Transformer's ``self.cls.expand(x.shape[0], -1, -1)`` exported from torch: the
    linear after it reads (N, T + 1, 8) = (2, 4, 8) by 8 x 4: 2 x 4 x 8 x 4 = 256 MACs, as the
    PyTorch trace counts."""
    torch = pytest.importorskip("torch")

    class Cls(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.cls = torch.nn.Parameter(torch.zeros(1, 1, 8))
            self.lin = torch.nn.Linear(8, 4)

        def forward(self, x):
            return self.lin(torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1))

    path = tmp_path / "cls.onnx"
    x = torch.randn(2, 3, 8)
    torch.onnx.export(Cls(), (x,), str(path), dynamo=False, opset_version=17)
    w = trace_onnx(path, batch=2)
    assert sum(op.macs for op in w.ops if op.kind == "matmul") == 2 * 4 * 8 * 4
    from cimsim import trace

    assert sum(op.macs for op in trace(Cls(), (x,), batch=2).ops if op.kind == "matmul") == 256


def test_a_shape_from_data_names_the_tensor_and_the_way_out(tmp_path):
    """Reshape by an int64 graph input's values: no folding can know them; the error names
    the value and the node, and offers onnxsim, a constant export or the PyTorch trace."""
    nodes = [helper.make_node("Reshape", ["x", "s"], ["y"]), helper.make_node("MatMul", ["y", "W"], ["out"])]
    path = _save(tmp_path, nodes, [_info("x", [2, 3]), _info("s", [2], TensorProto.INT64)],
                 [numpy_helper.from_array(np.ones((3, 4), np.float32), "W")])
    with pytest.raises(WorkloadError, match=r"unnamed MatMul node: 'y' has no static shape: .* so it "
                       r"depends on the data; simplify the model \(python -m onnxsim in.onnx "
                       r"out.onnx\), export it with that shape a constant, or trace the PyTorch "
                       r"model instead \(cimsim trace FILE.py:FACTORY\)"):
        trace_onnx(path)
