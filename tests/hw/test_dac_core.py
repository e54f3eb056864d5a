"""A multi-bit level DAC's resistor-string core (find-L3 1): energy per conversion, settling
added to the read time, area per row; 1-bit drivers unchanged. Golden values written out from
the closed forms of module dac (Kester, ADI MT-014; Ohm, Thevenin, single-pole RC)."""

from __future__ import annotations

import math

import pytest

from cimsim import load_architecture, simulate
from cimsim.hw.cim.derive import design
from cimsim.hw.circuits import dac, sense
from conftest import gemv_workload

# rram-cim-derived: 22 nm, nominal supply, rram_1t1r read at 0.5 V for 10 ns, 128 columns of
# 4 x 12 F^2 cells: the row is 128 x 12 F x 22 nm of wire at 0.2 fF/um = 6.7584 fF
C_ROW = 128 * 12 * 22e-9 * 0.2e-15 / 1e-6
V, T_READ, NODE = 0.5, 10e-9, 22.0


def _r_tg():
    # a minimum (2 F) transmission gate: R_on W / (2 W), R_on W = FO4 / (15 C_g') (module sense)
    return sense.unit_resistance_ohm_m(NODE) / (2 * 2.0 * NODE * 1e-9)


def _design(**over):
    a = load_architecture("rram-cim-derived", overrides=over)
    return design(a.components["cim"], a.technology)


def test_resistor_string_closed_form():
    r_tg = _r_tg()
    est = dac.resistor_string_dac(4, V, C_ROW, NODE, hold_s=10e-9)
    r_out = 16 * 1e3 / 4 + 4 * r_tg  # mid-string tap: two 8 kOhm halves in parallel, 4 gates
    assert float(est.delay_s) == pytest.approx(5 * math.log(2) * r_out * C_ROW, rel=1e-12)
    assert float(est.energy_j) == pytest.approx(0.25 / 16e3 * 10e-9, rel=1e-12)  # 156.25 fJ
    # 16 unit resistors of 1 um^2 and 30 gates of 30 F^2 at 22 nm
    assert float(est.area_m2) == pytest.approx(16e-12 + 30 * 30 * (22e-9) ** 2, rel=1e-12)
    assert est.provenance == "placeholder"
    assert dac.switches(2) == 6 and dac.switches(8) == 510
    with pytest.raises(ValueError, match="at least 2 bits"):
        dac.resistor_string_dac(1, V, C_ROW, NODE, 1e-9)


def test_derived_design_adds_core_energy_settling_and_area():
    base, d4 = _design(), _design(**{"cim.dac_bits": 4})
    r_out = 4e3 + 4 * _r_tg()
    settle = 5 * math.log(2) * r_out * C_ROW  # 0.631 ns
    assert base.read_latency == pytest.approx(T_READ, rel=1e-12)
    assert d4.read_latency == pytest.approx(T_READ + settle, rel=1e-9)
    core = V * V / 16e3 * (T_READ + settle)  # the string's draw over the held read: 166 fJ
    assert d4.dac_core_energy == pytest.approx(core, rel=1e-9)
    drive = C_ROW * (1 + 2 / 3) * V * V * 0.5  # the row's own C V V_k at the mean level
    assert d4.dac_energy == pytest.approx(drive + core, rel=1e-9)
    assert d4.provenance["dac_energy"] == "placeholder"
    per_dac = 16e-12 + 30 * 30 * (22e-9) ** 2
    assert d4.area["dac"] == pytest.approx(33800 * 128 * per_dac, rel=1e-9)  # one per row
    # 1-bit drivers (every bundled config): no core, no settling, no DAC area
    assert base.dac_core_energy == 0.0 and base.area["dac"] == 0.0
    # temporal drives have no voltage DAC: no core
    assert _design(**{"cim.dac_bits": 4, "cim.input_drive": "pulse_count"}).dac_core_energy == 0.0


def test_given_numbers_win_over_the_core():
    d = _design(**{"cim.dac_bits": 2, "cim.read_latency": "20 ns", "cim.dac_energy": "1 fJ"})
    assert d.read_latency == pytest.approx(20e-9) and d.dac_energy == pytest.approx(1e-15) and d.dac_core_energy == 0.0
    d = _design(**{"cim.dac_bits": 2, "cim.read_latency": "20 ns"})
    # a given read time is the whole read: no settling added, the string held for it
    assert d.read_latency == pytest.approx(20e-9, rel=1e-12)
    assert d.dac_core_energy == pytest.approx(V * V / 4e3 * 20e-9, rel=1e-12)


def test_simulate_charges_the_core_and_notes_it():
    r1 = simulate(load_architecture("rram-cim-derived", overrides={"cim.dac_bits": 2}),
                  gemv_workload(64, 64), engine="analytic")
    note = next(n for n in r1.notes if "derived by the circuit models" in n)
    assert "a 2-bit level DAC: the row's C·V·V_k charge plus a resistor-string core of" in note
