"""Current-sense reading (cimsim.hw.circuits.sense): golden values by hand from the module's
rules (stated beside each assertion), and the NeuroSim VGG-8 validation config's derived
numbers checked against the models they cite."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from cimsim.hw.circuits import array, digital, flipflop, scaling, sense

CG_22 = 2 * 22e-9 * 1e-15 / 1e-6  # one minimum (2F) gate at 22 nm: 0.044 fF


def test_virtual_ground_read_is_v_squared_g_t_through_the_access_resistance():
    # one driven on cell: G = 1 / (6 k + 0.25 x 6 k) = 1 / 7.5 kOhm; 0.5^2 / 7500 x 1 ns
    r = sense.column_read(6e3, 17, 0.5, 1, 1e-9, 3e-15, input_ones=1, weight_ones=1,
                          sense_input="virtual_ground")
    assert r.energy_j == pytest.approx(0.25 / 7500 * 1e-9, rel=1e-12, abs=0)
    # off cells: R_off = 17 x 6 k in series with 1.5 k
    r = sense.column_read(6e3, 17, 0.5, 1, 1e-9, 3e-15, input_ones=1, weight_ones=0,
                          sense_input="virtual_ground")
    assert r.energy_j == pytest.approx(0.25 / (102e3 + 1.5e3) * 1e-9, rel=1e-12, abs=0)


def test_capacitive_read_settles_at_c_v_squared_and_starts_at_v_squared_g_t():
    c, v = 3e-15, 0.5
    g = 64 * (1 / 7500)  # 128 rows x 0.5 ones, all on
    tau = c / g
    settled = sense.column_read(6e3, 17, v, 128, 1e-9, c, weight_ones=1)
    assert settled.energy_j == pytest.approx(c * v * v, rel=1e-9, abs=0)  # t = 1 ns >> tau
    assert settled.delay_s == pytest.approx(tau, rel=1e-12, abs=0)
    at_tau = sense.column_read(6e3, 17, v, 128, tau, c, weight_ones=1)
    assert at_tau.energy_j == pytest.approx(c * v * v * (1 - math.exp(-1)), rel=1e-12, abs=0)
    early = sense.column_read(6e3, 17, v, 128, tau * 1e-4, c, weight_ones=1)
    assert early.energy_j == pytest.approx(v * v * g * tau * 1e-4, rel=1e-3, abs=0)


def test_no_driven_row_draws_nothing():
    r = sense.column_read(6e3, 17, 0.5, 128, 1e-9, 3e-15, input_ones=0)
    assert r.energy_j == 0.0 and r.delay_s == math.inf


def test_current_sense_adc_energy_by_hand_at_22nm():
    # 4 bits, parallel: 15 latch decisions of 11 x 0.044 fF x 2 at 0.9 V; 15/32 reference columns
    # of (2 fF + 15 x 0.044 fF) at 0.5 V; encoder 15 x 4 x 0.044 fF x 0.9^2 x 0.5; no static
    v = scaling.nominal_vdd(22)
    assert v == pytest.approx(0.9, rel=1e-6, abs=0)
    latch = 15 * 11 * CG_22 * 2 * v * v
    ref = 15 / 32 * (2e-15 + 15 * CG_22) * 0.25
    enc = 15 * 4 * CG_22 * v * v * 0.5
    a = sense.current_sense_adc(4, 22, 0.5, 2e-15, t_sense_s=1e-9)
    assert a.energy_j == pytest.approx(latch + ref + enc, rel=1e-12, abs=0)
    assert a.delay_s == pytest.approx(1e-9, rel=1e-6, abs=0)
    # a static bias adds 15 SAs x P x t
    s = sense.current_sense_adc(4, 22, 0.5, 2e-15, t_sense_s=1e-9, static_power_w=50e-9)
    assert s.energy_j - a.energy_j == pytest.approx(15 * 50e-9 * 1e-9, rel=1e-9, abs=0)


def test_flash_doubles_its_sense_amplifiers_per_bit_and_sequential_takes_b_senses():
    e = [float(sense.current_sense_adc(b, 22, 0.5, 0.0, t_sense_s=1e-9).energy_j)
         for b in (3, 4, 5)]
    # with no column wire: n = 2^b - 1 latches and encoder gates, and n/32 reference columns
    # each loaded by the n SA input gates (n^2 / 32 gates at V_read)
    v = 0.9
    for b, got in zip((3, 4, 5), e):
        n = 2 ** b - 1
        want = n * (11 * CG_22 * 2 * v * v + 4 * CG_22 * v * v * 0.5) + n / 32 * n * CG_22 * 0.25
        assert got == pytest.approx(want, rel=1e-12, abs=0), b
    assert e[0] < e[1] < e[2]
    seq = sense.current_sense_adc(4, 22, 0.5, 0.0, t_sense_s=1e-9, mode="sequential")
    assert seq.delay_s == pytest.approx(4e-9, rel=1e-6, abs=0)
    assert seq.energy_j < e[1]
    assert int(sense.sense_amplifiers(4, "sequential")) == 1


def test_latch_energy_scales_with_the_supply_squared():
    def latch(vdd):  # subtract the reference term, which charges at V_read
        e = sense.current_sense_adc(4, 22, 0.5, 0.0, t_sense_s=1e-9, vdd=vdd).energy_j
        return e - 15 / 32 * (15 * CG_22) * 0.25
    assert latch(0.8) / latch(0.4) == pytest.approx(4.0, rel=1e-12, abs=0)


def test_sense_time_is_the_22nm_figure_plus_the_reference_rc():
    assert sense.sense_time(22) == pytest.approx(1e-9, rel=1e-12, abs=0)
    assert sense.sense_time(22, r_ref_ohm=1e3, c_node_f=3e-15) == pytest.approx(1e-9 + 3e-12, rel=1e-6, abs=0)
    assert sense.sense_time(45) > sense.sense_time(22)  # slower node, longer decision
    # highest reference: (6 k + 1.5 k) x 2^4 / 128 rows
    assert sense.highest_reference_ohm(6e3, 4, 128) == pytest.approx(937.5, rel=1e-6, abs=0)


def test_first_reference_is_one_lsb_above_the_off_cells_pedestal():
    """find-N 1: off cells conduct g_off = 1 / (on_off R_on + R_access); the reference column
    subtracts their pedestal, so one LSB is rows (g_on - g_off) / 2^b and the first reference
    1 / LSB (off cells were open circuits before: 937.5 Ohm at every on/off)."""
    g_on, g_off = 1 / 7500, 1 / (17 * 6e3 + 1.5e3)  # 6 kOhm + 1.5 kOhm access; on/off 17
    lsb = 128 * (g_on - g_off) / 16
    assert sense.lsb_conductance(6e3, 4, 128, on_off=17) == pytest.approx(lsb, rel=1e-12, abs=0)
    assert sense.highest_reference_ohm(6e3, 4, 128, on_off=17) == pytest.approx(
        937.5 / (1 - 7500 / 103500), rel=1e-12, abs=0)  # 1010.74 Ohm, x1.078
    assert sense.highest_reference_ohm(6e3, 4, 128, on_off=math.inf) == pytest.approx(
        937.5, rel=1e-12, abs=0)
    # an MRAM-like cell (find-N 1): 5 kOhm, TMR 150 % (on/off 2.5), 16 rows, 4 bits:
    # g_on = 1 / 6.25 kOhm, g_off = 1 / 13.75 kOhm, LSB 16 (g_on - g_off) / 16
    assert sense.highest_reference_ohm(5e3, 4, 16, on_off=2.5) == pytest.approx(
        1 / (1 / 6250 - 1 / 13750), rel=1e-12, abs=0)  # 11.46 kOhm, 1.83 x 6.25 kOhm
    # the range an SA resolves: the full-on column over one LSB, 2^b g_on / (g_on - g_off)
    assert sense.dynamic_range(6e3, 4, 17) == pytest.approx(
        16 / (1 - 7500 / 103500), rel=1e-12, abs=0)
    assert sense.dynamic_range(6e3, 4, math.inf) == pytest.approx(16, rel=1e-12, abs=0)
    # at on/off 1 off cells conduct as on cells: no signal, refused by name
    with pytest.raises(ValueError, match="on_off 1: an off cell conducts as an on cell"):
        sense.highest_reference_ohm(6e3, 4, 128, on_off=1)


def test_reference_column_share_of_a_sensed_column_in_closed_form():
    """review18-4 item 3: the reference column (every cell off) over a column at weight_ones w,
    both charged within one sensing: (1 - e^(-t n g_off / C)) / (1 - e^(-t n g_mean / C)). 6
    kOhm + 1.5 kOhm access, on/off 17, 16 rows x 0.5 driven, 1 ns: into 10 fF both nodes
    settle (0.9996 of a column), into 100 fF 0.540; a V^2 G t read (a virtual-ground input)
    gives g_off / g_mean = 2 / (1 + 103.5 / 7.5) = 0.135."""
    g_on, g_off = 1 / 7500, 1 / (17 * 6e3 + 1.5e3)
    for c in (10e-15, 100e-15):
        n, g_mean = 8, 0.5 * (g_on + g_off)
        want = -math.expm1(-1e-9 * n * g_off / c) / -math.expm1(-1e-9 * n * g_mean / c)
        got = sense.off_column_share(6e3, 17, 0.5, 16, 1e-9, c, 0.5, 0.5)
        assert float(got) == pytest.approx(want, rel=1e-12, abs=0)
    assert float(sense.off_column_share(6e3, 17, 0.5, 16, 1e-9, 10e-15, 0.5, 0.5)) == (
        pytest.approx(0.9996, abs=1e-4))
    assert float(sense.off_column_share(6e3, 17, 0.5, 16, 1e-9, 100e-15, 0.5, 0.5)) == (
        pytest.approx(0.540, abs=1e-3))
    vg = sense.off_column_share(6e3, 17, 0.5, 16, 1e-9, 10e-15, 0.5, 0.5,
                                sense_input="virtual_ground")
    assert float(vg) == pytest.approx(g_off / (0.5 * (g_on + g_off)), rel=1e-12, abs=0)
    assert float(sense.off_column_share(6e3, 17, 0.5, 16, 1e-9, 10e-15, 0.0, 0.5)) == 0.0


def test_access_transistor_width_from_the_ir_drop_rule():
    # R W = FO4 / (15 x 1 fF/um); W = R W / (0.25 x 6 kOhm), in units of F = 22 nm
    rw = scaling.fo4_delay(22, 1.1) / (15 * 1e-15 / 1e-6)
    assert sense.unit_resistance_ohm_m(22, 1.1) == pytest.approx(rw, rel=1e-12, abs=0)
    assert sense.access_width_f(6e3, 22, 1.1) == pytest.approx(rw / 1500 / 22e-9, rel=1e-12, abs=0)
    assert sense.access_width_f(100e3, 22, 1.1) < sense.access_width_f(6e3, 22, 1.1)
    # the column node adds one drain per row
    assert sense.node_capacitance(0.0, 4, 22, rows=128, access_width_f=10) == pytest.approx(
        15 * CG_22 + 128 * 10 * 22e-9 * 1e-15 / 1e-6, rel=1e-12, abs=0)


def test_row_drive_charges_the_input_line_and_the_wordline_with_its_gates():
    # 128 cells x 12 F x 22 nm x 0.2 fF/um = 6.7584 fF of wire; 128 gates x 0.044 fF
    wire = 128 * 12 * 22e-9 * 0.2e-15 / 1e-6
    gates = 128 * CG_22
    r = sense.row_drive(128, 22, 0.5, 1.1, 12)
    assert r.energy_j == pytest.approx(wire * 0.25 + (wire + gates) * 1.21, rel=1e-12, abs=0)


@pytest.mark.parametrize("call", [
    lambda: sense.current_sense_adc(0, 22, 0.5, 1e-15),
    lambda: sense.current_sense_adc(9, 22, 0.5, 1e-15),
    lambda: sense.current_sense_adc(4, 22, 0.5, 1e-15, mode="ramp"),
    lambda: sense.current_sense_adc(4, 22, 0.5, 1e-15, reference_share=0.5),
    lambda: sense.column_read(6e3, 0.5, 0.5, 128, 1e-9, 1e-15),
    lambda: sense.column_read(6e3, 17, 0.5, 128, 1e-9, 1e-15, sense_input="voltage"),
    lambda: sense.row_drive(0, 22, 0.5, 1.1, 12),
])
def test_bad_inputs_raise(call):
    with pytest.raises(ValueError):
        call()


# ---------------------------------------------------------------- the validation config's numbers
CONFIG = (Path(__file__).resolve().parents[2] / "src" / "cimsim" / "data" / "validation"
          / "neurosim-vgg8.yaml")


def _pj(text: str) -> float:
    value, unit = text.split()
    assert unit == "pJ"
    return float(value) * 1e-12


def test_neurosim_vgg8_config_energies_are_the_models_they_cite():
    """neurosim-vgg8.yaml states its per-event energies as (D) with the expression; each must
    equal that expression evaluated now (to the digits written), so no number drifts or is
    tuned by hand. (``abs=0``: pytest.approx's default absolute tolerance, 1e-12, would pass
    any two femtojoule energies.)"""
    cim = yaml.safe_load(CONFIG.read_text())["cim"]
    cell = array.cell("rram_1t1r", r_on_ohm=6e3)
    w = sense.access_width_f(6e3, 22, 1.1)
    c_col = array.column_capacitance(cell, 128, 22) + 128 * w * 22e-9 * sense.GATE_CAP_F_PER_M
    c_node = sense.node_capacitance(array.column_capacitance(cell, 128, 22), 4, 22, rows=128,
                                    access_width_f=w)
    t = sense.sense_time(22, r_ref_ohm=sense.highest_reference_ohm(6e3, 4, 128, on_off=17),
                         c_node_f=c_node)
    adc = sense.current_sense_adc(4, 22, 0.5, c_col, t, static_power_w=50e-9).energy_j
    assert _pj(cim["adc"]["energy_per_conversion"]) == pytest.approx(adc, rel=1e-4, abs=0)
    col = sense.column_read(6e3, 17, 0.5, 128, t, c_node).energy_j
    assert _pj(cim["cell_read_energy"]) == pytest.approx(col / 128, rel=1e-3, abs=0)
    assert _pj(cim["dac_energy"]) == pytest.approx(
        0.5 * sense.row_drive(128, 22, 0.5, 1.1, 12, access_width_f=w).energy_j, rel=1e-4, abs=0)
    # its registers are structural (chip.registers): the TG flip-flop at data activity 0.5
    r = cim["chip"]["registers"]
    assert (r["design"], r["kind"], r["data_activity"]) == ("structural", "transmission_gate", 0.5)
    ff = flipflop.RegisterDesign("structural", "transmission_gate", 0.5)
    sa = 0.15 * digital.adder(16, 22).energy_j + digital.register(16, 22, None, ff).energy_j
    assert _pj(cim["shift_add_energy"]) == pytest.approx(sa, rel=1e-4, abs=0)
    levels = cim["chip"]["levels"]
    reg32 = digital.register(32, 22, None, ff).energy_j
    for name, words in (("pe", 1), ("tile", 1), ("chip", 4)):
        got = _pj(levels[name]["buffer"]["energy_per_access"])
        assert got == pytest.approx(words * reg32, rel=1e-4, abs=0), name
    assert np.isclose(cim["chip"]["energy_overhead"], 1.22, atol=0)


def test_neurosim_vgg8_config_wire_energies_follow_the_tile_pitch():
    levels = yaml.safe_load(CONFIG.read_text())["cim"]["chip"]["levels"]
    pitch_um = math.sqrt(84.7747e6 / levels["chip"]["fanout"])  # um, 84.7747 mm^2 over the tiles
    per_um = 0.2e-15 * 0.9 ** 2 * (1 + math.sqrt((1 + 1) / 2))  # J/bit/um: wire + repeaters
    for name, hop_um in (("chip", pitch_um), ("tile", 0.1875 * pitch_um), ("pe", pitch_um / 16)):
        got = levels[name]["interconnect"]["energy_per_bit_per_hop"]
        value, unit = got.split()
        assert unit == "pJ/bit"
        assert float(value) * 1e-12 == pytest.approx(per_um * hop_um, rel=1e-4, abs=0), name
