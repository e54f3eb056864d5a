"""Generation time of a continuous-batching serving workload against its number of requests.

    python benchmarks/llm_requests_scale.py [--requests 128 256 512 1024] [--repeats 3]

``llm_serving`` of an 8-layer GQA model (hidden 2,048, 16 heads, 4 KV heads), prompt 256, 64
tokens a request, 16 slots: the ops grow linearly with the requests, and so should the time
(each decode stretch's replicas are inserted in one rebuild of the columns, not one per
stretch). Prints, per request count, the ops, the median time over the repeats and the time
per 1,000 ops. Not a test: timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import statistics
import time

from cimsim.workload.llm import LLMModel, llm_serving

MODEL = LLMModel(layers=8, hidden=2048, heads=16, kv_heads=4, ffn=5632, vocab=32000, head_dim=128, gated=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, nargs="+", default=[128, 256, 512, 1024])
    ap.add_argument("--repeats", type=int, default=3)
    opts = ap.parse_args()
    print("| requests | ops | time (s) | per 1,000 ops (ms) |")
    print("|---:|---:|---:|---:|")
    for r in opts.requests:
        times = []
        for _ in range(opts.repeats):
            t0 = time.perf_counter()
            w = llm_serving(MODEL, prompt=256, decode=64, batch=16, requests=r, batching="continuous")
            times.append(time.perf_counter() - t0)
        t = statistics.median(times)
        print(f"| {r:,} | {len(w):,} | {t:.2f} | {t / len(w) * 1e6:.2f} |", flush=True)


if __name__ == "__main__":
    main()
