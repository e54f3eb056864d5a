"""``cimsim trace --stats``: each weight matmul's data statistics, measured on the real example
inputs, equal an independent NumPy recomputation (the emulator's quantisers written out:
per-row max |x| to 2^b - 1 for non-negative inputs, offset-binary b bits otherwise; weights
per column, symmetric, offset-binary), the ReLU outputs' measured sparsity included."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")


def np_input_ones(x: np.ndarray, b: int, neg=None, amax=None) -> float:
    """Mean fraction of ones over the b planes of an M x K input (module docstring rules);
    ``neg`` / ``amax`` (M x 1): each row's encoding and scale where not its own."""
    x = x.astype(np.float32)
    if neg is None:
        neg = (x < 0).any(axis=1, keepdims=True)            # per row, as the emulator chooses
    if amax is None:
        amax = np.abs(x).max(axis=1, keepdims=True)
    q = np.where(neg, np.float32(2 ** (b - 1) - 1), np.float32(2 ** b - 1))
    s = amax.astype(np.float32) / q
    s = np.where(s > 0, s, np.float32(1))
    codes = np.clip(np.round(x / s), -q, q).astype(np.int64) + np.where(neg, 2 ** (b - 1), 0)
    ones = sum(int(((codes >> j) & 1).sum()) for j in range(b))
    return ones / (codes.size * b)


def np_weight_ones(w_kn: np.ndarray, b: int) -> float:
    w = w_kn.astype(np.float32)
    q = 2 ** (b - 1) - 1
    s = np.abs(w).max(axis=0) / np.float32(q)
    s = np.where(s > 0, s, np.float32(1))
    codes = np.clip(np.round(w / s), -q, q).astype(np.int64) + 2 ** (b - 1)
    return sum(int(((codes >> j) & 1).sum()) for j in range(b)) / (codes.size * b)


def _digits(n=64):
    from sklearn.datasets import load_digits

    x, _ = load_digits(return_X_y=True)
    return torch.tensor(x[:n] / 16.0, dtype=torch.float32)


def _matmuls(w):
    return [op for op in w.ops if op.kind == "matmul" and op.weight is not None]


@pytest.mark.parametrize("bits", [8, 4])
def test_relu_mlp_on_digits_equals_numpy(bits):
    from cimsim.workload.trace import trace

    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10)).eval()
    x = _digits()
    w = trace(mlp, (x,), stats_bits=bits)
    with torch.no_grad():
        h = mlp[1](mlp[0](x))
    ops = _matmuls(w)
    assert len(ops) == 2
    for op, inp, lin in zip(ops, (x, h), (mlp[0], mlp[2])):
        a, wt = inp.numpy(), lin.weight.detach().numpy().T  # K x N
        t = op.tags
        assert t["input_stats_bits"] == t["weight_stats_bits"] == bits
        assert t["input_ones"] == np_input_ones(a, bits)
        assert t["input_zeros"] == float((a == 0).sum()) / a.size
        assert t["weight_ones"] == np_weight_ones(wt, bits)
        assert t["weight_abs_mean"] == pytest.approx(float(np.abs(wt.astype(np.float64)).mean()), rel=1e-12, abs=0)
    # ReLU outputs: measurable sparsity, and fewer ones than the dense first-layer input planes
    assert ops[1].tags["input_zeros"] > 0.2
    assert w.metadata["activity_stats"] == {"input_bits": bits, "weight_bits": bits, "ops": 2,
                                            "weight_matmuls": 2}
    assert w.arrays.activity.input_ones[0] == ops[0].tags["input_ones"]


