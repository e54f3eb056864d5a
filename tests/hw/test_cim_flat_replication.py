"""The flat CIM pool's weight copies (find-E 2, 3) and its convolution inputs (find-E 6).

Closed forms on bundled rram-cim: 128 x 128 arrays, 8-bit weights on 2-bit cells (4 columns
per output), 8-bit inputs through 1-bit DACs at 100 ns a read: one matrix-vector product takes
t_vector = 8 x 100 ns = 0.8 us. A 128 x 32 int8 matrix fills one array exactly (128 rows, 32 x 4
= 128 columns).
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cimsim import bundled, load_architecture, load_workload, simulate
from cimsim.cli import main
from cimsim.report import columns as C
from cimsim.workload.builder import WorkloadBuilder

T_VECTOR = 8 * 100e-9


def two_layers(*rows):
    """One-array matrices a, b, ...: each read by an op of its ``rows`` activation rows
    (default 1,000 and 10)."""
    b = WorkloadBuilder("layers")
    for name, m in zip("abcdef", rows or (1000, 10)):
        b.tensor(f"x{name}", (m, 128), "int8", "input")
        b.tensor(f"W{name}", (128, 32), "int8", "weight")
        b.tensor(f"y{name}", (m, 32), "int8", "activation")
        b.op(f"mm{name}", "matmul", [f"x{name}", f"W{name}"], [f"y{name}"], m=m, k=128, n=32, weight=f"W{name}")
    return b.build({"batch": 1})


def arch(**sets):
    return load_architecture(bundled.resolve_config("rram-cim"), {k: str(v) for k, v in sets.items()},
                             cli=True)


def run(wl, **sets):
    return simulate(arch(**sets), wl, engine="analytic", keep_ops=True)


def array_s(r, op):
    t = r.op_table.set_index("op")
    return float(t.loc[op, "compute_s"])


def test_copies_past_the_most_rows_are_not_counted():
    """find-E 3: 100 arrays, 2 needed: uniform floor(100 / 2) = 50 copies, but B's op has 10
    rows, so B holds 10 copies and A 50: 60 arrays, not 100; programming 60 copies of 128 x 128
    cells at rram-cim's write energy (its 1 pulse), the two matrices' 2 x 128 x 32 B read from
    DRAM (20 pJ/bit) and carried over the link (0.72 pJ/bit) once (the copies share them)."""
    r = run(two_layers(), **{"cim.arrays": 100})
    c = arch().components["cim"]
    assert r.facts["cim_arrays_used"] == 50 + 10
    assert r.facts["cim_array_utilization"] == pytest.approx(60 / 100, rel=1e-12, abs=0)
    assert r.facts["cim_cell_utilization"] == pytest.approx(1.0, rel=1e-12, abs=0)
    assert r.facts[C.PROGRAMMING_ENERGY_J] == pytest.approx(
        60 * 128 * 128 * c.write_energy * c.write_verify_pulses + 2 * 128 * 32 * 8 * 20.72e-12,
        rel=1e-12, abs=0)
    # the timing as before: A ceil(1000 / 50) = 20 vectors, B ceil(10 / 10) = 1
    assert array_s(r, "mma") == pytest.approx(20 * T_VECTOR, rel=1e-9, abs=0)
    assert array_s(r, "mmb") == pytest.approx(1 * T_VECTOR, rel=1e-9, abs=0)
    # finding 4 (review 13-1): the note leads with what each matrix holds, not "50 of every"
    assert any("weight replication: 10-50 copies per matrix share an op's rows (uniform "
               "floor(arrays / arrays needed) = 50, capped at each matrix's most rows: 1 of 2 "
               "matrices hold fewer)" in n for n in r.notes), r.notes
    assert not any("copies of every matrix" in n for n in r.notes)


def test_uniform_replication_names_the_layer_that_sets_the_time():
    """Rows 1,000, 10 and 10 on 100 arrays: floor(100 / 3) = 33 copies; A ceil(1000 / 33) =
    31 x 0.8 us = 24.8 us of the 24.8 + 0.8 + 0.8 = 26.4 us summed (93.9 %), at least twice the
    mean 8.8 us. A could hold 100 - 2 = 98 copies beside one of B and C: ceil(1000 / 98) = 11
    vectors, reached first with ceil(1000 / 11) = 91 copies: 8.8 us, 16 us less. With two
    matrices A's 16 us is less than twice their mean 8.4 us: no note (one
    layer of two cannot take twice the mean)."""
    r = run(two_layers(1000, 10, 10), **{"cim.arrays": 100})
    note = [n for n in r.notes if "uniform replication" in n]
    assert len(note) == 1
    assert ("weight Wa (up to 1,000 rows per op on its 33 copies) 24.8 µs of the arrays' 26.4 µs "
            "(93.9 %); with 91 copies (room for them beside one copy of every other matrix) it "
            "would take 8.8 µs (16 µs less); cim.replication: balance") in note[0]
    assert not any("uniform replication leaves" in n
                   for n in run(two_layers(), **{"cim.arrays": 100}).notes)


def test_uniform_note_says_when_it_leaves_arrays_idle():
    """find-M 2: uniform copies can leave many arrays idle with no matrix at twice the mean
    time (two co-located models needing just over half the arrays: every matrix 1 copy). Rows
    1,000 and 10 on 100 arrays: floor(100 / 2) = 50 copies, B capped at its 10 rows: 60 arrays
    used, 40 (40 %, at least a quarter) idle. A takes ceil(1000 / 50) = 20 vectors = 16 us of
    the 16.8 us summed (B 1 vector), under twice the mean 8.4 us; in the idle arrays it could
    hold 90 copies: ceil(1000 / 90) = 12 vectors = 9.6 us, reached first with ceil(1000 / 12) =
    84 copies, 6.4 us less (38 % of the summed time, at least a tenth)."""
    r = run(two_layers(), **{"cim.arrays": 100})
    note = [n for n in r.notes if "uniform replication" in n]
    assert note == [
        "cim: uniform replication gives every matrix floor(100 / 2 arrays needed) = 50 copies (at "
        "most its ops' rows) and leaves 40 of the 100 arrays (40.0 %) idle, while 1 of the 2 "
        "matrices has more rows than copies: the layer of weight Wa (up to 1,000 rows per op on "
        "its 50 copies) takes 16 µs of the arrays' 16.8 µs; with 84 copies in the idle arrays it "
        "would take 9.6 µs (6.4 µs less); cim.replication: balance spends the arrays where they "
        "cut the summed time most"]
    assert array_s(r, "mma") == pytest.approx(20 * T_VECTOR, rel=1e-9, abs=0)
    # no idle arrays (rows 1,000 and 1,000: 50 + 50 copies), no note
    assert not any("uniform replication" in n
                   for n in run(two_layers(1000, 1000), **{"cim.arrays": 100}).notes)


def test_idle_note_is_silent_where_the_copies_save_little():
    """The bundled GRU on rram-cim: 1,536 arrays needed, floor(16,992 / 1,536) = 11 copies,
    W_hh (one row a step) capped at 1: 7,776 arrays (45.8 %) idle, but 20 copies of W_ih would
    save 10 - 5 = 5 of its vectors (4 us) of the 88 us summed, under a tenth (the one-row W_hh
    sets the time; balance runs it no faster): no note."""
    r = run(load_workload(bundled.resolve_workload("gru")))
    assert r.facts["cim_arrays_used"] == 16992 - 7776
    assert not any("uniform replication" in n for n in r.notes), r.notes


def test_uniform_note_is_silent_when_the_buffer_sets_the_time():
    """Finding 2 (review 13-1): with a 1 GB/s flat buffer A's op moves 1,000 x 128 B in + 1,000
    x 32 B out = 160 kB: 160 us, longer than its 31 vectors (24.8 us) on 33 copies or its one
    vector on 1,000, so no copy cuts it and no note advises more."""
    sets = {"cim.arrays": 100, "cim.buffer.bandwidth": "1 GB/s"}
    r = run(two_layers(1000, 10, 10), **sets)
    assert array_s(r, "mma") == pytest.approx(160e-6, rel=1e-9, abs=0)
    assert not any("uniform replication" in n for n in r.notes), r.notes
    b = run(two_layers(1000, 10, 10), **sets, **{"cim.replication": "balance"})
    assert array_s(b, "mma") == pytest.approx(160e-6, rel=1e-9, abs=0)


def summed(r):
    return float(r.op_table["compute_s"].sum())


def test_balance_gives_copies_by_rows():
    """find-E 2 and finding 1 (review 13-1), 100 one-array matrices' arrays: the smallest
    summed vectors ceil(1000 / a) + ceil(10 / b) with a + b <= 100. A needs a >= 91 for 11
    vectors (10 would take all 100), leaving b <= 9: 2 vectors; B at 1 vector leaves a <= 90:
    12. So 13 vectors at best, with 91 + 5 = 96 arrays, against uniform's 20 + 1 = 21 (and the
    old minimax's 11 + 10 = 21)."""
    r = run(two_layers(), **{"cim.arrays": 100, "cim.replication": "balance"})
    assert array_s(r, "mma") == pytest.approx(11 * T_VECTOR, rel=1e-9, abs=0)
    assert array_s(r, "mmb") == pytest.approx(2 * T_VECTOR, rel=1e-9, abs=0)
    assert r.facts["cim_arrays_used"] == 91 + 5
    assert not any("uniform replication" in n for n in r.notes)
    assert any("weight replication (balance): 5-91 copies per matrix" in n for n in r.notes)


