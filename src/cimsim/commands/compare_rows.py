"""``cimsim compare``'s rows beyond its table: the ``one_device_share`` column of its CSV, and
the expected and worst rows of ``--weights`` over workloads that are alternative paths of one
model (one per exit of an early-exit network: find-F 2, find-L4 1), reusing
:mod:`cimsim.sweep.expected`."""

from __future__ import annotations

from pathlib import Path

import click

from . import OneLineUsageError, created, full_path, new_folder
from ..errors import CimsimError, one_line
from ..report import columns as C
from ..report.result import one_device

#: the one column compare's --weights weights: its rows differ only in the workload and the config
COLUMN = "workload"


def weights_options(f):
    """``--weights workload=FILE:P,...`` and ``--expected-csv FILE.csv`` of ``cimsim compare``."""
    f = click.option("--expected-csv", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     metavar="FILE.csv", help="With --weights: also write the expected and worst rows here.")(f)
    return click.option(
        "--weights", "weights_spec", default=None, metavar="workload=W:P,...",
        help="The workloads are alternative paths of one model (e.g. one trace per exit of an "
             "early-exit network): print, per config, the expected row (sum of p x latency_s, "
             "energy_j, macs, ops) and the worst row; each W a -w as given or a workload's name, "
             "the P summing to 1, e.g. --weights 'workload=exit1.json:0.6,exit2.json:0.3,"
             "full.json:0.1'. Right at batch 1 (one path a run).")(f)


def weights_of(spec, expected_csv, output, workloads, wls):
    """The parsed ``--weights`` as ``(column, {workload name: p})``, checked before any run: the
    column is ``workload``; each value a ``-w`` as given (``exit1.json``) or a workload's name,
    and every workload has one; ``--expected-csv`` writable and not ``-o``. None without it."""
    from ..atomic import check_writable
    from ..sweep.expected import WeightsError, canonical, parse_weights

    if spec is None:
        if expected_csv is not None:
            raise OneLineUsageError("--expected-csv needs --weights (the probabilities of the paths)")
        return None
    try:
        column, weights = parse_weights(spec)
    except WeightsError as exc:
        raise OneLineUsageError(one_line(str(exc))) from None
    if column != COLUMN:
        raise OneLineUsageError(f"--weights {spec!r}: compare weights its workloads: write "
                                f"workload=W:P,... (a swept field's paths: cimsim sweep --weights {column}=...)")
    names = [w.name for w in wls]
    weights = _by_name(spec, weights, workloads or [], names, canonical)
    missing = [n for n in names if n not in weights]
    extra = [v for v in weights if v not in names]
    if missing or extra:
        raise OneLineUsageError(f"--weights {spec!r}: " + (
            f"{', '.join(extra)} is no workload of this compare" if extra else
            f"workload {', '.join(missing)} has no probability") +
            f" (its workloads: {', '.join(workloads or names)}; every one needs a probability)")
    if expected_csv is not None:
        if output is not None and Path(output).resolve() == Path(expected_csv).resolve():
            raise OneLineUsageError(f"--expected-csv {expected_csv}: that is -o {output} (the results "
                                    "table); name another file")
        try:
            check_writable(Path(expected_csv), "--expected-csv")
        except CimsimError as exc:
            raise OneLineUsageError(one_line(str(exc))) from None
    return column, weights


def _by_name(spec, weights, workloads, names, canonical) -> dict[str, float]:
    """``weights`` keyed by workload name: a value is a ``-w`` as given (``exit1.json``), the same
    file written another way (``./exit1.json``, an absolute path; review L45 4) or a name; two
    values naming one workload are refused (review L45 1: the last one won, P summed to < 1)."""
    given = dict(zip((canonical(w) for w in workloads), names))
    files = {_resolved(w): n for w, n in zip(workloads, names) if _resolved(w) is not None}
    out: dict[str, float] = {}
    said: dict[str, str] = {}
    for v, p in weights.items():
        name = given.get(v) or (v if v in names else None) or files.get(_resolved(v)) or v
        if name in said:
            raise OneLineUsageError(f"--weights {spec!r}: workload {name} given twice ({said[name]} and "
                                    f"{v}); give each workload one probability")
        said[name] = v
        out[name] = p
    return out


def _resolved(v):
    """``v``'s resolved path where it names an existing file, else None."""
    try:
        p = Path(v)
        return str(p.resolve()) if p.is_file() else None
    except (OSError, ValueError):
        return None


def expected_rows(weighted, results, expected_csv) -> None:
    """Print (and with ``--expected-csv`` write) the expected and worst rows of each config over
    the workloads ``weighted`` names (``results``: the runs' :class:`Result`); nothing without
    ``--weights``."""
    import pandas as pd

    from ..atomic import atomic_write
    from ..sweep.expected import batch_note, expected_table, lines

    if weighted is None:
        return
    df = pd.DataFrame([{C.ARCHITECTURE: r.architecture, COLUMN: r.workload, C.LATENCY: r.latency_s,
                        C.ENERGY: r.energy_j, C.MACS: r.macs, C.OPS: r.ops,
                        C.SAMPLES_PER_RUN: r.record().get(C.SAMPLES_PER_RUN, 1)} for r in results])
    table = expected_table(df, *weighted)
    for line in lines(table):
        click.echo(line)
    if (note := batch_note(df)) is not None:
        click.echo(note)
    if expected_csv is not None:
        made = new_folder(expected_csv)
        try:
            Path(expected_csv).parent.mkdir(parents=True, exist_ok=True)
            atomic_write(Path(expected_csv), lambda tmp: table.to_csv(tmp, index=False))
        except OSError as exc:
            raise CimsimError(f"--expected-csv {expected_csv}: cannot write there ({exc.strerror or exc})") from None
        click.echo(f"wrote {full_path(expected_csv)}{created(made)}")


def with_share_column(df, results):
    """``df`` with ``one_device_share`` after ``architecture`` when a run is a tensor- or
    pipeline-parallel share: the tables' ``(1d)`` mark, which a CSV had no column for."""
    if not any(one_device(r) for r in results):
        return df
    out = df.copy()
    out.insert(list(out.columns).index(C.ARCHITECTURE) + 1, C.ONE_DEVICE_SHARE,
               [one_device(r) for r in results])
    return out
