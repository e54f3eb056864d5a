"""ONNX import of graphs built with onnx.helper, no torch (review17-6 F1, F2's MAC share, F3, F4,
F8, F9, F10): external data never read (present or missing), unmapped multiplying ops leave the
mapped-MAC share unknown, --allow-unknown on multi-output nodes and scalar operands, 0-d tensors
as (1,), --dim recorded and given once, the ONNX file check, the message without onnx."""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner

from cimsim.cli import main

onnx = pytest.importorskip("onnx")
np = pytest.importorskip("numpy")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def _model(nodes, inputs, outputs, inits=(), opset=17):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
                          [helper.make_tensor_value_info(n, t, s) for n, t, s in outputs], list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


N = 256


def _two_matmuls():
    w1 = numpy_helper.from_array(np.ones((N, N), np.float32), "fc1.weight")
    w2 = numpy_helper.from_array(np.ones((N, 16), np.float32), "fc2.weight")
    return _model([helper.make_node("MatMul", ["x", "fc1.weight"], ["h"], name="/fc1/MatMul"),
                   helper.make_node("Relu", ["h"], ["r"], name="/act/Relu"),
                   helper.make_node("MatMul", ["r", "fc2.weight"], ["y"], name="/fc2/MatMul")],
                  [("x", TensorProto.FLOAT, [4, N])], [("y", TensorProto.FLOAT, [4, 16])], [w1, w2])


@pytest.mark.parametrize("keep_data", [True, False])
def test_external_data_is_not_read_and_a_missing_file_is_said(tmp_path, keep_data):
    p = tmp_path / "big.onnx"
    onnx.save_model(_two_matmuls(), str(p), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="big.onnx.data", size_threshold=1024)
    data = tmp_path / "big.onnx.data"
    assert data.stat().st_size == (N * N + N * 16) * 4
    if not keep_data:
        data.unlink()  # the .onnx copied without its weights: they are not needed
    out = tmp_path / "big.json"
    r = _cli("trace", "--onnx", p, "-o", out)
    assert r.exit_code == 0, r.output
    w = json.loads(out.read_text())
    assert w["metadata"]["onnx_external_data"] == [{"file": "big.onnx.data", "present": keep_data}]
    missing = ", which is not beside big.onnx" if not keep_data else ""
    assert (f"note: the weights are in the external data file big.onnx.data{missing}; the import "
            "reads only their shapes") in r.output
    assert f"{4 * N * N + 4 * N * 16:,} MACs" in r.output  # 278,528


def test_embedded_weights_keep_their_shapes_after_the_bytes_are_dropped(tmp_path):
    from cimsim import trace_onnx

    p = tmp_path / "emb.onnx"
    onnx.save_model(_two_matmuls(), str(p))  # the weights inside the file
    w = trace_onnx(p)
    assert w.macs == 4 * N * N + 4 * N * 16 and w.weight_bytes == (N * N + N * 16) * 4
    assert "onnx_external_data" not in w.metadata


def _qmatmul(tmp_path):
    """A MatMulInteger (an int8 product): a type that multiplies, not mapped."""
    a = numpy_helper.from_array(np.ones((8, 16), np.int8), "W")
    p = tmp_path / "mmi.onnx"
    onnx.save_model(_model([helper.make_node("MatMulInteger", ["x", "W"], ["y"], name="/fc/MatMulInteger")],
                           [("x", TensorProto.INT8, [4, 8])], [("y", TensorProto.INT32, [4, 16])], [a]), str(p))
    return p


def test_an_unmapped_op_that_multiplies_leaves_the_mac_share_unknown(tmp_path):
    p, out = _qmatmul(tmp_path), tmp_path / "m.json"
    r = _cli("trace", "--onnx", p, "-o", out, "--allow-unknown")
    assert r.exit_code == 0, r.output
    assert "100.0% of MACs mapped" not in r.output
    assert "mapped MAC share unknown (1 unmapped op(s) of a type that multiplies" in r.output
    meta = json.loads(out.read_text())["metadata"]
    assert meta["mapped_mac_share"] is None and meta["unmapped_multiplying_ops"] == 1
    r = _cli("run", "cpu-ddr5", out)
    assert r.exit_code == 0, r.output
    assert "1 imported ONNX node(s) of types cimsim has no mapping for (MatMulInteger)" in r.output
    assert "FLOP" not in r.output


