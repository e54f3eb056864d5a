"""Which swept fields a sweep sets, and to what: the ``--param`` specs (:func:`parse_params`) and
the explicit design points of ``--points FILE.csv`` (:func:`read_points`).

A points file is a CSV table: a header of config paths as ``--param`` takes them, then one row
per design point, each cell a value as a ``--param`` list item writes it (with its unit:
``300GB/s``)::

    cim.rows,cim.rows_per_read
    64,16
    128,32
    256,64

A column may also be headed as a sweep's own CSV heads it, ``memory.dram.bandwidth [B/s]``: its
bare numbers are in that unit (a quantity column without one needs a unit in every cell), so
rows of a sweep's ``--csv`` table run again as points. The table may be given whole: a header
with ``point_id`` is a sweep's CSV, whose swept config-field columns alone are read (a warning
names them and counts the columns left out).

Each row is one point: its overrides are the row's cells, so its identity (and a resumed
sweep's reuse of its row) is that of the same values reached by a grid. ``--param`` specs beside
a points file make a grid that every row is crossed with.
"""

from __future__ import annotations

import csv
import os
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

from ..errors import CimsimError, CimsimWarning, one_line
from ..config.python_values import plain_number
from .columns import POINT_ID, WORKLOAD_PARAM_PREFIX
from .params import (DEFAULT_MAX_POINTS, outside_cimsim, under_cli, FieldKind, ParamSpec, SweepSpecError, field_kind,
                     parse_param, parse_spec, parse_value, python_spec)


def _config_data(configs) -> list[Mapping]:
    """The mappings of the ``configs`` that read (an unreadable one is refused later, by
    :func:`check_swept_fields`, naming it)."""
    from ..bundled import resolve_config
    from ..config import read_yaml

    out = []
    for name in configs:
        try:
            out.append(read_yaml(resolve_config(str(name))))
        except CimsimError:
            continue
    return out


class _Fields:
    """The swept fields' config mappings: none for a field every config of its kind has; the
    first swept config that has it for a component under its own key (``gemv.lanes`` for
    ``gemv: {type: my-gemv}``, ``crossbars.arrays`` for ``crossbars: {type: cim}``), whose type
    only the config names."""

    def __init__(self, configs):
        self.configs = configs
        self.datas: list[Mapping] | None = None

    def data_for(self, path: str, error: SweepSpecError) -> Mapping:
        from ..config.paths import resolve

        if self.datas is None:
            self.datas = _config_data(self.configs)
        for data in self.datas:
            try:
                resolve(path, data)
            except CimsimError:
                continue
            return data
        raise error

    def spec(self, path: str, text: str, max_points: int) -> ParamSpec:
        try:
            return parse_spec(path, text, max_points=max_points)
        except SweepSpecError as exc:
            return parse_spec(path, text, self.data_for(path, exc), max_points)

    def kind(self, path: str) -> FieldKind:
        try:
            return field_kind(path)
        except SweepSpecError as exc:
            return field_kind(path, self.data_for(path, exc))


def parse_params(params, max_points: int = DEFAULT_MAX_POINTS, configs=()) -> list[ParamSpec]:
    """The ``--param`` specs (``["PATH=SPEC", ...]``, ``{PATH: SPEC or values}`` or
    :class:`ParamSpec` objects), each path once."""
    if params is None:
        return []
    fields = _Fields(configs)

    def spec(path: str, text: str) -> ParamSpec:
        from .relative import absolute_spec, is_relative

        if is_relative(text):  # x0.9: a multiple of the configs' value, run as that value
            fk = fields.kind(path)
            if fk.kind in ("quantity", "int", "float"):
                given = fields.spec(path, absolute_spec(path, text, fk, configs), max_points)
                return replace(given, spec=text)
        return fields.spec(path, text, max_points)

    if isinstance(params, Mapping):
        return [python_spec(str(path), s, spec) for path, s in params.items()]
    out = []
    for p in [params] if isinstance(params, (str, Path)) else list(params):
        if isinstance(p, ParamSpec):
            out.append(p)
            continue
        path, eq, text = str(p).partition("=")
        if not eq or not path.strip() or not text.strip():
            out.append(parse_param(str(p), max_points=max_points))  # refused, with the forms
            continue
        out.append(spec(path.strip(), text.strip()))
    paths = [p.path for p in out]
    dup = {p for p in paths if paths.count(p) > 1}
    if dup:
        raise CimsimError(f"--param {sorted(dup)[0]} is given more than once")
    return out


