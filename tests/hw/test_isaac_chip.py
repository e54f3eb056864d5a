"""The bundled ISAAC-CE chip config (``data/validation/isaac-chip.yaml``, find-I 5): isaac.yaml's
Table I parameters with ISAAC's hierarchy as a ``chip:`` block, loadable by name. Golden values
from ISAAC's Table I arithmetic (Shafiee et al., ISCA 2016)."""

from __future__ import annotations

import pytest

from cimsim import simulate
from cimsim.config import load_architecture
from cimsim.validate.cim import _load
from cimsim.validate.cimchip import peak_chip_figures
from cimsim.workload import Op, Tensor, Workload


def one_layer() -> Workload:
    """x (1 x 1024) @ w (1024 x 1024), fp32: 8 row tiles x (1024 x 8 cells / 128) = 512 crossbars."""
    t = [Tensor("x", (1, 1024), "fp32", "input"), Tensor("w", (1024, 1024), "fp32", "weight"),
         Tensor("y", (1, 1024), "fp32", "activation")]
    return Workload("one-layer", t, [Op("l", "matmul", ("x", "w"), ("y",), m=1, k=1024, n=1024,
                                        weight="w")])


def test_isaac_chip_loads_by_name_and_keeps_the_flat_configs_peak():
    arch = load_architecture("isaac-chip")
    assert arch.component("cim").config.chip is not None
    chip, flat = peak_chip_figures(arch), peak_chip_figures(_load("isaac.yaml"))
    # 85.42 mm^2: the bus, routers, sigmoid and max-pool are in area.other, the eDRAM moved to
    # the tile buffer (168 x 0.083 mm^2 = 13.944 mm^2, the flat config's area.buffer)
    for key in ("tops", "power", "area"):
        assert chip[key] == pytest.approx(flat[key], rel=1e-12, abs=0), key


def test_isaac_chip_runs_a_layer_by_table_i_and_says_nothing_of_missing_bus_area():
    r = simulate(load_architecture("isaac-chip"), one_layer(), keep_ops=True)
    # 16 one-bit input slices x 100 ns (the 1.28 GS/s ADC reads 128 columns in 100 ns)
    assert r.op_table.set_index("op").loc["l", "compute_s"] == pytest.approx(1.6e-6, rel=1e-9, abs=0)
    # 512 crossbars x 128 columns x 16 slices x 1.5625 pJ = 1638.4 nJ
    assert r.energy_breakdown_j["cim_adc"] == pytest.approx(1638.4e-9, rel=1e-9, abs=0)
    # find-I 5: the bus's and routers' area is booked in area.other (interconnect area 0 mm^2):
    # no note that the chip's area leaves its buses out
    assert not [n for n in r.notes if "declares no area" in n]
    assert r.area_breakdown_m2.get("cim_chip_interconnect", 0.0) == 0.0


def test_an_adc_shared_by_two_crossbars_as_the_readme_writes_it():
    # find-I 4: one 1.28 GS/s ADC per 2 crossbars = per_array 1 at 0.64 GS/s and half its area:
    # a slice max(100 ns, 2 x 128 / 1.28 GS/s) = 200 ns, 16 slices = 3.2 us; the ADC area
    # 16,128 x 0.0012 / 2 mm^2; the conversions (and their energy) as many as unshared
    arch = load_architecture("isaac-chip", {"cim.adc.sample_rate": "0.64 GHz",
                                            "cim.area.adc": "0.0006 mm^2"})
    r = simulate(arch, one_layer(), keep_ops=True)
    assert r.op_table.set_index("op").loc["l", "compute_s"] == pytest.approx(3.2e-6, rel=1e-9, abs=0)
    assert r.area_breakdown_m2["cim_adc"] == pytest.approx(16128 * 0.0006e-6, rel=1e-9, abs=0)
    assert r.energy_breakdown_j["cim_adc"] == pytest.approx(1638.4e-9, rel=1e-9, abs=0)


def test_adc_sharing_past_the_array_points_at_the_workaround():
    from cimsim.errors import ConfigError

    with pytest.raises(ConfigError) as e:
        load_architecture("isaac-chip", {"cim.adc.columns_per_adc": 256, "cim.adc.per_array": None})
    msg = str(e.value)
    assert "adc.columns_per_adc (256) cannot exceed cols (128)" in msg
    assert "README 'An ADC shared by several arrays'" in msg


def test_the_steady_state_energy_by_part_charges_static_power_over_the_interval():
    # find-I 2: the one-sample breakdown charges static power over the latency; the steady-state
    # one over the interval: static 20.22632 W (Table I's uncounted parts) x interval, the
    # dynamic parts per sample (ADC 512 x 128 x 16 x 1.5625 pJ = 1638.4 nJ), summing to
    # pipelined_j_per_sample
    from cimsim.report.samples import steady_energy_by_part

    r = simulate(load_architecture("isaac-chip"), one_layer(), keep_ops=False)
    steady = steady_energy_by_part(r)
    interval = r.facts["pipeline_interval_s"]
    assert steady["static"] == pytest.approx(20.22632 * interval, rel=1e-9, abs=0)
    assert steady["cim_adc"] == pytest.approx(1638.4e-9, rel=1e-9, abs=0)
    assert sum(steady.values()) == pytest.approx(r.facts["pipelined_j_per_sample"], rel=1e-12, abs=0)
    # a flat pool (no pipeline columns) has none
    assert steady_energy_by_part(simulate(_load("isaac.yaml"), one_layer(), keep_ops=False)) == {}
