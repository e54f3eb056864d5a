"""A systolic array (TPU-like, weight-stationary by default) with its own buffer, fed from a memory level.

Claims every matmul that no higher-priority component took (a depthwise convolution's too,
unless ``depthwise: host``; ``packed`` folds several of its channels block-diagonally, as many
as the dataflow's pinned tile holds (:func:`packed_channels`): find-K 1, review 23 F 1 and F 3).
Weights stream from ``weight_memory`` into the array at every use (through a
weight FIFO, as TPU v1 does from its DDR3); activations come from the host over
``link`` into the unified ``buffer`` and results go back.

Time of one matmul: ``batch x cycles(dataflow, m, k, n, rows, cols) / clock``
where ``cycles`` is SCALE-Sim 3.0.0's compute-cycle count
(:mod:`cimsim.hw.systolic_timing`; weight-stationary: the k x n weights fold onto
the array in ``ceil(k / rows) x ceil(n / cols)`` folds, each loading its weights,
streaming the m input rows and draining: ``folds x (2 rows + cols + m - 2) - 1``),
and no faster than the operands pass the buffer. Each operand is read once per pass of the
dataflow (:func:`operand_passes`: ws streams the inputs once per fold of ``cols`` output
columns and pins each weight once; os streams the inputs per column fold and the weights per
fold of ``rows`` output rows; is pins the inputs and streams the weights per fold of ``cols``
input vectors). Stationary weights stream from ``weight_memory`` through the weight FIFO at
every pass, past the unified buffer (TPU v1), unless an optional ``weight_buffer`` (SCALE-Sim's
filter SRAM, :mod:`cimsim.hw.weightbuf`) holds an op's weights: then once, and the further
passes from it; the unified buffer carries the inputs at every pass, the
outputs once (partial sums stay in the array's accumulators, not modelled apart) and a second
operand that is an activation (attention's K and V) at every pass. Inputs (or such an operand)
the unified buffer cannot hold cross the link again at every pass. A convolution's inputs
over the link are its im2col matrix (a note sizes it), or with ``input_reuse`` each input once
per kernel row (:func:`cimsim.hw.im2col.input_bytes`, as the CIM's ``cim.input_reuse``; the
array's feeder builds the windows from the buffer, which the array still reads per pass as
the im2col rows). A ``weight_memory`` other
than the backing store must hold every weight. Transfers overlap compute (double-buffered
weights). Energy ``mac`` = MACs x energy per MAC; ``buffer`` = buffer bytes x its energy per
byte; ``weight_buffer`` = its re-read bytes x its energy per byte.
"""

from __future__ import annotations

from typing import Literal, Optional

import numpy as np
from pydantic import Field, field_validator

from ..errors import CapacityError
from ..quantity import Flag, Hertz, Joules, PositiveInt, PositiveSquareMeters, PositiveWatts, Seconds, Watts
from ..units import si
from .base import Component, ComponentConfig, OpArrays, OpCost, Plan, add_stored
from .hierarchy import add_landed, backed_reads, first_input_reads
from .im2col import im2col_note, input_bytes
from .power import tdp_problems
from .parts import Buffer
from .systolic_timing import cycles as array_cycles, ws_cycles_double_buffered
from .weightbuf import WeightBuffer, weight_buffer_note, weight_reads


def packed_channels(dataflow: str, k, n, rows: int, cols: int):
    """How many channels ``g`` of a depthwise convolution (each an ``m x k @ k x n`` product: k
    kernel taps, n output channels a group) ``depthwise: packed`` puts in one block-diagonal
    ``g·k x g·n`` weight tile, as the dataflow maps it (:mod:`cimsim.hw.systolic_timing`), at
    least 1 (review 23 F 1, F 3):

    - ws: the tile is pinned, K along the rows and N along the columns: both fit,
      ``min(⌊rows/k⌋, ⌊cols/n⌋)``;
    - os: the outputs are pinned (m along the rows, N along the columns) and K streams:
      ``⌊cols/n⌋``;
    - is: the inputs are pinned (K along the rows, m along the columns) and N streams:
      ``⌊rows/k⌋``.

    ``cols`` is the output columns the array holds: its caller passes cols x lanes with
    ``macs_per_pe`` (a PE takes lanes adjacent output columns, review A 6).
    """
    k, n = np.maximum(np.asarray(k, dtype=np.int64), 1), np.maximum(np.asarray(n, dtype=np.int64), 1)
    by_rows, by_cols = rows // k, cols // n
    g = np.minimum(by_rows, by_cols) if dataflow == "ws" else by_cols if dataflow == "os" else by_rows
    return np.maximum(g, 1)


