"""review 19-A 3: on a config with a chip block, a weight read in both orientations was noted
"(a second copy; transposed_read: true reads one copy both ways)", a knob the same config
refuses ("transposed_read does not apply with a chip block"). The chip path's note names the
second copy and no knob; the flat pool's keeps the hint (module cimsim.hw.cim.tiling)."""

from __future__ import annotations

from conftest import tiny_chip
from test_cim_transposed_read import _tied

from cimsim.config.loader import architecture_from_dict
from cimsim.pipeline import simulate_quietly


def test_a_chip_block_s_orientation_note_offers_no_transposed_read():
    r = simulate_quietly(architecture_from_dict(tiny_chip("serial", {})), _tied())
    said = [n for n in r.notes if "read in more than one orientation" in n]
    assert len(said) == 1, r.notes
    assert "each orientation has arrays of its own (a second copy)" in said[0]
    assert "transposed_read" not in said[0]
