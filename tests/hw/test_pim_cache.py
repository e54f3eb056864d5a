"""PIM on what lies in its banks (a PIM architect's review, 2026-12-05): the KV cache a separate
device holds is read over its link by host ops too; only a weightless matmul's second operand
lies in the banks; a link's latency is paid by the host's appends over it; bank-bound ops are
bound by memory (the banks); units only where the operands lie.

Round-number fixtures of conftest.py (2 DRAM channels, DRAM 10 GB/s + 100 ns, SRAM 1 MiB);
golden values are arithmetic written out here.
"""

from __future__ import annotations

import copy

import pytest

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.errors import ConfigError
from cimsim.workload import Op, Tensor, Workload

from conftest import ROUND_ARCH, gemv_workload, make_arch

pJ = 1e-12
PIM = {"units_per_channel": 4, "clock": "1 GHz", "macs_per_cycle": 2,
       "internal_bandwidth": "2 GB/s", "energy_per_mac": "1 pJ", "energy_per_bit": "0.5 pJ/bit",
       "static_power": "0 W", "claims": ["kv_cache"]}


def separate(max_rows: int):
    d = copy.deepcopy(ROUND_ARCH)
    d["links"] = {"pcie": {"bandwidth": "1 GB/s", "latency": "1 us", "energy_per_bit": "0 pJ/bit"}}
    d["pim"] = dict(PIM, sharing="separate", link="pcie", max_rows=max_rows)
    return architecture_from_dict(d)


def attention(rows: int) -> Workload:
    """proj: x (rows x 64, a model input) @ wq -> q, appending 256 B to the cache (a KV row);
    scores: q @ k, k (64 x 256 fp32 = 65,536 B) a model input: the cache."""
    t = [Tensor("x", (rows, 64), "fp32", "input"), Tensor("wq", (64, 64), "fp32", "weight"),
         Tensor("q", (rows, 64), "fp32", "activation"), Tensor("k", (64, 256), "fp32", "input"),
         Tensor("s", (rows, 256), "fp32", "activation")]
    ops = [Op("proj", "matmul", ("x", "wq"), ("q",), m=rows, k=64, n=64, weight="wq",
              tags={"store_bytes": 256}),
           Op("scores", "matmul", ("q", "k"), ("s",), m=rows, k=64, n=256)]
    return Workload("attention", t, ops)


def test_a_host_op_reads_the_cache_a_separate_device_holds_over_its_link():
    # pim takes no scores op of 4 rows (max_rows 1): the host runs it, and the cache k is in
    # the PIM device, not in the host's DRAM: 65,536 B over pcie, q (1 KiB) and s (4 KiB) stay
    # in the host's SRAM; the op pays pcie's 1 us
    r = simulate(separate(max_rows=1), attention(4), keep_ops=True)
    ops = r.op_table.set_index("op")
    assert ops.loc["scores", "unit"] == "processor"
    assert ops.loc["scores", "pcie_bytes"] == 64 * 256 * 4
    assert ops.loc["scores", "dram_bytes"] == 0
    assert ops.loc["scores", "fixed_latency_s"] == pytest.approx(1e-6, rel=1e-12, abs=0)
    # proj's append crosses pcie (256 B) and pays its 1 us, not DRAM's 100 ns alone
    assert ops.loc["proj", "pcie_bytes"] == 256
    assert ops.loc["proj", "fixed_latency_s"] == pytest.approx(1e-6, rel=1e-12, abs=0)
    # one row: the device computes on its cache, only q in and s out cross pcie
    r1 = simulate(separate(max_rows=1), attention(1), keep_ops=True).op_table.set_index("op")
    assert r1.loc["scores", "unit"] == "pim"
    assert r1.loc["scores", "pcie_bytes"] == 64 * 4 + 256 * 4


def test_only_the_second_operand_of_a_weightless_matmul_lies_in_the_banks():
    # y = x @ B, both model inputs (x: 64 fp32 = 256 B; B: 64 x 256 fp32 = 65,536 B): B is read
    # in the banks; x and y (1 KiB) cross the bus, as a weight's GEMV moves its vector
    w = Workload("xb", [Tensor("x", (1, 64), "fp32", "input"), Tensor("B", (64, 256), "fp32", "input"),
                        Tensor("y", (1, 256), "fp32", "activation")],
                 [Op("mm", "matmul", ("x", "B"), ("y",), m=1, k=64, n=256)])
    r = simulate(make_arch(pim=dict(PIM)), w, keep_ops=True)
    assert r.op_table["unit"].tolist() == ["pim"]
    assert r.traffic_bytes["dram"] == 256 + 1024
    macs = 64 * 256
    assert r.energy_breakdown_j["pim_compute"] == pytest.approx(
        macs * pJ + 65536 * 8 * 0.5 * pJ, rel=1e-12, abs=0)


