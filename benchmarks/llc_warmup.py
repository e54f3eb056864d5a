"""How many steps a recurrent weight takes to settle in the last-level cache.

    python benchmarks/llc_warmup.py [--hidden 1024] [--gates 3] [--threads 1]

Runs what PyTorch's native GRU (gates 3) or LSTM (gates 4) does at batch 1 by hand:
the input projection of 10 steps (one matmul by ``W_ih``), then 10 recurrent
``addmm`` by ``W_hh`` (``F.linear``'s layout), and prints each step's time, for 4
repetitions. cimsim's hierarchy rule is that a reused matrix that fits a level is
read from the backing store at its first use and from that level at every later
use; this shows how fast the machine gets there. On 2026-11-29 (AMD EPYC, 32 MiB
L3, 1 thread, idle) a 12 MiB ``W_hh`` (hidden 1024, 3 gates) took 710, 603, 469,
404, 396, 320, ... 291 us over the 10 steps of one repetition: the first step
reads DRAM (12.6 MB / 22.7 GB/s = 0.55 ms), and the steps then speed up over
about six steps, not one; a 3 MiB one (hidden 512) settled after one step (124,
89, 93, 88, 80 ... us).
"""

from __future__ import annotations

import argparse
import time

import torch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, default=1024)
    ap.add_argument("--gates", type=int, default=3, help="3: GRU, 4: LSTM")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    h, g = args.hidden, args.gates
    w_ih, w_hh, b = torch.randn(g * h, h), torch.randn(g * h, h), torch.randn(g * h)
    x, state = torch.randn(10, h), torch.randn(1, h)
    print(f"W_hh {g * h} x {h} fp32 = {4 * g * h * h / 2 ** 20:.3g} MiB, {args.threads} thread(s)")
    with torch.no_grad():
        for rep in range(4):
            t0 = time.perf_counter()
            torch.addmm(b, x, w_ih.t())
            t1 = time.perf_counter()
            steps = []
            for _ in range(10):
                a = time.perf_counter()
                y = torch.addmm(b, state, w_hh.t())
                steps.append(time.perf_counter() - a)
                state = torch.tanh(y[:, :h])
            print(f"repetition {rep}: input projection {1e3 * (t1 - t0):.3g} ms; steps (us): "
                  + " ".join(f"{1e6 * t:.0f}" for t in steps))


if __name__ == "__main__":
    main()
