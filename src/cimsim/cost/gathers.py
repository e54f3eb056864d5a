"""What a run says about its row gathers (ops tagged ``access_bytes``, an embedding lookup's
random reads of one row each), for the result's notes.

- :func:`fixed_level_note`: a ``type: fixed`` memory level streams every byte at one rate, so
  the gathers' random accesses it carries are charged at the streaming rate (every bundled
  config): the note says how many ops, which level and the rate a ``type: dram`` level of its
  technology gives them (``type: dram`` models the pattern), for rows below that level's
  full-rate grain (an LLM's 3-8 kB embedding rows stream at the full rate there too) and not
  for rows a component reads inside itself (a bag a near-bank PIM pools in its banks).
- :func:`repeat_hit_note`: a traced gather reads each distinct row once (tag ``rows_read``
  of ``lookups``), as if its repeated ids all hit a cache. Where the table (tag
  ``table_rows`` x the row's bytes) is larger than the outermost level in front of the
  backing store, the note says so, with the approximate bytes the repeats would add under
  uniform ids (each repeat misses with probability ``1 - C/T`` for a cache of ``C`` bytes
  and a table of ``T``), which the run does not charge.
- :func:`activation_note`: a level that states no ``energy_per_activation`` (a ``type: dram``
  level's field) charges no energy for the rows random accesses open; where stating it would
  change the run's energy, the note says so, with the energy at 1 nJ per activation.
"""

from __future__ import annotations

import types

import numpy as np

from ..hw.memory.dram import TIMINGS, full_rate_bytes, preset_of, random_share
from ..units import si
from ..workload.randomtags import LINE, line_mix


def _bytes(v: float) -> str:
    """A size in bytes with its unit: ``64 B``, ``96.5 B``, ``4.194 MB`` (never ``4.1943e+06 B``)."""
    return si(v, "B") if v >= 1000 else f"{v:g} B"


def _sizes(size: np.ndarray) -> str:
    lo, hi = float(size.min()), float(size.max())
    return _bytes(lo) if lo == hi else f"{_bytes(lo)} to {_bytes(hi)}"


#: the full-rate grain of a level whose technology names no DRAM preset: random rows of this
#: many bytes or more stream at about the full rate on every preset (:func:`full_rate_bytes`)
FULL_RATE_BYTES = 256


def read_inside(placement, n: int) -> np.ndarray:
    """Per op: whether its component reads the op's resident data inside itself
    (:meth:`Component.internal_bandwidths`, a near-bank PIM's banks: op column
    ``<part>_bytes`` > 0), so that no memory level carries those reads."""
    out = np.zeros(n, dtype=bool)
    for comp, ids, plan in zip(placement.components, placement.idx, placement.plans):
        for part in (comp.internal_bandwidths() if plan is not None else ()):
            col = plan.op_columns.get(f"{part}_bytes")
            if col is not None:
                out[ids] |= np.asarray(col, dtype=float) > 0
    return out


def fixed_level_note(arch, arrays, table, placement=None) -> list[str]:
    """One note per off-chip memory level (:attr:`Hardware.off_chip`: DRAM, whose rate a
    ``type: dram`` level derives from the pattern) whose rate ignores the access pattern and
    that carries ops tagged random-access whose rows are below the full-rate grain of a
    ``type: dram`` level of its technology (:func:`full_rate_bytes` of the preset its
    ``technology`` names, else :data:`FULL_RATE_BYTES`): a row of that size or more streams at
    the full rate there too, and the pattern changes nothing. Ops whose component reads their
    rows inside itself (``placement``: :func:`read_inside`) are left out."""
    size = arrays.access_bytes
    if size is None or not (size > 0).any():
        return []
    hw, out = arch.hardware, []
    inside = read_inside(placement, len(size)) if placement is not None else np.zeros(len(size), bool)
    for j, name in enumerate(table.resources):
        if name not in hw.off_chip or not hw.resource(name).pattern_free:
            continue
        res = hw.resource(name)
        preset = preset_of(getattr(res.config, "technology", ""))
        grain = full_rate_bytes(preset) if preset else FULL_RATE_BYTES
        on = (size > 0) & (size < grain) & (table.bytes[:, j] > 0) & ~inside
        if on.any():
            kind = getattr(res, "type_name", "fixed")
            k = int(on.sum())
            small = float(size[on].min())
            rate = (f"as type: dram (preset {preset}) random accesses of {small:.0f} B get "
                    f"{_share(preset, small, arrays, on):.0%} of the streaming rate, accesses of "
                    f"{grain:,} B or more all of it" if preset else
                    f"as type: dram random accesses under {grain:,} B get less than the streaming "
                    "rate (each opens a DRAM row; how much less depends on the standard)")
            out.append(f"{k:,} {'op reads' if k == 1 else 'ops read'} {_what_read(arrays, size, on)}; "
                       f"memory.{name} is type: {kind} and streams them at its one rate; {rate}: "
                       f"use type: dram for the access pattern{_as_dram(name, res.config, preset)}")
    return out


