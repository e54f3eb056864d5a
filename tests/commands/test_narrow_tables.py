"""Tables on narrow terminals and with wide characters (find-A 4, find-A 5, find-L 3, find-L 6):
what a title promises stays, no name or number is cut with "…", no number leaves its unit."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from cimsim import bundled
from cimsim.cli import main
from cimsim.report.baseline import ratio
from cimsim.report.format import NBSP, keep_units


def _cli(cols: str, *args):
    res = CliRunner(env={"COLUMNS": cols}).invoke(main, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return res.output


def _table(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln[:1] in "┏┃┡│└"]


@pytest.mark.parametrize("cols", ["80", "100"])
def test_compare_baseline_keeps_its_ratios_at_80_and_100_columns(cols, tmp_path):
    """The title says 'speed-up and energy ratio against cpu-ddr5'; at 80 and 100 columns both
    columns were left out before power, area and bound (find-A 4)."""
    csv = tmp_path / "c.csv"
    out = _cli(cols, "compare", "cpu-ddr5", "sram-cim", "-w", "lstm", "--engine", "analytic",
               "--baseline", "cpu-ddr5", "-o", csv)
    assert "speed-up and energy ratio against cpu-ddr5" in out
    table = _table(out)
    assert max(len(ln) for ln in table) <= int(cols)
    head = table[1]
    assert "speed-up ×" in head and "energy ratio" in head, head
    df = pd.read_csv(csv).set_index("architecture")
    lat, en = df["latency_s"], df["energy_j"]
    row = next(ln for ln in table if "sram-cim" in ln)
    # speed-up = baseline latency / latency; energy ratio = energy / baseline energy
    assert ratio(lat["cpu-ddr5"] / lat["sram-cim"]) in row
    assert ratio(en["sram-cim"] / en["cpu-ddr5"]) in row
    said = " ".join(out.split())
    left_out = said[said.index("└"):said.index("not shown")]  # the columns named under the table
    assert "power" in left_out and "speed-up" not in left_out and "energy ratio" not in left_out


@pytest.mark.parametrize("cols, shown", [("80", False), ("200", True)])
def test_compare_prints_the_area_footnote_only_under_an_area_column(cols, shown):
    """`--baseline` leaves area out first, yet "(part) area of the parts that declare one ..."
    was printed under the 80-column table without it (review19-E 5); at 200 columns area shows."""
    out = _cli(cols, "compare", "cpu-ddr5", "sram-cim", "hbm-pim", "-w", "lstm", "--engine",
               "analytic", "--baseline", "cpu-ddr5")
    table = _table(out)
    head = " ".join(table[1:next(i for i, ln in enumerate(table) if ln.startswith("┡"))])
    assert ("area" in head) is shown, head
    assert ("(part) area of the parts" in out) is shown


def test_compare_sizes_names_by_terminal_cells(tmp_path):
    """CJK names take two cells a character: sized by len(), `长短期 甲` and `长短期 乙` both
    printed `长短期 …` (find-L 3)."""
    cfg = tmp_path / "cn.yaml"
    src = bundled.resolve_config("cpu-ddr5").read_text(encoding="utf-8")
    cfg.write_text(src.replace("name: cpu-ddr5", 'name: "中央处理器 甲"', 1), encoding="utf-8")
    wls = []
    for n in "甲乙":
        w = tmp_path / f"w{n}.json"
        _cli("200", "workload", "lstm", "--input-size", "8", "--hidden", "8", "--layers", "1",
             "--steps", "1", "--name", f"长短期 {n}", "-o", w)
        wls += ["-w", w]
    out = _cli("200", "compare", cfg, *wls, "--engine", "analytic")
    table = _table(out)
    assert not any("…" in ln for ln in table), "\n".join(table)
    assert sum("长短期 甲" in ln for ln in table) == 1 and sum("长短期 乙" in ln for ln in table) == 1
    assert all("中央处理器 甲" in ln for ln in table if ln.startswith("│"))


@pytest.mark.parametrize("cols", [30, 40])
def test_run_tables_fold_names_and_keep_numbers_whole(cols):
    """At 30 columns `processor_mac` and `processor_busy` printed `processor_m…` and
    `processor_b…`, and `61.14` and `mJ` fell on two lines (find-A 5)."""
    out = _cli(str(cols), "run", "cpu-ddr5", "hier-attn", "--engine", "analytic")
    lines = out.splitlines()
    start = lines.index("energy by part")
    tables = lines[start:]
    assert not any("…" in ln for ln in tables)
    assert max(len(ln) for ln in _table("\n".join(tables))) <= cols
    cells = ["".join(c.strip() for c in ln.strip("│").split("│")[:1]) for ln in _table("\n".join(tables))
             if ln.startswith("│")]
    joined = "".join(cells)  # a folded name reads whole again, its pieces put back together
    assert "processor_mac" in joined and "processor_busy" in joined and "processor_compute" in joined
    for ln in _table("\n".join(tables)):
        for cell in ln.strip("│").split("│")[1:]:
            c = cell.strip()
            assert not c or c.endswith(("J", "%")), ln  # a number is never without its unit
    # the summary: a label that wraps stays in its indented column, never at column 0
    head = lines[next(i for i, ln in enumerate(lines) if ln.startswith("  latency")):start]
    assert all(ln.startswith("  ") for ln in head if ln), "\n".join(head)


@pytest.mark.parametrize("cols", [30, 40])
def test_run_summary_on_a_cim_run_keeps_every_value_whole(cols):
    """A CIM run's programming row forced the value column to its longest word,
    `(programming_energy_j,` (22 cells), so at 30-45 columns rich cropped every wrapped value:
    `interconnect 49.1` lost its `%`, `1,402 serial ste` (final-read19-2 #2)."""
    def summary(c):
        return _cli(str(c), "run", "sram-cim", "lstm", "--engine", "analytic").split("energy by part")[0]

    wide, narrow = summary(400), summary(cols)
    assert max(len(ln) for ln in narrow.splitlines()) <= cols
    assert "…" not in narrow
    # nothing cut: the same characters, only wrapped (a word longer than the column folds)
    assert sorted("".join(narrow.split())) == sorted("".join(wide.split()))
    flat = " ".join(narrow.split())
    groups = [w.replace(NBSP, " ") for w in keep_units(" ".join(wide.split())).split(" ") if NBSP in w]
    assert groups and all(g in flat for g in groups)  # no number leaves its unit
    assert all(g in flat for g in ("49.1 %", "1,402 serial"))


def test_placement_at_40_columns_keeps_time_and_end_whole_and_says_when_too_narrow():
    """At 40 columns `--placement` printed `2.4…` and `2.41…` for the op's time and end, and
    `66.0…` for its bytes (find-L 6): whole columns now go, then names fold, else one line."""
    out = _cli("40", "run", "cpu-ddr5", "lstm", "--placement", "--engine", "analytic")
    table = out[out.index("placement (per op"):].splitlines()
    assert not any("…" in ln for ln in table)
    assert table[2].split() == ["op", "unit", "time", "end"]
    first = table[3].split()
    assert first[0] == "l0.xproj" and first[1] == "processor"
    assert first[3] in ("ns", "µs", "ms", "s") and first[5] == first[3]  # each number beside its unit
    assert "not shown at 40 columns" in " ".join(out.split())
    narrow = _cli("20", "run", "cpu-ddr5", "lstm", "--placement", "--engine", "analytic")
    assert "(placement not shown at 20 columns" in " ".join(narrow.split())
    assert "placement (per op" not in narrow
