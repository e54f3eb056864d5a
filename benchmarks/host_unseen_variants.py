"""The host-unseen cases timed once, predicted by model variants on the same timings.

    python benchmarks/host_unseen_variants.py host.yaml [out.json]

``host.yaml`` from ``cimsim calibrate`` (the cases run with its ``processor.cores`` threads;
pin a 1-thread run with ``taskset -c 1``). Variants, each adding to the one before:
baseline (one cold call; the table's rows 1, 8, 16, 64, 256 only, as calibrate measured it
before 2026-12-03), the steady state of repeated calls, the table's other rows (2 and 4 until
2026-12-04, every count up to 16 and 32 since; benchmarks/host_calibration_ab.py compares those
two on one calibration), the single-stream GEMV
bandwidth (only in configs that have it), the few-row path's passes over the weight
(``mac_efficiency.rows_per_pass``, only in configs that have it). Prints median |error| and worst ratio per variant
and the cases; nothing is tuned here.
"""
import copy
import json
import statistics
import sys

import torch
from cimsim.config import read_yaml  # a config as cimsim reads one (YAML 1.2 numbers)

from cimsim.calibrate import Timing
from cimsim.config import architecture_from_dict
from cimsim.pipeline import simulate
from cimsim.validate import host as H

path = sys.argv[1]
d = read_yaml(path)


def variant(rows24=True, stream=True, passes=True):
    v = copy.deepcopy(d)
    p = v["processor"]
    if not passes:
        p["mac_efficiency"].pop("rows_per_pass", None)
        p["mac_efficiency"].pop("pass_max_rows", None)
    if not rows24:  # the table as measured before: rows 1, 8, 16, 64, 256
        me = p["mac_efficiency"]
        keep = [i for i, r in enumerate(me["rows"]) if r in (1, 8, 16, 64, 256)]
        me["rows"] = [me["rows"][i] for i in keep]
        me["fraction"] = [me["fraction"][i] for i in keep]
    if not stream:
        p.pop("single_stream_bandwidth", None)
    return architecture_from_dict(v)


arch = variant()
threads = arch.components["processor"].cores
torch.set_num_threads(threads)
rec = []
sizes = H.HostSizes(rnn=H.unseen_cases(H.llc_bytes_of(arch)), gemv=None, transformer=None)
H._time_cases(torch, sizes, lambda name, m, wl, p: rec.append((name, m, wl)), Timing())
vs = {"baseline (one cold call, rows 1, 8, 16, 64, 256)": (variant(False, False, False), False),
      "+ steady state (2 calls - 1)": (variant(False, False, False), True),
      "+ the table's other rows": (variant(True, False, False), True),
      "+ single-stream GEMV": (variant(True, True, False), True),
      "+ few-row passes": (variant(True, True, True), True)}
out = {}
for label, (a, steady) in vs.items():
    errs = []
    for name, m, wl in rec:
        p = H.steady_latency(a, wl) if steady else simulate(a, wl, keep_ops=False).latency_s
        errs.append((name, m, p, p / m - 1))
    med = statistics.median(abs(e[3]) for e in errs)
    worst = max(max(e[2] / e[1], e[1] / e[2]) for e in errs)
    out[label] = {"median_abs_err": med, "worst_ratio": worst, "cases": errs}
    print(f"{label}: median |err| {med*100:.1f} %, worst {worst:.2f}x")
for name, m, p, e in out["+ few-row passes"]["cases"]:
    b = [x for x in out["+ single-stream GEMV"]["cases"] if x[0] == name][0]
    print(f"  {name} threads={threads}: measured {m * 1e3:.4g} ms, without passes {b[2] * 1e3:.4g} ms "
          f"({b[3] * 100:+.0f} %), with {p * 1e3:.4g} ms ({e * 100:+.0f} %)")
if len(sys.argv) > 2:
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)
