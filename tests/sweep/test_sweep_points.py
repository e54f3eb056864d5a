"""The points a sweep announces are the points it writes, with the values it prints
(sweep fixes, bugs 2 and 3).

- Random / LHS draws over lists (and whole-number ranges) repeat points; the repeats were merged
  after ``sweep: 10 points ... = 10 runs`` was printed, and 5 rows came out. A repeat is now
  merged before the count, which says how many draws it took; a config or workload given twice
  (the same bytes, so the same point ids) is refused.
- An interior point of a range was ``np.geomspace``'s 32000000000.000023, not the 32 GB/s a
  user types into ``cimsim run --set``; every generated range value is now rounded to 12
  significant digits (the ends stay as given).
"""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.errors import CimsimError
from cimsim.sweep import ERROR, sweep
from cimsim.sweep.params import parse_param
from cimsim.sweep.runner import plan_sweep
from cimsim.sweep.sampling import sample_points


# ------------------------------------------------------------------------ bug 2: the count

LISTS = ["memory.dram.bandwidth=1TB/s,2TB/s,3TB/s", "processor.cores=8,16"]  # 3 x 2 = 6 combinations


def test_sampled_lists_announce_the_points_they_write(tmp_path, chain_json):
    out = tmp_path / "s.parquet"
    res = CliRunner().invoke(main, ["sweep", "cpu-ddr5", "-w", str(chain_json), *sum((["--param", p] for p in LISTS), []),
                                    "--sample", "random", "--samples", "10", "--engine", "analytic",
                                    "--workers", "1", "-q", "-o", str(out)])
    assert res.exit_code == 0, res.output
    want = len(sample_points([parse_param(p) for p in LISTS], "random", 10, 0))
    assert 1 <= want <= 6  # at most the 6 combinations, whatever the draws
    assert res.stderr == (f"sweep: {want} points x 1 config x 1 workload = {want} runs "
                          f"(10 samples drew {want} distinct points)\n")
    assert res.stdout == f"wrote {out}: {want} rows: {want} computed, 0 already done, 0 with errors\n"


@pytest.mark.parametrize("method", ["random", "lhs"])
def test_every_draw_of_a_small_space_is_merged_into_its_points(method):
    specs = [parse_param(p) for p in LISTS]
    points = sample_points(specs, method, samples=200, seed=4)
    combos = [(p["memory.dram.bandwidth"], p["processor.cores"]) for p in points]
    assert len(set(combos)) == len(combos) == 6  # 200 draws over 6 combinations: each once
    plan = plan_sweep("cpu-ddr5", "lstm", LISTS, sample=method, samples=200, seed=4)
    assert (plan.points, plan.runs) == (6, 6)
    assert plan.describe() == "sweep: 6 points x 1 config x 1 workload = 6 runs (200 samples drew 6 distinct points)"
    # a continuous range never repeats: the count is --samples and the line says no more
    cont = plan_sweep("cpu-ddr5", "lstm", ["memory.dram.bandwidth=1TB/s..3TB/s:log"], sample=method,
                      samples=7)
    assert cont.describe() == "sweep: 7 points x 1 config x 1 workload = 7 runs"


def test_a_config_or_workload_given_twice_is_refused(tmp_path, chain_json):
    copy = tmp_path / "copy.json"
    copy.write_bytes(chain_json.read_bytes())
    with pytest.raises(CimsimError, match=r"^config cpu-ddr5: the same content as .*cpu-ddr5.yaml, "
                                          r"already in this sweep .*; give each config once$"):
        sweep(["cpu-ddr5", "cpu-ddr5"], chain_json, ["memory.dram.bandwidth=1TB/s,2TB/s"], workers=1)
    with pytest.raises(CimsimError, match=rf"^workload {copy}: the same content as {chain_json}, "):
        sweep("cpu-ddr5", [chain_json, copy], ["memory.dram.bandwidth=1TB/s,2TB/s"], workers=1)


# ------------------------------------------------------------------- bug 3: round values


def test_range_points_are_the_round_values_they_print():
    bw = parse_param("links.interconnect.bandwidth=8GB/s..128GB/s:log:3").values
    assert bw == (8e9, 32e9, 128e9)  # 8 x 4^k, exactly
    assert parse_param("memory.dram.sustained_fraction=0.1..0.3:lin:3").values == (0.1, 0.2, 0.3)
    assert parse_param("memory.dram.sustained_fraction=0.1..0.5:lin:5").values == (0.1, 0.2, 0.3, 0.4, 0.5)
    # 25 GB/s x 2^k up to 3.2 TB/s (2^7): exact powers of two times 25e9
    assert parse_param("memory.dram.bandwidth=25GB/s..3.2TB/s:log:8").values == tuple(25e9 * 2**k for k in range(8))
    # an irrational ratio: 12 significant digits (10 GB/s x sqrt(10) = 31.6227766017 GB/s)
    assert parse_param("memory.dram.bandwidth=10GB/s..100GB/s:log:3").values[1] == 31622776601.7
    # sampled draws too, within the range
    spec = parse_param("memory.dram.bandwidth=10GB/s..100GB/s:log")
    for v in spec.from_unit([0.0, 0.123456789, 0.5, 0.999999999]):
        assert 10e9 <= v <= 100e9 and v == float(f"{v:.12g}")


def test_a_swept_point_typed_into_run_gives_its_row(tmp_path, chain_json):
    df = sweep("sram-cim", chain_json, ["links.interconnect.bandwidth=8GB/s..128GB/s:log:3"], workers=1)
    assert df[ERROR].isna().all(), df[ERROR].tolist()
    row = df[df["links.interconnect.bandwidth"] == 32e9]
    assert len(row) == 1
    assert len(set(df["latency_s"])) == 3  # the link bounds this workload: each point differs
    res = CliRunner().invoke(main, ["run", "sram-cim", str(chain_json), "--set",
                                    "links.interconnect.bandwidth=32GB/s", "--json"])
    assert res.exit_code == 0, res.output
    alone = json.loads(res.stdout)
    common = [c for c in df.columns if c in alone and isinstance(alone[c], (int, float))
              and not isinstance(alone[c], bool)]
    assert {"latency_s", "energy_j", "ops_per_j"} <= set(common)
    for c in common:
        got = row[c].iloc[0]
        assert got == alone[c] or (math.isnan(got) and alone[c] is None), c
