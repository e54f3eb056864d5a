"""``cimsim plot SWEEP.parquet``: latency, energy, energy breakdown, utilization, efficiency
(TOPS/W, TOPS/mm^2, area), power (W, W/mm^2, the configs' TDPs) and roofline figures."""

from __future__ import annotations

from pathlib import Path

import click

from . import OneLineErrors, created, full_path, new_folder
from ..errors import CimsimError, one_line

FORMATS = ("png", "svg")
#: what the roofline of a sweep shows: each config as its file has it, not a swept point
ROOFLINE_NOTE = "configs as written, before the sweep"


def _read(path: Path):
    import pandas as pd

    from ..sweep.columns import POINT_ID

    try:
        with open(path, "rb") as f:  # a non-UTF-8 file name pyarrow itself would refuse
            df = pd.read_parquet(f)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds; say which file
        if Path(path).suffix.lower() == ".csv":  # the sweep's --csv copy, or compare's table
            raise click.ClickException(
                f"{path}: cimsim plot reads a sweep's Parquet file (cimsim sweep ... -o OUT.parquet), "
                "which keeps each swept parameter's unit; a CSV does not") from None
        raise click.ClickException(f"{path}: cannot read as Parquet ({one_line(' '.join(str(exc).split()))})") from None
    if POINT_ID not in df.columns:
        raise click.ClickException(f"{path}: not a cimsim sweep (no '{POINT_ID}' column)")
    return df


@click.command("plot", cls=OneLineErrors)
@click.argument("sweep_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory for the figures (default: beside the sweep file).")
@click.option("--format", "formats", type=click.Choice(FORMATS), multiple=True,
              help="Image format (repeatable; default: png and svg).")
@click.option("--param", default=None, help="Swept parameter for the x axis (default: the first).")
@click.option("--no-roofline", is_flag=True, help="Skip the roofline (it re-runs each op table).")
@click.option("--where", "where_expr", default=None, metavar="EXPR",
              help="Keep only the rows that satisfy COLUMN OP NUMBER clauses joined by 'and' "
                   "(OP: <= >= < > == !=; numbers in the column's SI unit; a true/false column "
                   "with true/false or 1/0; a text column with == or != one of its values), "
                   "e.g. 'area_m2<=1e-4 and extrapolated==false', 'tpu.dataflow==os'.")
@click.option("--x", "--energy-column", "x", default=None, metavar="COLUMN",
              help="x axis of the accuracy-energy figure (default: energy_j; system_energy_j, all "
                   "the devices', where a run is tensor- or pipeline-parallel): a numeric result column, e.g. "
                   "energy_cim_adc_j (the CIM ADCs' own energy), latency_s, area_m2.")
@click.option("--pareto", "pareto_csv", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FRONT.csv",
              help="Also write the Pareto front of each workload's rows (after --where; one per "
                   "value of a swept cim.nonideal.* device condition) as CSV: "
                   "the objectives are --minimise / --maximise (default: minimise --x, maximise "
                   "accuracy_top1 in an accuracy sweep).")
@click.option("--minimise", "--minimize", "minimise", multiple=True, metavar="COLUMN",
              help="An objective of --pareto to make small (repeatable), e.g. energy_j, area_m2.")
@click.option("--maximise", "--maximize", "maximise", multiple=True, metavar="COLUMN",
              help="An objective of --pareto to make large (repeatable), e.g. accuracy_top1.")
