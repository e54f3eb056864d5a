"""The matmul table's roofline check (find-C 1): a column whose many-row entries run far under
min(peak, rows x DRAM bandwidth / 4 B) is timed again, and noted when it stays there."""

from __future__ import annotations

import pytest

from cimsim.calibrate.roofline import ROOFLINE_FLOOR, retime_slow_columns, roofline, slow_columns

G = 1e9
ROWS = [1, 32, 256]
S4, S9 = 1024, 1536  # 4 MiB and 9 MiB fp32 squares


def _grid():
    """find-C's host.yaml (2-vCPU EPYC, 1 thread): the 4 MiB column 15.73 / 16.88 GMAC/s at
    32 / 256 rows, the 9 MiB one 4.81 / 7.28 (timed again: 13.7-15.3 / 16.7)."""
    return {(1, S4): 7.81 * G, (32, S4): 15.73 * G, (256, S4): 16.88 * G,
            (1, S9): 3.02 * G, (32, S9): 4.81 * G, (256, S9): 7.28 * G}


def test_roofline_is_the_peak_or_the_weight_stream():
    # 32 rows x 12.8 GB/s / 4 B = 102.4 GMAC/s > 17.09 peak; 1 row: 12.8 / 4 = 3.2 GMAC/s
    assert roofline(32, 17.09 * G, 12.8 * G) == pytest.approx(17.09 * G, rel=1e-6, abs=0)
    assert roofline(1, 17.09 * G, 12.8 * G) == pytest.approx(3.2 * G, rel=1e-6, abs=0)


def test_a_column_far_under_the_roofline_is_flagged_at_its_many_rows():
    # floor 0.6 x 17.09 = 10.254 GMAC/s at 32 and 256 rows: 4.81 and 7.28 under, 15.73 and 16.88 over;
    # 1 row is not checked (a few-row path's rate is the kernel's, not the roofline's)
    assert ROOFLINE_FLOOR == 0.6
    assert slow_columns(_grid(), ROWS, [S4, S9], 17.09 * G, 12.8 * G) == {S9: [32, 256]}
    # at 0.5 GB/s of DRAM the 32-row roofline is 32 x 0.5 / 4 = 4 GMAC/s (floor 2.4): only 256
    # rows (floor min(17.09, 32) x 0.6 = 10.254) is under
    assert slow_columns(_grid(), ROWS, [S4, S9], 17.09 * G, 0.5 * G) == {S9: [256]}


def test_a_disturbed_column_is_timed_again_and_the_faster_kept():
    grid, said, notes, timed = _grid(), [], [], []
    again = {(1, S9): 2.9 * G, (32, S9): 14.1 * G, (256, S9): 16.7 * G}  # undisturbed

    def rate_once(r, side):
        timed.append((r, side))
        return again[(r, side)]

    retime_slow_columns(grid, ROWS, [S4, S9], 5.65 * G, 12.8 * G, rate_once, said.append, notes)
    assert timed == [(1, S9), (32, S9), (256, S9)]  # the whole column, once
    assert grid[(1, S9)] == 3.02 * G and grid[(32, S9)] == 14.1 * G and grid[(256, S9)] == 16.7 * G
    assert notes == [] and len(said) == 1 and "9 MiB weight's column ran 32 rows 4.81, 256 rows 7.28" in said[0]


def test_a_column_slow_in_every_timing_is_noted():
    grid, said, notes, timed = _grid(), [], [], []

    def rate_once(r, side):
        timed.append((r, side))
        return 1.0 * G  # slower still: the first timing's rates are kept

    retime_slow_columns(grid, ROWS, [S4, S9], 5.65 * G, 12.8 * G, rate_once, said.append, notes)
    assert len(timed) == 2 * len(ROWS) and grid[(32, S9)] == 4.81 * G
    assert len(notes) == 1 and "in 3 timings" in notes[0] and "calibrate again" in notes[0]
    # the floors in the note: 0.6 x 16.88 (the table's fastest entry, above the square mm's 5.65) = 10.1
    assert "peak 16.88 GMAC/s" in notes[0] and "= 10.1, 10.1" in notes[0]


def test_the_summary_line_prints_the_peak_the_config_uses_and_warns_of_notes():
    from types import SimpleNamespace

    from cimsim.commands.calibrate import summary_line

    cal = SimpleNamespace(dram_read_bps=12.8e9, llc_capacity_bytes=4 * 2**20, llc_bps=40e9,
                          fp32_peak=17.09e9, matmul_n={"fp32": 512}, matmul_macs_per_s={"fp32": 5.65e9},
                          op_overhead_s=3.49e-6, seconds=500, notes=["x"])
    line = summary_line("host.yaml", cal)
    assert "fp32 peak 17.1 GMAC/s (square mm n=512: 5.65 GMAC/s)" in line
    assert line.endswith("warning: 1 note(s) below, check them before using the config")
    assert "warning" not in summary_line("host.yaml", SimpleNamespace(**{**vars(cal), "notes": []}))
