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
"""

from __future__ import annotations

from ..circuits import scaling
from ..circuits.array import preset
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
