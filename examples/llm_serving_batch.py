"""Decode throughput and energy efficiency against batch size, one panel per workload, for GPU,
GPU + HBM-PIM (weights on PIM; attention on PIM in three sharing modes), four GPUs with tensor
parallelism, and host + SRAM CIM: the README's serving figure.

    PYTHONPATH=src python examples/llm_serving_batch.py [OUTPUT.png]

Workloads (FP16, 16 decode steps, static batching with equal lengths, so the padded attention
op reads exactly each request's cache):

- Llama-2-7B's shape (32 layers, hidden 4096, 32 heads = 32 KV heads, FFN 11008, vocab 32000),
  prompt 1024;
- Mistral-7B's shape (32 layers, hidden 4096, 32 heads over 8 KV heads: GQA g = 4, FFN 14336,
  vocab 32000), prompt 1024;
- Llama-2-7B's shape with a 4096-token prompt (the KV cache dominates sooner).

Each architecture keeps its colour (``cimsim.plot.style.arch_style``); the sharing modes of
gpu-hbm-pim-attn are line styles of its colour. ``4 x gpu-hbm3 (TP 4)``: each H100 runs a
quarter of every layer (``tensor_parallel=4``) with an all-reduce after the attention output
projection and the FFN (a ``collective`` over an NVSwitch-style switch: NVLink 4 at 450 GB/s
per direction, H100 datasheet; 2 us per step, a placeholder). Its tokens/J counts the energy
of the four devices (4 x one device's). A batch whose weights, KV caches (all layers, at the
last step) and activations exceed an architecture's backing store (per device with tensor
parallelism: H100's 80 GB, HBM-PIM's 60 GB) is refused by the simulator (its capacity check)
and left out; the script prints each refusal.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

from cimsim import load_architecture, simulate
from cimsim.bundled import resolve_config
from cimsim.config import architecture_from_dict
from cimsim.errors import MappingError
from cimsim.report import columns as C
from cimsim.workload.llm import LLMModel, llm_serving

LLAMA2_7B = LLMModel(layers=32, hidden=4096, heads=32, kv_heads=32, ffn=11008, vocab=32000,
                     head_dim=128, gated=True)
MISTRAL_7B = LLMModel(layers=32, hidden=4096, heads=32, kv_heads=8, ffn=14336, vocab=32000,
                      head_dim=128, gated=True)
WORKLOADS = (("Llama-2-7B, prompt 1024", LLAMA2_7B, 1024),
             ("Mistral-7B (GQA g = 4), prompt 1024", MISTRAL_7B, 1024),
             ("Llama-2-7B, prompt 4096", LLAMA2_7B, 4096))
BATCHES = (1, 2, 4, 8, 16, 32, 64)
DECODE = 16
TP = 4


def _yaml(name: str) -> dict:
    from cimsim.config import read_yaml  # cimsim's YAML reading (YAML 1.2 numbers)

    return read_yaml(resolve_config(name))


def _pim_variant(sharing: str):
    """gpu-hbm-pim-attn with another sharing mode (separate: over a 900 GB/s NVLink-class link)."""
    d = _yaml("gpu-hbm-pim-attn")
    d["name"] = f"gpu-hbm-pim-attn ({sharing})"
    d["pim"]["sharing"] = sharing
    if sharing == "separate":
        # NVLink 4 of an H100: 900 GB/s both directions (NVIDIA H100 datasheet); 2 us per transfer (U)
        d["links"] = {"nvlink": {"bandwidth": "450 GB/s", "latency": "2 us", "energy_per_bit": "1.3 pJ/bit"}}
    return architecture_from_dict(d)


def _tensor_parallel():
    d = copy.deepcopy(_yaml("gpu-hbm3"))
    d["name"] = f"{TP} x gpu-hbm3 (TP {TP})"
    # NVLink 4: 18 links x 25 GB/s per direction = 450 GB/s (H100 datasheet: 900 GB/s total);
    # 2 us per collective step (U) placeholder; 1.3 pJ/bit (U) placeholder
    d["links"] = {"nvlink": {"bandwidth": "450 GB/s", "latency": "2 us", "energy_per_bit": "1.3 pJ/bit"}}
    d["collective"] = {"devices": TP, "link": "nvlink", "topology": "switch"}
    return architecture_from_dict(d)


#: (label, palette name, sharing mode or None, architecture, devices)
def architectures():
    return [
        ("gpu-hbm3 (H100)", "gpu-hbm3", None, load_architecture(resolve_config("gpu-hbm3")), 1),
        (f"{TP} x gpu-hbm3, tensor parallel", f"{TP} x gpu-hbm3", None, _tensor_parallel(), TP),
        ("hbm-pim (weights on PIM at batch 1; from 2 on the GPU)", "hbm-pim", None, load_architecture(resolve_config("hbm-pim")), 1),
        ("gpu-hbm-pim-attn, blocked", "gpu-hbm-pim-attn", "blocked",
         load_architecture(resolve_config("gpu-hbm-pim-attn")), 1),
        ("gpu-hbm-pim-attn, concurrent", "gpu-hbm-pim-attn", "concurrent", _pim_variant("concurrent"), 1),
        ("gpu-hbm-pim-attn, separate", "gpu-hbm-pim-attn", "separate", _pim_variant("separate"), 1),
        ("sram-cim (host + SRAM CIM; 8-bit, not FP16)", "sram-cim", None, load_architecture(resolve_config("sram-cim")), 1),
    ]


def table():
    import pandas as pd

    archs = architectures()
    rows = []
    for wl, model, prompt in WORKLOADS:
        for b in BATCHES:
            ws = {}
            for label, key, mode, arch, devices in archs:
                if devices not in ws:
                    ws[devices] = llm_serving(model, prompt=prompt, decode=DECODE, batch=b,
                                              attention="padded", tensor_parallel=devices)
                try:  # a batch that does not fit in the backing store is refused, and left out
                    r = simulate(arch, ws[devices], keep_ops=False)
                except MappingError as e:
                    print(f"{wl}, batch {b}, {label}: {e}", file=sys.stderr)
                    continue
                rows.append({"workload": wl, "architecture": label, "palette": key, "mode": mode,
                             "batch": b, C.TTFT_S: r.serving[C.TTFT_S], C.TPOT_S: r.serving[C.TPOT_S],
                             C.DECODE_TOKENS_PER_S: r.serving[C.DECODE_TOKENS_PER_S],
                             C.TOKENS_PER_J: r.serving[C.TOKENS_PER_J],  # all devices (tensor_parallel)
                             C.LATENCY: r.latency_s, "bound": f"{r.bound} ({r.bound_part})"})
    return pd.DataFrame(rows)


def main(out: str = "docs/llm_tokens_per_s.png") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cimsim.plot.style import arch_style

    df = table()
    with __import__("pandas").option_context("display.width", 200):
        print(df.drop(columns=["palette", "mode"]).to_string(index=False))
    Path(out).parent.mkdir(parents=True, exist_ok=True)  # before the table: run from anywhere
    df.to_csv(Path(out).with_suffix(".csv"), index=False)
    dashes = {None: "-", "blocked": "-", "concurrent": "--", "separate": ":"}
    fig, axes = plt.subplots(2, len(WORKLOADS), figsize=(5.2 * len(WORKLOADS), 8.2), sharex=True)
    for col, (wl, _, _) in enumerate(WORKLOADS):
        sub = df[df["workload"] == wl]
        for label, g in sub.groupby("architecture", sort=False):
            st = arch_style(g["palette"].iloc[0])
            mode = g["mode"].iloc[0] if isinstance(g["mode"].iloc[0], str) else None
            for row, y in enumerate((C.DECODE_TOKENS_PER_S, C.TOKENS_PER_J)):
                # the GPU baseline wide and pale, so the lines that coincide with it stay visible
                base = g["palette"].iloc[0] == "gpu-hbm3"
                axes[row, col].plot(g["batch"], g[y], dashes[mode], color=st.color, marker=st.marker,
                                    ms=7 if base else 4, lw=4 if base else 1.5,
                                    alpha=0.45 if base else 1.0, label=label)
        axes[0, col].set_title(wl, fontsize=10)
        for row, ylabel in enumerate(("decode throughput (tokens/s)", "tokens/J (all devices)")):
            ax = axes[row, col]
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.grid(True, which="both", alpha=0.3)
            if col == 0:
                ax.set_ylabel(ylabel)
            if row == 1:
                ax.set_xlabel("batch size (requests decoded together)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle(f"LLM decode, FP16, {DECODE} decode steps per request (cimsim; batches whose "
                 "weights, KV cache and activations exceed the memory are left out)", fontsize=11)
    fig.tight_layout(rect=(0, 0.07, 1, 0.97))
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
