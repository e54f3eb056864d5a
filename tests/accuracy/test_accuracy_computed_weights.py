"""A matmul whose matrix the model computes each forward from its parameters (``prune`` hooks'
``weight_orig * weight_mask``, parametrize, ``weight_norm``) has no stationary weight: no CIM
claims it, the trace lists it in ``metadata['computed_weights']``, and the accuracy run leaves
it in fp32. The accuracy basis says how many of the weight matmuls were emulated ("N of M"),
and with none, that the result is the fp32 model's and why (a tester's prune-hooked MLP read
"cim emulated" with 100 % agreement and an exact SNR on 0 CIM ops)."""

from __future__ import annotations

import json
import math

import pytest

torch = pytest.importorskip("torch")
import torch.nn.utils.prune as prune  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from cimsim.accuracy import Arith  # noqa: E402
from cimsim.accuracy.run import evaluate  # noqa: E402
from cimsim.accuracy.target import _record  # noqa: E402
from cimsim.cli import main  # noqa: E402
from cimsim.report import columns as C  # noqa: E402
from cimsim.workload.trace import trace  # noqa: E402

from conftest import fresh_cache  # noqa: E402

nn = torch.nn

pytestmark = pytest.mark.torch
ARITH = Arith(adc_bits=4)   # a lossy ADC: an emulated matmul is never exact


def _mlp(hooked=(0, 2, 4), remove=False):
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    for i in hooked:
        prune.l1_unstructured(m[i], "weight", amount=0.9)
        if remove:
            prune.remove(m[i], "weight")
    return m.eval()


def _conv_weight_norm():
    torch.manual_seed(0)
    m = nn.Sequential(nn.utils.parametrizations.weight_norm(nn.Conv2d(2, 4, 3)), nn.Flatten(),
                      nn.Linear(4 * 6 * 6, 5))
    return m.eval()


