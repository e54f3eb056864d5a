"""`cimsim fields -c CONFIG [--set ...]` says what a design uses: each field's value (with --set
applied, derived numbers included) and its source (file, --set, derived, default). Before, the
third column was the schema's default whatever the config said (sram-cim's sustained_fraction
read 1.0, not its 0.70; a derived CIM's ADC energy read "(none)")."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from cimsim import load_architecture
from cimsim.cli import main
from cimsim.hw.circuits.adc import adc
from cimsim.hw.circuits.scaling import nominal_vdd
from cimsim.units import parse_quantity


def _table(*args: str) -> dict[str, dict[str, str]]:
    """The `fields` table as {path: {column: cell}} (wide enough that no cell wraps)."""
    r = CliRunner(env={"COLUMNS": "400"}).invoke(main, ["fields", *args])
    assert r.exit_code == 0, r.output
    lines = [ln for ln in r.output.splitlines() if ln.startswith(("┃", "│"))]
    head = [c.strip() for c in lines[0].strip("┃").split("┃")]
    rows = {}
    for ln in lines[1:]:
        cells = [c.strip() for c in ln.strip("│").split("│")]
        if cells[0]:
            rows[cells[0]] = dict(zip(head, cells))
    return rows


def test_a_config_s_own_values_and_their_source():
    rows = _table("-c", "sram-cim")
    dram = rows["memory.dram.sustained_fraction"]
    # configs/sram-cim.yaml: "sustained_fraction: 0.70  # (U) ..." -- the (U) mark is the run's
    # placeholder provenance, shown beside the source
    assert (dram["value"], dram["source"]) == ("0.7", "file, placeholder")
    assert dram["default"] == "1.0"  # the schema's default is still shown beside it
    assert (rows["cim.arrays"]["value"], rows["cim.arrays"]["source"]) == ("8452", "file")
    # a field the file leaves out: the schema's default, said so
    env = rows["cim.adc.envelope_factor"]
    assert (env["value"], env["source"]) == ("1", "default")


def test_a_set_value_is_shown_as_set():
    rows = _table("-c", "sram-cim", "--set", "memory.dram.sustained_fraction=0.5",
                  "--set", "memory.dram.bandwidth=1TB/s")
    # a --set states the value: its (U) mark is cleared, as in the run's provenance
    assert rows["memory.dram.sustained_fraction"]["value"] == "0.5"
    assert rows["memory.dram.sustained_fraction"]["source"] == "--set"
    assert parse_quantity(rows["memory.dram.bandwidth"]["value"], "B/s") == 1e12
    assert rows["memory.dram.bandwidth"]["source"] == "--set"
    assert rows["memory.sram.bandwidth"]["source"].startswith("file")


def test_a_derived_adc_energy_shows_the_circuit_model_s_value():
    rows = _table("-c", "sram-cim-derived", "cim")
    e = rows["cim.adc.energy_per_conversion"]
    assert e["source"] == "derived"
    # configs/sram-cim-derived.yaml: a 7-bit SAR at 22 nm, the node's nominal supply, no sample
    # rate given (one conversion per conversion time), envelope factor 1
    want = adc("sar", 7, 22.0).energy_j
    design = load_architecture("sram-cim-derived").component("cim").design
    assert design.energy_per_conversion == pytest.approx(want, rel=1e-12, abs=0)
    # the cell: that number, 6 significant figures, in fJ (86.1264 fJ; the README said 86.1309)
    assert e["value"] == f"{want * 1e15:.6g} fJ"
    # and the README's example quotes what the command prints
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert f"`cim.adc.energy_per_conversion  {want * 1e15:.6g} fJ  derived`" in readme
    # the supply the config leaves to the node: derived, the nominal one
    v = _table("-c", "sram-cim-derived", "technology")["technology.voltage"]
    assert v["source"] == "derived"
    assert parse_quantity(v["value"], "V") == pytest.approx(nominal_vdd(22.0), rel=1e-5, abs=0)


def test_a_derived_value_set_to_a_number_is_no_longer_derived():
    rows = _table("-c", "sram-cim-derived", "cim.adc", "--set", "cim.adc.energy_per_conversion=100fJ")
    e = rows["cim.adc.energy_per_conversion"]
    assert e["source"] == "--set" and math.isclose(parse_quantity(e["value"], "J"), 100e-15)


def test_without_a_config_the_table_is_the_schema_s():
    r = CliRunner(env={"COLUMNS": "400"}).invoke(main, ["fields", "cim.arrays"])
    header = next(ln for ln in r.output.splitlines() if ln.startswith("┃"))
    assert [c.strip() for c in header.strip("┃").split("┃")] == ["path", "type", "default", "description"]


def test_set_without_a_config_is_one_line_and_exit_2():
    r = CliRunner().invoke(main, ["fields", "--set", "cim.rows=128"])
    assert r.exit_code == 2
    assert "--set needs -c CONFIG" in r.output and len(r.output.strip().splitlines()) == 1
    assert "Traceback" not in r.output


def _without(tmp_path, line_start: str, replace: str | None = None):
    """configs/sram-cim.yaml with its line starting ``line_start`` dropped (or replaced)."""
    src = Path(__file__).resolve().parents[2] / "configs" / "sram-cim.yaml"
    lines = src.read_text().splitlines(keepends=True)
    hit = [i for i, ln in enumerate(lines) if ln.startswith(line_start)]
    assert len(hit) == 1, hit
    lines[hit[0]] = "" if replace is None else replace + "\n"
    out = tmp_path / "broken.yaml"
    out.write_text("".join(lines))
    return out


@pytest.mark.parametrize("line,replace,said", [
    ("  arrays:", None, "cim.arrays: required field is missing"),
    ("  arrays:", "  arrays: 0", "cim.arrays: Input should be greater than or equal to 1 (got 0)"),
])
def test_a_config_that_does_not_load_still_gets_its_table(tmp_path, line, replace, said):
    """The question `fields -c` answers, "what may my config hold?", matters most while the config
    does not load yet: the schema's table, without the value and source columns, and one note
    line carrying the loader's message; exit 0 (it was "Error: ...", exit 1, no table)."""
    bad = _without(tmp_path, line, replace)
    r = CliRunner(env={"COLUMNS": "400"}).invoke(main, ["fields", "-c", str(bad), "cim.arr"])
    assert r.exit_code == 0, r.output
    assert "Traceback" not in r.output
    header = next(ln for ln in r.stdout.splitlines() if ln.startswith("┃"))
    assert [c.strip() for c in header.strip("┃").split("┃")] == ["path", "type", "default", "description"]
    row = next(ln for ln in r.stdout.splitlines() if ln.startswith("│"))
    assert [c.strip() for c in row.strip("│").split("│")][:3] == [
        "cim.arrays", "int, in [1, 1099511627776]", "(required)"]
    note = r.stderr.strip().splitlines()
    assert len(note) == 1 and note[0].startswith(
        "note: no value and source columns: the config does not load: ")
    assert f"{bad}: {said}" in note[0]


def test_a_bad_set_on_a_config_that_loads_is_still_an_error(tmp_path):
    r = CliRunner().invoke(main, ["fields", "-c", "sram-cim", "cim.arrays", "--set", "cim.arrays=0"])
    assert r.exit_code == 1
    assert r.output.strip() == ("Error: --set cim.arrays=0: cim.arrays: Input should be greater than "
                                "or equal to 1 (got 0)")
