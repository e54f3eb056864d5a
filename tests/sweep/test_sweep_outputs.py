"""Sweep output names and what a rerun says about a file it cannot read (sweep fixes, bug 1).

``-o out.csv`` wrote Parquet under a CSV name, and ``-o same.parquet --csv same.parquet`` wrote
both tables into one file (the CSV replaced the Parquet; a rerun then printed a raw Python
UserWarning with its source line and recomputed everything). Each is now one error line before
anything runs, and a stored file a rerun cannot read is one clean ``warning:`` line.
"""

from __future__ import annotations


import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cimsim.bundled import resolve_config
from cimsim.config import read_yaml

from cimsim.cli import main
from cimsim.report import columns as C
from cimsim.sweep import SweepStore, sweep

BW = "memory.dram.bandwidth=10GB/s,20GB/s"


def _cli(*args):
    return CliRunner().invoke(main, ["sweep", *map(str, args)])


def _refused(res, needle: str) -> None:
    assert res.exit_code == 1, res.output
    assert res.stdout == "" and "sweep:" not in res.stderr and "Traceback" not in res.stderr
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("Error: "), res.stderr
    assert needle in res.stderr, res.stderr


def test_o_must_name_a_parquet_file(tmp_path, chain_json):
    out = tmp_path / "out.txt"
    res = _cli("cpu-ddr5", "-w", chain_json, "--param", BW, "--engine", "analytic", "--workers", "1", "-q",
               "-o", out)
    _refused(res, f"-o {out}: the sweep table is Parquet; name it NAME.parquet, or NAME.csv for "
             "NAME.parquet and its CSV copy NAME.csv")  # the allowed forms (review A 2)
    assert not out.exists() and not SweepStore(out).parts_dir.exists() and not SweepStore(out).lock_path.exists()


def test_o_csv_writes_the_parquet_table_beside_its_csv_copy(tmp_path, chain_json):
    # find-A 4: compare -o x.csv writes CSV; sweep -o x.csv keeps x.parquet (what a rerun
    # resumes from) and writes the CSV copy x.csv, as --csv x.csv would
    out = tmp_path / "out.csv"
    base = ["cpu-ddr5", "-w", chain_json, "--param", BW, "--engine", "analytic", "--workers", "1", "-q"]
    res = _cli(*base, "-o", out)
    assert res.exit_code == 0, res.output
    assert f"sweep keeps its table as Parquet (a rerun resumes from it): {tmp_path / 'out.parquet'}" in res.stderr
    table, copy = pd.read_parquet(tmp_path / "out.parquet"), pd.read_csv(out)
    assert len(table) == len(copy) == 2
    # with --csv as well: refused, saying why and what is taken (review A 2, X 7)
    other = tmp_path / "other.csv"
    parquet = tmp_path / "out.parquet"
    _refused(_cli(*base, "-o", out, "--csv", other),
             f"-o {out}: a .csv -o already writes that CSV copy (beside {parquet}), and --csv {other} "
             f"is another; give -o {parquet} with --csv {other}, or drop --csv")
    # refused otherwise: the one error line, not the rewrite's line before it (review A 2)
    _refused(_cli(*base, "--set", "nope.x=1", "-o", tmp_path / "n.csv"), "--set nope.x=1: 'nope'")


def test_python_output_csv_writes_the_parquet_table_and_its_csv_copy(tmp_path, chain_json):
    """sweep(output='x.csv') as the CLI's -o x.csv (review A 3): x.parquet and x.csv, 2 rows
    each (2 bandwidths); refusals name output= and csv=, not -o / --csv."""
    out = tmp_path / "x.csv"
    df = sweep("cpu-ddr5", chain_json, [BW], output=out, engine="analytic", workers=1, quiet=True)
    assert len(df) == len(pd.read_parquet(tmp_path / "x.parquet")) == len(pd.read_csv(out)) == 2
    with pytest.raises(Exception, match=r"^output=.*x\.txt: the sweep table is Parquet; name it"):
        sweep("cpu-ddr5", chain_json, [BW], output=tmp_path / "x.txt", workers=1)
    with pytest.raises(Exception, match=r"and csv=.*y\.csv is another; give output=.*x\.parquet with csv="):
        sweep("cpu-ddr5", chain_json, [BW], output=out, csv=tmp_path / "y.csv", workers=1)


