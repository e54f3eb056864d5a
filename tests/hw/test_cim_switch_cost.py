"""The op table's one programming of each CIM matrix (``cim_program_*``, find-L 4) as held:
every copy weight replication holds, the matrix's rounds, the cost a re-programming pays, and
the matrix's name in the fill note (review17-4 items 1, 4, 5 and 6).

Round CIM (conftest): 128 x 128 arrays, 2 bits per cell, 8-bit weights (4 columns a weight);
a write 10 pJ a cell and 1 us a row; a weight byte read from DRAM (10 pJ/bit) and carried over
the link (1 pJ/bit): 88 pJ. One LoRA projection (test_cim_exclude): W 256 x 256 (16 arrays,
262,144 cells, 65,536 B), A 256 x 8 (2 arrays, 8,192 cells, 2,048 B), B 8 x 256 (8 arrays,
8,192 cells, 2,048 B), 16 tokens.
"""

from __future__ import annotations

import numpy as np
import pytest

from cimsim import simulate
from cimsim.workload import Op, Tensor, Workload

from test_cim_exclude import D, R, T, arch, lora_workload, two_adapters

CELL, BYTE = 10e-12, 88e-12


def test_replication_copies_are_each_written_and_the_columns_sum_to_the_deployment():
    """26 arrays needed of 64: floor(64 / 26) = 2 copies of every matrix (16 rows each, so not
    capped). One switch of B writes both copies' cells and brings its bytes once:
    2 x 8,192 x 10 pJ + 2,048 x 88 pJ = 344.064 nJ (before: one copy, 262.144 nJ); summed over
    the ops, the column is the deployment's programming_energy_j."""
    r = simulate(arch(weight_replication=True), lora_workload())
    tab = r.op_table.set_index("op")
    assert tab.loc["q.lora_B.mm", "cim_program_energy_j"] == pytest.approx(
        2 * 8192 * CELL + 2048 * BYTE, rel=1e-12, abs=0)
    assert tab.loc["q.base.mm", "cim_program_energy_j"] == pytest.approx(
        2 * 262144 * CELL + 65536 * BYTE, rel=1e-12, abs=0)
    # the copies are written in parallel with the matrix: the time is one copy's
    assert tab.loc["q.lora_B.mm", "cim_program_write_s"] == pytest.approx(8 * 1e-6, rel=1e-12,
                                                                           abs=0)
    assert tab["cim_program_weight_bits"].tolist() == [D * D * 8, D * R * 8, R * D * 8, 0]
    assert tab["cim_program_weight_bits"].dtype.kind == "i"  # a count (it was a float)
    total = 2 * (262144 + 2 * 8192) * CELL + (65536 + 2 * 2048) * BYTE
    assert tab["cim_program_energy_j"].sum() == pytest.approx(total, rel=1e-12, abs=0)
    assert r.record()["programming_energy_j"] == pytest.approx(total, rel=1e-12, abs=0)


@pytest.mark.parametrize("arrays, rounds", [(64, 2), (128, 1)])
def test_write_time_counts_the_rounds(arrays, rounds):
    """A 128 x 4096 matrix takes 1 x 128 arrays: on 64 it is written in 2 rounds of 128 rows x
    1 us each (256 us), on 128 in one (128 us)."""
    t = [Tensor("x", (T, 128), "int8", "input"), Tensor("W", (128, 4096), "int8", "weight"),
         Tensor("y", (T, 4096), "int8", "activation")]
    wl = Workload("wide", t, [Op("mm", "matmul", ("x", "W"), ("y",), m=T, k=128, n=4096,
                                 weight="W")])
    r = simulate(arch(arrays=arrays), wl)
    assert r.op_table.set_index("op").loc["mm", "cim_program_write_s"] == pytest.approx(
        rounds * 128 * 1e-6, rel=1e-12, abs=0)


