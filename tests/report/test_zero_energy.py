"""A design whose energies are all 0 (a latency-only study) has no per-joule figure: OPS/W,
tokens/J, the pipelined OPS/W and an energy ratio against such a baseline are undefined, printed
``n/a ... (no energy counted)`` and null in --json / CSV; they were printed `nan OPS/W` and
written as `"ops_per_j": NaN`, which is not JSON."""

from __future__ import annotations

import json
import math
import re

import pytest
import yaml
from click.testing import CliRunner

from cimsim.bundled import resolve_config
from cimsim.cli import main
from cimsim.workload.io import save_workload
from cimsim.workload.llm import LLMModel, llm_serving

ZERO = {
    "processor.static_power": "0W", "processor.energy_per_mac.fp32": "0J",
    "processor.energy_per_mac.int8": "0J", "processor.energy_per_mac.bf16": "0J",
    "processor.energy_per_mac.fp16": "0J", "processor.energy_per_vector_op": "0J",
    "memory.sram.energy_per_byte": "0J/B", "memory.dram.energy_per_bit": "0J/bit",
    "links.interconnect.energy_per_bit": "0J/bit", "cim.adc.energy_per_conversion": "0J",
    "cim.buffer.energy_per_byte": "0J/B", "cim.static_power": "0W", "cim.write_energy": "0J",
}
SETS = [a for k, v in ZERO.items() for a in ("--set", f"{k}={v}")]
NAN = re.compile(r"\bnan\b|\binf\b", re.I)


def strict_json(text: str) -> dict:
    """Parse as JSON, refusing NaN / Infinity (Python's json accepts them by default)."""
    def refuse(c):
        raise ValueError(f"{c} is not JSON")
    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def serving(tmp_path_factory):
    """2 requests of 16 prompt tokens, 2 decode steps each: 2 x (1 + 2) = 6 output tokens."""
    path = tmp_path_factory.mktemp("w") / "llm.json"
    m = LLMModel(layers=2, hidden=64, heads=4, kv_heads=2, ffn=128, vocab=100, head_dim=16, gated=True)
    save_workload(llm_serving(m, prompt=16, decode=2, batch=2), path)
    return path


@pytest.fixture(scope="module")
def zero_yaml(tmp_path_factory):
    """sram-cim with every energy field 0, named sram-cim-zero (the bundled file, key order kept)."""
    d = yaml.safe_load(resolve_config("sram-cim").read_text())
    d["name"] = "sram-cim-zero"
    for path, value in ZERO.items():
        *head, last = path.split(".")
        node = d
        for k in head:
            node = node[k]
        node[last] = value
    out = tmp_path_factory.mktemp("c") / "zero.yaml"
    out.write_text(yaml.safe_dump(d, sort_keys=False))
    return out


def test_run_with_no_energy_prints_n_a_and_writes_null():
    r = CliRunner().invoke(main, ["run", "sram-cim", "lstm", "--engine", "analytic", *SETS])
    assert r.exit_code == 0, r.output
    assert not NAN.search(r.output), r.output
    assert re.search(r"efficiency\s+n/a OPS/W \(no energy counted\), \S+ \S*OPS/mm²", r.output)
    assert re.search(r"\(none\)\s+│\s+0 J\s+│\s+n/a \(no energy counted\)", r.output)
    r = CliRunner().invoke(main, ["run", "sram-cim", "lstm", "--engine", "analytic", "--json", *SETS])
    assert r.exit_code == 0, r.output
    d = strict_json(r.output)
    assert d["energy_j"] == 0 and d["ops_per_j"] is None
    # the figures that do not divide by energy stay numbers: 2 x MACs / latency / area
    assert d["ops_per_s_per_m2"] == pytest.approx(2 * d["macs"] / d["latency_s"] / d["area_m2"], rel=1e-12, abs=0)


def test_serving_with_no_energy_has_no_tokens_per_joule(serving):
    r = CliRunner().invoke(main, ["run", "sram-cim", str(serving), "--engine", "analytic", "--json", *SETS])
    assert r.exit_code == 0, r.output
    d = strict_json(r.output)
    assert d["tokens_per_j"] is None and d["ops_per_j"] is None
    assert d["tokens_per_s"] == pytest.approx(6 / d["latency_s"], rel=1e-12, abs=0)  # 6 tokens / latency
    r = CliRunner().invoke(main, ["run", "sram-cim", str(serving), "--engine", "analytic", *SETS])
    assert r.exit_code == 0 and not NAN.search(r.output), r.output
    assert "n/a tokens/J (no energy counted)" in " ".join(r.output.split())


def test_compare_and_report_against_a_baseline_with_no_energy(tmp_path, serving, zero_yaml):
    csv = tmp_path / "c.csv"
    r = CliRunner().invoke(main, ["compare", str(zero_yaml), "sram-cim", "-w", str(serving), "--engine",
                                  "analytic", "--baseline", "sram-cim-zero", "-o", str(csv)])
    assert r.exit_code == 0, r.output
    assert not NAN.search(r.output), r.output
    assert "n/a (no" in r.output  # the energy ratio against sram-cim-zero (its cell wraps)
    import pandas as pd
    df = pd.read_csv(csv).set_index("architecture")
    assert math.isnan(df.loc["sram-cim-zero", "ops_per_j"]) and math.isnan(df.loc["sram-cim-zero", "tokens_per_j"])
    assert df.loc["sram-cim", "ops_per_j"] > 0  # the baseline's ratio is undefined, not the run's
    out = tmp_path / "rep"
    r = CliRunner().invoke(main, ["report", str(zero_yaml), "sram-cim", "-w", str(serving), "--engine",
                                  "analytic", "--baseline", "sram-cim-zero", "-o", str(out), "--no-timelines"])
    assert r.exit_code == 0, r.output
    html = re.sub(r"data:image/[^\"']*", "", (out / "report.html").read_text())
    cells = re.findall(r">([^<>]*)<", html)
    assert not [c for c in cells if NAN.search(c)]
    assert "n/a OPS/W (no energy counted)" in cells and "n/a tokens/J (no energy counted)" in cells
    assert "n/a (no baseline energy)" in cells
