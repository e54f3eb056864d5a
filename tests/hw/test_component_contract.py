"""A plug-in component that breaks the protocol of hw/base.py is refused by name: the stage
says which component, of which type, broke which rule, and the CLI prints it in one line.
Before, a claim mask of int 0/1 (or of the wrong length), a plan whose servers lie outside
0 .. n_servers - 1, a cost() that returned no OpCost, a utilization outside [0, 1] and a fact
its type does not declare (in --json, missing from compare's CSV) went through silently (the busy time of a server out of range landed on no server: 0 % busy) or
raised a bare numpy/attribute error that named nothing.

Each broken variant changes one hook of a working vector unit; the working one runs 8 relu
ops at 1 G ops/s (8 ns, conftest.ROUND_ARCH host beside it).
"""

from __future__ import annotations

import copy
from typing import Literal

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from pydantic import Field

from cimsim import simulate
from cimsim.cli import main
from cimsim.config import architecture_from_dict
from cimsim.errors import ComponentError, ConfigError
from cimsim.hw import Component, ComponentConfig, OpCost, Plan, register
from cimsim.hw.registry import unregister
from cimsim.quantity import PositiveFloat
from cimsim.workload import Op, Tensor, Workload, save_workload

from conftest import ROUND_ARCH


class UnitConfig(ComponentConfig):
    type: Literal["test-contract-unit"] = Field(default="test-contract-unit", description="Component type.")
    ops_per_s: PositiveFloat = Field(description="Vector operations per second.")
    breaks: Literal["nothing", "int-mask", "short-mask", "server-range", "no-cost", "util", "fact",
                    "rate-in-cost", "rate-in-place", "neg-static", "nan-area", "busy-undeclared",
                    "compute-text", "pieces-shape", "pieces-low", "neg-peak", "nan-peak",
                    "text-peak", "energy-missing", "lookup-peak", "in-order-shape", "in-order-check"] = Field(
        default="nothing", description="Which rule of the protocol it breaks.")


class Unit(Component):
    type_name = "test-contract-unit"
    Config = UnitConfig
    priority = 10
    energy_parts = ("ops",)
    utilizations = ("busy",)

    def claim(self, ops, free):
        mask = free & (ops.macs == 0)
        if self.config.breaks == "int-mask":
            return mask.astype(np.int64)
        if self.config.breaks == "short-mask":
            return mask[:-1]
        return mask

    @property
    def static_power_w(self):
        return -5.0 if self.config.breaks == "neg-static" else 0.0

    def area_m2(self):
        return {"tiles": float("nan")} if self.config.breaks == "nan-area" else {"die": 1e-6}

    def peak_macs_per_s(self, dtype):
        if self.config.breaks == "lookup-peak":  # a table of its one dtype, asked for another
            return {"int8": 1e9}[dtype]
        return {"neg-peak": -2.0, "nan-peak": float("nan"), "text-peak": "2 GMAC/s"}.get(self.config.breaks)

    def place(self, ops, idx):
        if self.config.breaks == "rate-in-place":
            self.hw.resource("dram").config.bandwidth
        plan = Plan.one_server(len(idx))
        if self.config.breaks == "server-range":
            plan.server[:] = 1  # n_servers is 1: server 1 is nobody's
        if self.config.breaks == "in-order-shape":
            plan.in_order = np.ones(2, dtype=bool)  # one server, two flags
        if self.config.breaks == "in-order-check":
            plan.in_order_check = {np.int64(0): len}  # a check for a server not in order (numpy key)
        if self.config.breaks == "fact":
            plan.summary["ops_run"] = len(idx)  # not in facts: compare's CSV dropped it
        return plan

    def cost(self, ops, idx, plan):
        if self.config.breaks == "no-cost":
            return None
        if self.config.breaks == "rate-in-cost":
            self.hw.resource("dram").config.bandwidth
        vec = ops.vector_ops[idx]
        b = self.config.breaks
        return OpCost(compute_s=["1e-9"] if b == "compute-text" else vec / self.config.ops_per_s,
                      latency_s=np.zeros(len(idx)), bytes={},
                      energy={} if b == "energy-missing" else {"ops": vec * 1e-12},
                      busy={"lanes": vec} if b == "busy-undeclared" else {},
                      pieces={"pieces-shape": np.ones((len(idx), 3)),
                              "pieces-low": np.full((len(idx), 2), 0.5)}.get(b))

    def utilization(self, ops, idx, plan, cost, busy_s, latency_s):
        return {"busy": 2.0 if self.config.breaks == "util" else busy_s / latency_s}


