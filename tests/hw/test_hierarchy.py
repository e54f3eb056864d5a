"""The memory hierarchy (hw/hierarchy.py): per-matrix residency in the innermost level that
holds it, the processor's level list, distinct names, and a workload larger than memory.

Round numbers (conftest.ROUND_ARCH): 4 cores x 1 GHz x 8 fp32 MAC = 32 GMAC/s, 32 G vector
ops/s; DRAM 10 GB/s + 100 ns. Every expected value below is arithmetic on those numbers.
"""

from __future__ import annotations

import copy

import pytest

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.errors import ConfigError
from cimsim.workload import Op, Tensor, Workload

from conftest import ROUND_ARCH, gemv_workload, make_arch


def _arch(levels: dict, **extra):
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"] = {**levels, "dram": d["memory"]["dram"]}
    d.update(extra)
    return architecture_from_dict(d)


def _level(capacity: str, bandwidth: str = "1 TB/s") -> dict:
    return {"capacity": capacity, "bandwidth": bandwidth, "energy_per_byte": "1 pJ/B"}


def _recurrent(k: int, steps: int) -> Workload:
    """x W_in, then `steps` matmuls by the same W_hh (a recurrence without its pointwise)."""
    t = [Tensor("x", (1, k), "fp32", "input"), Tensor("W_in", (k, k), "fp32", "weight"),
         Tensor("W_hh", (k, k), "fp32", "weight"), Tensor("h0", (1, k), "fp32", "activation")]
    ops = [Op("in", "matmul", ("x", "W_in"), ("h0",), m=1, k=k, n=k, weight="W_in")]
    for s in range(1, steps + 1):
        t.append(Tensor(f"h{s}", (1, k), "fp32", "activation"))
        ops.append(Op(f"step{s}", "matmul", (f"h{s - 1}", "W_hh"), (f"h{s}",), m=1, k=k, n=k,
                      weight="W_hh"))
    return Workload("recurrent", t, ops)


# ------------------------------------------------------------------ per-matrix residency
@pytest.mark.parametrize("engine", ["des", "analytic"])
def test_a_cache_that_holds_the_recurrent_weights_changes_the_prediction(engine):
    # k = 256 fp32: W_in and W_hh are 256 KiB each, 512 KiB together. A 384 KiB LLC cannot hold
    # both (all-or-nothing residency would stream both at every use) but holds W_hh: after its
    # first read it stays, and each later step is compute-bound on chip.
    k, steps = 256, 8
    w = k * k * 4  # 262,144 B
    stream = w / 10e9 + 100e-9  # one matrix from DRAM: 26.2144 us + 100 ns latency
    x = k * 4  # the model input (1 KiB) starts in DRAM: the first op reads it too
    on_chip = max(k * k / 32e9, (w + 2 * k * 4) / 1e12)  # 2.048 us of MACs vs 0.264 us of LLC
    assert on_chip == k * k / 32e9
    wl = _recurrent(k, steps)
    fits = simulate(_arch({"llc": _level("384 KiB")}), wl, engine=engine)
    assert fits.latency_s == pytest.approx(x / 10e9 + 2 * stream + (steps - 1) * on_chip, rel=1e-12, abs=0)
    assert fits.traffic_bytes["dram"] == 2 * w + x  # each matrix read from DRAM once, and x
    assert fits.facts["processor_weights_on_chip"] is False  # W_in does not fit beside W_hh
    # a cache too small for W_hh: every step streams it
    small = simulate(_arch({"llc": _level("128 KiB")}), wl, engine=engine)
    assert small.latency_s == pytest.approx(x / 10e9 + (steps + 1) * stream, rel=1e-12, abs=0)
    assert small.traffic_bytes["dram"] == (steps + 1) * w + x
    assert fits.latency_s < 0.3 * small.latency_s


