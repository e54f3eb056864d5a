"""Op costs of traced aten ops (find-N, findings 4-7): a complex matmul between activations in
real arithmetic, complex element-wise ops in real operations, ``F.glu``, and scatter / index
accumulations at one operation per source element.

Goldens are hand arithmetic written beside each assertion, never the tracer's output."""

from __future__ import annotations

import inspect

from pathlib import Path

import pytest

import cimsim
from cimsim.errors import WorkloadError
from cimsim.workload.trace.fuse import vector_ops

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
nn, F = torch.nn, torch.nn.functional

CONFIGS = Path(__file__).resolve().parents[3] / "src" / "cimsim" / "data" / "configs"


def _trace(model, *inputs, **kw):
    from cimsim.workload.trace import trace

    return trace(model.eval(), inputs, **kw)


def _op(w, name):
    return next(op for op in w.ops if op.name == name)


def _vec(w, name):
    return vector_ops(_op(w, name), w.tensors)


def _bytes(w, names):
    return sum(w.tensors[t].nbytes for t in names)


class _Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *x):
        return self.fn(*x)


# --------------------------------------------------------------------- 4: complex matmul
def test_a_complex_matmul_is_four_real_macs_per_complex_mac_and_every_host_runs_it():
    # X = fft(x): 8 x 64 complex64; G = X @ X^H: 8 x 64 x 8 complex MACs
    w = _trace(_Fn(lambda x: (lambda X: X @ X.conj().T)(torch.fft.fft(x))), torch.randn(8, 64))
    assert w.macs == 4 * 8 * 64 * 8  # 16,384 real MACs
    (mm,) = [op for op in w.ops if op.kind == "matmul"]
    assert w.tensors[mm.outputs[0]].dtype == "fp32"  # complex64's real parts
    assert (mm.m, mm.k, mm.n) == (2 * 8, 64, 2 * 8)  # [Ar; Ai] (2m x k) by [Br Bi] (k x 2n)
    # each operand split into its planes: the bytes of the complex tensor, 8 x 64 x 8 B
    assert [_bytes(w, _op(w, f"mm.{s}.split").outputs) for s in "AB"] == [8 * 64 * 8] * 2
    # Re = ArBr - AiBi, Im = ArBi + AiBr: 2 m n real operations, writing the complex G
    comb = _op(w, "mm.combine")
    assert vector_ops(comb, w.tensors) == 2 * 8 * 8
    assert w.tensors[comb.outputs[0]].dtype == "complex64"
    for cfg in ("cpu-ddr5", "gpu-hbm3", "sram-cim"):
        assert cimsim.simulate(cimsim.load_architecture(str(CONFIGS / f"{cfg}.yaml")), w).latency_s > 0


def test_a_complex_bmm_counts_its_batch():
    # einsum of 2 x 4 x 16 complex by itself: 2 x 4 x 16 x 4 complex MACs
    w = _trace(_Fn(lambda x: torch.einsum("bik,bjk->bij", *[torch.fft.fft(x)] * 2)), torch.randn(2, 4, 16))
    assert w.macs == 4 * 2 * 4 * 16 * 4


