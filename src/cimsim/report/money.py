"""A cost model as post-processing of result rows (find-D 1): dies per wafer, yield, die cost,
and the capital and energy cost per 1M samples or tokens, from a ``compare -o`` CSV or a sweep's
table (``cimsim cost RESULTS``; in Python :func:`cost`). No config field and no simulation:
it reads ``die_area_<component>_m2`` and ``dies_<component>`` (:func:`cimsim.report.plausible.die_facts`),
``system_devices``, the rates and the power columns.

Formulas, with their sources:

- gross dies per wafer (the usual first-order formula, e.g. Hennessy & Patterson, *Computer
  Architecture*, 6th ed., section 1.6): ``floor(pi r^2 / A - 2 pi r / sqrt(2 A))``, r the
  wafer's radius (150 mm) less an edge exclusion, A one die's area with a scribe line added to
  its side (as a square die; both 0 by default, find-D2 9);
- yield, D0 defects per cm² (:data:`YIELD_MODELS`): Murphy ``((1 - e^-AD0) / (AD0))^2``; the
  negative binomial (Stapper) ``(1 + A D0 / alpha)^-alpha``, alpha the defect clustering; A is
  the critical area, a fraction F of the die (1 by default; the rest redundant or harvested,
  e.g. the H100's 132 of 144 SMs; find-D2 5);
- die cost: wafer price / (dies per wafer x yield), a good die's; the wafer price one for every
  component, one per component, or one per process node (``technology_node_m``, find-D2 2);
- capex: ``system_devices`` x (the sum over costed components of dies x die cost + the package
  price + the off-chip memory's, ``backing_capacity_bytes`` x $/GB) + a per-system price, what one
  system costs; per 1M samples it is spread over the samples the system serves
  in ``years`` (365.25-day years) at ``utilization`` of its rate;
- energy per sample at that utilization: ``system_devices x static_power_w / q +
  dynamic_j_per_sample``, q the served rate (the part stays powered between samples; at
  utilization 1 it is ``j_per_sample``), times the PUE, priced per kWh (3.6 MJ);
  ``energy_usd_per_1m_samples_not_costed`` is the part the components not costed draw (find-D2 3).

A row whose run says a part has more silicon than a whole 300 mm wafer (its ``warning:`` area
note) gets no capex and no $ at all (find-D2 4); a row that is implausible for another reason (power
above a TDP, a junction too hot, a supply below Vmin) is buildable and keeps its price, with a note
that its rate is optimistic (review D2 1). Off-chip memory (``offchip_memory_power_w`` above 0)
without a $/GB price is named, whatever the package price (find-D2 1, review D2 2), and its energy
counts in ``energy_usd_per_1m_samples_not_costed`` (review D2 3).

The rate is the steady (``pipelined_samples_per_s``, its interval's static energy) where a
row has one, else ``samples_per_s``; ``cost_rate`` names it. Tokens: the same costs per sample
over ``tokens_per_s / samples_per_s`` tokens a sample, where the row is a serving run.

A component without an area (a host that states none, PIM units in HBM) or without a wafer
price is not costed: its columns are NaN and ``cost_not_costed`` names it; capex then counts the
costed components only (a lower bound), never a silent 0. ``cost_not_costed`` also names (review
K 1, 2) an on-chip memory level with an area (``area_<level>_m2``: ``sram (memory level; its area
not costed)``), whose silicon capex leaves out, and a component whose chip is above the reticle
(858 mm², the run's note): it is priced as ``dies_<c>`` separate reticle-sized dies, each with its
own yield, with no die-to-die link, interposer or stitching costed, so it reads cheaper than one
die would (a wafer-scale part is not diced dies at all). It is ``none`` when nothing is left out
(a CSV keeps it; an empty cell reads back as NaN), and says so where a sweep's point failed. A
collective (links, no die) is not a component with silicon and is not named.

Each component is its own die(s) (review K 3): a host and a CIM macro that both state an area
are priced as two dies (chiplets), not as one SoC die of their summed area, which yields worse
and costs more (a 10 mm² host and a 51.7 mm² CIM at D0 0.1: $2.50 + $14.05 = $16.55 as two
dies; the one 65.7 mm² logic die they share with a 4 mm² SRAM would cost $18.28).
"""

