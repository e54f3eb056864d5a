"""Simulated ops per second of the DES engine (and of a whole `simulate` call).

    python benchmarks/des_ops_per_second.py [--repeats 5]

Times the engine alone (`simulate_dag` on a placed, costed workload) and the
whole pipeline (placement, numba costs, engine, report) on workloads of
different shapes; prints the median over repeats. Not a test: timings on a
shared machine are noisy, compare ratios within one run.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from cimsim import load_architecture, simulate
from cimsim.bundled import resolve_config
from cimsim.cost.kernels import compute_costs
from cimsim.engine.des import simulate_dag
from cimsim.mapping.placement import place
from cimsim.simulate import _link_rates, servers_of
from cimsim.workload.generators import hier_attn, lstm


def engine_only(arch, wl) -> float:
    pl = place(wl, arch)
    costs = compute_costs(pl, arch, wl.arrays.dtype)
    indptr, indices = wl.predecessors
    t = time.perf_counter()
    simulate_dag(indptr, indices, servers_of(pl), costs.compute_s, costs.latency_s,
                 np.stack([costs.dram_bytes, costs.link_bytes], axis=1), _link_rates(arch))
    return time.perf_counter() - t


def whole(arch, wl) -> float:
    t = time.perf_counter()
    simulate(arch, wl, keep_ops=False)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    cases = [
        ("lstm L4 T5000 (chain)", "gpu-hbm3", lstm(256, 256, 4, steps=5000, pointwise="separate")),
        ("lstm L4 T5000 (chain)", "rram-cim", lstm(256, 256, 4, steps=5000, pointwise="separate")),
        ("hier-attn stream N900", "gpu-hbm3", hier_attn(900, window=30, mode="stream")),
        ("hier-attn stream N900", "hbm-pim", hier_attn(900, window=30, mode="stream")),
    ]
    print(f"{'workload':<24} {'config':<10} {'ops':>7} {'engine ops/s':>14} {'simulate ops/s':>15}")
    for label, cfg, wl in cases:
        arch = load_architecture(resolve_config(cfg))
        whole(arch, wl)  # warm numba caches and the workload's cached arrays
        e = statistics.median(engine_only(arch, wl) for _ in range(args.repeats))
        w = statistics.median(whole(arch, wl) for _ in range(args.repeats))
        n = len(wl.ops)
        print(f"{label:<24} {cfg:<10} {n:>7} {n / e:>14,.0f} {n / w:>15,.0f}")


if __name__ == "__main__":
    main()
