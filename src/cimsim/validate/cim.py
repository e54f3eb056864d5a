"""The ``cim-published`` suite: published CIM chip and macro figures reproduced from each
design's own parameters (``cimsim/data/validation/isaac.yaml``, ``chih-sram-macro.yaml``,
``neurram.yaml``).

Each design is evaluated at peak: one matrix fills every array (no replication), 16 input
rows stream through it, and the figures come from cimsim's CIM model of that op:

- throughput = 2 x MACs / the op's compute time (ops/s; one MAC = 2 ops, as the papers count);
- power = the CIM energy parts of the op (ADC, DAC, cell reads, digital) / its compute time
  + the component's static power;
- area = the component's declared area; efficiencies = throughput / power, / area.
"""

from __future__ import annotations

import math
from pathlib import Path

from . import CONSISTENCY, FIT, PREDICTED, Case, suite

VALIDATION = Path(__file__).resolve().parent.parent / "data" / "validation"


def _fill(arch, rows: int = 16):
    """A GEMM whose k x n weight occupies every array exactly (row tiles x column tiles)."""
    from ..workload import Op, Tensor, Workload

    from ..hw.cim.tiling import columns_per_weight

    cim = arch.component("cim").config
    # columns per weight as the placement tiles them (packed: ceil(n x cells / cols) tiles)
    cells = columns_per_weight(cim.weight_bits, cim.bits_per_cell, cim.differential)
    rt = max(d for d in range(1, int(math.isqrt(cim.arrays)) + 1) if cim.arrays % d == 0)
    ct = cim.arrays // rt
    k, n = cim.rows * rt, int(cim.cols * ct // cells)
    return Workload("fill", [Tensor("x", (rows, k), "int8", "input"), Tensor("W", (k, n), "int8", "weight"),
                             Tensor("y", (rows, n), "int8", "activation")],
                    [Op("mm", "matmul", ("x", "W"), ("y",), m=rows, k=k, n=n, weight="W")])


def peak_figures(arch) -> dict[str, float]:
    """Throughput (ops/s), power (W), area (m^2) of ``arch``'s CIM component at peak, and the
    energy per op (J) of each CIM energy part (``j_per_op_adc``, ...)."""
    from ..pipeline import simulate

    wl = _fill(arch)
    r = simulate(arch, wl)
    t = float(r.op_table["compute_s"].iloc[0])
    cim = arch.component("cim")
    d = cim.design  # peak: a digital column's pipeline full, its fill (once an op) is latency
    t -= d.fill_stages * cim.config.t_slice(d)  # not rate
    parts = {k[len("cim_"):]: v for k, v in r.energy_breakdown_j.items() if k.startswith("cim_")}
    ops = 2.0 * wl.macs
    power = sum(parts.values()) / t + cim.static_power_w
    area = sum(cim.area_m2().values())
    return {"ops_s": ops / t, "power_w": power, "area_m2": area,
            **{f"j_per_op_{k}": v / ops for k, v in parts.items()}}


def _load(name: str, **overrides):
    from ..config import load_architecture

    return load_architecture(VALIDATION / name, overrides or None)


#: NeuRRAM (Wan et al., Nature 608, 2022), 4-bit weights, 48 cores: (output bits, input bits,
#: one-phase) -> (TOPS, TOPS/W), the paper's Fig. 12c,d as transcribed in CiMLoop's
#: ``test_tops`` EXPECTED (mit-emze/cimloop workspace/models/arch/1_macro/wan_nature_2022/
#: _tests.py @ 2bac57f). Two-phase is the chip's default mode (inputs of more than 3
#: magnitude bits in two phases); the one-phase points integrate every input bit at once.
NEURRAM_FIG12 = {
    (3, 1, False): (2.12230988, 43.07875866),
    (4, 2, False): (1.793083771, 40.33412834),
    (5, 3, False): (1.165400233, 23.09069279),
    (6, 4, False): (0.7438677864, 15.95409517),
    (7, 5, False): (0.5254091287, 11.03166076),
    (8, 6, False): (0.4177183338, 8.257196816),
    (9, 7, False): (0.343873405, 7.750037817),
    (10, 8, False): (0.2638743409, 6.437388185),
    (7, 5, True): (0.4515642, 11.32999012),
    (8, 6, True): (0.260797508, 9.12235241),
}
NEURRAM_SRC = "Wan et al., Nature 608 (2022), Fig. 12c,d, via CiMLoop wan_nature_2022/_tests.py @ 2bac57f"
#: the paper's Fig. 12b energy breakdown (fJ per op; CiMLoop's test_energy_bits_scaling EXPECTED,
#: same file), two-phase mode, (output bits, input bits) -> (wordline switching, neuron
#: operations and control); the third bar, input pulses, is what neurram.yaml's
#: cell_read_energy is fitted to, so it is not a case. The bars sum to Fig. 12d's TOPS/W
#: within 1 % (e.g. 8.99 + 10.62 + 3.45 = 23.05 fJ/op -> 43.4 vs 43.08 TOPS/W): per op, not per MAC
NEURRAM_FIG12B = {
    (3, 1): (8.99015248, 10.6186848),
    (4, 2): (8.270951256, 12.38674172),
    (5, 3): (15.46307324, 20.11826462),
    (6, 4): (21.75617998, 29.1084171),
    (7, 5): (30.92613276, 44.21188287),
    (8, 6): (37.2192395, 52.48282041),
    (9, 7): (43.69214654, 61.83258722),
    (10, 8): (50.52466791, 75.85721686),
}
NEURRAM_SRC_B = "Wan et al., Nature 608 (2022), Fig. 12b, via CiMLoop wan_nature_2022/_tests.py @ 2bac57f"
#: one core's area (um^2) from the paper's Fig. 11f: neurons of 1270 um^2 x 256 are 28 % of it
NEURRAM_CORE_UM2 = 1270 * 256 / 0.28


def neurram_point(out_bits: int, in_bits: int, one_phase: bool) -> dict[str, float]:
    """NeuRRAM's peak figures at one Fig. 12 point (one phase: no input is split)."""
    over = {"cim.input_bits": in_bits, "cim.adc.bits": out_bits}
    if one_phase:
        over["cim.adc.counting.max_bits_per_phase"] = in_bits
    return peak_figures(_load("neurram.yaml", **over))


def _neurram_cases() -> list[Case]:
    out = []
    for (ob, ib, one), (tops, tops_w) in NEURRAM_FIG12.items():
        f = neurram_point(ob, ib, one)
        what = f"{ib}b in, {ob}b out, 4b weights" + (", one phase" if one else "")
        out.append(Case("cim-published", f"NeuRRAM 48-core TOPS, {what}", "TOPS", tops, f["ops_s"] / 1e12,
                        NEURRAM_SRC))
        # neurram.yaml's cell_read_energy is fitted to Fig. 12b's input-pulse bars, and Fig. 12d's
        # TOPS/W at those points is the inverse of the bars' sum (within 1 %): fit there
        out.append(Case("cim-published", f"NeuRRAM TOPS/W, {what}", "TOPS/W", tops_w,
                        f["ops_s"] / f["power_w"] / 1e12, NEURRAM_SRC,
                        role=FIT if (ob, ib) in NEURRAM_FIG12B and not one else PREDICTED))
        if (ob, ib) in NEURRAM_FIG12B and not one:
            wl_fj, neuron_fj = NEURRAM_FIG12B[ob, ib]
            out.append(Case("cim-published", f"NeuRRAM wordline switching energy, {what}", "fJ/op", wl_fj,
                            f["j_per_op_dac"] * 1e15, NEURRAM_SRC_B))
            out.append(Case("cim-published", f"NeuRRAM neuron energy (integrate, count, shift-add), {what}",
                            "fJ/op", neuron_fj, (f["j_per_op_adc"] + f["j_per_op_digital"]) * 1e15,
                            NEURRAM_SRC_B))
        if (ob, ib) in ((3, 1), (10, 8)) and not one:
            # per core: the chip's TOPS over 48 cores of the Fig. 11f core area
            out.append(Case("cim-published", f"NeuRRAM TOPS/mm^2 per core, {what}", "TOPS/mm^2",
                            tops / 48 / (NEURRAM_CORE_UM2 * 1e-6),
                            f["ops_s"] / 1e12 / (f["area_m2"] * 1e6),
                            NEURRAM_SRC + "; core area from Fig. 11f (1270 um^2 x 256 neurons = 28 %)"))
    return out


@suite("cim-published", "ISAAC chip totals, an SRAM CIM macro's and the NeuRRAM RRAM chip's TOPS/W, "
       "TOPS/mm2, from their own parameters")
def cim_published() -> list[Case]:
    out = []
    isaac = peak_figures(_load("isaac.yaml"))
    src = "ISAAC, ISCA 2016 (corrected Oct 2016), Table I"
    # isaac.yaml holds Table I's component powers and areas: their totals are its inputs' sums
    out.append(Case("cim-published", "ISAAC-CE chip power at peak", "W", 65.8, isaac["power_w"], src,
                    role=CONSISTENCY))
    out.append(Case("cim-published", "ISAAC-CE chip area", "mm^2", 85.4, isaac["area_m2"] * 1e6, src,
                    role=CONSISTENCY))
    src4 = "ISAAC, ISCA 2016 (corrected Oct 2016), Table IV (16-bit ops, HyperTransport included)"
    # PE and CE: the throughput is the closed form of Table I's parameters (16,128 arrays x 128 x
    # 16 MACs per 16 slices of 100 ns) over the power and area above, which are inputs' sums:
    # a ratio of inputs, so consistency (a sum of lines takes the strongest role among them)
    out.append(Case("cim-published", "ISAAC-CE power efficiency (PE)", "GOPS/W", 627.5,
                    isaac["ops_s"] / isaac["power_w"] / 1e9, src4, role=CONSISTENCY))
    out.append(Case("cim-published", "ISAAC-CE computational efficiency (CE)", "GOPS/mm^2", 478.95,
                    isaac["ops_s"] / (isaac["area_m2"] * 1e6) / 1e9, src4, role=CONSISTENCY))
    chih4 = peak_figures(_load("chih-sram-macro.yaml"))
    title = "Chih et al., ISSCC 2021 16.4, title (4b x 4b)"
    # chih-sram-macro.yaml derives its energy per conversion and its cycle from these two
    out.append(Case("cim-published", "22 nm SRAM macro TOPS/W, 4b x 4b", "TOPS/W", 89.0,
                    chih4["ops_s"] / chih4["power_w"] / 1e12, title, role=CONSISTENCY))
    out.append(Case("cim-published", "22 nm SRAM macro TOPS/mm^2, 4b x 4b", "TOPS/mm^2", 16.3,
                    chih4["ops_s"] / (chih4["area_m2"] * 1e6) / 1e12, title, role=CONSISTENCY))
    chih8 = peak_figures(_load("chih-sram-macro.yaml", **{"cim.weight_bits": 8, "cim.input_bits": 8}))
    survey = "Chih et al., ISSCC 2021 16.4, INT8 figures in KU Leuven carbonspot expr.py @ 0839b49"
    out.append(Case("cim-published", "22 nm SRAM macro TOPS/W, 8b x 8b (predicted from 4b)", "TOPS/W", 24.7,
                    chih8["ops_s"] / chih8["power_w"] / 1e12, survey))
    out.append(Case("cim-published", "22 nm SRAM macro TOPS, 8b x 8b (predicted from 4b)", "TOPS", 0.917,
                    chih8["ops_s"] / 1e12, survey))
    return out + _neurram_cases()
