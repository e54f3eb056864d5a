"""The capacity check counts every layer's KV cache at its longest (issue 20): a serving run
whose weights plus KV caches do not fit in the backing store is refused. Golden values are
closed forms of the model's shape (Llama-2-7B: 32 layers, hidden 4096, 32 heads of 128, FFN
11008 gated, vocabulary 32000; Hugging Face's LlamaConfig defaults)."""

from __future__ import annotations

import pytest

from cimsim.config import architecture_from_dict
from cimsim.errors import MappingError
from cimsim.mapping.placement import place
from cimsim.workload import Op, Tensor, Workload
from cimsim.workload.footprint import peak_kv_cache_bytes
from cimsim.workload.llm import LLMModel, llm_serving

LLAMA2_7B = LLMModel(layers=32, hidden=4096, heads=32, kv_heads=32, ffn=11008, vocab=32000,
                     head_dim=128, gated=True)
FP16 = 2


def weights(m: LLMModel) -> int:
    """Bytes of the generator's weights: per layer W_qkv, W_o, W_up (gate and up), W_down;
    then the LM head (no embedding table: the generator does not model its read)."""
    d, dh = m.hidden, m.head_dim
    per_layer = d * (m.heads + 2 * m.kv_heads) * dh + m.heads * dh * d + 3 * d * m.ffn
    return (m.layers * per_layer + d * m.vocab) * FP16


def kv(m: LLMModel, batch: int, length: int) -> int:
    """2 (K and V) x layers x B x L x kv_heads x head_dim x dtype bytes."""
    return 2 * m.layers * batch * length * m.kv_heads * m.head_dim * FP16


def arch(capacity_b: int, devices: int | None = None) -> object:
    more = {} if devices is None else {  # a link and a collective for a pipeline's sends
        "links": {"nvlink": {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}},
        "collective": {"devices": devices, "topology": "ring"}}
    return architecture_from_dict({**more,
        "name": "box",
        "memory": {"hbm": {"capacity": f"{capacity_b} B", "bandwidth": "1 TB/s",
                           "energy_per_byte": "1 pJ/B"}},
        "processor": {"name": "host", "cores": 1, "clock": "1 GHz",
                      "macs_per_cycle_per_core": {"fp16": 1}, "vector_ops_per_cycle_per_core": 1,
                      "energy_per_mac": {"fp16": "1 pJ"}, "energy_per_vector_op": "1 pJ",
                      "static_power": "0 W", "op_overhead": "0 s"},
    })


def sep(capacity_b, channels=1, pim_channels=None):
    """The box with PIM units of a device of their own (sharing: separate) holding the KV cache."""
    return architecture_from_dict({
        "name": "sep",
        "memory": {"hbm": {"capacity": f"{capacity_b} B", "bandwidth": "1 TB/s",
                           "energy_per_byte": "1 pJ/B", "channels": channels}},
        "links": {"nvlink": {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}},
        "processor": {"name": "host", "cores": 1, "clock": "1 GHz",
                      "macs_per_cycle_per_core": {"fp16": 1}, "vector_ops_per_cycle_per_core": 1,
                      "energy_per_mac": {"fp16": "1 pJ"}, "energy_per_vector_op": "1 pJ",
                      "static_power": "0 W", "op_overhead": "0 s"},
        "pim": {"units_per_channel": 1, "clock": "1 GHz", "macs_per_cycle": 1,
                "internal_bandwidth": "1 GB/s", "energy_per_mac": "1 pJ",
                "energy_per_bit": "1 pJ/bit", "claims": ["kv_cache"], "max_rows": 32,
                "sharing": "separate", "link": "nvlink",
                **({} if pim_channels is None else {"channels": pim_channels})}})


def test_weights_closed_form():
    assert weights(LLAMA2_7B) == 13_214_154_752  # 6,607,077,376 parameters in FP16
    assert llm_serving(LLAMA2_7B, prompt=2, decode=1, batch=1).weight_bytes == weights(LLAMA2_7B)


