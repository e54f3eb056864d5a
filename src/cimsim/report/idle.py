"""What the parts do between runs at a load (``run``/``compare --idle on|sleep|gate``,
``Result.at_load(idle=)``), from each part's ``idle:`` block (:mod:`cimsim.hw.idle`).

- ``on`` (the default): every part at its static power between runs (:mod:`cimsim.report.load`'s
  E(T) = E_dyn + P_static x T, unchanged).
- ``sleep``: each part that states an ``idle.sleep_power`` sits in its retention state, which
  keeps what it holds (SRAM retention, DRAM self-refresh); a part that states none stays on.
- ``gate``: every component, link and memory level inside the backing store is power-gated at
  ``idle.gated_power`` (default 0 W, ideal: noted); the backing store (and a far tier's near
  tier: the home tiers, which hold the model) sleeps as under ``sleep``, never off, unless it
  states ``volatile: false`` (flash keeps the model unpowered): then it is gated too. A gated CIM
  whose cells are volatile (SRAM) loses its weights: each period programs them again
  (``power_up_latency_s``'s programming, its energy and time); resistive cells keep theirs.
  Levels inside the backing store lose their contents, which no run counts on (``latency_s``
  starts with them cold).

Each part that leaves ``on`` pays its ``idle.wake_energy`` once a period; the parts wake
together, so the longest ``idle.wake_latency`` (then, under gate, the re-programming) comes
before the run. With W that wake-up time, t the run's time, P_s the static power and P_i the
idle power (all devices)::

    E(T) = E_dyn + P_s x (W + t) + P_i x (T - W - t) + E_wake       (T >= W + t: runs never overlap)

and a request waits W + t (the deadline's). The figures are one device's as the config states
them (a section's whole: every chip of a CIM, every port of a link).
"""

from __future__ import annotations

from ..errors import CimsimError
from ..hw.idle import above_static
from .format import si

#: the ``--idle`` states, the default first
MODES = ("on", "sleep", "gate")


def parts(arch) -> dict[str, dict]:
    """Each component's, memory level's and link's static power (W, as ``static_power_w``
    counts it) and ``idle:`` figures, by name, and whether it is a home tier (holds the model:
    never gated). What :func:`figures` reads from a Result (``Result.idle_parts``)."""
    homes, res = set(arch.hardware.home_tiers), arch.resource_static_w
    sections = [(c.name, c.name, c.config.idle, float(c.static_power_w), False, False)
                for c in arch.instances]
    sections += [(n, f"{kind}.{n}", cfg.idle, float(res[n]), n in homes,
                  getattr(cfg, "volatile", None) is False)
                 for kind, group in (("memory", arch.memory), ("links", arch.links))
                 for n, cfg in group.items()]
    return {n: {"static_w": w, "sleep_w": None if i.sleep_power is None else float(i.sleep_power),
                "gated_w": float(i.gated_power), "wake_j": float(i.wake_energy),
                "wake_s": float(i.wake_latency), "home": home, "keeps": keeps, "path": path}
            for n, path, i, w, home, keeps in sections}


def home_gated(p: dict) -> bool:
    """Whether the part ``p`` (:func:`parts`) can be gated under ``--idle gate``: anything but a
    home tier, and a home tier that keeps its contents unpowered (``volatile: false``: flash)."""
    return not p["home"] or p.get("keeps", False)


def state(p: dict, mode: str) -> tuple[str, float]:
    """``(state, W)`` of the part ``p`` (:func:`parts`) between runs under ``mode``."""
    if mode == "gate" and home_gated(p):
        return "gated", p["gated_w"]
    if mode != "on" and p["sleep_w"] is not None:
        return "sleep", p["sleep_w"]
    return "on", p["static_w"]


def check_mode(mode: str) -> str:
    """``mode`` if it is one of :data:`MODES`; a one-line :class:`CimsimError` otherwise."""
    if mode not in MODES:
        raise CimsimError(f"idle {mode!r}: must be one of {', '.join(MODES)} (what the parts do "
                          "between runs at a load)")
    return mode


