"""Integrate-and-count column readout (NeuRRAM's neuron), in closed form.

NeuRRAM (Wan et al., "A compute-in-memory chip based on resistive random-access
memory", Nature 608, 504-512, 2022) has no per-slice ADC: each column's neuron
integrates the charge of the input pulses, then converts it by counting, one
output bit per counting step (a variable-precision conversion). An input of
``b`` magnitude bits is applied as unit pulses, ``2**b - 1`` for the largest
value; to bound that exponential, an input of more than ``max_bits_per_phase``
bits is split into two phases of ``ceil(b / 2)`` and ``floor(b / 2)`` bits,
each integrated and converted on its own. The step counts below are the ones
CiMLoop's validated NeuRRAM model uses (mit-emze/cimloop,
``workspace/models/arch/1_macro/wan_nature_2022/helper_functions.py`` and
``variables_free.yaml`` @ dcf91a6), stated here as arithmetic:

- phases: ``(b,)`` when ``b <= max_bits_per_phase``, else ``(ceil(b/2), floor(b/2))``;
- integration steps: ``sum(2**p - 1 for p in phases)``;
- counting steps: phase ``i`` converts ``max(bits - sum(phases[:i]), 0)`` bits
  (the later phase holds the lower input bits, so its result needs fewer);
- time of one matrix-vector product on a column: integration steps x
  ``read_latency`` + counting steps / ``adc.sample_rate`` + phases x ``phase_latency``;
- energy per column per matrix-vector product: ``adc`` = b x ``sample_energy`` +
  integration steps x ``integrate_energy`` + counting steps x
  ``adc.energy_per_conversion``; ``digital`` = counting steps x ``shift_add_energy``.
"""

from __future__ import annotations

import math


def phases(b: int, max_bits_per_phase: int) -> tuple[int, ...]:
    """Input magnitude bits handled by each phase."""
    return (b,) if b <= max_bits_per_phase else (math.ceil(b / 2), b // 2)


def integration_steps(ph: tuple[int, ...]) -> int:
    """Unit input pulses the neuron integrates over all phases."""
    return sum(2**p - 1 for p in ph)


def counting_steps(bits: int, ph: tuple[int, ...]) -> int:
    """Counting (conversion) steps over all phases for ``bits`` output bits."""
    return sum(max(bits - sum(ph[:i]), 0) for i in range(len(ph)))
