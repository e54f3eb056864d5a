"""compare -o's columns (find-O 3, 4): their order is report/columns.py's whatever order the
configs are named in (it followed the argument order: column 50 was ``macs_processor`` in one
file and ``ops_cim`` in the other), and counts are written as integers where another row lacks
the column (``cim_arrays_needed`` was ``33.0``, ``macs_cim`` ``1626112.0``).

Closed form on a 2-layer MLP written here (not a bundled workload): fc 8 x 64 x 32 then fc 8 x 32 x 10:
8 x 64 x 32 + 8 x 32 x 10 = 16,384 + 2,560 = 18,944 MACs, all on the CIM of sram-cim-derived.
"""

from __future__ import annotations

import csv
import json

from click.testing import CliRunner

from cimsim import bundled
from cimsim.cli import main
from cimsim.config import load_architecture
from cimsim.report import columns as C

WL = {
    "format": "cimsim-workload", "version": 1, "name": "mlp",
    "tensors": [
        {"name": "x", "shape": [8, 64], "dtype": "fp32", "role": "input"},
        {"name": "W1", "shape": [64, 32], "dtype": "fp32", "role": "weight"},
        {"name": "h", "shape": [8, 32], "dtype": "fp32", "role": "activation"},
        {"name": "W2", "shape": [32, 10], "dtype": "fp32", "role": "weight"},
        {"name": "y", "shape": [8, 10], "dtype": "fp32", "role": "activation"},
    ],
    "ops": [
        {"name": "fc1", "kind": "matmul", "inputs": ["x", "W1"], "outputs": ["h"],
         "m": 8, "k": 64, "n": 32, "weight": "W1"},
        {"name": "fc2", "kind": "matmul", "inputs": ["h", "W2"], "outputs": ["y"],
         "m": 8, "k": 32, "n": 10, "weight": "W2"},
    ],
}


def compare(tmp_path, *configs):
    wl = tmp_path / "mlp.json"
    wl.write_text(json.dumps(WL))
    out = tmp_path / f"{'-'.join(configs)}.csv"
    res = CliRunner().invoke(main, ["compare", *configs, "-w", str(wl), "-o", str(out)])
    assert res.exit_code == 0, res.output
    with open(out, newline="") as f:
        return list(csv.reader(f))


def test_column_order_does_not_follow_the_config_order(tmp_path):
    a = compare(tmp_path, "cpu-ddr5", "sram-cim-derived")
    b = compare(tmp_path, "sram-cim-derived", "cpu-ddr5")
    assert a[0] == b[0]
    # report/columns.py's groups: every op count before every MAC count, before every byte count
    head = a[0]
    ops = [head.index(C.ops_column(c)) for c in ("processor", "cim")]
    macs = [head.index(C.macs_column(c)) for c in ("processor", "cim")]
    assert max(ops) < min(macs) < max(macs) < head.index(C.bytes_column("dram"))
    # each config's own columns come in its result_columns order (a run's CSV order)
    for name in ("cpu-ddr5", "sram-cim-derived"):
        own = C.result_columns(load_architecture(bundled.resolve_config(name)))
        assert tuple(c for c in head if c in own) == own


def test_counts_are_integers_where_another_row_lacks_the_column(tmp_path):
    rows = compare(tmp_path, "cpu-ddr5", "sram-cim-derived")
    by = [dict(zip(rows[0], r)) for r in rows[1:]]
    cpu, cim = (next(r for r in by if r[C.ARCHITECTURE] == n) for n in ("cpu-ddr5", "sram-cim-derived"))
    assert cim[C.macs_column("cim")] == str(8 * 64 * 32 + 8 * 32 * 10) == "18944"
    assert cim[C.ops_column("cim")] == "2"
    assert cim[C.SAMPLES_PER_RUN] == "1"  # no metadata.batch: one sample per run
    # every result states its samples, the per-sample figures' divisor (find-C 4: empty on the CPU)
    assert cpu[C.macs_column("cim")] == "" and cpu[C.SAMPLES_PER_RUN] == "1"
    assert cim[C.fact_column("cim", "arrays_needed")].isdigit()
    assert cpu[C.MACS] == cim[C.MACS] == "18944"


def report_csv(tmp_path, *configs):
    wl = tmp_path / "mlp.json"
    wl.write_text(json.dumps(WL))
    out = tmp_path / ("rep-" + "-".join(configs))
    res = CliRunner().invoke(main, ["report", *configs, "-w", str(wl), "-o", str(out), "--no-timelines"])
    assert res.exit_code == 0, res.output
    with open(out / "results.csv", newline="") as f:
        return list(csv.reader(f))


def test_the_reports_results_csv_has_one_header_whatever_the_config_order(tmp_path):
    """Review 17-2 S7: the report's results.csv goes through the same ordering and typing."""
    a = report_csv(tmp_path, "cpu-ddr5", "sram-cim-derived")
    b = report_csv(tmp_path, "sram-cim-derived", "cpu-ddr5")
    assert a[0] == b[0]
    by = [dict(zip(a[0], r)) for r in a[1:]]
    cim = next(r for r in by if r[C.ARCHITECTURE] == "sram-cim-derived")
    cpu = next(r for r in by if r[C.ARCHITECTURE] == "cpu-ddr5")
    assert cim[C.macs_column("cim")] == "18944" and cpu[C.macs_column("cim")] == ""
