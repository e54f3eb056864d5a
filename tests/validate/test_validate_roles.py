"""Every validation case has a role (predicted / consistency / fit), and a suite's error is
reported over its predicted cases, with the all-cases figure beside it.

The per-suite counts below are the audit of 2026-12-03 (/work/notes/audit.md): what each suite
fits, is given, or predicts, read from its code, config and notes. A case added to a suite, or a
role changed, fails here until the count (and the audit) is updated."""

from __future__ import annotations

import math
import re

import pytest

from cimsim import validate
from cimsim.validate import CONSISTENCY, FIT, PREDICTED, ROLES, Case, run, summary


def _df(cases):
    import pandas as pd

    from dataclasses import asdict

    return pd.DataFrame([{**asdict(c), "rel_error": c.rel_error} for c in cases])


#: a tiny suite: errors +10 %, -30 %, +50 % predicted; 0 % fitted; -2 % given
TINY = [Case("a", "p1", "s", 1.0, 1.1, "closed form", PREDICTED),
        Case("a", "p2", "s", 2.0, 1.4, "closed form", PREDICTED),
        Case("a", "p3", "s", 4.0, 6.0, "closed form", PREDICTED),
        Case("a", "f1", "s", 1.0, 1.0, "closed form", FIT),
        Case("a", "c1", "s", 5.0, 4.9, "closed form", CONSISTENCY),
        Case("b", "f2", "s", 1.0, 1.25, "closed form", FIT)]


def test_summary_median_excludes_fit_and_consistency_cases():
    s = summary(_df(TINY)).set_index("suite")
    a = s.loc["a"]
    assert (a.cases, a.predicted, a.consistency, a.fit) == (5, 3, 1, 1)
    # predicted |errors| 0.1, 0.3, 0.5: median 0.3, worst 0.5
    assert a.median_abs_error_predicted == pytest.approx(0.3, abs=1e-12)
    assert a.worst_abs_error_predicted == pytest.approx(0.5, abs=1e-12)
    # all five |errors| 0, 0.02, 0.1, 0.3, 0.5: median 0.1 (the fit and the given case pull it down)
    assert a.median_abs_error == pytest.approx(0.1, abs=1e-12)
    assert a.worst_abs_error == pytest.approx(0.5, abs=1e-12)
    # a suite with no predicted case has no predicted median (not the fit's 25 %)
    b = s.loc["b"]
    assert (b.cases, b.predicted, b.fit) == (1, 0, 1)
    assert math.isnan(b.median_abs_error_predicted) and math.isnan(b.worst_abs_error_predicted)
    assert b.median_abs_error == pytest.approx(0.25, abs=1e-12)


def test_a_bound_is_counted_met_or_missed_not_averaged_as_an_error():
    """A met published bound ("over 60 %") has no error, but it is not a 0 % point error: a suite
    of one met bound and one point miss of 50 % has median 50 %, not (0 + 50) / 2 = 25 %. A
    missed bound (an upper bound of 1.0 predicted at 1.2: +20 %) is counted missed and left
    out of the medians too."""
    cases = [Case("p", "speed-up", "x", 8.0, 4.0, "closed form"),  # -50 %
             Case("p", "saving", "%", 60.0, 77.0, "closed form", bound="lower"),  # met
             Case("q", "ratio", "x", 1.0, 1.2, "closed form", bound="upper"),  # missed
             Case("q", "time", "s", 2.0, 2.2, "closed form")]  # +10 %
    s = summary(_df(cases)).set_index("suite")
    p, q = s.loc["p"], s.loc["q"]
    assert p.median_abs_error_predicted == pytest.approx(0.5, abs=1e-12)
    assert p.median_abs_error == pytest.approx(0.5, abs=1e-12)
    assert (p.bounds_met, p.bounds_missed) == (1, 0)
    assert q.median_abs_error_predicted == pytest.approx(0.1, abs=1e-12)
    assert q.worst_abs_error_predicted == pytest.approx(0.1, abs=1e-12)  # not the bound's 20 %
    assert (q.bounds_met, q.bounds_missed) == (0, 1)
    # a suite of bounds only has no point median
    only = summary(_df(cases[1:2])).iloc[0]
    assert math.isnan(only.median_abs_error_predicted) and math.isnan(only.median_abs_error)


def test_group_summary_gives_each_source_its_median_beside_the_pooled_one():
    """Source A: |errors| 10, 20, 30 %; source B: 80 %: pooled median (20 + 30) / 2 = 25 %, A's
    20 %, B's 80 %; cases without a group are in no group row."""
    from cimsim.validate import group_summary

    cases = [Case("m", f"a{i}", "s", 1.0, 1.0 + e, "src", group="A") for i, e in enumerate((0.1, 0.2, 0.3))]
    cases += [Case("m", "b", "s", 1.0, 1.8, "src", group="B"), Case("n", "x", "s", 1.0, 1.5, "src")]
    df = _df(cases)
    assert summary(df).set_index("suite").loc["m"].median_abs_error_predicted == pytest.approx(0.25, abs=1e-12)
    g = group_summary(df).set_index(["suite", "group"])
    assert list(g.index) == [("m", "A"), ("m", "B")]
    assert g.loc[("m", "A")].median_abs_error_predicted == pytest.approx(0.2, abs=1e-12)
    assert g.loc[("m", "A")].worst_abs_error_predicted == pytest.approx(0.3, abs=1e-12)
    assert g.loc[("m", "B")].median_abs_error_predicted == pytest.approx(0.8, abs=1e-12)
    assert (g.loc[("m", "A")].cases, g.loc[("m", "A")].predicted) == (3, 3)


