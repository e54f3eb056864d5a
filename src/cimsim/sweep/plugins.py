"""CIM parts registered at run time reach a sweep's workers.

A part given to ``cimsim.hw.register`` (an ADC model class, a cell preset) lives in the
registry of the process that registered it; a sweep's worker processes (forkserver or spawn,
Dask) start from a fresh one, which holds the built-ins and the installed entry points only.
:func:`shipped_parts` pickles the run-time ones into the sweep's context with cloudpickle (a
dependency of dask): a class of an importable module by reference (the worker imports the
module), one defined in ``__main__``, a script's ``if __name__ == "__main__":`` block, stdin or
a notebook by value. :func:`install_parts` registers them in each worker before its first
point; one a worker cannot load (its module is not importable there) is a one-line error in
the rows of the configs that name it.
"""

from __future__ import annotations

import hashlib

from ..errors import CimsimError

#: the sweep context's key of the pickled parts
KEY = "parts"
#: the blobs this process has installed (a Dask worker gets the context with every chunk)
_INSTALLED: set[str] = set()


def _registries() -> dict:
    from ..hw.parts.registry import adcs, cells

    return {"adc": adcs, "cell": cells}


def shipped_parts() -> list | None:
    """The parts registered at run time in this process, each ``(kind, name, pickle)`` for
    the workers; None when there are none. One that cannot be pickled is refused here, before
    any point runs."""
    runtime = [(kind, reg, reg.runtime()) for kind, reg in _registries().items()]
    if not any(parts for _, _, parts in runtime):
        return None
    import cloudpickle  # (dask's dependency: installed whatever the scheduler)

    out = []
    for kind, reg, parts in runtime:
        for name, part in parts.items():
            try:
                out.append((kind, name, _dumps(cloudpickle, part)))
            except Exception as exc:  # noqa: BLE001  (the user's class: any error)
                why = " ".join(str(exc).split()) or type(exc).__name__
                raise CimsimError(
                    f"{reg.what} '{name}' was registered in this process only (cimsim.hw.register) "
                    f"and cannot be sent to the sweep's worker processes: {why}; define it in a "
                    f"module the workers can import, or install it as an entry point of "
                    f"{reg.group}") from None
    return out or None


def _same(obj):
    return obj


def _dumps(cloudpickle, part) -> bytes:
    """``part`` pickled by cloudpickle, its methods as the plug-in wrote them: the wrappers
    :func:`cimsim.hw.guard.guard` put around them hold the guard's thread state (which does
    not pickle), and the worker's registration guards them again."""
    import io
    import pickle
    import types

    from ..hw.guard import unguarded

    class Pickler(cloudpickle.Pickler):
        def reducer_override(self, obj):
            own = unguarded(obj) if isinstance(obj, types.FunctionType) else None
            if own is not None:
                return _same, (own,)
            return super().reducer_override(obj)

    buf = io.BytesIO()
    Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(part)
    return buf.getvalue()


def install_parts(parts: list | None) -> None:
    """Register the parts of :func:`shipped_parts` in this worker process (once); a name the
    worker already has (its own import of the user's script registered it) is kept, and one it
    cannot load is a one-line error for the configs that name it."""
    if not parts:
        return
    key = hashlib.sha256(b"".join(blob for _, _, blob in parts)).hexdigest()
    if key in _INSTALLED:
        return
    _INSTALLED.add(key)
    import pickle

    regs = _registries()
    for kind, name, blob in parts:
        reg = regs[kind]
        if name in reg.types():
            continue
        try:
            reg.register(pickle.loads(blob))
        except Exception as exc:  # noqa: BLE001  (a module the worker cannot import: any error)
            why = " ".join(str(exc).split()) or type(exc).__name__
            reg.broken(name, f"{reg.what} '{name}' was registered at run time in the sweep's main "
                             f"process, but a worker could not load it: {why}")
