"""Bad config input found by a third round of new users: each gets one line naming the file or
--set and the field, never a traceback, a warning line or an unnamed impossible number."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cimsim.bundled import resolve_config
from cimsim.cli import main


def _one_line_error(args):
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 1, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1, r.output
    assert lines[0].startswith("Error: ")
    return lines[0]


def _variant(tmp_path, name, edit):
    """A copy of a bundled config with one text edit, as a user's own file."""
    text = resolve_config(name).read_text()
    path = tmp_path / "mine.yaml"
    new = edit(text)
    assert new != text
    path.write_text(new)
    return path


def test_cim_rows_beyond_the_partial_sum_range_is_a_field_error():
    line = _one_line_error(["run", "sram-cim", "lstm", "--set", "cim.rows=16777217"])
    assert "--set cim.rows=16777217" in line and "cim.rows" in line and "16777216" in line


def test_fields_shows_the_rows_bound_in_full():
    r = CliRunner().invoke(main, ["fields", "cim.rows"])
    assert r.exit_code == 0
    assert "in [1, 16777216]" in r.output


def test_a_complex_yaml_key_is_named_with_its_line(tmp_path):
    path = tmp_path / "complexkey.yaml"
    path.write_text("name: x\n? [a, b]\n: 1\n")
    line = _one_line_error(["run", str(path), "lstm"])
    assert line == f"Error: {path}: line 2: a key must be a plain name (such as cores), not a list"


def _cores(path):
    from cimsim import load_architecture
    return load_architecture(path).component("processor").config.cores


def test_yaml_merge_keys_merge_and_a_given_key_overrides(tmp_path):
    cores = "  cores: 16  # Intel spec sheet via technical.city listing (T)\n"
    merged = _variant(tmp_path, "cpu-ddr5", lambda t: t.replace(
        cores, "").replace("processor:\n", "processor:\n  <<: {cores: 8}\n"))
    assert _cores(merged) == 8
    overridden = _variant(tmp_path, "cpu-ddr5", lambda t: t.replace(
        "processor:\n", "processor:\n  <<: {cores: 8}\n"))
    assert _cores(overridden) == 16


def test_a_key_given_twice_beside_a_merge_key_is_still_refused(tmp_path):
    cores = "  cores: 16  # Intel spec sheet via technical.city listing (T)\n"
    path = _variant(tmp_path, "cpu-ddr5", lambda t: t.replace(
        "processor:\n", "processor:\n  <<: {clock: 1 GHz}\n  cores: 4\n"))
    assert cores in path.read_text()
    line = _one_line_error(["run", str(path), "lstm"])
    assert "duplicate key 'cores'" in line and str(path) in line


def test_a_derived_value_that_overflows_names_the_set_and_the_input():
    """No numpy RuntimeWarning line, no 'impossible energy' unnamed: the --set and the field."""
    for value, derived in (("cim.cell.r_on=1e-300 ohm", "switch energy"),
                           ("cim.cell.height_f=1e308", "cell read energy"),
                           ("cim.area.adc=1e300 m^2", "static power")):
        line = _one_line_error(["run", "rram-cim-derived", "lstm", "--set", value])
        field = value.split("=")[0]
        assert line.startswith(f"Error: --set {value}: {field}: the derived {derived} is not "
                               "finite (inf): check "), line
        assert f"{field[len('cim.'):]} = {value.split('=')[1].replace('e3', 'e+3')}" in line, line
    # a read voltage no longer reaches the overflow: it is refused above 1.5 x the node's
    # nominal supply first (find-N 3; tests/hw/test_cell_checks.py)
    line = _one_line_error(["run", "rram-cim-derived", "lstm", "--set",
                            "cim.cell.read_voltage=1e300 V"])
    assert "cim.cell.read_voltage: 1e+300 V is above 1.5 x the nominal supply" in line, line


def test_a_derived_value_that_overflows_in_a_file_names_the_file(tmp_path):
    path = _variant(tmp_path, "rram-cim-derived", lambda t: t.replace(
        "cell:\n", "cell:\n    r_on: 1e-300 ohm\n", 1))
    line = _one_line_error(["run", str(path), "lstm"])
    assert line.startswith(f"Error: {path}: cim.cell.r_on: the derived switch energy is not finite")


def test_a_dtype_set_to_null_names_the_file_and_the_set():
    line = _one_line_error(["run", "cpu-ddr5", "lstm", "--set",
                            "processor.macs_per_cycle_per_core.fp32=null"])
    assert line.endswith("cpu-ddr5.yaml with --set processor.macs_per_cycle_per_core.fp32=null: "
                         "processor 'processor' has no processor.macs_per_cycle_per_core.fp32; it "
                         "lists ['bf16', 'fp16', 'int8']")


# (review 18-5 #5: no longer "or an exponent without a dot (1e1)": YAML 1.2 reads 1e1 as a number)
QUOTED = ": a quoted number is text in YAML; write it unquoted, e.g. 16, 0.7, 1e1"


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "NaN"])
def test_nan_and_inf_text_say_yamls_spelling(text):
    """Review 18-5 #5: 'write it unquoted' did not help for nan / inf (text unquoted too)."""
    line = _one_line_error(["fields", "-c", "cpu-ddr5", "--set", f"processor.cores={text}",
                            "processor.cores"])
    assert line == (f"Error: --set processor.cores={text}: processor.cores: expected a number (got "
                    f"the text '{text}'): YAML spells not-a-number and infinity .nan and .inf, and a "
                    "field of finite numbers refuses both; write a finite number")


