"""A host activation that its levels do not hold reaches another component from the backing
store (hierarchy rule 7, cimsim.hw.hierarchy.backed_reads).

Until 2026-12-06 the host was taken to hold every tensor it made: ``lin(x * 2.0)`` with x
100,000 x 128 fp32 (51.2 MB, more than the 37.5 MB L3) wrote the mul's 51.2 MB output to DRAM
(hierarchy rule 2) and the CIM's matmul then read 0 B of DRAM, where the same Linear fed a
model input reads 51.2 MB. Golden values are bytes of the tiny workloads below, counted by
hand, at the bundled configs' DRAM numbers (stated in each test).
"""

from __future__ import annotations

import pytest

from cimsim import load_architecture, simulate
from cimsim.workload.builder import WorkloadBuilder

# sram-cim / tpu-like: DDR5 at 20 pJ/bit, 307.2 GB/s x 0.70 sustained, 110 ns; L3 37.5 MB
DRAM_J_PER_B = 20e-12 * 8
DRAM_RATE = 307.2e9 * 0.70


def scaled_linear(rows: int, mul: bool = True):
    """``lin(x * 2.0)``: x (rows x 128 fp32) -> mul on the host -> h; h @ W (128 x 128) -> y.
    Without ``mul`` the Linear reads the model input x itself."""
    b = WorkloadBuilder("scaled-linear")
    b.tensor("x", (rows, 128), "fp32", "input")
    b.tensor("W", (128, 128), "fp32", "weight")
    b.tensor("y", (rows, 128), "fp32", "activation")
    src = "x"
    if mul:
        b.tensor("h", (rows, 128), "fp32", "activation")
        b.op("mul", "elementwise", ["x"], ["h"], fn="mul")
        src = "h"
    b.op("mm", "matmul", [src, "W"], ["y"], m=rows, k=128, n=128, weight="W")
    return b.build()


def test_a_spilled_host_activation_is_read_back_from_dram_for_the_cim():
    # mul's activations: 51.2 MB in + 51.2 MB out > 37.5 MB L3, so it reads x from DRAM and
    # writes h there; the CIM's matmul has the host read h's 51.2 MB back (its fp32 bytes, as
    # a model input's), 8.192 mJ at 20 pJ/bit
    h = 100_000 * 128 * 4
    r = simulate(load_architecture("sram-cim"), scaled_linear(100_000), keep_ops=True)
    ops = r.op_table.set_index("op")
    assert ops.loc["mul", "unit"] == "processor" and ops.loc["mm", "unit"] == "cim"
    assert ops.loc["mm", "dram_bytes"] == h
    assert r.traffic_bytes["dram"] == 3 * h  # x read, h written, h read back
    assert r.energy_breakdown_j["dram"] == pytest.approx(3 * h * DRAM_J_PER_B, rel=1e-12, abs=0)
    # the same as the Linear fed x, a model input, directly
    alone = simulate(load_architecture("sram-cim"), scaled_linear(100_000, mul=False), keep_ops=True)
    assert alone.op_table.set_index("op").loc["mm", "dram_bytes"] == h


def test_the_read_back_takes_the_drams_sustained_rate_and_latency():
    # a link fast enough that DRAM bounds the matmul: 51.2 MB / (307.2 GB/s x 0.7) = 238.1 us,
    # plus the link's 10 ns and DRAM's 110 ns latency (within 0.1 %: the last row's share)
    arch = load_architecture("sram-cim", {"links.interconnect.bandwidth": "1 PB/s"})
    ops = simulate(arch, scaled_linear(100_000), keep_ops=True).op_table.set_index("op")
    assert ops.loc["mm", "fixed_latency_s"] == pytest.approx(10e-9 + 110e-9, rel=1e-12, abs=0)
    assert ops.loc["mm", "duration_s"] == pytest.approx(100_000 * 128 * 4 / DRAM_RATE + 120e-9,
                                                        rel=1e-3, abs=0)


@pytest.mark.parametrize("rows, spilled", [(40_000, True), (36_000, False)])
def test_the_hosts_own_rule_decides_what_spilled(rows, spilled):
    # hierarchy rule 2 on the mul's inputs plus outputs, not on h alone: 40,000 rows make h
    # 20.48 MB (it fits the 37.5 MB L3) but the mul's 40.96 MB do not; 36,000 rows, 36.864 MB,
    # stay in the L3 and the matmul reads no DRAM
    ops = simulate(load_architecture("sram-cim"), scaled_linear(rows), keep_ops=True
                   ).op_table.set_index("op")
    h = rows * 128 * 4
    assert ops.loc["mul", "dram_bytes"] == (2 * h if spilled else h)  # h written there, or not
    assert ops.loc["mm", "dram_bytes"] == (h if spilled else 0)


def test_a_systolic_array_reads_a_spilled_host_activation_back_too():
    # tpu-like: weights from its own weight memory, activations from the host over pcie
    ops = simulate(load_architecture("tpu-like"), scaled_linear(100_000), keep_ops=True
                   ).op_table.set_index("op")
    assert ops.loc["mm", "unit"] == "tpu"
    assert ops.loc["mm", "dram_bytes"] == 100_000 * 128 * 4


def gemv(k: int):
    """h = x * 2.0 on the host (1 x k fp32), then h @ W (k x 1): a GEMV PIM units take."""
    b = WorkloadBuilder("scaled-gemv")
    b.tensor("x", (1, k), "fp32", "input")
    b.tensor("W", (k, 1), "fp32", "weight")
    b.tensor("h", (1, k), "fp32", "activation")
    b.tensor("y", (1, 1), "fp32", "activation")
    b.op("mul", "elementwise", ["x"], ["h"], fn="mul")
    b.op("mm", "matmul", ["h", "W"], ["y"], m=1, k=k, n=1, weight="W")
    return b.build()