def test_three_levels_place_each_matrix_in_the_innermost_that_holds_it():
    # A: 256 x 256 fp32 (256 KiB), B: 64 x 128 fp32 (32 KiB), each read twice: A, B, A, B.
    # l2 (64 KiB) holds B but not A; llc (512 KiB) holds A. Bytes pass every level inside
    # the one they come from (inclusive), activations stay in l2.
    t = [Tensor("x", (1, 256), "fp32", "input"), Tensor("x2", (1, 64), "fp32", "input"),
         Tensor("A", (256, 256), "fp32", "weight"), Tensor("B", (64, 128), "fp32", "weight")]
    ops = []
    for i, (a, w, k, n) in enumerate([("x", "A", 256, 256), ("x2", "B", 64, 128)] * 2):
        t.append(Tensor(f"y{i}", (1, n), "fp32", "activation"))
        ops.append(Op(f"mm{i}", "matmul", (a, w), (f"y{i}",), m=1, k=k, n=n, weight=w))
    wl = Workload("abab", t, ops)
    arch = _arch({"l2": _level("64 KiB", "2 TB/s"), "llc": _level("512 KiB")})
    r = simulate(arch, wl)
    A, B = 256 * 256 * 4, 64 * 128 * 4
    acts = 2 * ((256 + 256) * 4 + (64 + 128) * 4)
    inputs = (256 + 64) * 4  # the model inputs x and x2 start in DRAM: read from there once
    assert r.traffic_bytes["dram"] == A + B + inputs  # first reads only
    # A every time, B's first read and the inputs' first reads pass through
    assert r.traffic_bytes["llc"] == 2 * A + B + inputs
    assert r.traffic_bytes["l2"] == 2 * A + 2 * B + acts
    assert "processor weights" in r.notes[0] and "262.1 kB resident in llc" in r.notes[0]
    assert "32.77 kB resident in l2" in r.notes[0]
    assert list(r.energy_breakdown_j)[1:4] == ["l2", "llc", "dram"]
    assert r.energy_breakdown_j["llc"] == pytest.approx((2 * A + B + inputs) * 1e-12, rel=1e-12, abs=0)


def test_processor_levels_must_name_levels_and_end_at_the_backing_store():
    d = copy.deepcopy(ROUND_ARCH)
    d["processor"]["levels"] = ["sram", "l3"]
    with pytest.raises(ConfigError, match=r"processor.levels: names no memory level \['l3'\]"):
        architecture_from_dict(d, source="x.yaml")
    d["processor"]["levels"] = ["sram"]
    with pytest.raises(ConfigError, match="must end with the backing store 'dram'"):
        architecture_from_dict(d, source="x.yaml")
    # a level twice gave each listing its own room (two 29 MB weights resident in a 37.5 MB
    # SRAM, DRAM traffic 2.5x under); out of order, the hierarchy's rules run backwards
    for levels in (["sram", "sram", "dram"], ["dram", "sram", "dram"]):
        d["processor"]["levels"] = levels
        with pytest.raises(ConfigError, match=r"must name each memory level once, innermost first, "
                                              r"in the architecture's order \['sram', 'dram'\]"):
            architecture_from_dict(d, source="x.yaml")


def test_levels_links_and_components_need_distinct_names():
    d = copy.deepcopy(ROUND_ARCH)
    d["links"] = {"dram": {"bandwidth": "1 GB/s", "latency": "1 ns", "energy_per_bit": "1 pJ/bit"}}
    with pytest.raises(ConfigError, match="dram: the name is used by a memory level too"):
        architecture_from_dict(d, source="x.yaml")



def test_an_llc_holding_an_lstms_recurrent_weights_changes_its_prediction():
    # the case: a 1-layer H = I = 1024 fp32 LSTM, batch 1: W_hh is 4 x 1024 x 1024 x 4 B
    # = 16.8 MB and W_ih the same. A 25 MB LLC holds W_hh but not both; all-or-nothing
    # residency (cimsim 0.1) streamed W_hh at every one of the T steps.
    from cimsim import bundled, load_architecture
    from cimsim.workload.generators import lstm

    T = 20
    wl = lstm(1024, 1024, 1, steps=T)
    w = 4 * 1024 * 1024 * 4
    cpu = load_architecture(bundled.resolve_config("cpu-ddr5"),
                            {"memory.sram.capacity": "25 MB"})
    r = simulate(cpu, wl, keep_ops=False)
    biases = 2 * 4 * 1024 * 4
    acts_in = T * 1024 * 4 + 2 * 1024 * 4  # the input sequence, h0 and c0 start in DRAM: read once
    assert r.traffic_bytes["dram"] <= 2 * w + biases + acts_in + 1
    assert r.traffic_bytes["dram"] >= 2 * w  # W_ih and W_hh read once each
    small = simulate(load_architecture(bundled.resolve_config("cpu-ddr5"),
                                       {"memory.sram.capacity": "10 MB"}), wl, keep_ops=False)
    assert small.traffic_bytes["dram"] >= (T + 1) * w  # W_hh at every step, W_ih once
    assert r.latency_s < 0.5 * small.latency_s


def test_workload_larger_than_memory_is_refused():
    from conftest import ROUND_ARCH, make_arch

    from cimsim.errors import MappingError

    mem = copy.deepcopy(ROUND_ARCH["memory"])
    mem["dram"]["capacity"] = "1 MiB"
    arch = make_arch(name="tiny-memory", memory=mem)
    # 1024 x 1024 fp32 weights = 4 MiB > 1 MiB: 4,194,304 B of weights + 8,192 B of x and y
    # = 4,202,496 B live, against 1,048,576 B
    with pytest.raises(MappingError, match=r"needs 4\.2025 MB live at once .* memory\.dram\.capacity 1 MiB \(1\.04858 MB\)"):
        simulate(arch, gemv_workload(1024, 1024))


