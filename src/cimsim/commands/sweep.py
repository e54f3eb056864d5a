"""``cimsim sweep``: run a design-space sweep into a resumable Parquet file.

Examples (also in ``cimsim sweep --help``)::

    cimsim sweep cpu-ddr5 gpu-hbm3 -w lstm --param memory.dram.bandwidth=25GB/s..3.2TB/s:log:64 -o bw.parquet
    cimsim sweep sram-cim -w lstm --param cim.arrays=64,128,256 --param processor.cores=8..128:lin:16
    cimsim sweep gpu-hbm3 -w lstm --param memory.dram.bandwidth=25GB/s..3.2TB/s:log \\
        --sample lhs --samples 200 --seed 1 --engine analytic --scheduler local:4
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path

import click

from . import OneLineErrors, OneLineUsageError, cannot_write, created, full_path, new_folder, one_line_warnings

from ..errors import CimsimError
from ..sweep.params import DEFAULT_MAX_POINTS, FieldKind, ParamSpec, one_line
from .load import load_options, stated_load
from .run import ENGINES
from ..sweep.sampling import SAMPLERS

#: exit status of a sweep that finished and wrote its file, with error rows (every row, or any
#: with --strict): not 1, which says the sweep was refused and nothing ran
ERROR_ROWS_STATUS = 3
#: exit status of a sweep its workers or cluster could not finish (none came back, or they fail
#: outside any point): the finished rows kept in OUT.parts/, no file written; rerun to finish
INCOMPLETE_STATUS = 4


@click.command("sweep", cls=OneLineErrors)
@click.argument("configs", nargs=-1, required=True)
@click.option("-w", "--workload", "workloads", multiple=True, required=True,
              help="Workload: bundled name, .json or .npz file, as for `cimsim run` (repeat for several).")
@click.option("--param", "params", multiple=True, metavar="PATH=SPEC",
              help="Swept config field: PATH=A..B:log:N, PATH=A..B:lin:N or PATH=A,B,C "
                   "(units per field, e.g. --param memory.dram.bandwidth=1TB/s,2TB/s); "
                   "`cimsim fields -c CONFIG` lists the paths. Repeatable.")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
              help="Override a config field at one value for every point, as `cimsim run --set` "
                   "(repeatable; a list or mapping value is one value too, as run reads it), e.g. "
                   "--set memory.dram.bandwidth=400GB/s; the field is also a column of the output.")
@click.option("--points", "points", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE.csv",
              help="Explicit design points: a CSV whose header names config paths as --param "
                   "does (cim.rows,cim.rows_per_read) and whose every row is one point, values "
                   "with units (64,16); crossed with the --param grid, if any.")
@click.option("--sample", type=click.Choice(SAMPLERS), default="grid", show_default=True,
              help="Cartesian grid, or random / Latin-hypercube samples of the ranges.")
@click.option("--samples", type=click.IntRange(min=1), default=None,
              help="Number of points for --sample random|lhs.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of random / LHS sampling.")
@click.option("--engine", type=click.Choice(ENGINES), default="des", show_default=True,
              help="des: full event simulation; analytic: lower bounds only, 1.1-1.5x faster.")
@click.option("--scheduler", default=None, metavar="local:N|tls://HOST:PORT|tcp://HOST:PORT",
              help="Run on Dask: a LocalCluster of N processes, or a running scheduler "
                   "(tcp:// is unauthenticated and results are unpickled: prefer tls://).")
@click.option("--tls-ca-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="PEM CA certificate that signed the tls:// scheduler's certificate.")
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="PEM certificate of this client for a tls:// scheduler.")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="PEM private key of --tls-cert (if not inside the certificate file).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Local worker processes (default: all cores).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("sweep.parquet"), show_default=True,
              help="Parquet output; rerun the same command to finish an interrupted sweep. A "
                   "NAME.csv writes NAME.parquet and its CSV copy NAME.csv (as --csv).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the table as CSV.")
@click.option("--retry-errors", is_flag=True, help="Recompute points whose stored row has an error.")
@click.option("--flush-every", type=click.IntRange(min=1), default=64, show_default=True,
              help="Persist finished rows after this many (and at least every 2 s); rows come "
                   "back from the workers a chunk at a time (up to 16 runs), so a part file holds "
                   "at least one chunk.")
@click.option("--max-points", type=click.IntRange(min=1), default=DEFAULT_MAX_POINTS, show_default=True,
              help="Refuse a sweep of more runs (points x configs x workloads) than this; "
                   "counted before anything is built.")
@click.option("--dry-run", is_flag=True, help="Make every check the sweep makes before it runs (specs, scheduler, output "
                   "paths, configs, workloads), state the run count and, for an existing -o, how many "
                   "runs are done, how many to compute and which stored rows the run would move "
                   "(and why); then stop; nothing is written.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar (or plain progress lines, "
              "off a terminal) and no notes of lost workers.")
@click.option("--strict", is_flag=True,
              help=f"Exit with status {ERROR_ROWS_STATUS} when any row has an error (without it: only "
                   "when every row has one); the file is written either way.")
@click.option("--accuracy", is_flag=True,
              help="Workloads are evaluation models (bundled, e.g. digits-cnn, or FILE.py:FACTORY "
                   "with --dataset): every point also runs the model with its CIM arithmetic and "
                   "adds accuracy_top1, agreement, output_snr_db, output_snr_corrected_db, "
                   "output_kl (see `cimsim run "
                   "--accuracy`).")
@click.option("--dataset", default=None, metavar="FILE.py:DATASET",
              help="With --accuracy and FILE.py:FACTORY workloads: a function returning "
                   "(inputs, labels).")
@load_options
@click.option("--output-kind", type=click.Choice(["auto", "logits", "probabilities"]), default="auto",
              show_default=True, help="With --accuracy: the models' outputs are logits or "
              "probabilities, as `cimsim run --output-kind`; the column accuracy_output_kind "
              "records the reading each row used.")
@click.option("--weights", "weights_spec", default=None, metavar="COLUMN=VALUE:P,...",
              help="Probabilities of the values of one swept column (the path taken: "
                   "'workload.exit_at=1:0.6,2:0.3,3:0.1'); after the sweep, print per config the "
                   "expected row (sum of p x latency_s, energy_j, macs, ops) and the worst row. "
                   "Right at batch 1 (one path a run).")
@click.option("--expected-csv", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE.csv", help="With --weights: also write the expected and worst rows here.")
def sweep_command(configs, workloads, params, sets, points, sample, samples, seed, engine, scheduler, tls_ca_file,
                  tls_cert, tls_key, workers, output, csv_path, retry_errors, flush_every, max_points,
                  dry_run, quiet, strict, accuracy, dataset, output_kind, period=None, deadline=None,
                  idle="on", harvest=None, storage=None, weights_spec=None, expected_csv=None):
    """Sweep config fields over CONFIGS x WORKLOADS; one row per point in a Parquet file.

    Everything is checked first (specs, scheduler, output paths, configs, workloads); then the
    run count (points x configs x workloads) is printed to stderr and the sweep starts.
    Exit status: 0; 3 when every row has an error (any row, with --strict), the file written
    (a point whose worker process dies each time it runs alone is such a row); 1 for bad input
    (nothing run); 4 when the workers or the Dask cluster failed outside any point (none came
    back): the finished rows kept, rerun to finish; 130 / 143 when interrupted. Off a terminal,
    progress is a plain line every 10 % and at least every minute.

    \b
    Examples:
      cimsim sweep cpu-ddr5 gpu-hbm3 -w lstm --param memory.dram.bandwidth=25GB/s..3.2TB/s:log:64
      cimsim sweep sram-cim -w lstm --param cim.arrays=64,128,256 --param processor.cores=8..128:lin:16
      cimsim sweep gpu-hbm3 -w step.npz --param memory.dram.bandwidth=25GB/s..3.2TB/s:log
          --sample lhs --samples 200 --engine analytic
      cimsim sweep rram-cim-derived -w digits-cnn --accuracy --param cim.adc.bits=3,4,5,6,7,8
          --param cim.rows_per_read=16,32,64,128
      cimsim sweep rram-cim -w lstm --points designs.csv --param cim.adc.bits=4,6
      cimsim sweep sram-cim rram-cim -w lstm --param cim.arrays=64,128 --period 100ms
    """
    def announce(line: str) -> None:
        click.echo(line, err=True)

    # find-A 4: -o NAME.csv, as compare takes it: the table is still Parquet (what a rerun
    # resumes from), NAME.parquet beside it, and the CSV copy is NAME.csv; sweep() checks the
    # names and says so in its order of checks (review A 2): these are the names it will write
    given_output, given_csv = output, csv_path
    if output.suffix.lower() == ".csv" and csv_path is None:
        output, csv_path = output.with_suffix(".parquet"), output
    params = tuple(params) + _fixed(sets, params, configs, points)
    weighted = _weights(weights_spec, expected_csv, output, csv_path)

    # SIGTERM as Ctrl-C from the first line: an interrupt while the sweep still imports or
    # checks ends the same way (one line, status 130 / 143)
    with _interrupts_said(output):
        from ..sweep import SweepIncomplete, sweep
        from ..sweep.executors import SchedulerError, security_from_files
        from ..sweep.params import cli_wording

        try:
            security = security_from_files(tls_ca_file, tls_cert, tls_key)
        except SchedulerError as exc:
            raise OneLineUsageError(one_line(str(exc))) from None
        try:
            made = {output: None if dry_run else new_folder(output)}  # -o has a default: never None
            made[csv_path] = new_folder(csv_path, made_by=output) if csv_path and not dry_run else None
            with one_line_warnings(), cli_wording():  # one line each; errors name the options
                stated_load(period, deadline, idle, harvest, storage)  # as run / compare read them
                df = sweep(  # --dry-run: the run's own checks, every one, then the plan
                    list(configs), list(workloads), list(params),
                    sample=sample, samples=samples, seed=seed, engine=engine, scheduler=scheduler,
                    workers=workers, output=given_output, csv=given_csv, quiet=quiet,
                    retry_errors=retry_errors, flush_rows=flush_every, max_points=max_points,
                    announce=announce, security=security, accuracy=accuracy, dataset=dataset,
                    output_kind=output_kind,
                    dry_run=dry_run, points=points, period_s=period, deadline_s=deadline, idle=idle,
                    harvest_w=harvest, storage_j=storage, check_tasks=_planned(weighted),
                )
            if dry_run:  # (sweep announced the count, then warned of rows it would move)
                if df.stored is not None:
                    from ..sweep.preflight import stored_line

                    announce(stored_line(df.output, df.stored, df.runs))
                return
        except SweepIncomplete as exc:  # not bad input: the workers failed; rerun to finish
            click.echo(f"Error: {one_line(' '.join(str(exc).split()))}", err=True)
            raise SystemExit(INCOMPLETE_STATUS) from None
        except CimsimError as exc:
            raise click.ClickException(one_line(" ".join(str(exc).split("\n")))) from None
        except OSError as exc:
            raise cannot_write(output, exc) from None
    from ..sweep.columns import error_rows
    from ..sweep.runner import describe_run

    click.echo(f"wrote {full_path(output)}: {describe_run(df)}{created(made[output])}")
    if csv_path is not None:
        click.echo(f"wrote {full_path(csv_path)}{created(made[csv_path])}")
    errors = error_rows(df)
    if weighted is not None:
        _expected(df, *weighted, expected_csv)
    if errors and (strict or errors == len(df)):  # a CI job must be able to fail on them
        from ..report.columns import ERROR

        first = one_line(str(df[ERROR].dropna().iloc[0]))
        which = (f"every row of {full_path(output)} has an error" if errors == len(df) else
                 f"{errors:,} of {len(df):,} rows of {full_path(output)} have an error (--strict)")
        click.echo(f"Error: {which}, e.g. {first}", err=True)
        raise SystemExit(ERROR_ROWS_STATUS)


def _fixed(sets: tuple[str, ...], params: tuple[str, ...], configs=(), points=None) -> tuple:
    """``--set PATH=VALUE`` as a swept field of one value, read as ``cimsim run --set`` reads it
    (review B 1, 2): each config is loaded with the overrides first, so a bad path or value is
    run's one line naming ``--set``; a list, mapping or any value with ',' or '..' (a path) goes
    to the run as run gives it, not through the --param spec grammar."""
    from .run import overrides
    from ..bundled import resolve_config
    from ..config.loader import load_architecture

    swept = {p.partition("=")[0].strip() for p in params}
    given = overrides(sets)
    clash = next((p for p in given if p in swept), None)
    if clash is not None:
        raise OneLineUsageError(f"--set {clash}={given[clash]}: {clash} is also swept by --param; "
                                "give it once (--set for one value, --param for several)")
    if clash := next((p for p in given if p in _points_columns(points)), None):
        raise OneLineUsageError(f"--set {clash}={given[clash]}: {clash} is also a column of --points "
                                f"{points}; give it in one place (--set for every point, the column per point)")
    for name in configs if given else ():
        try:
            load_architecture(resolve_config(str(name)), given, cli=True)
        except CimsimError as exc:  # bad input, nothing run: status 1, as run's
            raise click.ClickException(one_line(" ".join(str(exc).split()))) from None
    return tuple(f"{path}={value}" if _scalar(value) else _SetSpec.of(path, value)
                 for path, value in given.items())


def _scalar(value: str) -> bool:
    """A value the --param grammar reads as one value (a quantity, number, word)."""
    return not ("," in value or ".." in value or value[:1] in "[{")


def _points_columns(points) -> set[str]:
    """The header of a --points CSV (empty when there is none or it cannot be read: the sweep's
    own reading says why)."""
    import csv

    try:
        with open(points, newline="", encoding="utf-8") as f:
            return {c.strip() for c in next(csv.reader(f), [])}
    except (OSError, TypeError, UnicodeDecodeError):
        return set()


@dataclasses.dataclass(frozen=True)
class _SetSpec(ParamSpec):
    """A ``--set`` value the spec grammar would split (``[2,2]``, ``../c.yaml``): one value,
    its column the text given, the run given it as ``run --set`` reads it."""

    @classmethod
    def of(cls, path: str, value: str) -> "_SetSpec":
        return cls(path, FieldKind(path, "str"), value, (value,))

    def override_value(self, value):
        return _yaml_value(value)


def _yaml_value(text: str):
    """``text`` as ``--set`` reads a list or mapping (YAML flow syntax); other text as is."""
    import yaml

    if text[:1] not in "[{":
        return text
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def _weights(spec, expected_csv, output, csv_path):
    """The parsed ``--weights`` (checked before the sweep runs), or None; an ``--expected-csv``
    that is one of the sweep's own files, or that cannot be written, refused first."""
    from ..atomic import check_writable
    from ..sweep.expected import WeightsError, parse_weights

    if spec is None:
        if expected_csv is not None:
            raise OneLineUsageError("--expected-csv needs --weights (the probabilities of the paths)")
        return None
    if expected_csv is not None:  # (review A 1, review X 1): it would replace the sweep's table
        mine = {Path(output).resolve(): f"-o {output} (the resumable table)"}
        if csv_path is not None:
            mine[Path(csv_path).resolve()] = f"the CSV copy {csv_path} of the table"
        if (clash := mine.get(Path(expected_csv).resolve())) is not None:
            raise OneLineUsageError(f"--expected-csv {expected_csv}: that is {clash}; name another "
                                    f"file, e.g. --expected-csv {Path(output).stem}-expected.csv")
        try:
            check_writable(Path(expected_csv), "--expected-csv")  # (review X 2): before the run
        except CimsimError as exc:
            raise OneLineUsageError(one_line(str(exc))) from None
    try:
        return parse_weights(spec)
    except WeightsError as exc:
        raise OneLineUsageError(one_line(str(exc))) from None


