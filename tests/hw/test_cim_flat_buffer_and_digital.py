"""The flat ``cim.buffer`` beside a chip block, the chip's buffers' leakage, and a digital
bit-serial array with no converter (found by a CIM architect: a derived flat buffer was charged
on top of the chip's levels with no word, 3.2x their energy and 82 % of the area; a digital
macro written as the README says got no area at all; an ADC left in a digital array was charged).

Golden values: hand arithmetic from the rules in hw/cim/onchip.py, hw/cim/static.py and the
README's leakage row (7.92 pW per 6T bit at 22 nm, 0.9 V, lstp), never the code's output.
"""

from __future__ import annotations

import copy

import pytest

from cimsim import simulate
from cimsim.bundled import resolve_config as config_path
from cimsim.config import architecture_from_dict
from cimsim.config.loader import load_architecture
from cimsim.errors import ConfigError

from test_cim_chip import ARCH, two_layers


def _arch(buffer=True, chip=True, **cim):
    d = copy.deepcopy(ARCH)
    if not buffer:
        del d["cim"]["buffer"]
    elif isinstance(buffer, dict):
        d["cim"]["buffer"] = buffer
    if not chip:
        del d["cim"]["chip"]
    d["cim"].update(cim)
    return architecture_from_dict(d)


def test_a_chip_block_needs_no_flat_buffer_and_a_given_one_is_charged_and_said():
    alone = simulate(_arch(buffer=False), two_layers())
    assert alone.energy_breakdown_j["cim_digital"] == 0.0  # shift-add 0 pJ
    assert alone.energy_breakdown_j["cim_buffer"] == 0.0  # no level buffers, no flat buffer
    assert not [n for n in alone.notes if "flat buffer" in n]
    both = simulate(_arch(buffer={"capacity": "1 MiB", "bandwidth": "1 PB/s",
                                  "energy_per_byte": "1 pJ/B"}), two_layers())
    # op a moves 16 x 128 int8 inputs + 16 x 64 int8 outputs = 3072 B, op b 1024 + 1024 B:
    # 5120 B x 1 pJ/B through the flat buffer, on top of the levels' (none here), in the
    # chip's buffer part (where a user looks for it), not in cim_digital
    assert both.energy_breakdown_j["cim_buffer"] == pytest.approx(5120e-12, rel=1e-12, abs=0)
    assert both.energy_breakdown_j["cim_digital"] == 0.0
    note = [n for n in both.notes if "flat buffer" in n]
    assert len(note) == 1 and "cim.buffer (1.049 MB)" in note[0] and "1 pJ/B" in note[0]
    assert "leave cim.buffer out with a chip block" in note[0]


def test_a_flat_pool_still_needs_its_buffer():
    with pytest.raises(ConfigError) as e:
        _arch(buffer=False, chip=False)
    assert "buffer: required field is missing" in str(e.value)
    assert "only a config with a chip block" in str(e.value)


def test_the_chip_levels_sram_buffers_leak_by_their_bits():
    lv = {"pe": {"fanout": 4, "buffer": {"type": "sram", "capacity": "4 KiB", "width_bits": 64}},
          "chip": {"fanout": 4}}
    chip = {"node_nm": 22, "levels": lv}
    d = copy.deepcopy(ARCH)
    del d["cim"]["buffer"], d["cim"]["static_power"]
    d["cim"]["chip"] = chip
    d["technology"] = {"node": "22 nm", "voltage": "0.9 V"}
    a = architecture_from_dict(d)
    st = next(c for c in a.instances if c.name == "cim").static
    # 4 PEs x 4 KiB x 8 bits x 7.92 pW (README leakage row: 22 nm, 0.9 V, lstp)
    assert st.parts["chip_buffers"] == pytest.approx(4 * 4096 * 8 * 7.92e-12, rel=1e-3, abs=0)
    assert "buffer" not in st.parts  # no flat buffer, no flat term


# no converter, no partial read and a 9-bit output (a 256-row column sum): module digital_cell
DIGITAL = {"cim.cell.type": "sram_digital", "cim.adc.type": None, "cim.rows_per_read": None,
           "cim.adc.bits": "9"}


def test_an_adc_type_on_a_digital_cell_is_refused_with_the_way_out():
    with pytest.raises(ConfigError) as e:
        load_architecture(config_path("sram-cim-derived"), {"cim.cell.type": "sram_digital"},
                          cli=True)
    assert "adc.type sar on an sram_digital cell, whose column outputs are digital" in str(e.value)
    assert "--set cim.adc.type=null" in str(e.value)


