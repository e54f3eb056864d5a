"""Compiled, scripted and frozen modules, and library norms torch decomposes (tester K, findings
1, 3b and 4): a ``torch.jit.freeze``'d module is refused in one line (it crashed reading
``model.training``); a ``torch.compile``'d module traces as the module it wraps, with the eager
trace's names (it gained ``_orig_mod.`` and an input named ``args``); ``nn.RMSNorm`` is one norm
op, as ``nn.LayerNorm`` is (torch 2.x decomposes it into pow, mean, add, rsqrt, mul, mul before
the recorder: 3 ops). Goldens are hand arithmetic beside each assertion."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.errors import WorkloadError

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn = torch.nn


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 32)

    def forward(self, x):
        return torch.relu(self.fc(x))


def _trace(model, *inputs):
    from cimsim.workload.trace import trace

    return trace(model, inputs)


def test_a_frozen_torchscript_module_is_refused_in_one_line(tmp_path):
    frozen = torch.jit.freeze(torch.jit.script(M().eval()))
    with pytest.raises(WorkloadError, match="frozen TorchScript module.*trace the module before freezing"):
        _trace(frozen, torch.randn(4, 16))
    # the unfrozen script module traces: 4 x 16 x 32 = 2,048 MACs
    assert sum(op.macs for op in _trace(torch.jit.script(M().eval()), torch.randn(4, 16)).ops) == 2048
    (tmp_path / "fz.py").write_text(
        "import torch\nfrom test_trace_compiled import M\n"
        "def f(): return torch.jit.freeze(torch.jit.script(M().eval())), (torch.randn(4, 16),)\n")
    r = CliRunner().invoke(main, ["trace", f"{tmp_path / 'fz.py'}:f", "-o", str(tmp_path / "f.json")])
    assert r.exit_code != 0 and "Traceback" not in r.output
    # one error line (torch's own deprecation warnings of jit.script / jit.freeze come before it)
    errors = [ln for ln in r.output.strip().splitlines() if not ln.startswith("warning:")]
    assert len(errors) == 1 and errors[0].startswith("Error:") and "frozen TorchScript" in errors[0]


def test_a_compiled_module_traces_as_its_eager_module_with_the_same_names():
    m = M().eval()
    x = torch.randn(4, 16)
    eager, compiled = _trace(m, x), _trace(torch.compile(m), x)
    assert [op.name for op in compiled.ops] == [op.name for op in eager.ops] == ["fc.addmm", "fc.fused"]
    assert list(compiled.tensors) == list(eager.tensors)
    assert {"x", "fc.weight", "fc.bias"} <= set(compiled.tensors) and compiled.name == "m"
    assert sum(op.macs for op in compiled.ops) == 4 * 16 * 32


class _Norm(nn.Module):
    def __init__(self, norm):
        super().__init__()
        self.n = norm

    def forward(self, x):
        return self.n(x)


@pytest.mark.parametrize("norm", [nn.RMSNorm(64), nn.LayerNorm(64)], ids=["rms", "layer"])
def test_library_norms_are_one_norm_op(norm):
    w = _trace(_Norm(norm).eval(), torch.randn(8, 64))
    assert [op.kind for op in w.ops] == ["layernorm"]
    a = w.arrays
    # reads x (8 x 64 x 4 = 2,048 B) and writes y (2,048 B); the weight (and LayerNorm's bias),
    # 64 x 4 = 256 B each; LayerNorm's mean and 1/std (2 x 8 x 4 = 64 B), which only a backward
    # reads, are not written in inference (metadata['unwritten_byproducts'])
    rms = isinstance(norm, nn.RMSNorm)
    assert int(a.act_in_bytes[0]) == 2048 and int(a.act_out_bytes[0]) == 2048
    assert int(a.weight_bytes[0]) == (256 if rms else 512)
    assert a.vector_ops[0] == 8 * 8 * 64  # NORM_OPS_PER_ELEMENT vector ops per output element


def test_rms_norm_by_function_and_on_a_meta_model_is_one_op():
    w = _trace(_FnNorm(), torch.randn(8, 64))
    assert [op.name for op in w.ops] == ["rms_norm"]
    with torch.device("meta"):
        m = _Norm(nn.RMSNorm(64)).eval()
        x = torch.randn(8, 64)
    assert [op.kind for op in _trace(m, x).ops] == ["layernorm"]


class _FnNorm(nn.Module):
    def forward(self, x):
        return nn.functional.rms_norm(x, [64], None, 1e-6)
