"""A CIM brings each weight in from the backing store at the bits the workload stores it in
where those are fewer than its ``weight_bits`` (find-H 3): an int4-stored weight on 8-bit cells
is read as 0.5 B (what the footprint holds), the host widening it after the read; a wider one
(int8 on 4-bit cells) at ``weight_bits``. Before, always ``weight_bits``: BitNet-2B's int4
weights on sram-cim read 2.41 GB a re-programming pass where the store holds 1.206 GB.

Round CIM (conftest): 128 x 128 arrays, 2 bits per cell, 8-bit weights. Matrices of 256 x 256
weights: 65,536 weights, 16 arrays at 8 bits."""

from __future__ import annotations

import pytest

from cimsim import simulate
from cimsim.workload import Op, Tensor, Workload

from test_cim_exclude import arch

D, T = 256, 16


def chain(wdtype: str, names=("a", "b", "a", "b")) -> Workload:
    """Matmuls of int8 inputs by D x D weights stored at ``wdtype``, in ``names`` order."""
    ts = [Tensor("x0", (T, D), "int8", "input")]
    ts += [Tensor(f"{w}.weight", (D, D), wdtype, "weight") for w in sorted(set(names))]
    ops = []
    for i, w in enumerate(names):
        ts.append(Tensor(f"x{i + 1}", (T, D), "int8", "activation"))
        ops.append(Op(f"mm{i}", "matmul", (f"x{i}", f"{w}.weight"), (f"x{i + 1}",), m=T, k=D, n=D,
                      weight=f"{w}.weight"))
    return Workload(f"chain-{wdtype}", ts, ops)


@pytest.mark.parametrize("wdtype, cells, bits", [("int8", 8, 8), ("int4", 8, 4), ("int2", 8, 2),
                                                ("int8", 4, 4), ("int4", 4, 4), ("int2", 4, 2)])
def test_programming_reads_the_smaller_of_stored_and_cell_bits(wdtype, cells, bits):
    """One programming of each matrix: D x D x min(stored, weight_bits) bits brought in."""
    r = simulate(arch(weight_bits=cells), chain(wdtype, ("a", "b")))
    assert r.op_table["cim_program_weight_bits"].tolist() == [D * D * bits, D * D * bits]


def test_reprogramming_traffic_reads_int4_weights_at_half_a_byte():
    """16 arrays hold one matrix at a time, so a, b, a, b re-programs at each op after the
    first: int4-stored weights save 0.5 B a weight of each re-programming over int8-stored ones
    on the link (the activations the same int8 bytes)."""
    link = {}
    for wdt in ("int8", "int4"):
        r = simulate(arch(arrays=16), chain(wdt))
        n = int(r.op_table["cim_reprogram"].sum()) if "cim_reprogram" in r.op_table else None
        link[wdt] = (r.record()["interconnect_bytes"], n)
    reprograms = link["int8"][1]
    assert reprograms == link["int4"][1] and reprograms >= 3
    assert link["int8"][0] - link["int4"][0] == pytest.approx(reprograms * D * D * 0.5, rel=1e-12, abs=0)