def figures(r, mode: str) -> dict:
    """One device's idle power (W), wake energy (J) and wake time (s) between runs of ``r`` under
    ``mode`` (module docstring), each part's state, the notes on the defaults it used, and
    ``acts``: the mode whose figures hold, ``mode``, or ``on`` where no part leaves on under it
    (none states that idle state, nothing re-programmed): then runs may overlap as under on (a
    layer-pipelined chip's steady state), and a note says so. A sleep or gated power above the
    part's static power is a one-line :class:`CimsimError` (the loader refuses it first)."""
    ps = getattr(r, "idle_parts", None) or {}
    states = {n: state(p, mode) for n, p in ps.items()}
    for n, (st, w) in states.items():  # the loader refuses it (hw.idle.errors): an Architecture
        if st != "on" and w > ps[n]["static_w"]:  # built around it, or an older pickled Result
            field, path = ("sleep_power" if st == "sleep" else "gated_power"), ps[n].get("path", n)
            raise CimsimError(f"{r.architecture}: {path}.idle.{field}: "
                              + above_static(path, field, w, ps[n]["static_w"], False))
    woken = [n for n, (st, _) in states.items() if st != "on"]
    program = mode == "gate" and r.power_up_programming_s > 0
    out = {"idle_w": sum(w for _, w in states.values()),
           "saved_w": sum(ps[n]["static_w"] - w for n, (st, w) in states.items() if st != "on"),
           "wake_j": sum(ps[n]["wake_j"] for n in woken)
           + (getattr(r, "power_up_programming_j", 0.0) if program else 0.0),
           "wake_s": max((ps[n]["wake_s"] for n in woken), default=0.0)
           + (r.power_up_programming_s if program else 0.0),
           "program_j": getattr(r, "power_up_programming_j", 0.0) if program else 0.0,
           "states": states, "program": program, "notes": [],
           "acts": mode if woken or program else "on"}
    if mode == "on" or not ps:
        return out
    if out["acts"] == "on":  # nothing leaves on: the on figures (review 22 A 2)
        out["notes"].append(f"idle {mode}: no part leaves on between runs (none states an "
                            "idle.sleep_power" + (" and every part holds the model" if mode == "gate"
                                                 else "") + "): every part stays on at its static "
                            "power, so the figures are --idle on's")
        return out
    if stay := [n for n, (st, _) in states.items() if st == "on" and ps[n]["static_w"] > 0]:
        out["notes"].append(f"idle {mode}: {', '.join(stay)} state{'s' if len(stay) == 1 else ''} no "
                            "idle.sleep_power, so " + ("it stays on at its" if len(stay) == 1 else
                                                       "they stay on at their")
                            + " static power between runs")
    if mode == "gate" and (held := [n for n, p in ps.items() if not home_gated(p)]):
        out["notes"].append(f"idle gate: {', '.join(held)} hold{'s' if len(held) == 1 else ''} the "
                            "model and may lose it unpowered (memory.<level>.volatile not false), so "
                            "not gated: asleep at idle.sleep_power or on; a non-volatile backing "
                            "store (flash: volatile: false) is gated with the rest")
    if ideal := [n for n in woken if states[n][0] == "gated" and ps[n]["static_w"] > 0
                 and ps[n]["gated_w"] == 0]:
        out["notes"].append(f"idle gate: {', '.join(ideal)} gated at 0 W (idle.gated_power not "
                            "stated: ideal gating, no switch leakage)")
    free = [n for n in woken if ps[n]["static_w"] > 0 and ps[n]["wake_j"] == 0 and ps[n]["wake_s"] == 0]
    # a gated part that re-programs its weights does not wake for free (review 22 A 4)
    for names, beyond in (([n for n in free if not (program and ps[n].get("reprograms"))], ""),
                          ([n for n in free if program and ps[n].get("reprograms")],
                           f" beyond re-programming the weights gating lost: {si(r.power_up_programming_s, 's')}"
                           f" and {si(getattr(r, 'power_up_programming_j', 0.0), 'J')} a period (in "
                           "period_wake_s and period_wake_energy_j)")):
        if names:
            out["notes"].append(f"idle {mode}: {', '.join(names)} wake{'s' if len(names) == 1 else ''} "
                                "in 0 s for 0 J (idle.wake_energy and idle.wake_latency not stated)"
                                + beyond)
    return out


def idle_power_w(f: dict, static_w: float) -> float:
    """One device's power between runs, W, of :func:`figures` ``f``: its static power
    ``static_w`` less what the parts that leave on save, or where the two agree to 1e-9 of the
    static power the sum of the parts' idle-state powers itself (``idle_w``): so the rounding
    residue of a difference, ``-7.105 fW`` for 0 W, never shows (review 22 B 6)."""
    p = static_w - f["saved_w"]
    return f["idle_w"] if abs(p - f["idle_w"]) <= 1e-9 * abs(static_w) else p


def wake_energy_j(r, f: dict, devices: int) -> float:
    """The energy of waking once, J, all ``devices``: each device's parts' wake-ups, and the
    re-programming of :func:`figures` ``f`` once per tensor-parallel share: a pipeline-parallel
    run's simulated device programs every stage's weights already (review 22 F 2)."""
    return devices * (f["wake_j"] - f["program_j"]) + programmed_devices(r) * f["program_j"]


def programmed_devices(r) -> int:
    """How many times a parallel run's programming (``power_up_programming_j``, the simulated
    device's) is paid: ``tensor_parallel`` (each device holds a share); a pipeline's stages are
    in the simulated device's programming already (:mod:`cimsim.report.devices`)."""
    return int(getattr(r, "tensor_parallel", 1))


def power_up_wake_s(r) -> float:
    """The longest ``idle.wake_latency`` of any part: what a start from power-off waits before
    the run (everything is off; no part wakes faster than from its own gated state) (review 22 F 3)."""
    return max((p["wake_s"] for p in (getattr(r, "idle_parts", None) or {}).values()), default=0.0)


def acts(r, mode: str) -> str:
    """The mode whose figures hold for ``r`` under ``mode``: :func:`figures`' ``acts``."""
    return figures(r, mode)["acts"]


def between_runs_row(r, f: dict, mode: str, devices: int) -> str:
    """``run``'s ``between runs`` line under ``--idle sleep|gate``."""
    by = {}
    for n, (st, _) in f["states"].items():
        by.setdefault(st, []).append(n)
    where = "; ".join(f"{st} {', '.join(ns)}" for st, ns in by.items())
    prog = (f", of which {si(r.power_up_programming_s, 's')} and "
            f"{si(f['program_j'] * programmed_devices(r), 'J')} re-programming the "
            "weights gating lost (volatile cells)" if f["program"] else "")
    return (f"{mode}: idle power {si(f['idle_w'] * devices, 'W')} ({where}); waking costs "
            f"{si(wake_energy_j(r, f, devices), 'J')} and {si(f['wake_s'], 's')} a period{prog}")
