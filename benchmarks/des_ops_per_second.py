"""Simulated ops per second of the DES engine, each figure beside its target.

    python benchmarks/des_ops_per_second.py [--repeats 3] [--steps 10000]

All in one run, medians of ``--repeats``, so the ratios compare like with like:

1. End to end: ``cimsim run gpu-hbm3 FILE`` as a subprocess on a 2-layer,
   hidden 256, T = 10,000 LSTM file (40,004 ops; the interpreter start, imports,
   loading and validating the JSON, placement, costs, engine and report all
   count), and ``simulate()`` in process on the loaded workload, beside the same
   ``simulate()`` with the naive one-SimPy-process-per-op engine
   (``cimsim.engine.reference``) in place of the engine.
2. The engine alone (``simulate_dag`` on the arrays ``simulate()`` hands it):
   the default path, the SimPy engine (``method="simpy"``) and the naive
   engine, on a transfer-heavy chain (every op moves DRAM bytes), on
   compute-only ops, and on two DAGs whose transfers share a link: rarely
   (SimPy runs a short stretch, the replay the rest) and throughout (SimPy
   runs nearly all of it).
   SimPy's own rate for a chain of timeouts with one callback each is printed
   as the event-rate limit of any SimPy design.
3. Peak memory the engine allocates (tracemalloc), per op.

Not a test: timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import simpy

import cimsim.engine.des as des
from cimsim import load_architecture, load_workload, simulate
from cimsim.bundled import resolve_config
from cimsim.engine.reference import simulate_dag_reference
from cimsim.workload.generators import hier_attn, lstm

# the module whose ``simulate()`` calls the engine
sim_module = importlib.import_module("cimsim.pipeline")

TARGET_E2E_OPS = 200_000
TARGET_RATIO = 5.0


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


@contextlib.contextmanager
def engine_replaced(engine):
    """Make ``simulate()`` call ``engine`` in place of ``simulate_dag``."""
    old = sim_module.simulate_dag
    sim_module.simulate_dag = engine
    try:
        yield
    finally:
        sim_module.simulate_dag = old


def engine_args(arch, wl) -> tuple[tuple, dict]:
    """The arrays and keywords (exclusive transfers, loaded-latency curves, pieces)
    ``simulate()`` hands the engine for this workload."""
    seen = []

    def record(*args, **kwargs):
        seen.append((args, kwargs))
        return des.simulate_dag(*args, **kwargs)

    with engine_replaced(record):
        simulate(arch, wl, keep_ops=False)
    return seen[0]


def naive(*args, **_kwargs):
    return simulate_dag_reference(*args)


def simpy_event_rate(n: int = 200_000) -> float:
    """Events/s of SimPy itself: a chain of timeouts, each scheduling the next."""
    env = simpy.Environment()
    left = [n]

    def step(_ev):
        left[0] -= 1
        if left[0]:
            env.timeout(1.0).callbacks.append(step)

    env.timeout(1.0).callbacks.append(step)
    t = time.perf_counter()
    env.run()
    return n / (time.perf_counter() - t)


def peak_bytes(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def check(value: float, target: float) -> str:
    return "meets" if value >= target else "BELOW"


def end_to_end(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lstm.json"
        subprocess.run([sys.executable, "-m", "cimsim.cli", "workload", "lstm", "--layers", "2",
                        "--hidden", "256", "--input-size", "256", "--steps", str(args.steps),
                        "-o", str(path)], check=True, stdout=subprocess.DEVNULL)
        wl = load_workload(path)
        n = len(wl.ops)
        arch = load_architecture(resolve_config("gpu-hbm3"))
        cmd = [sys.executable, "-m", "cimsim.cli", "run", "gpu-hbm3", str(path)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)  # numba caches warm
        cli = median_time(lambda: subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL),
                          args.repeats)
        simulate(arch, wl, keep_ops=False)
        fast = median_time(lambda: simulate(arch, wl, keep_ops=False), args.repeats)
        with engine_replaced(naive):
            slow = median_time(lambda: simulate(arch, wl, keep_ops=False), args.repeats)
    print(f"End to end, LSTM 2 layers, hidden 256, T {args.steps}: {n:,} ops on gpu-hbm3")
    print(f"  cimsim run (CLI, subprocess)     {n / cli:>12,.0f} ops/s  ({cli:.2f} s)   "
          f"target >= {TARGET_E2E_OPS:,}: {check(n / cli, TARGET_E2E_OPS)}")
    print(f"  simulate() in process            {n / fast:>12,.0f} ops/s  ({fast:.3f} s)")
    print(f"  simulate() with the naive engine {n / slow:>12,.0f} ops/s  ({slow:.3f} s)")
    print(f"  ratio simulate() / naive         {slow / fast:>12.1f} x      "
          f"target >= {TARGET_RATIO:g}: {check(slow / fast, TARGET_RATIO)}")
    print(f"  ratio CLI / naive simulate()     {slow / cli:>12.1f} x      "
          f"target >= {TARGET_RATIO:g}: {check(slow / cli, TARGET_RATIO)}")


def engine_alone(args) -> None:
    cases = [
        ("LSTM L4 T5000, every op moves DRAM bytes", "gpu-hbm3",
         lstm(256, 256, 4, steps=5000, pointwise="separate")),
        ("hier-attn stream N900, compute-only ops", "gpu-hbm3",
         hier_attn(900, window=30, mode="stream")),
        ("LSTM L4 T5000, CIM: link shared at the start", "sram-cim",
         lstm(256, 256, 4, steps=5000, pointwise="separate")),
        ("hier-attn stream N900, CIM: shared throughout", "sram-cim",
         hier_attn(900, window=30, mode="stream")),
    ]
    print()
    print(f"SimPy's event-rate limit (timeouts with one callback): {simpy_event_rate():,.0f} events/s")
    print()
    print("Engine alone (simulate_dag), ops/s; ratio = default / naive, target >= "
          f"{TARGET_RATIO:g}")
    print(f"{'workload':<46} {'config':<9} {'ops':>7} {'path':<11} {'default':>11} "
          f"{'simpy':>9} {'naive':>8} {'ratio':>6} {'peak B/op':>9}")
    for label, cfg, wl in cases:
        arch = load_architecture(resolve_config(cfg))
        a, kw = engine_args(arch, wl)
        # the naive reference has the plain rules and pieces (none of these cases queues
        # transfers or has loaded-latency curves)
        assert kw.get("exclusive") is None and kw.get("link_latency") is None, label
        n = len(wl.ops)
        path = des.simulate_dag(*a, **kw).path
        t_fast = median_time(lambda: des.simulate_dag(*a, **kw), args.repeats)
        t_simpy = median_time(lambda: des.simulate_dag(*a, method="simpy", **kw), args.repeats)
        t_naive = median_time(lambda: simulate_dag_reference(*a, pieces=kw.get("pieces")),
                              args.repeats)
        peak = peak_bytes(lambda: des.simulate_dag(*a, **kw))
        ratio = t_naive / t_fast
        print(f"{label:<46} {cfg:<9} {n:>7} {path:<11} {n / t_fast:>11,.0f} {n / t_simpy:>9,.0f} "
              f"{n / t_naive:>8,.0f} {ratio:>5.1f}x {peak / n:>9.0f}  {check(ratio, TARGET_RATIO)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10000, help="LSTM time steps of the end-to-end case")
    args = ap.parse_args()
    end_to_end(args)
    engine_alone(args)


if __name__ == "__main__":
    main()
