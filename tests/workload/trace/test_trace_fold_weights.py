"""``--fold-computed-weights`` (find-L1 1, find-H 6): a BitLinear quantising its weight in
forward puts its matmuls on the CIM once folded onto the parameter."""

import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")
nn = torch.nn

pytestmark = pytest.mark.torch
B, D, H, O = 4, 64, 32, 16


class BitLinear(nn.Linear):
    """BitNet b1.58's absmean ternarisation, written in forward as most ports write it."""

    def forward(self, x):
        w = self.weight
        scale = w.abs().mean().clamp(min=1e-5)
        return nn.functional.linear(x, torch.round(torch.clamp(w / scale, -1, 1)) * scale, self.bias)


class Gained(nn.Linear):
    """A weight computed from two parameters (weight x a learned gain): not folded."""

    def __init__(self, i, o):
        super().__init__(i, o, bias=False)
        self.gain = nn.Parameter(torch.ones(o, 1))

    def forward(self, x):
        return nn.functional.linear(x, self.weight * self.gain)


class Net(nn.Module):
    def __init__(self, last=None):
        super().__init__()
        self.a = BitLinear(D, H, bias=False)
        self.b = last or BitLinear(H, O, bias=True)

    def forward(self, x):
        return self.b(torch.relu(self.a(x)))


def _run(fold, last=None):
    from cimsim import bundled, load_architecture, simulate, trace

    torch.manual_seed(0)
    w = trace(Net(last).eval(), (torch.randn(B, D),), fold_computed_weights=fold, batch=1)
    return w, simulate(load_architecture(bundled.resolve_config("sram-cim")), w)


def test_bitlinear_weights_fold_onto_their_parameters_and_run_on_the_cim():
    plain, rp = _run(False)
    assert rp.ops_per_unit["cim"] == 0  # before: both matmuls read an activation matrix
    w, r = _run(True)
    mm = [op for op in w.ops if op.kind == "matmul"]
    assert [op.weight for op in mm] == ["a.weight", "b.weight"]
    assert r.ops_per_unit["cim"] == 2
    # every MAC stays: B*D*H + B*H*O = 4*64*32 + 4*32*16 = 8,192 + 2,048
    assert w.macs == plain.macs == B * D * H + B * H * O == 10_240
    # the weights are the parameters, at fp32: (64*32 + 32*16 + 16 bias) * 4 B
    assert w.weight_bytes == (D * H + H * O + O) * 4 == 10_304
    # dropped: abs, mean, clamp (scale), div, clamp, round, mul: 7 a layer; left: mm, relu,
    # addmm and its bias add
    folded = w.metadata["folded_weights"]
    assert [(e["op"], e["weight"], len(e["dropped"])) for e in folded] == \
        [("a.mm", "a.weight", 7), ("b.addmm", "b.weight", 7)]
    assert [op.name for op in w.ops] == ["a.mm", "relu", "b.addmm", "b.add_bias"]
    assert not w.metadata.get("computed_weights")


def test_a_weight_from_two_parameters_is_not_folded_and_still_said():
    w, r = _run(True, Gained(H, O))
    assert [e["weight"] for e in w.metadata["folded_weights"]] == ["a.weight"]
    assert [e["op"] for e in w.metadata["computed_weights"]] == ["b.mm"]
    assert r.ops_per_unit["cim"] == 1


def test_cli_option_and_its_refusal(tmp_path):
    from cimsim.cli import main

    spec = tmp_path / "bit.py"
    spec.write_text("import torch\nfrom test_trace_fold_weights import Net\n\n"
                    "def factory():\n    return Net().eval(), (torch.randn(4, 64),)\n")
    import sys

    sys.path.insert(0, __import__("os").path.dirname(__file__))
    try:
        out = CliRunner().invoke(main, ["trace", f"{spec}:factory", "-o", str(tmp_path / "w.json"),
                                        "--batch", "4", "--fold-computed-weights"])
    finally:
        sys.path.pop(0)
    assert out.exit_code == 0, out.output
    assert "2 matmul(s) read a weight computed each forward from one parameter (a.weight, b.weight): folded" in out.output
    bad = CliRunner().invoke(main, ["trace", "--zoo", "mlp", "-o", str(tmp_path / "z.json"),
                                    "--fold-computed-weights"])
    assert bad.exit_code != 0 and "--fold-computed-weights goes with SPEC" in bad.output
    assert "Traceback" not in bad.output


def _trace(model, *inputs):
    from cimsim import bundled, load_architecture, simulate, trace

    torch.manual_seed(0)
    w = trace(model, inputs, fold_computed_weights=True, batch=1)
    return w, simulate(load_architecture(bundled.resolve_config("sram-cim")), w)