from __future__ import annotations

import math
import re

from . import columns as C

#: the yield models :func:`cost` knows
YIELD_MODELS = ("murphy", "negbin")
#: seconds in a 365.25-day year
YEAR_S = 365.25 * 86400.0
#: joules in a kWh
KWH_J = 3.6e6
_DIE = re.compile(r"^die_area_(.+)_m2$")
_AREA = re.compile(r"^area_(.+)_m2$")
_ENERGY = re.compile(r"^energy_(.+)_j$")
_STATIC = re.compile(r"^static_part_(.+)_w$")
#: a run's reticle / wafer note (:func:`cimsim.report.plausible.area_notes`) on a component
_ABOVE = re.compile(r"component '([^']+)'(?:'s [\d,]+ chips)? counts .* more than (?:one reticle|a whole)")
#: what ``cost_not_costed`` says where nothing is left out (a CSV reads an empty cell as NaN)
NOTHING = "none"
#: what it says on a sweep row whose point failed (no costs at all)
FAILED = "everything (the point failed: see error)"
#: what it says on a row whose run finds more silicon than a wafer (find-D2 4, review D2 1)
IMPLAUSIBLE = ("everything (more silicon than a whole 300 mm wafer: the run calls the design not "
               "buildable; see notes)")
#: the run's note on a part above a whole wafer (:func:`cimsim.report.plausible.area_notes`)
_WAFER_NOTE = re.compile(r"^warning: .*more than a whole 300 mm wafer")
#: ``out.attrs`` key of the notes :func:`cost` leaves for the printed table (review D2 1, 4, 6)
NOTES_ATTR = "cimsim_cost_notes"


def dies_per_wafer(die_m2: float, wafer_diameter_m: float = 0.3, edge_exclusion_m: float = 0.0,
                   scribe_m: float = 0.0) -> int:
    """Gross dies of area ``die_m2`` on a wafer of that diameter: floor(pi r²/A - 2 pi r/sqrt(2A))
    (never below 0), r the radius less the edge exclusion and A the die as a square with the
    scribe line added to its side, (sqrt(die_m2) + scribe_m)² (find-D2 9)."""
    r = wafer_diameter_m / 2 - edge_exclusion_m
    a = (math.sqrt(die_m2) + scribe_m) ** 2
    if r <= 0:
        return 0
    return max(0, math.floor(math.pi * r * r / a - 2 * math.pi * r / math.sqrt(2 * a)))


def die_yield(die_m2: float, d0_per_cm2: float, model: str = "murphy", alpha: float = 3.0,
              critical_fraction: float = 1.0) -> float:
    """The fraction of good dies of area ``die_m2`` at ``d0_per_cm2`` defects per cm², of which
    ``critical_fraction`` is yield-critical (find-D2 5: the rest is redundant or harvested, so a
    defect there does not kill the die; the models see F x A)."""
    ad = die_m2 * critical_fraction * 1e4 * d0_per_cm2
    if model == "murphy":
        return 1.0 if ad == 0 else ((1 - math.exp(-ad)) / ad) ** 2
    if model == "negbin":
        return (1 + ad / alpha) ** -alpha
    raise ValueError(f"yield model '{model}': one of {', '.join(YIELD_MODELS)}")


def components(df) -> list[str]:
    """The components a result table states a die area for (``die_area_<component>_m2``)."""
    return [m.group(1) for c in df.columns if (m := _DIE.match(str(c)))]


def _number(name, v, ok, what):
    if not (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and ok(v)):
        raise ValueError(f"{name} {v!r}: a number {what}")


