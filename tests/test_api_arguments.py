"""`simulate` given what is not an Architecture and a Workload: one CimsimError saying what was
given and how to load one (it was `AttributeError: 'str' object has no attribute 'hardware'`)."""

from __future__ import annotations

import pytest

from cimsim import load_architecture, load_workload, save_workload, simulate
from cimsim.cost.cache import CostCache
from cimsim.errors import CimsimError


@pytest.mark.parametrize("args, says", [
    (("gpu-hbm3", "lstm"), "arch must be an Architecture (load_architecture(NAME or PATH) gives "
                           "one), got the str 'gpu-hbm3'"),
    (("A", None), "workload must be a Workload (load_workload(NAME or PATH) gives one), got None"),
    (("W", "A"), "arch must be an Architecture (load_architecture(NAME or PATH) gives one), got a Workload"),
])
def test_simulate_names_what_it_was_given(args, says):
    objs = {"A": load_architecture("gpu-hbm3"), "W": load_workload("gru")}
    with pytest.raises(CimsimError) as exc:
        simulate(*[objs.get(a, a) if isinstance(a, str) and a in objs else a for a in args])
    assert str(exc.value) == f"simulate(): {says}"


def test_sweep_names_an_object_where_it_takes_files():
    """Workers load each config and workload from its file's bytes: an Architecture or Workload
    object is one line saying so (it was "TypeError: 'Architecture' object is not iterable")."""
    from cimsim import sweep

    with pytest.raises(CimsimError, match=r"sweep\(\) takes configs as bundled names or file paths "
                                          r"\(each worker loads the file's bytes\), got an Architecture"):
        sweep(load_architecture("gpu-hbm3"), "gru", ["memory.dram.bandwidth=1TB/s"], workers=1)
    with pytest.raises(CimsimError, match=r"got a Workload: save it with "
                                          r"cimsim.workload.save_workload\(w, 'w.npz'\)"):
        sweep("gpu-hbm3", [load_workload("gru")], ["memory.dram.bandwidth=1TB/s"], workers=1)


CONFIG = "a YAML file or a bundled config name such as 'gpu-hbm3'"
WORKLOAD = "a .json or .npz file or a bundled workload name such as 'lstm'"


@pytest.mark.parametrize("call, says", [
    (lambda: load_architecture(None),
     f"load_architecture(): path must be a str or os.PathLike ({CONFIG}), got None"),
    (lambda: load_architecture(123),
     f"load_architecture(): path must be a str or os.PathLike ({CONFIG}), got the int 123"),
    (lambda: load_architecture({"name": "x"}),
     f"load_architecture(): path must be a str or os.PathLike ({CONFIG}), got a dict; for one "
     "given as a mapping use cimsim.config.architecture_from_dict(data)"),
    (lambda: load_architecture("cpu-ddr5", overrides=[("processor.cores", 4)]),
     "overrides must be a mapping of dotted field paths to values, e.g. {'processor.cores': 8}, "
     "got a list"),
    (lambda: load_architecture("cpu-ddr5", overrides={1: 2}),
     "overrides: each key must be a dotted field path (a str such as 'processor.cores'), got the "
     "int 1"),
    (lambda: load_workload(None),
     f"load_workload(): path must be a str or os.PathLike ({WORKLOAD}), got None"),
    (lambda: load_workload(123),
     f"load_workload(): path must be a str or os.PathLike ({WORKLOAD}), got the int 123"),
    (lambda: load_workload({"format": "cimsim-workload"}),
     f"load_workload(): path must be a str or os.PathLike ({WORKLOAD}), got a dict; for one given "
     "as a mapping use cimsim.workload.workload_from_dict(data)"),
    (lambda: save_workload(None, "never.json"),
     "save_workload(): w must be a Workload (load_workload(NAME or PATH) gives one), got None"),
])
def test_loaders_name_what_they_were_given(tmp_path, monkeypatch, call, says):
    """It was a raw TypeError (``expected str, bytes or os.PathLike object, not NoneType``) or
    AttributeError (``'list' object has no attribute 'items'``)."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CimsimError) as exc:
        call()
    assert str(exc.value) == says
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------ errors that escaped as OSError / AttributeError / ...
@pytest.mark.parametrize("where, says", [
    ("afile/x.json", "save_workload(): {d}/afile/x.json: cannot write there ({d}/afile is not a folder)"),
    ("folder.json", "save_workload(): {d}/folder.json: is a folder; give a file name"),
    ("x.txt", "save_workload(): {d}/x.txt: a workload file is .json, or .npz for the columnar form"),
    ("folder", "save_workload(): {d}/folder: a workload file is .json, or .npz for the columnar form"),
])
def test_save_workload_refuses_a_place_it_cannot_write_in_one_line(tmp_path, where, says):
    """It was FileExistsError blaming the temp file's folder, IsADirectoryError, and JSON written
    into x.txt (the command line's -o refuses that suffix)."""
    (tmp_path / "afile").write_text("x")
    (tmp_path / "folder.json").mkdir()
    (tmp_path / "folder").mkdir()
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(CimsimError) as exc:
        save_workload(load_workload("gru"), tmp_path / where)
    assert str(exc.value) == says.format(d=tmp_path)
    assert sorted(tmp_path.rglob("*")) == before  # nothing written, no temp file left


def test_save_workload_refuses_a_read_only_place():
    # /proc takes no new files (it was FileNotFoundError naming the temp file)
    with pytest.raises(CimsimError, match=r"^save_workload\(\): /proc/x\.json: cannot write there \("):
        save_workload(load_workload("gru"), "/proc/x.json")


def test_save_workload_makes_missing_folders_as_the_cli_does(tmp_path):
    # `cimsim workload ... -o new/deep/x.json` makes the folders (atomic_write): so does the API
    save_workload(load_workload("gru"), tmp_path / "new" / "deep" / "x.npz")
    assert load_workload(tmp_path / "new" / "deep" / "x.npz").name == "gru"


@pytest.mark.parametrize("call, says", [
    (lambda a, w: simulate(a, w, costs="x"),
     "simulate(): costs must be a CostCache (cimsim.cost.cache.CostCache()) or None, got the str 'x'"),
    (lambda a, w: simulate(a, w, keep_ops="no"), "simulate(): keep_ops must be True or False, got the str 'no'"),
    (lambda a, w: a.component("nope"), "architecture 'gpu-hbm3' has no component 'nope'; it has processor"),
    (lambda a, w: CostCache(keep=0),
     "CostCache(): keep must be a whole number >= 1 (the placements and cost tables kept), got the int 0"),
    (lambda a, w: CostCache(keep=2.5),
     "CostCache(): keep must be a whole number >= 1 (the placements and cost tables kept), got the float 2.5"),
])
def test_api_misuse_is_one_cimsim_error(call, says):
    """They were AttributeError ('str' object has no attribute ...), KeyError and ValueError."""
    with pytest.raises(CimsimError) as exc:
        call(load_architecture("gpu-hbm3"), load_workload("gru"))
    assert str(exc.value) == says


def test_an_unknown_component_is_still_a_key_error():
    with pytest.raises(KeyError):
        load_architecture("gpu-hbm3").component("nope")
