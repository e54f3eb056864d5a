"""Regenerate ``src/cimsim/data/validation/ramulator_runs.csv``: sustained bandwidth of one
Ramulator 2.1 channel on the traffic cimsim's ``type: dram`` level gives ceilings for.

Not run by tests or CI. It needs a built Ramulator 2.1 tree (CMU-SAFARI/ramulator2; the rows
shipped were made at commit c5b1c3a, built with its Python bindings; see
``validation/README.md`` for how it was built here): ``libramulator.so`` at its root and
the ``ramulator`` package under ``<root>/python``. Run it with a Python whose version matches
the bindings' build::

    python validation/ramulator_runs.py /path/to/ramulator2 [--out FILE] [--requests N]

What it runs, per standard (the speed bin, organisation and controller of Ramulator 2.1's own
latency-throughput test case of that standard, ``tests/latency_throughput/testcases/``), one
channel, all-bank refresh on (cimsim's ceilings include refresh):

- ``stream``: Ramulator's ``LatencyThroughputTrace`` frontend in its streaming-only mode, one
  request offered every frontend tick (frontend clock 8 or 16x the memory clock, as its test
  case), the test case's scheduler, ``Open`` rows, ``PassThroughAddrMapper``, the test case's
  stream layout (``stream_cls``, staggered rows), reads a ``read_fraction`` of the requests
  (the frontend draws each request's type at random), 10,000 warm-up cycles;
- ``random`` (one burst, 64 B, 128 B and 256 B reads; one burst and 64 B at 50 % reads):
  ``LoadStoreTrace`` over a generated trace of uniformly random ``access_bytes``-aligned
  addresses (each access all loads or all stores) (an access wider than one request, e.g.
  64 B on HBM's 32 B bursts, is consecutive requests to the same row), ``FRFCFS``, ``Open`` rows, ``RoBaRaCoCh`` mapping, the
  ``CacheLineInterleave`` channel mapping (one channel), the same frontend clock, so the
  controller's read buffer is always full.

Sustained bandwidth = the controller's ``total_throughput_MBps`` (requests served x bytes per
request / (controller cycles x tCK), as Ramulator's own throughput stat and latency-throughput
checks compute it).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import importlib.util
import random
import subprocess
import sys
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "cimsim" / "data" / "validation" / "ramulator_runs.csv"

#: cimsim preset -> Ramulator 2.1 test case (tests/latency_throughput/testcases/<file>.py),
#: and how many of cimsim's data buses one Ramulator channel is (HBM: two pseudo-channels)
CASES = {
    "DDR4": ("ddr4", 1),
    "DDR5": ("ddr5", 1),
    "HBM2": ("hbm2", 2),
    "HBM3": ("hbm3", 2),
    "LPDDR5": ("lpddr5", 1),
    "GDDR6": ("gddr6", 1),
}

#: (pattern, read_fraction, access_bytes); random accesses of one burst (DDR4/DDR5 64 B, HBM
#: 32 B), 64 B and 128 B (several bursts in one row); then the held-out runs of branch dramcmd
#: (the model's predictions for them were recorded before they were run; validation/README.md):
#: random 256 B reads, and random one-burst and 64 B accesses at 50 % reads
TRAFFIC = [("stream", 1.0, 64), ("stream", 0.5, 64), ("random", 1.0, 32), ("random", 1.0, 64),
           ("random", 1.0, 128), ("random", 1.0, 256), ("random", 0.5, 32), ("random", 0.5, 64),
           # branch dramwin's held-out runs (the window model's predictions were recorded
           # before they were run; validation/README.md): 192 B reads, 64 B and 128 B at 75 %
           ("random", 1.0, 192), ("random", 0.75, 64), ("random", 0.75, 128)]

#: random runs of one standard, some with the test case's controller buffers changed (branch
#: dramwin, held out likewise): (standard, read_fraction, access_bytes, controller keyword
#: arguments replacing the test case's); the last six: LPDDR5 runs predicted after the model's
#: LPDDR5 ACT-1 / ACT-2 rules were added, before they were run
BUFFER_RUNS = [("HBM2", 1.0, 128, {"read_buffer_size": 32}),
               ("HBM3", 1.0, 64, {"read_buffer_size": 32}),
               ("LPDDR5", 1.0, 128, {"read_buffer_size": 128}),
               ("GDDR6", 1.0, 256, {"read_buffer_size": 128}),
               ("HBM2", 0.5, 64, {"write_buffer_size": 128}),
               ("LPDDR5", 1.0, 96, {}),
               ("LPDDR5", 1.0, 64, {"read_buffer_size": 64}),
               ("LPDDR5", 0.25, 256, {}),
               ("LPDDR5", 0.5, 128, {"write_buffer_size": 64}),
               ("LPDDR5", 1.0, 512, {}),
               ("LPDDR5", 0.9, 64, {"read_buffer_size": 16, "write_buffer_size": 16})]

#: ``seen_by``: what of the model was built with a run's result in view (its case is then
#: ``fit``, the README's rule: a model choice made after computing it there); "" = predicted
#: before it was run and nothing changed after. The first five traffics (28 runs) missed under
#: the first closed form and led to the command-bus term; branch dramcmd's three (16 runs) were
#: predicted blind by that closed form, then seen when the controller-window model was built;
#: the LPDDR5 128 B run with 128 read entries missed the window model (-18.9 %) and led to
#: LPDDR5's ACT-1 / ACT-2 rules.
SEEN_BY = ("command-bus", "window", "act-rule")


def seen_by(std: str, pattern: str, read_fraction: float, size: int, buffer_kw: dict | None) -> str:
    """The ``seen_by`` of a run: of :data:`TRAFFIC` (``buffer_kw`` None) or of :data:`BUFFER_RUNS`."""
    if buffer_kw is None:
        i = TRAFFIC.index((pattern, read_fraction, size))
        return "command-bus" if i < 5 else "window" if i < 8 else ""
    return "act-rule" if (std, read_fraction, size, buffer_kw) == BUFFER_RUNS[2] else ""


HEADER = """\
# Ramulator 2.1 (CMU-SAFARI/ramulator2, MIT) runs on the traffic of cimsim's type: dram ceilings,
# made by validation/ramulator_runs.py (its docstring says what each run is). One Ramulator channel,
# all-bank refresh on, the speed bin / organisation / controller of Ramulator's own
# latency-throughput test case of the standard. bandwidth_GBps: the controller's
# total_throughput_MBps / 1000 (requests served x bytes per request / (controller cycles x tCK)).
# data_buses: cimsim's channels for the same hardware (HBM: a channel is two pseudo-channels).
# row_hit_rate: row hits / (hits + misses + conflicts). config: the run, in words.
# seen_by: what of cimsim's model was built with this run's result in view (then the case is fit):
# command-bus (the first 28 runs: the command-bus term, then the window model), window (branch
# dramcmd's 16: the controller-window model), act-rule (LPDDR5's ACT-1 / ACT-2 rules); empty: the
# model's prediction was written down before the run and nothing was changed after it (predicted).
"""

COLUMNS = ["standard", "ramulator_preset", "pattern", "read_fraction", "access_bytes", "channels",
           "data_buses", "bandwidth_GBps", "requests_served", "controller_cycles", "row_hit_rate",
           "ramulator_commit", "date", "seen_by", "config"]


def load_testcase(root: Path, name: str) -> dict:
    path = root / "tests" / "latency_throughput" / "testcases" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"r2_testcase_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.config


def load_layout_fn(root: Path):
    spec = importlib.util.spec_from_file_location("r2_test_utils", root / "tests" / "utils.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.extract_dram_layout


def make_ctrl(ramulator, cfg: dict, dram, scheduler: str, mapper: str):
    return getattr(ramulator.controller, cfg["controller_class"])(
        dram=dram, scheduler=getattr(ramulator.scheduler, scheduler)(),
        row_policy=ramulator.row_policy.Open(), addr_mapper=getattr(ramulator.addr_mapper, mapper)(),
        refresh_manager=ramulator.refresh_manager.AllBank(), **cfg.get("controller_kwargs", {}))


def run_stream(ramulator, layout_fn, cfg: dict, read_fraction: float, n: int) -> tuple[dict, str]:
    dram = getattr(ramulator.dram, cfg["dram_class"])(org_preset=cfg["org_preset"],
                                                      timing_preset=cfg["timing_preset"])
    layout = layout_fn(dram)
    fe = ramulator.frontend.LatencyThroughputTrace(
        clock_ratio=cfg["frontend_clock_ratio"], nop_counter=1, num_probe_requests=0,
        num_streaming_requests=n, streaming_only=True, warmup_cycles=10_000, seed=12345,
        read_ratio=round(read_fraction * 100), stream_cls=cfg.get("stream_cls", layout["num_cls"]),
        stagger_stream_rows=cfg.get("stagger_stream_rows", False), **layout)
    sched = cfg.get("scheduler_class", "FRFCFS")
    mem = ramulator.memory_system.GenericDRAM(
        clock_ratio=1, controllers=[make_ctrl(ramulator, cfg, dram, sched, "PassThroughAddrMapper")],
        channel_mapper=ramulator.channel_mapper.PassThroughChannelMapper())
    sim = ramulator.Simulation(fe, mem)
    sim.run()
    summary = (f"LatencyThroughputTrace streaming_only nop 1 x{n} warmup 10000; {cfg['controller_class']} "
               f"{sched} Open AllBank PassThroughAddrMapper stream_cls {cfg.get('stream_cls', layout['num_cls'])} "
               f"stagger {cfg.get('stagger_stream_rows', False)} fe_clock {cfg['frontend_clock_ratio']}"
               f" {cfg.get('controller_kwargs', {})}")
    return sim.stats, summary


def run_random(ramulator, cfg: dict, access_bytes: int, n: int, trace_dir: Path,
               read_fraction: float = 1.0) -> tuple[dict, str]:
    dram = getattr(ramulator.dram, cfg["dram_class"])(org_preset=cfg["org_preset"],
                                                      timing_preset=cfg["timing_preset"])
    sched = "FRFCFS"
    mem = ramulator.memory_system.GenericDRAM(
        clock_ratio=1, controllers=[make_ctrl(ramulator, cfg, dram, sched, "RoBaRaCoCh")],
        channel_mapper=ramulator.channel_mapper.CacheLineInterleave())
    # each access is access_bytes / tx consecutive requests (same row, adjacent columns), all
    # loads or all stores (a store with probability 1 - read_fraction, from its own generator,
    # so the addresses are those of the all-read run)
    rng = random.Random(12345)
    ops = random.Random(54321)
    path = trace_dir / f"{cfg['name']}_random_{access_bytes}_{read_fraction}.trace"
    tx = TX_BYTES[cfg["name"]]
    with open(path, "w") as f:
        for _ in range(n):
            base = rng.randrange(0, 1 << 40, access_bytes)
            op = "LD" if read_fraction >= 1.0 or ops.random() < read_fraction else "ST"
            for off in range(0, access_bytes, tx):
                f.write(f"{op} {base + off}\n")
    fe = ramulator.frontend.LoadStoreTrace(clock_ratio=cfg["frontend_clock_ratio"], path=str(path))
    sim = ramulator.Simulation(fe, mem)
    sim.run()
    what = "reads" if read_fraction >= 1.0 else f"accesses ({read_fraction:.0%} loads, the rest stores)"
    summary = (f"LoadStoreTrace {n} uniform random {access_bytes} B-aligned {what} of 40-bit addresses "
               f"({access_bytes // tx} x {tx} B requests each, same row); {cfg['controller_class']} {sched} "
               f"Open AllBank RoBaRaCoCh CacheLineInterleave fe_clock {cfg['frontend_clock_ratio']} {cfg.get('controller_kwargs', {})}")
    return sim.stats, summary


#: bytes per request (channel_width x internal prefetch / 8) of each Ramulator preset used
TX_BYTES = {"DDR4": 64, "DDR5": 64, "HBM2": 32, "HBM3": 32, "LPDDR5": 32, "GDDR6": 32}


def commit_of(root: Path) -> str:
    try:
        return subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "c5b1c3a"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path, help="built Ramulator 2.1 tree")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--requests", type=int, default=200_000, help="streaming requests per run")
    ap.add_argument("--accesses", type=int, default=50_000, help="random accesses per run")
    ap.add_argument("--commit", default=None, help="Ramulator commit to record (default: git of root)")
    ap.add_argument("--only", nargs="*", default=None, help="cimsim standards to run")
    a = ap.parse_args(argv)
    sys.path.insert(0, str(a.root / "python"))
    import ramulator  # noqa: E402

    layout_fn = load_layout_fn(a.root)
    commit = a.commit or commit_of(a.root)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for std, (tc, buses) in CASES.items():
            if a.only and std not in a.only:
                continue
            cfg = load_testcase(a.root, tc)
            runs = [(p, rf, size, cfg, seen_by(std, p, rf, size, None)) for p, rf, size in TRAFFIC]
            runs += [("random", rf, size, {**cfg, "controller_kwargs": {**cfg.get("controller_kwargs", {}), **kw}},
                      seen_by(std, "random", rf, size, kw)) for s, rf, size, kw in BUFFER_RUNS if s == std]
            for pattern, rf, size, cfg, seen in runs:
                if size < TX_BYTES[std]:
                    continue  # a request is one whole burst: no sub-burst accesses
                if pattern == "stream":
                    stats, summary = run_stream(ramulator, layout_fn, cfg, rf, a.requests)
                else:
                    stats, summary = run_random(ramulator, cfg, size, a.accesses, Path(tmp), rf)
                c = stats["memory_system"]["controller"]
                served = c["num_read_reqs_served"] + c["num_write_reqs_served"]
                rw = c["row_hits"] + c["row_misses"] + c["row_conflicts"]
                row = {"standard": std, "ramulator_preset": f"{cfg['org_preset']} + {cfg['timing_preset']}",
                       "pattern": pattern, "read_fraction": rf, "access_bytes": size, "channels": 1,
                       "data_buses": buses, "bandwidth_GBps": round(c["total_throughput_MBps"] / 1000, 3),
                       "requests_served": served, "controller_cycles": c["cycles"],
                       "row_hit_rate": round(c["row_hits"] / rw, 4) if rw else "",
                       "ramulator_commit": commit, "date": datetime.date.today().isoformat(),
                       "seen_by": seen, "config": summary}
                print(row["standard"], pattern, rf, size, row["bandwidth_GBps"], "GB/s", flush=True)
                rows.append(row)
    with open(a.out, "w", newline="") as f:
        f.write(HEADER)
        w = csv.DictWriter(f, COLUMNS)
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {a.out} ({len(rows)} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
