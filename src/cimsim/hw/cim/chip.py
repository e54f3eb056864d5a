"""The on-chip hierarchy of a CIM chip: subarrays grouped into PEs, tiles and the chip, each
level with its buffer and its interconnect (the optional ``cim.chip`` block).

The hierarchy is data: ``levels`` names the grouping innermost first (a mapping, like the
memory hierarchy, so a sweep can set ``cim.chip.levels.tile.buffer.width_bits``). Level
``j`` groups ``fanout`` units of level ``j - 1`` (level 0 groups ``fanout`` arrays, e.g. a PE
of 4 subarrays), so one unit of level ``j`` holds ``A_j = fanout_0 x ... x fanout_j`` arrays and
the chip has ``A_top`` arrays (it must equal ``cim.arrays``).

Transfers of one op, per level ``j`` (the rules; NeuroSim, MNSIM and CiMLoop model the same
path):

1. Every byte of the op's inputs goes down the hierarchy and every byte of its outputs comes
   back up: at each level the bytes ``B`` are written into that level's buffer and read out of
   it once, and cross that level's interconnect once.
2. The op occupies ``u_j = ceil(arrays of the op / A_j)`` units of level ``j``; units work in
   parallel and the bytes split evenly over them: ``b_j = B / u_j`` per unit.
3. Buffer: ``words = ceil(8 b_j / width_bits)``; time ``2 x words x cycle`` (a write and a
   read per word), ``cycle = max(access latency, 1 / clock)``; energy ``2 x words x u_j x
   energy per access``. The access energy and latency default to the circuit model
   (:func:`cimsim.hw.circuits.buffer.buffer` at ``chip.node_nm``), or are given.
4. Interconnect: ``cycles = ceil(8 b_j / width_bits) + hops`` at its clock (a bus of width
   ``w`` moves ``B`` bytes in ``ceil(B / w)`` cycles, plus the hops of the first flit); energy
   ``8 B x hops x energy_per_bit_per_hop x activity`` (the fraction of bits that toggle).
   Hops from the level's fan-out ``f``: bus 1 (one shared segment), H-tree
   ``max(1, ceil(log2 f))`` (root to leaf), mesh ``ceil(sqrt f)`` (a ``ceil(sqrt f)``-wide
   mesh: on average ``side - 1`` hops from its edge port plus the injection hop).
5. With ``transfers: serial`` (NeuroSim's accounting) an op's time is its array time plus
   every level's buffer and interconnect time; with ``overlapped`` (double-buffered levels)
   it is the largest of them.
7. With ``tile_traffic``, rule 1 counts what a layer's array tiles need (a copy of the layer
   is ``rt`` row tiles x ``ct`` column tiles, laid out column tile by column tile): between a
   unit of level ``j`` and its children (units of ``A`` = ``A_{j-1}`` arrays; arrays for level
   0, ``A`` = 1), inputs are *broadcast* to every child holding part of a column tile and
   *partial sums* of row tiles held by different children go up to be reduced:
   ``B_j = inputs x n_in + outputs x n_out`` with, when ``A >= rt`` (a child holds
   ``floor(A / rt)`` whole column tiles), ``n_in = ceil(ct / floor(A / rt))``, ``n_out = 1``;
   when ``A < rt``, ``n_in = ct`` (each child gets its rows' inputs, for every column tile)
   and ``n_out = ceil(rt / A)`` partial sums per output. Copies split the rows (no factor).
6. A level with one unit on the chip (the global buffer and bus) serves every layer: its time
   is not the op's own but an engine resource's that concurrent ops share
   (:mod:`.onchip`, "Shared levels"); alone on it, an op takes the time of rules 3-5.
"""

from __future__ import annotations

import math
import re
from typing import Literal, Optional

import numpy as np
from pydantic import Field, model_validator

