"""Communication over a link topology (hw/collective.py) and pipeline parallelism (workload/llm.py).

Goldens are the closed forms of the collective module's table written out by hand: S the whole
tensor, B the link's bandwidth (100 GB/s here), alpha its latency (1 us), p devices.
"""

from __future__ import annotations

import copy

import pytest
import yaml

from cimsim import simulate
from cimsim.config import architecture_from_dict
from cimsim.errors import ConfigError, MappingError
from cimsim.workload import Op, Tensor, Workload
from cimsim.workload.llm import LLMModel, llm_serving

from conftest import ROUND_ARCH

B, ALPHA = 100e9, 1e-6
S = 2 ** 20  # 1 MiB: 262144 fp32 elements
TINY = LLMModel(layers=2, hidden=32, heads=8, kv_heads=2, ffn=48, vocab=20, head_dim=4, gated=True)


def _arch(devices: int, topology: str, dram: str = "1 TB/s", **collective):
    """ROUND_ARCH with a group of ``devices`` over a 100 GB/s link. Its DRAM at 1 TB/s (an HBM's
    rate, not ROUND_ARCH's 10 GB/s): a collective reads its input and writes its output there
    (find-E 4), 2 MiB here in about 2 us, so the link's time is the op's."""
    d = copy.deepcopy(ROUND_ARCH)
    d["memory"]["dram"]["bandwidth"] = dram
    d["links"] = {"nvlink": {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}}
    d["collective"] = {"devices": devices, "topology": topology, **collective}
    return architecture_from_dict(d)


def _one(kind: str, devices: int = 1) -> Workload:
    """One op over a tensor of S bytes (an all-gather's output: its input is one of the
    ``devices`` shards)."""
    n = S // 4
    x = n // devices if kind == "allgather" else n
    return Workload(kind, [Tensor("x", (x,), "fp32", "input"), Tensor("y", (n,), "fp32", "activation")],
                    [Op(kind, kind, ("x",), ("y",))])


@pytest.mark.parametrize("devices, topology, extra, kind, moved, steps", [
    # ring, p = 4: all-reduce 2 (3/4) S in 2 (p-1) = 6 steps; all-gather 3/4 S in 3; send 1 hop
    (4, "ring", {}, "allreduce", 1.5 * S, 6),
    (4, "ring", {}, "allgather", 0.75 * S, 3),
    (4, "ring", {}, "sendrecv", S, 1),
    # switch, p = 4: the same bytes, one step per phase
    (4, "switch", {}, "allreduce", 1.5 * S, 2),
    (4, "switch", {}, "allgather", 0.75 * S, 1),
    (4, "switch", {}, "sendrecv", S, 1),
    # mesh 2 x 4 (p = 8): 2 ((2-1)/2 + (4-1)/8) S = 2 x 7/8 S = 1.75 S in 2 (1 + 3) = 8 steps
    # (the ring would take 2 (8-1) = 14)
    (8, "mesh", {"mesh": [2, 4]}, "allreduce", 1.75 * S, 8),
    (8, "mesh", {"mesh": [2, 4]}, "allgather", 0.875 * S, 4),
    (8, "ring", {}, "allreduce", 1.75 * S, 14),
    (8, "mesh", {"mesh": [2, 4]}, "sendrecv", S, 1),
    # mesh2d (no wraparound, find-C2 6), 4 x 4 (p = 16): each row and column a line of 4 run
    # both ways, a phase (n-1)/n S/B + (n-1) alpha as on a ring (the end link carries n - 1
    # shards one way, the farthest arrives after n - 1 hops): 2 (3/4 + 3/16) S = 1.875 S in
    # 2 (3 + 3) = 12 steps, the torus's
    (16, "mesh2d", {"mesh": [4, 4]}, "allreduce", 1.875 * S, 12),
    (16, "mesh2d", {"mesh": [4, 4]}, "allgather", 0.9375 * S, 6),
    (8, "mesh2d", {"mesh": [2, 4]}, "allreduce", 1.75 * S, 8),
    (8, "mesh2d", {"mesh": [2, 4]}, "sendrecv", S, 1),
])
def test_collective_costs_are_the_closed_forms(devices, topology, extra, kind, moved, steps):
    r = simulate(_arch(devices, topology, **extra), _one(kind, devices))
    assert r.traffic_bytes["nvlink"] == moved
    assert r.latency_s == pytest.approx(moved / B + steps * ALPHA, rel=1e-12, abs=0)
    assert r.ops_per_unit == {"processor": 0, "collective": 1}
    assert r.utilization["collective_busy"] == 1.0  # its one op is the whole run


