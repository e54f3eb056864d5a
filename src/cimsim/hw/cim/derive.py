"""One CIM design point's effective per-event numbers: each given in the config, or derived from
the circuit models (:mod:`cimsim.hw.circuits`) and the architecture's ``technology`` block.

Precedence, per number: a value the config states wins and is ``given``; a value it leaves out
is derived and is ``derived`` -- or ``placeholder`` when the model rests on a (U) input (see
each model's record). A value left out with no ``technology`` block is a config error.

Mapping from the models to the energy terms of :mod:`.energy` (one event each):

- ``energy_per_conversion`` = :func:`~cimsim.hw.circuits.adc.adc` (type, bits, node, sample rate,
  supply, envelope factor), or with ``adc.model: structural`` :func:`~cimsim.hw.circuits.sar.sar_adc`;
  ``sample_rate`` defaults to one conversion per conversion time; ADC area = the model's,
  times the ADCs per array. A digital bit-serial array (``sram_digital``) with no
  ``adc.type`` has no converter: energy 0, one output per cycle;
- ``cell_read_energy`` = (cells + bitlines) of one read of ``rows_per_read`` rows
  (:func:`~cimsim.hw.circuits.array.read_energy_parts`) / (rows_per_read x cols): one cell's
  share of a read; ``read_latency`` = the read pulse (a digital bit-serial cell without one:
  its adder chain's cycle over a weight's ``ceil(weight_bits / bits_per_cell)`` columns,
  :func:`~cimsim.hw.circuits.digital.bit_serial_cycle`);
- ``dac_energy`` = :func:`~cimsim.hw.circuits.digital.input_drive` of kind ``input_drive`` on
  one wordline (its wire capacitance, the read voltage -- SRAM: the supply -- and the slice's
  mean level (``C V V_k``), or ``cell.input_ones`` for 1-bit slices; temporal drives, pulse_width
  and pulse_count, count row swings from ``cell.input_ones``); the array model's wordline term
  is this one, not counted twice; a multi-bit level DAC adds its core (:mod:`.dacpart`);
- charge-domain cells (``sram_charge``): ``cell_read_energy`` = the column's capacitor energy
  of :func:`~cimsim.hw.circuits.charge.column_energy_parts` / rows_per_read, ``dac_energy`` = one
  row's IA/IAb broadcast, :func:`~cimsim.hw.circuits.charge.row_broadcast_energy` (``cell.*``);
- ``shift_add_energy`` = :func:`~cimsim.hw.circuits.digital.shift_add` into an accumulator of
  ``adc.bits + ceil(log2 reads) + (slices - 1) dac_bits + (ceil(weight_bits / bits_per_cell) - 1)
  bits_per_cell`` bits (at most 64); for a digital bit-serial cell (``sram_digital``), whose
  adder chain already sums the rows and the weight's columns, ``adc.bits`` (one adder and one
  register bit per column output and input slice); with a ``nmc`` block, the near-memory
  datapath's energy per conversion instead
  (:func:`~cimsim.hw.circuits.datapath.near_memory_datapath`);
- ``buffer.energy_per_byte`` = :func:`~cimsim.hw.circuits.buffer.buffer` (kind, capacity,
  access width) / bytes per access.

Registers: every register bit these models count (shift-and-add, SAR logic and comparator, the
near-memory datapath, a digital cell's pipeline register, a register-file buffer, the switch
matrix's row register) is of the technology block's ``registers`` design
(:mod:`~cimsim.hw.circuits.flipflop`: ``standard_cell``, Aladdin's, by default; ``structural``,
the TG master-slave flip-flop's switched capacitance).

With ``adc.type: current_sense`` on a resistive cell, the readout is
:mod:`cimsim.hw.circuits.sense` instead: ``energy_per_conversion`` and the conversion time from
``current_sense_adc`` (a parallel flash of latch-type sense amplifiers, no static bias, the
column node loaded by the access drains of every row); ``cell_read_energy`` = one column's
pulse-limited read (``column_read``, capacitive input: the node settles within the sensing
time) / ``rows_per_read``; ``dac_energy`` (1-bit slices) = ``row_drive`` (input line at the
read voltage, wordline with its access gates at the supply) x ``cell.input_ones``. The access
transistor is sized by the IR-drop rule (``access_width_f``, 0.25 R_on at the supply).

Array periphery (:mod:`cimsim.hw.circuits.periphery`), energy parts present only where the
circuit is: ``switch_energy`` (part ``switch``, per row per input slice, counted like the row
drives) = ``switch_matrix_row`` for a resistive cell read with 1-bit slices (the row's input
register bit and its transmission gate, sized by the IR-drop rule on ``cols`` cells, for each
one); ``mux_energy`` (part ``mux``, per conversion) = ``column_mux`` for an analog array
(resistive, SRAM or charge-domain cells; not a digital bit-serial one) whose ADC serves more
than one column (``ceil(cols / adcs)`` columns), its gates sized to settle the sensed node
within the sensing time (current sense) or the column within one conversion (other ADCs);
``counter_energy`` (part ``counter``, per row per input slice, like the row drives) =
``pulse_counter_row`` for ``input_drive: pulse_count`` (the row's pulse counter: the slice's
load, one count per pulse, its share of the pulse clock). Given values win and make the part
present on any cell.

An adder-tree column (``sram_dcim``, :func:`.digital_cell.tree`): part ``adder_tree`` (per
column per input slice, every column of an array used) = the tree's full-adder bits x one
full adder (:mod:`~cimsim.hw.circuits.adder_tree`); ``cell_read_energy`` = its NOR2 product;
``shift_add_energy`` = a shift-accumulator of ``adc.bits + slices - 1`` bits; the trees'
area is the arrays' (a placeholder: the adder cell area is (U)).

Area: the config's ``area`` parts win; parts it leaves out (and every part when it has no
``area`` section but a technology block and ``adc.type``) are derived: cells, ADCs, one
shift-and-add (with ``nmc``: one near-memory datapath) per ADC, the buffer, a multi-bit level
DAC per row (:mod:`.dacpart`: its core's energy and settling too); 1-bit row drivers and
"other" are not modelled (0, placeholder).

Partial parallel read: ``rows_per_read`` rows at once, so a full array takes ``reads =
ceil(rows / rows_per_read)`` reads (each converted) per input slice (an op counts its own from
the rows its tiles hold, :func:`.tiling.read_groups`). Resolution: ``lossless_bits(rows_per_read, dac_bits,
bits_per_cell)`` and the bits an ``adc.bits`` converter loses (:mod:`~cimsim.hw.circuits.resolution`).
:func:`design` is evaluated once per (config, technology): cached, never per op; a number that
is not finite is refused naming its inputs (:mod:`.finite`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

import numpy as np

from ..circuits import adc as adc_model
from ..circuits import array as array_model
from ..circuits import buffer as buffer_model
from ..circuits import charge as charge_model
from ..circuits import datapath as datapath_model
from ..circuits import digital, periphery, resolution, scaling
from ..circuits import sar as sar_model
from ..parts.cell import DEFAULT_CELL
from ..parts import registry as parts_registry
from ..parts.registry import adcs as adc_registry
from . import cellcheck, dacpart, digital_cell as dcell, sensing
from .rowparts import counter_row as _counter_row
from .rowparts import activity as _activity, read_kw as _read_kw, register_design
from .rowparts import switch_row as _switch_row
from .finite import DeriveError, checked

#: config fields (below the component) each energy part rests on
ENERGY_FIELDS = {
    "array": ("cell_read_energy",),
    "adc": ("adc.energy_per_conversion",),
    "dac": ("dac_energy",),
    "digital": ("shift_add_energy", "buffer.energy_per_byte"),
    "write": ("write_energy",),
    "switch": ("switch_energy",),
    "mux": ("mux_energy",),
    "counter": ("counter_energy",),
    "adder_tree": ("adder_tree_energy",),  # derived only (no config field): sram_dcim's tree
}
#: array-periphery parts a design may have (present only when given or derived: see
#: :attr:`Design.periphery_parts`)
PERIPHERY_PARTS = ("switch", "mux", "counter", "adder_tree")
#: config field (below the component) each area part rests on
AREA_FIELDS = {"arrays": "area.array", "adc": "area.adc", "dac": "area.dac",
               "digital": "area.digital", "buffer": "area.buffer", "other": "area.other"}

@dataclass(frozen=True)
class Design:
    """Effective numbers of one CIM design point, with where each came from."""

    read_latency: float
    sample_rate: float
    energy_per_conversion: float
    adcs_per_array: int
    dac_energy: float
    cell_read_energy: float
    shift_add_energy: float
    buffer_energy_per_byte: float
    rows_per_read: int
    reads: int  # reads per input slice of a full array
    lossless_bits: int
    bits_lost: int
    #: config field (below the component) -> 'given' | 'derived' | 'placeholder'
    provenance: dict = field(default_factory=dict)
    #: area per part (m^2) when the config gives an area or a technology block, else None
    area: Optional[dict] = None
    sources: tuple = ()
    #: input switch matrix, one row for one slice (J) and column multiplexer per conversion (J)
    switch_energy: float = 0.0
    mux_energy: float = 0.0
    counter_energy: float = 0.0  # a pulse-count DAC's row counter, one row for one slice (J)
    #: the array-periphery energy parts this design has (given, or derived where present)
    periphery_parts: tuple = ()
    fill_stages: int = 0  # a digital column's register stages past its last input cycle
    adder_tree_energy: float = 0.0  # an adder-tree column's tree, one input slice (J)
    #: a reference column's off cell over a mean cell's read where cell_read_energy is a derived
    #: current-sense column read (:mod:`.sensing`); None: G_off / G_mean (energy.off_cell_share)
    reference_share: Optional[float] = None
    #: ADCs of one chip, column and row side (:mod:`.adcshare` rule 1): ``area.adc`` is one's
    adc_count: int = 0
    dac_core_energy: float = 0.0  # a multi-bit level DAC's core in a derived dac_energy (J)
    dac_core: str = ""  # that DAC: "" none, "string", "buffered" (review L3 1, 2)


def _cell(c, tech):
    from ..circuits.array import cell as preset

    spec = c.cell
    name = spec.type if spec is not None else DEFAULT_CELL[c.technology]
    over = {}
    if spec is not None:
        for f, arg in (("r_on", "r_on_ohm"), ("on_off", "on_off"), ("read_voltage", "read_voltage_v"),
                       ("read_pulse", "read_pulse_s"), ("read_current", "read_current_a"),
                       ("height_f", "height_f"), ("width_f", "width_f"),
                       ("unit_capacitance", "unit_capacitance_f"),
                       ("rows_per_register", "rows_per_register")):
            v = getattr(spec, f)
            if v is not None:
                over[arg] = v
        if spec.row_gate_width_f is not None:  # in unit-inverter loads of 6 F
            over["row_gate_units"] = spec.row_gate_width_f / digital.UNIT_INVERTER_WIDTH_F
        try:
            u = array_model.preset(name)
        except ValueError as exc:
            raise DeriveError("cell.type", str(exc)) from None
        if u.placeholder_fields and all(getattr(spec, f) is not None for f in u.placeholder_fields):
            over["placeholder"] = False
        if u.area_placeholder and spec.height_f is not None and spec.width_f is not None:
            over["area_placeholder"] = False
    if "height_f" in over or "width_f" in over:  # a size given in F: the cell at the run's node
        # (review 22 C 3) a dimension left out keeps the preset's node scaling (array.at_node)
        base = array_model.preset(name)
        if tech is not None and base.area_node_nm is not None:
            s = math.sqrt(array_model.published_cell_shrink(base.area_node_nm, tech.node_nm))
            for f in ("height_f", "width_f"):
                over.setdefault(f, getattr(base, f) * s)
        over["area_node_nm"] = None
    try:
        cell = preset(name, **over)
    except ValueError as exc:
        raise DeriveError("cell", str(exc)) from None
    return cell if tech is None else array_model.at_node(cell, tech.node_nm)


def _charge_kw(c) -> dict:
    """The charge-domain cell's design knobs (:mod:`~cimsim.hw.circuits.charge`)."""
    spec = c.cell
    kw = {"compute": spec.compute, "fold": spec.folded_columns}
    if spec.switch_width_f is not None:
        kw["switch_width_f"] = spec.switch_width_f
    return kw


