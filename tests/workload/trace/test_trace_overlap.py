"""A parameter or buffer read through overlapping views (shifted windows, a KAN's knot slices)
holds its bytes once, a matmul's windows included (find-K 1), a spectral window built in forward is a constant (find-K 3),
and a buffer that is a view of a larger storage is its own elements (find-K 4).

Goldens are hand arithmetic written beside each assertion, never the tracer's output."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")


def _trace(model, *inputs, **kw):
    from cimsim.workload.trace import trace

    return trace(model.eval(), inputs, **kw)


def _weights_read(w, op) -> int:
    return sum(w.tensors[t].nbytes for t in op.inputs if w.tensors[t].role == "weight")


class Windows(torch.nn.Module):
    """``sum(w[:, i:i+n] for i in range(k))``: a hand-written sliding-window sum (long-conv code)."""

    def __init__(self, rows, cols, k):
        super().__init__()
        self.k = k
        self.w = torch.nn.Parameter(torch.randn(rows, cols))

    def forward(self, x):
        n = self.w.shape[1] - self.k
        return sum(self.w[:, i:i + n] for i in range(self.k)) * x


def test_shifted_windows_of_a_parameter_count_its_bytes_once():
    """8 windows of 56 columns of a 16 x 64 fp32 parameter counted 8 x 16 x 56 x 4 = 28,672 B
    of weights; they cover columns 0..62, 16 x 63 x 4 = 4,032 B, and column 63 is never read."""
    w = _trace(Windows(16, 64, 8), torch.randn(16, 56))
    assert w.weight_bytes == 16 * 63 * 4
    (part,) = w.metadata["unread_parameters"]
    assert (part["bytes"], part["read_bytes"], part["parameter_bytes"]) == (16 * 4, 16 * 63 * 4, 16 * 64 * 4)
    # the README's rule: weights plus the entries' bytes are the whole model, 16 x 64 x 4 B
    assert w.weight_bytes + part["bytes"] == 16 * 64 * 4
    # the one fused kernel reads each element of the union once: 4,032 B of weights
    (op,) = w.ops
    assert _weights_read(w, op) == 16 * 63 * 4


def test_each_op_reading_a_window_streams_that_window():
    """Windows read by separate kernels (a sum each): each reads its own 16 x 60 x 4 = 3,840 B,
    real traffic; the weights hold the union, columns 0..63 of 4 windows of 60: 4,096 B."""
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.randn(16, 64))

        def forward(self, x):
            return torch.stack([self.w[:, i:i + 60].sum() for i in range(5)]) * x

    w = _trace(M(), torch.randn(5))
    assert w.weight_bytes == 16 * 64 * 4
    sums = [op for op in w.ops if _weights_read(w, op)]
    assert [_weights_read(w, op) for op in sums] == [16 * 60 * 4] * 5


def test_a_knot_vector_read_as_its_spacing_is_one_buffer():
    """``(x - g[:-1]) / (g[1:] - g[:-1])`` over a 1,024-point fp32 knot vector: 2 x 1,023 x 4 =
    8,184 B before; the buffer is 1,024 x 4 = 4,096 B, all of it read."""
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("g", torch.linspace(-1, 1, 1024))

        def forward(self, x):
            return (x - self.g[:-1]) / (self.g[1:] - self.g[:-1])

    w = _trace(M(), torch.randn(8, 1023))
    assert w.weight_bytes == 1024 * 4
    assert "unread_parameters" not in w.metadata


def test_a_kan_layers_grid_counts_once():
    """efficient-kan's KANLinear 16 -> 8, G = 5, k = 3: base 8 x 16 x 4 = 512 B, spline
    8 x 16 x 8 x 4 = 4,096 B, grid 16 x 12 x 4 = 768 B: 5,376 B (its 13 knot slices counted
    one by one before: 16 x (2 x 11 + 3 x 10 + 4 x 9 + 4 x 8) x 4 = 7,680 B of grid).
    The two Linears keep their weights stationary."""
    import torch.nn.functional as F

    class KAN(torch.nn.Module):
        def __init__(self, i=16, o=8, G=5, k=3):
            super().__init__()
            self.o, self.k = o, k
            grid = (torch.arange(-k, G + k + 1) * (2.0 / G) - 1.0).expand(i, -1).contiguous()
            self.register_buffer("grid", grid)
            self.base_weight = torch.nn.Parameter(torch.randn(o, i))
            self.spline_weight = torch.nn.Parameter(torch.randn(o, i, G + k))

        def forward(self, x):
            g, u = self.grid, x.unsqueeze(-1)
            b = ((u >= g[:, :-1]) & (u < g[:, 1:])).to(x.dtype)
            for p in range(1, self.k + 1):
                b = ((u - g[:, :-(p + 1)]) / (g[:, p:-1] - g[:, :-(p + 1)]) * b[:, :, :-1]
                     + (g[:, p + 1:] - u) / (g[:, p + 1:] - g[:, 1:(-p)]) * b[:, :, 1:])
            sp = F.linear(b.reshape(x.shape[0], -1), self.spline_weight.reshape(self.o, -1))
            return F.linear(F.silu(x), self.base_weight) + sp

    w = _trace(KAN(), torch.rand(4, 16) * 2 - 1)
    assert w.weight_bytes == 8 * 16 * 4 + 8 * 16 * 8 * 4 + 16 * 12 * 4
    assert sorted(op.weight for op in w.ops if op.kind == "matmul") == ["base_weight", "spline_weight"]


def test_disjoint_chunks_stay_one_tensor_each():
    """``w.chunk(4, 1)`` of a 16 x 64 parameter: 4 disjoint 16 x 16 parts, w[0] .. w[3], each
    16 x 16 x 4 = 1,024 B, 4,096 B in all (as before the overlap rule)."""
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.randn(16, 64))

        def forward(self, x):
            a, b, c, d = self.w.chunk(4, 1)
            return (a + b) * (c - d) * x

    w = _trace(M(), torch.randn(16, 16))
    weights = {n: t for n, t in w.tensors.items() if t.role == "weight"}
    assert {n: (t.shape, t.nbytes) for n, t in weights.items()} == {
        f"w[{j}]": ((16, 16), 1024) for j in range(4)}
    assert w.weight_bytes == 4 * 1024


def test_a_matmul_weight_read_in_part_elsewhere_stays_stationary():
    """A matmul's operand must be one tensor: W (32 x 16) read whole by a Linear and its first
    8 rows by a sum keeps W stationary, two tensors of 32 x 16 x 4 + 8 x 16 x 4 = 2,560 B; the
    weights count their union once, W's 32 x 16 x 4 = 2,048 B (they counted 2,560 B)."""
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.W = torch.nn.Parameter(torch.randn(32, 16))

        def forward(self, x):
            return torch.nn.functional.linear(x, self.W)[:, :16] + self.W[:8].sum(0)

    w = _trace(M(), torch.randn(4, 16))
    (mm,) = [op for op in w.ops if op.kind == "matmul"]
    assert mm.weight == "W"
    (entry,) = w.metadata["overlapping_weight_reads"]
    assert (entry["name"], entry["bytes"], entry["union_bytes"]) == ("W", 32 * 16 * 4 + 8 * 16 * 4, 32 * 16 * 4)
    assert w.weight_bytes == 32 * 16 * 4
    assert w.footprint.weights == 32 * 16 * 4


