"""The CIM block (hw/cim): tiling, MVM time and energy, integrate-and-count read-out, signed
inputs, re-programming rounds and LRU, weight replication, the buffer, area, and the published
suites (ISAAC, a 22 nm SRAM macro).

Golden values are arithmetic on the round-number fixtures of conftest.py
(4 cores x 1 GHz x 8 fp32 MAC = 32 GMAC/s, DRAM 10 GB/s + 100 ns, SRAM 1 MiB
at 1 TB/s; CIM 128x128 arrays, 2 bits/cell, 8-bit weights and inputs, 1-bit
DAC, one 1.28 GS/s ADC per array, 100 ns read; link 100 GB/s + 10 ns), written
out here, never copied from the code's output.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from cimsim import simulate
from cimsim.cost import compute_costs
from cimsim.mapping.placement import place
from cimsim.workload import Op, Tensor, Workload
from cimsim.workload.generators import hier_attn, lstm, tcn, transformer

from conftest import ROUND_ARCH, ROUND_CIM, ROUND_LINK, gemv_workload, make_arch

pJ = 1e-12


def _plan(pl, name):
    """The placement plan of component ``name``."""
    return next(p for c, p in zip(pl.components, pl.plans) if c.name == name)


def _tiny_cim_arch(arrays: int):
    cim = copy.deepcopy(ROUND_CIM)
    cim["arrays"] = arrays
    return make_arch(name=f"cim-{arrays}", cim=cim, interconnect=dict(ROUND_LINK))


@pytest.mark.parametrize("arrays", [1, 4, 40, 4096])
@pytest.mark.parametrize("wl", [
    lstm(96, 64, 2, steps=3),
    hier_attn(16, d_model=32, heads=2, window=4),
    transformer(8, d_model=32, heads=2, ffn=64),
    tcn(8, channels=32, kernel=3, layers=2),
], ids=["lstm", "hier-attn", "transformer", "tcn"])
def test_costs_finite_and_nonnegative_with_reprogramming(wl, arrays):
    # few arrays force the LRU and rounds branches the bundled configs never reach
    arch = _tiny_cim_arch(arrays)
    pl = place(wl, arch)
    costs = compute_costs(pl, arch, wl.arrays)
    for arr in (costs.compute_s, costs.latency_s, costs.bytes, costs.energy):
        assert np.all(np.isfinite(arr)) and (arr >= 0).all()
    if arrays == 1:
        assert pl.facts()["cim_reprograms"] > 0


# --------------------------------------------------------------------------- CIM goldens
def test_cim_tiling_of_k128_n64(cim_arch):
    # 64 weights of 8 bits at 2 bits/cell -> 64 * 8 / 2 = 256 physical columns
    # -> 2 column tiles of 128; k = 128 -> 1 row tile; 2 arrays
    pl = place(gemv_workload(128, 64), cim_arch)
    assert pl.unit_names.tolist() == ["cim"]
    st = _plan(pl, "cim").state
    assert (st["row_tiles"][0], st["col_tiles"][0], st["phys_cols"][0]) == (1, 2, 256)
    assert st["arrays"][0] == 2
    assert st["rounds"][0] == 1
    # a workload without data statistics: its one op uses the config's activity (both)
    facts = pl.facts()
    assert math.isnan(facts.pop("cim_area_needed_m2"))  # the config declares no area
    # an inference run writes no cell (nothing re-programmed): no wear-out limit, NaN (find-O 4)
    assert math.isnan(facts.pop("cim_runs_to_wearout"))
    assert math.isnan(facts.pop("cim_runs_to_wearout_levelled"))
    # floorplan (no replication): 2 of 64 arrays; 128 x 256 weight cells fill 2 x 128 x 128
    assert facts == {"cim_arrays_needed": 2, "cim_reprograms": 0,
                     "cim_input_ones_default_ops": 1, "cim_weight_ones_default_ops": 1,
                     "cim_arrays_used": 2, "cim_array_utilization": 2 / 64,
                     "cim_cell_utilization": 128 * 256 / (2 * 128 * 128)}


@pytest.mark.parametrize("rows", [1, 4])
def test_cim_mvm_golden(cim_arch, rows):
    k, n = 128, 64
    r = simulate(cim_arch, gemv_workload(k, n, rows=rows))
    slices = 8 / 1  # 8 input bits, 1-bit DAC
    t_slice = max(100e-9, 128 / 1 / 1.28e9)  # read 100 ns vs 128 columns through 1 ADC
    assert t_slice == pytest.approx(100e-9, rel=1e-12, abs=0)
    mvm_s = rows * slices * t_slice
    # over the link: inputs quantized to 8 bits (rows*k B) in, fp32 outputs (rows*n*4 B) out
    link_bytes = rows * k * 8 / 8 + rows * n * 4
    # x, a model input the CIM reads first: the host reads it from DRAM (fp32, 10 GB/s, 100 ns)
    # as it goes over the link (hierarchy rule 3)
    dram_bytes = rows * k * 4
    xfer = max(link_bytes / 100e9, dram_bytes / 10e9)
    assert xfer < mvm_s
    if rows == 1:
        # one MVM slot: its input vector must arrive first (serial), then the link and DRAM latency
        expected = xfer + mvm_s + 10e-9 + 100e-9
    else:
        # several rows: later rows stream in while earlier ones compute (overlap), but the
        # first row's input and the last row's output take one row's share of the transfer
        # beside the MVMs: max(X + C / rows, C + X / rows) = C + X / rows here (X < C)
        expected = mvm_s + xfer / rows + 10e-9 + 100e-9
    assert r.latency_s == pytest.approx(expected, rel=1e-12, abs=0)
    assert r.traffic_bytes["dram"] == dram_bytes
    assert r.ops_per_unit == {"processor": 0, "cim": 1}
    row_tiles, col_tiles, phys_cols = 1, 2, 256
    e = r.energy_breakdown_j
    conversions = rows * row_tiles * phys_cols * slices
    assert e["cim_adc"] == pytest.approx(conversions * 2 * pJ, rel=1e-12, abs=0)
    assert e["cim_dac"] == pytest.approx(rows * k * col_tiles * slices * 0.5 * pJ, rel=1e-12, abs=0)
    assert e["cim_array"] == pytest.approx(rows * k * phys_cols * slices * 0.01 * pJ, rel=1e-12, abs=0)
    assert e["cim_digital"] == pytest.approx(conversions * 0.1 * pJ + link_bytes * 1 * pJ, rel=1e-12, abs=0)
    assert e["interconnect"] == pytest.approx(link_bytes * 8 * 1 * pJ, rel=1e-12, abs=0)
    assert e["cim_write"] == 0.0
    assert e["static"] == pytest.approx(1.0 * expected, rel=1e-12, abs=0)  # processor 1 W, CIM 0 W
    # 2 of 64 arrays busy for the MVM time
    assert r.utilization["cim_arrays"] == pytest.approx(2 * mvm_s / 64 / expected, rel=1e-12, abs=0)


def test_cim_link_bound_mvm():
    # a slow link (100 MB/s): the transfer of inputs and outputs dominates the MVM
    cim = copy.deepcopy(ROUND_CIM)
    arch = make_arch(name="slow-link", cim=cim,
                     interconnect={"bandwidth": "100 MB/s", "latency": "10 ns", "energy_per_bit": "1 pJ/bit"})
    k, n = 128, 64
    r = simulate(arch, gemv_workload(k, n))
    link_bytes = k * 1 + n * 4
    assert link_bytes / 1e8 > 8 * 100e-9
    assert link_bytes / 1e8 > k * 4 / 10e9  # x's DRAM read (fp32 at 10 GB/s) is shorter
    # a single vector: transfer, then the 8-slice MVM, then the link and DRAM latency
    assert r.latency_s == pytest.approx(link_bytes / 1e8 + 8 * 100e-9 + 10e-9 + 100e-9, rel=1e-12, abs=0)
    # with 4 rows the transfers and MVMs overlap: the link sets the pace, and the last row's
    # MVM (8 slices) runs after its input arrived: max(X + C / 4, C + X / 4) = X + C / 4
    r4 = simulate(arch, gemv_workload(k, n, rows=4))
    assert r4.latency_s == pytest.approx(4 * link_bytes / 1e8 + 8 * 100e-9 + 10e-9 + 100e-9, rel=1e-12, abs=0)


def _counting_cim(**counting):
    # ROUND_CIM with signed inputs (7 magnitude bits of 8) read out by integrate-and-count
    # neurons: 64 per array (2 columns each), 6 output bits, counting steps of 100 ns / 2 pJ
    cim = copy.deepcopy(ROUND_CIM)
    cim["signed_inputs"] = True
    cim["adc"] = {"bits": 6, "sample_rate": "10 MHz", "energy_per_conversion": "2 pJ", "per_array": 64,
                  "counting": {"max_bits_per_phase": 3, "phase_latency": "50 ns",
                               "integrate_energy": "0.25 pJ", "sample_energy": "1 pJ", **counting}}
    return make_arch(name="counting-cim", cim=cim, interconnect=dict(ROUND_LINK))


def test_counting_step_arithmetic():
    from cimsim.hw.cim import counting

    assert counting.phases(3, 3) == (3,)
    assert counting.phases(7, 3) == (4, 3)  # ceil(7/2), floor(7/2)
    assert counting.phases(7, 7) == (7,)
    assert counting.integration_steps((4, 3)) == (16 - 1) + (8 - 1)
    assert counting.integration_steps((1,)) == 1
    # the second phase holds the 3 low bits: it converts 6 - 4 = 2 output bits
    assert counting.counting_steps(6, (4, 3)) == 6 + 2
    assert counting.counting_steps(3, (4, 3)) == 3 + 0
    assert counting.counting_steps(10, (4, 3)) == 10 + 6


@pytest.mark.parametrize("one_phase", [False, True])
def test_cim_integrate_and_count_mvm_golden(one_phase):
    arch = _counting_cim(**({"max_bits_per_phase": 8} if one_phase else {}))
    k, n, rows = 128, 64, 4
    r = simulate(arch, gemv_workload(k, n, rows=rows))
    b = 8 - 1  # signed inputs: the sign is the pulse polarity
    if one_phase:
        integ, steps, phases = 2**7 - 1, 6, 1  # 127 unit pulses, one 6-bit count
    else:
        integ, steps, phases = (2**4 - 1) + (2**3 - 1), 6 + (6 - 4), 2  # phases of 4 and 3 bits
    # per neuron: pulses x 100 ns read + counting steps x 100 ns + phases x 50 ns; two
    # columns share a neuron (128 columns / 64), so twice that per matrix-vector product
    t_vector = 2 * (integ * 100e-9 + steps * 100e-9 + phases * 50e-9)
    link_bytes = rows * k * 8 / 8 + rows * n * 4
    xfer = max(link_bytes / 100e9, rows * k * 4 / 10e9)  # the link, or x's read from DRAM
    assert xfer < rows * t_vector
    # compute-bound rows: all of them after the first row's share of the transfer
    assert r.latency_s == pytest.approx(rows * t_vector + xfer / rows + 10e-9 + 100e-9,
                                        rel=1e-12, abs=0)
    row_tiles, col_tiles, phys_cols = 1, 2, 256
    column_vectors = rows * row_tiles * phys_cols
    e = r.energy_breakdown_j
    assert e["cim_adc"] == pytest.approx(column_vectors * (b * 1 + integ * 0.25 + steps * 2) * pJ, rel=1e-12, abs=0)
    assert e["cim_digital"] == pytest.approx(column_vectors * steps * 0.1 * pJ + link_bytes * 1 * pJ,
                                             rel=1e-12, abs=0)
    assert e["cim_dac"] == pytest.approx(rows * k * col_tiles * b * 0.5 * pJ, rel=1e-12, abs=0)
    assert e["cim_array"] == pytest.approx(rows * k * phys_cols * b * 0.01 * pJ, rel=1e-12, abs=0)
    assert r.utilization["cim_arrays"] == pytest.approx(2 * rows * t_vector / 64 / r.latency_s, rel=1e-12, abs=0)


@pytest.mark.parametrize("input_bits, slices", [(8, 7), (2, 1), (1, 1)])
def test_signed_inputs_spend_no_slice_on_the_sign(input_bits, slices):
    cim = copy.deepcopy(ROUND_CIM)
    cim.update(signed_inputs=True, input_bits=input_bits)
    arch = make_arch(name="signed", cim=cim, interconnect=dict(ROUND_LINK))
    r = simulate(arch, gemv_workload(128, 64, rows=4))
    # max(1, input_bits - 1) slices of 100 ns per row (ADC: 128 columns / 1.28 GHz = 100 ns),
    # after the first row's share of the link (its 128 inputs at input_bits and 64 fp32 outputs)
    # or of x's fp32 read from DRAM (128 x 4 B at 10 GB/s, longer); then link and DRAM latency
    row_s = max((128 * input_bits / 8 + 64 * 4) / 100e9, 128 * 4 / 10e9)
    assert r.latency_s == pytest.approx(4 * slices * 100e-9 + row_s + 10e-9 + 100e-9, rel=1e-12, abs=0)
    assert r.energy_breakdown_j["cim_adc"] == pytest.approx(4 * 256 * slices * 2 * pJ, rel=1e-12, abs=0)


def test_counting_needs_one_bit_pulses():
    from cimsim.errors import ConfigError

    cim = copy.deepcopy(ROUND_CIM)
    cim["dac_bits"] = 2
    cim["adc"] = dict(cim["adc"], counting={"max_bits_per_phase": 3, "phase_latency": "0 ns",
                                             "integrate_energy": "0 pJ", "sample_energy": "0 pJ"})
    with pytest.raises(ConfigError, match="dac_bits must be 1, not 2"):
        make_arch(name="bad", cim=cim, interconnect=dict(ROUND_LINK))


def _big_cim_case():
    # k = 512 -> 4 row tiles; n = 2048 -> 2048 * 8 / 2 = 8192 phys cols -> 64 col tiles:
    # 256 arrays on a 64-array CIM -> 4 rounds, re-programming every round
    return 512, 2048, 8192, 4


def test_cim_rounds_placement(cim_arch):
    k, n, phys_cols, rounds = _big_cim_case()
    pl = place(gemv_workload(k, n), cim_arch)
    st = _plan(pl, "cim").state
    assert pl.facts()["cim_arrays_needed"] == 4 * 64
    assert st["rounds"][0] == rounds
    assert st["arrays"][0] == 64
    assert bool(st["reprogram"][0]) is True
    assert pl.facts()["cim_reprograms"] == 1


def test_cim_rounds_time_bytes(cim_arch):
    k, n, phys_cols, rounds = _big_cim_case()
    r = simulate(cim_arch, gemv_workload(k, n))
    weight_bytes = k * n * 8 / 8  # 8-bit weights read from DRAM to program the arrays
    # and x (k fp32), a model input the CIM reads first, read from DRAM by the host
    assert r.traffic_bytes["dram"] == weight_bytes + k * 4
    assert r.facts["cim_reprograms"] == 1
    # per round: the MVM (8 slices x 100 ns) and programming 128 rows x 1 us
    compute = rounds * 1 * 8 * 100e-9 + rounds * 128 * 1e-6
    link = (k * 1 + n * 4 + weight_bytes) / 100e9
    dram = (weight_bytes + k * 4) / 10e9
    assert max(link, dram) < compute
    # one input vector: the op is serial, so the weights and the input arrive over DRAM and
    # the link (concurrently) before programming and the MVM; then link + DRAM latency
    assert r.latency_s == pytest.approx(max(link, dram) + compute + 10e-9 + 100e-9, rel=1e-12, abs=0)
    assert r.energy_breakdown_j["dram"] == pytest.approx((weight_bytes + k * 4) * 8 * 10 * pJ, rel=1e-12, abs=0)
    # ADC conversions do not depend on rounds: every column read once per input row
    assert r.energy_breakdown_j["cim_adc"] == pytest.approx(1 * 4 * phys_cols * 8 * 2 * pJ, rel=1e-12, abs=0)


def test_cim_rounds_write_energy_counts_each_cell_once(cim_arch):
    # regression: the write energy was once charged `rounds` times over
    # (rounds * k * phys_cols): each round programs only 1/rounds of the matrix
    k, n, phys_cols, rounds = _big_cim_case()
    r = simulate(cim_arch, gemv_workload(k, n))
    cells = k * phys_cols  # 512 * 8192 = 256 arrays x 128 x 128 cells
    assert cells == 256 * 128 * 128
    assert r.energy_breakdown_j["cim_write"] == pytest.approx(cells * 10 * pJ, rel=1e-12, abs=0)


def test_a_reprogramming_writes_the_columns_the_weights_use_not_whole_arrays():
    # 2-bit weights on 2-bit cells: one column per weight. k = 256, n = 100: 2 row tiles of one
    # 128-column array each, 100 of its columns used; one array, so the op re-programs (2
    # rounds). It writes k x 100 cells x 10 pJ = 256 nJ, not the arrays' k x 128 columns
    cim = copy.deepcopy(ROUND_CIM)
    cim.update(weight_bits=2, arrays=1)
    r = simulate(make_arch(name="cim-2bit", cim=cim, interconnect=dict(ROUND_LINK)),
                 gemv_workload(256, 100))
    assert r.facts["cim_arrays_needed"] == 2 and r.facts["cim_reprograms"] == 1
    assert r.energy_breakdown_j["cim_write"] == pytest.approx(256 * 100 * 10 * pJ, rel=1e-12, abs=0)


def _two_matrix_pingpong():
    # A: 384 x 512 -> 3 row tiles x (512*8/2/128 = 16) col tiles = 48 arrays
    # B: 512 x 384 -> 4 row tiles x (384*8/2/128 = 12) col tiles = 48 arrays
    # both: 96 > 64 arrays, so A B A B evicts every time (LRU)
    t = [Tensor("x", (1, 384), "fp32", "input"),
         Tensor("A", (384, 512), "fp32", "weight"), Tensor("B", (512, 384), "fp32", "weight")]
    ops = []
    prev = "x"
    for i, (wname, k, n) in enumerate([("A", 384, 512), ("B", 512, 384)] * 2):
        t.append(Tensor(f"y{i}", (1, n), "fp32", "activation"))
        ops.append(Op(f"mm{i}", "matmul", (prev, wname), (f"y{i}",), m=1, k=k, n=n, weight=wname))
        prev = f"y{i}"
    return Workload("pingpong", t, ops)


def test_cim_lru_reprograms(cim_arch):
    wl = _two_matrix_pingpong()
    r = simulate(cim_arch, wl)
    assert r.facts["cim_arrays_needed"] == 96
    # 48 + 48 arrays on 64: A (first used) is pinned and B runs through the 16 left in
    # ceil(48 / 16) = 3 rounds at each of its 2 uses (2 x 48 arrays written; sharing the 64,
    # both re-programmed at every use, wrote 4 x 48)
    assert r.facts["cim_reprograms"] == 2
    # each reprogram reads k*n bytes of 8-bit weights from DRAM; the first matmul reads x
    # (384 fp32) from it once
    assert r.traffic_bytes["dram"] == 2 * (512 * 384) + 384 * 4
    # each reprogram writes every cell of its matrix once (over its rounds): k * phys_cols
    # cells x 10 pJ
    cells_b = 512 * (384 * 8 // 2)
    assert r.energy_breakdown_j["cim_write"] == pytest.approx(2 * cells_b * 10 * pJ, rel=1e-12, abs=0)


def test_what_fits_beside_the_rest_is_pinned():
    """Rule 2 of hw/cim/reprogram.py: one array short of every matrix re-programmed all of them
    (a 2.9x cliff in a GPT-2 decode step's latency, found by a seventh round of users); a pinned
    matrix is programmed before the run and never again, the rest share what is left."""
    from cimsim.hw.cim.reprogram import lru_reprograms, pinned

    def run(ops, sizes, arrays):
        mask, free, _ = lru_reprograms(np.array(ops), np.array(sizes), arrays)
        return mask.tolist(), free

    # four matrices of 10 arrays, each used once; 39 arrays: 0 and 1 pinned (10 + 10 + room for
    # 10 <= 39; a third leaves no room), 19 left, 2 and 3 written (20 arrays). A floor of 1
    # array (0, 1 and 2 pinned, 3 through the 9 left in 2 rounds) would write 10, but the room
    # pins something, so the floors are not tried (their rounds against the bytes saved depend
    # on rates placement does not see)
    assert pinned(np.array([0, 1, 2, 3]), np.full(4, 10), 39) == {0, 1}
    assert run([0, 1, 2, 3], [10] * 4, 39) == ([False, False, True, True], 19)
    # run twice, 2 and 3 re-program at every use, each used twice and fitting the 19 left
    # alone, so the floors are tried beside 0 and 1 (review14-5 #1): a floor of 1 array pins 2
    # too (30 + 1 <= 39) and 3 runs through the 9 left in ceil(10 / 9) = 2 rounds, 2 x 10 = 20
    # arrays written where the room writes 2 x 20 = 40
    assert run([0, 1, 2, 3] * 2, [10] * 4, 39) == ([False, False, False, True] * 2, 9)
    # an RNN: input projections (0, 1, 4 arrays each) used once, then the recurrent matrices
    # (2, 3, 8 each) every step, on 16: the most-used go first; 2 is pinned (8 + room for 8),
    # 3 would leave no room; 0, 1 and then 3 once over the 8 left: 16 arrays written, where the
    # plain LRU writes 24 (0, 1, 2, then 3 evicting 0 and 1)
    rnn = [0, 1] + [2, 3] * 20
    mask, free = run(rnn, [4, 4, 8, 8], 16)
    assert (sum(mask), free) == (3, 8)
    # a matrix larger than all arrays (rule 3) runs in rounds over all of them: nothing pinned,
    # the floors not tried (a floor of 1 would pin 0 and run 1 through the 35 left); 0, 1, 0, 1
    # writes 2 x (5 + 50) arrays (1's rounds clear 0)
    assert pinned(np.array([0, 1]), np.array([5, 50]), 40) == set()
    assert run([0, 1, 0, 1], [5, 50], 40) == ([True] * 4, 40)


def test_one_array_short_of_gpt2_small_re_programs_two_small_matrices():
    """GPT-2 small's 49 matrices on sram-cim's arrays: per layer 216, 72, 288, 288, then the
    4,713-array lm_head: 15,081. One short, the greedy pinning left the lm_head and one 288 to
    share 5,000 arrays (re-programmed every step, 1.62x the latency); with room 72 every larger
    matrix is pinned (13,353 arrays) and 22 of the 24 72-array ones beside them (1,584), leaving
    143 arrays to the other two (144 arrays written). A floor of 1 array would pin all but one
    72-array matrix, 72 arrays written in 2 rounds, but is not tried: the matrices
    re-programmed are used once each."""
    from cimsim.hw.cim.reprogram import lru_reprograms

    sizes = np.array([216, 72, 288, 288] * 12 + [4713])
    assert sizes.sum() == 15081
    mask, free, keep = lru_reprograms(np.arange(49), sizes, 15080)
    assert len(keep) == 49 - 2 and sum(sizes[list(keep)]) == 13353 + 22 * 72
    assert (int(mask.sum()), free) == (2, 15080 - 13353 - 22 * 72)
    assert set(sizes[mask]) == {72}


def test_pinning_never_writes_more_than_no_pinning():
    """A matrix pinned for few uses can leave too little room for one used every step (a
    reviewer's case: 40 re-programs where the plain LRU did 4): rule 2 keeps whichever writes
    fewer arrays, so no workload re-programs more than before pinning."""
    from cimsim.hw.cim.reprogram import _lru, lru_reprograms

    rng = np.random.default_rng(7)
    for _ in range(400):
        g = int(rng.integers(2, 7))
        sizes = rng.integers(1, 9, size=g)
        ops = rng.integers(0, g, size=int(rng.integers(2, 30))).tolist()
        for arrays in range(int(sizes.max()), int(sizes.sum()) + 1):
            mask, _, _ = lru_reprograms(np.array(ops), sizes, arrays)
            before = _lru(ops, sizes, arrays, set())
            assert sizes[ops][mask].sum() <= sizes[ops][before].sum()


def test_a_pinned_matrix_does_not_wait_for_a_re_programming(cim_arch):
    """A pinned matrix keeps its own arrays, so it is its own engine server (as when every
    matrix fits): its matmuls run while the shared arrays are re-programmed. Three independent
    matmuls of 48 arrays each on 100 (cim_arch's ROUND_CIM); A used twice is pinned (48 + room
    for 48 <= 100), B and C share the 52 left and are re-programmed in turn (a floor of 1 array,
    A and B pinned and C in 12 rounds through the 4 left, is not tried where a room pins
    something). Before, all were one server: A's matmuls, issued after B and C, waited for both
    re-programmings."""
    cim = copy.deepcopy(ROUND_CIM)
    cim["arrays"] = 100
    arch = make_arch(name="cim-100", cim=cim, interconnect=dict(ROUND_LINK))
    t = [Tensor("x", (1, 384), "fp32", "input")]
    ops = []
    for i, w in enumerate("BCAA"):
        if w not in [x.name for x in t]:
            t.append(Tensor(w, (384, 512), "fp32", "weight"))
        t.append(Tensor(f"y{i}", (1, 512), "fp32", "activation"))
        ops.append(Op(f"mm{i}", "matmul", ("x", w), (f"y{i}",), m=1, k=384, n=512, weight=w))
    r = simulate(arch, Workload("three", t, ops))
    tab = r.op_table
    assert tab["cim_reprogram"].tolist() == [True, True, False, False]
    assert r.facts["cim_reprograms"] == 2
    # B and C share one server, one after the other; A's two matmuls are done before B is
    b, c, a1, a2 = (tab.iloc[i] for i in range(4))
    assert c["start_s"] >= b["end_s"]
    assert a1["start_s"] == 0.0 and max(a1["end_s"], a2["end_s"]) < b["end_s"]
    assert r.latency_s == c["end_s"]


@pytest.mark.parametrize("arrays, reprograms", [(8, 0), (7, "some")])
def test_each_pipeline_stage_holds_its_own_matrices(arrays, reprograms):
    """Under pipeline parallelism each stage is its own device with all of cim.arrays (rule 1
    of hw/cim/flat.py); before, every stage's matrices counted against one cim.arrays. A
    2-layer model in 2 stages on ROUND_CIM (128 x 128, 4 columns per 8-bit weight in 2-bit
    cells): per layer W_qkv 32 x 48 (1 x ceil(192 / 128) = 2 arrays), W_o 32 x 32 (1), W_up
    32 x 96 (ceil(384 / 128) = 3), W_down 48 x 32 (1): 7; the last stage adds W_lm 32 x 20
    (1): stage 0 needs 7, stage 1 needs 8, both 15. On 8 arrays each stage fits (nothing
    re-programmed, where 15 > 8 re-programmed before); on 7 the last stage does not."""
    from cimsim.config import architecture_from_dict
    from cimsim.workload.llm import LLMModel, llm_serving

    from conftest import ROUND_ARCH

    tiny = LLMModel(layers=2, hidden=32, heads=8, kv_heads=2, ffn=48, vocab=20, head_dim=4,
                    gated=True)
    w = llm_serving(tiny, prompt=4, decode=2, batch=1, pipeline_parallel=2, dtype="fp32")
    d = copy.deepcopy(ROUND_ARCH)
    d["cim"] = copy.deepcopy(ROUND_CIM)
    d["cim"]["arrays"] = arrays
    d["cim"]["link"] = "interconnect"
    d["links"] = {"interconnect": dict(ROUND_LINK),
                  "nvlink": {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}}
    d["collective"] = {"devices": 2, "topology": "ring", "link": "nvlink"}
    r = simulate(architecture_from_dict(d), w)
    assert r.facts["cim_arrays_needed"] == 8  # per device: the larger stage's
    notes = " ".join(r.notes)
    if reprograms == 0:
        assert r.facts["cim_reprograms"] == 0
        assert "every one of the 2 pipeline stages fit its own device's 8 arrays (at most 8, stage 1)" in notes
    else:
        assert r.facts["cim_reprograms"] > 0
        assert "pipeline stage 0 of 2 fit its own device's 7 arrays" in notes
        assert "weights on pipeline stage 1's device need 8 arrays but only 7 exist" in notes
        # stage 0's matrices are never re-programmed
        stage0 = w.arrays.stage == 0
        assert not r.op_table["cim_reprogram"].to_numpy()[stage0].any()


@pytest.mark.parametrize("arrays, chips", [(64, 2), (48, 2), (30, 4)])
def test_over_capacity_note_says_how_many_chips_would_hold_the_weights(arrays, chips):
    """find-G 2: A (48 arrays) and B (48) of _two_matrix_pingpong need 96; chips of ``arrays``
    hold them all at once from ceil(96 / arrays) of them (96 / 48 = 2 exactly, 96 / 30 = 3.2)."""
    cim = copy.deepcopy(ROUND_CIM)
    cim["arrays"] = arrays
    r = simulate(make_arch(name="cim-small", cim=cim, interconnect=dict(ROUND_LINK)),
                 _two_matrix_pingpong())
    assert (f"cim: weights need 96 arrays but only {arrays} exist ({chips} chips of this size would "
            f"hold them: ceil(96 / {arrays}); one chip is modelled, re-programmed: cim.chips: "
            f"{chips} with a cim.chip_link splits the weights across chips); arrays are "
            "re-programmed") in " ".join(r.notes)


def test_cim_all_fit_no_reprogram():
    cim = copy.deepcopy(ROUND_CIM)
    cim["arrays"] = 96
    arch = make_arch(name="cim-96", cim=cim, interconnect=dict(ROUND_LINK))
    r = simulate(arch, _two_matrix_pingpong())
    assert r.facts["cim_reprograms"] == 0
    assert r.traffic_bytes["dram"] == 384 * 4  # x alone (fp32), read once
    assert r.energy_breakdown_j["cim_write"] == 0.0


def test_energy_parts_come_from_the_components(cim_arch):
    r = simulate(cim_arch, gemv_workload(128, 64))
    assert list(r.energy_breakdown_j) == [
        "processor_compute", "cim_array", "cim_adc", "cim_dac", "cim_digital", "cim_write",
        "sram", "dram", "interconnect", "static"]


# --------------------------------------------------------------------------- weight replication
def _replicating_cim_arch():
    import copy

    from conftest import ROUND_CIM, ROUND_LINK, make_arch

    cim = copy.deepcopy(ROUND_CIM)
    cim["weight_replication"] = True
    return make_arch(name="round-cim-rep", cim=cim, interconnect=dict(ROUND_LINK))


@pytest.mark.parametrize("rows, slots", [(64, 2), (4, 1), (1, 1), (100, 4)])
def test_weight_replication_spreads_rows_over_copies(rows, slots):
    from conftest import gemv_workload

    from cimsim.mapping.placement import place

    # a 128 x 64 matrix at 8-bit weights, 2 bits/cell: 256 physical columns = 2 arrays of
    # 128 x 128; 64 arrays hold floor(64 / 2) = 32 copies; each copy takes one row per
    # MVM of 8 slices x 100 ns, so the op takes ceil(rows / min(32, rows)) MVM slots
    arch = _replicating_cim_arch()
    wl = gemv_workload(128, 64, rows=rows)
    pl = place(wl, arch)
    assert _plan(pl, "cim").state["replicas"][0] == min(32, rows)
    costs = compute_costs(pl, arch, wl.arrays)
    assert costs.compute_s[0] == pytest.approx(slots * 8 * 100e-9, rel=1e-12, abs=0)
    # replication changes time, not work: conversions = rows x 1 row tile x 256 cols x 8 slices
    assert costs.energy[0, costs.parts.index("cim_adc")] == pytest.approx(rows * 256 * 8 * 2e-12, rel=1e-12, abs=0)
    # array occupancy: 2 arrays x rows x 8 slices x 100 ns, however many copies share it,
    # per array of the 64-array block
    cim_cost = costs.component_costs[[c.name for c in pl.components].index("cim")]
    assert cim_cost.busy["arrays"][0] == pytest.approx(2 * rows * 8 * 100e-9 / 64, rel=1e-12, abs=0)


@pytest.mark.parametrize("rows", [1, 4, 32, 33])
def test_only_a_one_row_op_is_serial_so_copies_never_make_it_slower(rows):
    """A one-row op (GEMV) computes after its input arrives; from two rows on, each row's
    copy starts as its row arrives, so transfers overlap compute with copies as without
    them (a new user's matmul of 64 rows on 66 copies was 10.58 us, 10.25 us without)."""
    from conftest import gemv_workload

    from cimsim.mapping.placement import place

    arch = _replicating_cim_arch()
    wl = gemv_workload(128, 64, rows=rows)
    pl = place(wl, arch)
    plan = _plan(pl, "cim")
    assert plan.state["replicas"][0] == min(32, rows)  # all rows fit the copies
    assert bool(np.asarray(plan.serial)[0]) is (rows == 1)


def test_more_rows_never_end_sooner_and_copies_never_slow_an_op():
    """Fill and drain: the round CIM's row moves 128 B in + 64 x 4 B out = 384 B over the
    100 GB/s link (3.84 ns) while the host reads its 128 fp32 inputs from DRAM (512 B at
    10 GB/s: 51.2 ns, the longer; x is a model input), and computes in 8 slices x 100 ns =
    800 ns; latency 10 ns (link) + 100 ns (DRAM). One row (serial): 51.2 + 800 + 110 ns. Two
    rows on one copy: max(2 x 51.2 + 1600 / 2, 1600 + 51.2) + 110 ns; on two copies (compute
    800 ns in one piece): max(102.4 + 800, 800 + 51.2) + 110 ns: the second row's MVM runs
    after its input, so two rows never end before one (they did at max(2 x row, 800) + latency
    before the fill and drain were counted)."""
    import copy

    from conftest import ROUND_CIM, ROUND_LINK, gemv_workload, make_arch

    plain = make_arch(name="round-cim", cim=copy.deepcopy(ROUND_CIM), interconnect=dict(ROUND_LINK))
    row_s, mvm_s, lat = max(384 / 100e9, 512 / 10e9), 800e-9, 10e-9 + 100e-9
    one = simulate(plain, gemv_workload(128, 64, rows=1)).latency_s
    two = simulate(plain, gemv_workload(128, 64, rows=2)).latency_s
    two_copies = simulate(_replicating_cim_arch(), gemv_workload(128, 64, rows=2)).latency_s
    assert one == pytest.approx(row_s + mvm_s + lat, rel=1e-12, abs=0)
    assert two == pytest.approx(2 * mvm_s + row_s + lat, rel=1e-12, abs=0)
    assert two_copies == pytest.approx(2 * row_s + mvm_s + lat, rel=1e-12, abs=0)
    assert one < two_copies < two
    # and on: more rows never sooner, with copies or without, and with a buffer every copy
    # shares bounding the compute (a reviewer's case: 32 copies, 33 rows ended 2.6 us before 32
    # when the last row's compute was taken as the op's over ceil(rows / copies))
    slow = copy.deepcopy(ROUND_CIM)
    slow["buffer"]["bandwidth"] = "2 GB/s"
    slow_rep = copy.deepcopy(slow)
    slow_rep["weight_replication"] = True
    link = dict(ROUND_LINK, bandwidth="1 GB/s")
    archs = (plain, _replicating_cim_arch(), make_arch(name="slow", cim=slow, interconnect=link),
             make_arch(name="slow-rep", cim=slow_rep, interconnect=link))
    for arch in archs:
        times = [simulate(arch, gemv_workload(128, 64, rows=r)).latency_s for r in range(1, 40)]
        assert all(b >= a for a, b in zip(times, times[1:])), arch.name
    # a buffer-bound op, which copies do not shorten: 4 rows, 4 x 384 B through a 100 MB/s
    # buffer, C = 15.36 us (the MVMs: 3.2 us on one copy, 800 ns on four); its last row
    # computes max(800 ns, 384 B / 100 MB/s = 3.84 us) after arriving; the transfer is the
    # longer of the link's 15.36 ns (1536 B at 100 GB/s) and x's DRAM read, X = 204.8 ns
    # (2048 B at 10 GB/s): max(X + 3.84 us, C + X / 4) + 10 ns + 100 ns, the same with four
    # copies (a reviewer's case: four copies took the whole C as the last row's)
    slow4 = copy.deepcopy(ROUND_CIM)
    slow4["buffer"]["bandwidth"] = "100 MB/s"
    slow4_rep = dict(copy.deepcopy(slow4), weight_replication=True)
    expect = 15.36e-6 + 204.8e-9 / 4 + 10e-9 + 100e-9
    for cim in (slow4, slow4_rep):
        r = simulate(make_arch(name="slow4", cim=cim, interconnect=dict(ROUND_LINK)),
                     gemv_workload(128, 64, rows=4))
        assert r.latency_s == pytest.approx(expect, rel=1e-12, abs=0)


@pytest.mark.parametrize("args, says", [
    ((np.array([4.0]), np.array([1.0])), "give compute_s and last_s together"),
    ((np.array([4.0]), None, np.array([1.0])), "give compute_s and last_s together"),
    ((np.array([4.0]), np.array([1.0]), np.array([-1.0])), "times >= 0 s"),
    ((np.array([4.0]), np.array([1.0]), np.array([np.nan])), "times >= 0 s"),
    ((np.array([-2.0]),), "rows must be numbers >= 0"),
    ((np.array([4.0]), np.array([1.0]), np.array([2.0])), "cannot compute longer than the whole op"),
])
def test_row_pieces_refuses_what_would_drop_the_drain(args, says):
    """A forgotten last_s (or a NaN one) gave inf pieces: the drain silently lost (a plug-in
    author, 2026-12-05)."""
    from cimsim.hw.base import row_pieces

    with pytest.raises(ValueError, match=says):
        row_pieces(*args)
    p = row_pieces(np.array([0.0, 4.0]), np.array([1.0, 8.0]), np.array([0.0, 2.0]))
    assert p.tolist() == [[1.0, np.inf], [4.0, 4.0]]  # nothing after the last arrival: inf


def test_a_reprogrammed_op_is_serial_so_more_rows_never_end_sooner():
    """128 x 4096 needs 128 arrays of the round CIM's 64: re-programmed in 2 rounds. Its weights
    cross the link and are written before any row computes, so the op is serial at any row
    count: 2 rows pipelined their weights with the rows and ended 26 % before 1 (a tester's
    case, 2026-12-05)."""
    from conftest import gemv_workload

    from cimsim.mapping.placement import place

    arch = _replicating_cim_arch()
    pl = place(gemv_workload(128, 4096, rows=2), arch)
    plan = _plan(pl, "cim")
    assert plan.state["reprogram"][0] and bool(np.asarray(plan.serial)[0])
    times = [simulate(arch, gemv_workload(128, 4096, rows=r)).latency_s for r in range(1, 9)]
    assert all(b > a for a, b in zip(times, times[1:]))
    # its note counts writes per cell and runs without an exponent ("1e+08 write pulses lasts
    # 5e+07 runs" before): 2 rounds of 64 arrays written per run = 2 writes per cell, 128 x 4096
    # x 4 = 2,097,152 cells over 64 x 128 x 128 = 1,048,576
    note = next(n for n in simulate(arch, gemv_workload(128, 4096)).notes if "endurance" in n)
    assert "e+" not in note and ("2 writes per run, and an endurance of 100,000,000 write pulses lasts "
                                 "50,000,000 runs (with perfect wear-levelling, the 2,097,152 "
                                 "weight cells written a run spread over the 1,048,576 cells of "
                                 "those arrays: 2 writes per cell per run on average, and "
                                 "50,000,000 runs)") in note, note
    # 128 x 3072: 96 arrays in 2 rounds (64, then 32): 96 array-writes per run over 64 arrays,
    # 1.5 per cell on average (each round's full 64 were counted, 2 per cell: a tester,
    # 2026-12-05), but the first round's 64 arrays are written twice: 2 at worst
    note = next(n for n in simulate(arch, gemv_workload(128, 3072)).notes if "endurance" in n)
    assert ("2 writes per run, and an endurance of 100,000,000 write pulses lasts 50,000,000 runs (with "
            "perfect wear-levelling, the 1,572,864 weight cells written a run spread over the "
            "1,048,576 cells of those arrays: 1.5 writes per cell per run on average") in note, note


def test_weight_replication_is_off_when_matrices_do_not_fit():
    from conftest import gemv_workload

    from cimsim.mapping.placement import place

    # 128 x 4096 needs 1 x ceil(4096 * 4 / 128) = 128 arrays > 64: re-programmed, no copies
    pl = place(gemv_workload(128, 4096, rows=8), _replicating_cim_arch())
    st = _plan(pl, "cim").state
    assert st["replicas"][0] == 1 and st["reprogram"][0]


def test_cim_buffer_bandwidth_bounds_the_op():
    # 4 rows: inputs 4 x 128 B (8-bit) + outputs 4 x 64 x 4 B = 1536 B through a 100 MB/s
    # buffer = 15.36 us, longer than the 4 x 8 x 100 ns = 3.2 us of MVMs; rows > 1, so the
    # transfer overlaps but for one row's share, which the first row waits for: its 384 B
    # over the 100 GB/s link, or its 128 fp32 inputs read from DRAM (512 B at 10 GB/s, the
    # longer: x is a model input); then the 10 ns link and 100 ns DRAM latency
    from conftest import ROUND_LINK, make_arch

    cim = copy.deepcopy(ROUND_CIM)
    cim["buffer"]["bandwidth"] = "100 MB/s"
    arch = make_arch(name="slow-buffer", cim=cim, interconnect=dict(ROUND_LINK))
    r = simulate(arch, gemv_workload(128, 64, rows=4))
    assert r.latency_s == pytest.approx(1536 / 100e6 + 512 / 10e9 + 10e-9 + 100e-9, rel=1e-12, abs=0)



# ------------------------------------------------------------------ area and efficiency
def test_cim_area_and_efficiency_closed_form():
    from conftest import ROUND_CIM, ROUND_LINK, gemv_workload, make_arch

    cim = copy.deepcopy(ROUND_CIM)  # 64 arrays of 128 x 128, one ADC each
    cim["area"] = {"array": "0.0002 mm^2", "adc": "0.0012 mm^2", "dac": "0.00001 mm^2",
                   "digital": "0.0006 mm^2", "buffer": "0.08 mm^2", "other": "1 mm^2"}
    mem = copy.deepcopy(ROUND_ARCH["memory"])
    mem["sram"]["area"] = "2 mm^2"
    proc = copy.deepcopy(ROUND_ARCH["processor"])
    proc["area"] = "10 mm^2"
    arch = make_arch(name="areas", cim=cim, interconnect=dict(ROUND_LINK), memory=mem, processor=proc)
    r = simulate(arch, gemv_workload(128, 64))
    mm2 = 1e-6
    parts = {"processor_die": 10 * mm2, "cim_arrays": 64 * 0.0002 * mm2, "cim_adc": 64 * 0.0012 * mm2,
             "cim_dac": 64 * 128 * 0.00001 * mm2, "cim_digital": 64 * 0.0006 * mm2,
             "cim_buffer": 0.08 * mm2, "cim_other": 1 * mm2, "sram": 2 * mm2}
    assert r.area_breakdown_m2 == pytest.approx(parts, rel=1e-12, abs=0)
    assert r.area_m2 == pytest.approx(sum(parts.values()), rel=1e-12, abs=0)
    macs = 128 * 64
    assert r.ops_per_j == pytest.approx(2 * macs / r.energy_j, rel=1e-12, abs=0)
    assert r.ops_per_s_per_m2 == pytest.approx(2 * macs / r.latency_s / r.area_m2, rel=1e-12, abs=0)
    rec = r.record()
    assert rec["area_cim_adc_m2"] == pytest.approx(64 * 0.0012 * mm2, rel=1e-12, abs=0)
    assert rec["area_m2"] == r.area_m2



def test_cim_published_suite_reproduces_isaac_and_the_sram_macro():
    # published figures (sources in cimsim/data/validation/isaac.yaml and chih-sram-macro.yaml);
    # the ISAAC and 4-bit cases are reproductions from each design's own parameters, the
    # 8-bit cases predictions from the 4-bit calibration
    from cimsim.validate import run

    df = run(["cim-published"]).set_index("case")
    err = df["rel_error"].abs()
    assert err["ISAAC-CE chip power at peak"] < 0.01
    assert err["ISAAC-CE chip area"] < 0.01
    assert err["ISAAC-CE power efficiency (PE)"] < 0.01
    assert err["ISAAC-CE computational efficiency (CE)"] < 0.02  # 483.3 vs 478.95: the paper's busy cycles
    assert err["22 nm SRAM macro TOPS/W, 4b x 4b"] < 0.01
    assert err["22 nm SRAM macro TOPS/mm^2, 4b x 4b"] < 0.01
    assert (err[[c for c in df.index if "8b x 8b" in c]] < 0.15).all()


def test_a_model_input_the_processor_read_first_is_not_read_again_for_the_cim():
    """x (1 x 4096 fp32, 16,384 B), read by a relu on the processor and then by a CIM matmul:
    the host read it from DRAM once (16,384 B), and the matmul only sends it over the link (a
    reviewer: per component, both read it, 32,768 B)."""
    from cimsim import bundled, load_architecture
    from cimsim.workload.builder import WorkloadBuilder

    b = WorkloadBuilder("dbl")
    b.tensor("x", (1, 4096), "fp32", "input")
    b.tensor("W", (4096, 256), "fp32", "weight")
    b.tensor("y", (1, 256), "fp32", "activation")
    b.tensor("r", (1, 4096), "fp32", "activation")
    b.op("relu", "elementwise", ["x"], ["r"], fn="relu")
    b.op("mm", "matmul", ["x", "W"], ["y"], m=1, k=4096, n=256, weight="W")
    r = simulate(load_architecture(bundled.resolve_config("sram-cim")), b.build())
    dram = r.op_table.set_index("op")["dram_bytes"]
    assert (dram["relu"], dram["mm"]) == (16384.0, 0.0)
