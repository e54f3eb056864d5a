"""The component protocol (hw/base.py): a new device is one class and one registration; what
the pipeline does with a component that returns an impossible cost, an op no component claims,
and a machine with no declared area.

Round numbers (conftest.ROUND_ARCH): 4 cores x 1 GHz x 8 fp32 MAC = 32 GMAC/s, 32 G vector
ops/s; DRAM 10 GB/s + 100 ns. Every expected value below is arithmetic on those numbers.
"""

from __future__ import annotations

import copy
from typing import Literal

import numpy as np
import pytest
from pydantic import Field

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.errors import ConfigError, MappingError
from cimsim.hw import Component, ComponentConfig, OpCost, Plan, register
from cimsim.hw.registry import types, unregister
from cimsim.quantity import PositiveFloat, Watts
from cimsim.workload import Op, Tensor, Workload

from conftest import ROUND_ARCH


# ------------------------------------------------------------------ a plug-in component
class VectorUnitConfig(ComponentConfig):
    """A toy near-memory vector unit: elementwise ops at a fixed rate."""

    type: Literal["test-vector-unit"] = Field(default="test-vector-unit", description="Component type.")
    ops_per_s: PositiveFloat = Field(description="Vector operations per second.")
    static_power: Watts = Field(default="0 W", description="Idle power.")


class VectorUnit(Component[VectorUnitConfig]):
    """Claims every op without MACs; runs it at ops_per_s; its operands cross the DRAM bus."""

    type_name = "test-vector-unit"
    Config = VectorUnitConfig
    priority = 10
    energy_parts = ("ops",)
    utilizations = ("busy",)

    def claim(self, ops, free):
        return free & (ops.macs == 0)

    def place(self, ops, idx):
        return Plan.one_server(len(idx))

    def cost(self, ops, idx, plan):
        vec = ops.vector_ops[idx]
        return OpCost(compute_s=vec / self.config.ops_per_s, latency_s=np.zeros(len(idx)),
                      bytes={"dram": ops.act_in_bytes[idx] + ops.act_out_bytes[idx]},
                      energy={"ops": vec * 1e-12})

    def utilization(self, ops, idx, plan, cost, busy_s, latency_s):
        return {"busy": busy_s / latency_s}


@pytest.fixture
def vector_unit():
    register(VectorUnit)
    yield VectorUnit
    unregister(VectorUnit.type_name)


def test_a_new_device_is_one_class_and_one_registration(vector_unit):
    assert "test-vector-unit" in types()
    d = copy.deepcopy(ROUND_ARCH)
    d["vu"] = {"type": "test-vector-unit", "ops_per_s": 1e9}  # not a quantity: a plain rate
    arch = architecture_from_dict(d)
    n = 1 << 16
    wl = Workload("relu", [Tensor("x", (n,), "fp32", "input"), Tensor("y", (n,), "fp32", "activation")],
                  [Op("r", "elementwise", ("x",), ("y",), fn="relu")])
    r = simulate(arch, wl)
    assert r.ops_per_unit == {"processor": 0, "vu": 1}
    # 65,536 relu ops at 1 G/s = 65.536 us; 512 KiB over 10 GB/s DRAM = 52.4288 us: compute wins
    assert r.latency_s == pytest.approx(n / 1e9, rel=1e-12, abs=0)
    assert r.energy_breakdown_j["vu_ops"] == pytest.approx(n * 1e-12, rel=1e-12, abs=0)
    assert r.utilization["vu_busy"] == pytest.approx(1.0, rel=1e-6, abs=0)
    assert r.record()["energy_vu_ops_j"] == r.energy_breakdown_j["vu_ops"]
    # the new type's fields are listed and validated like the built-ins'
    from cimsim.config.schema import describe_fields

    assert "test-vector-unit.ops_per_s" in {f.path for f in describe_fields()}
    d["vu"]["ops_per_s"] = -1
    with pytest.raises(ConfigError, match="vu.ops_per_s"):
        architecture_from_dict(d, source="x.yaml")


