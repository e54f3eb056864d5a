"""Returned tensors stay live to the end (find-E 1): a tensor the model returns is held by its
caller until the run ends, even where a later op reads it too (``output_hidden_states``), so
the footprint and the capacity check keep it live from its producer to the last op. Golden
values are hand sums of 1 KiB fp32 tensors (16 x 16 x 4 B)."""

from __future__ import annotations

import copy
import json

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
                                           r"activations 4\.096 kB\) but .* memory\.dram\.capacity 7\.168 kB"):
        simulate(arch, four_layers(["h1", "h2", "h3", "h4"]))
    d = copy.deepcopy(ARCH)
    d["memory"]["dram"]["capacity"] = f"{4 * W + 4 * T} B"
    assert simulate(architecture_from_dict(d), four_layers(["h1", "h2", "h3", "h4"])).latency_s > 0


def test_outputs_naming_no_tensor_is_one_line(tmp_path):
    with pytest.raises(WorkloadError, match=r"metadata\.outputs names 1 tensor\(s\) the workload does not declare \('h9'\)"):
        four_layers(["h1", "h9"]).footprint
    with pytest.raises(WorkloadError, match=r"metadata\.outputs must be a list of tensor names"):
        four_layers("h1").footprint  # type: ignore[arg-type]
    from cimsim.workload import save_workload

    path = tmp_path / "bad.json"
    save_workload(four_layers(["h9"]), path)
    res = CliRunner().invoke(main, ["run", "cpu-ddr5", str(path)])
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert "metadata.outputs names 1 tensor(s)" in res.output
    good = tmp_path / "good.json"
    save_workload(four_layers(["h1", "h2", "h3", "h4"]), good)
    assert json.loads(good.read_text())["metadata"]["outputs"] == ["h1", "h2", "h3", "h4"]


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
