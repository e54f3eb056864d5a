"""``cimsim run --placement``: the per-op table (one row per op, where it runs and its cost).

Rich lays out the title and the header; the rows, one to a few lines each, are written as
text in the same layout (rich's per-row rendering cost ~0.5 ms of CPU an op: 44 s for 80,000
ops). A row whose text rich would measure or wrap differently from plain characters (a wide
character, a control character, an op name with spaces to wrap at) is laid out by rich as
before. A table that does not fit the terminal even with every column it may leave out left out
is not printed; one line says so (rich would shrink its columns and cut the numbers).
"""

from __future__ import annotations

from rich.cells import cell_len

from . import console
from ..report.format import si

#: Placement columns a narrow terminal leaves out, first to last (the rest always show).
_PLACEMENT_DROP_ORDER = ("start", "fixed latency", "compute", "kind")
_TEXT = ("op", "kind", "unit")  # left-justified, wrapped (op names fold); the rest right-justified
_CHUNK = 2000  # rows written at a time


def print_placement(r) -> None:
    """One row per op. Numbers are never cut: on a narrow terminal whole columns are left out
    (said under the table) and long op names wrap."""
    df = r.op_table
    byte_cols = [c for c in df.columns if c.endswith("_bytes")]
    flag_cols = [c for c in df.columns if df[c].dtype == bool]
    records = df.to_dict("records")
    cells: dict[str, list[str]] = {
        "#": [str(i) for i in range(len(records))],
        "op": [str(row["op"]) for row in records],
        "kind": [str(row["kind"]) for row in records],
        "unit": [str(row["unit"]) + "".join(f" ({c})" for c in flag_cols if row[c]) for row in records],
        "MACs": [si(row["macs"], "") for row in records],
        **{c[:-len("_bytes")]: [si(row[c], "B") for row in records] for c in byte_cols},
        # the op's time (end - start, as it ran) beside its parts: compute alone and the fixed
        # latency (dispatch + access latency); "latency" alone read as the op's time
        **{head: [si(row[f"{col}_s"], "s") for row in records]
           for head, col in (("compute", "compute"), ("fixed latency", "fixed_latency"))},
        # not duration_s (the op alone, no contention): what it took as it ran
        "time": [si(row["end_s"] - row["start_s"], "s") for row in records],
        **{head: [si(row[f"{col}_s"], "s") for row in records]
           for head, col in (("start", "start"), ("end", "end"))},
    }
    out = console()
    widths = _fit_placement(cells, [c[:-len("_bytes")] for c in byte_cols], out.width)
    if not _fits(widths, out.width):  # op, unit, time and end whole: never cut (find-L 6)
        out.print(f"  (placement not shown at {out.width} columns: its op, unit, time and end columns "
                  f"need {sum(widths.values()) + 2 * (len(widths) - 1)}; a wider terminal shows it, "
                  "and --trace FILE writes every op's timing)")
        return
    shown = list(widths)
    out.print(_table(widths))  # the title and the header
    _write_rows(out, cells, widths, len(records))
    left_out = [c for c in cells if c not in shown]
    if left_out:
        out.print(f"  ({', '.join(left_out)} not shown at {out.width} columns: a wider terminal shows "
                  "them, and --trace FILE writes every op's timing)")


def _fits(widths: dict[str, int], width: int) -> bool:
    """Whether the columns at their widths, two spaces apart, fit ``width``."""
    return sum(widths.values()) + 2 * (len(widths) - 1) <= width


def _table(widths: dict[str, int]):
    from rich.table import Table

    t = Table(title="placement (per op; bytes moved over each memory level and link)", title_justify="left",
              box=None, pad_edge=False)
    for col, w in widths.items():
        text = col in _TEXT
        t.add_column(col, justify="left" if text else "right", no_wrap=not text, width=w,
                     overflow="fold" if text else "ellipsis")
    return t