def test_collective_busy_is_the_share_of_the_run_an_op_is_in_flight():
    """An elementwise processor op on 1 MiB (ROUND_ARCH: DRAM 10 GB/s + 100 ns, no compute to
    speak of), then a ring all-reduce of 4 on 1 MiB: 1.5 S / B + 6 alpha. The collective's busy
    share is its op's time over the latency, as processor_busy is the processor's."""
    n = S // 4
    w = Workload("relu-then-allreduce",
                 [Tensor("x", (n,), "fp32", "input"), Tensor("h", (n,), "fp32", "activation"),
                  Tensor("y", (n,), "fp32", "activation")],
                 [Op("act", "elementwise", ("x",), ("h",), fn="relu"), Op("ar", "allreduce", ("h",), ("y",))])
    r = simulate(_arch(4, "ring"), w)
    t_ar = 1.5 * S / B + 6 * ALPHA
    assert r.ops_per_unit == {"processor": 1, "collective": 1}
    assert r.utilization["collective_busy"] == pytest.approx(t_ar / r.latency_s, rel=1e-12, abs=0)
    assert r.utilization["processor_busy"] == pytest.approx(1 - t_ar / r.latency_s, rel=1e-12, abs=0)


@pytest.mark.parametrize("extra, msg", [
    ({"topology": "mesh"}, "topology: mesh needs mesh"),
    ({"topology": "mesh", "mesh": [2, 3]}, "mesh \\[2, 3\\] has 6 devices, devices is 4"),
    ({"topology": "ring", "mesh": [2, 2]}, "mesh goes with topology: mesh"),
    ({"topology": "mesh2d"}, "topology: mesh2d needs mesh"),
    ({"topology": "mesh2d", "mesh": [4, 2, 1]}, "topology: mesh2d needs mesh: \\[a, b\\]"),
    ({"topology": "torus"}, "topology"),
])
def test_bad_topology_is_a_config_error(extra, msg):
    d = copy.deepcopy(ROUND_ARCH)
    d["links"] = {"nvlink": {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}}
    d["collective"] = {"devices": 4, **extra}
    with pytest.raises(ConfigError, match=msg):
        architecture_from_dict(d)


# --------------------------------------------------------------------------- pipeline parallelism
def test_pipeline_stages_send_the_hidden_state_and_the_tokens():
    kw = dict(prompt=4, decode=2, batch=2, dtype="fp32")
    pp = llm_serving(TINY, **kw, pipeline_parallel=2)
    one = llm_serving(TINY, **kw)
    assert pp.macs == one.macs  # the same model, cut in two
    sends = [op for op in pp.ops if op.kind == "sendrecv"]
    # per iteration (a prefill, 2 decode steps): the hidden state at layer 1 and the tokens back
    assert len(sends) == 3 * 2
    assert {op.tags["stage"] for op in pp.ops if "layer" in op.tags} == {0, 1}
    assert all(op.tags["stage"] == op.tags["layer"] for op in pp.ops if "layer" in op.tags)
    r = simulate(_arch(2, "ring"), pp)
    # prefill: 8 rows x 32 x 4 B = 1024 B + 2 ids x 4 B = 8 B; each decode step: 2 x 32 x 4 + 8
    assert r.traffic_bytes["nvlink"] == 1032 + 2 * 264
    # the pipeline's latency is one device's plus each send: S/B + alpha
    base = simulate(_arch(2, "ring"), one)
    assert r.latency_s == pytest.approx(base.latency_s + 1560 / B + 6 * ALPHA, rel=1e-9, abs=0)


