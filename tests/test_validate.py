"""Validation suites: the registry and CLI, the published suites' errors (deterministic),
and the host suite at small sizes (runs, predictions within 2x: timings are noisy)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cimsim.validate import run, suites, summary


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "cimsim.cli", "validate", *args], capture_output=True,
                          text=True, timeout=600)


def test_builtin_suites_are_registered():
    names = suites()
    for name in ("host",):
        assert name in names and names[name]


def test_cli_lists_the_suites():
    p = _cli("--list")
    assert p.returncode == 0, p.stderr
    listed = [line.split(":")[0] for line in p.stdout.splitlines()]
    assert set(suites()) <= set(listed)


def test_cli_unknown_suite_is_one_line():
    p = _cli("-s", "no-such-suite")
    assert p.returncode == 1
    assert "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "no-such-suite" in p.stderr


@pytest.mark.slow
def test_host_suite_runs_and_predicts_within_2x():
    import torch

    from cimsim.calibrate import calibrate
    from cimsim.config import architecture_from_dict
    from cimsim.validate.host import TINY, host_cases
    import yaml

    threads = torch.get_num_threads()
    try:
        # one thread: the test machine is shared, and a 2-thread op waits for both cores
        _, text = calibrate(quick=True, threads=1)
        cases = host_cases(TINY, arch=architecture_from_dict(yaml.safe_load(text)))
    finally:
        torch.set_num_threads(threads)
    assert len(cases) == len(TINY.rnn) + 1
    for c in cases:
        assert c.measured > 0 and c.predicted > 0
        assert 0.5 <= c.predicted / c.measured <= 2.0, c
