"""Per-sample and per-item figures (find-D 2): energy per sample on every result; a workload
that states the items a sample holds (``--items-per-sample 16 --item-name frame``) gets
frames/s and J per frame; ``run``'s text prints them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cimsim.cli import main

pytestmark = pytest.mark.torch

FACTORY = """import torch
def f():
    torch.manual_seed(0)
    return torch.nn.Linear(8, 4).eval(), (torch.randn(4, 8),)
"""


def _trace(tmp_path, *extra):
    (tmp_path / "m.py").write_text(FACTORY)
    out = tmp_path / "w.json"
    r = CliRunner().invoke(main, ["trace", f"{tmp_path / 'm.py'}:f", "-o", str(out), *extra])
    return r, out


def test_items_per_sample_gives_frames_per_second_and_joules_per_frame(tmp_path):
    """4 clips of 16 frames: items_per_s = 4 x 16 / latency, j_per_item = energy / 64,
    j_per_sample = energy / 4; the text prints the same figures with their units."""
    r, wl = _trace(tmp_path, "--batch", "4", "--items-per-sample", "16", "--item-name", "frame")
    assert r.exit_code == 0, r.output
    meta = json.loads(wl.read_text())["metadata"]
    assert (meta["items_per_sample"], meta["item_name"], meta["batch"]) == (16, "frame", 4)
    run = CliRunner().invoke(main, ["run", "cpu-ddr5", str(wl), "--json"])
    assert run.exit_code == 0, run.output
    d = json.loads(run.output)
    lat, e = d["latency_s"], d["energy_j"]
    assert d["samples_per_s"] == pytest.approx(4 / lat, rel=1e-12, abs=0)
    assert d["j_per_sample"] == pytest.approx(e / 4, rel=1e-12, abs=0)
    assert (d["items_per_sample"], d["item_name"]) == (16, "frame")
    assert d["items_per_s"] == pytest.approx(4 * 16 / lat, rel=1e-12, abs=0)
    assert d["j_per_item"] == pytest.approx(e / 64, rel=1e-12, abs=0)
    text = CliRunner(env={"COLUMNS": "400"}).invoke(main, ["run", "cpu-ddr5", str(wl)]).output
    from cimsim.report.format import si

    line = next(ln for ln in text.splitlines() if ln.strip().startswith("per sample"))
    assert (f"4 samples: {si(4 / lat, 'samples/s')}, {si(e / 4, 'J')} per sample; 16 frames a "
            f"sample: {si(64 / lat, 'frames/s')}, {si(e / 64, 'J')} per frame, "
            f"{si(64 / e, 'frames/J')} (= frames/s per W)") in line


def test_a_run_without_items_has_energy_per_sample_and_blank_item_columns(tmp_path):
    r, wl = _trace(tmp_path, "--batch", "4")
    assert r.exit_code == 0, r.output
    d = json.loads(CliRunner().invoke(main, ["run", "cpu-ddr5", str(wl), "--json"]).output)
    assert d["j_per_sample"] == pytest.approx(d["energy_j"] / 4, rel=1e-12, abs=0)
    # unset: null, as its siblings (it was "" beside NaN, so item_name.isna() missed every row)
    assert d["items_per_sample"] is None and d["items_per_s"] is None and d["item_name"] is None


@pytest.mark.parametrize("args, msg", [
    (["--item-name", "frame"], "--item-name goes with --items-per-sample N"),
    (["--items-per-sample", "0"], "--items-per-sample 0: the items one sample holds must be a "
                                  "positive number"),
    (["--items-per-sample", "8", "--item-name", "two words"], "--item-name 'two words': give one word"),
])
def test_bad_item_options_are_one_line(tmp_path, args, msg):
    r, _ = _trace(tmp_path, *args)
    assert r.exit_code != 0 and "Traceback" not in r.output
    assert msg in r.output, r.output


@pytest.mark.parametrize("meta, msg", [
    ({"items_per_sample": -2}, "metadata.items_per_sample must be a positive number"),
    ({"items_per_sample": "16"}, "metadata.items_per_sample must be a positive number"),
    ({"item_name": "frame"}, "metadata.item_name must be a non-empty name (frame, token, bp) given "
                             "with metadata.items_per_sample, got str 'frame' without items_per_sample"),
])
def test_a_workload_file_with_bad_item_metadata_is_refused_in_one_line(tmp_path, meta, msg):
    r, wl = _trace(tmp_path)
    doc = json.loads(wl.read_text())
    doc["metadata"].update(meta)
    wl.write_text(json.dumps(doc))
    run = CliRunner().invoke(main, ["run", "cpu-ddr5", str(wl)])
    assert run.exit_code != 0 and "Traceback" not in run.output
    assert msg in run.output and len(run.output.strip().splitlines()) == 1, run.output


@pytest.mark.slow  # a trace, a compare and a sweep: about 20 s
def test_item_name_is_null_beside_its_siblings_in_compare_csv_and_sweep_parquet(tmp_path):
    """Review of find-D 2 (D 5): item_name was "" where no items are stated while its siblings
    were NaN, so a filter on ``item_name.isna()`` missed every such row. In a compare CSV and a
    sweep's parquet it is now missing exactly where items_per_sample is."""
    import pandas as pd

    r, framed = _trace(tmp_path, "--batch", "4", "--items-per-sample", "16", "--item-name", "frame")
    assert r.exit_code == 0, r.output
    doc = json.loads(framed.read_text())
    del doc["metadata"]["items_per_sample"], doc["metadata"]["item_name"]
    doc["name"] = "plain"  # the same model stating no items (results are keyed by name)
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(doc))
    csv = tmp_path / "c.csv"
    res = CliRunner().invoke(main, ["compare", "cpu-ddr5", "-w", str(framed), "-w", str(plain), "-o", str(csv)])
    assert res.exit_code == 0, res.output
    pq = tmp_path / "s.parquet"
    res = CliRunner().invoke(main, ["sweep", "cpu-ddr5", "-w", str(framed), "-w", str(plain), "--param",
                                    "processor.cores=4", "--workers", "1", "-o", str(pq)])
    assert res.exit_code == 0, res.output
    for df in (pd.read_csv(csv), pd.read_parquet(pq)):
        assert len(df) == 2
        assert (df["item_name"].isna() == df["items_per_sample"].isna()).all()
        assert df["item_name"].isna().sum() == 1 and set(df["item_name"].dropna()) == {"frame"}