def test_each_pipeline_stage_keeps_its_weights_in_its_own_devices_memory():
    """Two layers of 640 KiB of weights each (attention 4 x 128 x 128 x 4 B, a gated FFN 3 x 128
    x 256 x 4 B): one device's 1 MiB SRAM holds one layer, so a one-device run streams the other
    from DRAM at every step; with --pipeline-parallel 2 each stage is a device with an SRAM of
    its own and holds its layer. Residency was decided over all stages' weights against one
    SRAM (the 4-stage case of a new user: 55 MB of 105 MB streamed where every stage fit)."""
    model = LLMModel(layers=2, hidden=128, heads=8, kv_heads=8, ffn=256, vocab=20, head_dim=16, gated=True)
    kw = dict(prompt=4, decode=3, batch=1, dtype="fp32")
    layer = 4 * 128 * 128 * 4 + 3 * 128 * 256 * 4
    assert layer == 640 * 1024 and 2 * layer > 2 ** 20 > layer
    one = simulate(_arch(2, "ring"), llm_serving(model, **kw))
    pp = simulate(_arch(2, "ring"), llm_serving(model, **kw, pipeline_parallel=2))
    assert one.facts["processor_weights_on_chip"] is False
    assert pp.facts["processor_weights_on_chip"] is True
    [note] = [n for n in pp.notes if n.startswith("processor weights")]
    assert "on each of 2 pipeline stages' devices; in all): " in note
    assert note.endswith("0 B read from dram at every use"), note
    assert pp.traffic_bytes["dram"] < one.traffic_bytes["dram"]


def test_pipeline_and_tensor_parallel_together():
    w = llm_serving(TINY, prompt=4, decode=2, batch=2, tensor_parallel=2, pipeline_parallel=2)
    kinds = [op.kind for op in w.ops]
    # all-reduces: 2 per layer and 1 on the tokens, per iteration: 3 x (2 x 2 + 1) = 15
    assert kinds.count("allreduce") == 15 and kinds.count("sendrecv") == 6


def test_pipeline_must_divide_the_layers():
    from cimsim.errors import WorkloadError

    with pytest.raises(WorkloadError, match="pipeline_parallel=3 must divide layers=2"):
        llm_serving(TINY, prompt=4, decode=1, pipeline_parallel=3)


# --------------------------------------------------------------------------- systems in one config
def _bundled(name: str) -> dict:
    from cimsim.bundled import resolve_config
    from cimsim.config import read_yaml

    return read_yaml(resolve_config(name))  # cimsim's YAML: `endurance: 1e15` is a number


def test_a_4_gpu_gpt3_layer_is_one_config():
    """One GPT-3 175B layer (d = 12288, 96 heads, FFN 4d) prefilled over batch 8 x 2048 tokens on
    each of 4 H100s (tensor parallel): each all-reduce sums 8 x 2048 x 12288 fp16 = 402,653,184 B
    (LLMCompass's 402.7 MB all-reduce), a ring moving 2 x 3/4 of it per device."""
    gpt3 = LLMModel(layers=1, hidden=12288, heads=96, kv_heads=96, ffn=49152, vocab=50257,
                    head_dim=128, gated=False)
    d = _bundled("gpu-hbm3")
    d["links"] = {"nvlink": {"bandwidth": "300 GB/s", "latency": "2 us", "energy_per_bit": "1 pJ/bit"}}
    d["collective"] = {"devices": 4, "topology": "ring"}
    w = llm_serving(gpt3, prompt=2048, decode=0, batch=8, tensor_parallel=4, dtype="fp16")
    r = simulate(architecture_from_dict(d), w, keep_ops=False)
    S = 8 * 2048 * 12288 * 2
    # two layer all-reduces of S, and the sampled tokens (8 fp16 values): 1.5 x each
    assert r.traffic_bytes["nvlink"] == 1.5 * (2 * S + 8 * 2)
    ring = 1.5 * S / 300e9 + 6 * 2e-6  # 2.013 ms + 12 us for each layer all-reduce
    assert r.latency_s > 2 * ring


def test_gpu_pim_cim_and_a_collective_in_one_config():
    d = _bundled("gpu-hbm-pim-attn")  # H100 + HBM-PIM with attention on PIM
    cim = _bundled("sram-cim")
    d["cim"], d["links"] = cim["cim"], dict(cim["links"])  # + SRAM CIM macros over their NoC
    d["links"]["nvlink"] = {"bandwidth": "450 GB/s", "latency": "2 us", "energy_per_bit": "1.3 pJ/bit"}
    d["cim"]["link"] = "interconnect"
    d["collective"] = {"devices": 2, "link": "nvlink", "topology": "switch"}
    m = LLMModel(layers=2, hidden=256, heads=8, kv_heads=2, ffn=512, vocab=1000, head_dim=32, gated=True)
    w = llm_serving(m, prompt=16, decode=4, batch=2, tensor_parallel=2)
    r = simulate(architecture_from_dict(d), w, keep_ops=False)
    # every component runs something: decode attention on PIM, weight matmuls on CIM, all-reduces
    # on the collective, the rest on the GPU
    assert all(r.ops_per_unit[u] > 0 for u in ("processor", "pim", "cim", "collective"))
    assert r.ops_per_unit["collective"] == sum(op.kind == "allreduce" for op in w.ops)