def test_a_complex_mac_op_no_lowering_covers_is_refused_at_trace_time():
    lib = torch.library.Library("cimsimtest_cplx", "DEF")  # noqa: F841 (kept alive)
    lib.define("cmm(Tensor a, Tensor b) -> Tensor")
    lib.impl("cmm", lambda a, b: a @ b, "CompositeExplicitAutograd")
    from torch.utils.flop_counter import register_flop_formula

    register_flop_formula(torch.ops.cimsimtest_cplx.cmm)(lambda a, b, *_, **__: 2 * a[0] * a[1] * b[1])
    model = _Fn(lambda x: torch.ops.cimsimtest_cplx.cmm(torch.fft.fft(x), torch.fft.fft(x).T))
    line = inspect.currentframe().f_lineno - 1
    with pytest.raises(WorkloadError) as e:
        _trace(model, torch.randn(4, 8), allow_unknown=True)
    # one line naming the (custom, not aten) op and its source line; 4 x 8 by 8 x 4: 128 MACs
    assert str(e.value).startswith(
        f"op 'cmm' (cmm, called from {__file__}:{line}) multiplies complex64 tensors (128 complex MACs), "
        "which cimsim lowers to real arithmetic for the matmul family only")
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("fn", [
    lambda X: torch.addmm(X, X, X),
    lambda X: torch.baddbmm(X[None], X[None], X[None])[0],
])
def test_a_complex_bias_add_counts_both_parts(fn):
    # 4 x 4 complex64: the combine's 2 m n = 32 real ops, then the bias add's 2 per element (32)
    w = _trace(_Fn(lambda x: fn(torch.fft.fft(x).reshape(4, 4))), torch.randn(16))
    assert w.macs == 4 * 4 * 4 * 4
    assert sum(vector_ops(op, w.tensors) for op in w.ops if op.kind == "elementwise") == 2 * 4 * 4 + 2 * 4 * 4


def test_a_complex_convolution_is_three_real_convolutions():
    # torch runs a complex conv1d as 3 real ones (Gauss): each 1 x 2 x 8 by 2 x 2 x 3 -> 1 x 2 x 6,
    # 2 x 6 outputs x 2 channels x 3 taps = 72 real MACs; nothing is refused
    w = _trace(_Fn(lambda x: F.conv1d(torch.fft.fft(x), torch.fft.fft(torch.ones(2, 2, 3)))), torch.randn(1, 2, 8))
    convs = [op for op in w.ops if op.kind == "matmul"]
    assert len(convs) == 3 and w.macs == 3 * 2 * 6 * 2 * 3


# --------------------------------------------------------------------- 5: complex pointwise
def test_complex_elementwise_ops_count_real_operations():
    def f(x):
        X = torch.fft.fft(x)  # 4 x 64 complex64: 256 elements
        return X * X.conj(), X * 2.0, X + X, X.abs()

    w = _trace(_Fn(f), torch.randn(4, 64))
    n = 4 * 64
    assert _vec(w, "mul") == 6 * n  # (a+bi)(c+di): 4 multiplies, 2 adds
    assert _vec(w, "mul#1") == 2 * n  # by a real: each part once
    assert _vec(w, "add") == 2 * n  # both parts
    assert _vec(w, "abs") == (3 + 4) * n  # a^2 + b^2 (3) and a square root (4, as sqrt counts)


def test_real_elementwise_ops_keep_their_count():
    w = _trace(_Fn(lambda x: (x * x, x.abs())), torch.randn(4, 64))
    assert (_vec(w, "mul"), _vec(w, "abs")) == (256, 256)


