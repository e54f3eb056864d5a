"""Trace time of every model in cimsim.zoo, and of a GPT-2-small-sized model.

    python benchmarks/trace_zoo.py [--repeats 3] [--gpt2-small] [--llama-7b] [--gqa]

Prints a Markdown table: model, IR ops, MACs, aten ops recorded, the time to
trace (median over repeats; building the model is not included), the time of
the same forward pass without the recorder (fused kernels off, as during the
trace: the difference is the tracer's own cost) and whether the MACs equal the
hardened FLOP counter. ``--gpt2-small`` adds GPT-2 small's
shape (12 layers, d_model 768, 12 heads, vocabulary 50,257) over 128 tokens,
prefill and one decode step against a 2,048-token KV cache. The zoo rows are
built with real weights (so "model run" is a real forward pass); ``--llama-7b``
adds Llama-2-7B's shape (``hf:llama``), one decode step against a 2,048-token
cache, built of fake tensors (shapes only: its "model run" is a shape-only run
and its MACs are checked against the counter on the same fake model), with
the process's peak resident memory. ``--gqa`` adds 4 layers of that shape with 32 and with 8
KV heads (grouped-query attention, whose ``repeat_kv`` copy of K and V to every query head
the storage analysis resolves from strides): the GQA row should take no longer than the
MHA row. Not a test: timings on a shared machine
are noisy.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import torch

from cimsim import zoo
from cimsim.workload.trace import trace
from cimsim.workload.trace.capture import capture_context
from cimsim.workload.trace.flops import count_macs

GPT2_SMALL = dict(n_layer=12, n_embd=768, n_head=12, vocab_size=50257, n_positions=2049)


def run(name, repeats, real=True, **overrides):
    times, runs = [], []
    for _ in range(repeats):
        model, args, kwargs = zoo.build(name, real_weights=real, **overrides)
        t0 = time.perf_counter()
        w = trace(model, args, name=name, example_kwargs=kwargs)
        times.append(time.perf_counter() - t0)
        model, args, kwargs = zoo.build(name, real_weights=real, **overrides)
        with capture_context(torch):  # the same run, without recording it
            t0 = time.perf_counter()
            model(*args, **kwargs)
            runs.append(time.perf_counter() - t0)
    model, args, kwargs = zoo.build(name, real_weights=real, **overrides)
    exact = w.macs == count_macs(model, args, kwargs)
    return w, statistics.median(times), statistics.median(runs), exact


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--gpt2-small", action="store_true")
    ap.add_argument("--llama-7b", action="store_true")
    ap.add_argument("--gqa", action="store_true")
    opts = ap.parse_args()
    print("| model | what | IR ops | MACs | aten ops | trace (s) | model run (s) | MACs = counter |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    cases = [(name, e.description, {}) for name, e in zoo.ZOO.items() if e.family != "reference"]
    if opts.gpt2_small:
        cases.append(("gpt2", "GPT-2 small (12 x 768), 128-token prefill", dict(seq=128, **GPT2_SMALL)))
        cases.append(("gpt2-decode", "GPT-2 small, decode step, KV cache 2,048",
                      dict(cache=2048, **GPT2_SMALL)))
    if opts.llama_7b:
        cases.append(("hf:llama", "Llama-2-7B shape, decode step, KV cache 2,048 (fake tensors)",
                      dict(cache=2048, real=False)))
    if opts.gqa:
        for kv in (32, 8):
            cases.append(("hf:llama", f"Llama-2-7B shape, 4 layers, {kv} KV heads, decode step, KV cache "
                          "2,048 (fake tensors)", dict(cache=2048, num_hidden_layers=4,
                                                       num_key_value_heads=kv, real=False)))
    for name, desc, overrides in cases:
        w, t, r, exact = run(name, 1 if overrides else opts.repeats, **overrides)
        print(f"| {name} | {desc} | {len(w.ops)} | {w.macs:,} | {w.metadata['aten_ops']} | "
              f"{t:.2f} | {r:.2f} | {'yes' if exact else 'NO'} |", flush=True)
    print(f"\npeak resident memory of this process: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")


if __name__ == "__main__":
    main()