from ...units import si
from ...quantity import (
    Bytes,
    Flag,
    Fraction,
    Hertz,
    Joules,
    JoulesPerBit,
    PositiveFloat,
    PositiveInt,
    Seconds,
    SquareMeters,
)
from ..base import Strict
from ..technology import Register
from ..circuits import buffer as circuit_buffer
from ..circuits import digital as circuit_digital
from ..circuits import flipflop as circuit_flipflop


class ChipBuffer(Strict):
    """The buffer of one level of the chip (one per unit of the level)."""

    type: Literal["sram", "register_file", "edram"] = Field(description="Buffer circuit: sram, "
                                                             "register_file or edram.")
    capacity: Bytes = Field(description="Capacity of one unit's buffer.")
    width_bits: PositiveInt = Field(description="Bits per access (port width), in bits.")
    clock: Optional[Hertz] = Field(default=None, description="Access clock (default: one access "
                                   "per access latency).")
    energy_per_access: Optional[Joules] = Field(
        default=None, description="Energy of one access of width_bits (default: the circuit "
        "model of cimsim.hw.circuits.buffer at chip.node).")
    access_latency: Optional[Seconds] = Field(
        default=None, description="Latency of one access (default: the circuit model).")
    area: Optional[SquareMeters] = Field(
        default=None, description="Area of one unit's buffer; 0 where cim.area.buffer or "
        "cim.area.other already books it (default: the circuit model of "
        "cimsim.hw.circuits.buffer at chip.node).")

    @model_validator(mode="after")
    def _width_fits(self) -> "ChipBuffer":
        # one access cannot be wider than the buffer (the circuit model's domain, and physics)
        if self.width_bits > 8 * self.capacity:
            raise ValueError(f"width_bits {self.width_bits} is wider than the buffer "
                             f"({si(self.capacity, 'B')} = {8 * self.capacity:g} bits); "
                             "allowed: 1 bit up to the capacity")
        return self


class Interconnect(Strict):
    """The interconnect joining the children of one unit of a level to its buffer."""

    type: Literal["bus", "htree", "mesh"] = Field(description="Topology: bus, htree or mesh "
                                                   "(sets the hops from the level's fan-out).")
    width_bits: PositiveInt = Field(description="Bits moved per cycle, in bits.")
    clock: Hertz = Field(description="Interconnect clock.")
    energy_per_bit_per_hop: JoulesPerBit = Field(description="Energy of one bit over one hop "
                                                 "when it toggles.")
    activity: Fraction = Field(default=1.0, description="Fraction of the bits moved that toggle "
                               "(NeuroSim's inputtoggle: 0.18 for VGG-8 activations).")
    area: Optional[SquareMeters] = Field(
        default=None, description="Area of one unit's interconnect (its wires and routers; "
        "area part chip_interconnect); 0 where cim.area.other already books it. Default: not "
        "counted, and the run says so.")


class ChipLevel(Strict):
    """One level of the on-chip hierarchy (a PE, a tile, the chip); its key in ``chip.levels``
    is its name (lower case, e.g. pe, tile, chip; it names facts such as cim_tile_used)."""

    fanout: PositiveInt = Field(description="Units of the level below (arrays, for the first "
                                "level) in one unit of this level.")
    buffer: Optional[ChipBuffer] = Field(default=None, description="The level's buffer (default: "
                                         "none, transfers pass through).")
    interconnect: Optional[Interconnect] = Field(default=None, description="The level's "
                                                 "interconnect (default: none, no time or energy).")


