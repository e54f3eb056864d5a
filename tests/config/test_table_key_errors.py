"""A key a per-dtype table does not take, in a config file, gets the line ``--set`` gives
(review find-M #2): it was ``processor.macs_per_cycle_per_core.int4.[key]: Input should be
'fp32', 'fp16', 'bf16' or 'int8' (got 'int4')``."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from cimsim import bundled
from cimsim.cli import main
from cimsim.config import load_architecture
from cimsim.errors import ConfigError

TABLE = "processor.macs_per_cycle_per_core"
ALLOWED = "allowed keys: fp32, fp16, bf16, int8"
INT4 = ("; cimsim models no int4 MACs (README: \"compute dtypes beyond fp32, fp16, bf16 and "
        "int8\" under Not modelled); int4 weights of an LLM: cimsim workload llm --weight-dtype int4")


def _file(tmp_path, key: str):
    text, n = re.subn(r"(?m)^(  macs_per_cycle_per_core:\n)", rf"\g<1>    {key}: 32768\n",
                      bundled.resolve_config("cpu-ddr5").read_text(), count=1)
    assert n == 1
    path = tmp_path / "p4.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("key, tail", [
    ("int4", INT4),
    ("itn8", f" (did you mean '{TABLE}.int8'?)"),
])
def test_a_file_and_set_say_the_same_line(tmp_path, key, tail):
    path = _file(tmp_path, key)
    with pytest.raises(ConfigError) as e:
        load_architecture(path)
    said = f"'{key}' is not a key of '{TABLE}'; {ALLOWED}{tail}"
    assert str(e.value) == f"{path}: {TABLE}.{key}: {said}"
    res = CliRunner(env={"COLUMNS": "250"}).invoke(
        main, ["fields", "-c", "cpu-ddr5", "--set", f"{TABLE}.{key}=32768"])
    assert res.exit_code != 0
    assert res.output.strip().splitlines()[-1] == f"Error: --set {TABLE}.{key}=32768: {said}"


def test_the_cli_prints_one_line_for_the_file(tmp_path):
    res = CliRunner(env={"COLUMNS": "250"}).invoke(main, ["run", str(_file(tmp_path, "int4")), "lstm"])
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert res.output.strip().splitlines()[-1].startswith(f"Error: {tmp_path / 'p4.yaml'}: {TABLE}.int4: 'int4'")
