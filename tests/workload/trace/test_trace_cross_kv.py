"""The KV cache of a traced encoder-decoder decoder step (find-G 3, find-E 5): eager SDPA reads
the cross-attention K through a scaled copy (``K * sqrt(scale)``), which used to hide K from the
footprint's ``KV cache`` (half the cross cache counted: V only) and from PIM's ``kv_cache``
claim (its ``Q . K^T`` left on the host); and an input given under a plain name (``k``) read as
an attention's K used to be called a KV cache. Golden values are closed forms written here."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")
nn, F = torch.nn, torch.nn.functional

from cimsim.config import load_architecture  # noqa: E402
from cimsim.mapping.placement import place  # noqa: E402
from cimsim.workload.footprint import footprint  # noqa: E402
from cimsim.workload.trace import trace  # noqa: E402

from pathlib import Path  # noqa: E402

D, H, L, T_ENC = 64, 4, 2, 30  # d_model, heads, decoder layers, encoder frames; fp32 (4 B)
CONFIGS = Path(__file__).resolve().parents[3] / "configs"


class CrossStep(nn.Module):
    """One decoder token's cross-attention over each layer's (K, V) of the encoder output."""

    def __init__(self, how: str):
        super().__init__()
        self.how = how
        self.q = nn.ModuleList(nn.Linear(D, D, bias=False) for _ in range(L))
        self.o = nn.ModuleList(nn.Linear(D, D, bias=False) for _ in range(L))

    def forward(self, x, past_key_values):
        dh = D // H
        for i, (k, v) in enumerate(past_key_values):
            q = self.q[i](x).view(1, 1, H, dh).transpose(1, 2)
            if self.how == "sdpa":  # eager SDPA (math backend): q and K each scaled by sqrt(1/sqrt(dh))
                a = F.scaled_dot_product_attention(q, k, v)
            else:  # T5-style: a transposed copy of K, then a scale
                a = torch.matmul((q @ (k.transpose(-1, -2).contiguous() * dh ** -0.5)).softmax(-1), v)
            x = x + self.o[i](a.transpose(1, 2).reshape(1, 1, D))
        return x


def _step(how: str):
    with torch.device("meta"):
        m = CrossStep(how)
        x = torch.empty(1, 1, D)
        kv = [(torch.empty(1, H, T_ENC, D // H), torch.empty(1, H, T_ENC, D // H)) for _ in range(L)]
    return trace(m, (x,), example_kwargs={"past_key_values": kv})


@pytest.mark.parametrize("how", ["sdpa", "transposed"])
def test_cross_attention_cache_is_counted_whole(how):
    w = _step(how)
    # K reaches its Q.K^T through a copy (the bug's trigger), V is read as it is
    assert any(op.kind == "elementwise" and op.inputs == ("past_key_values[0][0]",) for op in w.ops)
    # cross KV = 2 (K and V) x layers x d_model x encoder frames x 4 B = 30,720 B (was half: V only)
    assert footprint(w).kv_cache == 2 * L * D * T_ENC * 4 == 30_720


def test_pim_kv_claim_takes_both_cross_attention_products():
    w = _step("sdpa")
    arch = load_architecture(CONFIGS / "gpu-hbm-pim-attn.yaml")
    pl = place(w, arch)
    names = [c.name for c in pl.components]
    on_pim = [op for op, c in zip(w.ops, pl.component.tolist()) if names[c] == "pim"]
    # per layer Q.K^T (over the scaled copy of K) and P.V: 2 x L products, each H x T_ENC x dh MACs
    assert len(on_pim) == 2 * L
    assert all(op.kind == "matmul" for op in on_pim)
    assert sum(op.macs for op in on_pim) == 2 * L * H * T_ENC * (D // H) == 7_680
    # the scaling itself stays on the host (it is costed there), not dropped
    scale = [c for op, c in zip(w.ops, pl.component.tolist()) if op.inputs == ("past_key_values[0][0]",)]
    assert [names[c] for c in scale] == ["processor"]


class PlainAttention(nn.Module):
    def forward(self, q, k):
        return (torch.bmm(q, k.transpose(-1, -2)) * 0.125).softmax(-1)


class CachedAttention(nn.Module):
    def forward(self, q, past_key_values):
        return (torch.bmm(q, past_key_values.transpose(-1, -2)) * 0.125).softmax(-1)


def test_a_plain_input_read_as_k_is_no_kv_cache():
    with torch.device("meta"):
        q, k = torch.empty(2, 16, 8), torch.empty(2, 16, 8)
    # a vision / diffusion attention's K given as an input named k: activations, not a KV cache
    assert footprint(trace(PlainAttention(), (q, k))).kv_cache == 0
    # the same tensor given as the model's cache (its argument's name says so): 2 x 16 x 8 x 4 B
    assert footprint(trace(CachedAttention(), (q, k))).kv_cache == 2 * 16 * 8 * 4


class ConcatAttention(nn.Module):
    """A decoder-only step's self-attention: the cache grown by this step's row (a concatenation)."""

    def forward(self, q, past_key_values, new):
        k = torch.cat([past_key_values, new], 1)
        return torch.bmm(torch.bmm(q, k.transpose(-1, -2)).softmax(-1)[..., :16], past_key_values)


def test_pim_says_which_attention_matmuls_it_leaves_on_the_host():
    with torch.device("meta"):
        q, cache, new = torch.empty(2, 1, 8), torch.empty(2, 16, 8), torch.empty(2, 1, 8)
    w = trace(ConcatAttention(), (q, cache, new))
    pl = place(w, load_architecture(CONFIGS / "gpu-hbm-pim-attn.yaml"))
    notes = [n for n in pl.notes if "without a weight stay on the host" in n]
    # Q.K^T reads the concatenation (an activation): 1 matmul left; P.V reads the cache: on PIM
    assert len(notes) == 1 and notes[0].startswith("1 matmul(s) without a weight stay on the host")