def test_csv_must_name_a_csv_file_other_than_the_output(tmp_path, chain_json):
    out = tmp_path / "same.parquet"
    base = ["cpu-ddr5", "-w", chain_json, "--param", BW, "--engine", "analytic", "--workers", "1", "-q", "-o", out]
    _refused(_cli(*base, "--csv", out), f"--csv {out}: the CSV copy; name the file .csv")
    # the same file under another name (a link) is the same file
    link = tmp_path / "link.csv"
    link.symlink_to(out)
    _refused(_cli(*base, "--csv", link), f"--csv {link}: is the -o file; give the CSV copy its own name")
    with pytest.raises(Exception, match="is the output file"):  # the Python API refuses it too
        sweep("cpu-ddr5", chain_json, [BW], output=out, csv=link, workers=1)
    assert not out.exists() and not SweepStore(out).lock_path.exists()


def test_a_rerun_over_an_unreadable_output_warns_in_one_line(tmp_path, chain_json):
    out = tmp_path / "bw.parquet"
    out.write_text("point_id,latency_s\n")  # what --csv used to write over -o
    res = _cli("cpu-ddr5", "-w", chain_json, "--param", BW, "--engine", "analytic", "--workers", "1",
               "-q", "-o", out)
    assert res.exit_code == 0, res.output
    lines = res.stderr.splitlines()  # the stored rows are read before the count is printed
    assert len(lines) == 2 and lines[1] == "sweep: 2 points x 1 config x 1 workload = 2 runs"
    assert lines[0].startswith(f"warning: {out}: unreadable as Parquet (")
    assert lines[0].endswith("); its points will be computed again")
    assert "UserWarning" not in res.stderr and "Traceback" not in res.stderr
    assert len(pd.read_parquet(out)) == 2


def test_the_csv_copy_names_each_swept_parameters_unit(tmp_path, chain_json):
    """A CSV file has no metadata: a swept parameter's SI unit goes into its column header (the
    Parquet file keeps the bare path and the unit in ``cimsim_units``); a count keeps its path."""
    out, csv = tmp_path / "bw.parquet", tmp_path / "bw.csv"
    res = _cli("cpu-ddr5", "-w", chain_json, "--param", BW, "--param", "processor.cores=2,4",
               "--engine", "analytic", "--workers", "1", "-q", "-o", out, "--csv", csv)
    assert res.exit_code == 0, res.output
    table, copy = pd.read_parquet(out), pd.read_csv(csv)
    assert table.attrs["cimsim_units"] == {"memory.dram.bandwidth": "B/s", "processor.cores": ""}
    params = [c for c in copy.columns if c.startswith(("memory.", "processor."))]
    assert params == ["memory.dram.bandwidth [B/s]", "processor.cores"]
    assert sorted(copy["memory.dram.bandwidth [B/s]"]) == [10e9, 10e9, 20e9, 20e9]
    # the Parquet attrs do not reach a CSV: each row's files, then the cimsim, are columns
    assert [c for c in copy.columns if c not in params] == [
        *(c for c in table.columns if "." not in c), C.CONFIG_PATH, C.CONFIG_SHA256,
        C.WORKLOAD_PATH, C.WORKLOAD_SHA256, C.CIMSIM_VERSION, C.CIMSIM_REVISION]


