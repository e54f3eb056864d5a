"""Config fields are self-describing: every leaf has a type (with its SI unit) and a description."""

from __future__ import annotations

import os

from click.testing import CliRunner

from cimsim.cli import main
from cimsim.config.schema import describe_fields
from cimsim.sweep.params import field_kind


def test_every_field_has_a_description_and_quantities_their_unit():
    docs = {f.path: f for f in describe_fields()}
    assert all(f.description for f in docs.values()), [p for p, f in docs.items() if not f.description]
    assert docs["memory.bandwidth"].type == "quantity [B/s]"
    assert docs["memory.energy_per_bit"].type == "quantity [J/bit]"
    assert docs["processor.sram.capacity"].type == "quantity [B]"
    assert docs["cim.adc.sample_rate"].type == "quantity [Hz]"
    assert docs["cim.technology"].type == "one of sram, rram"
    assert docs["processor.energy_per_mac.int8"].type == "quantity [J]"
    assert docs["processor.op_overhead"].default == "0 s"
    assert docs["memory.sustained_fraction"].default == "1.0"
    assert docs["memory.bandwidth"].default == ""  # required


def test_every_listed_field_can_be_swept():
    for f in describe_fields():
        kind = field_kind(f.path)
        if f.type.startswith("quantity"):
            assert kind.kind == "quantity" and f.type == f"quantity [{kind.unit}]"


def test_cli_fields_lists_units():
    r = CliRunner(env={**os.environ, "COLUMNS": "200"}).invoke(main, ["fields", "cim.adc"])
    assert r.exit_code == 0, r.output
    assert "cim.adc.sample_rate" in r.output and "quantity [Hz]" in r.output
    assert "memory.bandwidth" not in r.output
    bad = CliRunner().invoke(main, ["fields", "nope"])
    assert bad.exit_code == 1 and "no config field starts with 'nope'" in bad.output