def test_pim_units_get_a_spilled_host_activation_after_the_host_reads_it_back():
    # hbm-pim: h is 12.5e6 x 4 B = 50 MB; the mul's 100 MB exceed the 50 MB L2, so h is in
    # HBM. The host writes h into the units in fp16 (25 MB + the 2 B result out) after reading
    # its 50 MB back; with a 1 GB L2 the mul's activations stay there and only the 25 MB move
    k = 12_500_000
    io = (k * 4 + 4) * 0.5
    for l2, back in (("50 MB", k * 4), ("1 GB", 0)):
        arch = load_architecture("hbm-pim", {"memory.sram.capacity": l2})
        ops = simulate(arch, gemv(k), keep_ops=True).op_table.set_index("op")
        assert ops.loc["mm", "unit"] == "pim"
        assert ops.loc["mm", "dram_bytes"] == io + back


# the other way (hierarchy rule 8): an accelerator's output that a host op reads from the
# backing store is written there first, on the op that made it (before 2026-12-06 it was read
# from there but never written: hier-attn's CIM q / k / v read by the host's scores and av)


def linear_then_mul(rows: int):
    """x (rows x 128 fp32) @ W (128 x 128) -> y on the accelerator; z = y * 2.0 on the host."""
    b = WorkloadBuilder("linear-then-mul")
    b.tensor("x", (rows, 128), "fp32", "input")
    b.tensor("W", (128, 128), "fp32", "weight")
    b.tensor("y", (rows, 128), "fp32", "activation")
    b.tensor("z", (rows, 128), "fp32", "activation")
    b.op("mm", "matmul", ["x", "W"], ["y"], m=rows, k=128, n=128, weight="W")
    b.op("mul", "elementwise", ["y"], ["z"], fn="mul")
    return b.build()


@pytest.mark.parametrize("rows, spilled", [(100_000, True), (36_000, False)])
def test_a_cim_output_the_host_reads_from_dram_is_written_there_first(rows, spilled):
    # y = rows x 512 B. 100,000 rows: the mul's 51.2 + 51.2 MB exceed the 37.5 MB L3, so it
    # reads y from DRAM and writes z there; the CIM's mm wrote y's 51.2 MB there first (8.192 mJ
    # at 20 pJ/bit): DRAM = x read + y written + y read + z written = 4 x 51.2 MB (3 x before).
    # 36,000 rows (36.864 MB) stay in the L3: only x comes from DRAM
    n = rows * 128 * 4
    r = simulate(load_architecture("sram-cim"), linear_then_mul(rows), keep_ops=True)
    ops = r.op_table.set_index("op")
    assert ops.loc["mm", "unit"] == "cim" and ops.loc["mul", "unit"] == "processor"
    assert ops.loc["mm", "dram_bytes"] == (2 * n if spilled else n)  # x read, y written
    assert ops.loc["mul", "dram_bytes"] == (2 * n if spilled else 0)  # y read, z written
    total = 4 * n if spilled else n
    assert r.traffic_bytes["dram"] == total
    assert r.write_bytes.get("dram", 0.0) == (2 * n if spilled else 0)  # y and z
    assert r.energy_breakdown_j["dram"] == pytest.approx(total * DRAM_J_PER_B, rel=1e-12, abs=0)


def test_a_systolic_output_the_host_reads_from_dram_is_written_there_first():
    # tpu-like: the array's y goes back over pcie and lands in DRAM, where the mul reads it
    n = 100_000 * 128 * 4
    r = simulate(load_architecture("tpu-like"), linear_then_mul(100_000), keep_ops=True)
    ops = r.op_table.set_index("op")
    assert ops.loc["mm", "unit"] == "tpu"
    assert ops.loc["mm", "dram_bytes"] == 2 * n  # x read from DRAM to send it, y written
    assert r.write_bytes["dram"] == 2 * n  # y, and the mul's z


def gemv_then_mul(n: int):
    """y = x @ W (1 x 1 by 1 x n fp32) on PIM units, then z = y * 2.0 on the host."""
    b = WorkloadBuilder("gemv-then-mul")
    b.tensor("x", (1, 1), "fp32", "input")
    b.tensor("W", (1, n), "fp32", "weight")
    b.tensor("y", (1, n), "fp32", "activation")
    b.tensor("z", (1, n), "fp32", "activation")
    b.op("mm", "matmul", ["x", "W"], ["y"], m=1, k=1, n=n, weight="W")
    b.op("mul", "elementwise", ["y"], ["z"], fn="mul")
    return b.build()


def test_pim_results_the_host_reads_from_hbm_are_written_there():
    # hbm-pim: y is 12.5e6 x 4 B = 50 MB; the mul's 100 MB exceed the 50 MB L2, so it reads y
    # from HBM: the units' results (x in, y out in fp16: (4 + 50e6) x 0.5 B) and y's 50 MB
    # written; with a 1 GB L2 only the units' I/O
    n = 12_500_000
    io = (4 + n * 4) * 0.5
    for l2, landed in (("50 MB", n * 4), ("1 GB", 0)):
        arch = load_architecture("hbm-pim", {"memory.sram.capacity": l2})
        ops = simulate(arch, gemv_then_mul(n), keep_ops=True).op_table.set_index("op")
        assert ops.loc["mm", "unit"] == "pim"
        assert ops.loc["mm", "dram_bytes"] == io + landed