# ------------------------------------------------------------------ hierarchy_traffic rules
MiB = 2**20


def _matmuls(weights: list[tuple[str, int]], k: int = 512) -> Workload:
    """One fp32 matmul x (1 x k) times a k x n weight per entry ``(weight name, n)``, in order
    (the first reads the model input x from the backing store, the rest read it as an
    activation); a name listed twice is read twice."""
    t = [Tensor("x", (1, k), "fp32", "input")]
    t += [Tensor(w, (k, n), "fp32", "weight") for w, n in dict(weights).items()]
    ops = []
    for i, (w, n) in enumerate(weights):
        t.append(Tensor(f"y{i}", (1, n), "fp32", "activation"))
        ops.append(Op(f"mm{i}", "matmul", ("x", w), (f"y{i}",), m=1, k=k, n=n, weight=w))
    return Workload("matmuls", t, ops)


def _traffic(wl: Workload, capacity: list[float], latency: list[float] = (0.0, 0.0), stage=None):
    from dataclasses import replace

    import numpy as np

    from cimsim.hw.hierarchy import staged_traffic

    ops = wl.arrays if stage is None else replace(wl.arrays, stage=np.asarray(stage))
    idx = np.arange(ops.kind.shape[0])
    return staged_traffic(ops, idx, ["sram", "dram"], capacity, list(latency))


def test_an_op_pays_the_slowest_levels_latency_once_not_the_sum():
    # rule 5. W (512 x 512 fp32, 1 MiB) is read twice and stays in a 2 MiB SRAM: op 0 reads it
    # (and x) from DRAM, through the SRAM (both levels: max(10, 110) ns = 110 ns, not 120 ns);
    # op 1 reads it from the SRAM only (10 ns)
    t = _traffic(_matmuls([("W", 512), ("W", 512)]), [2 * MiB, 16 * 2**30], [10e-9, 110e-9])
    assert t.bytes["dram"].tolist() == [MiB + 512 * 4, 0.0]
    assert t.latency_s.tolist() == [110e-9, 10e-9]


def test_a_run_with_an_sram_latency_pays_the_drams_latency_once():
    # a gemv streaming its 4 MiB weight (and the 4 KiB x) from DRAM at 10 GB/s, through an
    # SRAM of 100 ns latency, from a DRAM of 500 ns: (4 MiB + 4 KiB) / 10 GB/s + 500 ns
    # = 419.84 us + 0.5 us; summing the two levels' latencies would give 0.6 us
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"]["sram"]["latency"] = "100 ns"
    d["memory"]["dram"]["latency"] = "500 ns"
    r = simulate(architecture_from_dict(d), gemv_workload(1024, 1024))
    assert r.traffic_bytes["dram"] == 4 * MiB + 4096
    assert r.latency_s == pytest.approx((4 * MiB + 4096) / 10e9 + 500e-9, rel=1e-12, abs=0)


@pytest.mark.parametrize("matrices, fit", [(10, False), (2, True)])
def test_weights_on_chip_counts_the_room_single_use_matrices_take(matrices, fit):
    # rule 1's "weights on chip": matrices of 1 MiB each, each read once, on a 2 MiB SRAM;
    # two fit at once, ten (10 MiB) do not, though each alone would
    t = _traffic(_matmuls([(f"W{i}", 512) for i in range(matrices)]), [2 * MiB, 16 * 2**30])
    assert t.all_fit is fit
    assert t.all_reused_resident is True  # no matrix is reused


def test_a_reused_matrix_exactly_the_levels_capacity_stays_resident():
    # rule 1: W_hh (512 x 512 fp32 = 1 MiB) is read twice; the SRAM holds exactly 1 MiB, so it
    # stays there: DRAM reads x, W_in (read once, streams) and W_hh's first read only
    wl = _matmuls([("W_in", 512), ("W_hh", 512), ("W_hh", 512)])
    t = _traffic(wl, [MiB, 16 * 2**30])
    assert t.resident == {"sram": MiB}
    assert t.bytes["dram"].tolist() == [512 * 4 + MiB, MiB, 0.0]
    r = simulate(make_arch(), wl)  # ROUND_ARCH: a 1 MiB SRAM
    assert r.traffic_bytes["dram"] == 512 * 4 + 2 * MiB


