"""Static power by part (find-C 3, find-P 3): one column per component, per memory level and
link that states a static power, and per part of a component that splits its own; with every
result's ``samples_per_run`` (find-C 4).

Goldens: the config's stated watts (conftest.ROUND_ARCH's processor 1 W; 0.5 W of DRAM
background power and a 0.25 W link added here; a plug-in's 0.8 W laser + 0.2 W heaters), and
``energy_static_j = sum of the parts x latency``."""

from __future__ import annotations

import copy
from typing import Literal

import numpy as np
import pytest
from pydantic import Field

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.errors import ComponentError, ConfigError
from cimsim.hw import Component, ComponentConfig, OpCost, Plan, register
from cimsim.hw.registry import unregister
from cimsim.quantity import PositiveFloat, Watts
from cimsim.report import columns as C
from cimsim.workload import Op, Tensor, Workload

from conftest import ROUND_ARCH

N = 1 << 12


def _relu(batch: int = 1) -> Workload:
    return Workload("relu", [Tensor("x", (N,), "fp32", "input"), Tensor("y", (N,), "fp32", "activation")],
                    [Op("r", "elementwise", ("x",), ("y",), fn="relu")], metadata={"batch": batch})


class LaserConfig(ComponentConfig):
    """A toy optical unit whose static power is a laser and heaters."""

    type: Literal["test-laser-unit"] = Field(default="test-laser-unit", description="Component type.")
    ops_per_s: PositiveFloat = Field(description="Vector operations per second.")
    static_power: Watts = Field(default="1 W", description="Laser and heaters, together.")
    laser_share: float = Field(default=0.8, ge=0, le=1, description="The laser's share of the static power.")


class LaserUnit(Component[LaserConfig]):
    type_name = "test-laser-unit"
    Config = LaserConfig
    priority = 10
    energy_parts = ("ops",)

    def claim(self, ops, free):
        return free & (ops.macs == 0)

    def place(self, ops, idx):
        return Plan.one_server(len(idx))

    def cost(self, ops, idx, plan):
        vec = ops.vector_ops[idx]
        return OpCost(compute_s=vec / self.config.ops_per_s, latency_s=np.zeros(len(idx)),
                      bytes={"dram": ops.act_in_bytes[idx] + ops.act_out_bytes[idx]},
                      energy={"ops": vec * 1e-12})

    @property
    def static_power_parts_w(self):
        p, k = self.config.static_power, self.config.laser_share
        return {"laser": k * p, "heaters": (1 - k) * p}


@pytest.fixture
def laser():
    register(LaserUnit)
    yield LaserUnit
    unregister(LaserUnit.type_name)


def _arch(**extra):
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"]["dram"]["static_power"] = "0.5 W"
    d["links"] = {"pcie": {"bandwidth": "10 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit", "static_power": "0.25 W"}}
    d.update(extra)
    return architecture_from_dict(d)


def test_each_part_stated_is_a_column_and_they_sum_to_the_static_energy():
    r = simulate(_arch(), _relu(batch=3))
    rec = r.record()
    parts = {k: v for k, v in rec.items() if k.startswith("static_part_")}
    assert rec[C.STATIC_POWER_W] == pytest.approx(sum(parts.values()), rel=1e-12, abs=0)
    # the processor's 1 W, the DRAM's 0.5 W, the link's 0.25 W; the SRAM states none: no column
    assert parts == {"static_part_processor_w": 1.0, "static_part_dram_w": 0.5,
                     "static_part_pcie_w": 0.25}
    assert r.energy_breakdown_j[C.STATIC] == pytest.approx(1.75 * r.latency_s, rel=1e-12, abs=0)
    assert [c for c in C.result_columns(_arch()) if c.startswith("static_part_")] == list(parts)
    # the total is no part: a sum over the prefix (or over "static_..._w") does not count it twice
    assert not C.STATIC_POWER_W.startswith("static_part_")
    assert rec[C.SAMPLES_PER_RUN] == 3  # every result, not only a CIM's (find-C 4)
    assert rec[C.J_PER_SAMPLE] == pytest.approx(r.energy_j / 3, rel=1e-12, abs=0)


