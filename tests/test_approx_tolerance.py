"""No hidden absolute tolerance in the tests, read from their source (ast).

``pytest.approx(expected, rel=r)`` also accepts any absolute error up to 1e-12, whatever ``r``
says, and cimsim's numbers are SI: energies of fJ..pJ (1e-15..1e-12 J), times of ps..ns,
capacitances of fF, areas in m^2. ``approx(5e-15, rel=1e-9)`` passes 10e-15, so such a test
cannot fail. ``numpy.isclose`` / ``numpy.allclose`` / ``torch.allclose`` default to
``atol=1e-8``, which swallows every ns and fJ alike.

The rule: every ``approx(...)`` call in tests/ states ``abs=`` (``abs=0``, or a deliberate
absolute tolerance), unless its expected value is a literal (a number, or a list/tuple of
constant arithmetic on numbers) whose every entry is at least 1e-3 in magnitude, where the
1e-12 is below 1e-9 of the value. A file may define its own ``approx`` wrapper (its body's
``pytest.approx`` call is held to the rule). Every ``isclose`` / ``allclose`` call from numpy or
torch states ``atol=``. Note that pytest.approx with ``abs=`` and no ``rel=`` compares with the
absolute tolerance only: write ``rel=1e-6, abs=0`` for the default relative tolerance.

The checker runs on a small bad source first, so a checker that finds nothing cannot pass.
"""

from __future__ import annotations

import ast
import operator
from pathlib import Path

TESTS = Path(__file__).resolve().parent
#: smallest literal expected value that may keep pytest.approx's 1e-12 absolute tolerance
SMALLEST_BARE = 1e-3
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.Pow: operator.pow}


def literal_values(node: ast.AST) -> list[float] | None:
    """The numbers of a literal expected value (``2.5e9``, ``-1 / 3``, ``[1.0, 2 ** 5]``), or
    None where it is not a literal (a name, a call, a subscript ...)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return [float(node.value)]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = literal_values(node.operand)
        return None if v is None or len(v) != 1 else [-v[0] if isinstance(node.op, ast.USub) else v[0]]
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        a, b = literal_values(node.left), literal_values(node.right)
        if a is None or b is None or len(a) != 1 or len(b) != 1:
            return None
        try:
            return [float(_OPS[type(node.op)](a[0], b[0]))]
        except (ArithmeticError, ValueError):
            return None
    if isinstance(node, (ast.List, ast.Tuple)):
        out: list[float] = []
        for e in node.elts:
            v = literal_values(e)
            if v is None:
                return None
            out += v
        return out
    return None


def _name(func: ast.AST) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _owner(func: ast.AST) -> str:
    """``np`` for ``np.isclose``, ``numpy.testing`` for ``numpy.testing.x``, '' for a bare name."""
    if not isinstance(func, ast.Attribute):
        return ""
    parts, v = [], func.value
    while isinstance(v, ast.Attribute):
        parts.append(v.attr)
        v = v.value
    parts.append(getattr(v, "id", ""))
    return ".".join(reversed(parts))


def hidden_tolerances(source: str) -> list[str]:
    """``line: call`` for every comparison in ``source`` that keeps a default absolute
    tolerance: see the module docstring."""
    tree = ast.parse(source)
    local_approx = any(isinstance(n, ast.FunctionDef) and n.name == "approx" for n in tree.body)
    bad = []
    for n in ast.walk(tree):
        if not isinstance(n, ast.Call):
            continue
        name, owner = _name(n.func), _owner(n.func)
        kws = {k.arg for k in n.keywords}
        if name == "approx":
            if "abs" in kws or (local_approx and isinstance(n.func, ast.Name)):
                continue
            v = literal_values(n.args[0]) if n.args else None
            if v and all(abs(x) >= SMALLEST_BARE for x in v):
                continue
        elif name in ("isclose", "allclose") and owner.split(".")[0] in ("np", "numpy", "torch"):
            if "atol" in kws:
                continue
        else:
            continue
        bad.append((n.lineno, n.col_offset, f"{n.lineno}: {ast.get_source_segment(source, n)}"))
    return [text for *_, text in sorted(bad)]


BAD = '''
import numpy as np, pytest
from pytest import approx
assert e == pytest.approx(5e-15, rel=1e-9)
assert t == approx(latency, rel=1e-12)
assert v == approx([1.0, 2e-9])
assert z == approx(0)
assert np.allclose(a, b, rtol=1e-12)
assert torch.isclose(a, b)
'''
GOOD = '''
import numpy as np, pytest
from pytest import approx
assert e == pytest.approx(5e-15, rel=1e-9, abs=0)
assert t == approx(latency, rel=1e-6, abs=0)
assert v == approx([1.0, 2 ** 5, -1 / 3])
assert z == approx(0, abs=1e-30)
assert np.allclose(a, b, rtol=1e-12, atol=0)
assert math.isclose(a, b)
np.testing.assert_allclose(a, b, rtol=1e-12)
'''
LOCAL = '''
import pytest
def approx(expected, rel=1e-6):
    return pytest.approx(expected, rel=rel, abs=0)
assert e == approx(5e-15)
'''


def test_the_checker_finds_every_hidden_tolerance():
    assert [line.split(":")[0] for line in hidden_tolerances(BAD)] == ["4", "5", "6", "7", "8", "9"]
    assert hidden_tolerances(GOOD) == []
    assert hidden_tolerances(LOCAL) == []
    assert hidden_tolerances(LOCAL.replace("rel=rel, abs=0", "rel=rel")) == ["4: pytest.approx(expected, rel=rel)"]


def test_no_test_keeps_a_default_absolute_tolerance():
    files = sorted(TESTS.rglob("*.py"))
    assert len(files) > 50  # the scan sees the test tree
    bad = [f"{p.relative_to(TESTS)}:{line}" for p in files
           for line in hidden_tolerances(p.read_text(encoding="utf-8"))]
    assert not bad, ("a comparison keeps a default absolute tolerance that passes any fJ / ns "
                     "pair; state abs=0 (approx: rel=1e-6, abs=0 keeps the default rel) or "
                     "atol=0, or a deliberate tolerance with its reason:\n" + "\n".join(bad))
