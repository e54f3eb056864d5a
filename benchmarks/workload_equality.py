"""How long ``Workload ==`` takes on an LLM-size serving run, against a pickle round trip of the
same workload (which streams every column too).

    python benchmarks/workload_equality.py [--decode 300] [--repeats 3]

Review 1 of 2026-12-05 (evening), finding 6: ``==`` looked up each tag key in each op's key set
in Python (384,077 ops x 7 tag keys: 1.08 s on a 2-core VM); compared per distinct key order and
per distinct value it took 0.04 s there. Median of the repeats; not a test (timings belong here,
never in pass/fail tests).
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import time

from cimsim.workload.llm import LLMModel, llm_serving


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--decode", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    w = llm_serving(LLMModel(layers=12, hidden=256, heads=4, kv_heads=4, ffn=1024, vocab=1000,
                             head_dim=64, gated=False), prompt=16, decode=a.decode, batch=32,
                    replicate=False)

    def median(f):
        times, out = [], None
        for _ in range(a.repeats):
            t = time.perf_counter()
            out = f()
            times.append(time.perf_counter() - t)
        return statistics.median(times), out

    t_copy, other = median(lambda: pickle.loads(pickle.dumps(w)))
    t_eq, same = median(lambda: w == other)
    assert same
    print(f"{w.columns.n_ops:,} ops, {len(w.columns.tags.columns)} tag keys: "
          f"== {t_eq * 1e3:.1f} ms, pickle round trip {t_copy * 1e3:.1f} ms (median of {a.repeats})")


if __name__ == "__main__":
    main()
