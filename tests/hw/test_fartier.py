"""Hierarchy rule 9: a far memory tier (``memory.LEVEL.far``: a CXL expander) beside the near
tier (DDR), in closed form on real runs. Four chained fp32 GEMVs of 8192 x 8192 weights
(268,435,456 B each) on the round machine (DRAM 10 GB/s, 100 ns, 10 pJ/bit) with a CXL tier
(80 GB/s, 300 ns, 30 pJ/bit)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from conftest import ROUND_ARCH, ROUND_CIM, ROUND_LINK

from cimsim import MappingError, simulate
from cimsim.config import architecture_from_dict, load_architecture
from cimsim.errors import ConfigError
from cimsim.workload import Op, Tensor, Workload
from cimsim.workload.llm import LLMModel, llm_serving

K = 8192
W = K * K * 4  # bytes of one weight matrix
X = K * 4  # bytes of the model input x


def chain(n: int = 4) -> Workload:
    tensors = [Tensor("x", (1, K), "fp32", "input")]
    ops = []
    for i in range(n):
        tensors += [Tensor(f"W{i}", (K, K), "fp32", "weight"), Tensor(f"y{i}", (1, K), "fp32", "activation")]
        ops.append(Op(f"mm{i}", "matmul", ("x" if i == 0 else f"y{i - 1}", f"W{i}"), (f"y{i}",),
                      m=1, k=K, n=K, weight=f"W{i}"))
    return Workload("chain", tensors, ops)


def arch(near: str, far: str = "64 GiB", cxl_bw: str = "80 GB/s", far_flag: bool = True, **cxl):
    d = copy.deepcopy(ROUND_ARCH)
    d["name"] = "round-cxl"
    d["memory"]["dram"]["capacity"] = near
    d["memory"]["cxl"] = {"capacity": far, "bandwidth": cxl_bw, "latency": "300 ns",
                          "energy_per_bit": "30 pJ/bit", "far": far_flag, **cxl}
    return architecture_from_dict(d)


def test_a_workload_that_fits_the_near_tier_runs_as_without_the_far_tier():
    """Finding 1: adding a far tier must not move a run whose tensors fit the DDR."""
    two = copy.deepcopy(ROUND_ARCH)
    plain = simulate(architecture_from_dict(two), chain())
    r = simulate(arch("16 GiB", cxl_bw="5 GB/s"), chain())
    assert r.traffic_bytes["cxl"] == 0.0
    assert r.traffic_bytes["dram"] == plain.traffic_bytes["dram"] == 4 * W + X
    assert r.latency_s == plain.latency_s
    assert r.energy_j == pytest.approx(plain.energy_j, rel=1e-12, abs=0)


def test_spill_past_the_near_tier_is_charged_to_the_far_tier_alone_at_its_own_rate():
    """Findings 2 and 3: first touch fills 600 MB of DDR (W0, x, W1; x gives its room back
    after mm0, its last reader, so W2 takes 600 MB - 2 W there), the rest is read from CXL only
    (not also from DDR), at CXL's 80 GB/s, not capped at DDR's 10 GB/s."""
    r = simulate(arch("600 MB"), chain())
    far = 4 * W - 600e6
    assert r.traffic_bytes["dram"] == pytest.approx(600e6 + X, rel=1e-12, abs=0)
    assert r.traffic_bytes["cxl"] == pytest.approx(far, rel=1e-12, abs=0)
    e = r.energy_breakdown_j
    assert e["dram"] == pytest.approx((600e6 + X) * 8 * 10e-12, rel=1e-9, abs=0)
    assert e["cxl"] == pytest.approx(far * 8 * 30e-12, rel=1e-9, abs=0)
    t = r.op_table.set_index("op")
    # mm3 reads only CXL: W / 80 GB/s (3.355 ms, over the 2.097 ms of compute) + CXL's 300 ns
    assert t.loc["mm3", "dram_bytes"] == 0.0
    assert t.loc["mm3", "duration_s"] == pytest.approx(W / 80e9 + 300e-9, rel=1e-9, abs=0)
    # mm2 reads both tiers at once: the DDR part bounds it, + the slower latency (CXL's)
    near2 = 600e6 - 2 * W
    assert t.loc["mm2", "duration_s"] == pytest.approx(near2 / 10e9 + 300e-9, rel=1e-9, abs=0)


def test_the_hosts_weight_reads_are_split_between_the_tiers_without_the_input():
    """review 22 E 1: the weight bytes the host reads from each home tier (what the cold-call note
    weighs) are the spill test's DDR bytes less the model input x, and all of CXL's."""
    r = simulate(arch("600 MB"), chain())
    got = r.home_weight_bytes["processor"]
    assert got["dram"] == pytest.approx(600e6, rel=1e-12, abs=0)  # 600e6 + X less X
    assert got["cxl"] == pytest.approx(4 * W - 600e6, rel=1e-12, abs=0)


def test_capacities_add_in_any_size_order():
    """Finding 3: a far tier smaller than the near one is allowed; the footprint is held to
    their sum (4 W + x = 1.0737 GB: 600 MB + 500 MB hold it, 600 MB + 400 MB do not)."""
    r = simulate(arch("600 MB", far="500 MB"), chain())
    assert r.traffic_bytes["cxl"] == pytest.approx(4 * W - 600e6, rel=1e-12, abs=0)
    with pytest.raises(MappingError, match=r"memory\.dram\.capacity \+ memory\.cxl\.capacity 1 GB"):
        simulate(arch("600 MB", far="400 MB"), chain())


def test_both_tiers_are_off_chip_by_default():
    """Finding 6: the DDR beside a far tier is off-chip traffic too (it was the backing store)."""
    assert arch("16 GiB").hardware.off_chip == ("dram", "cxl")
    assert arch("16 GiB", far_flag=False).hardware.off_chip == ("cxl",)


def test_far_only_on_the_last_level_beside_a_near_one():
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"]["sram"]["far"] = True
    with pytest.raises(ConfigError, match=r"memory\.sram\.far: only the last level"):
        architecture_from_dict(d)
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"] = {"dram": {**d["memory"]["dram"], "far": True}}
    with pytest.raises(ConfigError, match=r"memory\.dram\.far: a far tier sits beside a near tier"):
        architecture_from_dict(d)


def test_a_far_tier_beside_a_cim_is_refused_not_misread():
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"]["cxl"] = {"capacity": "64 GiB", "bandwidth": "80 GB/s", "energy_per_bit": "30 pJ/bit",
                          "far": True}
    d["cim"] = copy.deepcopy(ROUND_CIM)
    d["links"] = {"interconnect": dict(ROUND_LINK)}
    with pytest.raises(MappingError, match=r"memory\.cxl\.far is modelled for processors only; "
                                           r"component 'cim'"):
        simulate(architecture_from_dict(d), chain(1))


#: the generator's 2-layer model (4 KV heads x 16, fp32), per layer qkv + out 4 x 64 x 64 and
#: gated up 2 x 64 x 128 + down 128 x 64; the LM head 64 x 64 (the generator models no embedding
#: table); one K or V cache of a decode step at step s: 4096 + s rows x 64 x 4 B
TINY = LLMModel(layers=2, hidden=64, heads=4, kv_heads=4, ffn=128, vocab=64, head_dim=16, gated=True)
LAYER_W = (4 * 64 * 64 + 3 * 64 * 128) * 4
WEIGHTS = 2 * LAYER_W + 64 * 64 * 4


def cache(step: int) -> int:
    return (4096 + step) * 64 * 4


def tiny_run(cap: float, decode: int = 1):
    """The tiny model served (batch 2, prompt 4096, fp32) on the round machine with ``cap`` B
    of DDR and a 64 GiB, 80 GB/s, 300 ns CXL tier; the SRAM (2 MiB) holds a decode attention
    op's activations."""
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"]["sram"]["capacity"] = "2 MiB"
    d["memory"]["dram"]["capacity"] = f"{cap} B"
    d["memory"]["cxl"] = {"capacity": "64 GiB", "bandwidth": "80 GB/s", "latency": "300 ns",
                          "energy_per_bit": "30 pJ/bit", "far": True}
    return simulate(architecture_from_dict(d), llm_serving(TINY, prompt=4096, decode=decode, batch=2,
                                                           dtype="fp32"))


