"""What the usable-LLC, ``replacement: lru`` and ``cold_from`` changes do to the host cases, on
one calibration and one timing (2026-12-07, fifteenth session).

    python benchmarks/host_cache_edge.py [TRIES] [--full]

Each try calibrates this machine (``--quick``, 1 thread; ``--full``: the whole calibration),
times the small host suite the test uses (``TINY``; ``--full``: the ``host`` suite), and predicts
every timing on four configs made from that one calibration: ``old`` (the LLC at its
kernel-reported size, placed, no ``cold_from``: what the calibration wrote before),
``cap_placed`` (the usable capacity, placed), ``lru_nocold`` (and ``replacement: lru``) and
``new`` (as written, with ``cold_from``). Prints predicted / measured per case and config.
Nothing is tuned here.
"""
import copy
import re
import sys
import warnings

import pandas as pd

from cimsim.calibrate import calibrate
from cimsim.calibrate.probe import sysfs_caches
from cimsim.config import architecture_from_dict
from cimsim.config.yamlread import load_text
from cimsim.validate.host import FULL, TINY, gemv_workload, host_cases, steady_latency
from cimsim.workload.generators import gru, lstm, transformer

warnings.simplefilter("ignore")
full = "--full" in sys.argv
args = [a for a in sys.argv[1:] if not a.startswith("--")]
tries = int(args[0]) if args else 3
sizes = FULL if full else TINY
llc_reported = sysfs_caches()[-1]["size"]


def variants(d: dict) -> dict:
    eff = "processor", "mac_efficiency"
    old = copy.deepcopy(d)
    old["memory"]["llc"]["capacity"] = f"{llc_reported} B"
    old["memory"]["llc"].pop("replacement")
    old[eff[0]][eff[1]].pop("cold_from")
    if "row_length_from" in old[eff[0]][eff[1]]:
        old[eff[0]][eff[1]]["row_length_from"] = f"{llc_reported} B"
    placed = copy.deepcopy(d)
    placed["memory"]["llc"].pop("replacement")
    placed[eff[0]][eff[1]].pop("cold_from")
    nocold = copy.deepcopy(d)
    nocold[eff[0]][eff[1]].pop("cold_from")
    return {k: architecture_from_dict(v) for k, v in
            {"old": old, "cap_placed": placed, "lru_nocold": nocold, "new": d}.items()}


def workload(case: str):
    m = re.match(r"nn\.(LSTM|GRU) H=(\d+) B=(\d+) T=(\d+)", case)
    if m:
        cell, h, b, t = m.group(1).lower(), *map(int, m.groups()[1:])
        return (lstm if cell == "lstm" else gru)(h, h, 1, steps=t, batch=b, pointwise="aten")
    if case.startswith("GEMV"):
        k, n = sizes.gemv
        return gemv_workload(k, n)
    p = sizes.transformer
    return transformer(p["seq_len"], p["d_model"], p["heads"], p["ffn"], batch=p["batch"])


rows = []
for i in range(tries):
    _, text = calibrate(quick=not full, threads=1, command="benchmarks/host_cache_edge.py")
    archs = variants(load_text(text))
    for c in host_cases(sizes, arch=archs["new"]):
        wl = workload(c.case)
        rows.append({"try": i, "case": c.case[:40], "measured_s": c.measured,
                     **{k: steady_latency(a, wl) / c.measured for k, a in archs.items()}})
table = pd.DataFrame(rows)
print(table.round(3).to_string(index=False))
print("median |predicted / measured - 1| per config:",
      {k: round(float((table[k] - 1).abs().median()), 3) for k in ("old", "cap_placed", "lru_nocold", "new")})
