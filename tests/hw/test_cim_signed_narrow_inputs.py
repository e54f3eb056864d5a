"""A matmul whose input is -1/+1 (tag ``input_bipolar: 1``: a binary neural network's signs) or
-1/0/+1 (``input_value_signed: 1``: ``torch.sign``) is costed by the config's own signed-input
rules at its 1 magnitude bit (cimsim.hw.cim.inbits; find-M 1): with ``signed_inputs`` the sign
is the pulse polarity, 1 slice; otherwise offset-binary, ``x + 1`` in {0, 1, 2}, 2 planes, and
a bipolar ``x + 1`` in {0, 2}, whose bit-0 plane is all zero: 1 plane (x . w = 2 x' . w - sum w).

Closed forms on ROUND_CIM (128 x 128 arrays, 2 bits/cell, 8-bit weights and inputs, 1-bit DACs,
one ADC per array: a slice takes 100 ns; 2 pJ a conversion). K = 128 (one row tile), N = 64
(64 x 4 cells = 256 physical columns), 4 rows: conversions = 4 x 256 x slices.
"""

from __future__ import annotations

import pytest
from test_cim_binary_inputs import ROWS, _arch, _run, _workload

from cimsim.errors import WorkloadError

SIGNED = {"input_value_bits": 1, "input_value_signed": 1}
BIPOLAR = {**SIGNED, "input_bipolar": 1}
ADC_PER_SLICE = ROWS * 256 * 2e-12  # 4 rows x 256 columns x 2 pJ


@pytest.mark.parametrize("tags, signed_inputs, slices", [
    (BIPOLAR, False, 1),   # offset (x + 1) / 2: one plane
    (SIGNED, False, 2),    # offset x + 1 in {0, 1, 2}: two planes
    (BIPOLAR, True, 1),    # sign as pulse polarity, 1 magnitude bit
    (SIGNED, True, 1),     # the same; a zero drives no pulse
    ({"input_value_bits": 1}, False, 1),  # 0/1, as before
])
def test_a_signed_one_bit_input_takes_its_planes_not_eight(tags, signed_inputs, slices):
    arch = _arch(signed_inputs=signed_inputs)
    e, costs, pl = _run(arch, _workload(tags))
    full = 7 if signed_inputs else 8  # the untagged op b: ceil((8 - 1) / 1) with the sign as polarity
    assert e["cim_adc"][0] == pytest.approx(ADC_PER_SLICE * slices, rel=1e-12, abs=0)
    assert e["cim_adc"][1] == pytest.approx(ADC_PER_SLICE * full, rel=1e-12, abs=0)
    assert costs.compute_s[0] == pytest.approx(ROWS * slices * 100e-9, rel=1e-12, abs=0)
    note = next(n for n in pl.notes if "input_value_bits" in n)
    assert f"take {slices} slice" in note and f"instead of {full}" in note


def test_the_note_says_how_many_are_signed_and_how_they_are_applied():
    _, _, pl = _run(_arch(), _workload(BIPOLAR, SIGNED))
    note = next(n for n in pl.notes if "input_value_bits" in n)
    assert "2 of 2 weight matmuls" in note and "2 of them signed (1 -1/+1, 1 -1/0/+1: offset-binary" in note
    _, _, pl = _run(_arch(signed_inputs=True), _workload(BIPOLAR))
    assert "the sign is the pulse polarity, signed_inputs" in next(n for n in pl.notes if "input_value_bits" in n)


def test_two_bit_dacs_apply_the_two_offset_planes_at_once():
    e, _, _ = _run(_arch(dac_bits=2), _workload(SIGNED))
    assert e["cim_adc"][0] == pytest.approx(ADC_PER_SLICE * 1, rel=1e-12, abs=0)  # ceil(2 / 2)
    assert e["cim_adc"][1] == pytest.approx(ADC_PER_SLICE * 4, rel=1e-12, abs=0)  # ceil(8 / 2)


@pytest.mark.parametrize("tags, what", [
    ({"input_value_signed": 1}, "input_value_signed needs tag input_value_bits"),
    ({"input_value_bits": 1, "input_bipolar": 1}, "input_bipolar: 1"),
    ({"input_value_bits": 2, "input_value_signed": 1, "input_bipolar": 1}, "input_bipolar: 1"),
    ({"input_value_bits": 1, "input_value_signed": 2}, "input_value_signed = 2 is not allowed; it must be 0 or 1"),
])
def test_an_inconsistent_sign_tag_is_one_line_naming_the_op(tags, what):
    with pytest.raises(WorkloadError, match="op 'a'") as e:
        _run(_arch(), _workload(tags))
    assert what in str(e.value) and "\n" not in str(e.value)
