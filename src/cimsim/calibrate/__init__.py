"""Calibrate an architecture config to the machine at hand (``cimsim calibrate``).

Microbenchmarks, each timed with :func:`time.perf_counter` as the fastest of
repeated calls (see :func:`best_time`) (the kernels are PyTorch's when torch is installed, else
NumPy's, so they are the kernels a traced or generated workload runs):

- **DRAM bandwidth**: a reduction (``sum``) over an array four times the
  last-level cache or larger (read), and a STREAM-style triad
  ``a = b + s * c`` over three such arrays (bytes counted as STREAM does:
  3 x 4 B per element, write-allocate traffic not counted);
- **last-level cache**: the same read at working sets from 128 KiB up past the
  cache; the *knee* is the largest working set whose bandwidth is still above
  the geometric mean of the cache plateau and the DRAM plateau. It is
  cross-checked against the size the kernel reports
  (``/sys/devices/system/cpu/cpu0/cache/index*/size``); the cache plateau
  (median bandwidth of the sweep points from the peak, above the private
  caches, up to the knee) is the level's bandwidth;
- **matmul throughput** per dtype: square ``mm`` (fp32; bf16 where torch
  has it), MAC/s;
- **matmul efficiency by shape**: ``x @ W.T`` (``F.linear``'s layout) of 1, 8, 16,
  64 and 256 rows by square fp32 weights of 1 MiB, 4 MiB, ... up to the first at
  least twice the last-level cache (and at least 64 MiB): MAC/s, less the per-op
  overhead, over the peak (the fastest of these and the square ``mm``) is the
  processor's ``mac_efficiency`` table (a matmul of few rows reaches a fraction
  of the peak, smaller again when its weight streams from DRAM);
- **vector rate**: ``sigmoid`` over a cache-resident array, elements/s x 4
  (the ops per sigmoid element the workload IR counts,
  :data:`cimsim.workload.ir.ELEMENTWISE_OPS_PER_ELEMENT`);
- **per-op overhead**: the time of a one-element ``add`` and of a 1x1 ``mm``
  (dispatch, thread fork/join; no work to speak of): their mean is the
  processor's ``op_overhead``.

The result is an ordinary architecture config (``memory: llc, dram``; one
``processor``) whose YAML comments say how and when each number was measured.
Energies and static power cannot be timed; they are marked (U) placeholders.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import re
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MiB = 1 << 20
#: activation rows of the matmul-efficiency table (``quick``: fewer)
GRID_ROWS = (1, 8, 16, 64, 256)
GRID_ROWS_QUICK = (1, 8, 64, 256)
#: its smallest square weight side (1 MiB of fp32); sides double up past the LLC, to at most
#: GRID_MAX_SIDE (1 GiB of fp32: a 256-row matmul by it is 69 GMAC, about a second)
GRID_MIN_SIDE = 512
GRID_MAX_SIDE = 16384


# --------------------------------------------------------------------------- host facts
def cpu_model() -> str:
    """The CPU's model name (lscpu, else /proc/cpuinfo, else platform)."""
    if shutil.which("lscpu"):
        try:
            out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10,
                                 env={**os.environ, "LC_ALL": "C"}).stdout
            m = re.search(r"^Model name:\s*(.+)$", out, re.M)
            if m:
                return m.group(1).strip()
        except (OSError, subprocess.SubprocessError):
            pass
    try:
        m = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        if m:
            return m.group(1).strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_clock_hz() -> tuple[float | None, str]:
    """Core clock from /proc/cpuinfo ("cpu MHz", median over CPUs), else cpufreq's maximum."""
    try:
        mhz = [float(v) for v in re.findall(r"^cpu MHz\s*:\s*([\d.]+)", Path("/proc/cpuinfo").read_text(), re.M)]
        if mhz:
            return statistics.median(mhz) * 1e6, "/proc/cpuinfo 'cpu MHz' (median over CPUs)"
    except OSError:
        pass
    try:
        khz = float(Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq").read_text())
        return khz * 1e3, "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"
    except (OSError, ValueError):
        return None, "unknown"


def _size_bytes(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+)\s*([KMG]?)i?B?\s*", text, re.I)
    if not m:
        raise ValueError(text)
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2).upper()]


