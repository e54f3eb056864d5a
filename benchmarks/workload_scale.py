"""A million-op workload: generate + save, file size, load; time and peak RSS beside the targets.

    python benchmarks/workload_scale.py [--steps 500000] [--repeats 3] [--json]

Each phase runs as its own process (``cimsim workload lstm ... -o FILE.npz``, then a
``load_workload`` of that file followed by what every run needs next: the op
columns and the dependency CSR), so its peak RSS is measured alone (``wait4``).
A third phase appends the same op graph straight into a ``WorkloadBuilder(by_id=True)``
(checked equal to the generator's at T = 3): what a generator writing columns costs.
Prints the median over the repeats beside the issue-11 targets. ``--json`` also
times the JSON form of the same workload for comparison (slow at 1M ops). Not a
test: timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BY_ID = """
import sys, time
from cimsim.workload.ir import WorkloadBuilder
from cimsim.workload import save_workload

def lstm_by_id(T, I=256, H=256, B=1, dtype="fp32"):
    # the op graph of generators.lstm(I, H, 1, steps=T) (layer schedule, fused pointwise),
    # appended by tensor id: what a generator writing columns directly costs
    G = 4 * H
    b = WorkloadBuilder(f"lstm-by-id-T{T}", by_id=True)
    x = b.tensor("x", (T, B, I), dtype, "input")
    w_ih = b.tensor("l0.W_ih", (G, I), dtype, "weight")
    w_hh = b.tensor("l0.W_hh", (G, H), dtype, "weight")
    b_ih = b.tensor("l0.b_ih", (G,), dtype, "weight")
    b_hh = b.tensor("l0.b_hh", (G,), dtype, "weight")
    h = b.tensor("l0.h0", (B, H), dtype, "input")
    c = b.tensor("l0.c0", (B, H), dtype, "input")
    xp = [b.tensor(f"l0.t{t}.xproj", (B, G), dtype) for t in range(T)]
    b.op("l0.xproj", "matmul", (x, w_ih), xp, T * B, I, G, 1, w_ih, tags={"layer": 0, "part": "input"})
    hs = []
    for t in range(T):
        p = f"l0.t{t}"
        hp = b.tensor(p + ".hproj", (B, G), dtype)
        b.op(p + ".hproj", "matmul", (h, w_hh), (hp,), B, H, G, 1, w_hh,
             tags={"layer": 0, "step": t, "part": "recurrent"})
        c2, h = b.tensor(p + ".c", (B, H), dtype), b.tensor(p + ".h", (B, H), dtype)
        b.op(p + ".cell", "elementwise", (xp[t], hp, b_ih, b_hh, c), (c2, h), fn="lstm_pointwise",
             ops_per_element=18, tags={"layer": 0, "step": t, "part": "state"})
        c = c2
        hs.append(h)
    y = b.tensor("l0.y", (T, B, H), dtype)
    b.op("l0.concat", "copy", hs, (y,), tags={"layer": 0, "part": "concat"})
    return b.build()

if sys.argv[1] == "check":
    from cimsim.workload.generators import lstm
    from cimsim.workload.io import workload_to_dict
    a, g = workload_to_dict(lstm_by_id(3)), workload_to_dict(lstm(256, 256, 1, steps=3))
    assert (a["tensors"], a["ops"]) == (g["tensors"], g["ops"]), "by-id graph differs from the generator"
else:
    save_workload(lstm_by_id(int(sys.argv[1])), sys.argv[2])
"""

LOAD = ("import sys; from cimsim.workload import load_workload; w = load_workload(sys.argv[1]); "
        "w.arrays; w.predecessors; print(len(w))")


def _run(cmd: list[str]) -> tuple[float, float]:
    """Wall time [s] and peak RSS [MiB] of one child process."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.strip()}")
    return wall, usage.ru_maxrss / 1024  # ru_maxrss is KiB on Linux


def _phase(cmd: list[str], repeats: int) -> tuple[float, float]:
    runs = [_run(cmd) for _ in range(repeats)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=500_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="also the JSON file (slow)")
    args = ap.parse_args()
    cli = [sys.executable, "-m", "cimsim.cli"]
    rows = []
    subprocess.run([sys.executable, "-c", BY_ID, "check"], check=True)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "by_id.npz"
        by_id_s, by_id_rss = _phase([sys.executable, "-c", BY_ID, str(args.steps), str(path)], args.repeats)
        rows += [("builder by id + save npz [s]", by_id_s, 5.0),
                 ("builder by id + save peak RSS [MiB]", by_id_rss, 1024)]
        for suffix in (".npz", ".json") if args.json else (".npz",):
            path = Path(d) / f"lstm{suffix}"
            gen = [*cli, "workload", "lstm", "--input-size", "256", "--hidden", "256",
                   "--steps", str(args.steps), "-o", str(path)]
            gen_s, gen_rss = _phase(gen, args.repeats)
            size_mb = path.stat().st_size / 1e6
            load_s, load_rss = _phase([sys.executable, "-c", LOAD, str(path)], args.repeats)
            fmt = suffix[1:]
            rows += [
                (f"generate+save {fmt} [s]", gen_s, 5.0), (f"generate+save {fmt} peak RSS [MiB]", gen_rss, 1024),
                (f"file {fmt} [MB]", size_mb, 50.0),
                (f"load {fmt} + columns + CSR [s]", load_s, None),
                (f"load {fmt} peak RSS [MiB]", load_rss, 1024),
            ]
    print(f"1-layer LSTM, I = H = 256, T = {args.steps:,} ({2 * args.steps + 2:,} ops); "
          f"median of {args.repeats}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"{'figure':<40} {'measured':>10} {'target':>8}  ok")
    for name, value, target in rows:
        ok = "" if target is None else ("yes" if value <= target else "NO")
        tgt = "" if target is None else f"{target:g}"
        print(f"{name:<40} {value:10.2f} {tgt:>8}  {ok}")


if __name__ == "__main__":
    main()
