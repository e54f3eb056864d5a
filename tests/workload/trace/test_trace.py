"""Tracing real PyTorch models into workloads (cimsim.workload.trace, cimsim.zoo, `cimsim trace`).

MAC goldens are closed-form formulas written here (WORKLOADS.md) or torch's own
FlopCounterMode (2 FLOPs per MAC), never the tracer's output.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from cimsim.errors import WorkloadError
from cimsim.workload.graph import longest_path

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "lstmcell_loop.py"


def _torch():
    return pytest.importorskip("torch")


def flop_counter_macs(model, inputs) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as fc:
        model(*inputs)
    return fc.get_total_flops() // 2


def matmul_shapes(w) -> Counter:
    return Counter((op.batch, op.m, op.k, op.n, op.weight is not None) for op in w.ops if op.kind == "matmul")


def recurrent_matmuls_on_critical_path(w) -> int:
    indptr, indices = w.predecessors
    weights = np.array([1.0 if op.tags.get("part") == "recurrent" else 0.0 for op in w.ops])
    length, _ = longest_path(indptr, indices, weights)
    return int(length)


def lstm_macs(I, H, L, T, B, D=1, P=0):
    total, i = 0, I
    for _ in range(L):
        hr = P or H
        total += D * T * B * (4 * H * (i + hr) + P * H)
        i = D * hr
    return total


def gru_macs(I, H, L, T, B, D=1, gates=3):
    total, i = 0, I
    for _ in range(L):
        total += D * T * B * gates * H * (i + H)
        i = D * H
    return total


# --------------------------------------------------------------------------- plain layers
@pytest.mark.torch
def test_mlp_matches_flop_counter_and_parameters_are_weights():
    torch = _torch()
    nn = torch.nn

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(50, 16)
            self.fc1 = nn.Linear(16, 32)
            self.norm = nn.LayerNorm(32)
            self.fc2 = nn.Linear(32, 8)

        def forward(self, idx):
            h = torch.nn.functional.gelu(self.norm(self.fc1(self.emb(idx))))
            return torch.softmax(self.fc2(h) * 2.0 + 1.0, dim=-1)

    from cimsim.workload.trace import trace

    # ids 0, 2, .., 46: no two adjacent (adjacent rows are one access), 24 of the 50 lines
    model, inputs = MLP(), (torch.arange(0, 48, 2).view(4, 6),)
    w = trace(model, inputs, name="mlp")
    assert w.name == "mlp"
    assert w.macs == flop_counter_macs(model, inputs) == 4 * 6 * (16 * 32 + 32 * 8)
    kinds = Counter(op.kind for op in w.ops)
    assert kinds["matmul"] == 2 and kinds["layernorm"] == 1 and kinds["softmax"] == 1
    assert kinds["copy"] == 1  # the embedding row gather
    # ... states its access pattern: random reads of one 16-element row (fp32 by default: 64 B)
    (gather,) = [op for op in w.ops if op.kind == "copy"]
    assert gather.tags["access_bytes"] == 16 * 4 and w.arrays.access_bytes.max() == 64
    mm = [op for op in w.ops if op.kind == "matmul"]
    assert [op.weight for op in mm] == ["fc1.weight", "fc2.weight"]
    assert all(w.tensors[op.weight].role == "weight" for op in mm)
    fns = [op.fn for op in w.ops if op.kind == "elementwise"]
    assert fns == ["add", "gelu"]  # fc1's bias; gelu
    # fc2's bias add, * 2.0 and + 1.0 fuse into one op that joins the softmax it feeds
    (sm,) = [op for op in w.ops if op.kind == "softmax"]
    assert "fc2.bias" in sm.inputs and sm.tags["fused"] == 2


@pytest.mark.torch
def test_explicit_matmul_softmax_attention_pattern():
    torch = _torch()

    class Attn(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.wq = torch.nn.Parameter(torch.randn(32, 32))

        def forward(self, x):
            q = x @ self.wq
            s = torch.bmm(q, x.transpose(1, 2)) / 4.0
            return torch.matmul(torch.softmax(s, -1), x)

    from cimsim.workload.trace import trace

    model, inputs = Attn(), (torch.randn(3, 10, 32),)
    w = trace(model, inputs)
    assert w.macs == flop_counter_macs(model, inputs) == 3 * (10 * 32 * 32 + 2 * 10 * 10 * 32)
    assert matmul_shapes(w) == Counter({(1, 30, 32, 32, True): 1, (3, 10, 32, 10, False): 1,
                                        (3, 10, 10, 32, False): 1})


@pytest.mark.torch
def test_conv1d_tcn_matches_flop_counter_and_generator():
    _torch()
    from cimsim.workload.generators import tcn
    from cimsim.workload.trace import trace
    from cimsim.zoo import build

    p = dict(steps=20, channels=16, kernel=3, layers=3, batch=2)
    model, inputs, _ = build("tcn", real_weights=True, **p)
    w = trace(model, inputs)
    assert w.macs == flop_counter_macs(model, inputs) == 3 * 2 * 20 * 16 * 16 * 3
    assert matmul_shapes(w) == matmul_shapes(tcn(**p))
    assert sum(op.tags.get("part") == "im2col" for op in w.ops) == 3


@pytest.mark.torch
def test_strided_grouped_conv_matches_flop_counter():
    torch = _torch()
    from cimsim.workload.trace import trace

    model = torch.nn.Sequential(torch.nn.Conv1d(8, 16, 5, stride=2, padding=2, groups=4),
                                torch.nn.ReLU(), torch.nn.Conv1d(16, 4, 1))
    inputs = (torch.randn(2, 8, 33),)
    assert trace(model, inputs).macs == flop_counter_macs(model, inputs)


@pytest.mark.torch
@pytest.mark.parametrize("form", ["bmm", "matmul", "einsum"])
def test_a_batched_matmul_over_a_3d_parameter_traces(form):
    """x (4, 16, 32) times a per-head weight W (4, 32, 8): 4 x 16 x 32 x 8 = 16,384 MACs in one
    matmul of batch 4 whose B operand is W itself, read as an operand (no one stationary k x n
    weight is shared by the batch), as a grouped convolution's is. It failed to trace: "op
    'bmm.B.gather': op name is used twice" (a tracer bug)."""
    torch = _torch()
    from cimsim.workload.trace import trace

    class PerHead(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.W = torch.nn.Parameter(torch.randn(4, 32, 8))

        def forward(self, x):
            return {"bmm": lambda: torch.bmm(x, self.W), "matmul": lambda: x @ self.W,
                    "einsum": lambda: torch.einsum("hsd,hde->hse", x, self.W)}[form]()

    w = trace(PerHead(), (torch.randn(4, 16, 32),))
    [mm] = [op for op in w.ops if op.kind == "matmul"]
    assert (mm.batch, mm.m, mm.k, mm.n, mm.weight) == (4, 16, 32, 8, None)
    assert w.macs == 4 * 16 * 32 * 8 == flop_counter_macs(PerHead(), (torch.randn(4, 16, 32),))
    assert w.weight_bytes == 4 * 32 * 8 * 4 and "W" in mm.inputs


@pytest.mark.torch
@pytest.mark.parametrize("T", [5, 50])
def test_a_pointwise_recurrence_keeps_its_depth_when_fused(T):
    """h_t = a * h_{t-1} + x_t over T - 1 steps is pointwise only, so the tracer fuses the whole
    loop into one op: its vector work is 2 (T - 1) x 16, but one element's result needs the 2
    operations of every step one after another, 2 (T - 1) in all (tag serial_ops), and the
    processor runs it in at least that many cycles (one lane, one operation a cycle): 98 ns at
    T = 50 on the 1 GHz round processor, where the 4 x 8 lanes would do the work in 49 ns. Before,
    the fused loop took the work's time, the same for any T the work allows (an RWKV or
    diagonal-SSM state looked parallel)."""
    torch = _torch()
    from cimsim import simulate
    from cimsim.workload.trace import trace
    from conftest import make_arch

    class Scan(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Parameter(torch.rand(16))

        def forward(self, x):
            h, outs = x[0], []
            for t in range(1, T):
                h = self.a * h + x[t]
                outs.append(h)
            return torch.stack(outs)

    w = trace(Scan(), (torch.randn(T, 16),))
    [fused] = [op for op in w.ops if op.kind == "elementwise"]
    assert fused.tags["fused"] == 2 * (T - 1) and fused.tags["serial_ops"] == 2 * (T - 1)
    row = simulate(make_arch(), w, engine="analytic").op_table.set_index("op").loc[fused.name]
    work = 2 * (T - 1) * 16 / (4 * 8 * 1e9)  # vector ops / (cores x lanes x clock)
    assert row["vector_ops"] == 2 * (T - 1) * 16
    assert row["compute_s"] == pytest.approx(max(work, 2 * (T - 1) / 1e9), rel=1e-12, abs=0)


def test_a_serial_ops_tag_that_is_not_a_count_is_refused():
    from cimsim.workload import Op, Tensor, Workload

    for bad in ("deep", -1):
        with pytest.raises(WorkloadError, match=r"op 'f' \(#0\): tag serial_ops = .* is not (allowed|a "
                                                r"number); it must be a finite number >= 0"):  # when made
            Workload("w", [Tensor("x", (4,), "fp32", "input"), Tensor("y", (4,), "fp32", "activation")],
                     [Op("f", "elementwise", ("x",), ("y",), fn="add", tags={"serial_ops": bad})])


@pytest.mark.torch
@pytest.mark.parametrize("mode, weighted", [("sum", False), ("mean", False), ("sum", True)])
def test_an_embedding_bag_reads_only_its_rows_and_reduces_them(mode, weighted):
    """8 bags of 4 distinct ids into a 1000 x 32 table: 32 rows x 32 x 4 B = 4,096 B read, one
    operation per gathered element, 32 x 32 = 1,024 (the bag sums; a mean's divides count the
    same), twice that with per_sample_weights (the multiplies). It was a copy of the whole
    128,000 B table with a free reduction."""
    torch = _torch()
    from cimsim import load_architecture, simulate
    from cimsim.workload.trace import trace

    bag = torch.nn.EmbeddingBag(1000, 32, mode=mode)
    ids, offsets = torch.arange(0, 320, 10), torch.arange(0, 32, 4)
    args = (ids, offsets) + ((torch.rand(32),) if weighted else ())
    w = trace(bag, args)
    [op] = [o for o in w.ops if "bag" in o.name]
    row = simulate(load_architecture("cpu-ddr5"), w).op_table.set_index("op").loc[op.name]
    assert op.kind == "reduction" and op.tags["access_bytes"] == 32 * 4
    assert row["vector_ops"] == 32 * 32 * (2 if weighted else 1)
    assert w.weight_bytes == 32 * 32 * 4
    # it reads its indices, offsets and per-sample weights (they were dropped, and with them a
    # dependency on weights the model computes: a tester, 2026-12-05)
    ins = [w.tensors[t] for t in op.inputs]
    assert [t.shape for t in ins if t.role != "weight"] == [(32,), (8,)] + ([(32,)] if weighted else [])


@pytest.mark.torch
def test_an_embedding_bag_runs_after_the_weights_the_model_computes():
    torch = _torch()
    from cimsim.workload.trace import trace

    class Scored(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bag = torch.nn.EmbeddingBag(100, 16, mode="sum")
            self.score = torch.nn.Linear(4, 1)

        def forward(self, idx, off, feats):
            return self.bag(idx, off, per_sample_weights=torch.sigmoid(self.score(feats)).squeeze(1))

    w = trace(Scored().eval(), (torch.arange(8), torch.tensor([0, 4]), torch.randn(8, 4)))
    bag = w.op_index(next(o.name for o in w.ops if "bag" in o.name))
    ptr, pred = w.predecessors
    producers = {w.ops[p].name for p in pred[ptr[bag]:ptr[bag + 1]]}
    assert any("score" in p or "sigmoid" in p for p in producers), producers


# --------------------------------------------------------------------------- recurrent
@pytest.mark.torch
@pytest.mark.parametrize("kw", [
    dict(num_layers=2),
    dict(num_layers=2, bidirectional=True, batch_first=True),
    dict(num_layers=1, proj_size=8),
    dict(num_layers=2, bidirectional=True, proj_size=8, bias=False),
])
def test_lstm_macs_closed_form(kw):
    torch = _torch()
    from cimsim.workload.trace import trace

    I, H, T, B = 16, 32, 5, 3
    lstm = torch.nn.LSTM(I, H, **kw)
    x = torch.randn(B, T, I) if kw.get("batch_first") else torch.randn(T, B, I)
    w = trace(lstm, (x,))
    D = 2 if kw.get("bidirectional") else 1
    L = kw["num_layers"]
    assert w.macs == lstm_macs(I, H, L, T, B, D, kw.get("proj_size", 0))
    # one batched input projection per layer and direction, one recurrent matmul per step
    parts = Counter(op.tags.get("part") for op in w.ops if op.kind == "matmul")
    assert parts["input"] == L * D and parts["recurrent"] == L * D * T
    assert all(op.m == T * B for op in w.ops if op.tags.get("part") == "input")
    assert all(op.m == B for op in w.ops if op.tags.get("part") == "recurrent")
    assert w.metadata["schedule"] == "layer"


@pytest.mark.torch
def test_stacked_lstm_structure_matches_generator():
    _torch()
    from cimsim.zoo import trace_zoo
    from cimsim.workload.generators import lstm

    p = dict(input_size=16, hidden=32, layers=2, steps=6, batch=2)
    t, g = trace_zoo("lstm", **p), lstm(**p)
    assert t.macs == g.macs == lstm_macs(16, 32, 2, 6, 2)
    assert matmul_shapes(t) == matmul_shapes(g)
    # layer schedule: the recurrent chain crosses every step of every layer (the step-0
    # matmul of a layer reads only h0, hence L*T - (L-1))
    assert recurrent_matmuls_on_critical_path(t) == 2 * 6 - 1
    assert recurrent_matmuls_on_critical_path(g) == g.metadata["recurrent_matmuls_on_critical_path"]


@pytest.mark.torch
@pytest.mark.parametrize("cls,gates,kw", [
    ("GRU", 3, dict(num_layers=2, bidirectional=True)),
    ("GRU", 3, dict(num_layers=1, batch_first=True)),
    ("RNN", 1, dict(num_layers=2, nonlinearity="relu")),
])
def test_gru_rnn_macs_closed_form(cls, gates, kw):
    torch = _torch()
    from cimsim.workload.trace import trace

    I, H, T, B = 16, 24, 4, 2
    m = getattr(torch.nn, cls)(I, H, **kw)
    x = torch.randn(B, T, I) if kw.get("batch_first") else torch.randn(T, B, I)
    w = trace(m, (x,))
    D = 2 if kw.get("bidirectional") else 1
    assert w.macs == gru_macs(I, H, kw["num_layers"], T, B, D, gates)


@pytest.mark.torch
def test_lstm_given_initial_state_and_h_n_used():
    torch = _torch()
    from cimsim.workload.trace import trace

    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(8, 16, num_layers=2)
            self.fc = torch.nn.Linear(16, 4)

        def forward(self, x, h0, c0):
            _, (h, _) = self.lstm(x, (h0, c0))
            return self.fc(h[-1])

    inputs = (torch.randn(5, 3, 8), torch.zeros(2, 3, 16), torch.zeros(2, 3, 16))
    w = trace(M(), inputs)
    assert w.macs == lstm_macs(8, 16, 2, 5, 3) + 3 * 16 * 4


def _load_example():
    import importlib.util

    spec = importlib.util.spec_from_file_location("lstmcell_loop_example", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.torch
def test_lstmcell_loop_unrolls_with_true_dependencies():
    _torch()
    from cimsim.workload.trace import trace

    ex = _load_example()
    model, inputs = ex.factory()
    w = trace(model, inputs)
    T, B, I, H, C = ex.STEPS, ex.BATCH, ex.INPUT_SIZE, ex.HIDDEN, ex.CLASSES
    assert w.macs == T * B * 4 * H * (I + H) + B * H * C
    rec = [op for op in w.ops if op.tags.get("part") == "recurrent"]
    assert len(rec) == T and all((op.m, op.k, op.n) == (B, H, 4 * H) for op in rec)
    # each step's recurrent matmul waits for the previous step: a chain of T
    assert recurrent_matmuls_on_critical_path(w) == T
    assert len({op.weight for op in rec}) == 1  # one stationary W_hh shared by every step


@pytest.mark.torch
def test_grucell_loop():
    torch = _torch()
    from cimsim.workload.trace import trace

    class Loop(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.cell = torch.nn.GRUCell(8, 16)

        def forward(self, x):
            h = None
            for x_t in x:  # iterate over time (dim 0)
                h = self.cell(x_t, h)
            return h

    w = trace(Loop(), (torch.randn(7, 2, 8),))
    assert w.macs == 7 * 2 * 3 * 16 * (8 + 16)
    assert recurrent_matmuls_on_critical_path(w) == 7


# --------------------------------------------------------------------------- attention
@pytest.mark.torch
def test_transformer_encoder_eval_fast_path_and_train():
    torch = _torch()
    from cimsim.workload.trace import trace

    N, d, h, f, B, L = 10, 32, 4, 64, 2, 2
    layer = torch.nn.TransformerEncoderLayer(d, h, f, batch_first=True)
    enc = torch.nn.TransformerEncoder(layer, L, enable_nested_tensor=False)
    x = (torch.randn(B, N, d),)
    closed = L * B * (N * (4 * d * d + 2 * d * f) + 2 * N * N * d)
    enc.train()
    assert trace(enc, x).macs == flop_counter_macs(enc, x) == closed
    enc.eval()
    w = trace(enc, x)
    assert w.macs == closed
    # torch's fused eval kernel hides its attention from FlopCounterMode
    assert flop_counter_macs(enc, x) < closed
    assert Counter(op.kind for op in w.ops)["layernorm"] == 2 * L


@pytest.mark.torch
def test_transformer_reference_matches_generator():
    _torch()
    from cimsim.zoo import trace_zoo
    from cimsim.workload.generators import transformer

    p = dict(seq_len=10, d_model=32, heads=4, ffn=64, layers=2, batch=2)
    t, g = trace_zoo("transformer", **p), transformer(**p)
    assert t.macs == g.macs
    assert matmul_shapes(t) == matmul_shapes(g)


@pytest.mark.torch
def test_multihead_cross_attention_and_norm_first_layer():
    torch = _torch()
    from cimsim.workload.trace import trace

    class Cross(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = torch.nn.MultiheadAttention(32, 4)
            self.layer = torch.nn.TransformerEncoderLayer(32, 4, 48, norm_first=True, activation="gelu")

        def forward(self, q, kv):
            y, weights = self.attn(q, kv, kv)
            return self.layer(y), weights

    model, inputs = Cross(), (torch.randn(6, 2, 32), torch.randn(9, 2, 32))
    w = trace(model, inputs)
    assert w.macs == flop_counter_macs(model, inputs)
    assert any(op.kind == "reduction" for op in w.ops)  # the head-averaged attention weights


@pytest.mark.torch
def test_scaled_dot_product_attention_closed_form():
    torch = _torch()
    from cimsim.workload.trace import trace

    class S(torch.nn.Module):
        def forward(self, q, k, v):
            return torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)

    B, h, L, S_, E = 2, 4, 10, 10, 8
    w = trace(S(), tuple(torch.randn(B, h, n, E) for n in (L, S_, S_)))
    assert w.macs == 2 * B * h * L * S_ * E
    assert Counter(op.kind for op in w.ops)["softmax"] == 1


@pytest.mark.torch
def test_hierarchical_attention_reference_matches_generator():
    _torch()
    from cimsim.zoo import trace_zoo
    from cimsim.workload.generators import hier_attn, module_macs

    p = dict(seq_len=50, window=8, d_model=32, heads=4, batch=2)
    # level 1: 6 full windows of 8 + a tail of 2, padded to a 7th window of 8 (the default) or
    # on its own; level 2: 7 vectors in one window
    for partial, closed in (("pad", 2 * (7 * module_macs(8, 32) + module_macs(7, 32))),
                            ("separate", 2 * (6 * module_macs(8, 32) + module_macs(2, 32)
                                              + module_macs(7, 32)))):
        t, g = trace_zoo("hier-attn", **p, partial=partial), hier_attn(**p, partial=partial)
        assert t.macs == g.macs == closed
        assert matmul_shapes(t) == matmul_shapes(g)
    # the mask makes the padded window's result the separate window's: the same encoder
    import torch

    from cimsim.zoo.reference import hier_attn as reference
    (padded, (x,), _), (separate, _, _) = reference(**p), reference(**p, partial="separate")
    separate.load_state_dict(padded.state_dict())
    assert torch.allclose(padded(x), separate(x), rtol=1e-5, atol=1e-6)
    pools = [op for op in t.ops if op.kind == "matmul" and op.n == 1]
    assert all(t.tensors[op.weight].shape == (32,) for op in pools)


@pytest.mark.torch
@pytest.mark.parametrize("name,p", [
    ("gru", dict(input_size=16, hidden=32, layers=1, steps=5, batch=2)),
    ("tcn", dict(steps=16, channels=8, kernel=2, layers=3, batch=1)),
])
def test_other_reference_models_match_generators(name, p):
    _torch()
    from cimsim.zoo import trace_zoo
    from cimsim.workload.generators import GENERATORS

    t, g = trace_zoo(name, **p), GENERATORS[name](**p)
    assert t.macs == g.macs
    assert matmul_shapes(t) == matmul_shapes(g)


# --------------------------------------------------------------------------- unknown ops
def _unknown_model(torch):
    class Odd(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(8, 8)

        def forward(self, x):
            return self.fc(torch.special.airy_ai(x))

    return Odd()


@pytest.mark.torch
def test_unknown_op_is_an_error_naming_op_and_line():
    torch = _torch()
    from cimsim.workload.trace import trace

    with pytest.raises(WorkloadError) as exc:
        trace(_unknown_model(torch), (torch.randn(2, 8),))
    msg = str(exc.value)
    assert "airy_ai" in msg and "test_trace.py:" in msg and "allow-unknown" in msg


@pytest.mark.torch
def test_an_unknown_ops_source_line_is_never_the_code_that_called_the_tracer():
    """The line is looked for from the op outward until the tracer's own call of the model: a
    forward with no file of its own (generated code) has no line, where the walk had gone on
    to the caller (for `cimsim trace`, click's decorators.py)."""
    torch = _torch()
    from cimsim.workload.trace import trace

    ns = {"torch": torch}
    exec(compile("def forward(self, x):\n    return torch.special.airy_ai(x)", "<generated>", "exec"), ns)
    model = type("Generated", (torch.nn.Module,), {"forward": ns["forward"]})()
    w = trace(model, (torch.randn(2, 8),), allow_unknown=True)
    (entry,) = w.metadata["unknown_ops"]
    assert entry["where"] == "<unknown>", entry


@pytest.mark.torch
def test_allow_unknown_maps_to_generic_and_lists_it():
    torch = _torch()
    from cimsim.workload.trace import trace

    w = trace(_unknown_model(torch), (torch.randn(2, 8),), allow_unknown=True)
    generic = [op for op in w.ops if op.fn == "generic"]
    assert len(generic) == 1 and w.tensors[generic[0].outputs[0]].shape == (2, 8)
    (entry,) = w.metadata["unknown_ops"]
    assert "airy_ai" in entry["op"] and entry["module"] == "" and "test_trace.py:" in entry["where"]
    assert entry["macs"] is None  # torch's FLOP counter has no formula for it either: said so
    assert w.macs == 2 * 8 * 8


@pytest.mark.torch
def test_a_new_aten_op_is_one_registration():
    """The op `_unknown_model` trips on lowers once one `@lowers` entry names its overload
    packet; the in-place twin comes with it; a second lowering of an op is refused."""
    torch = _torch()
    from cimsim.workload.trace import lower  # noqa: F401  (its @lowers registrations fill the table)
    from cimsim.workload.trace import registry as L
    from cimsim.workload.trace import trace

    aten = torch.ops.aten
    assert L.LOWERINGS[aten.add_].lower is L.LOWERINGS[aten.add].lower  # registered with its in-place twin
    assert aten.special_airy_ai not in L.LOWERINGS
    saved = dict(L.LOWERINGS)
    try:
        @L.lowers(aten.special_airy_ai)
        def _bessel(low, c):
            low.emit("elementwise", c.base, c.reads, c.targets, fn="tanh")

        w = trace(_unknown_model(torch), (torch.randn(2, 8),))
        (op,) = [op for op in w.ops if "special_airy_ai" in op.name]
        assert op.kind == "elementwise" and op.fn == "tanh"
        assert w.metadata["unknown_ops"] == [] and w.macs == 2 * 8 * 8
        with pytest.raises(RuntimeError, match="two lowerings"):
            L.lowers(aten.mm)(_bessel)
    finally:
        L.LOWERINGS.clear()
        L.LOWERINGS.update(saved)


@pytest.mark.torch
def test_an_aten_schema_binds_its_arguments_by_position_and_by_name():
    """One helper binds an op's schema names to its arguments (five lowerings did it by hand):
    sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None)."""
    torch = _torch()
    from types import SimpleNamespace

    from cimsim.workload.trace.registry import bound_args

    x = torch.zeros(2, 3)
    ev = SimpleNamespace(func=torch.ops.aten.sum.dim_IntList)
    got = bound_args(ev, (x, [1]), {"dtype": torch.float64})
    assert got["self"] is x and got["dim"] == [1] and got["dtype"] == torch.float64
    assert "keepdim" not in got  # left at its default: absent, the caller's default applies
    assert bound_args(ev, (x, [0], True), {})["keepdim"] is True


@pytest.mark.torch
def test_unknown_module_names_the_module():
    torch = _torch()
    from cimsim.workload.trace import trace

    class Bessel(torch.nn.Module):
        def forward(self, x):
            return torch.special.airy_ai(x)

    # PReLU (unknown to the fx tracer) is an aten pointwise op the aten capture maps
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.PReLU(), Bessel())
    with pytest.raises(WorkloadError, match=r"airy_ai.*module '2'"):
        trace(model, (torch.randn(2, 4),))


# --------------------------------------------------------------------------- CLI and factories
@pytest.mark.torch
def test_cli_traces_lstmcell_example(tmp_path):
    _torch()
    from click.testing import CliRunner

    from cimsim.commands.trace import trace_command
    from cimsim.workload.io import load_workload

    ex = _load_example()
    out = tmp_path / "cell.json"
    r = CliRunner().invoke(trace_command, [f"{EXAMPLE}:factory", "-o", str(out)])
    assert r.exit_code == 0, r.output
    w = load_workload(out)
    assert w.name == "cell"
    T, B, I, H, C = ex.STEPS, ex.BATCH, ex.INPUT_SIZE, ex.HIDDEN, ex.CLASSES
    assert w.macs == T * B * 4 * H * (I + H) + B * H * C
    assert json.loads(out.read_text())["metadata"]["unknown_ops"] == []


@pytest.mark.torch
def test_cli_zoo_tcn_bundled_size(tmp_path):
    _torch()
    from click.testing import CliRunner

    from cimsim.commands.trace import trace_command
    from cimsim.workload.generators import make_bundled
    from cimsim.workload.io import load_workload

    r = CliRunner().invoke(trace_command, ["--zoo", "tcn", "-o", str(tmp_path / "tcn.json")])
    assert r.exit_code == 0, r.output
    w = load_workload(tmp_path / "tcn.json")
    assert w.macs == make_bundled("tcn").macs == 8 * 1024 * 256 * 256 * 3


@pytest.mark.torch
def test_cli_errors_are_one_line(tmp_path):
    _torch()
    from click.testing import CliRunner

    from cimsim.commands.trace import trace_command

    runner = CliRunner()
    r = runner.invoke(trace_command, [f"{tmp_path}/missing.py:factory", "-o", str(tmp_path / "x.json")])
    assert r.exit_code == 1 and "does not exist" in r.output and "Traceback" not in r.output
    bad = tmp_path / "odd.py"
    bad.write_text(textwrap.dedent("""
        import torch
        class M(torch.nn.Module):
            def forward(self, x):
                return torch.special.airy_ai(x)
        def factory():
            return M(), torch.randn(3)
    """))
    r = runner.invoke(trace_command, [f"{bad}:factory", "-o", str(tmp_path / "x.json")])
    assert r.exit_code == 1 and "airy_ai" in r.output and "Traceback" not in r.output
    r = runner.invoke(trace_command, [f"{bad}:factory", "-o", str(tmp_path / "x.json"), "--allow-unknown"])
    assert r.exit_code == 0 and "1 unknown op" in r.output and "no FLOP formula" in r.output
    r = runner.invoke(trace_command, [f"{bad}:nothere", "-o", str(tmp_path / "x.json")])
    assert r.exit_code == 1 and "no function 'nothere'" in r.output
    # an attribute that is there but no function was said to be missing
    r = runner.invoke(trace_command, [f"{bad}:torch", "-o", str(tmp_path / "x.json")])
    assert r.exit_code == 1 and ".torch is a module, not a function" in r.output, r.output


@pytest.mark.torch
def test_a_factory_that_raises_is_one_line_naming_where(tmp_path):
    """The user's factory raising is the user's error: one line with the exception and the
    line it came from, exit status 1, never a traceback."""
    _torch()
    from click.testing import CliRunner

    from cimsim.commands.trace import trace_command

    src = tmp_path / "boom.py"
    src.write_text("def factory():\n    raise RuntimeError('no weights here')\n")
    r = CliRunner().invoke(trace_command, [f"{src}:factory", "-o", str(tmp_path / "x.json")])
    assert r.exit_code == 1 and isinstance(r.exception, SystemExit), r.exception
    line = r.output.strip()
    assert "\n" not in line and "Traceback" not in line
    assert "calling the factory failed: RuntimeError: no weights here" in line
    assert f"(at {src}:2)" in line


def test_trace_output_must_be_json_or_npz(tmp_path):
    """-o odd.csv wrote JSON under a CSV name: refused before anything is traced."""
    from click.testing import CliRunner

    from cimsim.commands.trace import trace_command

    r = CliRunner().invoke(trace_command, [f"{EXAMPLE}:factory", "-o", str(tmp_path / "w.csv")])
    assert r.exit_code == 2 and "a workload file is .json, or .npz for the columnar form" in r.output
    assert not (tmp_path / "w.csv").exists()


@pytest.mark.torch
def test_load_factory_module_spec():
    torch = _torch()
    from cimsim.workload.trace import load_factory

    model, inputs = load_factory("cimsim.zoo.reference:tcn")
    assert isinstance(model, torch.nn.Module) and isinstance(inputs, tuple)
    with pytest.raises(WorkloadError, match="PATH.py:FACTORY"):
        load_factory("no_colon_here")


# --------------------------------------------------------------------------- without torch
def test_without_torch_everything_else_works(tmp_path):
    script = textwrap.dedent(f"""
        import sys
        sys.modules["torch"] = None  # import torch now raises ImportError
        import cimsim, cimsim.workload, cimsim.zoo
        try:
            cimsim.zoo.build("gpt2")
        except cimsim.workload.trace.TorchMissingError:
            pass
        else:
            raise SystemExit("zoo built a model without torch")
        from cimsim.workload.generators import lstm
        from cimsim.workload import trace as tr
        assert lstm(8, 8, steps=2).macs > 0
        try:
            tr.trace(object(), ())
        except tr.TorchMissingError as exc:
            assert "pip install 'cimsim[torch]'" in str(exc), exc
        else:
            raise SystemExit("no error without torch")
        from click.testing import CliRunner
        from cimsim.commands.trace import trace_command
        r = CliRunner().invoke(trace_command, ["x.py:f", "-o", r"{tmp_path / 'x.json'}"])
        assert r.exit_code == 1 and "pip install 'cimsim[torch]'" in r.output, r.output
        assert "Traceback" not in r.output
        print("ok")
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("ok")


@pytest.mark.torch
def test_unsupported_parameter_dtype_is_an_error_not_a_silent_fp32():
    torch = pytest.importorskip("torch")
    from cimsim.errors import WorkloadError
    from cimsim.workload.trace import trace

    model = torch.nn.Linear(4, 3).double()
    with pytest.raises(WorkloadError, match="float64.*dtype="):
        trace(model, (torch.randn(2, 4, dtype=torch.float64),))
    wl = trace(model, (torch.randn(2, 4, dtype=torch.float64),), dtype="fp32")
    assert wl.macs == 2 * 4 * 3


@pytest.mark.torch
@pytest.mark.parametrize("forward", ["x", "x.view(-1)", "x.t()"])
def test_a_model_without_work_is_the_users_error_not_a_tracer_bug(forward):
    """An identity (or a view of its input) dispatches nothing that costs: the error says so and
    does not blame the tracer."""
    torch = pytest.importorskip("torch")
    from cimsim.workload.trace import trace

    ns = {}
    exec(f"def forward(self, x):\n    return {forward}", ns)
    model = type("Identity", (torch.nn.Module,), {"forward": ns["forward"]})()
    with pytest.raises(WorkloadError) as exc:
        trace(model, (torch.randn(2, 3),))
    msg = str(exc.value)
    assert "Identity on the example inputs ran" in msg and "nothing to simulate" in msg
    assert "tracer bug" not in msg


# --------------------------------------------------------------------------- tensor identity (aten capture)
def _ancestors(w, i):
    indptr, indices = w.predecessors
    seen, stack = set(), [i]
    while stack:
        j = stack.pop()
        for p in indices[indptr[j]:indptr[j + 1]]:
            if p not in seen:
                seen.add(int(p))
                stack.append(int(p))
    return seen


@pytest.mark.torch
def test_views_split_a_producer_into_parts_without_copies():
    torch = _torch()
    from cimsim.workload.trace import trace

    class QKV(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = torch.nn.Linear(16, 48, bias=False)

        def forward(self, x):  # x: (4, 16)
            q, k, v = self.qkv(x).chunk(3, dim=-1)  # views of one (4, 48) output
            return torch.softmax(q @ k.t(), -1) @ v

    w = trace(QKV(), (torch.randn(4, 16),))
    assert w.macs == 4 * 16 * 48 + 2 * 4 * 16 * 4
    (proj,) = [op for op in w.ops if op.weight == "qkv.weight"]
    # the projection's output is cut into the three parts its readers read: Q, K, V
    assert len(proj.outputs) == 3 and all(w.tensors[t].numel == 4 * 16 for t in proj.outputs)
    assert not any(op.kind == "copy" for op in w.ops)  # chunk, .t() are views: no data moves


@pytest.mark.torch
def test_reshape_copies_are_free_and_partial_writes_keep_dependencies():
    torch = _torch()
    from cimsim.workload.trace import trace

    class Steps(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.cell = torch.nn.Linear(8, 8, bias=False)
            self.head = torch.nn.Linear(8, 2, bias=False)

        def forward(self, x):  # x: (2, 5, 8)
            out = torch.zeros(2, 5, 8)
            for t in range(5):
                out[:, t] = self.cell(x[:, t])  # an in-place write into one slice per step
            y = out.transpose(0, 1).contiguous()  # a reshape that copies in torch: free here
            return self.head(y)

    w = trace(Steps(), (torch.randn(2, 5, 8),))
    assert w.macs == 5 * 2 * 8 * 8 + 10 * 8 * 2
    (head,) = [i for i, op in enumerate(w.ops) if op.weight == "head.weight"]
    cells = [i for i, op in enumerate(w.ops) if op.weight == "cell.weight"]
    assert len(cells) == 5 and set(cells) <= _ancestors(w, head)  # the head waits for every step
    # one copy per slice write (copy_ moves data), none for the transpose + contiguous: the head's
    # operand is the five written slices, gathered once into one (10, 8) matrix
    kinds = Counter(op.kind for op in w.ops)
    assert kinds["matmul"] == 6 and kinds["copy"] == 5 + 1
    (gather,) = [op for op in w.ops if op.tags.get("part") == "operand"]
    assert len(gather.inputs) == 5 and w.tensors[gather.outputs[0]].numel == 10 * 8


@pytest.mark.torch
@pytest.mark.parametrize("cls,gen", [("LSTM", "lstm"), ("GRU", "gru")])
def test_traced_recurrent_layer_has_the_generator_op_structure(cls, gen):
    """Op for op, a traced nn.LSTM / nn.GRU (no biases: the generators leave them out) is the
    generator's layer schedule: input projection, per step the recurrent matmul and ONE fused
    cell op, the layer's concatenation; torch then also stacks the final states (h_n, c_n)."""
    torch = _torch()
    from cimsim.workload.generators import GENERATORS
    from cimsim.workload.trace import trace

    I, H, L, T, B = 16, 32, 2, 5, 3
    w = trace(getattr(torch.nn, cls)(I, H, L, bias=False), (torch.randn(T, B, I),))
    g = GENERATORS[gen](I, H, L, steps=T, batch=B)

    def shape(wl):
        return [(op.kind, op.tags.get("part"), op.fn, op.batch, op.m, op.k, op.n) for op in wl.ops]

    final_states = 2 if cls == "LSTM" else 1
    assert shape(w)[:len(g.ops)] == shape(g)
    assert len(w.ops) == len(g.ops) + final_states
    assert recurrent_matmuls_on_critical_path(w) == g.metadata["recurrent_matmuls_on_critical_path"]


@pytest.mark.torch
def test_assorted_layers_closed_form_and_counter():
    """Transposed grouped conv, Conv3d, GroupNorm, InstanceNorm, interpolation, pooling,
    PixelShuffle, an embedding with padding, mv / dot against parameters, einsum, cumsum."""
    torch = _torch()
    nn, F = torch.nn, torch.nn.functional
    from cimsim.workload.trace import trace
    from cimsim.workload.trace.flops import count_macs

    class Misc(nn.Module):
        def __init__(self):
            super().__init__()
            self.ct = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2)
            self.c3 = nn.Conv3d(2, 4, 3, padding=1)
            self.gn = nn.GroupNorm(2, 6)
            self.inorm = nn.InstanceNorm2d(6, affine=True)
            self.ps = nn.PixelShuffle(2)
            self.w = nn.Parameter(torch.randn(5, 8))
            self.v = nn.Parameter(torch.randn(8))
            self.emb = nn.Embedding(10, 8, padding_idx=0)

        def forward(self, x, y, z, idx):
            a = F.avg_pool2d(F.interpolate(self.inorm(self.gn(self.ct(x))), scale_factor=2,
                                           mode="bilinear"), 2)
            a = self.ps(a[:, :4])
            b = self.c3(y).amax(dim=(2, 3, 4))
            e = self.emb(idx).mean(0)
            m = torch.mv(self.w, e) + torch.dot(e, self.v)
            c = torch.cumsum(torch.einsum("bij,bjk->bik", z, z.transpose(1, 2)), -1)
            return a.sum() + b.sum() + m.sum() + c.sum() + torch.outer(e, e).sum()

    x = (torch.randn(1, 4, 5, 5), torch.randn(1, 2, 3, 4, 4), torch.randn(2, 3, 6),
         torch.tensor([1, 2, 0, 3]))
    model = Misc().eval()
    w = trace(model, x)
    transposed = 1 * 5 * 5 * 4 * (6 // 2) * 9  # input positions x C_in x C_out/groups x kernel
    conv3d = (4 * 3 * 4 * 4) * 2 * 27  # output elements x C_in x kernel
    closed = transposed + conv3d + 5 * 8 + 8 + 2 * 3 * 6 * 3  # + mv + dot + einsum's bmm
    assert w.macs == closed == count_macs(model, x)
    # the weights of mv (as the stationary B of a 1 x 8 x 5 matmul) and of the conv3d
    assert {op.weight for op in w.ops if op.kind == "matmul"} >= {"w", "c3.weight"}


@pytest.mark.torch
def test_module_created_inside_forward_draws_its_weights_each_forward():
    """A module made inside forward initialises its weights there (nn.Linear's
    kaiming_uniform_ and the bias's uniform_): new random weights on every call, so its matmul
    is listed as sampled (no stationary weight a CIM could hold), with the two draws as ops of
    their own (find-B 3, 4: random draws are generated, not read)."""
    torch = _torch()
    from cimsim.workload.trace import trace

    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(4, 8)

        def forward(self, x):
            head = torch.nn.Linear(8, 2)  # created (and initialised) during the run
            return head(self.fc(x))

    w = trace(M(), (torch.randn(3, 4),))
    assert [op.weight for op in w.ops if op.kind == "matmul"] == ["fc.weight", None]
    assert [e for e in w.metadata["computed_weights"] if e.get("sampled")] == [
        {"op": "Linear.addmm", "operand": "uniform", "sampled": True, "from": "a random draw"}]
    assert [op.name for op in w.ops if op.name.startswith("uniform")] == ["uniform", "uniform#1"]
    assert w.macs == 3 * 4 * 8 + 3 * 8 * 2


@pytest.mark.torch
def test_bilinear_is_an_outer_product_and_a_stationary_matmul():
    torch = _torch()
    from cimsim.workload.trace import trace
    from cimsim.workload.trace.flops import count_macs

    B, I, J, O = 4, 6, 5, 3
    model, x = torch.nn.Bilinear(I, J, O), (torch.randn(B, I), torch.randn(B, J))
    w = trace(model, x)
    # y[b, o] = sum_ij x1[b, i] W[o, i, j] x2[b, j]: B x O x I x J products
    assert w.macs == B * O * I * J == count_macs(model, x)
    (mm,) = [op for op in w.ops if op.kind == "matmul"]
    assert (mm.m, mm.k, mm.n, mm.weight) == (B, I * J, O, "weight")


# --------------------------------------------------------------------------- mixtures of experts
def _tiny_mixtral(torch, transformers):
    cfg = transformers.MixtralConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=1,
                                     num_attention_heads=4, num_key_value_heads=2, num_local_experts=4,
                                     num_experts_per_tok=2, vocab_size=100)
    torch.manual_seed(0)
    return transformers.AutoModelForCausalLM.from_config(cfg).eval()


@pytest.mark.torch
def test_a_mixture_of_experts_lowers_to_one_matmul_per_expert_over_the_tokens_it_routed():
    """transformers' Mixtral runs its experts as aten._grouped_mm (unknown before: the expert
    MACs were lost). Each expert that got tokens is one matmul over exactly those rows, reading
    its own weight slice; the rows are the router's top-2 picks, counted here from the router."""
    torch = _torch()
    transformers = pytest.importorskip("transformers")
    from cimsim.workload.trace import trace

    model = _tiny_mixtral(torch, transformers)
    ids = torch.randint(0, 100, (1, 8), generator=torch.Generator().manual_seed(1))
    picked = {}
    router = model.model.layers[0].mlp.gate
    h = router.register_forward_hook(lambda mod, args, out: picked.update(i=out[2].clone()))
    wl = trace(model, (ids,), name="moe")
    h.remove()
    counts = torch.bincount(picked["i"].flatten(), minlength=4).tolist()  # tokens per expert
    experts = [op for op in wl.ops if op.tags.get("aten") == "_grouped_mm"]
    up = [op for op in experts if "gate_up_proj" in op.tags["weight_name"]]
    down = [op for op in experts if "down_proj" in op.tags["weight_name"]]
    assert [op.m for op in up] == [c for c in counts if c] == [op.m for op in down]
    assert sum(op.m for op in up) == 8 * 2  # 8 tokens x top-2
    assert {(op.k, op.n) for op in up} == {(64, 2 * 128)} and {(op.k, op.n) for op in down} == {(128, 64)}
    assert all(wl.tensors[op.weight].nbytes == 64 * 256 * 4 for op in up)  # one expert's slice
    assert len({op.weight for op in up}) == len(up)
    # d = 64, H = 4 of d_h 16, 2 K/V heads, 8 tokens: q, o 8x64x64 each, k, v 8x64x32 each
    # (98,304); scores and context 4 x 8 x 8 x 16 each (8,192); router 8x64x4 (2,048); experts
    # 16 rows x (64 x 256 + 128 x 64) (393,216); LM head 8 x 64 x 100 (51,200)
    assert wl.macs == 98_304 + 8_192 + 2_048 + 393_216 + 51_200 == 552_960


@pytest.mark.torch
def test_a_mixture_of_experts_of_fake_tensors_is_one_line():
    _torch()
    pytest.importorskip("transformers")
    from cimsim import zoo

    with pytest.raises(WorkloadError, match=r"hf:mixtral is a mixture of experts \(num_local_experts=8\).*"
                                            r"--real-weights"):
        zoo.build("hf:mixtral", num_hidden_layers=1)


@pytest.mark.torch
def test_addbmm_is_one_product_over_the_batch():
    """torch.addbmm (input + sum over b of A[b] @ B[b]) was refused as an unmapped op although
    the FLOP counter has its formula (a tester, 2026-12-05): 2 x (3 x 4 @ 4 x 5) = 120 MACs,
    one (3 x 8) @ (8 x 5) product, its output 3 x 5."""
    torch = _torch()
    from cimsim.workload.trace import trace

    class AddBmm(torch.nn.Module):
        def forward(self, c, a, b):
            return torch.addbmm(c, a, b)

    w = trace(AddBmm(), (torch.randn(3, 5), torch.randn(2, 3, 4), torch.randn(2, 4, 5)))
    [mm] = [o for o in w.ops if o.kind == "matmul"]
    assert (mm.m, mm.k, mm.n, mm.batch) == (3, 8, 5, 1)
    assert w.macs == 2 * 3 * 4 * 5