def test_a_case_without_a_known_role_is_refused():
    assert Case("a", "x", "s", 1.0, 1.0, "src").role == PREDICTED  # the default
    with pytest.raises(ValueError, match="role 'tuned' is not one of"):
        Case("a", "x", "s", 1.0, 1.0, "src", role="tuned")


def test_cli_shows_the_role_and_the_predicted_median(monkeypatch, tmp_path):
    import pandas as pd
    from click.testing import CliRunner

    from cimsim.commands.validate import validate as command

    validate._load_builtin()
    monkeypatch.setitem(validate._SUITES, "tiny-roles", (lambda: list(TINY[:5]), "test suite"))
    out = tmp_path / "cases.csv"
    res = CliRunner().invoke(command, ["-s", "tiny-roles", "-o", str(out)])
    assert res.exit_code == 0, res.output
    rows = [[c.strip() for c in x.strip().strip("│").split("│")] for x in res.output.splitlines()
            if x.startswith("│ a ")]  # the cases' suite is "a"
    # the case table: the role beside the error
    assert ["p1", "10.0 %", "predicted"] == [rows[0][1], rows[0][4], rows[0][5]]
    assert [r[5] for r in rows[:5]] == ["predicted"] * 3 + ["fit", "consistency"]
    # suite, cases, predicted, consistency, fit, median, worst (predicted), median, worst (all),
    # bounds met / missed ("-": the suite has no bound)
    assert rows[5] == ["a", "5", "3", "1", "1", "30.0 %", "50.0 %", "10.0 %", "50.0 %", "-"]
    df = pd.read_csv(out)
    assert list(df.role) == ["predicted"] * 3 + ["fit", "consistency"]


#: (predicted, consistency, fit) per published suite, as audited (host and host-unseen: timed, not
#: run here; host-unseen's shapes are chosen outside the calibration grid and the host suite, so
#: every case of it is predicted: tests/validate/test_host_unseen.py)
AUDITED = {
    "cim-accuracy": (2, 0, 0),
    "cim-published": (32, 6, 8),  # ISAAC PE and CE: ratios of inputs, consistency (2026-12-06)
    "cim-macros": (134, 2, 0),  # + Chih adder-tree DCIM, 3 predicted (2026-12-06)
    "cim-chip": (8, 2, 6),  # VGG-8 TOPS fit since 2026-12-04: ops over the fit stage
    "gpu-published": (192, 0, 42),  # all 27 T4 rows: a model choice followed them (2026-12-06)
    # the 45 Ramulator runs seen when the model was built (ramulator_runs.csv seen_by): fit
    "dram": (73, 22, 60),
    "llm-published": (125, 3, 14),
    "pim-published": (2, 0, 0),
    "systolic": (150, 0, 0),
}
#: what a case's name says when it is fitted, given or a table's source: never "predicted"
NOT_PREDICTED = re.compile(r"\(fitted\)|cap fitted here|queue model, fitted|cycle given|\(given:|"
                           r"\(source of |\(the shape of a mac_efficiency")


@pytest.mark.slow
def test_every_case_of_every_suite_has_a_role():
    names = [n for n in validate.suites() if n not in ("host", "host-unseen")]
    assert set(names) == set(AUDITED), "a suite was added: audit its cases and add it here"
    df = run(names)
    assert df.role.isin(list(ROLES)).all()
    for name, (p, c, f) in AUDITED.items():
        roles = df[df.suite == name].role.value_counts()
        got = (roles.get(PREDICTED, 0), roles.get(CONSISTENCY, 0), roles.get(FIT, 0))
        assert got == (p, c, f), name
    named = df.case.str.contains(NOT_PREDICTED)
    assert (df[named].role != PREDICTED).all(), list(df[named & (df.role == PREDICTED)].case)


def test_host_gemv_is_a_point_of_the_calibration_table():
    """The host GEMV (1 row x 4096 x 4096 fp32 = 64 MiB) is measured by the calibration grid
    (rows GRID_ROWS, square sides 512 doubling to at least 64 MiB), so it is consistency."""
    import importlib

    from cimsim.validate import host

    measure = importlib.import_module("cimsim.calibrate.measure")

    k, n = host.GEMV
    assert k == n and 1 in measure.GRID_ROWS and 1 in measure.GRID_ROWS_QUICK
    side = measure.GRID_MIN_SIDE
    while 4 * side ** 2 < 64 * 2 ** 20:  # the grid's rule with the smallest last-level cache
        side *= 2
    assert side >= k and k % measure.GRID_MIN_SIDE == 0 and (k // measure.GRID_MIN_SIDE) & (
        k // measure.GRID_MIN_SIDE - 1) == 0
