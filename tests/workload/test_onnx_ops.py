"""ONNX import of the node types torch exports that review17-6 F2 found refused (Gather, Slice,
Split, Cast, Expand, Resize, ConvTranspose, Einsum), against closed form and `cimsim.trace` of
the same module; F6 (graph outputs kept out of fusion); review17-8:
inputs resident only with --resident, spike inputs tagged input_value_bits 1, bias-free Linear
weights named after their module (cim.exclude)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cimsim import load_architecture, simulate
from cimsim.cli import main

pytestmark = pytest.mark.torch
onnx = pytest.importorskip("onnx")
torch = pytest.importorskip("torch")
nn, F = torch.nn, torch.nn.functional


def _export(model, x, path, **kw):
    import warnings

    with warnings.catch_warnings():  # the TorchScript exporter's deprecation notice
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), x if isinstance(x, tuple) else (x,), str(path), dynamo=False, **kw)
    return path


def _both(model, x, tmp_path, **kw):
    from cimsim import trace, trace_onnx

    w = trace_onnx(_export(model, x, tmp_path / "m.onnx", **kw))
    return w, trace(model.eval(), x if isinstance(x, tuple) else (x,))


def _sig(w):
    return [(o.kind, o.m, o.k, o.n, o.batch, o.fn, o.ops_per_element, o.tags.get("part"),
             o.tags.get("epilogue"), o.tags.get("input_value_bits")) for o in w.ops]


def _same_run(w, t, arch="cpu-ddr5"):
    a, b = simulate(load_architecture(arch), w), simulate(load_architecture(arch), t)
    assert (a.latency_s, a.energy_j) == (b.latency_s, b.energy_j)


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


class _Emb(nn.Module):
    def __init__(self):
        super().__init__()
        self.e, self.fc = nn.Embedding(100, 16), nn.Linear(16, 4)

    def forward(self, i):
        return self.fc(self.e(i))


def test_embedding_gathers_the_rows_it_reads(tmp_path):
    torch.manual_seed(0)
    w, t = _both(_Emb(), torch.randint(0, 100, (2, 5)), tmp_path)
    g = next(o for o in w.ops if o.tags.get("part") == "gather")
    # 10 ids, taken as 10 distinct rows of 16 fp32 (no values in a graph): 640 B read at random
    assert (g.tags["lookups"], g.tags["rows_read"], g.tags["table_rows"]) == (10, 10, 100)
    assert g.tags["random_read_bytes"] == 10 * 16 * 4 and g.tags["access_bytes"] == 64
    assert w.macs == t.macs == 10 * 16 * 4
    assert w.weight_bytes == t.weight_bytes == (10 * 16 + 16 * 4 + 4) * 4  # the rows read: 912 B
    assert w.metadata["unread_parameters"] == [{"name": "e.weight", "shape": [100, 16], "dtype": "fp32",
                                                "bytes": 90 * 64, "read_bytes": 640, "parameter_bytes": 6400}]
    assert _sig(w) == _sig(t)


class _QKV(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv, self.o = nn.Linear(16, 48), nn.Linear(16, 16)

    def forward(self, x):
        q, k, v = self.qkv(x).split(16, -1)
        return self.o(torch.softmax(q @ k.transpose(1, 2), -1) @ v)


def test_split_of_a_fused_projection_is_its_three_outputs(tmp_path):
    w, t = _both(_QKV(), torch.randn(2, 5, 16), tmp_path, opset_version=17)
    assert w.macs == t.macs == 10 * 16 * 48 + 2 * 5 * 16 * 5 * 2 + 10 * 16 * 16  # 11,840
    assert _sig(w) == _sig(t)
    _same_run(w, t)


class _Parts(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 8)

    def forward(self, x):
        return self.fc(x[1]) + self.fc(x[:, 1])


def test_parts_of_a_model_input_are_its_own_input_tensors(tmp_path):
    w, t = _both(_Parts(), torch.randn(4, 4, 16), tmp_path)
    ins = {n: x.shape for n, x in w.tensors.items() if x.role == "input"}
    assert ins == {"onnx::Gather_0[0]": (4, 16), "onnx::Gather_0[1]": (4, 16)}  # x[1], x[:, 1]
    assert w.macs == t.macs == 2 * 4 * 16 * 8
    _same_run(w, t)


class _Up(nn.Module):
    def __init__(self, mode):
        super().__init__()
        self.c, self.mode = nn.Conv2d(4, 4, 1), mode

    def forward(self, x):
        return F.interpolate(self.c(x), scale_factor=2, mode=self.mode)


@pytest.mark.parametrize("mode, kind, ope", [("nearest", "copy", None), ("bilinear", "reduction", 2 * 4 - 1)])
def test_resize_is_interpolate(tmp_path, mode, kind, ope):
    w, t = _both(_Up(mode), torch.randn(1, 4, 6, 6), tmp_path)
    r = next(o for o in w.ops if o.tags.get("onnx") == "Resize")
    assert (r.kind, r.ops_per_element) == (kind, ope)  # bilinear: 4 taps, 4 multiplies + 3 adds
    assert _sig(w) == _sig(t)


@pytest.mark.parametrize("k, s, p, op, cout", [(2, 2, 0, 0, 4), (3, 2, 1, 1, 8)])
def test_conv_transpose_is_the_tracers(tmp_path, k, s, p, op, cout):
    m = nn.ConvTranspose2d(4, cout, k, stride=s, padding=p, output_padding=op)
    w, t = _both(m, torch.randn(1, 4, 6, 6), tmp_path)
    # every input position x C_in x (C_out x kernel)
    assert w.macs == t.macs == 36 * 4 * cout * k * k
    assert [o.tags.get("part") for o in w.ops].count("col2im") == (k > s)  # windows overlap
    assert _sig(w) == _sig(t)
    _same_run(w, t)


class _Ein(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(16, 8))

    def forward(self, x, y):
        return torch.einsum("bij,bjk->bik", x, y) @ self.w


def test_einsum_of_two_operands_is_a_batched_matmul(tmp_path):
    w, t = _both(_Ein(), (torch.randn(2, 5, 16), torch.randn(2, 16, 16)), tmp_path)
    assert w.macs == t.macs == 2 * 5 * 16 * 16 + 10 * 16 * 8
    assert _sig(w) == _sig(t)


class _Spike(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(16, 32, bias=False), nn.Linear(32, 8, bias=False)

    def forward(self, x):
        s = (self.fc1(x) > 0.5).float()  # Greater, Cast: spikes of 0 and 1
        return self.fc2(s), self.fc2(x.float().repeat(1, 2))


def test_spikes_tag_the_matmul_that_reads_them(tmp_path):
    w, t = _both(_Spike(), torch.randn(2, 16), tmp_path)
    bits = [(o.tags.get("weight_name"), o.tags.get("input_value_bits")) for o in w.ops if o.kind == "matmul"]
    assert bits == [("fc1.weight", None), ("fc2.weight", 1), ("fc2.weight", None)]
    assert [o.tags.get("input_value_bits") for o in t.ops if o.kind == "matmul"] == [None, 1, None]
    cast = next(o for o in w.ops if o.tags.get("onnx") == "Cast")  # bool -> fp32: a copy
    assert cast.kind == "copy"


class _TwoOut(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 8)

    def forward(self, x):
        h = torch.relu(self.fc(x))
        return h, torch.sigmoid(h)


def test_graph_outputs_stay_out_of_a_fused_chain(tmp_path):
    w, t = _both(_TwoOut(), torch.randn(2, 16), tmp_path)
    fused = next(o for o in w.ops if o.fn == "fused")
    assert len(fused.outputs) == 2  # h is written: a model output
    assert fused.ops_per_element == 3  # bias + relu + sigmoid (4 ops a sigmoid), over 2 outputs
    assert _sig(w) == _sig(t)
    _same_run(w, t)


class _DB(nn.Module):
    def forward(self, q, db):
        return q @ db.t()


def test_inputs_are_resident_only_with_resident_as_traced(tmp_path):
    """review17-8 item 2: db read as a matmul's second operand is sent each run, as the
    tracer's, unless --resident db; then the same run as the traced --resident db."""
    from cimsim.workload.footprint import cache_roots
    from cimsim.workload.resident import mark_resident

    q, db = torch.randn(1, 64), torch.randn(512, 64)
    w, t = _both(_DB(), (q, db), tmp_path, input_names=["q", "db"])
    assert w.metadata["capture"] == "onnx"
    assert (cache_roots(w) < 0).all() and (cache_roots(t) < 0).all()  # no KV cache
    arch = load_architecture("hbm-pim", overrides={"pim.claims": ["weights", "kv_cache"]})
    assert simulate(arch, w).latency_s == simulate(arch, t).latency_s
    out = tmp_path / "r.json"
    r = _cli("trace", "--onnx", tmp_path / "m.onnx", "--resident", "db", "-o", out)
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text())["metadata"]["resident_inputs"] == ["db"]
    from cimsim import load_workload
    from cimsim.workload.io import save_workload

    mark_resident(t, ["db"])  # `cimsim trace --resident db` of the module
    save_workload(t, tmp_path / "t.json")
    assert simulate(arch, load_workload(out)).latency_s == simulate(arch, load_workload(tmp_path / "t.json")).latency_s
    r = _cli("trace", "--onnx", tmp_path / "m.onnx", "--resident", "xb", "-o", out)
    assert r.exit_code == 1 and "--resident xb: the traced model has no input argument 'xb'" in r.output


