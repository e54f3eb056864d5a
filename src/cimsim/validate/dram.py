"""The ``dram`` suite: the ``type: dram`` memory level against closed-form JEDEC targets and
measured maxima.

1. For every preset (:data:`cimsim.hw.memory.jedec.PRESETS`), the targets Ramulator 2.1's
   latency-throughput tests hold its cycle-level simulator to
   (CMU-SAFARI/ramulator2 ``tests/latency_throughput/utils/spec.py``), restated here from the
   preset's numbers: the refresh-limited streaming throughput of one data bus,
   ``bus_bits * rate / 8 * (1 - (nRTP + nRP + nRFC + nRCD) / nREFI)``, and the unloaded
   (row-miss) latency ``(nRP + nRCD + nCL) * tCK``. The model must equal them (it is built
   from the same arithmetic: these cases pin it, error 0).
2. Mess-Results (bsc-mem/Mess-Results, ``data/validation/mess_max_bandwidth.csv``): the
   measured maximum bandwidth of four server sockets at several read ratios. Per platform one
   cap (``sustained_fraction``) is fitted at its highest read ratio (that case has error 0 by
   construction and is listed as the fit); the other read ratios are predicted by the
   read/write turnaround model with Ramulator 2's default write batch, nothing else fitted.
"""

from __future__ import annotations

import csv

from ..hw.base import STREAM, Pattern
from ..hw.memory.dram import Dram
from ..hw.memory.jedec import PRESETS
from . import Case, suite
from .gpu import DATA_DIR

MESS = DATA_DIR / "mess_max_bandwidth.csv"
R2_SPEC = "CMU-SAFARI/ramulator2 tests/latency_throughput/utils/spec.py"
MESS_REPO = "bsc-mem/Mess-Results @16ab1d6"


def level(standard: str, buses: int = 1, cap: float = 1.0) -> Dram:
    """A ``type: dram`` level of ``buses`` data buses (validated like a config section)."""
    cfg = Dram.Config.model_validate({"type": "dram", "standard": standard, "channels": buses,
                                      "sustained_fraction": cap, "capacity": "1 GB",
                                      "energy_per_bit": "0 pJ/bit"})
    return Dram(f"dram-{standard}", cfg)


def jedec_cases() -> list[Case]:
    out = []
    for name, t in PRESETS.items():
        d = level(name)
        target = t.bus_bits * t.rate_mtps * 1e6 / 8 * (1 - (t.n_rtp + t.n_rp + t.n_rfc + t.n_rcd) / t.n_refi)
        src = f"{R2_SPEC} (max_achievable_throughput); preset {t.source}"
        out.append(Case("dram", f"{name} streaming ceiling of one data bus (refresh-limited)", "B/s",
                        target, d.bytes_per_s(STREAM), src))
        lat = (t.n_rp + t.n_rcd + t.n_cl) * t.tck_ps * 1e-12
        out.append(Case("dram", f"{name} unloaded row-miss latency", "s", lat, d.unloaded_latency_s(),
                        f"{R2_SPEC} (unloaded_latency_ns); preset {t.source}"))
    return out


def mess_rows() -> list[dict]:
    with open(MESS, newline="") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def mess_cases() -> list[Case]:
    rows = mess_rows()
    out = []
    for system in dict.fromkeys(r["system"] for r in rows):
        mine = sorted((r for r in rows if r["system"] == system), key=lambda r: -int(r["read_pct"]))
        fit = mine[0]
        d = level(fit["standard"], int(fit["data_buses"]))
        cap = float(fit["max_bandwidth_gbps"]) * 1e9 / d.bytes_per_s(Pattern.stream(int(fit["read_pct"]) / 100))
        capped = level(fit["standard"], int(fit["data_buses"]), min(cap, 1.0))
        for r in mine:
            pct = int(r["read_pct"])
            what = "cap fitted here" if r is fit else f"predicted from the cap fitted at {fit['read_pct']} %"
            out.append(Case("dram", f"{system} {r['standard']} x{r['data_buses']} max bandwidth, {pct} % reads "
                            f"({what})", "B/s", float(r["max_bandwidth_gbps"]) * 1e9,
                            capped.bytes_per_s(Pattern.stream(pct / 100)),
                            f"{MESS_REPO} {r['path']} ({r['cpu']})"))
    return out


@suite("dram", "DRAM model: Ramulator 2.1's closed-form JEDEC targets per preset; Mess-Results maxima "
               "by read ratio, one cap per platform")
def dram_suite() -> list[Case]:
    return jedec_cases() + mess_cases()
