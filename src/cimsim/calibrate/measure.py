"""The kernels timed and the measurement plan of ``cimsim calibrate`` (see :mod:`cimsim.calibrate`).

:class:`Backend` holds the kernels (torch's when importable, else NumPy's); :func:`measure`
runs the plan and returns a :class:`Calibration` (SI units). Each value is held to its
plausible range (:mod:`.plausible`): measured again, at most :data:`TRIES` times in all,
while it falls outside, then refused with one line naming the value, what was measured
and the range.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..errors import CimsimError
from . import plausible as P
from .grid import (GRID_DENSE_FROM, GRID_DENSE_UP_TO, GRID_MAX_SIDE, GRID_MIN_SIDE, GRID_PAST_LLC,  # noqa: F401
                   GRID_ROWS, GRID_ROWS_QUICK, GRID_SIDE_MULTIPLE, grid_sides)
from .roofline import retime_slow_columns
from .rowlength import ROW_LENGTH_ROWS, fit_exponent, row_length_side
from .rowlength import shapes as row_shapes
from .fewrows import PASS_TOLERANCE, ceil_div, fit_rows_per_pass, pass_limit, row_time_ratios
from .probe import cpu_clock_hz, cpu_flags, cpu_model, dram_capacity_bytes, max_clock_hz, sysfs_caches
from .sweep import cache_plateau, find_knee, read_sweep_sizes, reuse_capacity
from .timing import CALIBRATION, DEFAULT, Timing

MiB = 1 << 20
#: rows of a GEMV (BLAS streams the weight once for the one row)
GEMV_ROWS = 1
#: interleaved rounds over all the matmul-efficiency entries (each entry's fastest call over
#: all rounds): another process's load (a neighbour's memory traffic slows a DRAM-bound matmul
#: for seconds) spoils one round of an entry, not the entry
GRID_ROUNDS = 2
#: a GEMV whose DRAM rate is within this factor of one thread's read bandwidth draws one stream
SINGLE_STREAM_TOLERANCE = 1.15
#: measurements of one value at most, while it falls outside its plausible range
TRIES = 3
#: elements of the vector-rate benchmark (256 KiB in and out: cache resident)
VECTOR_ELEMENTS = 64 * 1024


class ImplausibleMeasurement(CimsimError):
    """A measured value stayed outside its plausible range in every try."""


class Backend:
    """The kernels timed: torch's when importable, else NumPy's."""

    def __init__(self, prefer_torch: bool = True, threads: int | None = None):
        self.torch = None
        self._threads = threads
        if prefer_torch:
            try:
                import torch

                self.torch = torch
            except ImportError:
                pass
        if self.torch is not None and threads:
            self.torch.set_num_threads(threads)

    @property
    def name(self) -> str:
        if self.torch is not None:
            return f"torch {self.torch.__version__} ({self.torch.get_num_threads()} threads)"
        return f"numpy {np.__version__}"

    @property
    def threads(self) -> int:
        if self.torch is not None:
            return self.torch.get_num_threads()
        return self._threads or os.cpu_count() or 1

    def empty(self, n: int, dtype: str = "fp32"):
        if self.torch is not None:
            dt = {"fp32": self.torch.float32, "bf16": self.torch.bfloat16}[dtype]
            return self.torch.rand(n, dtype=self.torch.float32).to(dt)
        return np.random.default_rng(0).random(n, dtype=np.float32)

    def ones(self, n: int):
        """``n`` fp32 ones: an array to read or stream (sum and triad run at the same rate on any
        values), filled ~3.5x faster than :meth:`empty`'s random ones (1 GiB: 0.8 vs 2.9 s)."""
        if self.torch is not None:
            return self.torch.ones(n, dtype=self.torch.float32)
        return np.ones(n, dtype=np.float32)

    def read(self, a):
        return a.sum()

    def triad(self, a, b, c):
        if self.torch is not None:
            self.torch.add(b, c, alpha=3.0, out=a)
        else:
            np.multiply(c, np.float32(3.0), out=a)
            np.add(a, b, out=a)

    def dtypes(self) -> list[str]:
        return ["fp32", "bf16"] if self.torch is not None else ["fp32"]

    def matrix(self, n: int, dtype: str):
        return self.empty(n * n, dtype).reshape(n, n)

    def linear(self, x, w, out):
        """``out = x @ w.T`` (the layout of ``F.linear``: the weight stored out x in)."""
        if self.torch is not None:
            self.torch.mm(x, w.t(), out=out)
        else:
            np.matmul(x, w.T, out=out)

    def mm(self, a, b, out):
        if self.torch is not None:
            self.torch.mm(a, b, out=out)
        else:
            np.matmul(a, b, out=out)

    def sigmoid(self, a, out):
        if self.torch is not None:
            self.torch.sigmoid(a, out=out)
        else:
            np.negative(a, out=out)
            np.exp(out, out=out)
            out += 1.0
            np.reciprocal(out, out=out)

    def add(self, a, b, out):
        if self.torch is not None:
            self.torch.add(a, b, out=out)
        else:
            np.add(a, b, out=out)


