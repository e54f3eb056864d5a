"""Plausible ranges of what ``cimsim calibrate`` measures, and a pure checker.

On a loaded machine a benchmark can time the scheduler instead of the hardware (a
thread descheduled in a kernel, a batch that waited a quantum): a busy 2-core host
once gave ``vector_ops_per_cycle_per_core: 0.004`` and 8-row matmuls at 0.09 GMAC/s.
Every measured value is held to a range that any x86 or ARM core since 2010 falls in
(each range says why), computed from the host's cores, clock and instruction-set flags
(:class:`Host`). :mod:`.measure` repeats a measurement that falls outside (a bounded
number of times) and refuses the run with :func:`problem`'s one line when it never
falls inside. Nothing here measures or reads the machine: the functions are pure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30

#: fp32 matmul floor, MAC per cycle per core: a plain scalar loop does about 1, any BLAS
#: since SSE (2001) 4 or more; 0.5 leaves a factor 2 below the scalar loop
FP32_FLOOR_PER_CYCLE = 0.5
#: bf16 matmul floor: a core without bf16 arithmetic converts each element to fp32 first
#: (several instructions a MAC); 0.1 is a scalar loop with conversions, with margin
BF16_FLOOR_PER_CYCLE = 0.1
#: DRAM floor (B/s) that matmul floors use for the weight stream: :data:`DRAM_BPS`'s lower end
DRAM_FLOOR_BPS = 1e9
#: bytes per cycle per core a core can load at most: two 64-byte loads a cycle (AVX-512 on
#: Intel since Skylake-SP and AMD Zen 4; ARM cores load 2-3 x 16-32 B), the most any issues
LOAD_BYTES_PER_CYCLE = 128


@dataclass(frozen=True)
class Range:
    """``lo`` to ``hi`` (SI units), shown as ``value / scale`` ``unit``, and why."""

    lo: float
    hi: float
    unit: str
    scale: float
    why: str

    def holds(self, value: float) -> bool:
        return math.isfinite(value) and self.lo <= value <= self.hi

    def show(self, value: float) -> str:
        return f"{value / self.scale:.3g} {self.unit}"

    def __str__(self) -> str:
        return f"{self.lo / self.scale:.3g} to {self.hi / self.scale:.3g} {self.unit} ({self.why})"


@dataclass(frozen=True)
class Host:
    """What bounds the rates: ``cores`` timed, the ``clock_hz`` the config states (per-cycle
    rates are per this clock), cpufreq's highest clock if known, instruction-set flags."""

    cores: int
    clock_hz: float
    max_clock_hz: float | None = None
    flags: frozenset = frozenset()

    @property
    def peak_clock_hz(self) -> float:
        """The clock upper bounds use: cpufreq's maximum (turbo included), else 3x the stated
        clock, since a VM's /proc/cpuinfo states the base clock and no x86/ARM part since
        2010 turbos to 3x its base (e.g. Xeon 8480+: 2.0 GHz base, 3.8 GHz turbo)."""
        if self.max_clock_hz:
            return max(self.clock_hz, self.max_clock_hz)
        return 3 * self.clock_hz

    def macs_per_cycle_max(self, dtype: str) -> float:
        """Most MACs per cycle per core of ``dtype`` the flags allow: SIMD lanes x FMA pipes.
        fp32: AVX-512 16 lanes x 2 FMA pipes = 32; AVX/AVX2 8 x 2 = 16; ARM NEON 4 x up to 4
        pipes (Neoverse V2, Apple M1) = 16; SVE at most 512 bits (A64FX) 16 x 2 = 32; no known
        flag: 64, twice the widest. bf16: AMX 1024 (Intel's tile unit: 2048 bf16 FLOP a cycle
        a core); AVX512_BF16 2 MACs a fp32 lane (VDPBF16PS) = 64; ARM bf16 (BFMMLA, 4x its fp32
        rate) = 64; else bf16 is computed as fp32: the fp32 bound."""
        f = self.flags
        if "avx512f" in f:
            fp32 = 32.0
        elif "avx" in f or "avx2" in f:
            fp32 = 16.0
        elif "sve" in f:
            fp32 = 32.0
        elif "asimd" in f or "neon" in f:
            fp32 = 16.0
        else:
            fp32 = 64.0
        if dtype == "fp32":
            return fp32
        if "amx_bf16" in f:
            return 1024.0
        if "avx512_bf16" in f or "bf16" in f:
            return max(fp32, 64.0)
        return fp32


def dram_bandwidth() -> Range:
    return Range(1e9, 2e12, "GB/s", 1e9,
                 "one DDR3-1066 channel (2010) streams 8.5 GB/s and one core reads over 1 GB/s from it; "
                 "12 channels of DDR5-6400 are 614 GB/s a socket, HBM beside a CPU about 1 TB/s")


def cache_bandwidth(host: Host, dram_bps: float) -> Range:
    return Range(dram_bps, host.cores * host.peak_clock_hz * LOAD_BYTES_PER_CYCLE, "GB/s", 1e9,
                 f"at least the DRAM read bandwidth measured, at most {host.cores} cores x "
                 f"{host.peak_clock_hz / 1e9:.3g} GHz x {LOAD_BYTES_PER_CYCLE} B loaded a cycle")


