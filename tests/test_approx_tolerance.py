"""No hidden absolute tolerance in the tests, read from their source (ast).

``pytest.approx(expected, rel=r)`` also accepts any absolute error up to 1e-12, whatever ``r``
says, and cimsim's numbers are SI: energies of fJ..pJ (1e-15..1e-12 J), times of ps..ns,
capacitances of fF, areas in m^2. ``approx(5e-15, rel=1e-9)`` passes 10e-15, so such a test
cannot fail. ``numpy.isclose`` / ``numpy.allclose`` / ``torch.allclose`` default to
``atol=1e-8``, which swallows every ns and fJ alike.

The rule: every ``approx(...)`` call in tests/ states ``abs=`` (``abs=0``, or a deliberate
absolute tolerance), wherever it stands (an ``==``, a tuple, a list, after ``and``, an
argument), whatever its expected value: until 2026-12-06 a literal expected value of at least
1e-3 was let through (the 1e-12 is below 1e-9 of it), so ``pytest.approx(100e6)`` in a tuple
passed the scan though the file's other comparisons state ``abs=0`` (review14-1 #5); one rule,
no exemption to reason about. A file may define its own ``approx`` wrapper (its body's
``pytest.approx`` call is held to the rule). Every ``isclose`` / ``allclose`` call from numpy or
torch states ``atol=``. Note that pytest.approx with ``abs=`` and no ``rel=`` compares with the
absolute tolerance only: write ``rel=1e-6, abs=0`` for the default relative tolerance.

The checker runs on a small bad source first, so a checker that finds nothing cannot pass.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


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
assert ("cim_chip", pytest.approx(100e6), "cim_chip_bytes") in levels
assert k == 0 and ai == pytest.approx(2 * 64 * 64 / 128)
assert v == approx([1.0, 2 ** 5, -1 / 3])
check(pytest.approx(0.5, rel=1e-12))
'''
GOOD = '''
import numpy as np, pytest
from pytest import approx
assert e == pytest.approx(5e-15, rel=1e-9, abs=0)
assert t == approx(latency, rel=1e-6, abs=0)
assert v == approx([1.0, 2 ** 5, -1 / 3], rel=1e-6, abs=0)
assert ("cim_chip", pytest.approx(100e6, rel=1e-12, abs=0), "b") in levels
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
    assert [line.split(":")[0] for line in hidden_tolerances(BAD)] == [str(i) for i in range(4, 14)]
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
