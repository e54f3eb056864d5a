"""Placement + cost of a 200,000-op workload on a CIM config whose circuit numbers are derived
(``rram-cim-derived``, ``sram-cim-derived``) against the explicit-energy configs (``rram-cim``,
``sram-cim``): the circuit models are evaluated once per component and design point, never per
op, so the two should cost the same per op (issue 17's target: within 1.5x).

    python benchmarks/cim_derived_cost.py [--steps 50000]

Prints the median of 3 runs per config, the derived/explicit ratio, and the time of one uncached
derivation of the design point (what a sweep pays per new design).
"""

from __future__ import annotations

import argparse
import statistics
import time

from cimsim import bundled, load_architecture
from cimsim.cost import compute_costs
from cimsim.hw.cim import derive
from cimsim.mapping.placement import place
from cimsim.workload.generators import lstm

PAIRS = (("rram-cim", "rram-cim-derived"), ("sram-cim", "sram-cim-derived"))


def place_and_cost(arch, wl) -> float:
    compute_costs(place(wl, arch), arch, wl.arrays)  # warm
    ts = []
    for _ in range(3):
        t = time.perf_counter()
        compute_costs(place(wl, arch), arch, wl.arrays)
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def derivation(arch) -> float:
    cim = arch.component("cim")
    ts = []
    for _ in range(20):
        derive._design_cached.cache_clear()
        t = time.perf_counter()
        derive.design(cim.config, arch.hardware.technology)
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=50_000)
    args = ap.parse_args()
    wl = lstm(256, 256, 2, steps=args.steps)
    wl.arrays, wl.predecessors  # built once per workload, outside the timing
    worst = 0.0
    for explicit, derived in PAIRS:
        a = load_architecture(bundled.resolve_config(explicit))
        b = load_architecture(bundled.resolve_config(derived))
        ta, tb = place_and_cost(a, wl), place_and_cost(b, wl)
        worst = max(worst, tb / ta)
        print(f"{explicit:>17}: {len(wl.ops):,} ops, place + cost median {ta * 1e3:.1f} ms")
        print(f"{derived:>17}: {len(wl.ops):,} ops, place + cost median {tb * 1e3:.1f} ms "
              f"(ratio {tb / ta:.2f}); one uncached derivation {derivation(b) * 1e3:.2f} ms")
    print(f"worst derived/explicit ratio {worst:.2f} (target <= 1.5): {'ok' if worst <= 1.5 else 'OVER'}")


if __name__ == "__main__":
    main()
