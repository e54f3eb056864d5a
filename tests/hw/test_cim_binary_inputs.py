"""A matmul whose input is 0/1 only (a spiking network's spikes; op tag ``input_value_bits: 1``,
cimsim.hw.cim.inbits) takes one input slice on a bit-serial CIM instead of ``input_bits``:
its conversions, row drives, cell reads and array time drop by exactly 8 (``ceil(8 / 1)`` to
``ceil(1 / 1)``) and nothing of an untagged op changes. Where the config cannot use it (one
slice already, an integrate-and-count readout) the note says why. A ``--stats`` figure of a
binary input counted at 8 bits holds at 1 (every plane is the input): used, and where a figure
is not used the note says why (find-N findings 4 and 5).

Closed forms on ROUND_CIM (128 x 128 arrays, 2 bits/cell, 8-bit weights and inputs, 1-bit DACs,
one 1.28 GS/s ADC per array: a slice takes 100 ns; 2 pJ a conversion, 0.5 pJ a row drive,
0.01 pJ a cell read, 0.1 pJ a shift-add).
"""

from __future__ import annotations

import copy

import pytest
from conftest import ROUND_CIM, ROUND_LINK, make_arch
from test_activity import _workload as two_matmuls

from cimsim import bundled, load_architecture
from cimsim.cost import compute_costs
from cimsim.cost.table import energy_parts
from cimsim.errors import WorkloadError
from cimsim.mapping.placement import place
from cimsim.workload import Workload

K, N, ROWS = 128, 64, 4  # one row tile; 64 weights x 4 cells (8 bits / 2 bits per cell) = 256 columns


def _arch(**cim_over):
    cim = copy.deepcopy(ROUND_CIM)
    cim.update(cim_over)
    return make_arch(name="round-cim", cim=cim, interconnect=dict(ROUND_LINK))


def _workload(tags_a=None, tags_b=None) -> Workload:
    """Two independent weight matmuls ``a`` (tagged) and ``b`` on the same input."""
    return two_matmuls(tags_a, tags_b, k=K, n=N, rows=ROWS)


def _run(arch, wl):
    pl = place(wl, arch)
    costs = compute_costs(pl, arch, wl.arrays)
    return {p: costs.energy[:, i] for i, p in enumerate(energy_parts(arch))}, costs, pl


def test_a_binary_input_takes_one_slice_of_eight():
    arch = _arch()
    e, costs, pl = _run(arch, _workload({"input_value_bits": 1}))
    e0, costs0, _ = _run(arch, _workload())
    # untagged: rows x row tiles x 256 physical columns x 8 slices conversions at 2 pJ; rows x k
    # x column tiles (2) x 8 slices row drives at 0.5 pJ; rows x k x 256 columns x 8 cell reads
    adc8, dac8, cell8 = ROWS * 256 * 8 * 2e-12, ROWS * K * 2 * 8 * 0.5e-12, ROWS * K * 256 * 8 * 0.01e-12
    for part, at8 in (("cim_adc", adc8), ("cim_dac", dac8), ("cim_array", cell8)):
        assert e0[part][0] == pytest.approx(at8, rel=1e-12, abs=0) and e0[part][1] == e0[part][0]
        assert e[part][0] == pytest.approx(at8 / 8, rel=1e-12, abs=0), part  # 1 slice, not 8
        assert e[part][1] == e0[part][1], part  # the untagged op: bit for bit
    # the shift-adds are per conversion (0.1 pJ): /8 too; the buffer's bytes are the words'
    shift8 = ROWS * 256 * 8 * 0.1e-12
    assert e0["cim_digital"][0] - e["cim_digital"][0] == pytest.approx(shift8 * 7 / 8, rel=1e-9, abs=0)
    # array time: one 100 ns slice a row instead of eight (the buffer's 3.2 us of bytes is
    # the bound of neither: 4 rows x 128 B + 4 x 256 B at 100 GB/s = 15 ns)
    assert costs0.compute_s[0] == pytest.approx(ROWS * 8 * 100e-9, rel=1e-12, abs=0)
    assert costs.compute_s[0] == pytest.approx(ROWS * 1 * 100e-9, rel=1e-12, abs=0)
    assert costs.compute_s[1] == costs0.compute_s[1]
    note = next(n for n in pl.notes if "input_value_bits" in n)
    assert "cim: 1 of 2 weight matmuls read inputs of 1 bit" in note and "1 slice instead of 8" in note


