"""The model revision (:mod:`cimsim.revision`) and the outputs that record it.

Finding: nothing cimsim wrote said which cimsim computed it, and ``__version__`` stayed
0.5.0.dev0 for 439 commits; an LLM workload file written before the ``launch`` tag ran 29 %
slower without a word. Real runs and real files throughout.
"""

from __future__ import annotations

import hashlib
import json
import io
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import cimsim
from cimsim.cli import main
from cimsim.revision import digest_of

WHO = {"cimsim_version": cimsim.__version__, "cimsim_revision": cimsim.model_revision()}


def _ok(*args):
    res = CliRunner().invoke(main, [*map(str, args)])
    assert res.exit_code == 0, res.output
    return res


def test_model_revision_is_the_digest_of_the_package_files(tmp_path):
    """SHA-256 over (len(path), path, len(bytes), bytes) of each file in path order, 12 hex
    digits; byte code and dot files do not count, any byte of a file does."""
    pkg = tmp_path / "pkg"
    (pkg / "data" / "configs").mkdir(parents=True)
    (pkg / "__init__.py").write_bytes(b"")
    (pkg / "a.py").write_bytes(b"x = 1\n")
    (pkg / "data" / "configs" / "c.yaml").write_bytes(b"k: v\n")
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "a.cpython-312.pyc").write_bytes(b"\0\1")
    (pkg / ".a.py.swp").write_bytes(b"editor")

    def entry(name: bytes, data: bytes) -> bytes:
        return len(name).to_bytes(8, "big") + name + len(data).to_bytes(8, "big") + data

    want = hashlib.sha256(entry(b"__init__.py", b"") + entry(b"a.py", b"x = 1\n")
                          + entry(b"data/configs/c.yaml", b"k: v\n")).hexdigest()
    assert digest_of(pkg) == want[:12]
    (pkg / "data" / "configs" / "c.yaml").write_bytes(b"k: w\n")
    assert digest_of(pkg) != want[:12]
    # this cimsim's: its own folder, once per process
    rev = cimsim.model_revision()
    assert rev == "r" + digest_of(Path(cimsim.__file__).parent)
    assert len(rev) == 13 and int(rev[1:], 16) >= 0 and cimsim.model_revision() is rev
    # a letter first: 12 hex digits alone can be all decimal (817478448706, the revision of
    # 848ea804) and a CSV reader then reads the column as a number
    assert pd.read_csv(io.StringIO(f"cimsim_revision\n{rev}\n")).iloc[0, 0] == rev


def test_symlinked_data_folders_count_as_a_wheel_holds_them(tmp_path):
    # a checkout links data/configs to the repository's configs/ (a wheel copies the files):
    # a change of a bundled config must change the revision in both (rram-cim's ISAAC values
    # changed while the digest skipped the linked folders, 2026-12-05)
    real, linked = tmp_path / "real", tmp_path / "linked"
    for pkg in (real, linked):
        (pkg / "data").mkdir(parents=True)
        (pkg / "a.py").write_bytes(b"x = 1\n")
    (real / "data" / "configs").mkdir()
    (real / "data" / "configs" / "c.yaml").write_bytes(b"k: v\n")
    (tmp_path / "repo-configs").mkdir()
    (tmp_path / "repo-configs" / "c.yaml").write_bytes(b"k: v\n")
    (linked / "data" / "configs").symlink_to(tmp_path / "repo-configs", target_is_directory=True)
    assert digest_of(linked) == digest_of(real)
    (tmp_path / "repo-configs" / "c.yaml").write_bytes(b"k: w\n")
    assert digest_of(linked) != digest_of(real)


def test_the_revision_hashes_what_a_wheel_ships(tmp_path):
    """Review 1, finding 8: every file under the (linked) configs/ and workloads/ counted, while
    a wheel ships only package-data's patterns: a README, an editor's .orig or a user's
    `cimsim workload ... -o workloads/x.npz` changed a checkout's revision and not the
    wheel's. Only the packages' .py files and package-data count now."""
    pkg = tmp_path / "pkg"
    for folder in ("data/configs", "data/workloads", "data/validation", "sub"):
        (pkg / folder).mkdir(parents=True)
    (pkg / "__init__.py").write_bytes(b"")
    (pkg / "sub" / "__init__.py").write_bytes(b"")
    (pkg / "data" / "configs" / "c.yaml").write_bytes(b"k: v\n")
    (pkg / "data" / "workloads" / "w.json").write_bytes(b"{}")
    (pkg / "data" / "validation" / "v.csv").write_bytes(b"a\n1\n")
    before = digest_of(pkg)
    for name in ("data/configs/README.md", "data/configs/c.yaml.orig", "data/workloads/x.npz",
                 "data/workloads/w.yaml", "data/validation/notes.txt", "data/helper.py",
                 "data/configs/more/deep.yaml", "notes.txt"):
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_bytes(b"not shipped")
    assert digest_of(pkg) == before
    (pkg / "sub" / "m.py").write_bytes(b"y = 2\n")  # a module of a package is shipped
    assert digest_of(pkg) != before