def test_pipeline_stages_have_weights_on_chip_only_when_every_stage_does():
    # two stages on devices with 2 MiB SRAM each: stage 0 reads its 1 MiB W0 twice (resident),
    # stage 1 its 4 MiB W1 twice (fits nowhere): the run's weights are not all on chip
    wl = _matmuls([("W0", 512), ("W0", 512), ("W1", 2048), ("W1", 2048)])
    t = _traffic(wl, [2 * MiB, 16 * 2**30], stage=[0, 0, 1, 1])
    assert t.resident == {"sram": MiB}
    assert t.all_fit is False and t.all_reused_resident is False
    # each stage's device alone: stage 0's weights fit, stage 1's do not
    assert _traffic(_matmuls([("W0", 512)] * 2), [2 * MiB, 16 * 2**30]).all_fit is True
    assert _traffic(_matmuls([("W1", 2048)] * 2), [2 * MiB, 16 * 2**30]).all_fit is False
    both = _traffic(_matmuls([("W0", 512), ("W0", 512)]), [2 * MiB, 16 * 2**30], stage=[0, 1])
    assert both.all_fit is True and both.all_reused_resident is True


# ------------------------------------------------------------------ rule 1: room given back
def _two_layers(second_reads: str, between: bool = False) -> Workload:
    """Layer A: x -> mmA0 -> a1 -> mmA1 -> a2, both by WA; layer B: mmB0 -> b1 -> mmB1 -> b2,
    both by WB, listed after layer A. mmB0 reads ``second_reads``: ``"a2"`` (layer B waits
    for layer A: mmB0 is a barrier) or ``"x"`` (independent chains: no barrier between them).
    ``between``: layer A's output passes an elementwise op (relu, a2 -> r2) that mmB0 reads."""
    k = 512  # WA, WB: 512 x 512 fp32 = 1 MiB each
    t = [Tensor("x", (1, k), "fp32", "input"), Tensor("WA", (k, k), "fp32", "weight"),
         Tensor("WB", (k, k), "fp32", "weight")]
    t += [Tensor(n, (1, k), "fp32", "activation")
          for n in ("a1", "a2", *(("r2",) if between else ()), "b1", "b2")]
    ops = [Op("mmA0", "matmul", ("x", "WA"), ("a1",), m=1, k=k, n=k, weight="WA"),
           Op("mmA1", "matmul", ("a1", "WA"), ("a2",), m=1, k=k, n=k, weight="WA")]
    if between:
        ops.append(Op("relu", "elementwise", ("a2",), ("r2",), fn="relu"))
    ops += [Op("mmB0", "matmul", (second_reads, "WB"), ("b1",), m=1, k=k, n=k, weight="WB"),
            Op("mmB1", "matmul", ("b1", "WB"), ("b2",), m=1, k=k, n=k, weight="WB")]
    return Workload("two-layers", t, ops)


def _diamond() -> Workload:
    """x -> d0 -> (d1, d2) -> d3, elementwise."""
    t = [Tensor(n, (4,), "fp32", "input" if n == "x" else "activation")
         for n in ("x", "p", "q", "r", "s")]
    ops = [Op("d0", "elementwise", ("x",), ("p",), fn="relu"),
           Op("d1", "elementwise", ("p",), ("q",), fn="relu"),
           Op("d2", "elementwise", ("p",), ("r",), fn="relu"),
           Op("d3", "elementwise", ("q", "r"), ("s",), fn="add")]
    return Workload("diamond", t, ops)


def test_barriers_are_the_ops_every_earlier_op_reaches():
    import numpy as np

    from cimsim.hw.residency import barrier_ops

    # a diamond x -> d0 -> (d1, d2) -> d3: d1 is reached from d0 (its only earlier op), d2
    # not from d1, d3 from all three; op 0 trivially
    assert barrier_ops(_diamond().arrays).tolist() == [0, 1, 3]
    # the two layers: mmB0 (2) is a barrier when it reads a2; when it reads x neither it nor
    # mmB1 (3) is (mmA1 reaches neither)
    assert barrier_ops(_two_layers("a2").arrays).tolist() == [0, 1, 2, 3]
    assert barrier_ops(_two_layers("x").arrays).tolist() == [0, 1]
    assert np.array_equal(barrier_ops(_two_layers("r2", between=True).arrays), np.arange(5))