@pytest.mark.parametrize("batch, prompt, decode", [(4, 8, 8), (1, 8, 8), (2, 1, 5)])
def test_kv_cache_is_every_layer_at_its_longest(batch, prompt, decode):
    # the last decode step attends to P + D tokens (its P + D - 1 cached ones and its own row)
    w = llm_serving(LLAMA2_7B, prompt=prompt, decode=decode, batch=batch)
    fp = w.footprint
    assert fp.weights == weights(LLAMA2_7B)
    assert fp.kv_cache == peak_kv_cache_bytes(w) == kv(LLAMA2_7B, batch, prompt + decode)
    # at the peak the FFN's activation runs: up (2 x ffn), its output (ffn) and the residual
    # (hidden) of each request's row are live
    assert fp.activations == batch * (3 * LLAMA2_7B.ffn + LLAMA2_7B.hidden) * FP16


def test_a_refusal_names_unfused_attention_scores_and_the_fused_kernel():
    # a long prompt under unfused attention: the scores and the softmax output of a layer,
    # 2 x H x P^2 x 2 B = 2 x 4 x 1,024^2 x 2 B = 16,777,216 B, are the bulk of the peak (a
    # batch-1 32k Llama-3-8B prompt on an 80 GB GPU: 137.4 GB of them, and the refusal did not
    # say so; a tester, 2026-12-06); fused, they stay on chip and the same run fits
    m = LLMModel(layers=1, hidden=64, heads=4, kv_heads=4, ffn=128, vocab=32, head_dim=16, gated=True)
    unfused = llm_serving(m, prompt=1024, decode=1)
    fused = llm_serving(m, prompt=1024, decode=1, attention_kernel="fused")
    cap = fused.footprint.total
    assert cap < 2 * 4 * 1024**2 * FP16 < unfused.footprint.total
    place(fused, arch(cap))
    with pytest.raises(MappingError) as e:
        place(unfused, arch(cap))
    msg = str(e.value)
    assert "\n" not in msg
    assert ("; 16.7772 MB of the activations are the attention's score and probability "
                        "tensors (H x tokens x keys each, unfused attention): generated with "
                        "--attention-kernel fused (FlashAttention) they stay on chip" in msg), msg
    # where the caches are the bulk, no such hint
    with pytest.raises(MappingError) as e:
        place(llm_serving(LLAMA2_7B, prompt=8, decode=8, batch=4), arch(weights(LLAMA2_7B)))
    assert "score and probability" not in str(e.value)


def test_the_scores_hint_recommends_fusing_only_where_that_fits():
    # review 15-2 item 2: the hint recommended --attention-kernel fused where the run still did
    # not fit. Same model, P = 1,024: weights(m) = 86,016 B, cache 2 x P x 4 x 16 x 2 B =
    # 262,144 B; at the peak (the softmax) the activations are the scores and probabilities,
    # 2 x 4 x P^2 x 2 B = 16,777,216 B, and two P x 64 rows of 2 B (262,144 B). A capacity of
    # the weights and the cache only: 17,039,360 B over, fused or not (its activations are > 0)
    m = LLMModel(layers=1, hidden=64, heads=4, kv_heads=4, ffn=128, vocab=32, head_dim=16, gated=True)
    cap = weights(m) + kv(m, 1, 1024)
    with pytest.raises(MappingError):
        place(llm_serving(m, prompt=1024, decode=1, attention_kernel="fused"), arch(cap))
    with pytest.raises(MappingError) as e:
        place(llm_serving(m, prompt=1024, decode=1), arch(cap))
    over = 2 * 4 * 1024**2 * FP16 + 2 * 1024 * 64 * FP16
    assert over == 17_039_360
    assert (
        "; 16.7772 MB of the 17.0394 MB over are the attention's score and probability tensors "
        "(H x tokens x keys each, unfused attention): --attention-kernel fused keeps them on "
        "chip, but the rest does not fit either" in str(e.value)), str(e.value)


