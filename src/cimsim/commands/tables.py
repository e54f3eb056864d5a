"""Tables that fit the terminal without cutting a number: ``cimsim compare``'s tables.

Rules, in order:

1. A number and its unit are never cut nor wrapped: their column is as wide as its widest
   cell. A name (workload, architecture) is not either, but under rule 4.
2. Text columns (a bound, the busiest units) wrap between words, down to a narrowest width
   each and never below their longest word; their headers wrap too, the others' do not.
3. When the columns do not fit even so, whole columns are left out, in a stated order, and
   the command says which under the table (a wider terminal, or ``-o FILE``, shows them).
4. When they still do not fit, the names fold onto several lines (the widest first, never
   narrower than their header), and then the columns left are left out from the right, named
   too: a number is still never cut, and no column is squeezed to nothing.

rich ellipsised every column of a table wider than the terminal (at 80 columns ``compare``
printed ``5.7…`` for ``5.735 J``) before these rules (2026-12-05); a 61-character LLM serving
workload name still made it print ``223.5 …`` and ``2…`` at 100 and 80 columns, and a zero-width
column, before rule 4 (2026-12-06). Widths are terminal cells (``rich.cells.cell_len``), not
characters: a CJK ideograph or an emoji takes two, and ``len()`` sizing cut ``长短期 甲`` and
``长短期 乙`` both to ``长短期 …`` (find-L 3).
"""

from __future__ import annotations

from rich.cells import cell_len

#: a rich table's cost per column beyond its text: a border and one space of padding each side
#: (the default box), and one border closing the row
_PER_COLUMN, _CLOSE = 3, 1
#: the name columns, which fold (rule 4) once the columns to leave out first are out
NAMES = ("workload", "architecture")


def _text(cell) -> str:
    return cell if isinstance(cell, str) else str(getattr(cell, "plain", cell))


def _width(cell) -> int:
    return max((cell_len(line) for line in _text(cell).splitlines()), default=0)


def _word(cell) -> int:
    """The longest word of a cell: a wrapping column narrower than it would cut the word."""
    return max((cell_len(w) for w in _text(cell).replace("\u00a0", " ").split()), default=0)


def _need(h: str, i: int, rows: list[list], wrapping: dict[str, int]) -> int:
    if h in wrapping:  # its header wraps too; its floor, unless every cell is narrower
        head = max((cell_len(word) for word in h.split()), default=0)
        one_line = max([head, *(_width(r[i]) for r in rows)])
        return max([head, min(wrapping[h], one_line), *(_word(r[i]) for r in rows)])
    return max([cell_len(h), *(_width(r[i]) for r in rows)])  # an unwrapped column's header is whole


def _fit(headers: list[str], rows: list[list], width: int, wrapping: dict[str, int],
         drop: list[str]) -> tuple[list[str], dict[str, int]]:
    """The columns shown and their widths (rules above, a folded name at its folded width)."""
    need = {h: _need(h, i, rows, wrapping) for i, h in enumerate(headers)}

    def total(cols: list[str]) -> int:
        return sum(need[c] + _PER_COLUMN for c in cols) + _CLOSE

    shown = list(headers)
    for h in drop:
        if total(shown) <= width:
            break
        if h in shown:
            shown.remove(h)
    folding = [h for h in shown if h in NAMES]
    while total(shown) > width:
        wide = [h for h in folding if need[h] > cell_len(h)]
        if wide:  # rule 4: the widest name folds a character narrower
            need[max(wide, key=lambda h: need[h])] -= 1
        elif len(shown) > len(folding):  # then the rightmost other column is left out
            shown.remove([h for h in shown if h not in NAMES][-1])
        else:
            break
    return shown, {h: need[h] for h in shown}


def fit_columns(headers: list[str], rows: list[list], width: int, wrapping: dict[str, int],
                drop: list[str]) -> list[str]:
    """The headers of the columns to show in ``width`` characters (rules above): ``wrapping``
    names the text columns and their narrowest width; ``drop`` the columns to leave out first."""
    return _fit(headers, rows, width, wrapping, drop)[0]


def fitted_table(title: str, headers: list[str], rows: list[list], width: int,
                 wrapping: dict[str, int], drop: list[str], left: set[str]):
    """``(rich Table, headers left out)``: the columns :func:`fit_columns` keeps, numbers and
    names unwrapped at their full width (right-aligned but those in ``left``)."""
    from rich.table import Table

    shown, need = _fit(headers, rows, width, wrapping, drop)
    # every width set here: rich 15 shrank a text column below its longest word (ellipsised)
    # and, given min_width, cropped the table's right edge
    full = {h: max([cell_len(h), *(_width(r[headers.index(h)]) for r in rows)]) for h in shown}
    slack = width - sum(need.values()) - _PER_COLUMN * len(shown) - _CLOSE
    for h in shown:  # text columns and folded names widen toward one line while room is left
        if (h in wrapping or h in NAMES) and slack > 0:
            more = min(slack, full[h] - need[h])
            need[h] += more
            slack -= more
    t = Table(title=title, title_justify="left")
    for h in shown:
        folded = h in NAMES and need[h] < full[h]
        t.add_column(h, justify="left" if h in left else "right",
                     no_wrap=h not in wrapping and not folded, overflow="fold" if folded else "ellipsis",
                     width=need[h])
    for r in rows:
        t.add_row(*(r[headers.index(h)] for h in shown))
    return t, [h for h in headers if h not in shown]


def left_out_line(left_out: list[str], width: int) -> str:
    """What a table left out, said under it."""
    return (f"({', '.join(left_out)} not shown at {width} columns: a wider terminal shows "
            f"{'it' if len(left_out) == 1 else 'them'}, and -o FILE writes every column)")


def folded_table(title: str, headers: list[str], rows: list) -> "Table":
    """A table of a name column (the first) and number columns (``run``'s energy by part and
    utilization): each number column as wide as its widest cell, never cut nor broken before
    its unit; the names fold (wrap mid-word) in what is left, never cut with an ellipsis (at 30
    columns ``processor_mac`` and ``processor_busy`` both printed ``processor_…``, and ``61.14``
    and ``mJ`` on two lines: find-A 5)."""
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    t.add_column(headers[0], overflow="fold")
    for i, h in enumerate(headers[1:], 1):
        t.add_column(h, justify="right", no_wrap=True,
                     min_width=max([cell_len(h), *(_width(r[i]) for r in rows)]))
    for r in rows:
        t.add_row(*r)
    return t
