"""Every bundled config x workload x engine gives exactly the numbers it gave before the
"one-way house" restructuring (``tests/regression/reference.json``, written by
``tests/regression/make_reference.py`` from commit f2686e6 on 2026-12-03).

This is the one test whose golden values are the code's own earlier output: a refactoring
guard, not a correctness claim. The comparison is exact (``==`` on every JSON value, floats
included, and on a SHA-256 of each run's per-op and critical-path tables): a restructuring
changes no bit. A deliberate model change regenerates the reference and says why in the
README's changelog.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cimsim import bundled, load_architecture, load_workload

REF_PATH = Path(__file__).parent / "regression" / "reference.json"
REF = json.loads(REF_PATH.read_text())
KEYS = sorted(REF)


def _mk():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_reference", REF_PATH.with_name("make_reference.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def current():
    return _mk().run_all()


def test_reference_covers_every_bundled_config_workload_and_engine():
    cfgs = {p.stem for p in bundled.config_paths()}
    wls = {p.stem for p in bundled.workload_paths()}
    assert set(KEYS) == {f"{c}|{w}|{e}" for c in cfgs for w in wls for e in ("des", "analytic")}


@pytest.mark.parametrize("key", KEYS)
def test_bit_identical_to_reference(key, current):
    new, old = current[key], REF[key]
    # JSON round trip: the reference went through json.dumps, so compare like with like
    new = json.loads(json.dumps(new))
    diffs = [f"{k}: {new.get(k)!r} != {old.get(k)!r}" for k in sorted(set(old) | set(new))
             if new.get(k) != old.get(k)]
    assert diffs == []


def test_the_comparison_can_fail():
    """A one-ulp change in one number is a difference (the guard is not vacuous)."""
    import math

    key = KEYS[0]
    old = REF[key]
    bumped = dict(old, latency_s=math.nextafter(old["latency_s"], math.inf))
    assert bumped != old
    assert load_architecture(bundled.config_paths()[0]) is not None
    assert load_workload(bundled.workload_paths()[0]) is not None
