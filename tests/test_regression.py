"""Every bundled config x workload x engine gives the numbers it gave before the
hardware-components redesign (``tests/regression/reference.json``, written by
``tests/regression/make_reference.py`` from the pre-redesign code).

This is the one test whose golden values are the code's own earlier output: a
refactoring guard, not a correctness claim. A deliberate model change updates
the reference and explains each difference in the README's changelog.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from cimsim import bundled, load_architecture, load_workload, simulate

REF = json.loads((Path(__file__).parent / "regression" / "reference.json").read_text())
KEYS = sorted(REF)


def _same(a, b, path=""):
    if isinstance(b, dict):
        assert isinstance(a, dict), path
        for k, v in b.items():
            assert k in a, f"{path}.{k} missing"
            _same(a[k], v, f"{path}.{k}")
    elif isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-18), f"{path}: {a} != {b}"
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


@pytest.fixture(scope="module")
def archs():
    return {p.stem: load_architecture(p) for p in bundled.config_paths()}


@pytest.fixture(scope="module")
def workloads():
    return {p.stem: load_workload(p) for p in bundled.workload_paths()}


@pytest.mark.parametrize("key", KEYS)
def test_matches_pre_redesign_reference(key, archs, workloads):
    cfg, wl, engine = key.split("|")
    got = simulate(archs[cfg], workloads[wl], engine=engine, keep_ops=False).to_json()
    _same(got, REF[key])