def lstm_like(steps=16):
    """W_ih read once by all ``steps`` rows, W_hh by ``steps`` one-row ops (the recurrence):
    no copy cuts W_hh's ``steps`` vectors."""
    b = WorkloadBuilder("lstm-like")
    b.tensor("x", (steps, 128), "int8", "input")
    b.tensor("Wih", (128, 32), "int8", "weight")
    b.tensor("Whh", (128, 32), "int8", "weight")
    b.tensor("g", (steps, 32), "int8", "activation")
    b.op("ih", "matmul", ["x", "Wih"], ["g"], m=steps, k=128, n=32, weight="Wih")
    for t in range(steps):
        b.tensor(f"s{t}", (1, 128), "int8", "input")
        b.tensor(f"h{t}", (1, 32), "int8", "activation")
        b.op(f"hh{t}", "matmul", [f"s{t}", "Whh"], [f"h{t}"], m=1, k=128, n=32, weight="Whh")
    return b.build({"batch": 1})


def test_balance_is_not_slower_than_uniform_beside_a_recurrence():
    """Finding 1 (review 13-1), 100 arrays: uniform gives W_ih min(50, 16) = 16 copies, 1
    vector, and W_hh 16 one-row vectors: 17 vectors. The minimax stopped at W_hh's floor of 16
    and gave W_ih one copy (16 vectors: 32 in all, no faster than no replication); the summed
    objective gives it its 16 copies: 17 vectors on 16 + 1 arrays."""
    uni = run(lstm_like(), **{"cim.arrays": 100})
    bal = run(lstm_like(), **{"cim.arrays": 100, "cim.replication": "balance"})
    assert summed(uni) == pytest.approx(17 * T_VECTOR, rel=1e-9, abs=0)
    assert summed(bal) == pytest.approx(17 * T_VECTOR, rel=1e-9, abs=0)
    assert bal.facts["cim_arrays_used"] == 16 + 1


