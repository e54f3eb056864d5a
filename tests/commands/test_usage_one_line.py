"""Usage errors are one line on every command and group (README 0.4: `cimsim trace` printed
click's three-line usage block, as did `cimsim workload` and `cimsim` itself for an unknown
option or command), with click's usage status 2; asking for help still prints it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cimsim.cli import COMMANDS, main


def _one_line_usage_error(args: list[str]) -> str:
    r = CliRunner().invoke(main, args, prog_name="cimsim")
    assert r.exit_code == 2, (args, r.output)
    assert r.stdout == "" and "Usage:" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("Error: "), r.stderr
    return r.stderr


@pytest.mark.parametrize("path", [[], ["workload", "llm"],
                                  *[[c.name] for c in COMMANDS]], ids=" ".join)
def test_an_unknown_option_is_one_line_everywhere(path):
    err = _one_line_usage_error([*path, "--bogus"])
    assert "--bogus" in err and " ".join(["cimsim", *path]) + ":" in err, err


@pytest.mark.parametrize("path", [[], ["workload"]], ids=" ".join)
def test_an_unknown_command_is_one_line_and_lists_the_commands(path):
    err = _one_line_usage_error([*path, "nope"])
    assert "No such command 'nope'" in err and "its commands:" in err, err
    assert ("llm" if path else "run") in err, err


@pytest.mark.parametrize("args, needle", [
    ([], "give exactly one of SPEC, --zoo NAME or --onnx FILE.onnx"),
    (["--zoo", "lstm"], "missing option '-o' / '--output'"),
    (["--zoo", "lstm", "-o", "x.txt"], "a workload file is .json, or .npz"),
    (["--zoo", "lstm", "-o", "x.json", "--stats-bits", "4"], "--stats-bits goes with --stats"),
    (["--zoo", "lstm", "-o", "x.json", "--batch", "2"], "--batch goes with --serve"),
    (["--reference", "x"], "--reference is gone: use --zoo NAME"),
])
def test_trace_usage_errors_are_one_line(args, needle):
    err = _one_line_usage_error(["trace", *args])
    assert err.startswith("Error: cimsim trace: ") and needle in err, err
    assert "--reference," not in err and "--seq," not in err  # the hidden, moved flags


@pytest.mark.parametrize("path", [[], ["workload"]], ids=" ".join)
def test_a_group_without_a_command_still_prints_its_help(path):
    r = CliRunner().invoke(main, path)
    assert "Usage:" in r.output and "Commands:" in r.output, r.output
