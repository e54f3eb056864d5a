"""The founding argument's quantities as result columns, on the bundled LSTM (I = H = 2048, 2
layers, T = 100: 6,710,886,400 MACs; each step's recurrent GEMV reads W_hh, 4H x H).
Golden values are closed-form arithmetic (find-K, finding 5)."""

from __future__ import annotations

from cimsim import load_architecture, load_workload, simulate
from cimsim.report import columns as C

H, LAYERS, T = 2048, 2, 100
MACS = LAYERS * (T * 4 * H * (H + H))  # input and recurrent projections, every step
W_HH = 4 * H * H  # elements of one layer's recurrent matrix


def _run(config):
    return simulate(load_architecture(config), load_workload("lstm"), engine="analytic", keep_ops=False)


def test_pim_bank_bytes_are_the_recurrent_weights_read_in_the_banks():
    r = _run("hbm-pim")
    assert r.macs == MACS
    # 200 recurrent GEMVs, each reading W_hh in the units' fp16: 200 x 33.55 MB = 6.7 GB
    assert r.record()[C.fact_column("pim", "bank_bytes")] == LAYERS * T * W_HH * 2 == 6_710_886_400
    # none of them crosses the level's bus: the run's DRAM bytes are under 3 % of them
    assert r.traffic_bytes["dram"] < 0.03 * LAYERS * T * W_HH * 2


def test_ops_per_backing_byte():
    cpu = _run("cpu-ddr5")
    # W_hh (fp32, 67.1 MB) exceeds the caches: every step streams it from DRAM (13.42 GB in all),
    # plus W_ih once per layer and the activations: 2 x MACs / bytes just under 1 op/B
    streamed = LAYERS * T * W_HH * 4
    assert streamed == 13_421_772_800
    row = cpu.record()
    assert row[C.OPS_PER_BACKING_BYTE] <= 2 * MACS / streamed == 1.0
    assert row[C.OPS_PER_BACKING_BYTE] == 2 * MACS / cpu.traffic_bytes["dram"]
    assert row[C.OPS_PER_BACKING_BYTE] > 0.98
    pim = _run("hbm-pim")  # the weights stay in the banks: 30x the CPU's intensity at least
    assert pim.record()[C.OPS_PER_BACKING_BYTE] > 2 * MACS / (0.03 * streamed)
    assert C.OPS_PER_BACKING_BYTE in C.result_columns(load_architecture("sram-cim"))
    assert C.fact_column("pim", "bank_bytes") in C.result_columns(load_architecture("hbm-pim"))
