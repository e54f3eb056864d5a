"""The matmul table's rows and columns, each with and without what the calibration gained, on
one calibration and one timing of the held-out cases.

    python benchmarks/host_calibration_ab.py THREADS [out.json]

Calibrates this machine once at ``THREADS`` threads and makes from its table five configs, by
dropping rows and columns, so they differ only in the table, not by two calibrations' noise:

- rows: every count up to 16, then 32, 64, 256 (``GRID_ROWS``, 2026-12-04), or 1, 2, 4, 8, 16,
  64, 256 only (the rows before). With the fewer rows, the few-row pass rule
  (``rows_per_pass`` / ``pass_max_rows``) is fitted again on them as ``cimsim calibrate`` fits
  it, and its end is read from the full table's times by the largest cache-resident weight
  (what the calibration's scan of the rows past the fit measures) instead of a scan;
- columns: the whole-octave weights (1, 4, 16, 64 MiB, ...) and the columns between them from
  4 to 64 MiB (sides 1536 and 2816, 2026-12-03 19:30 UTC), or the whole-octave ones only;
- and a fifth, the full config: with both, and the rate past the LLC by the weight's row length
  (``row_length_exponent``, 2026-12-04); the four others drop it.

Then it times the ``host-unseen`` cases once and predicts every timing with each config. Prints
median |error| and worst ratio per config for each held-out set (the first, ``FRESH_CASES``,
``BLIND_CASES``, ``BLIND2_CASES``, ``BLIND3_CASES``, ``BLIND4_CASES``) and all cases, and each case; writes the calibrated config
next to ``out.json`` (``out.yaml``). Nothing is tuned here. Run it on a quiet machine (no other
job): a 2-thread kernel waits a scheduler tick (4-8 ms) for a descheduled thread.
"""
import importlib
import json
import statistics
import sys

import torch
from cimsim.config.yamlread import load_text  # a config as cimsim reads one (YAML 1.2 numbers)

from cimsim.calibrate import Timing, calibrate
from cimsim.calibrate.fewrows import fit_rows_per_pass, pass_limit
from cimsim.config import architecture_from_dict
from cimsim.validate import host as H

M = importlib.import_module("cimsim.calibrate.measure")  # the module (the package exports a function by its name)
OLD_ROWS = (1, 2, 4, 8, 16, 64, 256)
threads = int(sys.argv[1])
_, text = calibrate(threads=threads, command="host_calibration_ab.py")  # the default statistic (median)
d = load_text(text)
me = d["processor"]["mac_efficiency"]
mids = {s for s in M.grid_sides(4 * M.GRID_MAX_SIDE ** 2) if s & (s - 1)}  # not powers of two
llc = float(str(d["memory"]["llc"]["capacity"]).split()[0])


def side_of(w) -> int:
    return round((M.MiB * float(str(w).split()[0]) / 4) ** 0.5)


sides = [side_of(w) for w in me["weight_bytes"]]
rows = [int(r) for r in me["rows"]]
# the table's time of r rows by a side, in units of side^2 MACs at the peak (fraction = rate / peak)
unit_time = {(r, s): r / me["fraction"][i][j] for i, r in enumerate(rows) for j, s in enumerate(sides)}


def variant(dense_rows: bool, mid_columns: bool, row_length: bool = False) -> dict:
    v = load_text(text)
    t = v["processor"]["mac_efficiency"]
    if not row_length:
        t.pop("row_length_exponent", None), t.pop("row_length_from", None)
    ri = [i for i, r in enumerate(rows) if dense_rows or r in OLD_ROWS]
    ci = [j for j, s in enumerate(sides) if mid_columns or s not in mids]
    t["rows"] = [rows[i] for i in ri]
    t["weight_bytes"] = [me["weight_bytes"][j] for j in ci]
    t["fraction"] = [[me["fraction"][i][j] for j in ci] for i in ri]
    if not dense_rows:  # the pass rule as calibrate fits it on these rows
        t.pop("rows_per_pass", None), t.pop("pass_max_rows", None)
        kept = [sides[j] for j in ci]
        r0 = t["rows"][0]
        ratios = {r: statistics.median(unit_time[(r, s)] / unit_time[(r0, s)] for s in kept) for r in t["rows"]}
        fit = fit_rows_per_pass(ratios)
        if fit is not None:
            p, top = fit
            above = [r for r in t["rows"] if r > top]
            side = max([s for s in kept if 4 * s * s <= llc / 2] or kept[:1])
            scan = {m: unit_time[(m, side)] for m in range(top, (above[0] if above else top) + 1)}
            t["rows_per_pass"] = p
            t["pass_max_rows"] = min(pass_limit(scan, p, top), above[0] - 1) if above else top
    return architecture_from_dict(v)


configs = {f"{'every row to 16' if dr else 'rows 1, 2, 4, 8, 16'}, "
           f"{'columns between' if mc else 'whole octaves'}": variant(dr, mc)
           for dr in (False, True) for mc in (False, True)}
if "row_length_exponent" in me:
    configs["every row to 16, columns between, + row length past the LLC"] = variant(True, True, True)
print("weight columns: " + ", ".join(map(str, me["weight_bytes"])) + "; rows: " + ", ".join(map(str, rows)),
      flush=True)
if len(sys.argv) > 2:
    with open(sys.argv[2].rsplit(".", 1)[0] + ".yaml", "w") as f:
        f.write(text)

arch = configs[list(configs)[-1]]
torch.set_num_threads(threads)
rec = []
sizes = H.HostSizes(rnn=H.unseen_cases(H.llc_bytes_of(arch)), gemv=None, transformer=None)
H._time_cases(torch, sizes, lambda name, m, wl, p: rec.append((name, m, wl)), Timing())


def names(cases):
    return {H.case_name(*c) for c in cases}


sets = {"fresh set": names(H.FRESH_CASES), "blind set": names(H.BLIND_CASES),
        "blind set 2": names(H.BLIND2_CASES), "blind set 3": names(H.BLIND3_CASES),
        "blind set 4": names(H.BLIND4_CASES)}


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
    later = set().union(*sets.values())
    parts = {"first set": [e for e in errs if e[0] not in later],
             **{k: [e for e in errs if e[0] in v] for k, v in sets.items()}, "all": errs}
    out["configs"][label] = {k: dict(zip(("median_abs_err", "worst_ratio"), summary(v))) for k, v in parts.items()}
    out["configs"][label]["cases"] = errs
    print(f"{label}, {threads} thread(s): " + "; ".join(
        f"{k} median |err| {summary(v)[0] * 100:.1f} %, worst {summary(v)[1]:.2f}x" for k, v in parts.items()))
labels = list(configs)
for i, (name, m, _) in enumerate(rec):
    row = ", ".join(f"{out['configs'][lab]['cases'][i][2] * 1e3:.4g} ms ({out['configs'][lab]['cases'][i][3] * 100:+.0f} %)"
                    for lab in labels)
    tag = next((f" ({k})" for k, v in sets.items() if name in v), "")
    print(f"  {name}{tag}: measured {m * 1e3:.4g} ms; predicted by the tables in the order above: {row}")
if len(sys.argv) > 2:
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)
