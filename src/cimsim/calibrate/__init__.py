"""Calibrate an architecture config to the machine at hand (``cimsim calibrate``).

Four parts: :mod:`.probe` (host facts the kernel reports: CPU, clock, flags, caches),
:mod:`.timing` (the harness: a statistic of repeated calls, settings passed explicitly),
:mod:`.measure` (the kernels and the measurement plan, every value held to its plausible
range from :mod:`.plausible`; the read sweep's analysis in :mod:`.sweep`, the matmul table's
axes in :mod:`.grid`, its fits in :mod:`.fewrows` and :mod:`.rowlength`) and :mod:`.emit`
(the config: a tree of values with comments, dumped as YAML). :func:`calibrate` runs them in
turn.

Microbenchmarks, each timed with :func:`time.perf_counter` as the median of
repeated calls (an op's typical time; ``--timing min``: the fastest; see
:class:`.timing.Timing`) (the kernels are PyTorch's when torch is installed, else
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
- **matmul efficiency by shape**: ``x @ W.T`` (``F.linear``'s layout) of every row count from
  1 to 16 (a few-row kernel's time steps with its tile heights: :data:`.grid.GRID_ROWS`), 32,
  64 and 256 rows by square fp32 weights of 1 MiB, 4 MiB, ... (side doubling) up to the first
  at least four times the last-level cache (and at least 64 MiB), with a column between each
  two up to 64 MiB (side x sqrt(2): a column every doubling of the weight, where the private
  caches' steps lie; :func:`.grid.grid_sides`): MAC/s, less the per-op
  overhead, over the peak (the fastest of these and the square ``mm``) is the
  processor's ``mac_efficiency`` table (a matmul of few rows reaches a fraction
  of the peak, smaller again when its weight streams from DRAM), every entry timed in
  interleaved rounds over the whole table (fastest call over the rounds);
- **the few-row path**: when the table's times at its first rows step as ``ceil(rows / p)``
  passes over the weight for exactly one ``p`` (MKL on a Xeon: 3 rows a pass, times 1, 1, 1, 2
  at rows 1-4), ``mac_efficiency.rows_per_pass`` is ``p``, and ``pass_max_rows`` is where a scan
  of the rows between that table row and the next, by a cache-resident weight, first runs
  faster than the passes (the kernel's blocked path). With every row count to 16 in the table
  the rule changes no prediction up to 16 rows (only between 16 and 32, where a kernel's
  few-row path runs past 16), and it marks where that path ends for the check of disturbed
  entries;
- **vector rate**: ``sigmoid`` over a cache-resident array, elements/s x 4
  (the ops per sigmoid element the workload IR counts,
  :data:`cimsim.workload.ir.ELEMENTWISE_OPS_PER_ELEMENT`);
- **per-op overhead**: the time of a one-element ``add`` and of a 1x1 ``mm``
  (dispatch, thread fork/join; no work to speak of): their mean is the
  processor's ``op_overhead``.

A value outside its plausible range (a busy machine times its scheduler) is measured
again, up to three times, then the run is refused with one line naming it.
The result is an ordinary architecture config (``memory: llc, dram``; one
``processor``) whose YAML comments say how and when each number was measured.
Energies and static power cannot be timed; they are marked (U) placeholders.
"""

from __future__ import annotations

from pathlib import Path

from .emit import PLACEHOLDER_ENERGY, config_tree, dump, to_yaml
from .measure import (GRID_MAX_SIDE, GRID_MIN_SIDE, GRID_ROWS, GRID_ROWS_QUICK, TRIES, Backend, Calibration,
                      ImplausibleMeasurement, MiB, grid_sides, measure, read_bandwidth,
                      slower_than_fewer_rows, triad_bandwidth, until_plausible, vector_ops_per_s)
from .sweep import cache_plateau, find_knee, read_sweep_sizes, sweep_sizes
from .plausible import Host, Range, check_calibration, problem
from .probe import cpu_clock_hz, cpu_flags, cpu_model, dram_capacity_bytes, max_clock_hz, sysfs_caches
from .timing import CALIBRATION, CALIBRATION_STATISTIC, Timing, best_time, best_time_batched

__all__ = [
    "GRID_MAX_SIDE", "GRID_MIN_SIDE", "GRID_ROWS", "GRID_ROWS_QUICK", "PLACEHOLDER_ENERGY", "TRIES", "Backend",
    "CALIBRATION_STATISTIC", "Calibration", "Host", "ImplausibleMeasurement", "MiB", "Range", "Timing",
    "best_time", "best_time_batched",
    "cache_plateau", "calibrate", "check_calibration", "config_tree", "cpu_clock_hz", "cpu_flags", "cpu_model",
    "dram_capacity_bytes", "dump", "find_knee", "grid_sides", "max_clock_hz", "measure", "problem",
    "read_bandwidth", "read_sweep_sizes", "slower_than_fewer_rows", "sweep_sizes", "sysfs_caches", "to_yaml", "triad_bandwidth", "until_plausible",
    "vector_ops_per_s",
]


def calibrate(path: str | Path | None = None, quick: bool = False, prefer_torch: bool = True,
              command: str = "cimsim calibrate", log=None, threads: int | None = None,
              timing: Timing | None = None):
    """Measure this host and return ``(Calibration, YAML text)``; write the YAML to ``path``
    if given. The text is checked to load as an architecture before it is written."""
    from ..config import architecture_from_dict
    from ..config.yamlread import load_text
    from ..errors import CimsimError

    if path is not None and not (parent := Path(path).resolve().parent).is_dir():
        raise CimsimError(f"cannot write {path}: " + (f"{parent} is not a folder" if parent.exists()
                                                     else "its directory does not exist"))
    timing = timing or CALIBRATION
    cal = measure(quick=quick, prefer_torch=prefer_torch, log=log, threads=threads, timing=timing)
    text = to_yaml(cal, command, timing.statistic)
    architecture_from_dict(load_text(text), source=str(path or "<calibration>"))
    if path is not None:
        try:
            Path(path).write_text(text)
        except OSError as exc:
            raise CimsimError(f"cannot write {path}: {exc.strerror}") from None
    return cal, text
