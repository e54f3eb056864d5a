"""`cimsim run --placement` writes its rows as text in rich's layout (issue: the text table cost
~0.5 ms of CPU an op, 44 s for 80,000 ops, all of it rich laying out one table row at a time).

The rows are held to rich's own rendering of the same table, line for line: one row at a time
(:func:`row_lines` against a one-row rich table), and a whole run's output against the rich path
(every row added to the rich table, as before).
"""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from rich.console import Console
from rich.table import Table

from cimsim.cli import main
from cimsim.commands import placement as P


def _rich_lines(values, widths: dict[str, int]) -> list[str]:
    t = P._table(widths)
    t.title, t.show_header = None, False
    t.add_row(*values)
    buf = io.StringIO()
    Console(file=buf, width=200, markup=False, color_system=None).print(t)
    return buf.getvalue().splitlines()


WIDTHS = {"#": 3, "op": 12, "kind": 6, "unit": 18, "MACs": 7, "time": 8}


@pytest.mark.parametrize("values", [
    # fits: every cell padded to its width, numbers right-justified, two spaces between columns
    ["7", "l0.t3.cell", "matmul", "processor", "16.78 M", "5.507 µs"],
    # a 30-character op name in a 12-wide column folds into 12 + 12 + 6 characters over 3 lines
    ["12", "model.layers.0.self_attn.q_pr", "matmul", "cim (spilled)", "0", "1 ns"],
    # exactly 12 characters: one line
    ["0", "abcdefghijkl", "copy", "processor (pim)", "0", "0 s"],
])
def test_a_row_is_laid_out_as_rich_lays_it_out(values):
    lines = P.row_lines(values, list(WIDTHS.values()), [c in P._TEXT for c in WIDTHS])
    assert lines == _rich_lines(values, WIDTHS)
    # 3 + 12 + 6 + 18 + 7 + 8 = 54 characters of cells, 5 gaps of 2: every line 64 wide
    assert all(len(line) == 64 for line in lines)


@pytest.mark.parametrize("op", ["model layers 0 self attn q proj", "名前の長い演算子です", "a\tb"])
def test_rows_only_rich_can_lay_out_are_left_to_rich(op):
    # a name to wrap at its spaces, wide characters, a tab: rich's measures, not characters
    assert P.row_lines(["1", op, "copy", "processor", "0", "0 s"], list(WIDTHS.values()),
                       [c in P._TEXT for c in WIDTHS]) is None


@pytest.mark.parametrize("columns", ["80", "200"])
def test_run_placement_equals_the_rich_table(columns, monkeypatch):
    args = ["run", "gpu-hbm3", "lstm", "--placement", "--engine", "analytic"]
    added = []
    add_row = Table.add_row

    def counting(self, *cells, **kw):
        added.append(cells)
        return add_row(self, *cells, **kw)

    monkeypatch.setattr(Table, "add_row", counting)
    fast = CliRunner(env={"COLUMNS": columns}).invoke(main, args)
    assert fast.exit_code == 0, fast.output
    n_fast = len(added)
    # the rich path: every row laid out by rich, a row at a time (a table wider than the
    # terminal is no longer printed by rich, which cut its numbers: find-L 6)
    monkeypatch.setattr(P, "row_lines", lambda values, widths, text: None)
    slow = CliRunner(env={"COLUMNS": columns}).invoke(main, args)
    assert slow.exit_code == 0, slow.output
    assert fast.stdout == slow.stdout
    # every op is one more rich row on the rich path than on the text path (the other tables
    # of the run are rich's on both); the table lists every op
    from cimsim import bundled
    from cimsim.workload import load_workload

    ops = len(load_workload(bundled.resolve_workload("lstm")).ops)
    assert len(added) - 2 * n_fast == ops
    table = fast.stdout[fast.stdout.index("placement (per op"):].splitlines()
    assert [line.split()[0] for line in table[2:2 + ops]] == [str(i) for i in range(ops)]


def test_rows_left_to_rich_print_as_in_the_one_rich_table(monkeypatch, capsys):
    import pandas as pd

    # op names to wrap at spaces (rich's row) between names that fold (the text rows)
    names = ["embed", "a name with spaces that wraps", "model.layers.0.self_attn.q_proj.mm", "名前"]
    df = pd.DataFrame({"op": names, "kind": ["copy"] * 4, "unit": ["processor"] * 4,
                       "macs": [0.0, 1e6, 2e9, 0.0], "dram_bytes": [16.0, 2e3, 4e6, 0.0],
                       "compute_s": [1e-9] * 4, "fixed_latency_s": [5e-6] * 4, "start_s": [0.0, 1e-6, 2e-6, 3e-6],
                       "end_s": [1e-6, 2e-6, 3e-6, 4e-6], "spilled": [False, True, False, False]})

    class R:
        op_table = df

    monkeypatch.setenv("COLUMNS", "80")
    P.print_placement(R())
    fast = capsys.readouterr().out
    monkeypatch.setattr(P, "row_lines", lambda values, widths, text: None)  # every row rich's
    P.print_placement(R())
    assert fast == capsys.readouterr().out
    assert "processor (spilled)" in fast
