"""`simulate` given what is not an Architecture and a Workload: one CimsimError saying what was
given and how to load one (it was `AttributeError: 'str' object has no attribute 'hardware'`)."""

from __future__ import annotations

import pytest

from cimsim import load_architecture, load_workload, simulate
from cimsim.errors import CimsimError


@pytest.mark.parametrize("args, says", [
    (("gpu-hbm3", "lstm"), "arch must be an Architecture (load_architecture(NAME or PATH) gives "
                           "one), got the str 'gpu-hbm3'"),
    (("A", None), "workload must be a Workload (load_workload(NAME or PATH) gives one), got a NoneType"),
    (("W", "A"), "arch must be an Architecture (load_architecture(NAME or PATH) gives one), got a Workload"),
])
def test_simulate_names_what_it_was_given(args, says):
    objs = {"A": load_architecture("gpu-hbm3"), "W": load_workload("gru")}
    with pytest.raises(CimsimError) as exc:
        simulate(*[objs.get(a, a) if isinstance(a, str) and a in objs else a for a in args])
    assert str(exc.value) == f"simulate(): {says}"


def test_sweep_names_an_object_where_it_takes_files():
    """Workers load each config and workload from its file's bytes: an Architecture or Workload
    object is one line saying so (it was "TypeError: 'Architecture' object is not iterable")."""
    from cimsim import sweep

    with pytest.raises(CimsimError, match=r"sweep\(\) takes configs as bundled names or file paths "
                                          r"\(each worker loads the file's bytes\), got an Architecture"):
        sweep(load_architecture("gpu-hbm3"), "gru", ["memory.dram.bandwidth=1TB/s"], workers=1)
    with pytest.raises(CimsimError, match=r"got a Workload: save it with "
                                          r"cimsim.workload.save_workload\(w, 'w.npz'\)"):
        sweep("gpu-hbm3", [load_workload("gru")], ["memory.dram.bandwidth=1TB/s"], workers=1)
