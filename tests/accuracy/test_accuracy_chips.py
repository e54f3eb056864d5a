"""Monte-Carlo chips: independent streams per (seed, chip), an undefined spread from one random
chip, and top-1's sampling interval from the test set's size (find-A 3, 4)."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from cimsim.accuracy import Arith, NonIdeal  # noqa: E402
from cimsim.accuracy.run import chip_seeds, evaluate, wilson_interval  # noqa: E402
from cimsim.accuracy.target import _record  # noqa: E402
from cimsim.report import columns as C  # noqa: E402

pytestmark = pytest.mark.torch


def _model_and_data():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(32, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10))
    g = torch.Generator().manual_seed(1)
    x = torch.rand(200, 32, generator=g)
    return model.eval(), x, model(x).argmax(-1).detach()  # labels: fp32's own arg-max


def test_seeds_share_no_chip():
    """seed + i made chips 1, 2 of seed 0 chips 0, 1 of seed 1: equal SNRs, to the bit."""
    assert not set(chip_seeds(0, 3)) & set(chip_seeds(1, 3))
    assert chip_seeds(0, 2) == chip_seeds(0, 3)[:2]  # chip i of a seed at any number of chips
    model, x, y = _model_and_data()
    snr = {s: [r["output_snr_db"] for r in evaluate(
        model, x, y, Arith(), nonideal=NonIdeal(programming_sigma=0.05, repeats=3, seed=s)).per_repeat]
        for s in (0, 1)}
    assert not set(snr[0]) & set(snr[1])
    assert len(set(snr[0])) == 3


def test_one_random_chip_has_an_undefined_spread():
    model, x, y = _model_and_data()
    one = evaluate(model, x, y, Arith(), nonideal=NonIdeal(programming_sigma=0.05, repeats=1))
    assert math.isnan(one.accuracy_top1_std) and math.isnan(one.agreement_std)
    rec = _record(one, "b")
    assert rec[C.ACCURACY_TOP1_STD] is None and rec[C.OUTPUT_KL_STD] is None
    exact = evaluate(model, x, y, Arith())  # nothing random: every chip is this one
    assert exact.accuracy_top1_std == 0.0 and _record(exact, "b")[C.ACCURACY_TOP1_STD] == 0.0


def test_wilson_interval_closed_form():
    # p = 0.97, n = 360, z = 1.96: centre (0.97 + 1.96^2/720) / (1 + 1.96^2/360) = 0.965033,
    # half-width 1.96 / 1.010671 * sqrt(0.97 * 0.03 / 360 + 1.96^2 / (4 * 360^2)) = 0.018217
    lo, hi = wilson_interval(0.97, 360)
    assert lo == pytest.approx(0.965033 - 0.018217, abs=2e-5)  # z = 1.959964, not 1.96
    assert hi == pytest.approx(0.965033 + 0.018217, abs=2e-5)  # z = 1.959964, not 1.96
    # all 10 right: n / (n + z^2) = 10 / 13.8415 = 0.72246 to 1
    assert wilson_interval(1.0, 10) == pytest.approx((0.72246, 1.0), abs=2e-5)


def test_top1_interval_uses_the_test_set_size():
    model, x, y = _model_and_data()
    res = evaluate(model, x, y, Arith(adc_bits=3))
    assert (res.accuracy_top1_ci_low, res.accuracy_top1_ci_high) == wilson_interval(res.accuracy_top1, 200)
    rec = _record(res, "b")
    assert rec[C.ACCURACY_TOP1_CI_LOW] < rec[C.ACCURACY_TOP1] < rec[C.ACCURACY_TOP1_CI_HIGH]
