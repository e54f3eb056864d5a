"""``Result == Result``: it raised ``ValueError: The truth value of a DataFrame is ambiguous``
(the dataclass's own ``__eq__`` compared the op and path tables as tuples of fields)."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from cimsim import load_architecture, load_workload, simulate


@pytest.fixture(scope="module")
def runs():
    a, w = load_architecture("gpu-hbm3"), load_workload("gru")
    return simulate(a, w), simulate(a, w)


def test_two_runs_of_one_simulation_are_equal(runs):
    r1, r2 = runs
    assert r1 == r2
    assert not (r1 != r2)


def test_a_pickled_or_copied_result_equals_the_original(runs):
    r1, _ = runs
    assert pickle.loads(pickle.dumps(r1)) == r1
    assert copy.deepcopy(r1) == r1


def test_a_different_run_is_unequal(runs):
    r1, _ = runs
    other = simulate(load_architecture("gpu-hbm3", overrides={"memory.dram.bandwidth": "1 TB/s"}),
                     load_workload("gru"))
    assert r1 != other
    assert r1 != simulate(load_architecture("gpu-hbm3"), load_workload("gru"), keep_ops=False)
    assert (r1 == "a result") is False


def test_nan_equals_nan_and_each_field_counts(runs):
    r1, _ = runs
    nan = float("nan")
    assert dataclasses.replace(r1, serving={"tpot_s": nan}) == dataclasses.replace(r1, serving={"tpot_s": nan})
    assert dataclasses.replace(r1, notes=r1.notes + ["x"]) != r1
    table = r1.op_table.copy()
    table.iloc[0, table.columns.get_loc("macs")] += 1  # one op's MACs one more
    assert dataclasses.replace(r1, op_table=table) != r1
    assert dataclasses.replace(r1, path_table=None) != r1


def test_a_result_is_unhashable(runs):
    with pytest.raises(TypeError):
        hash(runs[0])