class _LoRA(nn.Module):
    def __init__(self):
        super().__init__()
        self.base, self.A, self.B = (nn.Linear(16, 16, bias=False), nn.Linear(16, 4, bias=False),
                                     nn.Linear(4, 16, bias=False))

    def forward(self, x):
        return self.base(x) + self.B(self.A(x))


def test_bias_free_linear_weights_are_named_after_their_module(tmp_path):
    """review17-8 item 4: onnx::MatMul_N is the module's weight, so cim.exclude selects it."""
    torch.manual_seed(0)
    m = nn.Sequential(_LoRA(), nn.ReLU(), _LoRA())
    p = _export(m, torch.randn(3, 16), tmp_path / "lora.onnx")
    out = tmp_path / "lora.json"
    assert _cli("trace", "--onnx", p, "-o", out).exit_code == 0
    w = json.loads(out.read_text())
    names = [o["weight"] for o in w["ops"] if o.get("weight")]
    assert names == ["0.base.weight", "0.A.weight", "0.B.weight", "2.base.weight", "2.A.weight", "2.B.weight"]
    assert all(o["tags"]["onnx_weight"].startswith("onnx::MatMul_") for o in w["ops"] if o.get("weight"))
    r = _cli("run", "rram-cim", out, "--set", 'cim.exclude=["*.A.weight","*.B.weight"]')
    assert r.exit_code == 0, r.output
    assert "exclude kept 4 matmul(s) with 4 stationary weight(s)" in r.output