def test_the_shipped_patterns_are_pyproject_package_data():
    tomllib = pytest.importorskip("tomllib")
    from cimsim.revision import PACKAGE_DATA

    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    data = tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["package-data"]
    assert data == {"cimsim": list(PACKAGE_DATA)}


def test_run_json_compare_csv_report_csv_and_trace_record_the_cimsim(tmp_path):
    res = _ok("run", "gpu-hbm3", "gru", "--json", "--trace", tmp_path / "t.json")
    out = json.loads(res.stdout)
    assert {k: out[k] for k in WHO} == WHO
    other = json.loads((tmp_path / "t.json").read_text())["otherData"]
    assert {k: other[k] for k in WHO} == WHO
    _ok("compare", "cpu-ddr5", "gpu-hbm3", "-w", "gru", "-o", tmp_path / "c.csv")
    csv = pd.read_csv(tmp_path / "c.csv")
    assert list(csv.columns[-2:]) == list(WHO) and len(csv) == 2
    assert csv[list(WHO)].drop_duplicates().to_dict("records") == [WHO]
    _ok("report", "cpu-ddr5", "-w", "gru", "-o", tmp_path / "rep", "--no-timelines")
    rows = pd.read_csv(tmp_path / "rep" / "results.csv")
    assert rows[list(WHO)].drop_duplicates().to_dict("records") == [WHO]


LLM = ["--layers", "1", "--hidden", "64", "--heads", "2", "--vocab", "100", "--prompt", "8",
       "--decode", "2", "--batch", "2"]


def test_an_llm_workload_without_launch_tags_is_said_to_predate_them(tmp_path):
    new = tmp_path / "new.json"
    _ok("workload", "llm", *LLM, "-o", new)
    data = json.loads(new.read_text())
    assert data["metadata"]["written_by"] == WHO
    # the same file as the generator wrote it before the `launch` tag (and the writer's record)
    launched = sum("launch" in op.get("tags", {}) for op in data["ops"])
    assert launched > 0
    for op in data["ops"]:
        op.get("tags", {}).pop("launch", None)
    del data["metadata"]["written_by"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data))
    res = _ok("run", "gpu-hbm3", old, "--json")
    warned = [line for line in res.stderr.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1
    assert warned[0].startswith(f"warning: {old}: an llm serving workload without `launch` op tags: "
                                "written before cimsim 0.5.0.dev0")
    assert "regenerate it with `cimsim workload llm`" in warned[0] and "layers=1 hidden=64" in warned[0]
    assert "warning" not in _ok("run", "gpu-hbm3", new, "--json").stderr
    # a sweep says it once (not again in its worker)
    res = _ok("sweep", "gpu-hbm3", "-w", old, "--param", "memory.dram.bandwidth=1TB/s",
              "--workers", "1", "-q", "-o", tmp_path / "s.parquet")
    assert res.stderr.count("without `launch` op tags") == 1


@pytest.mark.torch
def test_the_accuracy_trace_cache_is_keyed_by_the_revision(tmp_path):
    """The cache was keyed by ``__version__``: a tracer changed within 0.5.0.dev0 (35 commits)
    reused traces the older tracer made."""
    from cimsim.accuracy.target import load_target, workload_file

    (tmp_path / "m.py").write_text(textwrap.dedent("""
        import torch

        def factory():
            torch.manual_seed(0)
            return torch.nn.Linear(4, 3).eval(), torch.zeros(1, 4)

        def data():
            return torch.ones(8, 4), None
    """))
    t = load_target(f"{tmp_path / 'm.py'}:factory", f"{tmp_path / 'm.py'}:data")
    path = workload_file(t, (8, 8))
    assert path.name.startswith(f"{t.key}-cimsim{cimsim.model_revision()}-stats8x8") and path.is_file()
