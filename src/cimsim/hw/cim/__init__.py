"""Compute-in-memory crossbar arrays (SRAM or RRAM) holding stationary weights.

Claims every matmul with a stationary weight (priority above PIM). Placement:
a k x n matrix tiles onto arrays (:mod:`.tiling`); if every matrix fits, each
keeps its own arrays (one engine server per matrix, so different matrices run
at once) and, with ``weight_replication``, is copied into the spare arrays so
an op's activation rows spread over the copies; otherwise the arrays are an
LRU cache of matrices (:mod:`.reprogram`) and CIM ops take turns on one
server. The host quantizes inputs to ``input_bits`` before sending them.

With a ``chip`` block the arrays are a chip: PEs, tiles, buffers and interconnect
(:mod:`.chip`), a layer pipeline with per-layer duplication (:mod:`.mapping`), and the
placement and cost of :mod:`.onchip` replace the rules below where they say so.

Cost of one op
--------------
Inputs stream bit-serially in ``slices = ceil(input_bits / dac_bits)`` (with
``signed_inputs``, the sign is the pulse polarity and costs no slice:
``max(1, ceil((input_bits - 1) / dac_bits))``); one slice takes ``t_slice =
max(read_latency, ceil(cols / adcs per array) / ADC rate)``, so one
matrix-vector product takes ``t_vector = slices * t_slice`` (with an
integrate-and-count readout, ``adc.counting``, the closed form of
:mod:`.counting` instead, times ``ceil(cols / adcs per array)``); each
activation row is one matrix-vector product with all arrays of the matrix in
parallel, rows spread over the replicas:

- compute = ``max(rounds * ceil(rows / replicas) * t_vector, (input +
  output bytes) / buffer bandwidth)`` plus, when it re-programs,
  ``rounds * min(k, array rows) * write_latency``;
- an op whose rows fit one matrix-vector slot (a GEMV) is *serial*: its input
  must arrive before it computes; with more rows transfers overlap compute;
- bytes: inputs and outputs (and re-programmed weights) cross ``link``;
  re-programmed weights are read from the backing store;
- latency: the link's latency (+ the backing store's when re-programming);
- energy (:mod:`.energy`): ``adc`` = conversions (rows x row tiles x physical
  columns x slices) x energy per conversion (integrate-and-count: the neuron's
  energy per column per vector, :mod:`.counting`); ``dac`` row drives;
  ``array`` cell reads; ``digital`` shift-add + buffer bytes; ``write`` = every
  cell of the matrix once per re-programming op.
"""

from __future__ import annotations

from typing import Literal, Optional

import numpy as np
from pydantic import Field, model_validator

from ...quantity import (
    Flag,
    Joules,
    PositiveFloat,
    PositiveInt,
    PositiveSeconds,
    Seconds,
    SquareMeters,
    Watts,
)
from ..base import Component, ComponentConfig, OpCost, Plan, Strict
from ..parts import ADC, Buffer, Counting  # noqa: F401  (Counting re-exported)
from . import counting, onchip
from .chip import Chip
from .energy import op_energy
from .reprogram import lru_reprograms
from .tiling import tiles


class CIMArea(Strict):
    """Silicon area of the CIM block, per repeated part (each cited in the config)."""

    array: SquareMeters = Field(description="One crossbar array (the cells).")
    adc: SquareMeters = Field(description="One ADC (or adder tree of a digital macro).")
    dac: SquareMeters = Field(default="0 mm^2", description="One row driver (DAC); an array has `rows`.")
    digital: SquareMeters = Field(default="0 mm^2", description="Per array: shift-and-add, sample-"
                                  "and-hold, input/output registers.")
    buffer: SquareMeters = Field(default="0 mm^2", description="The local buffer, all of it.")
    other: SquareMeters = Field(default="0 mm^2", description="Everything else, all of it "
                                "(routers, pooling, chip I/O).")


