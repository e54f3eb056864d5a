"""Complex arithmetic of a traced model (``torch.fft`` outputs and what follows them), counted
as the real arithmetic that runs it: no component has complex MAC rates.

**A matmul of complex activations** (``X @ X.conj().T``, a complex ``einsum``) is lowered to one
real matmul in the real dtype of its complex type (complex64: fp32, complex32: fp16; complex128 is
narrowed to complex64, as float64 is to fp32): ``[Ar; Ai]`` (2m x k) times ``[Br Bi]``
(k x 2n) gives the four real products ``ArBr, ArBi, AiBr, AiBi``, 4 m k n real MACs (4 real MACs
per complex MAC), then an elementwise op of 2 m n real operations forms ``Re = ArBr - AiBi``
and ``Im = ArBi + AiBr``. Each operand's split into its real and imaginary planes is a copy
op (``<matmul>.A.split``, ``.B.split``: it moves the operand's bytes, as a zgemm's packing
does). A complex convolution needs no lowering: torch runs it as 3 real convolutions (Gauss's
trick), which are traced as such. A complex MAC op no lowering covers (a custom op with a FLOP
formula kept as a generic op by ``--allow-unknown``, given complex tensors) is refused at trace
time, naming the op and the source line: no workload a config will refuse is written.

**Complex element-wise ops** count real operations per element (:data:`COMPLEX_OPS_PER_ELEMENT`):
a complex multiply is 4 real multiplies and 2 adds (6), a division 11 (the numerator's 6,
|d|^2's 3, 2 divides), ``abs`` 2 multiplies, an add and a square root (3 + 4 = 7); a product or
quotient by a *real* operand scales each part (2). Any other function is counted once per part,
twice its real count (an add 2, a negation 2): a lower bound for the transcendental ones.
``torch.angle`` of a complex tensor is ``atan2(imag, real)``: 4 per element, reading 8 B
(complex64) and writing 4 B an element; of a real tensor a compare (0 or pi), 1.
"""

from __future__ import annotations

import numbers

from ...errors import WorkloadError
from ..kinds import ELEMENTWISE_OPS_PER_ELEMENT

#: real operations per element of a complex op whose operands are all complex (by aten name)
COMPLEX_OPS_PER_ELEMENT = {
    "mul": 6.0,  # (a+bi)(c+di): ac, bd, ad, bc, ac-bd, ad+bc
    "div": 11.0,  # numerator (a+bi)(c-di): 6; c^2+d^2: 3; two divides
    "reciprocal": 5.0,  # (c-di) / (c^2+d^2): 3 + two divides
    "abs": 7.0,  # sqrt(a^2+b^2): 2 multiplies, an add, a square root (4)
    "sgn": 9.0,  # z / |z|: abs (7) + two divides
    "exp": 14.0,  # e^a (cos b + i sin b): exp, cos, sin (4 each) + 2 multiplies
    "log": 15.0,  # log|z| + i atan2(b, a): abs (7) + log (4) + atan2 (4)
    "angle": 4.0,  # torch.angle: atan2(b, a), one atan2 (4, the real table's) per element
}
#: ops that scale each part once when an operand is real (``X * w``, ``X / n``)
_BY_REAL = {"mul", "div"}


def pointwise_vec(c, fn: str) -> float | None:
    """Vector ops of pointwise op ``c`` when a complex operand or output takes part (None:
    none does; the real table's count applies)."""
    tensors = [*c.ins, *c.targets]
    nums = [a for a in c.args if isinstance(a, numbers.Number) and not isinstance(a, bool)]
    if not any(t.is_complex() for t in tensors) and not any(isinstance(a, complex) for a in nums):
        return None
    out = max(t.numel() for t in c.targets)
    operands = [*c.ins, *nums]
    real = [a for a in operands if not (isinstance(a, complex) or (hasattr(a, "is_complex") and a.is_complex()))]
    if c.base in _BY_REAL and real:
        return 2.0 * out
    per = COMPLEX_OPS_PER_ELEMENT.get(c.base, 2.0 * ELEMENTWISE_OPS_PER_ELEMENT[fn])
    return per * out


def matmul(low, Proto, base, pa, pb, batch, m, k, n, out, tags, shapes) -> tuple[int, int]:
    """The real lowering of a complex matmul (the module docstring): (matmul proto, combine
    proto); the caller writes the combine's output (the complex product)."""
    rdt = low.dt(out.real)
    name = low._name(base)
    ids = []
    for which, pieces, numel in (("A", pa, 2 * batch * m * k), ("B", pb, 2 * batch * k * n)):
        pid = low._proto(Proto("copy", f"{name}.{which}.split", [pieces], [],
                               tags={"part": "operand", "aten": base}))
        ids.append(low._virtual(pid, (numel,), dtype=rdt))
    mm = low._proto(Proto("matmul", name, [[(ids[0], None)], [(ids[1], None)]], [], m=2 * int(m), k=int(k),
                          n=2 * int(n), batch=int(batch), weight=False,
                          tags={**tags, "complex": str(out.dtype).removeprefix("torch.")}))
    prod = low._virtual(mm, (int(batch), 2 * int(m), 2 * int(n)), dtype=rdt)
    comb = low._proto(Proto("elementwise", f"{name}.combine", [[(prod, None)]], [], fn="add",
                            vec=2.0 * batch * m * n))
    return mm, comb


