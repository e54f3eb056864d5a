"""Effective DRAM bandwidth against access pattern, per JEDEC preset (``type: dram``).

    PYTHONPATH=src python examples/memory_patterns.py docs/memory-patterns.png

Left: random reads of S bytes (fraction of one data bus's peak: tRRD / tFAW / tRC and the
command bus limit small accesses). Middle: streams by read fraction (read/write turnarounds). Right: Mess-Results
measured maxima by read ratio and the model with one cap fitted per platform at its highest
read ratio (``cimsim validate -s dram``).
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from cimsim.hw.base import Pattern  # noqa: E402
from cimsim.hw.memory.jedec import PRESETS  # noqa: E402
from cimsim.validate import dram as suite  # noqa: E402

SHOWN = ("DDR4", "DDR5", "LPDDR5", "HBM2", "HBM2E", "HBM3", "GDDR6")


def main(out: str) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    sizes = 2.0 ** np.arange(5, 13)  # 32 B .. 4 KiB
    ratios = np.linspace(0, 1, 41)
    for name in SHOWN:
        d = suite.level(name)
        peak = d.peak_bytes_per_s()
        axes[0].plot(sizes, [d.bytes_per_s(Pattern.random_access(s)) / peak for s in sizes], marker="o",
                     ms=3, label=f"{name} ({PRESETS[name].burst_bytes} B burst)")
        axes[1].plot(ratios * 100, [d.bytes_per_s(Pattern.stream(r)) / peak for r in ratios], label=name)
    axes[0].set(xscale="log", xlabel="random access size S (B)", ylabel="sustained / peak (one data bus)",
                title="Random reads: activation and command-bus limits", ylim=(0, 1))
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
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/memory-patterns.png")