def _check(wafer_usd, d0_per_cm2, model, alpha, package_usd, usd_per_kwh, years, utilization, extra):
    if model not in YIELD_MODELS:
        raise ValueError(f"yield_model '{model}': one of {', '.join(YIELD_MODELS)}")
    prices = wafer_usd.values() if isinstance(wafer_usd, dict) else [] if wafer_usd is None else [wafer_usd]
    above, some = (lambda v: v > 0, "above 0"), (lambda v: v >= 0, "0 or more")
    for name, v, (ok, what) in (
            *(("wafer_usd", p, above) for p in prices),
            ("d0_per_cm2", d0_per_cm2, some),
            *((("alpha", alpha, above),) if model == "negbin" else ()),  # murphy has none
            ("package_usd", package_usd, some),
            ("usd_per_kwh", usd_per_kwh, some), ("years", years, above),
            ("utilization", utilization, (lambda v: 0 < v <= 1, "in (0, 1]"))):
        _number(name, v, ok, what)
    node, crit = extra["wafer_usd_per_node"], extra["critical_area_fraction"]
    for k, v in (node or {}).items():
        _number(f"wafer_usd_per_node {k * 1e9:g} nm", v, *above)
    for k, v in (crit.items() if isinstance(crit, dict) else [("", crit)]):
        _number("critical_area_fraction" + (f" {k}" if k else ""), v, lambda x: 0 < x <= 1, "in (0, 1]")
    d = extra["wafer_diameter_m"]
    _number("wafer_diameter_m", d, lambda v: v > 0, "above 0 (m)")
    _number("edge_exclusion_m", extra["edge_exclusion_m"], lambda v: 0 <= v < d / 2,
            f"in [0, {d / 2:g}) (m; below the wafer's radius)")  # review D2 5
    _number("scribe_m", extra["scribe_m"], *some)
    if extra["memory_usd_per_gb"] is not None:
        _number("memory_usd_per_gb", extra["memory_usd_per_gb"], *some)
    _number("system_usd", extra["system_usd"], *some)
    _number("pue", extra["pue"], lambda v: v >= 1, "1 or more")
    if wafer_usd is None and not node:
        raise ValueError("no wafer price: give wafer_usd (--wafer-usd) or wafer_usd_per_node (--wafer-usd-per-node)")


