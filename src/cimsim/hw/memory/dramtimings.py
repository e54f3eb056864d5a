"""What a ``type: dram`` level's ``standard`` and ``timings`` may be: the timing names and
their domains, times given in a time unit converted to CK cycles, the rules between timings that
every preset meets, and the errors that name the closest standard or timing.

A timing of ``timings:`` is a plain number in the preset's own unit (``n_*`` and ``cmd_*`` in
CK cycles of ``tck_ps``, ``tck_ps`` in ps, ``rate_mtps`` in MT/s, the organisation as counts), or,
for ``n_*`` and ``tck_ps``, a time with its unit (``n_faw: 20 ns``, ``tck_ps: 416.67 ps``): a
time ``t`` is ``ceil(t / tCK)`` cycles (:func:`to_cycles`), as the presets' comments derive
their counts from the datasheets' ns, with ``tCK`` the level's own ``tck_ps`` where it states
one, else the preset's.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any, Optional

from ...errors import suggest
from ...units import UnitError, parse_quantity
from .jedec import PARTS, PRESETS, TIMINGS, Jedec

#: the preset fields a level's ``timings`` may set, and those of them that are whole numbers
TIMING_FIELDS = tuple(f.name for f in dataclasses.fields(Jedec)
                      if f.name not in ("name", "source", "split_cmd_bus", "density_mbit", "ticks_per_ck"))
WHOLE_TIMINGS = frozenset(f.name for f in dataclasses.fields(Jedec) if f.type in (int, "int"))
#: cycle counts that must be > 0 (the rest of the n_* may be 0): a burst, the refresh interval,
#: and the row timings the model uses (ACT to read / write, CAS latency, row cycle, row open,
#: precharge)
POSITIVE_TIMINGS = frozenset(("n_bl", "n_refi", "n_rcd", "n_rcd_wr", "n_cl", "n_rc", "n_ras", "n_rp"))

#: the largest value a level's own timing may take (a 1e300 CK refresh is no part; its error
#: message would print a 300-digit number)
MAX_TIMING = 1e12


#: counts of the organisation the controller-window model holds state for, one entry each (a
#: part of 1e12 banks exhausted memory before any error): at most :data:`MAX_ORGANISATION`
ORGANISATION = ("banks", "bank_groups", "buses_per_cmd_bus")
MAX_ORGANISATION = 4096


def _domain(k: str) -> str:
    """What a level's own timing ``k`` may be."""
    kind = "a whole number" if k in WHOLE_TIMINGS else "a number"
    zero_ok = k.startswith("n_") and k not in POSITIVE_TIMINGS
    top = f"{MAX_ORGANISATION}" if k in ORGANISATION else f"{MAX_TIMING:.0e}"
    return f"{kind} {'>= 0' if zero_ok else '> 0'}, at most {top}"


