"""processor.supply: a DVFS operating point (find-E 2), and a technology block on an
architecture whose components do not read it says so (find-E 1)."""

from __future__ import annotations

import warnings

import pytest
from click.testing import CliRunner

import cimsim
from cimsim import load_architecture, simulate
from cimsim.cli import main
from cimsim.errors import CimsimError
from cimsim.workload.generators import matmul

#: the finding's V-f table: V0 0.9 V at 2.5 GHz, V_th 0.35 V, alpha 1.3. At 0.6 V:
#: f_max = 2.5 GHz x ((0.25^1.3 / 0.6) / (0.55^1.3 / 0.9)) = 2.5 GHz x 0.27490 / 0.51075 = 1.3455 GHz
F_MAX_0V6 = 2.5e9 * ((0.25 ** 1.3 / 0.6) / (0.55 ** 1.3 / 0.9))
SUPPLY = {"processor.supply.nominal_voltage": "0.9 V", "processor.supply.nominal_clock": "2.5 GHz",
          "processor.supply.threshold_voltage": "0.35 V"}


def _run(overrides, wl=None):
    arch = load_architecture("cpu-ddr5", overrides=overrides)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cimsim.CimsimWarning)
        return simulate(arch, wl or matmul(256, 512, 512, dtype="int8"), engine="analytic")


def test_energy_scales_as_v_squared_static_as_v_and_the_clock_is_checked():
    assert F_MAX_0V6 == pytest.approx(1.3456e9, rel=1e-4, abs=0)  # the finding's table: 1.34549 GHz
    clock = f"{F_MAX_0V6 / 1e9 * (1 - 1e-7):.9f} GHz"
    stock = _run({"processor.clock": clock})
    low = _run({**SUPPLY, "processor.supply.voltage": "0.6 V", "processor.clock": clock})
    # the same clock: the same time; compute energy x (0.6/0.9)^2 = 0.4444, static 40 W x 0.6/0.9
    assert low.latency_s == stock.latency_s
    assert low.energy_breakdown_j["processor_compute"] == pytest.approx(
        stock.energy_breakdown_j["processor_compute"] * (0.6 / 0.9) ** 2, rel=1e-12, abs=0)
    assert low.static_power_w == pytest.approx(40.0 * 0.6 / 0.9, rel=1e-12, abs=0)
    assert any("supply 0.6 V" in n and "x 0.4444" in n for n in low.notes), low.notes


def test_nominal_supply_changes_nothing_and_a_clock_above_f_max_is_refused():
    stock = _run({})
    nominal = _run({**SUPPLY, "processor.supply.voltage": "0.9 V"})
    assert nominal.energy_j == stock.energy_j and nominal.latency_s == stock.latency_s
    with pytest.raises(CimsimError, match=r"clock 2.5 GHz is above the 1.345 GHz the supply "
                                          r"allows at supply.voltage 0.6 V"):
        load_architecture("cpu-ddr5", overrides={**SUPPLY, "processor.supply.voltage": "0.6 V"})
    with pytest.raises(CimsimError, match="at or below threshold_voltage"):
        load_architecture("cpu-ddr5", overrides={**SUPPLY, "processor.supply.voltage": "0.3 V"})


def test_an_unread_technology_block_says_so_and_set_says_where_a_processor_supply_is(tmp_path):
    """The finding's cpu-tech.yaml: cpu-ddr5 with a technology block appended."""
    from cimsim.bundled import resolve_config

    f = tmp_path / "cpu-tech.yaml"
    f.write_text(resolve_config("cpu-ddr5").read_text() + "technology:\n  node: 22 nm\n  voltage: 0.6 V\n")
    arch = load_architecture(f)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cimsim.CimsimWarning)
        r = simulate(arch, matmul(64, 64, 64, dtype="int8"), engine="analytic")
    assert any(n.startswith("technology (22 nm, 0.6 V) changes nothing in this run") for n in r.notes)
    res = CliRunner().invoke(main, ["run", "cpu-ddr5", "gru", "--set", "technology.voltage=0.7V"])
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert "technology.* moves only the numbers a cim component's circuit models derive; a " \
           "processor's supply is processor.supply" in " ".join(res.output.split()), res.output


def test_op_overhead_cycles_follows_the_clock():
    """find-E 3: 5,000 cycles of dispatch (2 us at 2.5 GHz) are 5 us at 1 GHz and 1.25 us at
    4 GHz; op_overhead in seconds stays. One matmul is one op on the path."""
    wl = matmul(64, 64, 64, dtype="int8")
    assert len(wl.ops) == 1
    for clock, per_op in (("1 GHz", 5e-6), ("4 GHz", 1.25e-6)):
        base = _run({"processor.clock": clock, "processor.op_overhead": "0 s"}, wl)
        more = _run({"processor.clock": clock, "processor.op_overhead": "0 s",
                     "processor.op_overhead_cycles": 5000}, wl)
        assert more.latency_s - base.latency_s == pytest.approx(per_op, rel=1e-9, abs=0)