@dataclass
class Calibration:
    """What was measured (SI units) and how."""

    date: str
    host: str
    backend: str
    threads: int
    clock_hz: float
    clock_source: str
    dram_read_bps: float
    dram_triad_bps: float
    dram_array_bytes: int
    llc_sysfs_bytes: int | None
    llc_knee_bytes: float
    llc_bytes: float
    llc_bps: float
    sweep: list[tuple[int, float]]  # (working set B, read B/s)
    matmul_macs_per_s: dict[str, float]
    matmul_n: dict[str, int]
    grid_rows: tuple[int, ...]  # activation rows of the matmul-efficiency table
    grid_sides: tuple[int, ...]  # square weight sides (n x n fp32) of the table
    grid_macs_per_s: dict[tuple[int, int], float]  # (rows, side) -> fp32 MAC/s less overhead
    vector_ops_per_s: float
    add_overhead_s: float
    mm_overhead_s: float
    dram_capacity_bytes: float | None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    #: the read (sum) of the DRAM array with one thread (a single stream), when ``threads`` > 1
    dram_read_1thread_bps: float | None = None
    #: the kernel's few-row path (see :func:`fit_rows_per_pass`): rows one pass over the weight
    #: serves, the most rows it runs, and how each was found (for the config's comments)
    rows_per_pass: int | None = None
    pass_max_rows: int | None = None
    pass_fit: str = ""
    pass_scan: str = ""
    #: a weight's rate past the LLC against its row length (:mod:`.rowlength`), and how
    row_length_exponent: float | None = None
    row_length_how: str = ""
    #: the largest working set a repeated read keeps at the cache's speed (:func:`.sweep.reuse_capacity`)
    llc_reuse_bytes: float | None = None

    @property
    def llc_capacity_bytes(self) -> float:
        """The LLC capacity the config states: the LLC's size, or less where a repeated read keeps
        less of it at the cache's speed (``llc_reuse_bytes``)."""
        return min(self.llc_bytes, self.llc_reuse_bytes) if self.llc_reuse_bytes else self.llc_bytes

    @property
    def gemv_dram_bps(self) -> float:
        """Weight bytes/s of the 1-row matmul by the table's largest (DRAM-resident) weight."""
        side = self.grid_sides[-1]
        return 4.0 * self.grid_macs_per_s[(self.grid_rows[0], side)]

    @property
    def gemv_single_stream(self) -> bool:
        """The GEMV over a DRAM weight, timed with all threads, draws no more than one thread's
        read bandwidth (within :data:`SINGLE_STREAM_TOLERANCE`): it runs as one stream."""
        return (self.threads > 1 and self.dram_read_1thread_bps is not None
                and self.grid_rows[0] <= GEMV_ROWS
                and self.gemv_dram_bps <= SINGLE_STREAM_TOLERANCE * self.dram_read_1thread_bps)

    @property
    def op_overhead_s(self) -> float:
        return 0.5 * (self.add_overhead_s + self.mm_overhead_s)

    @property
    def fp32_peak(self) -> float:
        """Peak fp32 MAC/s: the fastest of the square mm and the row-shaped addmm."""
        return max(self.matmul_macs_per_s["fp32"], *self.grid_macs_per_s.values())

    def peak_of(self, dtype: str) -> float:
        return self.fp32_peak if dtype == "fp32" else self.matmul_macs_per_s[dtype]


