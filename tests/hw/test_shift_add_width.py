"""The shift-add accumulator's width (find-N 8): the README's formula carries the ceil the code
uses, ``adc.bits + ceil(log2 reads) + (slices - 1) dac_bits + (ceil(weight_bits /
bits_per_cell) - 1) bits_per_cell``, and the derived energy follows it in closed form."""

from __future__ import annotations

from pathlib import Path

import pytest

from cimsim import bundled
from cimsim.config import load_architecture

README = Path(__file__).resolve().parents[2] / "README.md"


def _shift_add(bits_per_cell: int) -> float:
    a = load_architecture(bundled.resolve_config("rram-cim-derived"),
                          {"cim.bits_per_cell": str(bits_per_cell)}, cli=True)
    return a.component("cim").design.shift_add_energy


def test_readme_shift_add_width_has_the_ceil():
    text = README.read_text(encoding="utf-8")
    bullet = text[text.index("- `shift_add_energy` = adder + register of"):]
    bullet = bullet[:bullet.index("\n- ")]
    assert "(ceil(weight_bits / bits_per_cell) − 1)·bits_per_cell" in " ".join(bullet.split())


def test_shift_add_width_takes_the_ceil_of_cells_per_weight():
    """rram-cim-derived: 4-bit ADC, 128 rows read 16 at a time (8 reads: 3 bits), 8 input
    slices of 1 bit (7), 8-bit weights. 2-bit cells: 4 + 3 + 7 + (4 - 1) x 2 = 20 bits;
    3-bit cells: ceil(8/3) = 3 cells, (3 - 1) x 3 = 6, 20 bits again (8/3 - 1 without the
    ceil: 19); 8-bit cells: one cell, 14 bits. The adder and register are linear in their bits,
    so the energies stand as 20 : 20 : 14."""
    e2, e3, e8 = (_shift_add(b) for b in (2, 3, 8))
    assert e3 == pytest.approx(e2, rel=1e-12, abs=0)
    assert e8 / e3 == pytest.approx(14 / 20, rel=1e-12, abs=0)
