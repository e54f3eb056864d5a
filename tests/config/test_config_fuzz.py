"""Fuzzing the config loader and ``--set``: any input gives a valid run or one clean line.

Hypothesis mutates the bundled configs (a leaf replaced by garbage, a key deleted, an unknown
key added) and draws ``--set PATH=VALUE`` pairs over every field path; ``cimsim run`` must
either succeed with finite, non-negative numbers or exit 1/2 printing exactly one line and no
traceback. YAML alias bombs (nested anchors that expand to billions of values) are refused in
well under a second. Example counts are bounded for CI (``HYPOTHESIS_PROFILE=deep`` for more).
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
    f.write_text(yaml.safe_dump(cfg, sort_keys=False))
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


# ------------------------------------------------------------------ YAML alias bombs
def _alias_bomb(levels: int, width: int) -> str:
    """``levels`` nested anchors, each a list of ``width`` aliases of the one before: a node
    graph of levels x width entries that expands to width ** levels values."""
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.timeout(20)
def test_the_nine_level_alias_bomb_is_refused_fast(tmp_path):
    import time

    from cimsim.errors import ConfigError

    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(_alias_bomb(9, 9))  # 9^9 = 387 million values
    start = time.perf_counter()
    with pytest.raises(ConfigError) as info:
        read_yaml(bomb)
    assert time.perf_counter() - start < 1.0
    msg = str(info.value)
    assert msg.startswith(f"{bomb}: ") and "aliases expand to more than" in msg
    assert len(msg.splitlines()) == 1
    res = CliRunner().invoke(main, ["run", str(bomb), "lstm"])
    assert res.exit_code == 1 and "aliases expand" in res.output
    assert len(res.output.strip().splitlines()) == 1


@pytest.mark.timeout(60)
@given(name=st.sampled_from(sorted(CONFIGS)), levels=st.integers(1, 12), width=st.integers(1, 12),
       nested=st.booleans())
def test_aliases_of_any_shape_load_or_fail_fast(tmp_path_factory, tiny_workload, name, levels, width,
                                                nested):
    # anchors added to a bundled config (as top-level keys, or inside one mapping): small
    # graphs load and are refused as unknown sections, large ones are refused as alias bombs;
    # each in well under a second
    import time

    bomb = _alias_bomb(levels, width)
    if nested:
        bomb = "bombs:\n" + "".join(f"  {ln}\n" for ln in bomb.splitlines())
    f = tmp_path_factory.mktemp("bomb") / "bomb.yaml"
    f.write_text(yaml.safe_dump(CONFIGS[name], sort_keys=False) + bomb)
    start = time.perf_counter()
    res = CliRunner().invoke(main, ["run", str(f), tiny_workload, "--json"])
    assert time.perf_counter() - start < 5.0
    _check(res)
    assert res.exit_code == 1  # the anchors are keys no config has
    if width ** levels > 100_000:
        assert "aliases expand" in res.output