@pytest.fixture
def unit():
    register(Unit)
    yield Unit
    unregister(Unit.type_name)


def _arch(breaks: str) -> dict:
    d = copy.deepcopy(ROUND_ARCH)
    d["vu"] = {"type": "test-contract-unit", "ops_per_s": 1e9, "breaks": breaks}
    return d


WL = Workload("relu", [Tensor("x", (8,), "fp32", "input"), Tensor("y", (8,), "fp32", "activation")],
              [Op("r", "elementwise", ("x",), ("y",), fn="relu")])


def test_the_working_unit_runs(unit):
    r = simulate(architecture_from_dict(_arch("nothing")), WL)
    assert r.ops_per_unit["vu"] == 1
    assert r.utilization["vu_busy"] > 0


@pytest.mark.parametrize("breaks, rule", [
    ("int-mask", r"claim\(\) returned int64 of shape \(1,\); it must be a boolean mask over all ops"),
    ("short-mask", r"claim\(\) returned bool of shape \(0,\); it must be a boolean mask over all ops, shape \(1,\)"),
    ("server-range", r"returned a plan whose servers \(int64, e\.g\. \[1\]\) are not whole numbers in 0 \.\. 0"),
    ("no-cost", r"cost\(\) returned NoneType, not an OpCost"),
    # find-M 1: a server run in program order is one flag per server (Plan.in_order)
    ("in-order-shape", r"returned a plan whose in_order has shape \(2,\): one flag per server \(1,\) or None"),
    # review16-2 #1: the check that the order need not be imposed is one per in-order server;
    # review16-6 #4: a numpy key printed as an int, not np.int64(0)
    ("in-order-check", r"returned a plan whose in_order_check has the key\(s\) \[0\]: one callable per in-order server"),
    ("util", r"utilization busy = 2\.0 is outside \[0, 1\]"),
    ("fact", r"reported the fact\(s\) ops_run in its plan's summary, not among its type's facts \(none\)"),
    # reading a rate field was an AttributeError traceback; negative static power and a NaN area
    # ran, lowering the energy and reporting a negative area
    ("rate-in-cost", r"cost\(\) read 'bandwidth' of a FixedLevel \(type: fixed\) is a rate field"),
    ("rate-in-place", r"place\(\) read 'bandwidth' of a FixedLevel \(type: fixed\) is a rate field"),
    ("neg-static", r"static_power_w gives -5\.0; it must be finite and >= 0 \(W\)"),
    ("nan-area", r"area_m2\(\) gives part 'tiles' nan; an area must be finite and >= 0"),
    # a plug-in author's tracebacks (2026-12-05): busy time under an undeclared name was
    # dropped, text as a time a bare ValueError; pieces' shape and value said together
    ("busy-undeclared", r"cost\(\) returned busy time for 'lanes', not one of its type's "
                        r"utilizations \('busy',\)"),
    ("compute-text", r"cost\(\) returned compute_s that are not numbers"),
    ("pieces-shape", r"cost\(\) returned pieces of shape \(1, 3\); they must be \(1, 2\)"),
    ("pieces-low", r"cost\(\) returned pieces with 0\.5; each must be a number >= 1"),
    # a negative peak ran and drew the roofline's roof at it ('roof: sa -2 OPS', h72); the
    # workload has no matmul: the roofline's dtype is fp32
    ("neg-peak", r"peak_macs_per_s\('fp32'\) gives -2\.0; it must be a finite number of MAC/s > 0"),
    ("nan-peak", r"peak_macs_per_s\('fp32'\) gives nan; it must be a finite number of MAC/s > 0"),
    ("text-peak", r"peak_macs_per_s\('fp32'\) gives '2 GMAC/s'; it must be a finite number"),
    # every run asks each matmul dtype of the workload (a reviewer: a KeyError said no more)
    ("lookup-peak", r"peak_macs_per_s\(\) raised KeyError: 'fp32'.*; it was asked for 'fp32': every "
                    r"run asks it for each matmul dtype of the workload \(fp32: the roofline's "
                    r"roof\): return None"),
    # a declared energy part left out was 0 J, silently, where a declared busy time left out
    # and an undeclared part were refused (h72)
    ("energy-missing", r"cost\(\) returned energy without 'ops', which its type's energy_parts "
                       r"\('ops',\) declare; give it in OpCost\.energy"),
])
def test_a_broken_rule_is_named_with_the_component(unit, breaks, rule):
    with pytest.raises(ComponentError, match=r"component 'vu' \(test-contract-unit\)\S* " + rule):
        simulate(architecture_from_dict(_arch(breaks)), WL)


