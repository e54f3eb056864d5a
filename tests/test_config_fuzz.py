"""Fuzzing the config loader and ``--set``: any input gives a valid run or one clean line.

Hypothesis mutates the bundled configs (a leaf replaced by garbage, a key deleted, an unknown
key added) and draws ``--set PATH=VALUE`` pairs over every field path; ``cimsim run`` must
either succeed with finite, non-negative numbers or exit 1/2 printing exactly one line and no
traceback. Example counts are bounded for CI (``HYPOTHESIS_PROFILE=deep`` for more).
"""

from __future__ import annotations

import json
import math
import os

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cimsim import bundled
from cimsim.cli import main
from cimsim.config import read_yaml
from cimsim.config.schema import describe_fields
from cimsim.workload import save_workload
from cimsim.workload.generators import lstm

settings.register_profile("fuzz-ci", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("fuzz-deep", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile("fuzz-deep" if os.environ.get("HYPOTHESIS_PROFILE") == "deep" else "fuzz-ci")

CONFIGS = {p.stem: read_yaml(p) for p in bundled.config_paths()}

garbage = st.one_of(
    st.none(), st.booleans(), st.integers(-10**30, 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["-1 W", "0 B/s", "nan GB/s", "1e400 GB/s", "1e308 TB/s", "5 GHz", "3 mm",
                     "1 pJ/bit", "-5 ns", "12", "sram", "rram", "fp32", "", "1 TiB", "0.5 mm^2"]),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def _leaves(d, prefix=()):
    for k, v in d.items():
        if isinstance(v, dict) and v:
            yield from _leaves(v, prefix + (k,))
        else:
            yield prefix + (k,)


def _set(d, path, value):
    for k in path[:-1]:
        d = d[k]
    d[path[-1]] = value


def _delete(d, path):
    for k in path[:-1]:
        d = d[k]
    del d[path[-1]]


@pytest.fixture(scope="module")
def tiny_workload(tmp_path_factory):
    path = tmp_path_factory.mktemp("wl") / "tiny.json"
    save_workload(lstm(16, 16, 1, steps=2), path)
    return str(path)


def _check(res):
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    out = res.output.strip()
    assert "Traceback" not in out
    if res.exit_code == 0:
        r = json.loads(out)
        for key in ("latency_s", "energy_j", "critical_path_s"):
            assert math.isfinite(r[key]) and r[key] >= 0, (key, r[key])
        assert all(math.isfinite(v) and v >= 0 for v in r["energy_breakdown_j"].values())
        assert all(0 <= v <= 1 for v in r["utilization"].values())
    else:
        assert res.exit_code in (1, 2), (res.exit_code, out)
        assert len(out.splitlines()) == 1, out


@given(name=st.sampled_from(sorted(CONFIGS)), data=st.data())
def test_mutated_config_runs_or_fails_in_one_line(tmp_path_factory, tiny_workload, name, data):
    import copy

    cfg = copy.deepcopy(CONFIGS[name])
    leaves = list(_leaves(cfg))
    action = data.draw(st.sampled_from(["replace", "replace", "delete", "add"]))
    path = data.draw(st.sampled_from(leaves))
    if action == "replace":
        _set(cfg, path, data.draw(garbage))
    elif action == "delete":
        _delete(cfg, path)
    else:
        _set(cfg, path[:-1] + (data.draw(st.text(min_size=1, max_size=8)),), data.draw(garbage))
    f = tmp_path_factory.mktemp("cfg") / "fuzz.yaml"
    f.write_text(yaml.safe_dump(cfg))
    _check(CliRunner().invoke(main, ["run", str(f), tiny_workload, "--json"]))


@given(name=st.sampled_from(sorted(CONFIGS)), data=st.data())
def test_set_overrides_run_or_fail_in_one_line(tiny_workload, name, data):
    paths = [f.path for f in describe_fields(CONFIGS[name])] + ["memory.bandwidth", "nope.x", "cim"]
    args = ["run", name, tiny_workload, "--json"]
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        value = data.draw(st.one_of(st.text(max_size=20), st.sampled_from(
            ["1 TB/s", "-1 s", "0", "nan", "inf W", "2", "true", "1e999 GB/s", "8"])))
        args += ["--set", f"{path}={value}"]
    _check(CliRunner().invoke(main, args))
