"""Compute-in-memory crossbar arrays (SRAM or RRAM) holding stationary weights.

Claims every matmul with a stationary weight but those ``exclude`` names (:mod:`.exclude`;
priority above PIM), and with ``nmc`` the bias adds / ReLUs riding on them (:mod:`.epilogue`).
Placement:
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
``max(1, ceil((input_bits - 1) / dac_bits))``); one slice takes ``t_slice = reads x
max(read_latency, s x ceil(cols / adcs per array) / ADC rate)`` (``s``: the arrays of one
shared ADC the op converts on at once, :mod:`.adcshare`) with ``reads`` = 1 when all
rows are read at once, else (a partial parallel read of ``rows_per_read`` = R rows)
``ceil(min(k, rows) / R)``: the fullest array tile's groups, counted from the weight rows the
tile holds, not the array's (a layer with fewer inputs than rows reads fewer groups); so one
matrix-vector product takes ``t_vector = slices * t_slice`` (with an
integrate-and-count readout, ``adc.counting``, the closed form of
:mod:`.counting` instead, times ``ceil(cols / adcs per array)``); each
activation row is one matrix-vector product with all arrays of the matrix in
parallel, rows spread over the replicas:

- compute = ``max(rounds * ceil(rows / replicas) * t_vector, (input +
  output bytes) / buffer bandwidth)`` plus, when it re-programs,
  ``rounds * min(k, array rows) * write_latency * write_verify_pulses`` (:mod:`.programming`);
- a one-row op (a GEMV) is *serial*: its input must arrive before it computes (so is an
  op that re-programs: its weights arrive and are written before any row computes); with
  more rows transfers overlap compute, on copies too, but for the first row's fill and the
  last row's drain (:func:`~cimsim.hw.base.row_pieces`: the engine's pieces, ``rows`` of
  transfers; the last row's compute is its own: ``rounds * t_vector``, or its ``1 / rows``
  share of the buffer's time and a chip's local levels if longer; replication is never
  slower);
- bytes: inputs and outputs (and re-programmed weights) cross ``link``; with a ``chip``
  block only the activations that enter or leave the chip (:mod:`.offchip`);
  re-programmed weights are read from the backing store;
- latency: ``op_overhead`` (the host's dispatch of the op; default 0 s) + the link's latency
  where an op moves bytes over it (+ the backing store's when re-programming);
- energy (:mod:`.energy`): ``adc`` = conversions (rows x read groups x physical
  columns x slices; read groups = row tiles, or with R the sum over row tiles of
  ``ceil(k_tile / R)``, k_tile the rows the tile holds: :func:`.tiling.read_groups`) x energy
  per conversion (integrate-and-count: the neuron's energy per column per vector,
  :mod:`.counting`); the accuracy emulator's ``Emulator.conversions`` counts the same events
  (tested in ``tests/accuracy/test_cost_alignment.py``); ``dac`` row drives;
  ``array`` cell reads (a finite ``nonideal.on_off_ratio`` adds one reference column per
  array, read, subtracted before the ADC, not converted); ``digital`` shift-add + buffer
  bytes; ``write`` = every cell of the matrix once per re-programming op (x
  ``write_verify_pulses``). The one-time programming before the run (deployment) is reported,
  not charged (:mod:`.programming`).

With ``nmc``, a bias add / ReLU that is a matmul's whole epilogue (op tag ``epilogue``) and that
the datapath does is claimed with the matmul and rides on it, costing nothing of its own
(:mod:`.epilogue`); the ops' cost is :mod:`.opcost`'s.

Every per-event number above (read latency, ADC rate and energy, row drive, cell read,
shift-add, buffer energy, areas) is the config's when it states it, else derived once per
design point from the circuit models at the architecture's ``technology`` node and supply
(:mod:`.derive`); the result names each part's provenance and the bits the ADC loses. The
data-dependent ones (cell reads, row drives) take each op's own traced activity where the
workload states one (``cimsim trace --stats``), else ``cell.input_ones`` / ``weight_ones``
(:mod:`.activity`; facts ``<cim>_input_ones_default_ops`` / ``_weight_ones_default_ops``).
"""

from __future__ import annotations

from functools import cached_property
from typing import AbstractSet, Literal, Optional

import numpy as np
from pydantic import Field, model_validator

