"""Read/write split per (op, resource) (issue 20 item 2: ops state their access pattern, the
write side): each component says which of its bytes on each level are writes
(``OpCost.write_bytes``), the cost table keeps them (``CostTable.write_bytes``), and
``pattern_scale`` charges an op the read/write-turnaround rate of its own read share on each
``type: dram`` level it writes to.

Golden values are closed-form JEDEC arithmetic from the presets' timings (Ramulator 2's DDR5
and HBM3 presets, hw/memory/jedec.py; the same numbers tests/hw/test_memory.py and
tests/hw/test_patterns.py spell out), never the model's output pasted back:

- DDR5-4800 sub-channel: 19.2 GB/s peak, a burst is tBL = 8 tCK, one RD->WR + WR->RD turnaround
  pair idles the bus max(0, tRTW + tCWL - tCL - tBL) + tCL + tWTR_S = 4 + 40 = 44 tCK, refresh
  efficiency 1 - (18 + 34 + 710 + 34) / 9375;
- HBM3-6400 pseudo-channel: 25.6 GB/s, tBL = 2, turnarounds max(0, 20 + 10 - 20 - 2) + 20 + 7
  = 35 tCK, refresh efficiency 1 - (9 + 26 + 416 + 31) / 6240;
- writes drained in batches of 19 (the default write_batch): a mix with reads a fraction r
  runs at tBL / (tBL + min(r, 1 - r) x turnarounds / 19) of the streaming rate.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from cimsim import bundled, simulate
from cimsim.config import apply_overrides, architecture_from_dict, read_yaml
from cimsim.pipeline import pattern_scale, place_and_cost, resource_rates
from cimsim.workload.builder import WorkloadBuilder

ROWS, WIDTH = 4096, 32  # 4096 rows of 32 fp16 = 256 KiB
Y = ROWS * WIDTH * 2
DDR5 = dict(standard="DDR5", channels=16, peak=16 * 19.2e9, bl=8, turn=4 + 40,
            e_ref=1 - (18 + 34 + 710 + 34) / 9375)
HBM3 = dict(standard="HBM3", channels=160, peak=160 * 25.6e9, bl=2, turn=8 + 27,
            e_ref=1 - (9 + 26 + 416 + 31) / 6240)


def mix_rate(std: dict, r: float) -> float:
    """Streaming rate of a read/write mix with reads a fraction r (closed form above)."""
    return std["peak"] * std["bl"] / (std["bl"] + min(r, 1 - r) * std["turn"] / 19) * std["e_ref"]


@pytest.fixture(scope="module")
def gpu():
    return read_yaml(bundled.resolve_config("gpu-hbm3"))


def _arch(data, std: dict | None, sram: str = "50 MB"):
    d = copy.deepcopy(data)
    if std is not None:
        d["memory"]["dram"] = {"type": "dram", "standard": std["standard"], "channels": std["channels"],
                               "capacity": "80 GB", "latency": "500 ns", "energy_per_bit": "3.9 pJ/bit"}
    # on-chip SRAM far faster than the DRAM, so an op's time is its DRAM transfer
    return architecture_from_dict(apply_overrides(d, {"memory.sram.bandwidth": "1000 TB/s",
                                                      "memory.sram.capacity": sram}))


def _copy(in_width: int, out_width: int, tags=None):
    """One op reading ROWS x in_width fp16 (a model input: it starts in DRAM) and writing
    ROWS x out_width fp16."""
    b = WorkloadBuilder("rw")
    b.tensor("a", (ROWS, in_width), "fp16", "input")
    b.tensor("c", (ROWS, out_width), "fp16")
    b.op("mix", "copy", ["a"], ["c"], tags=tags or {})
    return b.build()


def _transfer_s(arch, wl, engine):
    """Latency less the op's fixed latency: its transfer (compute is 0 for a copy)."""
    _, table = place_and_cost(arch, wl)
    assert table.compute_s[0] == 0
    return simulate(arch, wl, engine=engine).latency_s - table.latency_s[0], table