def plot_command(sweep_file, output_dir, formats, param, no_roofline, where_expr, x, pareto_csv,
                 minimise, maximise):
    """Plot a sweep: latency and energy vs the swept parameter, breakdown, utilization, efficiency
    (TOPS/W, TOPS/mm^2, area), average power (W, W/mm^2, each TDP a config states as a line),
    for a sweep with --period the power, energy per sample and busy share at the period (load),
    roofline; for LLM serving runs decode tokens/s, time per output
    token and tokens/J vs the parameter (serving), or vs the batch when the sweep's workloads are
    serving runs that differ in batch (serving-batch); the workloads' own parameters that differ
    between the -w files (workload.steps, ...) are swept parameters too; for a sweep with --accuracy, accuracy against energy
    with the Pareto front (accuracy-energy)."""
    from .. import plot as P
    from ..plot.select import numeric_column, several_devices
    from ..plot.family import is_workload_param
    from ..plot.power import load_vs_param
    from ..plot.serving import batch_varies, has_serving
    from ..report.columns import ENERGY, PERIOD_S, SYSTEM_ENERGY_J, WORKLOAD
    from ..sweep.columns import ERROR, param_columns

    formats = formats or FORMATS
    df = _read(sweep_file)
    if where_expr is not None:
        df = _where(df, where_expr, sweep_file)
    # the defaults spelled out (--x energy_j, the documented default before system_energy_j)
    # select nothing new and are taken on any sweep, as before
    if x not in (None, ENERGY, SYSTEM_ENERGY_J) and "accuracy_top1" not in df.columns and pareto_csv is None:
        raise click.ClickException(f"--x {x}: the x axis of the accuracy-energy figure, which a sweep "
                                   "with --accuracy has; this one has none")
    if (minimise or maximise) and pareto_csv is None:
        raise click.ClickException("--minimise / --maximise are the objectives of --pareto FRONT.csv; "
                                   "give it too")
    if pareto_csv is not None:  # before any figure is written, not after them
        from ..atomic import check_writable

        check_writable(pareto_csv, "--pareto")
    x = x or (SYSTEM_ENERGY_J if several_devices(df) else ENERGY)  # a parallel run: every device's
    out_dir = output_dir or sweep_file.parent
    stem = sweep_file.stem
    ok = df[df[ERROR].isna()] if ERROR in df.columns else df
    if df.empty:
        raise click.ClickException(f"{sweep_file}: the sweep file has no rows; nothing to plot")
    if ok.empty:
        raise click.ClickException(f"{sweep_file}: every row has an error; nothing to plot")
    if len(ok) < len(df):  # said, never dropped in silence
        first = str(df.loc[df[ERROR].notna(), ERROR].iloc[0]).splitlines()[0]
        click.echo(f"note: {len(df) - len(ok):,} of {len(df):,} rows have an error and are left out of "
                   f"the figures (the first: {first})", err=True)
    params = param_columns(df)
    if param is not None and param not in params:
        raise click.ClickException(f"--param {param}: not swept in {sweep_file}; swept: {', '.join(params)}")
    # a param with one value (pinned, as --param "memory.dram.capacity=1.4GB") is not swept:
    # no figure is drawn against a single x value, and it says so
    pinned = [p for p in params if ok[p].nunique(dropna=False) <= 1]
    if pinned:
        from ..plot.figures import value_text
        click.echo("note: " + ", ".join(f"{p} has one value ({value_text(df, p, ok[p].iloc[0])})"
                                        for p in pinned)
                   + ": not swept, no figure drawn against it", err=True)
    swept = [p for p in params if p not in pinned]
    if param is None and swept:  # a config field first, then a workload parameter (workload.steps)
        param = swept[0]
    # against a workload parameter, a row whose workload records none is in no panel: said
    shape = is_workload_param(df, param) and param not in pinned
    if shape and ok[param].isna().any():
        click.echo(f"note: {int(ok[param].isna().sum()):,} of {len(ok):,} rows have no {param} "
                   f"({_why_empty(df, ok, param)}): not in the figures against it", err=True)
    batch = has_serving(ok) and batch_varies(ok)  # serving runs of several batch sizes as workloads
    figures = {}
    from ..plot.flags import mark_precision

    df = mark_precision(df)  # NAME (!p) in the legends; the roofline and --pareto read ok
    try:
        if param is not None and param not in pinned:
            figures["latency"] = P.latency_vs_param(df, param)
            figures["energy"] = P.energy_vs_param(df, param)
            figures["utilization"] = P.utilization_vs_param(df, param)
            figures["efficiency"] = P.efficiency_vs_param(df, param)
            figures["power"] = P.power_vs_param(df, param, _tdps(ok, params))
            if PERIOD_S in ok.columns and ok[PERIOD_S].notna().any():  # a sweep with --period
                figures["load"] = load_vs_param(df, param)
            if has_serving(ok) and not (shape and batch):  # tokens/s, time per token, tokens/J
                figures["serving"] = P.serving_vs_param(df, param)
        if batch and (param is None or param in pinned or shape):
            figures["serving-batch"] = P.serving_vs_batch(df)
        figures["energy_breakdown"] = P.energy_breakdown(df, param)
        if "accuracy_top1" in df.columns:  # a sweep with --accuracy
            numeric_column(ok, x, "--x")  # the option named, not the argument
            figures["accuracy-energy"] = P.accuracy_energy(df, x=x)
        front = _pareto(ok, minimise, maximise, x) if pareto_csv is not None else None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if not no_roofline:
        try:
            figures["roofline"] = _roofline(ok)
        except CimsimError as exc:
            click.echo(f"skipped the roofline: {str(exc).splitlines()[0]}", err=True)
    from ..plot.held import note_held

    for name, fig in figures.items():  # what each sweep figure assumed (the roofline: none)
        if name != "roofline":
            note_held(fig, df)
    made = new_folder(out_dir / "figure")
    written = []
    for name, fig in figures.items():
        try:
            written += P.save_figure(fig, out_dir / f"{stem}-{name}", formats)
        except OSError as exc:  # the file named (a full disk's error names none by itself)
            raise click.ClickException(f"cannot write {exc.filename or out_dir} "
                                       f"({exc.strerror or exc})") from None
    for i, path in enumerate(written):  # the folder made, on the first file's line
        click.echo(f"wrote {full_path(path)}{created(made) if i == 0 else ''}")
    if front is not None:
        _write_front(*front, pareto_csv)


