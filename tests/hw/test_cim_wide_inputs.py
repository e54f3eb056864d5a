"""An integer input wider than the CIM's ``input_bits`` (a 10-bit pixel held in int16, fed to
the first convolution of an in-sensor network) is applied bit-serially in
``ceil(width / dac_bits)`` slices, never costed at ``input_bits`` silently (find-C 3).

Closed forms on ROUND_CIM (128 x 128 arrays, 2 bits/cell, 8-bit weights and inputs, 1-bit DACs,
one ADC per array, a slice 100 ns, 2 pJ a conversion, 0.5 pJ a row drive).
"""

from __future__ import annotations

import pytest
from test_cim_binary_inputs import _arch, _run

from cimsim.workload import Op, Tensor, Workload

K, N, ROWS = 128, 64, 4  # one row tile; 64 weights x 4 cells = 256 physical columns


def _workload(dtype_a: str, tags_a=None) -> Workload:
    """Matmul ``a`` reads ``xa`` (of ``dtype_a``), ``b`` reads the int8 ``xb``."""
    t = [Tensor("xa", (ROWS, K), dtype_a, "input"), Tensor("xb", (ROWS, K), "int8", "input"),
         Tensor("Wa", (K, N), "int8", "weight"), Tensor("Wb", (K, N), "int8", "weight"),
         Tensor("ya", (ROWS, N), "int8", "activation"), Tensor("yb", (ROWS, N), "int8", "activation")]
    ops = [Op("a", "matmul", ("xa", "Wa"), ("ya",), m=ROWS, k=K, n=N, weight="Wa", tags=tags_a or {}),
           Op("b", "matmul", ("xb", "Wb"), ("yb",), m=ROWS, k=K, n=N, weight="Wb")]
    return Workload("wide", t, ops)


def test_an_int16_input_takes_sixteen_slices_not_eight():
    arch = _arch()
    e, costs, pl = _run(arch, _workload("int16"))
    e8, costs8, pl8 = _run(arch, _workload("int8"))
    adc8 = ROWS * 256 * 8 * 2e-12  # rows x 256 columns x 8 slices x 2 pJ
    dac8 = ROWS * K * 2 * 8 * 0.5e-12  # rows x k x 2 column tiles x 8 slices x 0.5 pJ
    assert e8["cim_adc"][0] == pytest.approx(adc8, rel=1e-12, abs=0)
    assert e["cim_adc"][0] == pytest.approx(adc8 * 16 / 8, rel=1e-12, abs=0)  # 16 slices
    assert e["cim_dac"][0] == pytest.approx(dac8 * 16 / 8, rel=1e-12, abs=0)
    assert costs.compute_s[0] == pytest.approx(ROWS * 16 * 100e-9, rel=1e-12, abs=0)
    assert e["cim_adc"][1] == e8["cim_adc"][1] and costs.compute_s[1] == costs8.compute_s[1]
    note = next(n for n in pl.notes if "wider than input_bits" in n)
    assert "1 weight matmul(s) read integer inputs of 16 bits" in note and "16 slices instead of 8" in note
    assert not any("wider than input_bits" in n for n in pl8.notes)


def test_a_value_bits_tag_narrows_a_wide_input_to_its_width():
    # a RAW10 pixel in int16, tagged input_value_bits: 10 -> 10 slices
    e, costs, _ = _run(_arch(), _workload("int16", {"input_value_bits": 10}))
    assert e["cim_adc"][0] == pytest.approx(ROWS * 256 * 10 * 2e-12, rel=1e-12, abs=0)
    assert costs.compute_s[0] == pytest.approx(ROWS * 10 * 100e-9, rel=1e-12, abs=0)


def test_two_bit_dacs_take_a_wide_input_in_half_the_slices():
    e, _, _ = _run(_arch(dac_bits=2), _workload("int16"))
    assert e["cim_adc"][0] == pytest.approx(ROWS * 256 * 8 * 2e-12, rel=1e-12, abs=0)  # ceil(16/2)
    assert e["cim_adc"][1] == pytest.approx(ROWS * 256 * 4 * 2e-12, rel=1e-12, abs=0)  # ceil(8/2)


