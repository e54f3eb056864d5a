"""An exception inside a plug-in's code is one line naming the plug-in, never a traceback.

A plug-in type (a class defined outside cimsim) has every method of its contract guarded when it
is registered: an exception escaping one (here a ValueError raised in the method the config
names) becomes a ComponentError naming the component or level, its type, the method, the
exception and the plug-in's file and line. Before, cli.py caught only cimsim's own errors: every
such run ended in a 40-line traceback, and a sweep's row said "internal error ValueError: boom in
cost (at ...)". A type that lacks a method every type must implement is refused when registered
(it was a bare NotImplementedError traceback at run time). A built-in's own errors stay internal
errors (with their traceback).
"""

from __future__ import annotations

import copy
import subprocess
import sys
import textwrap

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cimsim import simulate
from cimsim.cli import main
from cimsim.config import architecture_from_dict
from cimsim.errors import ComponentError
from cimsim.hw import Component, MemoryLevel, MemoryResource, register
from cimsim.workload import Op, Tensor, Workload, save_workload

from conftest import ROUND_ARCH, plugin_package

#: the plug-in package's module: a vector unit that raises in the method its config names, and
#: a memory level whose rate raises
PLUGIN = textwrap.dedent('''
    from typing import Literal
    import numpy as np
    from pydantic import Field
    from cimsim.hw import Component, ComponentConfig, MemoryLevel, MemoryResource, OpCost, Plan
    from cimsim.hw.base import RATE, STREAM, BytesPerSecond

    METHODS = ("__init__", "check", "claim", "place", "workload_errors", "claim_note", "cost",
               "utilization", "provenance", "area_m2", "compute_bits", "compute_dtype",
               "static_power_w", "shared_bandwidths", "cache_link", "peak_macs_per_s",
               "mac_precision", "unclaimed_hint")


    def boom(config, method):
        if config.fail_in == method:
            raise ValueError(f"boom in {method}")


    class FailUnit(Component):
        type_name = "test-fail-unit"
        priority = 10
        energy_parts = ("ops",)
        utilizations = ("busy",)

        class Config(ComponentConfig):
            type: Literal["test-fail-unit"] = Field(default="test-fail-unit", description="Component type.")
            fail_in: Literal[("nothing",) + METHODS] = Field(default="nothing", description="Method that raises.")

        def __init__(self, name, config, hw):
            boom(config, "__init__")
            super().__init__(name, config, hw)

        def check(self):
            boom(self.config, "check"); return []
        def claim(self, ops, free):
            boom(self.config, "claim"); return free & (ops.macs == 0)
        def place(self, ops, idx):
            boom(self.config, "place"); return Plan.one_server(len(idx))
        def workload_errors(self, metadata):
            boom(self.config, "workload_errors"); return []
        def claim_note(self, ops, free, took):
            boom(self.config, "claim_note"); return None
        def unclaimed_hint(self, ops, unclaimed):
            boom(self.config, "unclaimed_hint"); return None
        def cost(self, ops, idx, plan):
            boom(self.config, "cost")
            vec = ops.vector_ops[idx].astype(float)
            return OpCost(vec * 1e-9, np.zeros(len(idx)), {}, {"ops": vec * 1e-12})
        def utilization(self, *args):
            boom(self.config, "utilization"); return super().utilization(*args)
        def provenance(self, marks=frozenset()):
            boom(self.config, "provenance"); return super().provenance(marks)
        def area_m2(self):
            boom(self.config, "area_m2"); return {"die": 1e-6}
        def compute_bits(self):
            boom(self.config, "compute_bits"); return None
        def compute_dtype(self):
            boom(self.config, "compute_dtype"); return None
        def peak_macs_per_s(self, dtype):
            boom(self.config, "peak_macs_per_s"); return None
        def mac_precision(self, dtype):
            boom(self.config, "mac_precision"); return dtype
        @property
        def static_power_w(self):
            boom(self.config, "static_power_w"); return 0.0
        @classmethod
        def shared_bandwidths(cls, name, config, technology=None):
            boom(config, "shared_bandwidths"); return {}
        @classmethod
        def cache_link(cls, name, config, links):
            boom(config, "cache_link"); return None


    class RaisingLevel(MemoryResource):
        type_name = "test-raising-level"

        class Config(MemoryLevel):
            type: Literal["test-raising-level"] = Field(default="test-raising-level", description="Resource type.")
            bandwidth: BytesPerSecond = Field(description="Peak bandwidth.", json_schema_extra=RATE)
            fail_in: Literal["nothing", "bytes_per_s"] = Field(default="nothing", description="Method that raises.")

        def peak_bytes_per_s(self):
            return self.config.bandwidth

        def bytes_per_s(self, pattern=STREAM):
            boom(self.config, "bytes_per_s"); return self.config.bandwidth
''')
#: where the plug-in raises: its file and line, as the errors name it
RAISE = [i for i, line in enumerate(PLUGIN.splitlines(), 1) if "raise ValueError" in line]
WHERE = f"(fail_plug.py:{RAISE[0]})"

WL = Workload("relu", [Tensor("x", (8,), "fp32", "input"), Tensor("y", (8,), "fp32", "activation")],
              [Op("r", "elementwise", ("x",), ("y",), fn="relu")])