#: The name cli.py registers.
plot = plot_command


def _where(df, expr: str, sweep_file: Path):
    """The rows of ``df`` that satisfy ``--where``; refused when none does."""
    from ..plot import where
    from ..sweep.columns import ERROR

    try:
        kept = where(df, expr)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    ok = int(df[ERROR].isna().sum()) if ERROR in df.columns else len(df)
    if kept.empty:
        raise click.ClickException(f"--where {expr!r}: none of the {ok:,} rows without an error in "
                                   f"{sweep_file} satisfies it; nothing to plot")
    click.echo(f"note: --where {expr!r} keeps {len(kept):,} of the {ok:,} rows without an error",
               err=True)
    return kept


def _pareto(ok, minimise, maximise, x):
    """The rows of the Pareto front of each workload and value of the swept device conditions
    (``cim.nonideal.*``, as the accuracy-energy figure's fronts: a design is compared with the
    others on the same device only), and those conditions; by default less ``x`` and more
    accuracy. ValueError for an objective that is no numeric column, naming its option."""
    import pandas as pd

    from ..plot import pareto_front
    from ..plot.select import numeric_column
    from ..plot.accuracy import front_conditions
    from ..report.columns import ACCURACY_TOP1, PARETO_OBJECTIVES, WORKLOAD

    if not (minimise or maximise):
        if ACCURACY_TOP1 not in ok.columns or not ok[ACCURACY_TOP1].notna().any():
            raise ValueError("--pareto: name the objectives with --minimise / --maximise (the "
                             "default, less --x and more accuracy_top1, needs a sweep with --accuracy)")
        numeric_column(ok, x, "--x")
        minimise, maximise = (x,), (ACCURACY_TOP1,)
    for option, cols in (("--minimise", minimise), ("--maximise", maximise)):
        for c in cols:
            numeric_column(ok, c, f"{option} {c}")
    conds = [c for c in front_conditions(ok) if c not in (*minimise, *maximise)]
    groups = ok.groupby([WORKLOAD, *conds], sort=False, dropna=False)
    front = pd.concat([pareto_front(g, minimise=list(minimise), maximise=list(maximise))
                       for _, g in groups])
    return front.assign(**{PARETO_OBJECTIVES: ", ".join([*(f"min {c}" for c in minimise),
                                                         *(f"max {c}" for c in maximise)])}), conds


