"""What a run at a load (:mod:`cimsim.report.load`) says in the workload's stated items, and
when one run a period is a cold call a loop would not make.

**Items** (find-V 4). Where the workload states its items a sample (``items_per_sample``, named
by ``item_name``: a vocoder run's 2,048 audio samples, a clip's frames), the ``at the period``
line gives the energy per item at the period and the period's rate in items/s, and the refusal
of a period too short gives the highest rate in items/s, so that "sample" (one run's input) is
not read as the user's item. A ``--period`` rate is runs a second, never items a second.

**A cold call each period** (find-V 3). ``latency_s`` and the energies are one cold call's:
every weight a host op reads comes from the backing store (DRAM), none left in a cache by an
earlier call (README "Per-op fixed costs"). A period repeats that call, so where the host's
weights fit its caches (``<unit>_weights_on_chip``) and the period is short (within
:data:`COLD_RATIO` runs), a loop at that rate would find them in cache, and the period's
backing-store energy, a share of the dynamic power, is one a loop does not spend:
:func:`cold_note` says so where it is at least :data:`COLD_SHARE` of the run's dynamic energy
(a WaveNet step at 16 kHz on cpu-ddr5: 203.4 µJ, 88.7 % of it, 3.25 W of the 3.67 W dynamic
power at the period; the steady step of the README's loop recipe spends 26.5 µJ; on sram-cim,
whose host holds only biases, 12.4 %: nothing said). What it weighs is the hosts' own weight
bytes from the backing store (:func:`cold_reads`), never the tier's whole traffic (review 22
E 1): activations spilled to DRAM, a CIM's re-programming and a resident KV cache are paid by a
loop's every step too. Numbers are not changed: the note
points at the loop recipe. Under ``--idle gate`` the caches lose their contents between runs,
so each period is a cold call and nothing is said.
"""

from __future__ import annotations

import math

from . import columns as C
from .format import pct, si

#: a period at most this many times the run's time is a loop's (whose weights stay in cache)
COLD_RATIO = 100.0
#: the backing store's share of a run's dynamic energy from which the cold call is worth a note:
#: half or more, so that a loop's dynamic power may be half the period's or less
COLD_SHARE = 0.5
#: the end of :func:`cold_note` (so that a later ``at_load`` drops it)
COLD_END = "(README 'A control loop's steady step')"


def items(r) -> tuple[float, str] | None:
    """The items a sample holds and their name, where the workload states them; else None."""
    n = r.facts.get(C.ITEMS_PER_SAMPLE)
    if not (isinstance(n, (int, float)) and not isinstance(n, bool) and math.isfinite(n) and n > 0):
        return None
    return float(n), str(r.facts.get(C.ITEM_NAME) or "item")


def run_holds(r) -> str:
    """What one run serves: ``1 sample``, ``8 audio-samples``, ``2 samples of 8 audio-samples``."""
    n, it = max(r.samples, 1), items(r)
    samples = f"{n:,} sample{'s' if n != 1 else ''}"
    if it is None:
        return samples
    held = f"{it[0]:,.6g} {it[1]}s"
    return held if n == 1 else f"{samples} of {held} each"


def refusal_rate(r, t: float, d: int, outward) -> str:
    """The highest rate of the refusal after its runs a second: samples/s, and items/s where
    stated (one sample a run: items/s alone), each rounded down by ``outward`` (so that it is
    accepted), at ``d`` digits; ``t`` the shortest period."""
    n, it = max(r.samples, 1), items(r)
    per_s = outward(n / t, "Hz", d, lambda v: n / v >= t).replace("Hz", "samples/s")
    if it is None:
        return per_s
    k, name = it
    per_item = outward(n * k / t, "Hz", d, lambda v: n * k / v >= t).replace("Hz", f"{name}s/s")
    return f"{per_item}: {run_holds(r)} a run" if n == 1 else f"{per_s}, {per_item}"


def period_rate(r, period_s: float) -> str:
    """The period's rate in the ``at the period`` line: runs a second, and items a second where
    the workload states its items."""
    it = items(r)
    rate = si(1.0 / period_s, "Hz")
    return rate if it is None else f"{rate}, {si(max(r.samples, 1) * it[0] / period_s, f'{it[1]}s/s')}"


