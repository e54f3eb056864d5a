"""Array periphery (cimsim.hw.circuits.periphery): input switch matrix, column multiplexer and
its decoder, a pulse-count DAC's row counter, and their wiring into the CIM component's energy
parts ``switch``, ``mux`` and ``counter``.

Goldens are closed-form arithmetic on the module's published constants: 1 fF/um of gate and
0.2 fF/um of wire (Weste & Harris, CMOS VLSI Design 4th ed.), the unit inverter's 6 F of gate,
a NAND's logical effort (k + 2) / 3 and parasitic k, a FO4 driver chain's 2/3 overhead
(Sutherland, Sproull & Harris, Logical Effort, 1999), NeuroSim V1.4's 0.25 IR-drop tolerance and
its sizingfactor_MUX 110 at 22 nm (Param.cpp).
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest
import yaml

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.hw.circuits import digital, flipflop, periphery, sense

from conftest import ROUND_ARCH, ROUND_CIM, ROUND_LINK, gemv_workload

F22 = 22e-9
C_INV22 = 6 * F22 * 1e-9  # unit inverter: 6 F of gate at 1 fF/um
CONFIG = (Path(__file__).resolve().parents[2] / "src" / "cimsim" / "data" / "validation"
          / "neurosim-vgg8.yaml")


def test_transmission_gate_switches_its_nmos_and_twice_as_wide_pmos_gate():
    e = periphery.transmission_gate(10.0, 22, 0.9).energy_j
    assert e == pytest.approx(3 * 10 * F22 * 1e-9 * 0.81, rel=1e-12, abs=0)  # 0.5346 fJ


def test_ir_drop_width_puts_the_gate_at_a_quarter_of_r_on_over_the_cells():
    w = periphery.ir_drop_width_f(6000, 128, 22, 0.9)
    r_unit = sense.unit_resistance_ohm_m(22, 0.9)
    # nMOS and pMOS (twice as wide, same resistance) in parallel: R = R W_unit / (2 W_n)
    assert r_unit / (2 * w * F22) == pytest.approx(0.25 * 6000 / 128, rel=1e-12, abs=0)
    assert periphery.ir_drop_width_f(6000, 64, 22, 0.9) == pytest.approx(w / 2, rel=1e-12, abs=0)


def test_decoder_one_bit_and_three_bits_by_hand():
    v2 = 0.81
    # k = 1: one toggle of an address line loading 1 NAND1 input (g = 1), the output NAND's
    # input plus its parasitic (1 + 1) C_inv, no load
    assert periphery.decoder(1, 0.0, 22, 0.9).energy_j == pytest.approx(3 * C_INV22 * v2, rel=1e-6, abs=0)
    # k = 3, load L: 2 (1 - 1/8) toggles x 4 NAND3 inputs x 5/3 + (1 + 3) C_inv + L x 5/3
    load = 50e-15
    e = (2 * 7 / 8 * 4 * 5 / 3 * C_INV22 + 4 * C_INV22 + load * 5 / 3) * v2
    assert periphery.decoder(3, load, 22, 0.9).energy_j == pytest.approx(e, rel=1e-12, abs=0)
    assert periphery.decoder(0, load, 22, 0.9).energy_j == 0.0


def test_switch_matrix_row_is_its_register_bit_plus_the_gate_for_each_one():
    reg = digital.register(1, 22, 0.9).energy_j
    zero = periphery.switch_matrix_row(128, 6000, 22, 0.9, input_ones=0.0).energy_j
    one = periphery.switch_matrix_row(128, 6000, 22, 0.9, input_ones=1.0).energy_j
    assert zero == pytest.approx(reg, rel=1e-12, abs=0)
    w = periphery.ir_drop_width_f(6000, 128, 22, 0.9)
    assert one - zero == pytest.approx(3 * w * F22 * 1e-9 * 5 / 3 * 0.81, rel=1e-12, abs=0)
    half = periphery.switch_matrix_row(128, 6000, 22, 0.9, input_ones=0.5).energy_j
    assert half == pytest.approx((zero + one) / 2, rel=1e-12, abs=0)


def test_column_mux_by_hand_from_a_stated_driver_and_from_gate_widths():
    wire = 128 * 12 * F22 * 0.2e-9  # select wire across 128 cells of 12 F
    load = 4 * 110 * C_INV22 + wire  # a 110x final driver at a stage effort of 4
    step = (2 * 7 / 8 * 4 * 5 / 3 * C_INV22 + 4 * C_INV22 + load * 5 / 3) * 0.81
    e = periphery.column_mux(8, 16, 128, 12, 22, 0.9, driver_size=110).energy_j
    assert e == pytest.approx(step / 16, rel=1e-12, abs=0)
    # gates given: 16 gates of 2 F nMOS + 4 F pMOS on the select line
    g = periphery.column_mux(8, 16, 128, 12, 22, 0.9, width_f=2.0).energy_j
    load = 16 * 6 * F22 * 1e-9 + wire
    step = (2 * 7 / 8 * 4 * 5 / 3 * C_INV22 + 4 * C_INV22 + load * 5 / 3) * 0.81
    assert g == pytest.approx(step / 16, rel=1e-12, abs=0)
    assert periphery.column_mux(1, 128, 128, 12, 22, 0.9, width_f=2.0).energy_j == 0.0


def test_settle_width_is_the_minimum_for_a_light_node_and_grows_with_the_load():
    assert periphery.settle_width_f(1e-9, 40e-15, 4, 22, 0.9) == sense.MIN_WIDTH_F
    r_max = 1e-9 / (1e-12 * math.log(32))  # settle 1 pF to half an LSB of 4 bits in 1 ns
    w = periphery.settle_width_f(1e-9, 1e-12, 4, 22, 0.9)
    assert w == pytest.approx(sense.unit_resistance_ohm_m(22, 0.9) / (2 * r_max) / F22, rel=1e-6, abs=0)


def test_pulse_counter_row_by_hand():
    # 4-bit slices at 7 nm, 0.8 V, a 32.86 F row pitch: the 4-bit load (4 register bits) and
    # the row's share of the pulse clock at each of the 15 slots (one pitch of wire at
    # 0.2 fF/um and one unit inverter of 6 F at 1 fF/um, with its FO4 chain x 5/3) whatever the
    # data; each of the 15 x input_ones counts clocks the 4 register bits and 4 half adders
    # (18/28 of a full-adder bit)
    f, v2 = 7e-9, 0.64
    reg = float(digital.register_bit_energy(7, 0.8))
    half = 18 / 28 * float(digital.full_adder_energy(7, 0.8))
    clk = 15 * (32.86 * f * 0.2e-9 + 6 * f * 1e-9) * 5 / 3 * v2
    zero = periphery.pulse_counter_row(4, 32.86, 7, 0.8, input_ones=0.0).energy_j
    assert zero == pytest.approx(4 * reg + clk, rel=1e-12, abs=0)
    one = periphery.pulse_counter_row(4, 32.86, 7, 0.8, input_ones=1.0).energy_j
    assert one - zero == pytest.approx(15 * (4 * reg + 4 * half), rel=1e-12, abs=0)
    x = periphery.pulse_counter_row(4, 32.86, 7, 0.8, input_ones=0.4).energy_j
    assert x == pytest.approx(zero + 0.4 * (one - zero), rel=1e-12, abs=0)
    # a 1-bit slice: one slot, at most one count
    one1 = periphery.pulse_counter_row(1, 32.86, 7, 0.8, input_ones=1.0).energy_j
    assert one1 == pytest.approx(2 * reg + half + clk / 15, rel=1e-12, abs=0)
    # C V^2: every term scales with the supply squared (the register bit and adder by V^2 too)
    assert periphery.pulse_counter_row(4, 32.86, 7, 1.0, 0.4).energy_j == pytest.approx(
        x / v2, rel=1e-9, abs=0)


@pytest.mark.parametrize("call", [
    lambda: periphery.ir_drop_width_f(0, 128, 22),
    lambda: periphery.decoder(1.5, 0.0, 22),
    lambda: periphery.pulse_counter_row(4, 32.86, 7, 0.8, input_ones=1.5),
    lambda: periphery.pulse_counter_row(0, 32.86, 7, 0.8),
    lambda: periphery.pulse_counter_row(4, 0.0, 7, 0.8),
    lambda: periphery.switch_matrix_row(128, 6000, 22, input_ones=1.5),
    lambda: periphery.column_mux(8, 16, 128, 12, 22),
    lambda: periphery.transmission_gate(-1, 22),
])
def test_bad_inputs_raise(call):
    with pytest.raises(ValueError):
        call()


def test_neurosim_vgg8_config_states_the_models_numbers():
    cim = yaml.safe_load(CONFIG.read_text())["cim"]
    pj = lambda s: float(s.split()[0]) * 1e-12  # noqa: E731
    ff = flipflop.RegisterDesign("structural", "transmission_gate", 0.5)  # chip.registers
    sw = periphery.switch_matrix_row(128, 6000, 22, 0.9, input_ones=0.5,
                                     register_design=ff).energy_j
    mux = periphery.column_mux(8, 16, 128, 12, 22, 0.9, driver_size=110).energy_j
    assert pj(cim["switch_energy"]) == pytest.approx(sw, rel=1e-4, abs=0)
    assert pj(cim["mux_energy"]) == pytest.approx(mux, rel=1e-4, abs=0)


# ---- wiring into the CIM component

def _arch(cim_over=None, tech=True, drop=()):
    d = copy.deepcopy(ROUND_ARCH)
    d["links"] = {"interconnect": dict(ROUND_LINK)}
    cim = copy.deepcopy(ROUND_CIM)
    cim["adc"]["per_array"] = 16  # 8 columns per ADC
    for f in drop:
        del cim[f]
    cim.update(cim_over or {})
    if cim.get("technology") == "sram" and "bits_per_cell" not in (cim_over or {}):
        cim["bits_per_cell"] = 1  # an SRAM bitcell holds one bit (ROUND_CIM's 2: resistive)
    d["cim"] = cim
    if tech:
        d["technology"] = {"node": "22 nm", "voltage": "0.9 V"}
    return architecture_from_dict(d)


def test_a_resistive_array_with_a_technology_block_has_switch_and_mux_parts():
    a = _arch()
    r = simulate(a, gemv_workload(128, 16), engine="analytic")
    e = r.energy_breakdown_j
    cim = next(c for c in a.instances if c.name == "cim")
    d = cim.design
    # one GEMV: k = 128 rows, 8 input slices; 16 weights x 8 bits / 2 bits per cell = 64
    # physical columns, one array: 128 x 8 switch rows, 64 x 8 conversions
    assert e["cim_switch"] == pytest.approx(128 * 8 * d.switch_energy, rel=1e-12, abs=0)
    assert e["cim_mux"] == pytest.approx(64 * 8 * d.mux_energy, rel=1e-12, abs=0)
    cell_r_on = 100e3  # rram_1t1r preset, NeuroSim V1.4 Param.cpp (P)
    assert d.switch_energy == pytest.approx(
        periphery.switch_matrix_row(128, cell_r_on, 22, 0.9, 0.5).energy_j, rel=1e-12, abs=0)
    prov = cim.provenance()["energy"]
    assert prov["switch"] == "derived"  # every input sourced (the register bit: Aladdin, macros2)
    assert prov["mux"] == "derived"


def test_no_technology_block_means_no_periphery_parts_and_sram_has_only_the_mux():
    a = _arch(tech=False)
    parts = next(c for c in a.instances if c.name == "cim").energy_parts
    assert "switch" not in parts and "mux" not in parts
    # an SRAM array's wordline driver is its row drive (no switch matrix); its 8 columns per
    # ADC still pass a mux, whose minimum gates settle the bitline within the 1.28 GS/s
    # conversion: by hand as in test_column_mux_by_hand_from_a_stated_driver...
    s = _arch({"technology": "sram", "cell": {"type": "sram_6t"}})
    comp = next(c for c in s.instances if c.name == "cim")
    assert "switch" not in comp.energy_parts and "mux" in comp.energy_parts
    from cimsim.hw.circuits import array
    cell = array.cell("sram_6t")
    c_col = array.column_capacitance(cell, 128, 22)
    w = periphery.settle_width_f(1 / 1.28e9, c_col, 8, 22, 0.9)
    assert comp.design.mux_energy == pytest.approx(
        periphery.column_mux(8, 16, 128, cell.width_f, 22, 0.9, width_f=w).energy_j, rel=1e-12, abs=0)
    # a digital bit-serial array has neither
    # its 8 columns a port make 8 outputs a 100 ns cycle: at most 80 MHz (module digital_cell)
    dg = _arch({"technology": "sram", "cell": {"type": "sram_digital"},
                "adc": {**ROUND_CIM["adc"], "sample_rate": "80 MHz", "per_array": 16}})
    parts = next(c for c in dg.instances if c.name == "cim").energy_parts
    assert "switch" not in parts and "mux" not in parts


def test_given_periphery_energies_are_charged_per_event_and_marked_given():
    a = _arch({"switch_energy": "0.04 pJ", "mux_energy": "0.005 pJ"}, tech=False)
    e = simulate(a, gemv_workload(128, 16), engine="analytic").energy_breakdown_j
    assert e["cim_switch"] == pytest.approx(128 * 8 * 0.04e-12, rel=1e-12, abs=0)
    assert e["cim_mux"] == pytest.approx(64 * 8 * 0.005e-12, rel=1e-12, abs=0)
    prov = next(c for c in a.instances if c.name == "cim").provenance()["energy"]
    assert prov["switch"] == prov["mux"] == "given"


def test_current_sense_mux_gates_settle_the_sensed_node_at_minimum_width():
    """With adc.type current_sense the select gates need only let the column node (tens of fF)
    settle within the ~1 ns sensing: the minimum 2F, so the mux is its decoder and select line
    of 16 minimum gates, by hand in test_column_mux_by_hand_from_a_stated_driver..."""
    a = _arch({"adc": {"type": "current_sense", "bits": 4, "per_array": 16}},
              drop=("cell_read_energy", "dac_energy"))
    d = next(c for c in a.instances if c.name == "cim").design
    assert d.mux_energy == pytest.approx(
        periphery.column_mux(8, 16, 128, 12, 22, 0.9, width_f=2.0).energy_j, rel=1e-12, abs=0)
    # the switch matrix does not depend on the readout
    assert d.switch_energy == pytest.approx(
        periphery.switch_matrix_row(128, 100e3, 22, 0.9, 0.5).energy_j, rel=1e-12, abs=0)


def test_a_pulse_count_drive_has_a_counter_part_per_row_drive():
    # SRAM 8T cells driven by 4-bit pulse counts: one counter load and count per row drive
    # (k = 128 rows x 2 input slices, one column tile), at the config's input_ones
    a = _arch({"technology": "sram", "cell": {"type": "sram_8t", "input_ones": 0.3},
               "dac_bits": 4, "input_drive": "pulse_count"})
    cim = next(c for c in a.instances if c.name == "cim")
    d = cim.design
    assert "counter" in cim.energy_parts
    assert d.counter_energy == pytest.approx(
        periphery.pulse_counter_row(4, 10, 22, 0.9, 0.3).energy_j, rel=1e-12, abs=0)
    e = simulate(a, gemv_workload(128, 16), engine="analytic").energy_breakdown_j
    assert e["cim_counter"] == pytest.approx(128 * 2 * d.counter_energy, rel=1e-12, abs=0)
    assert cim.provenance()["energy"]["counter"] == "derived"
    # a level drive has no counter; a given counter energy is charged and marked given
    lv = _arch({"technology": "sram", "cell": {"type": "sram_8t"}, "dac_bits": 4})
    assert "counter" not in next(c for c in lv.instances if c.name == "cim").energy_parts
    g = _arch({"counter_energy": "0.02 pJ"}, tech=False)
    e = simulate(g, gemv_workload(128, 16), engine="analytic").energy_breakdown_j
    assert e["cim_counter"] == pytest.approx(128 * 8 * 0.02e-12, rel=1e-12, abs=0)
    prov = next(c for c in g.instances if c.name == "cim").provenance()["energy"]
    assert prov["counter"] == "given"


def test_the_counter_follows_each_ops_own_input_activity():
    import numpy as np

    from cimsim.hw.cim.activity import activity_dependent, activity_energies

    a = _arch({"technology": "sram", "cell": {"type": "sram_8t"}, "dac_bits": 4,
               "input_drive": "pulse_count", "dac_energy": "0.1 pJ", "cell_read_energy": "0.01 pJ"})
    cim = next(c for c in a.instances if c.name == "cim")
    tech = a.technology
    # row drive and cells given: the counter alone depends on the data
    assert activity_dependent(cim.config, tech)
    x = np.array([0.0, 0.25, 1.0])
    out = activity_energies(cim.config, tech, x, np.full(3, 0.5))
    assert set(out) == {"counter_energy"}
    assert out["counter_energy"] == pytest.approx(
        periphery.pulse_counter_row(4, 10, 22, 0.9, x).energy_j, rel=1e-12, abs=0)

