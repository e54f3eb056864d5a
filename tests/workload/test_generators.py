"""Workload generators: closed-form MACs, critical paths, levels, errors, CLI, bundled files.

Golden values are written here as arithmetic from WORKLOADS.md, never copied from output.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from click.testing import CliRunner

from cimsim.commands.workload import workload as workload_cmd
from cimsim.errors import WorkloadError
from cimsim.workload import load_workload, save_workload
from cimsim.workload.generators import (
    BUNDLED,
    GENERATORS,
    gru,
    hier_attn,
    lstm,
    make_bundled,
    matmul,
    tcn,
    transformer,
    write_bundled,
)
from cimsim.workload.graph import longest_path
from cimsim.workload.ir import ELEMENTWISE_OPS_PER_ELEMENT


def path_len(w, weigh) -> float:
    """Longest path where op i weighs weigh(op) (counts ops of a kind on the path)."""
    indptr, indices = w.predecessors
    weights = np.array([float(weigh(op)) for op in w.ops])
    return longest_path(indptr, indices, weights)[0]


def is_part(part):
    return lambda op: op.tags.get("part") == part


def f_module(n, d):
    """MACs of one attention module over n vectors (WORKLOADS.md, per batch item)."""
    return 4 * n * d * d + 2 * n * n * d + 2 * n * d


# ------------------------------------------------------------------ LSTM / GRU
@pytest.mark.parametrize("I,H,L,T,B", [(3, 4, 1, 5, 1), (7, 5, 2, 4, 3), (2, 6, 3, 3, 2)])
@pytest.mark.parametrize("schedule", ["layer", "wavefront"])
def test_lstm_gru_macs_closed_form(I, H, L, T, B, schedule):
    w = lstm(I, H, L, steps=T, batch=B, schedule=schedule)
    expect = T * B * 4 * H * (I + H) + (L - 1) * T * B * 4 * H * (H + H)
    assert w.macs == expect == w.metadata["macs"]
    g = gru(I, H, L, steps=T, batch=B, schedule=schedule)
    assert g.macs == T * B * 3 * H * (I + H) + (L - 1) * T * B * 3 * H * (2 * H)
    # weights 4H(I+H) + 8H for layer 0, 4H(2H) + 8H above it
    wb = 4 * (4 * H * (I + H) + 8 * H + (L - 1) * (4 * H * 2 * H + 8 * H))
    assert w.weight_bytes == wb
    assert all(t.dtype == "fp32" for t in w.tensors.values())


def _vector_ops(w):
    total = 0.0
    for op in w.ops:
        if op.kind == "elementwise":
            per = op.ops_per_element if op.ops_per_element is not None else ELEMENTWISE_OPS_PER_ELEMENT[op.fn]
            total += per * sum(w.tensors[t].numel for t in op.outputs)
    return total


@pytest.mark.parametrize("cell,per_step", [("lstm", 36), ("gru", 26)])
def test_fused_pointwise_is_one_op_per_step_with_the_same_vector_work(cell, per_step):
    I, H, L, T, B = 6, 5, 2, 4, 3
    gen = lstm if cell == "lstm" else gru
    fused = gen(I, H, L, steps=T, batch=B)
    separate = gen(I, H, L, steps=T, batch=B, pointwise="separate")
    assert sum(op.kind == "elementwise" for op in fused.ops) == L * T
    # LSTM: 4H x (3 adds + 4 activation) + 3H (cell) + 5H (hidden) = 36H per step and sample;
    # GRU: 2H x 7 (r, z) + 8H (candidate) + 4H (state) = 26H
    assert _vector_ops(fused) == _vector_ops(separate) == per_step * H * B * L * T
    assert fused.macs == separate.macs


def test_lstm_op_structure():
    I, H, L, T, B = 6, 5, 2, 4, 3
    w = lstm(I, H, L, steps=T, batch=B, pointwise="separate")
    xproj = [op for op in w.ops if op.tags.get("part") == "input"]
    assert len(xproj) == L
    assert (xproj[0].m, xproj[0].k, xproj[0].n) == (T * B, I, 4 * H)
    assert (xproj[1].m, xproj[1].k, xproj[1].n) == (T * B, H, 4 * H)
    assert len(xproj[0].outputs) == T
    assert all(w.tensors[o].shape == (B, 4 * H) for o in xproj[0].outputs)
    rec = [op for op in w.ops if op.tags.get("part") == "recurrent"]
    assert len(rec) == L * T
    assert all((op.m, op.k, op.n, op.weight) == (B, H, 4 * H, f"l{op.tags['layer']}.W_hh") for op in rec)
    cell = [op for op in w.ops if op.tags.get("part") == "state"]
    assert all(op.ops_per_element == 3 for op in cell)
    assert all(op.ops_per_element == 5 for op in w.ops if op.tags.get("part") == "output")
    assert w.tensors["l0.h0"].role == "input" and w.tensors["l0.c0"].role == "input"
    # wavefront: per-step input projections with m = batch
    wf = lstm(I, H, L, steps=T, batch=B, schedule="wavefront")
    xp = [op for op in wf.ops if op.tags.get("part") == "input"]
    assert len(xp) == L * T and all(op.m == B for op in xp)


@pytest.mark.parametrize("gen", [lstm, gru])
@pytest.mark.parametrize("L,T", [(1, 6), (2, 5), (3, 4)])
def test_recurrent_critical_path(gen, L, T):
    lay = gen(4, 3, L, steps=T, batch=2, schedule="layer")
    wav = gen(4, 3, L, steps=T, batch=2, schedule="wavefront")
    # recurrent steps: every path through step (l, t) passes its state update
    assert path_len(lay, is_part("state")) == L * T == lay.metadata["recurrent_steps_on_critical_path"]
    assert path_len(wav, is_part("state")) == T + L - 1 == wav.metadata["recurrent_steps_on_critical_path"]
    # recurrent matmuls: a layer's step-0 W_hh matmul reads only h0, so it is off the path
    # that waits for the layer below
    assert path_len(lay, is_part("recurrent")) == L * T - (L - 1)
    assert path_len(wav, is_part("recurrent")) == T
    assert lay.metadata["schedule"] == "layer" and wav.metadata["schedule"] == "wavefront"


# ------------------------------------------------------------------ hierarchical attention
@pytest.mark.parametrize("w_,L", [(2, 1), (2, 4), (3, 3), (5, 2), (4, 3)])
def test_hier_attn_levels_and_modules_at_power(w_, L):
    N, d, B = w_ ** L, 8, 2
    wl = hier_attn(N, d_model=d, heads=2, window=w_, batch=B)
    modules = (w_ ** L - 1) // (w_ - 1)
    assert wl.metadata["levels"] == L
    assert wl.metadata["modules"] == modules
    out = [op for op in wl.ops if op.tags.get("part") == "out_proj"]
    assert sum(op.tags["windows"] for op in out) == modules
    assert len({op.tags["level"] for op in out}) == L
    assert path_len(wl, is_part("out_proj")) == L
    assert wl.macs == B * modules * f_module(w_, d)


def test_hier_attn_partial_windows():
    d, B = 16, 3
    # N=250, w=100, each partial window on its own: level 1 = 2 full windows + one of 50;
    # level 2 = 3 vectors (the padded default: tests/workload/test_hier_attn_partial.py)
    wl = hier_attn(250, d_model=d, heads=4, window=100, batch=B, partial="separate")
    assert wl.metadata["levels"] == 2 and wl.metadata["modules"] == 4
    assert wl.macs == B * (2 * f_module(100, d) + f_module(50, d) + f_module(3, d))
    # N=7, w=2: 7 -> 4 -> 2 -> 1 : levels 3, modules 4 + 2 + 1
    w2 = hier_attn(7, d_model=d, heads=2, window=2, batch=1, partial="separate")
    assert w2.metadata["levels"] == 3 and w2.metadata["modules"] == 7
    assert w2.macs == 3 * f_module(2, d) + f_module(1, d) + 2 * f_module(2, d) + f_module(2, d)
    scores = [op for op in w2.ops if op.tags.get("part") == "scores"]
    assert all(op.k == d // 2 for op in scores)


def test_hier_attn_levels_float_log_edge():
    # 1000 = 10^3 exactly: float log10 style arithmetic must not give 4
    assert hier_attn(1000, d_model=4, heads=1, window=10).metadata["levels"] == 3
    assert hier_attn(1001, d_model=4, heads=1, window=10).metadata["levels"] == 4
    assert hier_attn(243, d_model=4, heads=1, window=3).metadata["levels"] == 5


def test_hier_attn_doubling_adds_at_most_one_level():
    for w_ in (2, 3, 10):
        for N in range(2, 300, 7):
            a = hier_attn(N, d_model=4, heads=1, window=w_)
            b = hier_attn(2 * N, d_model=4, heads=1, window=w_)
            da = b.metadata["levels"] - a.metadata["levels"]
            assert da in (0, 1)
            assert a.metadata["levels"] == math.ceil(round(math.log(N, w_), 9))


@pytest.mark.parametrize("w_,L", [(2, 3), (3, 2), (4, 2)])
def test_hier_attn_stream(w_, L):
    N, d, B = w_ ** L, 8, 2
    wl = hier_attn(N, d_model=d, heads=2, window=w_, batch=B, mode="stream")
    assert wl.metadata["levels"] == L and wl.metadata["modules_per_step"] == L
    out = [op for op in wl.ops if op.tags.get("part") == "out_proj"]
    per_step = {}
    for op in out:
        per_step[op.tags["step"]] = per_step.get(op.tags["step"], 0) + 1
    assert sorted(per_step) == list(range(N)) and set(per_step.values()) == {L}
    assert path_len(wl, is_part("out_proj")) == L
    # with N = w^L each window size c = 1..w occurs N/w times at every level
    s1, s2 = w_ * (w_ + 1) // 2, w_ * (w_ + 1) * (2 * w_ + 1) // 6
    assert wl.macs == B * L * (N // w_) * (4 * d * d * s1 + 2 * d * s2 + 2 * d * s1)
    inputs = [t for t in wl.tensors.values() if t.role == "input"]
    assert len(inputs) == N
    assert wl.metadata["stored_vectors"] == N + (N - 1) // (w_ - 1)
    assert wl.metadata["memory_grows_with_seq_len"] is True


# ------------------------------------------------------------------ transformer, TCN
@pytest.mark.parametrize("N,d,h,f,L,B", [(5, 8, 2, 16, 1, 1), (7, 12, 3, 20, 2, 2), (3, 4, 4, 8, 3, 3)])
def test_transformer_macs(N, d, h, f, L, B):
    w = transformer(N, d_model=d, heads=h, ffn=f, layers=L, batch=B, dtype="bf16")
    assert w.macs == L * B * (N * (4 * d * d + 2 * d * f) + 2 * N * N * d)
    assert all(t.dtype == "bf16" for t in w.tensors.values())
    kinds = [op.kind for op in w.ops]
    assert kinds.count("layernorm") == 2 * L and kinds.count("softmax") == L


@pytest.mark.parametrize("T,C,k,L,B", [(16, 4, 3, 3, 1), (10, 6, 2, 4, 2), (8, 5, 5, 1, 3)])
def test_tcn_macs_and_receptive_field(T, C, k, L, B):
    w = tcn(T, channels=C, kernel=k, layers=L, batch=B, dtype="int8")
    assert w.macs == L * T * B * C * C * k
    assert w.metadata["receptive_field"] == 1 + (k - 1) * (2 ** L - 1)
    convs = [op for op in w.ops if op.tags.get("part") == "conv"]
    assert [(op.m, op.k, op.n) for op in convs] == [(T * B, C * k, C)] * L
    assert w.weight_bytes == L * C * C * k  # int8: one byte each
    assert path_len(w, is_part("conv")) == L


# ------------------------------------------------------------------ JSON round trip
@pytest.mark.parametrize("make", [
    lambda: lstm(3, 4, 2, steps=3, batch=2, dtype="fp16"),
    lambda: gru(3, 4, 2, steps=3, schedule="wavefront"),
    lambda: hier_attn(20, d_model=8, heads=2, window=3),
    lambda: hier_attn(9, d_model=8, heads=2, window=3, mode="stream"),
    lambda: transformer(4, d_model=8, heads=2, ffn=16, layers=2),
    lambda: tcn(8, channels=3, kernel=2, layers=2),
])
def test_json_round_trip(make, tmp_path):
    w = make()
    p = tmp_path / "w.json"
    save_workload(w, p)
    r = load_workload(p)
    assert r.name == w.name
    assert r.tensors == w.tensors
    assert r.ops == w.ops
    assert r.metadata == w.metadata


# ------------------------------------------------------------------ bad arguments
@pytest.mark.parametrize("call,param", [
    (lambda: lstm(0, 4, steps=3), "input_size"),
    (lambda: lstm(3, 0, steps=3), "hidden"),
    (lambda: lstm(3, -1, steps=3), "hidden"),
    (lambda: lstm(3, 4, 0, steps=3), "layers"),
    (lambda: lstm(3, 4, steps=0), "steps"),
    (lambda: lstm(3, 4, steps=2, batch=0), "batch"),
    (lambda: lstm(3, 4, steps=2, dtype="fp64"), "dtype"),
    (lambda: lstm(3, 4, steps=2, schedule="diagonal"), "schedule"),
    (lambda: lstm(3.5, 4, steps=2), "input_size"),
    (lambda: gru(3, 4, steps=2, schedule="x"), "schedule"),
    (lambda: gru(3, 0, steps=2), "hidden"),
    (lambda: hier_attn(100, window=1), "window"),
    (lambda: hier_attn(1), "seq_len"),
    (lambda: hier_attn(100, mode="replay"), "mode"),
    (lambda: hier_attn(100, partial="mask"), "partial"),
    (lambda: hier_attn(100, mode="stream", partial="pad"), "partial"),
    (lambda: hier_attn(100, d_model=10, heads=3), "heads"),
    (lambda: hier_attn(100, d_model=0), "d_model"),
    (lambda: hier_attn(100, dtype="int4"), "dtype"),
    (lambda: transformer(0), "seq_len"),
    (lambda: transformer(4, ffn=0), "ffn"),
    (lambda: transformer(4, d_model=10, heads=4), "heads"),
    (lambda: tcn(0), "steps"),
    (lambda: tcn(8, kernel=0), "kernel"),
    (lambda: tcn(8, channels=0), "channels"),
    (lambda: tcn(8, dtype="double"), "dtype"),
])
def test_bad_arguments(call, param):
    with pytest.raises(WorkloadError, match=param):
        call()


def test_error_lists_allowed_values():
    with pytest.raises(WorkloadError, match="layer, wavefront"):
        lstm(3, 4, steps=2, schedule="diagonal")
    with pytest.raises(WorkloadError, match="fp32, fp16, bf16, int8"):
        tcn(8, dtype="fp64")


# ------------------------------------------------------------------ CLI
def test_cli_writes_loadable_file(tmp_path):
    out = tmp_path / "l.json"
    res = CliRunner().invoke(workload_cmd, [
        "lstm", "--input-size", "6", "--hidden", "4", "--layers", "2", "--steps", "3",
        "--batch", "2", "--dtype", "fp16", "--schedule", "wavefront", "-o", str(out)])
    assert res.exit_code == 0, res.output
    w = load_workload(out)
    assert w.macs == 3 * 2 * 4 * 4 * (6 + 4) + 3 * 2 * 4 * 4 * (4 + 4)
    assert w.metadata["schedule"] == "wavefront"
    assert str(w.macs) in res.output.replace(",", "") and f"{len(w.ops)} ops" in res.output
    out2 = tmp_path / "h.json"
    res = CliRunner().invoke(workload_cmd, [
        "hier-attn", "--steps", "16", "--window", "4", "--d-model", "8", "--heads", "2",
        "-o", str(out2)])
    assert res.exit_code == 0, res.output
    assert load_workload(out2).metadata["levels"] == 2


@pytest.mark.parametrize("args,needle", [
    (["lstm", "--input-size", "4", "--hidden", "4", "--steps", "2", "--window", "3"], "--window"),
    (["tcn", "--steps", "4", "--hidden", "3"], "--hidden"),
    (["transformer", "--steps", "4", "--schedule", "layer"], "--schedule"),
    (["gru", "--input-size", "4", "--hidden", "0", "--steps", "2"], "hidden"),
    (["tcn", "--steps", "4", "--dtype", "fp64"], "dtype"),
    (["matmul", "--m", "2", "--k", "3", "--n", "4", "--count", "2", "--chain"], "--k 3 must equal --n 4"),
    (["gemv", "--k", "3", "--n", "4", "--operand", "cache"], "operand"),
    (["gemv", "--m", "3", "--k", "3", "--n", "4"], "--m"),
])
def test_cli_errors_are_one_line(args, needle, tmp_path):
    res = CliRunner().invoke(workload_cmd, args + ["-o", str(tmp_path / "x.json")])
    assert res.exit_code != 0
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and needle in lines[0]
    assert "Traceback" not in res.output and not (tmp_path / "x.json").exists()


def test_cli_bundled_subset(tmp_path, monkeypatch):
    # regenerate only the small bundles here (the full set is checked from the files)
    import cimsim.commands.workload as cmdmod

    small = {k: v for k, v in BUNDLED.items() if k in ("gru", "tcn")}
    monkeypatch.setattr(cmdmod, "BUNDLED", small)
    res = CliRunner().invoke(workload_cmd, ["bundled", "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gru.json", "tcn.json"]
    assert load_workload(tmp_path / "tcn.json").macs == 8 * 1024 * 256 * 256 * 3



def test_write_bundled_is_what_the_cli_writes(tmp_path, monkeypatch):
    # one implementation: the library call and `cimsim workload bundled` write the same bytes
    import cimsim.commands.workload as cmdmod

    seen = []
    paths = write_bundled(tmp_path / "lib", ["gru", "tcn"], lambda w, p: seen.append((w.name, p.name)))
    assert [p.name for p in paths] == ["gru.json", "tcn.json"]
    assert seen == [("gru", "gru.json"), ("tcn", "tcn.json")]
    # GRU: T * 3H(I+H) MACs, T = 100, I = H = 1024
    assert load_workload(paths[0]).macs == 100 * 3 * 1024 * (1024 + 1024)
    monkeypatch.setattr(cmdmod, "BUNDLED", {k: BUNDLED[k] for k in ("gru", "tcn")})
    res = CliRunner().invoke(workload_cmd, ["bundled", "-o", str(tmp_path / "cli")])
    assert res.exit_code == 0, res.output
    for name in ("gru.json", "tcn.json"):
        assert (tmp_path / "cli" / name).read_bytes() == (tmp_path / "lib" / name).read_bytes()
    assert len(res.output.strip().splitlines()) == 2


def test_cli_bundled_unwritable_is_one_line(tmp_path, monkeypatch):
    import cimsim.commands.workload as cmdmod

    monkeypatch.setattr(cmdmod, "BUNDLED", {k: BUNDLED[k] for k in ("gru", "tcn")})
    (tmp_path / "tcn.json").mkdir()  # the second file's place is a folder
    res = CliRunner().invoke(workload_cmd, ["bundled", "-o", str(tmp_path)])
    lines = res.output.strip().splitlines()
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert lines[-1].startswith("Error:") and "tcn.json" in lines[-1], res.output
    assert (tmp_path / "gru.json").is_file()


# ------------------------------------------------------------------ bundled files
def _closed_form(name):
    if name == "lstm":  # 2 layers, I = H = 2048, T = 100: T * 4H(I+H) per layer
        return 2 * 100 * 4 * 2048 * (2048 + 2048)
    if name == "gru":
        return 100 * 3 * 1024 * (1024 + 1024)
    if name == "hier-attn":  # 10000 = 100^2: 100 modules at level 1, 1 at level 2
        return 101 * f_module(100, 512)
    if name == "hier-attn-stream":  # 400 = 20^2, 2 levels, each c in 1..20 occurs 20 times
        w_, d = 20, 512
        s1, s2 = w_ * (w_ + 1) // 2, w_ * (w_ + 1) * (2 * w_ + 1) // 6
        return 2 * w_ * (4 * d * d * s1 + 2 * d * s2 + 2 * d * s1)
    if name == "transformer":
        N, d, f = 512, 512, 2048
        return 2 * (N * (4 * d * d + 2 * d * f) + 2 * N * N * d)
    if name == "tcn":
        return 8 * 1024 * 256 * 256 * 3
    raise KeyError(name)


def test_bundled_registry():
    assert set(GENERATORS) == {"lstm", "gru", "hier-attn", "transformer", "tcn", "matmul"}
    assert set(BUNDLED) == {"lstm", "gru", "hier-attn", "hier-attn-stream", "transformer", "tcn"}
    assert all(spec["generator"] in GENERATORS for spec in BUNDLED.values())


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_files(name):
    from cimsim.bundled import workloads_dir

    w = load_workload(workloads_dir() / f"{name}.json")
    assert w.name == name
    assert w.macs == _closed_form(name)
    assert w.metadata["params"] == {**BUNDLED[name]["params"]}
    assert len(w.ops) <= 20000
    if name != "hier-attn-stream":
        # the file holds the same matmuls as a fresh generation (it may also have been
        # regenerated from the reference torch models by `cimsim trace --zoo reference -o DIR`)
        fresh = make_bundled(name)

        def matmuls(wl):
            return sorted((op.batch, op.m, op.k, op.n, op.weight is not None)
                          for op in wl.ops if op.kind == "matmul")

        assert matmuls(fresh) == matmuls(w)
        assert fresh.weight_bytes == w.weight_bytes


@pytest.mark.parametrize("cell,per_step", [("lstm", 28), ("gru", 19)])
def test_aten_pointwise_is_the_native_cells_op_sequence(cell, per_step):
    """pointwise="aten": per step the recurrent matmul and the 10 ATen calls with arithmetic
    of PyTorch's native CPU cell (aten/src/ATen/native/RNN.cpp).
    LSTM per sample: add 4H + 3 sigmoid_ + tanh_ (4 ops x H each: 16H) + mul H + mul H + add_ H
    + tanh 4H + mul H = 28H. GRU: add_ H + sigmoid_ 4H, twice (10H) + mul_ H + add H + tanh_ 4H
    + sub H + mul_ H + add_ H = 19H."""
    I, H, L, T, B = 6, 5, 2, 4, 3
    gen = lstm if cell == "lstm" else gru
    w = gen(I, H, L, steps=T, batch=B, pointwise="aten")
    assert sum(op.kind == "elementwise" for op in w.ops) == 10 * L * T
    assert sum(op.tags.get("part") == "recurrent" for op in w.ops) == L * T
    assert _vector_ops(w) == per_step * H * B * L * T
    assert w.macs == gen(I, H, L, steps=T, batch=B).macs
    # the step's new hidden state is its last op, and the next step's matmul reads it
    steps = [op for op in w.ops if op.tags.get("layer") == 0 and op.tags.get("step") == 1]
    assert steps[-1].outputs == ("l0.t1.h",)
    nxt = next(op for op in w.ops if op.name == "l0.t2.hproj")
    assert nxt.inputs[0] == "l0.t1.h"


# ------------------------------------------------------------------ matmul / GEMV
@pytest.mark.parametrize("dtype, size", [("fp32", 4), ("bf16", 2), ("int8", 1)])
@pytest.mark.parametrize("chain", [False, True])
def test_matmul_macs_and_bytes_closed_form(dtype, size, chain):
    M, K, N, C = 3, 16, 16, 4
    w = matmul(M, K, N, count=C, chain=chain, dtype=dtype)
    assert len(w) == C and w.macs == C * M * K * N == w.metadata["macs"]
    assert w.weight_bytes == C * K * N * size
    # inputs and activations: x0 and every output; independent products each have their x_i
    inputs = (1 if chain else C) * M * K
    assert w.activation_bytes == (inputs + C * M * N) * size
    a = w.arrays
    assert a.macs.tolist() == [M * K * N] * C
    assert a.weight_bytes.tolist() == [K * N * size] * C
    assert a.act_in_bytes.tolist() == [M * K * size] * C and a.act_out_bytes.tolist() == [M * N * size] * C
    assert w.metadata["bytes_per_product"] == {"a": M * K * size, "b": K * N * size, "out": M * N * size}
    # chained: each product waits for the one before; independent: none waits
    assert path_len(w, lambda op: 1) == (C if chain else 1) == w.metadata["critical_path_ops"]


def test_gemv_and_streamed_operand():
    w = matmul(1, 1024, 4096)  # one GEMV: 4M MACs, a 16 MiB fp32 weight read once
    assert w.name == "gemv-M1-K1024-N4096-x1-weight-fp32"
    assert w.macs == 1024 * 4096 and w.weight_bytes == 1024 * 4096 * 4
    op = w.ops[0]
    assert (op.m, op.k, op.n, op.weight) == (1, 1024, 4096, "B0")
    # B as a model input (a KV cache, say): no weights, B counted with the activations
    w = matmul(2, 8, 5, operand="input")
    assert w.weight_bytes == 0 and w.ops[0].weight is None
    assert w.activation_bytes == (2 * 8 + 8 * 5 + 2 * 5) * 4
    with pytest.raises(WorkloadError, match="count must be an integer >= 1"):
        matmul(1, 2, 3, count=0)


def test_cli_matmul_and_gemv(tmp_path):
    res = CliRunner().invoke(workload_cmd, ["gemv", "--k", "64", "--n", "32", "--count", "3",
                                            "--dtype", "int8", "-o", str(tmp_path / "g.npz")])
    assert res.exit_code == 0, res.output
    w = load_workload(tmp_path / "g.npz")
    assert w.macs == 3 * 64 * 32 and w.weight_bytes == 3 * 64 * 32
    res = CliRunner().invoke(workload_cmd, ["matmul", "--m", "8", "--k", "16", "--n", "16", "--count", "2",
                                            "--chain", "--operand", "input", "-o", str(tmp_path / "m.json")])
    assert res.exit_code == 0, res.output
    w = load_workload(tmp_path / "m.json")
    assert w.macs == 2 * 8 * 16 * 16 and w.metadata["params"]["chain"] is True


def test_cli_recommends_npz_for_large_json(tmp_path, monkeypatch):
    import cimsim.commands.workload as cmd

    monkeypatch.setattr(cmd, "LARGE_OPS", 10)
    args = ["lstm", "--input-size", "4", "--hidden", "4", "--steps", "6"]
    res = CliRunner().invoke(workload_cmd, args + ["-o", str(tmp_path / "l.json")])
    assert res.exit_code == 0 and "-o l.npz" in res.output
    res = CliRunner().invoke(workload_cmd, args + ["-o", str(tmp_path / "l.npz")])
    assert res.exit_code == 0 and "note:" not in res.output


@pytest.mark.parametrize("args,line", [
    # each generator's error names the option typed, never the keyword behind it
    (["hier-attn", "--steps", "1"], "hier-attn: --steps must be an integer >= 2, got 1"),
    (["hier-attn", "--steps", "8", "--d-model", "100", "--heads", "8"],
     "hier-attn: --heads 8 must divide --d-model 100"),
    (["transformer", "--steps", "4", "--d-model", "100"],
     "transformer: --heads 8 must divide --d-model 100"),
    (["transformer", "--steps", "0"], "transformer: --steps must be an integer >= 1, got 0"),
    (["lstm", "--input-size", "0", "--hidden", "4", "--steps", "2"],
     "lstm: --input-size must be an integer >= 1, got 0"),
    (["gru", "--input-size", "4", "--hidden", "4", "--steps", "2", "--schedule", "x"],
     "gru: --schedule 'x' is not one of layer, wavefront"),
    (["tcn", "--steps", "4", "--kernel", "0"], "tcn: --kernel must be an integer >= 1, got 0"),
    (["matmul", "--m", "0", "--k", "2", "--n", "2"], "matmul: --m must be an integer >= 1, got 0"),
    (["gemv", "--k", "3", "--n", "4", "--count", "2", "--chain"],
     "gemv: --chain feeds each product's output to the next, so --k 3 must equal --n 4"),
    (["llm", "--layers", "2", "--hidden", "64", "--heads", "4", "--vocab", "50", "--kv-heads", "3"],
     "llm: --kv-heads 3 must divide --heads 4"),
    (["llm", "--layers", "2", "--hidden", "64", "--heads", "4", "--vocab", "50",
      "--sub-batches", "0"], "llm: --sub-batches must be an integer >= 1, got 0"),
    (["llm", "--layers", "2", "--hidden", "64", "--heads", "4", "--vocab", "50",
      "--tensor-parallel", "3"], "llm: --tensor-parallel 3 does not divide --heads 4 and --ffn 256 "
     "and --kv-heads 4 (nor a multiple of it); it may be 1, 2, 4"),  # ffn 4 x 64 = 256
    (["llm", "--layers", "2", "--hidden", "64", "--heads", "4", "--vocab", "50", "--batch", "2",
      "--requests", "1"], "llm: --requests 1 is fewer than --batch 2: a batch holds at most the "
     "requests there are; give --batch 1"),
])
def test_cli_errors_name_the_options(args, line, tmp_path):
    res = CliRunner().invoke(workload_cmd, args + ["-o", str(tmp_path / "x.json")])
    assert res.exit_code != 0
    assert res.output.strip() == f"Error: {line}", res.output


def test_python_errors_name_the_keywords():
    """The same checks called from Python name the keyword arguments the caller passed."""
    from cimsim.workload.llm import LLMModel

    with pytest.raises(WorkloadError, match=r"^hier-attn: seq_len must be an integer >= 2, got 1$"):
        hier_attn(seq_len=1)
    with pytest.raises(WorkloadError, match=r"^transformer: heads=8 must divide d_model=100$"):
        transformer(seq_len=4, d_model=100)
    with pytest.raises(WorkloadError, match=r"so k=3 must equal n=4$"):
        matmul(2, 3, 4, count=2, chain=True)
    with pytest.raises(WorkloadError, match=r"^llm: kv_heads=3 must divide heads=4$"):
        LLMModel(layers=1, hidden=8, heads=4, kv_heads=3, ffn=8, vocab=4, head_dim=2, gated=True)
