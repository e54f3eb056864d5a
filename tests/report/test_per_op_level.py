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
    assert ("cim_chip", pytest.approx(100e6), "cim_chip_bytes") in levels  # 8 bit x 100 MHz
    assert ops["cim_chip_bytes"].tolist() == [128.0]
    ai, k = place_ops(ops, levels)
    assert levels[k[0]][0] == "cim_chip" and ai[0] == pytest.approx(2 * 64 * 64 / 128)
    # 1.28 us on the bus against 0.81 us of the rest (arrays and hop): bound by the level
    assert not compute_bound(ops, levels, k)[0]
