"""Validated hardware models.

An :class:`Architecture` composes a host :class:`Processor`, an off-chip
:class:`Memory`, and optionally compute-in-memory arrays (:class:`CIM`),
near-bank processing units (:class:`PIM`) and an :class:`Interconnect`
between the host and the CIM arrays. Every quantity is stored as an SI float
(seconds, hertz, bytes, bytes/s, joules, joules/bit, joules/byte, watts) and
written in YAML with its unit (see :mod:`cimsim.units`). Unknown keys are
rejected. An object is valid once its constructor returns.
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..dtypes import DTYPE_BYTES  # noqa: F401  (re-exported)
from .quantity import (
    Bytes,
    BytesPerSecond,
    Hertz,
    Joules,
    JoulesPerBit,
    JoulesPerByte,
    Seconds,
    Watts,
)

DType = Literal["fp32", "fp16", "bf16", "int8"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class OnChipMemory(_Strict):
    """An on-chip SRAM level (cache, scratchpad or buffer)."""

    capacity: Bytes = Field(description="Usable capacity.")
    bandwidth: BytesPerSecond = Field(description="Peak read+write bandwidth of the level.")
    energy_per_byte: JoulesPerByte = Field(description="Energy per byte read or written.")


class Processor(_Strict):
    """A host processor (CPU or GPU) that runs everything not mapped elsewhere.

    The processor runs one op at a time using all cores (a BLAS call or a GPU
    kernel); concurrency comes from the other units working beside it.
    """

    name: str = Field(description="Human-readable name of the part.")
    cores: int = Field(ge=1, description="Cores (CPU) or streaming multiprocessors (GPU).")
    clock: Hertz = Field(description="Core clock.")
    macs_per_cycle_per_core: dict[DType, float] = Field(
        description="Peak multiply-accumulates per cycle per core, per dtype."
    )
    vector_ops_per_cycle_per_core: float = Field(
        gt=0, description="Peak elementwise operations per cycle per core."
    )
    energy_per_mac: dict[DType, Joules] = Field(description="Energy of one MAC, per dtype.")
    energy_per_vector_op: Joules = Field(description="Energy of one elementwise operation.")
    sram: OnChipMemory = Field(description="Last-level on-chip SRAM (LLC / L2 / shared memory).")
    static_power: Watts = Field(description="Leakage and uncore power while the run lasts.")
    op_overhead: Seconds = Field(
        default="0 s",
        description="Fixed dispatch cost per op (kernel launch, thread fork/join).",
    )

    @model_validator(mode="after")
    def _positive(self) -> "Processor":
        for dt, v in self.macs_per_cycle_per_core.items():
            if v <= 0:
                raise ValueError(f"macs_per_cycle_per_core.{dt} must be > 0, got {v}")
        if self.clock <= 0:
            raise ValueError("clock must be > 0")
        return self

    def peak_macs_per_s(self, dtype: str) -> float:
        """Peak MAC rate for ``dtype`` in MAC/s; raises KeyError naming the field."""
        if dtype not in self.macs_per_cycle_per_core:
            raise KeyError(
                f"processor '{self.name}' has no processor.macs_per_cycle_per_core.{dtype}; "
                f"it lists {sorted(self.macs_per_cycle_per_core)}"
            )
        return self.cores * self.clock * self.macs_per_cycle_per_core[dtype]

    def mac_energy(self, dtype: str) -> float:
        if dtype not in self.energy_per_mac:
            raise KeyError(
                f"processor '{self.name}' has no processor.energy_per_mac.{dtype}; "
                f"it lists {sorted(self.energy_per_mac)}"
            )
        return self.energy_per_mac[dtype]

    @property
    def peak_vector_ops_per_s(self) -> float:
        return self.cores * self.clock * self.vector_ops_per_cycle_per_core


class Memory(_Strict):
    """Off-chip DRAM or HBM as seen by the host: a shared bandwidth with a latency."""

    technology: str = Field(description="Label, e.g. 'DDR5-4800' or 'HBM3'.")
    channels: int = Field(ge=1, description="Independent channels (or pseudo-channels for HBM); "
                          "PIM units are replicated per channel.")
    bandwidth: BytesPerSecond = Field(gt=0, description="Peak bandwidth of all channels together.")
    sustained_fraction: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="Fraction of peak bandwidth that streaming reads sustain.",
    )
    access_latency: Seconds = Field(description="Latency from request to first data.")
    energy_per_bit: JoulesPerBit = Field(description="Access + I/O energy per bit moved.")
    capacity: Bytes = Field(description="Total capacity; a workload whose weights and activations "
                            "exceed it is refused.")

    @property
    def effective_bandwidth(self) -> float:
        """Bandwidth the simulation uses, in B/s: peak x sustained fraction."""
        return self.bandwidth * self.sustained_fraction


class ADC(_Strict):
    """Column readout of a CIM array: an ADC for analog arrays, an adder tree for digital macros."""

    bits: int = Field(ge=1, le=16, description="Resolution of one conversion (informational: "
                      "energy_per_conversion and sample_rate already reflect it).")
    sample_rate: Hertz = Field(gt=0, description="Conversions per second of one ADC.")
    energy_per_conversion: Joules = Field(description="Energy of one conversion.")
    per_array: int = Field(ge=1, description="ADCs per array (columns share them round-robin).")


class CIM(_Strict):
    """Compute-in-memory crossbar arrays holding stationary weights.

    One matrix-vector product streams the input bit-serially in slices of
    ``dac_bits``; each slice reads every column through the shared ADCs; shift
    and add combine slices, bit-cells and row tiles digitally.
    """

    technology: Literal["sram", "rram"] = Field(description="Memory cell technology.")
    arrays: int = Field(ge=1, description="Number of crossbar arrays (macros).")
    rows: int = Field(ge=1, description="Word lines per array (input dimension of a tile).")
    cols: int = Field(ge=1, description="Bit lines per array.")
    bits_per_cell: int = Field(ge=1, le=8, description="Weight bits stored per cell.")
    weight_bits: int = Field(ge=1, le=32, description="Weight precision held in the arrays.")
    input_bits: int = Field(ge=1, le=32, description="Input activation precision.")
    dac_bits: int = Field(ge=1, le=8, description="Input bits applied per array read (slice).")
    read_latency: Seconds = Field(gt=0, description="Time of one array read (one input slice).")
    adc: ADC = Field(description="Column readout.")
    dac_energy: Joules = Field(description="Energy to drive one row for one slice.")
    cell_read_energy: Joules = Field(description="Energy of one cell read for one slice.")
    shift_add_energy: Joules = Field(description="Digital shift-and-add energy per conversion.")
    write_latency: Seconds = Field(description="Time to program one row of one array.")
    write_energy: Joules = Field(description="Energy to program one cell.")
    endurance: float = Field(gt=0, description="Write cycles a cell survives.")
    buffer: OnChipMemory = Field(description="Local input/output buffer beside the arrays.")
    static_power: Watts = Field(description="Leakage and peripheral idle power of all arrays.")
    weight_replication: bool = Field(
        default=False,
        description="When every weight matrix fits, copy the matrices into the spare arrays so "
        "that independent activation rows of one matmul run on the copies in parallel.",
    )

    @model_validator(mode="after")
    def _slices(self) -> "CIM":
        if self.dac_bits > self.input_bits:
            raise ValueError(
                f"dac_bits ({self.dac_bits}) cannot exceed input_bits ({self.input_bits})"
            )
        if self.bits_per_cell > self.weight_bits:
            raise ValueError(
                f"bits_per_cell ({self.bits_per_cell}) cannot exceed weight_bits ({self.weight_bits})"
            )
        return self


class PIM(_Strict):
    """Near-bank processing units inside the DRAM (HBM-PIM / AiM class).

    GEMV-shaped matmuls whose weights live in DRAM run here: weights stream
    from the banks over the internal bandwidth; inputs and outputs cross the
    external bus.
    """

    units_per_channel: int = Field(ge=1, description="Processing units per memory channel.")
    clock: Hertz = Field(gt=0, description="Clock of a processing unit.")
    macs_per_cycle: float = Field(gt=0, description="MACs per cycle of one unit.")
    internal_bandwidth: BytesPerSecond = Field(
        gt=0, description="Bank bandwidth available to one unit."
    )
    energy_per_mac: Joules = Field(description="Energy of one MAC in a unit.")
    energy_per_bit: JoulesPerBit = Field(description="Energy per bit read from the banks internally.")
    max_rows: int = Field(
        default=1,
        ge=1,
        description="Largest activation row count (batch x steps) treated as GEMV-shaped.",
    )
    static_power: Watts = Field(default="0 W", description="Idle power of all units.")


class Interconnect(_Strict):
    """The link between the host and the CIM arrays (NoC or chip-to-chip)."""

    bandwidth: BytesPerSecond = Field(gt=0, description="Peak bandwidth.")
    latency: Seconds = Field(description="Latency of one transfer.")
    energy_per_bit: JoulesPerBit = Field(description="Energy per bit moved.")


class Architecture(_Strict):
    """A whole machine: host processor + memory, optionally CIM, PIM and an interconnect."""

    name: str = Field(description="Short name used in reports.")
    description: str = Field(default="", description="One line on what this models.")
    processor: Processor
    memory: Memory
    cim: Optional[CIM] = None
    pim: Optional[PIM] = None
    interconnect: Optional[Interconnect] = None

    @property
    def pim_peak_macs_per_s(self) -> float:
        """Peak MAC rate of all PIM units (one set per memory channel), MAC/s; 0 without PIM."""
        if self.pim is None:
            return 0.0
        return self.pim.units_per_channel * self.memory.channels * self.pim.macs_per_cycle * self.pim.clock

    @property
    def pim_internal_bandwidth(self) -> float:
        """Bank bandwidth of all PIM units together, B/s; 0 without PIM."""
        if self.pim is None:
            return 0.0
        return self.pim.units_per_channel * self.memory.channels * self.pim.internal_bandwidth

    @model_validator(mode="after")
    def _cim_needs_link(self) -> "Architecture":
        if self.cim is not None and self.interconnect is None:
            raise ValueError(
                "an architecture with 'cim' needs an 'interconnect' (host <-> CIM link)"
            )
        return self