def cnn_like():
    """Three conv-shaped matrices: 1,024 positions x k 256 (2 arrays a copy), 256 x 128 (1)
    and 64 x 384 (3)."""
    b = WorkloadBuilder("cnn-like")
    for i, (m, k) in enumerate([(1024, 256), (256, 128), (64, 384)]):
        b.tensor(f"a{i}", (m, k), "int8", "input")
        b.tensor(f"W{i}", (k, 32), "int8", "weight")
        b.tensor(f"y{i}", (m, 32), "int8", "activation")
        b.op(f"conv{i}", "matmul", [f"a{i}", f"W{i}"], [f"y{i}"], m=m, k=k, n=32, weight=f"W{i}")
    return b.build({"batch": 1})


def test_balance_on_a_cnn_by_closed_form():
    """Finding 1: 60 arrays for matrices of 2, 1 and 3 arrays a copy (6 in all): uniform 10
    copies each: ceil(1024 / 10) + ceil(256 / 10) + ceil(64 / 10) = 103 + 26 + 7 = 136 vectors.
    The best sum of ceil(rows / copies) over every split of the 60 arrays, enumerated here, is
    balance's (every op reads one vector per row group, so each vector is 0.8 us)."""
    import math
    best = min(math.ceil(1024 / a) + math.ceil(256 / b) + math.ceil(64 / c)
               for a in range(1, 31) for b in range(1, 61) for c in range(1, 21)
               if 2 * a + b + 3 * c <= 60)
    uni = run(cnn_like(), **{"cim.arrays": 60})
    bal = run(cnn_like(), **{"cim.arrays": 60, "cim.replication": "balance"})
    assert summed(uni) == pytest.approx(136 * T_VECTOR, rel=1e-9, abs=0)
    assert summed(bal) == pytest.approx(best * T_VECTOR, rel=1e-9, abs=0)
    assert best < 136


