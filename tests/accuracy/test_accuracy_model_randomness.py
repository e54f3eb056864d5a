"""A model's own randomness (find-B 1, 2, 3) and calibration metrics (find-B 6)."""

import math

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn
F = nn.functional

from cimsim.accuracy import Arith  # noqa: E402
from cimsim.accuracy.classes import calibration  # noqa: E402
from cimsim.accuracy.run import evaluate  # noqa: E402

pytestmark = pytest.mark.torch
# an exact integer arithmetic (lossless ADC): the CIM's only error is 8-bit quantisation
EXACT = Arith(weight_bits=8, input_bits=8, bits_per_cell=2, dac_bits=1, rows=128, adc_bits=9)


def _mlp(drop):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(16, 64), nn.ReLU(), drop, nn.Linear(64, 5))


def _data():
    g = torch.Generator().manual_seed(1)
    return torch.randn(200, 16, generator=g), torch.randint(0, 5, (200,), generator=g)


def test_mc_dropout_scores_the_arithmetic_not_the_masks():
    """The same weights with dropout 0.5 kept on (eval(), then Dropout.train(): MC dropout's
    recipe) score as the deterministic model does; before 2026-12-06 the reference and the
    emulated pass drew different masks (agreement ~70 %, SNR a few dB), or eval() had switched
    dropout off."""
    x, y = _data()
    det = evaluate(_mlp(nn.Identity()).eval(), x, y, EXACT)
    mc = _mlp(nn.Dropout(0.5)).eval()
    mc[2].train()
    res = evaluate(mc, x, y, EXACT)
    assert mc[2].training and res.train_modules == ["2"]  # the user's mode kept
    assert res.random_ops == {"bernoulli_": 1}
    # 8-bit weights and inputs: SNR ~ 6.02 * 8 dB, whether dropout is on or not
    assert det.output_snr_db > 35 and res.output_snr_db > 35
    assert res.agreement > 0.97
    # a model given in train mode (a new module's default) is still put in eval mode
    fresh = _mlp(nn.Dropout(0.5))
    assert evaluate(fresh, x, y, EXACT).random_ops == {} and not fresh.training


class Bayes(nn.Module):
    def __init__(self):
        super().__init__()
        self.mu = nn.Parameter(torch.randn(5, 16) * 0.3)
        self.rho = nn.Parameter(torch.full((5, 16), -1.0))

    def forward(self, x):
        return x @ (self.mu + F.softplus(self.rho) * torch.randn_like(self.mu)).t()


def test_sampled_weight_is_its_own_fp32_model_and_said_sampled():
    """A weight sampled each forward runs in fp32 (no CIM claims it): with common random numbers
    it agrees with itself; before, the fp32 model disagreed with itself (62.5 % in find-B 1)."""
    x, y = _data()
    res = evaluate(Bayes().eval(), x, y, EXACT)
    assert res.computed_sampled_ops == {"mm": 1} and res.emulated_ops == {}
    assert res.agreement == 1.0 and math.isinf(res.output_snr_db)


def test_calibration_by_hand():
    """Two samples, two classes, logits (0, ln 3) and (0, 0): p = (1/4, 3/4) and (1/2, 1/2);
    labels 1 and 0."""
    scores = torch.tensor([[0.0, math.log(3)], [0.0, 0.0]])
    cal = calibration(scores, torch.tensor([1, 0]), 1)
    assert cal["nll"] == pytest.approx((-math.log(0.75) - math.log(0.5)) / 2, rel=1e-6, abs=0)  # float32 logits
    # Brier: ((1/4)^2 + (1/4)^2 + (1/2)^2 + (1/2)^2) / 2
    assert cal["brier"] == pytest.approx((0.125 + 0.5) / 2, rel=1e-6, abs=0)  # float32 logits
    # ECE, 15 bins: confidence 0.75 (bin 12), right; 0.5 (bin 8), argmax 0 = label, right:
    # (|1 - 0.75| + |1 - 0.5|) / 2
    assert cal["ece"] == pytest.approx(0.375, rel=1e-6, abs=0)  # float32 logits


def test_calibration_in_the_result():
    x, y = _data()
    res = evaluate(_mlp(nn.Identity()).eval(), x, y, EXACT)
    for k in ("nll", "brier", "ece"):
        assert getattr(res, f"output_{k}") is not None
        assert getattr(res, f"output_{k}_reference") is not None
    # 8-bit arithmetic barely moves the probabilities
    assert res.output_nll == pytest.approx(res.output_nll_reference, rel=0.02, abs=0)
