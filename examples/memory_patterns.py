"""Effective DRAM bandwidth against access pattern, per JEDEC preset (``type: dram``).

    PYTHONPATH=src python examples/memory_patterns.py docs/memory-patterns.png

Left: random reads of S bytes (fraction of one data bus's peak): solid, the closed form (an
ideal scheduler: tRRD / tFAW / tRC and the command bus limit small accesses); dashed, the
controller-window model with the read / write buffers of Ramulator 2's test case of the standard
(HBM2 and HBM2E 64 / 64, HBM3 128 / 64, else 32 / 32; ``read_buffer``), up to 512 B; crosses,
Ramulator 2.1 runs at those buffers (``ramulator_runs.csv``). Middle: streams by read fraction (read/write turnarounds). Right: Mess-Results
measured maxima by read ratio and the model with one cap fitted per platform at its highest
read ratio (``cimsim validate -s dram``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from cimsim.hw.base import Pattern  # noqa: E402
from cimsim.hw.memory.jedec import PRESETS  # noqa: E402
from cimsim.validate import dram as suite  # noqa: E402

SHOWN = ("DDR4", "DDR5", "LPDDR5", "HBM2", "HBM2E", "HBM3", "GDDR6")
#: the read / write buffers (requests) of Ramulator 2's latency-throughput test case per standard
#: (HBM2E has none: HBM2's)
TEST_CASE_BUFFERS = {"HBM2": (64, 64), "HBM2E": (64, 64), "HBM3": (128, 64)}
WINDOW_SIZES = 2.0 ** np.arange(5, 10)  # 32 .. 512 B


def ramulator_reads() -> dict[str, tuple[list[float], list[float]]]:
    """Ramulator 2.1's random all-read runs at the test case's buffers: standard -> (S, fraction
    of one data bus's peak)."""
    out: dict[str, tuple[list[float], list[float]]] = {}
    for r in suite.ramulator_rows():
        buf = suite.ramulator_buffers(r)
        want = TEST_CASE_BUFFERS.get(r["standard"], (32, 32))
        if (r["pattern"] != "random" or float(r["read_fraction"]) != 1.0
                or (buf["read_buffer"], buf["write_buffer"]) != want):
            continue
        peak = int(r["data_buses"]) * PRESETS[r["standard"]].bus_bytes_per_s
        xs, ys = out.setdefault(r["standard"], ([], []))
        xs.append(float(r["access_bytes"]))
        ys.append(float(r["bandwidth_GBps"]) * 1e9 / peak)
    return out


def main(out: str) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    sizes = 2.0 ** np.arange(5, 13)  # 32 B .. 4 KiB
    ratios = np.linspace(0, 1, 41)
    measured = ramulator_reads()
    for name in SHOWN:
        d = suite.level(name)
        peak = d.peak_bytes_per_s()
        (line,) = axes[0].plot(sizes, [d.bytes_per_s(Pattern.random_access(s)) / peak for s in sizes],
                               marker="o", ms=3, label=f"{name} ({PRESETS[name].burst_bytes} B burst)")
        rb, wb = TEST_CASE_BUFFERS.get(name, (32, 32))
        w = suite.level(name, read_buffer=rb, write_buffer=wb)
        axes[0].plot(WINDOW_SIZES, [w.bytes_per_s(Pattern.random_access(s)) / peak for s in WINDOW_SIZES],
                     "--", color=line.get_color())
        if name in measured:
            axes[0].plot(*measured[name], "x", ms=6, color=line.get_color())
        axes[1].plot(ratios * 100, [d.bytes_per_s(Pattern.stream(r)) / peak for r in ratios], label=name)
    axes[0].set(xscale="log", xlabel="random access size S (B)", ylabel="sustained / peak (one data bus)",
                title="Random reads: ideal scheduler (solid), controller window (dashed),\n"
                      "Ramulator 2.1 runs (x)", ylim=(0, 1))
    axes[0].set_xticks(sizes, [f"{int(s)}" for s in sizes])
    axes[1].set(xlabel="reads (% of bytes)", ylabel="sustained / peak",
                title="Streams: read/write turnarounds (write batch 19)", ylim=(0.5, 1))
    axes[0].legend(fontsize=7)
    axes[1].legend(fontsize=7)
    cases = suite.mess_cases()
    for system in dict.fromkeys(c.case.split()[0] for c in cases):
        mine = [c for c in cases if c.case.startswith(system + " ")]
        pct = [int(c.case.split("% reads")[0].split(",")[-1]) for c in mine]
        (line,) = axes[2].plot(pct, [c.measured / 1e9 for c in mine], "o", label=f"{system} measured")
        axes[2].plot(pct, [c.predicted / 1e9 for c in mine], "-", color=line.get_color(),
                     label=f"{system} model ({suite.capped_level(system).config.cap_kind} cap at {pct[0]} %)")
    axes[2].set(xlabel="reads (% of bytes)", ylabel="max bandwidth (GB/s)", ylim=(60, 400),
                title="Mess-Results maxima vs model, one cap per platform")
    axes[2].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    Path(out).parent.mkdir(parents=True, exist_ok=True)  # run from anywhere
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/memory-patterns.png")
