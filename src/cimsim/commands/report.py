"""``cimsim report CONFIG... -w WORKLOAD... -o DIR``: one self-contained HTML page of the runs."""

from __future__ import annotations

from pathlib import Path

import click

from . import OneLineErrors
from ..errors import CimsimError
from .run import engine_option, load_many, set_option


@click.command("report", cls=OneLineErrors)
@click.argument("configs", nargs=-1)
@click.option("-w", "--workload", "workloads", multiple=True,
              help="Workload file or bundled name (repeatable; default: all bundled).")
@click.option("-o", "--output-dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory for report.html, results.csv and the timelines.")
@engine_option
@set_option
@click.option("--baseline", metavar="ARCHITECTURE", default=None,
              help="Architecture the table's speed-up and energy-ratio columns compare against "
                   "(default: the first config).")
def report(configs: tuple[str, ...], workloads: tuple[str, ...], output_dir: Path, engine: str,
           sets: tuple[str, ...], baseline: str | None) -> None:
    """Simulate every workload on every config and write an HTML report: comparison table,
    energy breakdown, utilization, rooflines, critical paths, timelines.

    CONFIGS are YAML files or bundled names (default: all bundled configs).
    """
    from ..report.html import build_report, write_report
    from ..studies import report_runs

    archs, wls = load_many(configs, workloads, sets)
    if baseline is not None and baseline not in [a.name for a in archs]:
        raise CimsimError(f"--baseline {baseline}: no such architecture among the configs "
                          f"({', '.join(a.name for a in archs)})")
    rep = report_runs(archs, wls, engine=engine)
    rep.baseline = baseline or archs[0].name
    rep = build_report(rep)
    page = write_report(rep, output_dir)
    click.echo(f"wrote {page} ({len(rep.results)} runs, {len(rep.figures)} figures)")
