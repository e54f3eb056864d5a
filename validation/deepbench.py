"""cimsim's predictions against Baidu DeepBench's published RNN inference times.

    python validation/deepbench.py          # predicted vs measured, per row and summary
    python validation/deepbench.py --fit    # re-derive the two fitted parameters

The data (deepbench_rnn_inference.csv, see README.md beside it) are forward
passes of one cuDNN LSTM or GRU layer (input = hidden, fp32) over T steps on
Pascal GPUs. The TITAN Xp config (titanxp.yaml) takes its peak numbers from
the vendor spec; two parameters cannot be read off a spec and are fitted by
least squares on the TITAN Xp *LSTM* rows only: the memory bus's sustained
fraction of peak bandwidth and the per-op overhead (launch and
synchronisation). The GRU rows and the other two GPUs (same config with their
own peak bandwidth, SM count and clock) are held out and test the model.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from cimsim import load_architecture, simulate
from cimsim.workload.generators import gru, lstm

HERE = Path(__file__).resolve().parent
DATA = HERE / "deepbench_rnn_inference.csv"
CONFIG = HERE / "titanxp.yaml"

#: the other cards, as overrides of the TITAN Xp config (vendor spec sheets (T);
#: also in validation/README.md)
GPUS = {
    "TitanXp": {},
    "1080Ti": {"memory.dram.bandwidth": "484 GB/s", "processor.cores": 28, "processor.clock": "1.582 GHz",
               "memory.sram.capacity": "2.75 MB"},
    "TitanX_Pascal": {"memory.dram.bandwidth": "480 GB/s", "processor.cores": 28,
                      "processor.clock": "1.531 GHz"},
}


def load_rows() -> pd.DataFrame:
    return pd.read_csv(DATA)


def predict(rows: pd.DataFrame, overrides_extra: dict | None = None) -> pd.DataFrame:
    """Simulated forward time (ms) of every row; adds column ``predicted_ms``."""
    out = rows.copy()
    preds = []
    for row in rows.itertuples(index=False):
        ov = dict(GPUS[row.gpu])
        ov.update(overrides_extra or {})
        arch = load_architecture(CONFIG, ov)
        gen = lstm if row.cell == "lstm" else gru
        wl = gen(row.hidden, row.hidden, 1, steps=int(row.timesteps), batch=int(row.batch))
        preds.append(simulate(arch, wl, keep_ops=False).latency_s * 1e3)
    out["predicted_ms"] = preds
    out["error"] = out["predicted_ms"] / out["time_forward_ms"] - 1.0
    return out


def fit() -> tuple[float, float]:
    """Least-squares fit of (1 / sustained fraction, op overhead) on TITAN Xp LSTM rows.

    With overhead 0 and sustained fraction 1, the simulated time splits into a
    bandwidth part ``b`` (DRAM bytes / peak bandwidth) and the rest; measured ≈
    b / f + ops x overhead + rest.
    """
    rows = load_rows()
    rows = rows[(rows.gpu == "TitanXp") & (rows.cell == "lstm")]
    a_mat, y = [], []
    for row in rows.itertuples(index=False):
        arch = load_architecture(CONFIG, {"memory.dram.sustained_fraction": 1.0, "processor.op_overhead": "0 s"})
        wl = lstm(row.hidden, row.hidden, 1, steps=int(row.timesteps), batch=int(row.batch))
        r = simulate(arch, wl, keep_ops=False)
        b = r.traffic_bytes["dram"] / arch.memory["dram"].bandwidth
        a_mat.append([b, len(wl.ops)])
        y.append(row.time_forward_ms * 1e-3 - (r.latency_s - b))
    (inv_f, overhead), *_ = np.linalg.lstsq(np.array(a_mat), np.array(y), rcond=None)
    return 1.0 / inv_f, overhead


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fit", action="store_true", help="re-derive the fitted parameters")
    args = ap.parse_args(argv)
    if args.fit:
        f, o = fit()
        print(f"sustained_fraction = {f:.3f}   op_overhead = {o * 1e6:.1f} us")
        return 0
    df = predict(load_rows())
    df["held_out"] = ~((df.gpu == "TitanXp") & (df.cell == "lstm"))
    pd.set_option("display.width", 160)
    print(df[["gpu", "cell", "hidden", "batch", "timesteps", "time_forward_ms", "predicted_ms",
              "error"]].to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    for held, g in df.groupby("held_out"):
        label = "held out" if held else "fitted on"
        print(f"{label:>9}: {len(g)} rows, median |error| {g.error.abs().median():.1%}, "
              f"max |error| {g.error.abs().max():.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