def cache_capacity() -> Range:
    return Range(128 * KiB, 4 * GiB, "MiB", MiB,
                 "every x86/ARM last-level cache since 2010 holds 256 KiB or more; the largest, two "
                 "AMD Genoa-X sockets, 2.3 GB")


def _peak(host: Host, dtype: str) -> float:
    return host.cores * host.peak_clock_hz * host.macs_per_cycle_max(dtype)


def matmul_rate(host: Host, dtype: str) -> Range:
    floor = FP32_FLOOR_PER_CYCLE if dtype == "fp32" else BF16_FLOOR_PER_CYCLE
    return Range(floor * host.cores * host.clock_hz, _peak(host, dtype), "GMAC/s", 1e9,
                 f"{floor:g} to {host.macs_per_cycle_max(dtype):g} MAC a cycle a core (SIMD lanes x FMA "
                 f"pipes) x {host.cores} cores x {host.clock_hz / 1e9:.3g} GHz "
                 f"(up to {host.peak_clock_hz / 1e9:.3g} GHz)")


def matmul_rows_rate(host: Host, rows: int) -> Range:
    """A matmul of ``rows`` rows by a fp32 weight: at worst it streams the weight from DRAM
    at its floor (4 B per ``rows`` MACs at 1 GB/s) and computes at the fp32 floor."""
    compute = FP32_FLOOR_PER_CYCLE * host.cores * host.clock_hz
    floor = 1.0 / (4.0 / (rows * DRAM_FLOOR_BPS) + 1.0 / compute)
    return Range(floor, _peak(host, "fp32"), "GMAC/s", 1e9,
                 f"at least its weight streamed from DRAM at 1 GB/s (4 B per {rows} MACs) and "
                 f"{FP32_FLOOR_PER_CYCLE:g} MAC a cycle a core; at most the fp32 SIMD peak")


def row_length_exponent() -> Range:
    return Range(-0.5, 0.5, "(exponent)", 1.0,
                 "a weight's rate within 2^0.5 = 1.41x up or down when its rows double: a kernel "
                 "that streams short rows twice as slowly is not streaming")


def vector_per_cycle() -> Range:
    return Range(0.25, 64.0, "ops/cycle/core", 1.0,
                 "a scalar core retires one op a cycle, four with its pipelines; 16 AVX-512 lanes x 2 "
                 "pipes x 2 is the most; 0.25 and 64 leave a factor 4 each way")


def op_overhead() -> Range:
    return Range(10e-9, 1e-3, "us", 1e-6,
                 "a Python-level call alone takes over 10 ns on any core; a one-element op over 1 ms "
                 "per call of a 200-call batch means each waited on the scheduler")


def clock() -> Range:
    return Range(0.1e9, 10e9, "GHz", 1e9, "no x86/ARM server, desktop or laptop core since 2010 runs "
                                          "outside 0.1 to 10 GHz")


def problem(name: str, what: str, value: float, rng: Range) -> str | None:
    """None when ``value`` is in ``rng``; else one line naming the value, what was measured and
    the plausible range (with why)."""
    if rng.holds(value):
        return None
    return f"{name} measured {rng.show(value)} ({what}), outside the plausible {rng}"


def check_calibration(cal, host: Host) -> list[str]:
    """Every measured value of a :class:`.measure.Calibration` against its range: the
    problems, one line each (empty: all plausible)."""
    checks = [
        ("processor.clock", "the host's stated clock", cal.clock_hz, clock()),
        ("memory.dram.bandwidth", f"read (sum) of a {cal.dram_array_bytes / MiB:.0f} MiB array",
         cal.dram_read_bps, dram_bandwidth()),
        ("DRAM triad bandwidth", f"a = b + 3c over 3 x {cal.dram_array_bytes / MiB:.0f} MiB",
         cal.dram_triad_bps, dram_bandwidth()),
        ("memory.llc.bandwidth", "read on the cache plateau of the working-set sweep",
         cal.llc_bps, cache_bandwidth(host, cal.dram_read_bps)),
        ("memory.llc.capacity", "cache size from sysfs or the sweep's knee", cal.llc_bytes, cache_capacity()),
    ]
    for dt, rate in cal.matmul_macs_per_s.items():
        checks.append((f"processor.macs_per_cycle_per_core.{dt}", f"square {dt} mm n={cal.matmul_n[dt]}",
                       rate, matmul_rate(host, dt)))
    for (rows, side), rate in sorted(cal.grid_macs_per_s.items()):
        checks.append(("processor.mac_efficiency", f"fp32 x @ W.T, {rows} rows by a {side} x {side} weight",
                       rate, matmul_rows_rate(host, rows)))
    checks += [
        ("processor.vector_ops_per_cycle_per_core", "sigmoid over 64 Ki cache-resident elements, 4 ops each",
         cal.vector_ops_per_s / (host.cores * host.clock_hz), vector_per_cycle()),
        ("processor.op_overhead", "a one-element add, batches of 200", cal.add_overhead_s, op_overhead()),
        ("processor.op_overhead", "a 1x1 mm, batches of 200", cal.mm_overhead_s, op_overhead()),
    ]
    return [p for name, what, value, rng in checks if (p := problem(name, what, value, rng))]