def test_allow_unknown_keeps_every_output_and_skips_scalar_operands(tmp_path):
    """F3: a TopK whose indices a later op reads, and a QuantizeLinear with 0-d scale and zero
    point, kept with --allow-unknown."""
    s = numpy_helper.from_array(np.array(0.1, np.float32), "s")
    z = numpy_helper.from_array(np.array(0, np.int8), "z")
    k = numpy_helper.from_array(np.array([2], np.int64), "k")
    p = tmp_path / "u.onnx"
    onnx.save_model(_model([helper.make_node("TopK", ["x", "k"], ["v", "i"], name="/TopK", axis=1),
                            helper.make_node("Cast", ["i"], ["f"], name="/Cast", to=TensorProto.FLOAT),
                            helper.make_node("Add", ["v", "f"], ["y"], name="/Add"),
                            helper.make_node("QuantizeLinear", ["y", "s", "z"], ["q"], name="/q")],
                           [("x", TensorProto.FLOAT, [3, 8])], [("q", TensorProto.INT8, [3, 2])],
                           [s, z, k]), str(p))
    r = _cli("trace", "--onnx", p, "-o", tmp_path / "u.json")
    assert r.exit_code == 1 and "node '/TopK' (#0): ONNX op type 'TopK' has no cimsim mapping" in r.output
    assert "(mapped: MatMul, Gemm, Conv, ConvTranspose," in r.output
    r = _cli("trace", "--onnx", p, "-o", tmp_path / "u.json", "--allow-unknown")
    assert r.exit_code == 0, r.output
    w = json.loads((tmp_path / "u.json").read_text())
    ops = {o["name"]: o for o in w["ops"]}
    assert ops["TopK"]["outputs"] == ["v", "i"]  # both outputs: the Cast reads the indices
    assert ops["q"]["inputs"] == ["y"]  # the 0-d scale and zero point are no tensors
    assert [u["op"] for u in w["metadata"]["unknown_ops"]] == ["TopK", "QuantizeLinear"]


def test_a_scalar_input_is_a_one_element_tensor(tmp_path):
    """F4: softmax(x @ W / t) with a 0-d temperature t, and a mean to a scalar."""
    from cimsim import trace_onnx

    w = numpy_helper.from_array(np.ones((16, 8), np.float32), "fc.weight")
    p = tmp_path / "t.onnx"
    onnx.save_model(_model([helper.make_node("MatMul", ["x", "fc.weight"], ["h"], name="/fc/MatMul"),
                            helper.make_node("Div", ["h", "t"], ["d"], name="/Div"),
                            helper.make_node("Softmax", ["d"], ["y"], name="/Softmax", axis=-1),
                            helper.make_node("ReduceMean", ["y"], ["m"], name="/Mean", keepdims=0)],
                           [("x", TensorProto.FLOAT, [2, 16]), ("t", TensorProto.FLOAT, [])],
                           [("m", TensorProto.FLOAT, [])], [w]), str(p))
    wl = trace_onnx(p)
    assert wl.macs == 2 * 16 * 8  # 256
    assert wl.tensors["t"].shape == (1,) and wl.tensors["m"].shape == (1,)


def test_dims_are_recorded_and_given_once(tmp_path):
    """F8: --dim values are the workload's params (a sweep's workload.batch column); one
    dimension given twice is refused, not the last one silently taken."""
    w1 = numpy_helper.from_array(np.ones((8, 4), np.float32), "fc.weight")
    p = tmp_path / "dyn.onnx"
    onnx.save_model(_model([helper.make_node("MatMul", ["x", "fc.weight"], ["y"], name="/fc/MatMul")],
                           [("x", TensorProto.FLOAT, ["batch", 8])], [("y", TensorProto.FLOAT, ["batch", 4])],
                           [w1]), str(p))
    r = _cli("trace", "--onnx", p, "-o", tmp_path / "d.json", "--dim", "batch=4", "--dim", "batch=2")
    assert r.exit_code == 2 and "--dim batch is given twice (4 and 2)" in r.output
    r = _cli("trace", "--onnx", p, "-o", tmp_path / "d.json", "--dim", "batch=4")
    assert r.exit_code == 0, r.output
    assert f"{4 * 8 * 4:,} MACs" in r.output
    assert "the first example input's leading dimension is 4" in r.output and "--batch N" in r.output
    meta = json.loads((tmp_path / "d.json").read_text())["metadata"]
    assert meta["params"] == {"batch": 4}
    from cimsim.sweep.shape import GENERATOR, shape_of

    assert shape_of(meta) == {GENERATOR: f"onnx:{p}", "batch": 4}  # a sweep's workload.batch