class CountingUnit(Unit):
    """Declares a utilization the default utilization() sums from OpCost.busy, and gives none."""

    type_name = "test-counting-unit"
    utilizations = ("busy", "lanes")
    utilization = Component.utilization

    class Config(UnitConfig):
        type: Literal["test-counting-unit"] = Field(default="test-counting-unit",
                                                    description="Component type.")


def test_numbers_held_as_python_objects_are_costs():
    """An object array of floats (a pandas object column), a Decimal, a big int converted
    before the check for text was added (a reviewer, 2026-12-05); text and booleans do not."""
    from decimal import Decimal

    from types import SimpleNamespace

    from cimsim.cost.table import _numbers

    unit = SimpleNamespace(name="vu", type_name="test-contract-unit")
    assert _numbers(unit, "compute_s", np.array([1e-9], dtype=object)).tolist() == [1e-9]
    assert _numbers(unit, "compute_s", [Decimal("1E-9")]).tolist() == [1e-9]
    for bad in (["1e-9"], [True], np.array(["x", 1.0], dtype=object)):
        with pytest.raises(ComponentError, match="that are not numbers"):
            _numbers(unit, "compute_s", bad)


def test_a_declared_utilization_without_busy_time_is_named():
    register(CountingUnit)
    try:
        d = _arch("nothing")
        d["vu"]["type"] = "test-counting-unit"
        with pytest.raises(ComponentError, match=r"component 'vu' \(test-counting-unit\): cost\(\) "
                                                 r"returned busy times without 'lanes'"):
            simulate(architecture_from_dict(d), WL)
    finally:
        unregister(CountingUnit.type_name)


@pytest.mark.parametrize("attr, value, says", [
    ("utilizations", "busy", "utilizations must be a tuple of names, e.g. ('mac',), not 'busy'"),
    ("energy_parts", "mac", "energy_parts must be a tuple of names"),
    ("priority", "26", "priority must be a whole number, not '26'"),
    ("facts", ["x"], "facts must be a mapping"),
])
def test_a_class_attribute_of_the_wrong_kind_is_refused_at_registration(attr, value, says):
    """A string as utilizations was a KeyError 'b' (its letters), a string priority a TypeError
    in placement (a plug-in author, 2026-12-05)."""
    bad = type("BadUnit", (Unit,), {"type_name": "test-bad-unit", attr: value,
                                    "Config": type("Config", (UnitConfig,), {
                                        "__annotations__": {"type": Literal["test-bad-unit"]},
                                        "type": Field(default="test-bad-unit",
                                                      description="Component type.")})})
    with pytest.raises(ComponentError, match=r"component type 'test-bad-unit' \(.*\): "
                                             + __import__("re").escape(says)):
        register(bad)


