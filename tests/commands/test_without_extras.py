"""What a user without the optional extras sees (found by a tester on an installed wheel without
torch, 2026-12-05): the host suites, which time PyTorch, are listed as skipped with the install
line instead of ending in a traceback after a calibration; square brackets in printed text (the
extras' install lines) are kept, not read as rich markup."""

from __future__ import annotations

import sys

import pytest

from cimsim.commands import console
from cimsim.validate import Skipped
from cimsim.validate import host


@pytest.mark.parametrize("suite, name", [(host.host_suite, "host"),
                                         (host.host_unseen_suite, "host-unseen")])
def test_host_suites_are_skipped_without_torch(monkeypatch, suite, name):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError

    def no_calibration(*a, **k):
        raise AssertionError("calibrated without torch")

    monkeypatch.setattr(host, "host_architecture", no_calibration)
    monkeypatch.setattr(host, "_unseen_architectures", no_calibration)
    out = suite()
    assert len(out) == 1 and isinstance(out[0], Skipped) and out[0].suite == name
    assert out[0].reason.endswith("pip install 'cimsim[torch]'")


def test_square_brackets_print_as_they_are():
    c = console()
    with c.capture() as cap:
        c.print("needs the accuracy extra (mnist1d missing): pip install 'cimsim[accuracy]'")
        c.print("[bold]x[/]")
    assert cap.get().splitlines() == [
        "needs the accuracy extra (mnist1d missing): pip install 'cimsim[accuracy]'", "[bold]x[/]"]


def test_a_bundled_evaluation_model_without_torch_says_what_needs_it(monkeypatch):
    """``cimsim run rram-cim digits-cnn`` (no --accuracy) blamed --accuracy."""
    from cimsim.accuracy.target import load_target
    from cimsim.errors import CimsimError

    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(CimsimError) as exc:
        load_target("digits-cnn")
    assert str(exc.value) == ("'digits-cnn' is a PyTorch model cimsim traces (and --accuracy "
                              "evaluates): it needs torch, which is not installed: pip install "
                              "'cimsim[accuracy]'")


def test_the_quickstart_runs_without_torch(tmp_path):
    """README Quickstart command 1 installs cimsim without torch and runs ``cimsim compare``; a
    run's notes once imported the grid_sample lowering (which imports torch) for one sentence,
    so every run without torch ended in ``ModuleNotFoundError: No module named 'torch'``. A
    fresh interpreter with torch made unimportable runs one bundled config x workload and a
    compare of two configs to the end."""
    import subprocess

    script = ("import sys; sys.modules['torch'] = None\n"
              "from cimsim.cli import main\n"
              "for args in (['run', 'sram-cim', 'lstm'], ['compare', 'cpu-ddr5', 'rram-cim', '-w', 'gru']):\n"
              "    try:\n"
              "        main(args, standalone_mode=False)\n"
              "    except SystemExit as exc:\n"
              "        assert not exc.code, exc.code\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "No module named 'torch'" not in done.stderr
    assert "sram-cim" in done.stdout and "rram-cim" in done.stdout
