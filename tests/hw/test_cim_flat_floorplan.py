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
