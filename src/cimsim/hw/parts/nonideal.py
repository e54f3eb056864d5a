"""The optional ``nonideal:`` block of a CIM config (``cim.nonideal``): device and converter
non-idealities for the accuracy emulator (:mod:`cimsim.accuracy`), each with its math. It is a
config part (it changes no cost, except ``encoding``'s column count, :mod:`cimsim.hw.cim.tiling`);
:mod:`cimsim.accuracy.nonideal` re-exports it.

Conductances are normalised to the on state: a cell of ``c`` bits at level ``L`` (0 ..
``Lmax = 2^c - 1``) is programmed to ``g = gmin + (1 - gmin) L / Lmax`` with ``gmin = 1 /
on_off_ratio`` (0 for an infinite ratio). "Cell range" below is ``1 - gmin``. A partial sum read
through the ADC is ``P = (Lmax / (1 - gmin)) sum_r x_r (g_r - g_ref,r)``, in unit products
(x_r: the input slice on row r; g_ref: the reference column, present only with a finite on/off
ratio). With every effect off, ``P = sum_r x_r L_r`` exactly.

Order of application (once per Monte-Carlo chip, at programming): stuck-at faults, programming
variation (clipped at g >= 0), drift (``g (t/t0)^-nu``); per read: read noise, then the ADC
(its noise, rounding, clipping). Global drift compensation multiplies each layer's analog output
by ``alpha = sum_n |sum_k W_prog[k, n]| / sum_n |sum_k W_drift[k, n]|`` (an all-ones read before
and after drift, as in aihwkit's ``GlobalDriftCompensation``).

Sources: PCM drift exponent model and t0 = 20 s from aihwkit's PCM statistical model
(docs/source/pcm_inference.rst and ``PCMLikeNoiseModel``, after Nandakumar et al., ICECS 2019;
Joshi et al., Nat. Commun. 11, 2473, 2020); IR drop is not modelled (yet).
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, field_validator, model_validator

from ..base import Strict
from ...quantity import Flag, NonNegativeFloat, NonNegativeInt, PositiveInt, PositiveSeconds, Seconds

#: aihwkit PCM model (pcm_inference.rst): mu_nu = clip(-0.0155 ln(gT) + 0.0244, 0.049, 0.1),
#: sigma_nu = clip(-0.0125 ln(gT) - 0.0059, 0.008, 0.045), gT = target conductance / g_max.
PCM_NU_MU = (-0.0155, 0.0244, 0.049, 0.1)
PCM_NU_SIGMA = (-0.0125, -0.0059, 0.008, 0.045)
#: aihwkit PCMLikeNoiseModel default t_0 (seconds after programming of the first read)
PCM_T0_S = 20.0


_Rate = Field(ge=0, le=1, allow_inf_nan=False)


class StuckAt(Strict):
    """Stuck-at faults: each cell independently stuck at on (g = 1) or off (g = gmin), whatever
    its target; a stuck cell is not programmed (no variation). E[L'] = (1 - p_on - p_off) L +
    p_on Lmax."""

    on: float = Field(default=0.0, ge=0, le=1, allow_inf_nan=False,
                      description="Probability (fraction of cells, 0..1) that a cell is stuck at "
                      "the on (highest) conductance.")
    off: float = Field(default=0.0, ge=0, le=1, allow_inf_nan=False,
                       description="Probability (fraction of cells, 0..1) that a cell is stuck at "
                       "the off (lowest) conductance.")

    @model_validator(mode="after")
    def _sum(self) -> "StuckAt":
        if self.on + self.off > 1:
            raise ValueError(f"stuck_at.on + stuck_at.off must be <= 1, not {self.on + self.off:g}")
        return self


class Drift(Strict):
    """Conductance drift g(t) = g(t0) (t/t0)^-nu, nu per cell (PCM structural relaxation)."""

    time: Seconds = Field(description="Time since programming at which inference runs, e.g. "
                          "'31.536 Ms' (one year); must be >= t0.")
    t0: PositiveSeconds = Field(default="20 s", description="Reference time of the programmed "
                                "conductance (aihwkit PCMLikeNoiseModel: 20 s).")
    nu: Optional[NonNegativeFloat] = Field(
        default=None, description="Drift exponent (dimensionless): a number fixes its mean; "
        "absent (or 'pcm'), it is sampled per cell from aihwkit's measured PCM model (mean "
        "0.049..0.1 by target conductance).")

    @field_validator("nu", mode="before")
    @classmethod
    def _pcm(cls, v):
        return None if isinstance(v, str) and v.strip().lower() == "pcm" else v
    nu_std: NonNegativeFloat = Field(default=0.0, description="Cell-to-cell standard deviation "
                                     "of a fixed nu (dimensionless; nu = |N(nu, nu_std)|); "
                                     "with 'pcm' the model sets it.")
    compensation: Flag = Field(default=True, description="Global drift compensation: one "
                               "digital gain per layer from an all-ones read before and after "
                               "drift.")

    @model_validator(mode="after")
    def _times(self) -> "Drift":
        if self.time < self.t0:
            raise ValueError(f"drift.time ({self.time:g} s) must be >= drift.t0 ({self.t0:g} s)")
        if self.nu is None and self.nu_std:
            raise ValueError("drift.nu_std applies to a fixed nu; the 'pcm' model sets its own spread")
        return self


class NonIdeal(Strict):
    """Non-idealities of a CIM block's arithmetic (all optional; absent = ideal)."""

    encoding: Literal["offset", "differential"] = Field(
        default="offset", description="Signed weights: 'offset' stores W + 2^(B-1) in one column "
        "and subtracts the offset digitally; 'differential' stores |W| on a positive or a "
        "negative column and subtracts the two converted readings.")
    adc_noise: float = Field(default=0.0, ge=0, le=1e6, allow_inf_nan=False,
                             description="ADC input-referred noise, standard deviation in LSB "
                             "(added before rounding; at most 1e6 LSB, far past any ADC's "
                             "range).")
    programming_sigma: float = Field(default=0.0, ge=0, le=1, allow_inf_nan=False,
                                     description="Programming variation: standard deviation of "
                                     "a cell's conductance as a fraction of the cell range, "
                                     "drawn once per chip.")
    read_sigma: float = Field(default=0.0, ge=0, le=1, allow_inf_nan=False,
                              description="Read noise: standard deviation of a cell's "
                              "conductance per read, as a fraction of the cell range.")
    stuck_at: Optional[StuckAt] = Field(default=None, description="Stuck-at faults "
                                        "(default: none).")
    on_off_ratio: Optional[float] = Field(default=None, gt=1, allow_inf_nan=False,
                                          description="G_on / G_off (dimensionless, > 1); a "
                                          "reference column of off cells per array is "
                                          "subtracted before the ADC. Default: infinite.")
    drift: Optional[Drift] = Field(default=None, description="Conductance drift (default: none).")
    seed: NonNegativeInt = Field(default=0, le=2**62, description="Seed of the first Monte-Carlo "
                                 "chip (chip i uses seed + i; at most 2^62, so every chip's seed "
                                 "fits a 64-bit generator).")
    repeats: PositiveInt = Field(default=1, le=10000, description="Monte-Carlo chips (repeats); "
                                 "metrics are reported as mean and standard deviation.")

    @property
    def device_effects(self) -> bool:
        """Whether programmed conductances differ from the ideal levels."""
        stuck = self.stuck_at is not None and (self.stuck_at.on > 0 or self.stuck_at.off > 0)
        return bool(self.programming_sigma > 0 or stuck or self.on_off_ratio is not None
                    or self.drift is not None)

    @property
    def random(self) -> bool:
        """Whether any effect is random (repeats then differ)."""
        d = self.drift
        return bool(self.programming_sigma > 0 or self.read_sigma > 0 or self.adc_noise > 0
                    or (self.stuck_at is not None and (self.stuck_at.on or self.stuck_at.off))
                    or (d is not None and (d.nu is None or d.nu_std > 0)))
