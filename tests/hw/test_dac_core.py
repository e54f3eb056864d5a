"""A multi-bit level DAC's resistor-string core (find-L3 1): energy per conversion, settling
added to the read time, area per row; 1-bit drivers unchanged. Golden values written out from
the closed forms of module dac (Kester, ADI MT-014; Ohm, Thevenin, single-pole RC)."""

from __future__ import annotations

import math

import pytest

from cimsim import load_architecture, simulate
from cimsim.hw.cim.derive import design
from cimsim.hw.circuits import dac
from conftest import gemv_workload

# rram-cim-derived: 22 nm, nominal supply, rram_1t1r read at 0.5 V for 10 ns, 128 columns of
# 4 x 12 F^2 cells: the row is 128 x 12 F x 22 nm of wire at 0.2 fF/um = 6.7584 fF
C_ROW = 128 * 12 * 22e-9 * 0.2e-15 / 1e-6
V, T_READ, NODE = 0.5, 10e-9, 22.0


def _r_tg():
    # a minimum (2 F) transmission gate: R_on W / (2 W), R_on W = FO4 / (15 C_g') (module sense),
    # written out (README `dac` row: 5.735 kOhm at 22 nm) (review L3 6)
    return 5735.2225


def _design(**over):
    a = load_architecture("rram-cim-derived", overrides=over)
    return design(a.components["cim"], a.technology)


def test_resistor_string_closed_form():
    r_tg = _r_tg()
    est = dac.resistor_string_dac(4, V, C_ROW, NODE, hold_s=10e-9)
    r_out = 16 * 1e3 / 4 + 4 * r_tg  # mid-string tap: two 8 kOhm halves in parallel, 4 gates
    assert float(est.delay_s) == pytest.approx(5 * math.log(2) * r_out * C_ROW, rel=1e-6, abs=0)
    assert float(est.energy_j) == pytest.approx(0.25 / 16e3 * 10e-9, rel=1e-12, abs=0)  # 156.25 fJ
    # 16 unit resistors of 1 um^2 and 30 gates of 30 F^2 at 22 nm
    assert float(est.area_m2) == pytest.approx(16e-12 + 30 * 30 * (22e-9) ** 2, rel=1e-12, abs=0)
    assert est.provenance == "placeholder"
    assert dac.switches(2) == 6 and dac.switches(8) == 510
    with pytest.raises(ValueError, match="at least 2 bits"):
        dac.resistor_string_dac(1, V, C_ROW, NODE, 1e-9)


# the rram row is a DC load (review L3 1): 128 cells, half on at 100 kOhm, half off at 1.7 MOhm
SUM_G = 128 * (0.5 / 100e3 + 0.5 / 1.7e6)  # 6.776e-4 S: R_out sum G = 18.3 >> 2^-5
C_IN = 3 * 2 * 22e-9 * 1e-15 / 1e-6  # the buffer's 2 F input pair, 3 W C_g', 1 fF/um: 0.132 fF
VDD = 0.9  # 22 nm nominal supply


def test_string_alone_cannot_drive_a_resistive_row():
    r_out = 4e3 + 4 * _r_tg()
    assert r_out * SUM_G == pytest.approx(18.26, rel=1e-3, abs=0)  # the level reaches 5.2 % of V_k
    assert 1 / (1 + r_out * SUM_G) == pytest.approx(0.052, abs=1e-3)
    assert not dac.string_drives(4, r_out, SUM_G) and dac.string_drives(4, r_out, 1 / (32 * r_out))


def test_derived_design_buffers_the_string_on_a_resistive_row():
    base, d4 = _design(), _design(**{"cim.dac_bits": 4})
    r_out = 4e3 + 4 * _r_tg()
    # the string settles into the buffer's input, the buffer into the row through
    # R_o = 2^-5 / sum G in parallel with the row's 1 / sum G: 1 / (33 sum G) = 44.7 Ohm
    settle = 5 * math.log(2) * (r_out * C_IN + C_ROW / (33 * SUM_G))  # 13.4 ps, not 0.631 ns
    assert base.read_latency == pytest.approx(T_READ, rel=1e-12, abs=0)
    assert d4.read_latency == pytest.approx(T_READ + settle, rel=1e-6, abs=0)
    assert d4.provenance["read_latency"] == "placeholder"  # review L3 3: rests on (U) sizes
    assert base.provenance["read_latency"] == "derived"
    hold = T_READ + settle
    core = V * V / 16e3 * hold + VDD * V * SUM_G * hold  # string 156 fJ + buffer 3.05 pJ
    assert d4.dac_core_energy == pytest.approx(core, rel=1e-6, abs=0) and d4.dac_core == "buffered"
    drive = C_ROW * (1 + 2 / 3) * V * V * 0.5  # the row's own C V V_k at the mean level
    assert d4.dac_energy == pytest.approx(drive + core, rel=1e-6, abs=0)
    assert d4.provenance["dac_energy"] == "placeholder"
    per_dac = 16e-12 + 30 * 30 * (22e-9) ** 2 + 2000 * (22e-9) ** 2  # string, tree, buffer
    assert d4.area["dac"] == pytest.approx(33800 * 128 * per_dac, rel=1e-9, abs=0)  # one per row
    # 1-bit drivers (every bundled config): no core, no settling, no DAC area
    assert base.dac_core_energy == 0.0 and base.area["dac"] == 0.0 and base.dac_core == ""
    # temporal drives have no voltage DAC: no core
    assert _design(**{"cim.dac_bits": 4, "cim.input_drive": "pulse_count"}).dac_core_energy == 0.0


