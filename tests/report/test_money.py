"""The cost model (find-D 1): dies per wafer, yield, die cost, capex and energy cost per 1M
samples or tokens, as post-processing of result rows (``cimsim.report.money.cost``, ``cimsim cost``).

Golden values: the tester's worked numbers for the GH100's 814 mm² (63 gross dies on a 300 mm
wafer, Murphy yield 0.468 at 0.1 defects/cm², $577 a good die at $17,000 a wafer) and the
closed forms written out here; the rates the per-sample costs divide by are the run's own columns.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.bundled import resolve_config, resolve_workload
from cimsim.cli import main
from cimsim.config.loader import load_architecture
from cimsim.report import columns as C
from cimsim.report.money import cost, die_yield, dies_per_wafer
from cimsim.workload.io import load_workload

GH100 = 814e-6
MURPHY = ((1 - math.exp(-0.814)) / 0.814) ** 2  # A D0 = 8.14 cm² x 0.1 /cm²


def _rows(*configs):
    wl = load_workload(resolve_workload("hier-attn"))
    return pd.DataFrame([simulate(load_architecture(resolve_config(c)), wl, engine="analytic").record()
                         for c in configs])


def test_the_testers_worked_numbers_for_an_814_mm2_die():
    # pi 150² / 814 - 2 pi 150 / sqrt(1628) = 86.84 - 23.36 = 63.48 -> 63
    assert dies_per_wafer(GH100) == 63
    assert MURPHY == pytest.approx(0.468, abs=5e-4)
    assert die_yield(GH100, 0.1) == pytest.approx(MURPHY, rel=1e-12, abs=0)
    assert 17000 / (63 * MURPHY) == pytest.approx(577, abs=0.6)
    # negative binomial, alpha 3: (1 + 0.814 / 3)^-3 = 1.27133^-3 = 0.48665
    assert die_yield(GH100, 0.1, "negbin", 3.0) == pytest.approx(1.27133 ** -3, rel=1e-5, abs=0)
    assert die_yield(GH100, 0.0) == 1.0


def test_a_gpu_row_gets_its_die_cost_capex_and_cost_per_1m_samples():
    df = _rows("gpu-hbm3")
    out = cost(df, 17000, d0_per_cm2=0.1, usd_per_kwh=0.1, years=3)
    row = out.iloc[0]
    die = 17000 / (63 * MURPHY)
    assert row[C.dies_per_wafer_column("processor")] == 63
    assert row[C.die_usd_column("processor")] == pytest.approx(die, rel=1e-12, abs=0)
    assert row[C.CAPEX_USD] == pytest.approx(die, rel=1e-12, abs=0)
    served = 3 * 365.25 * 86400 * row[C.SAMPLES_PER_S]
    assert row[C.CAPEX_USD_PER_1M_SAMPLES] == pytest.approx(die / served * 1e6, rel=1e-12, abs=0)
    # at utilization 1 the energy of a sample is j_per_sample; 1 kWh = 3.6e6 J at $0.1
    assert row[C.ENERGY_USD_PER_1M_SAMPLES] == pytest.approx(row[C.J_PER_SAMPLE] * 1e6 / 3.6e6 * 0.1,
                                                              rel=1e-9, abs=0)
    assert math.isnan(row[C.USD_PER_1M_TOKENS])  # not a serving run
    # half the utilization: capex per sample doubles, the energy adds the static power's idle share
    half = cost(df, 17000, utilization=0.5).iloc[0]
    assert half[C.CAPEX_USD_PER_1M_SAMPLES] == pytest.approx(2 * row[C.CAPEX_USD_PER_1M_SAMPLES], rel=1e-12, abs=0)
    extra = row[C.STATIC_POWER_W] / row[C.SAMPLES_PER_S] * 1e6 / 3.6e6 * 0.1
    assert half[C.ENERGY_USD_PER_1M_SAMPLES] == pytest.approx(row[C.ENERGY_USD_PER_1M_SAMPLES] + extra,
                                                              rel=1e-9, abs=0)


def test_a_part_without_area_is_named_not_costed_and_a_split_die_costs_each_half():
    df = _rows("sram-cim", "cpu-ddr5")
    out = cost(df, 17000)
    sram, cpu = out.iloc[0], out.iloc[1]
    # sram-cim's 1,707.304 mm² is 2 dies of 853.652 mm²:
    # pi 150² / 853.652 - 2 pi 150 / sqrt(1707.304) = 82.804 - 22.810 = 59.99 -> 59
    assert sram[C.dies_per_wafer_column("cim")] == 59
    ad = 8.53652 * 0.1
    y = ((1 - math.exp(-ad)) / ad) ** 2
    assert sram[C.CAPEX_USD] == pytest.approx(2 * 17000 / (59 * y), rel=1e-12, abs=0)
    assert sram[C.COST_NOT_COSTED].startswith("processor (no area); cim (above the reticle: priced as 2 separate")
    assert math.isnan(sram[C.die_usd_column("processor")])
    # the Xeon host alone: nothing costed, so no capex (never 0 USD)
    # (and its 256 GiB of DDR5 off-chip memory has no price: named, find-D2 1)
    assert math.isnan(cpu[C.CAPEX_USD])
    assert cpu[C.COST_NOT_COSTED].startswith("processor (no area); off-chip memory (256 GiB backing store")
    # a price for the CIM only
    only = cost(df, {"cim": 9000}).iloc[0]
    assert only[C.CAPEX_USD] == pytest.approx(2 * 9000 / (59 * y), rel=1e-12, abs=0)
    with pytest.raises(ValueError, match="wafer_usd names gpu: no such component"):
        cost(df, {"gpu": 1})
    with pytest.raises(ValueError, match="utilization 0: a number in"):
        cost(df, 1, utilization=0)


def test_the_cost_command_reads_a_compare_csv_and_refuses_in_one_line(tmp_path):
    csv = tmp_path / "r.csv"
    _rows("gpu-hbm3").to_csv(csv, index=False)
    res = CliRunner().invoke(main, ["cost", str(csv), "--wafer-usd", "17000", "-o", str(tmp_path / "c.parquet")])
    assert res.exit_code == 0, res.output
    assert "576.5" in res.output  # 17000 / (63 x 0.468094)
    got = pd.read_parquet(tmp_path / "c.parquet")
    assert got[C.dies_per_wafer_column("processor")].iloc[0] == 63
    bad = CliRunner().invoke(main, ["cost", str(csv), "--wafer-usd", "cim=1"])
    assert bad.exit_code == 1 and "wafer_usd names cim: no such component" in bad.output
    assert len(bad.output.strip().splitlines()) == 1
