"""A 24-point ADC-bits x rows-read-at-once sweep of the digits CNN's accuracy (target <= 60 s).

    python benchmarks/accuracy_sweep.py [--config rram-cim] [--policy max] [--threads 1]

Accuracy only (the cost side joins when `cimsim sweep --accuracy` exists): for ADC bits 3..8 and
R = 16, 32, 64, 128 rows per conversion, top-1 on the 360 digits test images (fp32 reference
computed once). Prints the table and the total time (model training excluded).
"""

from __future__ import annotations

import argparse
import time

import torch

from cimsim import bundled, load_architecture
from cimsim.accuracy import models
from cimsim.accuracy.arith import Arith
from cimsim.accuracy.run import _forward, evaluate, fused_kernels_off


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="rram-cim")
    ap.add_argument("--policy", default="max", choices=["max", "unit", "calibrated"])
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    path = next(p for p in bundled.config_paths() if p.stem == args.config)
    base = Arith.from_cim(load_architecture(path).components["cim"]).with_(
        adc_range_policy=args.policy)
    model, split = models.load("digits-cnn")
    t0 = time.perf_counter()
    with fused_kernels_off():
        ref = _forward(model, split.x_test, None)
    rows = (16, 32, 64, 128)
    print(f"{args.config}, policy {args.policy}: top-1 (fp32 "
          f"{float((ref.argmax(-1) == split.y_test).float().mean()):.3f})")
    print("adc bits " + "".join(f"   R={r:<4d}" for r in rows))
    for bits in range(3, 9):
        line = f"{bits:8d} "
        for r in rows:
            a = base.with_(adc_bits=bits, rows_per_read=r)
            res = evaluate(model, split.x_test, split.y_test, a, reference=ref,
                           calibration_inputs=split.x_train[:256])
            line += f"   {res.accuracy_top1:.3f} "
        print(line, flush=True)
    print(f"24 points in {time.perf_counter() - t0:.1f} s (target 60 s)")


if __name__ == "__main__":
    main()