def test_a_tagged_wide_input_is_told_by_the_wide_note_alone():
    _, _, pl = _run(_arch(), _workload("int16", {"input_value_bits": 10}))
    assert any("applied bit-serially in 10 slices instead of 8" in n for n in pl.notes), pl.notes
    assert not any("costed at the config's 8 input slice(s)" in n for n in pl.notes)


def _lowered(part: str | None, numel_k: int = K) -> Workload:
    """An int16 image ``x`` copied to an int8 ``xc`` (an im2col copy with tag ``part``, or
    a plain copy) that matmul ``a`` reads; ``b`` reads the int8 ``xb``."""
    w = _workload("int8")
    t = [Tensor("x", (ROWS, numel_k), "int16", "input"), Tensor("xc", (ROWS, K), "int8", "activation"),
         *(x for x in w.tensors.values() if x.name != "xa")]
    ops = [Op("lower", "copy", ("x",), ("xc",), tags={"part": part} if part else {}),
           Op("a", "matmul", ("xc", "Wa"), ("ya",), m=ROWS, k=K, n=N, weight="Wa"), w.ops[1]]
    return Workload("lowered", t, ops)


def test_an_int8_im2col_of_an_int16_input_takes_sixteen_slices():
    # (review C 2) the im2col copy holds the int16 pixels: 16 slices, as for x read directly
    e, costs, pl = _run(_arch(), _lowered("im2col", K // 2))
    a = 1  # op "a" (op 0 is the copy)
    assert e["cim_adc"][a] == pytest.approx(ROWS * 256 * 16 * 2e-12, rel=1e-12, abs=0)
    assert costs.compute_s[a] == pytest.approx(ROWS * 16 * 100e-9, rel=1e-12, abs=0)
    note = next(n for n in pl.notes if "wider than input_bits" in n)
    assert "16 slices instead of 8" in note and "im2col / reshape copy" in note
    # (review C 6) 16 slices need adc.bits + 15 accumulator bits, 8 more than 8 slices' design
    assert "shift-add accumulator is assumed 8 bit(s) wider than one sized for 8 slices" in note
    # a copy of the same elements to int8 is a cast (a real quantisation): 8 slices, no note
    e8, _, pl8 = _run(_arch(), _lowered(None))
    assert e8["cim_adc"][a] == pytest.approx(ROWS * 256 * 8 * 2e-12, rel=1e-12, abs=0)
    assert not any("wider than input_bits" in n for n in pl8.notes)


@pytest.mark.parametrize("input_bits", [1, 4])
def test_an_int8_tensor_is_the_container_of_a_narrow_input_design(input_bits):
    """(integration: the cim-macros validation) A design with input_bits 1 or 4 fed an int8
    tensor takes its values at its own input_bits, as before the wide-input rule: Colonnade's
    1-bit and Chih's 4-bit cases state their inputs so. 1-bit DACs: input_bits slices, so
    rows x 256 columns x input_bits x 2 pJ of conversions; no wide-input note."""
    e, costs, pl = _run(_arch(input_bits=input_bits), _workload("int8"))
    assert e["cim_adc"][0] == pytest.approx(ROWS * 256 * input_bits * 2e-12, rel=1e-12, abs=0)
    assert costs.compute_s[0] == pytest.approx(ROWS * input_bits * 100e-9, rel=1e-12, abs=0)
    assert not any("wider than input_bits" in n for n in pl.notes)


def test_an_int16_tensor_into_a_four_bit_design_takes_sixteen_slices():
    e, _, pl = _run(_arch(input_bits=4), _workload("int16"))
    assert e["cim_adc"][0] == pytest.approx(ROWS * 256 * 16 * 2e-12, rel=1e-12, abs=0)
    assert any("16 slices instead of 4" in n for n in pl.notes), pl.notes
