"""The CIM block's static power: ``static_power`` when the config gives it (``given``), else
derived from the leakage model (:mod:`cimsim.hw.circuits.leakage`) at the technology block's
node and supply (``derived``; ``placeholder`` when a periphery area it rests on is one):

- arrays: ``arrays x rows x cols`` bits x the cell's leakage per bit (SRAM cells: their off
  transistors; resistive cells: 0, non-volatile and unbiased when idle);
- periphery: the derived (or given) ADC and digital (shift-and-add, registers) areas of the
  whole block at the periphery's off-width density; a derived area is counted in transistors
  where the rule's density is calibrated, the same design derived at
  :data:`~cimsim.hw.circuits.leakage.COUNT_NODE_NM` (22 nm), their width then ~ F at the run's
  node (the same circuit leaks less at a smaller node); a given area is the run node's silicon;
- buffer: ``kind: sram``, its capacity in bits x the 6T bit's leakage; other kinds, its area
  at the periphery density.

- chip buffers (a ``chip`` block): each level's buffer once per unit of the level, by the
  same rule as the buffer (SRAM by its bits, other kinds by their given or modelled area), at
  ``chip.node_nm`` and its nominal supply where the chip states its own node (as its energies).

Row drivers, ``area.other`` (not modelled, area 0) and a ``chip`` block's interconnect and
periphery units leak nothing here. Nothing is power-gated. Devices: ``leakage_devices`` (lstp or
hp; default :func:`devices`, technology.flavour's).
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


def devices(c, tech) -> str:
    """The off current a derived static power uses: ``leakage_devices`` when given, else
    ``technology.flavour``'s (lp: lstp, hp: hp; no flavour: lstp)."""
    if c.leakage_devices is not None:
        return c.leakage_devices
    return "hp" if tech is not None and tech.flavour == "hp" else "lstp"


def _at_count_node(c, tech, d) -> tuple[dict, float]:
    """The derived periphery areas at :data:`~cimsim.hw.circuits.leakage.COUNT_NODE_NM` (the
    same design derived there) and that node, or the run's areas and node when the technology
    is already there or the design cannot be derived there; given areas stay the run's (they
    are the silicon at the run's node)."""
    from .derive import design

    node, area = tech.node_nm, dict(d.area or {})
    ref = leakage.COUNT_NODE_NM
    if node == ref:
        return area, node
    try:
        d_ref = design(c, tech.model_copy(update={"node": ref * 1e-9, "voltage": None}))
    except (DeriveError, ValueError):
        return area, node
    return {k: (v if d.provenance.get(f"area.{k}") == "given" else (d_ref.area or {}).get(k, v))
            for k, v in area.items()}, ref


def static(c, tech, d) -> Static:
    """The :class:`Static` of CIM config ``c`` on ``tech`` with the design ``d``
    (:class:`.derive.Design`: its area by part and their provenance). Raises :class:`.derive.DeriveError`
    naming the field when it cannot be derived (no technology block; devices with no off
    current at the node)."""
    from ..circuits.scaling import device_flavour

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


def _static(c, tech, d) -> Static:
    if c.static_power is not None:
        return Static(float(c.static_power), "given", {})
    if tech is None:
        raise DeriveError("static_power", "not given, and the architecture has no technology "
                                          "block to derive it from: give it, or add technology: {node: ...}")
    node, vdd, dev = tech.node_nm, tech.voltage, devices(c, tech)
    cell = c.cell.type if c.cell is not None else DEFAULT_CELL[c.technology]
    parts = {"arrays": c.arrays * leakage.array_w(cell, c.rows, c.cols, node, vdd, dev)}
    prov, fields = "derived", []
    area, ap = d.area or {}, d.provenance
    if not area:
        prov = "placeholder"  # no periphery area to rest on: periphery counted as 0
    else:
        for k in ("adc", "digital"):
            fields.append(f"area.{k}")
            if ap.get(f"area.{k}") == "placeholder":
                prov = "placeholder"
        counted, at = _at_count_node(c, tech, d)
        by_node: dict = {}  # area by the node it is counted at (derived: `at`; given: the run's)
        for k in ("adc", "digital"):
            n = at if ap.get(f"area.{k}") != "given" else node
            by_node[n] = by_node.get(n, 0.0) + counted.get(k, 0.0)
        parts["periphery"] = sum(leakage.periphery_w(a, node, vdd, dev, None if n == node else n)
                                 for n, a in by_node.items())
    if c.chip is not None:
        parts["chip_buffers"] = _chip_buffers_w(c.chip, node, vdd, dev)
    b = c.buffer  # None: a chip block's levels hold the buffers
    if b is None:
        pass
    elif b.kind == "sram":
        parts["buffer"] = b.capacity * 8 * leakage.sram_bit_w(node, vdd, dev, "sram_6t")
    elif "buffer" in area:
        counted, at = _at_count_node(c, tech, d)
        parts["buffer"] = leakage.periphery_w(
            counted["buffer"], node, vdd, dev, at if ap.get("area.buffer") != "given" else node)
        fields.append("area.buffer")
        if ap.get("area.buffer") == "placeholder":
            prov = "placeholder"
    return Static(float(sum(parts.values())), prov, parts, tuple(fields))


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
               else leakage.periphery_w(chipmod.one_buffer_area_m2(buf, leakage.COUNT_NODE_NM),
                                        node, vdd, dev, leakage.COUNT_NODE_NM))
        total += float(one) * units
    return total
