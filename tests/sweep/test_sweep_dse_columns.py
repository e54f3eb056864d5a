"""What a design-space sweep's rows must carry (find-J 1, 1b, 6): the run's notes and an
``extrapolated`` flag, a note where a count changes under a total that does not scale, and the
area of the CIM arrays the workload needs.

Closed forms: the 22 nm nominal supply is 0.9 V and the voltage laws were fitted on 0.8-1.1 x
nominal (0.72-0.99 V), so 0.5 V is outside and 0.72 V, 0.9 V inside. hbm-pim has 8 units per
channel x 160 channels = 1,280 units and pim.static_power 5 W; 32 per channel gives 5,120
units, where the same power per unit would be 5 W x 5,120 / 1,280 = 20 W (1 per channel: 160
units, 625 mW). rram-cim gives cim.static_power 6.68883 W for 16,992 arrays.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.cli import main
from cimsim.config import load_architecture
from cimsim.report import columns as C
from cimsim.sweep import sweep
from cimsim.workload import Workload
from conftest import gemv_workload


def gemv() -> Workload:
    """One fp16 GEMV of a 512 x 512 weight (a PIM claims one-row matmuls)."""
    return gemv_workload(512, 512, dtype="fp16")


def test_sweep_rows_carry_notes_and_extrapolated(tmp_path):
    out = tmp_path / "v.parquet"
    df = sweep("rram-cim-derived", "tcn", ["technology.voltage=0.5V,0.72V,0.9V"], engine="analytic",
               output=out, quiet=True, workers=1)
    df = pd.read_parquet(out).sort_values("technology.voltage")
    assert df["technology.voltage"].tolist() == [0.5, 0.72, 0.9]
    assert df[C.EXTRAPOLATED].tolist() == [True, False, False]
    # the notes cell is run --json's list, one note a line
    arch = load_architecture("rram-cim-derived", {"technology.voltage": "0.5 V"})
    from cimsim.bundled import resolve_workload
    from cimsim import load_workload

    r = simulate(arch, load_workload(resolve_workload("tcn")), engine="analytic")
    assert r.extrapolated is True and r.to_json()[C.EXTRAPOLATED] is True
    assert df[C.NOTES].iloc[0].split(C.NOTES_SEPARATOR) == r.to_json()["notes"]
    assert "outside the 0.8-1.1 x the circuit models' voltage laws were fitted on: extrapolated" \
        in df[C.NOTES].iloc[0]
    assert "extrapolated" not in df[C.NOTES].iloc[1]
    # the end line counts them
    from cimsim.sweep.runner import describe_run

    assert ", 1 extrapolated (" in describe_run(df)


def test_extrapolated_only_where_the_models_derive_at_that_supply():
    # rram-cim gives its numbers (no technology block): no voltage law runs, nothing extrapolated
    wl = gemv()
    assert simulate(load_architecture("rram-cim"), wl, engine="analytic").extrapolated is False
    assert simulate(load_architecture("rram-cim-derived", {"technology.voltage": "0.99 V"}), wl,
                    engine="analytic").extrapolated is False  # 1.1 x 0.9 V: the fit's top end
    assert simulate(load_architecture("rram-cim-derived", {"technology.voltage": "1.0 V"}), wl,
                    engine="analytic").extrapolated is True  # 1.11 x nominal


def _total_notes(result) -> list[str]:
    return [n for n in result.notes if "is a total given for" in n]


def test_pim_unit_count_under_a_fixed_static_power_is_noted():
    wl = gemv()
    assert _total_notes(simulate(load_architecture("hbm-pim"), wl, engine="analytic")) == []
    more = simulate(load_architecture("hbm-pim", {"pim.units_per_channel": 32}), wl, engine="analytic")
    assert _total_notes(more) == [
        "pim.static_power (5 W) is a total given for 1,280 units; with 5,120 units it is not "
        "scaled (scaled with the units it would be 20 W: set pim.static_power with the count to "
        "compare designs)"]
    fewer = simulate(load_architecture("hbm-pim", {"pim.units_per_channel": 1}), wl, engine="analytic")
    assert "with 160 units it is not scaled (scaled with the units it would be 625 mW" \
        in _total_notes(fewer)[0]
    # the channels of the level the units sit in count too
    chans = simulate(load_architecture("hbm-pim", {"memory.dram.channels": 320}), wl, engine="analytic")
    assert "with 2,560 units" in _total_notes(chans)[0]
    # set together with its count, the total is the user's: no note
    both = load_architecture("hbm-pim", {"pim.units_per_channel": 32, "pim.static_power": "20 W"})
    assert _total_notes(simulate(both, wl, engine="analytic")) == []


def test_cim_arrays_under_a_given_static_power_is_noted_not_a_derived_one():
    wl = gemv()
    r = simulate(load_architecture("rram-cim", {"cim.arrays": 33984}), wl, engine="analytic")
    assert _total_notes(r) == [
        "cim.static_power (6.689 W) is a total given for 16,992 arrays; with 33,984 arrays it is "
        "not scaled (scaled with the arrays it would be 13.38 W: set cim.static_power with the "
        "count to compare designs)",
        # find-B 2: the buffer (177 tiles x 0.083 mm^2 eDRAM) and other (177 x 0.13185 mm^2)
        # areas are totals for the same 16,992 arrays: 2 x 14.691 = 29.38, 2 x 23.337 = 46.67
        "cim.area.buffer (14.69 mm²) is a total given for 16,992 arrays; with 33,984 arrays it "
        "is not scaled (scaled with the arrays it would be 29.38 mm²: set cim.area.buffer with "
        "the count to compare designs)",
        "cim.area.other (23.34 mm²) is a total given for 16,992 arrays; with 33,984 arrays it "
        "is not scaled (scaled with the arrays it would be 46.67 mm²: set cim.area.other with "
        "the count to compare designs)"]
    # split over 4 chips of 4,248 (16,992 / 4): each chip counts the totals whole, and the note
    # says so: 14.691 / 4 = 3.673 mm^2 scaled
    four = simulate(load_architecture("rram-cim", {
        "cim.arrays": 4248, "cim.chips": 4, "cim.weight_replication": False,
        "cim.chip_link": "interconnect"}), wl, engine="analytic")
    assert ("cim.area.buffer (14.69 mm²) is a total given for 16,992 arrays; with 4,248 arrays "
            "it is not scaled, and each of the 4 chips counts it whole (scaled with the arrays it "
            "would be 3.673 mm²") in _total_notes(four)[1]
    # rram-cim-derived leaves static_power out: the leakage model scales it with the arrays
    d = simulate(load_architecture("rram-cim-derived", {"cim.arrays": 1000}), wl, engine="analytic")
    assert _total_notes(d) == []


def test_sweep_rows_carry_the_total_note(tmp_path):
    from cimsim.workload import save_workload

    path = tmp_path / "gv.json"
    save_workload(gemv(), path)
    df = sweep("hbm-pim", str(path), ["pim.units_per_channel=8,32"], engine="analytic", quiet=True,
               workers=1).sort_values("pim.units_per_channel")
    notes = df[C.NOTES].tolist()
    assert "is a total given for" not in notes[0]
    assert "pim.static_power (5 W) is a total given for 1,280 units; with 5,120 units" in notes[1]


@pytest.mark.slow
def test_area_needed_of_digits_cnn_is_six_arrays():
    res = CliRunner().invoke(main, ["run", "rram-cim-derived", "digits-cnn", "--json",
                                    "--engine", "analytic"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output[res.output.index("{"):])
    assert d["cim_arrays_needed"] == 6
    a = d["area_breakdown_m2"]
    per_array = sum(a[f"cim_{p}"] for p in ("arrays", "adc", "dac", "digital")) / 33800
    assert d["cim_area_needed_m2"] == pytest.approx(6 * per_array, rel=1e-12, abs=0)
    assert d["cim_area_needed_m2"] < d["area_m2"] / 5000  # 6 of 33,800 arrays


def test_area_needed_equals_the_arrays_area_when_sized_to_the_workload():
    # tcn needs 768 arrays; with exactly 768 the needed area is every per-array part's area
    from cimsim.bundled import resolve_workload
    from cimsim import load_workload

    r = simulate(load_architecture("rram-cim-derived", {"cim.arrays": 768}),
                 load_workload(resolve_workload("tcn")), engine="analytic")
    assert r.facts["cim_arrays_needed"] == 768
    a = r.area_breakdown_m2
    assert r.facts["cim_area_needed_m2"] == pytest.approx(
        a["cim_arrays"] + a["cim_adc"] + a["cim_dac"] + a["cim_digital"], rel=1e-12, abs=0)
    assert r.record()["cim_area_needed_m2"] == r.facts["cim_area_needed_m2"]