#: the extra advice on a complex stationary matrix: which real forms hold it once
BLOCK_NOTE = ("the 2x2 real block [[wr, wi], [-wi, wr]] as one fixed nn.Linear is exact too, but "
              "holds wr and wi twice (2k x 2n cells against k x 2n): twice the CIM arrays where "
              "k rows fill an array")


def refuse_complex_buffer(low, c, a, b) -> None:
    """A matmul reading a complex buffer (``register_buffer('F', dft.to(torch.complex64))``,
    ``x @ self.F``) is refused with the four-real-matmuls advice: like a complex parameter, it
    would be a stationary complex weight, which no component holds (a complex buffer is no
    weight: the tracer's weights are real or int8), so the matmul would run on the processor
    as a constant read each forward, the advice "register it as a buffer" already followed."""
    from .computed import COMPLEX_ADVICE
    from .storage import storage_key

    keys = getattr(low, "buffer_keys", ())
    hit = next((t for t in (b, a) if t.is_complex() and t.numel() and storage_key(t) in keys), None)
    if hit is None:
        return
    name = next((n for n, x in getattr(low, "buffer_names", {}).items() if x == storage_key(hit)), None)
    what = f"the model's buffer '{name}'" if name else "a buffer of the model"
    raise WorkloadError(
        f"aten op '{c.base}' (called from {low.ev.where}) multiplies by {what}, which is "
        f"{str(hit.dtype).removeprefix('torch.')}: a complex matrix is not held as a stationary "
        f"weight (no component has complex MAC rates); register its real and imaginary parts as "
        f"two real buffers and {COMPLEX_ADVICE.replace('two real parameters', 'the two real buffers')}; "
        f"{BLOCK_NOTE}")


def refuse_complex_macs(p, dtype: str, macs: int) -> None:
    """A MAC op left in a complex dtype (no lowering to real arithmetic covers it) is refused at
    trace time: every config would refuse the workload (no component has complex MAC rates)."""
    what = f"aten op '{p.tags['aten']}'" if "aten" in p.tags else f"op '{p.name}'"  # a custom op's
    raise WorkloadError(
        f"{what} ({p.name}, called from {p.where}) multiplies "
        f"{dtype} tensors ({macs:,} complex MACs), which cimsim lowers to real arithmetic for the "
        "matmul family only; write it with real tensors (the real and imaginary parts as two "
        "real tensors: 4 real MACs per complex MAC)")


#: metadata key of :func:`kept_complex`
KEPT_KEY = "complex_kept"


def kept_complex(dtype: str, keep_floats: bool, tensors) -> dict | None:
    """``metadata['complex_kept']`` of a trace given a ``dtype`` narrower than fp32 (fp16, bf16,
    int8) whose tensors include complex ones: their count, bytes and dtypes. A complex tensor
    has no bf16 form (torch.fft refuses bf16 and, but for power-of-two sizes on CUDA, fp16), so
    the FFT and complex products keep complex64 (8 B an element) and the lowering's split and
    combine are casts between it and the real dtype (as makani casts to fp32 around its FFT)."""
    if keep_floats or dtype not in ("fp16", "bf16", "int8"):
        return None
    cx = [t for t in tensors.values() if str(t.dtype).startswith("complex")]
    if not cx:
        return None
    return {"dtype": dtype, "tensors": len(cx), "bytes": int(sum(t.nbytes for t in cx)),
            "complex_dtypes": sorted({str(t.dtype) for t in cx})}


def kept_note(meta) -> list[str]:
    """The trace's line on :func:`kept_complex` (none without it)."""
    k = meta.get(KEPT_KEY)
    if not k:
        return []
    from ...units import si

    return [f"{k['tensors']:,} complex tensor(s) ({', '.join(k['complex_dtypes'])}, {si(k['bytes'], 'B')}) "
            f"keep their dtype under --dtype {k['dtype']}: a complex tensor has no {k['dtype']} form "
            f"(torch.fft refuses bf16, and fp16 but for power-of-two sizes on CUDA), so the FFT and "
            f"complex products are counted at {' / '.join(k['complex_dtypes'])}, and a complex matmul's split into real parts "
            f"is a cast to {k['dtype']} (as makani casts to fp32 around its FFT; metadata['{KEPT_KEY}'])"]