def test_a_component_may_split_its_static_power(laser):
    r = simulate(_arch(opt={"type": "test-laser-unit", "ops_per_s": 1e9}), _relu())
    rec = r.record()
    assert rec["static_part_opt_laser_w"] == pytest.approx(0.8, rel=1e-12, abs=0)
    assert rec["static_part_opt_heaters_w"] == pytest.approx(0.2, rel=1e-12, abs=0)
    assert "static_part_opt_w" not in rec
    # 1 W processor + 1 W optical unit + 0.5 W DRAM + 0.25 W link
    assert r.energy_breakdown_j[C.STATIC] == pytest.approx(2.75 * r.latency_s, rel=1e-12, abs=0)


def test_a_split_that_does_not_sum_to_the_whole_is_refused(laser):
    class Leaky(LaserUnit):
        @property
        def static_power_parts_w(self):
            return {"laser": 0.8, "heaters": 0.3}

    arch = _arch(opt={"type": "test-laser-unit", "ops_per_s": 1e9})
    arch.component("opt").__class__ = Leaky
    with pytest.raises(ComponentError, match=r"component 'opt' \(test-laser-unit\): static_power_parts_w "
                                             r"gives .*sum to its static_power_w \(1.0 W\)"):
        simulate(arch, _relu())


def test_a_stated_zero_watt_level_is_a_zero_column_and_an_unstated_one_none():
    """find-R A 8: ``static_power: 0 W`` stated on a level is a 0 W column; a level that states
    nothing (ROUND_ARCH's SRAM) has none: "not stated" is not 0 W."""
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"]["dram"]["static_power"] = "0 W"
    arch = architecture_from_dict(d)
    rec = simulate(arch, _relu()).record()
    assert rec["static_part_dram_w"] == 0.0
    assert "static_part_sram_w" not in rec
    assert [c for c in C.result_columns(arch) if c.startswith("static_part_")] == [
        "static_part_processor_w", "static_part_dram_w"]


def _split_type(name: str, parts):
    """LaserUnit under its own type name, whose split is ``parts`` (a function of the unit)."""
    cfg = type(f"{name}Config", (LaserConfig,), {"__annotations__": {"type": Literal[name]},
                                                 "type": Field(default=name, description="Component type.")})
    return register(type(name, (LaserUnit,), {"type_name": name, "Config": cfg,
                                              "static_power_parts_w": property(parts)}))


@pytest.mark.parametrize("parts, message", [
    (lambda s: {"laser": "0.8 W", "heaters": 0.2}, "static_power_parts_w gives '0.8 W': each part must be a real number of W"),
    (lambda s: 1.0, "static_power_parts_w must be a mapping of part name ([a-z0-9_]+) -> W"),
    (lambda s: {"opt": 0.8, "heaters": 0.2}, "static_power_parts_w names a part 'opt': a part's name must match [a-z0-9_]+ and not be the component's own name 'opt'"),
    (lambda s: {"the laser": 0.8, "heaters": 0.2}, "static_power_parts_w names a part 'the laser'"),
    (lambda s: {"": 0.8, "heaters": 0.2}, "static_power_parts_w names a part ''"),
])
def test_a_split_of_the_wrong_form_is_one_line_naming_the_component(parts, message):
    """Review 21 C 2: a string value and a float were tracebacks; a part named like the component
    took its unsplit column's name; "the laser" made a CSV column with a space."""
    _split_type("test-split-bad", parts)
    try:
        with pytest.raises(ConfigError) as err:
            _arch(opt={"type": "test-split-bad", "ops_per_s": 1e9})
    finally:
        unregister("test-split-bad")
    assert "opt: its type test-split-bad's " + message in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("other", [{"opt_laser": {"type": "test-split-none", "ops_per_s": 1e9}},
                                   {"links": {"opt_laser": {"bandwidth": "10 GB/s", "latency": "1 us",
                                                            "energy_per_bit": "1 pJ/bit",
                                                            "static_power": "5 W"}}}])
def test_two_owners_of_one_static_power_column_are_refused(laser, other):
    """Review 21 C 2: opt's laser part (0.8 W) and a component or link named opt_laser (1 W, 5 W)
    both fill static_part_opt_laser_w; one overwrote the other, so the parts summed to less
    than static_power_w."""
    _split_type("test-split-none", lambda s: {})  # unsplit: one column, by its name
    with pytest.raises(ConfigError, match=r"result column 'static_part_opt_laser_w' would be both "
                                          r"static power part 'laser' of component 'opt' and the "
                                          r"static power of (component )?'opt_laser'"):
        try:
            _arch(opt={"type": "test-laser-unit", "ops_per_s": 1e9}, **other)
        finally:
            unregister("test-split-none")
