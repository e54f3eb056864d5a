"""Warm pool against cold sweeps: points per second of an optimizer's generations.

Not a test. An ask-tell optimizer calls ``cimsim.sweep`` once per generation with a small
batch. Cold: each generation is ``sweep(..., workers=W)``, which starts W worker processes and
stops them. Warm: one ``cimsim.sweep_pool(workers=W)`` for all generations (its start-up is
counted too, once). Same points, in both; the rows are checked equal.

    .venv/bin/python benchmarks/sweep_pool_generations.py [--generations 4] [--points 16] [--workers 2]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

import cimsim


def generation(g: int, n: int) -> list[dict]:
    """``n`` design points of generation ``g``: DRAM bandwidths none of the others use."""
    return [{"memory.dram.bandwidth": f"{100 + 7 * (g * n + i)} GB/s"} for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="sram-cim-derived")
    ap.add_argument("--workload", default="lstm")
    ap.add_argument("--generations", type=int, default=4)
    ap.add_argument("--points", type=int, default=16, help="points per generation")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    gens = [generation(g, args.points) for g in range(args.generations)]
    total = args.generations * args.points
    print(f"{args.config} x {args.workload}: {args.generations} generations of {args.points} points, "
          f"{args.workers} workers")

    def timed(run, p):
        t = time.perf_counter()
        df = run(args.config, args.workload, points=p)
        return df, time.perf_counter() - t

    t0 = time.perf_counter()
    cold, cold_s = zip(*(timed(lambda *a, **k: cimsim.sweep(*a, workers=args.workers, **k), p) for p in gens))
    t_cold = time.perf_counter() - t0

    t0 = time.perf_counter()
    with cimsim.sweep_pool(workers=args.workers) as pool:
        t_start = time.perf_counter() - t0
        warm, warm_s = zip(*(timed(pool.sweep, p) for p in gens))
    t_warm = time.perf_counter() - t0

    for c, w in zip(cold, warm):
        a, b = (d.sort_values("point_id").reset_index(drop=True) for d in (c, w))
        a.attrs = b.attrs = {}
        pd.testing.assert_frame_equal(a, b)
    print(f"cold sweep() per generation: {t_cold:6.1f} s = {total / t_cold:6.2f} points/s")
    print(f"one sweep_pool, all of them: {t_warm:6.1f} s = {total / t_warm:6.2f} points/s "
          f"(pool start-up {t_start:.1f} s; speed-up {t_cold / t_warm:.1f}x; rows identical)")
    print("per generation, s: cold " + " ".join(f"{s:.1f}" for s in cold_s)
          + " | pool " + " ".join(f"{s:.1f}" for s in warm_s))


if __name__ == "__main__":
    main()