def _planned(weighted):
    """``check_tasks`` of :func:`cimsim.sweep.runner.sweep`: the --weights column and values
    checked against the planned points before any runs (review F 3, review X 2)."""
    if weighted is None:
        return None
    from ..sweep.expected import check_planned

    return lambda tasks, shape: check_planned(*weighted, tasks, shape)


def _expected(df, column, weights, expected_csv) -> None:
    """Print (and with --expected-csv write) the expected and worst rows (find-F 2)."""
    from ..sweep.columns import ATTR_UNITS
    from ..sweep.expected import WeightsError, batch_note, expected_table, lines

    try:
        table = expected_table(df, column, weights)
    except WeightsError as exc:
        raise click.ClickException(one_line(str(exc))) from None
    for line in lines(table, df.attrs.get(ATTR_UNITS)):  # swept quantities with their units
        click.echo(line)
    if (note := batch_note(df)) is not None:
        click.echo(note)
    if expected_csv is not None:
        folder = new_folder(expected_csv)  # its missing folders made, as -o's (review X 2)
        try:
            Path(expected_csv).parent.mkdir(parents=True, exist_ok=True)
            table.to_csv(expected_csv, index=False)
        except OSError as exc:
            raise cannot_write(expected_csv, exc) from None
        click.echo(f"wrote {full_path(expected_csv)}{created(folder)}")


