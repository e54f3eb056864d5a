"""Draw docs/host-timing-ab.png: predicted over measured time of every `host` and `host-unseen`
case on this project's 2-vCPU AMD EPYC VM, from a median-statistic and a fastest-call
calibration taken back to back and predicting the same timing (validation/host_timing/*.json,
written by benchmarks/host_timing_ab.py on 2026-12-04).

    python docs/host_timing_figure.py
"""

from __future__ import annotations

import json
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

ROOT = Path(__file__).resolve().parent.parent
RUNS = sorted((ROOT / "validation" / "host_timing").glob("*_epyc_*thread*.json"))
RUNS = [p for p in RUNS if "knee" not in p.name]  # host_timing_ab.py's runs only
OUT = Path(__file__).with_name("host-timing-ab.png")
COLORS = {"median": "#4C72B0", "min": "#DD8452"}
LABELS = {"median": "median of calls (the default)", "min": "fastest call (before 0.5)"}
MARKERS = {"host": "o", "held out": "^"}


def main() -> None:
    runs = sorted(((p, json.loads(p.read_text())) for p in RUNS), key=lambda r: (r[1]["threads"], r[0].name))
    fig = Figure(figsize=(10, 3.6 * len(runs)), layout="constrained")
    axes = fig.subplots(len(runs), 1, squeeze=False)[:, 0]
    for ax, (path, run) in zip(axes, runs):
        cases = sorted(run["cases"], key=lambda c: c["measured_s"])
        x = range(len(cases))
        for stat in ("min", "median"):
            for kind, marker in MARKERS.items():
                sel = [(i, c[f"{stat}_s"] / c["measured_s"]) for i, c in zip(x, cases)
                       if (c["set"] == "host") == (kind == "host")]
                ax.scatter([i for i, _ in sel], [r for _, r in sel], s=22, marker=marker,
                           color=COLORS[stat], alpha=0.9, zorder=3,
                           label=f"{LABELS[stat]}, {kind} cases")
        ax.axhline(1.0, color="black", lw=0.8)
        ax.axhspan(1 / 1.5, 1.5, color="#E8E8E8", lw=0, zorder=0, label="within 1.5x (the target)")
        ax.set_yscale("log")
        ax.set_ylim(0.4, 2.5)
        ax.set_yticks([0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0])
        ax.set_yticklabels(["0.5", "0.67", "0.8", "1", "1.25", "1.5", "2"])
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlim(-1, len(cases))
        stamp = path.name.split("_")[0].replace("T", " ")
        threads = run["threads"]
        ax.set_title(f"{threads} thread{'s' if threads > 1 else ''}, timed {stamp[:13]}:{stamp[13:]} UTC "
                     f"({len(cases)} cases)", fontsize=10)
        ax.set_ylabel("predicted / measured time (1)")
        lo, hi = cases[0]["measured_s"] * 1e3, cases[-1]["measured_s"] * 1e3
        ax.set_xlabel(f"cases, by measured time ({lo:.2g} ms ... {hi:.3g} ms)")
        ax.grid(axis="y", color="#D0D0D0", lw=0.5, zorder=1)
    axes[0].legend(fontsize=8, loc="upper left", ncol=2)
    fig.suptitle("host and host-unseen cases on a 2-vCPU AMD EPYC VM: the calibration's statistic "
                 "(each panel: one pair of calibrations, one timing)", fontsize=11)
    FigureCanvasAgg(fig).print_png(OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
