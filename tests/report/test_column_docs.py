"""The README's "Result columns" table is written from cimsim/report/columns.py
(cimsim.report.column_docs) and cannot go stale: the README's block must be what the module
writes, every column columns.py names must have a row (and no row a column it no longer names),
and every column of a real run must match a row."""

from __future__ import annotations

import re
from pathlib import Path

from cimsim import load_architecture, load_workload, simulate
from cimsim.report import column_docs

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_table_is_the_one_columns_py_writes():
    block = column_docs.readme_block(README.read_text(encoding="utf-8"))
    assert block, f"README.md has no {column_docs.BEGIN!r} block"
    assert block == column_docs.markdown_table(), (
        "README's Result columns table is stale: run "
        "`python -m cimsim.report.column_docs --write README.md`")


def test_every_named_column_has_one_row_and_no_row_is_stale():
    rows = [name for name, *_ in column_docs.DOCS]
    assert len(rows) == len(set(rows)), "a column documented twice"
    assert set(rows) == column_docs.documented_columns()
    assert all(unit and meaning and where for _, meaning, unit, where in column_docs.DOCS)


def test_every_column_of_a_run_matches_a_row():
    r = simulate(load_architecture("sram-cim"), load_workload("lstm"))
    patterns = [re.compile("^" + re.sub(r"<[^>]+>", ".+", re.escape(n).replace(r"\<", "<")
                                        .replace(r"\>", ">")) + "$")
                for n, *_ in column_docs.DOCS]
    cols = list(r.record()) + list(r.to_json())
    breakdowns = {"energy_breakdown_j", "utilization", "critical_path_time_s", "traffic_bytes",
                  "write_bytes", "ops_per_unit", "area_breakdown_m2", "provenance", "notes"}
    missing = [c for c in cols if c not in breakdowns and not any(p.match(c) for p in patterns)]
    assert not missing, missing
    # the nested --json breakdowns are named in the table's last column
    named = " ".join(where for *_, where in column_docs.DOCS)
    assert all(f"`{b}`" in named for b in breakdowns - {"provenance", "notes"})


def test_a_stale_readme_is_caught(tmp_path):
    text = README.read_text(encoding="utf-8")
    stale = text.replace("| `latency_s` |", "| `latency_seconds` |", 1)
    assert column_docs.readme_block(stale) != column_docs.markdown_table()
    p = tmp_path / "README.md"
    p.write_text(stale, encoding="utf-8")
    assert column_docs.main(["--write", str(p)]) == 0
    assert column_docs.readme_block(p.read_text(encoding="utf-8")) == column_docs.markdown_table()
