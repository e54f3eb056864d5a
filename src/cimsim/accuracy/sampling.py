"""A model's own randomness and modes while it is scored (:func:`~cimsim.accuracy.run.evaluate`).

Common random numbers: every pass of the model (the fp32 reference, the calibration pass, each
Monte-Carlo chip) starts from the same random state, so a model that draws random numbers
each forward (MC dropout's masks, Bayes-by-backprop's sampled weights) draws the same ones in
the fp32 and the emulated pass, and the two differ by the CIM arithmetic alone. The state
reset before each pass (:func:`same_draws`): torch's, numpy's and Python's global generators
seeded :data:`MODEL_SEED` (and restored after the pass), and every generator the model's
modules hold as an attribute (a ``torch.Generator`` passed as ``generator=``, a numpy
``Generator`` / ``RandomState``, a ``random.Random``; also inside a list, tuple or dict
attribute) set back to the state it had when :func:`evaluate` was called. A generator held
anywhere else (a module-level global, a closure) is not seen: :func:`evaluate` runs the fp32
model twice and, where the two passes differ, says so (:func:`randomness_note`) with how much
they differ, instead of claiming the difference is the arithmetic's.

Modes (:func:`eval_mode`): a model whose every module is in train mode (a new module's
default) is put in eval mode; a model with any module in eval mode runs as given, whichever
the top module's mode (MC dropout: ``model.eval()`` then ``Dropout.train()``, or
``model.train()`` then ``BatchNorm.eval()``). :func:`preserved` puts the caller's modes back
after the call.
"""

from __future__ import annotations

import contextlib
import random

import torch

#: torch's (and numpy's, Python's) seed before every pass of a model (common random numbers)
MODEL_SEED = 0


def _accessors(obj):
    """(get, set) of a random generator's state, or None for anything else."""
    import numpy as np

    if isinstance(obj, torch.Generator):
        return obj.get_state, obj.set_state
    if isinstance(obj, np.random.Generator):
        bg = obj.bit_generator
        return (lambda: bg.state), (lambda s: setattr(bg, "state", s))
    if isinstance(obj, np.random.RandomState):
        return obj.get_state, obj.set_state
    if isinstance(obj, random.Random):
        return obj.getstate, obj.setstate
    return None


def held_generators(model) -> list:
    """The random generators ``model``'s modules hold as attributes (directly or in a list,
    tuple or dict attribute), each as (get, set) of its state, once each."""
    found, seen = [], set()
    for mod in model.modules():
        for v in vars(mod).values():
            items = v.values() if isinstance(v, dict) else v if isinstance(v, (list, tuple)) else (v,)
            for obj in items:
                acc = _accessors(obj) if id(obj) not in seen else None
                if acc is not None:
                    seen.add(id(obj))
                    found.append(acc)
    return found


@contextlib.contextmanager
def same_draws(model):
    """One pass's random state (see the module docstring): the global generators seeded
    :data:`MODEL_SEED`; everything restored after, the generators ``model`` holds
    (:func:`held_generators`) too, so no pass advances them and each starts where the last did."""
    import numpy as np

    held = held_generators(model)
    states = [get() for get, _ in held]
    py, npy = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(MODEL_SEED)
        random.seed(MODEL_SEED)
        np.random.seed(MODEL_SEED)
        try:
            yield len(held)
        finally:
            random.setstate(py)
            np.random.set_state(npy)
            for (_, set_state), s in zip(held, states):
                set_state(s)


def eval_mode(model: torch.nn.Module) -> torch.nn.Module:
    """A model whose every module is in train mode (a new module's default) is put in eval mode;
    one with any module in eval mode runs with its modes as given (MC dropout's recipes:
    ``model.eval()`` then the ``nn.Dropout`` modules' ``train()``, or ``model.train()`` then the
    norms' ``eval()``)."""
    return model.eval() if all(m.training for m in model.modules()) else model


@contextlib.contextmanager
def preserved(model: torch.nn.Module):
    """The caller's modes put back after the block (:func:`eval_mode` changes none of the
    caller's model)."""
    modes = [(m, m.training) for m in model.modules()]
    try:
        yield
    finally:
        for m, training in modes:
            m.training = training


def mode_tops(model: torch.nn.Module) -> tuple[list, list]:
    """The modules in train mode whose parent is not (``""`` the model itself), and those in
    eval mode under a parent in train mode: where the modes a user set begin."""
    train, evals, parent = [], [], {}
    for name, m in model.named_modules():
        for child in m.children():
            parent.setdefault(id(child), m)
        up = parent.get(id(m))
        if m.training and (up is None or not up.training):
            train.append(name)
        elif not m.training and up is not None and up.training:
            evals.append(name)
    return train, evals


def _names(names: list) -> str:
    return ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")


def fp32_repeatable(again: torch.Tensor, ref: torch.Tensor) -> dict:
    """Two fp32 passes from the same random state: None, or how far apart (agreement, SNR)."""
    if bool(((again == ref) | (again.isnan() & ref.isnan())).all()):
        return {}
    from .run import metrics

    m = metrics(again, ref)
    return {"reference_agreement": m["agreement"], "reference_snr_db": m["output_snr_db"]}


def randomness_note(res) -> str:
    """What ``accuracy_basis`` says of the modes kept and of a model that draws random numbers."""
    out = ""
    train = [n for n in res.train_modules if n]
    if "" in res.train_modules:
        out += (f"; the model given in train mode with {len(res.eval_modules):,} submodule(s) in "
                f"eval mode, modes kept so (eval: {_names(res.eval_modules)})")
    elif train:
        out += f"; {len(train):,} submodule(s) given in train mode, kept so: {_names(train)}"
    ops = ", ".join(f"{k} x{v}" for k, v in sorted(res.random_ops.items()))
    drawn = f"the model draws random numbers each forward ({ops})" if ops else "the model"
    if res.reference_agreement is not None:  # two fp32 passes from the same state differ
        return out + (f"; {drawn}: two fp32 passes from the same random state differ (agreement "
                      f"{res.reference_agreement:.1%}, SNR {res.reference_snr_db:.1f} dB of one "
                      "against the other): it draws from a generator cimsim does not reset (one "
                      "held outside its modules, or a nondeterministic kernel), so the difference "
                      "from fp32 includes its own sampling, not the arithmetic alone")
    if not ops:
        return out
    held = f" and the {res.held_generators:,} generator(s) its modules hold" if res.held_generators else ""
    return out + (f"; {drawn}: the fp32 and emulated passes draw the same ones (torch, numpy "
                  f"and random seeded {MODEL_SEED}{held} reset before each pass), so they differ "
                  "by the arithmetic alone; each input scored on one forward pass's draws")
