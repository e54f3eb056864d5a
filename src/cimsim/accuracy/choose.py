"""Which component's arithmetic ``--accuracy`` scores with: the one that runs the weight matmuls.

An architecture with one component of a scored arithmetic (``cim``, ``fixed``, ``analog``:
:func:`~.target.arithmetic_of`) is scored with it. With several, the placement of the evaluation
model's trace says which of them ran its weight matmuls (a stationary weight; any matmul for a
``fixed`` digital array, which claims them all): that one is scored, and the basis names the
others. Before, any CIM shadowed every other component (an analog plug-in of priority 31 beside
a CIM ran both matmuls and was scored 95.3 % with the CIM's 8-bit ADC, against 15.8 % with its
own 2-bit one), and two plug-ins were scored with the first in the config. Several that ran
weight matmuls with different arithmetics are refused in one line: the emulator computes a model
with one arithmetic (two CIMs of one arithmetic are scored as one, as before).
"""

from __future__ import annotations

from typing import Callable

SCORED = ("cim", "fixed", "analog")


def _arith(name: str, c, kind: str) -> tuple:
    """What the emulator reads of a component (its name left out: two alike compute alike)."""
    from .analog import analog_arith
    from .arith import nonideal_of
    from .target import cim_arith

    if kind == "cim":
        return (kind, cim_arith(name, c), nonideal_of(c))
    if kind == "fixed":
        return (kind, int(c.weight_bits), int(c.input_bits))
    return (kind, analog_arith(c, name))


def scored(arch) -> list[tuple[str, object, str]]:
    """``(name, config, kind)`` of each component of a scored arithmetic, in config order."""
    from .target import arithmetic_of

    return [(n, c, k) for n, c in arch.components.items() if (k := arithmetic_of(n, c)) in SCORED]


def choose(arch, workload: Callable) -> tuple[list[tuple[str, object, str]], str]:
    """The components to score with (one, or several of one arithmetic), and a note for the basis
    naming those that ran none of the weight matmuls. ``workload()``: the traced evaluation model,
    placed only when there are several to choose from."""
    from ..mapping.placement import place
    from .target import AccuracyError

    every = scored(arch)
    if len(every) <= 1:
        return every, ""
    wl = workload()
    pl = place(wl, arch)
    ran = set()
    for comp, ids in zip(pl.components, pl.idx):
        kind = next((k for n, _, k in every if n == comp.name), None)
        if kind is not None and any(wl.ops[i].kind == "matmul" and (wl.ops[i].weight or kind == "fixed")
                                    for i in ids):
            ran.add(comp.name)
    users = [x for x in every if x[0] in ran]
    if len({repr(_arith(*x)) for x in users}) > 1:
        raise AccuracyError(
            f"--accuracy: architecture '{arch.name}' runs the weight matmuls on "
            + " and ".join(f"{n} ({k} arithmetic)" for n, _, k in users)
            + ", which compute differently; scoring a model split across arithmetics is not "
            "modelled: give one of them the weight matmuls (its priority, or an exclude), or "
            "run without --accuracy")
    if not users:  # none ran one (a processor took them): the first, as before
        cims = [x for x in every if x[2] == "cim"]
        return (cims or every)[:1], (f" ({', '.join(n for n, _, _ in every)} ran no weight matmul "
                                     "in the placement; scored with the first's arithmetic)")
    idle = [n for n, _, _ in every if n not in ran]
    return users, (f" ({', '.join(idle)} ran no weight matmul in the placement: not scored with "
                   f"{'its' if len(idle) == 1 else 'their'} arithmetic)" if idle else "")


def placement_key(arch) -> tuple:
    """For :func:`~.target.arithmetic_key`: with several scored components, which runs the weight
    matmuls follows the whole configuration (priorities, excludes), so it is all in the key."""
    if len(scored(arch)) <= 1:
        return ()
    return tuple((n, c.model_dump_json()) for n, c in arch.components.items())
