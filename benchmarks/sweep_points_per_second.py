"""Sweep throughput: points per second of each engine (median of a few repeats).

Not a test. Each repeat is a fresh ``cimsim.sweep`` into a new Parquet file, so
the time includes starting the worker processes and persisting the rows: the
rate a user sees, not the bare engine speed.

    .venv/bin/python benchmarks/sweep_points_per_second.py [--workload lstm] [--points 32] [--workers 2]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from cimsim.sweep import sweep


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workload", default="tcn")
    ap.add_argument("--configs", nargs="+", default=["cpu-ddr5", "gpu-hbm3"])
    ap.add_argument("--points", type=int, default=32, help="bandwidth values per config")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", type=int, default=None, help="default: all cores")
    ap.add_argument("--scheduler", default=None, help="e.g. local:2 for a Dask LocalCluster")
    args = ap.parse_args()
    param = f"memory.dram.bandwidth=25GB/s..3.2TB/s:log:{args.points}"
    print(f"workload {args.workload}, configs {' '.join(args.configs)}, {param}, "
          f"workers {args.workers or 'all cores'}, scheduler {args.scheduler or 'local processes'}")
    for engine in ("analytic", "des"):
        rates = []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                df = sweep(args.configs, args.workload, [param], engine=engine, workers=args.workers,
                           scheduler=args.scheduler, output=Path(tmp) / "bench.parquet")
                elapsed = time.perf_counter() - t0
            failed = int(df["error"].notna().sum())
            rates.append(len(df) / elapsed)
        print(f"{engine:>8}: {statistics.median(rates):8.1f} points/s (median of {args.repeats}; "
              f"{len(df)} points per run, {failed} failed)")


if __name__ == "__main__":
    main()
