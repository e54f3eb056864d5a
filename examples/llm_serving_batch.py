"""Decode throughput against batch size for a 7B-class LLM on GPU, GPU + HBM-PIM (attention on
PIM, three sharing modes) and host + CIM: the README's serving figure.

    python examples/llm_serving_batch.py [OUTPUT.png]

The model is Llama-2-7B's shape (32 layers, hidden 4096, 32 heads = 32 KV heads, FFN 11008,
vocabulary 32000, FP16); every request has a 1024-token prompt and 16 decode steps (static
batching, equal lengths, so the padded attention op reads exactly each request's cache).
"""

from __future__ import annotations

import sys
from pathlib import Path

from cimsim import load_architecture, simulate
from cimsim.bundled import resolve_config
from cimsim.config import architecture_from_dict
from cimsim.report import columns as C
from cimsim.workload.llm import LLMModel, llm_serving

LLAMA2_7B = LLMModel(layers=32, hidden=4096, heads=32, kv_heads=32, ffn=11008, vocab=32000,
                     head_dim=128, gated=True)
BATCHES = (1, 2, 4, 8, 16, 32, 64)
PROMPT, DECODE = 1024, 16


def _pim_variant(sharing: str):
    """gpu-hbm-pim-attn with another sharing mode (separate: over a 900 GB/s NVLink-class link)."""
    import yaml

    d = yaml.safe_load(resolve_config("gpu-hbm-pim-attn").read_text())
    d["name"] = f"gpu-hbm-pim-attn ({sharing})"
    d["pim"]["sharing"] = sharing
    if sharing == "separate":
        # NVLink 4 of an H100: 900 GB/s both directions (NVIDIA H100 datasheet); 2 us per transfer (U)
        d["links"] = {"nvlink": {"bandwidth": "450 GB/s", "latency": "2 us", "energy_per_bit": "1.3 pJ/bit"}}
    return architecture_from_dict(d)


def architectures():
    return [
        ("GPU (H100, HBM3)", load_architecture(resolve_config("gpu-hbm3"))),
        ("GPU + HBM-PIM attention, blocked", load_architecture(resolve_config("gpu-hbm-pim-attn"))),
        ("GPU + HBM-PIM attention, concurrent", _pim_variant("concurrent")),
        ("GPU + HBM-PIM attention, separate", _pim_variant("separate")),
        ("host + SRAM CIM", load_architecture(resolve_config("sram-cim"))),
    ]


def table():
    import pandas as pd

    rows = []
    for b in BATCHES:
        w = llm_serving(LLAMA2_7B, prompt=PROMPT, decode=DECODE, batch=b, attention="padded")
        for label, arch in architectures():
            r = simulate(arch, w, keep_ops=False)
            rows.append({"architecture": label, "batch": b, **r.serving, C.LATENCY: r.latency_s,
                         "bound": f"{r.bound} ({r.bound_part})"})
    return pd.DataFrame(rows)


def main(out: str = "docs/llm_tokens_per_s.png") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = table()
    print(df.to_string(index=False))
    df.to_csv(Path(out).with_suffix(".csv"), index=False)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    styles = ["o-", "s--", "^:", "x-.", "D-"]  # the PIM modes nearly coincide: keep each visible
    for (label, g), style in zip(df.groupby("architecture", sort=False), styles):
        ax.plot(g["batch"], g[C.DECODE_TOKENS_PER_S], style, label=label, markersize=5)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("batch size (requests decoded together)")
    ax.set_ylabel("decode throughput (tokens/s)")
    ax.set_title(f"Llama-2-7B shape, FP16, prompt {PROMPT}, {DECODE} decode steps (cimsim)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
