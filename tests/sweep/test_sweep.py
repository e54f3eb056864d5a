"""Sweeps: spec parsing, sampling, point identity, persistence, executors, engines.

Everything runs for real: worker processes, a Dask LocalCluster, Parquet files
on disk and a SIGKILL of a running ``cimsim sweep``. Sizes are kept tiny.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cimsim.errors import CimsimError
from cimsim.bundled import resolve_config
from cimsim.config import load_architecture
from cimsim.report.columns import FIXED_COLUMNS, union_columns
from cimsim.sweep import (
    ERROR,
    POINT_ID,
    SweepBusy,
    SweepSpecError,
    SweepStore,
    SweepTooLarge,
    field_kind,
    latin_hypercube,
    parse_param,
    plan_sweep,
    sample_points,
    sweep,
    sweep_columns,
)
from cimsim.workload import Op, Tensor, Workload, save_workload

# ---------------------------------------------------------------- spec parsing


def test_log_spec_golden():
    p = parse_param("memory.dram.bandwidth=25GB/s..3.2TB/s:log:32")
    assert p.unit == "B/s"
    v = np.array(p.values)
    assert len(v) == 32
    assert v[0] == 2.5e10 and v[-1] == 3.2e12
    ratios = v[1:] / v[:-1]
    # every value is rounded to 12 significant digits (relative error <= 5e-12 each, so <= 1e-11
    # on a ratio of two), which makes it the value printed
    assert all(x == float(f"{x:.12g}") for x in v)
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-11)
    np.testing.assert_allclose(ratios[0], (3.2e12 / 2.5e10) ** (1 / 31), rtol=1e-11)
    # formatted back to YAML form that the config loader parses to the same float
    from cimsim.units import parse_quantity

    assert parse_quantity(p.override_value(v[7]), "B/s") == v[7]


def test_lin_int_and_list_specs():
    cores = parse_param("processor.cores=8..128:lin:16")
    assert cores.values == tuple(range(8, 129, 8))
    arrays = parse_param("cim.arrays=64,128,256")
    assert arrays.values == (64, 128, 256) and arrays.field.kind == "int"
    tech = parse_param("cim.technology=sram,rram")
    assert tech.values == ("sram", "rram")
    latency = parse_param("memory.dram.latency=50ns,100 ns")
    assert latency.values == pytest.approx((50e-9, 100e-9), rel=1e-6, abs=0)
    assert field_kind("processor.energy_per_mac.fp16").unit == "J"


@pytest.mark.parametrize(
    "text, needle",
    [
        ("memory.dram.bandwith=1GB/s", "'memory.dram.bandwith' is not a field; allowed here: type, technology, capacity, latency"),
        ("memory.bandwidth=1GB/s", "name a level and a field"),
        ("memry.bandwidth=1GB/s", "'memry' is not a section; allowed: name, description, memory, links, technology, thermal, placeholders or a component of type processor, pim, cim, systolic"),
        ("memory.dram.bandwidth=25GHz..3TB/s:log:4", "memory.dram.bandwidth is a quantity in B/s"),
        ("memory.dram.bandwidth=25..3000:log:4", "has no unit"),
        ("memory.dram.bandwidth=25GB/s..3TB/s:cube:4", "':lin' or ':log'"),
        ("memory.dram.bandwidth=3TB/s..25GB/s:log:4", "greater than its start"),
        ("memory.dram.bandwidth=25GB/s..3TB/s:log:1", "at least 2 points"),
        ("memory.dram.bandwidth=25GB/s..3TB/s:log:x", "not an integer"),
        ("processor.cores=1.5", "not a whole number"),
        ("processor.cores=1..4:lin:8", "repeat whole numbers"),
        ("cim.technology=sram,dram", "one of sram, rram"),
        ("memory=1", "name a level and a field"),
        ("cim.adc=1", "a section, not a value"),
        ("cim=1", "'cim' is a section, not a value; its fields: type, idle, stack, link"),
        ("memory.dram.bandwidth", "expected PATH=SPEC"),
        ("processor.energy_per_mac.fp64=1pJ", "allowed keys: fp32, fp16, bf16, int8"),
    ],
)
def test_spec_rejections(text, needle):
    with pytest.raises(SweepSpecError) as exc:
        parse_param(text)
    msg = str(exc.value)
    assert needle in msg
    assert "\n" not in msg and msg.startswith("--param ")


def test_bad_spec_names_forms():
    with pytest.raises(SweepSpecError, match=r"A\.\.B:log:N.*A\.\.B:lin:N.*A,B,C"):
        parse_param("memory.dram.bandwidth=fast")


# ------------------------------------------------------------ resource limits


def test_run_count_is_the_product_of_value_counts():
    # 1000 bandwidths x 1000 array counts x 3 core counts = 3,000,000 points; x 2 configs
    params = ["memory.dram.bandwidth=1GB/s..1TB/s:log:1000", "cim.arrays=1..100000:lin:1000",
              "processor.cores=1,2,3"]
    plan = plan_sweep(["sram-cim", "rram-cim"], ["lstm"], params, max_points=6_000_000)
    assert (plan.points, plan.configs, plan.workloads, plan.runs) == (3_000_000, 2, 1, 6_000_000)
    assert plan.describe() == "sweep: 3,000,000 points x 2 configs x 1 workload = 6,000,000 runs"
    with pytest.raises(SweepTooLarge, match=r"^sweep: 3,000,000 points x 2 configs x 1 workload = "
                       r"6,000,000 runs exceed --max-points 5,999,999; "):
        plan_sweep(["sram-cim", "rram-cim"], ["lstm"], params, max_points=5_999_999)
    lhs = plan_sweep("gpu-hbm3", ["lstm", "tcn"], ["memory.dram.bandwidth=1GB/s..1TB/s:log"], sample="lhs",
                     samples=7)
    assert lhs.runs == 14
    assert plan_sweep("gpu-hbm3", "lstm", None).describe() == "sweep: 1 point x 1 config x 1 workload = 1 run"


def test_a_billion_point_grid_is_refused_before_anything_is_built(tmp_path, chain_file):
    import tracemalloc

    out = tmp_path / "huge.parquet"
    billion = ["memory.dram.bandwidth=1GB/s..1TB/s:log:1000", "cim.arrays=1..1000000:lin:1000",
               "processor.cores=1..1000:lin:1000"]  # each spec alone is allowed
    tracemalloc.start()
    try:
        with pytest.raises(SweepTooLarge, match=r"1,000,000,000 points x 1 config x 1 workload"):
            sweep("gpu-hbm3", chain_file, billion, output=out)
        with pytest.raises(SweepSpecError, match=r"1,000,000,000 values exceed --max-points 100,000"):
            sweep("gpu-hbm3", chain_file, ["memory.dram.bandwidth=1GB/s..1TB/s:log:1000000000"])
        with pytest.raises(SweepTooLarge, match=r"1,000,000,000 runs exceed"):
            sweep("gpu-hbm3", chain_file, ["memory.dram.bandwidth=1GB/s..1TB/s:log"], sample="random",
                  samples=10**9)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20  # a billion float64 values would be 8 GB
    assert not out.exists() and not SweepStore(out).parts_dir.exists() and not SweepStore(out).lock_path.exists()
    # the bound is inclusive and counts configs and workloads too
    spec = ["memory.dram.bandwidth=10GB/s,20GB/s"]
    with pytest.raises(SweepTooLarge, match="= 4 runs exceed --max-points 3"):
        sweep(["cpu-ddr5", "gpu-hbm3"], chain_file, spec, max_points=3)
    lines = []
    df = sweep(["cpu-ddr5", "gpu-hbm3"], chain_file, spec, max_points=4, workers=1, announce=lines.append)
    assert lines == ["sweep: 2 points x 2 configs x 1 workload = 4 runs"] and len(df) == 4


def test_cli_states_the_count_first_and_refuses_in_one_line(tmp_path, chain_file):
    from click.testing import CliRunner

    from cimsim.commands.sweep import sweep_command

    out = tmp_path / "cli.parquet"
    base = ["cpu-ddr5", "-w", str(chain_file), "-o", str(out), "--workers", "1", "-q"]
    ok = CliRunner().invoke(sweep_command, [*base, "--param", "memory.dram.bandwidth=10GB/s,20GB/s,40GB/s"])
    assert ok.exit_code == 0, ok.output
    assert ok.stderr.splitlines()[0] == "sweep: 3 points x 1 config x 1 workload = 3 runs"
    assert "3 rows: 3 computed" in ok.stdout
    big = CliRunner().invoke(sweep_command, [*base, "--max-points", "2", "--param",
                                             "memory.dram.bandwidth=10GB/s..1TB/s:log:1000000000"])
    assert big.exit_code == 1 and big.stdout == ""
    assert big.stderr.count("\n") == 1 and "exceed --max-points 2" in big.stderr
    dry = CliRunner().invoke(sweep_command, [*base, "--dry-run", "--param", "processor.cores=1..64:lin:64"])
    assert dry.exit_code == 0, dry.output
    # find-O 3: into the existing file of the 3-point sweep, it says what the run would do to it
    assert dry.stderr.splitlines() == [
        "sweep: 64 points x 1 config x 1 workload = 64 runs",
        f"warning: {out}: 3 of its 3 stored rows are points of another sweep (swept params then "
        "memory.dram.bandwidth, now processor.cores); they are to be moved to "
        "cli.replaced-<UTC time>.parquet by the run, and the file is rewritten without them",
        f"dry run: {out}: 0 of the 64 runs already done, 64 to compute; 3 stored rows are to be "
        "moved to cli.replaced-<UTC time>.parquet (why: the warning lines above)"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cli.parquet"]  # nothing moved, no lock
    # a field cpu-ddr5 lacks is refused by the dry run too (its 64 points would be error rows)
    lacks = CliRunner().invoke(sweep_command, [*base, "--dry-run", "--param", "cim.arrays=1..64:lin:64"])
    assert lacks.exit_code == 1 and "not a field of config cpu-ddr5" in lacks.stderr, lacks.stderr


# -------------------------------------------------------------------- sampling


def test_grid_is_cartesian_last_fastest():
    pts = sample_points([parse_param("cim.arrays=1,2"), parse_param("processor.cores=8,16,32")])
    assert [(p["cim.arrays"], p["processor.cores"]) for p in pts] == [
        (1, 8), (1, 16), (1, 32), (2, 8), (2, 16), (2, 32)
    ]


def test_lhs_hits_every_stratum_once():
    n = 17
    u = latin_hypercube(n, 3, np.random.default_rng(5))
    for d in range(3):
        assert sorted(np.floor(u[:, d] * n).astype(int)) == list(range(n))
    spec = parse_param("memory.dram.bandwidth=10GB/s..1TB/s:log")
    pts = sample_points([spec, parse_param("processor.cores=8..128:lin")], "lhs", samples=n, seed=3)
    bw = np.array([p["memory.dram.bandwidth"] for p in pts])
    strata = np.floor(np.log(bw / 1e10) / np.log(100) * n).astype(int)
    assert sorted(strata) == list(range(n))
    assert all(isinstance(p["processor.cores"], int) and 8 <= p["processor.cores"] <= 128 for p in pts)


def test_whole_number_ranges_draw_every_value_equally():
    """``cim.adc.bits=4..8`` under --sample: each of the 5 values owns a fifth of the draw (the
    ends got an eighth each when the draw was rounded, and 5 LHS samples drew 3 distinct
    points; found by a maintainer, 2026-12-05); on a log range value v owns
    log((v + 1) / v) / log((high + 1) / low) of it."""
    spec = parse_param("cim.adc.bits=4..8:lin")
    # u = k / 1000: value 4 + floor(5 k / 1000), 200 draws each
    vals = spec.from_unit(np.arange(1000) / 1000)
    assert {v: vals.count(v) for v in set(vals)} == {4: 200, 5: 200, 6: 200, 7: 200, 8: 200}
    for seed in range(5):
        pts = sample_points([spec], "lhs", samples=5, seed=seed)
        assert sorted(p["cim.adc.bits"] for p in pts) == [4, 5, 6, 7, 8]
    log = parse_param("cim.arrays=1..3:log")
    # 1 * 4^u: [1, 2) for u < log 2 / log 4 = 1/2, [2, 3) up to log 3 / log 4 = 0.79248, then 3
    assert log.from_unit(np.array([0.0, 0.49, 0.51, 0.79, 0.80, 0.999999])) == [1, 1, 2, 2, 3, 3]


def test_sampling_is_seeded():
    specs = [parse_param("memory.dram.bandwidth=10GB/s..1TB/s:log"), parse_param("cim.arrays=64,128,256")]
    for method in ("random", "lhs"):
        a = sample_points(specs, method, samples=9, seed=1)
        assert a == sample_points(specs, method, samples=9, seed=1)
        assert a != sample_points(specs, method, samples=9, seed=2)
    with pytest.raises(SweepSpecError, match="needs a point count"):
        sample_points(specs, "grid")
    with pytest.raises(SweepSpecError, match="samples="):
        sample_points(specs, "lhs")


# ------------------------------------------------------------------- workloads


def chain_workload(n_layers: int = 4, width: int = 64, name: str = "chain") -> Workload:
    """A pure chain of processor ops: matmul, relu, matmul, relu, ... (no two ops overlap)."""
    tensors = [Tensor("x", (1, width), "fp32", "input")]
    ops = []
    prev = "x"
    for i in range(n_layers):
        tensors += [
            Tensor(f"w{i}", (width, width), "fp32", "weight"),
            Tensor(f"h{i}", (1, width), "fp32", "activation"),
            Tensor(f"a{i}", (1, width), "fp32", "activation"),
        ]
        ops.append(Op(f"mm{i}", "matmul", (prev, f"w{i}"), (f"h{i}",), m=1, k=width, n=width, weight=f"w{i}"))
        ops.append(Op(f"relu{i}", "elementwise", (f"h{i}",), (f"a{i}",), fn="relu"))
        prev = f"a{i}"
    return Workload(name, tensors, ops)


@pytest.fixture(scope="module")
def chain_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("wl") / "chain.json"
    save_workload(chain_workload(), path)
    return path


def _ids(df: pd.DataFrame) -> list[str]:
    return df[POINT_ID].tolist()


# ------------------------------------------------------ table, identity, errors


def test_sweep_table_resume_and_error_rows(tmp_path, chain_file):
    out = tmp_path / "s.parquet"
    params = ["memory.dram.bandwidth=10GB/s..1TB/s:log:3", "memory.dram.sustained_fraction=0.5,1.5"]
    df = sweep(["cpu-ddr5", "gpu-hbm3"], [chain_file], params, output=out, workers=2, flush_rows=1)
    archs = [load_architecture(resolve_config(c)) for c in ("cpu-ddr5", "gpu-hbm3")]
    assert list(df.columns) == sweep_columns(["memory.dram.bandwidth", "memory.dram.sustained_fraction"],
                                             union_columns(archs))
    assert set(FIXED_COLUMNS) <= set(df.columns) and "energy_dram_j" in df.columns
    assert len(df) == 3 * 2 * 2 and df[POINT_ID].is_unique
    bad = df[df["memory.dram.sustained_fraction"] == 1.5]
    good = df[df["memory.dram.sustained_fraction"] == 0.5]
    # the invalid point records its error (naming file and field) and the sweep went on
    assert bad[ERROR].str.contains("memory.dram.sustained_fraction").all()
    assert bad["latency_s"].isna().all()
    assert good[ERROR].isna().all() and (good["latency_s"] > 0).all()
    assert set(df["architecture"]) == {"cpu-ddr5", "gpu-hbm3"}
    # persisted, parts consolidated away, units kept
    on_disk = pd.read_parquet(out)
    assert _ids(on_disk) == _ids(df)
    assert on_disk.attrs["cimsim_units"]["memory.dram.bandwidth"] == "B/s"
    assert not SweepStore(out).parts_dir.exists()
    # a rerun with the same arguments computes nothing and returns the same table
    again = sweep(["cpu-ddr5", "gpu-hbm3"], [chain_file], params, output=out, workers=2)
    assert again.attrs["computed"] == 0 and again.attrs["reused"] == len(df)
    pd.testing.assert_frame_equal(again, df, check_flags=False)
    # another engine is another point
    ana = sweep("cpu-ddr5", chain_file, params[:1], engine="analytic", workers=1)
    assert not set(_ids(ana)) & set(_ids(df))
    # the configs in the other order: the same columns (report/columns.py's order, review
    # 17-2 S7), not each config's after the previous one's
    rev = sweep(["gpu-hbm3", "cpu-ddr5"], chain_file, params[:1], engine="analytic", workers=1)
    assert list(rev.columns) == [c for c in df.columns if c != "memory.dram.sustained_fraction"]


def test_resume_keeps_the_rows_an_interrupted_retry_recomputed(tmp_path, chain_file):
    """An interrupted ``--retry-errors`` rerun leaves its recomputed rows in the parts beside a
    final file whose rows for those points are errors; the next resume took the final file's
    (older) error rows, reused them and removed the parts (found by a maintainer, 2026-12-05)."""
    out = tmp_path / "r.parquet"
    kw = dict(configs="cpu-ddr5", workloads=[chain_file], output=out, workers=1, chunk_size=1,
              params=["processor.op_overhead=1us,2us,3us,4us"], engine="analytic")
    good = sweep(**kw)
    stale = pd.read_parquet(out)
    stale[ERROR] = "internal error MemoryError: an earlier failure"
    stale["latency_s"] = float("nan")
    stale.to_parquet(out, index=False)
    seen = []

    def stop(n):
        seen.append(n)
        if sum(seen) >= 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep(**kw, retry_errors=True, flush_rows=1, on_rows=stop)
    resumed = sweep(**kw)
    # the two recomputed rows come from the parts; the other two stay the final file's errors
    assert resumed.attrs["computed"] == 0 and resumed.attrs["reused"] == 4
    by_id = good.set_index(POINT_ID)["latency_s"]
    ok = resumed[resumed[ERROR].isna()]
    assert len(ok) == 2
    assert ok.set_index(POINT_ID)["latency_s"].to_dict() == by_id[ok[POINT_ID]].to_dict()
    assert resumed[ERROR].notna().sum() == 2


def test_error_rows_name_the_swept_value(chain_file):
    # a zero SRAM bandwidth is impossible: the row says which swept field and value caused it
    df = sweep("gpu-hbm3", chain_file, ["memory.sram.bandwidth=0TB/s,1TB/s"], engine="analytic", workers=1)
    bad, good = df[ERROR].tolist()
    assert bad.startswith("at memory.sram.bandwidth=0 B/s: ") and "\n" not in bad
    assert good is None


def test_error_text_of_an_internal_fault_keeps_type_and_place():
    from cimsim.errors import ConfigError
    from cimsim.sweep.worker import error_text

    def deep(x):
        return 1 / x

    try:
        deep(0)
    except ZeroDivisionError as exc:
        line = deep.__code__.co_firstlineno + 1
        assert error_text(exc, {"memory.dram.bandwidth": "0.0 B/s", "cim.arrays": 4}) == (
            "at memory.dram.bandwidth=0 B/s, cim.arrays=4: internal error ZeroDivisionError: "
            f"division by zero (at test_sweep.py:{line} in deep)"
        )
    # a value as the CLI prints it, never an exponent (`1e+18 B` was shown, a tester, 2026-12-05)
    assert error_text(ConfigError("x"), {"memory.sram.capacity": "1e+18 B",
                                         "memory.dram.bandwidth": "25600000000.0 B/s"}) == (
        "at memory.sram.capacity=1 EB, memory.dram.bandwidth=25.6 GB/s: x")
    err = ConfigError("x.yaml: memory.dram.bandwidth: must be > 0,\n got 0")
    assert error_text(err, {}) == "x.yaml: memory.dram.bandwidth: must be > 0, got 0"


def test_each_worker_parses_each_workload_once(tmp_path):
    from cimsim.sweep import worker
    from cimsim.sweep.runner import _build, execution_order

    files = []
    for i in range(10):  # more workloads than a worker keeps parsed at once
        files.append(tmp_path / f"w{i}.json")
        # each its own name: a sweep refuses two workloads of one name, as compare does
        save_workload(chain_workload(n_layers=1, width=8 + i, name=f"chain{i}"), files[-1])
    specs = [parse_param("memory.dram.bandwidth=10GB/s,20GB/s,40GB/s")]
    context, tasks = _build(["cpu-ddr5"], files, specs, sample_points(specs), "analytic")
    assert len(tasks) == 30
    worker.WORKLOAD_LOADS.clear()
    worker._WORKLOADS.clear()
    rows = worker.run_chunk(execution_order(tasks), context)
    assert all(r[ERROR] is None for r in rows)
    assert sorted(worker.WORKLOAD_LOADS.values()) == [1] * 10
    # in the table's own order (every workload at every point) the cache would thrash
    worker.WORKLOAD_LOADS.clear()
    worker._WORKLOADS.clear()
    worker.run_chunk(tasks, context)
    assert sum(worker.WORKLOAD_LOADS.values()) == 30


def test_unreadable_part_is_recomputed(tmp_path, chain_file):
    out = tmp_path / "p.parquet"
    store = SweepStore(out)
    store.parts_dir.mkdir()
    (store.parts_dir / "part-garbage.parquet").write_bytes(b"PAR1 not really")
    (store.parts_dir / ".part-x.parquet.123.tmp").write_bytes(b"half a file")
    with pytest.warns(UserWarning, match="unreadable"):
        df = sweep("cpu-ddr5", chain_file, ["memory.dram.bandwidth=10GB/s,20GB/s"], output=out, workers=1)
    assert df.attrs["computed"] == 2 and df[ERROR].isna().all()


def test_finishing_deletes_only_what_cimsim_wrote(tmp_path, chain_file):
    out = tmp_path / "mine.parquet"
    store = SweepStore(out)
    store.parts_dir.mkdir()  # a directory the user made, with the user's files in it
    foreign = {"notes.txt": b"keep me", "part-1.parquet": b"not cimsim's", ".hidden.tmp": b"x"}
    for name, data in foreign.items():
        (store.parts_dir / name).write_bytes(data)
    store.lock_path.write_bytes(b"the user's lock file\n")
    spec = ["memory.dram.bandwidth=10GB/s..1TB/s:log:4"]
    with pytest.warns(UserWarning, match="part-1.parquet: unreadable"):
        df = sweep("cpu-ddr5", chain_file, spec, output=out, workers=1, flush_rows=1)
    assert df.attrs["computed"] == 4 and df[ERROR].isna().all()
    assert pd.read_parquet(out)[POINT_ID].tolist() == _ids(df)
    # the directory, the user's files and the lock file are as they were; cimsim's parts are gone
    assert sorted(p.name for p in store.parts_dir.iterdir()) == sorted(foreign)
    for name, data in foreign.items():
        assert (store.parts_dir / name).read_bytes() == data
    assert store.lock_path.read_bytes() == b"the user's lock file\n"


def test_parts_directory_cimsim_made_is_removed_with_stale_temporaries(tmp_path, chain_file):
    out = tmp_path / "fresh.parquet"
    store = SweepStore(out)
    spec = ["memory.dram.bandwidth=10GB/s..1TB/s:log:4"]
    with store:  # an interrupted earlier run: two parts (one with a leftover temporary)
        sweep_rows = sweep("cpu-ddr5", chain_file, spec[:1], workers=1).to_dict("records")
        store.append(sweep_rows[:2], list(sweep_rows[0]))
    names = [p.name for p in store.parts_dir.iterdir()]
    assert ".cimsim-sweep-parts" in names and len(names) == 2
    (store.parts_dir / f".{[n for n in names if n.startswith('part-')][0]}.abc_12x.tmp").write_bytes(b"half")
    df = sweep("cpu-ddr5", chain_file, spec, output=out, workers=1)
    assert df.attrs["reused"] == 2 and df.attrs["computed"] == 2
    assert not store.parts_dir.exists() and not store.lock_path.exists()


def test_second_sweep_into_the_same_file_refuses(tmp_path, chain_file):
    out = tmp_path / "busy.parquet"
    with SweepStore(out):
        with pytest.raises(SweepBusy, match="another sweep is writing"):
            sweep("cpu-ddr5", chain_file, ["memory.dram.bandwidth=10GB/s,20GB/s"], output=out, workers=1)
    assert not out.exists()
    sweep("cpu-ddr5", chain_file, ["memory.dram.bandwidth=10GB/s,20GB/s"], output=out, workers=1)
    assert out.exists() and not SweepStore(out).lock_path.exists()


# ----------------------------------------------------------------- SIGKILL


def _cli(*args) -> list[str]:
    return [sys.executable, "-m", "cimsim.commands.sweep", *args]


def _wait_for_a_part_file(proc: subprocess.Popen, parts: Path, timeout_s: float = 40.0) -> None:
    """Block until the running sweep has persisted at least one part file."""
    deadline = time.monotonic() + timeout_s
    while not (parts.is_dir() and any(parts.glob("part-*.parquet"))):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no part file appeared"
        time.sleep(0.02)


@pytest.mark.slow
def test_sigkill_then_rerun_finishes_each_point_once(tmp_path):
    out = tmp_path / "bw.parquet"
    args = ["cpu-ddr5", "gpu-hbm3", "-w", "lstm", "--param", "memory.dram.bandwidth=25GB/s..3.2TB/s:log:64",
            "--workers", "2", "--flush-every", "1", "-q", "-o", str(out)]
    total = 128
    parts = SweepStore(out).parts_dir
    proc = subprocess.Popen(_cli(*args), start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for_a_part_file(proc, parts)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI, its forkserver and its workers
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists(), "the sweep finished before the kill; the test did not interrupt it"
    partial = SweepStore(out).load_done()
    assert 0 < len(partial) < total

    rerun = subprocess.run(_cli(*args), capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    m = re.search(r"(\d+) rows: (\d+) computed, (\d+) already done, (\d+) with errors", rerun.stdout)
    rows, computed, reused, errors = map(int, m.groups())
    assert (rows, errors) == (total, 0)
    assert reused >= len(partial) and computed == total - reused and computed < total
    df = pd.read_parquet(out)
    assert len(df) == total and df[POINT_ID].is_unique
    assert set(partial[POINT_ID]) <= set(df[POINT_ID])
    assert df.groupby("architecture")["memory.dram.bandwidth"].nunique().tolist() == [64, 64]
    assert not parts.exists()
    # more bandwidth never makes the LSTM slower
    for _, g in df.groupby("architecture"):
        lat = g.sort_values("memory.dram.bandwidth")["latency_s"].to_numpy()
        assert np.all(np.diff(lat) <= 1e-12 * lat[:-1]) and lat[0] > lat[-1]


@pytest.mark.slow
def test_ctrl_c_keeps_finished_points_and_rerun_completes(tmp_path):
    out = tmp_path / "bw.parquet"
    args = ["gpu-hbm3", "-w", "lstm", "--param", "memory.dram.bandwidth=25GB/s..3.2TB/s:log:192",
            "--workers", "2", "--flush-every", "1", "-q", "-o", str(out)]
    total = 192  # enough that the sweep is still running when Ctrl-C arrives on a loaded machine
    parts = SweepStore(out).parts_dir
    proc = subprocess.Popen(_cli(*args), start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_a_part_file(proc, parts)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends the group on Ctrl-C
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode != 0
    assert "Traceback" not in err
    assert not out.exists(), "the sweep finished before Ctrl-C; the test did not interrupt it"
    partial = SweepStore(out).load_done()
    assert 0 < len(partial) < total

    rerun = subprocess.run(_cli(*args), capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    df = pd.read_parquet(out)
    assert len(df) == total and df[POINT_ID].is_unique
    assert set(partial[POINT_ID]) <= set(df[POINT_ID])


def _running(procs) -> list:
    """The processes of ``procs`` still running (a zombie has ended; no reaper may be waiting)."""
    import psutil

    alive = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p)
        except psutil.NoSuchProcess:
            pass
    return alive


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_lifeline_recognises_a_process_by_pid_and_start_time():
    from cimsim.sweep import lifeline

    me = lifeline.identity()
    assert me[0] == os.getpid() and lifeline.is_alive(me)
    assert not lifeline.is_alive((me[0], me[1] + 1))  # same pid, other start: a recycled pid
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    ident = lifeline.identity(child.pid)
    child.wait()
    assert not lifeline.is_alive(ident)
    lifeline.guard(me)  # in the sweep's own process the guard does nothing
    assert lifeline._armed_for is None


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal and /proc")
@pytest.mark.parametrize("backend", [[], ["--scheduler", "local:2"]], ids=["local-workers", "dask-local"])
def test_sigkill_of_the_main_process_alone_ends_every_descendant(tmp_path, backend):
    psutil = pytest.importorskip("psutil")
    out = tmp_path / "orphans.parquet"
    # two local workers, or a Dask cluster of two (--workers goes with local workers only)
    args = ["gpu-hbm3", "-w", "lstm", "--param", "memory.dram.bandwidth=25GB/s..3.2TB/s:log:2000",
            *(backend or ["--workers", "2"]), "--flush-every", "1", "-q", "-o", str(out)]
    proc = subprocess.Popen(_cli(*args), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    descendants = []
    try:
        _wait_for_a_part_file(proc, SweepStore(out).parts_dir, timeout_s=60)
        descendants = psutil.Process(proc.pid).children(recursive=True)
        # two workers, plus the forkserver / resource tracker of the local pool
        assert len(descendants) >= 2, descendants
        os.kill(proc.pid, signal.SIGKILL)  # the main process only, not its group
        proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _running(descendants) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [(p.pid, " ".join(p.cmdline()[-2:])) for p in _running(descendants)]
        assert not left, f"still running after the sweep was SIGKILLed: {left}"
    finally:
        for p in _running(descendants):
            p.kill()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert not out.exists(), "the sweep finished before the kill; the test did not interrupt it"


def _pids_below(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            state, ppid = stat.rsplit(")", 1)[1].split()[:2]
            if state == "Z":
                continue
            children.setdefault(int(ppid), []).append(int(entry))
    out, todo = [], [root]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_lost_worker_is_replaced(chain_file):
    killed = []

    def kill_a_worker(_n):
        if not killed:
            me = os.getpid()
            # grandchildren: pool workers forked by the forkserver (a direct child)
            workers = [p for p in _pids_below(me) if p not in _pids_below_direct(me)]
            os.kill(workers[0], signal.SIGKILL)
            killed.append(workers[0])

    df = sweep("cpu-ddr5", chain_file, ["memory.dram.bandwidth=10GB/s..1TB/s:log:24"], workers=2,
               chunk_size=1, on_rows=kill_a_worker)
    assert killed
    assert len(df) == 24 and df[POINT_ID].is_unique and df[ERROR].isna().all()


def _pids_below_direct(root: int) -> set[int]:
    return {p for p in _pids_below(root) if int(Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[1]) == root}


# ------------------------------------------------------------ Dask == local


@pytest.mark.slow
def test_dask_local_cluster_matches_local_processes(tmp_path, chain_file):
    args = (["cpu-ddr5", "gpu-hbm3"], [chain_file, "tcn"], ["memory.dram.bandwidth=10GB/s..1TB/s:log:3"])
    local = sweep(*args, workers=2, output=tmp_path / "local.parquet")
    dask = sweep(*args, scheduler="local:2", output=tmp_path / "dask.parquet")
    assert local.attrs["computed"] == len(local) == 12
    assert dask.attrs["computed"] == len(dask) == 12
    a = pd.read_parquet(tmp_path / "local.parquet").sort_values(POINT_ID).reset_index(drop=True)
    b = pd.read_parquet(tmp_path / "dask.parquet").sort_values(POINT_ID).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert a[ERROR].isna().all()


@pytest.mark.slow
def test_tls_scheduler_with_security(tmp_path, chain_file):
    pytest.importorskip("cryptography")
    import distributed
    from click.testing import CliRunner

    from cimsim.commands.sweep import sweep_command
    from cimsim.sweep.executors import SchedulerError

    sec = distributed.Security.temporary()  # a throw-away CA; client, scheduler and worker certs
    spec = ["memory.dram.bandwidth=10GB/s..1TB/s:log:3"]
    local = sweep("cpu-ddr5", chain_file, spec, workers=1)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tls://",
                                  security=sec, dashboard_address=None) as cluster:
        addr = cluster.scheduler_address
        assert addr.startswith("tls://")
        over_tls = sweep("cpu-ddr5", chain_file, spec, scheduler=addr, security=sec)
        pd.testing.assert_frame_equal(over_tls, local, check_flags=False)
        # without certificates the scheduler cannot be reached: one line naming the remedy
        with pytest.raises(SchedulerError, match=r"^--scheduler tls://.*cannot connect.*--tls-ca-file") as exc:
            sweep("cpu-ddr5", chain_file, spec, scheduler=addr)
        assert "\n" not in str(exc.value)
        with pytest.raises(SchedulerError, match="not tls://"):
            sweep("cpu-ddr5", chain_file, spec, scheduler=addr.replace("tls://", "tcp://"), security=sec)
        # the CLI takes the same certificates as PEM files
        pem = {}
        for opt, attr in [("--tls-ca-file", "tls_ca_file"), ("--tls-cert", "tls_client_cert"),
                          ("--tls-key", "tls_client_key")]:
            pem[opt] = tmp_path / f"{attr}.pem"
            pem[opt].write_text(getattr(sec, attr))
        out = tmp_path / "tls.parquet"
        args = ["cpu-ddr5", "-w", str(chain_file), "--param", spec[0], "-q", "-o", str(out), "--scheduler", addr]
        res = CliRunner().invoke(sweep_command, [*args, *(str(x) for kv in pem.items() for x in kv)])
        assert res.exit_code == 0, res.output
        from_cli = pd.read_parquet(out)
        assert _ids(from_cli) == _ids(local) and from_cli[ERROR].isna().all()
        np.testing.assert_array_equal(from_cli["latency_s"], local["latency_s"])
    # a LocalCluster that sweep() starts speaks TLS when given a security object
    local_tls = sweep("cpu-ddr5", chain_file, spec, scheduler="local:1", security=sec)
    pd.testing.assert_frame_equal(local_tls, local, check_flags=False)
    half = CliRunner().invoke(sweep_command, [*args, "--tls-cert", str(pem["--tls-cert"])])
    assert half.exit_code == 2 and half.stderr.count("\n") == 1 and "--tls-ca-file" in half.stderr


# -------------------------------------------------------- des vs analytic


def test_engines_agree_without_contention(chain_file):
    params = ["memory.dram.bandwidth=10GB/s..1TB/s:log:3"]
    des = sweep(["cpu-ddr5", "gpu-hbm3"], chain_file, params, engine="des", workers=1)
    ana = sweep(["cpu-ddr5", "gpu-hbm3"], chain_file, params, engine="analytic", workers=1)
    assert des[ERROR].isna().all() and ana[ERROR].isna().all()
    np.testing.assert_allclose(des["latency_s"], ana["latency_s"], rtol=1e-9)
    np.testing.assert_allclose(des["energy_j"], ana["energy_j"], rtol=1e-9)


def test_engines_differ_under_contention():
    # hierarchical attention on a CIM machine: CIM matmuls and host ops overlap and share
    # DRAM bandwidth; the DES serialises the shared bytes, the analytic bound does not.
    kw = dict(workers=1)
    des = sweep("sram-cim", "hier-attn", None, engine="des", **kw)
    ana = sweep("sram-cim", "hier-attn", None, engine="analytic", **kw)
    assert des["latency_s"].iloc[0] > ana["latency_s"].iloc[0] * (1 + 1e-3)


def test_sampling_refuses_what_it_would_ignore():
    """A point count on a sampled range (:log:4 with --sample lhs) and --samples on a grid were
    ignored in silence (12 log-uniform draws; a 4-point grid): each is one error saying why."""
    with pytest.raises(CimsimError, match=r"^params=\{'memory.dram.bandwidth': '10GB/s..1TB/s:log:4'\}: "
                       r"sample='lhs' draws from a range written without a point count "
                       r"\('10GB/s..1TB/s:log'\); samples= sets how many"):
        plan_sweep("gpu-hbm3", "lstm", ["memory.dram.bandwidth=10GB/s..1TB/s:log:4"], sample="lhs",
                   samples=12)
    with pytest.raises(CimsimError, match=r"^samples= goes with sample='random' or 'lhs'"):
        plan_sweep("gpu-hbm3", "lstm", ["memory.dram.bandwidth=10GB/s..1TB/s:log:4"], samples=12)
    # a list may be sampled (each draw picks one of its values); 5 draws of 2 values are the 2
    # points the sweep runs, and the count says so
    two = plan_sweep("gpu-hbm3", "lstm", ["processor.cores=1,2"], sample="random", samples=5)
    assert two.points == 2 and two.describe().endswith("= 2 runs (5 samples drew 2 distinct points)")


def test_a_whole_number_range_says_when_it_rounds_its_steps():
    """`processor.cores=1..8:lin:3` ran 1, 4 and 8 (4.5 rounded) without a word (a tester,
    2026-12-05): the plan line says the values it runs; even steps say nothing."""
    from cimsim.sweep.runner import plan_sweep

    plan = plan_sweep("cpu-ddr5", "lstm", ["processor.cores=1..8:lin:3"])
    assert plan.rounding() == ("; processor.cores=1..8:lin:3 runs 1, 4, 8 (3 whole numbers, the "
                               "nearest to its even steps)")
    assert plan_sweep("cpu-ddr5", "lstm", ["processor.cores=8..128:lin:16"]).rounding() == ""
    many = plan_sweep("sram-cim", "lstm", ["cim.arrays=1..100000:lin:1000"]).rounding()
    assert many.startswith("; cim.arrays=1..100000:lin:1000 runs 1, 101, 201, ..., ")
    from click.testing import CliRunner

    from cimsim.cli import main

    r = CliRunner().invoke(main, ["sweep", "cpu-ddr5", "-w", "lstm", "--param",
                                  "processor.cores=1..8:lin:3", "--dry-run"])
    assert "runs 1, 4, 8 (3 whole numbers" in r.output, r.output


SAMPLING_ERRORS = [  # (sweep() keywords, its error, the command line's options, their error)
    (dict(params={"processor.cores": "2..64:lin"}, sample="random"),
     "sample='random' needs samples=N (N >= 1), got samples=None",
     ["--param", "processor.cores=2..64:lin", "--sample", "random"],
     "--sample random needs --samples N (N >= 1)"),
    (dict(params={"processor.cores": "2..64:lin"}),
     "params={'processor.cores': '2..64:lin'}: a grid needs a point count, e.g. '2..64:lin:16'; "
     "or use sample='random' or 'lhs'",
     ["--param", "processor.cores=2..64:lin"],
     "--param processor.cores=2..64:lin: a grid needs a point count, e.g. '2..64:lin:16'; or use "
     "--sample random|lhs"),
    (dict(params={"processor.cores": "2..64:lin:4"}, sample="rand", samples=3),
     "sample='rand': allowed are grid, random, lhs", None, None),
    (dict(params={"processor.cores": "2..64:lin:4"}, sample="lhs", samples=3),
     "params={'processor.cores': '2..64:lin:4'}: sample='lhs' draws from a range written without "
     "a point count ('2..64:lin'); samples= sets how many",
     ["--param", "processor.cores=2..64:lin:4", "--sample", "lhs", "--samples", "3"],
     "--param processor.cores=2..64:lin:4: --sample lhs draws from a range written without a point "
     "count ('2..64:lin'); --samples sets how many"),
]


@pytest.mark.parametrize("kw, python, argv, cli", SAMPLING_ERRORS)
def test_sampling_errors_name_the_keywords_in_python_and_the_options_on_the_command_line(
        kw, python, argv, cli):
    """find-F #5: sweep() said "--sample random needs --samples N": a Python caller has no
    --samples, the keyword is samples=. The command line keeps its options."""
    with pytest.raises(SweepSpecError) as exc:
        sweep("cpu-ddr5", "gru", workers=1, dry_run=True, **kw)
    assert str(exc.value) == python
    if argv is not None:
        from click.testing import CliRunner

        from cimsim.cli import main

        res = CliRunner().invoke(main, ["sweep", "cpu-ddr5", "-w", "gru", "--dry-run", *argv])
        assert res.exit_code == 1 and res.output.strip() == f"Error: {cli}", res.output
