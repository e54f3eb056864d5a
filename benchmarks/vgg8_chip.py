"""VGG-8 on a NeuroSim-organised CIM chip, end to end (issue 18): load the traced workload
(the trace is cached: ``data/validation/vgg8-cifar10.json``, cimsim's zoo ``vgg8``), load the
config, simulate with the per-op table (both engines), report the steady-state pipeline.

    python benchmarks/vgg8_chip.py [--repeats 5]

Prints the median of the repeats after one warm-up run (imports and first-call costs are
outside the timing; the cold first run is printed too). NeuroSim V1.4 takes 342 s for the
same network on these 2-core machines (issue 18); the issue's target is <= 3 s.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import cimsim
from cimsim import load_architecture, simulate
from cimsim.workload.io import load_workload

DATA = Path(cimsim.__file__).resolve().parent / "data" / "validation"


def once(engine: str):
    wl = load_workload(DATA / "vgg8-cifar10.json")
    arch = load_architecture(DATA / "neurosim-vgg8.yaml")
    return simulate(arch, wl, engine=engine, keep_ops=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    for engine in ("des", "analytic"):
        t = time.perf_counter()
        r = once(engine)
        cold = time.perf_counter() - t
        ts = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            once(engine)
            ts.append(time.perf_counter() - t)
        f = r.facts
        print(f"{engine:>8}: cold {cold:.3f} s, warm median {statistics.median(ts) * 1e3:.1f} ms "
              f"(load + simulate); latency {r.latency_s * 1e6:.1f} us, pipeline stage "
              f"{f['pipeline_interval_s'] * 1e6:.1f} us ({f['pipeline_limit']}), "
              f"{f['pipelined_ops_per_s'] / 1e12:.2f} TOPS")


if __name__ == "__main__":
    main()