#: the activation energy a note prices the uncharged activations at, J per ACT/PRE pair
NOTE_ACTIVATION_J = 1e-9


class _OneLevel:
    """``hw`` with level ``name`` answered by ``res`` (a what-if of one field), all else as is."""

    def __init__(self, hw, name: str, res):
        self._hw, self._name, self._res = hw, name, res

    def resource(self, name: str):
        return self._res if name == self._name else self._hw.resource(name)

    def __getattr__(self, attr):
        return getattr(self._hw, attr)


def activation_note(arch, arrays, raw, table, energy_of) -> list[str]:
    """One note per level that could state ``energy_per_activation`` and does not, where
    stating it would change the run's energy: ``energy_of`` (the pipeline's pattern energy)
    of the cost table ``raw`` with the level at :data:`NOTE_ACTIVATION_J` against ``table``
    (the run's). So no note where none of the random accesses would be charged: a far tier
    whose gather bytes are streamed, a gather that streams its table, an access of whole rows
    (4 MB on a 4 KB row) or ops whose bytes there are not random."""
    size = arrays.access_bytes
    if size is None or not (size > 0).any():
        return []
    hw, out = arch.hardware, []
    first = len(table.parts) - len(table.resources)
    for j, name in enumerate(table.resources):
        res = hw.resource(name)
        cfg = res.config
        if "energy_per_activation" not in type(cfg).model_fields or cfg.energy_per_activation is not None:
            continue
        if not ((size > 0) & (table.bytes[:, j] > 0)).any():
            continue
        what_if = type(res)(res.name, cfg.model_copy(update={"energy_per_activation": NOTE_ACTIVATION_J}))
        alt = energy_of(types.SimpleNamespace(hardware=_OneLevel(hw, name, what_if)), arrays, raw)
        extra = alt.energy[:, first + j] - table.energy[:, first + j]
        on = extra > 0
        if on.any():
            k, more = int(on.sum()), float(extra[on].sum())
            total = float(table.energy[:, first + j].sum())
            out.append(f"{k:,} {'op reads' if k == 1 else 'ops read'} memory.{name} in random "
                       f"accesses of {_sizes(size[on])} whose DRAM row activations are not charged "
                       f"(energy_per_bit is a streaming figure): at 1 nJ per activation they add "
                       f"{si(more, 'J')} to its {si(total, 'J')}; set memory.{name}."
                       "energy_per_activation (J per ACT/PRE pair) to charge them")
    return out


def _as_dram(name: str, cfg, preset) -> str:
    """The fields that make level ``name`` (config ``cfg``) a ``type: dram`` level of preset
    ``preset`` with the same peak: under ``type: dram``, ``channels`` counts the preset's data
    buses (a DDR5 32-bit sub-channel, an HBM pseudo-channel), not DIMM channels, so keeping a
    level's ``channels`` can halve its bandwidth (find-N 3)."""
    if not preset:
        return " (set standard: to a preset and channels: to its data buses)"
    t = TIMINGS[preset]
    per = t.rate_mtps * 1e6 * t.bus_bits / 8  # B/s of one data bus
    bw = getattr(cfg, "bandwidth", None)
    n = round(float(bw) / per) if bw else 0
    if n < 1:
        return (f" (--set memory.{name}.type=dram --set memory.{name}.bandwidth=null --set "
                f"memory.{name}.standard={preset} --set memory.{name}.channels=N, N its {t.bus_bits}-bit "
                f"{preset} data buses at {t.rate_mtps} MT/s, {si(per, 'B/s')} each)")
    return (f" (--set memory.{name}.type=dram --set memory.{name}.bandwidth=null --set "
            f"memory.{name}.standard={preset} --set memory.{name}.channels={n}: there channels counts "
            f"{t.bus_bits}-bit {preset} data buses at {t.rate_mtps} MT/s, {si(per, 'B/s')} each, and "
            f"{n} give {si(n * per, 'B/s')}, this level's bandwidth {si(float(bw), 'B/s')}"
            + (f"; its channels: {cfg.channels} would give {si(cfg.channels * per, 'B/s')}"
               if getattr(cfg, "channels", n) != n else "") + ")")


def _what_read(arrays, size, on) -> str:
    """What the gathers ``on`` read: a traced gather's (tag ``table_bytes``) whole 64 B lines,
    in runs whose mean is its ``access_bytes`` (an access is a run of lines, not a row); a
    hand-written one's rows of ``access_bytes``, one an access."""
    tb = arrays.table_bytes
    if tb is None or np.isnan(tb[on]).all():
        return f"random {_sizes(size[on])} rows (tag access_bytes)"
    return (f"random 64 B lines in accesses of {_sizes(np.round(size[on]))} on average (tag "
            "access_bytes: runs of adjacent lines)")


