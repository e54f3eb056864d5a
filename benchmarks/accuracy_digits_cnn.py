"""Accuracy of the bundled digits CNN on its 360 test images at one design point (target <= 2 s).

    python benchmarks/accuracy_digits_cnn.py [--config rram-cim] [--threads 1] [--runs 3]

The model is trained and cached first (outside the timing). One timed run is the whole
:func:`cimsim.accuracy.run.evaluate` call: the fp32 reference pass, programming the weights and
the emulated pass (calibration too, for the ``calibrated`` policy). Prints the median of
``--runs`` runs per ADC range policy. On 2026-12-03 (2-core machine shared with other jobs, load
average ~6, one torch thread), rram-cim at its 8-bit ADC: ``max`` 0.35 s, ``unit`` 0.20 s,
``calibrated`` 0.35 s (up to ~1.9 s at the busiest moments). A fresh process also pays ~2 s once
for torch importing ``torch._dynamo`` on the first TorchDispatchMode (not timed here).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from cimsim import bundled, load_architecture
from cimsim.accuracy import models
from cimsim.accuracy.arith import Arith
from cimsim.accuracy.run import evaluate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="rram-cim")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    path = next(p for p in bundled.config_paths() if p.stem == args.config)
    base = Arith.from_cim(load_architecture(path).components["cim"])
    model, split = models.load("digits-cnn")
    for policy in ("max", "unit", "calibrated"):
        a = base.with_(adc_range_policy=policy)
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            r = evaluate(model, split.x_test, split.y_test, a, calibration_inputs=split.x_train[:256])
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        print(f"{args.config} adc {a.adc_bits} bits {policy:10s}: {med:.3f} s "
              f"(target 2 s: {'met' if med <= 2 else 'MISSED'}), top-1 {r.accuracy_top1:.4f} "
              f"(fp32 {r.accuracy_top1_reference:.4f}), SNR {r.output_snr_db:.1f} dB")


if __name__ == "__main__":
    main()