def cost(df, wafer_usd=None, d0_per_cm2: float = 0.1, yield_model: str = "murphy", alpha: float = 3.0,
         package_usd: float = 0.0, usd_per_kwh: float = 0.1, years: float = 3.0,
         utilization: float = 1.0, wafer_diameter_m: float = 0.3, *, wafer_usd_per_node=None,
         critical_area_fraction=1.0, edge_exclusion_m: float = 0.0, scribe_m: float = 0.0,
         memory_usd_per_gb: float | None = None, system_usd: float = 0.0, pue: float = 1.0):
    """A copy of the result table ``df`` (``compare -o``, a sweep's) with the cost columns
    (:data:`cimsim.report.columns.COST_COLUMNS` and the per-component
    ``dies_per_wafer_<c>``, ``yield_<c>``, ``die_usd_<c>``). ``wafer_usd``: one processed
    wafer's price, USD, for every component, or ``{component: USD}`` (a component left out is
    not costed); ``wafer_usd_per_node``: ``{node in m: USD}``, used for every component of a row
    whose ``technology_node_m`` it names (a row without a node takes ``wafer_usd``; neither is
    refused). ``critical_area_fraction``: F, or ``{component: F}`` (1 for one left out);
    ``memory_usd_per_gb`` prices the off-chip memory (``backing_capacity_bytes``) per device;
    ``system_usd`` is added once per system; ``pue`` multiplies the energy. The other inputs as
    the module says; a bad one raises ValueError naming it."""
    import numpy as np

    extra = dict(wafer_diameter_m=wafer_diameter_m, wafer_usd_per_node=wafer_usd_per_node, critical_area_fraction=critical_area_fraction,
                 edge_exclusion_m=edge_exclusion_m, scribe_m=scribe_m, memory_usd_per_gb=memory_usd_per_gb,
                 system_usd=system_usd, pue=pue)
    _check(wafer_usd, d0_per_cm2, yield_model, alpha, package_usd, usd_per_kwh, years, utilization, extra)
    comps = components(df)
    if not comps:
        raise ValueError("no die_area_<component>_m2 column: a result table written by a cimsim with the die "
                         "columns (compare -o, sweep -o) is needed; rerun it")
    for what, given in (("wafer_usd", wafer_usd), ("critical_area_fraction", critical_area_fraction)):
        if isinstance(given, dict):
            unknown = sorted(set(given) - set(comps))
            if unknown:
                raise ValueError(f"{what} names {', '.join(unknown)}: no such component in the table "
                                 f"(its components: {', '.join(comps)})")
    out = df.copy()
    n = len(out)
    notes: list[str] = []
    node_price = _node_prices(out, wafer_usd, wafer_usd_per_node, notes)
    devices = _num(out, C.SYSTEM_DEVICES, 1.0)
    capex = np.zeros(n)
    costed = np.zeros(n, dtype=bool)  # a row with no component costed has no capex, not 0 USD
    skipped: list[list[str]] = [[] for _ in range(n)]
    not_costed: list[list[str]] = [[] for _ in range(n)]  # the components, for the energy split
    split = [_above_reticle(out, i) for i in range(n)]
    for c in comps:
        every = wafer_usd.get(c) if isinstance(wafer_usd, dict) else wafer_usd
        frac = critical_area_fraction.get(c, 1.0) if isinstance(critical_area_fraction, dict) \
            else critical_area_fraction
        area = _num(out, C.die_area_column(c), math.nan)
        dies = _num(out, C.dies_column(c), math.nan)
        dpw, yld, usd = (np.full(n, math.nan) for _ in range(3))
        for i in range(n):
            if not (dies[i] > 0):  # not a component of this row's architecture (a union of columns)
                continue
            price = every if node_price[i] is None else node_price[i]
            if price is None or not (area[i] > 0):
                not_costed[i].append(c)
                if not _failed(out, i):
                    skipped[i].append(c + (" (no wafer price)" if price is None and area[i] > 0 else " (no area)"))
                continue
            dpw[i] = dies_per_wafer(area[i], wafer_diameter_m, edge_exclusion_m, scribe_m)
            yld[i] = die_yield(area[i], d0_per_cm2, yield_model, alpha, frac)
            usd[i] = price / (dpw[i] * yld[i]) if dpw[i] > 0 and yld[i] > 0 else math.nan
            if not dpw[i] > 0:  # review D2 5: never a silent NaN
                skipped[i].append(f"{c} (0 dies per wafer: a {area[i] * 1e6:,.4g} mm² die does not fit a "
                                  f"{wafer_diameter_m * 1e3:g} mm wafer less {edge_exclusion_m * 1e3:g} mm of edge)")
            capex[i] += dies[i] * usd[i]
            costed[i] = True
            if c in split[i]:
                skipped[i].append(f"{c} (above the reticle: priced as {int(dies[i]):,} separate dies; "
                                  "die-to-die links, interposer, stitching not costed)")
        out[C.dies_per_wafer_column(c)] = dpw
        out[C.yield_column(c)] = yld
        out[C.die_usd_column(c)] = usd
    memory = _offchip_memory(out, memory_usd_per_gb, skipped)
    capex = np.where(costed, devices * (capex + package_usd + np.nan_to_num(memory)) + system_usd, math.nan)
    steady = _num(out, C.PIPELINED_SAMPLES_PER_S, math.nan)
    use = np.isfinite(steady) & (steady > 0)
    rate = np.where(use, steady, _num(out, C.SAMPLES_PER_S, math.nan))
    served = rate * utilization
    static = devices * _num(out, C.STATIC_POWER_W, math.nan)
    dynamic = _num(out, C.DYNAMIC_J_PER_SAMPLE, math.nan)
    kwh_usd = pue * 1e6 / KWH_J * usd_per_kwh  # the $ of 1e6 samples' joule at the socket
    failed = np.array([_failed(out, i) for i in range(n)], dtype=bool)
    implausible = _beyond_wafer(out) & ~failed  # review D2 1: only silicon above a wafer has no price
    with np.errstate(divide="ignore", invalid="ignore"):
        capex_1m = np.where(served > 0, capex / (served * years * YEAR_S) * 1e6, math.nan)
        energy_1m = (static / served + dynamic) * kwh_usd
        uncosted_1m = _uncosted_energy(out, comps, not_costed, devices, served, dynamic,
                                       rate if memory_usd_per_gb is None else None) * kwh_usd
        tokens = _num(out, C.TOKENS_PER_S, math.nan) / _num(out, C.SAMPLES_PER_S, math.nan)
    no = failed | implausible  # find-D2 4: an unbuildable design gets no price
    out[C.OFFCHIP_MEMORY_USD] = np.where(no, math.nan, memory)
    out[C.CAPEX_USD] = np.where(no, math.nan, capex)
    out[C.COST_RATE] = np.where(use, C.PIPELINED_SAMPLES_PER_S, C.SAMPLES_PER_S)
    out[C.CAPEX_USD_PER_1M_SAMPLES] = capex_1m = np.where(no, math.nan, capex_1m)
    out[C.ENERGY_USD_PER_1M_SAMPLES] = energy_1m = np.where(no, math.nan, energy_1m)
    out[C.ENERGY_USD_PER_1M_SAMPLES_NOT_COSTED] = np.where(no, math.nan, uncosted_1m)
    out[C.USD_PER_1M_SAMPLES] = capex_1m + energy_1m
    ok = np.isfinite(tokens) & (tokens > 0)
    out[C.CAPEX_USD_PER_1M_TOKENS] = np.where(ok, capex_1m / np.where(ok, tokens, 1), math.nan)
    out[C.ENERGY_USD_PER_1M_TOKENS] = np.where(ok, energy_1m / np.where(ok, tokens, 1), math.nan)
    out[C.USD_PER_1M_TOKENS] = out[C.CAPEX_USD_PER_1M_TOKENS] + out[C.ENERGY_USD_PER_1M_TOKENS]
    for lv in _levels(out, comps):
        a = _num(out, C.area_column(lv), math.nan)
        for i in range(n):
            if a[i] > 0 and not _failed(out, i):
                skipped[i].append(f"{lv} (memory level; its area not costed)")
    notes += _row_notes(out, no | ~np.isfinite(capex), memory, not_costed, comps)
    out.attrs[NOTES_ATTR] = notes
    out[C.COST_NOT_COSTED] = [FAILED if failed[i] else IMPLAUSIBLE if implausible[i]
                              else "; ".join(s) if s else NOTHING for i, s in enumerate(skipped)]
    return out


