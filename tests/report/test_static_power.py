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
from cimsim.errors import ComponentError
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