def test_a_swept_field_no_value_of_which_loads_is_refused_first(tmp_path, chain_json):
    """A misspelt timing name (a key of a table no schema lists) failed at every point: the sweep
    wrote error rows only and exited 0. A field no value of which loads is one line before
    anything runs; a value that fails beside others that load stays that point's error row."""
    out = tmp_path / "t.parquet"
    cfg = tmp_path / "ddr5.yaml"
    d = read_yaml(resolve_config("cpu-ddr5"))
    d["memory"]["dram"] = {"type": "dram", "standard": "DDR5", "channels": 8, "capacity": "256 GB",
                           "latency": "100 ns", "energy_per_bit": "20 pJ/bit"}
    cfg.write_text(yaml.safe_dump(d, sort_keys=False))
    res = _cli(cfg, "-w", chain_json, "--param", "memory.dram.timings.n_fwa=32,48", "--engine",
               "analytic", "--workers", "1", "-q", "-o", out)
    _refused(res, f"--param memory.dram.timings.n_fwa: config {cfg} loads at none of its values: "
                  "memory.dram.timings: timings: unknown timing 'n_fwa'; did you mean 'n_faw'?")
    assert not out.exists()
    res = _cli(cfg, "-w", chain_json, "--param", "memory.dram.timings.n_faw=0.5,48", "--engine",
               "analytic", "--workers", "1", "-q", "-o", out)
    assert res.exit_code == 0, res.output
    errors = pd.read_parquet(out)["error"].tolist()
    assert errors[0].startswith("at memory.dram.timings.n_faw=0.5") and pd.isna(errors[1])


def test_another_fields_failing_first_value_does_not_refuse_a_field_that_loads(tmp_path, chain_json):
    """`--param memory.dram.capacity=1MB,64GB --param memory.dram.bandwidth=100GB/s,200GB/s`
    was refused, blaming the bandwidth (tried only beside the failing 1 MB); listed 64GB,1MB
    it ran. Both orders run the 4 points, the 1 MB ones error rows (a tester)."""
    for caps in ("1MB,64GB", "64GB,1MB"):
        out = tmp_path / f"c{caps[:2]}.parquet"
        res = _cli("cpu-ddr5", "-w", chain_json, "--param", f"memory.dram.capacity={caps}",
                   "--param", "memory.dram.bandwidth=100GB/s,200GB/s", "--engine", "analytic",
                   "--workers", "1", "-q", "-o", out)
        assert res.exit_code == 0, res.output
        t = pd.read_parquet(out)
        assert len(t) == 4
        assert (t["error"].notna() == (t["memory.dram.capacity"] == 1e6)).all()


def test_a_sweep_finished_under_other_names_takes_this_runs_names(tmp_path, chain_json):
    """Begun as `cpu-ddr5`, finished with the file's path: the reused rows kept `cpu-ddr5` in
    config_file while the metadata named only the path, and `cimsim plot` skipped the roofline
    (a tester). Every row now names the config as this run does, as the metadata does."""
    out = tmp_path / "r.parquet"
    first = _cli("cpu-ddr5", "-w", chain_json, "--param", "processor.cores=8,16", "--engine",
                 "analytic", "--workers", "1", "-q", "-o", out)
    assert first.exit_code == 0, first.output
    path = str(resolve_config("cpu-ddr5"))
    again = _cli(path, "-w", chain_json, "--param", "processor.cores=8,16,32", "--engine",
                 "analytic", "--workers", "1", "-q", "-o", out)
    assert again.exit_code == 0 and "1 computed, 2 already done" in again.output
    t = pd.read_parquet(out)
    assert set(t["config_file"]) == {path} == set(t.attrs["cimsim_configs"])


def test_a_grown_grid_numbers_its_reused_rows_as_this_run_does(tmp_path, chain_json):
    """Run at 8 and 32 cores, then at 8, 16 and 32 on the same file: the reused 32-core row
    kept its `sample` 1 from the first run, beside the new 16-core row's 1, so a
    `groupby('sample')` merged two design points (a tester). The grid 8, 16, 32 numbers its
    points 0, 1, 2, whether the rows are computed or reused."""
    out = tmp_path / "g.parquet"
    first = _cli("cpu-ddr5", "-w", chain_json, "--param", "processor.cores=8,32", "--engine",
                 "analytic", "--workers", "1", "-q", "-o", out)
    assert first.exit_code == 0, first.output
    assert pd.read_parquet(out)[["processor.cores", "sample"]].values.tolist() == [[8, 0], [32, 1]]
    again = _cli("cpu-ddr5", "-w", chain_json, "--param", "processor.cores=8,16,32", "--engine",
                 "analytic", "--workers", "1", "-q", "-o", out)
    assert again.exit_code == 0 and "1 computed, 2 already done" in again.output
    t = pd.read_parquet(out)
    assert t[["processor.cores", "sample"]].values.tolist() == [[8, 0], [16, 1], [32, 2]]


