"""``cimsim sensitivity``: the elasticities of a run's latency and energy to each config field,
ranked, with each value's source marks (:func:`cimsim.sweep.sensitivity.sensitivity`)."""

from __future__ import annotations

import errno
from pathlib import Path

import click

from . import OneLineErrors, OneLineUsageError, console, created, full_path, new_folder
from ..errors import CimsimError
from .run import engine_option


def _rel(ctx, param, value: float) -> float:
    if not 0 < value < 1:
        raise OneLineUsageError(f"--rel {value:g}: the relative step must lie between 0 and 1, "
                                "exclusive (0.1: each field at x0.9 and x1.1)")
    from ..sweep.sensitivity import MIN_REL
    if value < MIN_REL:
        raise OneLineUsageError(f"--rel {value:g}: too small a step to change a value written "
                                f"with 12 significant digits; the smallest allowed is {MIN_REL:g}")
    return value


def _cell(x: float) -> str:
    return "" if x != x else f"{x:+.4f}"


@click.command("sensitivity", cls=OneLineErrors)
@click.argument("config")
@click.option("-w", "--workload", required=True, help="Workload (a file or bundled name).")
@click.option("--field", "fields", multiple=True, metavar="PATH",
              help="A config field to perturb (repeatable; `cimsim fields -c CONFIG` lists the "
                   "paths). Default: every number the config states or derives (quantities and "
                   "unitless reals, not whole numbers or schema defaults).")
@click.option("--rel", type=float, default=0.1, show_default=True, callback=_rel,
              help="Relative step: each field runs at x(1-rel) and x(1+rel).")
@engine_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the table as CSV.")
def sensitivity(config: str, workload: str, fields: tuple[str, ...], rel: float, engine: str,
                output: Path | None) -> None:
    """Rank CONFIG's fields by how much the latency and energy of WORKLOAD move with them.

    Each field runs at x(1-rel) and x(1+rel) of the value the config uses, the others as the
    config has them; the elasticities are d ln(latency)/d ln(p) and d ln(energy)/d ln(p) by
    central difference (-1: the time is inversely proportional to it; an energy part linear in
    it: that part's share of the energy). `marks` are the value's source marks in the config
    file, (P) primary, (T) transcription, (D) derived, (U) placeholder; `source` is where the
    value comes from, as `cimsim fields -c CONFIG` says.

    \b
      cimsim sensitivity cpu-ddr5 -w lstm --engine analytic
      cimsim sensitivity sram-cim -w lstm --field processor.static_power --rel 0.05 -o s.csv
    """
    from ..atomic import atomic_write, check_writable
    from ..sweep import sensitivity as sens
    from ..units import si

    if output is not None:
        check_writable(output, "-o")
    df = sens.sensitivity(config, workload, list(fields) or None, rel=rel, engine=engine)
    a = df.attrs
    click.echo(f"{a['architecture']} on {a['workload']} ({engine}): latency "
               f"{si(a['latency_s'], 's')}, energy {si(a['energy_j'], 'J')}, bound {a['bound']}; "
               f"each field at x{1 - rel:.12g} and x{1 + rel:.12g}")  # --rel 1e-9: not x1 and x1
    from rich.table import Table

    t = Table(title_justify="left")
    # find-D 6: the note's words are the bounds it flips between ('interconnect/interconnect'):
    # marks, source and the elasticities wrap at their words (their widest word: '(P) (T) (D)
    # (U)', 'placeholder', '+0.4562') to leave the note the room, and a word wider than the
    # note's column folds onto the next line, never '…'
    narrow = {"marks": 15, "source": 11, "d ln L / d ln p": 8, "d ln E / d ln p": 8}
    for col in ("field", "value", "marks", "source", "d ln L / d ln p", "d ln E / d ln p", "note"):
        t.add_column(col, no_wrap=col in ("field", "value"), overflow="fold",
                     max_width=narrow.get(col), justify="right" if col.startswith("d ln") else "left")
    for r in df.itertuples(index=False):
        t.add_row(r.field, r.value, r.marks, r.source, _cell(r.latency_elasticity),
                  _cell(r.energy_elasticity), r.note)
    console(min_width=160).print(t)
    if output is not None:
        made = new_folder(output)
        try:
            atomic_write(output, lambda tmp: df.to_csv(tmp, index=False))
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise
            raise CimsimError(f"-o {output}: cannot write there ({exc.strerror or exc})") from None
        click.echo(f"wrote {len(df):,} rows to {full_path(output)}{created(made)}")
