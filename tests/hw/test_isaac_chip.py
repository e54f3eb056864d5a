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
    # given as 0 (a part, 0 mm^2), not left out (no part): review B 7
    assert r.area_breakdown_m2["cim_chip_interconnect"] == 0.0
    # Table I: 16,128 x (0.000025 + 0.0012 + 1024 x 0.000000166015625 + 0.00039375) mm^2 +
    # 168 x 0.083 mm^2 eDRAM + 45.0308 mm^2 other = 85.42472 mm^2
    assert sum(r.area_breakdown_m2.values()) == pytest.approx(85.42472e-6, rel=1e-9, abs=0)


def test_a_chip_buffers_area_may_be_zero_where_another_part_books_it():
    # review B 5: a level buffer's area booked in cim.area.buffer / area.other is given as 0 (it
    # was refused: "the value must be > 0"): the chip's buffers count 0 mm^2, the total 85.42472
    # - 168 x 0.083 = 71.48072 mm^2; a negative area is still refused
    from cimsim.errors import ConfigError

    r = simulate(load_architecture("isaac-chip", {"cim.chip.levels.tile.buffer.area": "0 mm^2"}),
                 one_layer(), keep_ops=False)
    assert r.area_breakdown_m2["cim_chip_buffers"] == 0.0
    assert sum(r.area_breakdown_m2.values()) == pytest.approx(71.48072e-6, rel=1e-9, abs=0)
    with pytest.raises(ConfigError, match="must be >= 0"):
        load_architecture("isaac-chip", {"cim.chip.levels.tile.buffer.area": "-1 mm^2"})


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
    # dynamic parts per sample (ADC 512 x 128 x 16 x 1.5625 pJ = 1638.4 nJ)
    from cimsim.report.samples import steady_energy_by_part

    r = simulate(load_architecture("isaac-chip"), one_layer(), keep_ops=False)
    steady = steady_energy_by_part(r)
    interval = r.facts["pipeline_interval_s"]
    assert steady["static"] == pytest.approx(20.22632 * interval, rel=1e-9, abs=0)
    assert steady["cim_adc"] == pytest.approx(1638.4e-9, rel=1e-9, abs=0)
    # a flat pool (no pipeline columns) has none
    assert steady_energy_by_part(simulate(_load("isaac.yaml"), one_layer(), keep_ops=False)) == {}


def test_the_steady_state_parts_are_per_sample_and_sum_to_the_pipelines_energy():
    # review B 3: each part computed on its own (the dynamic parts over the 4 samples of the run,
    # static = Table I's 20.22632 W x the interval), so the sum equalling pipelined_j_per_sample
    # (which build computes from the run's dynamic energy and the architecture's static power)
    # checks both; before, the dynamic parts were scaled to make the sum hold whatever it was.
    # x (4 x 1024) @ w: 4 vectors x 512 crossbars x 128 columns x 16 slices, per sample:
    # ADC 512 x 128 x 16 x 1.5625 pJ = 1638.4 nJ (6553.6 nJ a run), DAC 512 x 128 rows x 16 x
    # 0.390625 pJ = 409.6 nJ, cells 512 x 128 x 128 x 16 x 1.8310546875 fJ = 245.76 nJ,
    # shift-and-add 512 x 128 x 16 x 0.0205078125 pJ = 21.504 nJ
    from cimsim.report.samples import steady_energy_by_part

    t = [Tensor("x", (4, 1024), "fp32", "input"), Tensor("w", (1024, 1024), "fp32", "weight"),
         Tensor("y", (4, 1024), "fp32", "activation")]
    w = Workload("one-layer-4", t, [Op("l", "matmul", ("x", "w"), ("y",), m=4, k=1024, n=1024,
                                       weight="w")], metadata={"batch": 4})
    r = simulate(load_architecture("isaac-chip"), w, keep_ops=False)
    steady = steady_energy_by_part(r)
    assert r.energy_breakdown_j["cim_adc"] == pytest.approx(4 * 1638.4e-9, rel=1e-9, abs=0)
    for part, joules in {"cim_adc": 1638.4e-9, "cim_dac": 409.6e-9, "cim_array": 245.76e-9,
                         "cim_digital": 21.504e-9}.items():
        assert steady[part] == pytest.approx(joules, rel=1e-9, abs=0), part
    assert steady["static"] == pytest.approx(20.22632 * r.facts["pipeline_interval_s"], rel=1e-9,
                                             abs=0)
    assert sum(steady.values()) == pytest.approx(r.facts["pipelined_j_per_sample"], rel=1e-12, abs=0)


@pytest.mark.parametrize("per_array", [0.5, 0, 1.5])
def test_a_fractional_adc_per_array_points_at_the_workaround(per_array):
    # review B 6: "half an ADC per array" gave pydantic's "Input should be a valid integer" with
    # no pointer; now it names the sharing workaround
    from cimsim.errors import ConfigError

    with pytest.raises(ConfigError) as e:
        load_architecture("isaac-chip", {"cim.adc.per_array": per_array})
    msg = str(e.value)
    assert f"cim.adc.per_array: ADCs per array must be a whole number >= 1 (got {per_array})" in msg
    assert "per_array 1 and arrays_per_adc k (README 'An ADC shared by several arrays')" in msg
    assert "\n" not in msg


def test_the_steady_state_parts_are_in_the_json_the_html_report_and_one_title_line(tmp_path):
    # review B 7: the steady-state table was in `run` only, under a title that wrapped to two
    # lines; now `--json` has steady_energy_by_part_j, the HTML report a table of it, and the
    # title is one line. ADC per sample 512 x 128 x 16 x 1.5625 pJ = 1.638 uJ (one_layer)
    from click.testing import CliRunner

    from cimsim.cli import main
    from cimsim.report.html import Report, render_html
    from cimsim.workload import save_workload

    a, w = load_architecture("isaac-chip"), one_layer()
    r = simulate(a, w, keep_ops=False)
    assert r.to_json()["steady_energy_by_part_j"]["cim_adc"] == pytest.approx(1638.4e-9, rel=1e-9,
                                                                              abs=0)
    table = render_html(Report([a], [w], [(a, w, r)])).split('<table id="steady-energy">')[1]
    assert "<td class=l>cim_adc</td><td>1.638\u00a0µJ</td>" in table.split("</table>")[0], table
    save_workload(w, tmp_path / "one.json")
    res = CliRunner().invoke(main, ["run", "isaac-chip", str(tmp_path / "one.json")])
    assert "\nenergy per sample, steady state\n" in res.output, res.output
