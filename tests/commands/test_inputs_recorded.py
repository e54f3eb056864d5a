"""What a result was computed from, in every machine-readable output (find-S 2, 4, 5, 6, 10):
the `--set` overrides as typed, each config's and workload's path and SHA-256 (the hash checked
against hashlib over the file's bytes here), and the cimsim version and revision; the same
command run twice still writes the same bytes. Real files, real runs through the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner

import cimsim
from cimsim import bundled
from cimsim.cli import main
from cimsim.report import columns as C

SET = "memory.dram.bandwidth=1TB/s"
WHO = [cimsim.__version__, cimsim.model_revision()]


def invoke(*args):
    res = CliRunner(env={"COLUMNS": "200"}).invoke(main, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return res


def sha(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.fixture
def files(tmp_path):
    """A user's config (a copy of gpu-hbm3 with a comment added: other bytes, the same name)
    and a user's workload (a copy of the bundled tcn)."""
    cfg, wl = tmp_path / "my-gpu.yaml", tmp_path / "my-tcn.json"
    cfg.write_bytes(bundled.resolve_config("gpu-hbm3").read_bytes() + b"\n# edited copy\n")
    shutil.copyfile(bundled.resolve_workload("tcn"), wl)
    return cfg, wl


def test_run_json_records_overrides_files_and_cimsim(files):
    cfg, wl = files
    first = invoke("run", cfg, wl, "--json", "--set", SET, "--set", "processor.cores = 66").stdout
    out = json.loads(first)
    assert out[C.OVERRIDES] == {"memory.dram.bandwidth": "1TB/s", "processor.cores": "66"}
    assert out[C.CONFIG_PATH] == os.path.abspath(cfg) and out[C.CONFIG_SHA256] == sha(cfg)
    assert out[C.WORKLOAD_PATH] == os.path.abspath(wl) and out[C.WORKLOAD_SHA256] == sha(wl)
    assert [out[C.CIMSIM_VERSION], out[C.CIMSIM_REVISION]] == WHO
    assert invoke("run", cfg, wl, "--json", "--set", SET, "--set", "processor.cores = 66").stdout == first
    stock = json.loads(invoke("run", cfg, wl, "--json").stdout)
    assert stock[C.OVERRIDES] == {}  # no --set: an empty object, not a missing key


def test_compare_csv_records_overrides_and_each_row_s_files(tmp_path, files):
    cfg, wl = files
    out, again = tmp_path / "c.csv", tmp_path / "c2.csv"
    args = ["compare", cfg, "sram-cim", "-w", wl, "-w", "lstm", "--set", SET]
    invoke(*args, "-o", out)
    invoke(*args, "-o", again)
    assert out.read_bytes() == again.read_bytes()
    df = pd.read_csv(out, keep_default_na=False)
    assert list(df.columns)[-2:] == [C.CIMSIM_VERSION, C.CIMSIM_REVISION]
    assert (df[C.OVERRIDES] == SET).all()
    want_cfg = {"gpu-hbm3": str(cfg), "sram-cim": str(bundled.resolve_config("sram-cim"))}
    want_wl = {"my-tcn": str(wl), "lstm": str(bundled.resolve_workload("lstm"))}
    for r in df.itertuples(index=False):
        row = r._asdict()
        path = want_cfg[row[C.ARCHITECTURE]]
        assert row[C.CONFIG_PATH] == os.path.abspath(path) and row[C.CONFIG_SHA256] == sha(path)
        wpath = want_wl[row[C.WORKLOAD]] if row[C.WORKLOAD] in want_wl else str(wl)
        assert row[C.WORKLOAD_SHA256] == sha(wpath)
    none = tmp_path / "n.csv"
    invoke("compare", cfg, "-w", wl, "-o", none)
    assert pd.read_csv(none, keep_default_na=False)[C.OVERRIDES].tolist() == [""]