def test_a_kv_cache_holds_its_near_room_through_its_whole_decode_step():
    """Review16-4 #1: each layer's KV cache of a decode step is live for the whole step, not only
    until its own attention reads it. 8 caches of 4097 rows (KV) with near = weights + KV / 2:
    layer 0's four caches fill the near tier and layer 1's are read from the far tier (they
    took layer 0's room before: far bytes 0)."""
    kv = 8 * cache(1)
    near = WEIGHTS + kv // 2
    r, flat = tiny_run(near), tiny_run(16 * 2**30)
    step = r.op_table[r.op_table.op.str.startswith("it0.decode.")]
    # KV - (near - weights) from the far tier, + the far half of the 8 appended rows (256 B each)
    assert step["cxl_bytes"].sum() == kv - (near - WEIGHTS) + 8 * 256 / 2
    assert step.loc[step.op.str.contains(r"\.l1\.r.\.(?:scores|ctx)$"), "cxl_bytes"].tolist() == [cache(1)] * 4
    # TPOT: layer 1's four cache reads at 80 GB/s instead of 10 GB/s, each attention launch
    # (scores, ctx) and each qkv (its appended rows) with CXL's 300 ns instead of DDR's 100 ns
    gain = 4 * cache(1) * (1 / 10e9 - 1 / 80e9) - 4 * 200e-9
    assert r.serving["tpot_s"] == pytest.approx(flat.serving["tpot_s"] - gain, rel=1e-9, abs=0)


