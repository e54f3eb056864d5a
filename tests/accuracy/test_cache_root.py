"""Where the accuracy cache lives (a tester, 2026-12-06): `$CIMSIM_CACHE`, else the XDG base
directory `$XDG_CACHE_HOME/cimsim` (as pip and matplotlib use it; HPC and containers set it when
HOME is read-only), else `~/.cache/cimsim`. It ignored XDG_CACHE_HOME."""

from __future__ import annotations

import os
from pathlib import Path

from cimsim.accuracy import cache


def test_cimsim_cache_then_xdg_cache_home_then_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CIMSIM_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert cache.root() == tmp_path / "home" / ".cache" / "cimsim" / "accuracy"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.root() == tmp_path / "xdg" / "cimsim" / "accuracy"
    monkeypatch.setenv("CIMSIM_CACHE", str(tmp_path / "mine"))
    assert cache.root() == Path(os.environ["CIMSIM_CACHE"]) / "accuracy"
