"""Several config errors at once: the one line names the fields of the others, so a user fixes
them in one go (a derived CIM config missing the three write fields said "(and 2 more)" and
needed three runs to learn which)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cimsim.bundled import resolve_config
from cimsim.cli import main


def test_the_other_missing_fields_are_named(tmp_path):
    text = resolve_config("rram-cim-derived").read_text()
    kept = [ln for ln in text.splitlines()
            if not ln.lstrip().startswith(("write_latency:", "write_energy:", "endurance:"))]
    path = tmp_path / "my-cim.yaml"
    path.write_text("\n".join(kept) + "\n")
    r = CliRunner().invoke(main, ["run", str(path), "lstm"])
    assert r.exit_code == 1
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1
    assert "cim.write_latency: required field is missing" in lines[0]
    assert lines[0].endswith("(and 2 more: cim.write_energy, cim.endurance)")


def test_a_rule_between_fields_is_named_by_its_field(tmp_path):
    """sram-cim with the SRAM larger than the DRAM (37.5 MB > 20 MB) and 512 ADCs on 256
    columns: the second error is the cim section's rule ``cim: adc.per_array (512) cannot
    exceed cols (256)``; the one line names its field, cim.adc.per_array, not the section."""
    text = resolve_config("sram-cim").read_text()
    assert "capacity: 256 GB" in text and "per_array: 256" in text
    bad = text.replace("capacity: 256 GB", "capacity: 20 MB").replace("per_array: 256",
                                                                      "per_array: 512")
    path = tmp_path / "two.yaml"
    path.write_text(bad)
    r = CliRunner().invoke(main, ["run", str(path), "gru"])
    assert r.exit_code == 1
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1, r.output
    assert "memory.sram.capacity: 37.5 MB is more than the backing store's" in lines[0]
    assert lines[0].endswith("(and 1 more: cim.adc.per_array)"), lines[0]


def test_the_python_api_raises_one_error_with_a_line_per_error(tmp_path):
    """load_architecture: one ConfigError, one line per error (the CLI's one line is made from
    it), each line's field in ``fields``."""
    from cimsim import load_architecture
    from cimsim.errors import ConfigError

    text = resolve_config("sram-cim").read_text()
    path = tmp_path / "two.yaml"
    path.write_text(text.replace("capacity: 256 GB", "capacity: 20 MB")
                    .replace("per_array: 256", "per_array: 512"))
    with pytest.raises(ConfigError) as e:
        load_architecture(path)
    lines = str(e.value).split("\n")
    assert len(lines) == 2
    assert lines[1] == (f"{path}: cim: adc.per_array (512) cannot exceed cols (256): at most one "
                        "ADC per column")
    assert e.value.fields == ["memory.sram.capacity", "cim.adc.per_array"]