def test_a_list_field_takes_a_flow_list_from_set(tmp_path):
    # --set collective.mesh=[2,2] on the command line: a YAML flow list, not the text "[2,2]"
    from cimsim.config import load_architecture

    d = copy.deepcopy(ROUND_ARCH)
    d["links"] = {"nvlink": {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}}
    d["collective"] = {"devices": 4, "topology": "ring"}
    path = tmp_path / "four.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    arch = load_architecture(path, {"collective.topology": "mesh", "collective.mesh": "[2, 2]"},
                             cli=True)
    assert arch.components["collective"].mesh == [2, 2]
    with pytest.raises(ConfigError, match=r"--set collective.mesh=2x2: this field is a list"):
        load_architecture(path, {"collective.topology": "mesh", "collective.mesh": "2x2"},
                          cli=True)


# --------------------------------------------------------------------------- tokens/J of N devices
def test_tensor_parallel_tokens_per_joule_counts_every_device(tmp_path):
    """A tensor-parallel workload is one of N devices' shares; all N run at once for the batch's
    tokens, so tokens/J = tokens / (N x one device's energy) (was: one device's energy, N x too
    high, so 4 GPUs looked 2-3x as efficient as one)."""
    from click.testing import CliRunner

    from cimsim.cli import main
    from cimsim.report import columns as C

    # batch 2, prompt 4, 3 decode steps: 2 x (1 + 3) = 8 tokens
    w = llm_serving(TINY, prompt=4, decode=3, batch=2, tensor_parallel=4, dtype="fp32")
    r = simulate(_arch(4, "ring"), w)
    assert r.serving[C.TOKENS_PER_J] == pytest.approx(8 / (4 * r.energy_j), rel=1e-12, abs=0)
    assert r.serving[C.TOKENS_PER_S] == pytest.approx(8 / r.latency_s, rel=1e-12, abs=0)
    assert r.serving[C.LLM_BATCH] == 2  # the whole batch, not one device's share of it
    assert any("tokens/J counts the energy of all 4 devices" in n for n in r.notes)
    # with pipeline stages too: p x tp devices; the pipeline's energy (test_pipeline) times tp
    wp = llm_serving(TINY, prompt=4, decode=3, batch=2, tensor_parallel=2, pipeline_parallel=2,
                     dtype="fp32")
    rp = simulate(_arch(2, "ring"), wp)
    static = rp.energy_breakdown_j["static"]
    lat = 1 / rp.serving[C.TOKENS_PER_S] * 8  # the pipeline's latency (8 tokens)
    energy = 2 * ((rp.energy_j - static) + 2 * static / rp.latency_s * lat)
    assert rp.serving[C.TOKENS_PER_J] == pytest.approx(8 / energy, rel=1e-9, abs=0)
    # the CLI prints the same number
    cfg = tmp_path / "tp4.yaml"
    d = copy.deepcopy(ROUND_ARCH)
    d["links"] = {"nvlink": {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}}
    d["collective"] = {"devices": 4, "topology": "ring"}
    cfg.write_text(yaml.safe_dump(d, sort_keys=False))
    wf = tmp_path / "tp4.npz"
    res = CliRunner().invoke(main, ["workload", "llm", "--layers", "2", "--hidden", "32", "--heads", "8",
                                    "--kv-heads", "2", "--ffn", "48", "--vocab", "20", "--head-dim", "4",
                                    "--prompt", "4", "--decode", "3", "--batch", "2",
                                    "--tensor-parallel", "4", "--dtype", "fp32", "-o", str(wf)])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["run", str(cfg), str(wf), "--json"])
    assert res.exit_code == 0, res.output
    import json
    out = json.loads(res.output)
    assert out[C.TOKENS_PER_J] == pytest.approx(8 / (4 * out["energy_j"]), rel=1e-9, abs=0)


