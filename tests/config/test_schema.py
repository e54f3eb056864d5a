"""Config fields are self-describing: every leaf has a type (with its SI unit) and a description."""

from __future__ import annotations

import os

from click.testing import CliRunner

from cimsim.cli import main
from cimsim.config.schema import describe_fields
import pytest

from cimsim.sweep.params import SweepSpecError, field_kind


def test_every_field_has_a_description_and_quantities_their_unit():
    docs = {f.path: f for f in describe_fields()}
    assert all(f.description for f in docs.values()), [p for p, f in docs.items() if not f.description]
    assert docs["memory.LEVEL.bandwidth"].type == "quantity [B/s], > 0"
    assert docs["memory.LEVEL.energy_per_bit"].type == "quantity [J/bit], >= 0"
    assert docs["memory.LEVEL.capacity"].type == "quantity [B], > 0"
    assert docs["links.LINK.latency"].type == "quantity [s], >= 0"
    assert docs["cim.adc.sample_rate"].type == "quantity [Hz], > 0"
    assert docs["cim.technology"].type == "one of sram, rram"
    assert docs["processor.energy_per_mac.int8"].type == "quantity [J], >= 0"
    assert docs["processor.op_overhead"].default == "0 s"
    assert docs["memory.LEVEL.sustained_fraction"].default == "1.0"
    assert docs["memory.LEVEL.bandwidth"].default == ""  # required
    assert "systolic.rows" in docs and "pim.units_per_channel" in docs


def test_fields_of_a_config_use_its_own_names():
    from cimsim import bundled
    from cimsim.config import read_yaml

    docs = {f.path for f in describe_fields(read_yaml(bundled.resolve_config("sram-cim")))}
    assert {"memory.sram.bandwidth", "memory.dram.bandwidth", "links.interconnect.bandwidth",
            "cim.adc.bits", "processor.cores"} <= docs
    assert not any("LEVEL" in p or p.startswith("pim.") for p in docs)


def test_every_listed_field_can_be_swept():
    for f in describe_fields():
        if f.type.startswith("list of"):  # structure, not a value: refused with a clear message
            with pytest.raises(SweepSpecError, match="cannot be swept"):
                field_kind(f.path)
            continue
        kind = field_kind(f.path)
        if f.type.startswith("quantity"):
            assert kind.kind == "quantity" and f.type.startswith(f"quantity [{kind.unit}]")


def test_cli_fields_lists_units():
    r = CliRunner(env={**os.environ, "COLUMNS": "200"}).invoke(main, ["fields", "cim.adc"])
    assert r.exit_code == 0, r.output
    assert "cim.adc.sample_rate" in r.output and "quantity [Hz]" in r.output
    assert "memory.LEVEL.bandwidth" not in r.output
    # a lower-case unit printed as \[s] once the console's markup was off (a tester, 2026-12-05)
    r = CliRunner(env={**os.environ, "COLUMNS": "200"}).invoke(main, ["fields", "cim.read_latency"])
    assert "quantity [s]" in r.output and "\\[" not in r.output
    bad = CliRunner().invoke(main, ["fields", "nope"])
    assert bad.exit_code == 1 and "no config field starts with 'nope'" in bad.output


def test_plain_numbers_list_their_domain():
    """`cimsim fields` lists a count or fraction with its domain, as it does a quantity's
    (before: a bare `int` / `float`, the domain a user meets only in the error)."""
    types = {f.path: f.type for f in describe_fields()}
    assert types["processor.cores"] == "int, >= 1"  # PositiveInt
    assert types["memory.LEVEL.sustained_fraction"] == "float, in (0, 1]"  # Fraction
    assert types["cim.endurance"] == "float, > 0"  # PositiveFloat
    assert not [p for p, t in types.items() if t in ("int", "float")]


def test_the_domain_is_read_from_the_constraints():
    from typing import Annotated

    from pydantic import BaseModel, Field

    from cimsim.config.walk import kind_of

    class M(BaseModel):
        a: Annotated[int, Field(ge=0, lt=5)]
        b: float = Field(default=0.5, gt=0, le=1)
        c: float = 1.0

    f = M.model_fields
    assert kind_of(f["a"].annotation, f["a"].metadata).describe() == "int, in [0, 5)"
    assert kind_of(f["b"].annotation, f["b"].metadata).describe() == "float, in (0, 1]"
    assert kind_of(f["c"].annotation, f["c"].metadata).describe() == "float"