class CIMConfig(ComponentConfig):
    """Compute-in-memory crossbar arrays holding stationary weights."""

    type: Literal["cim"] = Field(default="cim", description="Component type.")
    link: Optional[str] = Field(default=None, description="The link between the host and the arrays "
                                "(default: the architecture's only link).")
    technology: Literal["sram", "rram"] = Field(description="Memory cell technology.")
    arrays: PositiveInt = Field(description="Number of crossbar arrays (macros).")
    rows: PositiveInt = Field(description="Word lines per array (input dimension of a tile).")
    cols: PositiveInt = Field(description="Bit lines per array.")
    bits_per_cell: PositiveInt = Field(le=8, description="Weight bits stored per cell.")
    weight_bits: PositiveInt = Field(le=32, description="Weight precision held in the arrays.")
    input_bits: PositiveInt = Field(le=32, description="Input activation precision.")
    dac_bits: PositiveInt = Field(le=8, description="Input bits applied per array read (slice).")
    signed_inputs: Flag = Field(default=False, description="Inputs are signed and their sign is "
                                "the pulse polarity: the sign bit costs no slice.")
    read_latency: PositiveSeconds = Field(description="Time of one array read (one input slice; "
                                          "with `adc.counting`, one unit input pulse).")
    adc: ADC = Field(description="Column readout.")
    dac_energy: Joules = Field(description="Energy to drive one row for one slice.")
    cell_read_energy: Joules = Field(description="Energy of one cell read for one slice.")
    shift_add_energy: Joules = Field(description="Digital shift-and-add energy per conversion.")
    write_latency: Seconds = Field(description="Time to program one row of one array.")
    write_energy: Joules = Field(description="Energy to program one cell.")
    endurance: PositiveFloat = Field(description="Write cycles a cell survives.")
    buffer: Buffer = Field(description="Local input/output buffer beside the arrays.")
    static_power: Watts = Field(description="Leakage and peripheral idle power of all arrays.")
    area: Optional[CIMArea] = Field(default=None, description="Silicon area by part.")
    weight_replication: Flag = Field(
        default=False,
        description="When every weight matrix fits, copy the matrices into the spare arrays so "
        "that independent activation rows of one matmul run on the copies in parallel.")
    chip: Optional[Chip] = Field(default=None, description="On-chip hierarchy (PEs, tiles, "
                                 "buffers, interconnect), layer mapping and pipelining (default: "
                                 "none, a flat pool of arrays; see cimsim.hw.cim.chip).")

    @model_validator(mode="after")
    def _bits(self) -> "CIMConfig":
        if self.dac_bits > self.input_bits:
            raise ValueError(f"dac_bits ({self.dac_bits}) cannot exceed input_bits ({self.input_bits})")
        if self.bits_per_cell > self.weight_bits:
            raise ValueError(
                f"bits_per_cell ({self.bits_per_cell}) cannot exceed weight_bits ({self.weight_bits})")
        if self.adc.counting is not None and self.dac_bits != 1:
            raise ValueError(f"adc.counting applies inputs as unit pulses: dac_bits must be 1, "
                             f"not {self.dac_bits}")
        if self.chip is not None:
            onchip.check_config(self)
        return self

    @property
    def slices(self) -> float:
        """Input slices of one matrix-vector product (magnitude bits only with ``signed_inputs``)."""
        if self.signed_inputs:
            return float(max(1, int(np.ceil((self.input_bits - 1) / self.dac_bits))))
        return float(np.ceil(self.input_bits / self.dac_bits))

    @property
    def t_slice(self) -> float:
        """Time of one input slice on an array: the read or the shared ADCs, whichever is slower."""
        return max(self.read_latency, float(np.ceil(self.cols / self.adc.per_array)) / self.adc.sample_rate)

    @property
    def phases(self) -> tuple[int, ...]:
        """Input bits per integrate-and-count phase (only with ``adc.counting``)."""
        return counting.phases(int(self.slices), self.adc.counting.max_bits_per_phase)

    @property
    def t_vector(self) -> float:
        """Time of one matrix-vector product on an array."""
        cnt = self.adc.counting
        if cnt is None:
            return self.slices * self.t_slice
        ph = self.phases
        neuron = (counting.integration_steps(ph) * self.read_latency
                  + counting.counting_steps(self.adc.bits, ph) / self.adc.sample_rate
                  + len(ph) * cnt.phase_latency)
        return float(np.ceil(self.cols / self.adc.per_array)) * neuron


