"""Charge-domain and digital bit-serial CIM cells (hw/circuits/array.py): closed-form cases.

Charge domain: each 1-bit product of 1 charges a unit capacitor from 0 to V, ``C V^2`` drawn
from the supply. Digital: one full adder per cell per read plus a register bit every
``rows_per_register`` rows (Horowitz 2014's adder, hw/circuits/digital.py)."""

from __future__ import annotations

import math

import pytest

from cimsim.hw.circuits import array, digital
from cimsim.units import UnitError, parse_quantity


def test_charge_domain_cells_are_c_v_squared_per_one_product():
    c = array.cell("sram_charge", unit_capacitance_f=2e-15, read_pulse_s=1e-6)
    p = array.read_energy_parts(c, 100, 10, 65, vdd=1.0, input_ones=0.5, weight_ones=0.5)
    # 100 rows x 10 cols x 0.25 of products at 1 x 2 fF x 1 V^2 = 500 fF V^2 = 5e-13 J
    assert p["cells"] == pytest.approx(100 * 10 * 0.25 * 2e-15, rel=1e-6, abs=0)
    assert float(p["columns"]) == 0.0
    # wordlines: 50 driven rows x (10 cols x 20.64 F x 65 nm x 0.2 fF/um) x 1 V^2
    c_row = 10 * 20.64 * 65e-9 * 0.2e-15 / 1e-6
    assert p["rows"] == pytest.approx(50 * c_row, rel=1e-6, abs=0)


def test_charge_domain_energy_is_v_squared_and_linear_in_capacitance():
    c1 = array.cell("sram_charge", unit_capacitance_f=1e-15, read_pulse_s=1e-6)
    c3 = array.cell("sram_charge", unit_capacitance_f=3e-15, read_pulse_s=1e-6)
    a = array.read_energy_parts(c1, 64, 64, 65, vdd=0.6)["cells"]
    b = array.read_energy_parts(c1, 64, 64, 65, vdd=1.2)["cells"]
    assert b / a == pytest.approx(4.0, rel=1e-6, abs=0)
    assert array.read_energy_parts(c3, 64, 64, 65, vdd=0.6)["cells"] / a == pytest.approx(3.0, rel=1e-6, abs=0)


def test_digital_cells_are_one_full_adder_and_a_register_share_each():
    c = array.cell("sram_digital", rows_per_register=8, read_pulse_s=10e-9)
    p = array.read_energy_parts(c, 128, 128, 65, vdd=0.8)
    fa = digital.full_adder_energy(65, 0.8)
    reg = float(digital.register(1, 65, 0.8).energy_j)
    logic = digital.in_array_cell_logic_energy(65, 0.8, 52.5 * 65e-9, 0.5)
    assert p["cells"] == pytest.approx(128 * 128 * (fa + reg / 8 + logic), rel=1e-6, abs=0)
    # Horowitz: 45 nm, 0.9 V full adder; 65 nm at 0.8 V moves it by the Stillmaker-Baas factor
    # and (0.8/0.9)^2: a few fJ, never the 45 nm value itself
    assert 1e-15 < fa < 10e-15


def test_digital_cell_energy_does_not_depend_on_the_data():
    c = array.cell("sram_digital", rows_per_register=4, read_pulse_s=10e-9)
    lo = array.read_energy_parts(c, 32, 32, 65, vdd=0.8, input_ones=0.1, weight_ones=0.1)
    hi = array.read_energy_parts(c, 32, 32, 65, vdd=0.8, input_ones=0.9, weight_ones=0.9)
    assert lo["cells"] == pytest.approx(hi["cells"], rel=1e-6, abs=0)
    assert hi["rows"] == pytest.approx(9 * lo["rows"], rel=1e-6, abs=0)


def test_new_cells_delay_is_the_read_pulse_and_bad_parameters_are_refused():
    c = array.cell("sram_charge", unit_capacitance_f=2e-15, read_pulse_s=1.35e-6)
    assert float(array.array_read(c, 16, 16, 65).delay_s) == pytest.approx(1.35e-6, rel=1e-6, abs=0)
    with pytest.raises(ValueError, match="unit_capacitance_f"):
        array.cell("sram_charge", unit_capacitance_f=0.0)
    with pytest.raises(ValueError, match="rows_per_register"):
        array.cell("sram_digital", rows_per_register=0)


def test_farad_unit():
    assert parse_quantity("2 fF", "F") == pytest.approx(2e-15, rel=1e-6, abs=0)
    with pytest.raises(UnitError):
        parse_quantity("2 fF", "V")


def test_in_array_adder_hop_is_the_logical_effort_sum_by_hand():
    # unit inverter: 6 F of gate width at 1 fF/um; 65 nm -> 0.39 fF
    assert digital.unit_inverter_capacitance(65) == pytest.approx(6 * 65e-9 * 1e-15 / 1e-6, rel=1e-6, abs=0)
    # no wire: XOR2->XOR2 (4*1+4) + XOR2->mux (4*0.5+4) + mux->(4+2 next inputs) (2*3+4) = 24 tau
    assert digital.in_array_hop_effort(65, 0.0) == pytest.approx(24.0, rel=1e-6, abs=0)
    # a 3.9 um pitch at 0.2 fF/um is 0.78 fF = 2 unit loads: the mux stage gains 2*2/2 = 2 tau
    assert digital.in_array_hop_effort(65, 3.9e-6) == pytest.approx(26.0, rel=1e-6, abs=0)
    # delay = effort x FO4 / 5 (tau = FO4/5), and moves with the supply as FO4 does
    d = digital.in_array_adder(65, 0.8, 3.9e-6)
    from cimsim.hw.circuits import scaling
    assert float(d.delay_s) == pytest.approx(26.0 * float(scaling.fo4_delay(65, 0.8)) / 5, rel=1e-6, abs=0)
    lo = float(digital.in_array_adder(65, 0.6, 3.9e-6).delay_s)
    assert lo / float(d.delay_s) == pytest.approx(float(scaling.voltage_delay_factor(65, 0.6, 0.8)), rel=1e-6, abs=0)
    assert float(d.energy_j) == pytest.approx(digital.full_adder_energy(65, 0.8), rel=1e-6, abs=0)
    with pytest.raises(ValueError, match="pitch"):
        digital.in_array_hop_effort(65, -1.0)


