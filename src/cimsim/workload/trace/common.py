"""Shared pieces of the tracer: the torch import guard and model factories."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import re
import sys
from pathlib import Path

from ...errors import CimsimError, CimsimWarning, WorkloadError, where_raised

INSTALL_HINT = "pip install 'cimsim[torch]'"



class TorchMissingError(CimsimError, ImportError):
    """torch (the optional ``cimsim[torch]`` extra) is not installed."""


def require_torch():
    """Import and return torch, or raise :class:`TorchMissingError` saying how to install it."""
    try:
        import torch
    except ImportError as exc:
        raise TorchMissingError(
            f"tracing PyTorch models needs torch, which is not installed; install it with: {INSTALL_HINT}"
        ) from exc
    return torch


# --------------------------------------------------------------------------- user files
def import_function(spec: str, label: str, error: type[CimsimError] = WorkloadError,
                    reuse: bool = False, word: str = "NAME"):
    """The function ``spec`` names: ``path/to/file.py:NAME`` (the file imported as Python source
    with importlib; nothing is unpickled) or ``package.module:NAME``. Every failure is one
    ``error`` reading ``{label} '{spec}': ...`` (``word`` names the function in the expected
    form, e.g. ``PATH.py:FACTORY``). With ``reuse``, a file imported before (in this
    process) is not run again."""
    if ":" not in spec:
        raise error(f"{label} '{spec}' must be PATH.py:{word} or package.module:{word}")
    target, name = spec.rsplit(":", 1)
    if not name.isidentifier():
        if spec.endswith(".py") or "/" in name or "\\" in name:  # a ':' in a folder's name
            raise error(f"{label} '{spec}' names a file but no function: add :{word} "
                        f"(PATH.py:{word})")
        raise error(f"{label} '{spec}': '{name}' is not a function name")
    if target.endswith(".py") or "/" in target or "\\" in target:
        path = Path(target)
        if not path.is_file():
            raise error(f"{label} '{spec}': file '{path}' does not exist")
        mod_name = "_cimsim_model_" + re.sub(r"\W", "_", str(path.resolve()))
        module = sys.modules.get(mod_name) if reuse else None
        if module is None:
            mspec = importlib.util.spec_from_file_location(mod_name, path)
            if mspec is None or mspec.loader is None:
                raise error(f"{label} '{spec}': cannot import '{path}'")
            module = importlib.util.module_from_spec(mspec)
            sys.modules[mod_name] = module
            # as `python path/to/file.py` would: modules beside the file import
            folder = str(path.resolve().parent)
            if folder not in sys.path:
                sys.path.insert(0, folder)
            try:
                mspec.loader.exec_module(module)
            except Exception as exc:  # noqa: BLE001 - the user's file: one line
                sys.modules.pop(mod_name, None)
                raise error(f"{label} '{spec}': importing '{path}' failed: "
                            f"{type(exc).__name__}: {exc}") from exc
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise error(f"{label} '{spec}': cannot import module '{target}': {exc}") from exc
    fn = getattr(module, name, None)
    if fn is None:
        raise error(f"{label} '{spec}': '{target}' has no function '{name}'")
    if not callable(fn):
        raise error(f"{label} '{spec}': '{target}'.{name} is a {type(fn).__name__}, not a function")
    return fn


# --------------------------------------------------------------------------- factories
def load_factory(spec: str, with_kwargs: bool = False, args: dict | None = None):
    """Import ``path/to/file.py:factory`` or ``package.module:factory`` and call the factory.

    The factory is called with the keyword arguments ``args`` (none by default; ``cimsim trace
    --arg KEY=VALUE``), each refused in one line when the factory does not take it, and returns ``(model, example_inputs)``,
    ``(model, example_inputs, example_kwargs)`` (keyword inputs of ``forward``,
    e.g. a decode step's KV cache) or a :class:`cimsim.zoo.ZooModel`. The file is imported as Python
    source with importlib; nothing is unpickled.

    Returns
    -------
    (model, example_inputs) with ``example_inputs`` a tuple; with ``with_kwargs``
    (model, example_inputs, example_kwargs).
    """
    torch = require_torch()
    factory = import_function(spec, "model spec", WorkloadError, word="FACTORY")
    args = dict(args or {})
    _check_args(spec, factory, args)
    try:
        result = factory(**args)
    except Exception as exc:  # noqa: BLE001 - the user's factory: one line, with where it raised
        raise WorkloadError(f"model spec '{spec}': calling the factory failed: "
                            f"{type(exc).__name__}: {exc}{where_raised(exc)}") from exc
    from ...zoo.registry import ZooModel

    if isinstance(result, ZooModel):  # a factory may return cimsim.zoo.build(...)
        result = tuple(result)
    if not (isinstance(result, tuple) and len(result) in (2, 3)) or (
            len(result) == 3 and not isinstance(result[2], dict)):
        raise WorkloadError(f"model spec '{spec}': the factory must return (model, example_inputs) "
                            "or (model, example_inputs, example_kwargs as a dict)")
    model, inputs, kwargs = (*result, {}) if len(result) == 2 else result
    if not isinstance(model, torch.nn.Module) and callable(model) and not isinstance(model, type) \
            and type(model).__name__ != "ExportedProgram":
        from .functions import as_module

        model = as_module(torch, model, inputs=(inputs, kwargs))  # a function (a torch.func transform)
    if not isinstance(model, torch.nn.Module):
        kind = type(model).__name__
        hint = ("; return ep.module(), the program as a module, which traces" if kind == "ExportedProgram"
                else "")
        raise WorkloadError(f"model spec '{spec}': the factory's model is {'an' if kind[:1] in 'AEIOUaeiou' else 'a'} "
                            f"{kind}, not a torch.nn.Module{hint or ' or a function of the example inputs'}")
    if with_kwargs:
        return model, _as_tuple(inputs), kwargs
    if kwargs:
        raise WorkloadError(f"model spec '{spec}': the factory returns keyword inputs; "
                            "load it with load_factory(spec, with_kwargs=True)")
    return model, _as_tuple(inputs)


def _check_args(spec: str, factory, args: dict) -> None:
    """Refuse a keyword the factory does not take (it has no such parameter and no ``**kwargs``)."""
    import inspect

    if not args:
        return
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: let the call say
        return
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return
    takes = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    for key in args:
        if key not in takes:
            raise WorkloadError(f"model spec '{spec}': --arg {key}: the factory takes no keyword "
                                f"'{key}' (it takes: {', '.join(takes) if takes else 'no arguments'})")


def parse_arg(text: str):
    """``--arg KEY=VALUE``'s value as a user means it: a number as ``--set`` and ``--param``
    read one (YAML 1.2's core schema: ``64``, ``010`` -> 10, ``0x10`` -> 16, ``0.5``, ``1e-3``),
    true / false (any case) as a bool, anything else the text itself (``nan`` and ``inf`` too:
    a JSON file holds no such number). Raises ``ValueError`` for what YAML 1.2 reads as text
    though it looks like a number (``1_000``, ``0b10``, ``1:00``), which Python's ``int`` read
    as 1000."""
    import math

    from ...config.yamlread import core_number
    from ...quantity import YAML12_TEXT_REASON, text_number_reason

    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    v = core_number(text.strip())
    if v is not None:
        return v if math.isfinite(v) else text
    if text_number_reason(text) == YAML12_TEXT_REASON:
        raise ValueError(f"{text!r} is not a number: {YAML12_TEXT_REASON}")
    return text


def _as_tuple(inputs) -> tuple:
    if isinstance(inputs, (tuple, list)):
        return tuple(inputs)
    return (inputs,)


class BatchNote(CimsimWarning):
    """``trace()`` / ``trace_onnx()`` of a first input whose leading dimension is over 1 with no
    ``batch=`` (the run counts 1 sample), or ``batch=N > 1`` over a leading dimension of 1: the
    warnings of ``cimsim trace``'s note and ``--batch`` warning."""


def _first_input(first, kwargs=None):
    """The first tensor-like input: among the positional inputs, then the keyword ones."""
    items = list(first) if isinstance(first, (tuple, list)) else [first]
    items += list((kwargs or {}).values())
    return next((t for t in items if getattr(t, "shape", None) is not None), None)


def _not_batch(model, shape) -> bool:
    """Whether what cimsim knows of ``model`` says the leading dimension is not the batch: the
    model or its first child (down the chain of first children) is time-major (an ``nn.RNNBase``,
    ``nn.MultiheadAttention`` or ``nn.Transformer*`` with ``batch_first=False``: the leading
    dimension is T), or a convolution given an unbatched input (C, L...: the channels)."""
    import torch

    m = model
    while isinstance(m, torch.nn.Module):
        if getattr(m, "batch_first", None) is False:
            return True
        if isinstance(m, torch.nn.modules.conv._ConvNd):
            return len(shape) == len(m.kernel_size) + 1
        m = next(iter(m.children()), None)
    return False


def batch_note(first, how: str, model=None, kwargs=None) -> str | None:
    """The note when the first input (a tensor, or the first of a tuple / list, else of the
    keyword inputs ``kwargs``) has two or more dimensions and a leading one over 1, and no batch
    was given: the per-sample figures take 1 sample per run. ``how`` names the option that
    records N (``--batch N``, ``batch=N``). None where the leading dimension cannot be the batch
    by what cimsim knows: a 1-D input (one sample's features), a time-major first module of
    ``model`` (LSTM / GRU / RNN, attention, transformer layers with ``batch_first=False``: its
    leading dimension is T) or a convolution's unbatched input (:func:`_not_batch`)."""
    shape = tuple(getattr(_first_input(first, kwargs), "shape", ()) or ())
    if len(shape) < 2 or not isinstance(shape[0], int) or shape[0] <= 1:
        return None
    if model is not None and _not_batch(model, shape):
        return None
    one = how.split(" (")[0].replace("N", "1")
    return (f"the first example input's leading dimension is {shape[0]}; the per-sample "
            "figures (samples_per_s, j_per_sample, items_per_s, j_per_item, "
            "pipelined_samples_per_s, pipelined_j_per_sample) take 1 "
            f"sample per run: give {how} when the inputs hold N samples, or {one} if it is not "
            "the batch (a time-major sequence's T, an unbatched input's channels)")


def batch_mismatch(first, batch: int, how: str, kwargs=None, opt: str = "batch=") -> str | None:
    """The warning when ``batch`` > 1 is given over a first input whose leading dimension is 1:
    the batch is recorded, the inputs are not resized, so the per-sample figures divide one
    sample's work by N (not a refusal: ``cimsim trace --batch`` warns the same). ``how``: the way
    to resize the inputs, ``opt`` the option's name. A 3-D (1, N, F) input may be sequence-first: the text says both."""
    shape = tuple(getattr(_first_input(first, kwargs), "shape", ()) or ())
    if not (batch > 1 and len(shape) > 1 and shape[0] == 1):
        return None
    what = (f"the first example input's shape is {tuple(shape)}: right if it is "
            f"sequence-first (T, N, features), its {batch} samples in dimension 1; if "
            "dimension 0 is the batch," if len(shape) == 3 and shape[1] == batch else
            "the first example input's leading dimension is 1:")
    sep = "" if opt.endswith("=") else " "
    return (f"{opt}{sep}{batch} records {batch} samples per run, but {what} {opt} does not "
            f"resize the inputs, so the per-sample figures divide one sample's work by {batch}; "
            f"make the inputs hold {batch} samples ({how}), or leave {opt} out if they hold one")


def record_batch(w, first, batch, who: str, model=None, kwargs=None) -> None:
    """The Python API's ``batch=``: a whole number >= 1 recorded as ``metadata['batch']`` (the
    samples per run), as ``cimsim trace --batch``; :class:`BatchNote` is warned where
    :func:`batch_note` (no batch) or :func:`batch_mismatch` (a batch) has a note."""
    import warnings

    if batch is None:
        note = batch_note(first, "batch=N (cimsim trace --batch N)", model, kwargs)
    else:
        w.metadata["batch"] = batch
        note = batch_mismatch(first, batch, f"dims={{NAME: {batch}}} for a symbolic batch "
                              f"dimension NAME, or export the model at batch {batch}" if model is None
                              else f"example inputs of leading dimension {batch}", kwargs)
    if note is not None:
        warnings.warn(BatchNote(f"{who}: {note}"), stacklevel=3)


def check_batch(batch, who: str):
    """``batch`` is None or a whole number >= 1 (a NumPy integer too), returned as an ``int``;
    else one line naming ``who``."""
    import numbers

    if batch is None:
        return None
    if isinstance(batch, bool) or not isinstance(batch, numbers.Integral) or batch < 1:
        # a NumPy scalar as the plain number it holds (np.float64(2.5) -> 2.5), not its repr
        shown = batch.item() if getattr(batch, "ndim", None) == 0 and hasattr(batch, "item") else batch
        raise WorkloadError(f"{who}: batch must be a whole number >= 1 (the samples the example "
                            f"inputs hold), not {shown!r}")
    return int(batch)


@contextlib.contextmanager
def quiet_batch():
    """A context in which :class:`BatchNote` is not warned: for callers that record the batch
    themselves or print their own note (the CLI, the zoo, ``--accuracy``'s statistics trace)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BatchNote)
        yield