class CIM(Component):
    type_name = "cim"
    Config = CIMConfig
    priority = 30
    label = "CIM"
    utilizations = ("arrays",)

    @property
    def energy_parts(self):
        return ("array", "adc", "dac", "digital", "write") + onchip.energy_parts(self.config)

    @property
    def facts(self):
        return {"arrays_needed": 0, "reprograms": 0, **onchip.facts(self.config)}

    @property
    def compute_parts(self):
        """A chip's buffers and interconnect, split out of the critical path's compute time."""
        return onchip.COMPUTE_PARTS if self.config.chip is not None else {}

    @property
    def pipelined(self) -> bool:
        """Layers run as a pipeline (a chip block): results report the steady-state stream."""
        return self.config.chip is not None

    @property
    def link(self) -> str | None:
        return self.hw.link_named(self.config.link)

    def check(self):
        return self.hw.link_errors("link", self.link, "the arrays")

    def claim(self, ops, free):
        mine = ops.stationary >= 0
        if self.config.chip is not None:  # im2col copies, vector ops (cimsim.hw.cim.onchip)
            mine = mine | onchip.claims(self.config, ops)
        return free & mine

    def place(self, ops, idx):
        c = self.config
        if c.chip is not None:  # layer pipeline on the on-chip hierarchy
            return onchip.place(self, ops, idx)
        groups, group_of = np.unique(ops.stationary[idx], return_inverse=True)
        k, n, rows = ops.k[idx], ops.n[idx], ops.rows[idx]
        rt, ct, pc = tiles(k, n, c.rows, c.cols, c.weight_bits, c.bits_per_cell)
        need = rt * ct
        group_arrays = np.zeros(len(groups), dtype=np.int64)
        group_arrays[group_of] = need
        needed = int(group_arrays.sum())
        replicas = np.ones(len(idx))
        notes = []
        if needed <= c.arrays:
            reprogram = np.zeros(len(idx), dtype=bool)
            server, n_servers = group_of.astype(np.int64), len(groups)
            copies = c.arrays // needed if c.weight_replication else 1
            note = (f"{self.name}: {needed} of {c.arrays} arrays hold all {len(groups)} weight "
                    "matrices; programmed once before the run (not charged)")
            if copies > 1:
                replicas = np.minimum(copies, np.maximum(rows, 1.0))
                note += f"; weight replication: {copies} copies of every matrix share an op's rows"
            notes.append(note)
        else:
            reprogram = lru_reprograms(group_of, group_arrays, c.arrays)
            server, n_servers = np.zeros(len(idx), dtype=np.int64), 1
            rounds_ = np.ceil(need / c.arrays)
            written = float((np.minimum(need, c.arrays) * rounds_)[reprogram].sum())
            per_cell = written / c.arrays
            notes.append(
                f"{self.name}: weights need {needed} arrays but only {c.arrays} exist; arrays are "
                f"re-programmed {int(reprogram.sum())} times during the run (LRU over matrices), "
                f"{per_cell:.3g} writes per cell per run on average: an endurance of "
                f"{c.endurance:.3g} cycles lasts {c.endurance / per_cell:.3g} runs")
        return Plan(
            server=server, n_servers=n_servers,
            serial=np.ceil(rows / replicas) <= 1,
            notes=notes,
            summary={"arrays_needed": needed, "reprograms": int(reprogram.sum())},
            op_columns={"reprogram": reprogram},
            state=dict(row_tiles=rt, col_tiles=ct, phys_cols=pc, arrays=np.minimum(need, c.arrays),
                       rounds=np.ceil(need / c.arrays), replicas=replicas, reprogram=reprogram),
        )

    def cost(self, ops, idx, plan):
        c, s = self.config, plan.state
        rows, k, n = ops.rows[idx], ops.k[idx], ops.n[idx]
        reprog, rounds = s["reprogram"], s["rounds"]
        a_in = rows * k * c.input_bits / 8  # inputs quantized to input_bits by the host
        if c.chip is not None:  # convolution inputs reused across the window (chip.input_reuse)
            a_in = s["a_in"]
        a_out = ops.act_out_bytes[idx]
        if c.chip is not None:  # chip.output_bits; im2col copies claimed by the chip move nothing
            a_out = s["a_out"]
        t_vector = c.t_vector
        t_write = np.where(reprog, rounds * np.minimum(k, c.rows) * c.write_latency, 0.0)
        t_mvm = rounds * np.ceil(rows / s["replicas"]) * t_vector
        compute = np.maximum(t_mvm, (a_in + a_out) / c.buffer.bandwidth)
        parts = {}
        if c.chip is not None:
            compute, parts = onchip.op_time(c.chip, compute, s["levels"])
            compute = compute + s["periphery_s"]
        compute = compute + t_write
        w_bytes = np.where(reprog, k * n * c.weight_bits / 8.0, 0.0)
        back = self.hw.backing_store
        link = self.link
        latency = self.hw.links[link].latency + np.where(reprog, self.hw.memory[back].latency, 0.0)
        nbytes = {link: a_in + a_out + w_bytes}
        nbytes[back] = nbytes.get(back, 0.0) + w_bytes
        energy = op_energy(c, rows, k, s["row_tiles"], s["col_tiles"], s["phys_cols"], a_in + a_out,
                           reprog)
        if c.chip is not None:
            energy.update(onchip.energy(c.chip, s))
        return OpCost(compute_s=compute, latency_s=latency, bytes=nbytes, energy=energy,
                      # array-seconds busy, per array of the block (utilization: over the latency)
                      busy={"arrays": s["arrays"] * (rounds * rows * t_vector + t_write) / c.arrays},
                      compute_parts=parts)

    def area_m2(self):
        c, a = self.config, self.config.area
        if a is None:
            return onchip.area_m2(c, {})
        return onchip.area_m2(c, {
            "arrays": c.arrays * a.array, "adc": c.arrays * c.adc.per_array * a.adc,
            "dac": c.arrays * c.rows * a.dac, "digital": c.arrays * a.digital,
            "buffer": a.buffer, "other": a.other})

    def peak_macs_per_s(self, dtype):
        """All arrays busy: each holds rows x (cols x bits_per_cell / weight_bits) weights and
        completes one matrix-vector product per ``t_vector``."""
        c = self.config
        weights_per_array = c.rows * (c.cols * c.bits_per_cell // c.weight_bits or 1)
        return c.arrays * weights_per_array / c.t_vector

