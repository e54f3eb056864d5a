"""The zoo's one registry and its one return shape.

An entry is a factory ``f(**overrides) -> (model, args, kwargs)`` registered
under a name with a family and a description; :func:`build` calls it and
returns a :class:`ZooModel`. ``hf:MODEL_TYPE`` names any Hugging Face model
type by its config class (not registered: resolved by :func:`build`).

Weights: by default the factory runs under PyTorch's ``FakeTensorMode``, so
parameters, buffers, inputs and KV caches are fake tensors: shapes and dtypes
without storage (the tracer needs shapes, not values), and any size builds in
seconds in little memory. (Fake rather than plain ``meta`` tensors because
Hugging Face models skip their data-dependent checks, e.g. "is this mask all
ones?", on fake tensors, as they do under ``torch.export``.) Entries whose
models need input values (a PackedSequence's lengths) register ``fake=False``
and are always built real; they are small. So do the models built of ``nn.LSTM``
/ ``nn.GRU``: on fake tensors torch decomposes them with one input projection per
step instead of the CPU kernel's one over the whole sequence (same MACs, another
op structure than the generators'). Hugging Face models on fake tensors build
their causal mask explicitly (as under ``torch.export``) instead of passing
``is_causal``: a few more small mask ops in a prefill, the same MACs. A gather
(embedding lookup) on fake ids is taken to read distinct rows.

``real_weights=True`` materialises random weights on the CPU after estimating
what that takes (:func:`estimate_bytes`: a fake build counted, not run, so a
mixture of experts, which traces only with real weights, is counted too) and
refusing when it is more than the memory available.
"""

from __future__ import annotations

import contextvars
import inspect
import os
import re
from dataclasses import dataclass, field
from typing import Callable, Iterator

from ..errors import CimsimError, WorkloadError
from ..workload.trace import require_torch

GiB = 2**30


@dataclass(frozen=True)
class ZooEntry:
    """A registered model: ``factory(**overrides) -> (model, args, kwargs)``."""

    name: str
    family: str
    description: str
    factory: Callable
    #: False: the model needs values (e.g. PackedSequence lengths), so it is always built real
    fake: bool = True


@dataclass
class ZooModel:
    """A built zoo model: what :func:`cimsim.trace` needs, and what it is.

    Unpacks as ``model, args, kwargs = zoo.build(...)``. Built with fake tensors by default
    (``weights == "fake"``: shapes only, no values, not runnable for timing; its repr says so);
    ``zoo.build(..., real_weights=True)`` for random real values. A decode step's cache
    (in ``kwargs``) is consumed by running the model: build again for a fresh one.
    """

    name: str
    model: object  # torch.nn.Module
    args: tuple
    kwargs: dict = field(default_factory=dict)
    family: str = ""
    description: str = ""
    overrides: dict = field(default_factory=dict)
    #: "fake" (fake tensors: shapes only, no storage) or "real" (random values on the CPU)
    weights: str = "fake"
    #: what the factory built, where its name does not say it (:func:`say`); "" for none
    built: str = ""

    def __iter__(self) -> Iterator:
        return iter((self.model, self.args, self.kwargs))

    def __repr__(self) -> str:
        """Says what the tensors are: a fake model runs without error, on fake values, and a
        timing of it times torch's fake-tensor dispatch (find-C 6: ResNet-18 at 64 x 64 "ran"
        92 ms, 77 % of it PythonDispatchMode)."""
        what = ("fake tensors: shapes only, no values; calling it returns fake outputs and timing it "
                "times torch's fake-tensor dispatch, not the model: zoo.build(..., real_weights=True) "
                "for a runnable one" if self.weights == "fake" else "real tensors: random values on the CPU")
        return f"ZooModel({self.name!r}, weights={self.weights!r}: {what})"

    @property
    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    @property
    def materialise_bytes(self) -> int:
        """Bytes the model's parameters, buffers and example inputs (a KV cache) take as real tensors."""
        return materialise_bytes(self.model, self.args, self.kwargs)