@pytest.fixture
def plugin(tmp_path):
    """The plug-in package installed in ``tmp_path`` (for subprocesses and sweep workers), its
    types registered here too; the environment of a subprocess that finds it."""
    with plugin_package(tmp_path, "fail-plug", "fail_plug", PLUGIN, {
            "cimsim.components": ["test-fail-unit = fail_plug:FailUnit"],
            "cimsim.memory": ["test-raising-level = fail_plug:RaisingLevel"]}) as env:
        yield env


def _arch(fail_in: str = "nothing", level: str = "nothing") -> dict:
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"]["sram"] = {**d["memory"]["sram"], "type": "test-raising-level", "fail_in": level}
    d["vu"] = {"type": "test-fail-unit", "fail_in": fail_in}
    return d


def _line(method: str, call: str | None = None) -> str:
    return (f"component 'vu' (test-fail-unit): {call or method + '()'} raised ValueError: "
            f"boom in {method} {WHERE}")


def test_the_working_plugin_runs(plugin):
    assert simulate(architecture_from_dict(_arch()), WL).ops_per_unit["vu"] == 1


@pytest.mark.parametrize("method", ["__init__", "check", "claim", "place", "workload_errors", "claim_note",
                                    "cost", "utilization", "provenance", "area_m2", "compute_bits",
                                    "compute_dtype", "static_power_w", "shared_bandwidths", "cache_link"])
def test_an_error_in_a_method_a_run_calls_is_one_line_naming_the_plugin(plugin, method):
    with pytest.raises(ComponentError) as e:
        simulate(architecture_from_dict(_arch(method)), WL)
    assert str(e.value) == _line(method, "static_power_w" if method == "static_power_w" else None)
    assert isinstance(e.value.__cause__, ValueError)  # the plug-in's own error, for its author


@pytest.mark.parametrize("method, call", [
    ("peak_macs_per_s", lambda c: c.peak_macs_per_s("fp32")),  # rooflines
    ("mac_precision", lambda c: c.mac_precision("fp32")),
    ("unclaimed_hint", lambda c: c.unclaimed_hint(None, None)),  # a placement error's hint
])
def test_an_error_in_a_method_the_report_or_a_failed_placement_calls_is_one_line(plugin, method, call):
    comp = architecture_from_dict(_arch(method)).component("vu")
    with pytest.raises(ComponentError) as e:
        call(comp)
    assert str(e.value) == _line(method)


def test_an_error_in_a_plugin_memory_level_names_the_level(plugin):
    with pytest.raises(ComponentError) as e:
        simulate(architecture_from_dict(_arch(level="bytes_per_s")), WL)
    assert str(e.value) == (f"memory level 'sram' (type: test-raising-level): bytes_per_s() raised "
                            f"ValueError: boom in bytes_per_s {WHERE}")


def test_the_cli_and_a_sweep_say_the_same_one_line(plugin, tmp_path):
    cfg, wl = tmp_path / "a.yaml", tmp_path / "w.json"
    cfg.write_text(yaml.safe_dump(_arch(), sort_keys=False))
    save_workload(WL, wl)
    res = CliRunner().invoke(main, ["run", str(cfg), str(wl), "--set", "vu.fail_in=cost"])
    assert res.exit_code == 1 and res.output == f"Error: {_line('cost')}\n"
    p = subprocess.run([sys.executable, "-m", "cimsim.cli", "sweep", str(cfg), "-w", str(wl), "--param",
                        "vu.fail_in=cost,nothing", "-o", str(tmp_path / "s.parquet"), "--csv",
                        str(tmp_path / "s.csv"), "--workers", "1", "--engine", "analytic"],
                       env=plugin, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    rows = pd.read_csv(tmp_path / "s.csv")
    assert rows["error"].fillna("").tolist() == [f"at vu.fail_in=cost: {_line('cost')}", ""]


class NoCost(Component):  # its Config the base's (type: any name)
    type_name = "test-nocost"

    def claim(self, ops, free):
        return free


class NoRate(MemoryResource):
    type_name = "test-norate"
    Config = MemoryLevel

    def peak_bytes_per_s(self):
        return 1e9


@pytest.mark.parametrize("cls, msg", [
    (NoCost, r"component type 'test-nocost' \(\S*NoCost\) does not implement place\(\) and cost\(\), "
             r"which every component type must \(see cimsim\.hw\.base\.Component\)$"),
    (NoRate, r"memory-level type 'test-norate' \(\S*NoRate\) does not implement bytes_per_s\(\), which "
             r"every memory-level type must \(see cimsim\.hw\.base\.MemoryResource\)$"),
])
def test_a_type_without_a_required_method_is_refused_at_register(cls, msg):
    with pytest.raises(ComponentError, match=msg):
        register(cls)


def test_a_builtin_error_stays_an_internal_error():
    # only plug-ins are guarded: the processor's own error is not disguised as a user's
    comp = architecture_from_dict(copy.deepcopy(ROUND_ARCH)).component("processor")
    with pytest.raises(AttributeError) as e:
        comp.cost(None, None, None)
    assert not isinstance(e.value, ComponentError)