def _current_sense(c, tech, vdd, rpr, ones=None, wones=None) -> dict:
    """:func:`.sensing.current_sense` of the config's cell, at its activity unless given."""
    x0, w0 = _activity(c)
    return sensing.current_sense(c, _cell(c, tech), tech, vdd, rpr, x0 if ones is None else ones,
                                 w0 if wones is None else wones)


def _cell_energy(c, tech, cell, cs, input_ones, weight_ones, parts=None):
    """``cell_read_energy`` at the activities (arrays broadcast) and its sources: a cell's
    share of one read's cells and bitlines; a charge-domain column's capacitors; with a
    current-sense readout (``cs``), one column's pulse-limited read."""
    rpr = c.rows_per_read or c.rows
    node, vdd = tech.node_nm, tech.voltage
    levels = 2 ** c.dac_bits - 1 if cs is None else 1  # current-sense: its own pulse-limited read
    if cell.kind == "resistive" and levels > 1 and c.input_drive == "level":
        # a voltage DAC's rows at their levels: the cell current V_k G drawn at the rail V,
        # V V_k G t at the mean level 0.5, as dac_energy (find-G 2: was V_k^2 G t, 7/18 at 2 bits)
        input_ones, parts = np.full_like(np.asarray(input_ones, float), float(digital.dac_mean_level(c.dac_bits))), None
    elif cell.kind == "resistive" and levels > 1:
        # a value of v unit read pulses (pulse_width: one of v units): a (2^D - 1) of them on average
        e, src = _cell_energy(c.model_copy(update={"dac_bits": 1}), tech, cell, cs, input_ones,
                              weight_ones, parts)
        return e * levels, src
    if cs is not None:  # the column settles within the sensing: module sense
        return cs["column"].energy_j / rpr, [f"cells: {cs['column'].source}"]
    if cell.kind == "capacitive":  # charge-domain column: the M-BC's physical parts
        col = charge_model.column_energy_parts(rpr, cell.unit_capacitance_f, cell.height_f,
                                               cell.width_f, node, vdd, input_ones,
                                               weight_ones, **_charge_kw(c))
        return col["capacitors"] / rpr, [f"array: {charge_model.SOURCE}"]
    if parts is None:
        parts = array_model.read_energy_parts(cell, c.rows, c.cols, node,
                                              **_read_kw(c, tech, input_ones, weight_ones))
    return (parts["cells"] + parts["columns"]) / (rpr * c.cols), []