def test_onnx_detection_by_bytes_and_by_name(tmp_path):
    """F9: model_version (field 5) is a varint, tag 0x28; a text file named .onnx is no ONNX
    model; an empty .onnx says so."""
    from cimsim.workload.io import looks_like_onnx

    m = _two_matmuls()
    m.model_version = 3
    for f in ("producer_name", "producer_version", "domain"):
        m.ClearField(f)
    raw = m.SerializeToString()
    assert raw[2] == 0x28 and looks_like_onnx(raw, "mv.bin")
    assert not looks_like_onnx(b"hello world", "h.onnx")
    (tmp_path / "h.onnx").write_text("hello world")
    r = _cli("run", "cpu-ddr5", tmp_path / "h.onnx")
    assert r.exit_code == 1 and "an ONNX model" not in r.output
    (tmp_path / "e.onnx").write_bytes(b"")
    r = _cli("trace", "--onnx", tmp_path / "e.onnx", "-o", tmp_path / "e.json")
    assert r.exit_code == 1 and r.output.strip().endswith("e.onnx: an empty file, not an ONNX model")


def test_without_onnx_one_line_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx raises ImportError
    p = tmp_path / "m.onnx"
    p.write_bytes(b"\x08\x07")
    r = _cli("trace", "--onnx", p, "-o", tmp_path / "m.json")
    assert r.exit_code == 1 and r.output.strip() == (
        "Error: reading an ONNX model needs the onnx package: pip install 'cimsim[onnx]'")


def test_trace_help_names_the_onnx_path():
    r = _cli("trace", "--help")
    assert r.exit_code == 0
    assert "Trace a PyTorch model, or import an ONNX model, into a cimsim workload." in r.output
    assert "needs the onnx extra only" in " ".join(r.output.split())
    r = _cli("--help")
    assert "import an ONNX model" in r.output


@pytest.mark.parametrize("e, per_element", [(2.0, 1), (0.5, 4), (3.0, 4)])
def test_a_pow_of_a_constant_initializer_exponent_takes_the_tracers_cost(tmp_path, e, per_element):
    # review18-2 item 4: the exponent as an initializer (a scalar), as exporters of an RMS norm
    # store it; a tensor exponent (a model input) keeps pow's 4
    from cimsim import trace_onnx
    from cimsim.workload.trace.fuse import vector_ops

    m = _model([helper.make_node("Pow", ["x", "e"], ["y"], name="/sq/Pow"),
                helper.make_node("Pow", ["x", "t"], ["z"], name="/pw/Pow")],
               [("x", TensorProto.FLOAT, [4, 8]), ("t", TensorProto.FLOAT, [4, 8])],
               [("y", TensorProto.FLOAT, [4, 8]), ("z", TensorProto.FLOAT, [4, 8])],
               [numpy_helper.from_array(np.array(e, np.float32), "e")])
    onnx.save_model(m, str(tmp_path / "p.onnx"))
    w = trace_onnx(tmp_path / "p.onnx")
    sq, pw = (next(o for o in w.ops if o.name.startswith(n)) for n in ("sq", "pw"))
    assert vector_ops(sq, w.tensors) == per_element * 4 * 8
    assert vector_ops(pw, w.tensors) == 4 * 4 * 8


@pytest.mark.parametrize("op, per_in, per_out", [("ReduceL2", 2, 4), ("ReduceL1", 2, 0), ("ReduceSumSquare", 2, 0),
                                                 ("ReduceLogSumExp", 7, 5), ("ReduceMax", 1, 0)])
def test_a_math_reduction_costs_as_its_torch_equivalent(tmp_path, op, per_in, per_out):
    """1,000 rows of 3 reduced along axis 1, as the tracer costs torch's ``vector_norm`` (x², +;
    sqrt 4), ord 1 (|x|, +), ``(x * x).sum`` (×, +) and ``logsumexp`` (max, −, exp 4, +; log 4,
    + max): ReduceL2 3 x 2 + 4 = 10 a row, 10,000; ReduceMax stays a compare an element. Before,
    each was 3,000 (one op an input element)."""
    from cimsim import load_architecture, simulate, trace_onnx

    p = tmp_path / "r.onnx"
    onnx.save_model(_model([helper.make_node(op, ["x"], ["y"], name=f"/{op}", axes=[1], keepdims=0)],
                           [("x", TensorProto.FLOAT, [1000, 3])], [("y", TensorProto.FLOAT, [1000])]), str(p))
    t = simulate(load_architecture("cpu-ddr5"), trace_onnx(p)).op_table
    assert t.vector_ops.sum() == per_in * 3000 + per_out * 1000
