"""How a matmul of few rows runs when its weight streams from DRAM: ``x @ W.T`` (``F.linear``'s
layout, the calibration's kernel) at rows 1..32 by square fp32 weights from cache-resident
(4 MiB) to far past any last-level cache (1 GiB), plus a one-thread read of a DRAM array.

    python benchmarks/rows_past_llc.py [out.json] [threads] [sides, comma-separated]

Timed in interleaved rounds (every entry once per round, fastest call over all rounds), so
a burst of load from other processes spoils one round of an entry, not the entry. Prints per
weight: ms per call, GMAC/s and weight GB/s by rows, and, for the weights past the LLC, the
time against two closed forms: ``max`` (compute at the cache-resident rate, streaming at the
read bandwidth) and ``sum`` of the same two. None of these shapes is a host-unseen case
(those are LSTM/GRU weights 4H x H and 3H x H, H = 384 ... 6144).
"""
import json
import sys
import time

import torch

torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
ROWS = (1, 2, 3, 4, 6, 8, 10, 12, 14, 16, 24, 32)
# 4 MiB, 64 MiB, 256 MiB, 1 GiB
SIDES = tuple(int(s) for s in sys.argv[3].split(",")) if len(sys.argv) > 3 else (1024, 4096, 8192, 16384)
ROUNDS = 3


def calls(fn, min_time, min_reps):
    fn()  # warm-up: a cache-resident weight is resident when the timed calls start
    ts = []
    t_end = time.perf_counter() + min_time
    while len(ts) < min_reps or time.perf_counter() < t_end:
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return ts


ws = {s: torch.rand(s, s) for s in SIDES}
xs = {(r, s): (torch.rand(r, s), torch.empty(r, ws[s].shape[0])) for s in SIDES for r in ROWS}
arr = torch.rand(1 << 28)  # 1 GiB
best = {}
bw = 0.0
for rnd in range(ROUNDS):
    t0 = time.perf_counter()
    bw = max(bw, arr.numel() * 4 / min(calls(lambda: arr.sum(), 0.3, 3)))
    for s in SIDES:
        w = ws[s]
        for r in ROWS:
            x, y = xs[(r, s)]
            t = min(calls(lambda x=x, y=y, w=w: torch.mm(x, w.t(), out=y), 0.1, 2))
            best[(r, s)] = min(best.get((r, s), 1e9), t)
    print(f"round {rnd + 1}: {time.perf_counter() - t0:.1f} s", flush=True)

print(f"{torch.get_num_threads()}-thread read of a 1 GiB array: {bw / 1e9:.3g} GB/s")
small = SIDES[0]
for s in SIDES:
    mb = 4 * s * s / 2 ** 20
    print(f"W {s} x {s} ({mb:.0f} MiB)")
    for r in ROWS:
        t = best[(r, s)]
        macs = r * s * s
        line = (f"  rows {r:3d}: {t * 1e3:8.3f} ms  {macs / t / 1e9:6.2f} GMAC/s  "
                f"{4 * s * s / t / 1e9:6.2f} GB/s of weight")
        if s != small:
            comp = macs / (r * small * small / best[(r, small)])  # at the 4 MiB (cached) rate
            stream = 4 * s * s / bw
            line += (f"  | cached-rate compute {comp * 1e3:7.2f} ms, stream {stream * 1e3:7.2f} ms: "
                     f"t/max {t / max(comp, stream):5.2f}  t/sum {t / (comp + stream):5.2f}")
        print(line)
if len(sys.argv) > 1 and sys.argv[1] != "-":
    with open(sys.argv[1], "w") as f:
        json.dump({"read_bps": bw, "best_s": {f"{r}x{s}": t for (r, s), t in best.items()}}, f)