def test_the_cli_prints_a_broken_rule_in_one_line(unit, tmp_path):
    cfg, wl = tmp_path / "a.yaml", tmp_path / "w.json"
    cfg.write_text(yaml.safe_dump(_arch("server-range"), sort_keys=False))
    save_workload(WL, wl)
    res = CliRunner().invoke(main, ["run", str(cfg), str(wl), "--engine", "analytic"])
    assert res.exit_code == 1
    assert "Traceback" not in res.output and len(res.output.strip().splitlines()) == 1
    assert "component 'vu' (test-contract-unit) returned a plan whose servers" in res.output


class BusUnit(Unit):
    """A unit with an on-chip bus its ops share, its rate computed with NumPy."""

    type_name = "test-bus-unit"

    class Config(UnitConfig):
        type: Literal["test-bus-unit"] = Field(default="test-bus-unit", description="Component type.")

    @classmethod
    def shared_bandwidths(cls, name, config, technology=None):
        return {f"{name}_bus": np.float64(config.ops_per_s) * (config.breaks != "util")}


def test_a_shared_bandwidth_may_be_a_numpy_number_and_must_be_positive():
    # before: 'np.float64(1000000000.0) B/s' reached the unit parser (a pydantic traceback)
    register(BusUnit)
    try:
        d = copy.deepcopy(ROUND_ARCH)
        d["vu"] = {"type": "test-bus-unit", "ops_per_s": 1e9}
        assert architecture_from_dict(d).hardware.resource("vu_bus").peak_bytes_per_s() == 1e9
        d["vu"]["breaks"] = "util"  # here: a rate of 0
        with pytest.raises(ComponentError, match=r"component 'vu' \(test-bus-unit\): shared_bandwidths\(\) "
                                                 r"gives 'vu_bus' the rate 0\.0; it must be a finite"):
            architecture_from_dict(d).hardware
    finally:
        unregister(BusUnit.type_name)


def test_a_shared_bandwidth_named_like_a_link_is_one_line_naming_the_component(tmp_path):
    """A plug-in's on-chip bandwidth named like a link (here 'vu_bus' both) was a bare
    ValueError: the CLI printed a 55-line traceback (a tester, h72)."""
    register(BusUnit)
    try:
        d = copy.deepcopy(ROUND_ARCH)
        d["vu"] = {"type": "test-bus-unit", "ops_per_s": 1e9}
        d["links"] = {"vu_bus": {"bandwidth": "1 GB/s", "latency": "0 s", "energy_per_bit": "0 pJ/bit"}}
        says = ("component 'vu' (test-bus-unit): shared_bandwidths() names an on-chip bandwidth "
                "'vu_bus', which is also the name of a link")
        with pytest.raises(ComponentError, match=__import__("re").escape(says)):
            architecture_from_dict(d).hardware
        cfg, wl = tmp_path / "a.yaml", tmp_path / "w.json"
        cfg.write_text(yaml.safe_dump(d, sort_keys=False))
        save_workload(WL, wl)
        res = CliRunner().invoke(main, ["run", str(cfg), str(wl), "--engine", "analytic"])
        assert res.exit_code == 1
        assert "Traceback" not in res.output and len(res.output.strip().splitlines()) == 1
        assert says in res.output
    finally:
        unregister(BusUnit.type_name)