class MatmulWindows(torch.nn.Module):
    """``sum(x @ w[i:i+n] for i in range(k))``: shifted row windows, each a matmul's weight."""

    def __init__(self, rows=64, cols=16, k=4):
        super().__init__()
        self.k = k
        self.w = torch.nn.Parameter(torch.randn(rows, cols))

    def forward(self, x):
        n = self.w.shape[0] - self.k
        return sum(x @ self.w[i:i + n] for i in range(self.k))


def test_matmul_windows_of_a_weight_count_its_bytes_once():
    """4 windows of 60 rows of a 64 x 16 fp32 weight, each a matmul's stationary operand: 4
    tensors of 60 x 16 x 4 = 3,840 B, 15,360 B (counted so before); they cover rows 0..62,
    63 x 16 x 4 = 4,032 B, the weights; row 63, 64 B, is never read, and weights plus it are
    the whole 64 x 16 x 4 = 4,096 B, as the footprint holds it."""
    w = _trace(MatmulWindows(), torch.randn(2, 60))
    mms = [op for op in w.ops if op.kind == "matmul"]
    assert [op.weight for op in mms] == [f"w[{i}]" for i in range(4)]
    assert [w.tensors[op.weight].nbytes for op in mms] == [60 * 16 * 4] * 4
    (entry,) = w.metadata["overlapping_weight_reads"]
    assert (entry["bytes"], entry["union_bytes"]) == (4 * 60 * 16 * 4, 63 * 16 * 4)
    assert w.weight_bytes == 63 * 16 * 4
    (part,) = w.metadata["unread_parameters"]
    assert part["bytes"] == 16 * 4
    assert w.weight_bytes + part["bytes"] == w.footprint.weights == 64 * 16 * 4
    from cimsim.workload.trace.unread import notes

    assert any("overlapping views (w: 4 tensors of 15.36 kB, 4.032 kB distinct, read by 4 matmuls)" in n
               for n in notes(w.metadata))


