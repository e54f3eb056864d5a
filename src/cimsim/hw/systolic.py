"""A systolic array (TPU-like, weight-stationary by default) with its own buffer, fed from a memory level.

Claims every matmul that no higher-priority component took.
Weights stream from ``weight_memory`` into the array at every use (through a
weight FIFO, as TPU v1 does from its DDR3); activations come from the host over
``link`` into the unified ``buffer`` and results go back.

Time of one matmul: ``batch x cycles(dataflow, m, k, n, rows, cols) / clock``
where ``cycles`` is SCALE-Sim 3.0.0's compute-cycle count
(:mod:`cimsim.hw.systolic_timing`; weight-stationary: the k x n weights fold onto
the array in ``ceil(k / rows) x ceil(n / cols)`` folds, each loading its weights,
streaming the m input rows and draining: ``folds x (2 rows + cols + m - 2) - 1``),
and no faster than the operands pass the buffer. Inputs the unified buffer cannot hold cross
the link again for every fold of ``cols`` output columns (ws and os dataflows re-stream them
per column fold). A ``weight_memory`` other than the backing store must hold every weight.
Transfers overlap compute (double-buffered weights). Energy ``mac`` = MACs x
energy per MAC; ``buffer`` = buffer bytes x its energy per byte.
"""

from __future__ import annotations

from typing import Literal, Optional

import numpy as np
from pydantic import Field

from ..errors import MappingError
from ..quantity import Hertz, Joules, PositiveInt, PositiveSquareMeters, Seconds, Watts
from ..units import si
from .base import Component, ComponentConfig, OpArrays, OpCost, Plan, add_stored
from .hierarchy import first_input_reads
from .parts import Buffer
from .systolic_timing import cycles as array_cycles


class SystolicConfig(ComponentConfig):
    """A weight-stationary systolic array accelerator (TPU-like)."""

    type: Literal["systolic"] = Field(default="systolic", description="Component type.")
    name: str = Field(description="Human-readable name of the part.")
    dataflow: Literal["ws", "os", "is"] = Field(default="ws", description="Dataflow, as SCALE-Sim "
                                                "names them: weight-, output- or input-stationary.")
    rows: PositiveInt = Field(description="Processing elements down the array (the k dimension of a fold).")
    cols: PositiveInt = Field(description="Processing elements across the array (the n dimension of a fold).")
    clock: Hertz = Field(description="Array clock.")
    weight_bits: PositiveInt = Field(le=32, description="Weight precision in the array.")
    input_bits: PositiveInt = Field(le=32, description="Input activation precision in the array.")
    energy_per_mac: Joules = Field(description="Energy of one MAC in a processing element.")
    buffer: Buffer = Field(description="Unified buffer holding activations beside the array.")
    weight_memory: Optional[str] = Field(default=None, description="Memory level the weights stream "
                                         "from (default: the backing store).")
    link: Optional[str] = Field(default=None, description="Link carrying activations between the "
                                "host and the array (default: the architecture's only link).")
    op_overhead: Seconds = Field(default="0 s", description="Fixed dispatch cost per op.")
    static_power: Watts = Field(default="0 W", description="Idle power of the accelerator.")
    area: Optional[PositiveSquareMeters] = Field(default=None, description="Die area of the accelerator.")


