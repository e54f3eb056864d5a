"""Numbers in a config file read as YAML 1.2's core schema reads them, the same as ``--set``
and ``--param`` read them (review find-F #1): PyYAML's YAML 1.1 rules read ``cores: 010`` as 8
(octal) and ``1:00`` as 60 (base 60) while ``--set processor.cores=010`` gave 10.

Golden values are the YAML 1.2 core schema's (yaml.org/spec/1.2.2, 10.3.2 Tag Resolution):
``[-+]?[0-9]+`` base 10, ``0o[0-7]+`` base 8, ``0x[0-9a-fA-F]+`` base 16; anything else text.
"""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from cimsim import bundled
from cimsim.cli import main
from cimsim.config import load_architecture, read_yaml
from cimsim.config.loader import apply_overrides
from cimsim.config.yamlread import core_number, load_text
from cimsim.errors import ConfigError
from cimsim.sweep.params import SweepSpecError, parse_param

CPU = bundled.resolve_config("cpu-ddr5")


def _config(tmp_path, cores: str):
    text = re.sub(r"(?m)^  cores: 16 .*$", f"  cores: {cores}", CPU.read_text())
    assert f"  cores: {cores}\n" in text
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, cores", [
    ("010", 10),       # YAML 1.1: octal 8
    ("0100", 100),     # YAML 1.1: 64
    ("0064", 64),      # a zero-padded count from a table; YAML 1.1: 52
    ("0o10", 8),       # YAML 1.2's octal (YAML 1.1: text)
    ("0x10", 16),
    ("+16", 16),
    ("16", 16),
])
def test_a_file_reads_integers_as_yaml_1_2(tmp_path, text, cores):
    assert read_yaml(_config(tmp_path, text))["processor"]["cores"] == cores
    assert load_architecture(_config(tmp_path, text)).components["processor"].cores == cores


@pytest.mark.parametrize("text", ["1:00", "1_6", "0b10000"])
def test_yaml_1_1_only_forms_are_text_and_refused_in_one_line(tmp_path, text):
    """YAML 1.1 read these as 60 and 16 and 16; YAML 1.2 reads them as text, which a count
    field refuses, saying why."""
    path = _config(tmp_path, text)
    assert read_yaml(path)["processor"]["cores"] == text
    with pytest.raises(ConfigError) as e:
        load_architecture(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}: processor.cores: expected a number (got the text '{text}')")
    assert "YAML 1.2 reads digit groups (1_000), 0b binary and base 60 (1:00) as text" in msg
    assert "\n" not in msg


@pytest.mark.parametrize("text, value", [
    ("010", 10), ("0o10", 8), ("0x10", 16), ("0x1F", 31), ("-3", -3), ("0", 0),
    ("1e3", 1000.0), ("1.5", 1.5), (".5", 0.5), ("1.", 1.0), ("-2.5e-3", -2.5e-3),
    ("1:00", None), ("1_000", None), ("0b10", None), ("1,000", None), ("inf", None),
    ("0o8", None), ("-0x10", None),
])
def test_core_number_is_the_yaml_1_2_core_schema(text, value):
    assert core_number(text) == value and type(core_number(text)) is type(value)
    assert load_text(f"v: {text}")["v"] == (text if value is None else value)


def test_infinities_and_nan_are_yaml_1_2_floats():
    got = load_text("[.inf, -.inf, .NaN, +.INF]")
    assert got[:2] == [float("inf"), float("-inf")] and got[2] != got[2] and got[3] == float("inf")


def test_explicit_tags_follow_the_same_rules():
    assert load_text("a: !!int 010\nb: !!int 0x10\nc: !!float 3") == {"a": 10, "b": 16, "c": 3.0}
    with pytest.raises(Exception, match="'1:00' is no YAML 1.2 int"):
        load_text("a: !!int 1:00")


@pytest.mark.parametrize("text, cores", [("010", 10), ("0o10", 8), ("0x10", 16)])
def test_set_reads_a_number_as_the_file_does(text, cores):
    data = apply_overrides(read_yaml(CPU), {"processor.cores": text}, cli=True)
    assert data["processor"]["cores"] == cores


@pytest.mark.parametrize("text", ["1:00", "1_6"])
def test_set_refuses_what_the_file_refuses(text):
    res = CliRunner(env={"COLUMNS": "250"}).invoke(
        main, ["fields", "-c", "cpu-ddr5", "--set", f"processor.cores={text}", "processor.cores"])
    assert res.exit_code != 0
    last = res.output.strip().splitlines()[-1]
    assert last.startswith(f"Error: --set processor.cores={text}: processor.cores: expected a number")
    assert "Traceback" not in res.output


def test_param_reads_a_number_as_the_file_does():
    assert list(parse_param("processor.cores=010,0100,0o10,0x20").values) == [10, 100, 8, 32]
    for bad in ("1_6", "0b10", "1_000"):  # (a ':' in a spec is its step separator)
        # review 18-5 #4: the reason --set gives, not "not a whole number"
        with pytest.raises(SweepSpecError) as e:
            parse_param(f"processor.cores={bad},32")
        assert str(e.value).startswith(f"--param processor.cores={bad},32: '{bad}' is not a number: "
                                       f"{YAML12}; a spec is ")
    with pytest.raises(SweepSpecError) as e:
        parse_param("memory.dram.sustained_fraction=0_5,0.7")  # a float field alike
    assert f"'0_5' is not a number: {YAML12}" in str(e.value)


YAML12 = ("YAML 1.2 reads digit groups (1_000), 0b binary and base 60 (1:00) as text; write the "
          "plain number, e.g. 1000")


def test_a_ranges_point_count_reads_as_a_value_does():
    """N of A..B:log:N by YAML 1.2 too (Python's int read 1_0 as 10 steps)."""
    assert len(parse_param("processor.cores=1..100:log:0x4").values) == 4
    assert len(parse_param("processor.cores=1..100:log:010").values) == 10
    for bad in ("1_0", "0b11"):
        with pytest.raises(SweepSpecError) as e:
            parse_param(f"processor.cores=1..100:log:{bad}")
        assert f"point count '{bad}' is not an integer: {YAML12}; a spec is " in str(e.value)
    with pytest.raises(SweepSpecError, match="point count '2.5' is not an integer; a spec"):
        parse_param("processor.cores=1..100:log:2.5")


@pytest.mark.parametrize("option, value", [("--param", "seq=1_000"), ("--param", "seq=0b10"),
                                           ("--arg", "steps=1_000"), ("--arg", "steps=1:00")])
def test_trace_param_and_arg_refuse_yaml12_text(option, value, tmp_path):
    """`trace --param` reads values with the config reader (YAML 1.2) and `--arg` by the same
    rules: what --set refuses they refuse with its reason, not as a size or as text."""
    key, _, text = value.partition("=")
    spec = ["--zoo", "hf:llama"] if option == "--param" else [str(tmp_path / "m.py") + ":make"]
    (tmp_path / "m.py").write_text("def make(steps=1):\n    raise AssertionError('not called')\n")
    res = CliRunner().invoke(main, ["trace", *spec, option, value, "-o", str(tmp_path / "t.json")])
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert res.output.strip().splitlines()[-1].endswith(f"{option} {key}: '{text}' is not a number: {YAML12}")


def test_trace_arg_reads_numbers_as_set_does():
    from cimsim.workload.trace.common import parse_arg

    assert [parse_arg(v) for v in ("010", "0x10", "0o10", "1e3", "nan", ".inf")] == [10, 16, 8, 1000.0, "nan", ".inf"]