class Shared(nn.Module):
    """One parameter read through two transforms: two matrices (review L1 1)."""

    def __init__(self, second=torch.relu):
        super().__init__()
        self.w = nn.Parameter(torch.randn(D, D))
        self.second = second

    def forward(self, x):
        return x @ torch.sign(self.w) + x @ self.second(self.w)


def test_one_parameter_through_two_transforms_is_folded_once():
    w, r = _trace(Shared().eval(), torch.randn(B, D))
    # sign(w) is folded onto w; relu(w) is another matrix, so it is not folded onto w too (it
    # was: weight_bytes 64*64*4 = 16,384 for two matrices and both matmuls on the CIM)
    assert [(e["op"], e["weight"]) for e in w.metadata["folded_weights"]] == [("mm", "w")]
    [left] = w.metadata["computed_weights"]
    assert left["op"] == "mm#1" and "through another transform (sign)" in left["not_folded"]
    assert r.ops_per_unit["cim"] == 1
    assert w.weight_bytes == D * D * 4 == 16_384  # the one stationary matrix
    # the same transform twice (sign(w) computed at each matmul) is one matrix: both fold
    same, rs = _trace(Shared(torch.sign).eval(), torch.randn(B, D))
    assert [e["op"] for e in same.metadata["folded_weights"]] == ["mm", "mm#1"]
    assert rs.ops_per_unit["cim"] == 2 and same.weight_bytes == 16_384


class Step(nn.Module):
    """A training step of a BitLinear (straight-through form) whose optimizer updates the weight."""

    def __init__(self):
        super().__init__()
        self.l = BitLinear(D, H, bias=False)
        self.opt = torch.optim.SGD(self.l.parameters(), lr=0.1)

    def forward(self, x):
        with torch.enable_grad():
            y = self.l(x)
            y.sum().backward()
            self.opt.step()
        return y


def test_a_parameter_the_step_updates_is_not_folded():
    w, _ = _trace(Step(), torch.randn(B, D))
    assert "l.weight" in w.metadata["updated_parameter_names"]
    # before: folded, its 7 quantisation ops dropped although they run every step
    assert not w.metadata.get("folded_weights")
    [left] = w.metadata["computed_weights"]
    assert "optimizer updates l.weight" in left["not_folded"]
    names = [op.name for op in w.ops]
    assert "l.abs" in names and "l.fused" in names  # the quantisation, fused, still runs


class HalfSign(nn.Linear):
    def forward(self, x):
        return nn.functional.linear(x.half(), torch.sign(self.weight).half())


def test_a_fold_through_a_cast_is_the_weight_at_the_cast_dtype():
    w, r = _trace(HalfSign(D, H, bias=False).eval(), torch.randn(B, D))
    # the array holds the fp16 matrix: 32*64*2 B = 4,096 (was 8,192, the fp32 parameter's)
    assert w.weight_bytes == H * D * 2 == 4_096
    assert w.metadata["weights_cast"] == {"weight": "fp16"}
    assert sorted(w.metadata["folded_weights"][0]["dropped"]) == ["_to_copy#1", "sign"]
    assert r.ops_per_unit["cim"] == 1


class ScaleOut(nn.Linear):
    """BitNet with the scale applied to the output: the scale's ops are read after the matmul."""

    def forward(self, x):
        s = self.weight.abs().mean().clamp(min=1e-5)
        return nn.functional.linear(x, torch.round(torch.clamp(self.weight / s, -1, 1))) * s


def test_transform_ops_another_op_reads_are_kept():
    w, r = _trace(ScaleOut(D, H, bias=False).eval(), torch.randn(B, D))
    # dropped: div, clamp, round (the matrix only); kept: abs, mean, clamp (the scale `* s` reads)
    assert sorted(w.metadata["folded_weights"][0]["dropped"]) == ["clamp#1", "div", "round"]
    assert r.ops_per_unit["cim"] == 1


class SignConv(nn.Conv2d):
    def forward(self, x):
        return nn.functional.conv2d(x, torch.sign(self.weight))


class Expanded(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(D, H))

    def forward(self, x):
        return torch.bmm(x, torch.sign(self.w).expand(2, D, H))


def test_an_operand_left_unfolded_is_said_with_its_reason():
    from cimsim.workload.trace.computed import summary

    conv, _ = _trace(SignConv(3, 8, 3, bias=False).eval(), torch.randn(1, 3, 8, 8))
    bmm, _ = _trace(Expanded().eval(), torch.randn(2, B, D))
    for w, why in ((conv, "a convolution's weight is not folded"),
                   (bmm, "a broadcast or expanded weight")):
        [e] = w.metadata["computed_weights"]
        assert e["not_folded"].startswith(why)
        text = summary(w.metadata["computed_weights"])
        # the note no longer tells a user who gave the option to give it
        assert f"[not folded: {why}" in text and "--fold-computed-weights (trace" not in text