def _x(shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("model, shape, computed, emulated", [
    (_mlp(), (40, 32), {"addmm": 3}, {}),
    (_mlp(hooked=(2,)), (40, 32), {"addmm": 1}, {"addmm": 2}),
    (_mlp(remove=True), (40, 32), {}, {"addmm": 3}),
    (_conv_weight_norm(), (40, 2, 8, 8), {"convolution": 1}, {"addmm": 1}),
], ids=["prune-hooks", "one-layer-hooked", "prune-removed", "conv-weight-norm"])
def test_matmuls_on_a_computed_weight_are_counted_as_the_trace_lists_them(model, shape, computed,
                                                                          emulated):
    x = _x(shape)
    res = evaluate(model, x, None, ARITH)
    assert res.computed_weight_ops == computed and res.emulated_ops == emulated
    assert sum(computed.values()) == len(trace(model, (x[:1],)).metadata.get("computed_weights", []))
    n, m = sum(emulated.values()), sum(emulated.values()) + sum(computed.values())
    basis = _record(res, "cim emulated: ...")[C.ACCURACY_BASIS]
    assert f"; {n} of {m} weight matmuls emulated" in basis
    if computed:
        assert f"; {m - n} read a matrix computed from parameters each forward (weight_norm / prune " \
               "hooks or parametrize), which no CIM claims" in basis
    if not emulated:  # every matmul ran in fp32: the fp32 model's outputs, exactly
        assert res.agreement == 1.0 and res.output_snr_db == math.inf
        assert "so this is the fp32 model's accuracy, not the CIM's: prune.remove(module, " \
               "'weight') or torch.nn.utils.parametrize.remove_parametrizations" in basis
    else:
        assert res.output_snr_db < math.inf and "fp32 model's accuracy" not in basis


def test_activation_matmuls_are_not_counted_as_weight_matmuls():
    """``x @ x^T`` (attention's scores) reads no parameter: skipped, not a computed weight."""
    class Gram(nn.Module):
        def __init__(s):
            super().__init__()
            s.fc = nn.Linear(8, 8)

        def forward(s, x):
            h = s.fc(x)
            return h @ h.t()

    res = evaluate(Gram().eval(), _x((6, 8)), None, ARITH)
    assert res.emulated_ops == {"addmm": 1} and res.skipped_ops == {"mm": 1}
    assert not res.computed_weight_ops
    assert _record(res, "b")[C.ACCURACY_BASIS] == "b; 1 of 1 weight matmuls emulated"


MODEL_FILE = '''
import torch, torch.nn as nn
import torch.nn.utils.prune as prune

def hooked():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 10)).eval()
    for i in (0, 2):
        prune.l1_unstructured(m[i], "weight", amount=0.9)
    return m, (torch.randn(1, 32),)

def data():
    return torch.randn(30, 32, generator=torch.Generator().manual_seed(1)), None
'''


def test_the_cli_says_no_op_ran_on_the_cim(tmp_path):
    f = tmp_path / "pruned.py"
    f.write_text(MODEL_FILE)
    with fresh_cache(tmp_path / "cache"):
        res = CliRunner().invoke(main, ["run", "rram-cim", f"{f}:hooked", "--accuracy",
                                        "--dataset", f"{f}:data", "--json"])
    assert res.exit_code == 0, res.output
    basis = json.loads(res.output)[C.ACCURACY_BASIS]
    assert basis.startswith("cim not emulated, no op ran on it: 8b inputs"), basis
    assert "; 0 of 2 weight matmuls emulated; 2 read a matrix computed from parameters" in basis


class _Queries(nn.Module):
    """DETR's learned object queries: a Parameter projected by a Linear, then the matrix of a
    bmm against the features: computed from parameters alone, but no hook's weight."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.query = nn.Parameter(torch.randn(1, 10, 16))
        self.proj = nn.Linear(16, 16)

    def forward(self, feats):
        return torch.bmm(self.proj(self.query).expand(feats.shape[0], -1, -1), feats.transpose(1, 2))


def _basis(model, shape):
    """The result of ``model`` (in eval mode) on inputs of ``shape``, and its accuracy basis."""
    res = evaluate(model.eval(), _x(shape), None, ARITH)
    return res, _record(res, "cim emulated: ...")[C.ACCURACY_BASIS]


def test_learned_queries_are_named_as_the_trace_names_them_not_pruning():
    """The basis words a matrix computed from parameters as the tracer does (review18-1 #3: it
    said prune hooks / weight_norm for DETR's queries): no hook's tensor among its sources,
    so learned queries, and the fix for hooks (prune.remove) is not offered."""
    res, basis = _basis(_Queries(), (4, 20, 16))
    assert res.computed_weight_ops == {"bmm": 1} and not res.computed_hooked_ops
    assert "; 1 of 2 weight matmuls emulated; 1 read a matrix computed from parameters each " \
           "forward (learned queries or embeddings passed through layers, a weight transform in " \
           "forward), which no CIM claims (run in fp32): bmm x1" in basis
    assert "prune" not in basis and "weight_norm" not in basis


class _SampledOverParametrized(nn.Module):
    """Bayes-by-backprop over a parametrized mean: the matrix is both hook-computed and sampled."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.mean = nn.Linear(16, 4)
        torch.nn.utils.parametrize.register_parametrization(self.mean, "weight", _Double())
        self.rho = nn.Parameter(torch.full((4, 16), -3.0))

    def forward(self, x):
        return x @ (self.mean.weight + nn.functional.softplus(self.rho) * torch.randn_like(self.rho)).t()


class _Double(nn.Module):
    def forward(self, w):
        return 2 * w


def test_a_sampled_matrix_over_a_hooked_one_is_counted_once_as_sampled():
    """One matmul, one kind (final-read19-1 #1: counted hooked and sampled, the basis printed
    "learned queries ...: -1" and offered remove_parametrizations, which cannot make a
    draw stationary): sampled comes first, as in the tracer's note."""
    res, basis = _basis(_SampledOverParametrized(), (8, 16))
    assert res.computed_sampled_ops == {"mm": 1} and not res.computed_hooked_ops
    assert "; 0 of 1 weight matmuls emulated; 1 read a matrix computed from parameters each " \
           "forward (sampled each forward from a random draw, not stationary), which no CIM " \
           "claims (run in fp32): mm x1" in basis
    assert "-1" not in basis and "remove_parametrizations" not in basis