def sysfs_caches(cpu: int = 0) -> list[dict]:
    """Data/unified caches of ``cpu`` as the kernel reports them: level, size (B), CPUs sharing it."""
    out = []
    for d in sorted(Path(f"/sys/devices/system/cpu/cpu{cpu}/cache").glob("index*")):
        try:
            kind = (d / "type").read_text().strip()
            if kind == "Instruction":
                continue
            shared = (d / "shared_cpu_list").read_text().strip() if (d / "shared_cpu_list").exists() else ""
            out.append({"level": int((d / "level").read_text()), "size": _size_bytes((d / "size").read_text()),
                        "shared_cpu_list": shared})
        except (OSError, ValueError):
            continue
    return sorted(out, key=lambda c: c["level"])


def dram_capacity_bytes() -> float | None:
    try:
        m = re.search(r"^MemTotal:\s*(\d+)\s*kB", Path("/proc/meminfo").read_text(), re.M)
        return float(m.group(1)) * 1024 if m else None
    except OSError:
        return None


# --------------------------------------------------------------------------- timing
#: "min" (default) or "median" of the repeated calls (``CIMSIM_TIMING=median``)
STATISTIC = os.environ.get("CIMSIM_TIMING", "min")


def best_time(fn, *, min_time: float = 0.05, max_reps: int = 200, min_reps: int = 15) -> float:
    """Seconds of the fastest of repeated calls of ``fn()`` (after one warm-up): at least
    ``min_reps`` calls and about ``min_time`` seconds of calls in all.

    The fastest call, not the median: other processes share the machine (a 2-core
    host running several jobs has a load of 6), and a call whose threads were
    descheduled measures the scheduler, not the hardware; the fastest call is the
    least disturbed (as :mod:`timeit` recommends)."""
    fn()
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    reps = int(min(max_reps, max(min_reps, min_time / max(first, 1e-9))))
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts) if STATISTIC == "median" else min(ts)


def best_time_batched(fn, *, inner: int, min_time: float = 0.05, min_reps: int = 15) -> float:
    """Seconds of one ``fn()`` (fastest batch) when called ``inner`` times back to back (for
    microsecond ops, where the timer's own cost would otherwise count)."""

    def batch():
        for _ in range(inner):
            fn()

    return best_time(batch, min_time=min_time, min_reps=min_reps) / inner


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


# --------------------------------------------------------------------------- measurements
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

    @property
    def op_overhead_s(self) -> float:
        return 0.5 * (self.add_overhead_s + self.mm_overhead_s)

    @property
    def fp32_peak(self) -> float:
        """Peak fp32 MAC/s: the fastest of the square mm and the row-shaped addmm."""
        return max(self.matmul_macs_per_s["fp32"], *self.grid_macs_per_s.values())

    def peak_of(self, dtype: str) -> float:
        return self.fp32_peak if dtype == "fp32" else self.matmul_macs_per_s[dtype]