def test_conv_windows_of_a_filter_bank_count_its_bytes_once():
    """8 ``conv1d`` s on shifted windows ``h[..., i:i+9]`` of an 8 x 1 x 16 fp32 filter bank:
    8 tensors of 8 x 9 x 4 = 288 B, 2,304 B before; the windows cover all 16 taps, so the
    weights are the bank's 8 x 16 x 4 = 512 B."""
    class Bank(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.h = torch.nn.Parameter(torch.randn(8, 1, 16))

        def forward(self, x):
            return sum(torch.nn.functional.conv1d(x, self.h[..., i:i + 9]) for i in range(8))

    w = _trace(Bank(), torch.randn(1, 1, 32))
    assert sum(op.kind == "matmul" and op.weight is not None for op in w.ops) == 8
    assert w.weight_bytes == 8 * 16 * 4
    assert "unread_parameters" not in w.metadata


def test_a_hand_edited_overlap_entry_naming_no_tensor_is_refused():
    """metadata overlapping_weight_reads naming a tensor the workload lacks: a one-line error."""
    from cimsim.errors import WorkloadError
    from cimsim.workload.ir import Workload

    w = _trace(MatmulWindows(), torch.randn(2, 60))
    meta = {**w.metadata, "overlapping_weight_reads": [{"name": "w", "tensors": ["nope"], "bytes": 8,
                                                        "union_bytes": 4}]}
    bad = Workload(w.name, list(w.tensors.values()), w.ops, meta)
    with pytest.raises(WorkloadError, match="overlapping_weight_reads must be"):
        bad.weight_bytes


@pytest.mark.parametrize("make", [
    lambda n: torch.hann_window(n), lambda n: torch.hamming_window(n),
    lambda n: torch.blackman_window(n), lambda n: torch.bartlett_window(n),
    lambda n: torch.kaiser_window(n), lambda n: torch.hann_window(n, periodic=False),
    lambda n: torch.signal.windows.kaiser(n), lambda n: torch.signal.windows.gaussian(n)])
def test_a_window_built_in_forward_traces_like_the_other_factories(make):
    """``torch.stft(x, 256, hop_length=64, window=torch.hann_window(256))`` was refused
    (``aten.hann_window`` had no mapping); the window is a constant of 256 x 4 = 1,024 B like
    ``torch.linspace``'s, read by the framing multiply of 65 frames x 256."""
    class M(torch.nn.Module):
        def forward(self, x):
            return torch.stft(x, 256, hop_length=64, window=make(256), return_complex=True).abs()

    w = _trace(M(), torch.randn(4096))
    mul = next(op for op in w.ops if op.outputs and w.tensors[op.outputs[0]].numel == 65 * 256)
    window = [t for t in mul.inputs if w.tensors[t].numel == 256]
    assert len(window) == 1 and w.tensors[window[0]].nbytes == 1024


def test_a_stft_window_buffer_is_read_whole():
    """``register_buffer("w", torch.hann_window(256))``: 256 elements of a 257-element storage
    (a periodic window is the symmetric one of 257 points less the last); stft reads all 256,
    so no "read only in part" note (it said 1,024 of 1,028 B, 4 B never read)."""
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("w", torch.hann_window(256))

        def forward(self, x):
            return torch.stft(x, 256, hop_length=64, window=self.w, return_complex=True).abs()

    w = _trace(M(), torch.randn(4096))
    assert "unread_parameters" not in w.metadata
    assert w.weight_bytes == 256 * 4


def test_a_buffer_viewing_part_of_a_storage_is_its_own_elements():
    """A buffer ``big[:100]`` of a 400-element storage, read as ``b[:60]``: 60 x 4 = 240 B read
    of its own 100 x 4 = 400 B, 160 B never read (not 340 B of the storage's 1,600 B)."""
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("b", torch.randn(400)[:100])

        def forward(self, x):
            return x * self.b[:60]

    w = _trace(M(), torch.randn(60))
    (part,) = w.metadata["unread_parameters"]
    assert (part["bytes"], part["read_bytes"], part["parameter_bytes"]) == (160, 240, 400)


def test_two_buffers_viewing_one_storage_are_each_checked():
    """Buffers ``base[:100]`` and ``base[100:200]`` of one 400-element fp32 storage, the first
    read whole and the second as ``b2[:10]``: b2's 90 elements, 360 B, are never read (the
    check keyed by storage saw only b1 and said nothing), and weights 100 x 4 + 10 x 4 = 440 B
    plus 360 B are the 800 B the two buffers hold."""
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            base = torch.randn(400)
            self.register_buffer("b1", base[:100])
            self.register_buffer("b2", base[100:200])

        def forward(self, x):
            return x * self.b1 + self.b2[:10].sum()

    w = _trace(M(), torch.randn(100))
    assert w.weight_bytes == 440
    (part,) = w.metadata["unread_parameters"]
    assert (part["name"], part["bytes"], part["read_bytes"], part["parameter_bytes"]) == ("b2", 360, 40, 400)


# torch's Math.h (Cephes): |x| and the branch test 2, the argument 2, chbevl over n
# coefficients 3 (n - 1) + 2, then each function's tail (exp 4, log 4)
@pytest.mark.parametrize("fn, dtype, per", [
    ("special.i0e", torch.float32, 2 + 2 + (3 * 29 + 2)),                                # 93
    ("special.i1", torch.float32, 2 + 2 + (3 * 16 + 2) + 4 + 2 + 2),                     # 62: float table, 17
    ("special.i1", torch.float64, 2 + 2 + (3 * 28 + 2) + 4 + 2 + 2),                     # 98: double, 29
    ("special.i1e", torch.float32, 2 + 2 + (3 * 16 + 2) + 1 + 2),                        # 57
    ("special.i1e", torch.float64, 2 + 2 + (3 * 28 + 2) + 1 + 2),                       # 93
    ("special.modified_bessel_i0", torch.float32, 2 + 2 + (3 * 29 + 2) + 4 + 1),         # 98
    ("special.modified_bessel_i1", torch.float32, 2 + 2 + (3 * 28 + 2) + 1 + 4 + 1 + 2),  # 98
    # x <= 2: 3 tests, x^2 - 2 2, 10 / 11 coefficients, log(x/2) 5, i0 / i1 98, the combine
    ("special.modified_bessel_k0", torch.float32, 3 + 2 + (3 * 9 + 2) + 5 + 98 + 2),     # 139
    ("special.modified_bessel_k1", torch.float32, 3 + 2 + (3 * 10 + 2) + 5 + 98 + 3),    # 143
])
def test_i0s_siblings_cost_torchs_chebyshev_series(fn, dtype, per):
    """The scaled and first-order modified Bessel functions (numerically careful Kaiser and
    von Mises code) were refused as unmapped; each costs its series' arithmetic an element."""
    f = torch
    for part in fn.split("."):
        f = getattr(f, part)

    class M(torch.nn.Module):
        def forward(self, x):
            return f(x)

    (op,) = _trace(M(), torch.rand(100, dtype=dtype) + 0.5).ops
    assert op.ops_per_element == pytest.approx(per, abs=0)


def test_i0_costs_torchs_chebyshev_series():
    """``torch.i0`` (``torch.signal.windows.kaiser`` runs it): Cephes' |x| <= 8 branch, an abs
    and a compare 2, x/2 - 2 2, Clenshaw over 30 coefficients 3 x 29 = 87 and 0.5 (b0 - b2) 2,
    exp 4, a multiply 1: 98 ops an element, 100 elements 9,800."""
    class M(torch.nn.Module):
        def forward(self, x):
            return torch.i0(x)

    (op,) = _trace(M(), torch.randn(100)).ops
    assert op.ops_per_element == pytest.approx(98, abs=0)


class TiedHead(torch.nn.Module):
    """An embedding table (33 x 8) read by its gather and, tied, by the LM head's matmul."""

    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(33, 8)

    def forward(self, ids):
        return self.emb(ids) @ self.emb.weight.T


def test_a_tied_embedding_note_names_a_gather_and_one_matmul():
    """find-E 3: the table's 33 x 8 x 4 = 1,056 B are read by the gather (its rows) and by one
    matmul (whole): the note says so and, one matmul holding it, no CIM clause on two windows."""
    w = _trace(TiedHead(), torch.tensor([[1, 2, 3, 4, 5]]), batch=1)
    (entry,) = w.metadata["overlapping_weight_reads"]
    assert sorted(entry["readers"]) == ["gather", "matmul"] and entry["union_bytes"] == 33 * 8 * 4
    from cimsim.workload.trace.unread import notes

    (note,) = [n for n in notes(w.metadata) if "overlapping views" in n]
    assert "emb.weight: 2 tensors of " in note and "1.056 kB distinct, read by a gather and a matmul)" in note
    assert "each matmul keeps its window" not in note
    assert note.endswith("at most one matmul holds each as its stationary weight, so no array holds an element twice")


class TiedTwice(torch.nn.Module):
    """An embedding table E (64 x 32) read by its gather, by h @ E.T and by a @ E: two matmuls
    on one tensor (find-F 2)."""

    def __init__(self):
        super().__init__()
        self.E = torch.nn.Parameter(torch.randn(64, 32))

    def forward(self, ids):
        h = torch.nn.functional.embedding(ids, self.E)
        return (h @ self.E.t()) @ self.E


class TiedWindows(torch.nn.Module):
    """E (64 x 32) read by its gather and two overlapping row windows, E[:48] and E[16:]."""

    def __init__(self):
        super().__init__()
        self.E = torch.nn.Parameter(torch.randn(64, 32))

    def forward(self, ids):
        h = torch.nn.functional.embedding(ids, self.E)
        return h @ self.E[:48].t(), h @ self.E[16:].t()


@pytest.mark.parametrize("model", [TiedTwice, TiedWindows])
def test_every_reader_of_an_overlapping_weight_is_counted(model):
    """find-F 2: one reader per op, not per tensor: the gather and both matmuls, so the note
    names them and says each matmul keeps what it reads (no "no array holds an element twice")."""
    from cimsim.workload.trace.unread import notes

    w = _trace(model(), torch.tensor([[1, 2, 3, 4, 5]]), batch=1)
    (entry,) = w.metadata["overlapping_weight_reads"]
    assert entry["readers"] == ["gather", "matmul", "matmul"] and entry["union_bytes"] == 64 * 32 * 4
    (note,) = [n for n in notes(w.metadata) if "overlapping views" in n]
    assert note.startswith("1 weight(s) read through overlapping views (E: ")
    assert "8.192 kB distinct, read by a gather and 2 matmuls): each matmul keeps what it reads" in note
    assert "no array holds an element twice" not in note