def row_lines(values: list[str], widths: list[int], text: list[bool]) -> list[str] | None:
    """The lines of one row as rich lays it out in :func:`_table`'s columns (two spaces between
    columns, every cell padded to its width, a text cell longer than its width folded into
    width-long pieces, the other cells on the first line); ``None`` where only rich can tell
    (a character not one cell wide, or a text cell to wrap that has spaces)."""
    pieces = []
    for v, w, tx in zip(values, widths, text):
        if cell_len(v) != len(v) or (len(v) > w and (not tx or any(ch.isspace() for ch in v))):
            return None
        if tx:
            pieces.append([v[j:j + w].ljust(w) for j in range(0, len(v), w)] or [" " * w])
        else:
            pieces.append([v.rjust(w)])
    height = max(map(len, pieces))
    return ["  ".join(p[h] if h < len(p) else " " * w for p, w in zip(pieces, widths))
            for h in range(height)]


def _write_rows(out, cells: dict[str, list[str]], widths: dict[str, int], n: int) -> None:
    cols, ws = list(widths), list(widths.values())
    text = [c in _TEXT for c in cols]
    lines: list[str] = []

    def flush():
        if lines:
            try:
                # off a terminal without trailing spaces, as the console writes rich's rows
                text = "\n".join(lines if out.is_terminal else (ln.rstrip(" ") for ln in lines))
                out.file.write(text + "\n")
                out.file.flush()
            except BrokenPipeError:
                out.on_broken_pipe()
            lines.clear()

    for i in range(n):
        values = [cells[c][i] for c in cols]
        row = row_lines(values, ws, text)
        if row is None:  # rich lays this row out, in a table of the same columns without a header
            flush()
            t = _table(widths)
            t.title, t.show_header = None, False
            t.add_row(*values)
            out.print(t)
        else:
            lines.extend(row)
            if len(lines) >= _CHUNK:
                flush()
    flush()


def _fit_placement(cells: dict[str, list[str]], byte_headers: list[str], width: int) -> dict[str, int]:
    """The columns that fit ``width`` (two spaces between columns) and their widths: every other
    column at its full width, op names in what is left (>= 12 characters, then >= 4 on a narrower
    terminal; wrapping beyond). Columns are left out in :data:`_PLACEMENT_DROP_ORDER`, then every
    memory level's bytes, then ``MACs`` and ``#``; op, unit, time and end always stay."""
    def natural(col: str) -> int:
        return max([cell_len(col), *map(cell_len, cells[col])])

    full = {c: natural(c) for c in cells}

    def others(cols: list[str]) -> int:
        return sum(full[c] for c in cols if c != "op") + 2 * (len(cols) - 1)

    shown = list(cells)
    floor = min(full["op"], 12)
    # then, on a terminal narrower still (a split pane, a magnified one), the outermost level's
    # bytes, the MACs and the row number go, and op names fold down to 4 characters: time and
    # end stay whole (find-L 6: at 40-60 columns rich cut them to `2.4…` and `66.05 …`)
    for col in [*_PLACEMENT_DROP_ORDER, *byte_headers, "MACs", "#", None]:
        if others(shown) + floor <= width:
            break
        if col is None:
            floor = min(full["op"], 4)
        else:
            shown.remove(col)
    return {c: (max(floor, min(full["op"], width - others(shown))) if c == "op" else full[c])
            for c in shown}


def critical_path_rows(r) -> list[dict]:
    """The dependency critical path's ops, first to last: name and time alone (what
    ``critical_path_s`` sums), for ``run --critical-path`` (``--json``: the key
    ``critical_path``)."""
    return [{"op": name, "time_s": s} for name, s in zip(r.critical_path_op_names, r.critical_path_op_s)]


def print_critical_path(r) -> None:
    """One line per op of the dependency critical path (ops alone, no contention), then the sum."""
    import click

    click.echo(f"dependency critical path: {len(r.critical_path_op_names):,} ops, {si(r.critical_path_s, 's')} "
               "(each op's time alone; not the realised path, whose time critical_path_time_s splits)")
    width = max((len(n) for n in r.critical_path_op_names), default=2)
    for i, (name, s) in enumerate(zip(r.critical_path_op_names, r.critical_path_op_s)):
        click.echo(f"  {i:>4}  {name:<{width}}  {si(s, 's'):>10}")