from ...quantity import (
    Flag,
    Joules,
    PositiveFloat,
    PositiveInt,
    PositiveSeconds,
    Seconds,
    Watts,
)
from ..base import (
    Component,
    ComponentConfig,
    OpArrays,
)
from ..parts import ADC, NMC, Cell, Counting, NonIdeal  # noqa: F401  (Counting re-exported)
from ..circuits.array import preset as cell_preset
from ..parts.cell import DEFAULT_CELL
from ..parts.registry import technology_cells, technology_of
from . import activity, adcshare, cellcheck, chips, counting, digital_cell, epilogue, exclude, flat, notes
from . import inbits, onchip, opcost, sizing, wbits, zeros
from . import static as static_model
from .blocks import CIMArea, CIMBuffer
from .chip import Chip, effective_rate
from .reprogram import NO_WEAR
from .derive import DeriveError, Design, design
from .tiling import columns_per_weight, on_off_ratio, one_on_off


class CIMConfig(ComponentConfig):
    """Compute-in-memory crossbar arrays holding stationary weights."""

    type: Literal["cim"] = Field(default="cim", description="Component type.")
    link: Optional[str] = Field(default=None, description="The link between the host and the arrays "
                                "(default: the architecture's only link).")
    technology: Literal["sram", "rram"] = Field(
        description="Memory cell technology: rram (the resistive cells rram_1t1r, fefet, pcm, "
        "stt_mram) "
        "or sram (sram_6t, sram_8t, sram_charge, sram_digital, sram_dcim); the process node and supply are "
        "the top-level technology block's.")
    arrays: PositiveInt = Field(le=2 ** 40, description="Number of crossbar arrays (macros) of "
                                "one chip; at most 2^40 (10^30 was taken: a chip of 1.6e21 m²).")
    chips: PositiveInt = Field(default=1, le=2 ** 20, description="Identical chips of `arrays` "
                               "arrays each, the matrices split over them in first-use order; "
                               "static power and area count every chip (cimsim.hw.cim.chips). "
                               "Default: 1. More need chip_link; not with a chip block.")
    chip_link: Optional[str] = Field(default=None, description="The link (of links:) an "
                                     "activation crosses from one chip to another; required with "
                                     "chips > 1. Default: none.")
    rows: PositiveInt = Field(le=2 ** 24, description="Word lines per array (input dimension of "
                              "a tile); at most 2^24, the partial-sum model's exact range.")
    cols: PositiveInt = Field(description="Bit lines per array.")
    bits_per_cell: PositiveInt = Field(le=8, description="Weight bits stored per cell.")
    weight_bits: PositiveInt = Field(le=32, description="Weight precision held in the arrays.")
    input_bits: PositiveInt = Field(le=32, description="Input activation precision.")
    weight_quant: Literal["per_column", "per_tensor"] = Field(
        default="per_column", description="How --accuracy scales a weight to weight_bits codes: "
        "per_column (each output column's max |W|) or per_tensor (the matrix's max |W|: a "
        "per-tensor quantized model keeps its own codes). The cost does not read it.")
    dac_bits: PositiveInt = Field(le=8, description="Input bits applied per array read (slice).")
    input_drive: Literal["level", "pulse_width", "pulse_count"] = Field(
        default="level", description="How a slice's value drives its row (derived dac_energy): "
        "level (a voltage DAC: C V V_k, C V^2 x the mean level; 2+ bits: a resistor-string "
        "core per row, its energy, area and settling), pulse_width (one pulse as long "
        "as the value: one C V^2 swing per non-zero value), pulse_count (as many unit pulses "
        "as the value, each a C V^2 swing: energy grows with the inputs, cell.input_ones).")
    signed_inputs: Flag = Field(default=False, description="Inputs are signed and their sign is "
                                "the pulse polarity: the sign bit costs no slice.")
    rows_per_read: Optional[PositiveInt] = Field(
        default=None, description="Rows read at once (partial parallel read); an array "
        "tile holding k_t weight rows takes ceil(k_t / rows_per_read) reads per input slice, "
        "each converted. Default: all rows.")
    read_latency: Optional[PositiveSeconds] = Field(
        default=None, description="Time of one array read (one input slice on rows_per_read "
        "rows; with `adc.counting`, one unit input pulse; a given one stays at any technology.voltage). Default: derived, the read pulse.")
    adc: ADC = Field(description="Column readout.")
    cell: Optional[Cell] = Field(default=None, description="Memory cell type and parameters "
                                 "(default: rram_1t1r or sram_6t by `technology`); used by "
                                 "derived array, driver and area numbers.")
    dac_energy: Optional[Joules] = Field(
        default=None, description="Energy to drive one row of one array for one slice: "
        "charged per physical row (an input row drives its row in every column tile's array: "
        "rows x k x column tiles x slices). Default: derived, the wordline's C V^2 x the "
        "slice's mean level (C V V_k).")
    cell_read_energy: Optional[Joules] = Field(
        default=None, description="Energy of one cell read for one slice. Default: derived, a "
        "cell's share of one read's cell and bitline energy.")
    switch_energy: Optional[Joules] = Field(
        default=None, description="Input switch matrix: one row for one input slice (its input "
        "register bit and, for a one, its transmission gate; cimsim.hw.circuits.periphery), "
        "energy part `switch`. Default: derived for a resistive cell with 1-bit slices and a "
        "technology block (the gate sized by the IR-drop rule); else none.")
    mux_energy: Optional[Joules] = Field(
        default=None, description="Column multiplexer's share of one conversion (select line, "
        "its driver and decoder; cimsim.hw.circuits.periphery), energy part `mux`. Default: "
        "derived for an analog array (not a digital bit-serial one) whose ADCs are shared by "
        "columns, with a technology block (gates sized to settle the sensed node); else none.")
    counter_energy: Optional[Joules] = Field(
        default=None, description="Row pulse counter of a pulse-count temporal DAC: one row for "
        "one input slice (loading the slice, one count per unit pulse, its share of the pulse "
        "clock; cimsim.hw.circuits.periphery), energy part `counter`. Default: derived for "
        "input_drive pulse_count with a technology block; else none.")
    shift_add_energy: Optional[Joules] = Field(
        default=None, description="Digital shift-and-add energy per conversion. Default: "
        "derived, an adder and register of the accumulator's width (with `nmc`: the "
        "near-memory datapath's energy per conversion).")
    nmc: Optional[NMC] = Field(
        default=None, description="Near-memory datapath per column output (scaling, "
        "accumulation, bias, activation; cimsim.hw.circuits.datapath): when given, a derived "
        "shift_add_energy is this datapath's energy per conversion. Default: none, a plain "
        "shift-and-add.")
    write_latency: Optional[Seconds] = Field(
        default=None, description="Time to program one row of one array; a matrix's arrays "
        "are written in parallel, row by row (min(k, rows) x write_latency per round). "
        "Default: the cell preset's write pulse (rram_1t1r 10 ns, pcm 100 ns, fefet 100 ns, "
        "stt_mram 10 ns; an SRAM cell states none: give it).")
    write_energy: Optional[Joules] = Field(
        default=None, description="Energy to program one cell (one write pulse), all its "
        "bits_per_cell bits. Default: the cell preset's per-bit figure x bits_per_cell "
        "(rram_1t1r 3 pJ, pcm 10 pJ, fefet 1 fJ, stt_mram 1 pJ a bit: rram_1t1r at 2 bits a "
        "cell 6 pJ; an SRAM cell states none: give it). A multi-level cell's program-and-verify "
        "iterations beyond that: write_verify_pulses.")
    write_verify_pulses: PositiveInt = Field(
        default=1, le=10_000, description="Write pulses per cell, program-and-verify "
        "iterations (NeuRRAM, Wan et al., Nature 2022: iterative programming of multi-level "
        "RRAM); multiplies write_energy and write_latency, of re-programming and of the "
        "programming before the run, and the wear counted against endurance. Default: 1, "
        "one pulse.")
    endurance: Optional[PositiveFloat] = Field(
        default=None, description="Write pulses a cell survives (a device's SET/RESET cycles): "
        "each of write_verify_pulses wears it, so a programming costs write_verify_pulses of "
        "them. Default: the cell preset's (rram_1t1r 1e12, pcm 1e8, fefet 1e5, stt_mram 1e15; "
        "an SRAM cell states none: give it).")
    op_overhead: Seconds = Field(default="0 s", description="Host dispatch cost per CIM op (the "
                                 "driver's issue of one array command), in every op's latency.")
    buffer: Optional[CIMBuffer] = Field(default=None, description="Local input/output buffer "
        "beside the arrays: required for a flat pool, optional with a chip block (whose levels "
        "hold its buffers; given, it counts beside them).")
    static_power: Optional[Watts] = Field(
        default=None, description="Leakage and peripheral idle power of all arrays, periphery "
        "and buffer. Default: derived with a technology block (cimsim.hw.circuits.leakage: SRAM "
        "cells' off transistors, resistive cells 0, periphery by area, the SRAM buffer's bits; "
        "PTM off currents, no power gating).")
    leakage_devices: Optional[Literal["lstp", "hp"]] = Field(
        default=None, description="Off current of a derived static_power: lstp (100 pA/um, "
        "NeuroSim's default) or hp (100 nA/um; 22 nm and above). Default: technology.flavour's "
        "(lp: lstp, hp: hp; none: lstp). Static power only: delay and energy follow the flavour.")
    area: Optional[CIMArea] = Field(default=None, description="Silicon area by part.")
    weight_replication: Flag = Field(
        default=False,
        description="When every weight matrix fits, copy the matrices into the spare arrays so "
        "that independent activation rows of one matmul run on the copies in parallel.")
    replication: Literal["uniform", "balance"] = Field(
        default="uniform", description="How weight_replication copies: uniform, floor(arrays / "
        "arrays needed) copies of every matrix; balance, copies by rows (chip.duplication's "
        "policy, cimsim.hw.cim.mapping). A matrix never gets more copies than its most rows.")
    exclude: list[str] = Field(
        default_factory=list, description="Weights left to the host by name: shell-style globs "
        "(fnmatch, case-sensitive) over a matmul's stationary weight tensor name, e.g. "
        "['*.lora_A.*', '*.lora_B.*']; a matmul whose weight matches any is not claimed (it "
        "holds no array; the processor runs it) and the run's note counts them; a pattern "
        "matching no weight of the workload is named in a note (cimsim.hw.cim.exclude). Default: "
        "none.")
    transposed_read: Flag = Field(
        default=False, description="A weight read in both orientations (a training step's "
        "backward dX = dY W^T beside the forward x W, a tied autoencoder) is read transposed on "
        "its one copy's arrays, columns driven and rows sensed (Gokmen & Vlasov's RPU, DNN+"
        "NeuroSim V2's training mode), not held as a second copy: each array gets row-side "
        "ADCs and shift-adds as many as its columns have (area), and both orientations take "
        "turns on the same arrays. Off: each orientation has arrays of its own. Not with a "
        "chip block.")
    input_reuse: Flag = Field(
        default=False, description="A convolution sends each input once per kernel row (the "
        "tracer's window_elems) over the link, as chip.input_reuse; off: its im2col matrix.")
    drop_zero_rows: Flag = Field(
        default=False, description="Map each weight matrix on its live rows only, leaving out "
        "the K rows measured all zero at trace time (cimsim trace --stats: a masked conv's zero "
        "taps): fewer arrays, row reads, ADC conversions and energy (cimsim.hw.cim.zeros); a "
        "matrix with no live row is kept whole; --accuracy emulates the same rows. Off: dense, "
        "the fit note counts those rows.")
    nonideal: Optional[NonIdeal] = Field(
        default=None, description="Device and converter non-idealities for the accuracy "
        "emulator (`--accuracy`): ADC noise, programming variation, read noise, stuck-at "
        "faults, on/off ratio, drift, Monte-Carlo repeats. Costs only what the emulator stores: "
        "`encoding: differential` columns and a finite `on_off_ratio`'s reference column per "
        "array. Default: ideal.")
    chip: Optional[Chip] = Field(default=None, description="On-chip hierarchy (PEs, tiles, "
                                 "buffers, interconnect), layer mapping and pipelining (default: "
                                 "none, a flat pool of arrays; see cimsim.hw.cim.chip).")

    @model_validator(mode="after")
    def _bits(self) -> "CIMConfig":
        if self.dac_bits > self.input_bits:
            raise ValueError(f"dac_bits ({self.dac_bits}) cannot exceed input_bits ({self.input_bits})")
        if self.bits_per_cell > self.weight_bits:
            raise ValueError(  # find-D 5: say how a bit-width sweep gets there
                f"bits_per_cell ({self.bits_per_cell}) cannot exceed weight_bits "
                f"({self.weight_bits}): set bits_per_cell <= weight_bits too (--set "
                f"cim.bits_per_cell={self.weight_bits}; in a sweep, pair them in a --points CSV "
                "with columns cim.weight_bits,cim.bits_per_cell)")
        if self.adc.counting is not None and self.dac_bits != 1:
            raise ValueError(f"adc.counting applies inputs as unit pulses: dac_bits must be 1, "
                             f"not {self.dac_bits}")
        if self.adc.counting is not None and self.read_latency is None:
            raise ValueError("adc.counting needs read_latency given (one integration step)")
        if self.nonideal is not None:  # what the cell can carry (NonIdeal.check_cell)
            cell = self.cell.type if self.cell is not None else DEFAULT_CELL[self.technology]
            self.nonideal.check_cell(cell, cell_preset(cell).kind, on_off_ratio(self)[0])
            if self.nonideal.on_off_ratio is not None:
                one_on_off(self)
        adcshare.check(self)  # ADCs per array, arrays per ADC (module adcshare)
        bad = [p for p in self.exclude if not p.strip()]
        if bad or len(set(self.exclude)) < len(self.exclude):
            raise ValueError("exclude: each pattern must be a non-empty glob, listed once (got "
                             f"{self.exclude!r})")
        if self.rows_per_read is not None and self.rows_per_read > self.rows:
            raise ValueError(f"rows_per_read ({self.rows_per_read}) cannot exceed rows ({self.rows})")
        kind = cell_preset(self.cell.type).kind if self.cell is not None else None
        if self.cell is not None and self.cell.type not in technology_cells(self.technology):
            fits = technology_of(cell_preset(self.cell.type))
            raise ValueError(f"cell.type {self.cell.type} does not go with technology "
                             f"{self.technology}; allowed: "
                             f"{', '.join(technology_cells(self.technology))} (or set "
                             f"technology: {fits})")
        if (self.cell is not None and self.technology == "sram" and self.bits_per_cell > 1
                and self.cell.width_f is None and self.cell.height_f is None):
            # an SRAM bitcell holds one bit: a multi-bit "cell" is a unit of that many bitcells
            # (Sinangil et al.'s 4-cell CIM unit), whose size the config must state, or every
            # array, ADC and drive would shrink as if one bitcell held them all
            raise ValueError(f"bits_per_cell {self.bits_per_cell} on an {self.cell.type} cell, "
                             "which holds one bit: a multi-bit unit of several bitcells needs its "
                             "size stated (cell.width_f / cell.height_f: the unit's, in F), or "
                             "bits_per_cell: 1")
        if kind == "digital":  # what a digital bit-serial cell can take (module digital_cell)
            digital_cell.check(self)
        cellcheck.check(self)  # fields the cell's kind reads; bits a cell holds (module cellcheck)
        cellcheck.fill_writes(self)  # write figures left out: the cell preset's
        if self.buffer is None and self.chip is None:
            raise ValueError("buffer: required field is missing (the arrays' local buffer: capacity, "
                             "bandwidth; only a config with a chip block, whose levels hold its "
                             "buffers, may leave it out)")
        if self.chip is not None:
            onchip.check_config(self)
        return self

    @property
    def differential(self) -> bool:
        """Signed weights stored differentially (``nonideal.encoding``): twice the columns of
        the magnitude bits (:mod:`.tiling`). Default (no block): offset, one column word."""
        return self.nonideal is not None and self.nonideal.encoding == "differential"

    @property
    def slices(self) -> float:
        """Input slices of one matrix-vector product (magnitude bits only with ``signed_inputs``)."""
        if self.signed_inputs:
            return float(max(1, int(np.ceil((self.input_bits - 1) / self.dac_bits))))
        return float(np.ceil(self.input_bits / self.dac_bits))

    def t_slice(self, d: Design, reads=None, active=None):
        """Time of one input slice on an array: ``reads`` x (the read or the shared ADCs,
        whichever is slower); ``reads`` per op (:func:`.tiling.read_groups`), default a full
        array's ``d.reads``; ``active`` the arrays converting at once (:func:`.adcshare.share`;
        default every array of an ADC's group)."""
        share = adcshare.share(self, self.adc.arrays_per_adc if active is None else active)
        t = np.maximum(d.read_latency, share * float(np.ceil(self.cols / d.adcs_per_array)) / d.sample_rate)
        reads = d.reads if reads is None else reads
        return t * reads if np.any(np.asarray(reads) != 1) else t

    @property
    def phases(self) -> tuple[int, ...]:
        """Input bits per integrate-and-count phase (only with ``adc.counting``)."""
        return counting.phases(int(self.slices), self.adc.counting.max_bits_per_phase)

    def t_vector(self, d: Design, reads=None, slices=None, active=None):
        """Time of one matrix-vector product on an array (``reads``, ``active`` as :meth:`t_slice`;
        ``slices`` per op, :mod:`.inbits`, default :attr:`slices`)."""
        cnt = self.adc.counting
        if cnt is None:
            return (self.slices if slices is None else slices) * self.t_slice(d, reads, active)
        ph = self.phases
        neuron = (counting.integration_steps(ph) * d.read_latency
                  + counting.counting_steps(self.adc.bits, ph) / d.sample_rate
                  + len(ph) * cnt.phase_latency)
        share = adcshare.share(self, self.adc.arrays_per_adc if active is None else active)
        return share * float(np.ceil(self.cols / d.adcs_per_array)) * neuron