def test_conv_input_is_its_im2col_matrix():
    from cimsim.workload.trace import trace

    torch.manual_seed(1)
    cnn = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(),
                              torch.nn.Conv2d(4, 6, 3, stride=2), torch.nn.Flatten()).eval()
    x = _digits(16).reshape(16, 1, 8, 8) - 0.25  # negative inputs: offset-binary
    w = trace(cnn, (x,), stats_bits=8)
    with torch.no_grad():
        h = cnn[1](cnn[0](x))
    ops = [op for op in _matmuls(w) if op.tags.get("part") == "conv"]
    for op, inp, conv, pad, stride in zip(ops, (x, h), (cnn[0], cnn[2]), (1, 0), (1, 2)):
        a = np.pad(inp.numpy(), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        n, c, hh, ww = a.shape
        rows = [a[:, :, i:i + 3, j:j + 3].reshape(n, c * 9)
                for i in range(0, hh - 2, stride) for j in range(0, ww - 2, stride)]
        im2col = np.concatenate(rows)
        wt = conv.weight.detach().numpy().reshape(conv.out_channels, -1).T
        # each window at its sample's encoding and scale (the whole input map, as the emulator)
        flat = inp.numpy().reshape(n, -1)
        neg = np.tile((flat < 0).any(axis=1, keepdims=True), (len(rows), 1))
        amax = np.tile(np.abs(flat).max(axis=1, keepdims=True), (len(rows), 1))
        assert op.tags["input_ones"] == np_input_ones(im2col, 8, neg, amax)
        assert op.tags["input_zeros"] == float((im2col == 0).sum()) / im2col.size
        assert op.tags["weight_ones"] == np_weight_ones(wt, 8)


def test_an_in_place_op_after_the_matmul_does_not_change_what_was_measured():
    from cimsim.workload.trace import trace

    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(8, 4)

        def forward(self, x):
            h = torch.relu(x)
            y = self.lin(h)
            h.zero_()  # after the matmul: the recorded input is the one the matmul read
            return y + h.sum()

    x = torch.linspace(-1, 1, 32).reshape(4, 8)
    w = trace(M().eval(), (x,), stats_bits=8)
    (op,) = _matmuls(w)
    assert op.tags["input_zeros"] == float((torch.relu(x) == 0).sum()) / 32 == 0.5


def test_fake_tensors_have_no_statistics():
    from torch._subclasses.fake_tensor import FakeTensorMode

    from cimsim.workload.trace import trace

    with FakeTensorMode():
        lin = torch.nn.Linear(8, 4)
        x = torch.empty(2, 8)
    w = trace(lin, (x,), stats_bits=8)
    assert all("input_ones" not in op.tags for op in w.ops)
    assert "unavailable" in w.metadata["activity_stats"]["note"]
    assert w.arrays.activity is None


def test_cli_stats(tmp_path):
    from click.testing import CliRunner

    from cimsim.cli import main
    from cimsim.workload.io import load_workload

    f = tmp_path / "m.py"
    f.write_text("import torch\n\ndef factory():\n    torch.manual_seed(0)\n"
                 "    m = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))\n"
                 "    return m.eval(), (torch.linspace(-1, 1, 32).reshape(4, 8),)\n")
    out = tmp_path / "m.json"
    res = CliRunner().invoke(main, ["trace", f"{f}:factory", "-o", str(out), "--stats", "--stats-bits", "6"])
    assert res.exit_code == 0, res.output
    assert "data statistics (inputs at 6 bits, weights at 6) on 2 of 2 weight matmuls" in res.output
    assert all(op.tags["input_stats_bits"] == 6 for op in _matmuls(load_workload(out)))
    res = CliRunner().invoke(main, ["trace", f"{f}:factory", "-o", str(out), "--stats", "--stats-bits", "4,8"])
    assert res.exit_code == 0, res.output
    ops = _matmuls(load_workload(out))
    assert all((op.tags["input_stats_bits"], op.tags["weight_stats_bits"]) == (4, 8) for op in ops)
    bad = CliRunner().invoke(main, ["trace", f"{f}:factory", "-o", str(out), "--stats", "--stats-bits", "40"])
    assert bad.exit_code == 1 and bad.output.strip().count("\n") == 0
    assert "stats bits must be a whole number in 1..16" in bad.output
    bad = CliRunner().invoke(main, ["trace", f"{f}:factory", "-o", str(out), "--stats", "--stats-bits", "x"])
    assert bad.exit_code == 2 and "--stats-bits 'x' must be BITS or IN,W" in bad.output
    alone = CliRunner().invoke(main, ["trace", f"{f}:factory", "-o", str(out), "--stats-bits", "6"])
    assert alone.exit_code == 2 and "--stats-bits goes with --stats" in alone.output


def test_a_convolutions_windows_take_their_samples_encoding_and_scale():
    """One 4 x 4 map of 0.5 with a -1.0 in its first 2 x 2 window: the emulator sends the whole
    sample offset-binary at the sample's scale (accuracy.run), the statistics sent the other
    three windows unsigned at their own (a reviewer). 8 bits offset-binary: q = 127, scale
    1/127; 0.5 -> round(63.5) = 64, code 64 + 128 = 192 = 0b11000000 (2 ones); -1.0 -> -127,
    code 1 (1 one): (15 x 2 + 1) / (16 x 8) = 31/128."""
    import torch

    from cimsim.workload.trace.stats import conv_stats

    x = torch.full((1, 1, 4, 4), 0.5)
    x[0, 0, 0, 0] = -1.0
    w = torch.ones(2, 1, 2, 2)
    tags = conv_stats(torch, x, w, [2, 2], [0, 0], [1, 1], False, (8, 8))
    assert tags["input_ones"] == pytest.approx(31 / 128, rel=1e-12, abs=0)


@pytest.mark.parametrize("bad, holds", [(float("nan"), "3 NaN"), (float("inf"), "3 infinite")])
def test_an_operand_holding_nan_or_infinity_is_refused_naming_the_op(bad, holds):
    """NaN inputs were measured silently (quantised to codes no data has, a wrong activity)."""
    from cimsim.errors import WorkloadError
    from cimsim.workload.trace import trace

    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(16, 8)).eval()
    x = torch.randn(4, 16)
    x[0, :3] = bad  # 3 of 4 x 16 = 64 elements
    with pytest.raises(WorkloadError, match=rf"the input of aten op 'aten.addmm.default' \(module "
                                            rf"'0', called from .*\) holds {holds} of 64 elements; "
                                            r"the statistics need finite values"):
        trace(m, (x,), stats_bits=8)
    assert trace(m, (x,)).macs == 4 * 16 * 8  # without statistics the shapes suffice


