"""Near-memory compute (NMC) datapath after a CIM column's ADC: per-output scaling, accumulation
across bit-serial input slices, bias, activation and the output register, sized by bit widths
from the gate energies of :mod:`.digital` (e.g. Jia et al., JSSC 55(9) 2020, whose NMC scales,
biases and activates every column output).

Per conversion (one column output of one input slice):

- input register of ``adc_bits`` (register bits of :func:`.digital.register_bit_energy`, Aladdin
  40 nm (T));
- scaling: an ``adc_bits x scale_bits`` array multiplier, ``adc_bits x scale_bits`` partial
  product bits of ``0.2 pJ / 64`` each at 45 nm, 0.9 V (Horowitz, ISSCC 2014: 8-bit integer
  multiply 0.2 pJ; his 32-bit multiply, 3.1 pJ / 1024, agrees within 3 %) (T), moved by
  :func:`.scaling.energy_factor`; none when ``scale_bits`` is 0;
- accumulation across slices: an ``accumulator_bits`` adder and register (:func:`.digital.shift_add`).

Per output (once per ``slices`` conversions):

- bias: an ``accumulator_bits`` adder (none when ``bias`` is false);
- activation (ReLU): one gate per accumulator bit, counted as one full-adder bit each (U);
- output register of ``output_bits``.

The multiplexer that shares one datapath among several columns, clocking and control are not
counted (stated).
"""

from __future__ import annotations

import numpy as np

from . import digital, scaling
from .record import PartEstimate, provenance

#: energy of one partial-product bit of an array multiplier at 45 nm, 0.9 V (Horowitz 2014) (T)
MULT_PP_BIT_45NM_J = 0.2e-12 / 64

ACTIVATIONS = ("relu", "none")


def multiplier(a_bits, b_bits, node_nm: float, vdd=None) -> PartEstimate:
    """An ``a_bits x b_bits`` array multiplier: one multiplication."""
    a, b = digital._width("multiplier width", a_bits), digital._width("multiplier width", b_bits)
    e = a * b * MULT_PP_BIT_45NM_J * scaling.energy_factor(45, node_nm, digital.FULL_ADDER_45NM_VDD, vdd)
    return PartEstimate(
        energy_j=e,
        delay_s=(a + b) * digital.CARRY_FO4_PER_BIT * scaling.fo4_delay(node_nm, vdd),
        area_m2=a * b * digital._cell_area(node_nm),
        source="Horowitz ISSCC 2014 multiply energy per partial-product bit (T), scaled by "
               "Stillmaker & Baas; delay and area (U)",
        field_provenance=provenance(delay_s=True, area_m2=True),
    )


def energy_parts(adc_bits, slices, node_nm: float, vdd=None, scale_bits=8, accumulator_bits=32,
                 bias=True, activation="relu", output_bits=8, register_design=None) -> dict:
    """Energy (J) per conversion by part: ``input``, ``scale``, ``accumulate``, ``bias``,
    ``activation``, ``output`` (the per-output parts divided by ``slices``)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation {activation!r} is not allowed; allowed: {', '.join(ACTIVATIONS)}")
    s = np.asarray(slices, dtype=float)
    if np.any(s < 1):
        raise ValueError(f"slices {slices} must be >= 1")
    fa = digital.full_adder_energy(node_nm, vdd)
    reg = digital.register(1, node_nm, vdd, register_design).energy_j
    acc = digital._width("accumulator bits", accumulator_bits)
    scale = 0.0
    if not np.all(np.asarray(scale_bits) == 0):
        scale = multiplier(adc_bits, scale_bits, node_nm, vdd).energy_j
    return {
        "input": digital._width("ADC bits", adc_bits) * reg,
        "scale": scale,
        "accumulate": digital.shift_add(acc, node_nm, vdd, register_design).energy_j,
        "bias": (acc * fa if bias else 0.0) / s,
        "activation": (acc * fa if activation == "relu" else 0.0) / s,
        "output": digital._width("output bits", output_bits) * reg / s,
    }


def near_memory_datapath(adc_bits, slices, node_nm: float, vdd=None, scale_bits=8,
                         accumulator_bits=32, bias=True, activation="relu",
                         output_bits=8, register_design=None) -> PartEstimate:
    """Energy per conversion of the NMC datapath (see the module docstring); its registers
    of ``register_design`` (None: the standard cell)."""
    parts = energy_parts(adc_bits, slices, node_nm, vdd, scale_bits, accumulator_bits, bias,
                         activation, output_bits, register_design)
    e = sum(parts.values())
    acc = digital._width("accumulator bits", accumulator_bits)
    # adders: accumulate and bias; registers: input, accumulator, output
    area = (2 * acc * digital._cell_area(node_nm)
            + (acc + digital._width("ADC bits", adc_bits) + output_bits)
            * digital.register_bit_area(node_nm))
    if not np.all(np.asarray(scale_bits) == 0):
        area = area + multiplier(adc_bits, scale_bits, node_nm, vdd).area_m2
    return PartEstimate(
        energy_j=e,
        delay_s=digital.shift_add(acc, node_nm, vdd).delay_s,
        area_m2=area,
        source="NMC datapath: Horowitz 2014 multiply and add energies (T); register bit "
               "(Aladdin 40 nm, T); activation gate, delay and adder/multiplier area (U)"
               + ("; register bits instead: " + digital.register_source(register_design)
                  if register_design is not None and register_design.structural else ""),
        field_provenance=provenance(energy_j=True, delay_s=True, area_m2=True),
    )