#: each dataflow's packing rule, as the note and README state it
PACKED_RULE = {"ws": "min(floor(rows / k), floor(cols / n))", "os": "floor(cols / n)", "is": "floor(rows / k)"}


def _span(values) -> str:
    """``9`` or ``9 to 25``: the least and greatest of some ops' integer values."""
    lo, hi = int(np.min(values)), int(np.max(values))
    return f"{lo:,}" if lo == hi else f"{lo:,} to {hi:,}"


def operand_passes(dataflow: str, m, n, rows: int, cols: int):
    """How many times the array reads each operand of an ``m x k @ k x n`` GEMM, as SCALE-Sim
    maps the dataflows (:mod:`cimsim.hw.systolic_timing`: every fold is run one after another,
    streaming its operand rows past the pinned one): ``(input passes, weight passes)``.

    - ws: the weights are pinned once each; the inputs stream once per fold of ``cols``
      output columns: ``(⌈n/cols⌉, 1)``;
    - os: an ``rows x cols`` tile of outputs is pinned; for each, its inputs and weights
      stream: ``(⌈n/cols⌉, ⌈m/rows⌉)``;
    - is: the inputs are pinned (k along the rows, m along the columns); every weight column
      streams once per fold of ``cols`` input vectors: ``(1, ⌈m/cols⌉)``.
    """
    m, n = np.asarray(m, dtype=float), np.asarray(n, dtype=float)
    one = np.ones_like(m * n)
    if dataflow == "ws":
        return np.ceil(n / cols) * one, one
    if dataflow == "os":
        return np.ceil(n / cols) * one, np.ceil(m / rows) * one
    return one, np.ceil(m / cols) * one


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
    double_buffer_weights: Flag = Field(
        default=False, description="Under ws, shift the next fold's weight tile in while the "
        "current fold computes (TPU v1's second weight tile; ping-pong PE registers on FPGA): "
        "each fold after the first costs rows + cols + m - 2 cycles instead of SCALE-Sim's "
        "2 rows + cols + m - 2, a deviation from SCALE-Sim. Off: SCALE-Sim's count. Only ws.")
    macs_per_pe: Optional[dict[PositiveInt, PositiveInt]] = Field(
        default=None, description="MACs one PE does per cycle at each weight_bits (the key), as "
        "an FPGA DSP packs them (DSP48E2: {8: 2, 4: 4}): the PE multiplies one input by that many "
        "weights of adjacent output columns, so the n dimension folds over cols x lanes and the "
        "peak is rows x cols x lanes x clock. Must name weight_bits. Default: 1 MAC per PE.")
    weight_memory: Optional[str] = Field(default=None, description="Memory level the weights stream "
                                         "from (default: the backing store).")
    weight_buffer: Optional[WeightBuffer] = Field(
        default=None, description="On-chip weight (filter) buffer, as SCALE-Sim's filter SRAM: an "
        "op's weights that fit are read from weight_memory once and re-read from it at each "
        "further pass of os / is (ws passes each weight once); with its persist, matrices stay "
        "held across ops (a recurrence's W_hh read from weight_memory once). Default: none, "
        "every pass reads weight_memory.")
    link: Optional[str] = Field(default=None, description="Link carrying activations between the "
                                "host and the array (default: the architecture's only link).")
    input_reuse: Flag = Field(
        default=False, description="A convolution sends each input once per kernel row (the "
        "tracer's window_elems) over the link into the buffer, as cim.input_reuse; off: its "
        "im2col matrix.")
    depthwise: Literal["array", "packed", "host"] = Field(
        default="array", description="Where and how a depthwise convolution (tag depthwise: one "
        "input channel a group) runs. array: on the array, one channel per fold (a k x n weight "
        "tile: k = kernel taps, n = output channels a group, 1 unless a channel multiplier; a 3 x 3 "
        "one with n = 1 uses 9 of rows x cols PEs; a note gives its k, n, time and PE use); packed: "
        "on the array, g channels a fold, block-diagonally (a g·k x g·n weight tile, zeros off its "
        "diagonal blocks), g as the dataflow maps the tile: ws min(floor(rows / k), floor(cols / n)), "
        "os floor(cols / n), is floor(rows / k) (cols x lanes for cols with macs_per_pe), at least "
        "1 and at most the channels (the real "
        "weights and MACs are charged: the zeros are not read from weight_memory); host: left to "
        "the host processor's direct kernel, as a CIM leaves it. None is an on-chip vector unit, "
        "which real NPUs run it on (not modelled).")
    op_overhead: Seconds = Field(default="0 s", description="Fixed dispatch cost per op.")
    static_power: Watts = Field(default="0 W", description="Idle power of the accelerator.")
    area: Optional[PositiveSquareMeters] = Field(default=None, description="Die area of the accelerator.")
    tdp: Optional[PositiveWatts] = Field(
        default=None, description="Thermal design power of the accelerator as its maker states "
        "it (TPU v1: 75 W per die, Jouppi et al. ISCA 2017 Table 2). A run whose average power "
        "of the array (its energy parts, its static power and the energy of the levels in "
        "tdp_includes its ops moved, over the latency) exceeds it gets a note. Default: none, "
        "no check.")
    tdp_includes: list[str] = Field(
        default_factory=list, description="Memory levels and links whose energy the TDP covers, "
        "charged by the bytes this array's ops move over them (TPU v1's die TDP: none of its "
        "DDR3 or PCIe). Default: none (its own energy and static power only).")


    @field_validator("macs_per_pe", mode="before")
    @classmethod
    def _bits_keys(cls, v):
        """``--set tpu.macs_per_pe.4=4`` names the bits as text: read a digit key as its number."""
        if isinstance(v, dict):
            return {int(b) if isinstance(b, str) and b.isdigit() else b: x for b, x in v.items()}
        return v


