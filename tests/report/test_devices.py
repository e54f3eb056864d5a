"""The run summary's energy, efficiency and power lines of a parallel run count all its devices
(report/devices.py; find-G 3), and so do the ``system_*`` result columns of ``compare -o`` and a
sweep, compare's power and area cells and the efficiency figure (review14-1 #2).

Goldens in closed form from the run's own MACs, latency and energy parts (``run --json``): a
device of ROUND_ARCH draws 1 W static and declares 10 mm², so over the latency ``L``

- pipeline parallel, p = 2 stages on one device each: the workload's MACs are both stages',
  energy = E_dynamic + 2 x (1 W x L), area 2 x 10 mm², power = energy / L; tokens/J divides the
  tokens by that same energy (GPipe, one micro-batch: report/pipeline.py);
- tensor parallel, tp = 2: the workload is one device's share, so the ops are 2 x 2 x MACs over
  2 x E: OPS/W is one device's, the area and the power twice one device's.
"""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.report.format import area, si

from conftest import ROUND_ARCH

TINY = ["--layers", "2", "--hidden", "32", "--heads", "8", "--kv-heads", "2", "--ffn", "48",
        "--vocab", "20", "--prompt", "4", "--decode", "2", "--batch", "2", "--dtype", "fp32"]
STATIC_W, AREA_MM2 = 1.0, 10.0


def _two_device_files(tmp_path, parallel: list[str]):
    """The round machine with 10 mm² and a 2-device collective, and the tiny LLM run on it."""
    d = copy.deepcopy(ROUND_ARCH)
    d["processor"]["area"] = f"{AREA_MM2} mm^2"
    d["links"] = {"c2c": {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}}
    d["collective"] = {"devices": 2, "link": "c2c"}
    cfg = tmp_path / "two.yaml"
    cfg.write_text(yaml.safe_dump(d, sort_keys=False))
    wl = tmp_path / "w.json"
    made = CliRunner().invoke(main, ["workload", "llm", *TINY, *parallel, "-o", str(wl)])
    assert made.exit_code == 0, made.output
    return cfg, wl


def _runs(tmp_path, parallel: list[str]):
    cfg, wl = _two_device_files(tmp_path, parallel)
    text = CliRunner(env={"COLUMNS": "400"}).invoke(main, ["run", str(cfg), str(wl)])
    js = CliRunner().invoke(main, ["run", str(cfg), str(wl), "--json"])
    assert text.exit_code == 0 and js.exit_code == 0, text.output + js.output
    return text.output, json.loads(js.stdout)


def _line(text: str, name: str) -> str:
    return next(x for x in text.splitlines() if x.startswith(f"  {name} "))


def test_pipeline_parallel_lines_count_both_devices(tmp_path):
    text, d = _runs(tmp_path, ["--pipeline-parallel", "2"])
    L, macs = d["latency_s"], d["macs"]
    static = d["energy_breakdown_j"]["static"]
    assert static == pytest.approx(STATIC_W * L, rel=1e-12, abs=0)  # one device's, over the latency
    energy = (d["energy_j"] - static) + 2 * STATIC_W * L
    tokens = 2 * (1 + 2)  # batch 2, one prefill token and 2 decoded each
    assert d["tokens_per_j"] == pytest.approx(tokens / energy, rel=1e-12, abs=0)  # the same system
    ops_per_j = 2 * macs / energy
    assert ops_per_j < 0.9 * d["ops_per_j"]  # the one device's figure overstated it
    ops_per_mm2 = 2 * macs / L / (2 * AREA_MM2)
    power = energy / L
    assert _line(text, "efficiency").split()[1:] == (
        f"{si(ops_per_j, 'OPS/W')}, {si(ops_per_mm2, 'OPS/mm²')} over {area(2 * AREA_MM2 * 1e-6)} "
        "(all 2 devices: 2 pipeline stages)").split()
    # find-B 2: the density leaves out the off-chip DRAM's access power (one device runs both
    # stages in turn, so its DRAM energy is already the two stages'; the DRAM states no static)
    die = power - d["energy_breakdown_j"]["dram"] / L
    assert (f"{si(power, 'W')} average (energy / latency), {si(die / (2 * AREA_MM2), 'W/mm²')} "
            "over 20 mm² (less what is dissipated off the die: dram ") in _line(text, "power")
    assert "(all 2 devices" in _line(text, "power")
    assert f"all 2 devices: {si(energy, 'J')}" in _line(text, "energy")
    assert "all 2 pipeline stages" in _line(text, "work")
    assert d["one_device_share"] is True and list(d)[:3] == ["workload", "architecture",
                                                               "one_device_share"]