def test_the_scores_hint_with_the_cache_in_a_pim_device_of_its_own():
    # footprint_apart's host footprint had no peak op, so the hint never came with the cache
    # apart (sharing: separate): the host holds weights(m) + the activations, 86,016 +
    # 17,039,360 B; one byte less is refused, and fused the scores would stay on chip
    m = LLMModel(layers=1, hidden=64, heads=4, kv_heads=4, ffn=128, vocab=32, head_dim=16, gated=True)
    host = weights(m) + 2 * 4 * 1024**2 * FP16 + 2 * 1024 * 64 * FP16
    with pytest.raises(MappingError) as e:
        place(llm_serving(m, prompt=1024, decode=1), sep(host - 1))
    assert f"needs {host / 1e6:.6g} MB live at once" in str(e.value)
    assert ("; 16.7772 MB of the activations are the attention's score and "
                                 "probability tensors (H x tokens x keys each, unfused attention): "
                                 "generated with --attention-kernel fused (FlashAttention) they "
                                 "stay on chip" in str(e.value)), str(e.value)


def test_gqa_cache_is_a_group_smaller():
    m = LLMModel(layers=32, hidden=4096, heads=32, kv_heads=8, ffn=14336, vocab=32000,
                 head_dim=128, gated=True)  # Mistral-7B's shape
    # (a short prompt: a 6-token prefill's activations would outweigh 2 tokens' caches, and the
    # footprint's KV part is the cache at the peak of caches plus activations)
    assert llm_serving(m, prompt=2, decode=8, batch=2).footprint.kv_cache == kv(m, 2, 10)
    assert kv(m, 2, 10) * 4 == kv(LLAMA2_7B, 2, 10)


def test_one_token_over_is_refused_one_under_passes():
    B, P, D = 4, 8, 8
    L = P + D
    act = B * (3 * LLAMA2_7B.ffn + LLAMA2_7B.hidden) * FP16
    cap = weights(LLAMA2_7B) + kv(LLAMA2_7B, B, L) + act
    fits = llm_serving(LLAMA2_7B, prompt=P, decode=D, batch=B)
    place(fits, arch(cap))  # exactly full
    with pytest.raises(MappingError, match=r"memory\.hbm\.capacity"):
        place(fits, arch(cap - 1))
    # one more token per request: one more decode step, B x 512 KiB more cache
    over = llm_serving(LLAMA2_7B, prompt=P, decode=D + 1, batch=B)
    assert over.footprint.total - fits.footprint.total == kv(LLAMA2_7B, B, 1) == B * 512 * 1024
    with pytest.raises(MappingError) as e:
        place(over, arch(cap))
    msg = str(e.value)
    assert "\n" not in msg
    need = weights(LLAMA2_7B) + kv(LLAMA2_7B, B, L + 1) + act
    # every size with its own SI prefix, 6 digits: KV cache 4 x 17 tokens x 512 KiB
    assert kv(LLAMA2_7B, B, L + 1) == 35_651_584 and act == 296_960
    assert (f"needs {need / 1e9:.6g} GB live at once (weights 13.2142 GB, KV cache "
            "35.6516 MB, activations 296.96 kB)") in msg
    assert f"memory.hbm.capacity {cap / 1e9:.6g} GB" in msg
    # one token shorter fits with room to spare
    place(llm_serving(LLAMA2_7B, prompt=P, decode=D - 1, batch=B), arch(cap))


def test_continuous_batching_counts_the_running_requests_only():
    # 3 requests, 2 slots, prompts of 4, decode 2, 6 and 3 steps. Steps (tokens attended):
    # r0 5, r1 5 | r0 6, r1 6 | r0 leaves, r2 admitted: r1 7, r2 5 | r1 8, r2 6 | r1 9, r2 7 |
    # r1 10 | r1 11. The most resident at once is 9 + 7 = 16 tokens, not the 6 + 11 + 7 that
    # every request reaches, nor 11 x 2 slots.
    m = LLMModel(layers=2, hidden=32, heads=4, kv_heads=2, ffn=48, vocab=20, head_dim=8, gated=True)
    w = llm_serving(m, prompt=4, decode=[2, 6, 3], batch=2, requests=3, batching="continuous")
    assert peak_kv_cache_bytes(w) == 2 * m.layers * 16 * m.kv_heads * m.head_dim * FP16


