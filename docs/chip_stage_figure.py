"""Draw docs/chip-vgg8-stage.png: where each stage of a VGG-8 layer pipeline spends its time on
the NeuroSim-organised chip (src/cimsim/data/validation/neurosim-vgg8.yaml), beside NeuroSim
V1.4's published stage (Data/1.4_Release_test.csv @ 9e6742c).

    python docs/chip_stage_figure.py
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import cimsim
from cimsim import load_architecture, simulate
from cimsim.workload.io import load_workload

DATA = Path(cimsim.__file__).resolve().parent / "data" / "validation"
OUT = Path(__file__).with_name("chip-vgg8-stage.png")
#: NeuroSim's stage parts, us (buffer, interconnect, ADC; the rest of its 194.2 us is "other")
NEUROSIM = {"array + ADC": 8.03231, "buffers": 136.858, "interconnect": 47.8689}
NEUROSIM_STAGE = 194.225
COLORS = {"array + ADC": "#4C72B0", "buffers": "#DD8452", "interconnect": "#55A868",
          "periphery": "#8172B3", "other": "#BBBBBB", "shared chip level": "#C44E52"}


def stages():
    wl = load_workload(DATA / "vgg8-cifar10.json")
    r = simulate(load_architecture(DATA / "neurosim-vgg8.yaml"), wl, keep_ops=True)
    t = r.op_table
    mm = {op.name: op.inputs[1] for op in wl.ops if op.kind == "matmul"}
    shared = t["cim_shared_s"] if "cim_shared_s" in t else 0.0 * t["compute_s"]
    rows = []
    for server, g in t.groupby("server", sort=True):
        op = next(o for o in g["op"] if o in mm)
        name = f"{'conv' if op.endswith('conv') else 'fc'} ({mm[op]})"
        buf, ic = g["cim_buffer_s"].sum(), g["cim_interconnect_s"].sum()
        per = g["cim_periphery_s"].sum()
        # compute_s holds the layer's own levels; the shared chip level ran on the engine
        arr = g["compute_s"].sum() - (buf + ic - shared[g.index].sum()) - per
        rows.append((name, {"array + ADC": arr * 1e6, "buffers": buf * 1e6,
                                       "interconnect": ic * 1e6, "periphery": per * 1e6}))
    if float(shared.sum()) > 0:  # the chip level's one buffer and bus carry every layer
        rows.append(("chip buffer + bus\n(shared, all layers)",
                     {"shared chip level": float(shared.sum()) * 1e6}))
    return rows, r.facts


def main() -> None:
    rows, facts = stages()
    ns = dict(NEUROSIM, other=NEUROSIM_STAGE - sum(NEUROSIM.values()))
    rows = [("NeuroSim V1.4\n(limiting stage)", ns)] + rows
    fig = Figure(figsize=(8, 5.0))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for i, (label, parts) in enumerate(rows):
        left = 0.0
        for part, v in parts.items():
            ax.barh(i, v, left=left, color=COLORS[part], label=part if part not in
                    ax.get_legend_handles_labels()[1] else None)
            left += v
    ax.set_yticks(range(len(rows)), [lb for lb, _ in rows])
    ax.invert_yaxis()
    ax.axvline(facts["pipeline_interval_s"] * 1e6, color="k", ls="--", lw=1)
    ax.text(facts["pipeline_interval_s"] * 1e6, 2.5,
            f" cimsim's steady state:\n {facts['pipeline_interval_s'] * 1e6:.0f} us per image\n"
            f" (limited by {facts['pipeline_limit']})", fontsize="small", va="center")
    ax.set_xlim(0, facts["pipeline_interval_s"] * 1e6 * 1.45)
    ax.set_xlabel("time per image in the stage [us]")
    ax.set_title("VGG-8 layer pipeline on a NeuroSim-organised 22 nm RRAM chip: time per stage",
                 fontsize="medium")
    ax.legend(loc="lower right", fontsize="small", title="part of the stage", title_fontsize="small")
    fig.tight_layout()
    fig.savefig(OUT, dpi=110)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
