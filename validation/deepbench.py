"""cimsim's predictions against Baidu DeepBench's published RNN inference times.

    python validation/deepbench.py          # predicted vs measured, per row and summary
    python validation/deepbench.py --fit    # re-derive the two fitted parameters

A thin wrapper: the data, the config and the comparison live in
:mod:`cimsim.validate.gpu` (the ``gpu-published`` suite of ``cimsim validate``).
"""

from __future__ import annotations

import argparse
import sys

from cimsim.validate.gpu import CONFIG, DATA, GPUS, fit, load_rows, predict  # noqa: F401


def main(argv: list[str] | None = None) -> int:
    import pandas as pd

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fit", action="store_true", help="re-derive the fitted parameters")
    args = ap.parse_args(argv)
    if args.fit:
        f, o = fit()
        print(f"sustained_fraction = {f:.3f}   op_overhead = {o * 1e6:.1f} us")
        return 0
    df = predict(load_rows())
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