@pytest.mark.parametrize("std", [DDR5, HBM3], ids=["DDR5", "HBM3"])
@pytest.mark.parametrize("engine", ["des", "analytic"])
@pytest.mark.parametrize("x_rows", [3, 1, 1 / 3])  # X = 3Y, X = Y, X = Y/3
def test_op_reading_and_writing_one_dram_level_gets_its_turnaround_rate(gpu, std, engine, x_rows):
    # SRAM of 1 KB: the op's activations do not fit, so its output is written to DRAM
    in_w, out_w = (int(WIDTH * x_rows), WIDTH) if x_rows >= 1 else (WIDTH, int(WIDTH / x_rows))
    x, y = ROWS * in_w * 2, ROWS * out_w * 2
    arch = _arch(gpu, std, sram="1 kB")
    t, table = _transfer_s(arch, _copy(in_w, out_w), engine)
    assert table.bytes_of("dram")[0] == x + y
    assert table.writes_of("dram")[0] == y and table.reads_of("dram")[0] == x
    assert t == pytest.approx((x + y) / mix_rate(std, x / (x + y)), rel=1e-9, abs=0)
    assert t > (x + y) / mix_rate(std, 1.0)  # slower than streaming reads


@pytest.mark.parametrize("std", [DDR5, HBM3], ids=["DDR5", "HBM3"])
@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_op_writing_to_another_level_gets_the_all_read_rate(gpu, std, engine):
    # the 50 MB SRAM holds the op's activations: it reads Y bytes from DRAM, writes Y to SRAM
    arch = _arch(gpu, std)
    t, table = _transfer_s(arch, _copy(WIDTH, WIDTH), engine)
    assert table.bytes_of("dram")[0] == Y and table.writes_of("dram")[0] == 0
    assert table.writes_of("sram")[0] == Y
    assert t == pytest.approx(Y / (std["peak"] * std["e_ref"]), rel=1e-9, abs=0)


def test_both_engines_agree_on_a_mix(gpu):
    arch = _arch(gpu, DDR5, sram="1 kB")
    wl = _copy(3 * WIDTH, WIDTH)
    des, ana = (simulate(arch, wl, engine=e) for e in ("des", "analytic"))
    assert des.latency_s == pytest.approx(ana.latency_s, rel=1e-12, abs=0)
    # energy and traffic are the counted bytes: the turnarounds cost time only
    assert des.traffic_bytes["dram"] == 4 * Y
    assert des.energy_breakdown_j["dram"] == pytest.approx(4 * Y * 3.9e-12 * 8, rel=1e-12, abs=0)


def test_softmax_in_dram_reads_and_writes_half_and_half(gpu):
    # a copy fills a DRAM activation (SRAM too small), a softmax reads it and writes its
    # output to DRAM: read share 1/2 there, the mix's slowdown (8 + 44 / 2 / 19) / 8
    b = WorkloadBuilder("sm")
    b.tensor("a", (ROWS, WIDTH), "fp16", "input")
    b.tensor("s", (ROWS, WIDTH), "fp16")
    b.tensor("p", (ROWS, WIDTH), "fp16")
    b.op("fill", "copy", ["a"], ["s"])
    b.op("softmax", "softmax", ["s"], ["p"])
    wl = b.build()
    arch = _arch(gpu, DDR5, sram="1 kB")
    _, table = place_and_cost(arch, wl)
    j = table.resources.index("dram")
    assert table.bytes[:, j].tolist() == [2 * Y, 2 * Y]
    assert table.write_bytes[:, j].tolist() == [Y, Y]
    scale = pattern_scale(arch, wl.arrays, resource_rates(arch), table)
    assert scale[:, j] == pytest.approx([(8 + 44 * 0.5 / 19) / 8] * 2, rel=1e-12, abs=0)
    assert (scale[:, table.resources.index("sram")] == 1.0).all()  # a fixed level


