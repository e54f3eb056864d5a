"""Arith and the nonideal block: built from a CIM config, bad values refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cimsim.accuracy.arith import Arith
from cimsim.accuracy.nonideal import NonIdeal


def test_from_cim_reads_the_cost_models_fields(cim_arch):
    cim = cim_arch.components["cim"]
    a = Arith.from_cim(cim)
    assert (a.rows, a.cols, a.bits_per_cell, a.weight_bits, a.input_bits, a.dac_bits,
            a.adc_bits, a.signed_inputs) == (128, 128, 2, 8, 8, 1, 8, False)
    assert a.R == 128 and a.adc_range_policy == "max" and a.encoding == "offset"
    # ISAAC-like: 128 rows x 1-bit inputs x 2-bit cells -> 384 -> 9 bits lossless
    assert a.max_partial_sum == 384 and a.lossless_adc_bits == 9
    assert a.input_slices == cim.slices


def test_from_cim_reads_future_fields():
    class ADC:
        bits, range_policy, range_percentile = 6, "calibrated", 99.0

    class Cim:
        rows, cols, bits_per_cell, weight_bits, input_bits, dac_bits = 256, 64, 1, 4, 4, 2
        signed_inputs, adc, rows_per_read = True, ADC(), 32
        nonideal = NonIdeal(encoding="differential")

    a = Arith.from_cim(Cim())
    assert a.R == 32 and a.adc_range_policy == "calibrated" and a.adc_percentile == 99.0
    assert a.encoding == "differential" and a.weight_slices == 3 and a.input_slices == 2
    assert a.lossless_adc_bits == 8  # 32 * 3 * 1 = 96 -> 7 bits, + 1 sign bit


@pytest.mark.parametrize("kw", [dict(rows_per_read=0), dict(rows_per_read=129),
                                dict(adc_range_policy="best"), dict(weight_bits=1),
                                dict(dac_bits=9), dict(bits_per_cell=9), dict(adc_bits=0),
                                dict(encoding="twos"), dict(adc_percentile=0)])
def test_arith_refuses_bad_values(kw):
    with pytest.raises(ValueError):
        Arith(**kw)


@pytest.mark.parametrize("block", [
    {"adc_noise": -1}, {"programming_sigma": 1.5}, {"read_sigma": -0.1},
    {"stuck_at": {"on": 0.7, "off": 0.6}}, {"on_off_ratio": 1.0}, {"repeats": 0},
    {"drift": {"time": 100}}, {"drift": {"time": "10 s", "t0": "20 s"}},
    {"drift": {"time": "1 Ms", "nu": -0.1}}, {"drift": {"time": "1 Ms", "nu_std": 0.01}},
    {"seed": -1}, {"bogus": 1}, {"encoding": "twos"},
])
def test_nonideal_refuses_bad_values(block):
    with pytest.raises(ValidationError):
        NonIdeal(**block)


def test_nonideal_fields_all_described():
    from cimsim.accuracy.nonideal import Drift, StuckAt
    for model in (NonIdeal, Drift, StuckAt):
        for name, f in model.model_fields.items():
            assert f.description, f"{model.__name__}.{name}"