class PointsError(SweepSpecError):
    """A ``--points`` file that cannot be read as design points (one line: file, row, column)."""


def points_where(points) -> str:
    """The points argument as its caller gave it, for an error: ``--points FILE`` from the command
    line, ``points=FILE`` / ``points=<DataFrame of 3 rows>`` / ``points=<list of 3 dicts>`` in
    Python."""
    if isinstance(points, (str, os.PathLike)):
        return f"--points {points}" if under_cli() else f"points={str(points)!r}"
    kind = "DataFrame" if _is_frame(points) else type(points).__name__
    n = len(points) if hasattr(points, "__len__") else None
    what = "dict" if kind == "list" else "row"
    return f"points=<{kind}" + ("" if n is None else f" of {n} {what}{'' if n == 1 else 's'}") + ">"


def _is_frame(points) -> bool:
    return type(points).__name__ == "DataFrame" and hasattr(points, "columns")


def _cell_text(value: Any) -> str | None:
    """One in-memory cell as a points file's cell text: a number in full precision, a boolean as
    ``true``/``false``, a string as it is; None for a missing value (None, NaN, a sweep's result
    column of an error row)."""
    import numpy as np

    if isinstance(value, np.generic):
        value = plain_number(value)  # a float32 as the decimal it prints as (review E 6)
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return value
    raise TypeError(type(value).__name__)


def _memory_table(points, where: str) -> list:
    """The in-memory ``points`` (a DataFrame, or a list of dicts) as a points file's lines:
    ``[(None, header), (None, cells), ...]``. A sweep's own DataFrame gets its columns' SI units
    from its attrs (``memory.dram.bandwidth`` -> ``memory.dram.bandwidth [B/s]``), as its CSV."""
    if _is_frame(points):
        from .columns import csv_header

        frame = points.rename(columns=csv_header(points)) if points.attrs else points
        header = [str(c) for c in frame.columns]
        # by column: itertuples makes a float32 cell a float64 one, off its decimal (review E 6)
        rows = [list(r) for r in zip(*(frame.iloc[:, i].to_numpy() for i in range(len(header))))]
    elif isinstance(points, (list, tuple)) and all(isinstance(r, Mapping) for r in points):
        header = list(dict.fromkeys(str(k) for r in points for k in r))
        missing = next(((i, k) for i, r in enumerate(points, start=1) for k in header
                        if k not in {str(x) for x in r}), None)
        if missing:
            raise PointsError(f"{where}: row {missing[0]} has no {missing[1]!r}; every dict sets "
                              f"the same fields ({', '.join(header)})")
        rows = [[{str(k): v for k, v in r.items()}[k] for k in header] for r in points]
    else:
        raise PointsError(f"{where}: points takes a CSV file's path, a pandas DataFrame or a list of "
                          "dicts ({config path: value}), one row per design point")
    table = [(None, header)]
    for row_no, row in enumerate(rows, start=1):
        cells = []
        for name, value in zip(header, rows[row_no - 1]):
            try:
                text = _cell_text(value)
            except TypeError as exc:
                raise PointsError(f"{where}: row {row_no}, column {name}: a value of type {exc} is not a cell; "
                                  "give a number, a boolean or a string such as '300GB/s'") from None
            cells.append("" if text is None else text)  # a kept column refuses it: empty value
        table.append((None, cells))
    return table


