"""Area as an architect reads it (found by a seventh round of new users): a part given in
``cim.area`` leaves the others derived; off-chip silicon and 0 m^2 dies refused; a share of no
area is undefined; placeholders of 0 m^2 are named; a pipelined chip's OPS/mm^2; the macros'
buffers outside the macro.

Golden values: hand arithmetic (cell area x cells; sums of parts), never the code's output.
"""

from __future__ import annotations

import math

import pytest

from cimsim import simulate
from cimsim.bundled import resolve_config, resolve_workload
from cimsim.config.loader import load_architecture
from cimsim.errors import ConfigError
from cimsim.report import columns as C
from cimsim.workload.io import load_workload


def _run(config, workload="hier-attn", **overrides):
    arch = load_architecture(resolve_config(config), overrides=overrides or None)
    return simulate(arch, load_workload(resolve_workload(workload)))


def test_one_given_cim_area_part_leaves_the_others_derived():
    alone = load_architecture(resolve_config("sram-cim-derived")).component("cim").area_m2()
    other = load_architecture(resolve_config("sram-cim-derived"),
                              overrides={"cim.area.other": "1 mm^2"}).component("cim").area_m2()
    assert other["other"] == pytest.approx(1e-6, rel=1e-12, abs=0)
    for part in ("arrays", "adc", "digital", "buffer"):  # derived as without an area section
        assert other[part] == alone[part] and alone[part] > 0
    # the buffer by hand: 1 MiB of Intel's 22 nm 0.092 um^2 6T cells, 70 % array efficiency
    assert alone["buffer"] == pytest.approx(8 * 2**20 * 0.092e-12 / 0.7, rel=1e-9, abs=0)
    assert sum(other.values()) == pytest.approx(sum(alone.values()) + 1e-6, rel=1e-12, abs=0)


def test_an_off_chip_level_declares_no_area():
    with pytest.raises(ConfigError, match=r"memory\.dram\.area.*off the compute chip"):
        load_architecture(resolve_config("cpu-ddr5"), overrides={"memory.dram.area": "100 mm^2"})
    on = load_architecture(resolve_config("cpu-ddr5"), overrides={"memory.sram.area": "10 mm^2"})
    assert C.area_parts(on) == {"sram": pytest.approx(1e-5, rel=1e-12, abs=0)}


@pytest.mark.parametrize("config,field", [("cpu-ddr5", "processor.area"), ("tpu-like", "tpu.area"),
                                          ("hbm-pim", "pim.area_per_unit"), ("rram-cim", "cim.area.array")])
def test_a_die_of_zero_area_is_refused(config, field):
    with pytest.raises(ConfigError, match=rf"{field}: 0 mm² is outside the domain: the value must be > 0"):
        load_architecture(resolve_config(config), overrides={field: "0 mm^2"})


def test_a_level_inside_the_die_may_have_zero_area():  # counted in the die's own area
    arch = load_architecture(resolve_config("cpu-ddr5"), overrides={"memory.sram.area": "0 mm^2"})
    assert C.area_parts(arch) == {"sram": 0.0}
    r = simulate(arch, load_workload(resolve_workload("lstm")))
    assert math.isnan(r.area_m2) and math.isnan(r.ops_per_s_per_m2)  # never a chip of 0 m^2


def test_an_area_too_small_for_a_float_is_one_line():
    from cimsim.errors import CimsimError

    arch = load_architecture(resolve_config("gpu-hbm3"), overrides={"processor.area": "1e-300 m^2"})
    with pytest.raises(CimsimError, match="is too small: OPS per m² overflows"):
        simulate(arch, load_workload(resolve_workload("gru")))


def test_no_area_has_no_placeholder_share_and_a_zero_placeholder_is_named():
    r = _run("cpu-ddr5")
    assert math.isnan(r.area_m2) and math.isnan(r.area_placeholder_share)
    assert r.to_json()["area_placeholder_share"] is None
    r = _run("sram-cim")  # gives the macro and its adder trees; the 1 MiB buffer no area
    assert r.area_breakdown_m2["cim_buffer"] == 0.0
    assert any("cim_buffer" in n and "not given (0 m²" in n for n in r.notes)


def test_a_pipelined_chip_states_its_stream_per_area():
    r = _run("neurosim-vgg8", "vgg8-cifar10")
    f = r.facts
    assert f[C.PIPELINED_OPS_PER_S_PER_M2] == pytest.approx(f[C.PIPELINED_OPS_PER_S] / r.area_m2,
                                                            rel=1e-12, abs=0)
    # the steady state beats one sample's latency: 208 us per sample against 657.5 us
    assert f[C.PIPELINED_OPS_PER_S_PER_M2] > 3 * r.ops_per_s_per_m2
    # its levels' buses declare no area: said, not a silent 0
    assert any("declares no area (interconnect.area)" in n for n in r.notes)


def test_a_macros_buffer_outside_the_macro_has_no_area():
    # Colonnade: 128 x 128 cells of 52.5 F x 52.5 F at 65 nm, the buffer outside the macro
    a = load_architecture(resolve_config("colonnade-jssc2021")).component("cim").area_m2()
    assert a["arrays"] == pytest.approx(128 * 128 * 52.5**2 * (65e-9) ** 2, rel=1e-9, abs=0)
    assert a["buffer"] == 0.0


def test_fields_shows_the_tightest_bound():
    from cimsim.config.walk import _field_leaf
    from cimsim.hw.cim.chip import Chip

    assert _field_leaf("x", Chip.model_fields["area_overhead"]).kind.describe() == "float, >= 1"