def _node_prices(df, wafer_usd, per_node, notes) -> list:
    """Each row's wafer price from its ``technology_node_m`` (find-D2 2), None where
    ``per_node`` is not given or (with ``wafer_usd`` to fall back on) the row states no node;
    a row that neither prices is refused, naming its architecture. A listed node that prices no
    row gets a note in ``notes`` (review D2 6)."""
    if not per_node:
        return [None] * len(df)
    nodes = _num(df, C.TECHNOLOGY_NODE_M, math.nan)
    names = df[C.ARCHITECTURE].astype(str).tolist() if C.ARCHITECTURE in df.columns else ["?"] * len(df)
    given = ", ".join(f"{k * 1e9:g}nm" for k in sorted(per_node))
    out, bad, used = [], [], set()
    for i, node in enumerate(nodes):
        hit = [v for k, v in per_node.items() if math.isfinite(node) and abs(k - node) <= 1e-3 * k]
        if hit:
            out.append(hit[0])
            used.update(k for k in per_node if abs(k - node) <= 1e-3 * k)
            continue
        out.append(None)
        if wafer_usd is None or math.isfinite(node):
            bad.append(f"{names[i]} ({node * 1e9:g} nm)" if math.isfinite(node) else f"{names[i]} (no node)")
    if bad:
        rows = ", ".join(dict.fromkeys(bad))
        raise ValueError(f"wafer_usd_per_node ({given}) prices no row of {rows}: a row without "
                         "technology_node_m (its config states no technology.node) takes --wafer-usd; "
                         "a node not listed needs its price")
    unused = [f"{k * 1e9:g}nm" for k in sorted(per_node) if k not in used]
    if unused:
        none = [names[i] for i, node in enumerate(nodes) if not math.isfinite(node)]
        notes.append(f"note: wafer_usd_per_node {', '.join(unused)} prices no row"
                     + (f" ({', '.join(dict.fromkeys(none))} state no node and take --wafer-usd; give "
                        "such a part its price with --wafer-usd or COMPONENT=USD)" if none else ""))
    return out