def test_a_decode_steps_caches_hand_their_room_to_the_next_steps_at_its_end():
    """Review16-7 #2: with two decode steps, step 1's caches (4097 rows) give their room back
    at the end of step 1, and step 2's (4098 rows, 1,024 B more for four) take it over: with
    near = weights + 4 c1, layer 0's caches fill it in step 1 (layer 1's 4 c1 from CXL, + the
    far half of the 8 appended 256 B rows); in step 2 layer 0's last cache (r1's V, read by
    ctx) spills the 1,024 B past the room and layer 1's 4 c2 are read from CXL. Holding the
    caches to the end of the run instead would read all 8 c2 of step 2 from CXL."""
    t = tiny_run(WEIGHTS + 4 * cache(1), decode=2).op_table
    # the rows appended go where the run's caches are on average (bytes-weighted far share)
    rows_far = 8 * 256 * (4 * cache(1) + 4 * cache(2) + 1024) / (8 * cache(1) + 8 * cache(2))
    step1 = t[t.op.str.startswith("it0.decode.")]
    step2 = t[t.op.str.startswith("it1.decode.")]
    assert step1["cxl_bytes"].sum() == pytest.approx(4 * cache(1) + rows_far, rel=1e-12, abs=0)
    assert step2["cxl_bytes"].sum() == pytest.approx(4 * cache(2) + 1024 + rows_far, rel=1e-12, abs=0)
    assert t.set_index("op").loc["it1.decode.l0.r1.ctx", "cxl_bytes"] == pytest.approx(1024, rel=1e-12, abs=0)


def test_the_kv_rows_a_prefill_writes_hold_their_near_room_from_their_op():
    """Review16-7 #1: the K and V rows a prefill's qkv writes (4096 rows x 64 x 4 B for each of
    K, V and 2 requests: 4,194,304 B a layer) take near room from that op to the end of the
    prefill, as the footprint has them, so a later op's activations do not get it again. With
    near = weights + one softmax's activations (its 4 x 4096 x 4096 fp32 scores in and probs
    out), layer 0's softmaxes spill the layer's rows plus l0.W_qkv (the weights touched so far)
    less all the weights (the near tier's room past them), and layer 1's both layers' rows."""
    soft = 2 * 4 * 4096 * 4096 * 4
    rows = 4 * 4096 * 64 * 4
    wqkv = 64 * 192 * 4
    r = tiny_run(WEIGHTS + soft)
    t = r.op_table.set_index("op")
    for req in (0, 1):
        assert t.loc[f"it0.prefill.l0.r{req}.softmax", "cxl_bytes"] == rows + wqkv - WEIGHTS
        assert t.loc[f"it0.prefill.l1.r{req}.softmax", "cxl_bytes"] == 2 * rows + LAYER_W + wqkv - WEIGHTS
    pre = t[t.index.str.startswith("it0.prefill.")]
    assert pre["cxl_bytes"].sum() == 2 * (3 * rows + LAYER_W + 2 * wqkv - 2 * WEIGHTS)


def test_the_roofline_columns_count_both_home_tiers():
    """Review16-4 #3: ops_per_backing_byte counts the bytes of both home tiers, and the ridge
    uses the home's rate: the near tier's (10 GB/s) while the far tier moves nothing, as
    without it; else the bytes over the time each tier takes for its share (round CPU: 4 cores
    x 8 fp32 MAC/cycle x 1 GHz = 32 GMAC/s, 64 Gop/s)."""
    plain = simulate(architecture_from_dict(copy.deepcopy(ROUND_ARCH)), chain())
    fits = simulate(arch("16 GiB"), chain())
    assert fits.ops_per_backing_byte == plain.ops_per_backing_byte == 2 * 4 * K * K / (4 * W + X)
    assert fits.ridge_ops_per_backing_byte == plain.ridge_ops_per_backing_byte == 64e9 / 10e9
    r = simulate(arch("600 MB"), chain())
    near, far = 600e6 + X, 4 * W - 600e6
    assert r.ops_per_backing_byte == pytest.approx(2 * 4 * K * K / (near + far), rel=1e-12, abs=0)
    rate = (near + far) / (near / 10e9 + far / 80e9)
    assert r.ridge_ops_per_backing_byte == pytest.approx(64e9 / rate, rel=1e-12, abs=0)


@pytest.mark.parametrize("field, value, why", [("area", "10 mm^2", "declares an area"),
                                               ("off_chip", False, "is marked off_chip: false")])
