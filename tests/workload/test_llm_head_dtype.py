"""`cimsim workload llm --weight-dtype int2` (ternary / 2-bit weights, four to a byte: BitNet
b1.58's I2_S) and `--head-dtype` (the LM head and embedding table in a format of their own:
BitNet's bf16 head beside its ternary body) (find-H 1, 2). Golden values: closed forms of the
BitNet-b1.58-2B4T shape (hidden 2560, 30 layers, 20 / 5 heads of 128, SwiGLU 6912, vocab 128256)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import ROUND_ARCH, make_arch

from cimsim import simulate
from cimsim.cli import main
from cimsim.workload.llm import LLMModel, llm_serving

BITNET = LLMModel(layers=30, hidden=2560, heads=20, kv_heads=5, ffn=6912, vocab=128256,
                  head_dim=128, gated=True)
#: per layer: qkv 2560 x (20 + 2 x 5) x 128, o 2560 x 2560, up 2560 x 2 x 6912, down 6912 x 2560
BODY = 30 * (2560 * 3840 + 2560 * 2560 + 2560 * 13824 + 6912 * 2560)
HEAD = 2560 * 128256


def test_int2_body_and_bf16_head_bytes():
    """int2: 0.25 B a weight (2,412,380,160 weights -> 603,095,040 B); with --head-dtype bf16
    the body at 0.25 B, the tied head/table at 2 B: 521,011,200 + 656,670,720 B."""
    assert (BODY, HEAD) == (2_084_044_800, 328_335_360)
    w2 = llm_serving(BITNET, prompt=4, decode=1, dtype="int8", weight_dtype="int2")
    assert w2.footprint.weights == (BODY + HEAD) // 4 == 603_095_040
    hb = llm_serving(BITNET, prompt=4, decode=1, dtype="int8", weight_dtype="int2", head_dtype="bf16")
    assert hb.footprint.weights == BODY // 4 + HEAD * 2 == 1_177_681_920
    assert hb.metadata["params"]["head_dtype"] == "bf16" and hb.name.endswith("-wint2-headbf16")
    a = hb.arrays
    head = a.n == 128256  # the LM head's matmuls (n = vocab): BitNet's head, a bf16 GEMM
    assert head.any() and set(a.dtype[head]) == {"bf16"} and set(a.dtype[~head]) == {"int8"}
    assert hb.macs == w2.macs and "head_dtype" not in w2.metadata["params"]


def test_untied_table_at_head_dtype():
    """An untied embedding table is held at --head-dtype: vocab x hidden x 2 B at bf16."""
    m = LLMModel(layers=1, hidden=64, heads=2, kv_heads=2, ffn=128, vocab=1000, head_dim=32,
                 gated=True, tied=False)
    w = llm_serving(m, prompt=2, decode=1, dtype="int8", weight_dtype="int2", head_dtype="bf16")
    body = 64 * 3 * 64 + 64 * 64 + 64 * 256 + 128 * 64
    assert w.footprint.weights == body // 4 + 64 * 1000 * 2 + 64 * 1000 * 2  # head + table


def test_wider_head_decode_reads_its_bytes():
    """Batch-1 decode, DRAM-bound (10 GB/s, 1 KiB SRAM): an int8 head costs each step its
    extra bytes over an int2 head, vocab x hidden x (1 - 0.25) B / 10 GB/s (one compute dtype,
    int8, so only the bytes differ)."""
    arch = make_arch(memory={**ROUND_ARCH["memory"],
                             "sram": {**ROUND_ARCH["memory"]["sram"], "capacity": "1 KiB"}})
    small = LLMModel(layers=2, hidden=512, heads=8, kv_heads=2, ffn=2048, vocab=4096, head_dim=64,
                     gated=True)
    tpot = {h: simulate(arch, llm_serving(small, prompt=8, decode=4, dtype="int8", weight_dtype="int2",
                                          head_dtype=h)).serving["tpot_s"] for h in ("int2", "int8")}
    assert tpot["int8"] - tpot["int2"] == pytest.approx(512 * 4096 * 0.75 / 10e9, rel=1e-9, abs=0)


def test_cli_takes_int2_and_head_dtype(tmp_path):
    out = tmp_path / "b.json"
    r = CliRunner().invoke(main, ["workload", "llm", "--layers", "1", "--hidden", "64", "--heads", "2",
                                  "--vocab", "1000", "--dtype", "int8", "--weight-dtype", "int2",
                                  "--head-dtype", "bf16", "-o", str(out)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["workload", "llm", "--layers", "1", "--hidden", "64", "--heads", "2",
                                  "--vocab", "1000", "--head-dtype", "int3", "-o", str(out)])
    assert r.exit_code != 0 and "--head-dtype 'int3' is not one of" in r.output
    assert "Traceback" not in r.output
