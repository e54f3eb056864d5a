"""A loaded architecture crosses a process boundary: pickle, ``copy.deepcopy``, cloudpickle (what
Dask uses) and a process pool. Loading builds the hardware views and component objects
(read-only rate-free views, mapping proxies), which pickle refused ("cannot pickle
'mappingproxy' object"; cloudpickle wrote it and failed reading it back: "a rate-free view is
read-only"). A copy carries the fields only and rebuilds the rest on first use."""

from __future__ import annotations

import copy
import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

from cimsim import load_architecture, load_workload, simulate


@pytest.fixture(scope="module")
def run():
    arch, wl = load_architecture("sram-cim"), load_workload("gru")
    return arch, wl, simulate(arch, wl, engine="analytic")


def _copies(arch):
    cloudpickle = pytest.importorskip("cloudpickle")
    return {"pickle": pickle.loads(pickle.dumps(arch)), "deepcopy": copy.deepcopy(arch),
            "cloudpickle": cloudpickle.loads(cloudpickle.dumps(arch))}


def test_a_copy_of_a_used_architecture_runs_the_same(run):
    arch, wl, r = run
    assert "instances" in arch.__dict__  # simulate() built the components: the case that failed
    for how, a in _copies(arch).items():
        assert "instances" not in a.__dict__, how
        got = simulate(a, wl, engine="analytic")
        assert (got.latency_s, got.energy_j) == (r.latency_s, r.energy_j), how
        assert a.name == arch.name and a.placeholders == arch.placeholders
        assert [c.name for c in a.instances] == [c.name for c in arch.instances]


def test_simulate_runs_in_a_process_pool(run):
    arch, wl, r = run
    with ProcessPoolExecutor(1) as pool:
        got = pool.submit(simulate, arch, wl, "analytic").result()
    assert (got.latency_s, got.energy_j) == (r.latency_s, r.energy_j)
