"""A model's own randomness (find-B 1, 2, 3) and calibration metrics (find-B 6)."""

import math

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn
F = nn.functional

from cimsim.accuracy import Arith  # noqa: E402
from cimsim.accuracy.classes import calibration  # noqa: E402
from cimsim.accuracy.run import evaluate, randomness_note  # noqa: E402

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
    # no generator held: none named (final-read19-1 #5: "and the 0 generator(s) its modules hold")
    assert "(torch, numpy and random seeded 0 reset before each pass)" in randomness_note(res)
    # a model given in train mode (a new module's default) is still put in eval mode, and given
    # back in train mode (before 2026-12-06 the caller's model was left in eval mode)
    fresh = _mlp(nn.Dropout(0.5))
    assert evaluate(fresh, x, y, EXACT).random_ops == {} and fresh.training and fresh[2].training


def test_train_then_norm_eval_is_kept_and_given_back():
    """MC dropout's other recipe, model.train() then BatchNorm.eval() (review19-B 3): the modes
    are kept (the masks drawn, the norm on its running statistics) and named; the caller's
    modes are unchanged after. Before, the model was put in eval mode (no draws, no note)."""
    x, y = _data()
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(16, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 5))
    m.train()
    m[1].eval()
    res = evaluate(m, x, y, EXACT)
    assert res.random_ops == {"bernoulli_": 1}
    assert (res.train_modules, res.eval_modules) == ([""], ["1"])
    assert [k.training for k in m.modules()] == [True, True, False, True, True, True]
    assert res.agreement > 0.97 and res.output_snr_db > 35  # 8-bit: ~6.02 * 8 dB
    assert "the model given in train mode with 1 submodule(s) in eval mode" in randomness_note(res)


class OwnGenerator(nn.Module):
    """MC dropout whose masks come from a generator the module holds (reproducible sampling)."""

    def __init__(self, g):
        super().__init__()
        torch.manual_seed(0)
        self.fc1, self.fc2, self.g = nn.Linear(16, 64), nn.Linear(64, 5), g

    def forward(self, x):
        h = F.relu(self.fc1(x))
        return self.fc2(h * (torch.rand(h.shape, generator=self.g) > 0.5).float() * 2)


_OUTSIDE = torch.Generator().manual_seed(1)


class OutsideGenerator(OwnGenerator):
    def forward(self, x):  # a module-level generator: none of the model's attributes
        h = F.relu(self.fc1(x))
        return self.fc2(h * (torch.rand(h.shape, generator=_OUTSIDE) > 0.5).float() * 2)


def test_a_held_generator_draws_the_same_masks_in_every_pass():
    """review19-B 2: masks from ``generator=self.g`` are reset with the module's generator before
    each pass, so the exact 8-bit arithmetic agrees as the seeded global draws do; before, the
    generator advanced between the passes (find-B's MLP: agreement 93.7 %, 8.0 dB) and the
    basis said both drew the same. The caller's generator is where it was after."""
    x, y = _data()
    g = torch.Generator().manual_seed(1)
    before = g.get_state()
    res = evaluate(OwnGenerator(g).eval(), x, y, EXACT)
    assert res.held_generators == 1 and res.reference_agreement is None
    assert res.agreement > 0.97 and res.output_snr_db > 35
    assert torch.equal(g.get_state(), before)
    assert "1 generator(s) its modules hold reset before each pass" in randomness_note(res)


def test_a_generator_not_reset_is_said_not_the_arithmetic():
    """A generator cimsim cannot see (a module-level global) still differs between passes: two
    fp32 passes are compared, and the basis says how far apart and that the difference is not
    the arithmetic's alone."""
    x, y = _data()
    res = evaluate(OutsideGenerator(None).eval(), x, y, EXACT)
    assert res.held_generators == 0 and res.reference_agreement < 0.99
    note = randomness_note(res)
    assert "two fp32 passes from the same random state differ" in note
    assert "by the arithmetic alone" not in note



class Counted(OwnGenerator):
    def forward(self, x):
        self.passes += 1
        return self.fc2(F.relu(self.fc1(x)))


def test_a_cached_reference_with_its_check_runs_one_pass_and_keeps_the_check():
    """final-read19-1 #4: every evaluate() ran a second fp32 pass (the repeatability check),
    also with a sweep worker's cached ``reference``. Passes of the model, no calibration:
    1 fp32 + 1 check + 1 emulated = 3 with nothing given; 2 with ``reference`` alone; 1 with
    ``reference`` and its check ``repeatable`` (2 before). The check given is the one reported."""
    x, y = _data()
    model = Counted(None).eval()
    model.passes = 0
    ref = model(x).detach()
    for given, passes in (({}, 3), ({"reference": ref}, 2), ({"reference": ref, "repeatable": {}}, 1)):
        model.passes = 0
        evaluate(model, x, y, EXACT, **given)
        assert model.passes == passes, sorted(given)
    outside = OutsideGenerator(None).eval()
    ref = evaluate(outside, x, y, EXACT)  # the check made once, reused as a sweep worker does
    got = evaluate(outside, x, y, EXACT, reference=torch.zeros(200, 5), repeatable={
        "reference_agreement": ref.reference_agreement, "reference_snr_db": ref.reference_snr_db})
    assert got.reference_agreement == ref.reference_agreement < 0.99
    assert "two fp32 passes from the same random state differ" in randomness_note(got)

class NumpyNoise(OwnGenerator):
    def forward(self, x):  # numpy's global generator, seeded before each pass as torch's is
        import numpy as np

        return self.fc2(F.relu(self.fc1(x)) + torch.from_numpy(np.random.rand(64).astype("float32")))


def test_numpy_global_draws_are_the_same_in_every_pass():
    x, y = _data()
    res = evaluate(NumpyNoise(None).eval(), x, y, EXACT)
    assert res.reference_agreement is None and res.output_snr_db > 35


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
