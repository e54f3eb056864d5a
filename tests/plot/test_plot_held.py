"""``cimsim plot`` figures say what they assumed (review find-S, finding 8): the README's ADC-bits
figures swept with both static powers set to 0 W and the analytic engine said neither; every sweep
figure now has a caption under its panels naming the parameters held at one value, with their
units, and the engine; the roofline (configs as written, before the sweep) has none."""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

import cimsim.plot as P
from cimsim.cli import main
from cimsim.plot.held import held_note
from cimsim.sweep import sweep

BW = "memory.dram.bandwidth"


def test_every_sweep_figure_names_the_fixed_params_and_the_engine(tmp_path, chain_json, monkeypatch):
    out = tmp_path / "s.parquet"
    sweep("cpu-ddr5", str(chain_json), [f"{BW}=10GB/s,20GB/s", "processor.static_power=0W",
                                        "processor.cores=8"], engine="analytic", workers=1, output=out)
    drawn = {}
    real = P.save_figure

    def keep(fig, path, formats):  # the real save, and the figure it saved
        drawn[path.name.removeprefix("s-")] = fig
        return real(fig, path, formats)

    monkeypatch.setattr(P, "save_figure", keep)
    res = CliRunner().invoke(main, ["plot", str(out), "-o", str(tmp_path / "f"), "--format", "png",
                                    "--no-roofline"])
    assert res.exit_code == 0, res.output
    assert set(drawn) == {"latency", "energy", "utilization", "efficiency", "power", "energy_breakdown"}
    want = "fixed: processor.static_power = 0 W, processor.cores = 8; engine analytic"
    for name, fig in drawn.items():
        assert fig._supxlabel is not None, name
        assert " ".join(fig._supxlabel.get_text().split()) == want, name
    assert (tmp_path / "f" / "s-energy.png").is_file()


def test_the_note_of_swept_params_and_two_engines(tmp_path, chain_json):
    a = sweep("cpu-ddr5", str(chain_json), [f"{BW}=10GB/s,20GB/s"], engine="analytic", workers=1)
    b = sweep("cpu-ddr5", str(chain_json), [f"{BW}=10GB/s,20GB/s"], engine="des", workers=1)
    assert held_note(a) == "engine analytic"  # nothing held: only the engine
    both = pd.concat([a, b])
    both.attrs = a.attrs
    assert held_note(both) == "engines analytic, des"
