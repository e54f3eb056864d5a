"""A traced serving run (``cimsim trace --serve``) holds every parameter of its model once: the
untied embedding table's rows no iteration gathered are listed in
``metadata['unread_parameters']`` (zoo/serve_unread.py), so the footprint's weights are the
model's parameter bytes (review 14-2 finding 1).

Goldens are closed form. The zoo's tiny Llama (``_LM``): vocabulary 128, d = 32, 4 query heads
of 8, 2 KV heads (K, V: 32 x 16), FFN 64 (gated), 2 layers, untied LM head; fp32 (4 B):
  embed_tokens 128 x 32 = 4,096; a layer: q 1,024 + k 512 + v 512 + o 1,024 + gate/up/down
  3 x 32 x 64 = 6,144 + 2 norms x 32 = 64 -> 9,280, two 18,560; final norm 32; lm_head 4,096
  -> 26,784 parameters, 107,136 B; beside them RoPE's inv_freq buffer, d_h / 2 = 4 fp32, 16 B.
The run (prompts 5 and 7, decodes 6 and 3, batch 2, continuous): the prefill gathers 5 + 7 = 12
rows, the decode steps 6 + 3 = 9, so 21 rows of 32 x 4 = 128 B: 2,688 B read, (128 - 21) x 128
= 13,696 B never read.
"""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

pytest.importorskip("transformers")
os.environ["HF_HUB_OFFLINE"] = "1"
pytestmark = [pytest.mark.torch]

from cimsim.cli import main  # noqa: E402
from cimsim.errors import WorkloadError  # noqa: E402
from cimsim.zoo.serve import trace_serving  # noqa: E402

LLAMA = dict(prompt=[5, 7], decode=[6, 3], batch=2, dtype="fp32", batching="continuous")
ROW = 32 * 4  # one embedding row, B
PARAMS = (128 * 32 + 2 * (1024 + 512 + 512 + 1024 + 3 * 32 * 64 + 2 * 32) + 32 + 32 * 128) * 4
INV_FREQ = 4 * 4  # RoPE's buffer, held as a weight


def test_the_served_footprint_holds_the_untied_table_once():
    assert PARAMS == 107_136
    w = trace_serving("llama", **LLAMA)
    assert w.metadata["unread_parameters"] == [
        {"name": "model.embed_tokens.weight", "shape": [128, 32], "dtype": "fp32",
         "bytes": (128 - 21) * ROW, "read_bytes": 21 * ROW, "parameter_bytes": 128 * ROW}]
    fp = w.footprint
    assert fp.weights == PARAMS + INV_FREQ  # the read weights (21 rows) plus the 107 rows never read
    assert fp.unread == 13_696


def test_a_pipelined_run_holds_the_table_on_the_stage_that_gathers_it():
    """Review 14-6 finding 3: with 2 stages the 13,696 B never read were added to the largest
    stage (layer 1 and the LM head), not to stage 0, whose gathers read the table. Stage 0: the
    whole table (21 rows read, 107 never), layer 0 and RoPE's buffer; stage 1: layer 1, the
    final norm and the LM head; together the model once."""
    layer = (1024 + 512 + 512 + 1024 + 3 * 32 * 64 + 2 * 32) * 4
    stage0 = 21 * ROW + (128 - 21) * ROW + layer + INV_FREQ
    stage1 = layer + 32 * 4 + 32 * 128 * 4
    assert (stage0, stage1) == (53_520, 53_632) and stage0 + stage1 == PARAMS + INV_FREQ
    w = trace_serving("llama", **LLAMA, pipeline_parallel=2)
    fp = w.footprint
    assert fp.weights == (stage0, stage1)[fp.stage]  # was stage 1's 53,632 + 13,696 = 67,328
    assert fp.unread == (13_696, 0)[fp.stage]
    from cimsim.workload.footprint import footprint_apart

    host = footprint_apart(w)[1]
    assert host.weights == (stage0, stage1)[host.stage]


def test_gpt2s_position_table_is_listed_and_its_tied_token_table_is_not():
    """The zoo's tiny GPT-2 (vocabulary 128, 128 positions, d = 32, 2 layers, biases, LM head
    tied to wte), fp32: wte 4,096 + wpe 4,096 + a layer (2 norms 128 + c_attn 32 x 96 + 96 +
    c_proj 32 x 32 + 32 + c_fc 32 x 128 + 128 + c_proj 128 x 32 + 32 = 12,704) x 2 + ln_f 64
    = 33,664 parameters, 134,656 B. wpe: 21 positions gathered, 107 rows never read. wte is read
    whole by the LM head (not listed); its gathered rows are a weight beside it that every
    iteration shares, at the first prefill's 5 rows (640 B)."""
    params = (4096 + 4096 + 2 * (128 + 32 * 96 + 96 + 32 * 32 + 32 + 32 * 128 + 128 + 128 * 32 + 32)
              + 64) * 4
    assert params == 134_656
    w = trace_serving("gpt2", **LLAMA)
    assert [(e["name"], e["bytes"], e["read_bytes"]) for e in w.metadata["unread_parameters"]] == [
        ("transformer.wpe.weight", (128 - 21) * ROW, 21 * ROW)]
    assert w.footprint.weights == params + 5 * ROW


def test_rows_past_the_table_list_no_entry():
    """Prompts of 70 and 80 tokens gather 150 rows, past the 128 of the table: nothing is left
    unread (no entry), and the weights count the 22 rows past the table twice (each iteration's
    gathered rows are a weight of their own: the module docstring's known overcount)."""
    w = trace_serving("llama", prompt=[70, 80], decode=[0, 0], batch=2, dtype="fp32")
    assert "unread_parameters" not in w.metadata
    assert w.footprint.weights == PARAMS + INV_FREQ + (150 - 128) * ROW


def test_cli_serve_counts_the_table_in_the_capacity_check(tmp_path):
    out = tmp_path / "s.json"
    r = CliRunner().invoke(main, ["trace", "--zoo", "llama", "--serve", "--prompt", "5,7",
                                  "--decode", "6,3", "--batch", "2", "--batching", "continuous",
                                  "--dtype", "fp32", "-o", str(out)])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "1 parameter(s) read only in part by this forward (model.embed_tokens.weight 2.688 kB of " \
           "16.38 kB): 13.7 kB of them never read" in text
    # 110 kB holds the run without the table's 13,696 B never read, not with them: refused, the
    # weights 107,136 + 16 B (inv_freq) naming the never-read share
    r = CliRunner().invoke(main, ["run", "gpu-hbm3", str(out), "--set", "memory.dram.capacity=110kB",
                                  "--set", "memory.sram.capacity=10kB"])
    assert r.exit_code == 1
    text = " ".join(r.output.split())
    assert "(weights 107.152 kB (13.696 kB of them never read by the trace)," in text
    assert "has memory.dram.capacity 110 kB" in text


def test_a_seed_does_not_apply_to_serve(tmp_path):
    with pytest.raises(WorkloadError, match=r"the seed does not apply to --serve"):
        trace_serving("hf:gpt2", prompt=[5], decode=[1], seed=3, n_layer=1)
    r = CliRunner().invoke(main, ["trace", "--zoo", "hf:gpt2", "--serve", "--param", "seed=3",
                                  "--param", "n_layer=1", "-o", str(tmp_path / "x.json")])
    assert r.exit_code == 1
    assert r.output.strip().splitlines() == [
        "Error: hf:gpt2: --param seed=3: the seed draws random weights, and --serve traces shapes "
        "only (fake tensors, no --real-weights): the seed does not apply to --serve"]
