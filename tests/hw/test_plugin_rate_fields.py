"""A plug-in component's own rate field (``json_schema_extra=RATE``) is read only where rates are
applied: its ``shared_bandwidths``. A component sees its config without its rate fields, as it
sees the memory levels and links, so reading one in ``cost()`` is refused in one line.

Before, a component got its full config: a plug-in that marked ``clock`` a rate and read it in
``cost()`` ran, and a sweep over the clock reused the first point's cost table (the cache key
leaves rate fields out) for every row: three clocks, one latency, no error. ``cimsim run --set``
gave the right values, so nothing looked wrong.
"""

from __future__ import annotations

import copy
import subprocess
import sys
import textwrap

import pandas as pd
import pytest
import yaml

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.cost.cache import CostCache
from cimsim.errors import ComponentError
from cimsim.workload import Op, Tensor, Workload, save_workload

from conftest import ROUND_ARCH, plugin_package

#: the plug-in package's module: two vector units, each with one rate field
PLUGIN = textwrap.dedent('''
    from typing import Literal
    import numpy as np
    from pydantic import Field
    from cimsim.hw import Component, ComponentConfig, OpCost, Plan
    from cimsim.hw.base import RATE, BytesPerSecond
    from cimsim.quantity import Hertz


    class ClockUnit(Component):
        """Its clock is marked a rate, yet its cost() reads it (through ``peak``)."""
        type_name = "test-clock-unit"
        priority = 10
        energy_parts = ("ops",)

        class Config(ComponentConfig):
            type: Literal["test-clock-unit"] = Field(default="test-clock-unit", description="Component type.")
            clock: Hertz = Field(description="Clock (one vector op a cycle).", json_schema_extra=RATE)

        @property
        def peak(self):
            return self.config.clock

        def claim(self, ops, free):
            return free & (ops.macs == 0)

        def place(self, ops, idx):
            return Plan.one_server(len(idx))

        def cost(self, ops, idx, plan):
            vec = ops.vector_ops[idx].astype(float)
            return OpCost(compute_s=vec / self.peak, latency_s=np.zeros(len(idx)), bytes={},
                          energy={"ops": vec * 1e-12})


    class BusUnit(ClockUnit):
        """Its rate field is an on-chip bus, read only where rates are applied."""
        type_name = "test-bus-rate-unit"

        class Config(ComponentConfig):
            type: Literal["test-bus-rate-unit"] = Field(default="test-bus-rate-unit", description="Component type.")
            clock: Hertz = Field(description="Clock (one vector op a cycle).")
            bus: BytesPerSecond = Field(description="Operand bus its ops share.", json_schema_extra=RATE)

        @classmethod
        def shared_bandwidths(cls, name, config, technology=None):
            return {f"{name}_bus": config.bus}

        def cost(self, ops, idx, plan):
            c = super().cost(ops, idx, plan)
            c.bytes = {f"{self.name}_bus": (ops.act_in_bytes[idx] + ops.act_out_bytes[idx]).astype(float)}
            return c
''')

WL = Workload("relu", [Tensor("x", (4096,), "fp32", "input"), Tensor("y", (4096,), "fp32", "activation")],
              [Op("r", "elementwise", ("x",), ("y",), fn="relu")])

READ = ("component 'vu' (test-clock-unit): cost() read 'clock' of a ClockUnit.Config (type: "
        "test-clock-unit) is a rate field: a component reads its own rate fields only in "
        "shared_bandwidths() (the stages apply them; runs that differ only in rates share one "
        "placement and cost table); to read it in place(), cost() or any other method, drop its "
        "json_schema_extra=RATE")


@pytest.fixture
def plugin(tmp_path):
    """The plug-in package installed in ``tmp_path`` (for a sweep's worker processes) and its
    classes registered here; the environment of a ``cimsim`` subprocess that finds it."""
    with plugin_package(tmp_path, "rate-plug", "rate_plug", PLUGIN, {"cimsim.components": [
            "test-clock-unit = rate_plug:ClockUnit", "test-bus-rate-unit = rate_plug:BusUnit"]}) as env:
        yield env


def _arch(**vu) -> dict:
    d = copy.deepcopy(ROUND_ARCH)
    d["vu"] = vu
    return d


def test_a_rate_field_read_in_cost_is_refused_in_one_line(plugin):
    with pytest.raises(ComponentError) as e:
        simulate(architecture_from_dict(_arch(type="test-clock-unit", clock="1 GHz")), WL)
    assert str(e.value) == READ


def test_a_sweep_over_it_never_reuses_the_first_points_cost(plugin, tmp_path):
    """The tester's sweep, end to end: each row says why, none has the first point's latency."""
    cfg, wl, out = tmp_path / "a.yaml", tmp_path / "w.json", tmp_path / "s.csv"
    cfg.write_text(yaml.safe_dump(_arch(type="test-clock-unit", clock="1 GHz"), sort_keys=False))
    save_workload(WL, wl)
    p = subprocess.run([sys.executable, "-m", "cimsim.cli", "sweep", str(cfg), "-w", str(wl), "--param",
                        "vu.clock=0.25GHz,1GHz,4GHz", "--param", "memory.dram.bandwidth=400GB/s",
                        "-o", str(tmp_path / "s.parquet"), "--csv", str(out), "--workers", "1",
                        "--engine", "analytic"], env=plugin, capture_output=True, text=True)
    # the file is written, then the sweep exits 3: every row is an error
    assert p.returncode == 3 and "Error: every row of" in p.stderr, p.stderr
    df = pd.read_csv(out)
    assert df["error"].tolist() == [f"at vu.clock={c}, memory.dram.bandwidth=400 GB/s: {READ}"
                                    for c in ("250 MHz", "1 GHz", "4 GHz")]
    assert df["latency_s"].isna().all()


def test_a_rate_field_read_by_shared_bandwidths_is_applied_per_run_with_the_cost_reused(plugin):
    cache = CostCache(keep=4)
    got = {}
    for bus in ("1 GB/s", "4 GB/s"):
        arch = architecture_from_dict(_arch(type="test-bus-rate-unit", clock="1 GHz", bus=bus))
        r = simulate(arch, WL, engine="analytic", costs=cache)
        assert r.to_json() == simulate(arch, WL, engine="analytic").to_json()  # bit-identical
        got[bus] = r.latency_s
    assert (cache.hits, cache.misses) == (1, 1)  # the second bus reused the first's cost table
    assert got["1 GB/s"] > got["4 GB/s"]  # and its own bus rate was applied
