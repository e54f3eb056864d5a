"""A custom op registered as a composite (``register_op(name, kind="composite", fn=...)``):
traced as its reference implementation's aten ops, each at its own lowering, so a fused kernel
of several weights (a KAN layer), an FFT or any op the built-in kinds cannot describe is costed
as what it computes. Golden values are closed-form MAC counts of the reference arithmetic."""

from __future__ import annotations

import functools

import pytest

from cimsim.errors import WorkloadError

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.torch,
              pytest.mark.skipif(not hasattr(torch.library, "custom_op"),
                                 reason="torch.library.custom_op needs torch >= 2.4")]

B, I, O, G = 16, 64, 32, 8  # batch, inputs, outputs, spline basis functions per input


def kan_reference(x, grid, base_w, spline_w):
    """A KAN layer: a base matmul plus a matmul over G hinge bases an input (relu(x - knot))."""
    basis = (x.unsqueeze(-1) - grid[:, :G]).relu().reshape(x.shape[0], -1)
    return x @ base_w.t() + basis @ spline_w.reshape(spline_w.shape[0], -1).t()


def fftconv_reference(u, k):
    """A long convolution by FFT (Hyena's): rfft of both, product, irfft, cut to length."""
    n = u.shape[-1]
    return torch.fft.irfft(torch.fft.rfft(u, n=2 * n) * torch.fft.rfft(k, n=2 * n), n=2 * n)[..., :n]