# --------------------------------------------------------------------------- kernels
def _row_length(be, timing, llc: float, sides, min_time: float, say) -> tuple[float, str]:
    """``mac_efficiency.row_length_exponent`` (:mod:`.rowlength`): one square weight past the
    LLC and its two rectangles, at :data:`.rowlength.ROW_LENGTH_ROWS` rows, in interleaved rounds."""
    side = row_length_side(llc, sides)
    entries = {}
    for kind, (n, k) in row_shapes(side).items():
        w = be.empty(n * k).reshape(n, k)
        for r in ROW_LENGTH_ROWS:
            x, y = be.empty(r * k).reshape(r, k), be.empty(r * n).reshape(r, n)
            entries[(kind, r)] = lambda x=x, w=w, y=y: be.linear(x, w, y)
    how = []

    def once() -> float:
        a, text = fit_exponent(timing.time_rounds(entries, rounds=3, min_time=min_time, min_reps=3))
        how[:] = [f"the {4 * side * side / MiB:.4g} MiB square as N = 4K and N = K/4: {text}"]
        return a

    a = until_plausible("processor.mac_efficiency.row_length_exponent", "the rate of a weight past the "
                        "LLC against its row length", once, P.row_length_exponent(), log=say)
    say(f"row length past the LLC: rate ~ row bytes ** {a:.3g} ({how[0]})")
    return a, how[0]


