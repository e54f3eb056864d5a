"""``--accuracy`` on a plug-in's ADC-limited analog device (``accuracy_arithmetic = "analog"``,
:mod:`cimsim.hw.declared`): its class's ``accuracy_arith(config)`` gives the emulator's
:class:`~.arith.Arith` (the dot product's length, weight and input bits, ADC bits, ...), so a
sweep of its ADC bits moves the accuracy. Ideal devices: no noise model (the CIM's ``nonideal``
block reads a ``CIMConfig``)."""

from __future__ import annotations

from .arith import Arith


def analog_arith(config, where: str) -> Arith:
    """The arithmetic of the ``analog`` component whose config is ``config``: one line
    (``where`` and why) where its ``accuracy_arith`` gives none the emulator can run."""
    from ..hw.registry import get
    from .target import AccuracyError

    try:
        return Arith.from_declared(get(config.type).accuracy_arith(config))
    except (ValueError, TypeError) as exc:
        raise AccuracyError(f"{where}: cannot emulate its arithmetic: {exc}") from None


def analog_basis(name: str, a: Arith, emulated: bool) -> str:
    """The ``accuracy_basis`` of such a component ``name`` computing with ``a``."""
    return (f"{name} {'emulated' if emulated else 'not emulated, no op ran on it'} (its "
            f"accuracy_arith): {a.input_bits}b {'signed ' if a.signed_inputs else ''}inputs in "
            f"{a.dac_bits}-bit slices x {a.weight_bits}b weights in {a.bits_per_cell}-bit cells, "
            f"{a.adc_bits}-bit ADC ({a.adc_range_policy} range), {a.R} rows per read, ideal "
            "devices (no noise model)")
