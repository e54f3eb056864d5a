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
variation, drift (``g (t/t0)^-nu``); per read: read noise, then the ADC (its noise, rounding,
clipping). The reference column is made of cells like the others: its stuck-at faults, its
programming spread and its read noise (one draw per read) are common to every column it is
subtracted from.

Programming variation: a programmed level (``L >= 1``, set upwards from the RESET state) gets
``N(0, sigma (1 - gmin))`` and never reads below ``g_off = gmin`` (``g >= g_off``); a cell whose
target is off (``L = 0``, and the reference column) stays in the RESET state, whose spread is
relative to it, ``N(0, sigma gmin)``, clipped at ``g >= 0``. So at an infinite ratio off cells
are exactly 0 (``g`` never below 0, no clipping bias) and as the ratio grows a finite ratio
converges to it; a lower ratio only adds the off cells' and the reference's spread (rram-cim,
digits-cnn, sigma 0.05, 12 chips: output SNR 14.68 +- 1.25 dB with no ratio; 10.49, 14.80,
14.75, 14.72, 14.72 dB at 2, 10, 100, 1e3, 1e6). Global drift compensation multiplies each layer's analog output
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
                                          "subtracted before the ADC. Default: the cell's "
                                          "(cim.cell.on_off or its preset's: rram_1t1r 17, "
                                          "fefet and pcm 100) when a cim.cell block is stated; "
                                          "infinite (no reference column) without one.")
    drift: Optional[Drift] = Field(default=None, description="Conductance drift (default: none).")
    seed: NonNegativeInt = Field(default=0, le=2**62, description="Seed of the Monte-Carlo "
                                 "chips: chip i draws from numpy's SeedSequence(seed).spawn("
                                 "repeats)[i] (chip i is the same at any repeats; seeds 0 and 1 "
                                 "share no chip; at most 2^62); its stuck-at cells, programming "
                                 "variation and drift nu from one stream per weight and effect, "
                                 "so they do not depend on read noise or the test set.")
    repeats: PositiveInt = Field(default=1, le=10000, description="Monte-Carlo chips (repeats); "
                                 "metrics are reported as mean and standard deviation.")

    def check_cell(self, cell: str, kind: str, ratio: Optional[float]) -> None:
        """Refuse, in one line, an effect the CIM's cell (type ``cell``, preset ``kind``; on/off
        ``ratio`` as the emulator takes it) cannot carry: no conductance range (a ratio of 1);
        on a digital cell, every analog effect (its column sums are adder-tree words: no
        converter, no programmed conductance, no off state, nothing to drift); drift with no
        ``nu`` on a cell other than PCM (the default nu model is aihwkit's PCM)."""
        if ratio == 1:
            raise ValueError("cell.on_off 1 leaves the cells no conductance range for the nonideal "
                             "block (its on_off_ratio defaults to the cell's): give "
                             "nonideal.on_off_ratio > 1 or a cell on_off > 1")
        if kind == "digital":
            bad = [f for f, v in (("adc_noise", self.adc_noise > 0),
                                  ("programming_sigma", self.programming_sigma > 0),
                                  ("read_sigma", self.read_sigma > 0),
                                  ("on_off_ratio", ratio is not None),
                                  ("drift", self.drift is not None)) if v]
            if bad:
                raise ValueError(
                    f"nonideal.{bad[0]} on an {cell} cell, whose column sums are digital (adder "
                    "trees: no converter to add noise, no programmed conductance to vary, no off "
                    "state, nothing to drift): only nonideal.stuck_at (hard bit faults) applies; "
                    f"leave {', '.join('nonideal.' + b for b in bad)} out")
        d = self.drift
        if d is not None and d.nu is None and "nu" not in d.model_fields_set and cell != "pcm":
            raise ValueError(
                f"nonideal.drift without drift.nu on an {cell} cell: the default nu model is "
                "aihwkit's PCM (structural relaxation), not this cell's retention physics; give "
                "drift.nu (the cell's measured exponent) or drift.nu: pcm to use PCM's model")

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
