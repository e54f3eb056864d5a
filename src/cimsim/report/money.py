"""A cost model as post-processing of result rows (find-D 1): dies per wafer, yield, die cost,
and the capital and energy cost per 1M samples or tokens, from a ``compare -o`` CSV or a sweep's
table (``cimsim cost RESULTS``; in Python :func:`cost`). No config field and no simulation:
it reads ``die_area_<component>_m2`` and ``dies_<component>`` (:func:`cimsim.report.plausible.die_facts`),
``system_devices``, the rates and the power columns.

Formulas, with their sources:

- gross dies per wafer (the usual first-order formula, e.g. Hennessy & Patterson, *Computer
  Architecture*, 6th ed., section 1.6): ``floor(pi r^2 / A - 2 pi r / sqrt(2 A))``, r the
  wafer's radius (150 mm), A one die's area; no scribe lines, no edge exclusion;
- yield, D0 defects per cm² (:data:`YIELD_MODELS`): Murphy ``((1 - e^-AD0) / (AD0))^2``; the
  negative binomial (Stapper) ``(1 + A D0 / alpha)^-alpha``, alpha the defect clustering;
- die cost: wafer price / (dies per wafer x yield), a good die's;
- capex: ``system_devices`` x (the sum over costed components of dies x die cost + the package
  price), what one system costs; per 1M samples it is spread over the samples the system serves
  in ``years`` (365.25-day years) at ``utilization`` of its rate;
- energy per sample at that utilization: ``system_devices x static_power_w / q +
  dynamic_j_per_sample``, q the served rate (the part stays powered between samples; at
  utilization 1 it is ``j_per_sample``), priced per kWh (3.6 MJ).

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
#: a run's reticle / wafer note (:func:`cimsim.report.plausible.area_notes`) on a component
_ABOVE = re.compile(r"component '([^']+)'(?:'s [\d,]+ chips)? counts .* more than (?:one reticle|a whole)")
#: what ``cost_not_costed`` says where nothing is left out (a CSV reads an empty cell as NaN)
NOTHING = "none"
#: what it says on a sweep row whose point failed (no costs at all)
FAILED = "everything (the point failed: see error)"


def dies_per_wafer(die_m2: float, wafer_diameter_m: float = 0.3) -> int:
    """Gross dies of area ``die_m2`` on a wafer of that diameter: floor(pi r²/A - 2 pi r/sqrt(2A))
    (never below 0)."""
    r = wafer_diameter_m / 2
    return max(0, math.floor(math.pi * r * r / die_m2 - 2 * math.pi * r / math.sqrt(2 * die_m2)))


def die_yield(die_m2: float, d0_per_cm2: float, model: str = "murphy", alpha: float = 3.0) -> float:
    """The fraction of good dies of area ``die_m2`` at ``d0_per_cm2`` defects per cm²."""
    ad = die_m2 * 1e4 * d0_per_cm2
    if model == "murphy":
        return 1.0 if ad == 0 else ((1 - math.exp(-ad)) / ad) ** 2
    if model == "negbin":
        return (1 + ad / alpha) ** -alpha
    raise ValueError(f"yield model '{model}': one of {', '.join(YIELD_MODELS)}")


def components(df) -> list[str]:
    """The components a result table states a die area for (``die_area_<component>_m2``)."""
    return [m.group(1) for c in df.columns if (m := _DIE.match(str(c)))]


def _check(wafer_usd, d0_per_cm2, model, alpha, package_usd, usd_per_kwh, years, utilization):
    if model not in YIELD_MODELS:
        raise ValueError(f"yield_model '{model}': one of {', '.join(YIELD_MODELS)}")
    prices = wafer_usd.values() if isinstance(wafer_usd, dict) else [wafer_usd]
    for name, v, ok, what in (
            *(("wafer_usd", p, p > 0, "above 0") for p in prices),
            ("d0_per_cm2", d0_per_cm2, d0_per_cm2 >= 0, "0 or more"),
            *((("alpha", alpha, alpha > 0, "above 0"),) if model == "negbin" else ()),  # murphy has none
            ("package_usd", package_usd, package_usd >= 0, "0 or more"),
            ("usd_per_kwh", usd_per_kwh, usd_per_kwh >= 0, "0 or more"), ("years", years, years > 0, "above 0"),
            ("utilization", utilization, 0 < utilization <= 1, "in (0, 1]")):
        if not (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and ok):
            raise ValueError(f"{name} {v!r}: a number {what}")


def cost(df, wafer_usd, d0_per_cm2: float = 0.1, yield_model: str = "murphy", alpha: float = 3.0,
         package_usd: float = 0.0, usd_per_kwh: float = 0.1, years: float = 3.0,
         utilization: float = 1.0, wafer_diameter_m: float = 0.3):
    """A copy of the result table ``df`` (``compare -o``, a sweep's) with the cost columns
    (:data:`cimsim.report.columns.COST_COLUMNS` and the per-component
    ``dies_per_wafer_<c>``, ``yield_<c>``, ``die_usd_<c>``). ``wafer_usd``: one processed
    wafer's price, USD, for every component, or ``{component: USD}`` (a component left out is
    not costed). The other inputs as the module says; a bad one raises ValueError naming it."""
    import numpy as np

    _check(wafer_usd, d0_per_cm2, yield_model, alpha, package_usd, usd_per_kwh, years, utilization)
    comps = components(df)
    if not comps:
        raise ValueError("no die_area_<component>_m2 column: a result table written by a cimsim with the die "
                         "columns (compare -o, sweep -o) is needed; rerun it")
    if isinstance(wafer_usd, dict):
        unknown = sorted(set(wafer_usd) - set(comps))
        if unknown:
            raise ValueError(f"wafer_usd names {', '.join(unknown)}: no such component in the table "
                             f"(its components: {', '.join(comps)})")
    out = df.copy()
    n = len(out)
    devices = _num(out, C.SYSTEM_DEVICES, 1.0)
    capex = np.zeros(n)
    costed = np.zeros(n, dtype=bool)  # a row with no component costed has no capex, not 0 USD
    skipped: list[list[str]] = [[] for _ in range(n)]
    split = [_above_reticle(out, i) for i in range(n)]
    for c in comps:
        price = wafer_usd.get(c) if isinstance(wafer_usd, dict) else wafer_usd
        area = _num(out, C.die_area_column(c), math.nan)
        dies = _num(out, C.dies_column(c), math.nan)
        dpw, yld, usd = (np.full(n, math.nan) for _ in range(3))
        for i in range(n):
            if not (dies[i] > 0):  # not a component of this row's architecture (a union of columns)
                continue
            if price is None or not (area[i] > 0):
                if not _failed(out, i):
                    skipped[i].append(c + (" (no wafer price)" if price is None and area[i] > 0 else " (no area)"))
                continue
            dpw[i] = dies_per_wafer(area[i], wafer_diameter_m)
            yld[i] = die_yield(area[i], d0_per_cm2, yield_model, alpha)
            usd[i] = price / (dpw[i] * yld[i]) if dpw[i] > 0 and yld[i] > 0 else math.nan
            capex[i] += dies[i] * usd[i]
            costed[i] = True
            if c in split[i]:
                skipped[i].append(f"{c} (above the reticle: priced as {int(dies[i]):,} separate dies; "
                                  "die-to-die links, interposer, stitching not costed)")
        out[C.dies_per_wafer_column(c)] = dpw
        out[C.yield_column(c)] = yld
        out[C.die_usd_column(c)] = usd
    capex = np.where(costed, devices * (capex + package_usd), math.nan)
    steady = _num(out, C.PIPELINED_SAMPLES_PER_S, math.nan)
    use = np.isfinite(steady) & (steady > 0)
    rate = np.where(use, steady, _num(out, C.SAMPLES_PER_S, math.nan))
    served = rate * utilization
    static = devices * _num(out, C.STATIC_POWER_W, math.nan)
    energy = static / served + _num(out, C.DYNAMIC_J_PER_SAMPLE, math.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        capex_1m = np.where(served > 0, capex / (served * years * YEAR_S) * 1e6, math.nan)
        energy_1m = energy * 1e6 / KWH_J * usd_per_kwh
        tokens = _num(out, C.TOKENS_PER_S, math.nan) / _num(out, C.SAMPLES_PER_S, math.nan)
    failed = np.array([_failed(out, i) for i in range(n)], dtype=bool)
    out[C.CAPEX_USD] = np.where(failed, math.nan, capex)
    out[C.COST_RATE] = np.where(use, C.PIPELINED_SAMPLES_PER_S, C.SAMPLES_PER_S)
    out[C.CAPEX_USD_PER_1M_SAMPLES] = capex_1m
    out[C.ENERGY_USD_PER_1M_SAMPLES] = energy_1m
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
    out[C.COST_NOT_COSTED] = [FAILED if failed[i] else "; ".join(s) if s else NOTHING
                              for i, s in enumerate(skipped)]
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
