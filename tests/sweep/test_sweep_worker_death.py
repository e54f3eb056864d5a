"""find-O 1, 2, 4: a design point that kills its worker process (the OOM killer's SIGKILL),
and workers lost from outside, on real worker processes and a real Dask LocalCluster.

The plug-in below is a run-time ADC model (shipped to the workers by value, as a script's
class is) whose ``energy`` SIGKILLs the worker process running it: on every point with
``bits == 7`` (a poison point, as an over-large point under the OOM killer), or once only
(``once``: a worker killed from outside; the point itself is fine)."""

from __future__ import annotations

import os
import signal

import pandas as pd
import pytest

from cimsim.hw import register
from cimsim.hw.parts.registry import adcs
from cimsim.sweep import ERROR, sweep
from cimsim.sweep.progress import Progress, plain_line

DIED = "the worker process died (SIGKILL) running this point"


def _adc(name: str, poison_bits: int | None, once: str | None):
    from cimsim.hw import ADCModel

    main = os.getpid()

    class Killer(ADCModel):  # local: pickled by value, as a script's class
        type_name = name
        source = "test: kills its worker"

        def conversion_time(self, bits, node_nm, vdd=None):
            return 0.25e-9 * 2.0 ** bits

        def energy(self, bits, node_nm, sample_rate, vdd=None):
            if os.getpid() != main:
                if bits == poison_bits or (once and not os.path.exists(once)):
                    if once:
                        open(once, "w").close()
                    os.kill(os.getpid(), signal.SIGKILL)
            return 50e-15 * 2.0 ** bits * node_nm / 22

    return Killer


@pytest.fixture
def killer(tmp_path):
    """register(kind) -> the ADC type name; unregistered after the test."""
    names = []

    def make(poison_bits=None, once=None):
        cls = _adc(f"killer-{len(names)}", poison_bits, once)
        register(cls)
        names.append(cls.type_name)
        return cls.type_name

    yield make
    for n in names:
        adcs.unregister(n)


@pytest.fixture
def gemv_file(tmp_path):
    from click.testing import CliRunner

    from cimsim.commands.workload import workload

    path = tmp_path / "gi8.json"
    r = CliRunner().invoke(workload, ["gemv", "--k", "128", "--n", "16", "--count", "2", "--dtype",
                                      "int8", "-o", str(path)])
    assert r.exit_code == 0, r.output
    return path


def _grid(adc: str) -> dict:
    return {"cim.adc.type": [adc], "cim.adc.bits": [5, 6, 7, 8]}


@pytest.mark.slow
def test_a_point_that_kills_its_worker_is_an_error_row_and_the_file_is_written(tmp_path, killer,
                                                                              gemv_file):
    """Before: every point queued behind bits=7 died with it, three times, then SweepIncomplete
    ("rerun": the same again), no file, no row for bits=7 and none for bits=8."""
    out = tmp_path / "poison.parquet"
    adc = killer(poison_bits=7)
    df = sweep(["rram-cim-derived"], [gemv_file], _grid(adc), output=out, workers=2,
               engine="analytic", chunk_size=2)
    assert out.is_file() and not (tmp_path / "poison.parquet.parts").exists()
    stored = pd.read_parquet(out)
    assert len(stored) == 4 and sorted(stored["cim.adc.bits"]) == [5, 6, 7, 8]
    bad = stored[stored[ERROR].notna()]
    assert list(bad["cim.adc.bits"]) == [7]  # the collateral points (bits 8 too) are computed
    msg = bad[ERROR].iloc[0]
    assert msg.startswith(f"at cim.adc.type={adc}, cim.adc.bits=7: {DIED}"), msg
    assert "--retry-errors" in msg
    assert df.attrs["worker_died"] == 1 and df.attrs["workers_lost"] >= 2  # alone, twice
    assert df.attrs["computed"] == 4
    # --retry-errors runs the poison point again (and only it): again an error row
    again = sweep(["rram-cim-derived"], [gemv_file], _grid(adc), output=out, workers=2,
                  engine="analytic", retry_errors=True)
    assert again.attrs["reused"] == 3 and again.attrs["computed"] == 1
    assert again.attrs["worker_died"] == 1
    assert pd.read_parquet(out)[ERROR].notna().sum() == 1


