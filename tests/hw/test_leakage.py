"""Leakage model (cimsim.hw.circuits.leakage) and the CIM's derived static power.

Goldens are closed-form arithmetic on published constants:

- off current at 300 K, PTM cards via NeuroSim V1.4 Technology.cpp @ ac828e6 (T): 22 nm LP
  100.0 pA/um nMOS and pMOS; 22 nm HP 100.2 nA/um both; 14 nm LP nMOS 100 pA/um, 10 nm LP
  nMOS 127 pA/um;
- 6T widths, NeuroSim V1.4 Param.cpp (P): pull-down 2 F, pull-up 1 F, access 1 F; a stored bit
  has a pull-down, a pull-up and an access device off: 3 F nMOS + 1 F pMOS;
- periphery: the 6T cell's 8 F of gate width per 10 x 28 F^2, half off (stated rule);
- power = I_off x V (no DIBL scaling, stated).
"""

from __future__ import annotations

import copy
import math

import pytest

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.errors import ConfigError
from cimsim.hw.circuits import leakage

from conftest import ROUND_ARCH, ROUND_CIM, ROUND_LINK, gemv_workload

F22 = 22e-9
LP22 = 100.0e-6  # A/m (= uA/um), nMOS and pMOS
BIT22_09 = (3 * F22 * LP22 + 1 * F22 * LP22) * 0.9  # 7.92e-12 W


def test_64kb_sram_array_is_bits_times_per_bit_leakage_times_v():
    assert BIT22_09 == pytest.approx(7.92e-12, rel=1e-12, abs=0)
    got = leakage.array_w("sram_6t", 256, 256, 22, 0.9)
    assert got == pytest.approx(65536 * 4 * F22 * LP22 * 0.9, rel=1e-12, abs=0)


def test_supply_scales_power_linearly_off_current_not_scaled():
    assert leakage.sram_bit_w(22, 0.8) / leakage.sram_bit_w(22, 0.9) == pytest.approx(
        0.8 / 0.9, rel=1e-12, abs=0)


def test_resistive_cells_leak_nothing():
    for cell in ("rram_1t1r", "fefet", "pcm"):
        assert leakage.array_w(cell, 128, 128, 22, 0.9) == 0.0


def test_8t_adds_its_read_access_device():
    # 5 F off instead of 4 F, nMOS and pMOS off currents equal at 22 nm
    assert leakage.sram_bit_w(22, 0.9, cell="sram_8t") == pytest.approx(
        5 * F22 * LP22 * 0.9, rel=1e-12, abs=0)


def test_hp_devices_leak_a_thousand_times_more():
    assert leakage.sram_bit_w(22, 0.9, "hp") == pytest.approx(
        4 * F22 * 100.2e-3 * 0.9, rel=1e-12, abs=0)
    with pytest.raises(ValueError, match="hp"):
        leakage.sram_bit_w(14, 0.8, "hp")
    with pytest.raises(ValueError, match="allowed"):
        leakage.off_current(22, "ulp")


def test_off_current_log_linear_between_nodes():
    t = (math.log(12) - math.log(10)) / (math.log(14) - math.log(10))
    want = math.exp((1 - t) * math.log(127.0e-6) + t * math.log(100.0e-6))
    assert leakage.off_current(12)[0] == pytest.approx(want, rel=1e-12, abs=0)
    assert leakage.off_current(180) == leakage.off_current(130)


def test_periphery_by_area():
    area = 1e-6  # 1 mm^2
    width_off = area / F22 ** 2 * (8 / 280) * 0.5 * F22
    assert leakage.periphery_w(area, 22, 0.9) == pytest.approx(width_off * LP22 * 0.9,
                                                               rel=1e-12, abs=0)


# ------------------------------------------------------------------ wired into the CIM
TECH = {"node": "22 nm", "voltage": "0.9 V"}
AREA = {"array": "100 um^2", "adc": "1000 um^2", "digital": "500 um^2", "dac": "0 mm^2",
        "buffer": "0 mm^2", "other": "0 mm^2"}


def arch(static=None, tech=TECH, placeholders=None, **cim_over):
    d = copy.deepcopy(ROUND_ARCH)
    d["links"] = {"interconnect": dict(ROUND_LINK)}
    cim = copy.deepcopy(ROUND_CIM)
    cim.update(technology="sram", area=dict(AREA))
    del cim["static_power"]
    if static is not None:
        cim["static_power"] = static
    cim.update(cim_over)
    d["cim"] = cim
    if tech is not None:
        d["technology"] = tech
    if placeholders is not None:
        d["placeholders"] = placeholders
    return architecture_from_dict(d)


def golden_sram_static():
    arrays = 64 * 128 * 128 * BIT22_09
    periph_area = 64 * 1 * 1000e-12 + 64 * 500e-12  # one ADC per array + digital per array
    periph = periph_area / F22 ** 2 * (8 / 280) * 0.5 * F22 * LP22 * 0.9
    buffer = 64 * 1024 * 8 * BIT22_09
    return arrays + periph + buffer


def test_derived_static_power_closed_form_and_provenance():
    cim = arch().component("cim")
    assert cim.static_power_w == pytest.approx(golden_sram_static(), rel=1e-12, abs=0)
    assert cim.provenance()["static"] == "derived"


def test_rram_cells_contribute_nothing():
    cim = arch(technology="rram").component("cim")
    assert cim.static.parts["arrays"] == 0.0
    assert cim.static_power_w == pytest.approx(golden_sram_static() - 64 * 128 * 128 * BIT22_09,
                                               rel=1e-12, abs=0)


def test_given_static_power_wins():
    cim = arch(static="2 W").component("cim")
    assert cim.static_power_w == 2.0
    assert cim.provenance()["static"] == "given"


def test_placeholder_periphery_area_makes_static_placeholder():
    a = arch(placeholders=["cim.area.adc"])
    assert a.component("cim").provenance(a.placeholders)["static"] == "placeholder"
    a = arch(placeholders=["cim.area.array"])  # the cells' area is not what leaks
    assert a.component("cim").provenance(a.placeholders)["static"] == "derived"


def test_no_static_power_and_no_technology_is_one_config_error():
    with pytest.raises(ConfigError, match="static_power"):
        arch(tech=None)


def test_hp_devices_below_22nm_is_one_config_error_naming_the_field():
    with pytest.raises(ConfigError, match="cim.leakage_devices: 14 nm has no hp"):
        arch(tech={"node": "14 nm"}, leakage_devices="hp")


def test_derived_static_is_not_counted_as_placeholder_energy():
    # the processor's 1 W static is marked (U); the CIM's derived static is not: the static
    # energy's placeholder fraction is 1 W / (1 W + P_cim), nothing else is marked
    a = arch(placeholders=["processor.static_power"])
    r = simulate(a, gemv_workload(128, 16), engine="analytic")
    p = golden_sram_static()
    static_j = r.energy_breakdown_j["static"]
    assert static_j == pytest.approx((1.0 + p) * r.latency_s, rel=1e-12, abs=0)
    assert r.energy_placeholder_share * r.energy_j == pytest.approx(
        static_j * 1.0 / (1.0 + p), rel=1e-9, abs=0)