def period_per(r, j_per_sample: float) -> str:
    """The energy per sample at the period, and per item where stated (one sample a run: per
    item alone, the period's energy being the sample's)."""
    it, tokens = items(r), getattr(r, "serving", {}).get(C.TOKENS_PER_RUN, 0.0)
    per_sample = f"{si(j_per_sample, 'J')} per sample"
    if tokens > 0:  # find-C 23 C 2: a serving run's energy per generated token at the load
        per_sample += (f", {si(j_per_sample * max(r.samples, 1) / tokens, 'J')} per generated token "
                       f"({tokens:g} a run; {C.PERIOD_J_PER_TOKEN})")
    if it is None:
        return per_sample
    per_item = f"{si(j_per_sample / it[0], 'J')} per {it[1]} ({run_holds(r)} a run)"
    return per_item if max(r.samples, 1) == 1 else f"{per_sample}, {per_item}"


def cold_reads(r) -> dict[str, tuple[dict[str, float], float]]:
    """Per host unit running MACs whose weights fit its caches (``<unit>_weights_on_chip``): the
    weight bytes it reads from each home tier in one run (``Result.home_weight_bytes``: every
    first use, the bytes a loop would find cached) and their energy, J, each tier's bytes at
    its energy per byte in the run (review 22 E 1: the host's own weights, not the tier's
    whole traffic: activations spilled there, a CIM's re-programming and a resident KV cache
    are paid by a loop too)."""
    out = {}
    for k, v in r.facts.items():
        h = k.removesuffix("_weights_on_chip")
        if h == k or v is not True or not r.macs_per_unit.get(h, 0) > 0:
            continue  # a CIM's host: bias adds only
        tiers = {t: b for t, b in (getattr(r, "home_weight_bytes", None) or {}).get(h, {}).items() if b > 0}
        j = sum(b * r.energy_breakdown_j.get(t, 0.0) / r.traffic_bytes[t] for t, b in tiers.items()
                if r.traffic_bytes.get(t, 0.0) > 0)
        if j > 0:
            out[h] = (tiers, float(j))
    return out


def cold_hosts(r, period_s: float, idle_mode: str = "on") -> list[str]:
    """The host units of :func:`cold_reads` where one run a period of ``period_s`` repeats a
    cold call a loop would not make (module docstring): empty where the period is over
    :data:`COLD_RATIO` runs, the parts are gated between runs, or the hosts' weight reads from
    the backing store take under :data:`COLD_SHARE` of the run's dynamic energy."""
    from .load import run_s

    t = run_s(r)
    if idle_mode == "gate" or not (t > 0 and period_s <= COLD_RATIO * t):
        return []
    cold = cold_reads(r)
    dyn = sum(v for k, v in r.energy_breakdown_j.items() if k != C.STATIC)
    return list(cold) if cold and dyn > 0 and sum(j for _, j in cold.values()) >= COLD_SHARE * dyn else []


def cold_note(r, period_s: float, idle_mode: str = "on") -> list[str]:
    """The note (none or one) that each period repeats a cold call (:func:`cold_hosts`): the
    hosts' weight bytes from the backing store, their energy and its power at the period."""
    hosts = cold_hosts(r, period_s, idle_mode)
    if not hosts:
        return []
    from .devices import system

    cold = cold_reads(r)
    n = system(r).devices
    tiers = list(dict.fromkeys(t for h in hosts for t in cold[h][0]))
    moved = sum(b for h in hosts for b in cold[h][0].values())
    back = sum(cold[h][1] for h in hosts)
    dyn = sum(v for k, v in r.energy_breakdown_j.items() if k != C.STATIC)
    where = " + ".join(tiers)
    price = ", ".join(f"{si(r.energy_breakdown_j.get(t, 0.0) / r.traffic_bytes[t], 'J/B')} on {t}"
                      for t in tiers)
    return [f"period {si(period_s, 's')} repeats one cold call each period (latency_s and the "
            f"energies are one call's, the host cold): the {si(moved, 'B')} of weights "
            f"{', '.join(hosts)} reads from {where} ({si(back, 'J')} at the run's {price}, "
            f"{pct(back / dyn)} of the run's dynamic energy: "
            f"{si(n * back / period_s, 'W')} of the power at the period) are a cold call's: every "
            f"weight {', '.join(hosts)} reads comes from {where} each period, though its caches hold "
            f"them ({', '.join(h + '_weights_on_chip' for h in hosts)}) and a loop at this rate would "
            f"find them there; for a step loop's steady step and its "
            f"power, trace the loop and take (T(11) - T(1)) / 10 and (E(11) - E(1)) / 10 {COLD_END}"]


def cold_mark(r, period_s: float, idle_mode: str = "on") -> str:
    """The ``at the period`` line's pointer to :func:`cold_note`, where it is given."""
    return "; each period a cold call, host weights from the backing store (see the note)" \
        if cold_hosts(r, period_s, idle_mode) else ""