@contextlib.contextmanager
def _interrupts_said(output: Path):
    """Ctrl-C or SIGTERM inside: one line saying what is kept and how to go on, and the
    shell's status (130, 143 for SIGTERM)."""
    with _sigterm_as_interrupt():
        try:
            yield
        except KeyboardInterrupt as exc:
            term = isinstance(exc, Terminated)
            click.echo(f"{'terminated (SIGTERM)' if term else 'interrupted'}: {_kept(output)}", err=True)
            raise SystemExit(143 if term else 130) from None


def _kept(output: Path) -> str:
    """What an interrupted sweep leaves: the part files of its finished rows, if any yet."""
    parts = Path(f"{output}.parts")
    if parts.is_dir() and any(parts.iterdir()):
        return (f"the rows finished so far are saved in {parts}/; rerun the same command to compute "
                "only the missing points")
    if output.is_file():
        return (f"no new row had finished; {output} holds the rows of earlier runs; rerun the same "
                "command to compute the missing points")
    return "no row had finished, nothing was saved; rerun the same command to start it"


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, a batch scheduler, ``docker stop``) during a sweep: it ends as Ctrl-C
    does, the workers shut down and the finished rows kept, with the shell's status 143."""


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """SIGTERM raises :class:`Terminated` in the main thread while the sweep runs (the default
    action killed the process: no message, leaked semaphores, a temporary part file left)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise Terminated()

    old = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


#: The name cli.py registers.
sweep = sweep_command


def _main() -> None:  # ``python -m cimsim.commands.sweep ...`` without the top-level CLI
    sweep_command(prog_name="cimsim sweep")


if __name__ == "__main__":
    _main()