def test_a_component_returning_an_impossible_cost_is_named(vector_unit):
    class Broken(VectorUnit):
        type_name = "test-broken"

        def cost(self, ops, idx, plan):
            c = super().cost(ops, idx, plan)
            c.compute_s = -c.compute_s
            return c

    class BrokenConfig(VectorUnitConfig):
        type: Literal["test-broken"] = Field(default="test-broken", description="Component type.")

    Broken.Config = BrokenConfig
    register(Broken)
    try:
        d = copy.deepcopy(ROUND_ARCH)
        d["bad"] = {"type": "test-broken", "ops_per_s": 1e9}
        wl = Workload("relu", [Tensor("x", (8,), "fp32", "input"), Tensor("y", (8,), "fp32", "activation")],
                      [Op("r", "elementwise", ("x",), ("y",), fn="relu")])
        with pytest.raises(AssertionError, match=r"component 'bad' \(test-broken\) produced an impossible compute_s"):
            simulate(architecture_from_dict(d), wl)
    finally:
        unregister("test-broken")


def test_an_op_no_component_claims_is_an_error():
    d = copy.deepcopy(ROUND_ARCH)
    d["pim"] = {"units_per_channel": 1, "clock": "1 GHz", "macs_per_cycle": 1,
                "internal_bandwidth": "1 GB/s", "energy_per_mac": "1 pJ", "energy_per_bit": "1 pJ/bit"}
    del d["processor"]
    wl = Workload("relu", [Tensor("x", (8,), "fp32", "input"), Tensor("y", (8,), "fp32", "activation")],
                  [Op("r", "elementwise", ("x",), ("y",), fn="relu")])
    with pytest.raises(MappingError, match="no component runs op 'r' .*add a processor"):
        simulate(architecture_from_dict(d), wl)



def test_no_declared_area_gives_nan_area_efficiency(round_arch):
    from conftest import gemv_workload

    r = simulate(round_arch, gemv_workload(64, 64))
    assert np.isnan(r.area_m2) and np.isnan(r.ops_per_s_per_m2)  # no area: undefined, not 0 m^2
    assert r.to_json()["ops_per_s_per_m2"] is None  # JSON has no NaN
    assert r.ops_per_j > 0


def test_names_plug_ins_import_from_hw_base_stay_there():
    """``cimsim/hw/base.py`` is the protocol the README points plug-ins to: what it exported
    before 0.5 moved ``Technology``, ``Register`` and the rate-free view to their own modules
    still imports from it."""
    import cimsim.hw.base as base
    from cimsim.hw.ratefree import RateFree
    from cimsim.hw.technology import Register, Technology

    assert (base.Technology, base.Register, base.RateFree) == (Technology, Register, RateFree)
    for name in ("Meters", "NonNegativeFloat", "Volts", "Bytes", "Seconds", "RATE", "is_rate",
                 "Strict", "ComponentConfig", "MemoryLevel", "Link", "Component", "Plan", "OpCost",
                 "Hardware", "Pattern", "STREAM", "add_stored", "Resource", "MemoryResource",
                 "LinkResource"):
        assert hasattr(base, name), name


def test_the_contracts_methods_say_what_they_must_return():
    """help(Component.cost) printed only the signature: what a plug-in must return (shapes,
    bytes by resource, latency with the link's) lived only in the README."""
    from cimsim.hw import base, registry
    from cimsim.hw.collective import Collective

    owners = {base.Component: ("place", "cost", "static_power_w"),
              base.Hardware: ("latency_of", "backing_store", "store_target"),
              base.Resource: ("bytes_per_s", "peak_bytes_per_s", "latency_s", "joules_per_byte"),
              base.MemoryLevel: ("joules_per_byte",), base.Link: ("joules_per_byte",),
              registry.Registry: ("register", "unregister", "types", "get"),
              Collective: ("place", "cost")}
    bare = [f"{cls.__name__}.{m}" for cls, names in owners.items() for m in names
            if not (getattr(vars(cls)[m], "fget", vars(cls)[m]).__doc__ or "").strip()]
    bare += [f"registry.{f}" for f in ("register", "unregister", "types", "get")
             if not (getattr(registry, f).__doc__ or "").strip()]
    assert bare == []
    assert "latency_of" in base.Component.cost.__doc__ and "resource name" in base.Component.cost.__doc__