def test_a_stated_read_fraction_wins_and_says_so(gpu):
    # derived: X = Y, read share 1/2; stated: 1 (all reads) -> the streaming rate
    arch = _arch(gpu, DDR5, sram="1 kB")
    r = simulate(arch, _copy(WIDTH, WIDTH, {"read_fraction": 1}))
    _, table = place_and_cost(arch, _copy(WIDTH, WIDTH))
    assert r.latency_s - table.latency_s[0] == pytest.approx(2 * Y / (DDR5["peak"] * DDR5["e_ref"]), rel=1e-9, abs=0)
    assert any("1 ops state read_fraction by tag: on dram it replaces" in n and "(1 of them differ)" in n
               for n in r.notes)
    assert not any("read_fraction" in n for n in simulate(arch, _copy(WIDTH, WIDTH)).notes)


def test_writes_on_fixed_levels_change_nothing(gpu):
    arch = _arch(gpu, None, sram="1 kB")
    assert arch.hardware.resource("dram").type_name == "fixed"
    wl = _copy(WIDTH, WIDTH)
    _, table = place_and_cost(arch, wl)
    assert table.writes_of("dram")[0] == Y
    assert pattern_scale(arch, wl.arrays, resource_rates(arch), table) is None  # the fast path
    r = simulate(arch, wl)
    _, t0 = place_and_cost(arch, wl)
    assert r.latency_s - t0.latency_s[0] == pytest.approx(2 * Y / (3.35e12 * 0.70), rel=1e-12, abs=0)


# ------------------------------------------------------------- what each component says
def _bundled(name, **over):
    return architecture_from_dict(apply_overrides(read_yaml(bundled.resolve_config(name)), over))


def _gemm(m, k, n, stationary=True):
    b = WorkloadBuilder("gemm")
    b.tensor("x", (m, k), "fp16", "input")
    b.tensor("w", (k, n), "fp16", "weight" if stationary else "input")
    b.tensor("y", (m, n), "fp16")
    b.op("mm", "matmul", ["x", "w"], ["y"], m=m, k=k, n=n, weight="w" if stationary else None)
    return b.build()


def test_pim_writes_its_operands_into_the_level_and_reads_its_results():
    # a GEMV on PIM units inside the DRAM: the host writes the 2 KiB input vector into the
    # units and reads the 8 KiB result back over the level's bus; the weight stays in the banks
    arch = _bundled("hbm-pim")
    wl = _gemm(1, 1024, 4096)
    pl, table = place_and_cost(arch, wl)
    on = {c.type_name: list(ids) for c, ids in zip(pl.components, pl.idx)}
    assert on["pim"] == [0]
    level = arch.hardware.backing_store
    assert table.bytes_of(level)[0] == 1024 * 2 + 4096 * 2
    assert table.writes_of(level)[0] == 1024 * 2


def test_systolic_array_sends_its_outputs_over_its_link():
    arch = _bundled("tpu-like")
    comp = [c for c in arch.instances if c.type_name == "systolic"][0]
    link = comp.link
    m, k, n = 256, 512, 1024
    _, table = place_and_cost(arch, _gemm(m, k, n))
    out = m * n * 2  # the op's fp16 outputs
    assert table.writes_of(link)[0] == out
    assert table.reads_of(link)[0] == table.bytes_of(link)[0] - out
    assert table.writes_of(comp.weight_level)[0] == 0  # the weight is read


def test_processor_weights_are_reads_and_outputs_writes(gpu):
    # 1 KB SRAM: the weight streams from DRAM (read), the activations go through DRAM
    arch = _arch(gpu, None, sram="1 kB")
    m, k, n = 4, 1024, 1024
    _, table = place_and_cost(arch, _gemm(m, k, n))
    x, w, y = m * k * 2, k * n * 2, m * n * 2
    assert table.bytes_of("dram")[0] == x + w + y
    assert table.writes_of("dram")[0] == y
    assert table.writes_of("sram")[0] == y  # inclusive: the output passes the SRAM too