ZOO: dict[str, ZooEntry] = {}


def register(name: str, family: str, description: str, fake: bool = True):
    """Decorator: register ``factory(**overrides) -> (model, args, kwargs)`` under ``name``."""
    def deco(f):
        if name in ZOO:
            raise ValueError(f"zoo model '{name}' registered twice")
        ZOO[name] = ZooEntry(name, family, description, f, fake)
        return f

    return deco


def families() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in ZOO.values():
        out.setdefault(e.family, []).append(e.name)
    return out


def _entry(name: str) -> ZooEntry:
    if name.startswith("hf:"):
        from .hf import hf_entry

        return hf_entry(name[3:])
    if name not in ZOO:
        raise WorkloadError(f"no zoo model '{name}'; zoo: {', '.join(ZOO)}, or hf:MODEL_TYPE "
                            "(any Hugging Face model type, e.g. hf:llama)")
    return ZOO[name]


#: a --param with this name is a size or a count (layers, heads, widths, tokens): a whole
#: number >= 1 (``cache``, the tokens already cached, may be 0); checked before the model is
#: built, where a negative layer count would build no layers in silence
_SIZE = re.compile(r"^(n_|num_)|(_size|_dim|_layers|_heads|_len|_length|_positions)$|^(seq|batch|"
                   r"image|classes|hidden|layers|heads|d_model|d_ff|d_kv|n_embd|n_head|n_layer|target|frames|"
                   r"samples|steps)$")


def check_sizes(name: str, overrides: dict) -> None:
    """Refuse a size-like ``--param`` (:data:`_SIZE`) that is not a whole number >= 1."""
    for key, value in overrides.items():
        if key != "cache" and not _SIZE.search(key):
            continue
        least = 0 if key == "cache" else 1
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise WorkloadError(f"zoo model '{name}': --param {key}={value!r}: {key} is a size, a "
                                f"whole number >= {least}")


def check_switch(name: str, key: str, value) -> None:
    """Refuse a switch (a parameter whose default is a bool: a factory's, e.g. resnet18's
    ``cifar``, or a Hugging Face config field's) given as anything but true or false (``cifar=2``
    or ``cifar=maybe`` would be truthy, in silence)."""
    if not isinstance(value, bool):
        raise WorkloadError(f"zoo model '{name}': --param {key}={value!r}: {key} is a switch, true "
                            "or false")


def _check_switches(entry: ZooEntry, overrides: dict) -> None:
    """The switches of the factory's signature (how an entry declares its parameters)."""
    try:
        params = inspect.signature(entry.factory).parameters
    except (TypeError, ValueError):
        return
    for key, value in overrides.items():
        if key in params and isinstance(params[key].default, bool):
            check_switch(entry.name, key, value)


#: what the factory running now said it built (:func:`say`)
_BUILT = contextvars.ContextVar("cimsim_zoo_built", default=None)


def say(built: str) -> None:
    """Inside a factory: what it built, where the entry's name does not say it (``hf:whisper``:
    the whole encoder-decoder, or one decoder step); the trace keeps it as
    ``metadata['zoo']['built']`` and ``cimsim trace`` prints it as a note."""
    box = _BUILT.get()
    if box is not None:
        box.append(built)


def _call(entry: ZooEntry, overrides: dict, internal: dict | None = None, built: list | None = None):
    check_sizes(entry.name, overrides)
    _check_switches(entry, overrides)
    given, overrides = overrides, {**overrides, **(internal or {})}
    token = _INTERNAL.set(frozenset(internal or ()))
    said = _BUILT.set(built)
    try:
        out = entry.factory(**overrides)
    except TypeError as exc:
        # only the factory's own signature (raised by the call itself, not deeper down)
        if "unexpected keyword argument" in str(exc) and exc.__traceback__.tb_next is None:
            arg = str(exc).rsplit(" ", 1)[-1]
            raise WorkloadError(f"zoo model '{entry.name}' has no parameter {arg}") from None
        raise WorkloadError(_failed(entry, given, internal, exc)) from exc
    except CimsimError:
        raise
    except Exception as exc:  # noqa: BLE001 - a bad --param value deep in torch: one line
        raise WorkloadError(_failed(entry, given, internal, exc)) from exc
    finally:
        _INTERNAL.reset(token)
        _BUILT.reset(said)
    return out