@pytest.mark.slow
def test_a_worker_killed_once_costs_no_point(tmp_path, killer, gemv_file):
    """A worker killed from outside (once): its points are run again without a mark."""
    adc = killer(once=str(tmp_path / "killed-once"))
    df = sweep(["rram-cim-derived"], [gemv_file], _grid(adc), output=tmp_path / "o.parquet",
               workers=2, engine="analytic", chunk_size=1)
    assert (tmp_path / "killed-once").exists()
    assert df[ERROR].isna().all() and len(df) == 4
    assert df.attrs["workers_lost"] >= 1 and df.attrs["retried"] >= 1
    assert df.attrs["worker_died"] == 0


@pytest.mark.slow
def test_dask_one_worker_killed_gets_the_context_again(tmp_path, killer, gemv_file):
    """find-O 2: local:1's only worker killed once took the scattered context with it, and
    every remaining point failed. Now the context is a task's result, computed again."""
    adc = killer(once=str(tmp_path / "killed-once"))
    df = sweep(["rram-cim-derived"], [gemv_file], _grid(adc), output=tmp_path / "d.parquet",
               scheduler="local:1", engine="analytic", chunk_size=1)
    assert (tmp_path / "killed-once").exists()
    assert df[ERROR].isna().all() and len(df) == 4
    assert df.attrs["workers_lost"] >= 1 and df.attrs["worker_died"] == 0


@pytest.mark.slow
def test_dask_a_point_that_kills_its_worker_is_an_error_row(tmp_path, killer, gemv_file):
    adc = killer(poison_bits=7)
    out = tmp_path / "dk.parquet"
    df = sweep(["rram-cim-derived"], [gemv_file], _grid(adc), output=out, scheduler="local:2",
               engine="analytic", chunk_size=2)
    stored = pd.read_parquet(out)
    bad = stored[stored[ERROR].notna()]
    assert list(bad["cim.adc.bits"]) == [7] and len(stored) == 4
    assert "the worker process died (KilledWorker) running this point" in bad[ERROR].iloc[0]
    assert df.attrs["worker_died"] == 1


def test_plain_progress_line_golden():
    # 1,184 of 1,600 at 31.2 pt/s: 416 left / 31.2 = 13.3 s -> 0:00:13; 1184/1600 = 74 %
    assert plain_line(1184, 1600, 31.2) == "sweep: 1,184/1,600 (74 %), 31.2 pt/s, ETA 0:00:13"
    # 7,200 left at 2 pt/s = 3,600 s
    assert plain_line(800, 8000, 2.0) == "sweep: 800/8,000 (10 %), 2.0 pt/s, ETA 1:00:00"
    assert plain_line(0, 10, None) == "sweep: 0/10 (0 %), -- pt/s, ETA --"


def test_plain_progress_off_a_terminal_says_each_tenth_and_the_losses(capsys):
    """find-O 4: a log (not a terminal) got no line between the plan and the end."""
    import io

    buf = io.StringIO()
    p = Progress(20, 0, enabled=True, every_s=3600, stream=buf)  # pytest's stderr: no terminal
    for _ in range(20):
        p.advance(1)
    p.note("1 worker process lost (SIGKILL) running 3 points: ...")
    p.close()
    lines = buf.getvalue().splitlines()
    # a line at each 10 % of 20 runs: after runs 2, 4, ..., 20
    assert [ln.split(" (")[0] for ln in lines[:-1]] == [f"sweep: {n}/20" for n in range(2, 21, 2)]
    assert lines[-1] == "sweep: 1 worker process lost (SIGKILL) running 3 points: ..."
    quiet = io.StringIO()
    q = Progress(20, 0, enabled=False, stream=quiet)
    q.advance(20)
    q.note("x")
    assert quiet.getvalue() == ""


def test_wrote_line_says_workers_lost_and_points_run_again():
    from cimsim.sweep.columns import describe_run

    df = pd.DataFrame({ERROR: [None, "at x=1: the worker process died (SIGKILL) ..."]})
    df.attrs.update(computed=2, reused=0, workers_lost=3, retried=37, worker_died=1)
    assert describe_run(df) == (
        "2 rows: 2 computed, 0 already done, 1 with errors (3 workers lost; 37 points run again; "
        "1 point killed its worker each time alone: error rows, --retry-errors runs them again)")
    df.attrs.update(workers_lost=0, retried=0, worker_died=0)
    assert describe_run(df) == "2 rows: 2 computed, 0 already done, 1 with errors"
