"""``cimsim report --period T --deadline D`` (left 21 1): the page has a table of each run at
that load, with units, a run too slow for the period says so, and results.csv has the period and
deadline columns.

Closed forms, on the round config with every memory energy 0 and a 1 W processor: one 1 x 16
x 16 fp32 GEMV is 256 MACs x 4 pJ = 1.024 nJ of dynamic energy; at one run every 1 ms a period
costs 1 W x 1 ms + 1.024 nJ = 1.000001 mJ (1.000001 W). With ``processor.op_overhead`` 2 ms
the run takes over 2 ms: too slow for 1 ms, and it misses a 1.5 ms deadline.
"""

from __future__ import annotations

import copy
import html

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.report import columns as C
from cimsim.report.format import si
from cimsim.workload import save_workload
from conftest import ROUND_ARCH, gemv_workload


def test_report_at_a_period_and_deadline(tmp_path):
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"]["sram"]["energy_per_byte"] = "0 pJ/B"
    d["memory"]["dram"]["energy_per_bit"] = "0 pJ/bit"
    (tmp_path / "fast.yaml").write_text(yaml.safe_dump({**d, "name": "fast"}, sort_keys=False))
    d["processor"]["op_overhead"] = "2 ms"
    (tmp_path / "slow.yaml").write_text(yaml.safe_dump({**d, "name": "slow"}, sort_keys=False))
    save_workload(gemv_workload(16, 16), tmp_path / "gemv.json")
    res = CliRunner().invoke(main, ["report", str(tmp_path / "fast.yaml"), str(tmp_path / "slow.yaml"),
                                    "-w", str(tmp_path / "gemv.json"), "-o", str(tmp_path / "out"),
                                    "--no-timelines", "--period", "1ms", "--deadline", "1.5ms"])
    assert res.exit_code == 0, res.output
    page = html.unescape((tmp_path / "out" / "report.html").read_text(encoding="utf-8"))
    table = page[page.index('<table id="load">'):]
    table = table[:table.index("</table>")].replace("\u00a0", " ")
    for head in ("period", "energy per period", "energy per sample", "average power", "busy",
                 "deadline", "slack"):
        assert f">{head}</th>" in table
    fast = table[table.index(">fast</td>"):table.index(">slow</td>")]
    assert ">1 ms (1 kHz)</td>" in fast and ">1 mJ</td>" in fast and ">1 W</td>" in fast  # 1.000001
    assert ">1.5 ms</td>" in fast and "MISSED" not in fast
    slow = table[table.index(">slow</td>"):]
    assert ">too slow (2 ms)</td>" in slow and ">n/a (too slow)</td>" in slow
    # find-Q 1: a 2 ms run every 1 ms queues without bound: no slack (was -500 µs, one run's)
    assert ">MISSED (too slow for the period)</td>" in slow
    assert "period 1 ms (1 kHz) is shorter than one run of gemv on slow" in page  # its note
    df = pd.read_csv(tmp_path / "out" / "results.csv").set_index(C.ARCHITECTURE)
    assert df.loc["fast", C.PERIOD_ENERGY_J] == pytest.approx(1e-3 + 256 * 4e-12, rel=1e-9, abs=0)
    assert df.loc["fast", C.PERIOD_AVERAGE_POWER_W] == pytest.approx(1.0 + 256 * 4e-12 / 1e-3, rel=1e-9, abs=0)
    assert pd.isna(df.loc["slow", C.PERIOD_ENERGY_J]) and df.loc["slow", C.PERIOD_S] == pytest.approx(1e-3, rel=1e-12, abs=0)
    assert df[C.MEETS_DEADLINE].tolist() == [True, False]


def test_report_refuses_a_bad_period_in_one_line(tmp_path):
    res = CliRunner().invoke(main, ["report", "cpu-ddr5", "-w", "lstm", "-o", str(tmp_path / "o"),
                                    "--period", "soon"])
    assert res.exit_code == 1 and res.output.startswith("Error: --period 'soon': ")
    assert res.output.count("\n") == 1 and not (tmp_path / "o").exists()


def test_report_under_idle_gate_with_harvest_and_storage(tmp_path):
    """``--idle gate``: the table says what the parts do between runs, the harvest rate and the
    runs a charge powers, and its note gives gate's energy, never "nothing power-gated" (review 22
    B 1, F 5). The 1 W processor, gated at the default 0 W and waking in 0 s, draws 1 W x the
    latency t + 1.024 nJ a wake-up; a harvest of 10 x that a second sustains 10 runs/s (every 100 ms),
    and a store of 2.5 x that powers 2 runs. compare's CSV keeps period_idle without a period."""
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"]["sram"]["energy_per_byte"] = "0 pJ/B"
    d["memory"]["dram"]["energy_per_bit"] = "0 pJ/bit"
    (tmp_path / "a.yaml").write_text(yaml.safe_dump({**d, "name": "gated"}, sort_keys=False))
    save_workload(gemv_workload(16, 16), tmp_path / "gemv.json")
    args = [str(tmp_path / "a.yaml"), "-w", str(tmp_path / "gemv.json")]
    first = CliRunner().invoke(main, ["compare", *args, "-o", str(tmp_path / "c.csv"), "--idle", "gate",
                                      "--storage", "1J"])
    assert first.exit_code == 0, first.output
    row = pd.read_csv(tmp_path / "c.csv").iloc[0]
    assert row[C.PERIOD_IDLE] == "gate" and C.PERIOD_S not in row.index
    e_b = float(row[C.LATENCY]) * 1.0 + 256 * 4e-12
    assert row[C.STORAGE_RUN_ENERGY_J] == pytest.approx(e_b, rel=1e-9, abs=0)
    res = CliRunner().invoke(main, ["report", *args, "-o", str(tmp_path / "out"), "--no-timelines",
                                    "--period", "1s", "--deadline", "1ms", "--idle", "gate",
                                    "--harvest", f"{10 * e_b!r}W", "--storage", f"{2.5 * e_b!r}J"])
    assert res.exit_code == 0, res.output
    page = html.unescape((tmp_path / "out" / "report.html").read_text(encoding="utf-8"))
    table = page[page.index('<table id="load">'):page.index("</table>", page.index('<table id="load">'))]
    for head in ("between runs", "harvest rate", "runs a charge"):
        assert f">{head}<" in table, head
    assert "gate: idle 0\u00a0W, wake 0\u00a0s, 0\u00a0J" in table
    assert "10\u00a0Hz (every 100\u00a0ms)" in table and f">2\u00a0runs of {si(e_b, 'J').replace(' ', chr(0xa0))}<" in table
    note = page[page.index('id="load-note"'):]
    assert "--idle gate: the parts wake" in note and "nothing power-gated" not in note[:note.index("</p>")]
    assert "against period_wake_s + the DES" in note