@pytest.mark.parametrize("dac_bits, slices", [(2, 1), (3, 1), (1, 1)])
def test_the_slices_are_ceil_of_the_value_bits_over_the_dac_bits(dac_bits, slices):
    arch = _arch(dac_bits=dac_bits)
    e, _, _ = _run(arch, _workload({"input_value_bits": 1}))
    full = -(-8 // dac_bits)  # ceil(8 / dac_bits) slices untagged
    assert e["cim_adc"][0] == pytest.approx(ROWS * 256 * slices * 2e-12, rel=1e-12, abs=0)
    assert e["cim_adc"][1] == pytest.approx(ROWS * 256 * full * 2e-12, rel=1e-12, abs=0)


def test_four_bit_values_take_four_bit_serial_slices():
    e, _, _ = _run(_arch(), _workload({"input_value_bits": 4}))
    assert e["cim_adc"][0] == pytest.approx(ROWS * 256 * 4 * 2e-12, rel=1e-12, abs=0)


def test_one_slice_already_costs_the_same_and_says_why():
    arch = _arch(dac_bits=8)  # a level DAC: every input bit in one slice
    e, _, pl = _run(arch, _workload({"input_value_bits": 1}))
    assert e["cim_adc"][0] == e["cim_adc"][1] == pytest.approx(ROWS * 256 * 2e-12, rel=1e-12, abs=0)
    note = next(n for n in pl.notes if "input_value_bits" in n)
    assert "as any other: its inputs already take one slice (input_bits 8, dac_bits 8)" in note


@pytest.mark.parametrize("bad", [0, 1.5, 33, "one"])
def test_a_bad_tag_is_one_line_naming_the_op_and_what_is_allowed(bad):
    with pytest.raises(WorkloadError, match=r"op 'a' \(#\d+\): tag input_value_bits = .* it must be a whole "
                                            r"number of bits in 1\.\.32"):
        _run(_arch(), _workload({"input_value_bits": bad}))


RRAM = bundled.resolve_config("rram-cim-derived")


def _stats(**more):
    return {"input_ones": 0.25, "input_stats_bits": 8, "weight_ones": 0.5, "weight_stats_bits": 8, **more}


def test_a_binary_inputs_figure_at_8_bits_holds_on_a_1_bit_cim():
    one = load_architecture(RRAM, {"cim.input_bits": 1})
    e, _, pl = _run(one, _workload(_stats(input_value_bits=1), _stats()))
    quarter = load_architecture(RRAM, {"cim.input_bits": 1, "cim.cell.input_ones": 0.25})
    eq, _, _ = _run(quarter, _workload())
    # the binary op draws what a 0.25 config draws; the other's 8-bit figure is not its 1-bit one
    assert e["cim_array"][0] == pytest.approx(eq["cim_array"][0], rel=1e-12, abs=0)
    assert e["cim_array"][1] != pytest.approx(eq["cim_array"][1], rel=1e-3, abs=0)
    note = next(n for n in pl.notes if "data activity" in n)
    assert "input ones: 1 measured (mean 0.25), 1 at the config's 0.5 (1 measured figure(s) " \
           "unused: counted at 8 bits, not the config's input_bits 1; trace with --stats-bits 1,8" in note
    assert "nan" not in note


def test_no_figure_used_says_why_not_mean_nan():
    one = load_architecture(RRAM, {"cim.input_bits": 1})
    _, _, pl = _run(one, _workload(_stats(), _stats()))
    note = next(n for n in pl.notes if "data activity" in n)
    assert "input ones: 0 measured, 2 at the config's 0.5 (2 measured figure(s) unused" in note
    assert "nan" not in note


def test_an_integrate_and_count_readout_keeps_its_phases_and_says_why():
    """neurram's adc.counting: the tagged op costs what the same untagged op does, part for part,
    and the note gives the readout as the reason."""
    arch = load_architecture(bundled.resolve_config("neurram"))
    e, costs, pl = _run(arch, _workload({"input_value_bits": 1}))
    for part, per_op in e.items():
        assert per_op[0] == per_op[1], part  # a and b: the same matmul, one tagged
    assert costs.compute_s[0] == costs.compute_s[1]
    note = next(n for n in pl.notes if "input_value_bits" in n)
    assert "cim: 1 of 2 weight matmuls read inputs of 1 bit" in note
    assert note.endswith("as any other: its integrate-and-count readout (adc.counting) has the "
                         "design's phases")


@pytest.mark.parametrize("name", ["tpu-like", "hbm-pim", "gpu-hbm3", "cpu-ddr5"])
def test_units_without_input_slices_ignore_the_tag(name):
    """A systolic array, a PIM unit, a GPU and a CPU take a word per input whatever its values:
    a tagged workload runs exactly as the untagged one, with no note."""
    from cimsim import simulate

    arch = load_architecture(bundled.resolve_config(name))
    tagged = simulate(arch, _workload({"input_value_bits": 1}, {"input_value_bits": 1}))
    plain = simulate(arch, _workload())
    assert tagged.latency_s == plain.latency_s and tagged.energy_j == plain.energy_j
    assert tagged.energy_breakdown_j == plain.energy_breakdown_j
    assert tagged.notes == plain.notes


def test_an_activity_built_without_input_value_bits_states_none():
    """A plug-in that builds OpActivity with the fields it had before input_value_bits keeps
    working: every op's is NaN (no op states it)."""
    import numpy as np

    from cimsim.workload.oparrays import OpActivity

    nan = np.full(3, np.nan)
    act = OpActivity(*[nan] * 9)
    assert act.input_value_bits.shape == (3,) and np.isnan(act.input_value_bits).all()
    assert act.zero_at is None
