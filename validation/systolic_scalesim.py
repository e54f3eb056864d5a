"""Measure SCALE-Sim's compute cycles for a grid of GEMMs, array shapes and dataflows.

    python validation/systolic_scalesim.py --scalesim-python /work/venvs/scalesim/bin/python

writes src/cimsim/data/validation/systolic_scalesim.csv (dataflow, array_rows, array_cols, M, K, N, cycles,
source). SCALE-Sim is NOT a cimsim dependency: it runs in its own virtual environment, made with

    python3 -m venv /work/venvs/scalesim
    /work/venvs/scalesim/bin/pip install scalesim==3.0.0 "numpy<2" "pandas<3"

(SCALE-Sim 3.0.0 calls int() on a one-element array, which NumPy 2 refuses; numpy 1.26.4 and
pandas 2.3.3 were used.) For each array shape and dataflow this script writes a SCALE-Sim config
(ESTIMATE-BANDWIDTH mode, `InterfaceBandwidth: CALC`, so the SRAMs never stall the array) and one
GEMM topology file (SCALE-Sim's "Layer Name, M, N, K," order), runs SCALE-Sim's own `scalesim`
class in a subprocess, and reads the column "Total Cycles" of its COMPUTE_REPORT.csv: the cycle
of the last output write, counted from 0, i.e. compute cycles including the array's fill and
drain but not the DRAM prefetch ("Total Cycles (incl. prefetch)"). The script refuses a row with
non-zero "Stall Cycles". cimsim's closed form (src/cimsim/hw/systolic_timing.py) is NOT used here:
the CSV holds SCALE-Sim's numbers only, and tests/hw/test_systolic.py compares against them.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "src" / "cimsim" / "data" / "validation" / "systolic_scalesim.csv"
SOURCE = "SCALE-Sim 3.0.0 (PyPI scalesim==3.0.0), COMPUTE_REPORT.csv 'Total Cycles'"

DATAFLOWS = ("ws", "os", "is")

#: (rows, cols): square and non-square, a tiny one and the TPU v1 size
ARRAYS = ((128, 128), (32, 64), (64, 32), (8, 8), (4, 16), (256, 256))

#: (M, K, N): M x K input times K x N weights. Mostly not multiples of any array size;
#: M = 1 (one vector), K or N smaller than the array, K or N one past a multiple.
SMALL_GEMMS = (
    (1, 7, 3),
    (1, 100, 70),
    (5, 33, 17),
    (37, 300, 129),
    (130, 129, 257),
    (200, 64, 96),
    (3, 257, 513),
)
#: the issue's three GEMMs (measured there on 128 x 128, weight-stationary) and one more;
#: large, so run on the two big arrays only
LARGE_GEMMS = (
    (1, 512, 1024),
    (1, 2048, 4096),
    (64, 2048, 4096),
    (1000, 300, 700),
)

CONFIG = """[general]
run_name = {name}

[architecture_presets]
ArrayHeight:    {rows}
ArrayWidth:     {cols}
IfmapSramSzkB:   6144
FilterSramSzkB:  6144
OfmapSramSzkB:   2048
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : 10
Dataflow : {dataflow}
MemoryBanks:   1
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 10
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 10
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 8
RandomNumberGeneratorSeed : 40

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""

#: runs inside the SCALE-Sim venv; save_disk_space=True skips the per-cycle trace files
RUNNER = """
import sys
from scalesim.scale_sim import scalesim
cfg, topo, layout, out = sys.argv[1:5]
scalesim(save_disk_space=True, verbose=False, config=cfg, topology=topo, layout=layout,
         input_type_gemm=True).run_scale(top_path=out)
"""


def gemms_for(rows: int, cols: int) -> tuple[tuple[int, int, int], ...]:
    return SMALL_GEMMS + (LARGE_GEMMS if min(rows, cols) >= 128 else ())


def run_one(python: str, work: Path, dataflow: str, rows: int, cols: int) -> list[dict]:
    name = f"{dataflow}_{rows}x{cols}"
    gemms = gemms_for(rows, cols)
    (work / f"{name}.cfg").write_text(CONFIG.format(name=name, rows=rows, cols=cols,
                                                    dataflow=dataflow))
    topo = ["Layer Name, M, N, K,"] + [f"g{i}, {m}, {n}, {k}," for i, (m, k, n) in enumerate(gemms)]
    (work / f"{name}_topo.csv").write_text("\n".join(topo) + "\n")
    (work / "layout.csv").write_text("Layer name,\n")  # required by 3.0.0 even when unused
    subprocess.run([python, "-c", RUNNER, str(work / f"{name}.cfg"), str(work / f"{name}_topo.csv"),
                    str(work / "layout.csv"), str(work / "out")], check=True)
    with open(work / "out" / name / "COMPUTE_REPORT.csv", newline="") as f:
        report = [{k.strip(): v.strip() for k, v in r.items() if k and k.strip()}
                  for r in csv.DictReader(f, skipinitialspace=True)]
    if len(report) != len(gemms):
        raise SystemExit(f"{name}: {len(report)} report rows for {len(gemms)} GEMMs")
    rows_out = []
    for (m, k, n), r in zip(gemms, report):
        if int(r["Stall Cycles"]) != 0:
            raise SystemExit(f"{name} M={m} K={k} N={n}: {r['Stall Cycles']} stall cycles")
        rows_out.append({"dataflow": dataflow, "array_rows": rows, "array_cols": cols,
                         "M": m, "K": k, "N": n, "cycles": int(r["Total Cycles"]),
                         "source": SOURCE})
    return rows_out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scalesim-python", required=True,
                    help="python of a venv with scalesim==3.0.0 installed")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for rows, cols in ARRAYS:
            for df in DATAFLOWS:
                t0 = time.perf_counter()
                results += run_one(args.scalesim_python, Path(tmp), df, rows, cols)
                print(f"{df} {rows}x{cols}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    with open(args.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(results[0]))
        w.writeheader()
        w.writerows(results)
    print(f"{len(results)} rows -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
