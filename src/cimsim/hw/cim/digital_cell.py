"""What a digital bit-serial cell (``sram_digital``, kind ``digital``: Colonnade's, a 1-bit
input into each cell's XNOR2 multiplier and full adder, a pipeline register every
``rows_per_register`` rows; ``sram_dcim``, the same kind with an adder tree per column, a NOR2
multiplier per cell: :mod:`cimsim.hw.circuits.adder_tree`) can take, and its pipeline fill.

Refused, one line each (:func:`check`), because the cell has no circuit they act on:

- ``dac_bits`` other than 1: a 1-bit input a cycle, no DAC to apply a multi-bit level;
- ``adc.type``: the column outputs leave digital, no converter;
- ``adc.bits`` below the column sum's exact width ``lossless_bits(rows, 1, bits_per_cell)``
  (the output adder and register would be narrower than the sum, yet nothing would round it),
  except ``adc.bits: 1`` with the accumulation carried in the weight's own columns
  (Colonnade's ``W + ceil(log2 rows)`` columns a weight): then ``ceil(weight_bits /
  bits_per_cell)`` must exceed ``ceil(log2 rows)`` (not on an adder tree, whose column sum
  leaves the tree whole);
- ``cell.rows_per_register`` on an adder-tree cell (no register down its column);
- ``signed_inputs``: the sign bit is a bit-serial cycle of its own (two's complement), not a
  free pulse polarity;
- on an adder-tree cell, ``bits_per_cell`` other than 1 (a 6T bitcell, a NOR2 and a tree
  sized for 1-bit products) and a given ``adc.energy_per_conversion`` (no converter: it
  would be charged on top of the derived tree);
- the charge-domain cell's ``cell.compute`` and ``cell.folded_columns``, the converter's
  ``adc.envelope_factor``, ``input_drive`` other than ``level`` and ``rows_per_read`` (a
  partial read: the adder chain sums every row each cycle).

``adc.sample_rate`` is an output port's rate: above the outputs its ``ceil(cols / ports)``
columns make a cycle it cannot be reached, and :mod:`.derive` refuses it there.

Pipeline fill (:func:`fill_stages`): a column's sum passes ``ceil(rows / rows_per_register)``
register stages, so it leaves the array ``stages - 1`` cycles after its last input bit's
cycle. An op pays it once per round (a stream of vectors keeps the pipeline full). An adder
tree sums its column in one cycle: no fill.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Optional


def _given(block, field: str) -> bool:
    return block is not None and field in block.model_fields_set


def check(c) -> None:
    """Raise ``ValueError`` (one line naming the field) for what a digital cell cannot take."""
    from ..circuits.array import preset

    name = c.cell.type
    tree = preset(name).adder_tree
    if c.adc.type is not None:
        raise ValueError(f"adc.type {c.adc.type} on an {name} cell, whose column outputs are "
                         "digital (one bit a cycle, no converter): leave adc.type out "
                         "(--set cim.adc.type=null), or use an analog cell")
    if c.dac_bits != 1:
        raise ValueError(f"dac_bits must be 1 on an {name} cell (a 1-bit input a cycle into each "
                         f"cell's {'NOR2' if tree else 'XNOR2'} multiplier, no DAC), not "
                         f"{c.dac_bits}")
    for block, f, what in ((c.cell, "compute", "cell.compute"),
                           (c.cell, "folded_columns", "cell.folded_columns"),
                           (c.adc, "envelope_factor", "adc.envelope_factor")):
        if _given(block, f):
            raise ValueError(f"{what} on an {name} cell: it applies to "
                             + ("a converter (adc.type)" if block is c.adc
                                else "a charge-domain cell (sram_charge)")
                             + f", which an {name} array has none of: leave it out")
    if c.signed_inputs:  # review16-3 W1: the sign slice is a full cycle here, not a polarity
        raise ValueError(f"signed_inputs on an {name} cell, whose bit-serial multipliers take "
                         "the two's-complement sign bit as a cycle of its own (no pulse "
                         "polarity to carry it): leave signed_inputs out and count the sign "
                         "in input_bits")
    if tree and c.bits_per_cell != 1:  # review16-3 W3: the tree and NOR2 are 1-bit products
        raise ValueError(f"bits_per_cell {c.bits_per_cell} on an {name} cell, whose 6T bitcell "
                         "holds one bit and whose NOR2 multiplier and adder tree are sized for "
                         "1-bit products: give bits_per_cell 1")
    if tree and _given(c.adc, "energy_per_conversion"):  # review16-3 W2: charged twice
        raise ValueError(f"adc.energy_per_conversion on an {name} cell, which has no converter: "
                         "its adder tree (cim_adder_tree) is derived from the technology block, "
                         "so the given energy would be charged on top of it: leave it out")
    if c.input_drive != "level":
        raise ValueError(f"input_drive {c.input_drive} on an {name} cell, whose 1-bit input is a "
                         "logic level on its multipliers (no temporal DAC): leave input_drive "
                         "out (level)")
    if tree and c.cell.rows_per_register is not None:
        raise ValueError(f"cell.rows_per_register on an {name} cell, whose column sums in one "
                         "adder tree (no pipeline register down the column): leave it out")
    if c.rows_per_read is not None:
        raise ValueError(f"rows_per_read on an {name} cell, whose adder chain sums every row "
                         "each cycle (no partial read): leave rows_per_read out")
    from ..circuits.resolution import lossless_bits

    need = int(lossless_bits(c.rows, 1, c.bits_per_cell))
    carry = math.ceil(math.log2(c.rows)) if c.rows > 1 else 0
    columns = -(-c.weight_bits // c.bits_per_cell)
    if c.adc.bits == 1 and columns > carry and not tree:
        return  # Colonnade's mapping: the weight's top columns hold its accumulation
    if c.adc.bits < need:
        raise ValueError(f"adc.bits {c.adc.bits} on an {name} cell is its column output width, "
                         f"below the exact sum of {c.rows} rows ({need} bits): give adc.bits >= "
                         f"{need}" + ("" if tree else ", or 1 with the accumulation in the "
                                      "weight's columns (weight_bits / bits_per_cell > "
                                      f"{carry} columns)"))


def fill_stages(c, cell) -> int:
    """Cycles a digital column's sum takes past its last input bit: ``ceil(rows /
    rows_per_register) - 1`` register stages (0 for an analog cell)."""
    if cell is None or cell.kind != "digital" or cell.adder_tree:
        return 0
    return math.ceil(c.rows / cell.rows_per_register) - 1


def check_rate(sample_rate: float, read_latency: float, columns: int) -> None:
    """A digital array's ``adc.sample_rate`` (an output port's rate, the port serving
    ``columns`` columns) above ``columns`` outputs per cycle cannot be reached: its columns make
    no more. Refused naming the field (1 ppm slack for a rounded rate)."""
    from .finite import DeriveError

    most = columns / read_latency
    if sample_rate > most * (1 + 1e-6):
        raise DeriveError("adc.sample_rate", f"{sample_rate / 1e9:.4g} GHz on a digital cell "
                          f"exceeds what its columns output: {columns} column(s) a port, one "
                          f"output each per {read_latency * 1e12:.4g} ps cycle ({most / 1e9:.4g} "
                          "GHz): leave adc.sample_rate out (one output a cycle) or give at "
                          "most that rate")


class Tree(NamedTuple):
    """An adder-tree column's derived numbers (:func:`tree`)."""

    energy_j: float  # one column's tree for one input slice
    accumulator_bits: int  # its shift-accumulator over the input bits
    area_m2: float  # the trees of one array (cols of them)
    provenance: str
    source: str


def tree(c, tech) -> Optional[Tree]:
    """The adder tree of an adder-tree cell (``sram_dcim``) on technology ``tech``; None for
    another cell or with no technology block. The column output (``adc.bits`` wide, at least
    the exact sum) is shift-accumulated over the input slices: ``adc.bits + (slices - 1)``
    bits (at most 64; the weight's columns are combined after, not counted here)."""
    from ..circuits import adder_tree
    from ..circuits.array import preset

    if tech is None or c.cell is None or not preset(c.cell.type).adder_tree:
        return None
    t = adder_tree.tree(c.rows, tech.node_nm, tech.voltage)
    acc = min(64, c.adc.bits + math.ceil(c.slices) - 1)
    return Tree(float(t.energy_j), acc, c.cols * float(t.area_m2),
                t.field_provenance["energy_j"],
                f"{adder_tree.full_adder_bits(c.rows)} full-adder bits a column: {t.source}")
