"""``cimsim validate``: measured vs predicted, per case and per suite."""

from __future__ import annotations

from pathlib import Path

import click

from . import OneLineErrors, console


@click.command("validate", cls=OneLineErrors)
@click.option("-s", "--suite", "names", multiple=True,
              help="Suite to run (repeatable; default: all). `--list` shows them.")
@click.option("--list", "list_only", is_flag=True, help="List the suites and exit.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write every case to this CSV file.")
def validate(names: tuple[str, ...], list_only: bool, output: Path | None) -> None:
    """Hold cimsim's predictions against published and measured figures."""
    from rich.table import Table

    from ..report.format import pct
    from ..validate import run, suites, summary

    if list_only:
        for name, desc in suites().items():
            click.echo(f"{name}: {desc}")
        return
    df = run(names)
    out = console(min_width=160)
    t = Table(title="cimsim validate: measured vs predicted", title_justify="left")
    for col in ("suite", "case", "measured", "predicted", "error", "source"):
        t.add_column(col, justify="right" if col in ("measured", "predicted", "error") else "left")
    for r in df.itertuples(index=False):
        t.add_row(r.suite, r.case, f"{r.measured:.4g} {r.unit}", f"{r.predicted:.4g} {r.unit}",
                  pct(r.rel_error), r.source)
    out.print(t)
    s = Table(title="per suite (|relative error|)", title_justify="left")
    for col in ("suite", "cases", "median", "worst"):
        s.add_column(col, justify="left" if col == "suite" else "right")
    for r in summary(df).itertuples(index=False):
        s.add_row(r.suite, str(r.cases), pct(r.median_abs_error), pct(r.worst_abs_error))
    out.print(s)
    if output is not None:
        df.to_csv(output, index=False)
        click.echo(f"wrote {len(df)} cases to {output}")