def _consistent(t: Jedec) -> None:
    """The rules between timings that every preset meets, for a level's own values over one:
    a refresh leaves time for data, the data rate is the clock's (a burst of ``burst_length``
    beats in ``n_bl`` clocks; the presets within 0.25 %), bank groups divide the banks, a burst
    is whole bytes, a row stays open until it is read (tRAS >= tRCD), a row cycle holds the
    row open and its precharge (tRC >= tRAS + tRP - 1: each rounded up to whole CK from ns, as
    the derived HBM2E presets' 76 >= 54 + 23 - 1), and the same bank group waits at least as
    long as another (tRRD_L >= tRRD_S, tCCD_L >= tCCD_S, tWTR_L >= tWTR_S)."""
    cost = t.n_rtp + t.n_rp + t.n_rfc + t.n_rcd
    if cost >= t.n_refi:
        raise ValueError(f"timings: a refresh costs n_rtp + n_rp + n_rfc + n_rcd = {cost} CK, at "
                         f"least n_refi ({t.n_refi}): no time is left for data; n_refi must "
                         f"exceed {cost}")
    clock = t.burst_length / (t.n_bl * t.tck_ps * 1e-12) / 1e6
    if abs(clock / t.rate_mtps - 1.0) > 0.01:
        rate = f"{t.rate_mtps}" if t.rate_mtps < 10**9 else f"{t.rate_mtps:.3g}"
        moved = f"{clock:.0f}" if clock < 1e9 else f"{clock:.3g}"  # never a 300-digit number
        raise ValueError(f"timings: rate_mtps {rate} is not the clock's: burst_length "
                         f"{t.burst_length} beats in n_bl {t.n_bl} clocks of tck_ps {t.tck_ps:g} "
                         f"move {moved} MT/s; give the data rate and the clock together "
                         "(within 1 %)")
    if t.bank_groups > t.banks or t.banks % t.bank_groups:
        raise ValueError(f"timings: banks {t.banks} are not a whole number of bank groups "
                         f"({t.bank_groups}): bank_groups must divide banks")
    if t.bus_bits * t.burst_length % 8:
        raise ValueError(f"timings: a burst of bus_bits {t.bus_bits} x burst_length "
                         f"{t.burst_length} is not whole bytes")
    if t.row_bytes % t.burst_bytes:
        raise ValueError(f"timings: row_bytes {t.row_bytes} is not a whole number of bursts "
                         f"({t.burst_bytes} B: bus_bits x burst_length / 8); give a multiple of "
                         f"{t.burst_bytes}")
    bank = t.density_mbit * 2**20 // 8 // t.banks  # bytes of one bank of one die
    if t.row_bytes > bank:
        raise ValueError(f"timings: row_bytes {t.row_bytes:,} is more than one bank holds "
                         f"(density_mbit {t.density_mbit} Mb over {t.banks} banks = {bank:,} B); a "
                         f"row (page) is a few KB (the preset's: {getattr(TIMINGS.get(t.name), 'row_bytes', 0):,} B)")
    if t.n_ras < t.n_rcd:
        raise ValueError(f"timings: n_ras {t.n_ras} is under n_rcd {t.n_rcd}: a row stays open at "
                         f"least until it can be read (tRAS >= tRCD); n_ras must be at least {t.n_rcd}")
    if t.n_rc < t.n_ras + t.n_rp - 1:
        raise ValueError(f"timings: n_rc {t.n_rc} is under n_ras + n_rp = {t.n_ras} + {t.n_rp}: a row "
                         "cycle holds the row open and its precharge (tRC >= tRAS + tRP, less 1 CK "
                         f"for rounding each up); n_rc must be at least {t.n_ras + t.n_rp - 1}")
    for short, long_, what in (("n_rrd_s", "n_rrd_l", "activations"),
                               ("n_ccd_s", "n_ccd_l", "column commands"),
                               ("n_wtr_s", "n_wtr_l", "reads after a write")):
        lo, hi = getattr(t, short), getattr(t, long_)
        if hi < lo:
            raise ValueError(f"timings: {long_} {hi} is under {short} {lo}: {what} in one bank "
                             f"group wait at least as long as in different groups; {long_} must be "
                             f"at least {lo}")


#: float noise a time / tCK may carry and still be a whole number of cycles (20 ns / 1.25 ns is
#: 16, not 17), CK
CK_NOISE = 1e-6


def to_cycles(seconds: float, tck_ps: float) -> int | float:
    """A time in whole CK cycles, rounded up: ``ceil(t / tCK - 1e-6)`` (the 1e-6 CK is float
    noise: ``20 ns`` at ``tCK 1.25 ns`` is 16 cycles); past :data:`MAX_TIMING` (or past a
    float: ``1e300 s``) the quotient itself, a float, which no timing may be."""
    x = seconds * 1e12 / tck_ps
    return x if not x <= MAX_TIMING else math.ceil(x - CK_NOISE)


def _unit_of(k: str) -> str:
    return ("CK cycles" if k.startswith(("n_", "cmd_")) else "ps" if k == "tck_ps"
            else "MT/s" if k == "rate_mtps" else "its count")


