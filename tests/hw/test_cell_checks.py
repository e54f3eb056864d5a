"""What a CIM cell can take (find-N 2, 3, 4, 7; module cimsim.hw.cim.cellcheck): a resistive
cell's on/off ratio above 1, a read voltage the node can drive, no field only another kind of
cell reads, no more bits than a binary cell holds; and the STT-MRAM preset.

Before: `on_off 1` ran unless a nonideal block existed, 8 bits per cell on a binary MTJ ran,
50 V across 1 ohm cells at 22 nm ran as physically plausible (9 MW), and `read_current`,
`unit_capacitance`, `rows_per_register`, `compute`, `folded_columns`, `switch_width_f` on a
`pcm` cell changed no number and said nothing."""

from __future__ import annotations

import pytest

from cimsim.bundled import resolve_config as config_path
from cimsim.config.loader import load_architecture
from cimsim.errors import ConfigError
from cimsim.hw.cim.derive import design
from cimsim.hw.circuits import array


def _load(base="rram-cim-derived", **sets):
    return load_architecture(config_path(base), {k.replace("__", "."): v for k, v in sets.items()},
                             cli=True)


def _refused(base="rram-cim-derived", **sets) -> str:
    with pytest.raises(ConfigError) as e:
        _load(base, **sets)
    msg = str(e.value)
    assert "\n" not in msg and "Traceback" not in msg
    return msg


# --- finding 2: a cell that stores nothing; bits a binary cell cannot hold

@pytest.mark.parametrize("on_off", ["1", "0.5"])
def test_an_on_off_of_1_or_less_is_refused_without_a_nonideal_block(on_off):
    msg = _refused(**{"cim.cell.on_off": on_off})
    assert "cim.cell.on_off" in msg and "greater than 1" in msg


def test_an_on_off_just_above_1_runs():
    assert _load(**{"cim.cell.on_off": "1.01"}).components["cim"].cell.on_off == 1.01


def test_a_preset_of_on_off_1_is_refused():
    with pytest.raises(ValueError, match=r"on_off 1(\.0)? must be > 1"):
        array.cell("rram_1t1r", on_off=1.0)


@pytest.mark.parametrize("bits", ["2", "8"])
def test_bits_beyond_a_binary_mtj_are_refused(bits):
    msg = _refused(**{"cim.cell.type": "stt_mram", "cim.bits_per_cell": bits})
    assert f"bits_per_cell {bits} on a stt_mram cell" in msg and "at most 1 bit" in msg
    assert "bits_per_cell <= 1" in msg


def test_multi_level_resistive_cells_still_take_several_bits():
    for cell in ("rram_1t1r", "pcm", "fefet"):
        arch = _load(**{"cim.cell.type": cell, "cim.bits_per_cell": "4"})
        assert arch.components["cim"].bits_per_cell == 4


# --- finding 3: a read voltage beyond what the node drives

def test_50_volts_at_22nm_is_refused_at_the_supply_bound():
    # 22 nm nominal 0.9 V (PTM, the 20 and 32 nm entries), x 1.5 = 1.35 V, technology.voltage's cap
    msg = _refused(**{"cim.cell.read_voltage": "50V", "cim.cell.r_on": "1ohm"})
    assert "cim.cell.read_voltage" in msg and "50 V" in msg and "at most 1.35 V" in msg


def test_a_read_voltage_at_the_bound_runs_and_above_it_does_not():
    arch = _load(**{"cim.cell.read_voltage": "1.35V"})
    assert design(arch.components["cim"], arch.technology).cell_read_energy > 0
    assert "at most 1.35 V" in _refused(**{"cim.cell.read_voltage": "1.36V"})


