"""A million-op workload through the CLI: generate, file size, load, run; time, CPU time and
peak RSS beside the targets (issues 11 and 21).

    python benchmarks/workload_scale.py [--steps 500000] [--repeats 1] [--json] [--generic]
                                        [--run CONFIG]

Each phase runs as its own process, so its peak RSS is measured alone (``wait4``):

- ``cimsim workload lstm --input-size 256 --hidden 256 --steps N -o x.npz`` (and ``-o
  x.json`` with ``--json``): the generator builds columns and saves them;
- ``load_workload(file)`` followed by what every run needs next (the op columns and the
  dependency CSR), for each form written;
- with ``--run CONFIG``: ``cimsim run CONFIG file`` end to end, for each form;
- with ``--generic`` (and ``--json``): the JSON load and run again through the generic reader
  (``json.loads`` chunk by chunk, as before the column scanner of ``workload/jsonfast.py``),
  for a before / after on the same machine and file.

Prints the median over the repeats: wall time, CPU time (user + system: on a shared machine the
wall time also counts waiting for a core, the CPU time much less so) and peak RSS. Not a test:
timings on a shared machine are noisy; give ``uptime``'s load average with the figures.
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

LOAD = ("import sys; from cimsim.workload import load_workload; w = load_workload(sys.argv[1]); "
        "w.arrays; w.predecessors; print(len(w))")
#: the same through the generic JSON reader (the column scanner switched off)
GENERIC = "import cimsim.workload.io as io; io.FAST_MIN_BYTES = float('inf'); "
RUN_GENERIC = GENERIC + "import sys; from cimsim.cli import main; main(sys.argv[1:])"


def _run(cmd: list[str]) -> tuple[float, float, float]:
    """Wall time [s], CPU time [s] and peak RSS [MiB] of one child process."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(cmd)} failed: {err.strip()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # KiB on Linux


def _phase(cmd: list[str], repeats: int) -> tuple[float, float, float]:
    runs = [_run(cmd) for _ in range(repeats)]
    return tuple(statistics.median(r[i] for r in runs) for i in range(3))  # type: ignore[return-value]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=500_000)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="also the JSON form (slower)")
    ap.add_argument("--generic", action="store_true",
                    help="with --json: also the JSON rows through the generic reader (before / after)")
    ap.add_argument("--run", metavar="CONFIG", help="also `cimsim run CONFIG FILE` end to end")
    args = ap.parse_args()
    cli = [sys.executable, "-m", "cimsim.cli"]
    rows = []  # (figure, wall, cpu, rss, target)
    with tempfile.TemporaryDirectory() as d:
        for suffix in (".npz", ".json") if args.json else (".npz",):
            path = Path(d) / f"lstm{suffix}"
            fmt = suffix[1:]
            gen = [*cli, "workload", "lstm", "--input-size", "256", "--hidden", "256",
                   "--steps", str(args.steps), "-o", str(path)]
            rows.append((f"generate + save {fmt}", *_phase(gen, args.repeats),
                         "<= 5 s, <= 1024 MiB" if fmt == "npz" else ""))
            rows.append((f"  file size [MB]: {path.stat().st_size / 1e6:.1f}", None, None, None,
                         "<= 50 MB" if fmt == "npz" else ""))
            rows.append((f"load {fmt} + op columns + CSR", *_phase([sys.executable, "-c", LOAD, str(path)],
                                                                  args.repeats),
                         "<= 15 s, <= 1536 MiB" if fmt == "json" else ""))
            if args.run:
                rows.append((f"cimsim run {args.run} {fmt}",
                             *_phase([*cli, "run", args.run, str(path)], args.repeats),
                             "<= 15 s, <= 1536 MiB" if fmt == "json" else ""))
            if fmt == "json" and args.generic:
                rows.append(("load json, generic reader", *_phase(
                    [sys.executable, "-c", GENERIC + LOAD, str(path)], args.repeats), ""))
                if args.run:
                    rows.append((f"cimsim run {args.run} json, generic reader", *_phase(
                        [sys.executable, "-c", RUN_GENERIC, "run", args.run, str(path)], args.repeats), ""))
    load = os.getloadavg()[0]
    print(f"1-layer LSTM, I = H = 256, T = {args.steps:,} ({2 * args.steps + 2:,} ops); "
          f"median of {args.repeats}; load average {load:.1f} on {os.cpu_count()} cores; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"{'phase':<42} {'wall [s]':>9} {'CPU [s]':>8} {'RSS [MiB]':>10}  target")
    for name, wall, cpu, rss, target in rows:
        if wall is None:
            print(f"{name:<42} {'':>9} {'':>8} {'':>10}  {target}")
        else:
            print(f"{name:<42} {wall:9.2f} {cpu:8.2f} {rss:10.0f}  {target}")


if __name__ == "__main__":
    main()
