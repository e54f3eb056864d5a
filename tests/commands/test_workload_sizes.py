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


@pytest.mark.parametrize("args, ops", [
    # 1 layer, layer schedule, fused: an input projection, T x (recurrent matmul + cell), a
    # concat = 2 T + 2 = 2,147,483,648 at T = 2^30 - 1: one past the limit (the floor T x L,
    # 1,073,741,823, let it through to an 8 GiB allocation)
    (["lstm", "--steps", "1073741823"], 2 * 1073741823 + 2),
    # wavefront, fused: T x (input projection + recurrent matmul + cell) + 1 concat
    (["gru", "--steps", "715827883", "--schedule", "wavefront"], 3 * 715827883 + 1),
    # separate LSTM: 4 gate ops a step; 2 layers: 2 x (T x 5 + 2)
    (["lstm", "--steps", "214748365", "--layers", "2", "--pointwise", "separate"], 2 * (214748365 * 5 + 2)),
])
def test_recurrent_sizes_are_refused_by_their_exact_op_count(tmp_path, args, ops):
    assert ops > 2 ** 31 - 1
    r = CliRunner().invoke(main, ["workload", *args[:1], "--input-size", "1", "--hidden", "1",
                                  *args[1:], "-o", str(tmp_path / "x.npz")])
    assert r.exit_code == 1 and "Traceback" not in r.output and len(r.output.splitlines()) == 1
    assert f"gives {ops:,} ops" in r.output and "more than a workload holds (2,147,483,647" in r.output


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("schedule", ["layer", "wavefront"])
@pytest.mark.parametrize("pointwise", ["fused", "separate", "aten"])
def test_op_count_is_the_generators_count(cell, schedule, pointwise):
    from cimsim.workload.generators import gru, lstm
    from cimsim.workload.recurrent import op_count

    # gate ops a step: fused 1; separate LSTM gates, act, c, h = 4, GRU rz, n, h = 3; aten 10
    g = {"fused": 1, "separate": 4 if cell == "lstm" else 3, "aten": 10}[pointwise]
    for L, T in ((1, 1), (1, 7), (3, 5)):
        want = L * (T * (1 + g) + 2) if schedule == "layer" else L * T * (2 + g) + 1
        w = (lstm if cell == "lstm" else gru)(3, 4, L, steps=T, schedule=schedule, pointwise=pointwise)
        assert len(w.ops) == want == op_count(cell, L, T, schedule, pointwise)


def test_the_builder_refuses_more_ops_than_its_32_bit_columns_hold(monkeypatch):
    """The op-order tag and fn columns are int32: past MAX_OPS ops they wrapped silently."""
    from cimsim.errors import WorkloadError
    from cimsim.workload import builders
    from cimsim.workload.generators import matmul

    monkeypatch.setattr(builders, "MAX_OPS", 5)  # the limit, small enough to reach in a test
    assert len(matmul(2, 2, 2, count=5).ops) == 5
    with pytest.raises(WorkloadError, match="6 ops: more than a workload holds"):
        matmul(2, 2, 2, count=6)


def test_a_tcn_past_64_bit_dilations_is_one_line(tmp_path):
    """--layers 64 gives layer 63 the dilation 2^63, past int64: one line, no file (was an
    OverflowError traceback; --layers 63 is the most, dilation 2^62)."""
    out = tmp_path / "x.json"
    r = CliRunner().invoke(main, ["workload", "tcn", "--steps", "16", "--layers", "64", "-o", str(out)])
    assert r.exit_code == 1 and "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1
    assert "--layers 64: layer 63's dilation 2^63 is past a 64-bit integer; at most 63 layers" in r.output
    assert not out.exists()


def test_a_tcn_says_which_layers_see_only_padding(tmp_path):
    """At T = 16, layers 4 and 5 have dilations 16 and 32 >= T: their 2 earlier taps
    (t - 16 j, t - 32 j for j = 1, 2) are all before the sequence. The run says so (was silent)."""
    from cimsim import load_workload

    out = tmp_path / "x.json"
    r = CliRunner().invoke(main, ["workload", "tcn", "--steps", "16", "--layers", "6",
                                      "--channels", "8", "-o", str(out)])
    assert r.exit_code == 0
    assert "note: layers 4-5 (dilation >= --steps 16) read only zero padding through their 2 earlier taps" \
        in r.stderr
    assert load_workload(out).metadata["padding_only_layers"] == 2
    # kernel 1 has k - 1 = 0 earlier taps: no layer reads padding, no note, metadata 0 (was 2)
    r = CliRunner().invoke(main, ["workload", "tcn", "--steps", "16", "--layers", "6", "--kernel", "1",
                                      "--channels", "8", "-o", str(out)])
    assert r.exit_code == 0 and "zero padding" not in r.output
    assert load_workload(out).metadata["padding_only_layers"] == 0
