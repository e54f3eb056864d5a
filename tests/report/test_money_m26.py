"""review26-D2's cost findings: only silicon above a wafer loses its price (1), a package price does
not silence the off-chip memory (2), the unpriced memory's energy is not costed (3), a note when the
priced memory is an uncosted host's (4), 0 dies per wafer named (5), an unused per-node price noted (6).

Goldens are closed forms written out here; the rows are real simulate() runs (hier-attn, analytic)."""

from __future__ import annotations

import math
import warnings

import pandas as pd
import pytest
import yaml

from cimsim import simulate
from cimsim.bundled import resolve_config, resolve_workload
from cimsim.config.loader import architecture_from_dict, load_architecture
from cimsim.report import columns as C
from cimsim.report.money import cost, dies_per_wafer
from cimsim.report.money_table import table_notes
from cimsim.workload.io import load_workload

WL = load_workload(resolve_workload("hier-attn"))
DIE = 17000 / (63 * ((1 - math.exp(-0.814)) / 0.814) ** 2)  # GH100: 63 dies, Murphy at A D0 = 0.814
KWH = 1e6 / 3.6e6 * 0.1  # $ of 1 J per sample over 1e6 samples at $0.1 / kWh
GB_256 = 256 * 2 ** 30 / 1e9 * 12  # 274.877906944 GB x $12 = $3,298.53


@pytest.fixture(scope="module")
def rows():
    return {c: simulate(load_architecture(resolve_config(c)), WL, engine="analytic").record()
            for c in ("gpu-hbm3", "sram-cim")}


def test_over_its_tdp_keeps_its_price_with_a_note(rows):  # review D2 1
    raw = yaml.safe_load(resolve_config("gpu-hbm3").read_text())
    raw["processor"]["tdp"] = "101 W"  # above its 100 W static power, below its run power
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = simulate(architecture_from_dict(raw), WL, engine="analytic").record()
    assert r[C.PHYSICALLY_PLAUSIBLE] is False
    out = cost(pd.DataFrame([r]), 17000, memory_usd_per_gb=12.0)
    assert out.iloc[0][C.CAPEX_USD] == pytest.approx(DIE + 80 * 2 ** 30 / 1e9 * 12, rel=1e-12, abs=0)
    assert out.iloc[0][C.COST_NOT_COSTED] == "none"
    assert any(n.startswith("note: gpu-hbm3: physically_plausible is False but buildable (average power")
               and "TDP of 101 W" in n and "optimistic" in n for n in table_notes(out))
    # silicon above a wafer: no price at all, the memory's neither
    big = dict(rows["gpu-hbm3"], **{C.PHYSICALLY_PLAUSIBLE: False,
                                    C.NOTES: "warning: component 'processor' counts 800 cm² of silicon, "
                                             "more than a whole 300 mm wafer (706.9 cm²): not a buildable design"})
    no = cost(pd.DataFrame([big]), 17000, memory_usd_per_gb=12.0).iloc[0]
    assert math.isnan(no[C.CAPEX_USD]) and math.isnan(no[C.OFFCHIP_MEMORY_USD])


def test_a_package_price_does_not_hide_the_memory(rows):  # review D2 2
    out = cost(pd.DataFrame([rows["gpu-hbm3"]]), 17000, package_usd=50.0).iloc[0]
    assert out[C.CAPEX_USD] == pytest.approx(DIE + 50, rel=1e-12, abs=0)
    assert out[C.COST_NOT_COSTED].startswith("off-chip memory (80 GiB backing store")


def test_the_unpriced_memory_energy_is_not_costed(rows):  # review D2 3
    g = rows["gpu-hbm3"]
    # gpu-hbm3's HBM has no static power: its W is the dram's access energy over the run's latency,
    # J per sample = that W / samples_per_s (1 device)
    assert g[C.OFFCHIP_MEMORY_POWER_W] == pytest.approx(g[C.energy_column("dram")] / g[C.LATENCY], rel=1e-12, abs=0)
    want = g[C.energy_column("dram")] / g[C.LATENCY] / g[C.SAMPLES_PER_S] * KWH
    out = cost(pd.DataFrame([g]), 17000).iloc[0]
    assert out[C.ENERGY_USD_PER_1M_SAMPLES_NOT_COSTED] == pytest.approx(want, rel=1e-12, abs=0)
    assert cost(pd.DataFrame([g]), 17000, memory_usd_per_gb=12.0).iloc[0][
        C.ENERGY_USD_PER_1M_SAMPLES_NOT_COSTED] == 0.0


def test_memory_priced_for_an_uncosted_host_is_noted(rows):  # review D2 4
    out = cost(pd.DataFrame([rows["sram-cim"], rows["gpu-hbm3"]]), 17000, memory_usd_per_gb=12.0)
    assert out.iloc[0][C.OFFCHIP_MEMORY_USD] == pytest.approx(GB_256, rel=1e-12, abs=0)
    host = [n for n in table_notes(out) if "host DDR" in n]
    assert len(host) == 1 and host[0].startswith("note: sram-cim (processor: $3,298.53)") and "gpu-hbm3" not in host[0]


def test_zero_dies_per_wafer_is_named_and_the_edge_bounded_by_the_wafer(rows):  # review D2 5
    # r = 10 mm: pi 10² / 814 - 2 pi 10 / sqrt(1628) = 0.386 - 1.557 < 0 -> 0 dies
    assert dies_per_wafer(814e-6, edge_exclusion_m=0.14) == 0
    out = cost(pd.DataFrame([rows["gpu-hbm3"]]), 17000, edge_exclusion_m=0.14).iloc[0]
    assert math.isnan(out[C.CAPEX_USD])
    assert out[C.COST_NOT_COSTED].startswith("processor (0 dies per wafer: a 814 mm² die does not fit a 300 mm wafer")
    with pytest.raises(ValueError, match=r"edge_exclusion_m 0.1: a number in \[0, 0.1\)"):
        cost(pd.DataFrame([rows["gpu-hbm3"]]), 17000, wafer_diameter_m=0.2, edge_exclusion_m=0.1)


def test_a_node_price_that_prices_no_row_is_noted(rows):  # review D2 6
    out = cost(pd.DataFrame([rows["gpu-hbm3"]]), 17000, wafer_usd_per_node={32e-9: 3000.0})
    assert out.iloc[0][C.CAPEX_USD] == pytest.approx(DIE, rel=1e-12, abs=0)  # no node: --wafer-usd
    assert any(n.startswith("note: wafer_usd_per_node 32nm prices no row (gpu-hbm3 state no node")
               for n in table_notes(out))
