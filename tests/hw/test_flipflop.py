"""Register bit by structure (cimsim.hw.circuits.flipflop) and the register design a config
chooses (technology.registers, chip.registers).

Goldens are closed-form arithmetic on the static transmission-gate master-slave flip-flop of
Weste & Harris (CMOS VLSI Design, 4th ed., sec. 10.3.2): 24 minimum transistors (nMOS 2 F,
pMOS 4 F), 8 of them clocked, two local clock inverters; 1 fF/um of gate and of diffusion
(p = 1); a node charged from the supply on each 0 -> 1 transition. Aladdin's register bit
(9 fJ at 40 nm, Shao et al. ISCA 2014) is the standard-cell design.
"""

from __future__ import annotations

import math

import pytest

from cimsim.config.loader import load_architecture
from cimsim.errors import ConfigError
from cimsim.hw.circuits import buffer, digital, flipflop, sar, scaling

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
TG = flipflop.RegisterDesign("structural", "transmission_gate", 0.5)

# the flip-flop by hand (widths in F): inverter gate or drain 2 + 4 = 6, a TG side 2 + 4 = 6
CLOCK_F = (6                              # clock pin: the first clock inverter's gate
           + (6 + 6 + 2 + 2 + 4 + 4)      # clkb: its drain, the second inverter, 4 clocked gates
           + (6 + 2 + 2 + 4 + 4))         # clk: the second inverter's drain, 4 clocked gates
DATA_F = (6 + (6 + 6) + (6 + 6 + 6) + (6 + 6 + 6) + (6 + 6)   # D, input inv out, master
          + (6 + 6 + 6) + (6 + 6 + 6) + (6 + 6) + 6)          # slave store/out/feedback, Q


def test_the_tg_flip_flop_switches_48_f_of_clock_and_120_f_of_data_nodes():
    assert CLOCK_F == 48 and DATA_F == 120
    assert sum(w for _, w in flipflop.TG_CLOCK_NODES) == CLOCK_F
    assert sum(w for _, w in flipflop.TG_DATA_NODES) == DATA_F
    # 8 clocked devices: the clock nets less the two inverters' gates and drains and the pin
    clocked_gate_f = CLOCK_F - 6 - 3 * 6
    assert clocked_gate_f == 4 * 2 + 4 * 4 and flipflop.TG_CLOCKED_DEVICES == 8
    assert flipflop.switched_width_f("transmission_gate", 0.0) == 48
    assert flipflop.switched_width_f("transmission_gate", 1.0) == 48 + 60
    assert flipflop.switched_width_f("transmission_gate", 0.5) == 78


@pytest.mark.parametrize("node, vdd, joules", [
    (22, 0.9, 78 * 22e-9 * 1e-9 * 0.81),     # 1.390 fJ
    (65, 0.8, 78 * 65e-9 * 1e-9 * 0.64),     # 3.245 fJ
    (7, 0.8, 78 * 7e-9 * 1e-9 * 0.64),       # 0.349 fJ
])
def test_structural_bit_energy_is_width_times_f_times_1ff_per_um_times_v2(node, vdd, joules):
    assert flipflop.bit_energy(node, vdd) == pytest.approx(joules, rel=1e-12, abs=0)
    assert digital.register_bit_energy(node, vdd, TG) == pytest.approx(joules, rel=1e-12, abs=0)


def test_structural_bit_scales_with_feature_size_supply_and_activity():
    e = flipflop.bit_energy
    assert e(44, 0.9) / e(22, 0.9) == pytest.approx(2.0, rel=1e-12, abs=0)
    assert e(65, 0.6) / e(65, 0.8) == pytest.approx(0.36 / 0.64, rel=1e-12, abs=0)
    assert e(22, 0.9, data_activity=1.0) / e(22, 0.9, data_activity=0.0) == pytest.approx(
        108 / 48, rel=1e-12, abs=0)
    # default supply: the node's nominal
    assert e(22) == pytest.approx(e(22, scaling.nominal_vdd(22)), rel=1e-12, abs=0)


def test_standard_cell_design_is_aladdins_register():
    std = flipflop.RegisterDesign()
    assert digital.register_bit_energy(40, None, std) == pytest.approx(9e-15, rel=1e-12, abs=0)
    assert digital.register_bit_energy(40) == pytest.approx(9e-15, rel=1e-12, abs=0)
    # the structural bit is cheaper than the library cell at every node (a floor, no clock tree)
    for node in (7, 22, 40, 65, 130):
        assert digital.register_bit_energy(node, None, TG) < digital.register_bit_energy(node)


