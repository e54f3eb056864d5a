"""Pinning beside a matrix run in rounds (find-G 1, hw/cim/reprogram.py rule 2's floors): two
matrices that each fit in the arrays but not together. The search tried only rooms a matrix
size leaves, so nothing was pinned and both were re-programmed; pinning the one used every step
and running the other through the arrays left in rounds writes fewer arrays, the module's
criterion."""

from __future__ import annotations

import numpy as np
import pytest

from cimsim import bundled, simulate
from cimsim.config import load_architecture
from cimsim.hw.cim.reprogram import _lru, lru_reprograms, rounds
from cimsim.workload.generators import lstm


def test_two_matrices_between_the_largest_and_their_sum_pin_the_busier():
    """A wavefront LSTM step by step: W_ih (6 arrays) then W_hh (8) at each of 16 steps, on 10
    arrays (8 < 10 < 14). Nothing pinned, each evicts the other: 16 x (6 + 8) = 224 arrays
    written; W_ih pinned, W_hh through the 4 left: 16 x 8 = 128; W_hh pinned, W_ih through the 2
    left in ceil(6 / 2) = 3 rounds: 16 x 6 = 96, kept."""
    ops, sizes = np.array([0, 1] * 16), np.array([6, 8])
    mask, free, keep = lru_reprograms(ops, sizes, 10)
    assert (keep, free) == ({1}, 2)
    assert int(sizes[ops][mask].sum()) == 16 * 6
    assert int(sizes[ops][_lru(ops.tolist(), sizes, 10, set())].sum()) == 16 * (6 + 8)
    assert rounds(ops, sizes, free, keep).tolist() == [3.0, 1.0] * 16


def test_the_finding_s_lstm_h4096_pins_its_recurrent_matrix():
    """find-G 1's numbers: an int8 LSTM, I = H = 4096, on rram-cim (128 x 128, 2-bit cells):
    W_ih and W_hh need 32 x 512 = 16,384 arrays each, 16,992 exist. The layer schedule uses W_ih
    once, W_hh at each of 16 steps: W_hh pinned, W_ih through the 608 left in ceil(16,384 / 608)
    = 27 rounds, 16,384 arrays written where nothing pinned wrote 32,768."""
    ops, sizes = np.array([0] + [1] * 16), np.array([16384, 16384])
    mask, free, keep = lru_reprograms(ops, sizes, 16992)
    assert (keep, free) == ({1}, 608)
    assert int(sizes[ops][mask].sum()) == 16384
    assert rounds(ops, sizes, free, keep)[0] == 27


def _run(arrays: int):
    arch = load_architecture(bundled.resolve_config("rram-cim"), {"cim.arrays": str(arrays)},
                             cli=True)
    return simulate(arch, lstm(128, 128, steps=4, dtype="int8"), engine="analytic")


def test_only_the_streamed_matrix_crosses_the_link():
    """End to end on rram-cim: an int8 LSTM, I = H = 128, 4 steps: W_ih and W_hh are 128 x 512
    int8, ceil(128 / 128) x ceil(512 x 4 / 128) = 16 arrays each. On 32 arrays both are held;
    on 20, W_hh is pinned and W_ih runs through the 4 left in 4 rounds: only W_ih's 128 x 512 x
    1 B = 65,536 B more cross the link and are read from DRAM (both re-programmed: 131,072 B),
    and its 128 x 2,048 cells are written once at 6 pJ (rram-cim's write_energy). Its op
    computes its 4 rows in each of the 4 rounds (8 one-bit input slices x 100 ns a vector) and
    writes min(128, 128) rows x 10 ns a round."""
    held, pinned = _run(32), _run(20)
    assert held.facts["cim_reprograms"] == 0 and pinned.facts["cim_reprograms"] == 1
    for level in ("interconnect", "dram"):
        assert pinned.traffic_bytes[level] - held.traffic_bytes[level] == 128 * 512
    assert pinned.energy_breakdown_j["cim_write"] == pytest.approx(128 * 2048 * 6e-12, rel=1e-12,
                                                                   abs=0)
    xproj = pinned.op_table.set_index("op").loc["l0.xproj"]
    assert bool(xproj["cim_reprogram"])
    assert xproj["compute_s"] == pytest.approx(4 * 4 * 8 * 100e-9 + 4 * 128 * 10e-9, rel=1e-12,
                                               abs=0)
    assert any("matrices pinned on 16 arrays before the run, the rest over the 4 left; 1 matrix "
               "larger than the arrays left runs through them in rounds, a programming each"
               in n for n in pinned.notes), pinned.notes