class SystolicArray(Component[SystolicConfig]):
    type_name = "systolic"
    Config = SystolicConfig
    priority = 25
    accuracy_arithmetic = "fixed"
    energy_parts = ("mac", "buffer")
    utilizations = ("mac", "busy")
    label = "systolic"

    @property
    def weight_level(self) -> str:
        return self.config.weight_memory or self.hw.backing_store

    @property
    def link(self) -> str | None:
        return self.hw.link_named(self.config.link)

    def check(self):
        out = []
        if self.weight_level not in self.hw.memory:
            out.append(("weight_memory", f"'{self.weight_level}' is not a memory level; the "
                                         f"architecture has {list(self.hw.memory)}"))
        return out + self.hw.link_errors("link", self.link, "the host and the array")

    @property
    def peak_macs(self) -> float:
        return self.config.rows * self.config.cols * self.config.clock

    def claim(self, ops: OpArrays, free):
        # matmuls only (their m, k, n are set); a generic op that carries MACs stays on the host
        return free & (ops.rows > 0) & (ops.k > 0) & (ops.n > 0) & ops.mac_dtype_ok()

    def place(self, ops: OpArrays, idx):
        """Refuses weights a ``weight_memory`` other than the backing store cannot hold (they
        stream from it at every use); notes ops whose inputs the unified buffer cannot hold."""
        c, wl = self.config, self.weight_level
        st = ops.stationary[idx]
        held = st >= 0
        ids, first = np.unique(st[held], return_index=True)
        w_bytes = float((ops.k[idx][held] * ops.n[idx][held])[first].sum()) * c.weight_bits / 8.0
        cap = self.hw.resource(wl).config.capacity
        if wl != self.hw.backing_store and w_bytes > cap:
            raise MappingError(
                f"{self.name}: its weights ({si(w_bytes, 'B')} at {c.weight_bits} bits, "
                f"{len(ids)} matri{'x' if len(ids) == 1 else 'ces'}) stream from {self.name}.weight_memory '{wl}' at every use, "
                f"but it holds {si(cap, 'B')}: name a level that holds them (the backing store "
                f"'{self.hw.backing_store}', the default)")
        notes = []
        a_in = ops.rows[idx] * ops.k[idx] * c.input_bits / 8.0
        refetch = (a_in > c.buffer.capacity) & (c.dataflow != "is") & (ops.n[idx] > c.cols)
        if refetch.any():
            notes.append(f"{self.name}: {int(refetch.sum())} op(s) whose inputs (up to "
                         f"{si(float(a_in[refetch].max()), 'B')}) exceed the {si(c.buffer.capacity, 'B')} "
                         f"unified buffer: their inputs cross {self.link} again for every fold of "
                         f"{c.cols} output columns")
        return Plan.one_server(len(idx), notes=notes)

    def cost(self, ops: OpArrays, idx, plan):
        c = self.config
        rows, k, n, macs = ops.rows[idx], ops.k[idx], ops.n[idx], ops.macs[idx]
        stationary = ops.stationary[idx] >= 0
        # a shared (stationary) weight is one GEMM of all `rows`; otherwise `batch`
        # independent products, each m x k by its own k x n
        batch = np.where(stationary, 1.0, ops.batch[idx])
        m = rows / batch
        cycles = batch * array_cycles(c.dataflow, m.astype(np.int64), k.astype(np.int64),
                                      n.astype(np.int64), c.rows, c.cols)
        a_in = rows * k * c.input_bits / 8.0
        w = np.where(stationary, k * n * c.weight_bits / 8.0, batch * k * n * c.input_bits / 8.0)
        a_out = ops.act_out_bytes[idx]
        # inputs the buffer cannot hold come again for every fold of `cols` output columns
        # (weight- and output-stationary re-stream them per column fold; input-stationary not)
        if c.dataflow != "is":
            a_in = np.where(a_in > c.buffer.capacity, a_in * np.ceil(n / c.cols), a_in)
        buf = a_in + a_out + w
        compute = np.maximum(cycles / c.clock, buf / c.buffer.bandwidth)
        link = self.link
        wl = self.weight_level
        nbytes = {link: a_in + a_out + np.where(stationary, 0.0, w)}
        nbytes[wl] = np.where(stationary, w, 0.0)
        # a model input it reads first: the host reads it from the backing store, then sends it
        back = self.hw.backing_store
        first_in = first_input_reads(ops, idx, among_all=True)
        nbytes[back] = nbytes.get(back, 0.0) + first_in
        latency = c.op_overhead + self.hw.resource(link).latency_s() + np.maximum(
            np.where(stationary, self.hw.resource(wl).latency_s(), 0.0),
            np.where(first_in > 0, self.hw.resource(back).latency_s(), 0.0))
        writes = {link: a_out}  # the outputs go back; operands come in
        add_stored(ops, idx, self.hw.store_target, nbytes, writes)  # KV-cache appends
        return OpCost(compute_s=compute, latency_s=latency, bytes=nbytes, write_bytes=writes,
                      energy={"mac": macs * c.energy_per_mac, "buffer": buf * c.buffer.energy_per_byte},
                      busy={"mac": macs / self.peak_macs})

    def mac_precision(self, dtype):
        """Its own input x weight bits, whatever the workload's dtype."""
        return f"{self.config.input_bits}b x {self.config.weight_bits}b"

    def compute_bits(self):
        """Its fixed precision (a run of another dtype compares unlike precisions: the (!p)
        mark and note, as for a CIM)."""
        return (self.config.weight_bits, self.config.input_bits)

    def peak_macs_per_s(self, dtype):
        return self.peak_macs
