"""Loaded DRAM latency: Mess-Results' measured curves against the ``queue`` model.

    PYTHONPATH=src python examples/memory_latency.py docs/memory-latency.png

One panel per system (bsc-mem/Mess-Results @16ab1d6), three read ratios each: measured
load-to-use latency against used bandwidth (points), and the ``type: dram`` level's queue model
(lines: the idle latency given, plus M/D/1 on one row cycle tRC at a capacity 1.25 x the level's
sustained rate at that read ratio; the headroom fitted on MN5-GPP at 100 % reads only). The
model's curve ends at the level's predicted maximum (the cap fitted at the highest read ratio,
the turnaround model for the others). ``cimsim validate -s dram`` lists the errors at 50 % and
80 % of each measured maximum.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from cimsim.hw.memory.dram import Dram, mess_curves, queue_wait_s  # noqa: E402
from cimsim.validate import dram as suite  # noqa: E402


def main(out: str) -> None:
    curves = mess_curves()
    systems = list(dict.fromkeys(k.split("@")[0] for k in curves))
    headroom = Dram.Config.model_fields["queue_headroom"].default
    fig, axes = plt.subplots(1, len(systems), figsize=(4.2 * len(systems), 4.0), sharey=True)
    for ax, system in zip(axes, systems):
        for k, name in enumerate(n for n in curves if n.startswith(system + "@")):
            bw, lat, _ = curves[name]
            colour = f"C{k}"
            pct = name.split("@")[1]
            ax.plot(np.array(bw) / 1e9, np.array(lat) * 1e9, "o", ms=4, color=colour,
                    label=f"{pct} % reads, measured")
            idle, rate, service = suite._queue_inputs(name)
            b = np.linspace(0, rate, 200)
            model = [idle + queue_wait_s(x / rate, service, headroom) for x in b]
            ax.plot(b / 1e9, np.array(model) * 1e9, "-", color=colour, lw=1.2,
                    label=f"{pct} % reads, queue model")
        ax.set(title=system, xlabel="used bandwidth (GB/s)", ylim=(80, 420))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    axes[0].set_ylabel("load-to-use latency (ns)")
    fig.suptitle("Loaded DRAM latency: Mess-Results (points) and the M/D/1-on-tRC queue model (lines)",
                 fontsize=10)
    fig.tight_layout()
    Path(out).parent.mkdir(parents=True, exist_ok=True)  # run from anywhere
    fig.savefig(out, dpi=120)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/memory-latency.png")
