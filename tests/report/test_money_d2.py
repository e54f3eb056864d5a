"""find2-D's cost findings: off-chip memory named and priced (1), wafer price per node (2), the
energy the components not costed draw (3), no price for an unbuildable design (4), the yield-critical
area (5), the note on flat replicating CIM rows (6), a sweep's parameters in the printed table (7),
PUE and a per-system price (8), edge exclusion and scribe line (9), a run's --json (10).

Goldens are closed forms written out here; the rows are real simulate() runs (hier-attn, analytic)."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cimsim import PhysicalPlausibilityWarning, simulate
from cimsim.bundled import resolve_config, resolve_workload
from cimsim.cli import main
from cimsim.config.loader import architecture_from_dict, load_architecture
from cimsim.report import columns as C
from cimsim.report.money import cost, die_yield, dies_per_wafer
from cimsim.report.money_table import shown, table_notes
from cimsim.workload.io import load_workload

WL = load_workload(resolve_workload("hier-attn"))
DIE = 17000 / (63 * ((1 - math.exp(-0.814)) / 0.814) ** 2)  # GH100: 63 dies, Murphy at A D0 = 0.814
KWH = 1e6 / 3.6e6 * 0.1  # $ of 1 J per sample over 1e6 samples at $0.1 / kWh


@pytest.fixture(scope="module")
def results():
    return {c: simulate(load_architecture(resolve_config(c)), WL, engine="analytic") for c in ("gpu-hbm3", "sram-cim")}


def test_off_chip_memory_is_named_and_priced_per_gb_with_a_system_price_and_pue(results):  # find-D2 1, 8
    gpu = results["gpu-hbm3"].record()
    out = cost(pd.DataFrame([gpu]), 17000).iloc[0]
    # gpu-hbm3's HBM3: 80 GiB = 85,899,345,920 B, drawing power in the run; not costed, so named
    assert gpu[C.BACKING_CAPACITY_BYTES] == 80 * 2 ** 30 and gpu[C.OFFCHIP_MEMORY_POWER_W] > 0
    assert out[C.COST_NOT_COSTED].startswith("off-chip memory (80 GiB backing store")
    assert "--memory-usd-per-gb" in out[C.COST_NOT_COSTED] and math.isnan(out[C.OFFCHIP_MEMORY_USD])
    assert out[C.CAPEX_USD] == pytest.approx(DIE, rel=1e-12, abs=0)
    # $12 / GB: 85.899345920 GB x 12 = $1,030.79; + $1,000 once per system; PUE 1.5 on the energy
    priced = cost(pd.DataFrame([gpu, dict(gpu, **{C.SYSTEM_DEVICES: 2})]), 17000, memory_usd_per_gb=12.0,
                  system_usd=1000.0, pue=1.5)
    one, two = priced.iloc[0], priced.iloc[1]
    assert one[C.OFFCHIP_MEMORY_USD] == pytest.approx(1030.7921510, rel=1e-9, abs=0)
    assert one[C.CAPEX_USD] == pytest.approx(DIE + 1030.7921510 + 1000, rel=1e-9, abs=0)
    assert two[C.CAPEX_USD] == pytest.approx(2 * (DIE + 1030.7921510) + 1000, rel=1e-9, abs=0)
    assert one[C.COST_NOT_COSTED] == "none"
    q, p_s, dyn = gpu[C.SAMPLES_PER_S], gpu[C.STATIC_POWER_W], gpu[C.DYNAMIC_J_PER_SAMPLE]
    assert one[C.ENERGY_USD_PER_1M_SAMPLES] == pytest.approx(1.5 * (p_s / q + dyn) * KWH, rel=1e-9, abs=0)
    # a package price does not hold it: still named (review D2 2)
    assert cost(pd.DataFrame([gpu]), 17000, package_usd=1500.0).iloc[0][C.COST_NOT_COSTED].startswith(
        "off-chip memory (80 GiB")


def test_the_energy_of_the_components_not_costed_is_its_own_column(results):  # find-D2 3
    r = results["sram-cim"].record()
    out = cost(pd.DataFrame([r]), 17000, memory_usd_per_gb=12.0).iloc[0]  # its DDR priced (review D2 3)
    # the 40 W Xeon host (no area) draws 40 W / q between samples plus its share of the dynamic energy
    assert r[C.static_power_column("processor")] == 40.0
    share = r[C.energy_column("processor_compute")] / (r[C.ENERGY] - r[C.energy_column("static")])
    host = 40.0 / r[C.SAMPLES_PER_S] + share * r[C.DYNAMIC_J_PER_SAMPLE]
    assert out[C.ENERGY_USD_PER_1M_SAMPLES_NOT_COSTED] == pytest.approx(host * KWH, rel=1e-9, abs=0)
    assert 0 < out[C.ENERGY_USD_PER_1M_SAMPLES_NOT_COSTED] < out[C.ENERGY_USD_PER_1M_SAMPLES]
    gpu = cost(pd.DataFrame([results["gpu-hbm3"].record()]), 17000, memory_usd_per_gb=12.0).iloc[0]
    assert gpu[C.ENERGY_USD_PER_1M_SAMPLES_NOT_COSTED] == 0.0  # everything it has is costed


def test_a_design_the_run_calls_implausible_gets_no_price(tmp_path):  # find-D2 4
    raw = yaml.safe_load(resolve_config("gpu-hbm3").read_text())
    raw["processor"]["area"] = "80000 mm^2"  # 800 cm², more than a 300 mm wafer's 706.9 cm²
    with pytest.warns(PhysicalPlausibilityWarning, match="not a buildable design"):
        res = simulate(architecture_from_dict(raw), WL, engine="analytic")
    assert res.physically_plausible is False
    out = cost(pd.DataFrame([res.record()]), 17000).iloc[0]
    assert math.isnan(out[C.CAPEX_USD]) and math.isnan(out[C.USD_PER_1M_SAMPLES])
    assert out[C.COST_NOT_COSTED].startswith("everything (more silicon than a whole 300 mm wafer")
    csv = tmp_path / "bad.csv"  # through a CSV the flag reads back as text "False"
    pd.DataFrame([res.record()]).to_csv(csv, index=False)
    ran = CliRunner().invoke(main, ["cost", str(csv), "--wafer-usd", "17000", "-o", str(tmp_path / "c.csv")])
    assert ran.exit_code == 0, ran.output
    assert math.isnan(pd.read_csv(tmp_path / "c.csv")[C.CAPEX_USD].iloc[0])


def test_edge_exclusion_scribe_and_critical_area():  # find-D2 9, 5
    # 3 mm edge: r = 147 mm: pi 147² / 814 - 2 pi 147 / sqrt(1628) = 83.397 - 22.891 = 60.5 -> 60
    assert dies_per_wafer(814e-6, edge_exclusion_m=0.003) == 60
    # 10 mm² with a 0.1 mm scribe: side 3.16228 + 0.1 = 3.26228 mm, A' = 10.6425 mm²;
    # pi 150² / 10.6425 - 2 pi 150 / sqrt(21.2850) = 6641.7 - 204.28 = 6437.4 -> 6437 (7,068.6 - 210.7 -> 6857 without)
    assert dies_per_wafer(10e-6) == 6857
    assert dies_per_wafer(10e-6, scribe_m=1e-4) == 6437
    # 70 % of 814 mm² critical: A D0 = 0.5698, Murphy ((1 - e^-0.5698) / 0.5698)² = 0.58111
    assert die_yield(814e-6, 0.1, critical_fraction=0.7) == pytest.approx(
        ((1 - math.exp(-0.5698)) / 0.5698) ** 2, rel=1e-12, abs=0)
    assert die_yield(814e-6, 0.1, critical_fraction=0.7) == pytest.approx(0.58111, abs=1e-5)


def test_per_node_prices_fractions_per_component_and_the_cli(results, tmp_path):  # find-D2 2, 5, 9
    gpu = results["gpu-hbm3"].record()
    n4 = dict(gpu, **{C.TECHNOLOGY_NODE_M: 4e-9})
    out = cost(pd.DataFrame([n4, gpu]), 9000, wafer_usd_per_node={4e-9: 17000.0},
               critical_area_fraction={"processor": 0.7})
    y7 = ((1 - math.exp(-0.5698)) / 0.5698) ** 2
    assert out.iloc[0][C.CAPEX_USD] == pytest.approx(17000 / (63 * y7), rel=1e-12, abs=0)  # $464.4
    assert out.iloc[1][C.CAPEX_USD] == pytest.approx(9000 / (63 * y7), rel=1e-12, abs=0)  # no node: --wafer-usd
    with pytest.raises(ValueError, match=r"prices no row of gpu-hbm3 \(no node\)"):
        cost(pd.DataFrame([gpu]), None, wafer_usd_per_node={4e-9: 17000.0})
    with pytest.raises(ValueError, match=r"gpu-hbm3 \(4 nm\)"):
        cost(pd.DataFrame([n4]), 9000, wafer_usd_per_node={22e-9: 3500.0})
    csv = tmp_path / "r.csv"
    pd.DataFrame([n4]).to_csv(csv, index=False)
    run = CliRunner().invoke
    ok = run(main, ["cost", str(csv), "--wafer-usd-per-node", "22nm=3500,4nm=17000", "--edge-exclusion-mm", "3",
                    "--critical-area-fraction", "0.7", "-o", str(tmp_path / "c.csv")])
    assert ok.exit_code == 0, ok.output
    assert pd.read_csv(tmp_path / "c.csv")[C.CAPEX_USD].iloc[0] == pytest.approx(17000 / (60 * y7), rel=1e-9, abs=0)
    for args, says in ((["--edge-exclusion-mm", "150"], "--edge-exclusion-mm 150: a number in [0, 150)"),
                       (["--critical-area-fraction", "0"], "critical_area_fraction 0.0: a number in (0, 1]"),
                       (["--wafer-usd-per-node", "4=1"], "NODE=USD with the node in nm"),
                       ([], "give a wafer price")):
        bad = run(main, ["cost", str(csv), *(["--wafer-usd", "1"] if args and args[0] != "--wafer-usd-per-node" else []),
                         *args])
        assert bad.exit_code != 0 and says in bad.output, bad.output


def test_flat_replicating_cim_gets_a_note_and_a_sweep_its_parameters(results, tmp_path):  # find-D2 6, 7
    out = cost(pd.DataFrame([results["sram-cim"].record(), results["gpu-hbm3"].record()]), 17000)
    notes = table_notes(out)
    assert len(notes) == 1 and notes[0].startswith("note: sram-cim: the run replicates weights")
    swept = out.copy()
    swept.insert(0, C.WORKLOAD_FILE, "hier-attn")
    swept.insert(1, "cim.arrays", [4247, 4248])
    assert shown(swept)[:3] == [C.ARCHITECTURE, C.WORKLOAD, "cim.arrays"]
    swept.attrs["cimsim_params"] = ["cim.arrays"]
    pq = tmp_path / "s.parquet"
    swept.drop(columns=list(C.COST_COLUMNS)).to_parquet(pq)
    ran = CliRunner().invoke(main, ["cost", str(pq), "--wafer-usd", "17000"])
    assert ran.exit_code == 0 and "cim.arrays" in ran.output.splitlines()[0], ran.output


def test_a_runs_json_is_costed_like_its_record(results, tmp_path):  # find-D2 10
    res = results["sram-cim"]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(res.to_json()))
    ran = CliRunner().invoke(main, ["cost", str(path), "--wafer-usd", "17000", "-o", str(tmp_path / "c.csv")])
    assert ran.exit_code == 0, ran.output
    got = pd.read_csv(tmp_path / "c.csv").iloc[0]
    want = cost(pd.DataFrame([res.record()]), 17000).iloc[0]
    # sram-cim: 2 dies of 853.652 mm², 59 a wafer
    ad = 0.853652
    assert got[C.CAPEX_USD] == pytest.approx(2 * 17000 / (59 * ((1 - math.exp(-ad)) / ad) ** 2), rel=1e-9, abs=0)
    for col in (C.USD_PER_1M_SAMPLES, C.ENERGY_USD_PER_1M_SAMPLES_NOT_COSTED):
        assert got[col] == pytest.approx(want[col], rel=1e-9, abs=0)
    assert got[C.COST_NOT_COSTED] == want[C.COST_NOT_COSTED]
    bad = tmp_path / "x.json"
    bad.write_text("[1, 2]")
    no = CliRunner().invoke(main, ["cost", str(bad), "--wafer-usd", "17000"])
    assert no.exit_code == 1 and "not a run's --json object" in no.output, no.output
