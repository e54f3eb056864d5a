"""ONNX import (find-O 1): `cimsim trace --onnx FILE.onnx` / `cimsim.trace_onnx` against the
closed-form MACs and weight bytes of small torch models exported with torch.onnx.export (offline,
the TorchScript exporter), and against `cimsim.trace` of the same modules; the one-line refusals
(an unmapped op type, LSTM, a symbolic dimension without --dim, an .onnx file given to `run`).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cimsim import load_architecture, simulate
from cimsim.cli import main

pytestmark = pytest.mark.torch
onnx = pytest.importorskip("onnx")
torch = pytest.importorskip("torch")
nn = torch.nn


def _export(model, x, path, **kw):
    import warnings

    with warnings.catch_warnings():  # the TorchScript exporter's deprecation notice
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (x,), str(path), dynamo=False, **kw)
    return path


def _both(model, x, tmp_path):
    from cimsim import trace, trace_onnx

    w = trace_onnx(_export(model, x, tmp_path / "m.onnx"))
    return w, trace(model.eval(), (x,))


def _mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def test_mlp_macs_weights_and_run_equal_closed_form_and_trace(tmp_path):
    w, t = _both(_mlp(), torch.randn(8, 784), tmp_path)
    assert w.macs == t.macs == 8 * 784 * 256 + 8 * 256 * 10  # 1,626,112
    assert w.weight_bytes == t.weight_bytes == (784 * 256 + 256 + 256 * 10 + 10) * 4  # 814,120 B
    # the bias add + ReLU fuse as the tracer's do: the same ops, so the same run
    assert [(o.kind, o.m, o.k, o.n, o.fn) for o in w.ops] == [(o.kind, o.m, o.k, o.n, o.fn) for o in t.ops]
    assert [o.tags.get("epilogue") for o in w.ops] == [None, "bias+relu", None, "bias"]
    arch = load_architecture("cpu-ddr5")
    a, b = simulate(arch, w), simulate(arch, t)
    assert a.latency_s == b.latency_s and a.energy_j == b.energy_j


def test_cnn_conv_pool_flatten_softmax(tmp_path):
    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(8, 16, 3, stride=2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                      nn.Linear(16, 10), nn.Softmax(-1))
    w, t = _both(m, torch.randn(2, 3, 16, 16), tmp_path)
    conv1 = 2 * 16 * 16 * 8 * (3 * 9)  # output positions x C_out x C_in x kernel
    conv2 = 2 * 3 * 3 * 16 * (8 * 9)  # (8 - 3) // 2 + 1 = 3 positions a side
    assert w.macs == t.macs == conv1 + conv2 + 2 * 16 * 10  # 131,648
    assert w.weight_bytes == t.weight_bytes == (8 * 27 + 8 + 16 * 72 + 16 + 16 * 10 + 10) * 4
    convs = [o for o in w.ops if o.tags.get("onnx") == "Conv"]
    assert [(o.m, o.k, o.n, o.weight) for o in convs] == [(512, 27, 8, "0.weight"), (18, 72, 16, "3.weight")]
    pool = next(o for o in w.ops if o.tags.get("onnx") == "MaxPool")
    assert pool.kind == "reduction" and pool.ops_per_element == 4  # a 2 x 2 window an output element
    assert [o.kind for o in w.ops].count("softmax") == 1


class _Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln, self.fc, self.fc2 = nn.LayerNorm(32), nn.Linear(32, 32, bias=False), nn.Linear(32, 16)

    def forward(self, x):
        h = self.ln(x)
        y = self.fc2(torch.sigmoid(self.fc(h)) * torch.tanh(h) + x)
        s = y @ y.transpose(1, 2)  # two activations: a batched product, no weight
        return torch.cat([y, y.transpose(1, 2).reshape(x.shape[0], -1, 16)], 1), s


def test_layernorm_3d_linear_batched_matmul_concat(tmp_path):
    w, t = _both(_Block(), torch.randn(2, 5, 32), tmp_path)
    assert w.macs == t.macs == 2 * 5 * 32 * 32 + 2 * 5 * 32 * 16 + 2 * 5 * 16 * 5  # 16,160
    assert w.weight_bytes == t.weight_bytes == (32 + 32 + 32 * 32 + 32 * 16 + 16) * 4  # 6,464 B
    bmm = next(o for o in w.ops if o.kind == "matmul" and o.weight is None)
    assert (bmm.batch, bmm.m, bmm.k, bmm.n) == (2, 5, 16, 5)
    ln = next(o for o in w.ops if o.kind == "layernorm")
    assert ln.ops_per_element == 8 and set(ln.inputs) >= {"ln.weight", "ln.bias"}
    bias = next(o for o in w.ops if o.tags.get("epilogue") == "bias")  # MatMul + Add(bias, .)
    assert bias.inputs[1] == "fc2.bias"


def test_depthwise_conv_is_a_batch_without_stationary_weight(tmp_path):
    m = nn.Conv2d(4, 4, 3, groups=4, bias=False)
    w, t = _both(m, torch.randn(1, 4, 6, 6), tmp_path)
    mm = next(o for o in w.ops if o.kind == "matmul")
    assert w.macs == t.macs == 4 * 4 * 4 * 9  # 16 positions x 4 channels x 9 taps = 576
    assert (mm.batch, mm.m, mm.k, mm.n, mm.weight) == (4, 16, 9, 1, None)
    # groups = C_in = 4: tagged depthwise, so a host runs it as a direct kernel (review18-6 #6):
    # on conftest's round machine the conv reads its 576 B input and 144 B of weights once and
    # writes its 256 B output; its im2col copy (2,304 B) moves nothing
    assert mm.tags["depthwise"] == 1 == t.ops[1].tags["depthwise"]
    from conftest import make_arch

    ops = simulate(make_arch(), w, keep_ops=True).op_table.set_index("op")
    conv = ops.loc[mm.name]
    assert conv["sram_bytes"] == 4 * 36 * 4 + 4 * 9 * 4 + 4 * 16 * 4 == 976
    assert ops["sram_bytes"].sum() == 976


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_cli_writes_the_workload_and_run_refuses_the_onnx_file(tmp_path):
    p = _export(_mlp(), torch.randn(8, 784), tmp_path / "mlp.onnx")
    out = tmp_path / "mlp.json"
    r = _cli("trace", "--onnx", p, "-o", out, "--batch", "8")
    assert r.exit_code == 0, r.output
    meta = json.loads(out.read_text())["metadata"]
    assert meta["batch"] == 8 and meta["traced_from"]["onnx"] == str(p) and len(meta["traced_from"]["sha256"]) == 64
    r = _cli("run", "cpu-ddr5", p)
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert r.output.strip().splitlines()[-1] == (
        f"Error: {p}: an ONNX model, not a workload file: use cimsim trace --onnx {p} -o "
        "WORKLOAD.json (trace_onnx in Python) and run that")
    r = _cli("trace", p, "-o", out)
    assert r.exit_code == 2 and "is an ONNX model: use cimsim trace --onnx" in r.output


class _TopK(nn.Module):
    def forward(self, x):
        return torch.topk(torch.relu(x), 2).values


def test_unmapped_op_refused_in_one_line_or_kept_with_allow_unknown(tmp_path):
    p = _export(_TopK(), torch.randn(3, 8), tmp_path / "topk.onnx")
    r = _cli("trace", "--onnx", p, "-o", tmp_path / "t.json")
    assert r.exit_code == 1 and "Traceback" not in r.output
    line = r.output.strip().splitlines()[-1]
    assert "node '/TopK' (#" in line and "ONNX op type 'TopK' has no cimsim mapping" in line
    r = _cli("trace", "--onnx", p, "-o", tmp_path / "t.json", "--allow-unknown")
    assert r.exit_code == 0, r.output
    assert "1 unknown op(s) kept as generic ops" in r.output
    meta = json.loads((tmp_path / "t.json").read_text())["metadata"]
    assert meta["unknown_ops"] == [{"op": "TopK", "node": "/TopK", "macs": None}]


def test_lstm_refused_with_the_way_forward(tmp_path):
    """Without h0 the export reads an Expand first: the LSTM is refused before it (review17-6 F5)."""
    p = _export(nn.LSTM(16, 32, batch_first=True), torch.randn(2, 4, 16), tmp_path / "lstm.onnx")
    r = _cli("trace", "--onnx", p, "-o", tmp_path / "l.json")
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "ONNX LSTM is not imported" in r.output and "cimsim trace FILE.py:FACTORY" in r.output


def test_symbolic_batch_needs_dim(tmp_path):
    p = _export(_mlp(), torch.randn(8, 784), tmp_path / "dyn.onnx", input_names=["x"],
                dynamic_axes={"x": {0: "batch"}})
    r = _cli("trace", "--onnx", p, "-o", tmp_path / "d.json")
    assert r.exit_code == 1
    assert "input 'x' has the symbolic dimension 'batch'" in r.output and "--dim batch=N" in r.output
    r = _cli("trace", "--onnx", p, "-o", tmp_path / "d.json", "--dim", "batch=4")
    assert r.exit_code == 0, r.output
    assert "1,626,112 MACs" not in r.output and f"{4 * 784 * 256 + 4 * 256 * 10:,} MACs" in r.output


def test_batch_warning_on_onnx_names_dim(tmp_path):
    """review18-6 #3a: --batch 8 over a batch-1 ONNX input advised --arg, which --onnx refuses;
    it names --dim there, on stderr."""
    p = _export(_mlp(), torch.randn(8, 784), tmp_path / "dyn.onnx", input_names=["x"],
                dynamic_axes={"x": {0: "batch"}})
    r = _cli("trace", "--onnx", p, "-o", tmp_path / "d.json", "--dim", "batch=1", "--batch", "8")
    assert r.exit_code == 0, r.output
    assert "warning:" not in r.stdout
    assert "(--dim NAME=8 for a symbolic batch dimension NAME, or export the model at batch 8)" in r.stderr
    assert "--arg" not in r.stderr


def test_not_an_onnx_file(tmp_path):
    p = tmp_path / "x.onnx"
    p.write_bytes(b"\x08\x07\x12\xff\xff\xff\xff")
    r = _cli("trace", "--onnx", p, "-o", tmp_path / "x.json")
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert r.output.strip().splitlines()[-1].startswith(f"Error: {p}: not an ONNX model (")