#: the names of the parameters the caller of :func:`build` set itself (``internal``), while its
#: factory runs
_INTERNAL = contextvars.ContextVar("cimsim_zoo_internal", default=frozenset())


def internal_parameters() -> frozenset:
    """Inside a factory: the parameters cimsim set itself (``build``'s ``internal``: --serve's
    ``seq``, a tensor-parallel share's ``head_dim``), not the user's; a factory checks the
    user's against the model's fields, not these."""
    return _INTERNAL.get()


def _failed(entry: ZooEntry, given: dict, internal: dict | None, exc: BaseException) -> str:
    """One line: the build failed; the caller's parameters named as theirs (--param), the ones
    the caller of :func:`build` set itself (``internal``: --serve's ``seq``) as such."""
    mine = ", ".join(f"{k}={v!r}" for k, v in given.items())
    inner = ", ".join(f"{k}={v!r}" for k, v in (internal or {}).items())
    return (f"zoo model '{entry.name}'{f' with {mine}' if mine else ''}"
            f"{f' (at {inner}, set by the tracer, not a --param)' if inner else ''}: building it "
            f"failed: {type(exc).__name__}: {' '.join(str(exc).split())}"
            f"{'; check the --param values' if mine else ''}")


#: set while :func:`estimate_bytes` builds a model of fake tensors only to count its bytes
_ESTIMATING = contextvars.ContextVar("cimsim_zoo_estimating", default=False)


def estimating() -> bool:
    """True inside :func:`estimate_bytes`: the fake build is counted, never run or traced (a
    mixture of experts, which cannot be traced on fake tensors, still has bytes to count)."""
    return _ESTIMATING.get()


def estimate_bytes(name: str, internal: dict | None = None, **overrides) -> int:
    """Bytes zoo model ``name`` would take with real weights (its parameters, buffers and inputs,
    a KV cache included; :func:`materialise_bytes`), from a build of fake tensors."""
    token = _ESTIMATING.set(True)
    try:
        return build(name, internal=internal, **overrides).materialise_bytes
    finally:
        _ESTIMATING.reset(token)


def build(name: str, real_weights: bool = False, memory_limit_bytes: int | None = None,
          internal: dict | None = None, **overrides) -> ZooModel:
    """Build zoo model ``name`` (a registered name or ``hf:MODEL_TYPE``) with ``overrides``.

    Shapes only (fake tensors) unless ``real_weights``; then the bytes real tensors need are
    estimated first from a fake build (:func:`estimate_bytes`) and the build is refused
    (:class:`WorkloadError`) when they exceed ``memory_limit_bytes`` (default: the memory
    available now). ``internal``: parameters the caller sets itself (``--serve``'s ``seq``),
    given to the factory with ``overrides`` but not named as the user's in an error.
    """
    torch = require_torch()
    entry = _entry(name)
    built: list[str] = []
    if not real_weights and entry.fake:
        from torch._subclasses.fake_tensor import FakeTensorMode

        # fake tensors on the meta device: construction skips weight initialisation (transformers
        # skips it on meta; torch's init functions run as no-ops); allow_non_fake_inputs: a
        # forward may still make small real tensors (an arange of positions)
        with FakeTensorMode(allow_non_fake_inputs=True), torch.device("meta"):
            model, args, kwargs = _call(entry, overrides, internal, built)
        weights = "fake"
    else:
        if real_weights and entry.fake:
            check_fits(name, estimate_bytes(name, internal, **overrides), memory_limit_bytes)
        model, args, kwargs = _call(entry, overrides, internal, built)
        weights = "real"
    return ZooModel(name, model, tuple(args), dict(kwargs), entry.family, entry.description,
                    {**overrides, **(internal or {})}, weights, "; ".join(built))


