"""In-process ``simulate()`` speed on the README's 40,004-op LSTM (2 layers, H 256, T 10,000)
on gpu-hbm3, ``keep_ops=False`` as sweeps run it: median of N calls per engine, after warm-up.

Not a test. Compare two checkouts in the same minutes (this host is shared):

    PYTHONPATH=src python benchmarks/simulate_ops_per_second.py [--repeats 30]
"""

from __future__ import annotations

import argparse
import statistics
import time

import cimsim
from cimsim.workload.generators import lstm


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()
    arch = cimsim.load_architecture("gpu-hbm3")
    wl = lstm(256, 256, 2, steps=10000)
    n = wl.arrays.kind.shape[0]
    for engine in ("analytic", "des"):
        for _ in range(3):
            cimsim.simulate(arch, wl, engine=engine, keep_ops=False)
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            cimsim.simulate(arch, wl, engine=engine, keep_ops=False)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        print(f"{engine:>8}: {med * 1e3:7.2f} ms median of {args.repeats} = "
              f"{n / med / 1e6:.2f} M ops/s ({n:,} ops)")


if __name__ == "__main__":
    main()
