"""The roofline's roof of a CIM chip's shared level (plot.roofline.roof_levels) is the level's
effective rate, its buffer and its bus together, as its steady state and utilization count it.
It was the bus's rate alone: on neurosim-vgg8 (shared_levels: engine) a 114.7 GB/s roof over a
level that delivers 3.48 GB/s. Golden values: hand arithmetic from the config below."""

from __future__ import annotations

import pandas as pd
import pytest

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.plot.roofline import roof_levels
from cimsim.workload import Op, Tensor, Workload
from conftest import tiny_chip


def chip(transfers: str):
    """A 64-bit global buffer (1 ns access, 1 GHz) and a 64-bit 1 GHz mesh on the chip's one
    top-level unit, shared by every layer (a tester's chip, find-G)."""
    return architecture_from_dict(tiny_chip(transfers, {
        "buffer": {"type": "sram", "capacity": "64 KiB", "width_bits": 64, "clock": "1 GHz",
                   "energy_per_access": "4 pJ", "access_latency": "1 ns"},
        "interconnect": {"type": "mesh", "width_bits": 64, "clock": "1 GHz",
                         "energy_per_bit_per_hop": "0.1 pJ/bit"}}, "roof-chip"))


# per byte: the mesh 1 / (8 B x 1 GHz) = 0.125 ns; the buffer writes and reads each 8-B word,
# 2 x 1 ns / 8 B = 0.25 ns. Serial: 0.375 ns a byte, 2.667 GB/s; overlapped: the buffer's 4 GB/s
@pytest.mark.parametrize("transfers,rate", [("serial", 1 / 0.375e-9), ("overlapped", 4e9)])
def test_a_shared_levels_roof_is_its_buffer_and_bus_together(transfers, rate):
    a = chip(transfers)
    assert a.hardware.resource("cim_chip").bytes_per_s() == 8e9  # the engine's rate: the mesh's
    comp = next(c for c in a.instances if c.name == "cim")
    roofs = {lv: bw for lv, bw, _ in roof_levels(a, comp, pd.DataFrame({"cim_chip_bytes": [1.0]}))}
    assert roofs["cim_chip"] == pytest.approx(rate, rel=1e-12, abs=0)


def test_the_roof_is_what_a_stream_of_whole_words_gets_from_the_level():
    """16 rows x (64 + 64) B = 2048 B through the level for one op: 256 words, each written and
    read (512 ns) then 256 mesh cycles: 768 ns of occupancy alone, 2048 B / 768 ns = the
    2.667 GB/s roof; the op's utilization of the level counts the same 768 ns."""
    a = chip("serial")
    wl = Workload("one", [Tensor("x", (16, 64), "int8", "input"), Tensor("w", (64, 64), "int8", "weight"),
                          Tensor("y", (16, 64), "int8", "activation")],
                  [Op("mm", "matmul", ("x", "w"), ("y",), m=16, k=64, n=64, weight="w")])
    r = simulate(a, wl)
    assert r.traffic_bytes["cim_chip"] == 2048.0
    busy = r.utilization["cim_chip_bw"] * r.latency_s
    assert busy == pytest.approx(768e-9, rel=1e-9, abs=0)
    assert 2048.0 / busy == pytest.approx(1 / 0.375e-9, rel=1e-9, abs=0)
