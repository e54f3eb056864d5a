"""find-B #4: `cimsim plot` draws average power (W) and power density (W/mm²) against the swept
parameter, each TDP a config states as a dashed line (hbm-pim's H100 SXM5 module: 700 W)."""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner

from cimsim import plot as P
from cimsim.cli import main
from cimsim.commands.plot import _tdps
from cimsim.sweep import sweep


def test_power_figure_plots_w_and_w_per_mm2_with_the_tdp_line(tmp_path):
    out = tmp_path / "cap.parquet"
    df = sweep(["hbm-pim"], "lstm", ["pim.power_cap=10W,100W"], engine="analytic", workers=1, output=out)
    res = CliRunner().invoke(main, ["plot", str(out), "-o", str(tmp_path / "f"), "--format", "png",
                                    "--no-roofline"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "f" / "cap-power.png").is_file()
    fig = P.power_vs_param(df, "pim.power_cap", _tdps(df, ["pim.power_cap"]))  # what the command draws
    watts, density = fig.axes[:2]
    assert watts.get_ylabel() == "average power [W]" and density.get_ylabel() == "power density [W/mm²]"
    lines = [ln for ln in watts.get_lines() if len(ln.get_xdata()) > 1 and ln.get_linestyle() != "--"]
    want = (df.sort_values("pim.power_cap")["energy_j"] / df.sort_values("pim.power_cap")["latency_s"]).to_numpy()
    np.testing.assert_allclose(np.asarray(lines[0].get_ydata(), float), want, rtol=1e-12)
    # the GH100 die's 814 mm² (hbm-pim declares no PIM area): W / mm² of the power in it, the
    # HBM's access energy / latency left out (find-B 2)
    s = df.sort_values("pim.power_cap")
    # and the PIM units' energy and 5 W static power, dissipated in those HBM dies (review P 1)
    die = want - ((s["energy_dram_j"] + s["energy_pim_compute_j"]) / s["latency_s"] + 5.0).to_numpy()
    d = [ln for ln in density.get_lines() if len(ln.get_xdata()) > 1]
    np.testing.assert_allclose(np.asarray(d[0].get_ydata(), float), die / 814, rtol=1e-9)
    tdp = [ln for ln in watts.get_lines() if ln.get_linestyle() == "--"]
    assert [float(ln.get_ydata()[0]) for ln in tdp] == [700.0]
    assert any("TDP hbm-pim: processor 700 W" in t.get_text() for t in watts.texts)


def test_configs_sharing_a_tdp_draw_one_line_and_one_label(tmp_path):
    """review 13-3 #3: cpu-ddr5 and sram-cim carry the same 185 W Xeon host; one dashed line and
    label per architecture were drawn over each other, unreadable. Now one line, one label
    naming both (grey: no single architecture's colour)."""
    df = sweep(["cpu-ddr5", "sram-cim"], "gru", ["memory.dram.bandwidth=100GB/s,200GB/s"],
               engine="analytic", workers=1, output=tmp_path / "two.parquet")
    fig = P.power_vs_param(df, "memory.dram.bandwidth", _tdps(df, ["memory.dram.bandwidth"]))
    watts = fig.axes[0]
    tdp = [ln for ln in watts.get_lines() if ln.get_linestyle() == "--"]
    assert [float(ln.get_ydata()[0]) for ln in tdp] == [185.0]
    labels = [t.get_text() for t in watts.texts if t.get_text().startswith("TDP")]
    assert labels == ["TDP cpu-ddr5: processor, sram-cim: processor 185 W"]


def test_a_config_given_as_a_path_gets_its_tdp_line(tmp_path):
    """The README's ADC-bits sweep names its configs by path (configs/sram-cim-derived.yaml):
    the TDPs were keyed by that path while the figure looks them up by architecture name, so no
    line was drawn. The Xeon host's 185 W is drawn now."""
    from cimsim.bundled import resolve_config

    path = str(resolve_config("sram-cim-derived"))
    df = sweep([path], "gru", ["cim.adc.bits=4,8"], engine="analytic", workers=1,
               output=tmp_path / "p.parquet")
    assert _tdps(df, ["cim.adc.bits"]) == {"sram-cim-derived": [("processor", 185.0)]}
    watts = P.power_vs_param(df, "cim.adc.bits", _tdps(df, ["cim.adc.bits"])).axes[0]
    assert [float(ln.get_ydata()[0]) for ln in watts.get_lines() if ln.get_linestyle() == "--"] == [185.0]