def test_padded_attention_counts_the_padding():
    # static batching padded as HF pads it: every request's cache at the longest (6 + 3)
    m = LLMModel(layers=2, hidden=32, heads=4, kv_heads=4, ffn=48, vocab=20, head_dim=8, gated=False)
    w = llm_serving(m, prompt=[3, 6], decode=3, batch=2, attention="padded")
    assert peak_kv_cache_bytes(w) == kv(m, 2, 9)
    w = llm_serving(m, prompt=[3, 6], decode=3, batch=2)  # per request: 6 + 9 tokens
    assert peak_kv_cache_bytes(w) == 2 * m.layers * 15 * m.kv_heads * m.head_dim * FP16


def test_one_step_workload_holds_all_its_caches_at_once():
    # no serving metadata: the whole workload is one iteration, so both layers' caches
    # (2 x 100 B each) are resident together though each is read by one op only
    t = [Tensor("q", (10,), "int8", "input")]
    ops = []
    x = "q"
    for l in range(2):
        t += [Tensor(f"K{l}", (10, 10), "int8", "input"), Tensor(f"V{l}", (10, 10), "int8", "input"),
              Tensor(f"s{l}", (10,), "int8", "activation"), Tensor(f"o{l}", (10,), "int8", "activation")]
        ops += [Op(f"scores{l}", "matmul", (x, f"K{l}"), (f"s{l}",), m=1, k=10, n=10),
                Op(f"ctx{l}", "matmul", (f"s{l}", f"V{l}"), (f"o{l}",), m=1, k=10, n=10)]
        x = f"o{l}"
    fp = Workload("two-layers", t, ops).footprint
    assert fp.kv_cache == 400
    # two 10 B tensors live at every op (its input and output; the rest read for the last time)
    assert fp.activations == 20


@pytest.mark.parametrize("p, m", [(2, 1), (2, 2), (4, 4)])
def test_pipeline_stage_holds_its_layers_and_every_micro_batchs_caches(p, m):
    # the last stage is the largest: layers / p layers and the LM head; its caches of all m
    # micro-batches (the whole batch B); one micro-batch's activations (B / m rows)
    B, P, D = 4, 8, 8
    L7 = LLAMA2_7B
    w = llm_serving(L7, prompt=P, decode=D, batch=B, pipeline_parallel=p, micro_batches=m)
    fp = w.footprint
    d, dh = L7.hidden, L7.head_dim
    per_layer = (d * (L7.heads + 2 * L7.kv_heads) * dh + L7.heads * dh * d + 3 * d * L7.ffn) * FP16
    assert (fp.stage, fp.stages) == (p - 1, p)
    assert fp.weights == L7.layers // p * per_layer + d * L7.vocab * FP16
    assert fp.kv_cache == kv(L7, B, P + D) // p
    assert fp.activations == B // m * (3 * L7.ffn + d) * FP16
    with pytest.raises(MappingError, match=rf"on pipeline stage {p - 1} of {p} \(one device each\)"):
        place(w, arch(fp.total - 1, p))
    place(w, arch(fp.total, p))


def test_a_prefill_holds_the_caches_it_has_written():
    # static batch of 3, prompt 5: the prefill's qkv ops write 5 rows a request a layer; at its
    # first op it holds no cache (no request runs yet: the decode step's 6-token caches less the
    # row that step appends and the 5 the prefill writes); at its last op all 5 rows written.
    # It held one row a request and layer more, the decode step's own (a tester, 2026-12-06)
    from cimsim.workload.footprint import kv_cache_mask, kv_cache_profile
    m = LLMModel(layers=3, hidden=32, heads=4, kv_heads=2, ffn=48, vocab=20, head_dim=8, gated=True)
    w = llm_serving(m, prompt=5, decode=2, batch=3)
    prof = kv_cache_profile(w, kv_cache_mask(w))
    end = w.metadata["llm"]["step_end_ops"][0]
    assert prof[0] == 0
    assert prof[end] == kv(m, 3, 5)
    # after layer 0's qkv: one layer's 5 rows
    qkv0 = next(i for i, op in enumerate(w.ops) if op.name == "it0.prefill.l0.qkv")
    assert prof[qkv0] == 2 * 1 * 3 * 5 * m.kv_heads * m.head_dim * FP16
    assert prof.max() == kv(m, 3, 5 + 2)  # the last decode step


