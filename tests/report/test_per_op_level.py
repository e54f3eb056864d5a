"""A CIM chip's one global level (buffer and bus) under ``shared_levels: per_op``: no engine
resource, but a utilization (``util_cim_chip_bw``), a place in the busiest resources and a roof
of its own (find-C 3: neurosim-vgg8's bounding buffer was in no figure).

Golden values are hand arithmetic on ``test_stream_serial``'s chip: an 8-bit chip bus at
100 MHz (10 ns a byte, 100 MB/s), 64 B in + 64 B out a GEMV = 128 cycles = 1.28 us on the bus,
then 8 x 100 ns of array time, then one hop (10 ns): 2.09 us an op alone.
"""

from __future__ import annotations

import pytest

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.plot.roofline import compute_bound, place_ops, roof_levels
from cimsim.report import columns as C
from test_stream_serial import CHIP_DICT, stream

BUS_S = 128 * 10e-9  # one GEMV's 128 B on the 8-bit 100 MHz bus
STAGE = BUS_S + 8 * 100e-9 + 10e-9  # 2.09 us


def per_op_arch():
    d = CHIP_DICT()
    d["cim"]["chip"]["shared_levels"] = "per_op"
    return architecture_from_dict(d)


@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_per_op_level_utilization_is_its_busy_time_over_the_latency(engine):
    r = simulate(per_op_arch(), stream(1, 1), engine=engine, keep_ops=True)
    assert r.latency_s == pytest.approx(STAGE, rel=1e-6, abs=0)
    u = r.utilization["cim_chip_bw"]
    assert u == pytest.approx(BUS_S / STAGE, rel=1e-6, abs=0)  # 1.28 / 2.09 = 61.2 %
    assert r.record()[C.util_column(C.resource_util("cim_chip"))] == u
    assert C.util_column("cim_chip_bw") in C.result_columns(per_op_arch())
    assert max(r.utilization, key=r.utilization.get) == "cim_chip_bw"  # busiest resource


def test_engine_accounting_gives_the_same_occupancy():
    d = CHIP_DICT()  # shared_levels: engine (default): the engine's resource cim_chip
    r = simulate(architecture_from_dict(d), stream(1, 1))
    assert r.utilization["cim_chip_bw"] == pytest.approx(BUS_S / STAGE, rel=1e-6, abs=0)


def test_overlapping_layers_oversubscribe_the_level_reported_unclamped_with_a_note():
    # 2 layers x 8 samples: the layer pipeline takes 9 stages (18.81 us); 16 GEMVs each hold
    # the one bus 1.28 us alone (20.48 us): per_op charges them at once
    r = simulate(per_op_arch(), stream(2, 8), engine="des")
    assert r.latency_s == pytest.approx(9 * STAGE, rel=1e-6, abs=0)
    assert r.utilization["cim_chip_bw"] == pytest.approx(16 * BUS_S / (9 * STAGE), rel=1e-6, abs=0)
    assert r.utilization["cim_chip_bw"] > 1.0
    assert any("cim_chip_bw is 108.9 %" in n and "per_op" in n for n in r.notes)


def test_per_op_level_is_a_roof_at_its_rate_and_bounds_the_op():
    a = per_op_arch()
    r = simulate(a, stream(1, 1), keep_ops=True)
    comp = a.instances[0]
    ops = r.op_table[r.op_table["macs"] > 0]
    levels = roof_levels(a, comp, ops)
    # 8 bit x 100 MHz
    assert ("cim_chip", pytest.approx(100e6, rel=1e-12, abs=0), "cim_chip_bytes") in levels
    assert ops["cim_chip_bytes"].tolist() == [128.0]
    ai, k = place_ops(ops, levels)
    assert levels[k[0]][0] == "cim_chip"
    assert ai[0] == pytest.approx(2 * 64 * 64 / 128, rel=1e-12, abs=0)
    # 1.28 us on the bus against 0.81 us of the rest (arrays and hop): bound by the level
    assert not compute_bound(ops, levels, k)[0]