def test_a_quoted_number_is_refused_naming_the_field(tmp_path):
    for old, new, field in (
            ("  cores: 16  #", '  cores: "16"  #', "processor.cores"),
            ("    sustained_fraction: 0.70  #", '    sustained_fraction: "0.7"  #',
             "memory.dram.sustained_fraction"),
            ("    int8: 1024  #", '    int8: "1024"  #', "processor.macs_per_cycle_per_core.int8")):
        path = _variant(tmp_path, "cpu-ddr5", lambda t: t.replace(old, new, 1))
        line = _one_line_error(["run", str(path), "lstm"])
        text = new.split(": ")[1].split()[0].strip('"')
        assert line.startswith(f"Error: {path}: {field}: expected a number (got the text "
                               f"'{text}'){QUOTED}"), line


def test_set_values_and_yaml_exponents_are_numbers(tmp_path):
    from cimsim import load_architecture

    arch = load_architecture("cpu-ddr5", {"processor.cores": "8"}, cli=True)  # --set text
    assert arch.component("processor").config.cores == 8
    path = _variant(tmp_path, "rram-cim", lambda t: t.replace("endurance: 1e12", "endurance: 2e12"))
    assert load_architecture(path).component("cim").config.endurance == 2e12
    r = CliRunner().invoke(main, ["run", "cpu-ddr5", "lstm", "--set", "processor.cores=abc"])
    assert r.output == ("Error: --set processor.cores=abc: processor.cores: expected a number (got "
                        "the text 'abc')\n")


def test_a_config_name_with_control_characters_is_refused(tmp_path):
    path = _variant(tmp_path, "cpu-ddr5", lambda t: t.replace(
        "name: cpu-ddr5\n", 'name: "a\\nb\\x1b[31mRED"\n', 1))
    line = _one_line_error(["run", str(path), "lstm"])
    assert line == (f"Error: {path}: name: 'a\\nb\\x1b[31mRED' holds the control character "
                    "'\\n'; a name is printable text")
    assert "\x1b" not in line


def _workload_file(tmp_path, edit):
    import json

    from cimsim.workload import load_workload, save_workload

    path = tmp_path / "w.json"
    save_workload(load_workload("gru"), path)
    d = json.loads(path.read_text())
    edit(d)
    path.write_text(json.dumps(d))
    return path


def test_workload_op_and_tensor_names_must_be_printable_and_not_empty(tmp_path):
    cases = (
        (lambda d: d["ops"][1].update(name="a\nb"),
         "op #1: the name 'a\\nb' holds the control character '\\n'; a name is printable text"),
        (lambda d: d["ops"][0].update(name=""), "op #0: the name is empty; give a name"),
        (lambda d: d.update(name="x\x1b[31m"),
         "the workload 'name' 'x\\x1b[31m' holds the control character '\\x1b'; a name is "
         "printable text"),
    )
    for edit, says in cases:
        path = _workload_file(tmp_path, edit)
        line = _one_line_error(["run", "cpu-ddr5", str(path)])
        assert line.startswith(f"Error: {path}: ") and line.endswith(says), line
        assert "\x1b" not in line and "\n" not in line


def test_a_set_of_one_of_two_exclusive_fields_names_the_files_other_one():
    """The README's example: the file gives cim.adc.per_array; --set gives columns_per_adc."""
    line = _one_line_error(["run", "rram-cim", "lstm", "--set", "cim.adc.columns_per_adc=1000"])
    assert line == ("Error: --set cim.adc.columns_per_adc=1000: the file gives cim.adc.per_array "
                    "(1), which cim.adc.columns_per_adc replaces (give one, not both); leave the "
                    "file's out too: --set cim.adc.per_array=null")
    line = _one_line_error(["run", "rram-cim", "lstm", "--set", "cim.adc.columns_per_adc=1000",
                            "--set", "cim.adc.per_array=null"])
    assert line.endswith("cim: adc.columns_per_adc (1000) cannot exceed cols (128): one ADC "
                         "serves at most its array's columns (one ADC shared by k arrays: "
                         "adc.arrays_per_adc k, README 'An ADC shared by several arrays')")
    r = CliRunner().invoke(main, ["run", "rram-cim", "lstm", "--set", "cim.adc.columns_per_adc=8",
                                  "--set", "cim.adc.per_array=null"])
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("where", ["memory", "links", "component"])
def test_a_level_link_or_component_named_with_a_control_character_is_refused(where):
    """A level, link or component name becomes column names and table rows: an escape sequence
    in it recoloured the terminal six times in `cimsim run` (only the architecture's name was
    checked)."""
    import copy

    from cimsim.config import architecture_from_dict
    from cimsim.errors import ConfigError

    from conftest import ROUND_ARCH, ROUND_LINK

    d = copy.deepcopy(ROUND_ARCH)
    bad = "dr\x1b[31mam"
    if where == "memory":
        d["memory"] = {"sram": d["memory"]["sram"], bad: d["memory"]["dram"]}
    elif where == "links":
        d["links"] = {bad: dict(ROUND_LINK)}
    else:
        d[bad] = d.pop("processor")
        d[bad]["type"] = "processor"
    with pytest.raises(ConfigError, match=r"holds the control character '\\x1b'") as e:
        architecture_from_dict(d)
    assert "\x1b" not in str(e.value) and "\n" not in str(e.value)
