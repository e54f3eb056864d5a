"""The pipeline's steady state (report.stream) against the DES for ops whose transfers are serial.

A stage is the time its ops hold their server in the DES: a serial op's transfers, a CIM chip's
shared global buffer and bus included, then its compute, then its fixed latency. Before
2026-12-06 a stage was its ops' compute time alone, which leaves a chip op's shared-level time
out (it is on the engine resource, not in compute_s): the interval came out below the DES's.
Golden values are hand arithmetic from the config (stated beside each), checked against the
DES's start-to-start gap of a stream of 8 identical samples.
"""

from __future__ import annotations

import numpy as np
import pytest

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.workload import Op, Tensor, Workload
from conftest import tiny_chip

N = 8  # samples in the stream
T_VECTOR = 8 * 100e-9  # 8 one-bit input slices x max(100 ns read, 64 cols / 64 ADCs at 1 GHz)
BUS_CYCLE = 10e-9  # the 8-bit chip bus at 100 MHz


def CHIP_DICT(transfers: str = "serial", area: bool = False) -> dict:  # noqa: N802
    """The chip: 16 64 x 64 RRAM arrays, 4 PEs of 4, one chip-level 8-bit bus at 100 MHz shared
    by every layer (with ``area``, the bus declares 0.01 mm², so OPS/mm² is printed)."""
    bus = {"type": "bus", "width_bits": 8, "clock": "100 MHz", "energy_per_bit_per_hop": "0 pJ/bit",
           **({"area": "0.01 mm^2"} if area else {})}
    return tiny_chip(transfers, {"interconnect": bus}, "stream-chip")


def chip_arch(transfers: str = "serial"):
    return architecture_from_dict(CHIP_DICT(transfers))


def stream(layers: int, n: int = N) -> Workload:
    """``n`` independent samples x_i (1 x 64 int8), each through ``layers`` 64 x 64 int8 layers
    (one array each, one weight set for every sample): one GEMV per layer and sample."""
    t = [Tensor(f"w{j}", (64, 64), "int8", "weight") for j in range(layers)]
    ops = []
    for i in range(n):
        t.append(Tensor(f"x{i}_0", (1, 64), "int8", "input"))
        for j in range(layers):
            t.append(Tensor(f"x{i}_{j + 1}", (1, 64), "int8", "activation"))
            ops.append(Op(f"s{i}.l{j}", "matmul", (f"x{i}_{j}", f"w{j}"), (f"x{i}_{j + 1}",),
                          m=1, k=64, n=64, weight=f"w{j}"))
    return Workload(f"stream-{layers}", t, ops, metadata={"batch": n})


def des_gaps(r, layer: int) -> np.ndarray:
    t = r.op_table.set_index("op")
    return np.diff([t.loc[f"s{i}.l{layer}", "start_s"] for i in range(N)])


# one GEMV's stage: 64 B in + 64 B out on the 8-bit bus = 128 cycles, then its one vector on the
# arrays, then the bus's one hop (a cycle, its fixed latency); the link and DRAM at 1 PB/s add
# 64 B / 1e15 B/s = 64 fs beside the bus (concurrent transfers): below the tolerance
STAGE = 128 * BUS_CYCLE + T_VECTOR + 1 * BUS_CYCLE  # 2.09 us


@pytest.mark.parametrize("transfers", ["serial", "overlapped"])  # a one-row op is serial in both
def test_one_layer_stream_interval_is_the_des_gap_bus_included(transfers):
    """One layer: the bus carries 1.28 us per sample, the arrays 0.8 us, but the GEMV waits
    for its transfers: 2.09 us a sample, the DES's gap. The old interval was the bus's 1.28 us
    (the server's 0.8 us of compute left its 1.29 us on the bus out): 1.6x too fast."""
    r = simulate(chip_arch(transfers), stream(1), engine="des", keep_ops=True)
    assert r.facts["pipeline_interval_s"] == pytest.approx(STAGE, rel=1e-6, abs=0)
    assert r.facts["pipeline_limit"] == "cim:w0"
    assert des_gaps(r, 0) == pytest.approx(np.full(N - 1, STAGE), rel=1e-6, abs=0)
    assert r.facts["pipelined_samples_per_s"] == pytest.approx(1 / STAGE, rel=1e-6, abs=0)


def test_two_layer_stream_interval_is_each_stage_alone_a_lower_bound_of_the_des():
    """Two equal layers on their own arrays, one bus: each stage holds its server 2.09 us per
    sample, the bus carries 2 x 1.28 = 2.56 us per sample and sets the interval. The DES runs
    the two stages in lock-step (layer 1 takes sample i as layer 0 takes sample i + 1), so
    their transfers share the bus, each at half rate: 2 x 1.28 + 0.8 + 0.01 = 3.37 us, a
    contention the closed form (each server's ops alone, each resource's total) does not
    model: it is a lower bound there (README, "Throughput of the pipeline")."""
    r = simulate(chip_arch(), stream(2), engine="des", keep_ops=True)
    bus = 2 * 128 * BUS_CYCLE
    assert r.facts["pipeline_interval_s"] == pytest.approx(bus, rel=1e-6, abs=0)
    assert r.facts["pipeline_limit"] == "cim_chip"
    lockstep = 2 * 128 * BUS_CYCLE + T_VECTOR + BUS_CYCLE
    assert des_gaps(r, 0)[-1] == pytest.approx(lockstep, rel=1e-6, abs=0)
    assert r.facts["pipeline_interval_s"] < des_gaps(r, 0)[-1]  # the steady gap, past the fill
    # the run says so (review 13-1 #3): two servers hold the shared level
    said = [n for n in r.notes if n.startswith("pipeline: the ops of 2 servers (layers) use cim_chip")]
    assert len(said) == 1 and "a lower bound" in said[0]


def test_one_layer_on_the_shared_level_gets_no_lower_bound_note():
    """One server alone on the shared level: the closed form is the DES's gap, nothing to say."""
    r = simulate(chip_arch(), stream(1), engine="des", keep_ops=False)
    assert not [n for n in r.notes if n.startswith("pipeline:")]


@pytest.mark.parametrize("samples,label", [(N, f"(the run's latency: {N} samples)"),
                                           (1, "(one sample's latency)")])
def test_the_efficiency_line_says_whose_latency_its_ops_per_mm2_is_over(tmp_path, samples, label):
    """`cimsim run`'s efficiency line labelled its OPS/mm² "(one sample's latency)" on a run
    of 8 samples, where it is 2 x MACs / the run's latency (all 8) / area: it names the run's
    latency and its samples there; a one-sample run keeps the old label."""
    import yaml
    from click.testing import CliRunner

    from cimsim.cli import main
    from cimsim.workload import save_workload

    cfg, wl = tmp_path / "c.yaml", tmp_path / "w.json"
    cfg.write_text(yaml.safe_dump(CHIP_DICT("serial", area=True), sort_keys=False))
    save_workload(stream(1, samples), wl)
    res = CliRunner(env={"COLUMNS": "250"}).invoke(main, ["run", str(cfg), str(wl)])
    assert res.exit_code == 0, res.output
    line = next(ln for ln in res.output.splitlines() if ln.strip().startswith("efficiency"))
    assert "OPS/mm²" in line and line.rstrip().endswith(label), line