def test_a_digital_array_without_a_converter_has_its_cells_area_and_says_no_converter():
    a = load_architecture(config_path("sram-cim-derived"), DIGITAL, cli=True)
    comp = next(c for c in a.instances if c.name == "cim")
    area = comp.design.area
    # 8452 arrays x 256 x 256 cells x (52.5 F)^2 (the sram_digital preset, Colonnade's 2754 F^2
    # bitcell drawn square, at its 65 nm) x (22 nm)^2, moved from 65 to 22 nm with the published
    # HD 6T cells (0.092 / 0.57 um^2) x (65 / 22)^2 = 1.409 (find-T 1)
    shrink = 0.092 / 0.57 * (65 / 22) ** 2
    assert area["arrays"] == pytest.approx(8452 * 256 * 256 * 52.5 ** 2 * shrink * 22e-9 ** 2,
                                           rel=1e-12, abs=0)
    assert area["adc"] == 0.0
    note = comp.derived_note()
    assert "column output rate" in note and "no converter (digital column outputs)" in note
    assert "ADC " not in note and "lossless partial-sum" not in note


@pytest.mark.parametrize("over, per_array", [
    ({}, 128 / 4),  # 8-bit weights, 2 bits a cell: 4 cells, 32 weights per 128-column row
    # ceil(8 / 3) = 3 cells a weight, packed (tiling.tiles: ceil(n x 3 / 128) column tiles):
    # 128 / 3 = 42.67 weights a row, not 128 x 3 // 8 = 48
    ({"cim.bits_per_cell": "3"}, 128 / 3),
    ({"cim.nonideal.encoding": "differential"}, 128 / 8),  # 2 x ceil(7 / 2) = 8 cells: 16
])
def test_the_peak_counts_the_weights_an_array_holds_as_the_placement_tiles_them(over, per_array):
    """A reviewer: the roofline's peak counted cols x bits_per_cell // weight_bits weights per
    row, 1.125x the tiling's at 3 bits a cell and 2x with differential encoding."""
    a = load_architecture(config_path("rram-cim"), over, cli=True)
    cim = next(c for c in a.instances if c.name == "cim")
    c = cim.config
    assert cim.peak_macs_per_s("fp32") == pytest.approx(
        c.arrays * c.rows * per_array / c.t_vector(cim.design), rel=1e-12, abs=0)


def _design(over):
    a = load_architecture(config_path("rram-cim-derived"), over, cli=True)
    return next(c for c in a.instances if c.name == "cim").design


def test_a_level_dac_reads_resistive_cells_at_its_mean_level():
    """A 2-bit voltage DAC drives a row at 0, 1/3, 2/3 or 1 of the read voltage V, and the
    cell current V_k G is drawn at the rail V: V V_k G t per cell, at the mean level
    (0 + 1/3 + 2/3 + 1) / 4 = 1/2 of the full one, as its dac_energy (find-G 2: it was the mean
    squared level, 7/18, which counts V_k^2 G t and leaves out the drop from V to V_k)."""
    two = _design({"cim.dac_bits": "2", "cim.cell.input_ones": "0.9"})  # not read: uniform codes
    same = _design({"cim.cell.input_ones": "0.5"})
    assert two.cell_read_energy == pytest.approx(same.cell_read_energy, rel=1e-12, abs=0)
    # one read pulse a slice, plus the level DAC's settling through its output buffer (the
    # closed form is tests/hw/test_dac_core.py's; a few ps on this row, find-L3 1)
    base = _design({}).read_latency
    assert base < two.read_latency < base + 1e-10


@pytest.mark.parametrize("drive", ["pulse_count", "pulse_width"])
def test_a_temporal_dac_reads_its_unit_pulses_and_takes_its_longest_value(drive):
    """A 2-bit value v is v unit read pulses (or one pulse v units long): the cells see
    input_ones x 3 unit reads on average and a slice lasts 3 read pulses."""
    one = _design({})
    two = _design({"cim.dac_bits": "2", "cim.input_drive": drive})
    assert two.cell_read_energy == pytest.approx(3 * one.cell_read_energy, rel=1e-12, abs=0)
    assert two.read_latency == pytest.approx(3 * one.read_latency, rel=1e-12, abs=0)
