"""What a digital bit-serial cell (sram_digital) refuses, and its pipeline fill
(cimsim.hw.cim.digital_cell): find-Z findings 1, 2, 4, 5."""

from __future__ import annotations


import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.cli import main
from cimsim.errors import ConfigError
from conftest import cim_arch_22nm, gemv_workload

#: a 256 x 256 digital array, 4-bit weights x 4-bit inputs, a 1 ns cycle given, no converter
DIGITAL_CIM = {
    "technology": "sram", "arrays": 4, "rows": 256, "cols": 256, "bits_per_cell": 1,
    "weight_bits": 4, "input_bits": 4, "dac_bits": 1, "read_latency": "1 ns",
    "cell": {"type": "sram_digital"}, "adc": {"bits": 9, "per_array": 256},
    "write_latency": "2.5 ns", "write_energy": "50 fJ", "endurance": 1e15,
    "buffer": {"capacity": "8 KiB", "bandwidth": "1 PB/s", "energy_per_byte": "0 pJ/B"},
    "static_power": "0 W",
}


def _arch(**over):
    return cim_arch_22nm(DIGITAL_CIM, **over)


def test_dac_bits_above_one_is_refused_naming_the_field():
    # 4-bit slices made a 4-input-bit op one slice: 4x the TOPS/W of the same cells
    with pytest.raises(ConfigError, match="dac_bits must be 1 on an sram_digital cell"):
        _arch(dac_bits=2)


def test_an_output_width_below_the_column_sum_is_refused_and_the_exact_one_accepted():
    # 256 one-bit products sum to at most 256: ceil(log2(257)) = 9 bits
    for bits in (1, 8):
        with pytest.raises(ConfigError, match=f"adc.bits {bits} on an sram_digital cell is its "
                                              r"column output width, below the exact sum of 256 "
                                              r"rows \(9 bits\)"):
            _arch(**{"adc.bits": bits})
    cim = next(c for c in _arch(**{"adc.bits": 9}).instances if c.name == "cim")
    assert cim.design.bits_lost == 0 and cim.design.lossless_bits == 9
    # Colonnade's mapping: 1 bit a column, the accumulation in the weight's own columns; 128
    # rows carry log2(128) = 7 bits, so a weight needs more than 7 columns (W + 7: 8-bit W, 15)
    _arch(rows=128, weight_bits=15, **{"adc.bits": 1})
    with pytest.raises(ConfigError, match=r"weight_bits / bits_per_cell > 7 columns"):
        _arch(rows=128, weight_bits=7, **{"adc.bits": 1})


@pytest.mark.parametrize("field, value, says", [
    ("cell.compute", "xnor", "cell.compute on an sram_digital cell: it applies to a charge-domain"),
    ("cell.folded_columns", 4, "cell.folded_columns on an sram_digital cell"),
    ("adc.envelope_factor", 4, "adc.envelope_factor on an sram_digital cell: it applies to a converter"),
    ("input_drive", "pulse_count", "input_drive pulse_count on an sram_digital cell"),
    ("rows_per_read", 64, "rows_per_read on an sram_digital cell"),
])
def test_analog_only_knobs_are_refused_in_one_line(field, value, says):
    with pytest.raises(ConfigError) as e:
        _arch(**{field: value})
    assert says in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("cell", ["sram_digital", "sram_dcim"])
def test_signed_inputs_are_refused_on_a_bit_serial_cell(cell):
    """review16-3 W1: signed_inputs dropped the sign slice (an analog pulse-polarity idea): 4
    slices became 3 at the same cell energy, 67.2 -> 89.5 TOPS/W; a bit-serial cell takes the
    two's-complement sign bit as a cycle of its own."""
    over = {"cell.type": cell, "signed_inputs": True}
    if cell == "sram_dcim":
        over["read_latency"] = "1 ns"
    with pytest.raises(ConfigError) as e:
        _arch(**over)
    assert f"signed_inputs on an {cell} cell" in str(e.value) and "\n" not in str(e.value)


def test_an_output_rate_above_what_the_columns_make_is_refused():
    # one output a column and a 1 ns cycle: at most 1 GHz; 10 GHz was accepted with no effect
    with pytest.raises(ConfigError, match="adc.sample_rate: 10 GHz on a digital cell exceeds "
                                          r"what its columns output: 1 column\(s\) a port"):
        _arch(**{"adc.sample_rate": "10 GHz"})
    r = simulate(_arch(**{"adc.sample_rate": "1 GHz"}), gemv_workload(256, 64), engine="analytic")
    assert r.latency_s > 0


def test_a_slower_clock_on_the_bundled_digital_macro_moves_its_output_rate_with_it():
    """review16-3 R1: sram-cim stated its rate as 401.9 MHz = 1 / 2.4881 ns, so any slower
    clock (``--set cim.read_latency=5ns``, ``cimsim sensitivity``'s x1.1) exceeded one output a
    cycle and was refused. With no rate stated a digital cell outputs one column sum a cycle,
    technology block or not: 8 input bits x 5 ns = 40 ns a 256 x 64 GEMV (no fill, an adder
    tree a column)."""
    from cimsim.config import load_architecture

    for cycle in (5e-9, 2.4881e-9 * 1.1):
        a = load_architecture("sram-cim", {"cim.read_latency": f"{cycle * 1e9!r} ns"})
        r = simulate(a, gemv_workload(256, 64), engine="analytic")
        assert r.bound_compute_s == pytest.approx(8 * cycle, rel=1e-12, abs=0)
    # a rate the user states above one output a cycle is still refused
    with pytest.raises(ConfigError, match="adc.sample_rate: 0.4019 GHz on a digital cell exceeds"):
        load_architecture("sram-cim", {"cim.read_latency": "5 ns", "cim.adc.sample_rate": "401.9 MHz"})


@pytest.mark.parametrize("rows, per_register", [(256, 8), (64, 8), (1024, 8), (256, 256)])
def test_a_gemv_pays_the_columns_pipeline_fill(rows, per_register):
    """A column's sum leaves (stages + slices - 1) cycles after its first input bit, stages =
    rows / rows_per_register: 256 rows, a register every 8, 4 input bits, a 1 ns cycle:
    (32 + 4 - 1) x 1 ns = 35 ns, not the 4 ns of the slices alone."""
    sum_bits = rows.bit_length()  # ceil(log2(rows + 1)) for rows a power of two
    a = _arch(rows=rows, **{"cell.rows_per_register": per_register, "adc.bits": sum_bits})
    r = simulate(a, gemv_workload(rows, 64), engine="analytic")
    stages = -(-rows // per_register)
    assert r.bound_compute_s == pytest.approx((stages + 4 - 1) * 1e-9, rel=1e-12, abs=0)


def test_the_cli_refuses_in_one_line():
    # the bundled all-digital macro with 2-bit input slices
    r = CliRunner().invoke(main, ["run", "sram-cim", "lstm", "--set", "cim.dac_bits=2"])
    assert r.exit_code != 0 and "Traceback" not in r.output and r.output.count("\n") == 1
    assert "dac_bits must be 1 on an sram_digital cell" in r.output
