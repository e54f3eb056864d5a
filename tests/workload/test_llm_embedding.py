"""An untied LLM's input embedding table is held beside its LM head (find-P 1): the generator
reads ``tie_word_embeddings`` and the footprint and capacity check count ``vocab x hidden`` more
weight bytes for an untied model. Golden values: Llama-3-8B's published 8,030,261,248
parameters (Hugging Face model card, "8.03B")."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.config import architecture_from_dict
from cimsim.errors import MappingError
from cimsim.mapping.placement import place
from cimsim.workload.llm import llm_serving, model_from_hf

LLAMA3_8B = {"model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336,
             "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
             "vocab_size": 128256, "tie_word_embeddings": False, "max_position_embeddings": 8192}
LAYERS = 32 * (2 * 4096**2 + 2 * 4096 * 1024 + 3 * 4096 * 14336)  # 6,979,321,856
TABLE = 128256 * 4096  # 525,336,576: the LM head, and the untied input table as much again
NORMS = 65 * 4096  # 2 RMSNorm gains a layer + the final one: not modelled


def test_llama3_8b_untied_holds_its_published_parameters_less_the_norms():
    assert LAYERS + 2 * TABLE + NORMS == 8_030_261_248  # the model card's 8.03B
    fp = llm_serving(model_from_hf(LLAMA3_8B), prompt=4, decode=1).footprint
    assert fp.weights == 2 * (LAYERS + 2 * TABLE) == 16_059_990_016  # 16.06 GB in fp16
    assert fp.unread == 2 * TABLE
    tied = llm_serving(model_from_hf({**LLAMA3_8B, "tie_word_embeddings": True}), prompt=4, decode=1)
    assert tied.footprint.weights == 2 * (LAYERS + TABLE)  # 15.01 GB: the head is the table
    # the model type's default where the config states none: Llama's is untied
    default = llm_serving(model_from_hf({k: v for k, v in LLAMA3_8B.items()
                                         if k != "tie_word_embeddings"}), prompt=4, decode=1)
    assert default.footprint.weights == 2 * (LAYERS + 2 * TABLE)


def test_a_16_gb_device_refuses_untied_llama3_8b():
    """16.06 GB of weights alone exceed 16 GB (before: 15.01 GB, it ran with 0.88 GB spare)."""
    box = architecture_from_dict({
        "name": "box", "memory": {"hbm": {"capacity": "16 GB", "bandwidth": "1 TB/s",
                                          "energy_per_byte": "1 pJ/B"}},
        "processor": {"name": "host", "cores": 1, "clock": "1 GHz",
                      "macs_per_cycle_per_core": {"fp16": 1}, "vector_ops_per_cycle_per_core": 1,
                      "energy_per_mac": {"fp16": "1 pJ"}, "energy_per_vector_op": "1 pJ",
                      "static_power": "0 W", "op_overhead": "0 s"}})
    with pytest.raises(MappingError) as e:
        place(llm_serving(model_from_hf(LLAMA3_8B), prompt=4, decode=1), box)
    assert "weights 16.06 GB (1.05067 GB of them the untied input embedding table)" in str(e.value)


def test_tensor_parallel_holds_a_vocabulary_shard_of_the_table():
    m = model_from_hf(LLAMA3_8B)
    w = llm_serving(m, prompt=4, decode=1, tensor_parallel=4)
    assert w.footprint.unread == 2 * (128256 // 4) * 4096  # Megatron's vocabulary-parallel table


def test_the_cli_reads_the_config_and_takes_untied_for_hand_given_shapes(tmp_path):
    cfg = tmp_path / "l.json"
    cfg.write_text(json.dumps(LLAMA3_8B))
    r = CliRunner().invoke(main, ["workload", "llm", "--hf-config", str(cfg), "--prompt", "4",
                                  "--decode", "1", "-o", str(tmp_path / "a.json")])
    assert r.exit_code == 0, r.output
    assert "weights 15.01 GB (16.06 GB held with the 1.051 GB untied input embedding table)" in r.output
    shape = ["--layers", "1", "--hidden", "64", "--heads", "4", "--vocab", "1000", "--prompt", "2",
             "--decode", "1"]
    r = CliRunner().invoke(main, ["workload", "llm", *shape, "--untied-embeddings",
                                  "-o", str(tmp_path / "b.json")])
    assert r.exit_code == 0, r.output
    assert "128 kB untied input embedding table" in r.output  # 1000 x 64 x 2 B
    r = CliRunner().invoke(main, ["workload", "llm", *shape, "-o", str(tmp_path / "c.json")])
    assert "untied" not in r.output  # hand-given shapes: tied unless said (as before)
    r = CliRunner().invoke(main, ["run", "gpu-hbm3", str(tmp_path / "b.json")])
    assert "note: the untied input embedding table (128 kB) is held on the first pipeline stage" in r.output


def test_pipeline_parallel_holds_the_table_on_the_first_stage_not_beside_the_head():
    """F2 7: at 2 stages, stage 0 holds 16 layers and the input table, stage 1 16 layers and the
    LM head: 2 x (LAYERS / 2 + TABLE) = 8.030 GB each; the last stage was charged both tables
    (2 x (LAYERS / 2 + 2 TABLE) = 9.081 GB) and stage 0 none."""
    fp = llm_serving(model_from_hf(LLAMA3_8B), prompt=4, decode=1, pipeline_parallel=2).footprint
    assert fp.weights == 2 * (LAYERS // 2 + TABLE) == 8_029_995_008
    assert (fp.stage, fp.unread) == (0, 2 * TABLE)
