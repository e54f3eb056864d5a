"""A digital CIM column with an adder tree (TSMC-style DCIM, e.g. Chih et al., ISSCC 2021
16.4): each cell's 1-bit product of a bit-serial input and its stored weight bit (a NOR2 on
the inverted input and weight: ``x w = NOR(x', w')``), an adder tree over the column's rows,
and a shift-accumulator over the input bits (the accumulator is :func:`.digital.shift_add`).

Tree (per column, one input slice): the ``rows`` 1-bit products are added pairwise, level by
level; at level ``l`` (1-based) each adder adds two ``l``-bit partial sums (a sum of
``2^(l-1)`` products needs ``l`` bits), ``l`` full-adder bits, and a level has
``floor(n_(l-1) / 2)`` adders, ``n_0 = rows``, ``n_l = ceil(n_(l-1) / 2)`` (an odd one passes
through). Depth ``L = ceil(log2 rows)``. For ``rows = 2^L``: ``sum_l 2^(L-l) l = 2^(L+1) - L - 2``
full-adder bits (256 rows: 502). A level-1 adder of two 1-bit products is a half adder; it is
counted as a full-adder bit (stated, an upper bound).

Energy per column per slice: full-adder bits x ``E_FA`` (:func:`.digital.full_adder_energy`:
Horowitz ISSCC 2014's 45 nm adder, moved by node and supply; data-independent, as the
bit-serial cell's adders) + ``rows`` products, each NOR2 output charging its parasitic
(``p = 2``) and the first-level adder's inputs (XOR2 ``g = 4`` + majority ``g = 2``) in unit
inverter loads (:func:`.digital.unit_inverter_capacitance`; logical effort, Sutherland, Sproull
& Harris 1999) on a 0 -> 1 transition, ``P = w x (1 - x)`` (weight stationary: the product
follows the input where the weight bit is 1).

Cycle (the clock when no read pulse is given): a ripple-carry adder tree's critical path is its
depth plus the last adder's carry ripple, ``L + (L - 1)`` full-adder hops, plus the output
register's setup and clock-to-output, :data:`.digital.REGISTER_HOPS` hops; a hop is a full
adder's sum (two XOR2 stages) into the next adder's inputs, ``(4 + 4) + (4 x 6/4 + 4) = 18``
tau, tau = FO4 / 5 (:func:`.scaling.fo4_delay`). No wire RC and no clock overhead: unvalidated
(the bit-serial cell's cycle is 194 % off Colonnade's measured TOPS).

Area: full-adder bits x the full-adder cell area of :mod:`.digital` (4.3 um^2 at 45 nm, (U))
per column; the cells' own area is the array's.
"""

from __future__ import annotations

import math

import numpy as np

from . import digital, scaling
from .record import PartEstimate, provenance

#: logical effort g and parasitic p of a NOR2 input (Sutherland, Sproull & Harris 1999) (T)
LE_NOR2 = (5.0 / 3.0, 2.0)
#: an adder input's load in unit-inverter loads: its XOR2 (g = 4) and carry majority (g = 2) (T)
ADDER_INPUT_UNITS = digital.LE_XOR2[0] + digital.LE_MAJORITY_G
#: one tree hop in tau: XOR2 into XOR2 (h = 1), XOR2 into the next adder's inputs (h = 6/4) (T)
HOP_TAU = ((digital.LE_XOR2[0] + digital.LE_XOR2[1])
           + (digital.LE_XOR2[0] * ADDER_INPUT_UNITS / digital.LE_XOR2[0] + digital.LE_XOR2[1]))
SOURCE = ("adder tree: full-adder bits x Horowitz ISSCC 2014 adder (T), NOR2 products and hops "
          "by logical effort (Sutherland, Sproull & Harris 1999) (T); area (U)")


def _rows(rows) -> int:
    if int(rows) != rows or rows < 1:
        raise ValueError(f"adder tree rows {rows} must be a whole number >= 1")
    return int(rows)


def depth(rows) -> int:
    """Levels of a tree over ``rows`` products: ``ceil(log2 rows)`` (0 for one row)."""
    r = _rows(rows)
    return math.ceil(math.log2(r)) if r > 1 else 0


def full_adder_bits(rows) -> int:
    """Full-adder bits of one column's tree: sum over levels of adders x ``l`` bits."""
    n, bits, level = _rows(rows), 0, 0
    while n > 1:
        level += 1
        bits += (n // 2) * level
        n = -(-n // 2)
    return bits


def output_bits(rows) -> int:
    """Width of the tree's sum of ``rows`` 1-bit products: ``ceil(log2(rows + 1))``."""
    return math.ceil(math.log2(_rows(rows) + 1))


def product_energy(node_nm: float, vdd=None, input_ones=0.5, weight_ones=0.5):
    """Energy (J) of one cell's 1-bit product (a NOR2) per input slice: ``w x (1 - x) x (p +
    adder input) C_unit V^2``."""
    x = np.asarray(input_ones, dtype=float)
    w = np.asarray(weight_ones, dtype=float)
    if np.any((x < 0) | (x > 1)) or np.any((w < 0) | (w > 1)):
        raise ValueError(f"input_ones {input_ones} and weight_ones {weight_ones} must be within 0..1")
    v = scaling.supply(node_nm, vdd)
    c = (LE_NOR2[1] + ADDER_INPUT_UNITS) * digital.unit_inverter_capacitance(node_nm)
    return w * x * (1 - x) * c * v * v


def cycle(rows, node_nm: float, vdd=None):
    """Clock period (s): ``(2 L - 1 + REGISTER_HOPS)`` hops of ``HOP_TAU x FO4 / 5``."""
    levels = max(1, depth(rows))
    hops = 2 * levels - 1 + digital.REGISTER_HOPS
    return hops * HOP_TAU * scaling.fo4_delay(node_nm, vdd) / 5.0


def tree(rows, node_nm: float, vdd=None) -> PartEstimate:
    """One column's adder tree for one input slice: energy, cycle, area."""
    bits = full_adder_bits(rows)
    return PartEstimate(
        energy_j=bits * digital.full_adder_energy(node_nm, vdd),
        delay_s=cycle(rows, node_nm, vdd),
        area_m2=bits * digital._cell_area(node_nm),
        source=SOURCE,
        field_provenance=provenance(area_m2=True),
    )
