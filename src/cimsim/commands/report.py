"""``cimsim report CONFIG... -w WORKLOAD... -o DIR``: one self-contained HTML page of the runs."""

from __future__ import annotations

from pathlib import Path

import click

from ..atomic import check_writable

from . import OneLineErrors, created, full_path, new_folder, pair_error
from ..errors import CimsimError, MappingError, OverflowInputError
from ..report.format import si
from .load import load_options, stated_load
from .compare import load_many
from .run import engine_option, overrides, set_option
from ..timing import OUTPUT, mark, step, timing_option


RENDERING = "rendering the figures, writing the files"  # report.html's PNGs (most of it), CSV, timelines


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
@click.option("--no-timelines", is_flag=True,
              help="Write no per-run timeline JSON (a 7B-model serving run writes ~150 MB each).")
@load_options
@timing_option
def report(configs: tuple[str, ...], workloads: tuple[str, ...], output_dir: Path, engine: str,
           sets: tuple[str, ...], baseline: str | None, no_timelines: bool,
           period: str | None = None, deadline: str | None = None, idle: str = "on",
           harvest: str | None = None, storage: str | None = None) -> None:
    """Simulate every workload on every config and write an HTML report: comparison table,
    energy breakdown, utilization, rooflines, critical paths, timelines; with --period /
    --deadline each run at that load (a table of its power, energy and slack there).

    CONFIGS are YAML files or bundled names (default: all bundled configs).
    """
    from ..report.html import build_report, write_report
    from ..studies import report_runs

    if output_dir.exists() and not output_dir.is_dir():
        raise CimsimError(f"-o {output_dir}: is a file; give a folder for report.html")
    load = stated_load(period, deadline, idle, harvest, storage)
    check_writable(output_dir / "report.html", "-o")  # before the runs, not after them
    made = new_folder(output_dir / "report.html")
    analytic = engine != "des" and not no_timelines  # bounds, not a schedule: no timelines
    no_timelines = no_timelines or analytic
    archs, wls, inputs = load_many(configs, workloads, sets)
    if baseline is not None and baseline not in [a.name for a in archs]:
        raise CimsimError(f"--baseline {baseline}: no such architecture among the configs "
                          f"({', '.join(a.name for a in archs)})")
    try:
        rep = report_runs(archs, wls, engine=engine, period_s=load.period_s, deadline_s=load.deadline_s,
                          idle=load.idle, harvest_w=load.harvest_w, storage_j=load.storage_j)
    except (OverflowInputError, MappingError) as exc:  # which config ran which workload
        raise pair_error(exc, inputs, overrides(sets)) from None
    rep.baseline = baseline or archs[0].name
    rep.overrides = [f"{k}={v}" for k, v in overrides(sets).items()]  # shown under the title
    rep.inputs = inputs  # results.csv's columns and the page's footer
    step("drawing the figures", f"drawing the figures of {len(rep.results):,} runs")
    rep = build_report(rep)
    step(RENDERING, f"writing {full_path(output_dir / 'report.html')}")
    try:
        page = write_report(rep, output_dir, timelines=not no_timelines)
    except OSError as exc:
        raise CimsimError(f"-o {output_dir}: cannot write {exc.filename or 'there'} "
                          f"({exc.strerror or exc})") from None
    mark(OUTPUT)
    click.echo(f"wrote {full_path(page)} ({len(rep.results):,} runs, {len(rep.figures):,} figures"
               + ("" if no_timelines else f"; {len(rep.results):,} timelines beside it, "
                                          f"{si(rep.timeline_bytes, 'B')}") + f"){created(made)}")
    if analytic:
        click.echo("no timelines: the analytic engine computes bounds, not a schedule (--engine des "
                   "writes one per run)")
    click.echo(f"wrote {full_path(page.with_name('results.csv'))} (every result column"
               f"{', and the speed-up and energy ratio against ' + rep.baseline if rep.results else ''})")
