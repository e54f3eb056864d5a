"""``cimsim cost RESULTS``: dies per wafer, yield, die cost and the cost per 1M samples or tokens
of a ``compare -o`` CSV or a sweep's parquet (:mod:`cimsim.report.money`, find-D 1)."""

from __future__ import annotations

from pathlib import Path

import click

from . import OneLineErrors, cannot_write, created, full_path, new_output


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


@click.command("cost", cls=OneLineErrors)
@click.argument("results", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--wafer-usd", "wafer", multiple=True, required=True,
              help="A processed 300 mm wafer's price, USD: 17000 for every component, or "
                   "COMPONENT=USD (repeatable; a component left out is not costed).")
@click.option("--defects-per-cm2", "d0", type=float, default=0.1, show_default=True,
              help="Defect density D0, defects per cm².")
@click.option("--yield-model", type=click.Choice(["murphy", "negbin"]), default="murphy",
              show_default=True, help="Murphy, or negative binomial with --alpha.")
@click.option("--alpha", type=float, default=3.0, show_default=True,
              help="Defect clustering of the negative-binomial yield.")
@click.option("--package-usd", type=float, default=0.0, show_default=True,
              help="Package, test and off-chip memory (HBM) per device, USD.")
@click.option("--usd-per-kwh", type=float, default=0.1, show_default=True, help="Electricity price, USD per kWh.")
@click.option("--years", type=float, default=3.0, show_default=True, help="Amortisation period, years.")
@click.option("--utilization", type=float, default=1.0, show_default=True,
              help="Fraction of its rate the system serves on average, in (0, 1].")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the table with the cost columns (.csv or .parquet).")
def cost(results: Path, wafer: tuple[str, ...], d0: float, yield_model: str, alpha: float,
         package_usd: float, usd_per_kwh: float, years: float, utilization: float,
         output: Path | None) -> None:
    """Die cost and cost per 1M samples / tokens of each row of RESULTS (a `compare -o` CSV or a
    sweep's .parquet): gross dies per wafer, yield, a good die's cost per component, one
    system's capex and its energy cost. Components without an area are not costed (named in
    cost_not_costed), never counted as 0.
    """
    import pandas as pd

    from ..errors import CimsimError
    from ..report import columns as C
    from ..report.money import cost as add_cost

    suffix = results.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise CimsimError(f"{results}: cost reads a compare -o CSV or a sweep's .parquet")
    if output is not None and output.suffix.lower() not in (".csv", ".parquet"):
        raise CimsimError(f"-o {output}: name the file .csv or .parquet")
    try:
        df = pd.read_csv(results) if suffix == ".csv" else pd.read_parquet(results)
    except FileNotFoundError:
        raise CimsimError(f"{results}: no such file") from None
    except Exception as exc:  # a damaged or foreign file: one line
        raise CimsimError(f"{results}: cannot read it ({type(exc).__name__}: {exc})") from None
    try:
        out = add_cost(df, _prices(wafer), d0_per_cm2=d0, yield_model=yield_model, alpha=alpha,
                       package_usd=package_usd, usd_per_kwh=usd_per_kwh, years=years,
                       utilization=utilization)
    except ValueError as exc:
        raise CimsimError(f"{results}: {exc}") from None
    shown = [c for c in (C.ARCHITECTURE, C.WORKLOAD, C.CAPEX_USD, C.USD_PER_1M_SAMPLES,
                         C.USD_PER_1M_TOKENS, C.COST_NOT_COSTED) if c in out.columns]
    click.echo(out[shown].to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    rates = set(out.loc[out[C.USD_PER_1M_SAMPLES].notna(), C.COST_RATE])
    if len(rates) > 1:  # review K 8
        click.echo("note: the rows use unlike rates (cost_rate): pipelined_samples_per_s (a chip-block "
                   "pipeline's steady rate) for some, samples_per_s (one sample at a time) for others, "
                   "so their $ per 1M samples do not compare like for like")
    if output is not None:
        made = new_output(output)
        try:
            out.to_csv(output, index=False) if output.suffix.lower() == ".csv" else out.to_parquet(output)
        except OSError as exc:
            raise cannot_write(output, exc) from None
        click.echo(f"wrote {full_path(output)} ({len(out):,} rows){created(made)}")