@pytest.mark.parametrize("between", [False, True])
def test_a_layer_after_a_barrier_takes_the_room_of_the_dead_layer_before_it(between):
    import numpy as np

    from cimsim.hw.hierarchy import hierarchy_traffic

    # a 1.5 MiB SRAM holds WA or WB (1 MiB each), not both (2 MiB). Layer B waits for layer A
    # (mmB0 reads a2, or relu(a2) through an op of another component: idx holds only the
    # matmuls), so every use of WA has finished when WB is first read: WA's room comes back
    # and WB stays. DRAM reads: x (2 KiB, the model input) + WA at mmA0, WB at mmB0, nothing at
    # mmA1 and mmB1 (without the room given back, WB streamed at mmB1 too: 1 MiB more)
    wl = _two_layers("r2" if between else "a2", between)
    ops = wl.arrays
    idx = np.flatnonzero(ops.macs > 0)  # the four matmuls
    t = hierarchy_traffic(ops, idx, ["sram", "dram"], [1.5 * MiB, 16 * 2**30], [0.0, 0.0])
    assert t.bytes["dram"].tolist() == [512 * 4 + MiB, 0.0, MiB, 0.0]
    assert t.resident == {"sram": 2 * MiB}  # each in turn
    # WB needed 0.5 MiB of WA's returned room beyond the 0.5 MiB WA had left free
    assert t.returned_bytes == 0.5 * MiB
    assert t.streamed_weight_bytes == 0.0 and t.all_reused_resident is True
    assert t.all_fit is False  # "weights on chip" still means all at once: 2 MiB > 1.5 MiB


def test_layers_without_a_barrier_between_them_keep_their_room():
    # the same program order, but layer B reads x: it may run while layer A does, so WA keeps
    # its room though its last use is listed before WB's first; WB streams at both its uses.
    # x is read from DRAM by mmA0 (2 KiB); mmB0's read of it counts as an activation (rule 3)
    t = _traffic(_two_layers("x"), [1.5 * MiB, 16 * 2**30])
    assert t.bytes["dram"].tolist() == [512 * 4 + MiB, 0.0, MiB, MiB]
    assert t.resident == {"sram": MiB} and t.returned_bytes == 0.0
    assert t.streamed_weight_bytes == MiB and t.all_reused_resident is False


@pytest.mark.parametrize("schedule", ["layer", "wavefront"])
def test_a_two_layer_lstm_on_an_h100_reuses_the_l2_of_the_layer_below(schedule):
    # find-R 4: `cimsim workload lstm --input-size 2048 --hidden 2048 --layers 2 --steps 100
    # --dtype bf16` on gpu-hbm3 (50 MB L2). Each W_ih and W_hh is 8192 x 2048 x 2 B
    # = 33,554,432 B: one fits the L2, two do not.
    from cimsim import bundled, load_architecture
    from cimsim.workload.generators import lstm

    T, w = 100, 8192 * 2048 * 2
    rest = (4 * 8192 * 2  # 4 biases (16,384 B each; read every step, resident): first reads
            + T * 2048 * 2  # the input sequence x (409,600 B), read once
            + 4 * 2048 * 2)  # h0, c0 of each layer (4,096 B each)
    r = simulate(load_architecture(bundled.resolve_config("gpu-hbm3")),
                 lstm(2048, 2048, 2, steps=T, dtype="bf16", schedule=schedule), keep_ops=False)
    if schedule == "layer":
        # layer 1 starts when layer 0 has finished: W_ih (one matmul over all steps) streams
        # once per layer. W_hh_l0 is read cold at t0, then from L2. Layer 1's t0 reads only
        # h0 (a model input): it descends from no barrier, so it may run while layer 0 does
        # and W_hh_l1 streams there (16.4 MB left beside W_hh_l0). Its t1 reads t0's cell,
        # which descends from l1.xproj, a barrier after every use of W_hh_l0: W_hh_l1 takes
        # that room there (a second cold read) and is read from L2 from t2 on:
        # 4 x 33,554,432 B + rest + 33,554,432 B = 168,263,680 B
        # (main: 3,456,598,016 B, layer 1's W_hh from HBM at every step; r12: 134,709,248 B,
        # room given back at t0 on the strength of a barrier merely listed before it)
        assert r.traffic_bytes["dram"] == 5 * w + rest == 168_263_680
    else:
        # wavefront: the layers overlap, no room comes back. W_ih0 (first used) stays; W_hh0,
        # W_ih1 and W_hh1 (per-step projections) stream at each of their 100 uses
        assert r.traffic_bytes["dram"] == (1 + 3 * T) * w + rest


