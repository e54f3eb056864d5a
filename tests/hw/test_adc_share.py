"""One ADC shared by several arrays, ``cim.adc.arrays_per_adc`` (:mod:`cimsim.hw.cim.adcshare`;
left 21 3). Golden values from closed-form arithmetic: ISAAC Table I's 1.28 GS/s ADC reads 128
columns in 100 ns, the crossbar read is 100 ns; conftest's ROUND_CIM reads 128 columns at
1.28 GS/s (100 ns) after a 100 ns read, 8 one-bit slices, 4 cells a weight (32 weights a row)."""

from __future__ import annotations

import pytest
from conftest import ROUND_CIM, ROUND_LINK, gemv_workload, make_arch
from test_isaac_chip import one_layer

from cimsim import simulate
from cimsim.config import load_architecture
from cimsim.errors import ConfigError


def _compute(r) -> float:
    return float(r.op_table.set_index("op")["compute_s"].iloc[0])


def test_two_crossbars_on_one_adc_equal_the_readmes_workaround():
    # 512 crossbars, all converting: a slice max(100 ns, 2 x 128 / 1.28 GS/s) = 200 ns, 16
    # slices 3.2 us (1.6 us unshared); ADCs 16,128 / 2 = 8,064 x 0.0012 mm^2 = 9.6768 mm^2; the
    # conversions (512 x 128 x 16 x 1.5625 pJ = 1638.4 nJ) as many as unshared
    shared = simulate(load_architecture("isaac-chip", {"cim.adc.arrays_per_adc": 2}), one_layer(),
                      keep_ops=True)
    workaround = simulate(load_architecture("isaac-chip", {"cim.adc.sample_rate": "0.64 GHz",
                                                           "cim.area.adc": "0.0006 mm^2"}),
                          one_layer(), keep_ops=True)
    assert _compute(shared) == pytest.approx(3.2e-6, rel=1e-9, abs=0)
    assert shared.area_breakdown_m2["cim_adc"] == pytest.approx(8064 * 0.0012e-6, rel=1e-9, abs=0)
    assert shared.energy_breakdown_j["cim_adc"] == pytest.approx(1638.4e-9, rel=1e-9, abs=0)
    assert _compute(workaround) == pytest.approx(_compute(shared), rel=1e-12, abs=0)
    assert shared.latency_s == pytest.approx(workaround.latency_s, rel=1e-12, abs=0)
    for part in ("cim_adc", "cim_digital", "cim_arrays"):
        assert shared.area_breakdown_m2[part] == pytest.approx(
            workaround.area_breakdown_m2[part], rel=1e-12, abs=0), part


def test_a_matrix_on_one_crossbar_of_a_group_runs_at_the_unshared_time():
    # 128 x 16 16-bit weights at 2 bits a cell: 8 cells a weight, 128 columns, one crossbar:
    # 16 slices x max(100 ns, 1 x 128 / 1.28 GS/s) = 1.6 us, shared or not (the workaround's
    # lowered rate would make it 3.2 us)
    from cimsim.workload import Op, Tensor, Workload

    t = [Tensor("x", (1, 128), "fp32", "input"), Tensor("w", (128, 16), "fp32", "weight"),
         Tensor("y", (1, 16), "fp32", "activation")]
    w = Workload("one-crossbar", t, [Op("l", "matmul", ("x", "w"), ("y",), m=1, k=128, n=16,
                                        weight="w")])
    for k in (1, 2, 8):
        r = simulate(load_architecture("isaac-chip", {"cim.adc.arrays_per_adc": k}), w, keep_ops=True)
        assert _compute(r) == pytest.approx(1.6e-6, rel=1e-9, abs=0), k


def _round(k: int, **cim):
    return make_arch(cim={**ROUND_CIM, "adc": {**ROUND_CIM["adc"], "arrays_per_adc": k}, **cim},
                     interconnect=dict(ROUND_LINK))