def test_given_area_dac_wins_per_row():  # review L3 6
    d = _design(**{"cim.dac_bits": 4, "cim.area.dac": "1 um^2"})
    assert d.area["dac"] == pytest.approx(33800 * 128 * 1e-12, rel=1e-12, abs=0)  # 4.33 mm^2


def test_given_dac_energy_keeps_settling_and_note():  # review L3 2, 6
    over = {"cim.dac_bits": 4, "cim.dac_energy": "1 fJ"}
    d = _design(**over)
    settle = 5 * math.log(2) * ((4e3 + 4 * _r_tg()) * C_IN + C_ROW / (33 * SUM_G))
    assert d.dac_energy == pytest.approx(1e-15, rel=1e-6, abs=0) and d.dac_core_energy == 0.0
    assert d.read_latency == pytest.approx(T_READ + settle, rel=1e-6, abs=0)
    r = simulate(load_architecture("rram-cim-derived", overrides=over), gemv_workload(64, 64),
                 engine="analytic")
    note = next(n for n in r.notes if "derived by the circuit models" in n)
    assert "a 4-bit level DAC (dac_energy given): a resistor-string core and output buffer" in note


def test_given_numbers_win_over_the_core():
    d = _design(**{"cim.dac_bits": 2, "cim.read_latency": "20 ns", "cim.dac_energy": "1 fJ"})
    assert d.read_latency == pytest.approx(20e-9, rel=1e-6, abs=0) and d.dac_energy == pytest.approx(1e-15, rel=1e-6, abs=0) and d.dac_core_energy == 0.0
    d = _design(**{"cim.dac_bits": 2, "cim.read_latency": "20 ns"})
    # a given read time is the whole read: no settling added, the string held for it
    assert d.read_latency == pytest.approx(20e-9, rel=1e-12, abs=0)
    sum_g_v = VDD * V * SUM_G  # the buffer's standing draw (2 bits: R_out sum G = 8.5 > 2^-3)
    assert d.dac_core_energy == pytest.approx((V * V / 4e3 + sum_g_v) * 20e-9, rel=1e-9, abs=0)


def test_simulate_charges_the_core_and_notes_it():
    r1 = simulate(load_architecture("rram-cim-derived", overrides={"cim.dac_bits": 2}),
                  gemv_workload(64, 64), engine="analytic")
    note = next(n for n in r1.notes if "derived by the circuit models" in n)
    assert "a 2-bit level DAC: the row's C·V·V_k charge plus a resistor-string core and output buffer of" in note
    assert "through a unity-gain buffer" in note


def test_charge_cell_dac_settles_into_the_input_broadcast():  # review L3 4
    """A charge-domain cell's input is its IA/IAb broadcast, not the wordline: 256 columns x
    (24.4995 F of cell width at 0.2 fF/um + a 4 F switch gate at 1 fF/um) at 22 nm = 50.12 fF
    (the sram_charge cell's 20.64 F at 65 nm, kept at its ratio to the published 6T cell at
    22 nm); the wordline's 27.6 fF undercounted the settling 1.82x."""
    f = 22e-9
    c_bc = 256 * (24.49948 * f * 0.2e-9 + 4 * f * 1e-9)
    assert c_bc == pytest.approx(50.12e-15, rel=1e-3, abs=0)
    over = {"cim.cell.type": "sram_charge"}
    a0 = load_architecture("sram-cim-derived", overrides=over)
    a4 = load_architecture("sram-cim-derived", overrides={**over, "cim.dac_bits": 4})
    base = design(a0.components["cim"], a0.technology)
    d4 = design(a4.components["cim"], a4.technology)
    settle = 5 * math.log(2) * (4e3 + 4 * _r_tg()) * c_bc  # 4.68 ns (2.58 ns into the wordline)
    assert d4.read_latency - base.read_latency == pytest.approx(settle, rel=1e-5, abs=0)
    assert d4.dac_core == "string"  # a capacitive row: the bare string holds the level
    core = 0.81 / 16e3 * (base.read_latency + settle)  # 0.9 V rail, 16 x 1 kOhm
    drive = c_bc * (1 + 2 / 3) * 0.81 * 0.5  # C V V_k at the mean level, on the broadcast
    assert d4.dac_energy == pytest.approx(drive + core, rel=1e-5, abs=0)


def test_activity_path_holds_the_dac_at_each_rows_activity():  # review L3 5
    """With measured activities (current_sense read), a buffered DAC's standing current
    follows each op's weight_ones: sum G(w) = 128 (w / 100 kOhm + (1 - w) / 1.7 MOhm)."""
    import numpy as np
    from cimsim.hw.cim.activity import activity_energies
    a = load_architecture("rram-cim-derived",
                          overrides={"cim.dac_bits": 4, "cim.adc.type": "current_sense"})
    c, tech = a.components["cim"], a.technology
    d = design(c, tech)
    e = activity_energies(c, tech, np.array([0.5, 0.5]), np.array([0.5, 0.9]))["dac_energy"]
    assert e[0] == pytest.approx(d.dac_energy, rel=1e-9, abs=0)  # the config's own activity

    def g(w):
        return 128 * (w / 100e3 + (1 - w) / 1.7e6)

    def settle(w):
        return 5 * math.log(2) * ((4e3 + 4 * _r_tg()) * C_IN + C_ROW / (33 * g(w)))

    t = d.read_latency - settle(0.5)  # the sensing time before the level's settling

    def core(w):
        return (V * V / 16e3 + VDD * V * g(w)) * (t + settle(w))

    assert e[1] - e[0] == pytest.approx(core(0.9) - core(0.5), rel=1e-6, abs=0)  # 0.38 pJ more