def test_report_csv_and_page_footer_record_the_files(tmp_path, files):
    cfg, wl = files
    pages = []
    for d in ("r1", "r2"):
        invoke("report", cfg, "-w", wl, "-o", tmp_path / d, "--set", SET, "--no-timelines")
        pages.append(((tmp_path / d / "report.html").read_bytes(), (tmp_path / d / "results.csv").read_bytes()))
    assert pages[0] == pages[1]
    df = pd.read_csv(tmp_path / "r1" / "results.csv", keep_default_na=False)
    assert df[C.OVERRIDES].tolist() == [SET]
    assert df[C.CONFIG_SHA256].tolist() == [sha(cfg)] and df[C.WORKLOAD_SHA256].tolist() == [sha(wl)]
    assert df[[C.CIMSIM_VERSION, C.CIMSIM_REVISION]].values.tolist() == [WHO]
    html = pages[0][0].decode()
    footer = html[html.index('<footer id="provenance">'):]
    assert f"cimsim {WHO[0]} rev {WHO[1]}" in footer
    for f in (cfg, wl):
        assert os.path.abspath(f) in footer and sha(f) in footer


def test_sweep_csv_records_files_and_cimsim_last(tmp_path, files):
    cfg, wl = files
    csvs = []
    for n in ("a", "b"):
        invoke("sweep", cfg, "-w", wl, "--param", "memory.dram.bandwidth=1TB/s,2TB/s", "-q",
               "--workers", "1", "-o", tmp_path / f"{n}.parquet", "--csv", tmp_path / f"{n}.csv")
        csvs.append((tmp_path / f"{n}.csv").read_bytes())
    assert csvs[0] == csvs[1]
    df = pd.read_csv(tmp_path / "a.csv", keep_default_na=False)
    assert list(df.columns)[-2:] == [C.CIMSIM_VERSION, C.CIMSIM_REVISION]
    assert df[[C.CIMSIM_VERSION, C.CIMSIM_REVISION]].values.tolist() == [WHO, WHO]
    assert df[C.CONFIG_SHA256].tolist() == [sha(cfg)] * 2 and df[C.WORKLOAD_SHA256].tolist() == [sha(wl)] * 2
    assert df[C.CONFIG_PATH].tolist() == [os.path.abspath(cfg)] * 2
    # the Parquet attrs hold the same records (one helper made both)
    attrs = pd.read_parquet(tmp_path / "a.parquet").attrs
    assert attrs["cimsim_configs"][str(cfg)] == {"path": os.path.abspath(cfg), "sha256": sha(cfg)}


def test_validate_csv_records_cimsim(tmp_path):
    outs = []
    for n in ("v1", "v2"):
        invoke("validate", "-s", "pim-published", "-o", tmp_path / f"{n}.csv")
        outs.append((tmp_path / f"{n}.csv").read_bytes())
    assert outs[0] == outs[1]
    df = pd.read_csv(tmp_path / "v1.csv", keep_default_na=False)
    assert list(df.columns)[-2:] == [C.CIMSIM_VERSION, C.CIMSIM_REVISION]
    assert (df[[C.CIMSIM_VERSION, C.CIMSIM_REVISION]].values.tolist() == [WHO] * len(df))


@pytest.mark.torch
@pytest.mark.slow
def test_a_traced_file_records_its_spec_hash_and_torch(tmp_path):
    torch = pytest.importorskip("torch")
    src = tmp_path / "model.py"
    src.write_text("import torch\n\ndef factory():\n"
                   "    return torch.nn.Linear(8, 4), (torch.zeros(1, 8),)\n")
    spec = f"{src}:factory"
    invoke("trace", spec, "-o", tmp_path / "a.json")
    invoke("trace", spec, "-o", tmp_path / "b.json", "--name", "a")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    meta = json.loads((tmp_path / "a.json").read_text())["metadata"]
    assert meta["traced_from"] == {"spec": spec, "path": os.path.abspath(src), "sha256": sha(src)}
    assert meta["torch_version"] == torch.__version__.split("+")[0]
    assert "transformers_version" not in meta  # no Hugging Face model was built


@pytest.mark.torch
@pytest.mark.slow
def test_a_hugging_face_zoo_trace_records_transformers(tmp_path):
    transformers = pytest.importorskip("transformers")
    invoke("trace", "--zoo", "gpt2", "--param", "n_layer=1", "-o", tmp_path / "g.json")
    meta = json.loads((tmp_path / "g.json").read_text())["metadata"]
    assert meta["traced_from"] == {"spec": "gpt2", "zoo": True, "params": ["n_layer=1"]}
    assert meta["transformers_version"] == transformers.__version__


