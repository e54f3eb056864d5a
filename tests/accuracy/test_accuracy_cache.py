"""The accuracy cache's one policy (find-U 2-6): a damaged entry (model weights, mnist1d arrays,
traced workload) is rebuilt and replaced with one warning naming it; a cache that cannot be
written computes what is missing in memory, warned once; a bundled model's trace is keyed by
its weights. Real files: garbage text, random bytes, truncated copies, a folder under a file."""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from click.testing import CliRunner  # noqa: E402

from cimsim.accuracy import cache  # noqa: E402
from cimsim.cli import main  # noqa: E402
from cimsim.errors import CimsimWarning  # noqa: E402
from conftest import fresh_cache  # noqa: E402

pytestmark = pytest.mark.torch

MODEL = "digits-mlp"


@pytest.fixture(autouse=True)
def one_thread_and_fresh_warnings(monkeypatch):
    monkeypatch.setattr(cache, "_warned", set())  # "warned once" is per process: per test here
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> Path:
    """A cache holding digits-mlp's weights and its 8x8 trace (built once; tests copy it)."""
    from cimsim.accuracy.target import load_target, traced

    d = tmp_path_factory.mktemp("filled")
    with fresh_cache(d), torch.random.fork_rng(devices=[]):
        torch.set_num_threads(1)
        traced(load_target(MODEL), (8, 8))
    return d


def _copy(filled: Path, tmp_path: Path) -> Path:
    d = tmp_path / "c"
    shutil.copytree(filled, d)
    return d