def test_a_later_prefill_holds_the_running_requests_caches_as_they_stand():
    # continuous batching, 2 slots: requests 0 (prompt 4, decode 6) and 1 (prompt 3, decode 1)
    # are prefilled and decode one step (request 0's cache 5 rows; request 1 ends, its slot
    # freed), then request 2 (prompt 3) is prefilled beside request 0: at that prefill's first
    # op request 0 holds its 5 rows, not the 6 the next decode step reads; at its last op 5 + 3
    from cimsim.workload.footprint import kv_cache_mask, kv_cache_profile
    m = LLMModel(layers=2, hidden=32, heads=4, kv_heads=2, ffn=48, vocab=20, head_dim=8, gated=True)
    w = llm_serving(m, prompt=[4, 3, 3], decode=[6, 1, 2], batch=2, batching="continuous")
    llm = w.metadata["llm"]
    second = [i for i, k in enumerate(llm["step_kind"]) if k == "prefill"][1]
    lo, hi = llm["step_end_ops"][second - 1] + 1, llm["step_end_ops"][second]
    assert [op.name.split(".")[1] for op in (w.ops[lo], w.ops[hi])] == ["prefill", "prefill"]
    prof = kv_cache_profile(w, kv_cache_mask(w))
    row = 2 * m.kv_heads * m.head_dim * FP16 * m.layers  # one token's K and V, every layer
    assert prof[lo] == 5 * row
    assert prof[hi] == (5 + 3) * row


def test_prefill_peak_cache_is_the_prompts_rows_llama3_8b_shape():
    # Llama-3-8B's attention (32 layers, 8 K/V heads of 128) at prompt 32,768, batch 1, fp16,
    # fused: the peak is in the prefill (an FFN of 32,768 rows), whose cache then holds
    # 2 x 32 x 8 x 128 x 32,768 x 2 B = 4,294,967,296 B, not one row a layer more
    # (4,295,098,368 B: a tester, 2026-12-06); 2 layers and a small FFN/vocabulary keep it fast,
    # the cache scaled by 32 / 2
    m = LLMModel(layers=2, hidden=4096, heads=32, kv_heads=8, ffn=14336, vocab=1024, head_dim=128,
                 gated=True)
    fp = llm_serving(m, prompt=32768, decode=2, attention_kernel="fused").footprint
    assert fp.kv_cache * 32 // 2 == 2 * 32 * 8 * 128 * 32768 * FP16 == 4_294_967_296


def test_a_malformed_pipeline_section_is_one_line():
    from cimsim.errors import WorkloadError
    w = llm_serving(LLMModel(layers=2, hidden=32, heads=4, kv_heads=2, ffn=48, vocab=20, head_dim=8,
                             gated=True), prompt=2, decode=1, batch=1, pipeline_parallel=2)
    meta = {**w.metadata, "llm": {**w.metadata["llm"], "pipeline": {"stages": "two"}}}
    # refused where the workload is built or loaded (llm_meta), before footprint reads it
    with pytest.raises(WorkloadError, match=r"metadata.llm.pipeline must be \{stages: N, micro_batches: M\}"):
        Workload.from_columns(w.name, w.columns, meta)


def test_cli_run_prints_the_footprint_the_capacity_check_holds(tmp_path):
    """`cimsim run`'s footprint line gives the bytes live at once (weights, KV cache,
    activations at the peak), as the capacity check counts them; it gave the weights and the
    bytes of every activation tensor of the run under "footprint" (1.954 GB of "activations"
    for a 4-layer Llama at batch 4, whose peak holds 2.025 GB with the weights)."""
    from click.testing import CliRunner

    from cimsim.cli import main
    from cimsim.report.format import si
    from cimsim.workload import load_workload

    m = LLMModel(layers=2, hidden=64, heads=4, kv_heads=2, ffn=128, vocab=100, head_dim=16, gated=True)
    wf = tmp_path / "w.npz"
    r = CliRunner().invoke(main, ["workload", "llm", "--layers", "2", "--hidden", "64", "--heads", "4",
                                  "--kv-heads", "2", "--ffn", "128", "--vocab", "100", "--prompt", "8",
                                  "--decode", "4", "--batch", "2", "-o", str(wf)])
    assert r.exit_code == 0, r.output
    fp = load_workload(wf).footprint
    assert fp.weights == weights(m)  # (2 x (64*8*16 + 64*64 + 3*64*128) + 64*100) x 2 B = 160,256 B
    assert 0 < fp.kv_cache <= kv(m, 2, 8 + 4)  # at most the caches at their longest, 6,144 B
    r = CliRunner(env={"COLUMNS": "300"}).invoke(main, ["run", "gpu-hbm3", str(wf)])
    assert r.exit_code == 0, r.output
    line = next(x for x in r.output.splitlines() if x.strip().startswith("footprint"))
    assert (f"{si(fp.total, 'B')} live at once (at its peak: weights {si(fp.weights, 'B')}, KV cache "
            f"{si(fp.kv_cache, 'B')}, activations {si(fp.activations, 'B')})") in line