def test_an_on_chip_level_is_refused_as_the_near_tier(field, value, why):
    """Review16-4 #4: far on a two-level config's DRAM made the on-chip SRAM the near tier,
    counted as off-chip traffic and a weight home; where it says it is on the chip, refused."""
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"]["dram"]["far"] = True
    d["memory"]["sram"][field] = value
    with pytest.raises(ConfigError) as e:
        architecture_from_dict(d)
    assert str(e.value).count("\n") == 0 and "memory.sram.area: the level lies off" not in str(e.value)
    assert (f"memory.sram.{field}: memory.dram.far makes 'sram' the near tier, a memory off the "
            f"compute chip beside 'dram' (DDR, HBM), but 'sram' {why}: an on-chip level; list the "
            "DDR or HBM before memory.dram, set memory.dram.near_on_chip: true if the far tier is "
            "a store beside on-chip memory (an SRAM machine streaming weights), or leave far out") in str(e.value)


def test_the_loader_and_the_hardware_share_the_off_chip_rule():
    """Review16-4 #4: the loader's area check uses Hardware.off_chip's rule (hw.homes), so a
    level with an area beside a far tier that is no near tier is still checked as on-chip."""
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"]["sram"]["area"] = "10 mm^2"
    d["memory"]["cxl"] = {"capacity": "64 GiB", "bandwidth": "80 GB/s", "energy_per_bit": "30 pJ/bit",
                          "far": True}
    a = architecture_from_dict(d)
    assert a.hardware.off_chip == ("dram", "cxl") and a.hardware.home_tiers == ("dram", "cxl")
    d["memory"]["dram"]["area"] = "10 mm^2"  # the near tier, off chip by default: refused
    with pytest.raises(ConfigError, match=r"memory\.dram\.area: memory\.cxl\.far makes 'dram' the near tier"):
        architecture_from_dict(d)


def test_a_second_main_memory_without_far_gets_a_note():
    """Review16-4 #9: a CXL level listed after the DDR without far: is modelled as the DDR's
    backing store (the DDR a cache of it); the run says so and names memory.cxl.far. Not for
    a far tier, not for an SRAM before the DDR (ROUND_ARCH, every bundled processor's levels)."""
    small = Workload("gemv", [Tensor("x", (1, 64), "fp32", "input"), Tensor("W", (64, 64), "fp32", "weight"),
                              Tensor("y", (1, 64), "fp32", "activation")],
                     [Op("mm", "matmul", ("x", "W"), ("y",), m=1, k=64, n=64, weight="W")])
    note = ("memory.dram and memory.cxl are both main memory (DRAM-like: dram 17.18 GB, cxl "
            "68.72 GB): dram is treated as a cache of cxl, which is the home of every tensor (its "
            "bytes pass dram too); if cxl is a peer memory (a CXL expander, a second NUMA node), "
            "memory.cxl.far: true makes the two flat tiers side by side (hierarchy rule 9)")
    assert note in simulate(arch("16 GiB", far_flag=False), small).notes
    assert not [n for n in simulate(arch("16 GiB"), small).notes if "both main memory" in n]
    assert not [n for n in simulate(architecture_from_dict(copy.deepcopy(ROUND_ARCH)), small).notes
                if "both main memory" in n]


def test_a_near_tier_that_is_no_main_memory_is_refused():
    """Review16-7 #3: far on cpu-ddr5's DDR made its L3 (technology 'on-chip SRAM', 37.5 MiB = 39.32 MB, no
    area) the near tier: a weight home counted as off-chip traffic. A near tier that is not
    DRAM-like is refused in one line naming its technology; one marked off_chip: true is a
    memory off the chip the user vouches for."""
    cfg = Path(__file__).resolve().parents[2] / "configs" / "cpu-ddr5.yaml"
    with pytest.raises(ConfigError) as e:
        load_architecture(cfg, {"memory.dram.far": True})
    msg = str(e.value)
    assert msg.count("\n") == 0 and "cpu-ddr5.yaml" in msg
    assert ("memory.sram.technology: memory.dram.far makes 'sram' the near tier, a main memory "
            "beside 'dram' (DDR, HBM), but 'sram' (technology 'on-chip SRAM', 39.32 MB) is not "
            "DRAM-like") in msg
    d = copy.deepcopy(ROUND_ARCH)  # its SRAM: 1 MiB, no technology
    d["memory"]["dram"]["far"] = True
    with pytest.raises(ConfigError, match=r"memory\.sram\.technology: .*'sram' \(technology '', 1\.049 MB\)"):
        architecture_from_dict(d)
    d["memory"]["sram"]["off_chip"] = True
    assert architecture_from_dict(d).hardware.home_tiers == ("sram", "dram")
