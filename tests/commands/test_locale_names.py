"""Names and a non-UTF-8 locale (find-L 1). Under ``LC_ALL=C`` (with Python's UTF-8 mode and
locale coercion off) the shell's UTF-8 bytes reach Python as lone surrogates; a name holding
them loaded and ran, then ``compare`` / ``report`` ended in pyarrow's UnicodeEncodeError
traceback. ``workload --name`` now takes the text the bytes spell; a name that holds a lone
surrogate (JSON's ``"\\udce9"``, bytes that are not UTF-8) is refused at load, in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.errors import WorkloadError, name_problem
from cimsim.workload import load_workload

C_LOCALE = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}


def test_workload_name_typed_under_the_c_locale_is_the_text_typed(tmp_path):
    out = tmp_path / "c.json"
    name = "长短期 ✨"
    res = subprocess.run([sys.executable, "-m", "cimsim", "workload", "lstm", "--input-size", "8",
                          "--hidden", "8", "--layers", "1", "--steps", "1", "--name",
                          os.fsencode(name), "-o", str(out)], env=C_LOCALE, capture_output=True)
    assert res.returncode == 0, res.stderr
    assert json.loads(out.read_bytes())["name"] == name
    assert load_workload(out).name == name


def test_a_name_holding_a_lone_surrogate_is_refused_at_load(tmp_path):
    made = tmp_path / "w.json"
    assert CliRunner().invoke(main, ["workload", "lstm", "--input-size", "8", "--hidden", "8",
                                     "--layers", "1", "--steps", "1", "-o", str(made)]).exit_code == 0
    d = json.loads(made.read_text())
    d["name"] = "caf\udce9"
    bad = tmp_path / "sur.json"
    bad.write_text(json.dumps(d))  # ("caf\\udce9": json.dumps escapes it)
    with pytest.raises(WorkloadError, match=r"lone surrogate '\\udce9'"):
        load_workload(bad)
    res = CliRunner().invoke(main, ["compare", "cpu-ddr5", "-w", str(bad), "--engine", "analytic"])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.output.count("\n") == 1 and "a name is UTF-8 text" in res.output


def test_name_problem_names_the_surrogate():
    assert name_problem("caf\udce9") == ("'caf\\udce9' holds the lone surrogate '\\udce9' (an "
                                         "undecodable byte, not a character); a name is UTF-8 text")
    assert name_problem("长短期 ✨") is None
