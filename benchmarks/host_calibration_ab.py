"""The matmul table with whole-octave weight columns against half-octave ones, on the same
case timings.

    python benchmarks/host_calibration_ab.py THREADS [out.json]

Calibrates this machine twice at ``THREADS`` threads, one right after the other: once with
the table's weight columns a whole octave of side apart (1, 4, 16, 64 MiB, ...:
``GRID_DENSE_UP_TO = 0``, ``cimsim calibrate`` before 2026-12-03 19:30 UTC) and once as it is
now (a column every doubling of the weight up to ``GRID_DENSE_UP_TO``). Then it times the
``host-unseen`` cases once (the case list from the second config's LLC) and predicts every
timing with both configs, so the two differ only by their calibrations. Prints median |error|
and worst ratio per configuration, for each held-out set (the first, ``FRESH_CASES``,
``BLIND_CASES``) and all cases, and each case. Nothing is tuned here. Run it on a quiet machine
(no other job): a 2-thread kernel waits a scheduler tick (4-8 ms) for a descheduled thread.
"""
import importlib
import json
import statistics
import sys

import torch
import yaml

from cimsim.calibrate import Timing, calibrate
from cimsim.config import architecture_from_dict
from cimsim.validate import host as H

M = importlib.import_module("cimsim.calibrate.measure")  # the module (the package exports a function by its name)
threads = int(sys.argv[1])
dense = M.GRID_DENSE_UP_TO
configs = {}
for label, value in (("whole-octave columns", 0), ("half-octave columns", dense)):
    M.GRID_DENSE_UP_TO = value
    try:
        _, text = calibrate(threads=threads, command=f"host_calibration_ab.py ({label})")
    finally:
        M.GRID_DENSE_UP_TO = dense
    configs[label] = architecture_from_dict(yaml.safe_load(text))
    print(f"calibrated: {label}", flush=True)

arch = configs["half-octave columns"]
torch.set_num_threads(threads)
rec = []
sizes = H.HostSizes(rnn=H.unseen_cases(H.llc_bytes_of(arch)), gemv=None, transformer=None)
H._time_cases(torch, sizes, lambda name, m, wl, p: rec.append((name, m, wl)), Timing())


def names(cases):
    return {f"nn.{c.upper()} H={h} B={b} T={t}" for c, h, b, t in cases}


fresh, blind = names(H.FRESH_CASES), names(H.BLIND_CASES)


def summary(errs):
    med = statistics.median(abs(e[3]) for e in errs)
    worst = max(max(e[2] / e[1], e[1] / e[2]) for e in errs)
    return med, worst


out = {"threads": threads, "configs": {}}
for label, a in configs.items():
    errs = []
    for name, m, wl in rec:
        p = H.steady_latency(a, wl)
        errs.append((name, m, p, p / m - 1))
    parts = {"first set": [e for e in errs if e[0] not in fresh | blind],
             "fresh set": [e for e in errs if e[0] in fresh], "blind set": [e for e in errs if e[0] in blind],
             "all": errs}
    out["configs"][label] = {k: dict(zip(("median_abs_err", "worst_ratio"), summary(v))) for k, v in parts.items()}
    out["configs"][label]["cases"] = errs
    print(f"{label}, {threads} thread(s): " + "; ".join(
        f"{k} median |err| {summary(v)[0] * 100:.1f} %, worst {summary(v)[1]:.2f}x" for k, v in parts.items()))
labels = list(configs)
for i, (name, m, _) in enumerate(rec):
    row = ", ".join(f"{lab} {out['configs'][lab]['cases'][i][2] * 1e3:.4g} ms "
                    f"({out['configs'][lab]['cases'][i][3] * 100:+.0f} %)" for lab in labels)
    tag = " (fresh)" if name in fresh else " (blind)" if name in blind else ""
    print(f"  {name}{tag}: measured {m * 1e3:.4g} ms; {row}")
if len(sys.argv) > 2:
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)