@pytest.mark.parametrize("k_rows, k, expected", [
    (128, 1, 0.8e-6), (128, 2, 0.8e-6),  # one array: 8 x 100 ns, never slowed
    (256, 2, 1.6e-6),  # two row tiles on one ADC: 8 x max(100 ns, 2 x 100 ns)
    (512, 2, 1.6e-6),  # four arrays, two groups of two: the same
    (512, 4, 3.2e-6),  # four on one ADC: 8 x 4 x 100 ns
    (256, 4, 1.6e-6),  # two of a group of four busy: 8 x 2 x 100 ns
])
def test_a_flat_pool_serialises_only_the_arrays_a_matrix_converts_on(k_rows, k, expected):
    r = simulate(_round(k), gemv_workload(k_rows, 32), keep_ops=True)
    assert _compute(r) == pytest.approx(expected, rel=1e-9, abs=0)


def test_copies_on_one_adc_convert_one_after_another():
    # a one-array matrix, 2 activation rows, copied (weight_replication): unshared the copies
    # take a row each, 8 x 100 ns = 0.8 us; on one ADC per 2 arrays the two copies' slices
    # serialise, 8 x 2 x 100 ns = 1.6 us, what one copy takes for both rows
    one = simulate(_round(1, weight_replication=True), gemv_workload(128, 32, rows=2), keep_ops=True)
    two = simulate(_round(2, weight_replication=True), gemv_workload(128, 32, rows=2), keep_ops=True)
    assert _compute(one) == pytest.approx(0.8e-6, rel=1e-9, abs=0)
    assert _compute(two) == pytest.approx(1.6e-6, rel=1e-9, abs=0)


def test_area_is_adcs_times_the_area_of_one_and_a_derived_adc_keeps_its_rate():
    # rram-cim-derived with one ADC per array (columns_per_adc 128): 33,800 arrays; at k = 2
    # 16,900 ADCs, at k = 3 ceil(33,800 / 3) = 11,267: the ADC and shift-add areas are that many
    # of one ADC's (derived once, at the converter's own rate: rate and energy unchanged)
    def cim(k):
        return load_architecture("rram-cim-derived", {"cim.adc.columns_per_adc": 128,
                                                      "cim.adc.arrays_per_adc": k}).component("cim")

    base = cim(1)
    one_adc, one_sa = base.design.area["adc"] / 33800, base.design.area["digital"] / 33800
    for k, adcs in ((2, 16900), (3, 11267)):
        c = cim(k)
        d = c.design
        assert d.adc_count == adcs
        assert d.area["adc"] == pytest.approx(adcs * one_adc, rel=1e-12, abs=0)
        assert d.area["digital"] == pytest.approx(adcs * one_sa, rel=1e-12, abs=0)
        assert d.sample_rate == base.design.sample_rate
        assert d.energy_per_conversion == base.design.energy_per_conversion
        # the mux in front of the ADC selects k x 128 columns: a wider decoder, more per conversion
        assert d.mux_energy > base.design.mux_energy
        # the derived leakage rests on the periphery's area: fewer ADCs, less of it
        assert c.static.power_w < base.static.power_w
        # the derived per-ADC area the note gives is one ADC's, whatever k
        assert c.derived_values()["area.adc"][0] == pytest.approx(one_adc, rel=1e-12, abs=0)


@pytest.mark.parametrize("over, words", [
    ({"cim.adc.arrays_per_adc": 2, "cim.adc.per_array": 2},
     "adc.arrays_per_adc (2) shares one ADC among arrays: it needs one ADC per array (per_array 1 "
     "or columns_per_adc 128), not 2"),
    ({"cim.adc.arrays_per_adc": 16129},
     "adc.arrays_per_adc (16129) cannot exceed arrays (16128): allowed 1 to 16128"),
    ({"cim.adc.arrays_per_adc": 3},
     "adc.arrays_per_adc (3) must divide chip level ima's fanout (8 arrays a unit)"),
    ({"cim.adc.arrays_per_adc": 0}, "cim.adc.arrays_per_adc"),
])
def test_sharing_that_makes_no_sense_is_refused_in_one_line(over, words):
    with pytest.raises(ConfigError) as e:
        load_architecture("isaac-chip", over)
    assert words in str(e.value)
    assert "\n" not in str(e.value)


