"""What a CIM cell's kind can take: ``cim.cell`` fields that only one kind of cell reads, and the
weight bits a cell can hold. Refused, one line each (:func:`check`), naming the field and the
cell types that use it, because on another cell nothing reads it (it would change no number):

- ``read_current``: an SRAM cell's bitline read current (kind ``sram``: sram_6t, sram_8t);
- ``unit_capacitance``, ``compute``, ``folded_columns``, ``switch_width_f``: a charge-domain
  cell's capacitor and switches (kind ``capacitive``: sram_charge);
- ``rows_per_register``: a bit-serial digital cell's pipeline (kind ``digital`` without an adder
  tree: sram_digital; on sram_dcim :mod:`.digital_cell` refuses it in its own words);
- ``r_on``, ``on_off``, ``read_voltage``: a resistive cell's conductances and read voltage
  (kind ``resistive``: rram_1t1r, fefet, pcm, stt_mram; an SRAM cell reads at the supply);
- ``bits_per_cell`` above the preset's ``max_bits_per_cell`` where the device states one (a
  binary MTJ, ``stt_mram``: 1). No preset states a bound from its on/off ratio and noise (the
  accuracy emulator, ``cim.nonideal``, scores what a window of levels keeps), so other cells
  take ``bits_per_cell`` up to 8 as before.

Write figures (:func:`fill_writes`): ``write_energy``, ``write_latency`` and ``endurance`` left
out take the cell preset's (:mod:`cimsim.hw.circuits.array`; its write energy is per bit, so a
cell's is that x ``bits_per_cell``, the energy of a cell's every bit written); a preset that states none (the
SRAM cells) makes them required, one line naming the field. Stated on a cell that is not the
technology's default (``cell.type: pcm``, or ``--set cim.cell.type=pcm`` on an RRAM config)
and different from that preset's, they are kept and said in a note (:func:`write_note`), so a
swept cell type never runs silently on another device's writes.
"""

from __future__ import annotations

from ...units import plain, si
from ..circuits import scaling
from ..circuits.array import preset
from ..parts.cell import DEFAULT_CELL
from ..parts.registry import cells
from .finite import DeriveError

#: cim.cell field -> (the cell kinds that read it, what it is for)
USED_BY = {
    "read_current": (("sram",), "an SRAM cell's bitline read current"),
    "unit_capacitance": (("capacitive",), "a charge-domain cell's unit capacitor"),
    "compute": (("capacitive",), "a charge-domain cell's 1-bit product"),
    "folded_columns": (("capacitive",), "a charge-domain cell's folded columns"),
    "switch_width_f": (("capacitive",), "a charge-domain cell's switch transistors"),
    "rows_per_register": (("digital",), "a bit-serial digital cell's pipeline registers"),
    "r_on": (("resistive",), "a resistive cell's on resistance"),
    "on_off": (("resistive",), "a resistive cell's on/off ratio"),
    "read_voltage": (("resistive",), "a resistive cell's read voltage (SRAM reads at the "
                                     "supply)"),
}


def _users(kinds: tuple, field: str) -> list[str]:
    """The registered cell types whose kind reads ``field`` (a bit-serial pipeline: not the
    adder-tree cells)."""
    return [n for n, c in cells.types().items() if c.kind in kinds
            and not (field == "rows_per_register" and c.adder_tree)]


def check(c) -> None:
    """Raise ``ValueError`` (one line naming the field) for a ``cim.cell`` field the cell's kind
    does not read, and for ``bits_per_cell`` above what the cell holds."""
    cell = c.cell
    if cell is None:
        return
    p = preset(cell.type)
    for field, (kinds, what) in USED_BY.items():
        if field not in cell.model_fields_set or getattr(cell, field) is None:
            continue
        if field == "rows_per_register" and p.adder_tree:
            continue  # module digital_cell says why an adder tree has none
        if p.kind not in kinds:
            raise ValueError(f"cell.{field} on a {cell.type} cell (kind {p.kind}), which does "
                             f"not read it: it is {what}, used by "
                             f"{', '.join(_users(kinds, field))} only: leave it out")
    top = p.max_bits_per_cell
    if top is not None and c.bits_per_cell > top:
        raise ValueError(f"bits_per_cell {c.bits_per_cell} on a {cell.type} cell, which holds at "
                         f"most {top} bit{'s' if top > 1 else ''} (its preset's max_bits_per_cell): give "
                         f"bits_per_cell <= {top}, or a multi-level cell type")