def read_points(path, configs=()) -> tuple[list[ParamSpec], list[dict[str, Any]]]:
    """The specs (one per column: its values in order of first appearance) and the points
    (``{path: value}``, values in SI units as a grid's) of the points file at ``path``, or of an
    in-memory table: a pandas DataFrame or a list of dicts, whose cells are what a file's are
    (``300GB/s``, or a bare number under a ``memory.dram.bandwidth [B/s]`` header). A row that
    repeats an earlier one (the same values, however their units are written) is that point:
    run once, with a warning."""
    where = points_where(path)
    if isinstance(path, (str, os.PathLike)):
        try:
            with open(path, newline="", encoding="utf-8-sig") as f:
                table = [(n, row) for n, row in enumerate(csv.reader(f), start=1)
                         if any(cell.strip() for cell in row)]
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            why = getattr(exc, "strerror", None) or str(exc)
            raise PointsError(f"{where}: cannot read as CSV ({why})") from None
    else:
        table = _memory_table(path, where)
    if not table:
        raise PointsError(f"{where}: empty; the first line names the config paths (cim.rows,"
                          "cim.rows_per_read), each line below is one design point")
    (_, header), body = table[0], table[1:]
    header = [h.strip() for h in header]
    if len(header) == 1 and (sep := next((c for c in ";\t|" if c in header[0]), None)):
        raise PointsError(f"{where}: the header is one column, {one_line(header[0])!r}, holding "
                          f"{sep!r}: a points file is comma-separated (CSV as Excel writes it where "
                          "the decimal mark is a point); save it with commas between the cells")
    sweep_csv = POINT_ID in header
    if sweep_csv:  # a sweep's own --csv table: its swept config fields are the points
        header, body = _sweep_csv_points(header, body, where)
    if not body:
        raise PointsError(f"{where}: a header and no rows; each line below the header is one point")
    fields = _Fields(configs)
    kinds, units = [], []
    for col, name in enumerate(header, start=1):
        if not name:
            raise PointsError(f"{where}: column {col} of the header is empty; name a config path")
        name, unit = _header_unit(name, where)
        header[col - 1] = name
        if header[:col - 1].count(name):
            raise PointsError(f"{where}: column {name} appears twice in the header")
        try:
            kinds.append(fields.kind(name))
        except SweepSpecError as exc:
            why = str(exc).removeprefix(f"--param {name}: ")
            raise PointsError(f"{where}: column {name}: {why}") from None
        units.append(_check_unit(unit, kinds[-1], where))
    points, first_line, repeats = [], {}, []
    for row_no, (line, row) in enumerate(body, start=1):
        at = f"{where}: row {row_no}" + ("" if line is None else f" (line {line})")
        if len(row) != len(header):
            raise PointsError(f"{at} has {len(row)} cells; the header has {len(header)} "
                              f"({', '.join(header)})")
        point = {}
        for name, fk, unit, cell in zip(header, kinds, units, row):
            try:
                point[name] = parse_value(_with_unit(cell, unit), fk)
            except ValueError as exc:
                raise PointsError(f"{at}, column {name}: {exc} (a cell is one value, as "
                                  "--param writes it: 300GB/s, 64, true)") from None
        key = tuple(repr(v) for v in point.values())
        if key in first_line and sweep_csv:  # the same point, run on another config or workload
            continue
        if key in first_line:  # an optimizer proposing a point again: the same point, run once
            repeats.append(f"{row_no} repeats row {first_line[key]}")
            continue
        first_line[key] = row_no
        points.append(point)
    if repeats:
        warnings.warn(f"{where}: row {'; row '.join(repeats[:3])}"
                      + (f" (and {len(repeats) - 3} more)" if len(repeats) > 3 else "")
                      + f": the same point, run once; {len(points)} distinct of {len(body)} rows",
                      CimsimWarning, stacklevel=outside_cimsim())
    specs = [ParamSpec(name, fk, f"column of {where}",
                       values=tuple(dict.fromkeys(p[name] for p in points)))
             for name, fk in zip(header, kinds)]
    return specs, points


