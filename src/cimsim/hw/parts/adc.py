"""Column readout of a compute-in-memory array: an ADC (or a digital macro's adder tree), and
the integrate-and-count readout that replaces one conversion per column per slice.

Each per-event number an ADC section leaves out (``sample_rate``, ``energy_per_conversion``)
is derived from ``type``, ``bits`` and the architecture's ``technology`` block by
:mod:`cimsim.hw.circuits.adc` (Murmann survey: SAR envelope, flash comparators from its flash
designs scaled by node and supply; SAR time from NeuroSim); a number the section gives wins."""

from __future__ import annotations

import math
from typing import Annotated, ClassVar, Literal, Optional, get_args

from pydantic import Field, field_validator, model_validator

from ...quantity import (Choices, Farads, Hertz, Joules, PositiveFloat, PositiveInt, PositiveSeconds,
                         Seconds)
from ..base import Strict

#: how an ADC's input range is set (``range_policy``)
RangePolicy = Literal["max", "unit", "calibrated"]
RANGE_POLICIES: tuple[str, ...] = get_args(RangePolicy)


class Counting(Strict):
    """An integrate-and-count readout (NeuRRAM's neuron, Wan et al., Nature 608, 2022): each
    column integrates unit input pulses, then converts by counting one output bit per step.
    With it, ``read_latency`` is one integration step (one unit pulse), ``adc.bits`` the output
    bits, ``adc.sample_rate`` counting steps per second, ``adc.energy_per_conversion`` and
    ``shift_add_energy`` the energies of one counting step (closed form: :mod:`cimsim.hw.cim.counting`)."""

    max_bits_per_phase: PositiveInt = Field(
        le=32, description="Inputs of more magnitude bits than this are split into two phases "
        "(ceil(b/2) and floor(b/2) bits), each integrated and converted; set it >= input_bits "
        "for one-phase operation.")
    phase_latency: Seconds = Field(description="Time per phase besides its integration and "
                                   "counting steps (sampling, reset).")
    integrate_energy: Joules = Field(description="Energy of one integration step of one column.")
    sample_energy: Joules = Field(description="Energy of sampling one input bit on one column.")