def test_tensor_parallel_lines_are_the_share_times_the_devices(tmp_path):
    text, d = _runs(tmp_path, ["--tensor-parallel", "2"])
    L, macs, E = d["latency_s"], d["macs"], d["energy_j"]
    ops_per_j = (2 * 2 * macs) / (2 * E)  # = one device's share over its energy
    assert ops_per_j == pytest.approx(d["ops_per_j"], rel=1e-12, abs=0)
    ops_per_mm2 = (2 * 2 * macs) / L / (2 * AREA_MM2)
    assert _line(text, "efficiency").split()[1:] == (
        f"{si(ops_per_j, 'OPS/W')}, {si(ops_per_mm2, 'OPS/mm²')} over 20 mm² (all 2 devices: "
        "2-way tensor parallel; one device's ratios the same)").split()
    assert _line(text, "power").split()[1:3] == si(2 * E / L, "W").split()
    assert "one device's share of 2 tensor-parallel devices" in _line(text, "work")
    # the vector ops are that device's too (review 23 E 4)
    assert "one device's of 2 tensor-parallel devices (" in _line(text, "work").split("vector ops")[1]
    assert d["one_device_share"] is True
    # review 23 F 6: the peak is one device's (4 cores x 1 GHz x 8 fp32 MAC x 2 = 64 GOPS), said so
    assert _line(text, "peak").split()[1:8] == "processor 64 GOPS (one device's, of 2;".split()


def test_tensor_parallel_energy_per_sample_is_the_systems(tmp_path):
    """Review of find-D 2 (D 2): j_per_sample was one device's energy over the requests,
    half what the same run's tokens/J implies at tp = 2. A request now costs the energy of all
    the devices: 2 x E / 2 requests, so j_per_sample x requests = tokens / tokens_per_j
    (2 requests of 1 prefill + 2 decoded tokens)."""
    text, d = _runs(tmp_path, ["--tensor-parallel", "2"])
    E = d["energy_j"]
    assert d["j_per_sample"] == pytest.approx(2 * E / 2, rel=1e-12, abs=0)
    assert d["j_per_sample"] * 2 == pytest.approx(6 / d["tokens_per_j"], rel=1e-12, abs=0)
    assert f"{si(2 * E / 2, 'J')} per sample (all 2 devices)" in _line(text, "per sample")


def test_pipeline_parallel_energy_per_sample_is_the_systems(tmp_path):
    """2 stages: a request of the micro-batch costs E_dynamic + 2 x 1 W x L over its requests
    (the energy tokens/J divides by), not one device's."""
    text, d = _runs(tmp_path, ["--pipeline-parallel", "2"])
    L = d["latency_s"]
    energy = d["energy_j"] - STATIC_W * L + 2 * STATIC_W * L
    n = d["samples_per_s"] * L  # the micro-batch's requests
    assert n == pytest.approx(round(n), rel=1e-12, abs=0) and round(n) >= 1
    assert d["j_per_sample"] == pytest.approx(energy / round(n), rel=1e-12, abs=0)
    assert "per sample (all 2 devices)" in _line(text, "per sample")


def test_one_device_run_keeps_its_lines_and_json(tmp_path):
    d = copy.deepcopy(ROUND_ARCH)
    d["processor"]["area"] = f"{AREA_MM2} mm^2"
    cfg = tmp_path / "one.yaml"
    cfg.write_text(yaml.safe_dump(d, sort_keys=False))
    wl = tmp_path / "w.json"
    assert CliRunner().invoke(main, ["workload", "llm", *TINY, "-o", str(wl)]).exit_code == 0
    text = CliRunner(env={"COLUMNS": "400"}).invoke(main, ["run", str(cfg), str(wl)]).output
    js = json.loads(CliRunner().invoke(main, ["run", str(cfg), str(wl), "--json"]).stdout)
    assert "one_device_share" not in js and "devices" not in text
    assert "one device" not in _line(text, "peak")  # review 23 F 6: no scope mark on one device
    assert _line(text, "efficiency").split()[1:3] == f"{si(js['ops_per_j'], 'OPS/W')},".split()
    assert _line(text, "energy").split()[1:] == si(js["energy_j"], "J").split()
    assert js["system_devices"] == 1  # the system columns: the plain ones, bit for bit
    for plain in ("energy_j", "area_m2", "ops_per_j", "ops_per_s_per_m2", "average_power_w"):
        assert js[f"system_{plain}"] == js[plain], plain


