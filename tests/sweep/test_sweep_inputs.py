"""What a sweep accepts and refuses before it starts (issue 21, items 3 and 4).

A sweep reads its workloads the way ``cimsim run`` does (bundled name, JSON or columnar
``.npz``), and every input a user can get wrong is refused in one line before the run count
is announced: no "sweep: N points ..." line, no worker started, nothing written.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cimsim import bundled
from cimsim.cli import main
from cimsim.config import load_architecture
from cimsim import simulate
from cimsim.sweep import ERROR, SweepStore, sweep
from cimsim.workload import Op, Tensor, Workload, load_workload, save_workload

BW = "memory.dram.bandwidth=10GB/s,20GB/s"


def _chain() -> Workload:
    """matmul -> relu -> matmul on 1 x 64 activations (64 x 64 fp32 weights)."""
    tensors = [Tensor("x", (1, 64), "fp32", "input"), Tensor("w0", (64, 64), "fp32", "weight"),
               Tensor("h0", (1, 64), "fp32", "activation"), Tensor("a0", (1, 64), "fp32", "activation"),
               Tensor("w1", (64, 64), "fp32", "weight"), Tensor("h1", (1, 64), "fp32", "activation")]
    ops = [Op("mm0", "matmul", ("x", "w0"), ("h0",), m=1, k=64, n=64, weight="w0"),
           Op("relu0", "elementwise", ("h0",), ("a0",), fn="relu"),
           Op("mm1", "matmul", ("a0", "w1"), ("h1",), m=1, k=64, n=64, weight="w1")]
    return Workload("chain", tensors, ops)


@pytest.fixture(scope="module")
def chain_files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("wl")
    files = {"json": d / "chain.json", "npz": d / "chain.npz"}
    for path in files.values():
        save_workload(_chain(), path)
    return files


def _cli(*args):
    return CliRunner().invoke(main, ["sweep", *map(str, args)])


# ------------------------------------------------------------------ item 3: workload forms


@pytest.mark.slow  # starts a worker process pool
def test_a_sweep_reads_npz_and_json_as_run_does(tmp_path, chain_files):
    # workers=1: the points run in a separate worker process, which gets the file's bytes
    # one sweep per form: one sweep of both is refused, the two files naming one workload 'chain'
    df = pd.concat([sweep("cpu-ddr5", [chain_files[form]], [BW], engine="analytic", workers=1)
                    for form in ("json", "npz")])
    assert len(df) == 4 and df[ERROR].isna().all(), df[ERROR].tolist()
    assert set(df["workload"]) == {"chain"}
    by = {(Path(r["workload_file"]).suffix, r["memory.dram.bandwidth"]): r["latency_s"]
          for r in df.to_dict("records")}
    for bw, text in ((10e9, "10GB/s"), (20e9, "20GB/s")):
        arch = load_architecture(bundled.resolve_config("cpu-ddr5"), {"memory.dram.bandwidth": text})
        alone = simulate(arch, load_workload(chain_files["npz"]), engine="analytic").latency_s
        assert by[(".json", bw)] == by[(".npz", bw)] == alone


def test_cli_sweep_of_an_npz_workload(tmp_path, chain_files):
    out = tmp_path / "npz.parquet"
    res = _cli("cpu-ddr5", "-w", chain_files["npz"], "--param", BW, "--engine", "analytic",
               "--workers", "1", "-q", "-o", out)
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    assert res.stderr == "sweep: 2 points x 1 config x 1 workload = 2 runs\n"
    assert res.stdout == f"wrote {out}: 2 rows: 2 computed, 0 already done, 0 with errors\n"


# ----------------------------------------------------- item 4: refused before the announcement


def _bad_inputs(tmp_path: Path, chain_files) -> dict[str, tuple[list, str]]:
    text = chain_files["json"].read_text()
    truncated = tmp_path / "truncated.json"
    truncated.write_text(text[: len(text) // 2])
    not_a_workload = tmp_path / "header-only.json"
    not_a_workload.write_text('{"format": "cimsim-workload", "version": 1, "name": "x"}')
    broken_npz = tmp_path / "broken.npz"
    broken_npz.write_bytes(chain_files["npz"].read_bytes()[:200])
    a_file = tmp_path / "plain-file"
    a_file.write_text("")
    wl = ["-w", chain_files["json"]]
    return {
        "scheduler-bogus": ([*wl, "--scheduler", "bogus"], "--scheduler 'bogus'"),
        "scheduler-local-0": ([*wl, "--scheduler", "local:0"], "--scheduler local:0"),
        "output-under-a-file": ([*wl, "-o", a_file / "out.parquet"], f"-o {a_file / 'out.parquet'}"),
        "csv-under-a-file": ([*wl, "--csv", a_file / "out.csv"], f"--csv {a_file / 'out.csv'}"),
        "truncated-json": (["-w", truncated], "not valid JSON"),
        "json-without-ops": (["-w", not_a_workload], str(not_a_workload)),
        "truncated-npz": (["-w", broken_npz], "not a valid columnar workload"),
        "missing-workload": (["-w", tmp_path / "nope.json"], "nope.json"),
        "workload-is-a-folder": (["-w", tmp_path], f"{tmp_path}: cannot read workload"),
    }


CASES = ["scheduler-bogus", "scheduler-local-0", "output-under-a-file", "csv-under-a-file",
         "truncated-json", "json-without-ops", "truncated-npz", "missing-workload", "workload-is-a-folder"]


@pytest.mark.parametrize("case", CASES)
def test_a_bad_sweep_is_one_line_before_the_plan(tmp_path, chain_files, case):
    args, needle = _bad_inputs(tmp_path, chain_files)[case]
    out = tmp_path / "never.parquet"
    res = _cli("cpu-ddr5", *args, "--param", BW, "--workers", "1", "-q",
               *(() if "-o" in args else ("-o", out)))
    assert res.exit_code == 1, res.output
    assert res.stdout == ""
    assert "sweep:" not in res.stderr and "Traceback" not in res.stderr
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("Error: "), res.stderr
    assert needle in res.stderr, res.stderr
    store = SweepStore(out)
    assert not out.exists() and not store.lock_path.exists() and not store.parts_dir.exists()


def test_the_python_api_announces_nothing_for_a_bad_sweep(tmp_path, chain_files):
    from cimsim.sweep.executors import SchedulerError

    lines: list[str] = []
    with pytest.raises(SchedulerError, match="local:0"):
        sweep("cpu-ddr5", chain_files["json"], [BW], scheduler="local:0", announce=lines.append,
              output=tmp_path / "x.parquet")
    assert lines == [] and not (tmp_path / "x.parquet").exists()
    # a good sweep still announces its count once, before its rows
    df = sweep("cpu-ddr5", chain_files["npz"], [BW], engine="analytic", workers=1, announce=lines.append)
    assert lines == ["sweep: 2 points x 1 config x 1 workload = 2 runs"] and len(df) == 2


def test_unguarded_module_level_sweep_in_a_script_is_one_clear_error(tmp_path):
    """multiprocessing imports the main script again in the worker server: a module-level
    cimsim.sweep() without `if __name__ == "__main__":` used to kill that server and end in a
    BrokenPipeError traceback from inside multiprocessing. Now the re-import stops quietly and the
    caller gets one CimsimError saying what to write."""
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text(
        "import cimsim\n"
        "cimsim.sweep(['cpu-ddr5'], 'tcn', ['memory.dram.bandwidth=100GB/s,200GB/s'],\n"
        f"             output={str(tmp_path / 'o.parquet')!r}, workers=1)\n")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=240,
                         cwd=tmp_path)
    assert run.returncode != 0
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("cimsim.errors.CimsimError: the sweep's worker processes could not start")
    assert 'if __name__ == "__main__":' in last
    assert run.stderr.count("Traceback") == 1  # the caller's only: the worker server ends quietly
    assert not (tmp_path / "o.parquet.lock").exists()


# ------------------------------------- a swept field one of the configs lacks (README 0.4 gaps)


@pytest.mark.parametrize("dry", [False, True])
def test_a_swept_field_one_config_lacks_is_one_line_before_the_plan(tmp_path, chain_files, dry):
    # gpu-hbm3 has no CIM section: every one of its points would be an error row; the sweep is
    # refused before it starts, naming the config, the field and what the config does have
    out = tmp_path / "never.parquet"
    res = _cli("gpu-hbm3", "sram-cim", "-w", chain_files["json"], "--param", "cim.arrays=64,128",
               "--workers", "1", "-q", "-o", out, *(["--dry-run"] if dry else []))
    assert res.exit_code == 1, res.output
    assert res.stdout == "" and "sweep:" not in res.stderr and "Traceback" not in res.stderr
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("Error: "), res.stderr
    assert "--param cim.arrays" in res.stderr and "gpu-hbm3" in res.stderr, res.stderr
    assert "its components: processor" in res.stderr, res.stderr  # what gpu-hbm3 has
    assert not out.exists() and not SweepStore(out).parts_dir.exists()


def test_a_swept_level_one_config_names_otherwise_suggests_its_name(tmp_path, chain_files):
    # the level exists in one config under another name: the error names the level it has
    cfg = tmp_path / "renamed.yaml"
    cfg.write_text(bundled.resolve_config("cpu-ddr5").read_text().replace("\n  dram:", "\n  drams:"))
    res = _cli("cpu-ddr5", cfg, "-w", chain_files["json"], "--param", BW, "--dry-run")
    assert res.exit_code == 1, res.output
    assert res.stderr.count("\n") == 1, res.stderr
    assert str(cfg) in res.stderr and "did you mean 'memory.drams'" in res.stderr, res.stderr


# ------------------------------- --dry-run refuses what the run refuses (third round of users)


@pytest.mark.parametrize("extra", [
    ("cpu-ddr5", "-w", "lstm"),  # the config given twice
    ("-w", "lstm", "-w", "lstm"),  # the workload given twice
    ("-w", "lstm", "--scheduler", "foo"),
    ("-w", "lstm", "--scheduler", "local:0"),
    ("-w", "lstm", "-o", "x.txt"),  # (-o x.csv is taken since find-A 4: x.parquet + x.csv)
])
def test_dry_run_refuses_what_the_run_refuses(tmp_path, monkeypatch, extra):
    monkeypatch.chdir(tmp_path)
    args = ("cpu-ddr5", *extra, "--param", "processor.cores=8,16", "-q")
    for dry in ([], ["--dry-run"]):
        res = _cli(*args, *dry)
        assert res.exit_code == 1, (dry, res.output)
        assert res.stderr.count("\n") == 1 and res.stderr.startswith("Error: "), res.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written by either


def test_dry_run_writes_nothing(tmp_path):
    out = tmp_path / "new" / "s.parquet"
    res = _cli("cpu-ddr5", "-w", "lstm", "--param", "processor.cores=8,16", "-o", out, "--dry-run")
    assert res.exit_code == 0, res.output
    assert res.stderr == "sweep: 2 points x 1 config x 1 workload = 2 runs\n"
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("param, end", [
    ("memory.dram.bandwidth=-1TB/s..1TB/s:lin:4", "start -1 TB/s"),
    ("memory.dram.sustained_fraction=0.5..1.5:lin:3", "end 1.5"),
    ("processor.cores=0..8:lin:3", "start 0"),
])
def test_a_range_end_outside_the_fields_domain_is_refused_up_front(tmp_path, param, end):
    out = tmp_path / "never.parquet"
    res = _cli("cpu-ddr5", "-w", "lstm", "--param", param, "--workers", "1", "-q", "-o", out)
    assert res.exit_code == 1, res.output
    assert res.stderr.count("\n") == 1, res.stderr
    assert res.stderr.startswith(f"Error: --param {param}: the range's {end} is outside the "
                                 "field's domain in config cpu-ddr5 "), res.stderr
    assert not out.exists()


def test_sweeping_one_of_a_pair_the_file_gives_says_what_a_sweep_can_do(tmp_path):
    """rram-cim-derived gives cim.adc.columns_per_adc; sweeping cim.adc.per_array is refused
    before the plan, and the fix is one a sweep can apply (it said `'...': None`, a Python
    override, and `--param FIELD=null` is refused)."""
    res = CliRunner().invoke(main, ["sweep", "rram-cim-derived", "-w", "lstm", "--param",
                                    "cim.adc.per_array=1,2", "-o", str(tmp_path / "s.parquet")])
    assert res.exit_code == 1, res.output
    line = res.output.strip().splitlines()[-1]
    assert "the file gives cim.adc.columns_per_adc (8), which cim.adc.per_array replaces" in line
    assert line.endswith("a sweep leaves no field out: sweep a copy of the config without the "
                         "file's one"), line
    assert "None" not in line and not (tmp_path / "s.parquet").exists()
