"""A number that cannot be derived (:class:`DeriveError`), and one that is not finite: absurd
but in-domain inputs (``cell.r_on: 1e-300 ohm``, ``cell.height_f: 1e308``) overflow the
circuit models. :func:`problem` names the
derived value and the given inputs beyond the SI prefixes (1e-30 to 1e30 in SI units) that it
likely came from, so the loader's one line names the file, the ``--set`` and the field; the
models run under ``np.errstate(all="ignore")`` (no warning lines), their result checked here.
"""

from __future__ import annotations

import math

from ...quantity import _extreme

#: a design value (:class:`.derive.Design` attribute) -> (config field below the component, words)
DESIGN_VALUES = {
    "read_latency": ("read_latency", "read latency"),
    "sample_rate": ("adc.sample_rate", "ADC sample rate"),
    "energy_per_conversion": ("adc.energy_per_conversion", "ADC conversion energy"),
    "dac_energy": ("dac_energy", "DAC energy"),
    "cell_read_energy": ("cell_read_energy", "cell read energy"),
    "shift_add_energy": ("shift_add_energy", "shift-and-add energy"),
    "buffer_energy_per_byte": ("buffer.energy_per_byte", "buffer energy per byte"),
    "switch_energy": ("switch_energy", "switch energy"),
    "mux_energy": ("mux_energy", "mux energy"),
    "counter_energy": ("counter_energy", "counter energy"),
}
class DeriveError(ValueError):
    """A number cannot be derived; ``field`` is the config field (below the component) to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def problem(c, tech, values: dict) -> tuple[str, str] | None:
    """``(field, message)`` for the first of ``values`` (words -> (field, number)) that is not
    finite, or None. ``field`` is the one extreme given input when there is one (a path outside
    the component starts with "/"), else the field the derived value would fill."""
    for words, (fld, v) in values.items():
        try:
            ok = math.isfinite(float(v))
        except (TypeError, ValueError):
            continue
        if ok:
            continue
        causes: list = []
        _extreme(c, "", causes)
        _extreme(tech, "/technology.", causes)
        shown = ", ".join(f"{p.lstrip('/')} = {t}" for p, t in causes)
        why = (f"check {shown} (beyond 1e-30 to 1e30 in SI units)" if causes else
               "check the cell, ADC, area and technology values it is derived from")
        where = causes[0][0] if len(causes) == 1 else fld
        return where, f"the derived {words} is not finite ({float(v)!r}): {why}"
    return None


def design_values(d) -> dict:
    """A :class:`.derive.Design`'s numbers to check, words -> (field, number)."""
    out = {words: (fld, getattr(d, attr)) for attr, (fld, words) in DESIGN_VALUES.items()}
    for part, a in (d.area or {}).items():
        out[f"area of part {part}"] = (f"area.{'array' if part == 'arrays' else part}", a)
    return out


def checked(c, tech, d):
    """Design ``d`` of config ``c`` on ``tech``, or :class:`DeriveError` raised for its first
    number that is not finite."""
    if (bad := problem(c, tech, design_values(d))) is not None:
        raise DeriveError(*bad)
    return d
