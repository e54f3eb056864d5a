"""In-process ``simulate()`` speed on the README's 40,004-op LSTM (2 layers, H 256, T 10,000)
on gpu-hbm3, ``keep_ops=False`` as sweeps run it: median of N calls per engine, after warm-up,
in CPU time (``time.process_time``, which other jobs on a shared host barely move) and wall.

Not a test. ``--against DIR`` compares this checkout with another one (DIR: its root, holding
``src/``) in one run: the two run in turns, each in its own process, and the CPU-time ratio
of their medians is printed (a ratio measured in the same minutes holds on a busy host where
absolute times do not):

    PYTHONPATH=src python benchmarks/simulate_ops_per_second.py [--repeats 30]
    PYTHONPATH=src python benchmarks/simulate_ops_per_second.py --against /tmp/old --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ENGINES = ("analytic", "des")


def measure(repeats: int) -> dict[str, dict[str, float]]:
    """Per engine: median CPU and wall seconds of ``repeats`` calls, and the op count."""
    import cimsim
    from cimsim.workload.generators import lstm

    arch = cimsim.load_architecture("gpu-hbm3")
    wl = lstm(256, 256, 2, steps=10000)
    out = {}
    for engine in ENGINES:
        for _ in range(3):
            cimsim.simulate(arch, wl, engine=engine, keep_ops=False)
        cpu, wall = [], []
        for _ in range(repeats):
            c, t = time.process_time(), time.perf_counter()
            cimsim.simulate(arch, wl, engine=engine, keep_ops=False)
            cpu.append(time.process_time() - c)
            wall.append(time.perf_counter() - t)
        out[engine] = {"cpu_s": statistics.median(cpu), "wall_s": statistics.median(wall),
                       "ops": int(wl.arrays.kind.shape[0])}
    return out


def _child(root: Path, repeats: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(root / "src"), CIMSIM_HOME=str(root))
    done = subprocess.run([sys.executable, __file__, "--child", "--repeats", str(repeats)],
                          env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--against", type=Path, help="another checkout's root, to compare in turns")
    ap.add_argument("--rounds", type=int, default=2, help="turns each with --against")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.repeats)))
        return
    if args.against is None:
        for engine, m in measure(args.repeats).items():
            print(f"{engine:>8}: {m['cpu_s'] * 1e3:7.2f} ms CPU, {m['wall_s'] * 1e3:7.2f} ms wall, "
                  f"median of {args.repeats} = {m['ops'] / m['cpu_s'] / 1e6:.2f} M ops per CPU-second "
                  f"({m['ops']:,} ops)")
        return
    here = Path(__file__).resolve().parents[1]
    runs: dict[str, list] = {"this": [], "against": []}
    for _ in range(args.rounds):  # in turns, so both see the same load
        runs["this"].append(_child(here, args.repeats))
        runs["against"].append(_child(args.against.resolve(), args.repeats))
    for engine in ENGINES:
        a = statistics.median(r[engine]["cpu_s"] for r in runs["this"])
        b = statistics.median(r[engine]["cpu_s"] for r in runs["against"])
        print(f"{engine:>8}: this {a * 1e3:7.2f} ms CPU, {args.against} {b * 1e3:7.2f} ms CPU, "
              f"this/against {a / b:.2f} (median over {args.rounds} rounds of medians of {args.repeats})")


if __name__ == "__main__":
    main()
