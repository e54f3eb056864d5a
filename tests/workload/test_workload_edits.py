"""A loaded Workload edited by the caller: every edit is checked or refused, none runs unchecked.

The checks run once, when a workload is built; ``simulate`` reads the same object later. It was:
``w.metadata["batch"] = -4`` gave ``samples -4`` and a negative samples/s; ``w.columns.m[0] *= 10``
ran an unchecked workload before the first simulate and was silently ignored after it (cached
arrays); ``w.name = "a\\nb"`` printed a broken report line."""

from __future__ import annotations

import pytest

from cimsim import load_architecture, load_workload, simulate
from cimsim.errors import WorkloadError


@pytest.fixture(scope="module")
def arch():
    return load_architecture("gpu-hbm3")


@pytest.mark.parametrize("column", ["m", "batch", "kind", "in_ids", "shape_dims", "ops_per_element"])
def test_columns_are_read_only(column):
    w = load_workload("lstm")
    with pytest.raises(ValueError, match="read-only"):
        getattr(w.columns, column)[0] = 5
    with pytest.raises(ValueError, match="read-only"):
        w.columns.op_names.blob[0] = 65


@pytest.mark.parametrize("bad, got", [(-4, "int -4"), (0, "int 0"), (2.5, "float 2.5"),
                                      ("x", "str 'x'")])
def test_simulate_refuses_an_edited_invalid_batch(arch, bad, got):
    w = load_workload("lstm")
    w.metadata["batch"] = bad
    with pytest.raises(WorkloadError) as exc:
        simulate(arch, w)
    assert str(exc.value) == (f"workload 'lstm': metadata.batch must be a positive integer "
                              f"(samples per run), got {got}")


def test_simulate_counts_an_edited_valid_batch(arch):
    w = load_workload("lstm")
    w.metadata["batch"] = 4
    r = simulate(arch, w)
    assert r.samples == 4  # the batch is the samples per run
    assert r.samples_per_s == pytest.approx(4 / r.latency_s, rel=1e-12, abs=0)  # 4 samples over the run's latency


@pytest.mark.parametrize("bad, says", [
    ("a\nb", "the workload 'name' 'a\\nb' holds the control character '\\n'; a name is printable text"),
    ("", "the workload 'name' is empty; give a name"),
    (123, "the workload 'name' must be a string, got int 123"),
])
def test_renaming_checks_the_name(bad, says):
    w = load_workload("lstm")
    with pytest.raises(WorkloadError) as exc:
        w.name = bad
    assert str(exc.value) == says
    assert w.name == "lstm"


def test_a_valid_rename_names_the_result(arch):
    w = load_workload("lstm")
    w.name = "my lstm"
    assert simulate(arch, w, keep_ops=False).workload == "my lstm"


def test_copies_and_tags_and_the_columns_themselves_are_read_only_too():
    """A reviewer: a pickled copy (a process pool's) came back writable, the tag columns were
    writable (an out-of-range order code was an IndexError later) and `w.columns = other` was
    taken unchecked."""
    import copy
    import pickle

    from cimsim import bundled, load_workload

    w = load_workload(bundled.resolve_workload("lstm"))
    for c in (pickle.loads(pickle.dumps(w)), copy.deepcopy(w)):
        with pytest.raises(ValueError, match="read-only"):
            c.columns.ops_per_element[0] = 1e6
    with pytest.raises(ValueError, match="read-only"):
        w.columns.tags.order_code[0] = 10**6
    with pytest.raises(AttributeError):
        w.columns = w.columns
