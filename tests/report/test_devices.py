"""The run summary's energy, efficiency and power lines of a parallel run count all its devices
(report/devices.py; find-G 3).

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


def _runs(tmp_path, parallel: list[str]):
    d = copy.deepcopy(ROUND_ARCH)
    d["processor"]["area"] = f"{AREA_MM2} mm^2"
    d["links"] = {"c2c": {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}}
    d["collective"] = {"devices": 2, "link": "c2c"}
    cfg = tmp_path / "two.yaml"
    cfg.write_text(yaml.safe_dump(d, sort_keys=False))
    wl = tmp_path / "w.json"
    made = CliRunner().invoke(main, ["workload", "llm", *TINY, *parallel, "-o", str(wl)])
    assert made.exit_code == 0, made.output
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
    assert (f"{si(power, 'W')} average (energy / latency), {si(power / (2 * AREA_MM2), 'W/mm²')} "
            f"over 20 mm² (all 2 devices") in _line(text, "power")
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
    assert d["one_device_share"] is True


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
    assert _line(text, "efficiency").split()[1:3] == f"{si(js['ops_per_j'], 'OPS/W')},".split()
    assert _line(text, "energy").split()[1:] == si(js["energy_j"], "J").split()
