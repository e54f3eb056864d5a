"""The CIM block's static power: ``static_power`` when the config gives it (``given``), else
derived from the leakage model (:mod:`cimsim.hw.circuits.leakage`) at the technology block's
node and supply (``derived``; ``placeholder`` when a periphery area it rests on is one):

- arrays: ``arrays x rows x cols`` bits x the cell's leakage per bit (SRAM cells: their off
  transistors; resistive cells: 0, non-volatile and unbiased when idle);
- periphery: the derived (or given) ADC and digital (shift-and-add, registers) areas of the
  whole block at the periphery's off-width density; a derived area is counted in transistors
  where the rule's density is calibrated, the same design derived at
  :data:`~cimsim.hw.circuits.leakage.COUNT_NODE_NM` (22 nm), their width then ~ F at the run's
  node (the same circuit leaks less at a smaller node), never more transistors than the run
  node's own area holds at the density (the cap binds above 22 nm); a design that cannot be
  derived at 22 nm (a rate or pulse only its own node reaches) has each derived area moved
  there by its own area law instead (:func:`_moved`: the ADC model's area at the same rate, the
  Stillmaker & Baas area table for digital parts, the buffer model), and the static note says
  so; a given area is the run node's silicon;
- buffer: ``kind: sram``, its capacity in bits x the 6T bit's leakage; other kinds, its area
  at the periphery density, counted as the periphery.

- chip buffers (a ``chip`` block): each level's buffer once per unit of the level, by the
  same rule as the buffer (SRAM by its bits, other kinds by their given or modelled area), at
  ``chip.node_nm`` and its nominal supply where the chip states its own node (as its energies).

Row drivers, ``area.other`` (not modelled, area 0) and a ``chip`` block's interconnect and
periphery units leak nothing here. Nothing is power-gated. Devices: ``leakage_devices`` (lstp or
hp; default :func:`devices`, technology.flavour's; ``flavour: hp`` below 22 nm, where the PTM HP
cards stop, is refused naming the flavour and the way out).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..circuits import leakage
from ..parts.cell import DEFAULT_CELL
from . import finite
from .finite import DeriveError


@dataclass(frozen=True)
class Static:
    """Static power of the block (W), where it came from, and its parts (W)."""

    power_w: float
    provenance: str
    parts: dict
    #: the design's area fields it rests on (a given one the config marks (U) makes it a
    #: placeholder: :meth:`cimsim.hw.cim.CIM.provenance`)
    fields: tuple = ()
    #: how the periphery was counted when not by the rule's first way (the design re-derived at
    #: 22 nm): words for the derived note, else ''
    note: str = ""


def devices(c, tech) -> str:
    """The off current a derived static power uses: ``leakage_devices`` when given, else
    ``technology.flavour``'s (lp: lstp, hp: hp; no flavour: lstp)."""
    if c.leakage_devices is not None:
        return c.leakage_devices
    return "hp" if tech is not None and tech.flavour == "hp" else "lstp"


def _at_count_node(c, tech, d) -> tuple[dict, str]:
    """The areas at :data:`~cimsim.hw.circuits.leakage.COUNT_NODE_NM` of the design's derived
    periphery: the same design derived there, or, when it cannot be (a given rate or pulse only
    the run's node reaches), each area moved there by its own law (:func:`_moved`); with words
    saying so in that case, else ''. Given areas are not counted there (the caller skips them)."""
    from .derive import design

    node, area = tech.node_nm, dict(d.area or {})
    ref = leakage.COUNT_NODE_NM
    if node == ref:
        return area, ""
    try:
        d_ref = design(c, tech.model_copy(update={"node": ref * 1e-9, "voltage": None}))
    except (DeriveError, ValueError) as exc:
        return _moved(c, tech, area, ref, d.provenance), (
            f"periphery devices counted at {ref} nm by each derived area's own node law (the "
            f"design cannot be derived at {ref} nm: {str(exc).split(';')[0].rstrip('.')})")
    return {k: (d_ref.area or {}).get(k, v) for k, v in area.items()}, ""


def _moved(c, tech, area: dict, ref: float, ap: dict) -> dict:
    """The derived areas moved from the run's node to ``ref`` by the law each is derived by
    (at the run's rate and design, so nothing here can fail where the run derived): the ADC
    model's own area at the same rate (SAR, ramp, flash, a registered type; a structural SAR
    the survey regression's node^0.797 at the same energy; a current-sense converter its
    register bits' table), the digital part's Stillmaker & Baas area table, and a non-SRAM
    buffer by the buffer model."""
    from ..circuits import adc as adc_model
    from ..circuits import buffer as buffer_model
    from ..circuits import scaling

    node, a = tech.node_nm, c.adc
    out = dict(area)
    derived = lambda k: out.get(k) and ap.get(f"area.{k}") != "given"  # noqa: E731
    if derived("adc"):
        if a.type == "current_sense":
            k = scaling.area_factor(node, ref)
        elif a.model == "structural":
            k = (ref / node) ** adc_model.AREA_LN_NODE
        else:
            m = adc_model.model(a.type)
            fs = a.sample_rate if a.sample_rate is not None else 1.0 / float(np.max(
                adc_model.timing(a.type, a.bits, node, None, None, a.conversion_time)[0]))
            k = float(np.max(m.area(a.bits, ref, fs))) / float(np.max(m.area(a.bits, node, fs)))
        out["adc"] = area["adc"] * k
    if derived("digital"):
        out["digital"] = area["digital"] * scaling.area_factor(node, ref)
    b = c.buffer
    if derived("buffer") and b is not None and b.kind != "sram":
        out["buffer"] = float(buffer_model.buffer(b.kind, b.capacity / b.banks, b.width, ref)
                              .area_m2) * b.banks
    return out


