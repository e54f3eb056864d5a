"""Placement + cost of a large workload (the per-op cost models are vectorised NumPy).

    python benchmarks/cost_stage.py [--steps 50000]

Prints the median of 3 runs per bundled config. On 2026-11-29 (2-core machine) a 200,004-op
LSTM (2 layers, H = 256, T = 50,000) took 144 ms on cpu-ddr5 and 195 ms on sram-cim, against
246 ms and 267 ms for cimsim 0.1's numba cost kernel measured in the same session: numba
does not pay in this stage, so it is NumPy.
"""

from __future__ import annotations

import argparse
import statistics
import time

from cimsim import bundled, load_architecture
from cimsim.cost import compute_costs
from cimsim.mapping.placement import place
from cimsim.workload.generators import lstm


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=50_000)
    args = ap.parse_args()
    wl = lstm(256, 256, 2, steps=args.steps)
    wl.arrays, wl.predecessors  # built once per workload, outside the timing
    for path in bundled.config_paths():
        arch = load_architecture(path)
        compute_costs(place(wl, arch), arch, wl.arrays)  # warm
        ts = []
        for _ in range(3):
            t = time.perf_counter()
            compute_costs(place(wl, arch), arch, wl.arrays)
            ts.append(time.perf_counter() - t)
        print(f"{arch.name:>10}: {len(wl.ops):,} ops, place + cost median {statistics.median(ts) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