# --------------------------------------------- rule 1: the barrier must be an ancestor (review-1)
def _two_servers(n_pim: int = 12) -> Workload:
    """review-1 finding 1: hbm-pim, fp16, WA WD WB WC (3072 x 3072: 18,874,368 B each; two fit
    the 50 MB L2, three do not) by GPU matmuls at m = 64, and a chain of ``n_pim`` PIM GEMVs
    (m = 1) by WP that feeds layer A's second half. mmB0 is a barrier listed before mmC0, but
    mmC0 reads only x: it descends from no barrier."""
    k, m = 3072, 64
    t = [Tensor("x", (m, k), "fp16", "input"), Tensor("z", (1, k), "fp16", "input")]
    t += [Tensor(w, (k, k), "fp16", "weight") for w in ("WA", "WD", "WB", "WC", "WP")]
    acts = ["a1", "d1", "s", *[f"p{i + 1}" for i in range(n_pim)], "e", "a2", "d2", "b1", "c1",
            "c2", "b2"]
    t += [Tensor(n, (1, k) if n.startswith("p") else (m, k), "fp16", "activation") for n in acts]

    def mm(name, a, w, out, rows=m):
        return Op(name, "matmul", (a, w), (out,), m=rows, k=k, n=k, weight=w)
    ops = [mm("mmA0", "x", "WA", "a1"), mm("mmD0", "x", "WD", "d1"),
           Op("add1", "elementwise", ("a1", "d1"), ("s",), fn="add"),
           *[mm(f"pim{i}", "z" if i == 0 else f"p{i}", "WP", f"p{i + 1}", rows=1)
             for i in range(n_pim)],
           Op("add2", "elementwise", ("s", f"p{n_pim}"), ("e",), fn="add"),
           mm("mmA1", "e", "WA", "a2"), mm("mmD1", "a2", "WD", "d2"), mm("mmB0", "d2", "WB", "b1"),
           mm("mmC0", "x", "WC", "c1"), mm("mmC1", "c1", "WC", "c2"), mm("mmB1", "b1", "WB", "b2")]
    return Workload("branches", t, ops)


def test_ancestor_barrier_is_the_latest_barrier_an_op_descends_from():
    from cimsim.hw.residency import ancestor_barriers, barrier_ops

    # the diamond x -> d0 -> (d1, d2) -> d3 (barriers 0, 1, 3): d2 descends from d0, not d1
    assert ancestor_barriers(_diamond().arrays).tolist() == [0, 1, 0, 3]
    # review-1's graph: barriers 0, 2, 15 (add2), 16, 17, 18 (mmB0); mmC0 (19) reads x only,
    # mmC1 (20) reads c1 of mmC0: neither descends from a barrier; mmB1 (21) from mmB0
    ops = _two_servers().arrays
    assert barrier_ops(ops).tolist() == [0, 2, 15, 16, 17, 18]
    anc = ancestor_barriers(ops).tolist()
    assert anc[1] == -1 and anc[3:15] == [-1] * 12  # mmD0 and the PIM chain read inputs only
    assert anc[15:] == [15, 16, 17, 18, -1, -1, 18]


def test_a_first_use_that_does_not_descend_from_the_barrier_keeps_the_dead_room_closed():
    # review-1 finding 1 on hbm-pim: the GPU runs mmC0 and mmC1 while the PIM chain runs,
    # before mmA1 and mmD1 (their inputs wait on the PIM), so WA, WD and WC are live at once:
    # 3 x 18,874,368 B = 56.6 MB > 50 MB. WC may not take WA's or WD's room: it streams at
    # both its uses. WB (first used by mmB0, which descends from mmD1) takes their room.
    from cimsim import bundled, load_architecture

    W, x = 3072 * 3072 * 2, 64 * 3072 * 2
    r = simulate(load_architecture(bundled.resolve_config("hbm-pim")), _two_servers())
    ot = r.op_table.set_index("op")
    start, end = ot["start_s"], ot["end_s"]
    assert end["mmC1"] <= start["mmA1"]  # the schedule the rule must allow for
    gpu = ["mmA0", "mmD0", "add1", "add2", "mmA1", "mmD1", "mmB0", "mmC0", "mmC1", "mmB1"]
    assert ot.loc[gpu, "dram_bytes"].tolist() == [x + W, W, 0, 0, 0, 0, W, W, W, 0]
    # (r12, room given back at the barrier listed before mmC0: mmC1 read WC from L2, so the
    # GPU's DRAM bytes were x + 4 W = 75.9 MB, below what any schedule can reach)
    assert ot.loc[gpu, "dram_bytes"].sum() == x + 5 * W == 94_765_056


