"""`cimsim workload llm --kv-dtype`: the KV cache in a number format of its own (vLLM's
--kv-cache-dtype fp8, KIVI), its bytes only; the arithmetic stays at --dtype. Golden values are
closed forms of Llama-3-8B's shape."""

from __future__ import annotations

from click.testing import CliRunner

from cimsim.cli import main
from cimsim.workload.io import load_workload
from cimsim.workload.llm import LLMModel, llm_serving


def test_kv_dtype_fp8_halves_a_128k_llama3_8b_request_cache():
    """Llama-3-8B's shape (32 layers, 8 K/V heads of 128): one request at 131,072 tokens holds
    2 x 32 x 8 x 128 x 131,072 x 2 B = 17.18 GB of fp16 cache, 8.59 GB in fp8 (vLLM's
    --kv-cache-dtype fp8); the rows the prefill and the decode step append and the K and V the
    decode step reads shrink alike, while the weights, the MACs and every op's arithmetic stay
    fp16 (the cache dequantised as read)."""
    l3 = LLMModel(layers=32, hidden=4096, heads=32, kv_heads=8, ffn=14336, vocab=128256,
                  head_dim=128, gated=True)
    per_token = 2 * 32 * 8 * 128  # K and V elements of one token, all layers
    runs = {kv_: llm_serving(l3, prompt=131_071, decode=1, attention_kernel="fused", kv_dtype=kv_)
            for kv_ in (None, "fp8")}
    fp16, fp8 = runs[None], runs["fp8"]
    # the peak is the prefill's (its activations): the cache then holds the prompt's 131,071
    # rows, not the decode step's own row yet (footprint.py, find-C 6)
    assert fp16.footprint.kv_cache == per_token * 131_071 * 2 == 17_179_738_112
    assert fp8.footprint.kv_cache == per_token * 131_071 * 1 == 8_589_869_056
    assert fp8.footprint.weights == fp16.footprint.weights
    assert fp8.macs == fp16.macs and set(fp8.arrays.dtype) == {"fp16"}
    # the cache rows written: the prefill's 131,071 tokens and the decode step's own row
    assert fp16.arrays.store_bytes.sum() == 2 * fp8.arrays.store_bytes.sum() == per_token * 131_072 * 2
    assert fp8.name.endswith("-fp16-kvfp8") and fp8.metadata["params"]["kv_dtype"] == "fp8"
    assert "kv_dtype" not in fp16.metadata["params"]


def test_kv_dtype_int4_and_int2_pack_two_and_four_elements_a_byte(tmp_path):
    """A 4-bit (lmdeploy quant_policy=4, QServe KV4) and a 2-bit (KIVI) cache: 0.5 and 0.25 B
    an element, the int4 of --weight-dtype. Llama-3-8B's shape cut to 2 layers, prompt 4096:
    decode step 0 reads the K and V of 4,097 tokens, 2 (K, V) x 2 layers x 8 heads x 128 x
    4,097 = 16,781,312 elements: 8,390,656 B in int4, 4,195,328 B in int2 (fp8: 16,781,312 B);
    the prefill appends 2 x 2 x 8 x 128 x 4,096 elements. Weights, MACs and the arithmetic
    stay fp16. Through the CLI as a user types it."""
    runs = {}
    for kv_ in ("fp8", "int4", "int2"):
        out = tmp_path / f"{kv_}.npz"
        r = CliRunner().invoke(main, ["workload", "llm", "--layers", "2", "--hidden", "4096", "--heads", "32",
                                      "--kv-heads", "8", "--ffn", "14336", "--vocab", "128256", "--prompt", "4096",
                                      "--decode", "2", "--attention-kernel", "fused", "--kv-dtype", kv_,
                                      "-o", str(out)])
        assert r.exit_code == 0, r.output
        runs[kv_] = load_workload(str(out))
    elements = 2 * 2 * 8 * 128 * 4097
    for kv_, per in (("fp8", 1), ("int4", 0.5), ("int2", 0.25)):
        w = runs[kv_]
        nbytes = dict(zip(w.tensors, w.tensor_nbytes))
        read = sum(nbytes[t] for o in w.ops if o.tags.get("phase") == "decode" and o.tags.get("step") == 0
                   for t in o.inputs if t.endswith("_cache"))
        assert read == elements * per
        assert w.arrays.store_bytes.sum() == 2 * 2 * 8 * 128 * (4096 + 2) * per
        assert set(w.arrays.dtype) == {"fp16"} and w.name.endswith(f"-fp16-kv{kv_}")
    assert runs["int4"].macs == runs["int2"].macs == runs["fp8"].macs
    assert runs["int4"].footprint.weights == runs["fp8"].footprint.weights


def test_kv_dtype_errors_are_one_line(tmp_path):
    r = CliRunner().invoke(main, ["workload", "llm", "--layers", "2", "--hidden", "64", "--heads", "4",
                                  "--vocab", "100", "--prompt", "8", "--decode", "2", "--kv-dtype", "fp4",
                                  "-o", str(tmp_path / "w.npz")])
    assert r.exit_code != 0
    assert r.output.strip() == "Error: llm: --kv-dtype 'fp4' is not one of fp32, fp16, bf16, int8, fp8, int4, int2"
    r = CliRunner().invoke(main, ["trace", "--zoo", "hf:llama", "--serve", "--kv-dtype", "fp8",
                                  "-o", str(tmp_path / "t.json")])
    assert r.exit_code != 0 and "Traceback" not in r.output
    assert r.output.strip().splitlines()[-1].endswith(
        " trace: --kv-dtype goes with `cimsim workload llm`, not `cimsim trace` (with or without "
        "--serve): a traced run's KV cache is the model's own tensors, at --dtype")
