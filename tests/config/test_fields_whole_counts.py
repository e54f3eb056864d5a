"""``cimsim fields`` shows a whole-number value in full where 6 significant digits would round
it: a DRAM timing given as a time is ceil(t / tCK) CK cycles, and 20 ms at DDR5-4800's tCK
416 ps showed as 4.80769e+07 (review find-F #4)."""

from __future__ import annotations

import math

from click.testing import CliRunner

from cimsim.cli import main
from cimsim.config.resolved import show


def test_a_converted_timing_count_is_shown_in_full():
    # 20 ms / 416 ps = 48,076,923.08 -> 48,076,924 CK; 20 ns / 416 ps = 48.08 -> 49 CK
    assert math.ceil(20e-3 / 416e-12) == 48_076_924 and math.ceil(20e-9 / 416e-12) == 49
    res = CliRunner(env={"COLUMNS": "250"}).invoke(main, [
        "fields", "-c", "cpu-ddr5", "--set", "memory.dram.type=dram",
        "--set", "memory.dram.bandwidth=null", "--set", "memory.dram.sustained_fraction=null",
        "--set", "memory.dram.standard=DDR5",
        "--set", 'memory.dram.timings={"n_faw": "20 ms", "n_rcd": "20 ns"}', "memory.dram.timings"])
    assert res.exit_code == 0, res.output
    assert "{n_faw: 48076924, n_rcd: 49}" in res.output


def test_other_floats_keep_six_digits():
    assert show(48076924.0, None) == "48076924"
    assert show(123456.0, None) == "123456"
    assert show(1e12, None) == "1e+12"  # exact in 6 digits: as before
    assert show(0.7, None) == "0.7"
    assert show(1 / 3, None) == "0.333333"