class Periphery(Strict):
    """Digital periphery of the chip: units that run activations (ReLU, sigmoid, tanh as vector
    ops), pooling, residual adds and other vector work beside the arrays, so that a CIM-only chip
    needs no host processor for them."""

    level: str = Field(description="The level whose every unit holds `units` periphery units "
                       "(e.g. tile).")
    units: PositiveInt = Field(description="Periphery units per unit of `level`; each does one "
                               "vector op (an add or compare of `bits`) per cycle.")
    bits: PositiveInt = Field(le=64, description="Datapath width of one unit, in bits: the "
                              "width of the values it reads and writes, so it also sizes the "
                              "periphery's activation tensors (and chip.output_bits' default); "
                              "a bit-serial unit: its values' width, its clock divided by it.")
    clock: Hertz = Field(description="Clock of the periphery units.")
    energy_per_op: Optional[Joules] = Field(
        default=None, description="Energy of one vector op (default: one add and one register "
        "write of `bits` from cimsim.hw.circuits.digital.shift_add at chip.node_nm).")
    area_per_unit: Optional[SquareMeters] = Field(
        default=None, description="Area of one unit; 0 where cim.area.other already books it "
        "(default: the same circuit model's area).")

    def energy_area(self, node_nm: float, register_design=None) -> tuple[float, float]:
        """``(J per vector op, m^2 per unit)``: given values, else the circuit model (its
        register of ``register_design``, :func:`register_of`; None: the standard cell)."""
        e, a = self.energy_per_op, self.area_per_unit
        if e is None or a is None:
            est = circuit_digital.shift_add(self.bits, node_nm, None, register_design)
            e = float(est.energy_j) if e is None else e
            a = float(est.area_m2) if a is None else a
        return float(e), float(a)


