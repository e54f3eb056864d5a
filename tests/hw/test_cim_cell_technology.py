"""Every preset cell the README lists for `cim.cell.type` can be used: the resistive FeFET and
PCM presets go with `cim.technology: rram` (it stands for the resistive cells), the SRAM presets
with `sram`, and a cell of the other family is a one-line error naming the cells allowed.
(Before: a cell was accepted only if its name started with the technology's, so `fefet` and
`pcm` were refused under both technologies, the only two there are.)"""

from __future__ import annotations

import pytest

from cimsim.config.loader import load_architecture
from cimsim.bundled import resolve_config as config_path
from cimsim.errors import ConfigError


@pytest.mark.parametrize("cell", ["rram_1t1r", "fefet", "pcm"])
def test_resistive_cells_go_with_rram(cell):
    arch = load_architecture(config_path("rram-cim-derived"), {"cim.cell.type": cell}, cli=True)
    assert arch.components['cim'].cell.type == cell


@pytest.mark.parametrize("cell", ["sram_6t", "sram_8t"])
def test_sram_cell_under_rram_names_the_allowed_cells(cell):
    with pytest.raises(ConfigError) as e:
        load_architecture(config_path("rram-cim-derived"), {"cim.cell.type": cell}, cli=True)
    msg = str(e.value)
    assert "rram_1t1r, fefet, pcm" in msg and "technology: sram" in msg and "\n" not in msg


def test_fefet_under_sram_is_refused():
    with pytest.raises(ConfigError) as e:
        load_architecture(config_path("sram-cim-derived"), {"cim.cell.type": "fefet"}, cli=True)
    assert "technology: rram" in str(e.value)


# --- ADC sharing past the array's width: refused, not silently one ADC per array (before,
# --- columns_per_adc 1000 on 128 columns gave the numbers of 128, bit for bit)

@pytest.mark.parametrize("field", ["columns_per_adc", "per_array"])
def test_adc_sharing_beyond_the_columns_is_refused(field):
    over = {"cim.adc.columns_per_adc": None} if field == "per_array" else {}
    with pytest.raises(ConfigError) as e:
        load_architecture(config_path("rram-cim-derived"),
                          {**over, f"cim.adc.{field}": "129"}, cli=True)
    assert f"adc.{field} (129) cannot exceed cols (128)" in str(e.value)


def test_adc_sharing_all_columns_is_allowed():
    arch = load_architecture(config_path("rram-cim-derived"), {"cim.adc.columns_per_adc": "128"},
                             cli=True)
    assert arch.components["cim"].adc.adcs_per_array(128) == 1


# --- a multi-bit SRAM "cell" is a unit of bitcells whose size the config states: an sram_6t
# --- at bits_per_cell 8 shrank every array, ADC and drive 8x with no word (a new user's sweep)

@pytest.mark.parametrize("cell", ["sram_6t", "sram_8t", "sram_charge", "sram_digital"])
def test_a_multi_bit_sram_cell_needs_the_units_size(cell):
    # a digital cell has no converter: the file's adc.type is left out
    # (2-bit cells: 256 x 3 sums to 768, 10 bits; module digital_cell)
    adc = ({"cim.adc.type": None, "cim.rows_per_read": None, "cim.adc.bits": "10"}
           if cell == "sram_digital" else {})
    with pytest.raises(ConfigError) as e:
        load_architecture(config_path("sram-cim-derived"),
                          {"cim.cell.type": cell, "cim.bits_per_cell": "8", **adc}, cli=True)
    assert f"bits_per_cell 8 on an {cell} cell, which holds one bit: a multi-bit unit of several " \
           "bitcells needs its size stated (cell.width_f / cell.height_f" in str(e.value)
    # the unit's size given (Sinangil et al.'s 4-cell unit is written so): accepted
    arch = load_architecture(config_path("sram-cim-derived"),
                             {"cim.cell.type": cell, "cim.bits_per_cell": "2", "cim.cell.width_f": "105",
                              **adc},
                             cli=True)
    assert arch.components["cim"].bits_per_cell == 2


def test_resistive_cells_hold_several_bits_without_more():
    arch = load_architecture(config_path("rram-cim-derived"), {"cim.bits_per_cell": "2"}, cli=True)
    assert arch.components["cim"].bits_per_cell == 2
