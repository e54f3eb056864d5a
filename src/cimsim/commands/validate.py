"""``cimsim validate``: measured vs predicted, per case and per suite."""

from __future__ import annotations

import re
from pathlib import Path

import click

from . import OneLineErrors, console, created, full_path, new_folder


#: SI prefixes a case's unit may carry, and the base units :func:`si` re-prefixes.
_PREFIXES = {"T": 1e12, "G": 1e9, "M": 1e6, "k": 1e3, "m": 1e-3, "µ": 1e-6, "u": 1e-6, "n": 1e-9,
             "p": 1e-12, "f": 1e-15}
_SI_BASES = ("s", "W", "J", "B", "Hz", "OPS", "MAC", "V", "A")


def engineering(value: float, unit: str) -> str:
    """``value`` in ``unit`` with the prefix :func:`si` picks: ``(0.0004352, "s") -> '435.2 µs'``,
    ``(0.917, "TOPS") -> '917 GOPS'``, ``(8.99, "fJ/op") -> '8.99 fJ/op'``. A unit without an SI
    base (``cycles``, ``x``, ``mm^2``) keeps four significant digits, or whole units with
    thousands separators from 10,000 on (``(123456, "cycles") -> '123,456 cycles'``)."""
    from ..report.format import si

    head, slash, rest = unit.partition("/")
    scale = 1.0
    if head not in _SI_BASES and head[:1] in _PREFIXES and head[1:] in _SI_BASES:
        scale, head = _PREFIXES[head[0]], head[1:]
    if head not in _SI_BASES:
        return (f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.4g}") + f" {unit}".rstrip()
    return si(value * scale, head + slash + rest)


_AREA = re.compile(r"\b([uc]?m?)m\^2\b")


def shown(text: str) -> str:
    """A case's text with its areas spelled as the other commands print them: ``mm^2`` ->
    ``mm²``, ``um^2`` -> ``µm²``. The cases keep ASCII, as their CSV does; a stream that cannot
    encode ² or µ spells them back (:func:`cimsim.commands.ascii_fallback`)."""
    return _AREA.sub(lambda m: m[1].replace("u", "µ") + "m²", text)


def _pct(fraction: float) -> str:
    """A percentage, or "-" for a suite with no case of the kind (NaN)."""
    from ..report.format import pct

    return "-" if fraction != fraction else pct(fraction)


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
    from ..validate import PREDICTED, ROLES, check_names, group_summary, run, suites, summary

    if list_only:
        for name, desc in suites().items():
            click.echo(f"{name}: {desc}")
        return
    # an unknown suite is one line before anything else: no progress line may come first
    names = tuple(check_names(names)) if names else ()
    if output is not None:  # before the cases run, not after them
        from ..atomic import check_writable

        if output.suffix.lower() != ".csv":
            given = output if str(output) != "." else "'' (no file name: empty, or the folder .)"
            raise click.UsageError(f"-o {given}: validate writes CSV; name the file .csv")
        check_writable(output, "-o")
    from ..progress import Feedback

    with Feedback("validate", unit="suites") as fb:  # a line every 5 s off a terminal, a bar on one
        df = run(list(names), progress=fb)  # a suite named twice runs once (check_names)
    out = console(min_width=160)
    t = Table(title="cimsim validate: measured vs predicted", title_justify="left")
    for col in ("suite", "case", "measured", "predicted", "error", "role", "source"):
        t.add_column(col, justify="right" if col in ("measured", "predicted", "error") else "left")
    for r in df.itertuples(index=False):
        # a bound the prediction meets has no error: the measured figure says which side it bounds
        mark = {"lower": ">= ", "upper": "<= "}.get(r.bound, "")
        t.add_row(r.suite, shown(r.case), mark + shown(engineering(r.measured, r.unit)),
                  shown(engineering(r.predicted, r.unit)), pct(r.rel_error), r.role, shown(r.source))
    out.print(t)
    s = Table(title="per suite (|relative error| of the cases whose figure is a value; median and "
                    "worst over the predicted cases, then over all; published bounds counted "
                    "apart)", title_justify="left")
    for col in ("suite", "cases", *ROLES, "median", "worst", "median (all)", "worst (all)",
                "bounds met / missed"):
        s.add_column(col, justify="left" if col == "suite" else "right")
    for r in summary(df).to_dict("records"):
        bounds = r["bounds_met"] + r["bounds_missed"]
        s.add_row(r["suite"], str(r["cases"]), *(str(r[role]) for role in ROLES),
                  _pct(r["median_abs_error_predicted"]), _pct(r["worst_abs_error_predicted"]),
                  _pct(r["median_abs_error"]), _pct(r["worst_abs_error"]),
                  f"{r['bounds_met']} / {r['bounds_missed']}" if bounds else "-")
    out.print(s)
    groups = group_summary(df)
    if len(groups):  # a suite pooling several sources: each source's median beside the pooled one
        gt = Table(title="per source of a suite that pools several (|relative error|)",
                   title_justify="left")
        for col in ("suite", "source", "cases", PREDICTED, "median", "worst", "median (all)",
                    "worst (all)"):
            gt.add_column(col, justify="left" if col in ("suite", "source") else "right")
        for r in groups.to_dict("records"):
            gt.add_row(r["suite"], r["group"], str(r["cases"]), str(r[PREDICTED]),
                       _pct(r["median_abs_error_predicted"]), _pct(r["worst_abs_error_predicted"]),
                       _pct(r["median_abs_error"]), _pct(r["worst_abs_error"]))
        out.print(gt)
    for role, meaning in ROLES.items():
        out.print(f"role {role}: {meaning}")
    reasons: dict[tuple[str, str], list] = {}
    for sk in df.attrs.get("skipped", []):  # per suite and reason (two suites may share one)
        reasons.setdefault((sk["suite"], sk["reason"]), []).append(sk)
    for (suite, reason), group in reasons.items():  # figures named but not reproduced
        out.print(f"skipped ({suite}): " + shown(reason))
        for sk in group:
            out.print(f"  - {shown(sk['case'])}")
    if output is not None:
        from ..atomic import atomic_write

        from ..revision import with_provenance

        made = new_folder(output)
        csv = with_provenance(df)  # the cimsim that predicted: the last two columns, as compare's
        atomic_write(output, lambda tmp: csv.to_csv(tmp, index=False))
        click.echo(f"wrote {len(df):,} cases to {full_path(output)}{created(made)}")
    # a suite named with -s that checked nothing must not read as passed (exit 0 with an empty
    # table): CI that gates on it would pass without a single comparison
    idle = [n for n in names if not (df["suite"] == n).any() and n in {k[0] for k in reasons}]
    if idle:
        why = "; ".join(f"{n}: {next(r for (s_, r) in reasons if s_ == n)}" for n in idle)
        raise click.ClickException(f"-s {', '.join(idle)}: ran none of its cases ({why})")