def _dac_energy(c, tech, cell, cs, input_ones):
    """``dac_energy`` at the input activity (arrays broadcast) and the driver's record (None
    for a charge-domain row broadcast): one row's drive for one slice."""
    node, vdd = tech.node_nm, tech.voltage
    c_row = dacpart.row_load(c, cell, node)  # a charge cell's broadcast (review L3 4)
    v = cell.read_voltage_v if cell.kind == "resistive" else (
        vdd if vdd is not None else array_model.scaling.nominal_vdd(node))
    activity = input_ones if c.dac_bits == 1 or c.input_drive != "level" else None
    if cell.kind == "capacitive" and c.dac_bits == 1:  # the M-BC's IA/IAb row broadcast
        return charge_model.row_broadcast_energy(c.cols, cell.width_f, node, vdd, input_ones,
                                                 **_charge_kw(c)), None
    if cs is not None and c.dac_bits == 1:  # a 1T1R input drives its wordline too
        drv = cs["row"]
        drv = type(drv)(energy_j=drv.energy_j * activity, delay_s=drv.delay_s,
                        area_m2=drv.area_m2, source=drv.source,
                        field_provenance=drv.field_provenance)
    else:
        drv = digital.input_drive(c.input_drive, c_row, v, c.dac_bits, activity)
    return drv.energy_j, drv


