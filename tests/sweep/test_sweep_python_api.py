"""``cimsim.sweep`` from Python (tester E, findings 6 and 8): a script read on stdin
(``python - < job.py``) runs its sweep (its workers failed to start: multiprocessing re-ran
``<cwd>/<stdin>`` as a file, and the error advised a ``__main__`` guard that was there); a
list, tuple or range of values is a spec (``[4, 5]`` was refused as ``--param
cim.adc.bits=[4, 5]: '[4' is not a whole number``); a refused value is named as the call gave
it, not as the command line's ``--param``; cimsim's warnings are :class:`CimsimWarning`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

import cimsim
from cimsim import CimsimWarning
from cimsim.hw.registry import EntryPointClash
from cimsim.sweep.params import SweepSpecError
from cimsim.sweep.store import SweepStore

SRC = Path(cimsim.__file__).resolve().parents[1]


@pytest.mark.parametrize("values", [[4, 5], (4, 5), range(4, 6), "4,5", ["4", "5"]])
def test_a_python_sequence_is_a_list_of_values(values):
    plan = cimsim.sweep("sram-cim-derived", "lstm", {"cim.adc.bits": values}, dry_run=True)
    assert [s.values for s in plan.specs] == [(4, 5)] and plan.points == 2


def test_numpy_values_are_values():
    """Review 1, finding 7: a 0-d array (``np.array(5)``, what NumPy arithmetic returns) was a
    TypeError traceback ('int' object is not iterable); it is its one value, as a NumPy scalar
    and a 1-D array already were. A 2-D array stays refused in one line."""
    import numpy as np

    plan = cimsim.sweep("sram-cim-derived", "lstm", {"cim.adc.bits": np.array(5),
                                             "memory.dram.bandwidth": np.array("2.5 TB/s"),
                                             "cim.rows_per_read": np.array([16, 32])}, dry_run=True)
    assert [s.values for s in plan.specs] == [(5,), (2.5e12,), (16, 32)] and plan.points == 2
    with pytest.raises(SweepSpecError, match=r"item #0 a list is not a value"):
        cimsim.sweep("sram-cim-derived", "lstm", {"cim.adc.bits": np.array([[4, 5]])}, dry_run=True)


def test_a_sequence_of_quantities_and_one_number():
    plan = cimsim.sweep("sram-cim-derived", "lstm", {"memory.dram.bandwidth": ["1 TB/s", "2 TB/s"],
                                             "cim.adc.bits": 6}, dry_run=True)
    assert [s.values for s in plan.specs] == [(1e12, 2e12), (6,)]  # 1 TB/s = 1e12 B/s


@pytest.mark.parametrize("values, why", [
    # review14-5 #3: a bare 'x' (a relative value without its factor) is also told the relative
    # form, appended after the spec forms
    ([4, "x"], r"'x' is not a whole number \(cim.adc.bits is an integer\); a value is a spec "
               r"string, .* or a list, tuple or range of values; a relative value is x and a "
               r"factor > 0, a multiple of the config's value \(x0.9, x1.1\)$"),
    ([[4]], r"item #0 a list is not a value; give a spec string such as '4,5'"),
    ([], r"no values; give at least one$"),
    (None, r"None is not a value"),
    (["4,5"], r"item #0 the str '4,5' is not a value"),  # would read as two values
])
def test_a_refused_value_is_named_as_python_gave_it(values, why):
    with pytest.raises(SweepSpecError) as exc:
        cimsim.sweep("sram-cim-derived", "lstm", {"cim.adc.bits": values}, dry_run=True)
    msg = str(exc.value)
    assert msg.startswith(f"params={{'cim.adc.bits': {values!r}}}: ") and "--param" not in msg
    assert re.search(why, msg), msg


def test_too_many_values_name_max_points():
    with pytest.raises(SweepSpecError, match=r"^params=\{'cim.adc.bits': range\(1, 1000\)\}: 999 "
                                             r"values exceed max_points=10 \(raise max_points= to "
                                             r"allow more\)$"):
        cimsim.sweep("sram-cim-derived", "lstm", {"cim.adc.bits": range(1, 1000)}, max_points=10,
                     dry_run=True)


@pytest.mark.parametrize("params, starts, says", [
    ({"cim.arrays": [1, 2]}, "params={'cim.arrays': [1, 2]}: ", "not a field of config gpu-hbm3"),
    ({"processor.clock": "-1GHz..2GHz:lin:3"}, "params={'processor.clock': '-1GHz..2GHz:lin:3'}: ",
     "the range's start -1 GHz is outside the field's domain in config gpu-hbm3"),
])
def test_a_field_the_config_refuses_is_named_as_python_gave_it(params, starts, says):
    """The checks of swept fields against the config (sweep/checks.py) said ``--param
    cim.arrays: not a field of config ...`` to a Python ``sweep(params={...})`` call."""
    with pytest.raises(SweepSpecError) as exc:
        cimsim.sweep("gpu-hbm3", "lstm", params, dry_run=True)
    msg = str(exc.value)
    assert msg.startswith(starts) and says in msg and "--param" not in msg, msg


def test_cimsims_warnings_are_cimsim_warnings(tmp_path):
    assert issubclass(CimsimWarning, UserWarning) and issubclass(EntryPointClash, CimsimWarning)
    store = SweepStore(tmp_path / "p.parquet")
    store.parts_dir.mkdir()
    (store.parts_dir / "part-garbage.parquet").write_bytes(b"PAR1 not really")
    with warnings.catch_warnings():
        warnings.simplefilter("error", CimsimWarning)  # what a user selects them by
        with pytest.raises(CimsimWarning, match="part-garbage.parquet: unreadable as Parquet"):
            store.load_done()


def test_a_script_read_on_stdin_runs_its_sweep(tmp_path):
    script = textwrap.dedent("""\
        import cimsim
        if __name__ == "__main__":
            df = cimsim.sweep("sram-cim-derived", "lstm", {"cim.adc.bits": [4, 5]}, engine="analytic",
                              workers=1)
            print("rows", len(df), "errors", int(df["error"].notna().sum()))
        """)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    res = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=240)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == ["rows 2 errors 0"]
    assert "Traceback" not in res.stderr and "<stdin>" not in res.stderr
