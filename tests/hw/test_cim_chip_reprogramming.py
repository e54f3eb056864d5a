"""A CIM chip whose weights do not fit (found by a seventh-round architect): its steady state
was faster than one sample (the weights' serial transfers left out of the stage), the wear of
its arrays went unsaid, copies asked in chip.layers were dropped without a word, and the
post-layout factor inflated the re-programming writes.

A hand-checkable chip: 64 x 64 arrays of 8-bit cells (one array per 64 x 64 int8 matrix), four
of them; the chain A B C D A B C D needs 1 + 2 + 4 + 2 = 9 arrays."""

from __future__ import annotations

import pytest

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.report import columns as C
from cimsim.workload.ir import Op, Tensor, Workload

CHIP = {
    "name": "tinychip",
    "memory": {"dram": {"bandwidth": "10 GB/s", "latency": "100 ns", "energy_per_byte": "10 pJ/B",
                        "capacity": "1 GB"}},
    "links": {"link": {"bandwidth": "1 GB/s", "latency": "10 ns", "energy_per_bit": "0.125 pJ/bit"}},
    "processor": {"name": "host", "cores": 1, "clock": "1 GHz",
                  "macs_per_cycle_per_core": {"int8": 1, "fp32": 1}, "vector_ops_per_cycle_per_core": 1,
                  "energy_per_mac": {"int8": "1 pJ", "fp32": "1 pJ"}, "energy_per_vector_op": "1 pJ",
                  "static_power": "0 W"},
    "cim": {"link": "link", "technology": "rram", "arrays": 4, "rows": 64, "cols": 64,
            "bits_per_cell": 8, "weight_bits": 8, "input_bits": 8, "dac_bits": 8,
            "read_latency": "100 ns",
            "adc": {"bits": 8, "sample_rate": "1 GHz", "energy_per_conversion": "1 pJ", "per_array": 64},
            "dac_energy": "0 pJ", "cell_read_energy": "0 pJ", "shift_add_energy": "0 pJ",
            "write_latency": "1 us", "write_energy": "1 pJ", "endurance": 1e6,
            "static_power": "0 W",
            "chip": {"node_nm": 22, "duplication": "balance", "levels": {"pe": {"fanout": 4}}}},
}
SHAPES = {"A": (64, 64), "B": (64, 128), "C": (128, 128), "D": (128, 64)}


def _chain() -> Workload:
    t = [Tensor(n, s, "int8", "weight") for n, s in SHAPES.items()] + [Tensor("x0", (1, 64), "int8", "input")]
    ops, prev = [], "x0"
    for i, w in enumerate("ABCDABCD"):
        k, n = SHAPES[w]
        t.append(Tensor(f"y{i}", (1, n), "int8", "activation"))
        ops.append(Op(f"op{i}_{w}", "matmul", (prev, w), (f"y{i}",), m=1, k=k, n=n, weight=w))
        prev = f"y{i}"
    return Workload("abcd", t, ops)


def _arch(**chip):
    import copy

    d = copy.deepcopy(CHIP)
    d["cim"]["chip"].update(chip)
    return architecture_from_dict(d)


def test_a_re_programming_chip_streams_no_faster_than_one_sample():
    r = simulate(_arch(), _chain())
    # no matrix leaves room for C's 4 arrays (or C for another's); a floor pinning A and B (1 + 2
    # + 1 <= 4) would run both C and D through the 1 left in rounds, which the floors never
    # choose (at most one matrix in rounds); a floor of 2 arrays pins a 2-array matrix (B or D,
    # both used twice) and runs C alone in rounds through the 2 left: A, C, D (or B) re-program
    # at each of their 2 uses, 6 re-programmings, 2 x (1 + 4 + 2) = 14 arrays written (nothing
    # pinned: 8 re-programmings, 2 x 9 = 18)
    assert r.facts["cim_reprograms"] == 6
    f = r.facts
    assert f[C.PIPELINE_INTERVAL_S] == pytest.approx(r.latency_s, rel=1e-12, abs=0)
    assert f[C.PIPELINE_LIMIT] == "a sample's latency, an upper bound"
    assert f[C.PIPELINED_SAMPLES_PER_S] == pytest.approx(1 / r.latency_s, rel=1e-12, abs=0)
    # 1 + 2 + 4 + 2 = 9 arrays of weights over 4: ceil(9 / 4) = 3 chips would hold them;
    # written 14 over the 2 arrays left, full (2 x (4,096 + 16,384 + 8,192) = 57,344 cells over
    # 2 x 64 x 64 = 8,192): 7 a cell a run on average; at worst a cell is written
    # ceil(1 / 2) + ceil(4 / 2) + ceil(2 / 2) = 4 times a pass, 8 a run (C's 2 rounds each):
    # 1e6 / 8 = 125,000 runs (1e6 / 7 = 143,000 on average)
    assert any("(no layer pipeline) (3 chips of this size would hold them: ceil(9 / 4); cimsim "
               "models one chip, re-programmed, not the weights split across chips); arrays are "
               "re-programmed 6 times during the run, in 8 rounds (LRU, matrices pinned on 2 "
               "arrays before the run, the rest over the 2 left; 1 matrix larger than the arrays "
               "left runs through them in rounds, a programming each); which arrays a matrix takes "
               "is not modelled, so at worst one cell is written by each: 8 writes per run, and an "
               "endurance of 1,000,000 write pulses lasts 125,000 runs (with perfect wear-levelling, the "
               "57,344 weight cells written a run spread over the 8,192 cells of those arrays: 7 "
               "writes per cell per run on average, and 143,000 runs)" in n
               for n in r.notes), r.notes


def test_copies_asked_of_a_chip_that_cannot_hold_its_weights_are_said_ignored():
    r = simulate(_arch(layers={"A": 4}), _chain())
    assert any("cim.chip.layers (A: 4) asks for copies, but the weights do not fit once: no layer "
               "is copied (ignored)" in n for n in r.notes), r.notes


def test_the_post_layout_factor_leaves_the_writes_out():
    r = simulate(_arch(energy_overhead=2.0), _chain())
    e = r.energy_breakdown_j
    assert e["cim_write"] > 0
    rest = sum(v for k, v in e.items() if k.startswith("cim_") and k not in ("cim_write", "cim_layout"))
    assert e["cim_layout"] == pytest.approx(rest, rel=1e-12, abs=0)