def test_digital_rows_carry_the_cells_multiplier_inputs():
    # a digital cell's input line: per cell one pitch of wire + an XNOR2 input (4 unit loads)
    c = array.cell("sram_digital")
    f = 65e-9
    per_cell = 52.5 * f * 0.2e-15 / 1e-6 + 4 * 6 * f * 1e-15 / 1e-6
    assert array.row_capacitance(c, 128, 65) == pytest.approx(128 * per_cell, rel=1e-6, abs=0)
    # the preset is Colonnade's whole bitcell: 0.839 x 0.2272 mm^2 / 16384 cells ~ 2754 F^2
    assert c.area_f2 == pytest.approx(0.839 * 0.2272e-6 / 16384 / f ** 2, rel=0.01, abs=0)
    # a 6T cell: 28 F of wire + its two 1 F pass gates (NeuroSim widthAccessCMOS) at 1 fF/um
    # (its 22 nm pitch kept to the published HD cells at 65 nm: sqrt((0.57 / 0.092) (22 / 65)^2))
    s = array.cell("sram_6t")
    k = math.sqrt(0.57 / 0.092 * (22 / 65) ** 2)
    assert array.row_capacitance(s, 128, 65) == pytest.approx(
        128 * (28 * k * f * 0.2e-15 / 1e-6 + 2 * 1 * f * 1e-15 / 1e-6), rel=1e-6, abs=0)


def test_in_array_cell_logic_is_its_logical_effort_capacitances_switched():
    cu = 6 * 65e-9 * 1e-15 / 1e-6  # unit inverter, 0.39 fF
    # multiplier: XNOR2 parasitic 4 + next adder input 4 + 2 unit loads, P(0->1) = x(1-x);
    # mux: parasitic 4 + 6 unit loads + 3.9 um of wire at 0.2 fF/um, P(0->1) = 1/4
    c_mult, c_mux = 10 * cu, 10 * cu + 3.9e-6 * 0.2e-9
    e = digital.in_array_cell_logic_energy(65, 0.8, 3.9e-6, 0.5)
    assert e == pytest.approx((0.25 * c_mult + 0.25 * c_mux) * 0.64, rel=1e-6, abs=0)
    e1 = digital.in_array_cell_logic_energy(65, 0.8, 3.9e-6, 0.1)
    assert e1 == pytest.approx((0.09 * c_mult + 0.25 * c_mux) * 0.64, rel=1e-6, abs=0)
    # V^2
    assert digital.in_array_cell_logic_energy(65, 0.4, 3.9e-6) == pytest.approx(e / 4, rel=1e-6, abs=0)
    # the digital cell adds it to the adder and the register share
    c = array.cell("sram_digital")
    p = array.read_energy_parts(c, 128, 128, 65, vdd=0.8)
    per = (digital.full_adder_energy(65, 0.8) + float(digital.register(1, 65, 0.8).energy_j) / 8
           + digital.in_array_cell_logic_energy(65, 0.8, 52.5 * 65e-9, 0.5))
    assert p["cells"] == pytest.approx(128 * 128 * per, rel=1e-6, abs=0)


def test_digital_cell_without_a_clock_runs_at_its_adder_chain_cycle():
    from cimsim.hw.circuits import scaling

    pitch = 52.5 * 65e-9
    hop = float(digital.in_array_adder(65, 0.8, pitch).delay_s)
    # carry across 15 columns + sum down 8 rows + the register's 2 hops
    assert float(digital.bit_serial_cycle(15, 8, 65, 0.8, pitch)) == pytest.approx(25 * hop, rel=1e-6, abs=0)
    c = array.cell("sram_digital")
    assert c.read_pulse_s is None
    r = array.array_read(c, 128, 128, 65, vdd=0.8, weight_columns=15)
    assert float(r.delay_s) == pytest.approx(25 * hop, rel=1e-6, abs=0)
    assert r.field_provenance["delay_s"] == "derived"
    # more rows between registers: a longer cycle, hop by hop; a lower supply: the FO4 law
    c16 = array.cell("sram_digital", rows_per_register=16)
    assert float(array.array_read(c16, 128, 128, 65, vdd=0.8, weight_columns=15).delay_s) == \
        pytest.approx(33 * hop, rel=1e-6, abs=0)
    slow = float(array.array_read(c, 128, 128, 65, vdd=0.6, weight_columns=15).delay_s)
    assert slow / (25 * hop) == pytest.approx(float(scaling.voltage_delay_factor(65, 0.6, 0.8)), rel=1e-6, abs=0)
    # a given clock still wins
    assert float(array.array_read(c, 128, 128, 65, read_pulse_s=10e-9).delay_s) == 10e-9
    with pytest.raises(ValueError, match="column_bits"):
        digital.bit_serial_cycle(0, 8, 65, 0.8)