def test_room_given_back_at_one_op_is_not_room_at_a_later_listed_op_outside_its_barrier():
    # SRAM 1.5 MiB; WA (512 x 512 fp32, 1 MiB) read by mmA0 .. mmA4; WC (2 MiB, fits nowhere)
    # by mmC0, mmC1, which descend from a2 (barriers after WA's uses: WA is dead there);
    # WB (1 MiB) by mmB0 (reads x only), mmB1, mmB2, mmB3. WA is not dead at mmB0 nor mmB1:
    # they descend from no barrier and may run beside mmA0, so WB (0.5 MiB left) streams at
    # both. mmB2 reads j = b2 + c2, which descends from the barrier mmC1: WB takes WA's room
    # there (its third cold read) and mmB3 reads it from the SRAM. (WA's five reads save more
    # than WB's four, so the reuse-aware choice keeps this program-order placement.)
    k = 512
    t = [Tensor("x", (1, k), "fp32", "input"), Tensor("WA", (k, k), "fp32", "weight"),
         Tensor("WB", (k, k), "fp32", "weight"), Tensor("WC", (k, 2 * k), "fp32", "weight")]
    t += [Tensor(n, (1, 2 * k if n == "c1" else k), "fp32", "activation")
          for n in ("a1", "a2", "a3", "a4", "a5", "c1", "c2", "b1", "b2", "j", "b3", "b4")]

    def mm(name, a, w, out, kk=k, n=k):
        return Op(name, "matmul", (a, w), (out,), m=1, k=kk, n=n, weight=w)
    ops = [mm("mmA0", "x", "WA", "a1"),
           *[mm(f"mmA{i}", f"a{i}", "WA", f"a{i + 1}") for i in range(1, 5)],
           mm("mmC0", "a5", "WC", "c1", n=2 * k), mm("mmC1", "c1", "WC", "c2", kk=2 * k),
           mm("mmB0", "x", "WB", "b1"), mm("mmB1", "b1", "WB", "b2"),
           Op("join", "elementwise", ("b2", "c2"), ("j",), fn="add"),
           mm("mmB2", "j", "WB", "b3"), mm("mmB3", "b3", "WB", "b4")]
    tr = _traffic(Workload("not-pooled", t, ops), [1.5 * MiB, 16 * 2**30])
    # mmB0, mmB1, join, mmB2, mmB3 (x at mmB0 is an activation by then: rule 3)
    assert tr.bytes["dram"].tolist()[7:] == [MiB, MiB, 0.0, MiB, 0.0]
    # (with the room pooled, or given back at the barrier merely listed before mmB0 (mmC1),
    # WB stayed from mmB0 on: [MiB, 0, 0, 0, 0])
    assert tr.resident == {"sram": 2 * MiB} and tr.returned_bytes == 0.5 * MiB


# ------------------------------------- rule 1: inclusive levels, reuse-aware choice (find-N 1, 2)
def test_inclusive_levels_do_not_add_their_capacities_for_weights():
    # find-N 2: l2 = l3 = 1.5 MiB; A and B (512 x 512 fp32, 1 MiB each) are read A B A B. A
    # placed in l2 also takes 1 MiB of l3 (inclusion): 0.5 MiB is left for B, which streams at
    # both reads. DRAM: x (2 KiB) + A once + B twice. (Exclusive levels put B in l3: A + B.)
    import numpy as np

    from cimsim.hw.hierarchy import hierarchy_traffic

    ops = _matmuls([("A", 512), ("B", 512)] * 2).arrays
    t = hierarchy_traffic(ops, np.arange(4), ["l2", "l3", "dram"], [1.5 * MiB, 1.5 * MiB, 2**34],
                          [0.0] * 3)
    assert t.bytes["dram"].sum() == 512 * 4 + 3 * MiB
    assert t.resident == {"l2": MiB, "l3": 0.0}
    assert t.bytes["l3"].sum() == 512 * 4 + 3 * MiB  # what l2 misses passes l3
    # weights on chip: two 1 MiB matrices read once do not fit 1.5 MiB of l3 behind l2
    once = _matmuls([("A", 512), ("B", 512)]).arrays
    caps = [1.5 * MiB, 1.5 * MiB, 2**34]
    assert hierarchy_traffic(once, np.arange(2), ["l2", "l3", "dram"], caps, [0.0] * 3).all_fit is False
    caps[1] = 2 * MiB
    assert hierarchy_traffic(once, np.arange(2), ["l2", "l3", "dram"], caps, [0.0] * 3).all_fit is True


def test_a_matrix_read_twenty_times_keeps_its_room_over_a_larger_one_read_twice():
    # find-N 1: big (512 x 1024 fp32, 2 MiB) read first and last, small (1 MiB) read 20 times
    # between, on 2.5 MiB: in program order big took the room and small streamed 20 times
    # (2 + 20 MiB); reuse-aware, small stays (saves 19 MiB) and big streams twice: 2 x 2 + 1 MiB
    wl = _matmuls([("big", 1024)] + [("small", 512)] * 20 + [("big", 1024)])
    t = _traffic(wl, [2.5 * MiB, 16 * 2**30])
    assert t.bytes["dram"].sum() == 512 * 4 + 5 * MiB
    assert t.resident == {"sram": MiB}