def test_a_digital_cell_has_no_adc_to_share():
    with pytest.raises(ConfigError, match=r"arrays_per_adc \(2\): an sram_digital array has no "
                                          r"converter to share"):
        load_architecture("sram-cim-derived", {"cim.adc.arrays_per_adc": 2, "cim.adc.columns_per_adc": 256,
                                               "cim.cell.type": "sram_digital"})


@pytest.mark.parametrize("k, share", [(1, 1), (2, 2), (4, 2)])
def test_an_integrate_and_count_readout_shared_by_arrays_counts_them_in_turn(k, share):
    # ROUND_CIM's arrays read out by one counting neuron each (128 columns), signed 8-bit inputs
    # in one 7-bit phase: 127 unit pulses x 100 ns + 6 counting steps x 100 ns + 50 ns a column,
    # 128 columns; a 128 x 64 matrix is 2 column tiles (256 cells), so with k >= 2 the two
    # arrays' neurons count one after another: share x 128 x 13.35 us
    adc = {"bits": 6, "sample_rate": "10 MHz", "energy_per_conversion": "2 pJ", "per_array": 1,
           "arrays_per_adc": k,
           "counting": {"max_bits_per_phase": 8, "phase_latency": "50 ns",
                        "integrate_energy": "0.25 pJ", "sample_energy": "1 pJ"}}
    arch = make_arch(cim={**ROUND_CIM, "signed_inputs": True, "adc": adc},
                     interconnect=dict(ROUND_LINK))
    r = simulate(arch, gemv_workload(128, 64), keep_ops=True)
    neuron = 127 * 100e-9 + 6 * 100e-9 + 50e-9
    assert _compute(r) == pytest.approx(share * 128 * neuron, rel=1e-9, abs=0)


def test_a_transposed_read_shares_its_row_side_adcs_too():
    # 64 arrays of 128 x 128, one column-side and ceil(128 / 128) = 1 row-side ADC each: 128
    # ADCs unshared, 32 groups x 2 = 64 on one ADC per 2 arrays, each 0.001 mm^2
    area = {"array": "0.01 mm^2", "adc": "0.001 mm^2"}
    for k, adcs in ((1, 128), (2, 64)):
        arch = _round(k, transposed_read=True, area=area)
        d = arch.component("cim").design
        assert d.adc_count == adcs
        assert d.area["adc"] == pytest.approx(adcs * 0.001e-6, rel=1e-12, abs=0)


def test_a_transposed_read_converts_on_the_arrays_its_matrix_is_held_on():
    """Review 22 A 5. W 1024 x 64 at 4 cells a weight on ROUND_CIM's 128 x 128 arrays is held
    as its first read (k = 1024): ceil(1024 / 128) x ceil(64 x 4 / 128) = 8 x 2 = 16 arrays.
    Its transposed read (k = 64, n = 1024) would tile as 1 x 32 = 32, but converts on those
    16 arrays: on one ADC per 32 arrays each slice is max(100 ns, 16 x 128 / 1.28 GS/s) =
    1.6 us, 8 slices 12.8 us, as the first read (it took 8 x 32 x 100 ns = 25.6 us)."""
    from cimsim.workload import Op, Tensor, Workload

    t = [Tensor("x", (1, 1024), "int8", "input"), Tensor("W", (1024, 64), "int8", "weight"),
         Tensor("h", (1, 64), "int8", "activation"), Tensor("y", (1, 1024), "int8", "activation")]
    w = Workload("tied", t, [
        Op("fwd", "matmul", ("x", "W"), ("h",), m=1, k=1024, n=64, weight="W"),
        Op("back", "matmul", ("h", "W"), ("y",), m=1, k=64, n=1024, weight="W")])
    for k in (16, 32):
        r = simulate(_round(k, transposed_read=True), w, keep_ops=True)
        t_op = r.op_table.set_index("op")["compute_s"]
        assert t_op["fwd"] == pytest.approx(12.8e-6, rel=1e-9, abs=0), k
        assert t_op["back"] == pytest.approx(12.8e-6, rel=1e-9, abs=0), k
