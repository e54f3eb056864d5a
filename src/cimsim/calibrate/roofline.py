"""The roofline check of ``cimsim calibrate``'s matmul-efficiency table: a column (one weight)
whose many-row entries run far below what the table itself and the DRAM bandwidth allow.

At ``r`` rows a call reads the ``side`` x ``side`` fp32 weight at least once (4 B a weight
element, ``r`` MACs each), so from DRAM it can run ``r x DRAM bandwidth / 4 B`` MAC/s, and no
faster than the table's peak. From :data:`ROOFLINE_FROM_ROWS` rows a BLAS runs its blocked path,
which reads the weight once per block of rows, so an undisturbed entry reaches a good part of
``min(peak, r x bandwidth / 4)``. The case behind it (find-C 1, a 2-vCPU EPYC, 1 thread, load
3-5): a 9 MiB column at 7.28 GMAC/s for 256 rows and 4.81 for 32, a 16 MiB one at 7.69 / 5.10,
next to 16.8 at 256 rows by the 4 MiB weight, a 17.09 GMAC/s peak and 12.8 GB/s of DRAM
(roofline at 32 rows: min(17.09, 32 x 12.8 / 4 = 102) = 17.09); timed again directly the same
shapes ran 16.7 (256 rows) and 13.7-15.3 (32 rows, 9 MiB) GMAC/s, and a calibration 9 minutes
later gave 16.4 / 13.3. Every weight read from DRAM takes the first column past the LLC
(``cold_from``), so that one disturbed column priced a whole MLP 2.7x too slow.
"""

from __future__ import annotations

#: the table rows checked against the roofline: the blocked path, weight read once per block
ROOFLINE_FROM_ROWS = 32
#: an entry under this fraction of ``min(peak, rows x DRAM bandwidth / 4 B)`` is disturbed (an
#: undisturbed 2-vCPU EPYC: 0.69-0.71 at 32 rows by 9-16 MiB weights, 0.96 at 256 rows)
ROOFLINE_FLOOR = 0.6
#: bytes a weight element (the table is fp32)
WEIGHT_BYTES = 4


def roofline(rows: int, peak: float, dram_bps: float) -> float:
    """MAC/s a call of ``rows`` rows can reach when its weight streams from DRAM once."""
    return min(peak, rows * dram_bps / WEIGHT_BYTES)


def slow_columns(grid: dict, rows, sides, peak: float, dram_bps: float,
                 floor: float = ROOFLINE_FLOOR) -> dict[int, list[int]]:
    """``{side: [rows, ...]}``: the columns with an entry of at least :data:`ROOFLINE_FROM_ROWS`
    rows under ``floor`` x :func:`roofline` (MAC/s in ``grid[(rows, side)]``), and those rows."""
    out = {}
    for side in sides:
        low = [r for r in rows if r >= ROOFLINE_FROM_ROWS
               and grid[(r, side)] < floor * roofline(r, peak, dram_bps)]
        if low:
            out[side] = low
    return out


def describe(grid: dict, side: int, low, peak: float, dram_bps: float) -> str:
    """One phrase naming a slow column's entries and their floors, for a note or a log line."""
    mib = 4 * side * side / (1 << 20)
    return (f"the {mib:.4g} MiB weight's column ran "
            + ", ".join(f"{r} rows {grid[(r, side)] / 1e9:.3g}" for r in low)
            + f" GMAC/s, under {ROOFLINE_FLOOR:.0%} of min(peak {peak / 1e9:.4g} GMAC/s, rows x "
            f"DRAM {dram_bps / 1e9:.3g} GB/s / {WEIGHT_BYTES} B) = "
            + ", ".join(f"{ROOFLINE_FLOOR * roofline(r, peak, dram_bps) / 1e9:.3g}" for r in low))


#: timings of a slow column in all (its first, then the column again while it stays slow)
COLUMN_TIMINGS = 3


def retime_slow_columns(grid: dict, rows, sides, mm_peak: float, dram_bps: float, rate_once, say,
                        notes: list[str]) -> None:
    """Every entry of each :func:`slow_columns` column timed again by ``rate_once(rows, side)``
    (MAC/s), the faster of old and new kept, while the column stays slow, up to
    :data:`COLUMN_TIMINGS` timings in all; a column still slow then gets a note (the peak: the
    fastest of ``mm_peak`` and the table, as the config's)."""
    for timing in range(1, COLUMN_TIMINGS + 1):
        peak = max(mm_peak, *grid.values())
        if not (slow := slow_columns(grid, rows, sides, peak, dram_bps)):
            return
        for side, low in slow.items():
            if timing == COLUMN_TIMINGS:
                notes.append(f"{describe(grid, side, low, peak, dram_bps)} in {COLUMN_TIMINGS} timings: other "
                             "jobs were disturbing it, and matmuls by weights of its size (past the LLC: "
                             "every weight read from DRAM, mac_efficiency.cold_from) are predicted too "
                             "slow; calibrate again on a quieter machine")
                continue
            say(f"  {describe(grid, side, low, peak, dram_bps)} (other jobs?): the column again")
            for r in rows:
                grid[(r, side)] = max(grid[(r, side)], rate_once(r, side))
