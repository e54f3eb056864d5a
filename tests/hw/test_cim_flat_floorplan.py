"""The flat CIM pool's floorplan facts (find-L 6): arrays used with replication copies, and cell
utilisation (cells holding weight bits / cells of the arrays used), as a chip block reports.

Closed form on bundled rram-cim (128 x 128 arrays, 2 bits per cell, 8-bit weights, 16,992
arrays): a 300 x 100 int8 layer takes ceil(300/128) = 3 row tiles x ceil(100 x 4 / 128) = 4
column tiles = 12 arrays, and its weight bits fill 300 x 400 cells.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cimsim import bundled, load_architecture, simulate
from cimsim.cli import main
from cimsim.workload import save_workload
from cimsim.workload.builder import WorkloadBuilder

CELLS = 300 * 400 / (12 * 128 * 128)  # 61.0 %


def fc() -> object:
    b = WorkloadBuilder("fc300x100")
    b.tensor("x", (64, 300), "int8", "input")
    b.tensor("W", (300, 100), "int8", "weight")
    b.tensor("y", (64, 100), "int8", "activation")
    b.op("fc", "matmul", ["x", "W"], ["y"], m=64, k=300, n=100, weight="W")
    return b.build({"batch": 1})


def run(**overrides):
    return simulate(load_architecture(bundled.resolve_config("rram-cim"), overrides), fc()).facts


def test_replicated_pool_counts_the_copies_that_get_rows():
    """floor(16,992 / 12) = 1,416 copies, but the op has 64 rows: 64 copies hold the matrix
    (find-E 3; before, all 16,992 arrays counted)."""
    f = run()
    assert 16992 // 12 == 1416 > 64
    assert f["cim_arrays_needed"] == 12
    assert f["cim_arrays_used"] == 12 * 64 == 768
    assert f["cim_array_utilization"] == pytest.approx(768 / 16992, rel=1e-12, abs=0)
    assert f["cim_cell_utilization"] == pytest.approx(CELLS, rel=1e-12, abs=0)


def test_without_replication_and_when_reprogramming():
    f = run(**{"cim.weight_replication": False})
    assert f["cim_arrays_used"] == 12
    assert f["cim_array_utilization"] == pytest.approx(12 / 16992, rel=1e-12, abs=0)
    assert f["cim_cell_utilization"] == pytest.approx(CELLS, rel=1e-12, abs=0)
    f = run(**{"cim.arrays": 8})  # 12 needed, 8 exist: all 8 used in turns
    assert f["cim_arrays_used"] == 8
    assert f["cim_array_utilization"] == 1.0
    assert f["cim_cell_utilization"] == pytest.approx(CELLS, rel=1e-12, abs=0)


def test_run_prints_the_flat_pool_floorplan(tmp_path):
    path = tmp_path / "fc.json"
    save_workload(fc(), path)
    r = CliRunner().invoke(main, ["run", "rram-cim", str(path)])
    assert r.exit_code == 0, r.output
    assert "cim: 768 arrays; 4.5 % of the pool's arrays, 61.0 % of their cells hold weights" in r.output


def lora(rank: int = 8) -> object:
    """y = x W + (x A) B: a 256 x 256 base and its rank-``rank`` LoRA adapter, int8."""
    b = WorkloadBuilder("lora")
    b.tensor("x", (16, 256), "int8", "input")
    for name, shape in (("W", (256, 256)), ("A", (256, rank)), ("B", (rank, 256))):
        b.tensor(name, shape, "int8", "weight")
    for name, (k, n) in (("h", (16, rank)), ("yw", (16, 256)), ("yb", (16, 256))):
        b.tensor(name, (16, n), "int8", "activation")
    b.op("base", "matmul", ["x", "W"], ["yw"], m=16, k=256, n=256, weight="W")
    b.op("down", "matmul", ["x", "A"], ["h"], m=16, k=256, n=rank, weight="A")
    b.op("up", "matmul", ["h", "B"], ["yb"], m=16, k=rank, n=256, weight="B")
    return b.build({"batch": 1})


def test_thin_matrices_are_named_with_their_array_fill():
    """find-L 3: arrays are not shared between matrices, so a rank-8 adapter's take whole arrays
    while the pool's cell utilisation hides them. On rram-cim: W 2 x 8 = 16 arrays, full; A
    (256 x 8) 2 row tiles x ceil(32 / 128) = 1: 2 arrays, 8,192 of 32,768 cells (25 %); B (8 x
    256) 1 x 8 = 8 arrays, 8,192 of 131,072 (6.25 %). A and B take 10 arrays for 16,384 of
    163,840 cells (10 %), one array's worth: packed, 9 fewer. The pool's figure hides them:
    256 x 1,024 + 16,384 = 278,528 cells over 26 x 16,384 = 425,984, 65.4 %."""
    r = simulate(load_architecture(bundled.resolve_config("rram-cim"),
                                   {"cim.weight_replication": False}), lora())
    assert r.facts["cim_arrays_needed"] == 16 + 2 + 8
    assert r.facts["cim_cell_utilization"] == pytest.approx(
        (256 * 1024 + 2 * 8_192) / (26 * 16_384), rel=1e-12, abs=0)
    assert ("cim: arrays are not shared between matrices (each takes whole arrays), and 2 of the "
            "3 weight matrices fill under 50 % of their arrays' cells: B 6.25 % of 8 arrays, A 25 "
            "% of 2 arrays; these take 10 arrays holding 16,384 of their 163,840 cells (10 %); "
            "packed into shared arrays they would need at least ceil(16,384 / 16,384) = 1 array, "
            "9 fewer (sharing arrays between matrices is not modelled)") in r.notes, r.notes
    # a matrix filling its arrays is not named: rank 32's A fills 128 of 128 columns; B, 32 of
    # 128 rows, is
    full = simulate(load_architecture(bundled.resolve_config("rram-cim"),
                                      {"cim.weight_replication": False}), lora(32)).notes
    assert sum("not shared between matrices" in n for n in full) == 1
    assert any(": B 25 % of 8 arrays;" in n for n in full), full