def _share(preset: str, size: float, arrays, on) -> float:
    """:func:`random_share` of accesses of ``size`` bytes; where a traced gather's (tag
    ``table_bytes``) ``size`` is a mean of whole 64 B lines between ``k`` and ``k + 1`` lines,
    each access at its own lines' rate (:func:`cimsim.pipeline._gather_rates`)."""
    tb = arrays.table_bytes
    mixed, k, f = line_mix(size)
    if tb is None or np.isnan(tb[on]).all() or not mixed:
        return random_share(preset, size)
    lo, hi = float(k) * LINE, (float(k) + 1) * LINE
    return size / ((1 - f) * lo / random_share(preset, lo) + f * hi / random_share(preset, hi))


def _row_bytes(tags, rows_read: int, access: float) -> tuple[float, float]:
    """A gather's ``(row bytes, bytes a missed row fetches)``: a traced gather's table over its
    rows (tag ``row_bytes``, the view's row; traced before 2026-12-07, ``table_bytes`` /
    ``table_rows``; a miss fetches the row's whole 64 B lines);
    without them (a gather traced before 2026-12-06: its random bytes over its distinct rows; a
    hand-written one: its ``access_bytes``) the row's bytes both."""
    try:
        row = (float(tags["row_bytes"]) if "row_bytes" in tags
               else float(tags["table_bytes"]) / int(tags["table_rows"]))
        return row, -(-row // LINE) * LINE
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        pass
    try:
        row = float(tags["random_read_bytes"]) / rows_read if rows_read > 0 else access
    except (KeyError, TypeError, ValueError):
        row = access
    return row, row


def repeat_hit_note(arch, workload, arrays) -> list[str]:
    """A note when gathers repeat ids of a table larger than the outermost level in front
    of the backing store (of the home tiers beside a far tier; or when no level is in front of
    it): their repeats are charged as hits."""
    size = arrays.access_bytes
    if size is None or not (size > 0).any():
        return []
    return old_trace_note(workload, size) + _repeats(arch, workload, size)


#: metadata key a trace states its gathers' rule under (traces before 2026-12-06 have none)
RULE_KEY = "gather_rule"


def old_trace_note(workload, size) -> list[str]:
    """A note when a workload traced before 2026-12-06 (no metadata ``gather_rule``) has row
    gathers (tags ``part: gather``, ``lookups``, no ``table_bytes``): they keep the per-row
    charge of their tags; a re-trace gives the line rule (and input parts named by row)."""
    meta = getattr(workload, "metadata", None) or {}
    if RULE_KEY in meta or not str(meta.get("source", "")).startswith("cimsim.trace"):
        return []
    k = sum(1 for i in np.flatnonzero(size > 0) if (t := workload.ops[int(i)].tags).get("part") == "gather"
            and "lookups" in t and "table_bytes" not in t)
    return [f"{k:,} {'gather was' if k == 1 else 'gathers were'} traced before 2026-12-06 (no metadata "
            f"{RULE_KEY}): charged as their tags say, a random access per row of "
            "access_bytes; re-trace the model for the line rule (whole 64 B lines, the table "
            "streamed where cheaper) and input parts named by row"] if k else []


def _repeats(arch, workload, size) -> list[str]:
    hw = arch.hardware
    home = hw.home_tiers  # a far tier's near tier is a home beside it, not a cache in front
    back = " + memory.".join(home)
    caches = [n for n in hw.memory if n not in home]
    cap = max((float(hw.resource(n).config.capacity) for n in caches), default=0.0)
    where = (f"memory.{max(caches, key=lambda n: float(hw.resource(n).config.capacity))} "
             f"({si(cap, 'B')})" if caches else f"any level in front of memory.{back} (none)")
    n, repeats, extra, largest = 0, 0, 0.0, 0.0
    for i in np.flatnonzero(size > 0):
        tags = workload.ops[int(i)].tags
        try:
            looked, read, rows = (int(tags[k]) for k in ("lookups", "rows_read", "table_rows"))
        except (KeyError, TypeError, ValueError):
            continue  # a gather that states no table (a hand-written one): nothing to say
        row, fetch = _row_bytes(tags, read, float(size[i]))
        whole = rows * row
        if looked <= read or whole <= cap:
            continue
        n += 1
        repeats += looked - read
        extra += (looked - read) * (1.0 - cap / whole) * fetch
        largest = max(largest, whole)
    if not n:
        return []
    return [f"{n:,} {'gather reads a table' if n == 1 else 'gathers read tables'} larger than "
            f"{where}, up to {si(largest, 'B')}, and repeat {repeats:,} ids: each distinct row is read once, the repeats charged as cache hits; "
            f"with uniform ids about 1 - C/T of them would miss (C the cache, T the table): "
            f"~{si(extra, 'B')} more from memory.{back}, not charged (an approximation)"]
