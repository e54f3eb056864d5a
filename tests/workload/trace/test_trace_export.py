"""torch.export programs: a mutating custom op that ``run_decompositions()`` wraps in
``auto_functionalized_v2`` is traced as the op it carries, a ``.pt2`` file given to ``run`` /
``trace`` and an ``ExportedProgram`` given to ``trace()`` are refused saying how to trace them,
a custom op with a FLOP formula is told to keep it, and an eval-mode InstanceNorm is no
train-mode op. Golden values: closed-form MAC counts (M x K x N)."""

from __future__ import annotations

import functools

import pytest
from click.testing import CliRunner

from cimsim.cli import main
from cimsim.errors import WorkloadError

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.torch,
              pytest.mark.skipif(not hasattr(torch.library, "custom_op") or not hasattr(torch, "export"),
                                 reason="torch.library.custom_op / torch.export need torch >= 2.4")]

M, K = 8, 32  # a Linear(K, K) on M rows: M K K = 8,192 MACs


@functools.lru_cache(maxsize=None)
def _ops():
    """Custom ops registered once per process: an in-place scale (registered as a composite)
    and an unregistered in-place one, both ``mutates_args=("y",)``, and a matmul with a FLOP
    formula."""
    import cimsim
    from torch.utils.flop_counter import register_flop_formula

    @torch.library.custom_op("cimsim_exp::scale_", mutates_args=("y",))
    def scale_(y: torch.Tensor, s: float) -> None:
        y.mul_(s)

    @torch.library.custom_op("cimsim_exp::opaque_", mutates_args=("y",))
    def opaque_(y: torch.Tensor) -> None:
        y.add_(1)

    @torch.library.custom_op("cimsim_exp::fmm", mutates_args=())
    def fmm(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return x @ w

    fmm.register_fake(lambda x, w: x.new_empty(x.shape[0], w.shape[1]))
    register_flop_formula(torch.ops.cimsim_exp.fmm)(lambda xs, ws, *a, **k: 2 * xs[0] * xs[1] * ws[1])
    cimsim.trace.register_op("cimsim_exp::scale_", kind="composite", fn=lambda y, s: y.mul_(s))
    return scale_, opaque_, fmm


class Mut(torch.nn.Module):
    def __init__(self, op):
        super().__init__()
        self.fc, self.op = torch.nn.Linear(K, K), op

    def forward(self, x):
        y = self.fc(x)
        if self.op == "scale":
            _ops()[0](y, 0.5)
        else:
            _ops()[1](y)
        return y


def _decomposed(op):
    m, x = Mut(op).eval(), torch.randn(M, K)
    ep = torch.export.export(m, (x,)).run_decompositions()
    assert "auto_functionalized" in ep.graph_module.code  # the form this test is about
    return ep.module(), x


@pytest.mark.slow  # run_decompositions() (about 6 s)
def test_a_functionalized_custom_op_is_traced_as_the_op_it_carries():
    from cimsim.workload.trace import trace

    gm, x = _decomposed("scale")
    w = trace(gm, (x,), batch=M)
    eager = trace(Mut("scale").eval(), (x,), batch=M)
    # before: "torch.auto_functionalized_v2 ... is not supported by the tracer"
    assert w.macs == eager.macs == M * K * K == 8192
    # functionalization's clones are not costed (a copy op's fn is None: its kind says; review 23 D 2)
    assert [o.name for o in w.ops] == [o.name for o in eager.ops]
    assert all(o.kind != "copy" for o in w.ops)
    gm, x = _decomposed("opaque")
    with pytest.raises(WorkloadError, match=r"^custom op 'cimsim_exp\.opaque_\.default'") as exc:
        trace(gm, (x,))
    # its node's source line, through the unwrapped op (review 23 D 3; before: "<unknown>")
    assert f"called from {__file__}:" in str(exc.value)
    assert "register_op('cimsim_exp::opaque_', kind='matmul', weight_arg=<the index" in str(exc.value)
    w = trace(gm, (x,), allow_unknown=True, batch=M)
    assert w.macs == M * K * K and [u["op"] for u in w.metadata["unknown_ops"]] == ["cimsim_exp.opaque_.default"]


def test_a_custom_op_with_a_flop_formula_is_told_to_keep_it():
    from cimsim.workload.trace import trace

    fmm = _ops()[2]
    wt = torch.nn.Parameter(torch.randn(K, K))
    with pytest.raises(WorkloadError) as exc:
        trace(lambda x: fmm(x, wt), (torch.randn(M, K),))
    msg = str(exc.value)
    assert f"it has a FLOP formula ({M * K * K:,} MACs): add --allow-unknown" in msg, msg
    # the op's own name, and no weight position guessed (review 23 D 6; before: 'ns::name', weight_arg=1)
    assert "register_op('cimsim_exp::fmm', kind='matmul', weight_arg=<the index of its weight argument>)" in msg
    assert "give it a FLOP formula" not in msg


def test_an_exported_program_is_refused_by_the_python_api_naming_ep_module():
    from cimsim.workload.trace import trace

    x = torch.randn(M, K)
    ep = torch.export.export(torch.nn.Linear(K, K), (x,))
    with pytest.raises(WorkloadError, match=r"^trace\(\) got a torch.export ExportedProgram.*ep\.module\(\)"):
        trace(ep, (x,))
    assert trace(ep.module(), (x,), batch=M).macs == M * K * K


def test_a_pt2_file_is_refused_by_run_and_trace_saying_how_to_trace_it(tmp_path):
    x = torch.randn(M, K)
    p = tmp_path / "lin.pt2"
    torch.export.save(torch.export.export(torch.nn.Linear(K, K), (x,)), str(p))
    r = CliRunner().invoke(main, ["run", "cpu-ddr5", str(p)])
    # before: "columnar workload has no 'meta' member (uint8 UTF-8 JSON)"
    assert r.exit_code == 1 and "Traceback" not in r.output
    last = r.output.strip().splitlines()[-1]
    assert last.startswith(f"Error: {p}: a PyTorch ExportedProgram (torch.export.save), not a workload file")
    assert "ep.module(), ep.example_inputs[0]" in last
    r = CliRunner().invoke(main, ["trace", str(p), "-o", str(tmp_path / "w.json")])
    assert r.exit_code == 2 and "is a PyTorch ExportedProgram (torch.export.save), not a model spec" in r.output
    q = tmp_path / "ckpt.pt"
    torch.save({"w": x}, str(q))
    r = CliRunner().invoke(main, ["run", "cpu-ddr5", str(q)])
    assert r.exit_code == 1 and "a PyTorch file (torch.save), not a workload file" in r.output


@pytest.mark.parametrize("norm", [torch.nn.InstanceNorm3d, torch.nn.InstanceNorm2d, torch.nn.InstanceNorm1d])
def test_an_eval_mode_instance_norm_is_no_train_mode_op(norm):
    from cimsim.workload.trace import trace

    dims = {torch.nn.InstanceNorm3d: 3, torch.nn.InstanceNorm2d: 2, torch.nn.InstanceNorm1d: 1}[norm]
    x = torch.randn(1, 4, *([6] * dims))
    m = norm(4, affine=True).eval()  # track_running_stats=False: its input's statistics, always
    assert "train_mode_ops" not in trace(m, (x,)).metadata  # before: 1
    # running statistics kept and the module training: a train-mode op, as before
    assert trace(norm(4, track_running_stats=True).train(), (x,)).metadata["train_mode_ops"] == 1
    assert "train_mode_ops" not in trace(norm(4, track_running_stats=True).eval(), (x,)).metadata


def test_the_map_higher_order_op_is_refused_with_a_loop_to_write():
    from torch._higher_order_ops.map import map as hmap

    from cimsim.workload.trace import trace

    lin = torch.nn.Linear(K, K)

    class Map(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = lin

        def forward(self, xs):
            return hmap(lambda x: self.lin(x).relu(), xs)

    with pytest.raises(WorkloadError) as exc:
        trace(Map(), (torch.randn(3, M, K),))
    msg = str(exc.value)  # before: "torch.map_impl ...: write it as plain torch code"
    assert msg.startswith("torch._higher_order_ops.map (module 'Map'") and "a Python loop over the leading dimension" in msg


class _Two(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = torch.nn.Linear(K, K), torch.nn.Linear(K, K)

    def forward(self, x):
        return self.b(torch.relu(self.a(x)))


def test_an_exported_programs_ops_keep_their_module_names_and_source_lines():
    from cimsim.workload.trace import trace

    m, x = _Two().eval(), torch.randn(M, K)
    eager = trace(m, (x,), batch=M)
    gm = torch.export.export(m, (x,)).module()
    w = trace(gm, (x,), batch=M)
    # before: every op's module '' and names addmm, addmm#1 (eager: a.addmm, b.addmm)
    assert [o.name for o in w.ops] == [o.name for o in eager.ops]
    assert [o.tags.get("module") for o in w.ops if o.kind == "matmul"] == ["a", "b"]
    assert w.macs == 2 * M * K * K
    fmm = _ops()[2]

    class Own(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.randn(K, K))

        def forward(self, x):
            return fmm(x, self.w)

    with pytest.raises(WorkloadError) as exc:  # before: "called from <unknown>"
        trace(torch.export.export(Own(), (x,)).module(), (x,))
    assert f"called from {__file__}:" in str(exc.value)


class Cache(torch.nn.Module):
    """The registered in-place op on a buffer (a KV cache's update) and on the model's input: a
    decomposed program writes both back with ``copy_``, which, the op run in place, copies each
    onto itself."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(K, K)
        self.register_buffer("kv", torch.zeros(M, K))

    def forward(self, x):
        _ops()[0](self.kv, 0.5)
        _ops()[0](x, 2.0)
        return self.fc(x) + self.kv


@pytest.mark.slow  # run_decompositions() (about 5 s)
def test_a_mutated_buffer_and_input_are_written_back_free_as_eager_writes_them():
    """Review 23 D 1: the write-back ``kv.copy_(kv)`` was costed as a full copy (a 4096 x 1024
    buffer: +23 % latency)."""
    from cimsim import bundled, load_architecture, simulate
    from cimsim.workload.trace import trace

    arch = load_architecture(bundled.resolve_config("sram-cim"))
    x = torch.randn(M, K)
    eager = trace(Cache().eval(), (x.clone(),), batch=M)
    ep = torch.export.export(Cache().eval(), (x.clone(),)).run_decompositions()
    gm = ep.module()
    assert gm.code.count("aten.copy_.default") == 2  # the two write-backs
    w = trace(gm, (x.clone(),), batch=M)
    assert [(o.name, o.kind) for o in w.ops] == [(o.name, o.kind) for o in eager.ops]
    assert all(o.kind != "copy" for o in w.ops)  # before: a copy of M K = 256 elements
    assert w.macs == eager.macs == M * K * K
    r, re_ = simulate(arch, w), simulate(arch, eager)
    assert r.ops == re_.ops
    assert r.latency_s == pytest.approx(re_.latency_s, rel=1e-9, abs=0)
    assert sum(r.energy_breakdown_j.values()) == pytest.approx(sum(re_.energy_breakdown_j.values()), rel=1e-9, abs=0)
    assert r.traffic_bytes == pytest.approx(re_.traffic_bytes, rel=1e-9, abs=0)
    assert r.activation_bytes == re_.activation_bytes


def test_a_copy_onto_itself_moves_nothing():
    from cimsim.workload.trace import trace

    def f(x):
        y = x * 2
        y.copy_(y)  # torch returns at once (at::copy_): no op
        return y.copy_(y[:])  # a view of the same elements likewise

    w = trace(f, (torch.randn(M, K),), batch=M)
    assert [o.kind for o in w.ops] == ["elementwise"]


def _norms():
    return torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8)).train()


@pytest.mark.slow  # run_decompositions() (about 6 s)
def test_a_decomposed_train_mode_batch_norm_traces_as_the_eager_one():
    """Review 23 D 4: ``_native_batch_norm_legit_functional`` (torch's functional batch norm in a
    decomposed train-mode program) had no mapping; now it runs in place, as eager runs it."""
    from cimsim.workload.trace import aten as A, trace

    x = torch.randn(2, 3, 6, 6)
    eager = trace(_norms(), (x,), batch=2)
    ep = torch.export.export(_norms(), (x,)).run_decompositions()
    assert "_native_batch_norm_legit_functional" in ep.graph_module.code
    w = trace(ep.module(), (x,), batch=2)
    assert w.metadata["train_mode_ops"] == eager.metadata["train_mode_ops"] == 1
    # 8 vector ops an element of the 2 x 8 x 6 x 6 output, as eager's native_batch_norm
    assert [(o.ops_per_element, w.tensors[o.outputs[0]].shape) for o in w.ops if o.kind == "layernorm"] == \
        [(A.NORM_OPS_PER_ELEMENT, (2, 8, 6, 6))] == \
        [(o.ops_per_element, eager.tensors[o.outputs[0]].shape) for o in eager.ops if o.kind == "layernorm"]
    # the running statistics' write-backs are free; num_batches_tracked += 1, which the program
    # computes out of place, is one copy of 1 element (eager: its in-place add alone)
    extra = [o for o in w.ops if o.name not in {e.name for e in eager.ops}]
    assert [(o.kind, [w.tensors[t].shape for t in o.outputs]) for o in extra] == [("copy", [(1,)])]
    # an InstanceNorm (no running statistics) exported: still no train-mode op (review 23 D 6)
    inorm = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.InstanceNorm2d(8, affine=True)).eval()
    for gm in (torch.export.export(inorm, (x,)).module(), torch.export.export(inorm, (x,)).run_decompositions().module()):
        assert "train_mode_ops" not in trace(gm, (x,), batch=2).metadata


def test_a_legacy_torch_save_file_is_refused_by_run_as_a_pickle(tmp_path):
    q = tmp_path / "old.pt"
    torch.save({"w": torch.zeros(2)}, str(q), _use_new_zipfile_serialization=False)
    r = CliRunner().invoke(main, ["run", "cpu-ddr5", str(q)])
    # before: "not UTF-8 text (byte 0x80 at offset 0)" (review 23 D 5)
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert r.output.strip().splitlines()[-1].startswith(
        f"Error: {q}: a Python pickle (torch.save's legacy, non-zip format), not a workload file: trace")


def test_an_fx_graph_replaced_and_recompiled_is_read_afresh():
    """Review 23 D 6: the node list was cached on the user's GraphModule, keyed on the node count:
    a graph replaced by one of as many nodes kept the old nodes' module names."""
    import copy

    from cimsim.workload.trace import trace

    x = torch.randn(M, K)
    gm = torch.export.export(_Two().eval(), (x,)).module()
    assert [o.tags.get("module") for o in trace(gm, (x,), batch=M).ops if o.kind == "matmul"] == ["a", "b"]
    g = copy.deepcopy(gm.graph)
    mms = [n for n in g.nodes if n.target is torch.ops.aten.linear.default or "addmm" in str(n.target)]
    assert len(mms) == 2
    a, b = (dict(n.meta["nn_module_stack"]) for n in mms)
    mms[0].meta["nn_module_stack"], mms[1].meta["nn_module_stack"] = b, a
    gm.graph = g
    gm.recompile()
    assert [o.tags.get("module") for o in trace(gm, (x,), batch=M).ops if o.kind == "matmul"] == ["b", "a"]
    assert "_cimsim_nodes" not in gm.__dict__  # nothing written into the user's module
