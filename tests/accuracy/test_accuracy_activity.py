"""`--accuracy` traces its evaluation model with data statistics (issue 17 item 4): the cost of
an accuracy run uses the activity measured on the evaluation data, at the CIM's precision.

Goldens: each op's data-dependent energies equal those of the same op without statistics on the
config whose ``cell.input_ones`` / ``cell.weight_ones`` hold that op's recorded figures (the
circuit models evaluated at the measured activity); the first layer's recorded fraction of ones
is the count over the data set's inputs (all of them, not the one traced sample), quantised at
the config's ``input_bits``.
"""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")

from cimsim import bundled, load_architecture  # noqa: E402
from cimsim.cli import main  # noqa: E402
from cimsim.cost import compute_costs  # noqa: E402
from cimsim.cost.table import energy_parts  # noqa: E402
from cimsim.mapping.placement import place  # noqa: E402
from cimsim.pipeline import simulate  # noqa: E402
from cimsim.workload.io import load_workload  # noqa: E402

from conftest import fresh_cache  # noqa: E402

pytestmark = pytest.mark.torch

RRAM = bundled.resolve_config("rram-cim-derived")
DATA_PARTS = ("cim_array", "cim_dac", "cim_switch")


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory):
    with fresh_cache(tmp_path_factory.mktemp("cimsim-cache")):
        yield


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A FILE.py: an MLP whose first layer sees signed inputs, its second ReLU outputs (sparse)."""
    f = tmp_path_factory.mktemp("user") / "tiny.py"
    f.write_text(textwrap.dedent("""
        import torch

        def factory():
            torch.manual_seed(0)
            return (torch.nn.Sequential(torch.nn.Linear(20, 16), torch.nn.ReLU(),
                                        torch.nn.Linear(16, 5)), torch.zeros(1, 20))

        def dataset():
            torch.manual_seed(1)
            return torch.randn(200, 20), None
    """))
    return f"{f}:factory", f"{f}:dataset"


def _traced(tiny, arch):
    from cimsim.accuracy.target import load_target, stats_bits, workload_file

    target = load_target(*tiny)
    return target, load_workload(workload_file(target, stats_bits(arch)))


def test_accuracy_run_uses_the_measured_activity(tiny):
    res = CliRunner().invoke(main, ["run", "rram-cim-derived", tiny[0], "--dataset", tiny[1],
                                    "--accuracy", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    # every weight matmul used its own figures, none the config's 0.5
    assert out["cim_input_ones_default_ops"] == 0 and out["cim_weight_ones_default_ops"] == 0
    # and its energy is that of the trace with statistics, not of the plain one
    from cimsim.accuracy.target import load_target, trace_target

    arch = load_architecture(RRAM)
    _, wl = _traced(tiny, arch)
    assert out["energy_j"] == simulate(arch, wl).energy_j
    assert out["energy_j"] != simulate(arch, trace_target(load_target(*tiny))).energy_j

def test_op_table_has_the_activity_columns(tiny):
    arch = load_architecture(RRAM)
    _, wl = _traced(tiny, arch)
    table = simulate(arch, wl, engine="analytic", keep_ops=True).op_table
    mm = table[table["kind"] == "matmul"]
    assert len(mm) == 2
    tags = {o.name: o.tags for o in wl.ops}
    for _, row in mm.iterrows():
        assert row["cim_input_ones"] == tags[row["op"]]["input_ones"]
        assert row["cim_weight_ones"] == tags[row["op"]]["weight_ones"]
    assert wl.metadata["activity_stats"]["samples"] == 200  # the whole data set (< 256)


def test_first_layer_figure_is_counted_over_the_data_set(tiny):
    arch = load_architecture(RRAM)
    target, wl = _traced(tiny, arch)
    bits = arch.components["cim"].input_bits
    x = target.inputs.to(torch.float32)
    # the emulator's input quantiser for signed inputs: per row, scale max |x| / (2^(b-1) - 1),
    # stored offset-binary (code + 2^(b-1)); ones over all planes of all 200 x 20 codes
    top = 2 ** (bits - 1) - 1
    q = torch.clamp(torch.round(x / (x.abs().amax(1, keepdim=True) / top)), -top, top).long()
    codes = q + 2 ** (bits - 1)
    ones = sum(int(((codes >> j) & 1).sum()) for j in range(bits)) / (codes.numel() * bits)
    first_sample = codes[:1]
    ones_1 = sum(int(((first_sample >> j) & 1).sum()) for j in range(bits)) / (20 * bits)
    assert ones != ones_1  # (the data set and its first sample differ: the test can fail)
    first = next(o for o in wl.ops if o.kind == "matmul")
    assert first.tags["input_stats_bits"] == bits
    assert first.tags["input_ones"] == pytest.approx(ones, rel=1e-12, abs=0)

def _energy(arch, wl):
    pl = place(wl, arch)
    costs = compute_costs(pl, arch, wl.arrays)
    return {p: costs.energy[:, i] for i, p in enumerate(energy_parts(arch))}


def test_dynamic_array_energy_is_the_recorded_statistics_energy(tiny):
    from cimsim.workload.trace import trace

    arch = load_architecture(RRAM)
    target, wl = _traced(tiny, arch)
    # the same trace without statistics, at the dtype of an 8-bit CIM's accuracy trace
    plain = trace(target.model, target.example, name=target.name, dtype="int8")
    e = _energy(arch, wl)
    e_plain = _energy(arch, plain)
    data = [p for p in DATA_PARTS if p in e]
    assert "cim_array" in data and "cim_dac" in data
    for i, op in enumerate(wl.ops):
        if op.kind != "matmul":
            continue
        same = load_architecture(RRAM, {"cim.cell.input_ones": op.tags["input_ones"],
                                        "cim.cell.weight_ones": op.tags["weight_ones"]})
        e_same = _energy(same, plain)
        for part in data:
            assert e[part][i] == e_same[part][i], (op.name, part)
            assert e[part][i] != e_plain[part][i], (op.name, part)  # the data moved it
    for part in e:  # nothing that does not depend on the data moved
        if part not in data:
            assert np.array_equal(e[part], e_plain[part]), part


def test_a_model_that_changes_with_the_batch_is_measured_on_its_traced_sample(tmp_path):
    # a forward whose weight matmuls differ at a batch of samples (an extra layer) cannot take
    # the batch's figures op by op: the statistics are those of the traced sample alone, said so
    from cimsim.accuracy.target import load_target, trace_target
    from cimsim.workload.trace import trace

    f = tmp_path / "odd.py"
    f.write_text(textwrap.dedent("""
        import torch

        class Odd(torch.nn.Module):
            def __init__(self):
                super().__init__()
                torch.manual_seed(0)
                self.a, self.b = torch.nn.Linear(8, 8), torch.nn.Linear(8, 4)

            def forward(self, x):
                if x.shape[0] > 1:
                    x = torch.relu(self.a(x))
                return self.b(x)

        def factory():
            return Odd(), torch.zeros(1, 8)

        def dataset():
            torch.manual_seed(1)
            return torch.randn(50, 8), None
    """))
    target = load_target(f"{f}:factory", f"{f}:dataset")
    wl = trace_target(target, (8, 8))
    stats = wl.metadata["activity_stats"]
    assert stats["samples"] == 1 and "traced sample alone" in stats["measured_on"]
    one = trace(target.model, target.example, stats_bits=(8, 8))
    assert [o.tags for o in wl.ops] == [o.tags for o in one.ops]
    assert [o.name for o in wl.ops if o.kind == "matmul"] == ["b.addmm"]