class ADC(Strict):
    """Column readout of a CIM array: an ADC for analog arrays, an adder tree for digital macros."""

    bits: PositiveInt = Field(le=16, description="Resolution of one conversion: with `type` and "
                              "the architecture's `technology`, it sets the derived energy per "
                              "conversion, conversion time and area; fewer bits than the "
                              "lossless partial sum loses bits (result `<cim>_adc_bits_lost`); "
                              "with `counting`, the output bits, which set the counting steps.")
    sample_rate: Optional[Hertz] = Field(
        default=None, description="Conversions per second of one ADC (with `counting`: counting "
        "steps per second). Default: derived, one conversion per conversion time of `type`.")
    energy_per_conversion: Optional[Joules] = Field(
        default=None, description="Energy of one conversion (with `counting`: of one counting "
        "step). Default: derived from `type`, `bits`, `sample_rate`, the node and the supply "
        "(sar: Murmann survey envelope; flash: 2^bits-1 comparators from the survey's flash "
        "designs moved to the node and supply (Stillmaker & Baas, C V^2) + encoder gates).")
    per_array: Optional[PositiveInt] = Field(
        default=None, description="ADCs per array (columns share them round-robin); give this "
        "or `columns_per_adc`.")
    columns_per_adc: Optional[PositiveInt] = Field(
        default=None, description="Columns multiplexed onto one ADC (column muxing): ADCs per "
        "array = ceil(cols / columns_per_adc); give this or `per_array`.")
    arrays_per_adc: PositiveInt = Field(
        default=1, description="Arrays sharing one ADC through a multiplexer (PUMA, PRIME-style "
        "sharing): the ADCs of the block are ceil(arrays / arrays_per_adc) x the ADCs per array "
        "(area, leakage); an MVM whose matrix converts on m arrays at once serialises "
        "min(m, arrays_per_adc) arrays' conversions per slice, one on a single array is not "
        "slowed; the energy per conversion is unchanged. Needs one ADC per array (per_array 1 "
        "or columns_per_adc = cols), at most `arrays` (with a chip block a divisor of its first "
        "level's fanout). Default: 1, an ADC of each array's own.")
    type: Optional[Annotated[str, Choices(lambda: tuple(_adcs().types()))]] = Field(
        default=None, description="Converter architecture, a registered ADC model: sar (bits+1 "
        "cycles), flash (2^bits-1 comparators, one cycle), ramp (2^bits counting steps), "
        "current_sense (multi-level current sense amplifier, modelled as flash: placeholder), "
        "or a plug-in's (cimsim.hw.register, entry-point group cimsim.adcs). Needed when a "
        "number above or the ADC area is derived.")
    envelope_factor: float = Field(
        default=1.0, ge=1.0, allow_inf_nan=False, description="How far the design's energy per "
        "conversion sits above the model's (sar: 1 = the survey's envelope, its best; flash and "
        "current_sense: 1 = the geometric mean of the survey's flash designs at the node; ramp: "
        "the mean of its 5 best); derived energy only.")
    range_policy: RangePolicy = Field(
        default="max", description="How the ADC's input range is set: max (the largest possible "
        "partial sum), unit (one unit step per code: low bits kept, overflow clipped), "
        "calibrated (set from measured partial-sum statistics). Recorded in the result for "
        "the accuracy emulator; it changes no cost.")
    range_percentile: PositiveFloat = Field(
        default=99.9, gt=1, le=100, allow_inf_nan=False, description="With range_policy "
        "calibrated: the percentile (1..100] of the absolute partial sums observed on "
        "calibration inputs that the ADC's full scale spans, per layer (accuracy emulator only; "
        "it changes no cost). A percent, not a fraction: 99.9, not 0.999 (a value <= 1 is "
        "refused).")
    counting: Optional[Counting] = Field(default=None, description="Integrate-and-count readout "
                                         "(default: none, one conversion per column per slice).")
    model: Literal["envelope", "structural"] = Field(
        default="envelope", description="How a derived SAR energy is modelled: envelope (the "
        "Murmann survey's best, x envelope_factor) or structural (capacitive DAC of 2^bits "
        "unit capacitors + comparator + SAR logic at the node and supply, "
        "cimsim.hw.circuits.sar; needs dac_unit_capacitance). type sar only.")
    dac_unit_capacitance: Optional[Farads] = Field(
        default=None, description="Unit capacitor of a structural SAR's capacitive DAC (model: "
        "structural).")
    conversion_time: Optional[PositiveSeconds] = Field(
        default=None, description="Time of one conversion of the converter, as its design "
        "publishes it (an 8-bit 1.2 GS/s SAR in 32 nm: 0.83 ns, Kull et al., ISSCC 2013); "
        "`sample_rate` may not exceed its inverse. Default: derived from `type`, `bits` and the "
        "node (sar: bits+1 cycles, flash: one, ramp: 2^bits; NeuroSim's cycle moved to the "
        "node and supply). Not with current_sense (its time is the column's sensing time) or "
        "`counting`.")

    #: fields of which a config gives one (an override giving one names the other to leave out)
    EXCLUSIVE: ClassVar[tuple] = (("per_array", "columns_per_adc"),)

    @field_validator("range_percentile", mode="before")
    @classmethod
    def _percent(cls, v):
        if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= 1:
            # the schema's other unitless shares are fractions: 0.999 meant 99.9 %
            # (did you mean: only a value the field takes, above 1)
            mean = f"; did you mean {v * 100:g}?" if v * 100 > 1 else ""
            raise ValueError(f"a percentile on 0-100, not a fraction (got {v:g}{mean}); values <= 1 "
                             "are refused")
        return v

    @field_validator("per_array", mode="before")
    @classmethod
    def _whole_adcs(cls, v):
        # half an ADC per array is one ADC shared by two arrays: name the workaround (review B 6)
        try:
            x = float(v) if isinstance(v, (int, float, str)) and not isinstance(v, bool) else None
        except ValueError:
            x = None
        if x is not None and (not math.isfinite(x) or x < 1 or x != int(x)):
            raise ValueError(f"ADCs per array must be a whole number >= 1 (got {v}); one ADC "
                             "shared by k arrays: per_array 1 and arrays_per_adc k "
                             "(README 'An ADC shared by several arrays')")
        return v

    @field_validator("type")
    @classmethod
    def _registered(cls, v):
        if v is not None and v not in _adcs().types():
            raise ValueError(_adcs().unknown(v))
        return v

    @model_validator(mode="after")
    def _sharing(self) -> "ADC":
        if self.per_array is not None and self.columns_per_adc is not None:
            raise ValueError("give per_array or columns_per_adc, not both (columns_per_adc = "
                             "ceil(cols / per_array))")
        if self.per_array is None and self.columns_per_adc is None:
            raise ValueError("give per_array (ADCs per array) or columns_per_adc (columns "
                             "sharing one ADC)")
        if self.model == "structural" and (self.type != "sar" or self.dac_unit_capacitance is None):
            raise ValueError("model structural is a SAR model: give type sar and "
                             "dac_unit_capacitance")
        if self.conversion_time is not None and (self.type == "current_sense"
                                                 or self.counting is not None):
            raise ValueError("conversion_time is for a converter of type sar, flash or ramp "
                             "(current_sense: the sensing time is derived; counting: give "
                             "sample_rate)")
        if self.counting is not None and (self.sample_rate is None
                                          or self.energy_per_conversion is None):
            raise ValueError("an integrate-and-count readout (counting) needs sample_rate and "
                             "energy_per_conversion given: the circuit models derive ADCs only")
        return self

    def adcs(self, arrays: int, cols: int) -> int:
        """ADCs of ``arrays`` arrays: ``ceil(arrays / arrays_per_adc)`` x :meth:`adcs_per_array`."""
        return math.ceil(arrays / self.arrays_per_adc) * self.adcs_per_array(cols)

    def adcs_per_array(self, cols: int) -> int:
        """ADCs per array: ``per_array``, or ``ceil(cols / columns_per_adc)``."""
        if self.per_array is not None:
            return self.per_array
        return math.ceil(cols / self.columns_per_adc)


def _adcs():
    """The ADC model registry (imported when first asked: it imports this package)."""
    from .registry import adcs

    return adcs