def _plain(k: str, x: Any) -> float:
    """``x`` as a plain number, or a ValueError saying what ``k`` takes."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        timed = k.startswith("n_") or k == "tck_ps"
        raise ValueError(f"timings: {k} = {x!r} is not a number; it is a plain number in "
                         f"{_unit_of(k)}" + (" or a time with its unit, e.g. "
                                             f"{k}: {'416.67 ps' if k == 'tck_ps' else '20 ns'}"
                                             if timed else ", no unit written"))
    if x < 0 or x != x or x in (float("inf"), float("-inf")):
        raise ValueError(f"timings: {k} = {x:g} is not allowed; it must be {_domain(k)}")
    return x


def _time(k: str, x: Any) -> Optional[float]:
    """Seconds, where ``x`` is a text with a time unit for a timing that takes one (``n_*``,
    ``tck_ps``), else None."""
    if not (isinstance(x, str) and (k.startswith("n_") or k == "tck_ps")):
        return None
    try:
        t = parse_quantity(x, "s")
    except UnitError as exc:
        raise ValueError(f"timings: {k} = {x!r}: {exc}; give a plain number in {_unit_of(k)} or "
                         "a time such as '20 ns'") from None
    if t < 0:
        raise ValueError(f"timings: {k} = {x!r} is not allowed; a time is >= 0")
    return t


def unknown_timing(k: object) -> str:
    """The error for a timing name no preset has, with the closest name: a datasheet's
    ``tFAW`` (or Ramulator's ``nFAW``) is ``n_faw``."""
    m = re.fullmatch(r"[tTnN]_?([A-Za-z0-9_]+)", str(k))
    jedec = f"n_{m.group(1).lower()}" if m else None
    best = next((c for c in (jedec, f"{str(k).lower()}_ps") if c in TIMING_FIELDS), None)
    if best is None:
        best = suggest(str(k), TIMING_FIELDS) or (suggest(jedec, TIMING_FIELDS) if jedec else None)
    hint = f"; did you mean '{best}'?" if best is not None else ";"
    return (f"timings: unknown timing '{k}'{hint} timings are named by the preset's fields (a "
            "datasheet's tXYZ is n_xyz), in CK cycles or as a time (n_faw: 20 ns); allowed: "
            + ", ".join(TIMING_FIELDS))


def timing_numbers(v: Any, standard: Optional[str]) -> Any:
    """A level's ``timings`` as plain numbers, said per key: every name first (an unknown one
    with its closest name), then each value a number, or a time converted to CK cycles
    (:func:`to_cycles`) at the level's ``tck_ps`` (its own, itself a number or a time, else
    ``standard``'s); ``standard`` None (it was refused) converts no time."""
    if not isinstance(v, dict):
        return v
    for k in v:
        if k == "density_mbit":  # stated for reference: no closed form reads it
            raise ValueError("timings: density_mbit is the preset's die density, stated for "
                             "reference; it moves nothing (refresh is n_rfc: set that for "
                             "another density's tRFC)")
        if k not in TIMING_FIELDS:
            raise ValueError(unknown_timing(k))
    out = dict(v)
    if "tck_ps" in out:
        t = _time("tck_ps", out["tck_ps"])
        out["tck_ps"] = t * 1e12 if t is not None else _plain("tck_ps", out["tck_ps"])
    for k, x in out.items():
        if k == "tck_ps":
            continue
        t = _time(k, x)
        if t is None:
            out[k] = _plain(k, x)
        elif standard is None:
            raise ValueError(f"timings: {k} = {x!r} is a time, converted with the standard's "
                             "clock; give a valid standard")
        else:
            tck = out.get("tck_ps", TIMINGS[standard].tck_ps)
            if not tck > 0:
                out[k] = _plain("tck_ps", tck)
                continue
            out[k] = to_cycles(t, tck)
            if not out[k] <= MAX_TIMING:  # a time of more CK than a timing may count
                ck = f"{out[k]:.3g} CK" if math.isfinite(out[k]) else "more CK than a float holds"
                raise ValueError(f"timings: {k} = {x!r} is {ck} at tck_ps {tck:g}; it must be "
                                 f"{_domain(k)}")
    return out


def _family(name: str) -> str:
    """The letters a standard's name starts with: ``HBM`` of HBM3E, ``LPDDR`` of LPDDR5X."""
    return re.match(r"[A-Za-z]*", name).group(0).upper()


def _generation(name: str) -> int | None:
    """The number after the family's letters: 4 of LPDDR4X, 3 of HBM3E; None without one."""
    m = re.match(r"[A-Za-z]*(\d+)", name)
    return int(m.group(1)) if m else None


def _other_generation(v: str, family: list[str]) -> tuple[str, str] | None:
    """(the nearest preset, "older" or "newer") when ``v`` names an older generation than every
    preset of its family (DDR3 -> DDR4, LPDDR4X -> LPDDR5, GDDR5 -> GDDR6) or a newer one
    (GDDR7 -> GDDR6, LPDDR6 -> LPDDR5, HBM4 -> HBM3, DDR6 -> DDR5): a different standard, not a
    part of one; else None."""
    gens = [g for g in map(_generation, family) if g is not None]
    g = _generation(v)
    if g is None or not gens or min(gens) <= g <= max(gens):
        return None
    if g < min(gens):
        return min(family, key=lambda n: (_generation(n) or 0, len(n))), "older"
    return max(family, key=lambda n: (_generation(n) or 0, -len(n))), "newer"


def _other_hint(v: str, nearest: str, which: str, allowed: str) -> str:
    """The honest line for an older or newer standard with no preset: what to write, what stays."""
    kept = (f"; {nearest}'s two-part activation (n_aad > 0) stays whatever the timings say"
            if PRESETS[nearest].n_aad > 0 else "")
    return (f"no preset for {v!r}: it is {'an older' if which == 'older' else 'a newer'} standard "
            f"than {nearest}, with its own organisation and command rules, not a part of {nearest}; "
            f"to model it, give standard: "
            f"{nearest} with everything that differs under timings: (rate_mtps, tck_ps, its "
            f"datasheet timings in CK cycles or as times, and its organisation and commands: "
            f"bus_bits, burst_length, n_bl, banks, bank_groups, cmd_act, ...){kept}; or a level "
            f"of type: fixed (bandwidth, sustained_fraction); presets and parts: {allowed}")


def _part_of(v: str) -> str | None:
    """The part whose own standard's name ``v`` starts with, where that name is no preset's
    (LPDDR5X, LPDDR5X-7500 -> LPDDR5X-8533: its clocking, not LPDDR5's); else None."""
    return max((n for n in PARTS if (stem := n.split("-")[0]) not in PRESETS
                and v.upper().startswith(stem.upper())), key=len, default=None)


def check_standard(v: Any) -> Any:
    """``v`` if it names a preset or part; else the error naming the closest (a name in another
    case: ``ddr5`` -> ``DDR5``), or, for a part of a preset's standard (``HBM3E``,
    ``DDR5-6400``: its name starts with the preset's), that it is that standard's preset with
    what differs under ``timings:`` (``LPDDR5X``, ``LPDDR5X-7500``: the part ``LPDDR5X-8533``);
    for an older or newer standard than its family's presets (``DDR3``, ``LPDDR4X``, ``GDDR5``;
    ``GDDR7``, ``LPDDR6``, ``HBM4``, ``DDR6``), that no preset models it and what to write
    instead."""
    if not isinstance(v, str) or v in TIMINGS:
        return v
    allowed = ", ".join(TIMINGS)
    if any(n.lower() == v.lower() for n in TIMINGS):  # a name in another case
        raise ValueError(f"not a standard or part (got {v!r}); did you mean "
                         f"'{suggest(v, TIMINGS)}'? allowed: {allowed}")
    base = _part_of(v) or max((n for n in PRESETS if v.upper().startswith(n.upper())), key=len,
                              default=None)
    if base is None and _family(v):
        family = [n for n in PRESETS if _family(n) == _family(v)]
        other = _other_generation(v, family)
        if other is not None:
            raise ValueError(_other_hint(v, *other, allowed))
        base = family[-1] if family else None
    if base in PARTS:  # a part of its own standard listed: its clocking, not the preset's
        raise ValueError(
            f"no preset or part (got {v!r}); a part not listed is the listed part of its standard, "
            f"{base}, with what differs under timings: (standard: {base}, timings: {{rate_mtps: "
            f"..., tck_ps: ..., n_rcd: 18 ns, ...}}: its data rate, clock and datasheet timings, in "
            f"CK cycles or as times); allowed: {allowed}")
    if base is not None:
        raise ValueError(
            f"no preset or part (got {v!r}); a part not listed is its standard's preset with what "
            f"differs under timings: (standard: {base}, timings: {{rate_mtps: ..., tck_ps: ..., "
            f"n_rcd: 14 ns, ...}}: its data rate, clock and datasheet timings, in CK cycles or as "
            f"times); allowed: {allowed}")
    best = suggest(v, TIMINGS)
    raise ValueError(f"not a standard or part (got {v!r});"
                     + (f" did you mean '{best}'?" if best else "") + f" allowed: {allowed}")