def read_bandwidth(be: Backend, nbytes: int, min_time: float) -> float:
    a = be.empty(max(1, nbytes // 4))
    t = best_time(lambda: be.read(a), min_time=min_time)
    return (a.nbytes if hasattr(a, "nbytes") else a.numel() * 4) / t


def triad_bandwidth(be: Backend, nbytes: int, min_time: float) -> float:
    n = max(1, nbytes // 4)
    a, b, c = be.empty(n), be.empty(n), be.empty(n)
    t = best_time(lambda: be.triad(a, b, c), min_time=min_time)
    return 3 * 4 * n / t


def sweep_sizes(lo: int, hi: int, per_octave: int = 2) -> list[int]:
    """Working-set sizes from ``lo`` to ``hi`` in steps of 2^(1/per_octave), rounded to 4 KiB."""
    out, k = [], 0
    while True:
        s = int(round(lo * 2 ** (k / per_octave) / 4096)) * 4096
        if s > hi:
            return out
        out.append(s)
        k += 1


def find_knee(sweep: list[tuple[int, float]], inner_bytes: float, dram_bps: float) -> tuple[float, float]:
    """(knee bytes, cache bandwidth B/s) of a bandwidth-vs-working-set sweep.

    Cache plateau: the highest bandwidth at working sets above ``inner_bytes``
    (the private caches of all threads). The knee is the largest working set
    whose bandwidth is above the geometric mean of that plateau and
    ``dram_bps``, found scanning upward from the plateau's peak.
    """
    pts = [(s, bw) for s, bw in sweep if s > inner_bytes] or list(sweep)
    i_peak = max(range(len(pts)), key=lambda i: pts[i][1])
    peak = pts[i_peak][1]
    thresh = (peak * dram_bps) ** 0.5
    knee = pts[i_peak][0]
    for s, bw in pts[i_peak:]:
        if bw < thresh:
            break
        knee = s
    plateau = [bw for s, bw in pts if pts[i_peak][0] <= s <= knee]
    return float(knee), float(statistics.median(plateau))


def slower_than_fewer_rows(grid: dict, rows, side: int, tolerance: float = 0.8) -> list[int]:
    """Row counts whose MAC rate by the ``side`` x ``side`` weight is below ``tolerance`` x the
    best rate of fewer rows. On an undisturbed machine that does not happen: a matmul of more
    rows can always run as several of fewer rows, so its MAC rate is not lower."""
    out, best = [], 0.0
    for r in rows:
        if grid[(r, side)] < tolerance * best:
            out.append(r)
        best = max(best, grid[(r, side)])
    return out


def measure(quick: bool = False, prefer_torch: bool = True, log=None, threads: int | None = None) -> Calibration:
    """Run every microbenchmark (about a minute; ``quick``: a few seconds, coarser) with
    ``threads`` torch threads (default: torch's setting, which stays changed)."""
    say = log or (lambda msg: None)
    t_start = time.perf_counter()
    be = Backend(prefer_torch, threads)
    caches = sysfs_caches()
    llc_sysfs = caches[-1]["size"] if caches and caches[-1]["level"] >= 2 else None
    inner = (caches[-2]["size"] if len(caches) >= 2 else 256 * 1024) * be.threads
    llc_guess = llc_sysfs or 32 * MiB
    min_time = 0.02 if quick else 0.15
    notes = []

    dram_bytes = int(max(4 * llc_guess, 128 * MiB))
    hi = 2 * llc_guess if quick else dram_bytes
    sizes = sweep_sizes(256 * 1024, int(hi), per_octave=1 if quick else 2)
    say(f"read bandwidth ({be.name}) at {len(sizes)} working sets, {sizes[0] // 1024} KiB to "
        f"{sizes[-1] / MiB:.0f} MiB")
    # rounds over all sizes, fastest per size: a burst of load from other processes
    # then spoils one round of a size, not all its samples
    arrays = {s: be.empty(max(1, s // 4)) for s in sizes}
    best = {s: 0.0 for s in sizes}

    def rounds(n: int) -> None:
        for _ in range(n):
            for s in sizes:
                a = arrays[s]
                best[s] = max(best[s], 4 * (s // 4) / best_time(lambda a=a: be.read(a), min_time=min_time / 8,
                                                                min_reps=5))

    rounds(2 if quick else 3)
    dram_bytes = sizes[-1]
    for _ in range(3):  # a sweep disturbed throughout can show no cache faster than DRAM
        knee, llc_bw = find_knee([(s, best[s]) for s in sizes], inner, best[dram_bytes])
        if llc_bw > 1.1 * best[dram_bytes]:
            break
        say("no cache plateau above the DRAM bandwidth yet (other jobs?): another round")
        rounds(1)
    else:
        notes.append("the read sweep found no cache plateau 10 % above the DRAM bandwidth in 3 extra "
                     "rounds (other jobs were loading the machine?): rerun on a quieter machine")
    arrays.clear()  # free the sweep's arrays before the triad
    sweep = [(s, best[s]) for s in sizes]
    dram_read = best[dram_bytes]  # the largest working set, >= 2x the LLC: from DRAM
    say(f"triad over 3 x {dram_bytes / MiB:.0f} MiB")
    dram_triad = triad_bandwidth(be, dram_bytes, min_time)
    llc = float(knee)
    if llc_sysfs:
        if knee / 2 <= llc_sysfs <= knee * 2:
            llc = float(llc_sysfs)
        else:
            notes.append(f"the measured knee ({knee / MiB:.3g} MiB) disagrees with the kernel's "
                         f"LLC size ({llc_sysfs / MiB:.3g} MiB) by more than 2x: the knee is used")

    macs, ns = {}, {}
    for dt in be.dtypes():
        n = 128  # doubled while one call takes under 20 ms (up to 1024; 256 when quick)
        while True:
            a, b, c = be.matrix(n, dt), be.matrix(n, dt), be.matrix(n, dt)
            t = best_time(lambda: be.mm(a, b, c), min_time=min_time, min_reps=8)
            if t > 0.02 or n >= (256 if quick else 1024):
                break
            n *= 2
        macs[dt], ns[dt] = n ** 3 / t, n
        say(f"matmul {dt} n={n}: {macs[dt] / 1e9:.3g} GMAC/s")

    one = [be.empty(1) for _ in range(3)]
    add_s = best_time_batched(lambda: be.add(one[0], one[1], one[2]), inner=200, min_time=min_time)
    m1 = [be.matrix(1, "fp32") for _ in range(3)]
    mm_s = best_time_batched(lambda: be.mm(m1[0], m1[1], m1[2]), inner=200, min_time=min_time)
    overhead = 0.5 * (add_s + mm_s)

    grid_rows = GRID_ROWS_QUICK if quick else GRID_ROWS
    sides = [GRID_MIN_SIDE]
    while 4 * sides[-1] ** 2 < max(2 * llc, 64 * MiB) and sides[-1] < GRID_MAX_SIDE:
        sides.append(2 * sides[-1])
    if 4 * sides[-1] ** 2 < 2 * llc:
        notes.append(f"the matmul-efficiency table stops at a {4 * sides[-1] ** 2 / MiB:.0f} MiB weight, "
                     f"less than twice the LLC: weights beyond it take its last column")
    grid = {}
    for side in sides:
        w = be.empty(side * side).reshape(side, side)
        xs = {r: (be.empty(r * side).reshape(r, side), be.empty(r * side).reshape(r, side))
              for r in grid_rows}

        def rate(r: int, side: int = side, w=w, xs=xs) -> float:
            x, y = xs[r]
            t = best_time(lambda: be.linear(x, w, y), min_time=min_time, min_reps=3 if quick else 5)
            return r * side * side / max(t - overhead, 1e-9)

        for r in grid_rows:
            grid[(r, side)] = rate(r)
        for _ in range(3):  # more rows by the same weight never run fewer MAC/s on a quiet machine
            slow = slower_than_fewer_rows(grid, grid_rows, side)
            if not slow:
                break
            say(f"  {', '.join(map(str, slow))} rows ran fewer MAC/s than fewer rows (other jobs?): again")
            for r in slow:
                grid[(r, side)] = max(grid[(r, side)], rate(r))
        else:
            if slow := slower_than_fewer_rows(grid, grid_rows, side):
                notes.append(f"matmuls of {', '.join(map(str, slow))} rows by the {side} x {side} weight "
                             "ran fewer MAC/s than fewer rows in 4 rounds: other jobs were disturbing "
                             "the threads (try --threads 1, or a quieter machine)")
        say(f"matmul fp32 x @ W.T, W {side} x {side} ({4 * side * side / MiB:.4g} MiB), rows "
            + ", ".join(f"{r}: {grid[(r, side)] / 1e9:.3g}" for r in grid_rows) + " GMAC/s")

    n_vec = 64 * 1024  # 256 KiB in and out: cache resident
    x, y = be.empty(n_vec), be.empty(n_vec)
    vec = 4 * n_vec / best_time(lambda: be.sigmoid(x, y), min_time=min_time)

    clock, clock_src = cpu_clock_hz()
    if clock is None:
        clock, clock_src = 1e9, "unknown: 1 GHz assumed, so per-cycle rates are per-ns rates"
        notes.append("no clock found in /proc/cpuinfo or cpufreq: 1 GHz assumed")
    return Calibration(
        date=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        host=cpu_model(), backend=be.name, threads=be.threads, clock_hz=clock, clock_source=clock_src,
        dram_read_bps=dram_read, dram_triad_bps=dram_triad, dram_array_bytes=dram_bytes,
        llc_sysfs_bytes=llc_sysfs, llc_knee_bytes=knee, llc_bytes=llc, llc_bps=llc_bw, sweep=sweep,
        matmul_macs_per_s=macs, matmul_n=ns, grid_rows=tuple(grid_rows), grid_sides=tuple(sides),
        grid_macs_per_s=grid, vector_ops_per_s=vec, add_overhead_s=add_s,
        mm_overhead_s=mm_s, dram_capacity_bytes=dram_capacity_bytes(),
        seconds=time.perf_counter() - t_start, notes=notes)


# --------------------------------------------------------------------------- the config
#: placeholders for what a timer cannot measure (marked (U) in the config)
PLACEHOLDER_ENERGY = {
    "llc_energy_per_byte": "12.5 pJ/B",  # Horowitz ISSCC 2014: 100 pJ per 64-bit read of a 1 MB SRAM, /8 B
    "dram_energy_per_bit": "20 pJ/bit",  # DDR4/DDR5 range 15-22 pJ/bit (PARAMETERS.md)
    "energy_per_mac": "100 pJ",
    "energy_per_vector_op": "100 pJ",
    "static_power": "20 W",
}


def _g(x: float) -> str:
    return f"{x:.4g}"


def to_yaml(cal: Calibration, command: str = "cimsim calibrate") -> str:
    """The calibration as an architecture config (YAML text with its provenance in comments)."""
    cores, clock = cal.threads, cal.clock_hz
    per_cycle = {dt: cal.peak_of(dt) / (cores * clock) for dt in cal.matmul_macs_per_s}
    vec_per_cycle = cal.vector_ops_per_s / (cores * clock)
    sweep = ", ".join(f"{s / MiB:.3g} MiB: {bw / 1e9:.3g}" for s, bw in cal.sweep)
    llc_how = (f"kernel-reported size (sysfs cpu0 cache index, {cal.llc_sysfs_bytes / MiB:.4g} MiB) "
               f"agrees within 2x with the measured knee ({cal.llc_knee_bytes / MiB:.4g} MiB)"
               if cal.llc_bytes == cal.llc_sysfs_bytes else
               f"measured knee of read bandwidth vs working set ({cal.llc_knee_bytes / MiB:.4g} MiB)")
    P = PLACEHOLDER_ENERGY
    lines = [
        f"# Calibrated to this host by `{command}` on {cal.date}, {cal.seconds:.0f} s of benchmarks.",
        f"# Host CPU: {cal.host} ({cal.threads} threads timed; {platform.node() or 'host'}).",
        f"# Kernels timed: {cal.backend}; each figure is the fastest of repeated calls (time.perf_counter; other jobs share the machine).",
        "# Markers: (M) measured here by the benchmark named beside it, (D) derived from (M),",
        "# (U) placeholder: a timer cannot measure energy or static power.",
        f"# Read bandwidth vs working set (MiB: GB/s): {sweep}",
        *[f"# note: {n}" for n in cal.notes],
        "name: host",
        f'description: "{cal.host}, calibrated {cal.date}"',
        "memory:  # innermost first; the last level is the backing store",
        "  llc:",
        "    technology: last-level cache",
        f"    capacity: {cal.llc_bytes:.0f} B  # (M) {llc_how}",
        f"    bandwidth: {_g(cal.llc_bps / 1e9)} GB/s  # (M) median read ({cal.backend.split(' (')[0]} sum) "
        "bandwidth on the cache plateau of the sweep above",
        f"    energy_per_byte: {P['llc_energy_per_byte']}  # (U) Horowitz ISSCC 2014 1 MB SRAM 64-bit read / 8 B",
        "  dram:",
        "    technology: DRAM",
        f"    capacity: {(cal.dram_capacity_bytes or 16e9):.0f} B  # "
        + ("(M) /proc/meminfo MemTotal" if cal.dram_capacity_bytes else "(U) /proc/meminfo unreadable"),
        f"    bandwidth: {_g(cal.dram_read_bps / 1e9)} GB/s  # (M) read (sum) of a "
        f"{cal.dram_array_bytes / MiB:.0f} MiB array; triad a = b + 3c: {_g(cal.dram_triad_bps / 1e9)} GB/s",
        "    sustained_fraction: 1.0  # the bandwidth above is already the sustained rate",
        "    latency: 0 s  # not measured: an op's fixed cost is in processor.op_overhead",
        f"    energy_per_bit: {P['dram_energy_per_bit']}  # (U) DDR4/DDR5 range 15-22 pJ/bit",
        "processor:",
        f'  name: "{cal.host}"',
        f"  cores: {cores}  # (M) threads the timed kernels use ({cal.backend})",
        f"  clock: {_g(clock / 1e9)} GHz  # (M) {cal.clock_source}",
        "  macs_per_cycle_per_core:  # (D) measured square-matmul MAC/s / (cores x clock)",
        *[f"    {dt}: {_g(v)}  # (M) mm n={cal.matmul_n[dt]}: {_g(cal.matmul_macs_per_s[dt] / 1e9)} GMAC/s"
          + (f"; fastest of it and the addmm below: {_g(cal.fp32_peak / 1e9)} GMAC/s" if dt == "fp32" else "")
          for dt, v in per_cycle.items()],
        ("  mac_efficiency:  # (D) fp32 x @ W.T of `rows` rows by a square weight of `weight_bytes`: "
         "(MAC/s less op_overhead) / fp32 peak; applies to every dtype"),
        f"    rows: [{', '.join(str(r) for r in cal.grid_rows)}]",
        (f"    weight_bytes: [{', '.join(f'{4 * s * s // MiB} MiB' for s in cal.grid_sides)}]"
         f"  # squares of side {', '.join(str(s) for s in cal.grid_sides)}"),
        "    fraction:  # one row per rows entry; (M) GMAC/s in the comment",
        *[(f"      - [{', '.join(f'{cal.grid_macs_per_s[(r, s)] / cal.fp32_peak:.4g}' for s in cal.grid_sides)}]"
           f"  # {r} rows: {', '.join(_g(cal.grid_macs_per_s[(r, s)] / 1e9) for s in cal.grid_sides)}")
          for r in cal.grid_rows],
        f"  vector_ops_per_cycle_per_core: {_g(vec_per_cycle)}  # (D) sigmoid over 64 Ki cache-resident "
        f"elements: {_g(cal.vector_ops_per_s / 4e9)} G elements/s x 4 ops each (workload IR count)",
        "  energy_per_mac:",
        *[f"    {dt}: {P['energy_per_mac']}  # (U) placeholder" for dt in per_cycle],
        f"  energy_per_vector_op: {P['energy_per_vector_op']}  # (U) placeholder",
        f"  static_power: {P['static_power']}  # (U) placeholder",
        f"  op_overhead: {_g(cal.op_overhead_s * 1e6)} us  # (M) mean of a one-element add "
        f"({_g(cal.add_overhead_s * 1e6)} us) and a 1x1 mm ({_g(cal.mm_overhead_s * 1e6)} us), "
        "fastest batch of 200 calls",
        "",
    ]
    return "\n".join(lines)


def calibrate(path: str | Path | None = None, quick: bool = False, prefer_torch: bool = True,
              command: str = "cimsim calibrate", log=None, threads: int | None = None):
    """Measure this host and return ``(Calibration, YAML text)``; write the YAML to ``path``
    if given. The text is checked to load as an architecture before it is written."""
    import yaml

    from ..config import architecture_from_dict
    from ..errors import CimsimError

    if path is not None and not Path(path).resolve().parent.is_dir():
        raise CimsimError(f"cannot write {path}: its directory does not exist")
    cal = measure(quick=quick, prefer_torch=prefer_torch, log=log, threads=threads)
    text = to_yaml(cal, command)
    architecture_from_dict(yaml.safe_load(text), source=str(path or "<calibration>"))
    if path is not None:
        try:
            Path(path).write_text(text)
        except OSError as exc:
            raise CimsimError(f"cannot write {path}: {exc.strerror}") from None
    return cal, text
