"""The axes of ``cimsim calibrate``'s matmul-efficiency table: the activation rows and the
square weight sides it times (see :mod:`cimsim.calibrate`), with the measurements behind them.
"""

from __future__ import annotations

import itertools
import math

MiB = 1 << 20
#: activation rows of the matmul-efficiency table (``quick``: fewer): every row count up to 16,
#: then 32, 64, 256. Up to ~16 rows a BLAS kernel runs a few-row path whose time steps with its
#: register-tile heights, differently on each library and CPU, so no curve through a few row
#: counts gives the ones between. MKL on a 2-vCPU Xeon (1 thread, 2026-12-03) reads the weight
#: once per 3 rows (4 MiB weight: 7.2, 14.3, 13.8, 19.1 GMAC/s at 1, 2, 4, 8 rows); on a 2-vCPU
#: AMD EPYC (1 thread, 2026-12-04) a 9 MiB weight took 154, 310, 456, 467, 629, 648, 807, 659,
#: 825 us at 1 ... 9 rows: 8 rows faster than 7, odd counts a 1-row pass more, and every count
#: between 1, 2, 4, 8 and 16 slower than the log interpolation of those (5 rows -19 %, 7 rows
#: -25 %), which put every held-out LSTM/GRU of batch 3-14 there 10-28 % fast
GRID_ROWS = (*range(1, 17), 32, 64, 256)
GRID_ROWS_QUICK = (1, 8, 64, 256)
#: the table's largest weight is at least this many times the LLC: where the read sweep reaches
#: its DRAM plateau (the DRAM array is 4x the LLC for the same reason), so the last column is
#: a weight streamed from DRAM, not one that still partly hits the cache
GRID_PAST_LLC = 4
#: its smallest square weight side (1 MiB of fp32); sides double up past the LLC, to at most
#: GRID_MAX_SIDE (1 GiB of fp32: a 256-row matmul by it is 69 GMAC, about a second)
GRID_MIN_SIDE = 512
GRID_MAX_SIDE = 16384
#: from GRID_DENSE_FROM up to GRID_DENSE_UP_TO the table also has a column between each two
#: whole-octave sides, at side x sqrt(2) rounded to a multiple of GRID_SIDE_MULTIPLE (1536 and
#: 2816: 9 and 30.25 MiB), so the weight axis has a column about every doubling of the weight
#: there. A kernel's rate steps where its weight leaves the private caches of the cores that run
#: it, and a log interpolation over a whole octave of side (4x the weight) spreads that step over
#: its neighbours (this Xeon, 2 MiB L2 a core, 2026-12-03 19:24: 4 rows by a square weight ran
#: 14.7, 14.3, 14.5 GMAC/s at 4, 8, 16 MiB with 1 thread, and 49.7, 27.3, 28.2 with 2 threads,
#: whose two L2s hold a 4 MiB weight's halves; a 9 MiB weight, which ran 24.8 GMAC/s, took 4 and
#: 16 MiB's log-mean, 38). The multiple is 256 because MKL's few-row kernel with 2 threads runs
#: a weight with a side that is a multiple of 256 at another rate than its neighbours (19:48:
#: 8 rows by squares of side 1280 ... 3072 ran 36-40 GMAC/s at multiples of 256, 41-45
#: between; 12 rows 40-46 against 56-60; 4 rows 27-30 against 23-25; either side a multiple of
#: 256 is enough): the whole-octave sides from 1024 up are such multiples, and so is an LSTM's
#: 4H for any H a multiple of 64, so the columns between are too, and the table stays one kind.
#: None below 4 MiB: the one multiple of 256 between 512 and 1024, 768, runs with 2 threads on
#: the fast path of the smallest squares (100-134 GMAC/s at 8-12 rows, like 512, against 55-82
#: for the sides around it), and a column there made three held-out GRUs of other sides 9-20
#: points worse (benchmarks/host_calibration_ab.py, 19:52 UTC).
GRID_DENSE_FROM = 4 * MiB
GRID_DENSE_UP_TO = 64 * MiB
GRID_SIDE_MULTIPLE = 256


def grid_sides(llc: float) -> list[int]:
    """The square weight sides of the matmul-efficiency table for an LLC of ``llc`` bytes,
    ascending: GRID_MIN_SIDE doubling until the weight (4 side^2 bytes) reaches GRID_PAST_LLC x
    the LLC and 64 MiB (or GRID_MAX_SIDE), and between each two of those from GRID_DENSE_FROM
    up to GRID_DENSE_UP_TO the side x sqrt(2), rounded to a multiple of GRID_SIDE_MULTIPLE."""
    whole = [GRID_MIN_SIDE]
    while 4 * whole[-1] ** 2 < max(GRID_PAST_LLC * llc, 64 * MiB) and whole[-1] < GRID_MAX_SIDE:
        whole.append(2 * whole[-1])
    mids = [GRID_SIDE_MULTIPLE * round(a * math.sqrt(2) / GRID_SIDE_MULTIPLE)
            for a, b in itertools.pairwise(whole) if 4 * a * a >= GRID_DENSE_FROM and 4 * b * b <= GRID_DENSE_UP_TO]
    return sorted(whole + mids)
