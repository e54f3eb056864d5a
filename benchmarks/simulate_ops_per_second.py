"""In-process ``simulate()`` speed on the README's 40,004-op LSTM (2 layers, H 256, T 10,000)
on gpu-hbm3, ``keep_ops=False`` as sweeps run it: median of N calls per engine, after warm-up,
in CPU time (``time.process_time``, which other jobs on a shared host barely move) and wall.

Not a test. ``--against DIR`` compares this checkout with another one (DIR: its root, holding
``src/``) in one run: the two run in turns, each in its own process, and the CPU-time ratio
of their medians is printed (a ratio measured in the same minutes holds on a busy host where
absolute times do not):

    PYTHONPATH=src python benchmarks/simulate_ops_per_second.py [--repeats 30] [--rounds 3]
    PYTHONPATH=src python benchmarks/simulate_ops_per_second.py --against /tmp/old --rounds 3
    PYTHONPATH=src python benchmarks/simulate_ops_per_second.py --config sram-cim --steps 1000 --cache

Each round runs in its own process; the medians and the range over the rounds are printed (the
range is the noise: quote it with the median), and the DES / analytic ratio of this checkout.
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


def measure(repeats: int, config: str = "gpu-hbm3", steps: int = 10000,
            cache: bool = False) -> dict[str, dict[str, float]]:
    """Per engine: median CPU and wall seconds of ``repeats`` calls, and the op count; with
    ``cache`` each call passes one ``CostCache`` (as a sweep worker's points do)."""
    import cimsim
    from cimsim.workload.generators import lstm

    arch = cimsim.load_architecture(config)
    wl = lstm(256, 256, 2, steps=steps)
    kw = {}
    if cache:
        from cimsim.cost.cache import CostCache

        kw["costs"] = CostCache()
    out = {}
    for engine in ENGINES:
        for _ in range(3):
            cimsim.simulate(arch, wl, engine=engine, keep_ops=False, **kw)
        cpu, wall = [], []
        for _ in range(repeats):
            c, t = time.process_time(), time.perf_counter()
            cimsim.simulate(arch, wl, engine=engine, keep_ops=False, **kw)
            cpu.append(time.process_time() - c)
            wall.append(time.perf_counter() - t)
        out[engine] = {"cpu_s": statistics.median(cpu), "wall_s": statistics.median(wall),
                       "ops": int(wl.arrays.kind.shape[0])}
    return out


def _child(root: Path, repeats: int, shape: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH=str(root / "src"), CIMSIM_HOME=str(root))
    done = subprocess.run([sys.executable, __file__, "--child", "--repeats", str(repeats), *shape],
                          env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--against", type=Path, help="another checkout's root, to compare in turns")
    ap.add_argument("--rounds", type=int, default=3, help="rounds (each checkout in turn with --against)")
    ap.add_argument("--config", default="gpu-hbm3", help="the config (bundled name)")
    ap.add_argument("--steps", type=int, default=10000, help="LSTM steps (ops: 4 x steps + 4)")
    ap.add_argument("--cache", action="store_true", help="one CostCache over the calls, as a sweep point")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    shape = ["--config", args.config, "--steps", str(args.steps)] + (["--cache"] if args.cache else [])
    if args.child:
        print(json.dumps(measure(args.repeats, args.config, args.steps, args.cache)))
        return
    here = Path(__file__).resolve().parents[1]
    runs: dict[str, list] = {"this": [], "against": []}
    for _ in range(args.rounds):  # in turns, so both see the same load
        runs["this"].append(_child(here, args.repeats, shape))
        if args.against is not None:
            runs["against"].append(_child(args.against.resolve(), args.repeats, shape))
    of = f"over {args.rounds} rounds of medians of {args.repeats}"
    ops = runs["this"][0][ENGINES[0]]["ops"]
    print(f"{args.config}, {ops:,}-op LSTM{', CostCache' if args.cache else ''}, CPU ms per simulate():")
    for engine in ENGINES:
        a = [r[engine]["cpu_s"] for r in runs["this"]]
        line = f"{engine:>8}: this {_ms(a)}"
        if args.against is not None:
            b = [r[engine]["cpu_s"] for r in runs["against"]]
            ratios = [x / y for x, y in zip(a, b)]
            line += (f", {args.against} {_ms(b)}; this/against median {statistics.median(ratios):.2f}, "
                     f"rounds {min(ratios):.2f}-{max(ratios):.2f}")
        print(line + f" ({of}; {ops / statistics.median(a) / 1e6:.2f} M ops per CPU-second)")
    ratios = [r["des"]["cpu_s"] / r["analytic"]["cpu_s"] for r in runs["this"]]
    print(f"des/analytic (this): median {statistics.median(ratios):.2f}, rounds "
          f"{min(ratios):.2f}-{max(ratios):.2f}")


def _ms(values: list[float]) -> str:
    """The median and the range of per-round medians, in ms."""
    return (f"{statistics.median(values) * 1e3:.1f} ms (rounds {min(values) * 1e3:.1f}-"
            f"{max(values) * 1e3:.1f})")


if __name__ == "__main__":
    main()
