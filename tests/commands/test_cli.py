"""The command line (`cimsim run`, `cimsim compare`) through click's CliRunner."""

from __future__ import annotations

import csv
import re
from pathlib import Path
import json

import pytest
import yaml
from click.testing import CliRunner

from cimsim import bundled
from cimsim.cli import main
from cimsim.config import load_architecture
from cimsim.report.columns import BOUNDS, INPUT_COLUMNS, union_columns

# bundled LSTM: 2 layers, 100 steps, batch 1, 4 gates, I = H = 2048
LSTM_MACS = 2 * 100 * 4 * 2048 * (2048 + 2048)


def invoke(*args):
    # a wide terminal so rich does not fold op names in tables
    return CliRunner(env={"COLUMNS": "200"}).invoke(main, [str(a) for a in args])


def assert_clean_error(res, *needles):
    assert res.exit_code != 0, res.output
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("Error")]
    assert len(errors) == 1, res.output
    for n in needles:
        assert n in errors[0], (n, errors[0])
    return errors[0]


@pytest.fixture(scope="module")
def lstm_json():
    res = invoke("run", "cpu-ddr5", "lstm", "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_run_json_fields(lstm_json):
    d = lstm_json
    for key in ("latency_s", "energy_j", "energy_breakdown_j", "utilization", "bound",
                "critical_path_s", "macs", "ops"):
        assert key in d, key
    assert d["macs"] == LSTM_MACS
    assert d["workload"] == "lstm" and d["architecture"] == "cpu-ddr5" and d["engine"] == "des"
    assert d["latency_s"] > 0 and d["energy_j"] > 0
    assert sum(d["energy_breakdown_j"].values()) == pytest.approx(d["energy_j"], rel=1e-12, abs=0)
    assert all(0 <= v <= 1 for v in d["utilization"].values())
    assert d["bound"] in BOUNDS
    assert d["latency_s"] >= d["critical_path_s"] * (1 - 1e-9)


def test_run_json_analytic_engine():
    res = invoke("run", "gpu-hbm3", "gru", "--json", "--engine", "analytic")
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["engine"] == "analytic"
    assert d["macs"] == 100 * 3 * 1024 * (1024 + 1024)  # GRU: T * 3H * (I + H)


def test_run_accepts_file_paths():
    cfg = bundled.configs_dir() / "gpu-hbm3.yaml"
    wl = bundled.workloads_dir() / "gru.json"
    res = invoke("run", cfg, wl, "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["architecture"] == "gpu-hbm3"


def test_run_human_output_has_units():
    res = invoke("run", "gpu-hbm3", "gru")
    assert res.exit_code == 0, res.output
    out = res.output
    assert "latency" in out and "energy" in out and "bound" in out
    # every number carries its unit, with an SI prefix where needed: "1.254 ms", "3.1 mJ", "12.0 %"
    assert re.search(r"latency\s+[\d.]+ [mµn]?s\b", out), out
    assert re.search(r"energy\s+[\d.]+ [mµn]?J\b", out), out
    assert re.search(r"[\d.]+ %", out), out
    assert "utilization" in out


def test_run_placement_lists_ops():
    res = invoke("run", "rram-cim", "gru", "--placement")
    assert res.exit_code == 0, res.output
    assert "placement" in res.output
    # GRU ops by name: layer 0 input projection and last step's recurrent matmul
    assert "l0.xproj" in res.output and "l0.t99.hproj" in res.output
    assert "cim" in res.output and "processor" in res.output


def test_run_trace_writes_trace_events(tmp_path):
    out = tmp_path / "trace.json"
    res = invoke("run", "gpu-hbm3", "gru", "--trace", out, "--json")
    assert res.exit_code == 0, res.output
    d = json.loads(out.read_text())
    events = d["traceEvents"]
    ops = [e for e in events if e["ph"] == "X" and e["pid"] == 1]  # op slices (pid 2: transfers)
    meta = [e for e in events if e["ph"] == "M"]
    assert len(ops) == json.loads(res.stdout)["ops"]  # the "wrote" line is on stderr
    for e in ops:
        assert {"name", "ph", "pid", "tid", "ts", "dur"} <= set(e)
        assert e["ts"] >= 0 and e["dur"] >= 0
    assert any(e["name"] == "process_name" for e in meta)
    latency_us = json.loads(res.stdout)["latency_s"] * 1e6
    assert max(e["ts"] + e["dur"] for e in ops) == pytest.approx(latency_us, rel=1e-9, abs=0)


def test_compare_writes_csv(tmp_path):
    out = tmp_path / "out.csv"
    res = invoke("compare", "-w", "lstm", "-w", "hier-attn", "cpu-ddr5", "rram-cim", "-o", out)
    assert res.exit_code == 0, res.output
    assert "wrote 4 rows" in res.output
    with out.open() as f:
        reader = csv.DictReader(f)
        archs = [load_architecture(bundled.resolve_config(c)) for c in ("cpu-ddr5", "rram-cim")]
        # the result columns, what they were computed from, then the cimsim that computed them
        # (a CSV file has no metadata)
        assert tuple(reader.fieldnames) == (*union_columns(archs), *INPUT_COLUMNS,
                                            "cimsim_version", "cimsim_revision")
        rows = list(reader)
    assert len(rows) == 4
    assert [(r["workload"], r["architecture"]) for r in rows] == [
        ("lstm", "cpu-ddr5"), ("lstm", "rram-cim"), ("hier-attn", "cpu-ddr5"), ("hier-attn", "rram-cim")]
    assert int(rows[0]["macs"]) == LSTM_MACS
    assert float(rows[1]["dram_bytes"]) < float(rows[0]["dram_bytes"])  # CIM keeps weights


def test_compare_shows_each_designs_area(tmp_path):
    """The comparison set a 1,707 mm² CIM array beside an 814 mm² GPU without saying so: its table
    now has an area column (the CSV's area_m2): the GH100 die 814 mm² (whitepaper), sram-cim's
    8452 macros x 0.202 mm² (Chih ISSCC 2021) = 1707 mm², marked (part) as its host declares no
    area, and cpu-ddr5, which declares none, 'not declared'."""
    out = tmp_path / "a.csv"
    res = CliRunner(env={"COLUMNS": "250"}).invoke(
        main, ["compare", "gpu-hbm3", "sram-cim", "cpu-ddr5", "-w", "gru", "--engine", "analytic", "-o", str(out)])
    assert res.exit_code == 0, res.output
    header = next(ln for ln in res.output.splitlines() if "workload" in ln)
    names = [c.strip() for c in header.strip("┃").split("┃")]
    # after power, and after sram-cim's 'first call' (its SRAM cells lose the weights at power-off)
    assert names[4:7] == ["power", "first call", "area"]
    rows = {ln.split("│")[2].strip(): [c.strip() for c in ln.split("│")[1:-1]]
            for ln in res.output.splitlines() if ln.startswith("│ gru")}
    assert rows["gpu-hbm3"][6] == "814 mm²"
    assert rows["sram-cim (!p)"][6] == f"{8452 * 0.202:.0f} mm² (part)" == "1707 mm² (part)"
    assert rows["cpu-ddr5"][6] == "not declared"
    assert "(part) area of the parts that declare one (area_m2 in the CSV); none is given for processor " \
           "(sram-cim)" in " ".join(res.output.split())
    with out.open() as f:
        area = {r["architecture"]: r["area_m2"] for r in csv.DictReader(f)}
    assert float(area["sram-cim"]) == pytest.approx(8452 * 0.202e-6, rel=1e-9, abs=0)
    assert float(area["gpu-hbm3"]) == pytest.approx(814e-6, rel=1e-9, abs=0)
    assert area["cpu-ddr5"] == ""


# --------------------------------------------------------------------------- errors
def test_missing_config_file(tmp_path):
    missing = tmp_path / "nope.yaml"
    res = invoke("run", missing, "lstm")
    assert_clean_error(res, "nope.yaml")


def test_unknown_bundled_workload_name():
    res = invoke("run", "cpu-ddr5", "no-such-workload")
    assert_clean_error(res, "no-such-workload", "lstm")


def test_bad_config_unknown_key(tmp_path):
    d = yaml.safe_load((bundled.configs_dir() / "cpu-ddr5.yaml").read_text())
    d["processor"]["turbo"] = True
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(d, sort_keys=False))
    res = invoke("run", p, "gru")
    assert_clean_error(res, str(p), "turbo")


def test_bad_config_not_yaml(tmp_path):
    p = tmp_path / "broken.yaml"
    p.write_text("processor: [unclosed\n")
    res = invoke("run", p, "gru")
    assert "Traceback" not in res.output
    assert res.exit_code != 0


def test_bad_workload_file(tmp_path):
    p = tmp_path / "bad.json"
    d = json.loads((bundled.workloads_dir() / "gru.json").read_text())
    d["version"] = 99
    p.write_text(json.dumps(d))
    res = invoke("run", "cpu-ddr5", p)
    assert_clean_error(res, str(p), "version 99")


def test_workload_file_not_json(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text("not json")
    res = invoke("run", "cpu-ddr5", p)
    assert_clean_error(res, str(p), "not valid JSON")


def test_unknown_engine():
    res = invoke("run", "cpu-ddr5", "gru", "--engine", "warp")
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    assert "warp" in res.output


def test_compare_bad_config(tmp_path):
    missing = tmp_path / "nope.yaml"
    res = invoke("compare", "-w", "gru", missing)
    assert_clean_error(res, "nope.yaml")


def test_mapping_error_is_clean(tmp_path):
    # a processor without a bf16 rate cannot run a bf16 workload: one clear line
    d = yaml.safe_load((bundled.configs_dir() / "cpu-ddr5.yaml").read_text())
    del d["processor"]["macs_per_cycle_per_core"]["bf16"]
    cfg = tmp_path / "no-bf16.yaml"
    cfg.write_text(yaml.safe_dump(d, sort_keys=False))
    from cimsim.workload import save_workload
    from cimsim.workload.generators import lstm

    wl = tmp_path / "bf16.json"
    save_workload(lstm(8, 8, 1, steps=2, dtype="bf16"), wl)
    res = invoke("run", cfg, wl)
    assert_clean_error(res, "bf16")


def test_run_set_overrides_a_field():
    # gpu-hbm3 at half its HBM bandwidth: the memory-bound LSTM gets slower, its MACs do not change
    base = json.loads(invoke("run", "gpu-hbm3", "lstm", "--json").output)
    half = invoke("run", "gpu-hbm3", "lstm", "--json", "--set", "memory.dram.bandwidth=1.675TB/s")
    assert half.exit_code == 0, half.output
    half = json.loads(half.output)
    assert half["macs"] == base["macs"]
    assert 1.5 < half["latency_s"] / base["latency_s"] < 2.0


@pytest.mark.parametrize("arg, needle", [
    ("memory.dram.bandwidth", "expected PATH=VALUE"),
    ("memory.dram.bandwith=1TB/s", "'memory.dram.bandwith' is not a field"),
    ("memory.hbm.bandwidth=1TB/s", "has no 'memory.hbm'; it has memory.sram, memory.dram"),
    ("memory.dram.bandwidth=1GHz", "needs bandwidth"),
])
def test_run_set_errors_are_one_line(arg, needle):
    res = invoke("run", "gpu-hbm3", "lstm", "--set", arg)
    assert res.exit_code != 0
    assert needle in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_json_with_placement_carries_the_per_op_table():
    """`run --json --placement` built the op table and printed none of it (a reviewer)."""
    import json

    res = invoke("run", "gpu-hbm3", "gru", "--engine", "analytic", "--json", "--placement")
    assert res.exit_code == 0
    d = json.loads(res.output)
    assert len(d["placement"]) == d["ops"]  # one object per op
    assert sum(r["macs"] for r in d["placement"]) == d["macs"]
    assert not json.loads(invoke("run", "gpu-hbm3", "gru", "--engine", "analytic", "--json").output).get("placement")


def test_a_set_path_given_twice_is_refused():
    """`--set processor.cores=1 --set processor.cores=64` ran with 64 and no word (a reviewer),
    where a YAML file's duplicate key and sweep's repeated --param are refused."""
    res = invoke("run", "gpu-hbm3", "lstm", "--set", "processor.cores=1", "--set", "processor.cores=64")
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "--set processor.cores is given more than once ('1', then '64'); give it once" in res.output


@pytest.mark.parametrize("args", [
    ["run", "gpu-hbm3", "tcn", "--trace", "{blocker}/t.json"],
    ["compare", "gpu-hbm3", "-w", "tcn", "-o", "{blocker}/c.csv"],
    ["report", "gpu-hbm3", "-w", "tcn", "-o", "{blocker}/report"],
])
def test_an_output_that_cannot_be_written_is_one_line_before_the_runs(tmp_path, args):
    """An output under a file (not a folder) is refused in one line naming the option, before
    anything is simulated (no table printed first), never a traceback."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    res = CliRunner().invoke(main, [a.format(blocker=blocker) for a in args])
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.exception
    out = res.output.strip()
    assert len(out.splitlines()) == 1 and "cannot write there" in out and "not a folder" in out, out


def test_run_trace_and_compare_csv_are_written_whole(tmp_path):
    """--trace and compare -o leave no temporary file beside the output (written then renamed)."""
    r = CliRunner().invoke(main, ["run", "gpu-hbm3", "tcn", "--trace", str(tmp_path / "t.json")])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["compare", "gpu-hbm3", "-w", "tcn", "-o", str(tmp_path / "c.csv")])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv", "t.json"]
    assert json.loads((tmp_path / "t.json").read_text())["traceEvents"]


@pytest.mark.parametrize("suffix, ok", [(".json", True), (".npz", True), (".NPZ", True),
                                        (".txt", False), (".csv", False), ("", False)])
def test_workload_output_must_be_json_or_npz(tmp_path, suffix, ok):
    """`cimsim workload ... -o l.txt` wrote JSON under a name that says otherwise: refused in
    one line naming the allowed forms; .json and .npz (any case) are written and load back."""
    out = tmp_path / f"l{suffix}"
    r = CliRunner().invoke(main, ["workload", "lstm", "--input-size", "4", "--hidden", "4",
                                  "--steps", "2", "-o", str(out)])
    if ok:
        assert r.exit_code == 0, r.output
        from cimsim.workload import load_workload
        assert load_workload(out).macs == 2 * 4 * (4 * 4 + 4 * 4)  # 2 steps x 4 gates x (I + H) x H
    else:
        assert r.exit_code == 2 and "a workload file is .json, or .npz for the columnar form" in r.output
        assert not out.exists()


def test_compare_output_must_be_csv(tmp_path):
    """compare -o out.xlsx wrote CSV under an Excel name: refused before any run."""
    r = CliRunner().invoke(main, ["compare", "gpu-hbm3", "-w", "tcn", "-o", str(tmp_path / "out.xlsx")])
    assert r.exit_code == 2 and "compare writes CSV; name the file .csv" in r.output
    assert not (tmp_path / "out.xlsx").exists()


def test_a_workload_given_where_a_config_goes_says_so(tmp_path):
    """`compare CFG -w a.json b.json`: -w takes one file, so b.json was read as a config and the
    error spoke of "unknown component type 'metadata'"."""
    from cimsim.workload import save_workload
    from cimsim.workload.generators import lstm

    a, b = tmp_path / "a.json", tmp_path / "b.json"
    save_workload(lstm(8, 8, 1, steps=2), a)
    save_workload(lstm(8, 8, 1, steps=2), b)
    res = invoke("compare", "gpu-hbm3", "-w", a, b)
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1, res.output
    assert f"{b} is a workload, given where a config goes: name each workload with its own -w" in res.output


def test_off_chip_traffic_where_no_level_is_off_chip(tmp_path):
    """final read 22-2 4: examples/edge-cim.yaml's backing store, the MCU flash, is `off_chip:
    false`, so no level is off the chip, and the cell read `0 B ()`."""
    from cimsim import simulate
    from cimsim.report.format import off_chip_traffic
    from cimsim.workload.io import save_workload
    from conftest import gemv_workload

    wl, w = gemv_workload(256, 256, dtype="int8"), tmp_path / "g.json"
    save_workload(wl, w)
    cfg = str(Path(__file__).resolve().parents[2] / "examples" / "edge-cim.yaml")
    a = load_architecture(cfg)
    assert a.hardware.off_chip == ()
    r = simulate(a, wl, engine="analytic", keep_ops=False)
    assert off_chip_traffic(a.hardware, r.traffic_bytes) == "none (no off-chip level)"
    res = invoke("compare", cfg, "-w", w, "--engine", "analytic")
    assert res.exit_code == 0, res.output
    assert "()" not in res.output and "none (no" in res.output  # the cell wraps


def test_compare_and_report_name_the_pair_that_refused(tmp_path):
    """final read 22-2 3: `compare examples/edge-cim.yaml rram-cim -w g.json -w vlm.json` said only
    `processor 'processor' has no processor.macs_per_cycle_per_core.fp16`: which config, which
    workload? Now as `run` says it, with the pair: FILE: ARCH running WORKLOAD: ..."""
    from cimsim.workload.io import save_workload
    from conftest import gemv_workload

    ok, fp16 = tmp_path / "ok.json", tmp_path / "h.json"
    save_workload(gemv_workload(64, 64, dtype="int8", name="ok"), ok)
    save_workload(gemv_workload(64, 64, dtype="fp64", name="half"), fp16)  # no component models fp64
    cfg = Path(__file__).resolve().parents[2] / "examples" / "edge-cim.yaml"
    for cmd in (["compare"], ["report", "-o", str(tmp_path / "rep")]):
        res = invoke(*cmd, cfg, "-w", ok, "-w", fp16, "--engine", "analytic")
        assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1, res.output
        assert res.output.startswith(f"Error: {cfg}: edge-cim running half: "), res.output
        assert "fp64" in res.output


@pytest.mark.slow
def test_the_report_says_no_level_is_off_chip(tmp_path):
    """final read 22-2 4, the HTML report's table (`3.232 mm² 0 B () flash_bw`)."""
    from cimsim.workload.io import save_workload
    from conftest import gemv_workload

    w = tmp_path / "g.json"
    save_workload(gemv_workload(256, 256, dtype="int8"), w)
    cfg = str(Path(__file__).resolve().parents[2] / "examples" / "edge-cim.yaml")
    res = invoke("report", cfg, "-w", w, "--engine", "analytic", "-o", str(tmp_path / "rep"))
    assert res.exit_code == 0, res.output
    html = "".join(p.read_text() for p in (tmp_path / "rep").rglob("*.html"))
    assert "none (no off-chip level)" in html.replace("\u00a0", " ").replace("&nbsp;", " ")


def test_compare_counts_every_off_chip_level_as_off_chip_traffic():
    """tpu-like's weight DDR3 (`off_chip: true`) carries the LSTM's weights: the bundled LSTM's
    recurrent and input GEMVs stream each 4H x H gate matrix (8-bit in the array) from it at
    every use, so its
    off-chip traffic is that level's bytes plus the host DRAM's, each read off the run; the
    column showed the DRAM alone. A level without the flag (gpu-hbm3's SRAM) is not counted."""
    from cimsim import load_workload, simulate
    from cimsim.report.format import off_chip_traffic, si

    tpu = load_architecture("tpu-like")
    assert tpu.hardware.off_chip == ("weights", "dram")
    assert load_architecture("gpu-hbm3").hardware.off_chip == ("dram",)
    r = simulate(tpu, load_workload("lstm"), engine="analytic", keep_ops=False)
    # the 200 recurrent steps' 4 x 2048 x 2048 weights at the array's 8 bits (2 layers x 100
    # steps: 3.355 GB) and the two input projections' (33.55 MB), 3.389 GB
    assert r.traffic_bytes["weights"] == 202 * 4 * 2048 * 2048 * 1
    both = r.traffic_bytes["weights"] + r.traffic_bytes["dram"]
    text = off_chip_traffic(tpu.hardware, r.traffic_bytes)
    assert text == f"{si(both, 'B')} (weights + dram)"
    res = invoke("compare", "tpu-like", "-w", "lstm", "--engine", "analytic")
    assert res.exit_code == 0, res.output
    assert text in res.output
