"""Every command that writes a file says where, as a full path, and names the folder it had to
create for it: one line each (`wrote /abs/new/c.csv ... (created /abs/new)`). Before, a missing
folder was created silently and the line showed the path as typed."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cimsim.cli import main


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative -o paths: the line must show them in full

    def invoke(*args):
        res = CliRunner().invoke(main, list(args))
        assert res.exit_code == 0, res.output
        return res.stdout.splitlines()
    return invoke


def test_compare_names_the_full_path_and_the_folder_it_created(cli, tmp_path):
    [*_, line] = cli("compare", "cpu-ddr5", "-w", "tcn", "--engine", "analytic",
                     "-o", "new/sub/c.csv")
    assert line == f"wrote 1 rows to {tmp_path}/new/sub/c.csv (created {tmp_path}/new)"
    assert (tmp_path / "new/sub/c.csv").is_file()
    # the folder exists now: nothing created, nothing said about it
    [*_, line] = cli("compare", "cpu-ddr5", "-w", "tcn", "--engine", "analytic",
                     "-o", "new/sub/c.csv")
    assert line == f"wrote 1 rows to {tmp_path}/new/sub/c.csv"


def test_workload_generator(cli, tmp_path):
    [line] = cli("workload", "tcn", "--steps", "4", "-o", "w/tcn.json")
    assert line.startswith(f"wrote {tmp_path}/w/tcn.json: ")
    assert line.endswith(f" (created {tmp_path}/w)")


def test_sweep_parquet_and_csv_each_name_their_own_new_folder(cli, tmp_path):
    out = cli("sweep", "cpu-ddr5", "-w", "tcn", "--param", "processor.cores=8,16",
              "--engine", "analytic", "--workers", "1", "-q",
              "-o", "runs/s.parquet", "--csv", "runs/csv/s.csv")
    assert out[-2].startswith(f"wrote {tmp_path}/runs/s.parquet: 2 rows")
    assert out[-2].endswith(f" (created {tmp_path}/runs)")
    # runs/ came from -o; csv/ inside it is the CSV's own
    assert out[-1] == f"wrote {tmp_path}/runs/csv/s.csv (created {tmp_path}/runs/csv)"