@functools.lru_cache(maxsize=None)
def _ops():
    """Custom ops registered once per process (torch.library keeps them): the fused KAN kernel
    (one launch a call), an FFT convolution (no fake kernel: opaque on meta), and a kernel whose
    composite is wrong in shape and one wrong in value."""
    import cimsim

    @torch.library.custom_op("cimsim_comp::kan", mutates_args=())
    def kan(x: torch.Tensor, grid: torch.Tensor, base_w: torch.Tensor, spline_w: torch.Tensor) -> torch.Tensor:
        return kan_reference(x, grid, base_w, spline_w)

    @kan.register_fake
    def _(x, grid, base_w, spline_w):
        return x.new_empty(x.shape[0], base_w.shape[0])

    @torch.library.custom_op("cimsim_comp::fftconv", mutates_args=())
    def fftconv(u: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        return fftconv_reference(u, k)

    @torch.library.custom_op("cimsim_comp::twice", mutates_args=())
    def twice(x: torch.Tensor) -> torch.Tensor:
        return 2 * x

    cimsim.trace.register_op("cimsim_comp::kan", kind="composite", fn=kan_reference, one_kernel=True)
    cimsim.trace.register_op("cimsim_comp::fftconv", kind="composite", fn=fftconv_reference)
    return kan, fftconv, twice


class KAN(torch.nn.Module):
    def __init__(self, custom=True, tanh=True):
        super().__init__()
        self.tanh = tanh
        self.register_buffer("grid", torch.linspace(-1, 1, G + 4).expand(I, -1).contiguous())
        self.base_w = torch.nn.Parameter(torch.randn(O, I) / 8)
        self.spline_w = torch.nn.Parameter(torch.randn(O, I, G) / 8)  # 3-D: no kind "matmul" takes it
        self.custom = custom

    def forward(self, x):
        f = _ops()[0] if self.custom else kan_reference
        y = f(x, self.grid, self.base_w, self.spline_w)
        return torch.tanh(y) if self.tanh else y


def _signature(w):
    """Each op's structure and counts, names and tags aside."""
    vec = w.arrays.vector_ops.tolist()
    return [(op.kind, op.fn, op.m, op.k, op.n, op.weight, len(op.inputs), len(op.outputs), v)
            for op, v in zip(w.ops, vec)]


def test_a_composite_is_traced_as_its_reference_with_each_weight_stationary():
    from cimsim.workload.trace import trace

    w = trace(KAN(), (torch.randn(B, I),))
    mms = [op for op in w.ops if op.kind == "matmul"]
    # base: B x I by I x O = 16*64*32 = 32,768 MACs; spline: B x (I*G) by (I*G) x O = 262,144
    assert sorted((op.weight, op.m, op.k, op.n) for op in mms) == [
        ("base_w", B, I, O), ("spline_w", B, I * G, O)]
    assert w.macs == B * I * O + B * I * G * O == 294_912
    inside = [op for op in w.ops if op.tags.get("custom_op") == "cimsim_comp::kan"]
    assert {op.name for op in mms} <= {op.name for op in inside}
    assert {op.tags.get("launch") for op in inside} == {"custom:cimsim_comp::kan#1"}  # one_kernel
    tanh = [op for op in w.ops if "custom_op" not in op.tags]
    assert tanh and all("launch" not in op.tags for op in tanh)  # the model's own op is not the kernel's
    # the same as the reference traced in place, op for op (without the model's tanh, which a
    # one-kernel composite's last op does not fuse with)
    assert _signature(trace(KAN(tanh=False), (torch.randn(B, I),))) == \
        _signature(trace(KAN(custom=False, tanh=False), (torch.randn(B, I),)))


def test_a_composite_puts_both_weights_on_the_cim_arrays():
    from pathlib import Path

    import cimsim
    from cimsim.mapping.placement import place
    from cimsim.workload.trace import trace

    w = trace(KAN(), (torch.randn(B, I),))
    configs = Path(cimsim.__file__).resolve().parent / "data" / "configs"
    units = place(w, cimsim.load_architecture(str(configs / "sram-cim.yaml"))).unit_names
    assert {str(u) for op, u in zip(w.ops, units) if op.kind == "matmul"} == {"cim"}


def test_each_call_of_a_one_kernel_composite_is_its_own_launch():
    from cimsim.workload.trace import trace

    class Two(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = KAN(), KAN()

        def forward(self, x):
            return self.b(torch.cat([self.a(x), self.a(x)], 1))  # I = 2 O: a called twice

    w = trace(Two(), (torch.randn(B, I),))
    launches = {op.tags["launch"] for op in w.ops if op.tags.get("custom_op")}
    assert launches == {"custom:cimsim_comp::kan#1", "custom:cimsim_comp::kan#2",
                        "custom:cimsim_comp::kan#3"}  # two calls of a, then b


def test_an_opaque_op_without_a_fake_kernel_traces_on_meta_as_its_composite():
    from cimsim.workload.trace import trace

    _, fftconv, _ = _ops()

    class Hyena(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.k = torch.nn.Parameter(torch.randn(4, 256))

        def forward(self, u):
            return fftconv(u, self.k)

    class Direct(Hyena):
        def forward(self, u):
            return fftconv_reference(u, self.k)

    u = torch.randn(2, 4, 256)
    real = trace(Hyena(), (u,))
    assert _signature(real) == _signature(trace(Direct(), (u,)))
    assert {op.tags.get("custom_op") for op in real.ops} == {"cimsim_comp::fftconv"}
    with torch.device("meta"):  # fftconv has no fake kernel: only its composite runs on meta
        model, u_meta = Hyena(), torch.empty(2, 4, 256)
    assert _signature(trace(model, (u_meta,))) == _signature(real)


def test_a_composite_that_computes_something_else_is_refused():
    import cimsim
    from cimsim.workload.trace import trace

    twice = _ops()[2]

    class M(torch.nn.Module):
        def forward(self, x):
            return twice(x)

    x = torch.randn(4, 8)
    cimsim.trace.register_op("cimsim_comp::twice", kind="composite", fn=lambda x: x[:, :4] * 2)
    with pytest.raises(WorkloadError, match=r"registered as a composite.*returned \(4, 4\) float32 where "
                                            r"the op returns \(4, 8\) float32"):
        trace(M(), (x,))
    cimsim.trace.register_op("cimsim_comp::twice", kind="composite", fn=lambda x: 3 * x)
    with pytest.raises(WorkloadError, match=r"output 0 differs from the op's by up to"):
        trace(M(), (x,))
    cimsim.trace.register_op("cimsim_comp::twice", kind="composite", fn=lambda x: 3 * x, check_values=False)
    assert [op.kind for op in trace(M(), (x,)).ops] == ["elementwise"]
    cimsim.trace.register_op("cimsim_comp::twice", kind="composite", fn=lambda x: x + x)
    (op,) = trace(M(), (x,)).ops
    assert op.tags["custom_op"] == "cimsim_comp::twice" and "launch" not in op.tags


@pytest.mark.parametrize("kind, kw, says", [
    ("composite", {}, "kind 'composite' needs fn"),
    ("composite", {"fn": 3}, "kind 'composite' needs fn"),
    ("composite", {"fn": abs, "weight_arg": 1}, "a composite's work is its fn's ops"),
    ("composite", {"fn": abs, "one_kernel": "yes"}, "one_kernel must be True or False"),
    ("matmul", {"weight_arg": 1, "fn": abs}, "fn, one_kernel and check_values are for kind 'composite'"),
    ("elementwise", {"one_kernel": True}, "fn, one_kernel and check_values are for kind 'composite'"),
])
def test_a_bad_composite_registration_is_refused_naming_the_argument(kind, kw, says):
    import cimsim

    with pytest.raises(ValueError, match="register_op") as exc:
        cimsim.trace.register_op("mylib::op", kind, **kw)
    assert says in str(exc.value)


def test_accuracy_emulates_the_matmuls_a_composite_puts_on_the_arrays():
    """``--accuracy`` runs each registered composite as traced, so the CIM arithmetic takes both
    of the KAN kernel's weight matmuls (the opaque op would run its own fp32 kernel unseen)."""
    from cimsim.accuracy.arith import Arith
    from cimsim.accuracy.run import evaluate

    res = evaluate(KAN(), torch.randn(32, I), arith=Arith(adc_bits=12))
    assert res.emulated_ops == {"mm": 2} and not res.skipped_ops
    assert res.output_snr_db < 200  # emulated, not the fp32 kernel again (which is exact: inf)


def test_a_composite_may_call_another_composite():
    import cimsim
    from cimsim.workload.trace import trace

    @torch.library.custom_op("cimsim_comp::inner", mutates_args=())
    def inner(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return x @ w

    @torch.library.custom_op("cimsim_comp::outer", mutates_args=())
    def outer(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return (x @ w).relu()

    cimsim.trace.register_op("cimsim_comp::inner", kind="composite", fn=lambda x, w: x @ w)
    cimsim.trace.register_op("cimsim_comp::outer", kind="composite", fn=lambda x, w: inner(x, w).relu(),
                             one_kernel=True)

    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.randn(8, 8))

        def forward(self, x):
            return outer(x, self.w)

    mm, relu = trace(M(), (torch.randn(4, 8),)).ops
    assert (mm.kind, mm.macs, mm.weight) == ("matmul", 4 * 8 * 8, "w")
    assert (mm.tags["custom_op"], relu.tags["custom_op"]) == ("cimsim_comp::inner", "cimsim_comp::outer")
    assert mm.tags["launch"] == relu.tags["launch"] == "custom:cimsim_comp::outer#1"


def test_an_op_writing_an_argument_in_place_runs_once_and_its_write_is_checked():
    """The op is run for the check on a copy of what it writes, so the model's values are eager's
    (x + w once, not twice) and a correct fn is accepted; a fn that skips the write is refused."""
    import cimsim
    from cimsim.workload.trace import trace

    @torch.library.custom_op("cimsim_comp::acc_", mutates_args=("state",))
    def acc_(state: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        state.add_(x)
        return state * 2

    class M(torch.nn.Module):
        def forward(self, x):
            s = torch.zeros_like(x)
            return acc_(s, x) + s  # eager: 2x + x = 3x

    x = torch.ones(4, 8)
    cimsim.trace.register_op("cimsim_comp::acc_", kind="composite", fn=lambda state, x: state.add_(x) * 2)
    trace(M(), (x,))  # accepted: the op ran on a copy of state, fn on state itself
    cimsim.trace.register_op("cimsim_comp::acc_", kind="composite", fn=lambda state, x: (state + x) * 2)
    with pytest.raises(WorkloadError, match=r"output 1 differs"):  # state (output 1) never written
        trace(M(), (x,))


def test_an_op_called_through_torch_ops_is_its_composite():
    """``torch.ops.ns.name(...)`` (an ``OpOverloadPacket``: how a C++ / CUDA extension's op is
    called) is traced as its composite, as the op's own call is."""
    from cimsim.workload.trace import trace

    _ops()

    class ByPacket(KAN):
        def forward(self, x):
            return torch.tanh(torch.ops.cimsim_comp.kan(x, self.grid, self.base_w, self.spline_w))

    w = trace(ByPacket(), (torch.randn(B, I),))
    assert _signature(w) == _signature(trace(KAN(), (torch.randn(B, I),)))
    assert {op.tags.get("custom_op") for op in w.ops} == {"cimsim_comp::kan", None}


def test_the_value_check_allows_bf16_rounding_and_checks_complex_outputs():
    import cimsim
    from cimsim.workload.trace import trace

    @torch.library.custom_op("cimsim_comp::gelu_mm", mutates_args=())
    def gelu_mm(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.gelu(x.float() @ w.float()).to(x.dtype)  # fp32 inside

    @torch.library.custom_op("cimsim_comp::fft", mutates_args=())
    def fft(x: torch.Tensor) -> torch.Tensor:
        return torch.fft.fft(x)

    class G(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.randn(64, 64, dtype=torch.bfloat16))

        def forward(self, x):
            return gelu_mm(x, self.w)

    class F(torch.nn.Module):
        def forward(self, x):
            return fft(x)

    # bf16 arithmetic in fn: differs from the fp32-inside op by bf16 rounding (eps 2^-7), within
    # 8 eps = 1/16 of the largest magnitude
    cimsim.trace.register_op("cimsim_comp::gelu_mm", kind="composite",
                             fn=lambda x, w: torch.nn.functional.gelu(x @ w))
    torch.manual_seed(0)
    trace(G(), (torch.randn(16, 64, dtype=torch.bfloat16),))
    cimsim.trace.register_op("cimsim_comp::fft", kind="composite", fn=torch.fft.ifft)
    with pytest.raises(WorkloadError, match="output 0 differs"):  # complex values are checked
        trace(F(), (torch.randn(4, 32),))


def test_the_ops_own_error_on_real_tensors_is_the_models_and_fn_is_named_when_it_cannot_be_called():
    import cimsim
    from cimsim.workload.trace import trace

    @torch.library.custom_op("cimsim_comp::picky", mutates_args=())
    def picky(x: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
        if x.shape[0] > 2:
            raise ValueError("picky takes 2 rows at most")
        return x * scale

    class M(torch.nn.Module):
        def forward(self, x):
            return picky(x, scale=0.5)

    cimsim.trace.register_op("cimsim_comp::picky", kind="composite", fn=lambda x, scale=1.0: x * scale)
    with pytest.raises(Exception, match="picky takes 2 rows at most"):
        trace(M(), (torch.randn(4, 8),))
    cimsim.trace.register_op("cimsim_comp::picky", kind="composite", fn=lambda x, s=1.0: x * s)
    with pytest.raises(WorkloadError, match=r"custom op 'cimsim_comp::picky' .*its fn cannot be called "
                                            r"with the op's arguments .*op's own argument names"):
        trace(M(), (torch.randn(2, 8),))


def test_a_one_kernel_composites_ops_do_not_fuse_with_the_models():
    """The composite's last pointwise op stays apart from the model's next one, so every op of
    the call keeps its tags (one launch) and the model's op is the model's."""
    from cimsim.workload.trace import trace

    class Then(KAN):
        def forward(self, x):
            return super().forward(x) * 2  # tanh (the model's), then * 2: fuse with each other

    w = trace(Then(), (torch.randn(B, I),))
    inside = [op for op in w.ops if op.tags.get("custom_op")]
    assert {op.tags.get("launch") for op in inside} == {"custom:cimsim_comp::kan#1"}
    # two matmuls, the basis (x - knot, relu: fused) and the final add; the model's tanh * 2 apart
    assert sorted(op.kind for op in inside) == ["elementwise", "elementwise", "matmul", "matmul"]
    (own,) = [op for op in w.ops if not op.tags.get("custom_op")]
    assert own.tags.get("fused") == 2 and "launch" not in own.tags


def test_the_accuracy_trace_cache_names_the_custom_ops_registered():
    import cimsim
    from cimsim.workload.trace.custom import registry_tag

    _ops()
    before = registry_tag()
    assert before.startswith("-ops") and before == registry_tag()  # deterministic
    cimsim.trace.register_op("cimsim_comp::tagged", kind="elementwise", ops_per_element=2)
    after = registry_tag()
    cimsim.trace.register_op("cimsim_comp::tagged", kind="elementwise", ops_per_element=3)
    assert len({before, after, registry_tag()}) == 3


def test_non_finite_outputs_in_the_same_places_pass_and_fns_own_errors_are_its_own():
    """log(0) = -inf in the op and in fn: the same values, accepted (-inf - -inf is NaN, not a
    difference); inf where the op has a finite value is refused; a TypeError raised inside fn is
    fn's, not a signature mismatch."""
    import cimsim
    from cimsim.workload.trace import trace

    @torch.library.custom_op("cimsim_comp::logx", mutates_args=())
    def logx(x: torch.Tensor) -> torch.Tensor:
        return x.log()

    class M(torch.nn.Module):
        def forward(self, x):
            return logx(x)

    x = torch.tensor([[0.0, 1.0, 2.0, float("nan")]])
    cimsim.trace.register_op("cimsim_comp::logx", kind="composite", fn=lambda x: torch.log(x))
    trace(M(), (x,))
    cimsim.trace.register_op("cimsim_comp::logx", kind="composite", fn=lambda x: torch.log(x + 1e-30) / x * x)
    with pytest.raises(WorkloadError, match="NaN or infinite values where the op's has others"):
        trace(M(), (x,))

    def broken(x):
        return torch.log(x, "not a tensor op argument")  # a TypeError inside fn

    cimsim.trace.register_op("cimsim_comp::logx", kind="composite", fn=broken)
    with pytest.raises(Exception) as exc:
        trace(M(), (x,))
    assert "cannot be called with the op's arguments" not in str(exc.value)
