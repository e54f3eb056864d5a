"""A sweep's provenance (review find-S, findings 1, 3, 7 and 9).

1. Two configs (or workloads) of one name were swept into rows told apart only by
   ``config_file``, and ``cimsim plot`` joined both designs into one zig-zag line; ``compare``
   refused them. The sweep now refuses them in the same words, ``--dry-run`` too.
3. Nothing in the Parquet file said how its points were chosen: an LHS sweep with seed 5 and one
   with seed 6 had identical attrs. ``attrs["cimsim_sampling"]`` records the method, seed,
   samples, the ``--param`` specs as typed and the ``--points`` file's path and SHA-256, and a
   resume with another seed names it as the cause.
7. A sweep's own CSV (``memory.dram.bandwidth [B/s]``, bare numbers) was refused as ``--points``;
   its rows now run again as the same points.
9. A resume with another ``--engine`` blamed "other values of the swept params, or other configs
   or workloads"; it now says ``engine then des, now analytic``.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from click.testing import CliRunner

from cimsim.bundled import resolve_config
from cimsim.cli import main
from cimsim.errors import CimsimError
from cimsim.sweep import sweep
from cimsim.workload import Op, Tensor, Workload, save_workload

BW = "memory.dram.bandwidth"


def _cli(*args):
    return CliRunner().invoke(main, ["sweep", *map(str, args), "--workers", "1", "-q"])


def _twin_configs(tmp_path):
    """cpu-ddr5 and a copy with another DRAM bandwidth, both named cpu-ddr5."""
    text = resolve_config("cpu-ddr5").read_text()
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(text)
    b.write_text(text + "\n# the same name, another design\n")
    return a, b


# ------------------------------------------------------------- 1: one name, two configs


@pytest.mark.parametrize("dry", [[], ["--dry-run"]])
def test_two_configs_of_one_name_are_refused_as_compare_refuses_them(tmp_path, chain_json, dry):
    a, b = _twin_configs(tmp_path)
    out = tmp_path / "s.parquet"
    res = _cli(a, b, "-w", chain_json, "--param", f"{BW}=10GB/s,20GB/s", "--engine", "analytic",
               "-o", out, *dry)
    assert res.exit_code == 1
    said = (f"Error: configs {a} and {b} are both named 'cpu-ddr5' (their name: field): results are "
            "keyed by name; give each config its own name\n")
    assert res.stderr == said and res.stdout == ""
    assert not out.exists()
    # compare's own words, the same line
    cmp = CliRunner().invoke(main, ["compare", str(a), str(b), "-w", str(chain_json)])
    assert cmp.exit_code == 1 and cmp.stderr == said


def test_two_workloads_of_one_name_are_refused(tmp_path, chain_json):
    other = tmp_path / "other.json"  # another workload (one matmul), named "chain" too
    save_workload(Workload("chain", [Tensor("x", (1, 8), "fp32", "input"),
                                     Tensor("w", (8, 8), "fp32", "weight"),
                                     Tensor("h", (1, 8), "fp32", "activation")],
                           [Op("mm", "matmul", ("x", "w"), ("h",), m=1, k=8, n=8, weight="w")]), other)
    res = _cli("cpu-ddr5", "-w", chain_json, "-w", other, "--param", f"{BW}=10GB/s", "--dry-run")
    assert res.exit_code == 1
    assert res.stderr == (f"Error: workloads {chain_json} and {other} are both named 'chain' (their "
                          '"name" field): results are keyed by name; give each workload its own name\n')


def test_the_python_call_refuses_them_too(tmp_path, chain_json):
    a, b = _twin_configs(tmp_path)
    with pytest.raises(CimsimError, match="both named 'cpu-ddr5'"):
        sweep([str(a), str(b)], str(chain_json), [f"{BW}=10GB/s"], engine="analytic", workers=1)


# ------------------------------------------------------------- 3: how the points were chosen

LHS = f"{BW}=10GB/s..1TB/s:log"


def test_the_file_records_the_sampling(tmp_path, chain_json):
    runs = {}
    for seed in (5, 6):
        out = tmp_path / f"s{seed}.parquet"
        res = _cli("cpu-ddr5", "-w", chain_json, "--param", LHS, "--sample", "lhs", "--samples", 3,
                   "--seed", seed, "--engine", "analytic", "-o", out)
        assert res.exit_code == 0, res.output
        runs[seed] = pd.read_parquet(out).attrs["cimsim_sampling"]
    assert runs[5] == {"method": "lhs", "seed": 5, "samples": 3, "params": [LHS], "points": None}
    assert runs[6] == {**runs[5], "seed": 6}
    grid = sweep("cpu-ddr5", str(chain_json), [f"{BW}=10GB/s,20GB/s"], engine="analytic", workers=1,
                 seed=9)  # a grid uses no seed: none recorded
    assert grid.attrs["cimsim_sampling"] == {"method": "grid", "seed": None, "samples": None,
                                             "params": [f"{BW}=10GB/s,20GB/s"], "points": None}


def test_a_resume_with_another_seed_names_it(tmp_path, chain_json):
    out = tmp_path / "s.parquet"
    args = ("cpu-ddr5", "-w", chain_json, "--param", LHS, "--sample", "lhs", "--samples", 2,
            "--engine", "analytic", "-o", out)
    assert _cli(*args, "--seed", 5).exit_code == 0
    res = _cli(*args, "--seed", 6)
    assert res.exit_code == 0, res.output
    moved = sorted(tmp_path.glob("s.replaced-*.parquet"))
    assert len(moved) == 1
    assert res.stderr.splitlines()[0] == (
        f"warning: {out}: 2 of its 2 stored rows are points of another sweep (seed then 5, now 6); "
        f"they are moved to {moved[0]} when this sweep finishes, and the file is rewritten without them")
    assert pd.read_parquet(moved[0]).attrs["cimsim_sampling"]["seed"] == 5
    assert pd.read_parquet(out).attrs["cimsim_sampling"]["seed"] == 6


# ------------------------------------------------------------- 7: a sweep's CSV as --points


def test_a_sweeps_csv_rows_run_again_as_the_same_points(tmp_path, chain_json):
    first, csv = tmp_path / "a.parquet", tmp_path / "a.csv"
    res = _cli("cpu-ddr5", "-w", chain_json, "--param", LHS, "--param", "processor.cores=4,8",
               "--sample", "lhs", "--samples", 4, "--seed", 1, "--engine", "analytic", "-o", first,
               "--csv", csv)
    assert res.exit_code == 0, res.output
    table = pd.read_csv(csv)
    cols = [f"{BW} [B/s]", "processor.cores"]  # the headers the sweep wrote: a unit, a count
    assert cols[0] in table.columns and cols[1] in table.columns
    pts = tmp_path / "pts.csv"
    table[cols].to_csv(pts, index=False)
    again = tmp_path / "b.parquet"
    res = _cli("cpu-ddr5", "-w", chain_json, "--points", pts, "--engine", "analytic", "-o", again)
    assert res.exit_code == 0, res.output
    a, b = pd.read_parquet(first), pd.read_parquet(again)
    assert b["point_id"].tolist() == a["point_id"].tolist()
    assert b[BW].tolist() == a[BW].tolist() and b["latency_s"].tolist() == a["latency_s"].tolist()
    assert b.attrs["cimsim_sampling"] == {
        "method": "points", "seed": None, "samples": None, "params": [],
        "points": {"path": str(pts), "sha256": hashlib.sha256(pts.read_bytes()).hexdigest()}}


def test_a_sweeps_csv_passed_back_whole_runs_its_swept_columns(tmp_path, chain_json):
    """find-X 4: the CSV as the sweep wrote it (point_id, sample, config_file, workload_file, the
    swept field, the results) was refused (`column point_id: 'point_id' is not a section`). It is
    recognised by its point_id column: only the swept config field is read, said in one warning,
    and a point on two rows (one per workload) is one point."""
    first, csv = tmp_path / "a.parquet", tmp_path / "a.csv"
    wls = ("-w", chain_json, "-w", "gru")
    res = _cli("cpu-ddr5", *wls, "--param", LHS, "--sample", "lhs", "--samples", 3, "--seed", 5,
               "--engine", "analytic", "-o", first, "--csv", csv)
    assert res.exit_code == 0, res.output
    columns = len(pd.read_csv(csv).columns)
    again = tmp_path / "b.parquet"
    res = _cli("cpu-ddr5", *wls, "--points", csv, "--engine", "analytic", "-o", again)
    assert res.exit_code == 0, res.output
    assert res.stderr.splitlines()[0] == (
        f"warning: --points {csv}: a sweep's CSV (it has a point_id column): read its swept column(s) "
        f"{BW} [B/s]; left out its other {columns - 1} column(s) (point_id, config_file, "
        "workload_file, results ...); a point on several rows (one per config and workload) is one point")
    a, b = pd.read_parquet(first), pd.read_parquet(again)
    assert len(b) == 6  # 3 points x 2 workloads, as the first sweep
    assert b["point_id"].tolist() == a["point_id"].tolist()
    assert b["latency_s"].tolist() == a["latency_s"].tolist()


def test_a_sweeps_csv_without_a_swept_field_is_refused(tmp_path, chain_json):
    pts = tmp_path / "s.csv"
    pts.write_text("point_id,sample,config_file,workload_file,workload,latency_s\n"
                   "abc,,cpu-ddr5,tcn,tcn,0.5\n")
    res = _cli("cpu-ddr5", "-w", chain_json, "--points", pts, "--dry-run")
    assert res.exit_code == 1 and len(res.stderr.splitlines()) == 1
    assert f"--points {pts}: a sweep's CSV (it has a point_id column) with no swept config field" \
        in res.stderr, res.stderr


def test_a_bracketed_unit_reads_bare_numbers_in_it(tmp_path, chain_json):
    pts = tmp_path / "p.csv"
    pts.write_text(f"{BW} [GB/s]\n10\n2.5\n1TB/s\n")  # a cell with its own unit keeps it
    df = sweep("cpu-ddr5", str(chain_json), points=pts, engine="analytic", workers=1)
    assert df[BW].tolist() == [10e9, 2.5e9, 1e12]


@pytest.mark.parametrize("text, said", [
    (f"{BW}\n465418484376.0\n", f"column {BW}: {BW} is a quantity in B/s: '465418484376.0' has no unit"),
    (f"{BW} [W]\n4\n", f"column {BW} [W]: {BW} is a quantity in B/s: '1 W' is a power"),
    ("processor.cores [B/s]\n4\n", "column processor.cores [B/s]: processor.cores has no unit"),
])
def test_a_column_without_its_unit_or_with_another_is_refused(tmp_path, chain_json, text, said):
    pts = tmp_path / "p.csv"
    pts.write_text(text)
    res = _cli("cpu-ddr5", "-w", chain_json, "--points", pts, "--dry-run")
    assert res.exit_code == 1 and len(res.stderr.splitlines()) == 1
    assert f"--points {pts}" in res.stderr and said in res.stderr, res.stderr


# ------------------------------------------------------------- 9: the engine named


def test_a_resume_with_another_engine_names_it(tmp_path, chain_json):
    out = tmp_path / "e.parquet"
    args = ("cpu-ddr5", "-w", chain_json, "--param", f"{BW}=10GB/s,20GB/s", "-o", out)
    assert _cli(*args).exit_code == 0  # des, the default
    res = _cli(*args, "--engine", "analytic")
    assert res.exit_code == 0, res.output
    moved = sorted(tmp_path.glob("e.replaced-*.parquet"))
    assert res.stderr.splitlines()[0] == (
        f"warning: {out}: 2 of its 2 stored rows are points of another sweep (engine then des, now "
        f"analytic); they are moved to {moved[0]} when this sweep finishes, and the file is "
        "rewritten without them")
