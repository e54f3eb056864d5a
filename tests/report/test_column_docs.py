"""The README's "Result columns" table is written from cimsim/report/columns.py
(cimsim.report.column_docs): the README's block must be what the module writes, every column
columns.py names must have a row (and no row a column it no longer names), each row's meaning is
columns.py's own `#:` comment (a pattern's: its function's docstring; they were written a second
time in column_docs), each unit agrees with its name's unit suffix, and every column of a real
run must match a row."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cimsim import load_architecture, load_workload, simulate
from cimsim.report import column_docs, columns as C

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
    assert all(unit and where for _, unit, where in column_docs.DOCS)
    meaning = column_docs.meanings()
    undocumented = [name for name in rows if not meaning.get(name)]
    assert not undocumented, f"columns.py gives these no #: comment (or docstring): {undocumented}"


def test_each_meaning_is_the_one_columns_py_writes(tmp_path, monkeypatch):
    """Change a definition in columns.py and the table's row follows it (the README row of
    `bound_link_s` stayed as it was when only column_docs held the meanings)."""
    source = Path(C.__file__).read_text(encoding="utf-8")
    old = "#: lower bound from the links: the largest bytes / effective bandwidth over the links"
    assert old in source
    copy = tmp_path / "columns.py"
    copy.write_text(source.replace(old, "#: a new definition of the link bound"), encoding="utf-8")
    row = next(ln for ln in column_docs.markdown_table().splitlines() if ln.startswith("| `bound_link_s`"))
    assert row.startswith("| `bound_link_s` | lower bound from the links: the largest bytes / "
                          "effective bandwidth over the links (and the components' ")
    monkeypatch.setattr(C, "__file__", str(copy))
    row = next(ln for ln in column_docs.markdown_table().splitlines() if ln.startswith("| `bound_link_s`"))
    assert row.startswith("| `bound_link_s` | a new definition of the link bound (and the ")
    # a pattern's meaning is its function's docstring
    assert column_docs.meanings()["ops_<component>"] == C.ops_column.__doc__


def test_the_bound_s_meaning_names_every_bound():
    assert all(b in column_docs.meanings()[C.BOUND] for b in C.BOUNDS)


SI_UNITS = {"s", "J", "W", "m²", "dB", "B", "W/m²", "1/s", "op/s", "op/J", "op/(s·m²)"}


@pytest.mark.parametrize("name,unit,where", column_docs.DOCS, ids=[n for n, *_ in column_docs.DOCS])
def test_each_unit_agrees_with_the_name_s_suffix(name, unit, where):
    said = column_docs.suffix_unit(name)  # columns.py's convention: the unit in the name
    if name.startswith("util_"):
        said = "fraction"
    if said is None:  # no unit suffix: then no physical unit either (a count, label, ratio)
        assert unit not in SI_UNITS, (name, unit)
    else:
        assert unit == said, (name, unit, said)


def test_every_column_of_a_run_matches_a_row():
    r = simulate(load_architecture("sram-cim"), load_workload("lstm"))
    patterns = [re.compile("^" + re.sub(r"<[^>]+>", ".+", re.escape(n).replace(r"\<", "<")
                                        .replace(r"\>", ">")) + "$")
                for n, *_ in column_docs.DOCS]
    cols = list(r.record()) + list(r.to_json())
    breakdowns = {"energy_breakdown_j", "utilization", "critical_path_time_s", "traffic_bytes",
                  "write_bytes", "ops_per_unit", "area_breakdown_m2", "steady_energy_by_part_j",
                  "provenance", "notes"}
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


@pytest.mark.parametrize("column,unit", [
    ("power_density_w_per_m2", "W/m²"), ("ops_per_j", "op/J"), ("decode_tokens_per_s", "token/s"),
    ("throughput_macs_per_s", "MAC/s"), ("ops_per_s_per_m2", "op/(s·m²)"), ("energy_j", "J"),
    ("energy_cim_adc_j", "J"), ("area_cim_m2", "m²"), ("cim_area_needed_m2", "m²"),
    ("accuracy_top1", ""), ("extrapolated", ""), ("workload", ""), ("cim.adc.bits", "")])
def test_column_unit_is_the_table_s(column, unit):
    """A rate is in its own unit, not its denominator's (review-3 #2: power_density_w_per_m2 was
    drawn in m², ops_per_j labelled J, decode_tokens_per_s labelled s)."""
    assert column_docs.column_unit(column) == unit


def test_the_readme_json_key_list_names_every_fixed_column_in_order():
    """README "`--json` prints one object with ...": the fixed columns in columns.py's order
    (`notes` last, after the breakdowns; it listed the graph-depth keys after
    critical_path_serial_steps and left out the footprint keys, appended after `notes`)."""
    text = README.read_text(encoding="utf-8")
    para = text[text.index("`--json` prints one object with"):]
    para = para[:para.index("the breakdowns")]
    named = [n for n in dict.fromkeys(re.findall(r"`([a-z0-9_]+)`", para)) if n in C.FIXED_COLUMNS and n != C.NOTES]
    assert named == [c for c in C.FIXED_COLUMNS if c != C.NOTES]
