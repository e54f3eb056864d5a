"""The ``gpu-published`` suite: Baidu DeepBench's published cuDNN RNN inference times.

Data (``cimsim/data/validation/deepbench_rnn_inference.csv``): repository
baidu-research/DeepBench, files
``results/inference/server/DeepBench_NV_{TitanXp,1080Ti,TitanX_Pascal}.xlsx``, sheet
"Results - Mixed Precision", sections "Recurrent Layers - LSTM" and "Recurrent
Layers - GRU", transcribed row by row (CUDA 8.0.61, cuDNN 6, fp32; one layer,
input size = hidden; ``time_forward_ms`` is one forward pass over all steps).

The TITAN Xp config (``titanxp.yaml`` beside the data) takes its peak numbers
from the vendor spec; two parameters a spec sheet does not give are fitted by
least squares (:func:`fit`) on the TITAN Xp *LSTM* rows only: the memory bus's
sustained fraction of peak bandwidth and the per-op overhead (launch and
synchronisation). The GRU rows and the other two cards (the same config with
their own spec-sheet bandwidth, SM count and clock: :data:`GPUS`) are held out.
Case names say which rows are fitted ("fitted") and which are held out.

A newer card: DeepBench's T4 inference sheet (``results/inference/DeepBench_NV_T4.xlsx``,
sheet "Results - Mixed Precision", section "Dense Matrix Multiplication"; CUDA 10.1,
cuDNN 7.6, int8 multiplication with 32-bit accumulation) has an empty RNN section
("#DIV/0!"); its GEMMs with N (the batch) <= 4 are transcribed in
``deepbench_t4_gemm_inference.csv`` (27 rows, with their sheet row). ``C[M, N] =
A[M, K] B[K, N]``: A is the stationary weight. Its large GEMMs (N >= 700) reach ~23 of
the card's 130 int8 TOPS, which needs a compute-side achievable fraction measured on the
card (``processor.mac_efficiency``, which ``cimsim calibrate`` measures on a CPU); they are
not cases.

What DeepBench times (``code/nvidia/gemm_bench.cu`` at commit 30c5115, the commit that
added the T4 sheets; ``time_gemm``): one warm-up ``cublasGemmEx`` call, a device
synchronisation, then :data:`DEEPBENCH_GEMM_REPEATS` calls on the *same* A, B and C
buffers, launched back to back, one synchronisation, and the wall time divided by the
repeats, printed as integer microseconds (truncated: a printed 5 us is a mean in
[5, 6) us). The case's workload is the same (:func:`t4_gemm` with ``calls = 1 +
repeats`` ops sharing A and B) and the prediction is ``(T(1 + repeats) - T(1)) /
repeats``: the warm-up is not timed, and a weight that fits the L2 (``t4.yaml``'s
``sram`` level, 4 MB) is read from it by every timed call (the hierarchy's rule for a
matrix read by more than one op). ``t4.yaml``: spec sheet, the DRAM sustained fraction
from a T4 copy benchmark, the op overhead transferred from the TITAN Xp fit; no number is
fitted to the T4 rows. Two model choices were made after computing them, though (the first T4
run: median 50 %, worst 161 %): simulating DeepBench's warm-up + 400-call loop, which moved
the rows whose weight fits the 4 MB L2 (3072 x 1024: +161 -> +2 %; 512 and 1024 x 512: +49 ..
+105 -> +21 .. +49 %), and the T4 DRAM fraction 0.749 in place of the TITAN Xp's 0.62, which
moved the DRAM-streamed GEMV-shaped rows (7.1-23.8 MB: +24 .. +55 -> +4 .. +33 %). By the
README's rule those 21 rows are ``fit``: the data file's ``chosen_after`` column names the
choice each followed (``l2-loop``, ``dram-fraction``). So are the six K = 500,000 rows
(``dram-fraction-seen``): the fraction was chosen after they were computed too, although it
moved them away from their measurement (-40 .. -66 -> -50 .. -72 %); the rule has no exception
for that. No T4 row is held out. C is int32 with ``beta = 1`` in
DeepBench (read and written each call); the workload writes it as int8 (an op's dtype
is its output's) and does not read it: the 7 missing bytes per output element are at
most 7 N / K <= 2 % of the bytes of every weight that streams from DRAM.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from . import FIT, PREDICTED, Case, suite

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "validation"
DATA = DATA_DIR / "deepbench_rnn_inference.csv"
CONFIG = DATA_DIR / "titanxp.yaml"
T4_DATA = DATA_DIR / "deepbench_t4_gemm_inference.csv"
T4_CONFIG = DATA_DIR / "t4.yaml"
T4_SOURCE = ("Baidu DeepBench, baidu-research/DeepBench results/inference/DeepBench_NV_T4.xlsx, sheet "
             "'Results - Mixed Precision', Dense Matrix Multiplication, row {row}")
SOURCE = ("Baidu DeepBench, baidu-research/DeepBench results/inference/server/DeepBench_NV_{gpu}.xlsx, "
          "sheet 'Results - Mixed Precision', {cell} section")

#: the other cards, as overrides of the TITAN Xp config (vendor spec sheets (T))
GPUS = {
    "TitanXp": {},
    "1080Ti": {"memory.dram.bandwidth": "484 GB/s", "processor.cores": 28, "processor.clock": "1.582 GHz",
               "memory.sram.capacity": "2.75 MB"},
    "TitanX_Pascal": {"memory.dram.bandwidth": "480 GB/s", "processor.cores": 28,
                      "processor.clock": "1.531 GHz"},
}
FILE_NAME = {"TitanXp": "TitanXp", "1080Ti": "1080Ti", "TitanX_Pascal": "TitanX_Pascal"}


def load_rows():
    import pandas as pd

    return pd.read_csv(DATA)


def _workload(row):
    from ..workload.generators import gru, lstm

    gen = lstm if row.cell == "lstm" else gru
    return gen(int(row.hidden), int(row.hidden), 1, steps=int(row.timesteps), batch=int(row.batch))


def predict(rows, overrides_extra: dict | None = None):
    """Simulated forward time (ms) of every row: adds ``predicted_ms`` and ``error``."""
    from ..config import load_architecture
    from ..pipeline import simulate

    out = rows.copy()
    preds = []
    for row in rows.itertuples(index=False):
        arch = load_architecture(CONFIG, {**GPUS[row.gpu], **(overrides_extra or {})})
        preds.append(simulate(arch, _workload(row), keep_ops=False).latency_s * 1e3)
    out["predicted_ms"] = preds
    out["error"] = out["predicted_ms"] / out["time_forward_ms"] - 1.0
    out["held_out"] = ~((out.gpu == "TitanXp") & (out.cell == "lstm"))
    return out


def fit() -> tuple[float, float]:
    """Least-squares fit of (sustained fraction, op overhead s) on the TITAN Xp LSTM rows.

    With overhead 0 and sustained fraction 1, the simulated time splits into a
    bandwidth part ``b`` (DRAM bytes / peak bandwidth) and the rest; measured ≈
    b / f + ops x overhead + rest.
    """
    import numpy as np

    from ..config import load_architecture
    from ..pipeline import simulate

    rows = load_rows()
    rows = rows[(rows.gpu == "TitanXp") & (rows.cell == "lstm")]
    arch = load_architecture(CONFIG, {"memory.dram.sustained_fraction": 1.0, "processor.op_overhead": "0 s"})
    a_mat, y = [], []
    for row in rows.itertuples(index=False):
        wl = _workload(row)
        r = simulate(arch, wl, keep_ops=False)
        b = r.traffic_bytes["dram"] / arch.hardware.resource("dram").peak_bytes_per_s()
        a_mat.append([b, len(wl.ops)])
        y.append(row.time_forward_ms * 1e-3 - (r.latency_s - b))
    (inv_f, overhead), *_ = np.linalg.lstsq(np.array(a_mat), np.array(y), rcond=None)
    return float(1.0 / inv_f), float(overhead)


@lru_cache(maxsize=1)
def deepbench_cases() -> tuple[Case, ...]:
    df = predict(load_rows())
    return tuple(
        Case("gpu-published",
             f"{r.gpu} {r.cell.upper()} H={r.hidden} B={r.batch} T={r.timesteps} "
             f"({'held out' if r.held_out else 'fitted'})",
             "s", r.time_forward_ms * 1e-3, r.predicted_ms * 1e-3,
             SOURCE.format(gpu=FILE_NAME[r.gpu], cell=f"Recurrent Layers - {r.cell.upper()}"),
             role=PREDICTED if r.held_out else FIT)
        for r in df.itertuples(index=False))


#: timed calls per GEMM after one warm-up call: ``numRepeats = 400`` in ``time_gemm``,
#: baidu-research/DeepBench ``code/nvidia/gemm_bench.cu`` (commit 30c5115, 2019-10-07)
DEEPBENCH_GEMM_REPEATS = 400


def t4_gemm(m: int, n: int, k: int, calls: int = 1):
    """``calls`` DeepBench ``C[m, n] = A[m, k] B[k, n]`` int8 GEMMs on the same A (the
    stationary weight) and B, one after another (one output tensor per call)."""
    from ..workload.ir import Op, Tensor, Workload

    outs = [f"C{i}" for i in range(calls)]
    return Workload(f"t4-gemm-{m}x{n}x{k}-x{calls}",
                    [Tensor("B", (n, k), "int8", "input"), Tensor("A", (k, m), "int8", "weight"),
                     *(Tensor(c, (n, m), "int8", "activation") for c in outs)],
                    [Op(f"gemm{i}", "matmul", ("B", "A"), (c,), m=n, k=k, n=m, weight="A")
                     for i, c in enumerate(outs)])


def deepbench_gemm_s(arch, m: int, n: int, k: int, repeats: int = DEEPBENCH_GEMM_REPEATS) -> float:
    """Simulated time of one of DeepBench's timed GEMM calls: the warm-up call, then
    ``repeats`` more; (time of all - time of the warm-up alone) / repeats."""
    from ..pipeline import simulate

    warm = simulate(arch, t4_gemm(m, n, k, 1), keep_ops=False).latency_s
    total = simulate(arch, t4_gemm(m, n, k, 1 + repeats), keep_ops=False).latency_s
    return (total - warm) / repeats


#: ``chosen_after`` in ``deepbench_t4_gemm_inference.csv``: the model choice made after
#: computing the row (its case is ``fit``), "" for none (``predicted``)
T4_CHOSEN_AFTER = {"l2-loop": "the L2 warm-up loop chosen after it",
                   "dram-fraction": "the T4 DRAM fraction chosen after it",
                   "dram-fraction-seen": "the T4 DRAM fraction chosen after it, moving it away"}


def t4_role(row) -> tuple[str, str]:
    """(role, what the case name says) of a T4 row from its ``chosen_after`` column."""
    import pandas as pd

    chosen = "" if pd.isna(row.chosen_after) else str(row.chosen_after)
    if not chosen:
        return PREDICTED, "held out"
    if chosen not in T4_CHOSEN_AFTER:
        raise ValueError(f"{T4_DATA.name}: sheet row {row.sheet_row}: chosen_after '{chosen}' is not "
                         f"one of {', '.join(T4_CHOSEN_AFTER)} or empty")
    return FIT, "fit: " + T4_CHOSEN_AFTER[chosen]


@lru_cache(maxsize=1)
def t4_cases() -> tuple[Case, ...]:
    import pandas as pd

    from ..config import load_architecture

    arch = load_architecture(T4_CONFIG)
    out = []
    for r in pd.read_csv(T4_DATA).itertuples(index=False):
        role, note = t4_role(r)
        out.append(Case("gpu-published", f"T4 int8 GEMM M={r.m} N={r.n} K={r.k} ({note})", "s",
                        r.time_ms * 1e-3, deepbench_gemm_s(arch, int(r.m), int(r.n), int(r.k)),
                        T4_SOURCE.format(row=r.sheet_row), role=role))
    return tuple(out)


@suite("gpu-published", "Baidu DeepBench cuDNN LSTM/GRU inference on TITAN Xp, GTX 1080 Ti, TITAN X "
       "(Pascal): 15 rows fit two parameters, 192 held out; DeepBench int8 GEMMs of batch <= 4 on "
       "a T4, all 27 fit (a model choice followed them), none held out")
def gpu_suite() -> list[Case]:
    return list(deepbench_cases()) + list(t4_cases())
