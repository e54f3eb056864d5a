"""A plain function traced as a model: ``cimsim.trace(vmap(jacrev(net)), (x,))``.

torch.func code is functions (``vmap(grad(loss))``, a ``functional_call`` closure), not modules.
:func:`as_module` wraps such a callable in an ``nn.Module`` whose forward calls it, and registers
the modules it uses (found in its closure, in what ``functools.wraps`` / ``functools.partial``
wrap, in a bound method's object and in the globals it names) as submodules: their parameters are
the model's weights, named by the variable that held them (``net.0.weight``), and their gradients
(a training step written as a function) are parameter gradients, as those of a module's own. The
plain tensors it closes over (a projection ``P``, the tutorial ensemble's stacked ``params``) are
registered too, by their variable: a parameter where the tensor requires grad, else a buffer, so
they are the function's weights and constants, not work done outside torch. A module all of whose
tensors are on the meta device while the inputs (or other tensors it uses) are real is a
shape-only skeleton (the ensembling tutorial's ``base_model.to('meta')`` that ``functional_call``
fills): no weights, not registered. The wrapper is in train mode only where a module it registers
is (``metadata['training']``), and is named by the function (``metadata['model']``: its
``__qualname__``).
"""

from __future__ import annotations

import functools
import inspect

from .storage import storage_key

#: how deep :func:`_closure` follows closures and wrappers (vmap(jacrev(grad(f))) is 3-4 deep)
DEPTH = 12


def as_module(torch, fn, what: str = "trace()", inputs=()):
    """``fn`` if it is an ``nn.Module``, else a module calling ``fn`` (on the example ``inputs``)
    with its modules and closed-over tensors registered; a
    :class:`~cimsim.errors.WorkloadError` naming ``what`` for anything that is not callable."""
    from ...errors import WorkloadError

    if isinstance(fn, torch.nn.Module):
        return fn
    if type(fn).__name__ == "ExportedProgram":  # callable, but torch refuses the call
        raise WorkloadError(f"{what} got a torch.export ExportedProgram, which torch does not run "
                            "directly: trace ep.module(), the program as a module, with "
                            "ep.example_inputs[0] (README 'Tracing PyTorch models')")
    if not callable(fn) or isinstance(fn, type):
        raise WorkloadError(f"{what} needs a torch.nn.Module or a function of the example inputs "
                            f"(a torch.func transform such as vmap(jacrev(net))), got "
                            f"{type(fn).__name__}")

    class Function(torch.nn.Module):
        """A function of the example inputs, traced as its model (:mod:`.functions`)."""

        def forward(self, *args, **kwargs):
            return fn(*args, **kwargs)

    try:  # the function's own argument names name the inputs (x, not args)
        sig = inspect.signature(fn)
        Function.forward.__signature__ = sig.replace(parameters=[
            inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY), *sig.parameters.values()])
    except (TypeError, ValueError):
        pass
    qualname = getattr(fn, "__qualname__", None) or type(fn).__qualname__
    Function.__qualname__, Function.__module__ = qualname, getattr(fn, "__module__", None) or "__main__"
    if str(getattr(fn, "__name__", "")).isidentifier():
        Function.__name__ = fn.__name__
    wrapper = Function()
    wrapper._closed_leaves = []  # tensors the function reads, whose gradients are its parameters'
    found, tensors = _closure(torch, fn)
    # real data about (the inputs, a closed-over tensor, another module's): a meta module is a
    # skeleton; with none (a net built on meta, traced from shapes) it holds the weights
    real = any(not t.is_meta for t in (*_tensors(torch, inputs), *tensors.values(),
                                       *(t for m in found.values() for t in (*m.parameters(),
                                                                              *m.buffers()))))
    for name, mod in found.items():
        own = [*mod.parameters(), *mod.buffers()]
        if real and own and all(t.is_meta for t in own):
            continue  # a shape skeleton functional_call fills: no weights of its own
        wrapper.add_module(name, mod)
    held = {storage_key(t) for t in (*wrapper.parameters(), *wrapper.buffers(), *_tensors(torch, inputs))
            if _strided(t)}
    for name, t in tensors.items():
        if not _strided(t) or storage_key(t) in held or (real and t.is_meta):
            continue
        held.add(storage_key(t))
        key = _free_name(wrapper, torch, name.replace(".", "_"))
        if t.requires_grad:  # the same storage, so the function's reads of t read the parameter
            wrapper.register_parameter(key, torch.nn.Parameter(t.detach(), requires_grad=True))
            wrapper._closed_leaves.append(t)  # .backward() fills t's gradient, not the parameter's
        else:
            wrapper.register_buffer(key, t)
    # train mode as the modules it runs are, never switching them (not .train(False))
    wrapper.training = any(m.training for m in wrapper.children())
    return wrapper