def test_every_register_caller_takes_the_design():
    bit = flipflop.bit_energy(22, 0.9)
    assert digital.register(16, 22, 0.9, TG).energy_j == pytest.approx(16 * bit, rel=1e-12, abs=0)
    assert digital.shift_add(16, 22, 0.9, TG).energy_j == pytest.approx(
        digital.adder(16, 22, 0.9).energy_j + 16 * bit, rel=1e-12, abs=0)
    assert buffer.buffer("register_file", 128, 32, 22, 0.9, TG).energy_j == pytest.approx(
        32 * bit, rel=1e-12, abs=0)
    parts = sar.energy_parts(8, 22, 0.9, 1e-15, TG)
    assert parts["comparator"] == pytest.approx(8 * bit, rel=1e-12, abs=0)
    assert parts["logic"] == pytest.approx(2 * 64 * bit, rel=1e-12, abs=0)
    # area stays the standard cell's
    assert digital.register(16, 22, 0.9, TG).area_m2 == digital.register(16, 22, 0.9).area_m2


@pytest.mark.parametrize("kw", [dict(design="custom"), dict(kind="tspc"),
                                dict(data_activity=1.5), dict(data_activity=-0.1)])
def test_bad_designs_raise(kw):
    with pytest.raises(ValueError):
        flipflop.RegisterDesign(**kw)


def test_bad_inputs_raise():
    with pytest.raises(ValueError):
        flipflop.bit_energy(22, -0.9)
    with pytest.raises(ValueError):
        flipflop.bit_energy(3, 0.7)
    with pytest.raises(ValueError):
        flipflop.switched_width_f("transmission_gate", 2.0)


# ---- config: technology.registers
def _cim(arch):
    return next(i for i in arch.instances if i.name == "cim")


def test_technology_registers_moves_the_derived_shift_add_by_the_accumulator_width():
    path = ROOT / "configs" / "sram-cim-derived.yaml"
    std = _cim(load_architecture(path))
    st = _cim(load_architecture(path, {"technology.registers.design": "structural"}))
    c = st.config
    reads = math.ceil(c.rows / (c.rows_per_read or c.rows))
    acc = (c.adc.bits + math.ceil(math.log2(reads)) + (c.slices - 1) * c.dac_bits
           + (math.ceil(c.weight_bits / c.bits_per_cell) - 1) * c.bits_per_cell)
    node, vdd = 22, None  # the config's node at its nominal supply
    assert st.design.shift_add_energy == pytest.approx(
        digital.adder(acc, node, vdd).energy_j + acc * flipflop.bit_energy(node, vdd),
        rel=1e-12, abs=0)
    assert std.design.shift_add_energy == pytest.approx(
        digital.adder(acc, node, vdd).energy_j + acc * digital.register_bit_energy(node),
        rel=1e-12, abs=0)
    # the SAR ADC here is the survey envelope, no register bits: unchanged
    assert st.design.energy_per_conversion == std.design.energy_per_conversion


def test_a_bad_register_design_is_a_one_line_config_error():
    path = ROOT / "configs" / "sram-cim-derived.yaml"
    with pytest.raises(ConfigError, match="technology.registers.design"):
        load_architecture(path, {"technology.registers.design": "custom"})
    with pytest.raises(ConfigError, match="technology.registers.data_activity"):
        load_architecture(path, {"technology.registers.data_activity": 2})


def test_chip_registers_reach_the_chips_circuit_defaults():
    """neurosim-vgg8.yaml states chip.registers structural (NeuroSim's DFF is transistor-level):
    its periphery, whose energy per op is left to the model, is one 8-bit add and a structural
    8-bit register write; a register-file buffer left to the model is width x the bit."""
    from cimsim.hw.cim import chip as chipmod

    arch = load_architecture(ROOT / "src" / "cimsim" / "data" / "validation" / "neurosim-vgg8.yaml")
    ch = _cim(arch).config.chip
    reg = chipmod.register_of(ch)
    assert reg == TG
    e, _ = ch.periphery.energy_area(22, reg)
    assert ch.periphery.energy_per_op is None
    assert e == pytest.approx(digital.adder(8, 22).energy_j + 8 * flipflop.bit_energy(22),
                              rel=1e-12, abs=0)
    buf = ch.levels["pe"].buffer.model_copy(update={"energy_per_access": None})
    assert chipmod.buffer_access(buf, 22, reg)[0] == pytest.approx(
        32 * flipflop.bit_energy(22), rel=1e-12, abs=0)
    assert chipmod.register_of(ch.model_copy(update={"registers": None})) is None