# ---------------------------------------------------------------- the Python API records them too
def test_the_api_result_is_the_run_json_object():
    """``Result.to_json()`` of the library's run equals ``cimsim run --json``, key for key."""
    from cimsim import load_architecture, load_workload, simulate

    cli = json.loads(invoke("run", "cpu-ddr5", "lstm", "--json").stdout)
    api = simulate(load_architecture("cpu-ddr5"), load_workload("lstm")).to_json()
    assert list(api) == list(cli) and json.loads(json.dumps(api)) == cli
    assert api[C.CONFIG_SHA256] == sha(bundled.resolve_config("cpu-ddr5"))
    assert api[C.WORKLOAD_PATH] == os.path.abspath(bundled.resolve_workload("lstm"))


def test_the_api_result_records_the_overrides_and_the_user_s_files(files):
    from cimsim import load_architecture, load_workload, simulate

    cfg, wl = files
    cli = json.loads(invoke("run", cfg, wl, "--json", "--set", SET).stdout)
    arch = load_architecture(cfg, overrides={"memory.dram.bandwidth": "1TB/s"})
    api = simulate(arch, load_workload(wl)).to_json()
    assert json.loads(json.dumps(api)) == cli
    assert api[C.OVERRIDES] == {"memory.dram.bandwidth": "1TB/s"}
    assert (api[C.CONFIG_PATH], api[C.CONFIG_SHA256]) == (os.path.abspath(cfg), sha(cfg))
    assert (api[C.WORKLOAD_PATH], api[C.WORKLOAD_SHA256]) == (os.path.abspath(wl), sha(wl))


def test_an_architecture_and_a_workload_remember_their_source(files):
    import dataclasses
    import pickle

    from cimsim import load_architecture, load_workload, simulate
    from cimsim.config import architecture_from_dict
    from cimsim.config.value import architecture_to_dict

    cfg, wl = files
    arch = load_architecture(cfg, overrides={"processor.cores": 66})
    assert (arch.source.path, arch.source.sha256) == (os.path.abspath(cfg), sha(cfg))
    assert arch.source.overrides == {"processor.cores": 66}
    arch.source.overrides["processor.cores"] = 1  # a copy: the record stays as loaded
    assert pickle.loads(pickle.dumps(arch)).source == arch.source
    with pytest.raises(dataclasses.FrozenInstanceError):
        arch.source = None
    work = load_workload(wl)
    assert (work.source.path, work.source.sha256) == (os.path.abspath(wl), sha(wl))
    with pytest.raises(AttributeError):
        work.source = None
    # from a mapping: no file, the overrides it was given; the same value, the same result
    again = architecture_from_dict(architecture_to_dict(arch), set_by={"processor.cores": 66})
    assert (again.source.path, again.source.sha256, again.source.overrides) == \
        (None, None, {"processor.cores": 66})
    assert again == arch
    out = simulate(again, work).to_json()
    assert (out[C.CONFIG_PATH], out[C.CONFIG_SHA256], out[C.OVERRIDES]) == (None, None, {"processor.cores": 66})
    assert simulate(again, work) == simulate(arch, work)  # what it computed, not where from


def test_the_regression_reference_holds_no_path():
    """``make_reference.py`` drops every key holding a path: the reference is the same on every
    machine (the files' SHA-256 and the overrides it keeps)."""
    import importlib.util
    from pathlib import Path

    from cimsim import load_architecture, load_workload, simulate

    mk = Path(__file__).parents[1] / "regression" / "make_reference.py"
    spec = importlib.util.spec_from_file_location("make_reference", mk)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    row = simulate(load_architecture("cpu-ddr5"), load_workload("lstm")).to_json()
    held = {k for k, v in row.items() if isinstance(v, str) and os.path.isabs(v)}
    assert held == {C.CONFIG_PATH, C.WORKLOAD_PATH} and held <= set(mod.PROVENANCE)
    assert {C.CONFIG_SHA256, C.WORKLOAD_SHA256, C.OVERRIDES}.isdisjoint(mod.PROVENANCE)