SYSTEM_KEYS = ("system_devices", "system_energy_j", "system_area_m2", "system_ops_per_j",
               "system_ops_per_s_per_m2", "system_average_power_w")


def _system_closed_form(row) -> dict:
    """The 2-stage pipeline's system figures in closed form from its row (a CSV or sweep row):
    E = E_dynamic + 2 x 1 W x L over 2 x 10 mm² (review14-1 #2)."""
    L, macs = float(row["latency_s"]), float(row["macs"])
    assert float(row["energy_static_j"]) == pytest.approx(STATIC_W * L, rel=1e-12, abs=0)
    energy = float(row["energy_j"]) - STATIC_W * L + 2 * STATIC_W * L
    return {"system_devices": 2, "system_energy_j": energy, "system_area_m2": 2 * AREA_MM2 * 1e-6,
            "system_ops_per_j": 2 * macs / energy,
            "system_ops_per_s_per_m2": 2 * macs / L / (2 * AREA_MM2 * 1e-6),
            "system_average_power_w": energy / L}


def test_compare_csv_and_table_count_both_pipeline_devices(tmp_path):
    import pandas as pd

    cfg, wl = _two_device_files(tmp_path, ["--pipeline-parallel", "2"])
    out = tmp_path / "c.csv"
    res = CliRunner(env={"COLUMNS": "400"}).invoke(main, ["compare", str(cfg), "-w", str(wl), "-o", str(out)])
    assert res.exit_code == 0, res.output
    row = pd.read_csv(out).iloc[0]
    want = _system_closed_form(row)
    for key in SYSTEM_KEYS:
        assert float(row[key]) == pytest.approx(want[key], rel=1e-12, abs=0), key
    # the plain columns stay the simulated device's: every stage's ops over one device's energy
    assert row["ops_per_j"] == pytest.approx(2 * row["macs"] / row["energy_j"], rel=1e-12, abs=0)
    assert row["ops_per_j"] > 1.1 * row["system_ops_per_j"]
    assert row["area_m2"] == pytest.approx(AREA_MM2 * 1e-6, rel=1e-12, abs=0)
    # the table's power and area cells are the system's, marked
    line = next(x for x in res.output.splitlines() if "(1d)" in x)
    assert f"{si(want['system_average_power_w'], 'W')} (all 2)" in line, line
    assert f"{area(2 * AREA_MM2 * 1e-6)} (all 2)" in line, line
    assert "(all N) power, area and efficiency of all N devices" in res.output


def test_sweep_rows_and_efficiency_figure_count_both_pipeline_devices(tmp_path):
    import pandas as pd

    from cimsim.plot.figures import efficiency_vs_param

    cfg, wl = _two_device_files(tmp_path, ["--pipeline-parallel", "2"])
    out = tmp_path / "s.parquet"
    res = CliRunner().invoke(main, ["sweep", str(cfg), "-w", str(wl), "--param",
                                    "processor.cores=4,8", "-o", str(out)])
    assert res.exit_code == 0, res.output
    df = pd.read_parquet(out)
    assert len(df) == 2 and df["error"].isna().all()
    for _, row in df.iterrows():
        want = _system_closed_form(row)
        for key in SYSTEM_KEYS:
            assert float(row[key]) == pytest.approx(want[key], rel=1e-12, abs=0), key
    fig = efficiency_vs_param(df, "processor.cores")
    label = fig.axes[0].get_ylabel()
    assert label.startswith("energy efficiency, all devices [") and label.endswith("OPS/W]"), label
    scale = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}[label.split("[")[1][:-len("OPS/W]")]]
    drawn = sorted(y * scale for ln in fig.axes[0].get_lines() for y in ln.get_ydata())
    assert drawn == pytest.approx(sorted(2 * df["macs"] / df["system_energy_j"]), rel=1e-9, abs=0)

