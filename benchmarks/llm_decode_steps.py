"""Issue 20's serving benchmark: 1,000 decode steps of a 7B-class model (KV cache growing to
4,096 tokens) at batch 8, generated and simulated on gpu-hbm3, hbm-pim and gpu-hbm-pim-attn
(target: <= 10 s each). Not a test.

    .venv/bin/python benchmarks/llm_decode_steps.py [--steps 1000] [--attention padded|per-request]
"""

from __future__ import annotations

import argparse
import time

from cimsim import load_architecture, simulate
from cimsim.bundled import resolve_config
from cimsim.workload.llm import LLMModel, llm_serving

# Llama-2-7B's shape (transformers' default LlamaConfig)
LLAMA2_7B = LLMModel(layers=32, hidden=4096, heads=32, kv_heads=32, ffn=11008, vocab=32000,
                     head_dim=128, gated=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--attention", default="per-request")
    ap.add_argument("--configs", nargs="+", default=["gpu-hbm3", "hbm-pim", "gpu-hbm-pim-attn"])
    args = ap.parse_args()
    t = time.perf_counter()
    w = llm_serving(LLAMA2_7B, prompt=4096 - args.steps, decode=args.steps, batch=args.batch,
                    attention=args.attention)
    print(f"generate: {len(w):,} ops in {time.perf_counter() - t:.2f} s")
    for name in args.configs:
        arch = load_architecture(resolve_config(name))
        t = time.perf_counter()
        r = simulate(arch, w, keep_ops=False)
        s = r.serving
        print(f"{name:>18}: simulate {time.perf_counter() - t:.2f} s; TPOT {s['tpot_s'] * 1e3:.2f} ms, "
              f"{s['decode_tokens_per_s']:.0f} decode tokens/s")


if __name__ == "__main__":
    main()
