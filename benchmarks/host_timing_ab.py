"""The calibration's statistic, median against min, on one timing of the host cases.

    python benchmarks/host_timing_ab.py THREADS [out.json]

Calibrates this machine twice back to back at ``THREADS`` threads, each figure the median of
repeated calls (``cimsim calibrate``'s default since 0.5) and then the fastest (``--timing
min``, the default before), times the ``host`` suite's cases and every ``host-unseen`` case once
(each by its fastest call, as both suites time them) and predicts every timing on both configs.
Prints median |error| and worst ratio per config for the ``host`` cases, the held-out sets
written before this change (the first set, ``FRESH_CASES``, ``BLIND_CASES``,
``BLIND2_CASES``), ``BLIND3_CASES`` and ``BLIND4_CASES`` (written down before any held-out run
of a median calibration), then each case. Writes both configs next to ``out.json``
(``out_median.yaml``, ``out_min.yaml``). Nothing is tuned here. Run it on a quiet machine.
"""
import json
import statistics
import sys

import torch
from cimsim.config.yamlread import load_text  # a config as cimsim reads one (YAML 1.2 numbers)

from cimsim.calibrate import Timing, calibrate
from cimsim.config import architecture_from_dict
from cimsim.validate import host as H

threads = int(sys.argv[1])
out_path = sys.argv[2] if len(sys.argv) > 2 else None
archs = {}
for stat in ("median", "min"):
    _, text = calibrate(threads=threads, command=f"host_timing_ab.py ({stat})", timing=Timing(statistic=stat))
    archs[stat] = architecture_from_dict(load_text(text))
    if out_path:
        with open(out_path.rsplit(".", 1)[0] + f"_{stat}.yaml", "w") as f:
            f.write(text)

torch.set_num_threads(threads)
rec = []
sizes = H.HostSizes(rnn=H.RNN_CASES + H.unseen_cases(H.llc_bytes_of(archs["median"])), gemv=H.GEMV,
                    transformer=H.TRANSFORMER)
H._time_cases(torch, sizes, lambda name, m, wl, p: rec.append((name, m, wl)), Timing())


def names(cases):
    return {H.case_name(*c) for c in cases}


suite = names(H.RNN_CASES) | {n for n, _, _ in rec if not n.startswith("nn.")}
later = {"blind set 3": names(H.BLIND3_CASES), "blind set 4": names(H.BLIND4_CASES)}


def part_of(name):
    if name in suite:
        return "host"
    return next((k for k, v in later.items() if name in v), "held out before")


rows = [{"case": n, "set": part_of(n), "measured_s": m,
         **{f"{k}_s": H.steady_latency(a, wl) for k, a in archs.items()}} for n, m, wl in rec]


def summary(sel, k):
    e = [r[f"{k}_s"] / r["measured_s"] - 1 for r in sel]
    return statistics.median(abs(x) for x in e), max(max(1 + x, 1 / (1 + x)) for x in e)


parts = ("host", "held out before", "blind set 3", "blind set 4")
out = {"threads": threads, "summary": {}, "cases": rows}
for p in parts + ("all held out",):
    sel = [r for r in rows if (r["set"] == p if p != "all held out" else r["set"] != "host")]
    out["summary"][p] = {k: dict(zip(("median_abs_err", "worst_ratio"), summary(sel, k))) for k in archs}
    print(f"{threads} thread(s), {p} ({len(sel)} cases): " + "; ".join(
        f"{k}: {summary(sel, k)[0] * 100:.1f} % / {summary(sel, k)[1]:.2f}x" for k in archs), flush=True)
for r in rows:
    print(f"  [{r['set']}] {r['case']}: measured {r['measured_s'] * 1e3:.4g} ms; "
          + ", ".join(f"{k} {(r[f'{k}_s'] / r['measured_s'] - 1) * 100:+.1f} %" for k in archs))
if out_path:
    with open(out_path, "w") as f:
        json.dump(out, f)
