"""Sizes past what a workload can hold are one line, before anything is generated (a new user's
`--steps 1e15` ended in a numpy traceback after allocating; `--decode 1e15` and `--count 1e15`
ran until killed)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cimsim.cli import main

BIG = "1000000000000000"
LLM = ["workload", "llm", "--layers", "2", "--hidden", "64", "--heads", "4", "--vocab", "50",
       "--prompt", "1"]


@pytest.mark.parametrize("args, says", [
    (["workload", "lstm", "--input-size", "4", "--hidden", "4", "--steps", BIG, "--layers", "2"],
     "--steps 1,000,000,000,000,000 x --layers 2 gives at least 2,000,000,000,000,000 ops"),
    (["workload", "gru", "--input-size", "4", "--hidden", "4", "--steps", "1100000000", "--layers", "2"],
     "gives at least 2,200,000,000 ops"),
    (["workload", "matmul", "--m", "1", "--k", "2", "--n", "2", "--count", BIG], "--count 1,000,000,000,000,000"),
    (["workload", "hier-attn", "--steps", BIG, "--mode", "stream"], "--steps 1,000,000,000,000,000 gives"),
    (LLM + ["--decode", BIG], "--decode 1,000,000,000,000,000 x --layers 2"),
    (LLM + ["--decode", f"4,{BIG}", "--batch", "2"], "--decode 1,000,000,000,000,000 x --layers 2"),
    (LLM + ["--decode", "1", "--batch", BIG], "--requests / --batch 1,000,000,000,000,000"),
])
def test_sizes_past_a_workloads_ops_are_one_line(tmp_path, args, says):
    r = CliRunner().invoke(main, args + ["-o", str(tmp_path / "x.json")])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert says in r.output and "more than a workload holds (2,147,483,647: op indices are 32-bit)" in r.output
    assert not (tmp_path / "x.json").exists()


def test_a_memory_error_is_one_line(monkeypatch, tmp_path):
    import cimsim.commands.workload as wmod

    def boom(**_):
        raise MemoryError("Unable to allocate 7.11 PiB for an array with shape (10**15,)")

    monkeypatch.setitem(wmod.GENERATORS, "lstm", boom)
    r = CliRunner().invoke(main, ["workload", "lstm", "--input-size", "4", "--hidden", "4",
                                  "--steps", "10", "-o", str(tmp_path / "x.json")])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "out of memory: Unable to allocate 7.11 PiB" in r.output and "use smaller sizes" in r.output
