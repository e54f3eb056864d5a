"""Near-bank processing units inside a DRAM/HBM level (HBM-PIM / AiM class).

Claims GEMV-shaped matmuls with a stationary weight (activation rows
``batch * m <= max_rows``) that no higher-priority component took. The
weights stay in the banks: they stream over each unit's internal bank
bandwidth and never cross the external bus; inputs and outputs do.

Model of one op: ``compute = max(macs / PIM peak, weight bytes / internal
bandwidth of all units)`` on one server (the units work on one GEMV at a time,
together); inputs and outputs cross the memory level the units sit in;
latency = ``op_overhead`` (host dispatch of the PIM command) + that level's
access latency; energy ``compute`` = MACs x energy per MAC + weight bits x
internal energy per bit. Peak rates scale with the level's ``channels``.
"""

from __future__ import annotations

from typing import Literal, Optional

import numpy as np
from pydantic import Field

from ..quantity import (
    BytesPerSecond,
    Hertz,
    Joules,
    JoulesPerBit,
    PositiveFloat,
    PositiveInt,
    Seconds,
    SquareMeters,
    Watts,
)
from .base import Component, ComponentConfig, OpArrays, OpCost, Plan


class PIMConfig(ComponentConfig):
    """Near-bank processing units (HBM-PIM / AiM class) in one memory level."""

    type: Literal["pim"] = Field(default="pim", description="Component type.")
    memory: Optional[str] = Field(default=None, description="The memory level the units sit in "
                                  "(default: the backing store, the last level).")
    units_per_channel: PositiveInt = Field(description="Processing units per memory channel.")
    clock: Hertz = Field(description="Clock of a processing unit.")
    macs_per_cycle: PositiveFloat = Field(description="MACs per cycle of one unit.")
    internal_bandwidth: BytesPerSecond = Field(description="Bank bandwidth available to one unit.")
    energy_per_mac: Joules = Field(description="Energy of one MAC in a unit.")
    energy_per_bit: JoulesPerBit = Field(description="Energy per bit read from the banks internally.")
    max_rows: PositiveInt = Field(default=1, description="Largest activation row count "
                                  "(batch x steps) treated as GEMV-shaped.")
    op_overhead: Seconds = Field(default="0 s", description="Host dispatch cost per PIM op.")
    static_power: Watts = Field(default="0 W", description="Idle power of all units.")
    area_per_unit: Optional[SquareMeters] = Field(default=None, description="Logic area of one "
                                                  "processing unit (in the DRAM die).")


class PIM(Component):
    type_name = "pim"
    Config = PIMConfig
    priority = 20
    energy_parts = ("compute",)
    utilizations = ("mac",)
    label = "PIM"

    @property
    def level(self) -> str:
        return self.config.memory or self.hw.backing_store

    def check(self):
        if self.level not in self.hw.memory:
            return [("memory", f"names no memory level; the architecture has {list(self.hw.memory)}")]
        return []

    @property
    def units(self) -> int:
        return self.config.units_per_channel * self.hw.resource(self.level).config.channels

    @property
    def peak_macs(self) -> float:
        """Peak MAC rate of all units, MAC/s."""
        return self.units * self.config.macs_per_cycle * self.config.clock

    @property
    def internal_bandwidth(self) -> float:
        """Bank bandwidth of all units together, B/s."""
        return self.units * self.config.internal_bandwidth

    def claim(self, ops: OpArrays, free):
        return free & (ops.stationary >= 0) & (ops.rows <= self.config.max_rows)

    def place(self, ops: OpArrays, idx):
        return Plan.one_server(len(idx))

    def cost(self, ops: OpArrays, idx, plan):
        c = self.config
        macs, wb = ops.macs[idx], ops.weight_bytes[idx]
        compute = np.maximum(macs / self.peak_macs, wb / self.internal_bandwidth)
        return OpCost(
            compute_s=compute,
            latency_s=np.full(len(idx), c.op_overhead + self.hw.resource(self.level).latency_s()),
            bytes={self.level: ops.act_in_bytes[idx] + ops.act_out_bytes[idx]},
            energy={"compute": macs * c.energy_per_mac + wb * 8.0 * c.energy_per_bit},
            busy={"mac": macs / self.peak_macs},
        )

    def area_m2(self):
        a = self.config.area_per_unit
        return {"units": a * self.units} if a is not None else {}

    def peak_macs_per_s(self, dtype):
        return self.peak_macs
