"""`cimsim fields -c CONFIG [--set ...]` says what a design uses: each field's value (with --set
applied, derived numbers included) and its source (file, --set, derived, default). Before, the
third column was the schema's default whatever the config said (sram-cim's sustained_fraction
read 1.0, not its 0.70; a derived CIM's ADC energy read "(none)")."""

from __future__ import annotations

import math

import pytest
from click.testing import CliRunner

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
    assert parse_quantity(e["value"], "J") == pytest.approx(want, rel=1e-5, abs=0)
    assert 86.0e-15 < want < 86.2e-15  # the 86.1 fJ the run's note prints
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