def test_a_bank_bound_op_is_bound_by_the_banks():
    # 8 units x 2 GB/s = 16 GB/s in the banks; 4 MiB of weights take 262.1 us, the MACs
    # (16 GMAC/s) 65.5 us: memory, the banks; their utilization is that time over the run
    arch = make_arch(pim=dict(PIM, claims=["weights"]))
    r = simulate(arch, gemv_workload(1024, 1024))
    banks = 4 * 1024 * 1024 / 16e9
    assert r.bound_label == "memory (pim_banks)"
    assert r.utilization["pim_banks"] == pytest.approx(banks / r.latency_s, rel=1e-12, abs=0)
    assert r.utilization["pim_mac"] == pytest.approx(1024 * 1024 / 16e9 / r.latency_s, rel=1e-12,
                                                     abs=0)
    # MAC-bound (1 MAC a cycle per unit, 8 GMAC/s, banks at 1 TB/s): compute
    fast = make_arch(pim=dict(PIM, claims=["weights"], macs_per_cycle=1,
                              internal_bandwidth="1 TB/s"))
    assert simulate(fast, gemv_workload(1024, 1024)).bound == "compute"


@pytest.mark.parametrize("claims", [["weights"], ["kv_cache"]])
def test_units_outside_the_backing_store_are_refused(claims):
    # the weights and the model inputs lie in the backing store (hierarchy rules 1 and 3): units
    # in SRAM would compute on bytes that are not there
    with pytest.raises(ConfigError, match=r"pim.memory: .* needs the units in the backing store "
                                          r"'dram'; they are in 'sram'"):
        make_arch(pim=dict(PIM, claims=claims, memory="sram"))


def test_a_pim_that_runs_nothing_has_a_zero_banks_part_everywhere():
    """A declared compute part has its column in every result (`path_pim_banks_s`), and the
    path table its per-op column: the report's Gantt strip read `pim_banks_s` where the PIM ran
    no op and the CLI ended in a KeyError (found redrawing docs/report.png, 2026-12-05)."""
    from cimsim.plot.run_figures import critical_path_gantt
    from cimsim.workload import Op, Tensor, Workload

    w = Workload("vec", [Tensor("x", (64,), "fp32", "input"), Tensor("y", (64,), "fp32", "activation")],
                 [Op("relu", "elementwise", ("x",), ("y",), fn="relu")])
    r = simulate(make_arch(pim=dict(PIM, claims=["weights"])), w, keep_ops=True)
    assert r.ops_per_unit["pim"] == 0
    assert r.path_time_s["pim_banks"] == 0.0 and r.record()["path_pim_banks_s"] == 0.0
    assert (r.path_table["pim_banks_s"] == 0.0).all()
    critical_path_gantt(r)


def _separate_llm(capacity: str, max_rows: int = 8, claims=("kv_cache",), channels=None,
                  dram_channels: int = 2):
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"]["dram"]["capacity"] = capacity
    d["memory"]["dram"]["channels"] = dram_channels
    d["memory"]["sram"]["capacity"] = "1 kB"
    d["links"] = {"pcie": {"bandwidth": "1 GB/s", "latency": "1 us", "energy_per_bit": "0 pJ/bit"}}
    d["processor"]["macs_per_cycle_per_core"]["fp16"] = 8
    d["processor"]["energy_per_mac"]["fp16"] = "1 pJ"
    d["pim"] = dict(PIM, sharing="separate", link="pcie", max_rows=max_rows, claims=list(claims),
                    **({"channels": channels} if channels else {}))
    return architecture_from_dict(d)


def test_a_separate_device_and_its_host_are_each_checked_at_their_own_peak():
    """`separate` sharing checked the device's KV cache and the host's activations at the op
    where their sum peaks (a tester, 2026-12-05): a device too small for the last step's cache,
    or a host too small for the prefill's activations, was accepted."""
    from cimsim.errors import MappingError
    from cimsim.mapping.placement import place
    from cimsim.units import si
    from cimsim.workload.footprint import footprint_apart
    from cimsim.workload.llm import LLMModel, llm_serving

    m = LLMModel(layers=1, hidden=64, heads=4, kv_heads=4, ffn=128, vocab=100, head_dim=16, gated=False)
    # a short run: the sum peaks in the prefill (its 256 x 256 scores), the caches at the end,
    # K and V of 2 x 1 layer x (256 + 32) tokens x 64 x 2 B
    short = llm_serving(m, prompt=256, decode=32, batch=1, dtype="fp16")
    dev, _ = footprint_apart(short)
    assert dev.kv_cache == 2 * (256 + 32) * 64 * 2 > short.footprint.kv_cache
    # the device is half the level (2 channels, 1 of them), one byte short of the peak cache
    with pytest.raises(MappingError, match=f"needs {si(dev.kv_cache, 'B', 6)} of KV cache at its peak"):
        place(short, _separate_llm(f"{2 * dev.kv_cache - 2} B", channels=1))
    # a long run: the sum peaks at the last step (its cache), the activations in the prefill
    long = llm_serving(m, prompt=256, decode=6000, batch=1, dtype="fp16")
    _, host = footprint_apart(long)
    assert host.activations > long.footprint.activations
    with pytest.raises(MappingError, match="live at once .* its KV cache, .* lies in the PIM device"):
        place(long, _separate_llm(f"{host.total - 1} B", channels=4))  # the device 2x the host