def _offchip_memory(df, usd_per_gb, skipped) -> "np.ndarray":
    """One device's off-chip memory price (``backing_capacity_bytes`` / 1e9 x ``usd_per_gb``)
    where the row has off-chip memory (``offchip_memory_power_w`` above 0), NaN elsewhere; without
    a price the memory is named in ``skipped`` (find-D2 1), a package price or not (review D2 2)."""
    import numpy as np

    cap = _num(df, C.BACKING_CAPACITY_BYTES, math.nan)
    watts = _num(df, C.OFFCHIP_MEMORY_POWER_W, math.nan)
    out = np.full(len(df), math.nan)
    for i in range(len(df)):
        if not (watts[i] > 0 and cap[i] > 0) or _failed(df, i):
            continue
        if usd_per_gb is not None:
            out[i] = cap[i] / 1e9 * usd_per_gb
        else:
            skipped[i].append(f"off-chip memory ({cap[i] / 2 ** 30:,.4g} GiB backing store, {watts[i]:.3g} W "
                              "in the energy; its price: --memory-usd-per-gb)")
    return out


def _parts(df, comps):
    """``{component: [static_part columns]}`` and ``{component: [energy columns]}``."""
    def own(name):  # the component a column's part belongs to (the longest name that fits)
        hits = [c for c in comps if name == c or name.startswith(c + "_")]
        return max(hits, key=len) if hits else None

    static_of, energy_of = {}, {}
    for col in map(str, df.columns):
        if (m := _STATIC.match(col)) and (o := own(m.group(1))):
            static_of.setdefault(o, []).append(col)
        elif (m := _ENERGY.match(col)) and col != C.energy_column("static") and (o := own(m.group(1))):
            energy_of.setdefault(o, []).append(col)
    return static_of, energy_of


def _total(df, cols, i) -> float:
    return sum(x for col in cols if math.isfinite(x := _num(df, col, 0.0)[i]))


def _in_memory(df, comps, not_costed, static_of, energy_of) -> list[set[str]]:
    """Per row, the not-costed components taken to sit in the off-chip memory (PIM units in HBM):
    no die area, and their power (static + run energy / latency) within ``offchip_memory_power_w``,
    which already counts them (:func:`cimsim.report.density.offchip_memory_power_w`)."""
    watts, lat = _num(df, C.OFFCHIP_MEMORY_POWER_W, 0.0), _num(df, C.LATENCY, math.nan)
    out = []
    for i, names in enumerate(not_costed):
        inside = set()
        for c in names:
            if _num(df, C.die_area_column(c), math.nan)[i] > 0 or not lat[i] > 0:
                continue
            w = _total(df, static_of.get(c, ()), i) + _total(df, energy_of.get(c, ()), i) / lat[i]
            if watts[i] > 0 and w <= watts[i] * (1 + 1e-9):
                inside.add(c)
        out.append(inside)
    return out


def _uncosted_energy(df, comps, not_costed, devices, served, dynamic, rate=None):
    """J per sample drawn by the components not costed (find-D2 3): devices x their static power
    (``static_part_<c>_w``, or its ``static_part_<c>_<part>_w`` parts) / served rate + their share
    (``energy_<c>_*_j`` over the run's dynamic energy) of ``dynamic_j_per_sample``. With ``rate``
    (the memory is not priced, review D2 3), also the off-chip memory's: devices x
    ``offchip_memory_power_w`` / ``rate`` (its energy per sample in the run), less the components
    that sit in it (:func:`_in_memory`), counted once above. On-chip levels and links stay costed."""
    import numpy as np

    static_of, energy_of = _parts(df, comps)
    run_dyn = _num(df, C.ENERGY, math.nan) - _num(df, C.energy_column("static"), 0.0)
    lat = _num(df, C.LATENCY, math.nan)
    mem_w = _num(df, C.OFFCHIP_MEMORY_POWER_W, 0.0)
    inside = _in_memory(df, comps, not_costed, static_of, energy_of)
    out = np.zeros(len(df))
    for i, names in enumerate(not_costed):
        for c in names:
            st, e = _total(df, static_of.get(c, ()), i), _total(df, energy_of.get(c, ()), i)
            share = e / run_dyn[i] if run_dyn[i] > 0 else 0.0
            out[i] += devices[i] * st / served[i] + share * dynamic[i]
        if rate is not None and mem_w[i] > 0 and rate[i] > 0:
            w = mem_w[i] - sum(_total(df, static_of.get(c, ()), i) + _total(df, energy_of.get(c, ()), i) / lat[i]
                               for c in inside[i])
            out[i] += devices[i] * max(w, 0.0) / rate[i]
    return out