class _Pow(nn.Module):
    def __init__(self, e):
        super().__init__()
        self.e = e

    def forward(self, x):
        return x ** self.e


@pytest.mark.parametrize("e, per_element", [
    (2, 1), (2.0, 1),  # x * x: one multiply, as the tracer counts x ** 2
    (0.5, 4),  # a square root, as sqrt is counted
    (3, 4), (-1, 4),  # any other exponent: pow's general 4
])
def test_a_constant_exponent_pow_costs_what_the_traced_pow_does(tmp_path, e, per_element):
    from cimsim.workload.trace.fuse import vector_ops

    # review18-2 item 4: an ONNX Pow was 4 an element whatever its exponent, the traced x ** 2 1
    w, t = _both(_Pow(e), torch.rand(4, 64), tmp_path)
    ((op,), (top,)) = w.ops, t.ops
    assert op.tags["onnx"] == "Pow" and op.fn == top.fn == "pow"
    assert vector_ops(op, w.tensors) == vector_ops(top, t.tensors) == per_element * 4 * 64
    assert _sig(w) == _sig(t)


class _RMSNorm(nn.Module):
    """``LlamaRMSNorm``'s arithmetic: x * rsqrt(mean(x ** 2) + eps) * w."""

    def __init__(self, d):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6))


def test_an_rms_norm_square_is_one_multiply_imported_as_traced(tmp_path):
    from cimsim.workload.trace.fuse import vector_ops

    w, _ = _both(_RMSNorm(64), torch.rand(4, 64), tmp_path)
    (sq,) = [op for op in w.ops if op.tags.get("onnx") == "Pow"]
    assert vector_ops(sq, w.tensors) == 4 * 64  # one multiply an element, not pow's 4 x 256