def _shared() -> Workload:
    """find-N's model without the tracer: big (1600 x 1600 fp32, 10.24 MB) at the first and
    last op, a (1600 x 1400, 8.96 MB), small (1400 x 1400, 7.84 MB) 20 times, b (1400 x 1600)."""
    shapes = {"big": (1600, 1600), "a": (1600, 1400), "small": (1400, 1400), "b": (1400, 1600)}
    t = [Tensor("x", (1, 1600), "fp32", "input")]
    t += [Tensor(w, s, "fp32", "weight") for w, s in shapes.items()]
    order = ["big", "a", *["small"] * 20, "b", "big"]
    ops, prev = [], "x"
    for i, w in enumerate(order):
        k, n = shapes[w]
        t.append(Tensor(f"y{i}", (1, n), "fp32", "activation"))
        ops.append(Op(f"mm{i}", "matmul", (prev, w), (f"y{i}",), m=1, k=k, n=n, weight=w))
        prev = f"y{i}"
    return Workload("shared", t, ops)


def test_more_cache_never_makes_the_shared_weight_model_slower():
    # find-N 1 on cpu-ddr5, L3 4 .. 40 MB by 2 MB: DRAM bytes and latency never rise. Closed
    # form (x: 6,400 B): below 7.84 MB nothing stays: 2 x 10.24 + 2 x 8.96 + 20 x 7.84 MB;
    # from 7.84 MB small stays: 2 x 10.24 + 2 x 8.96 + 7.84 MB (was 2 x 8.96 + 10.24 +
    # 20 x 7.84 = 184.96 MB at 10.3 - 18 MB, big first); from 18.08 MB both: 10.24 + 2 x 8.96
    # + 7.84 MB
    from cimsim import bundled, load_architecture

    wl, path = _shared(), bundled.resolve_config("cpu-ddr5")
    dram, lat = [], []
    for c in range(4, 41, 2):
        r = simulate(load_architecture(path, overrides={"memory.sram.capacity": f"{c} MB"}), wl)
        dram.append(r.traffic_bytes["dram"])
        lat.append(r.latency_s)
    assert all(b <= a for a, b in zip(dram, dram[1:]))
    assert all(b <= a * (1 + 1e-12) for a, b in zip(lat, lat[1:]))
    x = 6_400
    assert dram[0] == x + 2 * 10_240_000 + 2 * 8_960_000 + 20 * 7_840_000  # 4 MB
    assert dram[4:7] == [x + 2 * 10_240_000 + 2 * 8_960_000 + 7_840_000] * 3  # 12, 14, 16 MB
    assert dram[-1] == x + 10_240_000 + 2 * 8_960_000 + 7_840_000  # 40 MB


def test_a_larger_l2_never_makes_the_shared_weight_model_slower():
    # review15-4 #2: find-N 1 one level in. cpu-ddr5 with an L2 (4 TB/s) inside its L3, fixed
    # at 18.2 MB; the L2 swept 6 .. 18 MB by 1 MB, and 10.2, 10.3 and 18.2 MB. Closed form of
    # the bytes read past the L2 (x: 6,400 B): below 7.84 MB small and big both stay in the L3
    # (18.2 >= 18.08 MB): 2 x 10.24 + 2 x 8.96 + 20 x 7.84 MB; from 7.84 MB small stays in the
    # L2 and big in the L3 (18.2 - 7.84 = 10.36 >= 10.24 MB): 2 x 10.24 + 2 x 8.96 + 7.84 MB
    # (program order put big in the L2 from 10.24 MB and small in the L3: 184.97 MB, 265.4 ->
    # 369.4 us at 10.2 -> 10.3 MB); from 18.08 MB both in the L2: 10.24 + 2 x 8.96 + 7.84 MB.
    # The DRAM holds big's first read and the rest: 10.24 + 2 x 8.96 + 7.84 MB throughout.
    import yaml

    from cimsim import bundled

    with open(bundled.resolve_config("cpu-ddr5")) as f:
        d = yaml.safe_load(f)
    d["memory"]["sram"]["capacity"] = "18.2 MB"
    l2 = {"technology": "on-chip SRAM", "bandwidth": "4 TB/s", "energy_per_byte": "5 pJ/B"}
    sizes = [*range(6, 19), 10.2, 10.3, 18.2]
    past, dram, lat = {}, {}, {}
    for c in sorted(sizes):
        d["memory"] = {"l2": {**l2, "capacity": f"{c} MB"},
                       **{k: v for k, v in d["memory"].items() if k != "l2"}}
        r = simulate(architecture_from_dict(d), _shared())
        past[c], dram[c], lat[c] = r.traffic_bytes["sram"], r.traffic_bytes["dram"], r.latency_s
    x, big, ab, small = 6_400, 10_240_000, 2 * 8_960_000, 7_840_000
    assert past == {c: x + (2 * big + ab + 20 * small if c < 7.84 else
                            2 * big + ab + small if c < 18.08 else big + ab + small)
                    for c in sizes}
    assert set(dram.values()) == {x + big + ab + small}
    t = [lat[c] for c in sorted(sizes)]
    assert all(b <= a * (1 + 1e-12) for a, b in zip(t, t[1:]))