#: cim write field -> (the preset's field, unit, what it is)
WRITES = {"write_latency": ("write_pulse_s", "s", "one row's write pulse"),
          "write_energy": ("write_energy_j", "J", "one write pulse's energy on one cell, all its bits"),
          "endurance": ("endurance", "", "the write pulses a cell survives")}


def _cell_type(c) -> str:
    return c.cell.type if c.cell is not None else DEFAULT_CELL[c.technology]


def _show(value: float, unit: str) -> str:
    return si(value, unit) if unit else f"{plain(value, 3)} pulses"


def fill_writes(c) -> None:
    """Give ``c``'s write figures left out the cell preset's; raise ``ValueError`` (one line
    naming every such field) where the preset states none."""
    p = preset(_cell_type(c))
    left = [f for f in WRITES if getattr(c, f) is None]
    missing = [f for f in left if getattr(p, WRITES[f][0]) is None]
    if missing:
        are = "s are" if len(missing) > 1 else " is"
        raise ValueError(f"{', '.join(missing)}: required field{are} "
                         f"missing ({'; '.join(WRITES[f][2] for f in missing)}): the {p.name} cell "
                         "preset states no write figures: give them (a preset states them in "
                         "write_energy_j, write_pulse_s, endurance)")
    for f in left:  # frozen model: set while validated
        c.__dict__[f] = _preset_value(p, f, c)


def _preset_value(p, field: str, c) -> float:
    """The preset's figure for the cim write field ``field``, per cell: its write energy is per
    bit (the sources', pJ/bit), so a cell of ``bits_per_cell`` bits is written for that many."""
    v = float(getattr(p, WRITES[field][0]))
    return v * c.bits_per_cell if field == "write_energy" else v


def write_note(name: str, c) -> str | None:
    """The write figures a config states that differ from its non-default cell preset's (kept,
    and said), or None."""
    p = preset(_cell_type(c))
    if c.cell is None or p.name == DEFAULT_CELL[c.technology]:
        return None
    off = [(f, unit, float(getattr(c, f)), _preset_value(p, f, c))
           for f, (own, unit, _) in WRITES.items()
           if f in c.model_fields_set and getattr(p, own) is not None
           and float(getattr(c, f)) != _preset_value(p, f, c)]
    if not off:
        return None
    per = f": {_show(p.write_energy_j, 'J')}/bit x {c.bits_per_cell} bits a cell" \
        if c.bits_per_cell > 1 else ""
    said = ", ".join(f"{f} {_show(v, u)} (the preset's {_show(pv, u)}"
                     f"{per if f == 'write_energy' else ''})" for f, u, v, pv in off)
    return (f"{name}: the config states its own write figures for the {p.name} cell: {said}; "
            f"these are used (leave them out to take the preset's: {p.write_source})")


def read_voltage(c, cell, node_nm: float) -> None:
    """Refuse (:class:`~.derive.DeriveError` on ``cell.read_voltage``) a resistive cell's read
    voltage above :data:`~cimsim.hw.circuits.scaling.MAX_SUPPLY_FACTOR` x the node's nominal
    supply, the bound ``technology.voltage`` has: the read voltage is driven through the node's
    transistors (the row driver and the cell's access transistor), so a higher one is no
    operating point of the node (50 V across a 22 nm access transistor). ``cell``: the design's
    cell with ``cim.cell``'s overrides (``derive._cell``)."""
    name = cell.name
    given = c.cell is not None and c.cell.read_voltage is not None
    v = cell.read_voltage_v
    if cell.kind != "resistive" or v is None:
        return
    nominal = scaling.nominal_vdd(node_nm)
    top = scaling.max_supply(node_nm)
    if scaling.above_max_supply(node_nm, v):
        raise DeriveError("cell.read_voltage", (
            f"{v:g} V" + ("" if given else f" (the {name} preset's)") + f" is above "
            f"{scaling.MAX_SUPPLY_FACTOR:g} x the nominal supply of {node_nm:g} nm "
            f"({nominal:.3g} V), the bound technology.voltage has: at most {top:.3g} V (the read "
            "voltage is driven through the node's row drivers and access transistors)"))
