"""`cimsim workload llm --cuda-graph`: each decode step one kernel launch (a CUDA graph replay,
as vLLM and TensorRT-LLM run decode), the prefill eager (find-S 3)."""

from __future__ import annotations

import pytest

from cimsim import load_architecture, simulate
from cimsim.workload.llm import LLMModel, llm_serving

SMALL = LLMModel(layers=2, hidden=256, heads=4, kv_heads=4, ffn=1024, vocab=1000, head_dim=64, gated=True)


def test_a_graph_decode_step_pays_one_dispatch_and_one_latency():
    """With every dispatch and access latency at 0 the step is its data and compute time X; gpu-hbm3's graph step is X + 5 us (processor.op_overhead, once) + 500 ns
    (the HBM latency, once), where eager pays both for each of the step's 24 launches."""
    free = load_architecture("gpu-hbm3", {"processor.op_overhead": "0 s", "memory.dram.latency": "0 s"})
    gpu = load_architecture("gpu-hbm3")
    eager, graph = (llm_serving(SMALL, prompt=16, decode=3, attention_kernel="fused", cuda_graph=g)
                    for g in (False, True))
    x = simulate(free, eager).serving["tpot_s"]
    g, e = simulate(gpu, graph).serving, simulate(gpu, eager).serving
    assert g["tpot_s"] == pytest.approx(x + 5e-6 + 500e-9, rel=1e-9, abs=0)
    assert e["tpot_s"] > x + 20 * 5e-6  # eager: a dispatch a kernel
    assert g["ttft_s"] == pytest.approx(e["ttft_s"], rel=1e-12, abs=0)  # the prefill stays eager
    assert graph.metadata["params"]["cuda_graph"] is True and "cuda_graph" not in eager.metadata["params"]


def test_graph_tags_are_the_same_built_op_by_op_or_replicated():
    """Decode 6 replicates steps 3-5 from step 2 (llm_replicate): one launch a decode step
    either way, none shared with the prefill."""
    fast, slow = (llm_serving(SMALL, prompt=16, decode=6, batch=2, cuda_graph=True, replicate=r)
                  for r in (True, False))
    for w in (fast, slow):
        steps = {}
        for o in w.ops:
            if o.tags["phase"] == "decode":
                steps.setdefault(o.tags["step"], set()).add(o.tags["launch"])
        assert len(steps) == 6 and all(len(v) == 1 for v in steps.values())
        assert len({next(iter(v)) for v in steps.values()}) == 6
        prefill = {o.tags.get("launch") for o in w.ops if o.tags["phase"] == "prefill"}
        assert not prefill & set().union(*steps.values())
    assert [o.tags for o in fast.ops] == [o.tags for o in slow.ops]


ZERO = {"processor.op_overhead": "0 s", "memory.dram.latency": "0 s", "pim.op_overhead": "0 s"}


def _two_gpus(tmp_path, link_latency: str = "4 us"):
    """gpu-hbm3 and a second one over NVLink (450 GB/s, ``link_latency``): a collective of 2."""
    import yaml

    from cimsim.bundled import resolve_config

    d = yaml.safe_load(resolve_config("gpu-hbm3").read_text())
    d["links"] = {"nvlink": {"bandwidth": "450 GB/s", "latency": link_latency, "energy_per_bit": "1.3 pJ/bit"}}
    d["collective"] = {"devices": 2, "link": "nvlink"}
    p = tmp_path / f"two-{link_latency.replace(' ', '')}.yaml"
    p.write_text(yaml.safe_dump(d, sort_keys=False))
    return str(p)


def _tpot(cfg, over, **kw) -> tuple[float, float]:
    """(eager, graph) TPOT of SMALL, prompt 16, 3 decode steps, on ``cfg`` with ``over``."""
    arch = load_architecture(cfg, {k: v for k, v in over.items() if not k.startswith("pim.") or "pim-" in cfg})
    return tuple(simulate(arch, llm_serving(SMALL, prompt=16, decode=3, attention_kernel="fused",
                                            cuda_graph=g, **kw)).serving["tpot_s"] for g in (False, True))


@pytest.mark.parametrize("cfg, kw", [
    ("two", dict(tensor_parallel=2)), ("two", dict(pipeline_parallel=2)),
    ("two", dict(pipeline_parallel=2, micro_batches=2, batch=4)), ("two", dict(tensor_parallel=2, pipeline_parallel=2)),
    ("gpu-hbm-pim-attn", {}), ("gpu-hbm-pim-attn", dict(batch=4, sub_batches=2)), ("gpu-hbm3", dict(batch=4, sub_batches=2)),
])
def test_with_no_dispatch_cost_a_graph_changes_nothing(tmp_path, cfg, kw):
    # find-E 2: a graph replay removes launches, nothing else; with every op_overhead and the
    # DRAM latency at 0 the graph's TPOT is eager's (the link latency of a pipeline's send/recv
    # and of an all-reduce stays: 4 us a hop here)
    eager, graph = _tpot(_two_gpus(tmp_path) if cfg == "two" else cfg, ZERO, **kw)
    assert graph == pytest.approx(eager, rel=1e-12, abs=0)


def test_a_pipeline_hop_keeps_its_link_latency_in_a_graph(tmp_path):
    # pp = 2: a decode step sends the hidden state to stage 2 and the sampled token back, 2 hops;
    # raising the link latency 0 -> 40 us adds 2 x 40 us to eager's step and to the graph's
    (e0, g0), (e40, g40) = (_tpot(_two_gpus(tmp_path, lat), ZERO, pipeline_parallel=2) for lat in ("0 s", "40 us"))
    assert e40 - e0 == pytest.approx(2 * 40e-6, rel=1e-9, abs=0)
    assert g40 - g0 == pytest.approx(2 * 40e-6, rel=1e-9, abs=0)


def test_a_tensor_parallel_graph_step_is_one_launch(tmp_path):
    # find-E 3: the all-reduces are captured in the graph (vLLM's custom all-reduce, NCCL under
    # graph capture), not split at: the step pays processor.op_overhead (5 us) and the DRAM
    # latency (500 ns) once over its zero-cost time, as one GPU's graph step does
    cfg = _two_gpus(tmp_path)
    _, free = _tpot(cfg, ZERO, tensor_parallel=2)
    _, real = _tpot(cfg, {}, tensor_parallel=2)
    assert real - free == pytest.approx(5e-6 + 500e-9, rel=1e-9, abs=0)


def test_a_graph_workload_is_named_and_noted_as_one():
    """Final read 21-2: an eager and a graph workload had one default name (compare refused them
    together), and a CPU host got the graph's one launch a step with no word."""
    kw = dict(prompt=4, decode=2, batch=1)
    eager, graph = llm_serving(SMALL, **kw), llm_serving(SMALL, cuda_graph=True, **kw)
    assert graph.name == eager.name + "-graph"
    cpu = load_architecture("cpu-ddr5")
    notes = [n for n in simulate(cpu, graph).notes if n.startswith("cuda graph:")]
    assert len(notes) == 1 and "a host without graphs (a CPU" in notes[0]
    assert not [n for n in simulate(cpu, eager).notes if n.startswith("cuda graph:")]