def _strided(t) -> bool:
    return str(t.layout) == "torch.strided" and not getattr(t, "is_nested", False)


def _tensors(torch, obj, depth: int = 0) -> list:
    """The tensors inside ``obj`` (nested tuples, lists and dicts of example inputs)."""
    if isinstance(obj, torch.Tensor):
        return [obj]
    if depth > DEPTH:
        return []
    items = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, (list, tuple)) else ()
    return [t for a in items for t in _tensors(torch, a, depth + 1)]


def _free_name(wrapper, torch, name: str) -> str:
    key = name if name.isidentifier() else f"tensor_{name}" if f"tensor_{name}".isidentifier() \
        else "tensor"
    while key in wrapper._parameters or key in wrapper._buffers or key in wrapper._modules \
            or hasattr(torch.nn.Module, key):
        key = f"{key}_"
    return key


def _closure(torch, fn) -> tuple[dict, dict]:
    """The ``nn.Module`` s ``fn`` uses, by the name of the variable that held each (the first
    found; a module inside another found is left to its parent), and the plain tensors it closes
    over, by their variable's path (``params.0.weight`` for a dict's entry)."""
    found: dict[int, tuple[str, object]] = {}
    tensors: dict[str, object] = {}
    seen: set[int] = set()

    def visit(obj, name: str, depth: int, path: str) -> None:
        if depth > DEPTH or id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, torch.nn.Module):
            found.setdefault(id(obj), (name, obj))
            return
        if isinstance(obj, torch.Tensor):
            tensors.setdefault(path, obj)
            return
        if isinstance(obj, functools.partial):
            visit(obj.func, name, depth + 1, path)
            for i, a in enumerate((*obj.args, *obj.keywords.values())):
                visit(a, name, depth + 1, f"{path}.{i}")
            return
        if isinstance(obj, (list, tuple)):
            for i, a in enumerate(obj):
                visit(a, name, depth + 1, f"{path}.{i}")
            return
        if isinstance(obj, dict):
            for k, a in obj.items():
                visit(a, str(k), depth + 1, f"{path}.{k}")
            return
        if inspect.ismethod(obj):
            visit(obj.__self__, name, depth + 1, path)
            return
        if not inspect.isfunction(obj):
            return
        code = obj.__code__
        for var, cell in zip(code.co_freevars, obj.__closure__ or ()):
            try:
                visit(cell.cell_contents, var, depth + 1, var)
            except ValueError:  # an empty cell
                continue
        if hasattr(obj, "__wrapped__"):
            visit(obj.__wrapped__, name, depth + 1, path)
        glob = obj.__globals__
        for var in code.co_names:  # a module-level network (or tensor) a lambda names
            if isinstance(glob.get(var), (torch.nn.Module, torch.Tensor)):
                visit(glob[var], var, depth + 1, var)

    visit(fn, "fn", 0, "fn")
    mods = [m for _, m in found.values()]
    inner = {id(s) for m in mods for s in m.modules() if s is not m}
    out: dict[str, object] = {}
    for name, mod in found.values():
        if id(mod) in inner:
            continue
        key = name if name.isidentifier() and name not in out else f"module{len(out)}"
        while key in out or hasattr(torch.nn.Module, key):
            key = f"{key}_"
        out[key] = mod
    return out, tensors