class CIM(Component[CIMConfig]):
    type_name = "cim"
    #: what the refusal of two tied cim blocks adds (find-D 1: per-layer precision)
    share_hint = ("; for layers at different CIM precisions keep one cim block at the widest bits "
                  "and tag the narrower layers' matmuls weight_value_bits / input_value_bits "
                  "(README: op tags)")
    Config, priority = CIMConfig, 30
    inputs_via_host = True  # the host fetches a model input it reads first (hierarchy rule 3)
    programs_weights, reprogram_fact, reprogram_parts = True, "reprograms", ("write",)  # hw.declared
    programming_includes = "reading them from the backing store and carrying them over the link as re-programming does"
    reprogram_stage, power_up_words = "the arrays are re-programmed", "the weights volatile cells lost"
    in_order_words = ("its re-programmed arrays ran their {n:,} ops in program order, the order the re-programming was "
                      "charged in (as they became ready they swapped matrices other than charged); the dependency critical path leaves that wait out")
    accuracy_arithmetic = "cim"
    label = "CIM"

    @property
    def utilizations(self):
        """The arrays', and under ``chip.shared_levels: per_op`` each one-unit level's
        (``<level>_bw``, :func:`.shared.per_op_levels`): the engine has no resource for it, so
        its occupancy is counted here, as the engine's ``util_<component>_<level>_bw`` is."""
        return ("arrays",) + self.oversubscribed_utilizations

    @property
    def oversubscribed_utilizations(self):
        """A per-op level's: layers in flight together may each be charged it at once."""
        ch = self.config.chip
        return tuple(f"{lv}_bw" for lv in (onchip.per_op_levels(ch) if ch is not None else ()))

    @property
    def energy_parts(self):
        try:
            periph = self.design.periphery_parts
        except DeriveError:
            periph = ()
        return (("array", "adc", "dac", "digital", "write") + periph
                + onchip.energy_parts(self.config))

    @property
    def compute_parts(self):
        """A chip's buffers and interconnect (or the flat buffer) out of the path's compute."""
        return onchip.COMPUTE_PARTS if self.config.chip is not None else onchip.flat_parts(self.config)

    @property
    def pipelined(self) -> bool:
        """Layers run as a pipeline (a chip block): results report the steady-state stream."""
        return self.config.chip is not None

    @property
    def facts(self) -> dict:
        """Scalar facts: per run (arrays needed, their area, re-programs; from the plan) and of the design
        (lossless partial-sum bits, bits the ADC loses per conversion, its range policy)."""
        out = {"arrays_needed": 0, "reprograms": 0, "area_needed_m2": 0.0, **NO_WEAR, **activity.FACTS,
               **(onchip.facts(self.config) if self.config.chip is not None else flat.FACTS)}
        try:
            d = self.design
        except DeriveError:
            return out
        out.update({"lossless_bits": d.lossless_bits, "adc_bits_lost": d.bits_lost,
                    "adc_range_policy": self.config.adc.range_policy})
        return out

    @cached_property
    def design(self) -> Design:
        """The design point's effective numbers (given or derived), once per component."""
        return design(self.config, self.hw.technology)

    @property
    def link(self) -> str | None:
        return self.hw.link_named(self.config.link)

    def check(self):
        errors = self.hw.link_errors("link", self.link, "the host and the arrays")
        errors += onchip.check(self.config, self.hw) + chips.check(self.config, self.hw)
        for what in ("design", "static"):
            try:
                getattr(self, what)
            except DeriveError as exc:
                # a supply below the threshold is the technology block's (a field outside the
                # component: "/" makes the path absolute), whichever derived number found it
                supply = str(exc).startswith("supply must exceed")
                errors.append(("/technology.voltage" if supply else exc.field, str(exc)))
                return errors
        return errors

    def adc_waste_note(self) -> str:
        """A note when the ADC has more bits than a conversion's lossless partial-sum bits
        (legal, and always waste: said, never silent); empty otherwise."""
        return "; ".join(n for n in (notes.adc_waste(self), notes.range_lsb(self)) if n)

    def sense_margin_note(self) -> str:
        """A note when a current-sense readout's off-cell pedestal leaves one LSB a small share
        of what its amplifiers see (:func:`.notes.sense_margin`); empty otherwise."""
        return notes.sense_margin(self)

    def derived_note(self) -> str:
        """One line naming the numbers the circuit models derived (empty when all are given)."""
        return notes.derived(self)

    def derived_values(self) -> dict[str, tuple[float, str]]:
        """The numbers the circuit models derived for fields the config leaves out, each with
        its provenance (:func:`.notes.derived_values`)."""
        return notes.derived_values(self)

    extrapolated, fixed_totals, technology_notes = notes.extrapolated, sizing.fixed_totals, notes.technology

    def claim_note(self, ops: OpArrays, free, took):
        """The matmuls ``exclude`` kept off the arrays (:func:`.exclude.note`) and the epilogues
        left to another unit (:func:`.epilogue.host_note`), one note."""
        # the matmuls no array can hold (:func:`.notes.unheld`): said here, where the arrays
        # taking no op at all (a vmap ensemble's bmm over stacked weights) still say it
        said = [n for n in (exclude.note(self.name, self.config, ops, free & ~took),
                            epilogue.host_note(self, ops, free, took),
                            notes.unheld(self.name, ops, self.builds_windows)) if n]
        return "; ".join(said) if said else None
    stated_dependents, claims_words = sizing.stated_dependents, notes.claims_words

    def provenance(self, marks: AbstractSet[str] = frozenset()) -> dict:
        """Each energy and area part's provenance and the static power's: :func:`.notes.provenance`."""
        return notes.provenance(self, marks)

    @cached_property
    def static(self) -> static_model.Static:
        """Static power: given, or derived by the leakage model (:mod:`.static`)."""
        return static_model.static(self.config, self.hw.technology, self.design)

    static_power_w = property(lambda self: self.static.power_w * self.config.chips,
                              doc="Every chip's (:mod:`.chips` rule 1).")

    builds_windows = property(lambda s: s.config.chip is None and s.config.input_reuse)  # placement rule 4a

    def claim(self, ops: OpArrays, free):
        mine = (ops.stationary >= 0) & ops.mac_dtype_ok()  # no int64 / complex matmul
        left = exclude.matches(self.config, ops) >= 0  # left to the host by name (.exclude)
        free = free & ~left
        if self.config.chip is not None:  # im2col copies, vector ops (cimsim.hw.cim.onchip)
            mine = mine | onchip.claims(self.config, ops, left)
        # a bias add / ReLU its cim.nmc datapath applies to a matmul it takes (.epilogue)
        return free & (mine | epilogue.riding(self.config, ops, free))

    def narrowed_ops(self, ops: OpArrays, mine):
        """``(ops, notes)``: its matmuls on their live rows with ``drop_zero_rows`` (:mod:`.zeros`)."""
        return zeros.drop_zero_rows(self, ops, mine)

    def unclaimed_hint(self, ops: OpArrays, unclaimed):
        return notes.unclaimed_hint(self, ops, unclaimed)  # (:mod:`.notes`)

    def place(self, ops: OpArrays, idx):
        """The placement, and the data activity each op's energy uses (:mod:`.activity`)."""
        mine = np.zeros(ops.kind.shape[0], dtype=bool)
        mine[idx] = True
        ride = epilogue.riding(self.config, ops, mine)  # on their matmuls (:mod:`.epilogue`)
        plan = self._place(ops, idx, ride)
        plan.state["rides"] = ride[idx]
        plan.state["slices"] = inbits.op_slices(self.config, ops, idx)  # per op (:mod:`.inbits`)
        sel = activity.select(self.config, ops, idx)
        plan.summary.update(activity.summary(sel), area_needed_m2=sizing.area_needed_m2(
            self, plan.summary["arrays_needed"]))
        plan.op_columns.update(activity.op_columns(ops, sel))
        plan.notes.extend(n for n in [inbits.note(self.name, self.config, ops, idx),
                                      wbits.note(self.name, self.config, ops, idx),
                                      inbits.wide_note(self.name, self.config, ops, idx),
                                      activity.note(self.name, self.config, self.hw.technology, sel),
                                      epilogue.rode_note(self.name, idx, ride),
                                      zeros.note(self.name, self.config, ops, idx),
                                      cellcheck.write_note(self.name, self.config)] if n)
        plan.state["activity"] = sel
        if "op_overhead" not in self.config.model_fields_set:  # said with its size after the run
            plan.free_dispatch = idx[~ride[idx]]
        return plan

    def _place(self, ops: OpArrays, idx, ride):
        if self.config.chip is not None:  # layer pipeline on the on-chip hierarchy
            return onchip.place(self, ops, idx, ride)
        if not ride[idx].any():
            return flat.place(self, ops, idx)
        # a riding op's output is on its matmul's chip (:mod:`.chips` rule 3)
        return epilogue.widen(flat.place(self, ops, idx[~ride[idx]], epilogue.makers(ops, ride)),
                              ops, idx, ride)

    cost = opcost.cost  # (:mod:`.opcost`)

    def area_m2(self):
        """Area by part: given in ``area``, or derived with a technology block; empty without
        either."""
        a = self.design.area
        area = onchip.area_m2(self.config, dict(a) if a is not None else {}, self.hw)
        return {p: v * self.config.chips for p, v in area.items()}  # every chip's

    dies = property(lambda self: self.config.chips, doc="Chips, each one die (:mod:`.chips`).")
    link_ports = property(lambda self: chips.ports(self.config, self.link),
                          doc="Links of one port per chip, by name (:func:`.chips.ports`).")

    @classmethod
    def shared_bandwidths(cls, name, config, technology=None):
        """A chip's one-unit levels (a buffer and bus for every layer): :mod:`.onchip`."""
        return onchip.shared_bandwidths(name, config, technology)

    @classmethod
    def shared_classes(cls, name, config, technology=None):
        """Each shared level's bound class: :func:`.onchip.shared_classes`."""
        return onchip.shared_classes(name, config, technology)

    @classmethod
    def shared_roofs(cls, name, config, technology=None):
        """Each one-unit level's effective rate (:func:`.chip.effective_rate`), shared on the
        engine or charged per op (:func:`.shared.one_unit_levels`)."""
        ch = config.chip
        node = None if ch is None else onchip.chip_node(ch, technology)
        return {} if ch is None else {onchip.resource_name(name, lv): effective_rate(
            ch, ch.levels[lv], node) for lv in onchip.one_unit_levels(ch)}

    def internal_bandwidths(self):
        """Under ``chip.shared_levels: per_op``, each one-unit level at :meth:`shared_roofs`'
        rate (a roof of its own; op column ``<level>_bytes``): no engine resource carries it."""
        ch = self.config.chip
        if ch is None:
            return {}
        roofs = self.shared_roofs(self.name, self.config, self.hw.technology)
        return {lv: roofs[onchip.resource_name(self.name, lv)] for lv in onchip.per_op_levels(ch)}

    def compute_bits(self):
        return (self.config.weight_bits, self.config.input_bits)

    def mac_precision(self, dtype):
        """Its own input x weight bits, whatever the workload's dtype."""
        return f"{self.config.input_bits}b x {self.config.weight_bits}b"

    def peak_macs_per_s(self, dtype):
        """All arrays busy, each doing a vector per ``t_vector`` over weights packed as :func:`.tiling.tiles`."""
        c = self.config
        per_weight = columns_per_weight(c.weight_bits, c.bits_per_cell, c.differential)
        return c.arrays * c.chips * c.rows * c.cols / per_weight / c.t_vector(self.design)

