"""The ``nonideal:`` block (``cim.nonideal``), re-exported: its config model lives with the CIM's
other parts (:mod:`cimsim.hw.parts.nonideal`, where its math and sources are written); and
:func:`nonideal_text`, its words in ``accuracy_basis``."""

from ..hw.parts.nonideal import PCM_NU_MU, PCM_NU_SIGMA, PCM_T0_S, Drift, NonIdeal, StuckAt

__all__ = ["PCM_NU_MU", "PCM_NU_SIGMA", "PCM_T0_S", "Drift", "NonIdeal", "StuckAt", "nonideal_text"]


def nonideal_text(cim) -> str:
    """Every non-ideal setting the emulator used, for ``accuracy_basis``: the on/off ratio and
    where it came from (not on a digital cell, which has none), then each effect that is set
    (a tester found two very different devices with one basis)."""
    from ..hw.cim.tiling import on_off_ratio
    from .arith import Arith

    ni, parts = cim.nonideal, []
    if not Arith._digital(cim):
        ratio, src = on_off_ratio(cim)
        parts.append(f"on/off ratio {ratio:g}, {src}" if ratio is not None
                     else f"on/off ratio infinite, {src}")
    if ni.programming_sigma:
        parts.append(f"programming sigma {ni.programming_sigma:g} of the cell range")
    if ni.read_sigma:
        parts.append(f"read sigma {ni.read_sigma:g} of the cell range")
    if ni.adc_noise:
        parts.append(f"ADC noise {ni.adc_noise:g} LSB")
    st = ni.stuck_at
    if st is not None and (st.on or st.off):
        parts.append(f"stuck-at on {st.on:g} / off {st.off:g} of cells")
    d = ni.drift
    if d is not None:
        nu = "nu: aihwkit PCM model" if d.nu is None else f"nu {d.nu:g} +- {d.nu_std:g}"
        parts.append(f"drift to {d.time:g} s from t0 {d.t0:g} s, {nu}, compensation "
                     + ("on" if d.compensation else "off"))
    return "; ".join(parts) if parts else "no effect set"