def test_results_report_write_bytes_per_resource(gpu):
    # 1 KB SRAM: Y bytes read from DRAM, Y written back to it, both passing the SRAM
    arch = _arch(gpu, DDR5, sram="1 kB")
    r = simulate(arch, _copy(WIDTH, WIDTH))
    rec = r.record()
    assert rec["dram_bytes"] == 2 * Y and rec["dram_write_bytes"] == Y
    assert rec["sram_write_bytes"] == Y
    assert r.to_json()["write_bytes"]["dram"] == Y


# ------------------------------------------------------------- KV-cache appends
def test_llm_qkv_appends_its_k_and_v_rows_to_the_cache_as_dram_writes(gpu):
    # 2 layers, H_kv = 2 heads of 4: 2 x 2 x 4 = 16 fp16 = 32 B of K and V per token; a
    # prompt of 5 tokens then 3 decode steps for 2 requests: the prefill's qkv appends 2 x 5
    # rows, each decode step's qkv 2 rows
    from cimsim.workload.llm import LLMModel, llm_serving

    m = LLMModel(layers=2, hidden=32, heads=8, kv_heads=2, ffn=48, vocab=20, head_dim=4, gated=True)
    wl = llm_serving(m, prompt=5, decode=3, batch=2)
    names = [op.name for op in wl.ops]
    qkv = [i for i, n in enumerate(names) if n.endswith(".qkv")]
    per_token = 2 * 2 * 4 * 2
    rows = [wl.ops[i].tags["store_bytes"] // per_token for i in qkv]
    assert rows == [10, 10] + [2, 2] * 3  # prefill (2 layers), then 3 decode steps x 2 layers
    arch = _arch(gpu, HBM3)  # 50 MB SRAM holds every activation: the appends are the only writes
    _, table = place_and_cost(arch, wl)
    w = table.writes_of("dram")
    assert w[qkv].tolist() == [r * per_token for r in rows]
    assert w.sum() == sum(rows) * per_token
    # the append is extra traffic over the activations: bytes = reads + the K, V rows
    i = qkv[-1]
    assert table.bytes_of("dram")[i] - table.reads_of("dram")[i] == 2 * per_token


def test_pim_qkv_appends_go_to_the_backing_store():
    from cimsim.workload.llm import LLMModel, llm_serving

    m = LLMModel(layers=1, hidden=64, heads=4, kv_heads=4, ffn=64, vocab=16, head_dim=16, gated=False)
    wl = llm_serving(m, prompt=4, decode=2, batch=1)
    arch = _bundled("hbm-pim")
    pl, table = place_and_cost(arch, wl)
    on_pim = {int(i) for c, ids in zip(pl.components, pl.idx) if c.type_name == "pim" for i in ids}
    i = [k for k, op in enumerate(wl.ops) if op.name.endswith(".qkv")][-1]  # the decode step's
    assert i in on_pim
    back = arch.hardware.backing_store
    # the 64-element input written into the units, 3 x 64 outputs read back, 2 x 64 appended
    assert table.bytes_of(back)[i] == (64 + 3 * 64 + 2 * 64) * 2
    assert table.writes_of(back)[i] == (64 + 2 * 64) * 2


@pytest.mark.slow  # ~17 s (imports transformers, builds and traces the model)
@pytest.mark.torch
def test_traced_hf_decode_step_stores_the_cache_it_returns(gpu):
    # zoo llama-decode: transformers' LlamaForCausalLM (2 layers, 2 KV heads of 32 / 4 = 8),
    # one token against a cache of S = 16; its DynamicCache grows by torch.cat, which writes the
    # whole grown cache: per layer K and V of (S + 1) x 2 x 8 fp32 = 1088 B each
    pytest.importorskip("transformers")
    from cimsim import zoo

    S = 16
    w = zoo.trace_zoo("llama-decode", cache=S)
    stored = {op.name: op.tags["store_bytes"] for op in w.ops if "store_bytes" in op.tags}
    assert sorted(stored.values()) == [(S + 1) * 2 * 8 * 4] * 4
    assert all(w.ops[[o.name for o in w.ops].index(n)].kind == "copy" for n in stored)
    _, table = place_and_cost(_arch(gpu, HBM3), w)  # every activation fits the SRAM
    assert table.writes_of("dram").sum() == 4 * 1088