def __getattr__(name: str):
    """``activity_energies`` / ``activity_dependent`` moved to :mod:`.activity` (2026-12-05):
    still importable from here."""
    if name in ("activity_energies", "activity_dependent"):
        from . import activity

        return getattr(activity, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _need_tech(tech, what: str):
    if tech is None:
        raise DeriveError(what, "not given, and the architecture has no technology block to "
                                "derive it from: give it, or add technology: {node: ...}")


def _prov(p) -> str:
    return p if isinstance(p, str) else ("placeholder" if p else "derived")


@lru_cache(maxsize=512)
def _design_cached(c, tech) -> Design:
    return _design(c, tech)


parts_registry.on_change(_design_cached.cache_clear)  # a re-registered ADC law or cell: anew


def design(c, tech) -> Design:
    """The :class:`Design` of CIM config ``c`` on technology ``tech`` (None: no block).
    Raises :class:`DeriveError` naming the field when a number cannot be had."""
    # an absurd input's overflow: refused below, in one line; the technology's device flavour
    with np.errstate(all="ignore"), scaling.device_flavour(getattr(tech, "flavour", None)):
        try:
            d = _design_cached(c, tech)
        except TypeError:  # an unhashable config (never the validated models): no cache
            d = _design(c, tech)
    return checked(c, tech, d)


def _design(c, tech) -> Design:
    if tech is None and c.cell is not None and array_model.preset(c.cell.type).adder_tree:
        raise DeriveError("cell.type", f"an {c.cell.type} cell derives its adder tree, NOR2 "
                          "products and cycle from the top-level technology block (no field "
                          "states them), which is missing: add technology: {node: ..., voltage: ...}")
    if tech is not None:  # a read voltage the node can drive (module cellcheck)
        cellcheck.read_voltage(c, _cell(c, tech), tech.node_nm)
    prov: dict[str, str] = {}
    sources: list[str] = []
    node = tech.node_nm if tech is not None else None
    vdd = tech.voltage if tech is not None else None
    reg = register_design(getattr(tech, "registers", None))
    a = c.adc
    adcs = a.adcs_per_array(c.cols)
    # a transposed read (cim.transposed_read) senses the rows too: row-side ADCs and their
    # shift-adds, as many per row as the columns have; k arrays share each (adcshare rule 1)
    sides = adcs + (math.ceil(adcs * c.rows / c.cols) if c.transposed_read else 0)
    n_adc = math.ceil(c.arrays / a.arrays_per_adc) * sides
    rpr = c.rows_per_read or c.rows
    reads = math.ceil(c.rows / rpr)
    slices = c.slices
    cell_type = c.cell.type if c.cell is not None else DEFAULT_CELL[c.technology]
    digital_cell = array_model.preset(cell_type).kind == "digital"
    # write figures left out are the cell preset's (module cellcheck): (U) ones a placeholder
    prov["write_energy"] = ("placeholder" if "write_energy" not in c.model_fields_set
                            and array_model.preset(cell_type).write_placeholder else "given")

    # ---- ADC (a digital bit-serial array has none: with no adc.type, its column outputs
    # leave one bit a cycle, at no conversion energy)
    need_adc = (a.sample_rate is None or a.energy_per_conversion is None
                or (c.area is not None and c.area.adc is None)
                or (c.area is None and tech is not None and a.type is not None))
    est = None
    cs = None  # current-sense reading (module sense) when a number rests on it
    if (tech is not None and a.type == "current_sense"
            and (need_adc or c.cell_read_energy is None or c.dac_energy is None
                 or c.read_latency is None)):
        cs = _current_sense(c, tech, vdd, rpr)
    if need_adc and cs is not None:
        est = cs["adc"]
        sources.append(f"adc: {est.source}")
    elif need_adc and tech is not None and a.type is not None:
        try:
            if a.model == "structural":
                est = sar_model.sar_adc(a.bits, node, a.dac_unit_capacitance, a.sample_rate, vdd,
                                        reg, a.conversion_time)
            else:
                est = adc_model.adc(a.type, a.bits, node, a.sample_rate, vdd, a.envelope_factor,
                                    a.conversion_time)
        except ValueError as exc:
            raise DeriveError("adc.sample_rate", str(exc)) from None
        sources.append(f"adc: {est.source}")
    if a.sample_rate is not None:
        sample_rate, prov["adc.sample_rate"] = a.sample_rate, "given"
    elif est is None and digital_cell:  # arithmetic, no circuit: needs no technology block
        sample_rate = None  # one output per cycle: set below, once the cycle is known
    else:
        _need_tech(tech, "adc.sample_rate")
        if est is None:
            raise DeriveError("adc.type", "needed to derive adc.sample_rate (a registered "
                                          f"ADC type: {', '.join(adc_registry.types())})")
        else:
            sample_rate, prov["adc.sample_rate"] = 1.0 / float(est.delay_s), _prov(
                est.field_provenance["delay_s"])
    if a.energy_per_conversion is not None:
        e_conv, prov["adc.energy_per_conversion"] = a.energy_per_conversion, "given"
    else:
        _need_tech(tech, "adc.energy_per_conversion")
        if est is None and digital_cell:
            e_conv, prov["adc.energy_per_conversion"] = 0.0, "derived"
        elif est is None:
            raise DeriveError("adc.type", "needed to derive adc.energy_per_conversion (a "
                                          f"registered ADC type: {', '.join(adc_registry.types())})")
        else:
            e_conv = float(est.energy_j)
            prov["adc.energy_per_conversion"] = _prov(est.field_provenance["energy_j"])

    # ---- array, drivers
    need_array = (c.read_latency is None or c.cell_read_energy is None or c.dac_energy is None
                  or (c.area is not None and c.area.array is None)
                  or (c.area is None and tech is not None))
    cell = parts = None
    if need_array and tech is not None:
        cell = _cell(c, tech)
        kw = _read_kw(c, tech, *_activity(c))
        try:
            parts = array_model.read_energy_parts(cell, c.rows, c.cols, node, **kw)
            read = array_model.array_read(cell, c.rows, c.cols, node, **kw)
        except ValueError as exc:
            raise DeriveError("cell", str(exc)) from None
        sources.append(f"array: {read.source}")
    cell_p = _prov(cell.placeholder) if cell is not None else None
    if c.read_latency is not None:
        read_latency, prov["read_latency"] = c.read_latency, "given"
    else:
        _need_tech(tech, "read_latency")
        read_latency, prov["read_latency"] = float(read.delay_s), _prov(read.field_provenance["delay_s"])
        if cell.kind == "resistive" and c.dac_bits > 1 and c.input_drive != "level" and cs is None:
            read_latency *= 2 ** c.dac_bits - 1  # a slice is its longest value's unit pulses
        if cs is not None:  # rows driven until the latches fire: the read the energy charges
            read_latency, prov["read_latency"] = cs["t_sense"], _prov(cs["adc"].field_provenance["delay_s"])
    ldac = dacpart.level_dac(c, tech, cell or _cell(c, tech), read_latency) if tech else None
    if ldac is not None and c.read_latency is None:  # the level settles before the read
        read_latency, prov["read_latency"] = read_latency + float(ldac.delay_s), "placeholder"  # review L3 3
    if sample_rate is None:  # a digital array's outputs: one a cycle
        sample_rate, prov["adc.sample_rate"] = 1.0 / read_latency, prov["read_latency"]
    elif digital_cell:  # its output rate is its cycle's: a faster one cannot be reached
        dcell.check_rate(sample_rate, read_latency, math.ceil(c.cols / adcs))
    if c.cell_read_energy is not None:
        e_cell, prov["cell_read_energy"] = c.cell_read_energy, "given"
    else:
        _need_tech(tech, "cell_read_energy")
        e_cell, src = _cell_energy(c, tech, cell, cs, kw["input_ones"], kw["weight_ones"], parts)
        e_cell = float(e_cell)
        sources.extend(src)
        prov["cell_read_energy"] = cell_p
    if c.dac_energy is not None:
        e_dac, prov["dac_energy"] = c.dac_energy, "given"
    else:
        _need_tech(tech, "dac_energy")
        e_dac, drv = _dac_energy(c, tech, cell, cs, kw["input_ones"])
        e_dac = float(e_dac)
        if drv is None:  # the M-BC's IA/IAb row broadcast
            prov["dac_energy"] = "placeholder" if cell.placeholder else "derived"
            sources.append(f"dac: {charge_model.SOURCE}")
        else:
            prov["dac_energy"] = "placeholder" if cell.placeholder else _prov(drv.field_provenance["energy_j"])
            sources.append(f"dac: {drv.source}")
        if ldac is not None:  # a multi-bit level DAC's core (module dacpart)
            e_dac, prov["dac_energy"] = e_dac + float(ldac.energy_j), "placeholder"
            sources.append(f"dac core: {ldac.source}")

    # ---- array periphery (module periphery): the input switch matrix of a resistive array
    # read with 1-bit input slices, and the column multiplexer of an analog array whose
    # columns share an ADC
    e_switch, e_mux, e_counter, present = 0.0, 0.0, 0.0, []
    resistive = array_model.preset(cell_type).kind == "resistive"
    if c.switch_energy is not None:
        e_switch, prov["switch_energy"] = c.switch_energy, "given"
        present.append("switch")
    elif tech is not None and resistive and c.dac_bits == 1:
        pc = cell if cell is not None else _cell(c, tech)
        sw = _switch_row(c, tech, pc, _activity(c)[0])
        e_switch = float(sw.energy_j)
        prov["switch_energy"] = _prov(sw.field_provenance["energy_j"])
        present.append("switch")
        sources.append(f"switch matrix: {sw.source}")
    if c.counter_energy is not None:
        e_counter, prov["counter_energy"] = c.counter_energy, "given"
        present.append("counter")
    elif tech is not None and c.input_drive == "pulse_count":
        ct = _counter_row(c, tech, cell if cell is not None else _cell(c, tech), _activity(c)[0])
        e_counter = float(ct.energy_j)
        prov["counter_energy"] = _prov(ct.field_provenance["energy_j"])
        present.append("counter")
        sources.append(f"row pulse counter: {ct.source}")
    per_adc = math.ceil(c.cols / adcs) * a.arrays_per_adc  # columns a mux selects (adcshare 3)
    if c.mux_energy is not None:
        e_mux, prov["mux_energy"] = c.mux_energy, "given"
        present.append("mux")
    elif tech is not None and not digital_cell and per_adc > 1 and a.counting is None:
        pc = cell if cell is not None else _cell(c, tech)
        if cs is not None:  # the sensed node settles within the sensing time
            t_set, c_set = cs["t_sense"], cs["c_node"]
        else:  # the column settles within one conversion
            t_set = 1.0 / sample_rate
            c_set = float(array_model.column_capacitance(pc, c.rows, node))
        try:
            w = periphery.settle_width_f(t_set, c_set, a.bits, node, vdd)
            mx = periphery.column_mux(per_adc, adcs, c.cols, pc.width_f, node, vdd, width_f=w)
        except ValueError as exc:
            raise DeriveError("adc.per_array", str(exc)) from None
        e_mux = float(mx.energy_j)
        prov["mux_energy"] = _prov(mx.field_provenance["energy_j"])
        present.append("mux")
        sources.append(f"column mux: {mx.source}")

    # ---- digital
    weight_slices = -(-c.weight_bits // c.bits_per_cell)  # cells per weight
    acc_bits = min(64, int(digital.accumulation_bits(
        a.bits + math.ceil(math.log2(reads)), slices, c.dac_bits, weight_slices, c.bits_per_cell)))
    if digital_cell:  # its adder chain sums rows and weight bits: adc.bits-wide output
        acc_bits = a.bits  # datapath per column and slice (at least the exact sum: digital_cell)
    tree = dcell.tree(c, tech)  # an adder-tree column (sram_dcim): its own part, its accumulator
    if tree is not None:
        acc_bits, prov["adder_tree_energy"] = tree.accumulator_bits, tree.provenance
        present.append("adder_tree")
        sources.append(f"adder tree: {tree.source}")
    sa = None
    if c.shift_add_energy is not None:
        e_sa, prov["shift_add_energy"] = c.shift_add_energy, "given"
    else:
        _need_tech(tech, "shift_add_energy")
        sa = digital.shift_add(acc_bits, node, vdd, reg)
        e_sa, prov["shift_add_energy"] = float(sa.energy_j), _prov(sa.field_provenance["energy_j"])
        sources.append(f"shift_add ({acc_bits} bits): {sa.source}")
        if c.nmc is not None:  # the near-memory datapath replaces the plain shift-and-add
            m = c.nmc
            dp = datapath_model.near_memory_datapath(
                a.bits, slices, node, vdd, m.scale_bits, m.accumulator_bits, m.bias,
                m.activation, m.output_bits, reg)
            e_sa, prov["shift_add_energy"] = float(dp.energy_j), _prov(dp.field_provenance["energy_j"])
            sources[-1] = f"near-memory datapath: {dp.source}"
            sa = dp  # its area is the digital part's (one datapath per ADC)
    b = c.buffer
    if b is None:  # a chip block's levels hold the buffers (:mod:`.onchip`)
        e_buf, prov["buffer.energy_per_byte"] = 0.0, "given"
    elif b.energy_per_byte is not None:
        e_buf, prov["buffer.energy_per_byte"] = b.energy_per_byte, "given"
    else:
        _need_tech(tech, "buffer.energy_per_byte")
        try:
            be = buffer_model.buffer(b.kind, b.capacity / b.banks, b.width, node, vdd, reg)
        except ValueError as exc:
            raise DeriveError("buffer.width", str(exc)) from None
        e_buf = float(be.energy_j) / (b.width / 8)
        prov["buffer.energy_per_byte"] = _prov(be.field_provenance["energy_j"])
        sources.append(f"buffer: {be.source}")

    # ---- area (per part, the whole block: as CIM.area_m2 reported it before derivation)
    area = None  # no area section and no derivable ADC: no area, as without the models
    if c.area is not None or (tech is not None and (a.type is not None or digital_cell)):
        g = c.area
        area = {}
        if g is not None and g.array is not None:
            area["arrays"], prov["area.array"] = c.arrays * g.array, "given"
        else:
            _need_tech(tech, "area.array")
            area["arrays"] = c.arrays * (float(read.area_m2) + (tree.area_m2 if tree else 0.0))
            prov["area.array"] = "placeholder" if tree else _prov(read.field_provenance["area_m2"])
        if g is not None and g.adc is not None:
            area["adc"], prov["area.adc"] = n_adc * g.adc, "given"
        else:
            _need_tech(tech, "area.adc")
            if est is None and not digital_cell:
                raise DeriveError("adc.type", "needed to derive the ADC area (or give area.adc)")
            # a digital array has no converter (its adder chain is in the cells)
            area["adc"] = 0.0 if est is None else n_adc * float(est.area_m2)
            prov["area.adc"] = "derived" if est is None else _prov(est.field_provenance["area_m2"])
        # dac (but a multi-bit level DAC's, module dacpart) and other: given, else a 0 m^2
        # placeholder; shift-add and buffer derived when left out with a technology block
        given = set() if g is None else g.model_fields_set
        area.update(dac=c.arrays * c.rows * (g.dac if "dac" in given else float(ldac.area_m2) if ldac else 0.0),
                    other=g.other if "other" in given else 0.0)
        prov.update({f"area.{k}": "given" if k in given else "placeholder" for k in ("dac", "other")})
        if "digital" in given:  # per array, its column side's: the row side's beside it
            area["digital"], prov["area.digital"] = c.arrays * g.digital * (sides / adcs if adcs else 1.0), "given"
        elif tech is None:
            area["digital"], prov["area.digital"] = 0.0, "placeholder"
        else:
            sa_area = sa if sa is not None else digital.shift_add(acc_bits, node, vdd, reg)
            if sa is None and c.nmc is not None:  # shift_add_energy given: the datapath's area
                m = c.nmc
                sa_area = datapath_model.near_memory_datapath(
                    a.bits, slices, node, vdd, m.scale_bits, m.accumulator_bits, m.bias,
                    m.activation, m.output_bits)
            area["digital"] = n_adc * float(sa_area.area_m2)  # a shift-add per ADC
            prov["area.digital"] = _prov(sa_area.field_provenance["area_m2"])
        if "buffer" in given:
            area["buffer"], prov["area.buffer"] = g.buffer, "given"
        elif b is None:  # no buffer: nothing to place
            area["buffer"], prov["area.buffer"] = 0.0, "given"
        elif tech is None:
            area["buffer"], prov["area.buffer"] = 0.0, "placeholder"
        else:
            be_area = buffer_model.buffer(b.kind, b.capacity / b.banks, b.width, node, vdd)
            area["buffer"] = float(be_area.area_m2) * b.banks
            prov["area.buffer"] = _prov(be_area.field_provenance["area_m2"])
        area = {k: area[k] for k in ("arrays", "adc", "dac", "digital", "buffer", "other")}

    lossless = int(resolution.lossless_bits(rpr, c.dac_bits, c.bits_per_cell))
    return Design(
        read_latency=read_latency, sample_rate=sample_rate, energy_per_conversion=e_conv,
        adcs_per_array=adcs, dac_energy=e_dac, cell_read_energy=e_cell, shift_add_energy=e_sa,
        buffer_energy_per_byte=e_buf, rows_per_read=rpr, reads=reads, lossless_bits=lossless,
        # a digital cell's adder chain sums exactly: adc.bits is its output datapath's width
        bits_lost=0 if digital_cell else max(0, lossless - a.bits), provenance=prov, area=area, sources=tuple(sources),
        switch_energy=e_switch, mux_energy=e_mux, counter_energy=e_counter,
        periphery_parts=tuple(present), fill_stages=dcell.fill_stages(c, cell or _cell(c, tech)),
        adder_tree_energy=tree.energy_j if tree else 0.0,
        adc_count=n_adc, dac_core_energy=float(ldac.energy_j) if ldac and c.dac_energy is None else 0.0,
        dac_core=("buffered" if dacpart.buffered(ldac) else "string") if ldac else "",
        reference_share=float(cs["ref_share"]) if cs is not None and c.cell_read_energy is None else None)