def test_weights_a_separate_device_computes_on_must_fit_it():
    from cimsim.errors import MappingError
    from cimsim.mapping.placement import place
    from cimsim.workload.footprint import footprint_apart
    from cimsim.workload.llm import LLMModel, llm_serving

    # a 1024 x 1024 fp32 weight (4.194 MB) on a one-channel device of half a 6 MiB level
    arch = _separate_llm("6 MiB", max_rows=1, claims=("weights",), channels=1)
    with pytest.raises(MappingError, match=r"the weights its units compute on \(4.194 MB in their "
                                           r"format\) lie in the PIM device's memory over 'pcie', "
                                           r"which holds 3.146 MB"):
        place(gemv_workload(1024, 1024), arch)
    # in the units' own int8 format they are 1.049 MB: they fit (a reviewer, 2026-12-05)
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"]["dram"]["capacity"] = "6 MiB"
    d["links"] = {"pcie": {"bandwidth": "1 GB/s", "latency": "1 us", "energy_per_bit": "0 pJ/bit"}}
    d["pim"] = dict(PIM, sharing="separate", link="pcie", max_rows=1, claims=["weights"], channels=1,
                    precision="int8")
    place(gemv_workload(1024, 1024), architecture_from_dict(d))
    # claiming the KV cache too, the device holds both: 1 layer's weights (78,336 B) and the
    # cache at its peak (2 x 288 tokens x 64 x 2 B = 73,728 B) together (each alone fits)
    m = LLMModel(layers=1, hidden=64, heads=4, kv_heads=4, ffn=128, vocab=100, head_dim=16, gated=False)
    w = llm_serving(m, prompt=256, decode=32, batch=1, dtype="fp16")
    assert footprint_apart(w)[0].kv_cache == 73_728
    # (1 channel of a 16-channel 1.6 MB level: 100 kB)
    with pytest.raises(MappingError, match=r"KV cache 73.728 kB at its peak and the weights its "
                                           r"units compute on 78.336 kB, but it holds 100 kB"):
        place(w, _separate_llm("1.6 MB", claims=("weights", "kv_cache"), channels=1, dram_channels=16))


def test_a_blocked_pim_ops_hold_counts_in_the_memory_lower_bound():
    """A blocked PIM op holds its memory level for its whole compute time; the memory lower
    bound left the hold out (a tester, 2026-12-05). A PIM op over K (256 x 1024 fp32,
    1,048,576 B: 65.536 us in the 8 units' 16 GB/s) and a host op of 4 rows reading K from DRAM
    (its activations, K included, overflow the 1 MiB SRAM, so its s4 is written to DRAM too):
    DRAM moves K, q4 and s4 (1,069,056 B) and the PIM op's q in and s out (5,120 B) at 10 GB/s,
    107.4176 us, and is held 65.536 us: 172.9536 us."""
    t = [Tensor("q", (1, 256), "fp32", "input"), Tensor("K", (256, 1024), "fp32", "input"),
         Tensor("s", (1, 1024), "fp32", "activation"), Tensor("q4", (4, 256), "fp32", "input"),
         Tensor("s4", (4, 1024), "fp32", "activation")]
    ops = [Op("pim_op", "matmul", ("q", "K"), ("s",), m=1, k=256, n=1024),
           Op("host_attn", "matmul", ("q4", "K"), ("s4",), m=4, k=256, n=1024)]
    arch = make_arch(pim=dict(PIM, max_rows=2, sharing="blocked"))
    for engine in ("analytic", "des"):
        r = simulate(arch, Workload("w1", t, ops), engine=engine, keep_ops=True)
        assert r.op_table.set_index("op")["unit"].to_dict() == {"pim_op": "pim", "host_attn": "processor"}
        assert r.bound_memory_s == pytest.approx(1_074_176 / 10e9 + 1_048_576 / 16e9, rel=1e-12, abs=0)
