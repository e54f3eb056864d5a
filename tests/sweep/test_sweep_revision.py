"""Which cimsim computed a sweep's rows, and what a resumed sweep does with rows it cannot reuse.

Findings: a resumed sweep reused rows an older cimsim had computed (one table, two models); a
config whose contents changed made the rerun delete the old rows as "points of another sweep";
a symlinked ``-o`` took a second lock; an ``-o`` naming a user's own Parquet table replaced it.
Every sweep here is real (the analytic engine, one worker, a two-op workload); "rows of an older
cimsim" are a real sweep file whose recorded revision is set to another one, as an older cimsim
(or one from before revisions were recorded) leaves it.
"""

from __future__ import annotations

import hashlib
import os

import pandas as pd
import pytest
from click.testing import CliRunner

import cimsim
from cimsim.bundled import resolve_config
from cimsim.cli import main
from cimsim.sweep import SweepStore, sweep
from cimsim.sweep.store import SweepBusy

BW2 = "memory.dram.bandwidth=10GB/s,20GB/s"
BW3 = "memory.dram.bandwidth=10GB/s,20GB/s,40GB/s"


def _cli(*args):
    return CliRunner().invoke(main, ["sweep", *map(str, args)])


def _base(chain_json, out, config="cpu-ddr5"):
    return [config, "-w", chain_json, "--engine", "analytic", "--workers", "1", "-q", "-o", out]


def _rewrite(path, **attrs):
    """The file as an older cimsim left it: its recorded version and revision replaced (None:
    removed, as before they were recorded), its latencies doubled (the older model's numbers)."""
    df = pd.read_parquet(path)
    df["latency_s"] = df["latency_s"] * 2
    for key, value in attrs.items():
        if value is None:
            df.attrs.pop(key, None)
        else:
            df.attrs[key] = value
    df.to_parquet(path, index=False)


def test_the_sweep_file_records_the_version_and_revision(tmp_path, chain_json):
    out = tmp_path / "s.parquet"
    assert _cli(*_base(chain_json, out), "--param", BW2).exit_code == 0
    attrs = pd.read_parquet(out).attrs
    assert attrs["cimsim_version"] == cimsim.__version__
    assert attrs["cimsim_revision"] == cimsim.model_revision()


@pytest.mark.parametrize("old_version, old_revision, said", [
    ("0.4.0.dev0", "0123456789ab", "cimsim 0.4.0.dev0 rev 0123456789ab"),
    (None, None, "a cimsim that recorded no version or revision"),
])
def test_rows_of_another_revision_are_computed_again(tmp_path, chain_json, old_version, old_revision,
                                                     said):
    """The finding: 2 points by the old cimsim, extended to 3 by the new one, gave "1 computed,
    2 already done" and a table of two models. Now all 3 are computed, the old rows are kept
    aside, and one warning line names both cimsims."""
    out, fresh = tmp_path / "mix.parquet", tmp_path / "fresh.parquet"
    assert _cli(*_base(chain_json, out), "--param", BW2).exit_code == 0
    _rewrite(out, cimsim_version=old_version, cimsim_revision=old_revision)
    res = _cli(*_base(chain_json, out), "--param", BW3)
    assert res.exit_code == 0, res.output
    assert "3 rows: 3 computed, 0 already done" in res.stdout
    moved = sorted(tmp_path.glob("mix.replaced-*.parquet"))
    assert len(moved) == 1
    now = f"cimsim {cimsim.__version__} rev {cimsim.model_revision()}"
    assert res.stderr.splitlines()[:1] == [
        f"warning: {out}: 2 of its 2 stored rows were computed by {said}, not by this {now}: their "
        f"points are computed again (the old rows are moved to {moved[0]} when this sweep finishes)"]
    assert _cli(*_base(chain_json, fresh), "--param", BW3).exit_code == 0
    got, want = pd.read_parquet(out), pd.read_parquet(fresh)
    assert got["latency_s"].tolist() == want["latency_s"].tolist()
    # the old rows: the 10 and 20 GB/s points, with the old model's (doubled) latencies
    old = pd.read_parquet(moved[0])
    assert old["memory.dram.bandwidth"].tolist() == [10e9, 20e9]
    assert old["latency_s"].tolist() == [2 * x for x in want["latency_s"][:2]]
    # the rerun, by this cimsim: everything reused, nothing said
    res = _cli(*_base(chain_json, out), "--param", BW3)
    assert "3 rows: 0 computed, 3 already done" in res.stdout and "warning" not in res.stderr


def test_a_changed_config_is_named_and_its_rows_kept(tmp_path, chain_json):
    """The same command after the config file changed said the rows were "points of another
    sweep" and deleted them. Now the warning names the file and both SHA-256s, and the rows
    are moved to a sibling file."""
    cfg = tmp_path / "lab.yaml"
    cfg.write_bytes(resolve_config("cpu-ddr5").read_bytes())
    out = tmp_path / "bw.parquet"
    assert _cli(*_base(chain_json, out, cfg), "--param", BW2).exit_code == 0
    then = hashlib.sha256(cfg.read_bytes()).hexdigest()
    cfg.write_bytes(cfg.read_bytes() + b"# the lab's edit\n")
    now = hashlib.sha256(cfg.read_bytes()).hexdigest()
    res = _cli(*_base(chain_json, out, cfg), "--param", BW2)
    assert res.exit_code == 0, res.output
    moved = sorted(tmp_path.glob("bw.replaced-*.parquet"))
    assert len(moved) == 1
    assert res.stderr.splitlines()[:1] == [
        f"warning: {out}: 2 of its 2 stored rows are points of another sweep (config {cfg} "
        f"({cfg}) has other contents than when they were computed (sha256 {then[:12]} then, "
        f"{now[:12]} now)); they are moved to {moved[0]} when this sweep finishes, and the file "
        "is rewritten without them"]
    assert len(pd.read_parquet(moved[0])) == 2 and len(pd.read_parquet(out)) == 2
    assert pd.read_parquet(moved[0]).attrs["cimsim_configs"][str(cfg)]["sha256"] == then


