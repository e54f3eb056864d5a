"""A part's idle states between runs at a load (``--idle sleep|gate``, :mod:`cimsim.report.idle`):
the ``idle:`` block every component, memory level and link may give.

- ``sleep_power``: the power of its retention / sleep state, which keeps what it holds (an SRAM
  array at its retention voltage, DRAM in self-refresh, a host's deep C-state with its context
  kept). Not given: no sleep state is claimed, so ``--idle sleep`` leaves it on at its
  ``static_power`` (a note names it).
- ``gated_power``: what it still draws power-gated (the header switch's leakage). Default 0 W,
  ideal gating: a note says so where it is used. Gating loses what volatile cells hold: a CIM's
  volatile weights are programmed again each period (``power_up_latency_s``'s programming).
- ``wake_energy``, ``wake_latency``: what leaving either state costs once a period (the supply's
  ramp, a PLL's lock, DRAM's self-refresh exit). Default 0 J and 0 s (a note says so).

A memory level's ``volatile`` flag (beside ``idle:``) says whether gating loses its contents:
the backing store holds the model, so under ``--idle gate`` it is gated only where it states
``volatile: false`` (flash); otherwise it sleeps (or stays on), and a note says why.

No bundled config states any of these: every figure is the user's (datasheets state them per
part: a DDR5 device's IDD6 self-refresh current, an MCU's deep-sleep current and wake time).
"""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict, Field

from ..quantity import Joules, Seconds, Watts
from ..units import capacity_text, si


class Idle(BaseModel):
    """The ``idle:`` block of a component, memory level or link (module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    sleep_power: Optional[Watts] = Field(
        default=None, description="Power in its retention/sleep state, which keeps what it holds "
        "(SRAM retention, DRAM self-refresh), for --idle sleep (and a backing store's under --idle "
        "gate). Default: none claimed: it stays on at static_power.")
    gated_power: Watts = Field(
        default="0 W", description="Power still drawn power-gated (--idle gate): the switch's "
        "leakage. Default 0 W, ideal gating (noted). Gated volatile CIM cells lose their weights.")
    wake_energy: Joules = Field(
        default="0 J", description="Energy to leave its sleep or gated state, once a period. "
        "Default 0 J (noted).")
    wake_latency: Seconds = Field(
        default="0 s", description="Time to leave its sleep or gated state, before the run "
        "(parts wake together: the longest counts). Default 0 s (noted).")


def volatile_field():
    """The ``volatile`` flag of a memory level's config (:mod:`cimsim.report.idle`)."""
    return Field(default=None, description="The level loses its contents without power (SRAM, "
                 "DRAM, PSRAM: true) or keeps them (flash, MRAM, FRAM: false). Default: not "
                 "stated, taken as volatile. Under --idle gate a non-volatile backing store is "
                 "gated with the rest (it keeps the model); a volatile one sleeps (or stays on).")


def read_only_field():
    """The ``read_only`` flag of a memory level's config (:func:`check_read_only`)."""
    return Field(default=False, description="The level is read in a run, never written (an MCU's "
                 "NOR flash, a boot ROM: programmed offline, page by page, with a wear limit): "
                 "a run that writes it (activations spilled past the levels inside it, a training "
                 "step's updates) is refused, naming the bytes. cimsim has no write rate or write "
                 "energy for a level (a write is costed as a read): without this flag such writes "
                 "are costed at the read bandwidth and energy_per_byte. Default: false.")


def refuse_volatile_read_only(level):
    """A memory level ``read_only`` and ``volatile`` (gated, it would lose what it can never
    rewrite) is refused at validation; else ``level``."""
    if level.read_only and level.volatile:
        raise ValueError("read_only: true with volatile: true: a read-only level is never "
                         "written, so a volatile one would lose its contents when gated and "
                         "never get them back; give read_only: true to a non-volatile level "
                         "(flash, ROM) only")
    return level