def _write_front(front, conds, path: Path) -> None:
    """The front's rows as CSV: each swept parameter's header with its unit, as a sweep's --csv."""
    from ..atomic import atomic_write
    from ..sweep.columns import csv_header

    made = new_folder(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda tmp: front.rename(columns=csv_header(front)).to_csv(tmp, index=False))
    except OSError as exc:  # the path given, not atomic_write's temporary file
        raise click.ClickException(f"--pareto {path}: cannot write there ({exc.strerror or exc})") from None
    per = f" (one front per workload and value of {', '.join(conds)})" if conds else ""
    click.echo(f"wrote {full_path(path)}: the Pareto front, {len(front):,} rows{per}{created(made)}")


def _tdps(df, params) -> dict:
    """``{architecture: [(component, W)]}``: each TDP a sweep's config states (as written); a
    swept ``<component>.tdp`` has no one line (said, not drawn), nor a config whose file is gone
    or changed since the sweep (said)."""
    from ..config import load_architecture
    from ..errors import CimsimError
    from ..studies import sweep_config_files
    from ..report.columns import ARCHITECTURE
    from ..sweep.columns import CONFIG_FILE

    if CONFIG_FILE not in df.columns:  # a table not written by cimsim sweep names no config
        return {}
    try:
        configs, note = sweep_config_files(df)
    except CimsimError as exc:  # a config gone or changed since the sweep: no line, said
        click.echo(f"note: {exc}: no TDP line in the power figure", err=True)
        return {}
    if note is not None:
        click.echo(f"note: {note} (no TDP line for it in the power figure)", err=True)
    out = {}
    for name, path in configs.items():
        stated = [(c.name, c.tdp_w) for c in load_architecture(path).instances if c.tdp_w is not None]
        if swept := [c for c, _ in stated if f"{c}.tdp" in params]:
            click.echo(f"note: {', '.join(f'{c}.tdp' for c in swept)} is swept: no TDP line for it "
                       "in the power figure", err=True)
        # keyed by the architecture the rows name (a config given as a path is its file's name)
        for arch in dict.fromkeys(df.loc[df[CONFIG_FILE].astype(str) == name, ARCHITECTURE]):
            out[str(arch)] = [(c, w) for c, w in stated if c not in swept]
    return out


def _roofline(df):
    """The roofline of each of the sweep's workloads (one panel each) on each of its configs
    (as written, unswept)."""
    from ..plot import rooflines
    from ..studies import sweep_config_files, sweep_op_tables, sweep_workload_files

    configs, note = sweep_config_files(df)  # a file gone or changed since the sweep: refused
    workloads, wnote = sweep_workload_files(df)
    for n in (note, wnote):
        if n is not None:
            click.echo(f"note: {n}", err=True)
    return rooflines(sweep_op_tables(df, configs=configs, workloads=workloads), note=ROOFLINE_NOTE)


def _why_empty(df, ok, param: str) -> str:
    """Why rows have no cell of the workload parameter ``param``: their generator's files do not
    differ in it (a column's cells are only the groups' that vary it: GRU files beside LSTM files
    of several hidden sizes), or, in a group that varies it, their workload records none."""
    from ..report.columns import WORKLOAD
    from ..sweep.columns import ATTR_WORKLOAD_GROUPS

    groups = df.attrs.get(ATTR_WORKLOAD_GROUPS) or {}
    group = ok[WORKLOAD].map(lambda w: groups.get(str(w)) or None)  # "": no generator recorded
    varies = set(group[ok[param].notna()].dropna())
    empty = ok[param].isna()
    unvaried = empty & ~group.isin(varies) & group.notna()
    names = lambda rows: ", ".join(dict.fromkeys(map(str, ok.loc[rows, WORKLOAD])))  # noqa: E731
    gens = list(dict.fromkeys(map(str, group[unvaried])))
    why = [f"generator{'s' if len(gens) > 1 else ''} {', '.join(gens)} "
           f"{'do' if len(gens) > 1 else 'does'} not vary it: {names(unvaried)}"] if gens else []
    if (empty & ~unvaried).any():
        why.append(f"their workload records none: {names(empty & ~unvaried)}")
    return "; ".join(why)
