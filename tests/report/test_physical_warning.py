"""find-F #6: a run's physical-plausibility notes (silicon above a 300 mm wafer, average power
above a stated TDP) were only text. ``simulate`` issues each as a
``cimsim.PhysicalPlausibilityWarning`` (a ``CimsimWarning``), and every result output has the
boolean column ``physically_plausible``.

The design: gpu-hbm3 (one processor) with its die declared 80,000 mm² (above a 300 mm wafer,
pi x 150² = 70,686 mm²: 1.13 wafers) running 4 fp16 8192^3 matmuls, which average 711.4 W,
above its 700 W TDP (the closed form in test_power_plausibility.py): two notes, so two
warnings. 64^3 on the bundled design (GH100's 814 mm²) has neither. A die above one reticle
(900 mm², several dies) or a binding power cap is a note, not implausible (review 13-3 #1, #2:
every call of bundled sram-cim, 1,707 mm² of macros, warned).
"""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

import cimsim
from cimsim import load_architecture, simulate
from cimsim.cli import main
from cimsim.report import columns as C
from cimsim.sweep.runner import describe_run
from cimsim.workload.generators import matmul

BIG = {"processor.area": "80000 mm^2"}
WAFERS = f"{80000 / (math.pi * 150 ** 2):,.3g} wafers"  # 1.13


def _run(overrides=None, n=64, count=1):
    return simulate(load_architecture("gpu-hbm3", overrides=overrides or {}),
                    matmul(n, n, n, count=count, dtype="fp16"), engine="analytic")


def _big():
    return _run(BIG, 8192, 4)


def test_each_physical_note_is_a_cimsim_warning_raised_from_the_callers_line():
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        r = _big()
    assert len(r.physical_notes) == 2
    assert WAFERS in r.physical_notes[0] and "is 711.4 W, above its TDP of 700 W" in r.physical_notes[1]
    assert r.implausible_notes == r.physical_notes
    assert [str(w.message) for w in got] == [n.removeprefix("warning: ") for n in r.physical_notes]
    assert all(w.category is cimsim.PhysicalPlausibilityWarning for w in got)
    assert issubclass(cimsim.PhysicalPlausibilityWarning, cimsim.CimsimWarning)
    assert {w.filename for w in got} == {__file__}  # the user's simulate() line, not cimsim's
    assert r.physically_plausible is False


def test_filterwarnings_error_turns_them_into_errors():
    """What the README's Using cimsim section promises for every cimsim warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", category=cimsim.CimsimWarning)
        with pytest.raises(cimsim.CimsimWarning, match=f"more than a whole 300 mm wafer .*{WAFERS}"):
            _big()
        r = _run()  # GH100's 814 mm² and its 700 W TDP: no note, no warning
    assert r.physical_notes == [] and r.physically_plausible is True


def test_the_wafer_warning_loses_its_warning_prefix():
    """The wafer note starts 'warning: ' (how `run` prints it); the warning's message does not."""
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        r = _run({"processor.area": "80000 mm^2"})  # above pi x (150 mm)² = 70,686 mm²
    assert r.physical_notes[0].startswith("warning: component 'processor' counts 800 cm²")
    assert [str(w.message) for w in got] == [r.physical_notes[0].removeprefix("warning: ")]


def test_the_column_in_record_json_and_the_cli_outputs(tmp_path):
    plain = _run()
    with pytest.warns(cimsim.PhysicalPlausibilityWarning, match="wafer"):
        big = _run(BIG)  # the wafer note only
    assert C.PHYSICALLY_PLAUSIBLE in C.FIXED_COLUMNS
    assert (plain.record()[C.PHYSICALLY_PLAUSIBLE], big.record()[C.PHYSICALLY_PLAUSIBLE]) == (True, False)
    assert (plain.to_json()[C.PHYSICALLY_PLAUSIBLE], big.to_json()[C.PHYSICALLY_PLAUSIBLE]) == (True, False)
    sets = ["--set", "processor.area=80000mm^2", "--engine", "analytic"]
    res = CliRunner().invoke(main, ["run", "gpu-hbm3", "gru", *sets, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)[C.PHYSICALLY_PLAUSIBLE] is False
    # the CLI prints the note itself, once: not again as a Python warning line
    res = CliRunner().invoke(main, ["run", "gpu-hbm3", "gru", *sets])
    assert res.exit_code == 0, res.output
    assert " ".join(res.output.split()).count("more than a whole 300 mm wafer") == 1
    out = tmp_path / "c.csv"
    res = CliRunner().invoke(main, ["compare", "gpu-hbm3", "-w", "gru", *sets, "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert " ".join(res.output.split()).count("more than a whole 300 mm wafer") == 1
    with out.open() as f:
        assert [row[C.PHYSICALLY_PLAUSIBLE] for row in csv.DictReader(f)] == ["False"]


def test_a_sweep_keeps_them_as_a_column_not_as_warnings_from_its_workers(tmp_path):
    """A sweep's rows carry the flag, its `wrote` line counts the rows; its worker processes
    issued no warning (each printed one on stderr per point and note, in Python's format)."""
    out = tmp_path / "s.parquet"
    res = subprocess.run([sys.executable, "-m", "cimsim", "sweep", "gpu-hbm3", "-w", "gru", "--param",
                          "processor.area=800mm^2,80000mm^2", "--engine", "analytic", "--workers", "1",
                          "-q", "-o", str(out)], capture_output=True, text=True, timeout=240,
                         env={**os.environ, "PYTHONPATH": str(Path(cimsim.__file__).parents[1])})
    assert res.returncode == 0, res.stderr
    assert "Warning" not in res.stderr and "wafer" not in res.stderr, res.stderr
    assert res.stdout.rstrip().endswith(", 1 not physically plausible (1 above a wafer: "
                                        "see the rows' notes)"), res.stdout
    with warnings.catch_warnings():
        warnings.filterwarnings("error", category=cimsim.CimsimWarning)
        df = cimsim.sweep("gpu-hbm3", "gru", {"processor.area": ["800 mm^2", "80000 mm^2"]},
                          engine="analytic", workers=1)
    assert df["error"].isna().all(), df["error"].tolist()
    assert df[C.PHYSICALLY_PLAUSIBLE].tolist() == [True, False]
    assert describe_run(df).endswith(", 1 not physically plausible (1 above a wafer: "
                                     "see the rows' notes)")


def test_a_reticle_exceeded_or_a_binding_power_cap_is_a_note_not_implausible():
    """Several dies can be built and a power cap is a limit the run keeps: each is a physical
    note (compare shows it), with no warning, and the design stays plausible."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", category=cimsim.CimsimWarning)
        reticle = _run({"processor.area": "900 mm^2"})
        sram = simulate(load_architecture("sram-cim"), matmul(1, 256, 256, dtype="int8"),
                        engine="analytic")
        capped = simulate(load_architecture("hbm-pim", overrides={"pim.power_cap": "10 W"}),
                          matmul(1, 4096, 4096, dtype="fp16"), engine="analytic")
    assert f"{900 / 858:.3g} reticles" in reticle.physical_notes[0]
    assert any("1707 mm²" in n or "1,707 mm²" in n for n in sram.physical_notes), sram.physical_notes
    assert any("pim.power_cap binds" in n for n in capped.physical_notes), capped.physical_notes
    for r in (reticle, sram, capped):
        assert r.implausible_notes == [] and r.physically_plausible is True