def _beyond_wafer(df) -> "np.ndarray":
    """Rows whose notes say a part has more silicon than a whole 300 mm wafer (review D2 1)."""
    import numpy as np

    if C.NOTES not in df.columns:
        return np.zeros(len(df), dtype=bool)
    return np.array([isinstance(v, str) and any(_WAFER_NOTE.match(n) for n in v.split(C.NOTES_SEPARATOR))
                     for v in df[C.NOTES]], dtype=bool)


def _implausible(df) -> "np.ndarray":
    """Rows whose run says ``physically_plausible`` False (a bool, or its text in a CSV)."""
    import numpy as np

    if C.PHYSICALLY_PLAUSIBLE not in df.columns:
        return np.zeros(len(df), dtype=bool)
    return np.array([v is False or v is np.False_ or str(v).strip().lower() == "false"
                     for v in df[C.PHYSICALLY_PLAUSIBLE]], dtype=bool)


def _row_notes(df, no, memory, not_costed, comps) -> list[str]:
    """The printed notes on priced rows: implausible for a reason other than a wafer (the rate is
    optimistic, review D2 1), and off-chip memory priced while a host that draws more than it is not
    costed (the priced backing store is likely that host's DDR, review D2 4)."""
    names = df[C.ARCHITECTURE].astype(str).tolist() if C.ARCHITECTURE in df.columns else \
        [f"row {i + 1}" for i in range(len(df))]
    static_of, energy_of = _parts(df, comps)
    inside = _in_memory(df, comps, not_costed, static_of, energy_of)
    optimistic, host = {}, {}
    for i, bad in enumerate(_implausible(df)):
        if bad and not no[i]:
            why = [n for n in str(df[C.NOTES].iloc[i]).split(C.NOTES_SEPARATOR)
                   if n.startswith("warning: ") or " TDP " in n] if C.NOTES in df.columns else []
            text = why[0].removeprefix("warning: ").split(" (by ")[0] if why else "see notes"
            optimistic.setdefault(names[i], text if len(text) <= 160 else text[:159] + "…")
        hosts = [c for c in not_costed[i] if c not in inside[i]
                 and not _num(df, C.die_area_column(c), math.nan)[i] > 0]
        if math.isfinite(memory[i]) and not no[i] and hosts:  # no: also a row without capex
            host.setdefault(names[i], f"{'/'.join(hosts)}: ${memory[i]:,.2f}")
    out = [f"note: {n}: physically_plausible is False but buildable ({why}): priced at the run's rate, "
           "which the part cannot hold, so its $ per 1M samples are optimistic" for n, why in optimistic.items()]
    if host:
        out.append("note: " + ", ".join(f"{n} ({h})" for n, h in host.items()) + ": --memory-usd-per-gb "
                   "priced the backing store (backing_capacity_bytes) into the device's capex, but the component "
                   "with no area that is not costed (a CIM config's host) is likely its owner (host DDR), so "
                   "the row holds the host's memory without its host; compare such rows with care")
    return out


def _levels(df, comps) -> list[str]:
    """The on-chip memory levels a table states an area for: ``area_<name>_m2`` that is no
    component's part (``area_<component>_<part>_m2``)."""
    names = [m.group(1) for c in df.columns if (m := _AREA.match(str(c)))]
    return [x for x in names if x not in comps and not any(x.startswith(c + "_") for c in comps)]


def _above_reticle(df, i: int) -> set[str]:
    """The components whose chip the row's notes say is above a reticle (split into dies)."""
    if C.NOTES not in df.columns:
        return set()
    v = df[C.NOTES].iloc[i]
    return set(_ABOVE.findall(v)) if isinstance(v, str) else set()


def _num(df, col: str, default: float):
    import numpy as np
    import pandas as pd

    if col not in df.columns:
        return np.full(len(df), default, dtype=np.float64)
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)


def _failed(df, i: int) -> bool:
    """A sweep row whose point failed (its ``error`` cell is text)."""
    if C.ERROR not in df.columns:
        return False
    v = df[C.ERROR].iloc[i]
    return isinstance(v, str) and bool(v)