def _sweep_csv_points(header: list[str], body: list, where: str) -> tuple[list[str], list]:
    """The swept config-field columns of a sweep's own CSV (``point_id``, ``sample``,
    ``config_file``, ``workload_file``, the fields, the ``workload.<key>`` columns, the results):
    the dotted headers (a result column never has a dot) that are no workload parameter (the
    ``-w`` files set those), said in one warning with how many columns are left out."""
    keep = [i for i, h in enumerate(header)
            if "." in _header_unit(h, where)[0] and not h.startswith(WORKLOAD_PARAM_PREFIX)]
    shape = [h for h in header if h.startswith(WORKLOAD_PARAM_PREFIX)]
    if not keep:
        raise PointsError(f"{where}: a sweep's CSV (it has a {POINT_ID} column) with no swept config "
                          "field (a dotted column such as memory.dram.bandwidth [B/s]): no points "
                          "to read; sweep its workloads with -w")
    left = len(header) - len(keep) - len(shape)
    warnings.warn(f"{where}: a sweep's CSV (it has a {POINT_ID} column): read its swept column(s) "
                  f"{', '.join(header[i] for i in keep)}; left out its other {left} column(s) "
                  f"({POINT_ID}, config_file, workload_file, results ...)"
                  + (f" and {', '.join(shape)} (set by the -w files)" if shape else "")
                  + "; a point on several rows (one per config and workload) is one point",
                  CimsimWarning, stacklevel=outside_cimsim())
    for row_no, (line, row) in enumerate(body, start=1):
        if len(row) != len(header):
            raise PointsError(f"{where}: row {row_no}" + ("" if line is None else f" (line {line})")
                              + f" has {len(row)} cells; the "
                              f"header has {len(header)}")
    return [header[i] for i in keep], [(n, [row[i] for i in keep]) for n, row in body]


def _header_unit(name: str, where: str) -> tuple[str, str | None]:
    """``("memory.dram.bandwidth", "B/s")`` of the header a sweep's CSV writes,
    ``memory.dram.bandwidth [B/s]``; ``(name, None)`` of a bare path."""
    if not name.endswith("]") or "[" not in name:
        return name, None
    path, _, unit = name[:-1].partition("[")
    path, unit = path.strip(), unit.strip()
    if not path or not unit:
        raise PointsError(f"{where}: column {name!r}: a header is a config path, or a path and its "
                          "unit as a sweep's CSV writes it: memory.dram.bandwidth [B/s]")
    return path, unit


def _check_unit(unit: str | None, fk: FieldKind, where: str) -> str | None:
    """The bracketed ``unit`` of a column, checked against its field: a quantity's dimension."""
    if unit is None:
        return None
    if fk.kind != "quantity":
        raise PointsError(f"{where}: column {fk.path} [{unit}]: {fk.path} has no unit (its values "
                          f"are bare: 64, true); name the column {fk.path}")
    try:
        parse_value(f"1 {unit}", fk)
    except ValueError as exc:
        raise PointsError(f"{where}: column {fk.path} [{unit}]: {exc}") from None
    return unit


def _with_unit(cell: str, unit: str | None) -> str:
    """A cell of a column with a bracketed unit: a bare number is in that unit (a sweep's CSV
    writes its values so); a cell with its own unit keeps it."""
    if unit is None:
        return cell
    try:
        float(cell)
    except ValueError:
        return cell
    return f"{cell.strip()} {unit}"


def points_wording(msg: str, specs, path) -> str:
    """``msg``, an error about ``--param PATH`` of a column of the points file at ``path`` (or
    in-memory table), worded for that file's column."""
    for p in specs:
        for prefix in (f"--param {p.path}={p.spec}", f"--param {p.path}"):
            if msg.startswith(prefix):
                return f"{points_where(path)}: column {p.path}" + msg[len(prefix):]
    return msg
