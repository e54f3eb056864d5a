"""The cost model's flags and CLI after review K (find-D 1): a chip split at the reticle and an
on-chip memory level's area are named in ``cost_not_costed`` (1, 2); a collective has no die and
is not named, and "nothing left out" survives a CSV (5); a price given twice is refused and alpha
is checked only for the negative binomial (4); unlike rates get a note (8).

Golden values: hand arithmetic on the configs' areas (sram-cim: 0.202 mm² per macro; STACK of
test_stack_footprint: SRAM 4 mm², bonded DRAM 66 mm²), never the code's output.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.bundled import resolve_config, resolve_workload
from cimsim.cli import main
from cimsim.config.loader import architecture_from_dict, load_architecture
from cimsim.report import columns as C
from cimsim.report.money import cost
from cimsim.report.plausible import die_facts
from cimsim.workload.io import load_workload

from test_stack_footprint import WL, _stack


def _row(config, **overrides):
    arch = load_architecture(resolve_config(config), overrides=overrides or None)
    return simulate(arch, load_workload(resolve_workload("hier-attn")), engine="analytic").record()


def test_a_chip_one_array_past_the_reticle_is_named_as_split_dies():
    # 4,247 x 0.202 = 857.894 mm²: one die; 4,248 x 0.202 = 858.096 mm²: 2 dies of 429.048 mm²
    df = pd.DataFrame([_row("sram-cim", **{"cim.arrays": n, "cim.weight_replication": False})
                       for n in (4247, 4248)])
    priced = cost(df, 17000, package_usd=1.0, memory_usd_per_gb=0.0)  # memory priced (review D2 2)
    one, two = priced.iloc[0], priced.iloc[1]
    assert one[C.COST_NOT_COSTED] == "processor (no area)"
    # pi 150² / 429.048 - 2 pi 150 / sqrt(858.096) = 164.75 - 32.17 = 132.58 -> 132
    assert two[C.dies_per_wafer_column("cim")] == 132
    ad = 4.29048 * 0.1
    assert two[C.CAPEX_USD] == pytest.approx(2 * 17000 / (132 * ((1 - math.exp(-ad)) / ad) ** 2) + 1, rel=1e-9, abs=0)
    assert two[C.COST_NOT_COSTED] == ("processor (no area); cim (above the reticle: priced as 2 separate "
                                      "dies; die-to-die links, interposer, stitching not costed)")


def test_an_on_chip_memory_levels_area_is_named_not_a_silent_0():
    arch = architecture_from_dict(_stack(**{"memory.dram.stack": {"tier": 1}}))
    row = cost(pd.DataFrame([simulate(arch, WL, engine="analytic").record()]), 17000).iloc[0]
    assert row[C.area_column("sram")] == pytest.approx(4e-6, rel=1e-12, abs=0)
    assert row[C.COST_NOT_COSTED] == ("sram (memory level; its area not costed); "
                                      "dram (memory level; its area not costed)")


def test_a_collective_has_no_die():
    arch = load_architecture("src/cimsim/data/validation/a100-sxm4-80gb.yaml")
    names = [c.name for c in arch.instances if c.type_name == "collective"]
    assert names
    facts = die_facts(arch)
    for n in names:
        assert facts[C.dies_column(n)] == 0 and math.isnan(facts[C.die_area_column(n)])


def test_the_cli_refuses_a_price_twice_and_keeps_none_through_a_csv(tmp_path):
    csv = tmp_path / "r.csv"
    gpu = _row("gpu-hbm3")
    pd.DataFrame([gpu]).to_csv(csv, index=False)
    run = CliRunner().invoke
    for args, says in ((["17000", "--wafer-usd", "9000"], "given twice (17000 and 9000)"),
                       (["processor=9000", "--wafer-usd", "processor=1"], "processor is given twice"),
                       (["=5"], "needs a component name")):
        bad = run(main, ["cost", str(csv), "--wafer-usd", *args])
        assert bad.exit_code == 2 and says in bad.output, bad.output
    # murphy takes no alpha: --alpha 0 is not refused there, and is with negbin
    assert run(main, ["cost", str(csv), "--wafer-usd", "17000", "--alpha", "0"]).exit_code == 0
    neg = run(main, ["cost", str(csv), "--wafer-usd", "17000", "--alpha", "0", "--yield-model", "negbin"])
    assert neg.exit_code == 1 and "alpha 0.0: a number above 0" in neg.output
    ok = run(main, ["cost", str(csv), "--wafer-usd", "17000", "--memory-usd-per-gb", "12", "-o", str(tmp_path / "c.csv")])
    assert ok.exit_code == 0, ok.output
    assert pd.read_csv(tmp_path / "c.csv")[C.COST_NOT_COSTED].tolist() == ["none"]
    assert "unlike rates" not in ok.output
    # a second row priced at a pipelined rate: the table says the rates differ
    steady = dict(gpu, **{C.PIPELINED_SAMPLES_PER_S: 2 * gpu[C.SAMPLES_PER_S]})
    pd.DataFrame([gpu, steady]).to_csv(csv, index=False)
    mixed = run(main, ["cost", str(csv), "--wafer-usd", "17000"])
    assert mixed.exit_code == 0 and "the rows use unlike rates (cost_rate)" in mixed.output


def test_the_branches_a_table_can_take_devices_tokens_a_steady_rate_a_failed_point_negbin(tmp_path):
    # a real gpu-hbm3 row (GH100 814 mm²: 63 dies per wafer) and copies that set one branch's
    # input column each; the goldens are the module's closed forms written out here
    gpu = _row("gpu-hbm3")
    q, p_s, dyn = gpu[C.SAMPLES_PER_S], gpu[C.STATIC_POWER_W], gpu[C.DYNAMIC_J_PER_SAMPLE]
    rows = [gpu,
            dict(gpu, **{C.SYSTEM_DEVICES: 2}),
            dict(gpu, **{C.TOKENS_PER_S: 4 * q}),
            dict(gpu, **{C.PIPELINED_SAMPLES_PER_S: 2 * q}),
            dict(gpu, **{C.ERROR: "boom"})]
    out = cost(pd.DataFrame(rows), 17000, utilization=0.5)
    die = 17000 / (63 * ((1 - math.exp(-0.814)) / 0.814) ** 2)
    year3 = 3 * 365.25 * 86400
    one, two, tok, steady, failed = (out.iloc[i] for i in range(5))
    assert one[C.CAPEX_USD_PER_1M_SAMPLES] == pytest.approx(die / (0.5 * q * year3) * 1e6, rel=1e-9, abs=0)
    # system_devices 2: twice the silicon, twice the static power
    assert two[C.CAPEX_USD] == pytest.approx(2 * die, rel=1e-12, abs=0)
    assert two[C.ENERGY_USD_PER_1M_SAMPLES] == pytest.approx(
        (2 * p_s / (0.5 * q) + dyn) * 1e6 / 3.6e6 * 0.1, rel=1e-9, abs=0)
    # 4 tokens a sample: a quarter of the sample's costs per token
    assert tok[C.USD_PER_1M_TOKENS] == pytest.approx(one[C.USD_PER_1M_SAMPLES] / 4, rel=1e-9, abs=0)
    # the steady rate (twice samples_per_s) is the one used: capex per sample halves
    assert steady[C.COST_RATE] == C.PIPELINED_SAMPLES_PER_S and one[C.COST_RATE] == C.SAMPLES_PER_S
    assert steady[C.CAPEX_USD_PER_1M_SAMPLES] == pytest.approx(one[C.CAPEX_USD_PER_1M_SAMPLES] / 2, rel=1e-9, abs=0)
    assert steady[C.ENERGY_USD_PER_1M_SAMPLES] == pytest.approx(
        (p_s / (0.5 * 2 * q) + dyn) * 1e6 / 3.6e6 * 0.1, rel=1e-9, abs=0)
    # a sweep's failed point: no capex, and the flag says so (not "none")
    assert math.isnan(failed[C.CAPEX_USD]) and failed[C.COST_NOT_COSTED].startswith("everything (the point failed")
    # negative binomial, alpha 3: (1 + 0.814 / 3)^-3, through cost() and the CLI
    neg = cost(pd.DataFrame([gpu]), 17000, yield_model="negbin", alpha=3.0).iloc[0]
    nb = 17000 / (63 * (1 + 0.814 / 3) ** -3)
    assert neg[C.CAPEX_USD] == pytest.approx(nb, rel=1e-12, abs=0)
    csv = tmp_path / "g.csv"
    pd.DataFrame([gpu]).to_csv(csv, index=False)
    res = CliRunner().invoke(main, ["cost", str(csv), "--wafer-usd", "17000", "--yield-model", "negbin"])
    assert res.exit_code == 0 and f"{nb:.4g}" in res.output, res.output
