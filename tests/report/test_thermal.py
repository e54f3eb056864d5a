"""The thermal block (find-B 5): t_junction_c = t_ambient + r_th x (average power less the
off-chip memory levels'), checked against t_junction_max; temperatures read in °C or K. Golden
values: gpu-hbm3's 4 fp16 8192^3 matmuls, closed form in test_power_plausibility (MACs 595.7 W
+ static 100 W + L2 4.507 W on the die, HBM 11.25 W beside it)."""

from __future__ import annotations

import warnings

import pytest
from click.testing import CliRunner

from cimsim import load_architecture, simulate
from cimsim.cli import main
from cimsim.errors import ConfigError
from cimsim.report import columns as C
from cimsim.units import UnitError, parse_quantity
from cimsim.workload.generators import matmul

N, COUNT = 8192, 4


def _run(**over):
    arch = load_architecture("gpu-hbm3", overrides=over)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its 711 W is above the H100's 700 W TDP
        return arch, simulate(arch, matmul(N, N, N, count=COUNT, dtype="fp16"))


def _die_power_w(arch, r) -> float:
    """MACs + static + L2 (the die), each closed form over the run's latency."""
    p = arch.components["processor"]
    peak = p.cores * p.clock * p.macs_per_cycle_per_core["fp16"]
    lat = COUNT * (N ** 3 / peak + p.op_overhead + arch.memory["dram"].latency)
    assert r.latency_s == pytest.approx(lat, rel=1e-9, abs=0)
    moved = COUNT * 3 * N * N * 2
    return (COUNT * N ** 3 * p.energy_per_mac["fp16"] + moved * arch.memory["sram"].joules_per_byte) / lat \
        + p.static_power


def test_temperatures_read_in_celsius_or_kelvin():
    assert parse_quantity("318.15 K", "°C") == pytest.approx(45.0, rel=0, abs=1e-12)
    assert parse_quantity("45 degC", "°C") == 45.0 and parse_quantity("-40 °C", "°C") == -40.0
    assert parse_quantity("0.5 °C/W", "K/W") == parse_quantity("0.5 K/W", "K/W") == 0.5
    for bad in ("45", "45 mK", "45 W", 45):
        with pytest.raises(UnitError):
            parse_quantity(bad, "°C")


def test_junction_temperature_from_the_on_chip_power_and_its_maximum():
    arch, r = _run(**{"thermal.r_th": "0.1 K/W", "thermal.t_ambient": "35 °C",
                      "thermal.t_junction_max": "100 °C"})
    die = _die_power_w(arch, r)
    assert round(die, 1) == 700.2  # 595.7 + 100 + 4.5: the HBM's 11.25 W is off the die
    tj = 35 + 0.1 * die  # 105.0 °C
    assert r.facts[C.T_JUNCTION_C] == pytest.approx(tj, rel=1e-9, abs=0)
    assert r.record()[C.T_JUNCTION_C] == pytest.approx(tj, rel=1e-9, abs=0)
    assert r.to_json()[C.T_JUNCTION_C] == pytest.approx(tj, rel=1e-9, abs=0)
    assert C.T_JUNCTION_C in C.result_columns(arch)
    warn = [n for n in r.notes if "above thermal.t_junction_max (100 °C)" in n]
    assert len(warn) == 1 and warn[0] in r.implausible_notes and not r.physically_plausible
    # what fits: (100 - 35) K / 0.1 K/W = 650 W
    assert "the chip may dissipate 650 W" in warn[0]
    # the HBM is off the chip: no note on its refresh however hot the die
    assert not any("refreshes twice" in n for n in r.notes)


def test_no_warning_below_the_maximum_and_no_column_without_the_block():
    _, r = _run(**{"thermal.r_th": "0.1 K/W", "thermal.t_ambient": "318.15 K",
                   "thermal.t_junction_max": "125 °C"})
    assert 114 < r.facts[C.T_JUNCTION_C] < 116  # 45 + 70.02
    assert not any("t_junction_max" in n for n in r.implausible_notes)
    arch, plain = _run()
    assert C.T_JUNCTION_C not in plain.record() and C.T_JUNCTION_C not in C.result_columns(arch)
    assert not any(n.startswith("thermal:") for n in plain.notes)


def test_bonded_dram_counts_and_is_named_above_85_c():
    """The HBM marked off_chip: false (a die bonded on the logic): its 11.25 W is at the junction,
    and above 85 °C the note names its refresh."""
    arch, r = _run(**{"thermal.r_th": "0.1 K/W", "thermal.t_ambient": "35 °C",
                      "memory.dram.off_chip": False})
    assert r.facts[C.T_JUNCTION_C] == pytest.approx(35 + 0.1 * r.average_power_w, rel=1e-12, abs=0)
    assert round(r.facts[C.T_JUNCTION_C], 1) == 106.1  # 35 + 0.1 x 711.4
    hot = [n for n in r.notes if "refreshes twice" in n]
    assert len(hot) == 1 and "on-chip DRAM dram" in hot[0] and "n_refi" in hot[0]


@pytest.mark.parametrize("sets, words", [
    (["thermal.r_th=0.1K/W"], "thermal.t_ambient: required"),
    (["thermal.r_th=0.1K/W", "thermal.t_ambient=35"], "has no unit"),
    (["thermal.r_th=0K/W", "thermal.t_ambient=35degC"], "thermal.r_th"),
    (["thermal.r_th=1K/W", "thermal.t_ambient=-300degC"], "absolute zero"),
    (["thermal.r_th=1K/W", "thermal.t_ambient=45degC", "thermal.t_junction_max=40degC"],
     "must be above t_ambient"),
])
def test_bad_thermal_input_is_one_line(sets, words):
    args = ["run", "gpu-hbm3", "lstm"] + [a for s in sets for a in ("--set", s)]
    res = CliRunner().invoke(main, args)
    assert res.exit_code != 0 and words in res.output and "Traceback" not in res.output
    with pytest.raises(ConfigError):
        load_architecture("gpu-hbm3", overrides=dict(s.split("=", 1) for s in sets))