# --------------------------------------------------------------------------- devices against the stages
@pytest.mark.parametrize("devices", [1, 4])
def test_a_pipeline_only_run_needs_one_device_per_stage(devices):
    # before: any devices ran (a send is one hop whatever the group), so a 2-stage workload on
    # a "4-device" collective gave numbers for a machine the config does not describe
    from cimsim.errors import MappingError

    w = llm_serving(TINY, prompt=4, decode=1, batch=2, pipeline_parallel=2, dtype="fp32")
    with pytest.raises(MappingError, match=rf"collective.devices is {devices}, but the workload is "
                                           r"pipeline parallel over 2 stages \(params.pipeline_parallel, "
                                           r"one device each, no tensor parallelism\): set "
                                           rf"collective.devices=2, or generate the workload with "
                                           rf"--pipeline-parallel {devices}"):
        simulate(_arch(devices, "ring"), w)
    assert simulate(_arch(2, "ring"), w).latency_s > 0  # the stage count runs


def test_with_tensor_parallelism_the_group_is_the_tensor_parallel_one():
    # tp 2 x pp 2: devices is the tensor-parallel group (2), whatever the stage count
    from cimsim.errors import MappingError

    w = llm_serving(TINY, prompt=4, decode=1, batch=2, tensor_parallel=2, pipeline_parallel=2,
                    dtype="fp32")
    assert simulate(_arch(2, "ring"), w).latency_s > 0
    with pytest.raises(MappingError, match=r"collective.devices is 4, but the workload is one "
                                           r"device's share of tensor parallelism 2"):
        simulate(_arch(4, "ring"), w)


def test_compare_marks_a_one_device_share_and_the_pipeline_note_counts_every_device(tmp_path):
    """compare's main table showed a tensor- or pipeline-parallel run's one-device latency and
    energy beside whole runs, unmarked: such rows are marked (1d), with a footnote; the
    pipeline note said "2 devices" of a 2-stage x 2-way tensor-parallel run of 4."""
    from click.testing import CliRunner

    from cimsim.cli import main
    from cimsim.workload import save_workload

    d = copy.deepcopy(ROUND_ARCH)
    d["links"] = {"nvlink": {"bandwidth": "100 GB/s", "latency": "1 us", "energy_per_bit": "1 pJ/bit"}}
    d["collective"] = {"devices": 2}
    cfg = tmp_path / "tp2.yaml"
    cfg.write_text(yaml.safe_dump(d, sort_keys=False))
    kw = dict(prompt=4, decode=2, batch=2, dtype="fp32")
    wl = tmp_path / "tp2pp2.npz"
    save_workload(llm_serving(TINY, **kw, tensor_parallel=2, pipeline_parallel=2), wl)
    one = tmp_path / "one.npz"
    save_workload(llm_serving(TINY, **kw), one)
    csv = tmp_path / "c.csv"
    res = CliRunner(env={"COLUMNS": "250"}).invoke(main, ["compare", str(cfg), "-w", str(wl), "-w",
                                                          str(one), "-o", str(csv)])
    assert res.exit_code == 0, res.output
    import pandas as pd

    # the CSV says it too: the tables' (1d) mark had no column
    assert pd.read_csv(csv)["one_device_share"].tolist() == [True, False]
    rows = [ln for ln in res.output.splitlines() if "round" in ln and "│" in ln]
    # the main table's row of the share; its serving-table row gives the group's figures: unmarked
    assert sum("(1d)" in ln for ln in rows) == 1 and len(rows) == 4
    assert "(1d) tensor- or pipeline-parallel run: latency and energy are one device's share" in res.output
    r = simulate(architecture_from_dict(d), llm_serving(TINY, **kw, tensor_parallel=2, pipeline_parallel=2))
    assert any(n.startswith("pipeline parallel: 2 stages of 2 devices each (4 devices), 1 micro-batch")
               for n in r.notes), r.notes


