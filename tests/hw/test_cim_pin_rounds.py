"""Pinning beside a matrix run in rounds (find-G 1, hw/cim/reprogram.py rule 2's floors): two
matrices that each fit in the arrays but not together. The search tried only rooms a matrix
size leaves, so nothing was pinned and both were re-programmed; pinning the one used every step
and running the other through the arrays left in rounds writes fewer arrays, the module's
criterion. The floors are tried, beside what the classic choice (none, greedy, the rooms) pins,
only where every matrix fits the arrays alone and that choice re-programs a matrix used more
than once that fits the arrays it leaves on its own (review14-1 #1: where the matrices it
re-programs are used once each, a floor writing fewer arrays in many rounds made GPT-2 small's
decode step up to 17 % slower; whether the bytes saved outweigh the rounds' write and read
passes depends on link and memory rates, which placement does not see; review14-5 #1: gated on
"pins nothing", a 32-array head beside the LSTM below turned them off)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from cimsim import bundled, simulate
from cimsim.config import load_architecture
from cimsim.hw.cim.reprogram import _lru, lru_reprograms, rounds
from cimsim.workload import Op, Tensor, Workload
from cimsim.workload.generators import lstm

from conftest import ROUND_CIM, ROUND_LINK, make_arch


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


def test_a_small_head_beside_the_lstm_h4096_keeps_the_floor():
    """review14-5 #1: the same LSTM with a 32-array classifier head used once. Greedy pins the
    head (32 + 16,384 <= 16,992) and nothing else fits beside it; W_ih and W_hh evicting each
    other in the 16,960 left write 2 x 16,384 = 32,768 arrays. W_hh is used 16 times and fits
    those 16,960 alone, so the floors are tried beside the head: W_hh pinned too (32 + 16,384 +
    1 <= 16,992), W_ih through the 16,992 - 16,416 = 576 left in ceil(16,384 / 576) = 29
    rounds, 16,384 arrays written."""
    ops, sizes = np.array([0] + [1] * 16 + [2]), np.array([16384, 16384, 32])
    mask, free, keep = lru_reprograms(ops, sizes, 16992)
    assert (keep, free) == ({1, 2}, 576)
    assert int(sizes[ops][mask].sum()) == 16384
    assert rounds(ops, sizes, free, keep)[0] == 29
    assert int(sizes[ops][_lru(ops.tolist(), sizes, 16960, {2})].sum()) == 2 * 16384


def _run(arrays: int, head: bool = False):
    arch = load_architecture(bundled.resolve_config("rram-cim"), {"cim.arrays": str(arrays)},
                             cli=True)
    w = lstm(128, 128, steps=4, dtype="int8")
    if head:  # a 10-class int8 head on the last hidden state: ceil(10 x 4 / 128) = 1 array
        w = Workload(w.name + "-fc", [*w.tensors.values(), Tensor("fc.W", (10, 128), "int8", "weight"),
                                      Tensor("fc.y", (1, 10), "int8", "activation")],
                     [*w.ops, Op("fc", "matmul", ("l0.t3.h", "fc.W"), ("fc.y",), m=1, k=128,
                                 n=10, weight="fc.W")])
    return simulate(arch, w, engine="analytic")


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


def test_a_head_beside_the_lstm_does_not_turn_the_floors_off():
    """End to end, review14-5 #1: the LSTM above (W_ih, W_hh 16 arrays each) and a 1-array head
    on 20 arrays. The classic choice pins the head (1 + 16 <= 20) and re-programs both, 2 x 128
    x 512 B over the link more than on 40 arrays, where all fit. With the floors beside the
    head W_hh is pinned too (1 + 16 + 1 <= 20) and W_ih runs through the 3 left in ceil(16 / 3)
    = 6 rounds: one re-programming, 128 x 512 B, and l0.xproj computes its 4 rows in each of
    the 6 rounds (8 input slices x 100 ns) and writes 128 rows x 10 ns a round."""
    held, short = _run(40, head=True), _run(20, head=True)
    assert held.facts["cim_reprograms"] == 0 and short.facts["cim_reprograms"] == 1
    for level in ("interconnect", "dram"):
        assert short.traffic_bytes[level] - held.traffic_bytes[level] == 128 * 512
    xproj = short.op_table.set_index("op").loc["l0.xproj"]
    assert xproj["compute_s"] == pytest.approx(6 * 4 * 8 * 100e-9 + 6 * 128 * 10e-9, rel=1e-12,
                                               abs=0)
    note = next(n for n in short.notes if "re-programmed" in n)
    assert ("arrays are re-programmed 1 time during the run, in 6 rounds (LRU, matrices pinned "
            "on 17 arrays before the run, the rest over the 3 left; 1 matrix larger") in note, note


def test_the_note_counts_re_programmings_and_rounds():
    """review14-5 #4: one re-programming is "1 time", and its rounds are said: W_ih through the
    4 arrays left beside W_hh in ceil(16 / 4) = 4 rounds; several without rounds are "N times"
    and no rounds are named (the chip test has 4 in 12 rounds)."""
    from cimsim.hw.cim.reprogram import wear_text
    one = wear_text(np.array([16]), np.array([16 * 128 * 128]), 4, 128 * 128, 1e6, 20,
                    in_rounds=1)
    assert one.startswith("arrays are re-programmed 1 time during the run, in 4 rounds (LRU, "), one
    two = wear_text(np.array([10, 10]), np.array([10, 10]) * 128 * 128, 11, 128 * 128, 1e6, 51)
    assert two.startswith("arrays are re-programmed 2 times during the run (LRU, "), two


def test_a_decode_step_keeps_the_room_that_pins_something():
    """GPT-2 small's decode step on sram-cim's 8,452 arrays (review14-1 #1): 49 matrices used
    once each, per layer 216, 72, 288, 288, then the 4,713-array lm_head (15,081 in all). With
    room 288 the lm_head is pinned and the layers' matrices in order while 288 stay free: 3
    layers (3 x 864) and 216, 72, 288, then 216 (8,097 arrays; the next 72 would leave 287);
    the 32 others share the 355 left, 15,081 - 8,097 = 6,984 arrays written, each in 1 round.
    A floor of 1 array would pin 9 layers and 216, 72, 288 of the tenth and 72 of the
    eleventh (8,424) and run 9 matrices through the 28 left: 15,081 - 8,424 = 6,657 arrays
    written, fewer, but in 11 + (8 + 11 + 11) + (8 + 3 + 11 + 11) + ceil(4,713 / 28) = 243
    rounds where the room takes 32 (3.931 against 3.879 ms on sram-cim). The room stands."""
    sizes = np.array([216, 72, 288, 288] * 12 + [4713])
    ops = np.arange(49)
    mask, free, keep = lru_reprograms(ops, sizes, 8452)
    assert keep == {*range(15), 16, 48}  # layers 0-2, 216, 72, 288 of layer 3, 216 of 4
    assert (sum(sizes[sorted(keep)]), free) == (8097, 355)
    assert int(sizes[mask].sum()) == 6984 and int(mask.sum()) == 32
    assert rounds(ops, sizes, free, keep).tolist() == [1.0] * 49
    # the floor it does not take: fewer arrays, many more rounds
    floor = set(range(39)) | {41}  # layers 0-8, 216, 72, 288 of layer 9, 72 of layer 10
    assert sum(sizes[sorted(floor)]) == 8424
    written = _lru(ops.tolist(), sizes, 28, floor)
    assert int(sizes[written].sum()) == 6657
    assert rounds(ops, sizes, 28, floor)[written].sum() == 243


def test_single_use_matrices_beside_a_room_re_program_once_each():
    """End to end on ROUND_CIM (128 x 128 arrays, 2-bit cells, 8-bit weights: 4 columns a
    weight): six int8 matrices of 128 x 320, ceil(320 x 4 / 128) = 10 arrays each, each used
    once, on 51 arrays. With room 10, four are pinned (40 + 10 <= 51) and the last two share
    the 11 left, each re-programmed once in 1 round: 2 x 128 x 320 = 81,920 B more over the link
    than on 60 arrays, where all fit. A floor of 1 array (five pinned, the sixth through 1 array
    in 10 rounds) would move half the bytes in ten write and read passes; it is not tried."""
    def run(arrays):
        cim = copy.deepcopy(ROUND_CIM)
        cim["arrays"] = arrays
        arch = make_arch(name=f"cim-{arrays}", cim=cim, interconnect=dict(ROUND_LINK))
        t = [Tensor("x", (1, 128), "int8", "input")]
        ops = []
        for i in range(6):
            t += [Tensor(f"W{i}", (128, 320), "int8", "weight"),
                  Tensor(f"y{i}", (1, 320), "int8", "activation")]
            ops.append(Op(f"mm{i}", "matmul", ("x", f"W{i}"), (f"y{i}",), m=1, k=128, n=320,
                          weight=f"W{i}"))
        return simulate(arch, Workload("six", t, ops), engine="analytic")

    held, short = run(60), run(51)
    assert held.facts["cim_reprograms"] == 0
    assert short.op_table["cim_reprogram"].tolist() == [False] * 4 + [True] * 2
    assert (short.traffic_bytes["interconnect"] - held.traffic_bytes["interconnect"]
            == 2 * 128 * 320)
    note = next(n for n in short.notes if "re-programmed" in n)
    assert "matrices pinned on 40 arrays before the run, the rest over the 11 left)" in note, note
    assert "in rounds" not in note, note