def test_a_separate_pim_device_holds_the_kv_cache_not_the_host():
    """With PIM units of their own device (sharing: separate, claims kv_cache) the cache lies in
    that device, organised like the host's level: the host needs weights + activations only, the
    device the cache (a new user's Llama-2-7B at prompt 4096, batch 24, was refused for the
    cache on the host's 60 GB)."""
    B, P, D = 4, 8, 8
    # the host's activations at their own peak (not at the op where the sum with the device's
    # cache peaks, a decode step's B rows: a tester, 2026-12-05): the prefill's B x P rows of the
    # FFN's gate, up and down-input (3 ffn) and the hidden state
    act = B * P * (3 * LLAMA2_7B.ffn + LLAMA2_7B.hidden) * FP16
    w = llm_serving(LLAMA2_7B, prompt=P, decode=D, batch=B)

    host = weights(LLAMA2_7B) + act
    assert host > kv(LLAMA2_7B, B, P + D)
    place(w, sep(host))  # the host holds weights and activations; the cache is in the device
    with pytest.raises(MappingError, match=r"needs 13\.2165 GB live at once \(weights 13\.2142 GB, "
                       r"activations 2\.37568 MB; its KV cache, 33\.5544 MB, lies in the PIM device\)"):
        place(w, sep(host - 1))
    with pytest.raises(MappingError, match=r"33\.5544 MB of KV cache at its peak in the PIM device "
                       r"over 'nvlink' \(pim\.memory hbm's capacity per channel x 1 channels\): "
                       r"33\.5544 MB"):
        place(w, sep(kv(LLAMA2_7B, B, P + D) - 1))
    # a device of its own channel count, organised like a 1024-channel level of the host's
    # size: 13.2165 GB / 1024 = 12.9068 MB a channel, so 4 channels hold the 33.6 MB cache, 1 does not
    place(w, sep(host, channels=1024, pim_channels=4))
    with pytest.raises(MappingError, match=r"capacity per channel x 1 channels\): 12\.9068 MB"):
        place(w, sep(host, channels=1024, pim_channels=1))


def test_run_prints_the_host_footprint_apart_from_a_separate_devices_cache(tmp_path):
    """`cimsim run`'s footprint line says the bytes the capacity check holds the host to, and
    the cache in the PIM device (it printed weights + cache + activations as live in the
    host's memory, more than a store the check had accepted)."""
    from click.testing import CliRunner

    from cimsim.bundled import resolve_config
    from cimsim.cli import main
    from cimsim.workload import save_workload
    from cimsim.workload.llm import LLMModel

    text = open(resolve_config("gpu-hbm-pim-attn")).read().replace("sharing: blocked", "sharing: separate")
    text += "\nlinks:\n  nvlink: {bandwidth: 450 GB/s, latency: 2 us, energy_per_bit: 1.3 pJ/bit}\n"
    cfg = tmp_path / "sep.yaml"
    cfg.write_text(text)
    tiny = LLMModel(layers=2, hidden=64, heads=4, kv_heads=4, ffn=128, vocab=32, head_dim=16, gated=True)
    w = llm_serving(tiny, prompt=8, decode=4, batch=2)
    save_workload(w, tmp_path / "w.json")
    from cimsim.workload.footprint import footprint_apart

    dev, host = footprint_apart(w)  # each at its own peak, as the capacity check holds them
    r = CliRunner(env={"COLUMNS": "250"}).invoke(main, ["run", str(cfg), str(tmp_path / "w.json")])
    assert r.exit_code == 0, r.output
    from cimsim.report.format import si
    assert (f"{si(host.total, 'B')} live at once in the host's memory (at its peak: "
            f"weights {si(host.weights, 'B')}, activations {si(host.activations, 'B')}), KV cache "
            f"{si(dev.kv_cache, 'B')} at its peak in the PIM device") in r.output, r.output
    # the cache's own peak: 2 (K, V) x 2 layers x 2 requests x (8 + 4) tokens x 64 x 2 B
    assert dev.kv_cache == 2 * 2 * 2 * 12 * 64 * 2