def _trace_stats(tmp_path, source: str):
    """``cimsim trace FILE:factory --stats`` of a model file: (its output, one line; the workload)."""
    from click.testing import CliRunner

    from cimsim.cli import main
    from cimsim.workload.io import load_workload

    f, out = tmp_path / "m.py", tmp_path / "m.json"
    f.write_text(source)
    res = CliRunner().invoke(main, ["trace", f"{f}:factory", "-o", str(out), "--stats"])
    assert res.exit_code == 0, res.output
    return " ".join(res.output.split()), load_workload(out)


def test_the_coverage_counts_what_has_figures(tmp_path):
    """A Conv3d (no input figure) counted as covered, and nn.Bilinear (a weight matmul with no
    figures) was left out of the denominator: 3 of 3 was printed for 1 fully measured op."""
    text, w = _trace_stats(
        tmp_path,
        "import torch\n\nclass M(torch.nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.fc = torch.nn.Linear(8, 4)\n"
        "        self.c3 = torch.nn.Conv3d(2, 2, 3, padding=1)\n"
        "        self.bl = torch.nn.Bilinear(4, 4, 2)\n"
        "    def forward(self, x, v):\n        h = self.fc(x)\n"
        "        return self.bl(h, h), self.c3(v)\n\n"
        "def factory():\n    torch.manual_seed(0)\n"
        "    return M().eval(), (torch.randn(3, 8), torch.randn(1, 2, 4, 4, 4))\n")
    # 3 weight matmuls: fc (both figures), c3 (the weight's only), bl (none)
    assert "on 1 of 3 weight matmuls; 1 with the weight's figures only (no input figure) and 1 " \
           "with none (nn.Bilinear)" in text
    assert w.metadata["activity_stats"] == {"input_bits": 8, "weight_bits": 8, "ops": 1,
                                            "weight_matmuls": 3, "weight_only_ops": 1,
                                            "unmeasured_ops": 1}
    by = {op.name: op.tags for op in w.ops}
    assert "input_ones" in by["fc.addmm"] and "input_ones" not in by["c3.conv"]
    assert "weight_ones" in by["c3.conv"] and "weight_ones" not in by["bl.bilinear"]


def test_matmuls_on_a_weight_computed_from_parameters_are_counted_unmeasured(tmp_path):
    """Three Linear layers, two with prune hooks (weight = weight_orig x weight_mask, computed
    each forward: not stationary) and one plain, plus a matmul on a plain tensor attribute (a
    constant, no weight): 3 weight matmuls, 1 measured. A hook-pruned MLP printed "on 0 of 0
    weight matmuls"."""
    text, w = _trace_stats(
        tmp_path,
        "import torch\nimport torch.nn.utils.prune as prune\n\n"
        "class M(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.a, self.b, self.c = (torch.nn.Linear(8, 8) for _ in range(3))\n"
        "        self.k = torch.randn(8, 8)\n"
        "    def forward(self, x):\n        return self.c(self.b(self.a(x))) @ self.k\n\n"
        "def factory():\n    torch.manual_seed(0)\n    m = M().eval()\n"
        "    for lin in (m.a, m.c):\n        prune.l1_unstructured(lin, 'weight', amount=0.5)\n"
        "    return m, (torch.randn(3, 8),)\n")
    assert "on 1 of 3 weight matmuls; 2 read a matrix computed from parameters each forward " \
           "(weight_norm / prune hooks): none measured, no CIM runs them" in text, text
    assert w.metadata["activity_stats"] == {"input_bits": 8, "weight_bits": 8, "ops": 1,
                                            "weight_matmuls": 3, "computed_weight_ops": 2}
    assert [e["op"] for e in w.metadata["computed_weights"] if e["from"] == "parameters"] == \
        ["a.addmm", "c.addmm"]