def check_read_only(arch, writes: dict[str, float], hint: str = "") -> None:
    """Refuse a run writing a ``read_only: true`` memory level (:func:`read_only_field`), naming
    the level, the bytes and the levels inside it that did not hold them."""
    from ..errors import CapacityError
    from ..units import si

    levels = arch.hardware.memory
    for name, cfg in levels.items():
        if getattr(cfg, "read_only", False) and writes.get(name, 0.0) > 0:
            inner = list(levels)[:list(levels).index(name)]
            if not inner:  # the activations' home: every run writes it (review 23 E 2)
                raise CapacityError(
                    f"architecture '{arch.name}': memory.{name} is read_only, but it is the "
                    f"innermost level: every run writes its activations there "
                    f"({si(writes[name], 'B')}); read_only fits only a level past the "
                    f"activations' home (a weight flash behind an SRAM)")
            if getattr(cfg, "far", False):  # a peer of the near tier, not behind it (F2 5)
                raise CapacityError(_far_read_only(arch.name, name, cfg, inner[-1],
                                                   levels[inner[-1]], si(writes[name], 'B')))
            held = ", ".join(f"{n} {capacity_text(levels[n].capacity)}" for n in inner)
            raise CapacityError(
                f"architecture '{arch.name}': memory.{name} is read_only, but the run writes "
                f"{si(writes[name], 'B')} to it (tensors the levels inside it, {held}, do not "
                f"hold: activations spilled, or a training step's updates); add a writable "
                f"level before it (volatile: true, e.g. a PSRAM), enlarge the inner ones, or "
                f"shrink the batch{hint}; memory.{name}.read_only: false costs the writes as "
                f"reads (no write rate or write energy is modelled)")


def _far_read_only(arch: str, name: str, cfg, near: str, near_cfg, written: str) -> str:
    """Why a read_only far tier ``name`` (beside the near tier ``near``) is written: the KV
    cache or activations shares its ``place:`` homes there first, else the first-touch spill
    past the near tier; and what changes it."""
    place = getattr(cfg, "place", None)
    shares = [f"{c} {getattr(place, c):g}" for c in ("kv_cache", "activations")
              if place is not None and getattr(place, c)]
    head = f"architecture '{arch}': memory.{name} is read_only, but the run writes {written} to it"
    if shares:
        return (f"{head}, where memory.{name}.place ({', '.join(shares)}) homes that share of each "
                f"KV cache (and its appended rows) / op's activations; set those shares to 0 or leave "
                f"them out (first touch fills {near} first), or memory.{name}.read_only: false (the "
                f"writes costed as reads)")
    return (f"{head}: the KV caches and activations that the near tier {near} "
            f"({capacity_text(near_cfg.capacity)}) does not hold spill to it by first touch; raise "
            f"memory.{near}.capacity or shrink the batch, or memory.{name}.read_only: false (the "
            f"writes costed as reads)")


def idle_field():
    """The ``idle`` field of a component's, memory level's and link's config."""
    return Field(default_factory=Idle, description="Its idle states between runs at a load "
                 "(--idle sleep|gate): sleep_power, gated_power, wake_energy, wake_latency.")


def above_static(path: str, field: str, w: float, static_w: float, stated: bool = True) -> str:
    """Why ``<path>.idle.<field>`` (``w`` W) cannot be above the part's static power
    ``static_w`` (W), and what to change; ``stated``: the part gives that static power (a
    ``static_power`` of 0 W is "not stated": then say to state it, its on power, too)."""
    state = "sleep state" if field == "sleep_power" else "gated part"
    if static_w == 0 and stated:
        return (f"{si(w, 'W')} is above {path}'s static power, which is not stated (0 W): a "
                f"{state} draws less than the part on; state {path}.static_power (its on power) "
                f"too, at least {si(w, 'W')}")
    return (f"{si(w, 'W')} is above {path}'s static power {si(static_w, 'W')}: a {state} draws "
            f"less than the part on; lower idle.{field}"
            + (f" or raise {path}.static_power" if stated else ""))


def errors(arch) -> list[tuple[str, str]]:
    """``(field, message)`` for each idle power (``idle.sleep_power``, ``idle.gated_power``)
    above its part's static power, as :func:`cimsim.report.idle.parts` counts it (a
    component's ``static_power_w``; a memory level's or link's ``static_power``, a link once
    per chip port): the loader's check, so that it is refused where the config loads, whatever
    ``--idle`` (review 22 A 1)."""
    res = arch.resource_static_w
    sections = [(c.name, c.config, float(c.static_power_w)) for c in arch.instances]
    sections += [(f"{kind}.{n}", cfg, res[n]) for kind, group in
                 (("memory", arch.memory), ("links", arch.links)) for n, cfg in group.items()]
    out = []
    for path, cfg, static_w in sections:
        if not (static_w >= 0 and static_w != float("inf")):  # NaN, negative, inf: the component
            continue  # contract names that static power itself (hw.base), not its idle powers
        for field in ("sleep_power", "gated_power"):
            w = getattr(cfg.idle, field)
            if w is not None and float(w) > static_w:
                out.append((f"{path}.idle.{field}", above_static(
                    path, field, float(w), static_w, "static_power" in type(cfg).model_fields)))
    return out