def test_a_symlinked_output_is_the_same_file_and_lock(tmp_path, chain_json):
    """Two names of one file took two locks, so two sweeps wrote it at once; the final rename
    replaced the link."""
    real, link = tmp_path / "L.parquet", tmp_path / "Lk.parquet"
    link.symlink_to(real.name)
    with SweepStore(real):
        with pytest.raises(SweepBusy, match="another sweep is writing"):
            sweep("cpu-ddr5", chain_json, [BW2], engine="analytic", output=link, workers=1)
    df = sweep("cpu-ddr5", chain_json, [BW2], engine="analytic", output=link, workers=1)
    assert link.is_symlink() and os.readlink(link) == real.name
    assert pd.read_parquet(real)["point_id"].tolist() == df["point_id"].tolist()
    assert not SweepStore(link).lock_path.exists() and not (tmp_path / "Lk.parquet.parts").exists()


def test_an_output_that_is_not_a_sweep_is_refused(tmp_path, chain_json):
    """A user's own Parquet table named by -o was replaced without a word."""
    mine = tmp_path / "mydata.parquet"
    pd.DataFrame({"a": [1, 2, 3]}).to_parquet(mine)
    before = mine.read_bytes()
    res = _cli(*_base(chain_json, mine), "--param", BW2)
    assert res.exit_code == 1
    assert res.stderr == (f"Error: -o {mine}: exists and is not a cimsim sweep (no point_id column); "
                          "give another -o\n")
    assert mine.read_bytes() == before


def _old_then_interrupted(tmp_path, chain_json):
    """Review 1's setup: 3 points by an older cimsim (the file's revision set to another), then
    this cimsim's rerun interrupted after its first row (one part file of this revision)."""
    out = tmp_path / "r.parquet"
    sweep("cpu-ddr5", chain_json, [BW3], engine="analytic", output=out, workers=1, quiet=True)
    _rewrite(out, cimsim_revision="0123456789ab")

    def stop(n):
        raise KeyboardInterrupt

    with pytest.warns(cimsim.CimsimWarning), pytest.raises(KeyboardInterrupt):
        sweep("cpu-ddr5", chain_json, [BW3], engine="analytic", output=out, workers=1, quiet=True,
              chunk_size=1, flush_rows=1, on_rows=stop)
    assert len(list((tmp_path / "r.parquet.parts").glob("part-*.parquet"))) == 1
    return out


def test_points_an_interrupted_run_recomputed_are_not_said_to_be_computed_again(tmp_path, chain_json):
    """The warning said all 3 old rows' points "are computed again" while the run computed 2 and
    reused the 1 the interrupted run had redone."""
    out = _old_then_interrupted(tmp_path, chain_json)
    with pytest.warns(cimsim.CimsimWarning) as said:
        df = sweep("cpu-ddr5", chain_json, [BW3], engine="analytic", output=out, workers=1, quiet=True)
    assert (df.attrs["computed"], df.attrs["reused"]) == (2, 1)
    line = next(str(w.message) for w in said if "stored rows were computed by" in str(w.message))
    assert ("3 of its 4 stored rows were computed by cimsim " in line
            and ": 2 of their points are computed again, 1 of their points were already computed "
                "again by this cimsim (the old rows are moved to " in line), line


def test_replaced_rows_of_two_revisions_say_each_rows_revision(tmp_path, chain_json):
    """The replaced file took the attrs of the file most of its rows came from, so a row this
    cimsim computed was labelled with the old revision, and its point appeared twice with no way
    to tell the rows apart. Each row now carries its own cimsim_version / cimsim_revision."""
    out = _old_then_interrupted(tmp_path, chain_json)
    with pytest.warns(cimsim.CimsimWarning):  # other values: all 4 stored rows are replaced
        sweep("cpu-ddr5", chain_json, ["memory.dram.bandwidth=80GB/s"], engine="analytic",
              output=out, workers=1, quiet=True)
    (moved,) = tmp_path.glob("r.replaced-*.parquet")
    old = pd.read_parquet(moved).sort_values(["memory.dram.bandwidth", "cimsim_revision"])
    assert old["memory.dram.bandwidth"].tolist() == [10e9, 10e9, 20e9, 40e9]
    now = cimsim.model_revision()
    assert old["cimsim_revision"].tolist() == sorted(["0123456789ab", now]) + ["0123456789ab"] * 2
    assert set(old["cimsim_version"]) == {cimsim.__version__}
    assert "cimsim_revision" not in old.attrs and "cimsim_version" not in old.attrs


def test_a_link_to_a_device_keeps_its_lock_and_parts_beside_the_link(tmp_path, chain_json):
    """``-o null.parquet`` linked to /dev/null (to keep only --csv) put the lock and the parts
    in /dev (``/dev/null.lock``, ``/dev/null.parts``): created there as root, "Permission
    denied" otherwise. A device is kept as named, as atomic.target_of keeps it."""
    link = tmp_path / "null.parquet"
    link.symlink_to(os.devnull)
    store = SweepStore(link)
    assert (store.output, store.lock_path, store.parts_dir) == (
        link, tmp_path / "null.parquet.lock", tmp_path / "null.parquet.parts")
    res = _cli(*_base(chain_json, link), "--param", BW2, "--csv", tmp_path / "s.csv")
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(tmp_path / "s.csv")) == 2
    assert link.is_symlink() and os.readlink(link) == os.devnull
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null.parquet", "s.csv"]
