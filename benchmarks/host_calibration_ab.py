"""The matmul table with whole-octave weight columns against the columns between, on one
calibration and one timing of the held-out cases.

    python benchmarks/host_calibration_ab.py THREADS [out.json]

Calibrates this machine once at ``THREADS`` threads (the table has a column between each two
whole-octave sides from ``GRID_DENSE_FROM`` to ``GRID_DENSE_UP_TO``: sides 1536 and 2816) and
makes from it the whole-octave table (1, 4, 16, 64 MiB, ...: ``cimsim calibrate`` before
2026-12-03 19:30 UTC) and the tables between by dropping columns, so the configs differ only in
those columns, not by two calibrations' noise. Then it times the ``host-unseen`` cases once and
predicts every timing with each config. Prints median |error| and worst ratio per config, for
each held-out set (the first, ``FRESH_CASES``, ``BLIND_CASES``) and all cases, and each case;
writes the config next to ``out.json`` (``out.yaml``). Nothing is tuned here. Run it on a quiet
machine (no other job): a 2-thread kernel waits a scheduler tick (4-8 ms) for a descheduled
thread.
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
_, text = calibrate(threads=threads, command="host_calibration_ab.py")
d = yaml.safe_load(text)
me = d["processor"]["mac_efficiency"]
mids = sorted(s for s in M.grid_sides(4 * M.GRID_MAX_SIDE ** 2) if s & (s - 1))  # not powers of two


def side_of(w) -> int:
    return round((M.MiB * float(str(w).split()[0]) / 4) ** 0.5)


def without(drop) -> dict:
    """The calibrated config less the table's columns of the sides ``drop``."""
    v = yaml.safe_load(text)
    keep = [i for i, w in enumerate(me["weight_bytes"]) if side_of(w) not in drop]
    v["processor"]["mac_efficiency"]["weight_bytes"] = [me["weight_bytes"][i] for i in keep]
    v["processor"]["mac_efficiency"]["fraction"] = [[row[i] for i in keep] for row in me["fraction"]]
    return architecture_from_dict(v)


configs = {"whole-octave columns": without(set(mids))}
configs.update({f"+ {', '.join(map(str, mids[i:]))}": without(set(mids[:i])) for i in range(len(mids) - 1, 0, -1)})
configs["half-octave columns"] = architecture_from_dict(d)
print("weight columns: " + ", ".join(map(str, me["weight_bytes"])), flush=True)
if len(sys.argv) > 2:
    with open(sys.argv[2].rsplit(".", 1)[0] + ".yaml", "w") as f:
        f.write(text)

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