@pytest.mark.parametrize("volts, ok", [("1.35V", True), ("1.3500001V", False)])
def test_the_read_voltage_and_the_supply_share_one_bound(volts, ok):
    """review18-4: the read voltage's bound was written twice (with 1e-9 of slack here, none for
    technology.voltage): one helper, so a voltage the supply takes a read takes, 1.5 x 0.9 V."""
    from cimsim.hw.circuits import scaling

    assert scaling.max_supply(22) == pytest.approx(1.5 * 0.9, rel=1e-12, abs=0)
    v = float(volts[:-1])
    assert scaling.above_max_supply(22, v) is not ok
    if ok:
        scaling.check_supply(22, v)
        _load(**{"cim.cell.read_voltage": volts})
    else:
        with pytest.raises(ValueError, match="at most 1.35 V"):
            scaling.check_supply(22, v)
        assert "at most 1.35 V" in _refused(**{"cim.cell.read_voltage": volts})


def test_a_fefet_write_voltage_given_as_its_read_voltage_is_refused():
    msg = _refused(**{"cim.cell.type": "fefet", "cim.cell.read_voltage": "4V"})
    assert "4 V is above 1.5 x the nominal supply of 22 nm" in msg


# --- finding 4: fields only another kind of cell reads

@pytest.mark.parametrize("field,value,users", [
    ("read_current", "1mA", "sram_6t, sram_8t"),
    ("unit_capacitance", "1pF", "sram_charge"),
    ("rows_per_register", "2", "sram_digital"),
    ("compute", "xnor", "sram_charge"),
    ("folded_columns", "4", "sram_charge"),
    ("switch_width_f", "100", "sram_charge"),
])
@pytest.mark.parametrize("cell", ["pcm", "fefet", "rram_1t1r", "stt_mram"])
def test_fields_a_resistive_cell_does_not_read_are_refused(cell, field, value, users):
    msg = _refused(**{"cim.cell.type": cell, f"cim.cell.{field}": value})
    assert f"cell.{field} on a {cell} cell (kind resistive)" in msg
    assert f"used by {users} only" in msg and "leave it out" in msg


@pytest.mark.parametrize("field,value", [("r_on", "5kohm"), ("on_off", "10"),
                                         ("read_voltage", "0.2V"), ("unit_capacitance", "1fF")])
def test_fields_an_sram_cell_does_not_read_are_refused(field, value):
    msg = _refused("sram-cim-derived", **{f"cim.cell.{field}": value})
    assert f"cell.{field} on a sram_6t cell (kind sram)" in msg


def test_the_fields_a_cell_reads_are_still_taken():
    assert _load("sram-cim-derived", **{"cim.cell.read_current": "30uA"}).components["cim"]
    assert _load(**{"cim.cell.r_on": "50kohm"}).components["cim"].cell.r_on == 50e3


# --- finding 7: an STT-MRAM preset

def test_the_stt_mram_preset_is_binary_resistive_and_marked_placeholder():
    c = array.preset("stt_mram")
    assert (c.kind, c.max_bits_per_cell, c.r_on_ohm, c.on_off) == ("resistive", 1, 5e3, 2.5)
    assert c.placeholder and c.area_placeholder and "Jung et al., Nature 2022" in c.source
    with pytest.raises(ValueError):
        array.cell("mram")  # the name is stt_mram


def test_the_stt_mram_cell_read_in_closed_form():
    # G = G_off + w (G_on - G_off) = 0.4/5k + 0.5 (1/5k - 0.4/5k) = 1.4e-4 S; one driven cell
    # V^2 G t = 0.01 x 1.4e-4 x 10 ns = 14 fJ; 128 x 128 cells, half the rows driven
    parts = array.read_energy_parts(array.preset("stt_mram"), 128, 128, 22)
    assert parts["cells"] == pytest.approx(64 * 128 * 0.1 ** 2 * 1.4e-4 * 10e-9, rel=1e-12, abs=0)


def test_stt_mram_goes_with_technology_rram_and_runs_at_one_bit():
    arch = _load(**{"cim.cell.type": "stt_mram", "cim.bits_per_cell": "1"})
    cim = arch.components["cim"]
    d = design(cim, arch.technology)
    assert cim.cell.type == "stt_mram" and d.provenance["cell_read_energy"] == "placeholder"
    assert "technology: rram" in _refused("sram-cim-derived", **{"cim.cell.type": "stt_mram"})
