"""``cimsim cost RESULTS``: dies per wafer, yield, die cost and the cost per 1M samples or tokens
of a ``compare -o`` CSV, a sweep's parquet or a run's ``--json`` (:mod:`cimsim.report.money`, find-D 1;
:mod:`cimsim.report.money_table` for what it reads and prints, find-D2)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import click

from . import OneLineErrors, cannot_write, created, full_path, new_output

_NODE = re.compile(r"^\s*([\d.]+)\s*nm\s*=\s*([\d.eE+-]+)\s*$")


def _prices(values: tuple[str, ...]):
    """``--wafer-usd 17000`` (every component) or ``--wafer-usd cim=9000`` (repeatable)."""
    every, per = None, {}
    for v in values:
        name, sep, num = v.rpartition("=")
        try:
            usd = float(num)
        except ValueError:
            raise click.UsageError(f"--wafer-usd {v}: a price in USD (17000) or COMPONENT=USD (cim=9000)")
        if sep and not name.strip():
            raise click.UsageError(f"--wafer-usd {v}: COMPONENT=USD needs a component name (cim=9000)")
        if name:  # a price given twice is refused, not overwritten (review K 4)
            if name.strip() in per:
                raise click.UsageError(f"--wafer-usd: {name.strip()} is given twice ({name.strip()}="
                                       f"{per[name.strip()]:g} and {v}); give each component one price")
            per[name.strip()] = usd
        else:
            if every is not None:
                raise click.UsageError(f"--wafer-usd: one price for every component is given twice "
                                       f"({every:g} and {v}); give it once")
            every = usd
    if every is not None and per:
        raise click.UsageError("--wafer-usd: either one price for every component or COMPONENT=USD "
                               "for each, not both")
    return per if per else every


def _per_node(values: tuple[str, ...]):
    """``--wafer-usd-per-node 4nm=17000,22nm=3500`` (repeatable): ``{node in m: USD}``."""
    out: dict[float, float] = {}
    for v in (x for value in values for x in value.split(",") if x.strip()):
        m = _NODE.match(v)
        if not m:
            raise click.UsageError(f"--wafer-usd-per-node {v}: NODE=USD with the node in nm (4nm=17000)")
        node = float(m.group(1)) / 1e9
        if node in out:
            raise click.UsageError(f"--wafer-usd-per-node: {m.group(1)}nm is given twice; give each node one price")
        out[node] = float(m.group(2))
    return out or None


def _fractions(values: tuple[str, ...]):
    """``--critical-area-fraction 0.7`` (every component) or ``processor=0.7`` (repeatable)."""
    every, per = None, {}
    for v in values:
        name, sep, num = v.rpartition("=")
        try:
            f = float(num)
        except ValueError:
            raise click.UsageError(f"--critical-area-fraction {v}: a fraction (0.7) or COMPONENT=F "
                                   "(processor=0.7)") from None
        if sep and not name.strip():
            raise click.UsageError(f"--critical-area-fraction {v}: COMPONENT=F needs a component name")
        if (name.strip() in per) if name else (every is not None):
            raise click.UsageError(f"--critical-area-fraction: {name.strip() or 'one for every component'} "
                                   "is given twice; give it once")
        if name:
            per[name.strip()] = f
        else:
            every = f
    if every is not None and per:
        raise click.UsageError("--critical-area-fraction: either one fraction or COMPONENT=F, not both")
    return per if per else 1.0 if every is None else every


@click.command("cost", cls=OneLineErrors)
@click.argument("results", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--wafer-usd", "wafer", multiple=True,
              help="A processed 300 mm wafer's price, USD: 17000 for every component, or "
                   "COMPONENT=USD (repeatable; a component left out is not costed).")
@click.option("--wafer-usd-per-node", "per_node", multiple=True,
              help="Wafer prices by process node, NODE=USD with the node in nm: 4nm=17000,22nm=3500 "
                   "(a row's technology_node_m picks one; a row without a node takes --wafer-usd).")
@click.option("--defects-per-cm2", "d0", type=float, default=0.1, show_default=True,
              help="Defect density D0, defects per cm².")
@click.option("--yield-model", type=click.Choice(["murphy", "negbin"]), default="murphy",
              show_default=True, help="Murphy, or negative binomial with --alpha.")
@click.option("--alpha", type=float, default=3.0, show_default=True,
              help="Defect clustering of the negative-binomial yield.")
@click.option("--critical-area-fraction", "critical", multiple=True,
              help="The yield-critical share of a die (the rest redundant or harvested): 0.7, or "
                   "COMPONENT=F (repeatable); default 1.")
@click.option("--edge-exclusion-mm", type=float, default=0.0, show_default=True,
              help="The wafer's unusable edge ring, mm (the dies fit a radius of 150 mm less it).")
@click.option("--scribe-mm", type=float, default=0.0, show_default=True,
              help="Scribe line width, mm, added to a (square) die's side.")
@click.option("--package-usd", type=float, default=0.0, show_default=True,
              help="Package, test and interposer per device, USD.")
@click.option("--memory-usd-per-gb", type=float, default=None,
              help="Off-chip memory (HBM, DRAM) price, USD per GB (1e9 B) of backing_capacity_bytes, per device.")
@click.option("--system-usd", type=float, default=0.0, show_default=True,
              help="Host, board, chassis once per system (not per device), USD.")
@click.option("--usd-per-kwh", type=float, default=0.1, show_default=True, help="Electricity price, USD per kWh.")
@click.option("--pue", type=float, default=1.0, show_default=True,
              help="Power usage effectiveness: the data centre's power over the IT power (1 or more).")
@click.option("--years", type=float, default=3.0, show_default=True, help="Amortisation period, years.")
@click.option("--utilization", type=float, default=1.0, show_default=True,
              help="Fraction of its rate the system serves on average, in (0, 1].")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the table with the cost columns (.csv or .parquet).")
def cost(results: Path, wafer: tuple[str, ...], per_node: tuple[str, ...], d0: float, yield_model: str,
         alpha: float, critical: tuple[str, ...], edge_exclusion_mm: float, scribe_mm: float,
         package_usd: float, memory_usd_per_gb: float | None, system_usd: float, usd_per_kwh: float,
         pue: float, years: float, utilization: float, output: Path | None) -> None:
    """Die cost and cost per 1M samples / tokens of each row of RESULTS (a `compare -o` CSV, a
    sweep's .parquet, or a `run --json` object): gross dies per wafer, yield, a good die's cost
    per component, one system's capex and its energy cost. Components without an area are not
    costed (named in cost_not_costed), never counted as 0.
    """
    import pandas as pd

    from ..errors import CimsimError
    from ..report.money import cost as add_cost
    from ..report.money_table import json_table, shown, table_notes

    suffix = results.suffix.lower()
    if suffix not in (".csv", ".parquet", ".json"):
        raise CimsimError(f"{results}: cost reads a compare -o CSV, a sweep's .parquet or a run's --json (.json)")
    if output is not None and output.suffix.lower() not in (".csv", ".parquet"):
        raise CimsimError(f"-o {output}: name the file .csv or .parquet")
    if not wafer and not per_node:
        raise click.UsageError("give a wafer price: --wafer-usd 17000 (or COMPONENT=USD) or "
                               "--wafer-usd-per-node 4nm=17000,...")
    for name, mm, ok, allowed in (("--edge-exclusion-mm", edge_exclusion_mm, 0 <= edge_exclusion_mm < 150,
                                   "in [0, 150) (mm; a 300 mm wafer's radius is 150)"),
                                  ("--scribe-mm", scribe_mm, scribe_mm >= 0 and scribe_mm < math.inf, "0 or more")):
        if not ok:
            raise click.UsageError(f"{name} {mm:g}: a number {allowed}")
    try:
        df = (pd.read_csv(results) if suffix == ".csv" else pd.read_parquet(results) if suffix == ".parquet"
              else json_table(results.read_text()))
    except FileNotFoundError:
        raise CimsimError(f"{results}: no such file") from None
    except Exception as exc:  # a damaged or foreign file: one line
        raise CimsimError(f"{results}: cannot read it ({type(exc).__name__}: {exc})") from None
    try:
        out = add_cost(df, _prices(wafer) if wafer else None, d0_per_cm2=d0, yield_model=yield_model,
                       alpha=alpha, package_usd=package_usd, usd_per_kwh=usd_per_kwh, years=years,
                       utilization=utilization, wafer_usd_per_node=_per_node(per_node),
                       critical_area_fraction=_fractions(critical), edge_exclusion_m=edge_exclusion_mm / 1e3,
                       scribe_m=scribe_mm / 1e3, memory_usd_per_gb=memory_usd_per_gb, system_usd=system_usd,
                       pue=pue)
    except ValueError as exc:
        raise CimsimError(f"{results}: {exc}") from None
    click.echo(out[shown(out)].to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    for note in table_notes(out):
        click.echo(note)
    if output is not None:
        made = new_output(output)
        try:
            out.to_csv(output, index=False) if output.suffix.lower() == ".csv" else out.to_parquet(output)
        except OSError as exc:
            raise cannot_write(output, exc) from None
        click.echo(f"wrote {full_path(output)} ({len(out):,} rows){created(made)}")

