"""find-K 1: a systolic array runs a depthwise convolution one channel per fold (k = 9, n = 1),
and says so with its time and PE use; ``depthwise: host`` leaves it to the host processor.

Closed form, a depthwise-separable block on a 1 x 4 x 8 x 8 input (padding 1, 8 x 8 out) on
tpu-like's 256 x 256 ws array at 700 MHz: the depthwise conv is 4 channels of m = 64, k = 9,
n = 1, each one fold of 2 x 256 + 256 + 64 - 2 cycles, less 1 (SCALE-Sim's ws count):
4 x 829 = 3,316 cycles = 4.737 µs, for 4 x 9 x 64 = 2,304 MACs, 2,304 / (65,536 x 3,316) =
0.0011 % of the PEs. The pointwise 4 -> 8 conv is 64 x 4 x 8 = 2,048 MACs.

``depthwise: packed`` puts g = min(floor(rows / 9), floor(cols / n)) channels block-diagonally in one fold (ws)
(a 9g x g tile): on a 32 x 32 array at 700 MHz g = 3, so ceil(4 / 3) = 2 folds of
2 x 32 + 32 + 64 - 2 = 158 cycles, less 1 each: 314 cycles = 448.6 ns, where one channel per
fold takes 4 x 157 = 628 cycles.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from cimsim import load_architecture, simulate  # noqa: E402
from cimsim.errors import CimsimError  # noqa: E402
from cimsim.workload.trace import trace  # noqa: E402

pytestmark = pytest.mark.torch
DW, PW = 4 * 9 * 64, 64 * 4 * 8


@pytest.fixture(scope="module")
def wl():
    block = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False), nn.Conv2d(4, 8, 1, bias=False))
    return trace(block.eval(), (torch.randn(1, 4, 8, 8),), dtype="int8")


def test_array_runs_depthwise_one_channel_per_fold_and_a_note_says_so(wl):
    r = simulate(load_architecture("tpu-like"), wl)
    assert r.macs_per_unit == {"processor": 0, "tpu": DW + PW}
    note = [n for n in r.notes if "depthwise convolution(s)" in n and n.startswith("tpu:")]
    assert len(note) == 1, r.notes
    assert "1 depthwise convolution(s), 2.304 kMAC (52.9 % of its MACs)" in note[0]
    assert f"{4 * 829 / 700e6 * 1e6:.4g} µs of array compute" in note[0]  # 4.737 µs
    assert "at 0.0011 % of its 256 x 256 PEs" in note[0]
    assert "tpu.depthwise: packed" in note[0] and "host leaves them to the host" in note[0]


def test_depthwise_host_leaves_them_to_the_host(wl):
    r = simulate(load_architecture("tpu-like", {"tpu.depthwise": "host"}), wl)
    assert r.macs_per_unit == {"processor": DW, "tpu": PW}
    assert not [n for n in r.notes if n.startswith("tpu:") and "depthwise" in n]


def test_depthwise_field_refuses_other_values():
    with pytest.raises(CimsimError, match="depthwise"):
        load_architecture("tpu-like", {"tpu.depthwise": "vector"})


def test_packed_puts_floor_rows_over_k_channels_in_a_fold(wl):
    small = {"tpu.rows": 32, "tpu.cols": 32}
    one = simulate(load_architecture("tpu-like", small), wl)
    packed = simulate(load_architecture("tpu-like", {**small, "tpu.depthwise": "packed"}), wl)
    assert packed.macs_per_unit == {"processor": 0, "tpu": DW + PW}  # still on the array
    note = [n for n in packed.notes if n.startswith("tpu: 1 depthwise")]
    assert len(note) == 1 and "block-diagonally" in note[0], packed.notes
    assert f"{314 / 700e6 * 1e9:.4g} ns of array compute" in note[0]  # 448.6 ns
    note = [n for n in one.notes if n.startswith("tpu: 1 depthwise")]
    assert f"{628 / 700e6 * 1e9:.4g} ns of array compute" in note[0]  # 897.1 ns


def _dw(cin: int, cout: int, hw: int):
    """A 3 x 3 depthwise (groups = cin) convolution, padding 1, on a 1 x cin x hw x hw input."""
    conv = nn.Conv2d(cin, cout, 3, padding=1, groups=cin, bias=False)
    return trace(nn.Sequential(conv).eval(), (torch.randn(1, cin, hw, hw),), dtype="int8")


def _note(r) -> str:
    note = [n for n in r.notes if n.startswith("tpu: 1 depthwise")]
    assert len(note) == 1, r.notes
    return note[0]


SMALL = {"tpu.rows": 32, "tpu.cols": 32}


def test_packed_fits_the_output_channels_of_a_channel_multiplier():
    """review 23 F 1: Conv2d(4, 64, 3, groups=4) on 16 x 16 is 4 channels of m = 256, k = 9,
    n = 16. ws packs g = min(floor(32 / 9), floor(32 / 16)) = 2 channels (an 18 x 32 tile):
    2 folds of 2 x 32 + 32 + 256 - 2 = 350 cycles, less 1 each: 698 cycles = 997.1 ns, half of
    one channel per fold's 4 x 349 = 1,396 cycles = 1.994 µs (g = 3 would need 48 columns: two
    column folds per group, 4 folds, slower than array)."""
    wl = _dw(4, 64, 16)
    one = _note(simulate(load_architecture("tpu-like", SMALL), wl))
    assert f"{1396 / 700e6 * 1e6:.4g} µs of array compute" in one  # 1.994 µs
    assert "one channel per fold (k = 9 taps, n = 16 outputs a channel)" in one
    packed = _note(simulate(load_architecture("tpu-like", {**SMALL, "tpu.depthwise": "packed"}), wl))
    assert f"{698 / 700e6 * 1e9:.4g} ns of array compute" in packed  # 997.1 ns
    assert "g = 2 channels a fold (k = 9 taps, n = 16 outputs a channel" in packed
    assert "min(floor(rows / k), floor(cols / n)) on ws" in packed
    # set to packed already: the note does not suggest it again, only host
    assert "depthwise: packed packs" not in packed and "tpu.depthwise: host leaves" in packed


@pytest.mark.parametrize("dataflow, g, cycles", [
    # os pins the outputs (m along rows, N along cols) and streams K: g = floor(32 / 1) = 32
    # channels, one group: ceil(256 / 32) x ceil(32 / 32) folds of 32 + 32 + 288 - 2, less 1
    ("os", 32, 8 * 350 - 1),
    # is pins the inputs (K along rows, m along cols) and streams N: g = floor(32 / 9) = 3,
    # ceil(32 / 3) = 11 groups of ceil(27 / 32) x ceil(256 / 32) folds of 2 x 32 + 32 + 3 - 2
    ("is", 3, 11 * (8 * 97 - 1)),
])
def test_packed_channels_follow_the_dataflow(dataflow, g, cycles):
    """review 23 F 3: 32 channels of a 3 x 3 depthwise conv on 16 x 16 (m = 256, k = 9, n = 1)
    on a 32 x 32 array; os 2,799 cycles = 3.999 µs, is 8,525 cycles = 12.18 µs."""
    r = simulate(load_architecture("tpu-like", {**SMALL, "tpu.dataflow": dataflow, "tpu.depthwise": "packed"}),
                 _dw(32, 32, 16))
    note = _note(r)
    assert f"g = {g} channels a fold" in note
    assert f"{cycles / 700e6 * 1e6:.4g} µs of array compute" in note


def test_host_without_the_rate_says_depthwise_host_sent_them(wl):
    """review 23 F 7: depthwise: host on a host with no int8 MAC rate is refused, and the error
    says why the depthwise convolutions are there."""
    arch = load_architecture("tpu-like", {"tpu.depthwise": "host",
                                          "processor.macs_per_cycle_per_core": {"fp32": 32}})
    with pytest.raises(CimsimError, match=r"macs_per_cycle_per_core\.int8; it lists \['fp32'\]; 1 of its "
                                          r"int8 ops are depthwise convolutions, .*depthwise: host"):
        simulate(arch, wl)


def test_packed_counts_the_columns_macs_per_pe_adds():
    """review A 6: with macs_per_pe a PE takes lanes adjacent output columns, so a packed tile's
    g·n output columns fit cols x lanes. Conv2d(8, 128, 3, groups=8) on 16 x 16 is 8 channels of
    m = 256, k = 9, n = 16, on a 64 x 32 ws array with 2 MACs a PE at int8: g = min(floor(64 / 9),
    floor(32 x 2 / 16)) = min(7, 4) = 4 channels (a 36 x 64 tile on ceil(64 / 2) = 32 columns),
    ceil(8 / 4) = 2 groups of one fold of 2 x 64 + 32 + 256 - 2 = 414 cycles, less 1 each:
    826 cycles = 1.18 µs. Before, g = floor(32 / 16) = 2 used 16 of the 32 columns: 4 x 413 =
    1,652 cycles = 2.36 µs, as without macs_per_pe."""
    sets = {"tpu.rows": 64, "tpu.cols": 32, "tpu.depthwise": "packed", "tpu.macs_per_pe": {8: 2}}
    note = _note(simulate(load_architecture("tpu-like", sets), _dw(8, 128, 16)))
    assert "g = 4 channels a fold" in note
    assert "min(floor(rows / k), floor(cols x 2 / n)) on ws" in note
    assert f"{826 / 700e6 * 1e6:.4g} µs of array compute" in note  # 1.18 µs