# 8 layers x 32 samples: the layer pipeline takes 8 + 32 - 1 = 39 stages (81.51 us); 256 GEMVs
# each hold the one bus 1.28 us alone (327.68 us): 4.02 x the latency (review14-1 #3)
DEEP_LAYERS, DEEP_SAMPLES = 8, 32
DEEP_LATENCY = (DEEP_LAYERS + DEEP_SAMPLES - 1) * STAGE  # 81.51 us
DEEP_LEVEL = DEEP_LAYERS * DEEP_SAMPLES * BUS_S  # 327.68 us


@pytest.fixture(scope="module")
def deep():
    return simulate(per_op_arch(), stream(DEEP_LAYERS, DEEP_SAMPLES), engine="des")


def test_an_oversubscribed_level_notes_that_the_latency_is_a_lower_bound(deep):
    assert deep.latency_s == pytest.approx(DEEP_LATENCY, rel=1e-6, abs=0)
    u = deep.utilization["cim_chip_bw"]
    assert u == pytest.approx(DEEP_LEVEL / DEEP_LATENCY, rel=1e-6, abs=0)  # 4.020
    [note] = [n for n in deep.notes if "cim_chip_bw" in n]
    assert "utilization cim_chip_bw is 402.0 %" in note
    assert ("the latency (81.51 µs) is a lower bound: the level alone needs 327.7 µs, 4.0x the "
            "latency; shared_levels: engine serialises it") in note


def test_an_oversubscribed_bar_and_its_value_stay_inside_the_axes(deep):
    from cimsim.plot.run_figures import utilization_bars

    fig = utilization_bars([deep])
    fig.canvas.draw()
    [ax] = fig.axes
    box = ax.get_window_extent()
    bars = {round(p.get_y() + p.get_height() / 2): p for c in ax.containers for p in c.patches}
    names = [t.get_text() for t in ax.get_yticklabels()]
    i = names.index("cim_chip_bw")
    assert bars[i].get_width() == deep.utilization["cim_chip_bw"] > 4.0
    assert bars[i].get_width() < ax.get_xlim()[1]  # the bar is not cut
    [label] = [t for t in ax.texts if t.get_text().strip() == "402.0 %"]
    ext = label.get_window_extent()
    assert box.x0 <= ext.x0 and ext.x1 <= box.x1, (ext, box)
    assert max(ax.get_xticks()[ax.get_xticks() <= ax.get_xlim()[1]]) >= 4.0  # ticks over the range


def test_the_sweep_utilization_figure_shows_an_oversubscribed_level(tmp_path):
    """Its y axis stopped at 1.05: the 402 % point was off the panel."""
    from cimsim.config import save_architecture
    from cimsim.plot import utilization_vs_param
    from cimsim.sweep import sweep
    from cimsim.workload.io import save_workload

    save_architecture(per_op_arch(), tmp_path / "chip.yaml")
    save_workload(stream(DEEP_LAYERS, DEEP_SAMPLES), tmp_path / "deep.json")
    # read latency 100 ns: 402.0 %; 200 ns (a 2.89 us stage): 327.68 / 112.71 us = 290.7 %
    df = sweep(tmp_path / "chip.yaml", tmp_path / "deep.json", ["cim.read_latency=100ns,200ns"],
               engine="des", workers=1)
    col = C.util_column("cim_chip_bw")
    stage_200 = BUS_S + 8 * 200e-9 + 10e-9
    assert df[col].tolist() == pytest.approx(
        [DEEP_LEVEL / DEEP_LATENCY, DEEP_LEVEL / ((DEEP_LAYERS + DEEP_SAMPLES - 1) * stage_200)],
        rel=1e-6, abs=0)
    fig = utilization_vs_param(df, "cim.read_latency")
    [ax] = [a for a in fig.axes if a.lines]
    ys = [y for ln in ax.lines for y in ln.get_ydata()]
    assert max(ys) == pytest.approx(DEEP_LEVEL / DEEP_LATENCY, rel=1e-6, abs=0)
    assert max(ys) < ax.get_ylim()[1]