# --------------------------------------------------------------------- 6: glu
def test_glu_is_a_pointwise_op_reading_its_input_and_writing_half():
    class G(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(16, 32, bias=False), nn.Linear(16, 8, bias=False)

        def forward(self, x):
            return self.b(F.glu(self.a(x), dim=-1))

    w = _trace(G(), torch.randn(4, 16))
    glu = _op(w, "glu")
    assert glu.kind == "elementwise"
    assert _bytes(w, glu.inputs) == 4 * 32 * 4 and _bytes(w, glu.outputs) == 4 * 16 * 4
    assert vector_ops(glu, w.tensors) == 5 * 4 * 16  # sigmoid (4) and the multiply (1) per output
    assert w.macs == 4 * 16 * 32 + 4 * 16 * 8


# --------------------------------------------------------------------- 7: accumulations
def test_a_gnn_scatter_add_is_one_add_per_edge_feature():
    N, E, d = 100, 400, 32
    torch.manual_seed(0)
    x, src, dst = torch.randn(N, d), torch.randint(0, N, (E,)), torch.randint(0, N, (E,))
    w = _trace(_Fn(lambda x, s, t: torch.zeros_like(x).scatter_add(0, t[:, None].expand(-1, d), x[s])),
               x, src, dst)
    assert _vec(w, "scatter_add") == E * d  # 12,800, not + the 3,200 destination + 400 indices
    # out of place: it writes its whole result (the zeros copied, the rows added)
    assert _bytes(w, _op(w, "scatter_add").outputs) == N * d * 4


def test_an_in_place_index_add_touches_only_its_rows():
    tok = torch.tensor([0, 2, 2, 5])  # rows 0, 2, 5: three distinct rows of 16

    def f(out, src):
        out.index_add_(0, tok, src)
        out.index_add_(0, tok[:2], src[:2], alpha=2.0)
        return out

    w = _trace(_Fn(f), torch.zeros(16, 64), torch.randn(4, 64))
    assert _vec(w, "index_add") == 4 * 64  # one add per source element, not 16 x 64 + 4 + 4 x 64
    assert _vec(w, "index_add#1") == 2 * 2 * 64  # alpha: a multiply and an add
    a = _op(w, "index_add")
    assert _bytes(w, a.outputs) == 3 * 64 * 4  # the 3 touched rows written
    out_rows = [t for t in a.inputs if t.startswith("x")]  # the first input: the destination
    assert _bytes(w, out_rows) == 3 * 64 * 4  # and read (read-modify-write), not all 16
    assert _bytes(w, a.inputs) == 3 * 64 * 4 + 4 * 64 * 4 + 4 * 8  # + the source, the index


def test_an_moe_combine_is_charged_the_expert_rows_only():
    T, d, E = 16, 8, 4
    rows = [torch.tensor([0, 3, 5]), torch.tensor([1, 2]), torch.tensor([4, 6, 7, 8, 9]), torch.tensor([10])]

    def f(x):
        out = torch.zeros_like(x)
        for r in rows:
            out.index_add_(0, r, x[r] * 2.0)
        return out

    w = _trace(_Fn(f), torch.randn(T, d))
    total = sum(vector_ops(op, w.tensors) for op in w.ops if op.name.startswith("index_add"))
    assert total == (3 + 2 + 5 + 1) * d  # 88 adds, not E x T x d more


def test_index_put_accumulate_and_scatter_reduce_count_source_elements():
    idx = torch.tensor([1, 1, 3])

    def f(x, v):
        y = x.index_put((idx,), v, accumulate=True)  # 3 x 8 adds
        z = x.scatter_reduce(0, idx[:, None].expand(-1, 8), v, "mean")  # 24 adds + 2 x 8 divides
        r = x.index_reduce(0, idx, v, "amax")  # 24 comparisons
        return y, z, r

    w = _trace(_Fn(f), torch.randn(5, 8), torch.randn(3, 8))
    assert _vec(w, "index_put") == 3 * 8
    assert _vec(w, "scatter_reduce") == 3 * 8 + 2 * 8  # rows 1 and 3 divided once each
    assert _vec(w, "index_reduce") == 3 * 8


# --------------------------------------------------------------------- find-E 1: beta / alpha
def test_baddbmm_with_beta_zero_reads_no_input_and_costs_as_the_scaled_bmm():
    # diffusers' attention scores: baddbmm(empty(B, N, M), q, k^T, beta=0, alpha=s).softmax;
    # torch ignores `input` when beta == 0, so nothing of it is read: B=2, N=M=16, d=8
    B, N, d = 2, 16, 8
    score = B * N * N * 4  # one fp32 score matrix: 2,048 B

    def badd(q, k):
        e = torch.empty(B, N, N)
        return torch.baddbmm(e, q, k.transpose(1, 2), beta=0, alpha=0.125).softmax(-1)

    q, k = torch.randn(B, N, d), torch.randn(B, N, d)
    w1 = _trace(_Fn(badd), q, k)
    w0 = _trace(_Fn(lambda q, k: (torch.bmm(q, k.transpose(1, 2)) * 0.125).softmax(-1)), q, k)
    # read only q and k: no input-sized operand, no tensor for the empty one
    read = {t for op in w1.ops for t in op.inputs} - {op.outputs[0] for op in w1.ops}
    assert _bytes(w1, read) == 2 * B * N * d * 4  # q and k: 2,048 B
    assert sum(w1.tensors[t].nbytes for t in w1.tensors if w1.tensors[t].role == "input") == 2 * B * N * d * 4
    assert w1.macs == w0.macs == B * N * d * N
    # the softmax reads one score matrix, and the vector work (alpha's multiply joins it) is the bmm's
    (sm,) = [op for op in w1.ops if op.kind == "softmax"]
    assert _bytes(w1, sm.inputs) == score
    assert sum(_vec(w1, op.name) for op in w1.ops) == sum(_vec(w0, op.name) for op in w0.ops)
    arch = cimsim.load_architecture(str(CONFIGS / "gpu-hbm3.yaml"))
    r1, r0 = cimsim.simulate(arch, w1), cimsim.simulate(arch, w0)
    assert r1.latency_s == r0.latency_s


@pytest.mark.parametrize("fn, bias_read, per_element", [
    # beta * C + alpha * (A @ B): an add, plus a multiply for each of alpha, beta other than 1
    (lambda c, a, b: torch.addmm(c, a, b), True, 1),
    (lambda c, a, b: torch.addmm(c, a, b, beta=0), False, 0),
    (lambda c, a, b: torch.addmm(c, a, b, beta=0, alpha=2.0), False, 1),
    (lambda c, a, b: torch.addmm(c, a, b, beta=0.5), True, 2),
    (lambda c, a, b: torch.addmm(c, a, b, beta=0.5, alpha=2.0), True, 3),
    (lambda c, a, b: torch.addbmm(c, a.expand(3, 4, 5), b.expand(3, 5, 6), beta=0), False, 0),
    (lambda c, a, b: torch.addmv(c[:, 0], a, b[:, 0], beta=0, alpha=3.0), False, 1),
])
def test_the_addmm_family_reads_its_input_only_when_beta_is_not_zero(fn, bias_read, per_element):
    c, a, b = torch.randn(4, 6), torch.randn(4, 5), torch.randn(5, 6)
    w = _trace(_Fn(fn), c, a, b)
    (mm,) = [op for op in w.ops if op.kind == "matmul"]
    assert ("x" in {t for op in w.ops for t in op.inputs}) is bias_read  # c, the first input
    out = w.tensors[w.ops[-1].outputs[0]].numel  # 4 x 6 (addmv: 4)
    assert sum(_vec(w, op.name) for op in w.ops if op.kind != "matmul") == per_element * out


# --------------------------------------------------------------------- find-E 3: resampling
# an output element is the weighted sum of its T taps, Σ w_i x_i: T multiplies and T - 1 adds
@pytest.mark.parametrize("fn, outputs, taps", [
    (lambda x: F.interpolate(x, scale_factor=2, mode="bilinear"), 2 * 3 * 16 * 16, 2 ** 2),
    (lambda x: F.interpolate(x, scale_factor=2, mode="bicubic"), 2 * 3 * 16 * 16, 4 ** 2),
    (lambda x: F.interpolate(x.flatten(2), scale_factor=2, mode="linear"), 2 * 3 * 128, 2),
    (lambda x: F.interpolate(x[:, :, None].expand(2, 3, 2, 8, 8), scale_factor=2, mode="trilinear"),
     2 * 3 * 4 * 16 * 16, 2 ** 3),
    (lambda x: F.interpolate(x, size=(4, 4), mode="bilinear"), 2 * 3 * 4 * 4, 2 ** 2),  # down: taps too
    (lambda x: F.grid_sample(x, torch.zeros(2, 5, 5, 2), align_corners=False), 2 * 3 * 5 * 5, 2 ** 2),
    (lambda x: F.grid_sample(x, torch.zeros(2, 5, 5, 2), mode="bicubic", align_corners=False), 2 * 3 * 5 * 5, 4 ** 2),
])
def test_interpolation_is_costed_per_output_element_by_its_taps(fn, outputs, taps):
    x = torch.randn(2, 3, 8, 8)
    w = _trace(_Fn(fn), x)
    (op,) = [op for op in w.ops if op.kind == "reduction"]
    assert vector_ops(op, w.tensors) == outputs * (2 * taps - 1)  # bilinear 7, bicubic 31 an output
    assert _bytes(w, op.outputs) == outputs * 4  # bytes unchanged: reads its input, writes its output
    if op.name.startswith("grid_sampler"):  # a gather of its taps' lines (find-B 1): a zero grid
        # samples each 8 x 8 plane's centre, rows 3-4 (bilinear) or 2-5 (bicubic) of 32 B, one
        # 64 B line per two rows: 2 lines a plane, 6 planes
        assert op.tags["random_read_bytes"] == 2 * 3 * 2 * 64
        return
    assert x.numel() * 4 in [w.tensors[t].nbytes for t in op.inputs]


def test_nearest_resampling_is_arithmetic_free():
    x = torch.randn(2, 3, 8, 8)
    for fn in (lambda x: F.interpolate(x, scale_factor=2, mode="nearest"),
               lambda x: F.interpolate(x[:, :, None], scale_factor=2, mode="nearest-exact"),
               lambda x: F.grid_sample(x, torch.zeros(2, 5, 5, 2), mode="nearest", align_corners=False)):
        w = _trace(_Fn(fn), x)
        assert sum(vector_ops(op, w.tensors) for op in w.ops if op.kind != "elementwise") == 0


@pytest.mark.parametrize("pool, unpool, shape, n_in, n_out", [
    (F.max_pool2d, F.max_unpool2d, (1, 8, 32, 32), 8 * 16 * 16, 8 * 32 * 32),
    (F.max_pool3d, F.max_unpool3d, (1, 4, 8, 16, 16), 4 * 4 * 8 * 8, 4 * 8 * 16 * 16),
])
def test_max_unpool_is_a_scatter_reading_values_and_indices(pool, unpool, shape, n_in, n_out):
    """find-U #2: nn.MaxUnpool (SegNet's up-sampling) had no mapping. A 2x2 unpool of the
    pooled 8 x 16 x 16 = 2,048 values: 0 MACs and 0 ops (a scatter into a zero-filled output,
    no arithmetic), reads the fp32 values (8,192 B) and their int64 indices (16,384 B), writes
    the whole 8 x 32 x 32 = 8,192-element output (32,768 B); 3-D: 1,024 values (4,096 B + 8,192
    B of indices) into 8,192 outputs."""
    def f(x):
        y, i = pool(x, 2, return_indices=True)
        return unpool(y, i, 2)

    w = _trace(_Fn(f), torch.randn(*shape))
    (op,) = [op for op in w.ops if "unpool" in op.name]
    assert op.kind == "copy" and op.macs == 0 and vector_ops(op, w.tensors) == 0
    assert sorted(w.tensors[t].nbytes for t in op.inputs) == [n_in * 4, n_in * 8]
    assert _bytes(w, op.outputs) == n_out * 4


def test_a_transposed_conv_whose_windows_tile_its_output_has_no_col2im():
    """find-U side note: a k2s2 ConvTranspose2d (a U-Net's up-sampling) got a col2im op though
    no window overlaps another: one add an element, a dispatch and a read + write of the
    output, summing nothing. 8 -> 4 channels, 16 x 16 -> 32 x 32: the matmul makes 256
    positions x 4 x 2² = 4,096 products, the 4 x 32 x 32 = 4,096 outputs themselves (16,384 B),
    8 x 4 x 4 x 256 = 32,768 MACs; the bias add reads them. Where windows overlap (k3s2) or
    padding crops them, col2im stays: k3s2's 256 x 4 x 9 = 9,216 partial sums (36,864 B) into
    4 x 33 x 33 outputs."""
    x = torch.randn(1, 8, 16, 16)
    w = _trace(nn.ConvTranspose2d(8, 4, 2, stride=2), x)
    assert [op.name for op in w.ops] == ["conv_transpose", "add_bias"] and w.macs == 32768
    assert _bytes(w, w.ops[0].outputs) == 4 * 32 * 32 * 4
    w = _trace(nn.ConvTranspose2d(8, 4, 2, stride=2, bias=False), x)
    (op,) = w.ops
    assert op.kind == "matmul" and _bytes(w, op.outputs) == 16384
    assert w.tensors[op.outputs[0]].shape == (1, 4, 32, 32)   # it writes the output itself
    w = _trace(nn.ConvTranspose3d(8, 4, 2, stride=2), torch.randn(1, 8, 4, 8, 8))
    assert "col2im" not in [op.name for op in w.ops]
    for m, partial in ((nn.ConvTranspose2d(8, 4, 3, stride=2), 256 * 4 * 9 * 4),
                       (nn.ConvTranspose2d(8, 4, 2, stride=2, padding=1), 256 * 4 * 4 * 4),
                       (nn.ConvTranspose2d(8, 4, 2, stride=2, dilation=2), 256 * 4 * 4 * 4)):
        w = _trace(m, x)
        (col,) = [op for op in w.ops if op.name == "col2im"]
        assert _bytes(w, col.inputs) == partial


def test_antialiased_downsampling_sums_its_widened_support():
    # 8 -> 4 bilinear, antialias: scale 2, support 1·2 = 2 (torch's _compute_index_ranges_weights);
    # output i centred at 2i + 1 reads [max(2i - 1, 0), min(2i + 3, 8)): 3, 4, 4, 3 taps = 14
    x = torch.randn(2, 3, 8, 8)
    w = _trace(_Fn(lambda x: F.interpolate(x, size=(4, 4), mode="bilinear", antialias=True)), x)
    (op,) = w.ops
    assert vector_ops(op, w.tensors) == 2 * 3 * (2 * 14 * 14 - 4 * 4)  # taps x 2 - outputs: 2,256


def test_an_adaptive_pool_reduces_each_window_it_reads():
    # 8 -> 3: windows [floor(8i/3), ceil(8(i+1)/3)) = [0, 3), [2, 6), [5, 8): 3 + 4 + 3 = 10 an axis
    # (overlapping: more than the 64 inputs); 2 -> 4 (up): each output one element, 4 an axis
    x = torch.randn(2, 3, 8, 8)
    w = _trace(_Fn(lambda x: F.adaptive_avg_pool2d(x, 3)), x)
    assert vector_ops(w.ops[0], w.tensors) == 2 * 3 * 10 * 10
    w = _trace(_Fn(lambda x: F.adaptive_max_pool2d(x[:, :, :2, :2], 4)), x)
    assert sum(vector_ops(op, w.tensors) for op in w.ops) == 2 * 3 * 4 * 4


# --------------------------------------------------------------------- find-E 4: fused modules
def test_a_fused_op_lists_the_module_of_each_member():
    # a denoising step x - 0.02 * eps(x): the conv's bias add (module u.cout) fuses with the
    # loop's multiply and subtract (the model's own forward, module ""): 1 + 1 + 1 ops an element
    class U(nn.Module):
        def __init__(self):
            super().__init__()
            self.cout = nn.Conv2d(4, 4, 3, padding=1)

        def forward(self, x):
            return self.cout(x)

    class Loop(nn.Module):
        def __init__(self):
            super().__init__()
            self.u = U()

        def forward(self, x):
            return x - 0.02 * self.u(x)

    w = _trace(Loop(), torch.randn(1, 4, 8, 8))
    (fused,) = [op for op in w.ops if op.tags.get("fused")]
    assert fused.ops_per_element == 3
    assert fused.tags["module"] == "u.cout" and fused.tags["modules"] == ["u.cout", ""]
    # a group within one module lists none
    (fused,) = _trace(_Fn(lambda x: x * 2 + 1), torch.randn(4, 8)).ops
    assert fused.tags["fused"] == 2 and "modules" not in fused.tags
