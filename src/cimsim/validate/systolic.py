"""The ``systolic`` suite: cimsim's systolic-array component against SCALE-Sim's cycle counts.

Each row of ``cimsim/data/validation/systolic_scalesim.csv`` (SCALE-Sim 3.0.0 runs: dataflow, array shape,
GEMM M x K x N, its reported "Total Cycles") becomes one GEMM workload, simulated on a systolic
component of that shape and dataflow at 1 GHz with memories and links fast enough that they
never bound it; the component's compute time x clock is the predicted cycle count.
"""

from __future__ import annotations

import csv
from pathlib import Path

from . import Case, suite

CSV = Path(__file__).resolve().parent.parent / "data" / "validation" / "systolic_scalesim.csv"


def _arch(dataflow: str, rows: int, cols: int):
    from ..config import architecture_from_dict

    fast = {"capacity": "1 TiB", "bandwidth": "1000 PB/s", "energy_per_byte": "0 pJ/B"}
    return architecture_from_dict({
        "name": f"systolic-{dataflow}-{rows}x{cols}",
        "memory": {"dram": fast},
        "links": {"link": {"bandwidth": "1000 PB/s", "latency": "0 s", "energy_per_bit": "0 pJ/bit"}},
        "array": {"type": "systolic", "name": "test array", "dataflow": dataflow, "rows": rows,
                  "cols": cols, "clock": "1 GHz", "weight_bits": 8, "input_bits": 8,
                  "energy_per_mac": "0.3 pJ",
                  "buffer": {"capacity": "1 TiB", "bandwidth": "1000 PB/s", "energy_per_byte": "0 pJ/B"}},
    }, source="systolic suite")


def gemm(m: int, k: int, n: int):
    from ..workload import Op, Tensor, Workload

    return Workload(f"gemm-{m}x{k}x{n}", [
        Tensor("x", (m, k), "int8", "input"), Tensor("W", (k, n), "int8", "weight"),
        Tensor("y", (m, n), "int8", "activation")],
        [Op("mm", "matmul", ("x", "W"), ("y",), m=m, k=k, n=n, weight="W")])


@suite("systolic", "systolic-array component vs SCALE-Sim 3.0.0 compute cycles (150 GEMMs)")
def systolic_suite() -> list[Case]:
    from ..pipeline import simulate

    out = []
    with CSV.open() as f:
        for row in csv.DictReader(f):
            df, r, c = row["dataflow"], int(row["array_rows"]), int(row["array_cols"])
            m, k, n = int(row["M"]), int(row["K"]), int(row["N"])
            res = simulate(_arch(df, r, c), gemm(m, k, n), keep_ops=True)
            cycles = float(res.op_table["compute_s"].iloc[0]) * 1e9
            out.append(Case("systolic", f"{df} {r}x{c} GEMM {m}x{k}x{n}", "cycles",
                            float(row["cycles"]), round(cycles, 6), row["source"]))
    return out
