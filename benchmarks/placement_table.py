"""CPU time of `cimsim run --placement` (the per-op text table) against the same run without it.

    python benchmarks/placement_table.py [--steps 5000 20000] [--repeats 3] [--config gpu-hbm3]

For each LSTM (input 1,024, hidden 1,024, 2 layers, ``--steps`` time steps: ~4 ops a step) runs
``cimsim run CONFIG FILE`` with and without ``--placement`` (stdout to /dev/null) in its own
process and prints the median user + system CPU time of each and the table's cost per op (rows
are written as text in rich's layout; rich's own per-row layout cost ~0.5 ms an op). Not a
test: timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CLI = [sys.executable, "-m", "cimsim"]


def cpu(args: list[str]) -> float:
    before = os.times()
    subprocess.run(CLI + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = os.times()
    return (after.children_user - before.children_user) + (after.children_system - before.children_system)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, nargs="+", default=[5000, 20000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--config", default="gpu-hbm3")
    opts = ap.parse_args()
    print("| steps | ops | run (s CPU) | run --placement (s CPU) | table per op (µs) |")
    print("|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for t in opts.steps:
            path = str(Path(tmp) / f"lstm{t}.npz")
            subprocess.run(CLI + ["workload", "lstm", "--input-size", "1024", "--hidden", "1024", "--layers",
                                  "2", "--steps", str(t), "-o", path], stdout=subprocess.DEVNULL, check=True)
            from cimsim.workload import load_workload

            n = len(load_workload(path))
            plain = statistics.median(cpu(["run", opts.config, path]) for _ in range(opts.repeats))
            table = statistics.median(cpu(["run", opts.config, path, "--placement"])
                                      for _ in range(opts.repeats))
            print(f"| {t:,} | {n:,} | {plain:.2f} | {table:.2f} | {(table - plain) / n * 1e6:.1f} |",
                  flush=True)


if __name__ == "__main__":
    main()
