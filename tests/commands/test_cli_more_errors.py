"""Several config errors at once: the one line names the fields of the others, so a user fixes
them in one go (a derived CIM config missing the three write fields said "(and 2 more)" and
needed three runs to learn which; they are now one error naming all three, on a cell whose
preset states none)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cimsim.bundled import resolve_config
from cimsim.cli import main


def test_the_missing_write_fields_are_named_at_once(tmp_path):
    """sram-cim-derived without its write fields: the sram_6t preset states no write figures
    (find-O 3: the resistive presets' fill them in), so all three are named in one line."""
    text = resolve_config("sram-cim-derived").read_text()
    kept = [ln for ln in text.splitlines()
            if not ln.lstrip().startswith(("write_latency:", "write_energy:", "endurance:"))]
    path = tmp_path / "my-cim.yaml"
    path.write_text("\n".join(kept) + "\n")
    r = CliRunner().invoke(main, ["run", str(path), "lstm"])
    assert r.exit_code == 1
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1
    assert ("write_latency, write_energy, endurance: required fields are missing" in lines[0]
            and "the sram_6t cell preset states no write figures" in lines[0]), lines[0]


def test_a_rule_between_fields_is_named_by_its_field(tmp_path):
    """sram-cim with the SRAM larger than the DRAM (37.5 MiB > 20 MB) and 512 ADCs on 256
    columns: the second error is the cim section's rule ``cim: adc.per_array (512) cannot
    exceed cols (256)``; the one line names its field, cim.adc.per_array, not the section."""
    text = resolve_config("sram-cim").read_text()
    assert "capacity: 256 GiB" in text and "per_array: 256" in text
    bad = text.replace("capacity: 256 GiB", "capacity: 20 MB").replace("per_array: 256",
                                                                      "per_array: 512")
    path = tmp_path / "two.yaml"
    path.write_text(bad)
    r = CliRunner().invoke(main, ["run", str(path), "gru"])
    assert r.exit_code == 1
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1, r.output
    assert "memory.sram.capacity: 37.5 MiB (39.32 MB) is more than the backing store's" in lines[0]
    assert lines[0].endswith("(and 1 more: cim.adc.per_array)"), lines[0]


def test_the_python_api_raises_one_error_with_a_line_per_error(tmp_path):
    """load_architecture: one ConfigError, one line per error (the CLI's one line is made from
    it), each line's field in ``fields``."""
    from cimsim import load_architecture
    from cimsim.errors import ConfigError

    text = resolve_config("sram-cim").read_text()
    path = tmp_path / "two.yaml"
    path.write_text(text.replace("capacity: 256 GiB", "capacity: 20 MB")
                    .replace("per_array: 256", "per_array: 512"))
    with pytest.raises(ConfigError) as e:
        load_architecture(path)
    lines = str(e.value).split("\n")
    assert len(lines) == 2
    assert lines[1] == (f"{path}: cim: adc.per_array (512) cannot exceed cols (256): at most one "
                        "ADC per column")
    assert e.value.fields == ["memory.sram.capacity", "cim.adc.per_array"]


def test_a_long_param_spec_over_max_points_is_clipped_in_its_one_line(tmp_path):
    """A `--param` list of 10^6 values (6,888,895 characters: 9 one-digit values, 90 of two
    digits, ..., 1 of seven, plus 999,999 commas) over --max-points printed all of it in its one
    error line; the spec is now clipped to its first 80 characters and its length (review 2,
    item 10). In process: one argument that long is past Linux's 128 KiB per argument."""
    n = 10**6
    spec = ",".join(str(i) for i in range(1, n + 1))
    chars = sum(9 * 10**(d - 1) * d for d in range(1, 7)) + 7 + (n - 1)
    assert len(spec) == chars == 6_888_895
    r = CliRunner().invoke(main, ["sweep", "cpu-ddr5", "-w", "tcn", "--param",
                                  f"processor.cores={spec}", "-o", str(tmp_path / "x.parquet")])
    assert r.exit_code == 1, r.output[:300]
    lines = r.output.splitlines()
    assert len(lines) == 1 and len(lines[0]) < 600, r.output[:300]
    assert lines[0].startswith("Error: --param processor.cores=" + spec[:80] + "... (6,888,895 "
                               "characters): 1,000,000 values exceed --max-points 100,000"), lines[0]
    assert not (tmp_path / "x.parquet").exists()
