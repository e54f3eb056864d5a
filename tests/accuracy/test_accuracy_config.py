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


def test_from_cim_reads_the_config_fields_set_on_the_command_line():
    from cimsim import bundled
    from cimsim.config import load_architecture

    arch = load_architecture(bundled.resolve_config("rram-cim"), {
        "cim.rows": "256", "cim.cols": "64", "cim.bits_per_cell": "1", "cim.weight_bits": "4",
        "cim.input_bits": "4", "cim.dac_bits": "2", "cim.signed_inputs": "true",
        "cim.adc.bits": "6", "cim.adc.range_policy": "calibrated",
        "cim.adc.range_percentile": "99", "cim.rows_per_read": "32",
        "cim.nonideal.encoding": "differential"}, cli=True)
    cim = arch.components["cim"]
    assert cim.nonideal == NonIdeal(encoding="differential")  # started by --set, rest default
    a = Arith.from_cim(cim)
    assert a.R == 32 and a.adc_range_policy == "calibrated" and a.adc_percentile == 99.0
    assert a.encoding == "differential" and a.weight_slices == 3 and a.input_slices == 2
    assert a.lossless_adc_bits == 8  # 32 * 3 * 1 = 96 -> 7 bits, + 1 sign bit


def test_bundled_configs_have_no_nonideal_block():
    from cimsim import bundled
    from cimsim.config import load_architecture

    for p in bundled.config_paths():
        for comp in load_architecture(p).components.values():
            assert getattr(comp, "nonideal", None) is None, p.stem


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
    # past what the emulator can draw (a tester, 2026-12-05: a traceback each): the noise's
    # square overflows a float past ~1.3e154 LSB; a chip's seed is a 64-bit generator's
    {"adc_noise": 1e308}, {"adc_noise": 1.000001e6}, {"adc_noise": float("inf")},
    {"seed": 10**23}, {"seed": 2**62 + 1},
])
def test_nonideal_refuses_bad_values(block):
    with pytest.raises(ValidationError):
        NonIdeal(**block)


def test_nonideal_bounds_are_reachable():
    assert NonIdeal(adc_noise=1e6, seed=2**62).seed == 2**62


def test_nonideal_fields_all_described():
    from cimsim.accuracy.nonideal import Drift, StuckAt
    for model in (NonIdeal, Drift, StuckAt):
        for name, f in model.model_fields.items():
            assert f.description, f"{model.__name__}.{name}"


def test_differential_encoding_doubles_the_columns_the_cost_model_converts():
    """rram-cim: 8-bit weights on 2-bit cells. Offset: ceil(8 / 2) = 4 columns per output;
    differential: 2 x ceil(7 / 2) = 8, so the ADC conversions and cell reads of one matmul
    double exactly; the emulator stores the same counts (Arith.weight_slices per polarity)."""
    from cimsim import bundled
    from cimsim.config import load_architecture
    from cimsim.pipeline import simulate
    from cimsim.workload import Op, Tensor, Workload

    wl = Workload("mm", [Tensor("x", (4, 64), "int8", "input"), Tensor("W", (64, 10), "int8", "weight"),
                         Tensor("y", (4, 10), "int8", "activation")],
                  [Op("mm", "matmul", ("x", "W"), ("y",), m=4, k=64, n=10, weight="W")])
    path = bundled.resolve_config("rram-cim")
    e = {}
    for enc in ("offset", "differential"):
        arch = load_architecture(path, {"cim.nonideal.encoding": enc}, cli=True)
        r = simulate(arch, wl)
        e[enc] = r.energy_breakdown_j
        a = Arith.from_cim(arch.components["cim"])
        assert a.weight_slices * (2 if enc == "differential" else 1) == (4 if enc == "offset" else 8)
    for part in ("cim_adc", "cim_array"):
        assert e["differential"][part] == pytest.approx(2 * e["offset"][part], rel=1e-12, abs=0)


def test_set_starts_an_optional_section_but_not_a_missing_component():
    from cimsim import bundled
    from cimsim.config import load_architecture
    from cimsim.errors import ConfigError

    arch = load_architecture(bundled.resolve_config("rram-cim"),
                             {"cim.nonideal.stuck_at.off": "0.01"}, cli=True)
    assert arch.components["cim"].nonideal.stuck_at.off == 0.01
    with pytest.raises(ConfigError, match="'cim' is not a section of this config"):
        load_architecture(bundled.resolve_config("cpu-ddr5"), {"cim.nonideal.adc_noise": "0.5"},
                          cli=True)
    with pytest.raises(ConfigError, match="drift.time"):   # a started block still validates
        load_architecture(bundled.resolve_config("rram-cim"), {"cim.nonideal.drift.nu": "0.05"},
                          cli=True)


def test_arithmetic_key_sees_the_arithmetic_not_the_costs():
    """A sweep worker reuses a point's accuracy for points of equal key: equal for a change of
    array count or ADC energy, different for ADC bits, rows read at once or a noise level."""
    from cimsim import bundled
    from cimsim.accuracy.target import arithmetic_key
    from cimsim.config import load_architecture

    p = bundled.resolve_config("rram-cim")

    def key(**sets):
        return arithmetic_key(load_architecture(p, {k.replace("__", "."): v for k, v in sets.items()},
                                                cli=True))

    base = key()
    assert key(cim__arrays="4096") == base
    assert key(cim__adc__energy_per_conversion="1 pJ") == base
    for change in ({"cim__adc__bits": "5"}, {"cim__rows_per_read": "32"},
                   {"cim__nonideal__read_sigma": "0.01"}, {"cim__adc__range_policy": "unit"}):
        assert key(**change) != base, change
    assert hash(key(cim__nonideal__read_sigma="0.01")) == hash(key(cim__nonideal__read_sigma="0.01"))
