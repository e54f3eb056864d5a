"""review25-E: a processor supply's range (1), DRAM-streamed mac_efficiency columns held at
nominal_clock (2), figures set beside an off-nominal supply (3), vector ops, op_overhead_by_kind
+ op_overhead_cycles and a --points sweep (4), no note at the nominal point (5), the sweep
summary's fallback reasons (6)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import cimsim
from cimsim import load_architecture, simulate
from cimsim.bundled import resolve_config
from cimsim.cli import main
from cimsim.errors import CimsimError
from cimsim.workload import save_workload
from cimsim.workload.generators import lstm, matmul

SUPPLY = {"processor.supply.nominal_voltage": "0.9 V", "processor.supply.nominal_clock": "2.5 GHz",
          "processor.supply.threshold_voltage": "0.35 V"}
BLOCK = {"voltage": "0.9 V", "nominal_voltage": "0.9 V", "nominal_clock": "2.5 GHz",
         "threshold_voltage": "0.35 V"}


def _run(arch, overrides, wl):
    a = load_architecture(arch, overrides=overrides)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cimsim.CimsimWarning)
        return simulate(a, wl, engine="analytic")


def _config(tmp_path, **processor):
    d = yaml.safe_load(resolve_config("cpu-ddr5").read_text())
    d["processor"].update(supply=dict(BLOCK), **processor)
    f = tmp_path / "cpu-dvfs.yaml"
    f.write_text(yaml.safe_dump(d, sort_keys=False))
    return f


def test_a_supply_outside_0p8_to_1p1_x_nominal_is_extrapolated_and_above_1p5_x_refused():
    wl = matmul(64, 64, 64, dtype="int8")
    inside = _run("cpu-ddr5", {**SUPPLY, "processor.supply.voltage": "0.99 V"}, wl)  # 1.1 x
    assert inside.extrapolated is False
    high = _run("cpu-ddr5", {**SUPPLY, "processor.supply.voltage": "1.35 V"}, wl)  # 1.5 x
    assert high.extrapolated is True
    assert any("1.5 x nominal_voltage is outside the 0.8-1.1 x" in n for n in high.notes), high.notes
    low = _run("cpu-ddr5", {**SUPPLY, "processor.supply.voltage": "0.7 V", "processor.clock": "1.5 GHz"}, wl)
    assert low.extrapolated is True  # 0.778 x
    with pytest.raises(CimsimError, match=r"supply.voltage 3 V is above 1.5 x supply.nominal_voltage "
                                          r"0.9 V.*at most 1.35 V"):
        load_architecture("cpu-ddr5", overrides={**SUPPLY, "processor.supply.voltage": "3 V"})


def test_a_dram_streamed_mac_efficiency_column_keeps_its_time_at_a_lower_clock(tmp_path):
    """The finding's t2: a 1 x 4096 x 4096 int8 GEMV (16 MiB weight, read once: cold) takes the
    table's first column past cold_from (256 MiB) at one row, 0.002: 4096^2 MACs / (16 x 2.5 GHz
    x 1024 x 0.002) = 204.8 us at 2.5 GHz; at 1.3 GHz the same (memory-bound), not x 2.5/1.3. The
    warm floor, the 2 MiB point of the one-row line (0.05 at 1 MiB, 0.002 at 256 MiB, 1/8 of the
    way in log2): 0.044, 4096^2 / (16 x 1.3 GHz x 1024 x 0.044) = 17.9 us, is shorter."""
    table = {"rows": [1, 1024], "weight_bytes": ["1 MiB", "256 MiB"],
             "fraction": [[0.05, 0.002], [0.9, 0.1]], "cold_from": "2 MiB"}
    cfg = _config(tmp_path, mac_efficiency=table, op_overhead="0 s")
    wl = matmul(1, 4096, 4096, dtype="int8")
    t = 4096 ** 2 / (16 * 2.5e9 * 1024 * 0.002)
    assert t == pytest.approx(204.8e-6, rel=1e-12, abs=0)
    lat = 110e-9  # the dram level's latency, the op's access latency
    for v, clock in (("0.9 V", "2.5 GHz"), ("0.6 V", "1.3 GHz")):
        r = _run(cfg, {"processor.supply.voltage": v, "processor.clock": clock}, wl)
        assert r.latency_s == pytest.approx(t + lat, rel=1e-9, abs=0), (v, clock)
    r = _run(cfg, {"processor.supply.voltage": "0.6 V", "processor.clock": "1.3 GHz"}, wl)
    assert any("keeps its time at nominal_clock 2.5 GHz" in n for n in r.notes), r.notes


def test_figures_set_beside_an_off_nominal_supply_are_noted_as_scaled_again(tmp_path):
    cfg = _config(tmp_path)
    wl = matmul(64, 64, 64, dtype="int8")
    sets = {"processor.supply.voltage": "0.6 V", "processor.clock": "1.345 GHz",
            "processor.energy_per_mac.int8": "1.57333 pJ", "processor.static_power": "26.6667 W"}
    r = _run(cfg, sets, wl)
    # 1.57333 pJ x (0.6/0.9)^2 = 0.699 pJ: the note says the figure is scaled again
    assert any("processor.energy_per_mac.int8, processor.static_power set with supply.voltage 0.6 V: "
               "read as figures at supply.nominal_voltage 0.9 V" in n for n in r.notes), r.notes
    nominal = _run(cfg, {"processor.energy_per_mac.int8": "1.57333 pJ"}, wl)
    assert not any("set with supply.voltage" in n for n in nominal.notes)


def test_vector_ops_scale_as_v_squared_too():
    """An LSTM's gate arithmetic is vector ops: compute = MACs x 113 pJ x (0.6/0.9)^2 + vector
    ops x 113 pJ x (0.6/0.9)^2 (cpu-ddr5's fp32 energy per MAC and per vector op)."""
    wl = lstm(64, 64, steps=4, dtype="fp32")
    arr = wl.arrays  # the workload's own counts (its ops' MACs and elementwise operations)
    macs, vops = float(arr.macs.sum()), float(arr.vector_ops.sum())
    assert vops > 0
    r = _run("cpu-ddr5", {**SUPPLY, "processor.supply.voltage": "0.6 V", "processor.clock": "1.3 GHz"}, wl)
    k = (0.6 / 0.9) ** 2
    assert r.energy_breakdown_j["processor_compute"] == pytest.approx(
        macs * 113e-12 * k + vops * 113e-12 * k, rel=1e-9, abs=0)


def test_op_overhead_cycles_adds_to_an_op_overhead_by_kind_figure():
    """One matmul: by_kind 13 us + 5000 cycles at 1 GHz (5 us) = 18 us of dispatch."""
    wl = matmul(64, 64, 64, dtype="int8")
    base = {"processor.clock": "1 GHz", "processor.op_overhead": "0 s"}
    bare = _run("cpu-ddr5", base, wl)
    more = _run("cpu-ddr5", {**base, "processor.op_overhead_by_kind.matmul": "13 us",
                             "processor.op_overhead_cycles": 5000}, wl)
    assert more.latency_s - bare.latency_s == pytest.approx(18e-6, rel=1e-9, abs=0)


def test_a_points_sweep_over_supply_and_clock_refuses_a_point_above_f_max(tmp_path):
    """vf.csv of the README: 0.6 V at 1.345 GHz runs (x 0.4444 energy, extrapolated: 0.667 x
    nominal), 0.9 V at 2.5 GHz is the stated point (no supply note), 1.1 V at 3.3 GHz is above
    f_max(1.1 V) = 2.5 GHz x (0.75^1.3 / 1.1) / (0.55^1.3 / 0.9) = 3.061 GHz: an error row."""
    cfg = _config(tmp_path)
    wl = tmp_path / "mm.json"
    save_workload(matmul(64, 64, 64, dtype="int8"), wl)
    pts = tmp_path / "vf.csv"
    pts.write_text("processor.supply.voltage,processor.clock\n0.6 V,1.345 GHz\n0.9 V,2.5 GHz\n1.1 V,3.3 GHz\n")
    out = tmp_path / "vf.parquet"
    res = CliRunner().invoke(main, ["sweep", str(cfg), "-w", str(wl), "--points", str(pts), "--engine",
                                    "analytic", "--workers", "1", "-q", "-o", str(out)])
    assert res.exit_code == 0, res.output
    df = pd.read_parquet(out)
    f_max = 2.5e9 * (0.75 ** 1.3 / 1.1) / (0.55 ** 1.3 / 0.9)
    assert f_max == pytest.approx(3.061e9, rel=1e-3, abs=0)
    assert df["error"].isna().tolist() == [True, True, False]
    assert "is above the 3.061 GHz the supply allows" in df["error"].iloc[2]
    assert df["extrapolated"].tolist()[:2] == [True, False]
    assert "supply 0.9 V" not in str(df["notes"].iloc[1])
    assert df["energy_processor_compute_j"].iloc[0] == pytest.approx(
        df["energy_processor_compute_j"].iloc[1] * (0.6 / 0.9) ** 2, rel=1e-9, abs=0)


def test_no_supply_note_at_the_nominal_point_but_one_below_its_f_max():
    wl = matmul(64, 64, 64, dtype="int8")
    nominal = _run("cpu-ddr5", {**SUPPLY, "processor.supply.voltage": "0.9 V"}, wl)
    assert not any("supply 0.9 V" in n for n in nominal.notes), nominal.notes
    held = _run("cpu-ddr5", {**SUPPLY, "processor.supply.voltage": "0.9 V", "processor.clock": "2 GHz"}, wl)
    assert any("clock 2 GHz of the 2.5 GHz f_max" in n for n in held.notes), held.notes


def test_the_fallback_reasons_name_all_four():
    from cimsim.sweep.columns import IMPLAUSIBLE_REASONS, implausible_reasons

    df = pd.DataFrame({"physically_plausible": [False]})
    said = implausible_reasons(df)
    assert all(why in said for _, why in IMPLAUSIBLE_REASONS), said
    assert "a cell smaller than the node's published 6T cell" in said