class Chip(Strict):
    """A CIM chip's on-chip hierarchy, mapping and pipelining (absent: a flat pool of arrays)."""

    node_nm: Optional[PositiveFloat] = Field(
        default=None, ge=7, le=180, description="Technology node in nm for the circuit-model "
        "defaults of buffers and periphery (default: the architecture's technology.node).")
    levels: dict[str, ChipLevel] = Field(min_length=1, description="Grouping of arrays by level "
                                         "name, innermost first (e.g. pe, tile, chip); fan-outs "
                                         "multiply to cim.arrays.")
    transfers: Literal["serial", "overlapped"] = Field(
        default="serial", description="serial: an op's time is array time plus every level's "
        "buffer and interconnect time (NeuroSim); overlapped: the largest of them.")
    layer_unit: Optional[str] = Field(
        default=None, description="Name of the level whose units a layer never shares (NeuroSim "
        "maps each layer to whole tiles); default: layers pack arrays densely.")
    shared_levels: Literal["engine", "per_op"] = Field(
        default="engine", description="Levels with one unit on the chip (a global buffer and "
        "bus): engine, a bandwidth of the engine that concurrent layers share (a pipeline's "
        "interval is at least their total time); per_op, each op is charged them alone in its "
        "own time (NeuroSim's per-layer accounting).")
    duplication: Literal["none", "balance"] = Field(
        default="none", description="Weight duplication per layer: none, or balance (copies "
        "chosen to equalise the layer pipeline's stages under the array budget).")
    layers: dict[str, PositiveInt] = Field(
        default_factory=dict, description="Copies per layer, by weight tensor name (overrides "
        "the duplication policy for those layers). On the command line the key is the rest of "
        "the path, dots and all (--set cim.chip.layers.2.weight=8); --set 'cim.chip.layers={}' "
        "gives every layer to the policy.")
    input_reuse: Flag = Field(
        default=False, description="Convolution inputs are reused across the sliding window in "
        "hardware (NeuroSim's novel mapping): each input crosses the hierarchy once per kernel "
        "row; off (conventional mapping): every window's inputs (the im2col bytes).")
    tile_traffic: Flag = Field(
        default=False, description="Count a layer's array tiles' traffic at each level: inputs "
        "broadcast to every unit holding its column tiles, partial sums of row tiles in "
        "different units sent up to be reduced (module rule 7); off: each byte of an op's "
        "inputs and outputs crosses each level once.")
    output_bits: Optional[PositiveInt] = Field(
        default=None, le=32, description="Bits per output element moved through the hierarchy "
        "(outputs re-quantised beside the arrays, e.g. 8); default: periphery.bits with a "
        "periphery (the digital datapath that reads them), else the workload's output bytes.")
    periphery: Optional[Periphery] = Field(
        default=None, description="Digital periphery that runs the workload's vector ops "
        "(default: none, a processor runs them).")
    area_overhead: PositiveFloat = Field(
        default=1.0, ge=1.0, description="Post-layout factor on the CIM block's summed area "
        "(NeuroSim's layout overhead); reported as the area part `overhead`.")
    registers: Optional[Register] = Field(
        default=None, description="Register (flip-flop) design of the chip's circuit-model "
        "defaults: register-file buffers and the periphery's registers (default: "
        "standard_cell; like chip.node_nm it is the chip's own, the top-level "
        "technology.registers does not reach it).")
    energy_overhead: PositiveFloat = Field(
        default=1.0, ge=1.0, description="Post-layout factor on the CIM block's dynamic energy "
        "(NeuroSim's zeta, 1.22 in Param.cpp: wiring and switching a schematic-level estimate "
        "leaves out); the excess is reported as the energy part `layout`.")

    @model_validator(mode="after")
    def _names(self) -> "Chip":
        names = list(self.levels)
        bad = [n for n in names if not re.fullmatch(r"[a-z][a-z0-9_]*", n)]
        if bad:
            raise ValueError("chip.levels names must be lower case words (a-z, 0-9, _), got "
                             f"{', '.join(bad)}")
        if self.layer_unit is not None and self.layer_unit not in names:
            raise ValueError(f"chip.layer_unit '{self.layer_unit}' is not a level; levels: "
                             f"{', '.join(names)}")
        if self.periphery is not None and self.periphery.level not in names:
            raise ValueError(f"chip.periphery.level '{self.periphery.level}' is not a level; "
                             f"levels: {', '.join(names)}")
        return self

    def matmul_output_bits(self) -> int | None:
        """Bits of a matmul's output element on the chip: ``output_bits``, else the
        periphery's ``bits`` (its datapath reads and writes them at that width), else None
        (the workload's bytes)."""
        if self.output_bits is not None:
            return self.output_bits
        return self.periphery.bits if self.periphery is not None else None

    def level_arrays(self, name: str) -> int:
        """Arrays in one unit of the level ``name``."""
        return self.unit_arrays[list(self.levels).index(name)]

    @property
    def arrays(self) -> int:
        return math.prod(lv.fanout for lv in self.levels.values())

    @property
    def unit_arrays(self) -> list[int]:
        """Arrays in one unit of each level, innermost first."""
        out, a = [], 1
        for lv in self.levels.values():
            a *= lv.fanout
            out.append(a)
        return out

    @property
    def align_arrays(self) -> int:
        """Arrays a layer's allocation is rounded up to (1 when layers pack densely)."""
        if self.layer_unit is None:
            return 1
        return self.unit_arrays[list(self.levels).index(self.layer_unit)]


def hops(kind: str, fanout: int) -> int:
    """Hops of one transfer across an interconnect joining ``fanout`` children (module rule 4)."""
    if kind == "bus":
        return 1
    if kind == "htree":
        return max(1, math.ceil(math.log2(fanout))) if fanout > 1 else 1
    return math.ceil(math.sqrt(fanout))


def bus_cycles(nbytes, width_bits: int):
    """Cycles to move ``nbytes`` over a ``width_bits``-wide path: ``ceil(8 B / w)``."""
    return np.ceil(np.asarray(nbytes, dtype=np.float64) * 8.0 / width_bits)


def needs_node(chip: Chip) -> bool:
    """Whether any default comes from a circuit model (and so needs a technology node)."""
    bufs = [lv.buffer for lv in chip.levels.values() if lv.buffer is not None]
    p = chip.periphery
    return (any(b.energy_per_access is None or b.access_latency is None or b.area is None
                for b in bufs)
            or (p is not None and (p.energy_per_op is None or p.area_per_unit is None)))