class SystolicArray(Component[SystolicConfig]):
    type_name = "systolic"
    Config = SystolicConfig
    priority = 25
    accuracy_arithmetic = "fixed"
    inputs_via_host = True  # the host fetches a model input it reads first (hierarchy rule 3)

    @property
    def energy_parts(self):
        return ("mac", "buffer") + (("weight_buffer",) if self.config.weight_buffer is not None else ())

    @property
    def utilizations(self):
        """The array's MACs and busy time, and with a ``weight_buffer`` its re-reads' time at
        its bandwidth (``weight_buffer_bw``)."""
        return ("mac", "busy") + (("weight_buffer_bw",) if self.config.weight_buffer is not None else ())

    @property
    def compute_parts(self):
        """With a ``weight_buffer``: an op its re-reads bound (class memory), named in the bound
        detail as the CIM names its buffers."""
        return {"weight_buffer": "memory"} if self.config.weight_buffer is not None else {}

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
        per = self.config.macs_per_pe
        if per is not None and self.config.weight_bits not in per:
            out.append(("macs_per_pe", f"has no entry for weight_bits {self.config.weight_bits} "
                        f"(it has {', '.join(str(b) for b in sorted(per))}); add "
                        f"{self.config.weight_bits}: <MACs per PE per cycle>"))
        if self.config.double_buffer_weights and self.config.dataflow != "ws":
            out.append(("double_buffer_weights", f"double-buffers the pinned weight tile of the "
                        f"ws dataflow; dataflow is '{self.config.dataflow}' (use ws, or leave it "
                        "false)"))
        return (out + self.hw.link_errors("link", self.link, "the host and the array")
                + tdp_problems(self.config, self.hw))

    @property
    def peak_macs(self) -> float:
        return self.config.rows * self.config.cols * self.lanes * self.config.clock

    @property
    def lanes(self) -> int:
        """MACs per PE per cycle at its weight_bits (``macs_per_pe``; 1 without it)."""
        per = self.config.macs_per_pe
        return 1 if per is None else per.get(self.config.weight_bits, 1)

    def _lane_n(self, n):
        """The n dimension as the array folds it: ``lanes`` output columns a PE, ⌈n / lanes⌉."""
        return np.ceil(np.asarray(n, dtype=float) / self.lanes)

    @property
    def builds_windows(self) -> bool:
        """With ``input_reuse`` the feeder builds a convolution's windows from its raw input: no
        host forms the im2col matrix (placement rule 4a)."""
        return bool(self.config.input_reuse)

    def claim(self, ops: OpArrays, free):
        # matmuls only (their m, k, n are set); a generic op that carries MACs stays on the host;
        # with depthwise: host, a depthwise convolution too (find-K 1)
        out = free & (ops.rows > 0) & (ops.k > 0) & (ops.n > 0) & ops.mac_dtype_ok()
        return out & ~ops.depthwise if self.config.depthwise == "host" and ops.depthwise is not None else out

    def claims_words(self) -> str:
        return "matmuls (m, k, n given; a generic op carrying MACs stays on the host)"

    def place(self, ops: OpArrays, idx):
        """Refuses weights a ``weight_memory`` other than the backing store cannot hold (they
        stream from it at every use); notes ops whose inputs the unified buffer cannot hold,
        and convolutions that send their im2col matrix (without ``input_reuse``)."""
        c, wl = self.config, self.weight_level
        st = ops.stationary[idx]
        held = st >= 0
        ids, first = np.unique(st[held], return_index=True)
        w_bytes = float((ops.k[idx][held] * ops.n[idx][held])[first].sum()) * c.weight_bits / 8.0
        cap = self.hw.resource(wl).config.capacity
        if wl != self.hw.backing_store and w_bytes > cap:
            raise CapacityError(
                f"{self.name}: its weights ({si(w_bytes, 'B')} at {c.weight_bits} bits, "
                f"{len(ids)} matri{'x' if len(ids) == 1 else 'ces'}) stream from {self.name}.weight_memory '{wl}' at every use, "
                f"but it holds {si(cap, 'B')}: name a level that holds them (the backing store "
                f"'{self.hw.backing_store}', the default)")
        notes = im2col_note(self.name, self.link, ops, idx, c.input_bits, c.input_reuse)
        w_op = np.where(st >= 0, ops.k[idx] * ops.n[idx] * c.weight_bits / 8.0, 0.0)
        notes += weight_buffer_note(self.name, wl, c.weight_buffer, w_op, operand_passes(
            c.dataflow, ops.rows[idx], self._lane_n(ops.n[idx]), c.rows, c.cols)[1])
        a_in = input_bytes(ops, idx, c.input_bits, c.input_reuse)
        refetch = (a_in > c.buffer.capacity) & (c.dataflow != "is") & (self._lane_n(ops.n[idx]) > c.cols)
        if refetch.any():
            notes.append(f"{self.name}: {int(refetch.sum())} op(s) whose inputs (up to "
                         f"{si(float(a_in[refetch].max()), 'B')}) exceed the {si(c.buffer.capacity, 'B')} "
                         f"unified buffer: their inputs cross {self.link} again for every fold of "
                         f"{c.cols * self.lanes} output columns")
        return Plan.one_server(len(idx), notes=notes + self._depthwise_note(ops, idx))

    def _cycles(self, ops: OpArrays, idx):
        """Each op's array cycles: a shared (stationary) weight is one GEMM of all ``rows``;
        otherwise ``batch`` independent products, each m x k by its own k x n. ``(cycles, m)``."""
        c = self.config
        batch = np.where(ops.stationary[idx] >= 0, 1.0, ops.batch[idx])
        m, k, n = ops.rows[idx] / batch, ops.k[idx], ops.n[idx]
        # packed: g channels' k x n weights in one block-diagonal g·k x g·n tile (find-K 1)
        g = self._packed(ops, idx)
        # macs_per_pe: each PE multiplies one input by `lanes` weights of adjacent output
        # columns, so the array folds ⌈n / lanes⌉ columns (find-A 3)
        batch, k, n = np.ceil(batch / g), k * g, self._lane_n(n * g)
        count = ws_cycles_double_buffered if c.double_buffer_weights else (
            lambda *a: array_cycles(c.dataflow, *a))
        return batch * count(m.astype(np.int64), k.astype(np.int64), n.astype(np.int64),
                             c.rows, c.cols), m

    def _packed(self, ops: OpArrays, idx) -> np.ndarray:
        """Each op's channels a fold (1 where not packed: :func:`packed_channels`)."""
        c = self.config
        if c.depthwise != "packed" or ops.depthwise is None:
            return np.ones(len(idx))
        batch = np.where(ops.stationary[idx] >= 0, 1.0, ops.batch[idx])
        # g·n output columns fit cols x lanes: a PE takes lanes adjacent columns (review A 6)
        g = packed_channels(c.dataflow, ops.k[idx].astype(np.int64), ops.n[idx].astype(np.int64),
                            c.rows, c.cols * self.lanes)
        return np.where(ops.depthwise[idx], np.minimum(g, batch), 1.0)

    def _packed_rule(self) -> str:
        """The dataflow's packing rule as the note states it, ``cols x lanes`` with macs_per_pe."""
        rule = PACKED_RULE[self.config.dataflow]
        return rule if self.lanes == 1 else rule.replace("cols /", f"cols x {self.lanes} /")

    def _depthwise_note(self, ops: OpArrays, idx) -> list[str]:
        """find-K 1: the depthwise convolutions the array runs one channel per fold (or, packed,
        several), with their MACs, their array time and share of it, and the PEs they use (MACs /
        (rows x cols x cycles))."""
        dw = ops.depthwise[idx] if ops.depthwise is not None else None
        if dw is None or not dw.any():
            return []
        c = self.config
        cyc = self._cycles(ops, idx)[0]
        macs = ops.macs[idx]
        t_dw, t_all = float(cyc[dw].sum()) / c.clock, float(cyc.sum()) / c.clock
        pes = float(macs[dw].sum()) / (c.rows * c.cols * float(cyc[dw].sum()))
        shape = f"k = {_span(ops.k[idx][dw])} taps, n = {_span(ops.n[idx][dw])} outputs a channel"
        packed = c.depthwise == "packed"
        how = (f"block-diagonally, g = {_span(self._packed(ops, idx)[dw])} channels a fold ({shape}; "
               f"g = {self._packed_rule()} on {c.dataflow}, at most the channels; depthwise: packed)"
               if packed else f"one channel per fold ({shape})")
        return [f"{self.name}: {int(dw.sum())} depthwise convolution(s), {si(float(macs[dw].sum()), 'MAC')} "
                f"({100 * float(macs[dw].sum()) / max(float(macs.sum()), 1.0):.1f} % of its MACs), run {how}: "
                f"{si(t_dw, 's')} of array compute, {100 * t_dw / t_all:.1f} % "
                f"of its {si(t_all, 's')}, at {100 * pes:.2g} % of its {c.rows} x {c.cols} PEs. A real "
                "NPU runs them on a vector unit (not modelled); "
                + ("" if packed else f"{self.name}.depthwise: packed packs several channels a fold, ")
                + f"{self.name}.depthwise: host leaves them to the host processor (see README "
                "\"Depthwise convolutions on a systolic array\")"]

    def cost(self, ops: OpArrays, idx, plan):
        c = self.config
        rows, k, n, macs = ops.rows[idx], ops.k[idx], ops.n[idx], ops.macs[idx]
        stationary = ops.stationary[idx] >= 0
        batch = np.where(stationary, 1.0, ops.batch[idx])
        cycles, m = self._cycles(ops, idx)
        a_in = rows * k * c.input_bits / 8.0  # what the array reads: the im2col rows
        # what crosses the link into the buffer: with input_reuse a convolution's inputs once
        # per kernel row (the feeder builds the windows)
        sent = input_bytes(ops, idx, c.input_bits, c.input_reuse)
        w = np.where(stationary, k * n * c.weight_bits / 8.0, batch * k * n * c.input_bits / 8.0)
        a_out = ops.act_out_bytes[idx]
        in_passes, w_passes = operand_passes(c.dataflow, m, self._lane_n(n), c.rows, c.cols)
        # the array reads its inputs from the unified buffer once per pass; inputs the buffer
        # cannot hold cross the link again for every pass
        link_in = np.where(sent > c.buffer.capacity, sent * in_passes, sent)
        # a stationary weight streams from weight_memory through the weight FIFO at every pass,
        # past the unified buffer; a second operand that is an activation (attention's K, V)
        # comes over the link into the buffer, and again per pass where the buffer cannot hold it
        act_w = np.where(stationary, 0.0, w)
        link_w = np.where(act_w > c.buffer.capacity, act_w * w_passes, act_w)
        buf = a_in * in_passes + a_out + act_w * w_passes
        compute = np.maximum(cycles / c.clock, buf / c.buffer.bandwidth)
        # stationary weights from weight_memory at every pass, or once where the weight buffer
        # holds them (the further passes read it: :mod:`cimsim.hw.weightbuf`)
        from_wl, w_buf = weight_reads(c.weight_buffer, np.where(stationary, w, 0.0), w_passes,
                                      ops.stationary[idx])
        energy = {"mac": macs * c.energy_per_mac, "buffer": buf * c.buffer.energy_per_byte}
        busy, parts = {"mac": macs / self.peak_macs}, {}
        if c.weight_buffer is not None:
            wb_s = w_buf / c.weight_buffer.bandwidth
            # the op is the weight buffer's where its re-reads outlast the array and buffer
            parts["weight_buffer"] = np.where(wb_s > compute, wb_s, 0.0)
            busy["weight_buffer_bw"] = wb_s
            compute = np.maximum(compute, wb_s)
            energy["weight_buffer"] = w_buf * c.weight_buffer.energy_per_byte
        link = self.link
        wl = self.weight_level
        nbytes = {link: link_in + a_out + link_w}
        nbytes[wl] = from_wl
        # a model input it reads first, or what the host stored there (hierarchy rules 3, 7):
        # the host reads it from the backing store, then sends it
        back = self.hw.backing_store
        first_in = first_input_reads(ops, idx, among_all=True) + backed_reads(ops, idx)
        nbytes[back] = nbytes.get(back, 0.0) + first_in
        writes = {link: a_out}  # the outputs go back; operands come in
        # an output a host op reads from the backing store is written there (hierarchy rule 8)
        landed = add_landed(ops, idx, back, nbytes, writes)
        latency = c.op_overhead + self.hw.resource(link).latency_s() + np.maximum(
            np.where(stationary, self.hw.resource(wl).latency_s(), 0.0),
            np.where((first_in > 0) | landed, self.hw.resource(back).latency_s(), 0.0))
        add_stored(ops, idx, self.hw.store_target, nbytes, writes)  # KV-cache appends
        return OpCost(compute_s=compute, latency_s=latency, bytes=nbytes, write_bytes=writes,
                      energy=energy, busy=busy, compute_parts=parts)

    def mac_precision(self, dtype):
        """Its own input x weight bits, whatever the workload's dtype."""
        return f"{self.config.input_bits}b x {self.config.weight_bits}b"

    def compute_bits(self):
        """Its fixed precision (a run of another dtype compares unlike precisions: the (!p)
        mark and note, as for a CIM)."""
        return (self.config.weight_bits, self.config.input_bits)

    def peak_macs_per_s(self, dtype):
        return self.peak_macs
