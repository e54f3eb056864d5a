"""A plain function traced as a model: ``cimsim.trace(vmap(jacrev(net)), (x,))``.

torch.func code is functions (``vmap(grad(loss))``, a ``functional_call`` closure), not modules.
:func:`as_module` wraps such a callable in an ``nn.Module`` whose forward calls it, and registers
the modules it uses (found in its closure, in what ``functools.wraps`` / ``functools.partial``
wrap, in a bound method's object and in the globals it names) as submodules: their parameters are
the model's weights, named by the variable that held them (``net.0.weight``), and their gradients
(a training step written as a function) are parameter gradients, as those of a module's own.
"""

from __future__ import annotations

import functools
import inspect

#: how deep :func:`_modules` follows closures and wrappers (vmap(jacrev(grad(f))) is 3-4 deep)
DEPTH = 12


def as_module(torch, fn, what: str = "trace()"):
    """``fn`` if it is an ``nn.Module``, else a module calling ``fn`` with its modules registered;
    a :class:`~cimsim.errors.WorkloadError` naming ``what`` for anything that is not callable."""
    from ...errors import WorkloadError

    if isinstance(fn, torch.nn.Module):
        return fn
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
    wrapper = Function()
    for name, mod in _modules(torch, fn).items():
        wrapper.add_module(name, mod)
    return wrapper


def _modules(torch, fn) -> dict:
    """The ``nn.Module`` s ``fn`` uses, by the name of the variable that held each (the first
    found; a module inside another found is left to its parent)."""
    found: dict[int, tuple[str, object]] = {}
    seen: set[int] = set()

    def visit(obj, name: str, depth: int) -> None:
        if depth > DEPTH or id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, torch.nn.Module):
            found.setdefault(id(obj), (name, obj))
            return
        if isinstance(obj, functools.partial):
            visit(obj.func, name, depth + 1)
            for a in (*obj.args, *obj.keywords.values()):
                visit(a, name, depth + 1)
            return
        if isinstance(obj, (list, tuple)):
            for a in obj:
                visit(a, name, depth + 1)
            return
        if isinstance(obj, dict):
            for k, a in obj.items():
                visit(a, str(k), depth + 1)
            return
        if inspect.ismethod(obj):
            visit(obj.__self__, name, depth + 1)
            return
        if not inspect.isfunction(obj):
            return
        code = obj.__code__
        for var, cell in zip(code.co_freevars, obj.__closure__ or ()):
            try:
                visit(cell.cell_contents, var, depth + 1)
            except ValueError:  # an empty cell
                continue
        if hasattr(obj, "__wrapped__"):
            visit(obj.__wrapped__, name, depth + 1)
        glob = obj.__globals__
        for var in code.co_names:  # a module-level network a lambda names
            if isinstance(glob.get(var), torch.nn.Module):
                visit(glob[var], var, depth + 1)

    visit(fn, "fn", 0)
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
    return out