def test_model_inputs_are_in_memory_from_the_start():
    """A traced decode step reads each layer's cache with a concatenation (not as a matmul's B
    operand), one layer after another: each cache counted as live only while its layer ran,
    so Llama-2-7B's 2.15 GB of caches vanished from the footprint and a 27 GB memory was
    accepted (a tester, 2026-12-05). Two layers here: caches c0, c1 (1000 B each, model
    inputs) concatenated with a new row (4 B) in turn; at the first op both are in memory."""
    t = [Tensor("c0", (250,), "fp32", "input"), Tensor("c1", (250,), "fp32", "input"),
         Tensor("n0", (1,), "fp32", "activation"), Tensor("k0", (251,), "fp32", "activation"),
         Tensor("n1", (1,), "fp32", "activation"), Tensor("k1", (251,), "fp32", "activation"),
         Tensor("x", (1,), "fp32", "input")]
    ops = [Op("new0", "elementwise", ("x",), ("n0",), fn="relu"),
           Op("cat0", "copy", ("c0", "n0"), ("k0",)),
           Op("new1", "elementwise", ("k0",), ("n1",), fn="relu"),
           Op("cat1", "copy", ("c1", "n1"), ("k1",))]
    fp = Workload("two-caches", t, ops).footprint
    # at cat0: c0, c1, x (4 B, read at new0 only: no longer live), n0 and k0 (1004 B); at cat1:
    # c1, n1, k1 (k0 read by new1: gone): 1000 + 4 + 1004; the peak is cat0's 3,008 B
    assert (fp.kv_cache, fp.activations) == (0, 1000 + 1000 + 4 + 1004)
    with pytest.raises(MappingError, match="needs 3.008 kB live at once"):
        place(Workload("two-caches", t, ops), arch(3000))


def test_a_later_pipeline_stages_input_is_not_on_the_first_stages_device():
    """With model inputs live from their iteration's first op, stage 0's device was charged an
    input only stage 1 reads (a reviewer, 2026-12-05). Stage 0 (mm, sr): weights 10,000 B +
    max(x + h = 1,010, h + h1 = 2,000); stage 1 (add): h1 + big + o = 7,000: the peak is stage
    0's 12,000 B, not 17,000."""
    t = [Tensor("x", (10,), "int8", "input"), Tensor("w0", (10, 1000), "int8", "weight"),
         Tensor("h", (1000,), "int8", "activation"), Tensor("h1", (1000,), "int8", "activation"),
         Tensor("big", (5000,), "int8", "input"), Tensor("o", (1000,), "int8", "activation")]
    ops = [Op("mm", "matmul", ("x", "w0"), ("h",), m=1, k=10, n=1000, weight="w0"),
           Op("sr", "sendrecv", ("h",), ("h1",)),
           Op("add", "elementwise", ("h1", "big"), ("o",), fn="add")]
    llm = {"step_end_ops": [2], "step_kind": ["decode"], "step_tokens": [1],
           "first_token_ops": [2], "last_token_ops": [2], "output_tokens": [1],
           "pipeline": {"stages": 2, "micro_batches": 1}}
    fp = Workload("pipe", t, ops, metadata={"llm": llm}).footprint
    assert (fp.stage, fp.weights, fp.activations, fp.total) == (0, 10000, 2000, 12000)
