"""Returned tensors stay live to the end (find-E 1): a tensor the model returns is held by its
caller until the run ends, even where a later op reads it too (``output_hidden_states``), so
the footprint and the capacity check keep it live from its producer to the last op. Golden
values are hand sums of 1 KiB fp32 tensors (16 x 16 x 4 B)."""

from __future__ import annotations

import copy
import json
import re

import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.cli import main
from cimsim.config import architecture_from_dict
from cimsim.errors import MappingError, WorkloadError
from cimsim.workload import Op, Tensor, Workload

T = 16 * 16 * 4  # one hidden state: 1,024 B
W = 16 * 16 * 4  # one layer's weight: 1,024 B


def four_layers(outputs=None) -> Workload:
    """x -> l0 -> h1 -> l1 -> h2 -> l2 -> h3 -> l3 -> h4, each h read by the next layer."""
    ts = [Tensor("x", (16, 16), "fp32", "input")]
    ops = []
    for i in range(4):
        ts += [Tensor(f"W{i}", (16, 16), "fp32", "weight"), Tensor(f"h{i + 1}", (16, 16), "fp32", "activation")]
        ops.append(Op(f"l{i}", "matmul", ("x" if i == 0 else f"h{i}", f"W{i}"), (f"h{i + 1}",),
                      m=16, k=16, n=16, weight=f"W{i}"))
    return Workload("four", ts, ops, {} if outputs is None else {"outputs": outputs})


def test_returned_hidden_states_live_to_the_end_by_hand():
    # all four returned: l0 x + h1, l1 h1 + h2, l2 h1 + h2 + h3, l3 h1 + h2 + h3 + h4 = 4 T
    w = four_layers(["h1", "h2", "h3", "h4"])
    assert w.peak_live_activation_bytes == 4 * T == 4096
    assert w.footprint.activations == 4 * T and w.footprint.weights == 4 * W
    # only the last returned (unread, so live to the end anyway): at most 2 T at once
    assert four_layers(["h4"]).peak_live_activation_bytes == four_layers().peak_live_activation_bytes == 2 * T
    # h2 returned: l1 h1 + h2, l2 h2 + h3, l3 h2 + h3 + h4 = 3 T
    assert four_layers(["h2", "h4"]).peak_live_activation_bytes == 3 * T


ARCH = {
    "name": "tiny",
    "memory": {"dram": {"capacity": f"{4 * W + 3 * T} B", "bandwidth": "1 GB/s", "energy_per_byte": "1 pJ/B"}},
    "processor": {"name": "host", "cores": 1, "clock": "1 GHz", "macs_per_cycle_per_core": {"fp32": 1},
                  "vector_ops_per_cycle_per_core": 1, "energy_per_mac": {"fp32": "1 pJ"},
                  "energy_per_vector_op": "1 pJ", "static_power": "0 W", "op_overhead": "0 s"},
}


def test_capacity_check_counts_returned_tensors():
    # 4 W + 3 T = 7,168 B holds the weights and 2 T of activations, not 4 T
    arch = architecture_from_dict(ARCH)
    assert simulate(arch, four_layers()).latency_s > 0
    with pytest.raises(MappingError, match=r"needs 8\.192 kB live at once \(weights 4\.096 kB, KV cache 0 B, "
                                           r"activations 4\.096 kB\) but .* memory\.dram\.capacity 7 KiB \(7\.168 kB\)"):
        simulate(arch, four_layers(["h1", "h2", "h3", "h4"]))
    d = copy.deepcopy(ARCH)
    d["memory"]["dram"]["capacity"] = f"{4 * W + 4 * T} B"
    assert simulate(architecture_from_dict(d), four_layers(["h1", "h2", "h3", "h4"])).latency_s > 0


def test_outputs_naming_no_tensor_is_one_line(tmp_path):
    # find-F 3: refused when the workload is built or loaded, with a close name, and the CLI
    # names the file
    with pytest.raises(WorkloadError, match=r"metadata\.outputs names 1 tensor\(s\) the workload does not "
                                            r"declare \('h3x'\); did you mean 'h3'\?$"):
        four_layers(["h1", "h3x"])
    with pytest.raises(WorkloadError, match=r"declare \('zzz'\); it must name declared tensors, e\.g\. 'h1', 'h2', 'h3'$"):
        four_layers(["zzz"])
    with pytest.raises(WorkloadError, match=r"metadata\.outputs must be a list of tensor names .*got str 'h1'"):
        four_layers("h1")  # type: ignore[arg-type]
    from cimsim import load_workload
    from cimsim.workload import save_workload

    good = tmp_path / "good.json"
    save_workload(four_layers(["h1", "h2", "h3", "h4"]), good)
    assert json.loads(good.read_text())["metadata"]["outputs"] == ["h1", "h2", "h3", "h4"]
    data = json.loads(good.read_text())
    for bad, outputs in (("bad.json", ["h1", "h9"]), ("str.json", "h1")):
        data["metadata"]["outputs"] = outputs
        (tmp_path / bad).write_text(json.dumps(data))
        with pytest.raises(WorkloadError, match=rf"^{re.escape(str(tmp_path / bad))}: workload 'four': metadata\.outputs "):
            load_workload(tmp_path / bad)
        res = CliRunner().invoke(main, ["run", "cpu-ddr5", str(tmp_path / bad)])
        assert res.exit_code != 0 and "Traceback" not in res.output
        assert f"{bad}: workload 'four': metadata.outputs " in res.output and len(res.output.strip().splitlines()) == 1


