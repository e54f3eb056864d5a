"""The kernel's few-row path, from the matmul table ``cimsim calibrate`` measures (see
:mod:`cimsim.calibrate`): a matmul of few rows that reads its whole weight once per block of
``p`` rows takes ``ceil(rows / p)`` passes over it (MKL on a Xeon: 3 rows a pass, up to 15
rows; 1 thread, 4 MiB to 1 GiB weights alike, ``benchmarks/rows_past_llc.py``).
"""

from __future__ import annotations

import statistics

#: a table row's time (median over the weights, relative to the fewest rows') matches a count
#: of passes over the weight within this fraction (see fit_rows_per_pass); a scanned row count
#: whose time is below (1 - PASS_TOLERANCE) x the pass model's ran on another path (pass_limit)
PASS_TOLERANCE = 0.15


def ceil_div(a: float, b: int) -> int:
    """ceil(a / b) for a > 0 and a whole b, exactly (no float division)."""
    return -int(-a // b)


def row_time_ratios(grid: dict, rows, sides) -> dict:
    """Per table row r: the median over the weights of the time of ``r`` rows over the time of
    the first row entry (time = rows x side^2 / MAC rate)."""
    r0 = rows[0]
    return {r: statistics.median((r / grid[(r, s)]) / (r0 / grid[(r0, s)]) for s in sides) for r in rows}


def fit_rows_per_pass(ratios: dict, tolerance: float = PASS_TOLERANCE) -> tuple[int, int] | None:
    """``(p, R)``: the kernel reads the weight once per block of ``p`` rows for matmuls of up to
    ``R`` rows, found from the table's times (``ratios``: row -> time over the first row's).

    A count ``p`` fits the rows up to ``R`` when every table row r <= R takes ceil(r / p) /
    ceil(r0 / p) times the first row's time, within ``tolerance``. ``R`` is the largest table row
    with exactly one fitting ``p`` (1 ... R) and at least three table rows up to it (two ratios:
    with rows 1, 2, 4, 8 at 1, 1, 2, 3 times only p = 3 fits). None when no such R: the kernel's
    time does not step with passes over the weight (or the table has too few rows to tell)."""
    rows = sorted(ratios)
    r0 = rows[0]
    for i in range(len(rows) - 1, 1, -1):
        top = rows[i]
        fits = [p for p in range(1, int(top) + 1)
                if all(abs(ratios[r] / (ceil_div(r, p) / ceil_div(r0, p)) - 1) <= tolerance for r in rows[:i + 1])]
        if len(fits) == 1:
            return fits[0], int(top)
    return None


def pass_limit(times: dict, p: int, start: int, tolerance: float = PASS_TOLERANCE,
               per_pass: float | None = None) -> int:
    """The most rows the few-row path runs: scanning ``times`` (rows -> seconds, by one weight,
    from ``start``, the largest table row the passes fit, upward), the row count before the first
    that ran faster than (1 - ``tolerance``) x the pass model; the last scanned row if none did.
    One pass of the model is the fastest per-pass time known on the path: ``per_pass`` (e.g. from
    the table's own entries by the same weight, measured in rounds apart) and the rows scanned
    before. A timing only overshoots, so a disturbed row never looks like a faster path, and the
    fastest is the least disturbed estimate of a pass."""
    per_pass = min(times[start] / ceil_div(start, p), per_pass if per_pass is not None else float("inf"))
    last = start
    for m in sorted(r for r in times if r > start):
        if times[m] < (1 - tolerance) * per_pass * ceil_div(m, p):
            return last
        per_pass = min(per_pass, times[m] / ceil_div(m, p))
        last = m
    return last