class ClashUnit(BusUnit):
    """BusUnit (its bus 'vu_bus') with an energy part 'bus' or a utilization 'bus_bw' (h72)."""

    type_name = "test-clash-unit"

    class Config(BusUnit.Config):
        type: Literal["test-clash-unit"] = Field(default="test-clash-unit", description="Component type.")
        clash: Literal["none", "energy", "util"] = Field(default="none", description="Which name clashes.")

    @property
    def energy_parts(self):
        return ("ops", "bus") if self.config.clash == "energy" else ("ops",)

    @property
    def utilizations(self):
        return ("busy", "bus_bw") if self.config.clash == "util" else ("busy",)

    def cost(self, ops, idx, plan):
        c = super().cost(ops, idx, plan)
        c.energy.update({"bus": np.full(len(idx), 1e-6)} if self.config.clash == "energy" else {})
        return c

    def utilization(self, ops, idx, plan, cost, busy_s, latency_s):
        return {u: busy_s / latency_s if u == "busy" else 0.0 for u in self.utilizations}


@pytest.mark.parametrize("clash, says", [
    ("energy", "vu: its energy or compute part 'bus' is reported as 'vu_bus', the name of an "
               "on-chip bandwidth (shared_bandwidths()) too"),
    ("util", "vu: its utilization 'bus_bw' is reported as 'vu_bus_bw', the name of the bandwidth "
             "utilization of 'vu_bus' too"),
])
def test_a_part_or_utilization_named_like_a_shared_bandwidth_is_refused(clash, says):
    """Energy part 'bus' (reported 'vu_bus') beside the bus 'vu_bus': the bus's zero column
    replaced the part's energy in the result, silently (a tester, h72); a utilization 'bus_bw'
    the same with the bus's. Refused at config load; and by the stages when an architecture is
    built without the loader (the report refused nothing: one dict entry overwrote the other)."""
    import dataclasses

    register(ClashUnit)
    try:
        d = copy.deepcopy(ROUND_ARCH)
        d["vu"] = {"type": "test-clash-unit", "ops_per_s": 1e9}
        ok = architecture_from_dict(d)
        assert simulate(ok, WL).energy_breakdown_j["vu_ops"] == pytest.approx(8e-12, rel=1e-12, abs=0)  # 8 ops x 1 pJ
        d["vu"]["clash"] = clash
        with pytest.raises(ConfigError) as e:
            architecture_from_dict(d)
        assert str(e.value) == f"<config>: {says}; " + ("parts and on-chip bandwidths need distinct "
                                                         "names: rename one of them" if clash == "energy"
                                                         else "rename one of them")
        raw = dataclasses.replace(ok, components={
            **ok.components, "vu": ok.components["vu"].model_copy(update={"clash": clash})})
        what = "energy part" if clash == "energy" else "utilization"
        with pytest.raises(ComponentError, match=f"architecture 'round': two {what}s are named "
                                                 f"'vu_bus{'_bw' if clash == 'util' else ''}'"):
            simulate(raw, WL)
    finally:
        unregister(ClashUnit.type_name)


def test_the_built_in_class_mappings_are_read_only():
    """``facts`` and ``compute_parts`` are class attributes shared by every instance and
    subclass: a plug-in writing ``self.facts[k] = v`` would have changed the processor's for
    every architecture; now it is a TypeError, and a read-only mapping registers."""
    from types import MappingProxyType

    from cimsim.hw.base import Component
    from cimsim.hw.pim import PIM
    from cimsim.hw.processor import Processor

    for mapping in (Processor.facts, PIM.compute_parts, Component.facts, Component.compute_parts):
        with pytest.raises(TypeError):
            mapping["x"] = 1  # type: ignore[index]
    assert dict(Processor.facts) == {"weights_on_chip": True}
    ok = type("ReadOnlyFactsUnit", (Unit,), {"type_name": "test-readonly-facts",
                                             "facts": MappingProxyType({"n": 0}),
                                             "Config": type("Config", (UnitConfig,), {
                                                 "__annotations__": {"type": Literal["test-readonly-facts"]},
                                                 "type": Field(default="test-readonly-facts",
                                                               description="Component type.")})})
    try:
        assert register(ok) is ok
    finally:
        unregister("test-readonly-facts")
