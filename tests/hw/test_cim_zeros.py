"""A weight's measured sparsity (``cimsim trace --stats``: ``weight_zeros``, its all-zero rows
and columns) and the CIM's count of the arrays that hold only zeros (:mod:`cimsim.hw.cim.zeros`),
on real hand-pruned torch weights, against tiles counted by hand.

ROUND_CIM (conftest): 128 x 128 arrays, 8-bit weights on 2-bit cells, so 4 columns per weight
and 32 weights across an array. A 256 x 256 weight (k = 256 inputs, n = 256 outputs) takes
ceil(256 / 128) = 2 row tiles x ceil(256 x 4 / 128) = 8 column tiles = 16 arrays."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")


def _traced(prune):
    """A 256 -> 256 nn.Linear (no bias) with ``prune(W)`` applied to its out x in weight,
    traced with the statistics on 4 real inputs."""
    from cimsim.workload.trace import trace

    torch.manual_seed(0)
    lin = torch.nn.Linear(256, 256, bias=False).eval()
    with torch.no_grad():
        prune(lin.weight)
    return trace(lin, (torch.randn(4, 256),), stats_bits=8)


def _tags(w):
    (op,) = [op for op in w.ops if op.kind == "matmul" and op.weight is not None]
    return op.tags


def _note(cim_arch, w):
    from cimsim.mapping.placement import place

    pl = place(w, cim_arch)
    found = [n for n in pl.notes if "hold only zero weights" in n]
    return found[0] if found else None


def _first_outputs(wt):
    wt[:128].zero_()  # output channels 0..127: the N columns 0..127 of the k x n matrix


def _first_inputs(wt):
    wt[:, :128].zero_()  # input channels 0..127: the K rows 0..127


def _every_other_output(wt):
    wt[::2].zero_()  # 128 zero columns, but each column tile (32 weights) keeps 16 live ones


def _both(wt):
    _first_outputs(wt)
    _first_inputs(wt)


@pytest.mark.parametrize("prune, zeros, rows, cols, zero_arrays", [
    # half the columns, contiguous: column tiles 0..3 (weights 0..127 x 4 columns = 512 of the
    # 1,024 columns) in both row tiles: 2 x 4 = 8 of 16 arrays
    (_first_outputs, 0.5, 0, 128, 8),
    # half the rows: row tile 0 (rows 0..127) across all 8 column tiles: 8 arrays
    (_first_inputs, 0.5, 128, 0, 8),
    # the same 128 zero columns, scattered: no tile is all zero
    (_every_other_output, 0.5, 0, 128, 0),
    # both: 8 + 8 - the 1 x 4 tiles counted twice = 12; zeros 1 - 128 x 128 / 256^2 = 0.75
    (_both, 0.75, 128, 128, 12),
])
def test_zero_tiles_of_a_hand_pruned_weight(cim_arch, prune, zeros, rows, cols, zero_arrays):
    w = _traced(prune)
    t = _tags(w)
    assert t["weight_zeros"] == zeros
    assert t["weight_zero_rows"] == rows and t["weight_zero_cols"] == cols
    assert ("weight_zero_cols_at" in t) == bool(cols) and ("weight_zero_rows_at" in t) == bool(rows)
    if prune is _every_other_output:
        assert t["weight_zero_cols_at"] == ",".join(str(i) for i in range(0, 256, 2))
    elif cols:
        assert t["weight_zero_cols_at"] == "0-127"
    note = _note(cim_arch, w)
    assert note.startswith(f"cim: {zero_arrays} of 16 arrays ") and "not modelled" in note


def test_a_dense_weight_states_no_zeros_and_no_zero_arrays(cim_arch):
    w = _traced(lambda wt: None)
    t = _tags(w)
    assert (t["weight_zeros"], t["weight_zero_rows"], t["weight_zero_cols"]) == (0.0, 0, 0)
    assert "weight_zero_rows_at" not in t and "weight_zero_cols_at" not in t
    assert _note(cim_arch, w).startswith("cim: 0 of 16 arrays ")


def test_without_statistics_there_is_no_zero_note(cim_arch):
    from cimsim.workload.trace import trace

    lin = torch.nn.Linear(256, 256, bias=False).eval()
    assert _note(cim_arch, trace(lin, (torch.randn(4, 256),))) is None


def test_the_trace_summary_line_states_the_weight_zeros(tmp_path):
    from click.testing import CliRunner

    from cimsim.commands.trace import trace_command

    src = tmp_path / "m.py"
    src.write_text("import torch\n"
                   "def f():\n"
                   "    lin = torch.nn.Linear(256, 256, bias=False).eval()\n"
                   "    with torch.no_grad():\n"
                   "        lin.weight[:128].zero_()\n"
                   "    return lin, (torch.randn(4, 256),)\n")
    r = CliRunner().invoke(trace_command, [f"{src}:f", "--stats", "-o", str(tmp_path / "w.json")])
    assert r.exit_code == 0, r.output
    # 128 x 256 of the 65,536 elements; 128 output channels = 128 all-zero columns (N)
    assert re.search(r"weights 50\.0 % exact zeros \(32,768 of 65,536 elements of 1 weight\(s\)\), "
                     r"0 all-zero rows \(K\) and 128 all-zero columns \(N\) in 1 of them", r.output), r.output


@pytest.mark.parametrize("text", ["0-127,5", "a", "3-1", "0-126"])
def test_bad_index_runs_are_one_line_errors(text):
    from cimsim.errors import WorkloadError
    from cimsim.workload import Op, Tensor, Workload

    wl = Workload("z", [Tensor("x", (4, 256), "fp32", "input"),
                        Tensor("w", (256, 256), "fp32", "weight"),
                        Tensor("y", (4, 256), "fp32", "activation")],
                  [Op("a", "matmul", ["x", "w"], ["y"], m=4, k=256, n=256, weight="w",
                      tags={"weight_zeros": 0.5, "weight_zero_cols": 128,
                            "weight_zero_cols_at": text})])
    with pytest.raises(WorkloadError) as exc:
        wl.arrays
    msg = str(exc.value)
    assert "op 'a'" in msg and "weight_zero_cols_at" in msg and "\n" not in msg
