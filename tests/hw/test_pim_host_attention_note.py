"""PIM's note on weightless matmuls it leaves on the host (review 15-2 item 1): it fired on every
generated or ``--serve`` run of gpu-hbm-pim-attn, counting the prefill's attention over the K and
V the prefill has just projected (no cache yet: correct placement, not a gap), and told the user
to "trace with --serve", which such a run already was.

The run below: 2 layers, B = 2 requests of P = 64 prompt tokens, D = 4 decode steps. The prefill
runs B x L = 4 attentions of 2 products (Q.K^T, P.V) over its fresh K and V: 8 matmuls, the
count the old note gave; the decode steps read the cache in place: D x B x L x 2 = 32 products
on the PIM units.
"""

from __future__ import annotations

from pathlib import Path

from cimsim.config import load_architecture
from cimsim.mapping.placement import place
from cimsim.workload.llm import LLMModel, llm_serving

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
L, B, P, D = 2, 2, 64, 4


def test_a_generated_serving_run_has_no_host_attention_note():
    w = llm_serving(LLMModel(layers=L, hidden=512, heads=8, kv_heads=2, ffn=2048,
                             vocab=1000, head_dim=64, gated=False),
                    prompt=P, decode=D, batch=B)
    pl = place(w, load_architecture(CONFIGS / "gpu-hbm-pim-attn.yaml"))
    assert not [n for n in pl.notes if "without a weight stay on the host" in n]
    a = w.arrays
    pim = [i for i, c in enumerate(pl.components) if c.name == "pim"][0]
    weightless = (a.rows > 0) & (a.stationary < 0)
    assert int((weightless & (pl.component == pim)).sum()) == D * B * L * 2
    assert int((weightless & (pl.component != pim)).sum()) == B * L * 2  # the prefill's, unnoted