def static(c, tech, d) -> Static:
    """The :class:`Static` of CIM config ``c`` on ``tech`` with the design ``d``
    (:class:`.derive.Design`: its area by part and their provenance). Raises :class:`.derive.DeriveError`
    naming the field when it cannot be derived (no technology block; devices with no off
    current at the node)."""
    from ..circuits.scaling import device_flavour

    _flavour_has_off_current(c, tech)
    try:
        with np.errstate(all="ignore"), device_flavour(getattr(tech, "flavour", None)):
            s = _static(c, tech, d)  # an absurd input's overflow: refused below
    except DeriveError:
        raise
    except ValueError as exc:
        raise DeriveError("leakage_devices", str(exc)) from None
    if (bad := finite.problem(c, tech, {"static power": ("static_power", s.power_w)})) is not None:
        raise DeriveError(*bad)
    return s


def _flavour_has_off_current(c, tech) -> None:
    """``technology.flavour: hp`` picks the PTM HP off current, which stops at 22 nm: below it
    (the run's node or a chip block's own) a derived static power is refused naming the flavour
    and the way out (``leakage_devices: lstp``), not the field the user never set."""
    if (c.static_power is not None or tech is None or c.leakage_devices is not None
            or tech.flavour != "hp"):
        return
    chip_node = getattr(c.chip, "node_nm", None) if c.chip is not None else None
    low = min(n for n in (tech.node_nm, chip_node) if n is not None)
    if low < leakage.lowest_node("hp"):
        raise DeriveError("/technology.flavour", (
            f"hp takes the PTM HP off current for the derived static power, and those cards "
            f"stop at {leakage.lowest_node('hp'):g} nm ({low:g} nm asked); keep flavour hp for "
            "HP delay and energy and give the CIM component's leakage_devices: lstp (LSTP "
            "leakage, stated in the run note), or give its static_power, or use flavour lp"))


def _static(c, tech, d) -> Static:
    if c.static_power is not None:
        return Static(float(c.static_power), "given", {})
    if tech is None:
        raise DeriveError("static_power", "not given, and the architecture has no technology "
                                          "block to derive it from: give it, or add technology: {node: ...}")
    node, vdd, dev = tech.node_nm, tech.voltage, devices(c, tech)
    cell = c.cell.type if c.cell is not None else DEFAULT_CELL[c.technology]
    parts = {"arrays": c.arrays * leakage.array_w(cell, c.rows, c.cols, node, vdd, dev)}
    prov, fields, note = "derived", [], ""
    area, ap = d.area or {}, d.provenance
    if not area:
        prov = "placeholder"  # no periphery area to rest on: periphery counted as 0
    else:
        for k in ("adc", "digital"):
            fields.append(f"area.{k}")
            if ap.get(f"area.{k}") == "placeholder":
                prov = "placeholder"
        counted, note = _at_count_node(c, tech, d)
        parts["periphery"] = _periphery(("adc", "digital"), area, counted, ap, node, vdd, dev)
    if c.chip is not None:
        parts["chip_buffers"] = _chip_buffers_w(c.chip, node, vdd, dev)
    b = c.buffer  # None: a chip block's levels hold the buffers
    if b is None:
        pass
    elif b.kind == "sram":
        parts["buffer"] = b.capacity * 8 * leakage.sram_bit_w(node, vdd, dev, "sram_6t")
    elif "buffer" in area:  # (area is not empty: `counted` is set above)
        parts["buffer"] = _periphery(("buffer",), area, counted, ap, node, vdd, dev)
        fields.append("area.buffer")
        if ap.get("area.buffer") == "placeholder":
            prov = "placeholder"
    return Static(float(sum(parts.values())), prov, parts, tuple(fields), note)


def _periphery(keys: tuple, area: dict, counted: dict, ap: dict, node, vdd, dev) -> float:
    """Leakage of the area parts ``keys``: given areas (and every area at
    :data:`~cimsim.hw.circuits.leakage.COUNT_NODE_NM`) at the run's node, summed first; each
    derived one counted there (``counted``), capped at its own area at the run's node."""
    ref = leakage.COUNT_NODE_NM
    own = [k for k in keys if ap.get(f"area.{k}") == "given" or node == ref]
    w = leakage.periphery_w(sum(area.get(k, 0.0) for k in own), node, vdd, dev) if own else 0.0
    return w + sum(leakage.periphery_w(area.get(k, 0.0), node, vdd, dev,
                                       (counted.get(k, area.get(k, 0.0)), ref))
                   for k in keys if k not in own)


def _chip_buffers_w(chip, node, vdd, dev) -> float:
    """Leakage of every level's buffer, one per unit of the level (module docstring)."""
    from . import chip as chipmod

    if chip.node_nm is not None:  # the chip's own node, at its nominal supply (as its energies)
        node, vdd = chip.node_nm, None
    total = 0.0
    for buf, units in chipmod.level_buffers(chip):
        one = (buf.capacity * 8 * leakage.sram_bit_w(node, vdd, dev, "sram_6t") if buf.type == "sram"
               else leakage.periphery_w(chipmod.one_buffer_area_m2(buf, node), node, vdd, dev)
               if buf.area is not None  # given: the run node's silicon; derived: counted at 22 nm
               else leakage.periphery_w(chipmod.one_buffer_area_m2(buf, node), node, vdd, dev, (
                   chipmod.one_buffer_area_m2(buf, leakage.COUNT_NODE_NM), leakage.COUNT_NODE_NM)))
        total += float(one) * units
    return total