def conv():
    """A 3 x 3 convolution, 3 -> 16 channels on 8 x 8 with padding 1 as the tracer lowers it:
    m = 64 positions, k = 27; im2col 64 x 27 = 1,728 int8 inputs; the tracer's window_elems
    (each input once per kernel row) = batch 1 x 3 channels x 8 output rows x 3 kernel rows x 8
    wide = 576."""
    b = WorkloadBuilder("conv")
    b.tensor("x", (64, 27), "int8", "input")
    b.tensor("W", (27, 16), "int8", "weight")
    b.tensor("y", (64, 16), "int8", "activation")
    b.op("conv", "matmul", ["x", "W"], ["y"], m=64, k=27, n=16, weight="W",
         tags={"window_elems": 1 * 3 * 8 * 3 * 8})
    return b.build({"batch": 1})


def test_input_reuse_sends_each_input_once_per_kernel_row():
    off, on = run(conv()), run(conv(), **{"cim.input_reuse": "true"})
    link = arch().components["cim"].link
    assert off.traffic_bytes[link] - on.traffic_bytes[link] == 64 * 27 - 576
    assert any("1 convolution(s) send their im2col matrix over interconnect: 1.728 kB of inputs, "
               "3.0x the 576 B" in n for n in off.notes), off.notes
    assert not any("im2col matrix" in n for n in on.notes)


def test_flat_pool_fields_are_refused_with_a_chip_block():
    r = CliRunner().invoke(main, ["run", "neurosim-vgg8", "digits-cnn", "--set",
                                  "cim.input_reuse=true"])
    assert r.exit_code != 0
    assert "Traceback" not in r.output
    assert "chip.input_reuse" in r.output and len(r.output.strip().splitlines()) == 1, r.output


def test_fit_note_counts_the_arrays_the_copies_use():
    """find-T 6: the fit note said "2 of 100 arrays hold all 2 weight matrices" where the copies
    (A 50, B 10, as above) use 60 arrays; it now says both, the one-copy need and the 60."""
    r = run(two_layers(), **{"cim.arrays": 100})
    note = next(n for n in r.notes if "arrays hold all" in n)
    assert "cim: 2 of 100 arrays hold all 2 weight matrices (60 with the copies);" in note, note
    one = run(two_layers(1, 1), **{"cim.arrays": 100})  # 1 row each: one copy, nothing added
    assert not any("with the copies" in n for n in one.notes), one.notes