def test_a_column_only_a_swept_point_reports_is_kept(tmp_path):
    """Sweeping processor.single_stream_bandwidth on cpu-ddr5 (which sets none): the base
    config's columns have no `path_processor_stream_s`, and the sweep dropped the part that
    is 99.9 % of the path (a reviewer). 2 GEMVs of 4096 x 4096 fp32: 2 x 67.1 MB / 20 GB/s."""
    wl = tmp_path / "gemv.json"
    assert CliRunner().invoke(main, ["workload", "gemv", "--k", "4096", "--n", "4096", "--count", "2",
                                     "-o", str(wl)]).exit_code == 0
    out = tmp_path / "s.parquet"
    res = _cli("cpu-ddr5", "-w", wl, "--param", "processor.single_stream_bandwidth=20GB/s",
               "--engine", "analytic", "--workers", "1", "-q", "-o", out)
    assert res.exit_code == 0, res.output
    row = pd.read_parquet(out).iloc[0]
    weights = 2 * 4096 * 4096 * 4
    assert row["path_processor_stream_s"] == pytest.approx(weights / 20e9, rel=1e-3, abs=0)
    assert row["bound_part"] == "processor_stream"


def test_workers_and_a_scheduler_are_one_or_the_other(tmp_path, chain_json):
    """--workers was ignored without a word beside --scheduler."""
    res = _cli("cpu-ddr5", "-w", chain_json, "--param", BW, "--scheduler", "local:2", "--workers", "5",
               "-q", "-o", tmp_path / "w.parquet")
    _refused(res, "--workers sets the local worker processes; with --scheduler local:2 the Dask "
                  "cluster's workers run the points (local:N starts N): give one or the other")


def test_a_rerun_into_another_sweeps_file_says_it_drops_its_rows(tmp_path, chain_json):
    """A sweep of other params into an existing -o file rewrote it without the old rows, and
    said "0 already done" only: a typo in --param deleted a long sweep in silence."""
    out = tmp_path / "x.parquet"
    base = ["cpu-ddr5", "-w", chain_json, "--engine", "analytic", "--workers", "1", "-q", "-o", out]
    assert _cli(*base, "--param", "memory.dram.bandwidth=10GB/s,20GB/s,40GB/s").exit_code == 0
    res = _cli(*base, "--param", BW)  # two of the three points: the third is dropped
    assert res.exit_code == 0, res.output
    moved = sorted(tmp_path.glob("x.replaced-*.parquet"))
    assert len(moved) == 1
    assert res.stderr.splitlines()[0] == (
        f"warning: {out}: 1 of its 3 stored rows are points of another sweep (--param specs then "
        f"memory.dram.bandwidth=10GB/s,20GB/s,40GB/s, now {BW}); they are moved to {moved[0]} when this "
        "sweep finishes, and the file is rewritten without them")
    assert len(pd.read_parquet(out)) == 2
    # the dropped row is kept: the 40 GB/s point, 40e9 B/s
    assert pd.read_parquet(moved[0])["memory.dram.bandwidth"].tolist() == [40e9]
    res = _cli(*base, "--param", BW)  # the same sweep again: nothing dropped, nothing said
    assert res.exit_code == 0 and "warning" not in res.stderr


def test_fields_valid_only_together_are_checked_together(tmp_path, chain_json):
    """An SRAM larger than cpu-ddr5's 256 GB backing store is valid beside a larger one: the
    pre-check set each field alone on the config and refused this sweep, every point of which
    loads (a data rate beside its clock is the same case)."""
    out = tmp_path / "cap.parquet"
    res = _cli("cpu-ddr5", "-w", chain_json, "--param", "memory.sram.capacity=300GB,400GB",
               "--param", "memory.dram.capacity=1TB,2TB", "--engine", "analytic", "--workers", "1",
               "-q", "-o", out)
    assert res.exit_code == 0, res.output
    df = pd.read_parquet(out)
    assert len(df) == 4 and df["error"].isna().all()