def read_bandwidth(be: Backend, nbytes: int, min_time: float, timing: Timing = DEFAULT) -> float:
    a = be.ones(max(1, nbytes // 4))
    t = timing.time(lambda: be.read(a), min_time=min_time)
    return (a.nbytes if hasattr(a, "nbytes") else a.numel() * 4) / t


def triad_bandwidth(be: Backend, nbytes: int, min_time: float, timing: Timing = DEFAULT) -> float:
    n = max(1, nbytes // 4)
    a, b, c = be.ones(n), be.ones(n), be.ones(n)
    t = timing.time(lambda: be.triad(a, b, c), min_time=min_time)
    return 3 * 4 * n / t


def vector_ops_per_s(be: Backend, min_time: float, timing: Timing = DEFAULT) -> float:
    """``sigmoid`` over :data:`VECTOR_ELEMENTS` cache-resident elements: elements/s x 4, the
    ops per sigmoid element the workload IR counts (:data:`cimsim.workload.ir.ELEMENTWISE_OPS_PER_ELEMENT`)."""
    x, y = be.empty(VECTOR_ELEMENTS), be.empty(VECTOR_ELEMENTS)
    return 4 * VECTOR_ELEMENTS / timing.time(lambda: be.sigmoid(x, y), min_time=min_time)


def slower_than_fewer_rows(grid: dict, rows, side: int, tolerance: float = 0.8,
                           path_ends: int | None = None) -> list[int]:
    """Row counts ``r`` whose time by the ``side`` x ``side`` weight is over 1 / ``tolerance``
    x that of ``ceil(r / q)`` calls of some fewer rows ``q``. On an undisturbed machine that does
    not happen on one kernel path: a matmul of ``r`` rows can always run as ``ceil(r / q)`` calls
    of ``q`` rows (the last one padded). Where ``q`` divides ``r`` this is a MAC rate below
    ``tolerance`` x ``q`` rows' rate; between (7 rows after 4) it allows what kernels do, a few
    rows more costing a pass more (a 2-vCPU EPYC's MKL: 7 rows by a 9 MiB weight in 807 us, 8 in
    659, 4 in 467). ``path_ends``: the last table row of the kernel's few-row path (see
    :func:`fit_rows_per_pass`); rows above it are compared with rows above it only (the blocked
    path may run a cache-resident weight slower than the pass path did)."""
    out, seen = [], []
    for r in rows:
        if path_ends is not None and r > path_ends and all(q <= path_ends for q in rows if q < r):
            seen = []  # the first row of the other path
        t = r / grid[(r, side)]  # time, in units of side^2 MACs
        if any(t * tolerance > -(-r // q) * q / grid[(q, side)] for q in seen):
            out.append(r)
        seen.append(r)
    return out


# --------------------------------------------------------------------------- plausibility
def until_plausible(name: str, what: str, once: Callable[[], float], rng: P.Range, *,
                    tries: int = TRIES, log=None) -> float:
    """``once()`` (a measurement), repeated while its value is outside ``rng``, ``tries``
    times at most; the first plausible value, else :class:`ImplausibleMeasurement`."""
    say = log or (lambda msg: None)
    for i in range(1, tries + 1):
        value = once()
        issue = P.problem(name, what, value, rng)
        if issue is None:
            return value
        if i < tries:
            say(f"  {name} measured {rng.show(value)}, outside {rng.lo / rng.scale:.3g} to "
                f"{rng.hi / rng.scale:.3g} {rng.unit} (other jobs?): again")
    raise ImplausibleMeasurement(f"calibration refused: {issue} in {tries} tries; other jobs were "
                                 "loading the machine? Rerun on a quieter machine (or with --threads 1)")


def host_limits(threads: int, clock_hz: float) -> P.Host:
    """The :class:`.plausible.Host` of this machine timed with ``threads`` threads."""
    return P.Host(cores=threads, clock_hz=clock_hz, max_clock_hz=max_clock_hz(), flags=cpu_flags())


# --------------------------------------------------------------------------- the plan
def measure(quick: bool = False, prefer_torch: bool = True, log=None, threads: int | None = None,
            timing: Timing = CALIBRATION, host: P.Host | None = None) -> Calibration:
    """Run every microbenchmark (about a minute; ``quick``: a few seconds, coarser) with
    ``threads`` torch threads (default: torch's setting, which stays changed), timed by
    ``timing`` (default: the median of repeated calls, :data:`.timing.CALIBRATION_STATISTIC`);
    every value is held to its plausible range for ``host`` (default: this machine's cores,
    clock and flags)."""
    say = log or (lambda msg: None)
    t_start = time.perf_counter()
    be = Backend(prefer_torch, threads)
    clock, clock_src = cpu_clock_hz()
    notes = []
    if clock is None:
        clock, clock_src = 1e9, "unknown: 1 GHz assumed, so per-cycle rates are per-ns rates"
        notes.append("no clock found in /proc/cpuinfo or cpufreq: 1 GHz assumed")
    limits = host or host_limits(be.threads, clock)
    caches = sysfs_caches()
    llc_sysfs = caches[-1]["size"] if caches and caches[-1]["level"] >= 2 else None
    inner = (caches[-2]["size"] if len(caches) >= 2 else 256 * 1024) * be.threads
    llc_guess = llc_sysfs or 32 * MiB
    min_time = 0.02 if quick else 0.15

    def timed(fn, **kw):
        return timing.time(fn, **kw)

    sizes = read_sweep_sizes(llc_guess, quick)  # the last: max(4x the LLC, 128 MiB), from DRAM
    dram_bytes = sizes[-1]
    say(f"read bandwidth ({be.name}) at {len(sizes)} working sets, {sizes[0] // 1024} KiB to "
        f"{sizes[-1] / MiB:.0f} MiB")
    # rounds over all sizes, the fastest round per size: a burst of load from other processes
    # then spoils one round of a size, not all its samples. ``best``: the timing's statistic (the
    # bandwidths); ``fastest``: each size's fastest call, where the knee is looked for: the
    # cache's capacity is the hardware's, and a burst of other jobs' traffic over a few sizes
    # moves a median sweep's knee (a --quick median sweep on the EPYC VM put it at 8 MiB of 32)
    arrays = {s: be.ones(max(1, s // 4)) for s in sizes}
    best = {s: 0.0 for s in sizes}
    fastest = {s: 0.0 for s in sizes}

    def rounds(n: int) -> None:
        for _ in range(n):
            for s in sizes:  # after arrays.clear() (the late round), each array made in turn
                a = arrays[s] if s in arrays else be.ones(max(1, s // 4))
                ts = timing.samples(lambda a=a: be.read(a), min_time=min_time / 8, min_reps=5)
                best[s] = max(best[s], 4 * (s // 4) / timing.of(ts))
                fastest[s] = max(fastest[s], 4 * (s // 4) / min(ts))

    def knee_and_plateau() -> tuple[float, float]:
        """The knee of the fastest calls' sweep, and the cache plateau of the statistic's up to it."""
        knee = find_knee([(s, fastest[s]) for s in sizes], inner, fastest[dram_bytes])[0]
        return knee, cache_plateau([(s, best[s]) for s in sizes], inner, knee)

    rounds(2 if quick else 3)
    what = f"read (sum) of a {dram_bytes / MiB:.0f} MiB array"
    first = [True]

    def dram_read_once() -> float:
        if not first[0]:
            rounds(1)
        first[0] = False
        return best[dram_bytes]

    dram_read = until_plausible("memory.dram.bandwidth", what, dram_read_once, P.dram_bandwidth(), log=say)
    for _ in range(3):  # a sweep disturbed throughout can show no cache faster than DRAM
        knee, llc_bw = knee_and_plateau()
        if llc_bw > 1.1 * best[dram_bytes]:
            break
        say("no cache plateau above the DRAM bandwidth yet (other jobs?): another round")
        rounds(1)
    else:
        knee, llc_bw = knee_and_plateau()
        notes.append("the read sweep found no cache plateau 10 % above the DRAM bandwidth in 3 extra "
                     "rounds (other jobs were loading the machine?): rerun on a quieter machine")
    dram_read = best[dram_bytes]
    dram_1thread = None

    def read_1thread(a) -> float:
        """The read of the DRAM array ``a`` with one thread (a single stream), plausible."""
        n_all = be.torch.get_num_threads()
        be.torch.set_num_threads(1)
        try:
            return until_plausible(
                "processor.single_stream_bandwidth", f"read (sum) of a {dram_bytes / MiB:.0f} MiB array, 1 thread",
                lambda: 4 * (dram_bytes // 4) / timed(lambda: be.read(a), min_time=min_time, min_reps=5),
                P.dram_bandwidth(), log=say)
        finally:
            be.torch.set_num_threads(n_all)

    one_stream = be.threads > 1 and be.torch is not None  # single stream vs all threads' streams
    if one_stream:
        dram_1thread = read_1thread(arrays[dram_bytes])
        say(f"DRAM read: {dram_read / 1e9:.3g} GB/s with {be.threads} threads, {dram_1thread / 1e9:.3g} GB/s with 1")
    arrays.clear()  # free the sweep's arrays before the triad
    say(f"triad over 3 x {dram_bytes / MiB:.0f} MiB")
    dram_triad = until_plausible("DRAM triad bandwidth", f"a = b + 3c over 3 x {dram_bytes / MiB:.0f} MiB",
                                 lambda: triad_bandwidth(be, dram_bytes, min_time, timing),
                                 P.dram_bandwidth(), log=say)

    def llc_of(knee: float) -> float:
        """The kernel-reported LLC size when the measured knee agrees within 2x, else the knee."""
        return float(llc_sysfs) if llc_sysfs and knee / 2 <= llc_sysfs <= knee * 2 else float(knee)

    llc = llc_of(knee)

    macs, ns = {}, {}
    for dt in be.dtypes():
        n = 128  # doubled while one call takes under 20 ms (up to 1024; 256 when quick)
        while True:
            a, b, c = be.matrix(n, dt), be.matrix(n, dt), be.matrix(n, dt)
            t = timed(lambda: be.mm(a, b, c), min_time=min_time, min_reps=8)
            if t > 0.02 or n >= (256 if quick else 1024):
                break
            n *= 2
        first_rate = [n ** 3 / t]

        def mm_once(a=a, b=b, c=c, n=n) -> float:
            if first_rate:
                return first_rate.pop()
            return n ** 3 / timed(lambda: be.mm(a, b, c), min_time=min_time, min_reps=8)

        macs[dt] = until_plausible(f"processor.macs_per_cycle_per_core.{dt}", f"square {dt} mm n={n}",
                                   mm_once, P.matmul_rate(limits, dt), log=say)
        ns[dt] = n
        say(f"matmul {dt} n={n}: {macs[dt] / 1e9:.3g} GMAC/s")

    one = [be.empty(1) for _ in range(3)]
    add_s = until_plausible(
        "processor.op_overhead", "a one-element add, batches of 200",
        lambda: timing.time_batched(lambda: be.add(one[0], one[1], one[2]), inner=200, min_time=min_time),
        P.op_overhead(), log=say)
    m1 = [be.matrix(1, "fp32") for _ in range(3)]
    mm_s = until_plausible(
        "processor.op_overhead", "a 1x1 mm, batches of 200",
        lambda: timing.time_batched(lambda: be.mm(m1[0], m1[1], m1[2]), inner=200, min_time=min_time),
        P.op_overhead(), log=say)
    overhead = 0.5 * (add_s + mm_s)

    grid_rows = GRID_ROWS_QUICK if quick else GRID_ROWS

    sides = grid_sides(llc)
    grid = {}
    # all the table's weights at once for the rounds (1 + 4 + ... + 256 MiB = 341 MiB with a
    # 64 MiB knee; 1.3 GiB when the table reaches 1 GiB)
    weights, xs = {}, {}

    def call(r: int, side: int):
        x, y = xs[(r, side)]
        return lambda: be.linear(x, weights[side], y)

    def rate_once(r: int, side: int) -> float:
        t = timed(call(r, side), min_time=min_time, min_reps=3 if quick else 5)
        return r * side * side / max(t - overhead, 1e-9)

    def rate(r: int, side: int) -> float:
        return until_plausible("processor.mac_efficiency", f"fp32 x @ W.T, {r} rows by a {side} x {side} weight",
                               lambda: rate_once(r, side), P.matmul_rows_rate(limits, r), log=say)

    def measure_columns(cols: list[int]) -> None:
        """The table's entries of the weights ``cols``, in interleaved rounds (side by side, rows
        within a side: a weight is warm for its next rows), each entry's fastest call over the
        rounds; then each held to its plausible range and measured again alone while it is not."""
        for side in cols:
            weights[side] = be.empty(side * side).reshape(side, side)
            xs.update({(r, side): (be.empty(r * side).reshape(r, side), be.empty(r * side).reshape(r, side))
                       for r in grid_rows})
        n_rounds = 1 if quick else GRID_ROUNDS
        say(f"matmul fp32 x @ W.T: {len(grid_rows)} rows x {len(cols)} weights, {n_rounds} interleaved round(s)")
        entries = {(r, side): call(r, side) for side in cols for r in grid_rows}
        times = timing.time_rounds(entries, rounds=n_rounds, min_time=min_time, min_reps=3 if quick else 5)
        for (r, side), t in times.items():
            first = [r * side * side / max(t - overhead, 1e-9)]
            grid[(r, side)] = until_plausible(
                "processor.mac_efficiency", f"fp32 x @ W.T, {r} rows by a {side} x {side} weight",
                lambda first=first, r=r, side=side: first.pop() if first else rate_once(r, side),
                P.matmul_rows_rate(limits, r), log=say)

    measure_columns(sides)
    if not quick:
        # the read sweep once more, the fastest round kept: a whole table after its first rounds, so load
        # from other jobs that lasted through those (tens of seconds: a knee of 5.7 MiB and half
        # the DRAM bandwidth in a 2-thread calibration, 2026-12-03 14:38) spoils one round, not
        # the sizes; if the LLC it then gives needs larger weights, the table gains them
        say("read bandwidth again, a table later (fastest round kept)")
        rounds(1)
        knee, llc_bw = knee_and_plateau()
        dram_read, llc = best[dram_bytes], llc_of(knee)
        if one_stream:
            dram_1thread = max(dram_1thread, read_1thread(be.ones(max(1, dram_bytes // 4))))
        if more := [s for s in grid_sides(llc) if s not in sides]:
            measure_columns(more)
            sides = sorted(sides + more)
    sweep = [(s, best[s]) for s in sizes]
    reuse = reuse_capacity([(s, fastest[s]) for s in sizes], inner)
    if llc != llc_sysfs and llc_sysfs:
        notes.append(f"the measured knee ({knee / MiB:.3g} MiB) disagrees with the kernel's "
                     f"LLC size ({llc_sysfs / MiB:.3g} MiB) by more than 2x: the knee is used")
    if 4 * sides[-1] ** 2 < GRID_PAST_LLC * llc:
        notes.append(f"the matmul-efficiency table stops at a {4 * sides[-1] ** 2 / MiB:.0f} MiB weight, "
                     f"less than {GRID_PAST_LLC}x the LLC: weights beyond it take its last column")
    # a column far under the roofline at its many rows was timed while other jobs ran (find-C 1)
    retime_slow_columns(grid, grid_rows, sides, macs["fp32"], dram_read, rate_once, say, notes)
    # the few-row path as the first round sees it: rows past it run on another kernel path
    first_fit = None if quick else fit_rows_per_pass(row_time_ratios(grid, grid_rows, sides))
    path_ends = first_fit[1] if first_fit else None
    for side in sides:
        for _ in range(3):  # more rows by the same weight never run fewer MAC/s on a quiet machine
            slow = slower_than_fewer_rows(grid, grid_rows, side, path_ends=path_ends)
            if not slow:
                break
            say(f"  {', '.join(map(str, slow))} rows ran fewer MAC/s than fewer rows (other jobs?): again")
            for r in slow:
                grid[(r, side)] = max(grid[(r, side)], rate(r, side))
        else:
            if slow := slower_than_fewer_rows(grid, grid_rows, side, path_ends=path_ends):
                notes.append(f"matmuls of {', '.join(map(str, slow))} rows by the {side} x {side} weight "
                             "ran fewer MAC/s than fewer rows in 4 rounds: other jobs were disturbing "
                             "the threads (try --threads 1, or a quieter machine)")
        say(f"matmul fp32 x @ W.T, W {side} x {side} ({4 * side * side / MiB:.4g} MiB), rows "
            + ", ".join(f"{r}: {grid[(r, side)] / 1e9:.3g}" for r in grid_rows) + " GMAC/s")
    xs.clear()  # the weights stay for the few-row scan below

    # the few-row path: does time step with passes over the weight (rows 1, 2, 4, 8: 1, 1, 2, 3
    # passes of 3 rows on this Xeon's MKL)? Then where does the kernel leave it: the rows between
    # the last table row on it and the next, by a cache-resident table weight
    rows_per_pass = pass_max = None
    pass_fit = pass_scan = ""
    ratios = row_time_ratios(grid, grid_rows, sides)
    fit = None if quick else fit_rows_per_pass(ratios)
    if fit is not None:
        rows_per_pass, top = fit
        pass_fit = ("time over 1 row's (median over the weights) at rows "
                    + ", ".join(f"{r}: {ratios[r]:.3g}" for r in grid_rows if r <= top)
                    + f" = ceil(rows / {rows_per_pass}) passes within {PASS_TOLERANCE:.0%}")
        above = [r for r in grid_rows if r > top]
        if above:
            # the largest weight within half the LLC (resident; a call long against op_overhead)
            side = max([s for s in sides if 4 * s * s <= llc / 2] or sides[:1])
            w = weights[side]
            scan = {}
            for m in range(top, int(above[0]) + 1):
                x, y = be.empty(m * side).reshape(m, side), be.empty(m * side).reshape(m, side)
                scan[m] = lambda x=x, y=y: be.linear(x, w, y)
            times = {m: max(t - overhead, 1e-9)  # less the per-op overhead, as the table's entries
                     for m, t in timing.time_rounds(scan, rounds=3, min_time=min_time, min_reps=6).items()}
            # one pass by this weight per the table (its rows on the path, 2 rounds apart)
            table_pass = min(r * side * side / grid[(r, side)] / ceil_div(r, rows_per_pass)
                             for r in grid_rows if r <= top)
            # the next table row is off the path (the fit stopped below it); scanned for the record
            pass_max = min(pass_limit(times, rows_per_pass, top, per_pass=table_pass), int(above[0]) - 1)
            base = times[top] / ceil_div(top, rows_per_pass)
            pass_scan = (f"rows {top}-{int(above[0])} by the {4 * side * side / MiB:.4g} MiB weight, time over the "
                         f"pass model: " + ", ".join(f"{m}: {t / (base * ceil_div(m, rows_per_pass)):.2f}"
                                                     for m, t in times.items())
                         + f"; on the few-row path up to {pass_max} rows")
        else:
            pass_max = top
            pass_scan = f"the table's last row ({top}) is on the few-row path"
        say(f"few-row path: {rows_per_pass} rows a pass over the weight, up to {pass_max} rows ({pass_scan})")
    weights.clear()
    row_exponent, row_how = (None, "") if quick else _row_length(be, timing, llc, sides, min_time, say)

    per_cycle = limits.cores * limits.clock_hz
    vec = per_cycle * until_plausible(
        "processor.vector_ops_per_cycle_per_core", "sigmoid over 64 Ki cache-resident elements, 4 ops each",
        lambda: vector_ops_per_s(be, min_time, timing) / per_cycle, P.vector_per_cycle(), log=say)

    cal = Calibration(
        date=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        host=cpu_model(), backend=be.name, threads=be.threads, clock_hz=clock, clock_source=clock_src,
        dram_read_bps=dram_read, dram_triad_bps=dram_triad, dram_array_bytes=dram_bytes,
        llc_sysfs_bytes=llc_sysfs, llc_knee_bytes=knee, llc_bytes=llc, llc_bps=llc_bw, sweep=sweep,
        matmul_macs_per_s=macs, matmul_n=ns, grid_rows=tuple(grid_rows), grid_sides=tuple(sides),
        grid_macs_per_s=grid, vector_ops_per_s=vec, add_overhead_s=add_s,
        mm_overhead_s=mm_s, dram_capacity_bytes=dram_capacity_bytes(),
        seconds=time.perf_counter() - t_start, notes=notes, dram_read_1thread_bps=dram_1thread,
        rows_per_pass=rows_per_pass, pass_max_rows=pass_max, pass_fit=pass_fit, pass_scan=pass_scan,
        row_length_exponent=row_exponent, row_length_how=row_how, llc_reuse_bytes=reuse)
    problems = P.check_calibration(cal, limits)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ImplausibleMeasurement(f"calibration refused: {problems[0]}{more}")
    return cal