def register_of(chip: Chip):
    """The circuit models' register design of the chip's defaults (None: the standard cell)."""
    r = chip.registers
    if r is None:
        return None
    return circuit_flipflop.RegisterDesign(r.design, r.kind, float(r.data_activity))


def buffer_access(buf: ChipBuffer, node_nm: float | None,
                  register_design=None) -> tuple[float, float]:
    """``(energy per access J, cycle s)`` of a level's buffer: given values, else the circuit
    model (a register file's bits of ``register_design``; None: the standard cell)."""
    e, lat = buf.energy_per_access, buf.access_latency
    if e is None or lat is None:
        est = circuit_buffer.buffer(buf.type, buf.capacity, buf.width_bits, node_nm, None,
                                    register_design)
        e = float(est.energy_j) if e is None else e
        lat = float(est.delay_s) if lat is None else lat
    cycle = max(lat, 1.0 / buf.clock) if buf.clock is not None else lat
    return float(e), float(cycle)


def tile_factors(chip: Chip, row_tiles, col_tiles) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per level: ``(n_in, n_out)`` of module rule 7 for ops of ``row_tiles`` x ``col_tiles``
    arrays per copy; ``(1, 1)`` everywhere without ``tile_traffic``."""
    rt = np.maximum(np.asarray(row_tiles, dtype=np.float64), 1.0)
    ct = np.maximum(np.asarray(col_tiles, dtype=np.float64), 1.0)
    one = np.ones_like(rt)
    out, child = {}, 1
    for name, a in zip(chip.levels, chip.unit_arrays):
        if not chip.tile_traffic:
            out[name] = (one, one)
        else:
            whole = np.floor(child / rt)  # whole column tiles in one child
            n_in = np.where(whole >= 1, np.ceil(ct / np.maximum(whole, 1.0)), ct)
            n_out = np.where(whole >= 1, 1.0, np.ceil(rt / child))
            out[name] = (n_in, n_out)
        child = a
    return out


def level_bytes(chip: Chip, a_in, a_out, row_tiles, col_tiles) -> dict[str, np.ndarray]:
    """Bytes through each level (module rules 1 and 7): ``a_in x n_in + a_out x n_out``."""
    return {name: np.asarray(a_in) * f_in + np.asarray(a_out) * f_out
            for name, (f_in, f_out) in tile_factors(chip, row_tiles, col_tiles).items()}


def transfers(chip: Chip, nbytes, op_arrays: np.ndarray,
              node_nm: float | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Per level: time and energy of moving ``nbytes`` (per op; or per level, a dict as
    :func:`level_bytes` gives) for ops spanning ``op_arrays`` arrays each (module rules 1-4),
    circuit defaults at ``node_nm`` (default ``chip.node_nm``).
    Returns ``{level: {buffer_s, buffer_j, interconnect_s, interconnect_j}}``, aligned with the
    ops."""
    node_nm = chip.node_nm if node_nm is None else node_nm
    out = {}
    per_level = nbytes if isinstance(nbytes, dict) else None
    for (name, lv), a in zip(chip.levels.items(), chip.unit_arrays):
        nbytes = np.asarray(per_level[name] if per_level is not None else nbytes,
                            dtype=np.float64)
        units = np.maximum(1.0, np.ceil(op_arrays / a))
        per_unit = nbytes / units
        zero = np.zeros_like(nbytes)
        rec = {"buffer_s": zero, "buffer_j": zero, "interconnect_s": zero, "interconnect_j": zero}
        if lv.buffer is not None:
            e, cycle = buffer_access(lv.buffer, node_nm, register_of(chip))
            words = bus_cycles(per_unit, lv.buffer.width_bits)
            rec["buffer_s"] = 2.0 * words * cycle
            rec["buffer_j"] = 2.0 * words * units * e
        if lv.interconnect is not None:
            ic = lv.interconnect
            h = hops(ic.type, lv.fanout)
            cyc = bus_cycles(per_unit, ic.width_bits) + np.where(nbytes > 0, h, 0)
            rec["interconnect_s"] = cyc / ic.clock
            rec["interconnect_j"] = 8.0 * nbytes * h * ic.energy_per_bit_per_hop * ic.activity
        out[name] = rec
    return out