def test_a_returned_tensor_cannot_be_tagged_on_chip():
    # find-F 4: its caller holds it in memory, so it cannot stay in a kernel's registers;
    def att(outputs, tag=True):
        ts = [Tensor(n, (64, 64), "fp32", "input" if n in "qkv" else "activation") for n in "qkspvo"]
        t = {"on_chip": 1} if tag else {}
        return Workload("att", ts, [Op("qk", "matmul", ("q", "k"), ("s",), m=64, k=64, n=64, tags=t),
                                    Op("sm", "softmax", ("s",), ("p",), tags=t),
                                    Op("pv", "matmul", ("p", "v"), ("o",), m=64, k=64, n=64)],
                        {"outputs": outputs})

    with pytest.raises(WorkloadError, match=r"^workload 'att': op 'sm': tag on_chip = 1 but its output 'p' "
                                            r"is listed in metadata\.outputs \(a model output\)"):
        att(["p", "o"]).footprint
    # 64 x 64 x 4 B = 16 KiB each: untagged, pv holds p (returned) and o: 32 KiB; tagged with
    # only o returned, s and p stay in registers: o alone, 16 KiB
    assert att(["p", "o"], tag=False).footprint.activations == 2 * 16384
    assert att(["o"]).footprint.activations == 16384


def topk_chain(outputs=None) -> Workload:
    """x (1 KiB) -> tk -> v (1 KiB) and its indices i (16 x 16 int64: 2 KiB, read by no op);
    v -> l1 -> h1 (1 KiB); h1 -> l2 -> h2 (16 x 64 fp32: 4 KiB)."""
    ts = [Tensor("x", (16, 16), "fp32", "input"), Tensor("v", (16, 16), "fp32", "activation"),
          Tensor("i", (16, 16), "int64", "activation"), Tensor("h1", (16, 16), "fp32", "activation"),
          Tensor("h2", (16, 64), "fp32", "activation")]
    ops = [Op("tk", "reduction", ("x",), ("v", "i")), Op("l1", "elementwise", ("v",), ("h1",), fn="relu"),
           Op("l2", "copy", ("h1",), ("h2",))]
    return Workload("topk", ts, ops, {} if outputs is None else {"outputs": outputs})


def test_an_output_neither_read_nor_returned_is_freed_at_its_op():
    # find-F 7. Without metadata.outputs i is taken for a model output, live to the end:
    # tk x + v + i = 4 T, l1 i + v + h1 = 4 T, l2 i + h1 + h2 = 2 T + T + 4 T = 7 T
    assert topk_chain().peak_live_activation_bytes == 7 * T
    # the model returns h2 only: i is freed at tk (4 T there), l1 v + h1 = 2 T, l2 h1 + h2 = 5 T
    assert topk_chain(["h2"]).peak_live_activation_bytes == 5 * T
    # returned, i is held to the end again
    assert topk_chain(["i", "h2"]).peak_live_activation_bytes == 7 * T


def _hidden(torch):
    """4 x Linear(16, 16) returning every hidden state (all_states) or only the last."""

    class Hidden(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.l = torch.nn.ModuleList(torch.nn.Linear(16, 16, bias=False) for _ in range(4))

        def forward(self, x, all_states: bool = True):
            hs = []
            for layer in self.l:
                x = layer(x)
                hs.append(x)
            return tuple(hs) if all_states else x

    return Hidden().eval()


@pytest.mark.torch
def test_traced_model_records_what_it_returns():
    torch = pytest.importorskip("torch")
    from cimsim import trace

    m = _hidden(torch)
    w = trace(m, (torch.randn(16, 16),), batch=1)
    assert len(w.metadata["outputs"]) == 4
    assert w.footprint.activations == 4 * T  # the hand sum above
    last = trace(m, (torch.randn(16, 16),), batch=1, example_kwargs={"all_states": False})
    assert last.footprint.activations == 2 * T  # x + h1 at l0, each h dead after its reader


@pytest.mark.torch
def test_onnx_graph_outputs_live_to_the_end(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    import warnings

    from cimsim import trace_onnx

    path = tmp_path / "hidden.onnx"
    with warnings.catch_warnings():  # the TorchScript exporter's deprecation notice
        warnings.simplefilter("ignore")
        torch.onnx.export(_hidden(torch), (torch.randn(16, 16),), str(path), dynamo=False)
    w = trace_onnx(path, batch=1)
    assert len(w.metadata["outputs"]) == 4 and w.footprint.activations == 4 * T  # the hand sum