def test_a_re_programmed_op_costs_its_plain_run_plus_its_matrix_s_column():
    """Tester L's method: on 28 arrays the LRU re-programs; each re-programmed op's energy less
    the same op's where everything fits (64 arrays, no re-programming) is the column of its
    matrix (cells + bytes), and that is 8,192 x 10 pJ + 2,048 x 88 pJ = 262.144 nJ an adapter
    matrix, 256 x 1,024 x 10 pJ + 65,536 x 88 pJ the base."""
    wl = two_adapters()
    tight = simulate(arch(arrays=28), wl).op_table.set_index("op")
    plain = simulate(arch(arrays=64), wl).op_table.set_index("op")
    assert not plain["cim_reprogram"].any()
    re = tight.index[tight["cim_reprogram"]].tolist()
    assert re
    weight = {o.name: o.weight for o in wl.ops}
    column = tight.groupby([weight[o] for o in tight.index])["cim_program_energy_j"].sum()
    want = {"W": 262144 * CELL + 65536 * BYTE, "A": 8192 * CELL + 2048 * BYTE,
            "B": 8192 * CELL + 2048 * BYTE}
    for o in re:
        extra = tight.loc[o, "energy_j"] - plain.loc[o, "energy_j"]
        assert extra == pytest.approx(column[weight[o]], rel=1e-9, abs=0), o
        assert column[weight[o]] == pytest.approx(want[o[0] if o[0] in "AB" else "W"],
                                                  rel=1e-12, abs=0)


def test_trace_events_carry_no_programming_time_as_op_time():
    from cimsim.report.trace_events import trace_events
    r = simulate(arch(), lora_workload(), keep_ops=True)
    ev = trace_events(r)
    events = ev["traceEvents"] if isinstance(ev, dict) else ev
    cim = [e for e in events if e.get("ph") == "X" and e.get("args", {}).get("unit") == "cim"]
    assert cim
    assert not [k for e in cim for k in e["args"] if "program" in k]


def test_fill_note_names_a_weight_held_twice_by_its_k_and_asks_for_the_shown_names_only():
    """A tied weight T (256 x 8) read as x @ T (k = 256: 2 arrays, 25 % full) and as h @ T.T
    (k = 8: 8 arrays, 6.25 % full): two matrices of one name, told apart by k."""
    t = [Tensor("x", (T, D), "int8", "input"), Tensor("tied.weight", (D, R), "int8", "weight"),
         Tensor("h", (T, R), "int8", "activation"), Tensor("y", (T, D), "int8", "activation")]
    ops = [Op("enc", "matmul", ("x", "tied.weight"), ("h",), m=T, k=D, n=R, weight="tied.weight"),
           Op("dec", "matmul", ("h", "tied.weight"), ("y",), m=T, k=R, n=D, weight="tied.weight")]
    r = simulate(arch(), Workload("tied", t, ops))
    note = [n for n in r.notes if "fill under" in n]
    assert len(note) == 1, r.notes
    assert ("2 of the 2 weight matrices fill under 50 % of their arrays' cells: tied.weight "
            "(k = 8) 6.25 % of 8 arrays, tied.weight (k = 256) 25 % of 2 arrays;") in note[0]
    from cimsim.hw.cim.tiling import fill_note
    asked = []

    def names(at):
        asked.append(list(at))
        return [f"m{i}" for i in at]
    cells, arrays = np.full(10, 1.0), np.ones(10)  # ten 1-cell matrices of an array each
    said = fill_note("cim", names, cells, arrays, 100, shown=2)
    assert asked == [[0, 1]] and "10 of the 10 weight matrices" in said and "and 8 more" in said
    assert fill_note("cim", names, np.full(3, 100.0), np.ones(3), 100) is None and len(asked) == 1


def test_labels_name_a_stage_where_a_weight_is_on_two():
    from cimsim.hw.cim.flat import _labels
    t = [Tensor("x", (T, D), "int8", "input"), Tensor("w", (D, D), "int8", "weight"),
         Tensor("v", (D, D), "int8", "weight"), Tensor("y", (T, D), "int8", "activation"),
         Tensor("z", (T, D), "int8", "activation"), Tensor("u", (T, D), "int8", "activation")]
    ops = [Op("a", "matmul", ("x", "w"), ("y",), m=T, k=D, n=D, weight="w"),
           Op("b", "matmul", ("y", "w"), ("z",), m=T, k=D, n=D, weight="w"),
           Op("c", "matmul", ("z", "v"), ("u",), m=T, k=D, n=D, weight="v")]
    oa = Workload("staged", t, ops).arrays
    idx, first_op, stage = np.arange(3), np.arange(3), np.array([0, 1, 1])  # w on stages 0, 1
    assert _labels(oa, idx, first_op, stage, True, [2, 1, 0]) == [
        "v", "w (k = 256, stage 1)", "w (k = 256, stage 0)"]
