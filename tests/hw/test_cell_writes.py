"""A cell preset's write figures (find-O 3; modules cimsim.hw.circuits.array and
cimsim.hw.cim.cellcheck).

Before: `cim.write_energy`, `write_latency`, `endurance` were required of every CIM config and
no preset carried them, so `--set cim.cell.type=pcm` (or a sweep over cell types) ran with the
config's RRAM 3 pJ / 10 ns / 1e12 cycles and said nothing: the four cell types of
rram-cim-derived gave one programming_energy_j, 192 uJ. Now a config that leaves them out takes
its cell preset's, an SRAM preset (which states none) makes them required in one line, and
figures a config states for a non-default cell are kept and named in a note."""

from __future__ import annotations

import copy

import pytest
from conftest import ROUND_CIM, ROUND_LINK, gemv_workload, make_arch

from cimsim.bundled import resolve_config as config_path
from cimsim.config.loader import load_architecture
from cimsim.errors import ConfigError
from cimsim.pipeline import simulate_quietly

WRITES = ("write_energy", "write_latency", "endurance")


def _arch(cell: str, **cim):
    c = {k: v for k, v in copy.deepcopy(ROUND_CIM).items() if k not in WRITES}
    c.update(cell={"type": cell}, **({"bits_per_cell": 1} if cell == "stt_mram" else {}), **cim)
    return make_arch(name="round-cim", cim=c, interconnect=dict(ROUND_LINK))


@pytest.mark.parametrize("cell, per_bit, bits, pulse, endurance", [
    ("rram_1t1r", 3e-12, 2, 10e-9, 1e12),   # ITRS 2011 / Yang 2013 (T): 3 pJ/bit
    ("pcm", 10e-12, 2, 100e-9, 1e8),        # (U), the README's cell table
    ("fefet", 1e-15, 2, 100e-9, 1e5),
    ("stt_mram", 1e-12, 1, 10e-9, 1e15),    # binary: 1 bit a cell
])
def test_write_figures_left_out_are_the_cell_presets(cell, per_bit, bits, pulse, endurance):
    """A preset's write energy is per bit (review 19-A 6): a cell of ROUND_CIM's 2 bits is
    written for 2 x the figure (rram_1t1r 6 pJ, as rram-cim states for its 2-bit cells)."""
    c = _arch(cell).components["cim"]
    assert (c.write_energy, c.write_latency, c.endurance) == (per_bit * bits, pulse, endurance)
    assert not set(WRITES) & c.model_fields_set  # still "not given": provenance says preset


def test_a_swapped_cell_type_changes_programming_by_its_own_write_energy():
    """One 128 x 16 weight, 8 bits in 2-bit cells: 4 columns a weight, 128 x 64 = 8,192 cells, one
    copy, 2 bits each. Everything but the cells' writes is the same, so pcm - rram_1t1r is
    8,192 x 2 bits x (10 - 3) pJ/bit = 114.688 nJ; the writes' time, 128 rows x (100 - 10) ns =
    11.52 us."""
    w = gemv_workload(128, 16)
    pcm = simulate_quietly(_arch("pcm"), w).record()
    rram = simulate_quietly(_arch("rram_1t1r"), w).record()
    assert pcm["programming_energy_j"] - rram["programming_energy_j"] == pytest.approx(
        8192 * 2 * 7e-12, rel=1e-9, abs=0)
    assert pcm["programming_time_s"] - rram["programming_time_s"] == pytest.approx(
        128 * 90e-9, rel=1e-9, abs=0)


@pytest.mark.parametrize("bits", [1, 2, 4])
def test_a_preset_writes_every_bit_whatever_the_bits_a_cell(bits):
    """Review 19-A 6: the preset's 3 pJ was charged a cell, so 4-bit cells wrote a weight for a
    quarter of 1-bit cells' energy (rram-cim-derived's sgd step 192.2, 113.2, 73.6 uJ at 1, 2, 4
    bits). Per bit, one 128 x 16 weight of 8 bits is 16,384 bits x 3 pJ = 49.152 nJ in any cells
    (16,384 1-bit, 8,192 2-bit or 4,096 4-bit cells), plus its 2,048 B x 8 x (10 pJ/bit DRAM +
    1 pJ/bit link) = 180.224 nJ: 229.376 nJ."""
    r = simulate_quietly(_arch("rram_1t1r", bits_per_cell=bits), gemv_workload(128, 16)).record()
    assert r["programming_energy_j"] == pytest.approx(16384 * 3e-12 + 2048 * 8 * 11e-12,
                                                      rel=1e-9, abs=0)


def test_a_bundled_sweep_over_cell_types_writes_each_devices_cells():
    """rram-cim-derived leaves its write figures to the preset (the same 3 pJ, 10 ns, 1e12 for
    rram_1t1r, so its numbers stay); pcm's 10 pJ a pulse is 10 / 3 of rram's cell writes."""
    rram = load_architecture(config_path("rram-cim-derived"), {}).components["cim"]
    pcm = load_architecture(config_path("rram-cim-derived"), {"cim.cell.type": "pcm"},
                            cli=True).components["cim"]
    assert (rram.write_energy, rram.write_latency, rram.endurance) == (3e-12, 10e-9, 1e12)
    assert (pcm.write_energy, pcm.endurance) == (10e-12, 1e8)


def test_an_sram_cell_without_write_figures_is_refused_in_one_line():
    with pytest.raises(ConfigError) as e:
        load_architecture(config_path("sram-cim-derived"), {f"cim.{f}": "null" for f in WRITES},
                          cli=True)
    msg = str(e.value)
    assert "\n" not in msg
    assert "write_latency, write_energy, endurance: required fields are missing" in msg
    assert "sram_6t cell preset states no write figures" in msg


def test_stated_figures_on_another_cell_are_kept_and_said():
    arch = _arch("pcm", write_energy="6 pJ")  # the preset's is 10 pJ/bit: 20 pJ a 2-bit cell
    assert arch.components["cim"].write_energy == 6e-12
    r = simulate_quietly(arch, gemv_workload(128, 16))
    said = [n for n in r.notes if "own write figures" in n]
    assert len(said) == 1 and "write_energy 6 pJ (the preset's 20 pJ: 10 pJ/bit x 2 bits a cell)" in said[0]
    assert "write_latency" not in said[0]  # left out: the preset's, nothing to say
    plain = simulate_quietly(_arch("rram_1t1r", write_energy="6 pJ"), gemv_workload(128, 16))
    assert not [n for n in plain.notes if "own write figures" in n]  # the default cell


@pytest.mark.parametrize("cell, figure", [
    ("rram_1t1r", "3 pJ/bit"), ("pcm", "10 pJ/bit"), ("fefet", "1 fJ/bit"), ("stt_mram", "1 pJ/bit"),
])
def test_a_presets_write_source_states_its_energy_per_bit(cell, figure):
    """The note's "leave them out to take the preset's: ..." quotes the preset's source; the
    figure is per bit (the preset's 20 pJ is 10 pJ/bit x 2 bits), so the source says "/bit"
    (final-read19-3 #7: it said "10 pJ", beside "20 pJ: 10 pJ/bit x 2 bits")."""
    from cimsim.hw.circuits.array import preset
    assert preset(cell).write_source.split(" (")[0].split(",")[0] == figure
    if cell == "pcm":
        r = simulate_quietly(_arch("pcm", write_energy="6 pJ"), gemv_workload(128, 16))
        said = [n for n in r.notes if "own write figures" in n]
        assert "leave them out to take the preset's: 10 pJ/bit, 100 ns" in said[0]
