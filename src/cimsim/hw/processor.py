"""A host processor (CPU or GPU): runs every op no other component claims.

Model of one op
---------------
The processor runs one op at a time using all cores (a BLAS call, a GPU
kernel); concurrency comes from the other components working beside it.

- compute: ``max(macs / (peak MAC rate of the op's dtype x achievable fraction
  for the op's rows), vector ops / peak vector rate)`` on its single server
  (``mac_efficiency``: a matmul with few activation rows (batch x m) reaches
  less of the peak than the large matmuls the peak is measured with);
- bytes: through its memory levels (``levels``, innermost first; default every
  level of the architecture) by the rules of :mod:`cimsim.hw.hierarchy`:
  reused weight matrices stay resident where they fit, everything else
  streams from the backing store; activations stay in the innermost level that
  holds them. Each level's bandwidth is a shared resource in the engine, so an
  op's time is ``max(compute, bytes / bandwidth per level)``;
- latency: ``op_overhead`` (dispatch: kernel launch, fork/join) plus the access
  latency of the slowest level the op touches;
- energy: ``compute`` = MACs x energy per MAC (per dtype) + vector ops x
  energy per vector op; memory-level energy is charged by the stage.
"""

from __future__ import annotations

import typing
from typing import Literal, Optional

import numpy as np
from pydantic import Field

from ..errors import MappingError
from ..quantity import Fraction, Hertz, Joules, PositiveFloat, PositiveInt, Seconds, SquareMeters, Watts
from .base import Component, ComponentConfig, OpCost, Plan, Strict
from .hierarchy import hierarchy_traffic

DType = Literal["fp32", "fp16", "bf16", "int8"]


class MacEfficiency(Strict):
    """Achievable fraction of the peak MAC rate for matmuls of up to ``max_rows`` rows."""

    max_rows: PositiveInt = Field(description="Largest activation row count (batch x m) it applies to.")
    fraction: Fraction = Field(description="Fraction of the peak MAC rate such matmuls reach.")


class ProcessorConfig(ComponentConfig):
    """A host processor (CPU or GPU) that runs everything not claimed by another component."""

    type: Literal["processor"] = Field(default="processor", description="Component type.")
    name: str = Field(description="Human-readable name of the part.")
    cores: PositiveInt = Field(description="Cores (CPU) or streaming multiprocessors (GPU).")
    clock: Hertz = Field(description="Core clock.")
    macs_per_cycle_per_core: dict[DType, PositiveFloat] = Field(
        description="Peak multiply-accumulates per cycle per core, per dtype.")
    vector_ops_per_cycle_per_core: PositiveFloat = Field(
        description="Peak elementwise operations per cycle per core.")
    energy_per_mac: dict[DType, Joules] = Field(description="Energy of one MAC, per dtype.")
    energy_per_vector_op: Joules = Field(description="Energy of one elementwise operation.")
    static_power: Watts = Field(description="Leakage and uncore power while the run lasts.")
    op_overhead: Seconds = Field(default="0 s", description="Fixed dispatch cost per op "
                                 "(kernel launch, thread fork/join).")
    area: Optional[SquareMeters] = Field(default=None, description="Die area (cores, uncore; its "
                                         "last-level cache is a memory level with its own area).")
    mac_efficiency: list[MacEfficiency] = Field(
        default_factory=list, description="Achievable fraction of peak MAC rate by matmul rows "
        "(batch x m): an op takes the entry with the smallest max_rows >= its rows; ops with more "
        "rows than every entry run at peak. `cimsim calibrate` measures it (default: none, peak).")
    levels: Optional[list[str]] = Field(
        default=None, description="Memory levels the processor reads through, innermost first "
        "(default: every level of the architecture, in order).")

    def peak_macs_per_s(self, dtype: str) -> float:
        return self.cores * self.clock * self.macs_per_cycle_per_core[dtype]

    @property
    def peak_vector_ops_per_s(self) -> float:
        return self.cores * self.clock * self.vector_ops_per_cycle_per_core


