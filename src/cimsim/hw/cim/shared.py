"""A CIM chip's one-unit levels (the global buffer and bus every layer uses): which they are,
their rate and bound class, and what an op is charged there -- on the engine
(``shared_levels: engine``, resources ``<component>_<level>``) or inside each op's own time
(``per_op``, where they keep a utilization and a roof of their own). Used by :mod:`.onchip`."""

from __future__ import annotations

import numpy as np

from . import chip as chipmod


def one_unit_levels(ch) -> list[str]:
    """Levels with one unit on the chip (e.g. the global buffer and bus): every layer's
    transfers at that level go through the same buffer and interconnect, whichever
    ``shared_levels`` accounting charges them."""
    return [name for (name, lv), a in zip(ch.levels.items(), ch.unit_arrays)
            if ch.arrays // a == 1 and (lv.buffer is not None or lv.interconnect is not None)]


def shared_levels(ch) -> list[str]:
    """The :func:`one_unit_levels` the engine shares (``shared_levels: engine``); none under
    ``per_op``."""
    return [] if ch.shared_levels == "per_op" else one_unit_levels(ch)


def per_op_levels(ch) -> list[str]:
    """The :func:`one_unit_levels` charged inside each op's own time (``shared_levels:
    per_op``): no engine resource, but a utilization (``<level>_bw``: the ops' occupancy of
    the level alone, as the engine's counts it, over the latency) and a roof
    (:meth:`~cimsim.hw.cim.CIM.internal_bandwidths`) of their own."""
    return one_unit_levels(ch) if ch.shared_levels == "per_op" else []


def resource_name(component: str, level: str) -> str:
    """The engine resource of a shared level: ``<component>_<level>`` (e.g. ``cim_chip``)."""
    return f"{component}_{level}"


def _rate(lv, node) -> float:
    """The resource's rate (B/s): the interconnect's ``width / 8 x clock``, else the buffer's
    ``width / 8 / (2 x cycle)`` (each byte written and read)."""
    if lv.interconnect is not None:
        return lv.interconnect.width_bits / 8.0 * lv.interconnect.clock
    b = lv.buffer
    if b.access_latency is None and node is None:  # a config error (check names it); any rate
        return b.width_bits / 8.0 * (b.clock if b.clock is not None else 1e9) / 2.0
    return b.width_bits / 8.0 / (2.0 * chipmod.buffer_access(b, node)[1])


def shared_bandwidths(name: str, c, technology=None) -> dict[str, float]:
    """One engine resource per shared level of ``c.chip`` (:func:`shared_levels`), at
    :func:`_rate`. Absent chip block: none (the engine's resources are unchanged)."""
    ch = c.chip
    if ch is None:
        return {}
    node = chip_node(ch, technology)
    return {resource_name(name, lv): _rate(ch.levels[lv], node) for lv in shared_levels(ch)}


def chip_node(ch, technology):
    """The chip's node: its own, else the technology block's (None: neither states one)."""
    return ch.node_nm if ch.node_nm is not None else (
        technology.node_nm if technology is not None else None)


def shared_classes(name: str, c, technology=None) -> dict[str, str]:
    """Each shared level's bound class: ``memory`` where its buffer takes longer per byte
    (``2 x cycle / (width / 8)``: each byte written and read) than its interconnect (``1 /
    (width / 8 x clock)``), else ``interconnect``."""
    ch = c.chip
    if ch is None:
        return {}
    node = chip_node(ch, technology)
    out = {}
    for lv in shared_levels(ch):
        buf_s, ic_s = chipmod.seconds_per_byte(ch.levels[lv], node)
        out[resource_name(name, lv)] = "memory" if buf_s > ic_s else "interconnect"
    return out


def shared_time(ch, level, rec, nbytes, node) -> dict:
    """A shared level's occupancy per op, alone: buffer time and interconnect cycles without the
    hops (summed for serial transfers, the larger for overlapped), the hops' time apart (a
    fixed latency: the first flit's trip, not an occupancy), and the resource's rate."""
    lv = ch.levels[level]
    hop_s = np.zeros_like(nbytes)
    if lv.interconnect is not None:
        ic = lv.interconnect
        hop_s = np.where(nbytes > 0, chipmod.hops(ic.type, lv.fanout) / ic.clock, 0.0)
    ic_s = rec["interconnect_s"] - hop_s
    t = rec["buffer_s"] + ic_s if ch.transfers == "serial" else np.maximum(rec["buffer_s"], ic_s)
    return {"time_s": t, "hop_s": hop_s, "rate": _rate(lv, node), "bytes": nbytes}


def shared_costs(name: str, ch, state, nbytes, out_bytes: dict, out_hold: dict) -> np.ndarray:
    """Charge each shared level's resource: the op's bytes, plus the time it holds the resource
    beyond ``bytes / rate`` (whole words and cycles, buffer accesses) as ``hold_s``; returns the
    hops' latency to add to the op's. Alone on the resource the op takes exactly the closed form
    of :mod:`.chip`; ops in flight together share it (the engine's processor sharing)."""
    extra = np.zeros_like(nbytes)
    for level, sh in state["shared"].items():
        res = resource_name(name, level)
        out_bytes[res] = sh["bytes"]
        out_hold[res] = np.maximum(sh["time_s"] - sh["bytes"] / sh["rate"], 0.0)
        extra = extra + sh["hop_s"]
    return extra
