"""Type hints of the public API: every parameter and the return annotated, and each annotation
resolves (``typing.get_type_hints``) to a real type. Names from the optional extras (torch,
distributed) and pandas in Result are imported for type checkers only (``TYPE_CHECKING``), so
they resolve given those modules. ``trace``'s model and inputs, the ``studies`` functions'
workloads and ``Result.op_table`` / ``path_table`` (typed ``object``) had none."""

from __future__ import annotations

import inspect
import typing

import pandas as pd
import pytest

import cimsim
from cimsim import studies
from cimsim.report.result import Result

FUNCTIONS = {
    "trace": lambda: cimsim.trace,
    "sweep": lambda: cimsim.sweep,
    "architecture_to_dict": lambda: cimsim.architecture_to_dict,
    "save_architecture": lambda: cimsim.save_architecture,
    "run_one": lambda: studies.run_one,
    "op_tables": lambda: studies.op_tables,
    "is_sequence_workload": lambda: studies.is_sequence_workload,
    "report_runs": lambda: studies.report_runs,
    "sweep_op_tables": lambda: studies.sweep_op_tables,
}


def _extras() -> dict:
    out = {"pandas": pd}
    for name in ("torch", "distributed"):
        try:
            out[name] = __import__(name)
        except ImportError:
            pass
    return out


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_parameter_and_the_return_is_annotated(name):
    f = FUNCTIONS[name]()
    sig = inspect.signature(f)
    bare = [p for p, v in sig.parameters.items() if v.annotation is inspect.Parameter.empty]
    assert bare == [] and sig.return_annotation is not inspect.Signature.empty, (name, bare)
    extras = _extras()
    if name == "trace" and "torch" not in extras or name == "sweep" and "distributed" not in extras:
        pytest.skip("the extra its annotations name is not installed")
    typing.get_type_hints(f, localns=extras)  # every annotation names something real


def test_the_studies_hints_name_the_api_types():
    from cimsim.config import Architecture
    from cimsim.workload import Workload

    hints = typing.get_type_hints(studies.run_one)
    assert hints["arch"] is Architecture and hints["workload"] is Workload and hints["return"] is Result


def test_result_tables_are_typed_as_data_frames():
    hints = typing.get_type_hints(Result, localns={"pandas": pd})
    assert hints["op_table"] == hints["path_table"] == (pd.DataFrame | None)