def test_collective_sizes_must_agree_with_their_kind_and_group():
    """A hand-written all-gather whose output was its input's size ran, costed as a whole
    tensor of the input's size; an all-reduce or send/recv of another output size ran silently
    (a tester, 2026-12-05). The workload check holds the kind's rule, the collective the group's."""
    from cimsim.errors import MappingError, WorkloadError

    n = S // 4

    def one(kind, x, y):
        return Workload(kind, [Tensor("x", (x,), "fp32", "input"), Tensor("y", (y,), "fp32", "activation")],
                        [Op("c", kind, ("x",), ("y",))])

    for kind in ("allreduce", "sendrecv"):
        with pytest.raises(WorkloadError, match=rf"op 'c' \(#0\) \({kind}\) reads {n} elements and "
                                                rf"outputs 16; its output elements must be its input's"):
            one(kind, n, 16).arrays
    with pytest.raises(WorkloadError, match="must be a whole multiple of its input's"):
        one("allgather", n, n // 4).arrays
    with pytest.raises(MappingError, match=rf"an all-gather of 'x' outputs {S} B from a {S} B "
                                           r"shard, not collective.devices = 4 shards"):
        simulate(_arch(4, "ring"), one("allgather", n, n))


def _int8_allreduce() -> Workload:
    n = 2 ** 20  # int8 partial sums: 1 MiB at 1 B an element
    return Workload("ar8", [Tensor("x", (n,), "int8", "input"), Tensor("y", (n,), "int8", "activation")],
                    [Op("allreduce", "allreduce", ("x",), ("y",))])


@pytest.mark.parametrize("bits, moved", [
    # find-B 3: ring of 4 moves 2 (3/4) x S; S = 2^20 elements x (bits / 8) B
    (None, 1.5 * 2 ** 20),  # the tensor's own int8: a lower bound, and the run says so
    (16, 1.5 * 2 ** 20 * 2),  # dequantised to fp16 / bf16 first (SmoothQuant, TensorRT-LLM)
    (32, 1.5 * 2 ** 20 * 4),  # raw int32 accumulators
])
def test_integer_all_reduces_move_at_partial_sum_bits(bits, moved):
    extra = {} if bits is None else {"partial_sum_bits": bits}
    r = simulate(_arch(4, "ring", **extra), _int8_allreduce())
    assert r.traffic_bytes["nvlink"] == moved
    assert r.latency_s == pytest.approx(moved / B + 6 * ALPHA, rel=1e-12, abs=0)
    said = [n for n in r.notes if "set collective.partial_sum_bits" in n]
    assert len(said) == (1 if bits is None else 0)
    # a float all-reduce keeps its dtype whatever partial_sum_bits says
    assert simulate(_arch(4, "ring", **extra), _one("allreduce")).traffic_bytes["nvlink"] == 1.5 * S


def _made_allreduces(bits_of_sum="int8") -> Workload:
    """x (int8 [4, 256]) @ W (256 x 256) -> p (int8 [4, 256]), all-reduced; ids = argmax-style
    reduction of p (int8 [1, 1]), all-reduced too (the LLM's sampled token ids)."""
    t = [Tensor("x", (4, 256), "int8", "input"), Tensor("W", (256, 256), "int8", "weight"),
         Tensor("p", (4, 256), bits_of_sum, "activation"),
         Tensor("s", (4, 256), bits_of_sum, "activation"),
         Tensor("ids", (1, 1), "int8", "activation"), Tensor("ids_s", (1, 1), "int8", "activation")]
    return Workload("ar-ids", t, [
        Op("mm", "matmul", ("x", "W"), ("p",), m=4, k=256, n=256, weight="W"),
        Op("ar", "allreduce", ("p",), ("s",)),
        Op("sample", "reduction", ("s",), ("ids",)),
        Op("ar_ids", "allreduce", ("ids",), ("ids_s",))])


def test_token_id_all_reduces_are_not_partial_sums():
    """review B 6: the partial sums' all-reduce (a matmul's output, 1,024 int8 elements) is
    counted and widened; the token ids' (a reduction's output, 1 element) is neither. Ring of 4:
    2 (3/4) = 1.5 x S: 16 bits: 1.5 x (1,024 x 2 + 1) = 3,073.5 B (not 3,075); none: the note
    counts 1 all-reduce (not 2)."""
    r = simulate(_arch(4, "ring", partial_sum_bits=16), _made_allreduces())
    assert r.traffic_bytes["nvlink"] == 1.5 * (1024 * 2 + 1)
    r = simulate(_arch(4, "ring"), _made_allreduces())
    assert r.traffic_bytes["nvlink"] == 1.5 * (1024 + 1)
    assert any(n.startswith("collective: 1 all-reduce(s) of int8 partial sums") for n in r.notes)


def test_partial_sum_bits_below_the_tensor_width_is_refused():
    """review B 5: 4 bits for int8 partial sums would halve the traffic under the lower bound."""
    with pytest.raises(MappingError, match=r"collective.partial_sum_bits: 4 is below the int8 "
                                           r"partial sums' own 8 bits \(a sum is never narrower than its "
                                           r"terms\); allowed: at least 8"):
        simulate(_arch(4, "ring", partial_sum_bits=4), _int8_allreduce())
    assert simulate(_arch(4, "ring", partial_sum_bits=8),
                    _int8_allreduce()).traffic_bytes["nvlink"] == 1.5 * 2 ** 20


# --------------------------------------------------------------- the devices' memory (find-E 4)
@pytest.mark.parametrize("kind", ["sendrecv", "allreduce", "allgather"])
def test_a_collective_reads_its_input_and_writes_its_output_in_memory(kind):
    """GPUDirect RDMA's NIC reads the sent tensor from the sender's DRAM and writes it into the
    receiver's; NCCL's kernels read an all-reduce's input and write its output there. Before, a
    collective charged no memory level (a `copy` of the same tensor did: 2 S). ROUND_ARCH's 1 MiB
    SRAM holds neither S + S nor S/4 + S, so the output goes to DRAM (hierarchy rule 2) and the
    input, a model input, is read from there (rule 3); both pass the SRAM (rule 4)."""
    r = simulate(_arch(4, "ring"), _one(kind, 4))
    x = S // 4 if kind == "allgather" else S  # an all-gather's input is one of 4 shards
    assert r.traffic_bytes["dram"] == x + S
    assert r.traffic_bytes["sram"] == x + S
    # energy: the DRAM's 10 pJ/bit, the SRAM's 1 pJ/B
    assert r.energy_breakdown_j["dram"] == pytest.approx((x + S) * 8 * 10e-12, rel=1e-12, abs=0)
    assert r.energy_breakdown_j["sram"] == pytest.approx((x + S) * 1e-12, rel=1e-12, abs=0)
    copy_ = Workload("copy", [Tensor("x", (x // 4,), "fp32", "input"), Tensor("y", (S // 4,), "fp32", "activation")],
                     [Op("c", "copy", ("x",), ("y",))])
    assert simulate(_arch(4, "ring"), copy_).traffic_bytes["dram"] == x + S  # as a copy's


def test_a_small_collective_keeps_its_output_in_the_sram():
    """1 KiB sent: input + output fit the 1 MiB SRAM, so the output is written there only; the
    input, a model input, is read from DRAM once (rules 2 and 3)."""
    n = 256
    w = Workload("small", [Tensor("x", (n,), "fp32", "input"), Tensor("y", (n,), "fp32", "activation")],
                 [Op("s", "sendrecv", ("x",), ("y",))])
    r = simulate(_arch(2, "ring"), w)
    assert r.traffic_bytes == {"sram": 2048.0, "dram": 1024.0, "nvlink": 1024.0}


def test_a_collective_on_a_slow_memory_is_bound_by_it():
    """ROUND_ARCH's own 10 GB/s DRAM is slower than the 100 GB/s link: a send of S takes the
    DRAM's time for its 2 S, 2 x 2^20 B / 10 GB/s = 209.7 us, plus the link's 1 us latency (the
    link alone: 10.5 us)."""
    r = simulate(_arch(2, "ring", dram="10 GB/s"), _one("sendrecv"))
    assert r.latency_s == pytest.approx(2 * S / 10e9 + ALPHA, rel=1e-12, abs=0)


def test_collective_levels_name_the_devices_memory():
    """`collective.levels: [dram]`: the send's 2 S go to DRAM only (no SRAM in the path); a name
    that is no memory level is refused, naming the field."""
    r = simulate(_arch(2, "ring", levels=["dram"]), _one("sendrecv"))
    assert r.traffic_bytes == {"sram": 0.0, "dram": 2.0 * S, "nvlink": float(S)}
    with pytest.raises(ConfigError, match="levels.*names no memory level \\['l3'\\]"):
        _arch(2, "ring", levels=["l3"])
