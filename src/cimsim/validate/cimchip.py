"""The ``cim-chip`` suite: NeuroSim V1.4's released VGG-8 case against cimsim's chip model.

NeuroSim V1.4 (neurosim/DNN_NeuroSim_V1.4 @ 9e6742c) ships ``Data/1.4_Release_test.csv``,
its main program's summary for VGG-8 on CIFAR-10 at 22 nm (RRAM, 128 x 128 subarrays, 4-bit
sensing shared by 8 columns, speed-up degree 8). The first row's fields used here, in its
order: clock 2.2312 ns; pipeline stage (read latency per image) 194,225 ns; energy per image
4.20048e7 pJ; leakage 911.417 uW; buffer latency 136,858 ns and energy 203,455 pJ;
interconnect latency 47,868.9 ns and energy 6.09182e6 pJ; ADC latency 8,032.31 ns;
ADC energy 2.1612e7 pJ; accumulation energy 3.57428e6 pJ; other energy 1.68186e7 pJ;
23.9369 TOPS/W; 6.3423 TOPS; 1.23184e9 operations per image.

cimsim runs the traced VGG-8 (``data/validation/vgg8-cifar10.json``, cimsim's zoo ``vgg8``,
615,917,568 MACs, the same network) on ``data/validation/neurosim-vgg8.yaml``, a config
written from NeuroSim's documented parameters with circuit-derived energies (nothing fitted
to the CSV). The figures compared:

- TOPS: 2 x MACs x ``pipelined_samples_per_s`` (NeuroSim's TOPS is operations per image
  over its pipeline stage); TOPS/W: 2 x MACs / energy per image;
- stage parts: of the limiting stage (``pipeline_limit``), the ops' ``cim_buffer_s``, their
  ``cim_interconnect_s``, and the rest of their compute time less periphery (array + ADC);
- energy parts: ADC = ``cim_adc + cim_array + cim_dac`` (NeuroSim's "ADC" bucket holds the
  subarray's read energy -- wordlines, columns -- with the sense amplifiers and encoder);
  accumulation = ``cim_digital`` (shift-add); ``cim_interconnect``; ``cim_buffer``. All
  before the post-layout factor (NeuroSim applies its zeta only to TOPS/W; cimsim's
  ``cim_layout`` part is in the TOPS/W energy).
"""

from __future__ import annotations

from pathlib import Path

from . import Case, suite

VALIDATION = Path(__file__).resolve().parent.parent / "data" / "validation"
SRC = ("NeuroSim V1.4, neurosim/DNN_NeuroSim_V1.4 @ 9e6742c, Data/1.4_Release_test.csv "
       "(VGG-8 CIFAR-10, 22 nm RRAM, 128-row subarrays)")

#: (case, unit, NeuroSim's figure) -- the CSV's first row, in SI units of the case
NEUROSIM_VGG8 = {
    "tops": ("VGG-8 pipelined throughput", "TOPS", 6.3423),
    "tops_w": ("VGG-8 energy efficiency", "TOPS/W", 23.9369),
    "stage": ("VGG-8 pipeline stage", "us", 194.225),
    "stage_buffer": ("VGG-8 pipeline stage: buffer latency", "us", 136.858),
    "stage_interconnect": ("VGG-8 pipeline stage: interconnect latency", "us", 47.8689),
    "stage_array": ("VGG-8 pipeline stage: array + ADC latency", "us", 8.03231),
    "adc": ("VGG-8 ADC energy per image", "uJ", 21.612),
    "accumulation": ("VGG-8 accumulation energy per image", "uJ", 3.57428),
    "interconnect": ("VGG-8 interconnect energy per image", "uJ", 6.09182),
    "buffer": ("VGG-8 buffer energy per image", "uJ", 0.203455),
}


def chip_figures() -> dict[str, float]:
    """cimsim's figures for the NeuroSim VGG-8 case, keyed as :data:`NEUROSIM_VGG8`."""
    from ..config import load_architecture
    from ..pipeline import simulate
    from ..workload.io import load_workload

    wl = load_workload(VALIDATION / "vgg8-cifar10.json")
    arch = load_architecture(VALIDATION / "neurosim-vgg8.yaml")
    r = simulate(arch, wl, keep_ops=True)
    f, e = r.facts, r.energy_breakdown_j
    ops = 2.0 * wl.macs
    t = r.op_table
    comp = next(c.name for c in arch.instances if getattr(c, "pipelined", False))
    weight = f["pipeline_limit"].split(":", 1)[1]  # "<component>:<weight name>"
    first = next(op.name for op in wl.ops if weight in op.inputs)
    server = int(t.loc[t["op"] == first, "server"].iloc[0])
    stage = t[(t["unit"] == comp) & (t["server"] == server)]
    buf = float(stage[f"{comp}_buffer_s"].sum())
    ic = float(stage[f"{comp}_interconnect_s"].sum())
    per = float(stage[f"{comp}_periphery_s"].sum()) if f"{comp}_periphery_s" in stage else 0.0
    energy = sum(e.values())
    return {
        "tops": ops * f["pipelined_samples_per_s"] / 1e12,
        "tops_w": ops / energy / 1e12,
        "stage": f["pipeline_interval_s"] * 1e6,
        "stage_buffer": buf * 1e6,
        "stage_interconnect": ic * 1e6,
        "stage_array": (float(stage["compute_s"].sum()) - buf - ic - per) * 1e6,
        "adc": (e[f"{comp}_adc"] + e[f"{comp}_array"] + e[f"{comp}_dac"]) * 1e6,
        "accumulation": e[f"{comp}_digital"] * 1e6,
        "interconnect": e[f"{comp}_interconnect"] * 1e6,
        "buffer": e[f"{comp}_buffer"] * 1e6,
    }


@suite("cim-chip", "NeuroSim V1.4's released VGG-8 chip (22 nm RRAM): TOPS, TOPS/W, pipeline stage "
       "parts and energy parts from the chip model (hierarchy, mapping, pipeline)")
def cim_chip() -> list[Case]:
    got = chip_figures()
    return [Case("cim-chip", what, unit, measured, got[key], SRC)
            for key, (what, unit, measured) in NEUROSIM_VGG8.items()]
