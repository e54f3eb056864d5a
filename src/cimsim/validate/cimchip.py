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

from . import CONSISTENCY, FIT, PREDICTED, Case, suite

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

#: the NeuroSim cases that are not predictions (the others are ``predicted``), and why
#: (/work/notes of the neurosim and chip3 branches: what was set or chosen after seeing what)
NEUROSIM_ROLES = {
    # the input precision (8 bits) and the 16 copies of the first layers were read off this
    # figure's 3600 clock cycles (8032.31 ns / 2.2312 ns), the clock from the same CSV row
    "stage_array": FIT,
    # the stage is buffer + interconnect + array + ADC: a sum of lines takes the strongest role
    # among them (README, "Roles"), and its array part is fit
    "stage": FIT,
    # the pipelined throughput is the ops over that stage's time: fit as the stage is (it was
    # `predicted`, a new reviewer found, 2026-12-04)
    "tops": FIT,
    # the access transistor sized by the IR-drop rule was added after seeing this bucket -80 %
    # (no free parameter, but chosen as the next effect because of this gap)
    "adc": FIT,
    # the delay-optimal repeaters were added after seeing this part -49 % (no free parameter)
    "interconnect": FIT,
    # the column-mux sizing rule was chosen after computing both rules' TOPS/W here (110x
    # select driver: about -4 %; IR-drop-sized gates: about -40 %); the two fixes above and
    # the leakage (911.417 uW, an input from the same CSV row) are in it too
    "tops_w": FIT,
}
#: PUMA's node power and area are the sums of the component table puma.yaml holds (inputs)
PUMA_ROLES = {"power": CONSISTENCY, "area": CONSISTENCY}


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
    mine = t[t["unit"] == comp]
    shared = (mine[f"{comp}_shared_s"] if f"{comp}_shared_s" in mine
              else 0.0 * mine["compute_s"])
    # the slowest layer's stage: the limit when a layer limits the pipeline, else (a shared
    # buffer or bus limits it) the layer whose ops take longest alone
    limit = f["pipeline_limit"]
    if ":" in limit:  # "<component>:<weight name>"
        weight = limit.split(":", 1)[1]
        first = next(op.name for op in wl.ops if weight in op.inputs)
        server = int(t.loc[t["op"] == first, "server"].iloc[0])
    else:
        alone = (mine["compute_s"] + shared).groupby(mine["server"]).sum()
        server = int(alone.idxmax())
    stage = mine[mine["server"] == server]
    sh = float(shared[stage.index].sum())
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
        # compute_s holds the local levels' transfers; the shared ones ran on the engine
        "stage_array": (float(stage["compute_s"].sum()) - (buf + ic - sh) - per) * 1e6,
        "adc": (e[f"{comp}_adc"] + e[f"{comp}_array"] + e[f"{comp}_dac"]) * 1e6,
        "accumulation": e[f"{comp}_digital"] * 1e6,
        "interconnect": e[f"{comp}_interconnect"] * 1e6,
        "buffer": e[f"{comp}_buffer"] * 1e6,
    }


#: PUMA (Ankit et al., ASPLOS 2019) at peak. The abstract gives 577 GOPS/s/mm^2 and 837
#: GOPS/s/W at 1 GHz; the node's power and area are the paper's hardware-characteristics table
#: (Table 3: node 62.5 W, 90.638 mm^2) and its peak throughput the comparison with ML
#: accelerators (52.31 TOPS; = 0.837 TOPS/W x 62.5 W = 0.577 TOPS/mm^2 x 90.638 mm^2 to 0.1 %).
PUMA_SRC = "PUMA, Ankit et al., ASPLOS 2019: abstract (577 GOPS/s/mm^2, 837 GOPS/s/W at 1 GHz)"
PUMA_SRC_T = ("PUMA, Ankit et al., ASPLOS 2019: node totals of its hardware table (Table 3) and "
              "peak throughput of its comparison with ML accelerators")
PUMA = {
    "tops": ("PUMA node peak throughput", "TOPS", 52.31, PUMA_SRC_T),
    "power": ("PUMA node power at peak", "W", 62.5, PUMA_SRC_T),
    "area": ("PUMA node area", "mm^2", 90.638, PUMA_SRC_T),
    "tops_w": ("PUMA node peak power efficiency", "TOPS/W", 0.837, PUMA_SRC),
    "tops_mm2": ("PUMA node peak area efficiency", "TOPS/mm^2", 0.577, PUMA_SRC),
}

#: ISAAC's peak throughput, not a published figure: derived from two published ones, Table IV's
#: power efficiency x Table I's chip power (41.29 TOPS)
ISAAC_TOPS = 627.5 * 65.8 / 1000
ISAAC_SRC = ("derived, not published: ISAAC, ISCA 2016 (corrected Oct 2016), Table IV power "
             "efficiency 627.5 GOPS/W x Table I chip power 65.8 W = 41.29 TOPS")


def isaac_chip():
    """ISAAC-CE's architecture with its on-chip hierarchy: ``data/validation/isaac-chip.yaml``
    (``isaac.yaml`` with a ``chip:`` block; until 2026-12-07 the dict ``ISAAC_CHIP`` here,
    applied in Python, so no YAML of it existed for a user to run)."""
    from .cim import _load

    return _load("isaac-chip.yaml")


def peak_chip_figures(arch) -> dict[str, float]:
    """Peak TOPS, W, mm^2, TOPS/W, TOPS/mm^2 of a chip config (the ``cim-published`` fill)."""
    from .cim import peak_figures

    f = peak_figures(arch)
    return {"tops": f["ops_s"] / 1e12, "power": f["power_w"], "area": f["area_m2"] * 1e6,
            "tops_w": f["ops_s"] / f["power_w"] / 1e12,
            "tops_mm2": f["ops_s"] / f["area_m2"] / 1e18}


@suite("cim-chip", "NeuroSim V1.4's released VGG-8 chip (22 nm RRAM): TOPS, TOPS/W, pipeline stage "
       "parts and energy parts from the chip model (hierarchy, mapping, pipeline); PUMA's node "
       "at peak; ISAAC's throughput with its hierarchy")
def cim_chip() -> list[Case]:
    from .cim import _load

    got = chip_figures()
    out = [Case("cim-chip", what, unit, measured, got[key], SRC,
                role=NEUROSIM_ROLES.get(key, PREDICTED))
           for key, (what, unit, measured) in NEUROSIM_VGG8.items()]
    puma = peak_chip_figures(_load("puma.yaml"))
    out += [Case("cim-chip", what, unit, measured, puma[key], src, role=PUMA_ROLES.get(key, PREDICTED))
            for key, (what, unit, measured, src) in PUMA.items()]
    isaac = peak_chip_figures(isaac_chip())
    out.append(Case("cim-chip", "ISAAC-CE peak throughput with its chip hierarchy (IMAs, tiles, "
                    "eDRAM, bus, c-mesh)", "TOPS", ISAAC_TOPS, isaac["tops"], ISAAC_SRC))
    return out