def _state(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


def _messages(got) -> list[str]:
    return [str(w.message) for w in got if issubclass(w.category, CimsimWarning)]


def _pt(d: Path) -> Path:
    (pt,) = (d / "accuracy").glob(f"{MODEL}-v*.pt")
    return pt


@pytest.mark.parametrize("damage", ["text", "random", "zeros", "truncated"])
def test_a_damaged_model_file_is_retrained_with_one_line(filled, tmp_path, damage):
    """Text, random bytes or zeros in the .pt raised pickle.UnpicklingError, uncaught: a
    traceback carrying PyTorch's advice to load with weights_only=False (code execution)."""
    from cimsim.accuracy import models

    d = _copy(filled, tmp_path)
    pt = _pt(d)
    good = _state(pt)
    raw = pt.read_bytes()
    pt.write_bytes({"text": b"garbage text\n", "random": os.urandom(20000), "zeros": bytes(5000),
                    "truncated": raw[:5000]}[damage])
    with fresh_cache(d), pytest.warns(CimsimWarning) as got:
        model, _ = models.load(MODEL)
    (msg,) = _messages(got)
    assert msg.startswith(f"{pt}: damaged accuracy cache entry (not a PyTorch state dict: ")
    assert msg.endswith("); rebuilding it") and "\n" not in msg and "weights_only" not in msg
    again = _state(pt)  # replaced by the retrained weights: the same, training is seeded
    assert again.keys() == good.keys() and all(torch.equal(again[k], good[k]) for k in good)
    assert all(torch.equal(model.state_dict()[k], good[k]) for k in good)


def test_the_cli_retrains_a_damaged_model_file_without_a_traceback(filled, tmp_path):
    d = _copy(filled, tmp_path)
    _pt(d).write_bytes(os.urandom(20000))
    with fresh_cache(d):
        res = CliRunner().invoke(main, ["run", "rram-cim", MODEL, "--accuracy", "--json"])
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output and "weights_only" not in res.output
    assert f"{_pt(d)}: damaged accuracy cache entry" in res.output


def test_a_damaged_mnist1d_file_is_generated_again(tmp_path):
    """A truncated npz gave zipfile.BadZipFile on every later run: it was only built when missing."""
    pytest.importorskip("mnist1d")
    import numpy as np

    from cimsim.accuracy import data

    with fresh_cache(tmp_path):
        good = data.mnist1d()
        path = tmp_path / "accuracy" / f"mnist1d-v{data.DATA_VERSION}.npz"
        raw = path.read_bytes()
        buf = tmp_path / "partial.npz"
        np.savez(buf, x=np.zeros(3))  # a valid npz without the other arrays
        for damaged, why in ((raw[:100000], "BadZipFile"), (b"garbage text\n", "ValueError"),
                             (buf.read_bytes(), "KeyError")):
            path.write_bytes(damaged)
            with pytest.warns(CimsimWarning) as got:
                split = data.mnist1d()
            (msg,) = _messages(got)
            assert msg == f"{path}: damaged accuracy cache entry (not the mnist1d arrays: {why}); rebuilding it"
            assert path.read_bytes() == raw  # generated again: make_dataset is seeded
            assert all(torch.equal(a, b) for a, b in zip(split, good))


def test_a_damaged_trace_is_traced_again(filled, tmp_path):
    """An empty or truncated trace JSON failed every run and every sweep point (and
    --retry-errors) for good: it was traced only when missing."""
    from cimsim.accuracy.target import load_target, traced

    d = _copy(filled, tmp_path)
    (path,) = (d / "accuracy" / "traces").glob("*.json")
    raw = path.read_bytes()
    with fresh_cache(d):
        target = load_target(MODEL)
        for damaged in (b"", raw[:700], b"{}"):
            path.write_bytes(damaged)
            with pytest.warns(CimsimWarning) as got:
                t = traced(target, (8, 8))
            (msg,) = _messages(got)
            assert msg.startswith(f"{path}: damaged accuracy cache entry (WorkloadError: ")
            assert path.read_bytes() == raw and t.raw == raw
            assert len(t.workload) == len(json.loads(raw)["ops"])
        path.write_bytes(b"")
        args = ["sweep", "rram-cim", "-w", MODEL, "--accuracy", "--param", "cim.adc.bits=8",
                "--workers", "1", "-q", "-o", str(tmp_path / "s.parquet")]
        res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "0 with errors" in res.output and path.read_bytes() == raw


def test_a_bundled_models_trace_is_keyed_by_its_weights(filled, tmp_path):
    """The key was only name and version: a trace of other weights (a retrained model, another
    CPU's rounding) gave its data statistics, so CIM energies, to these weights."""
    from cimsim.accuracy.target import load_target, traced

    d = _copy(filled, tmp_path)
    pt = _pt(d)
    original = pt.read_bytes()
    with fresh_cache(d):
        first = load_target(MODEL).key
        assert load_target(MODEL).key == first  # the same weights, the same key
        state = _state(pt)
        name = next(k for k in state if k.endswith("weight"))
        state[name] = state[name] * 1.25  # other weights
        torch.save(state, pt)
        other = load_target(MODEL)
        assert other.key != first and other.key.startswith(f"{MODEL}-v")
        t = traced(other, (8, 8))
        assert other.key in t.path.name and len(list(t.path.parent.glob("*.json"))) == 2
        pt.write_bytes(original)
        assert load_target(MODEL).key == first


def _unwritable_line(root: Path, why: str) -> str:
    return f"accuracy cache {root / 'accuracy'} (CIMSIM_CACHE) is not writable: results not cached ({why})"


def test_a_cache_that_cannot_be_made_computes_in_memory(tmp_path):
    """CIMSIM_CACHE under a regular file (fails for root too): was "Error: ...: Not a directory"
    naming neither the cache nor CIMSIM_CACHE; now the model and trace are made in memory."""
    from cimsim.accuracy.target import load_target, traced

    (tmp_path / "afile").write_text("")
    root = tmp_path / "afile" / "sub"
    with fresh_cache(root), warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        t = traced(load_target(MODEL), (8, 8))
    assert _messages(got) == [_unwritable_line(root, "Not a directory")]
    assert not t.path.exists() and len(t.workload) == len(json.loads(t.raw)["ops"])


def test_a_cache_missing_an_entry_it_cannot_store_runs_and_sweeps(filled, tmp_path):
    """A pre-filled cache whose traces cannot be written (here its traces folder is a file,
    which refuses root too): a new stats precision was an error (run) or error rows (sweep)."""
    d = _copy(filled, tmp_path)
    traces = d / "accuracy" / "traces"
    shutil.rmtree(traces)
    traces.write_text("")
    line = _unwritable_line(d, f"File exists: {traces}")
    with fresh_cache(d):
        res = CliRunner().invoke(main, ["run", "rram-cim", MODEL, "--accuracy", "--json",
                                        "--set", "cim.input_bits=4"])
        assert res.exit_code == 0, res.output
        assert res.output.count("is not writable") == 1 and line in res.output
        cache._warned.clear()
        args = ["sweep", "rram-cim", "-w", MODEL, "--accuracy", "--param", "cim.input_bits=4,8",
                "--workers", "1", "-q", "-o", str(tmp_path / "s.parquet")]
        res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "0 with errors" in res.output and res.output.count("is not writable") == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a 0o555 folder")
def test_a_read_only_cache_computes_in_memory(filled, tmp_path):
    from cimsim.accuracy.target import load_target, traced

    d = _copy(filled, tmp_path)
    for p in (d / "accuracy" / "traces", d / "accuracy"):
        p.chmod(0o555)
    try:
        with fresh_cache(d), warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            t = traced(load_target(MODEL), (4, 8))
        assert _messages(got) == [_unwritable_line(d, "Permission denied: "
                                                      f"{d / 'accuracy' / 'traces'}")]
        assert not t.path.exists() and len(t.workload)
    finally:
        for p in (d / "accuracy", d / "accuracy" / "traces"):
            p.chmod(0o755)


def test_a_killed_writes_temporary_files_are_ignored_and_removed(filled, tmp_path):
    """A write killed between its temporary file and the rename left ``.NAME.*.tmp`` (and, by
    older cimsims, ``STEM.tmp<pid>``) files that nothing removed; lookups never read them."""
    from cimsim.accuracy import models

    d = _copy(filled, tmp_path)
    pt = _pt(d)
    stale = [pt.with_name(f".{pt.name}.abc123.tmp"), pt.with_name(f"{pt.stem}.tmp4242")]
    fresh = pt.with_name(f".{pt.name}.def456.tmp")  # another process writing right now
    for p in (*stale, fresh):
        p.write_bytes(b"half a file")
    old = os.stat(pt).st_mtime - 2 * cache.STALE_TEMP_S
    for p in stale:
        os.utime(p, (old, old))
    with fresh_cache(d):
        models.load(MODEL, retrain=True)
    assert not any(p.exists() for p in stale) and fresh.exists()