class Processor(Component):
    type_name = "processor"
    Config = ProcessorConfig
    priority = 0
    energy_parts = ("compute",)
    utilizations = ("mac", "busy")
    label = "host"
    facts = {"weights_on_chip": True}

    @property
    def levels(self) -> list[str]:
        return list(self.config.levels) if self.config.levels else list(self.hw.memory)

    def check(self):
        bad = [lv for lv in self.levels if lv not in self.hw.memory]
        if bad:
            return [("levels", f"names no memory level {bad}; the architecture has "
                               f"{list(self.hw.memory)}")]
        if self.config.levels and self.config.levels[-1] != self.hw.backing_store:
            return [("levels", f"must end with the backing store '{self.hw.backing_store}' "
                               "(the last memory level), which holds every tensor")]
        return []

    def claim(self, ops, free):
        return free.copy()

    def _rates(self, ops, idx):
        """Peak MAC rate and MAC energy per op (by its dtype); MappingError if a dtype is missing."""
        cfg = self.config
        peak, emac = np.zeros(len(idx)), np.zeros(len(idx))
        names = ops.dtype[idx]
        covered = np.zeros(len(idx), dtype=bool)
        for dt in typing.get_args(DType):  # four comparisons: faster than np.unique on strings
            sel = names == dt
            if not sel.any():
                continue
            for fld, table in (("macs_per_cycle_per_core", cfg.macs_per_cycle_per_core),
                               ("energy_per_mac", cfg.energy_per_mac)):
                if dt not in table:
                    raise MappingError(f"processor '{self.name}' has no {self.name}.{fld}.{dt}; "
                                       f"it lists {sorted(table)}")
            peak[sel] = cfg.peak_macs_per_s(dt)
            emac[sel] = cfg.energy_per_mac[dt]
            covered |= sel
        if not covered.all():
            raise MappingError(f"processor '{self.name}': dtype '{names[~covered][0]}' is not one of "
                               f"{', '.join(typing.get_args(DType))}")
        return peak, emac

    def place(self, ops, idx):
        levels = self.levels
        mem = [self.hw.memory[lv] for lv in levels]
        traffic = hierarchy_traffic(ops, idx, levels, [m.capacity for m in mem],
                                    [m.latency for m in mem])
        peak, emac = self._rates(ops, idx)  # refuses a dtype without rates before simulating
        notes = []
        if traffic.reused_total_bytes or traffic.streamed_weight_bytes:
            parts = [f"{b / 1e6:.4g} MB resident in {lv}" for lv, b in traffic.resident.items() if b]
            parts.append(f"{traffic.streamed_weight_bytes / 1e6:.4g} MB read from "
                         f"{self.hw.backing_store} at every use")
            caps = ", ".join(f"{lv} {self.hw.memory[lv].capacity / 1e6:.4g} MB" for lv in levels[:-1])
            notes.append(f"{self.name} weights (matrices read more than once stay where they fit; {caps}): "
                         + ", ".join(parts))
        return Plan.one_server(len(idx), notes=notes, summary={"weights_on_chip": traffic.all_fit},
                               state={"traffic": traffic, "peak": peak, "emac": emac})

    def cost(self, ops, idx, plan):
        cfg = self.config
        peak, emac = plan.state["peak"], plan.state["emac"]
        macs, vec = ops.macs[idx], ops.vector_ops[idx]
        rows, eff = ops.rows[idx], np.ones(len(idx))
        for e in sorted(cfg.mac_efficiency, key=lambda e: -e.max_rows):  # smallest max_rows wins
            eff = np.where(rows <= e.max_rows, e.fraction, eff)
        with np.errstate(divide="ignore", invalid="ignore"):
            t_mac = np.where(macs > 0, macs / peak, 0.0)  # at peak (the MAC utilization)
        compute = np.maximum(t_mac / eff, vec / cfg.peak_vector_ops_per_s)
        traffic = plan.state["traffic"]
        return OpCost(
            compute_s=compute,
            latency_s=cfg.op_overhead + traffic.latency_s,
            bytes=dict(traffic.bytes),
            energy={"compute": macs * emac + vec * cfg.energy_per_vector_op},
            busy={"mac": t_mac},
        )

    def peak_macs_per_s(self, dtype):
        return self.config.peak_macs_per_s(dtype) if dtype in self.config.macs_per_cycle_per_core else None