def trace_zoo(name: str, real_weights: bool = False, allow_unknown: bool = False,
              stats_bits: int | None = None, dtype: str | None = None, resident=None, **overrides):
    """Trace zoo model ``name`` into a workload named ``name`` (``metadata['zoo']``: how it was
    built); ``stats_bits``: record data statistics, ``dtype``: the workload's dtype (default
    the model's), ``resident``: forward arguments marked resident
    (:func:`cimsim.workload.trace.trace`)."""
    from ..workload.trace import trace
    from ..workload.trace.common import quiet_batch
    from .hf_multimodal import unbuilt_hint

    zm = build(name, real_weights=real_weights, **overrides)
    try:
        with quiet_batch():  # the zoo records its batch (metadata zoo.overrides)
            w = trace(zm.model, zm.args, name=name, example_kwargs=zm.kwargs, allow_unknown=allow_unknown,
                      stats_bits=stats_bits, dtype=dtype, resident=resident)
    except WorkloadError as exc:  # hf:TYPE of an image-text model given token ids only (ViLT's)
        hint = str(exc).startswith("running ") and name.startswith("hf:") and unbuilt_hint(zm.model, name, zm.kwargs)
        if hint:
            raise WorkloadError(f"{exc}; {hint}") from exc
        raise
    w.metadata["zoo"] = {"name": name, "family": zm.family, "weights": zm.weights,
                         "overrides": {k: list(v) if isinstance(v, tuple) else v
                                       for k, v in zm.overrides.items()}}
    if zm.built:
        w.metadata["zoo"]["built"] = zm.built
    from .latent import latent_metadata

    mla = latent_metadata(getattr(zm.model, "config", None), bool(zm.overrides.get("cache")))
    if mla:
        w.metadata["latent_attention"] = mla
    if zm.family == "reference":
        from .reference import params

        w.metadata["params"] = params(name, overrides)
    elif zm.family == "cnn":  # images per run (NCHW input): the per-sample figures' divisor
        w.metadata["batch"] = int(zm.args[0].shape[0])
    return w


# --------------------------------------------------------------------------- memory
def materialise_bytes(model, args=(), kwargs=None) -> int:
    """Bytes of the distinct storages of ``model``'s parameters and buffers and of every tensor
    in ``args`` / ``kwargs`` (containers and cache objects included), were they real."""
    torch = require_torch()
    seen: dict[int, int] = {}

    def visit(obj, depth=0):
        if isinstance(obj, torch.Tensor):
            s = obj.untyped_storage()
            seen.setdefault(s._cdata, s.nbytes())
        elif depth > 5 or isinstance(obj, (str, bytes, type, torch.nn.Module)):
            return
        elif isinstance(obj, (list, tuple)):
            for x in obj:
                visit(x, depth + 1)
        elif isinstance(obj, dict):
            for x in obj.values():
                visit(x, depth + 1)
        elif hasattr(obj, "__dict__"):
            for k, x in vars(obj).items():
                if not k.startswith("_"):
                    visit(x, depth + 1)

    for t in (*model.parameters(), *model.buffers()):
        visit(t)
    visit(args)
    visit(kwargs or {})
    return sum(seen.values())


def available_bytes() -> int:
    """Memory available to a new allocation now (Linux ``MemAvailable``; psutil elsewhere)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def check_fits(name: str, need: int, limit: int | None = None) -> None:
    """Refuse (one line) to materialise ``need`` bytes when more than ``limit`` (default: available)."""
    have = available_bytes() if limit is None else limit
    if need > have:
        raise WorkloadError(
            f"zoo model '{name}' with real weights would need ~{need / GiB:.1f} GiB for its weights, "
            f"buffers and inputs (before activations), more than the {have / GiB:.1f} GiB available; "
            "trace it without real weights (shapes only, the default)")