def op_time(chip: Chip, array_s: np.ndarray, levels: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(time, buffer_s, interconnect_s)`` of each op: array time and transfers combined by
    ``chip.transfers`` (module rule 5); the two sums are over levels."""
    buf = sum((r["buffer_s"] for r in levels.values()), np.zeros_like(array_s))
    ic = sum((r["interconnect_s"] for r in levels.values()), np.zeros_like(array_s))
    if chip.transfers == "serial":
        return array_s + buf + ic, buf, ic
    t = array_s
    for r in levels.values():
        t = np.maximum(t, np.maximum(r["buffer_s"], r["interconnect_s"]))
    return t, buf, ic


def level_buffers(chip: Chip) -> list[tuple[ChipBuffer, int]]:
    """Each level's buffer with the chip's count of it (one per unit of the level)."""
    return [(lv.buffer, chip.arrays // a) for lv, a in zip(chip.levels.values(), chip.unit_arrays)
            if lv.buffer is not None]


def one_buffer_area_m2(buf: ChipBuffer, node_nm: float | None) -> float:
    """Area of one unit's buffer, m^2: given, else the circuit model at ``node_nm``."""
    if buf.area is not None:
        return float(buf.area)
    return float(circuit_buffer.buffer(buf.type, buf.capacity, buf.width_bits, node_nm).area_m2)


def buffer_area_m2(chip: Chip, node_nm: float | None = None) -> float:
    """Area of every level's buffers (one per unit; given, else the circuit model), m^2."""
    node_nm = chip.node_nm if node_nm is None else node_nm
    return sum(one_buffer_area_m2(buf, node_nm) * units for buf, units in level_buffers(chip))


def interconnect_area_m2(chip: Chip) -> float | None:
    """Given area of every level's interconnect (one per unit), m^2; None when none is given."""
    given = [(lv.interconnect.area, a) for lv, a in zip(chip.levels.values(), chip.unit_arrays)
             if lv.interconnect is not None and lv.interconnect.area is not None]
    if not given:
        return None
    return sum(float(area) * (chip.arrays // a) for area, a in given)


def effective_rate(ch, lv, node_nm: float | None) -> float:
    """A level's effective rate (B/s) for a stream of bytes, its whole-word rounding aside: each
    byte takes its buffer ``2 x cycle / (width / 8)`` (written and read) and its interconnect
    ``1 / (width / 8 x clock)``, one after the other (``transfers: serial``: the rates in
    series) or at once (``overlapped``: the slower one's); the roofline's roof of a shared level,
    the occupancy its steady state and utilization count."""
    buf_s, ic_s = seconds_per_byte(lv, node_nm)
    per_byte = buf_s + ic_s if ch.transfers == "serial" else max(buf_s, ic_s)
    return 1.0 / per_byte


def seconds_per_byte(lv, node_nm: float | None) -> tuple[float, float]:
    """``(buffer, interconnect)`` seconds a level takes per byte of a stream: ``2 x cycle /
    (width / 8)`` (each word written and read; 0 without a buffer, or where neither its access
    latency nor a node is given: a config error that check names) and ``1 / (width / 8 x
    clock)`` (0 without an interconnect)."""
    b, ic = lv.buffer, lv.interconnect
    buf_s = 0.0 if b is None or (b.access_latency is None and node_nm is None) else (
        2.0 * buffer_access(b, node_nm)[1] / (b.width_bits / 8.0))
    ic_s = 0.0 if ic is None else 1.0 / (ic.width_bits / 8.0 * ic.clock)
    return buf_s, ic_s
