"""The README's test command is a bare ``pytest``, which puts ``tests/`` (the conftest's folder)
on the import path but not the checkout's root, so ``from tests.conftest import ...`` fails
to collect there while ``python -m pytest`` (CI) passes: a helper of conftest.py is imported as
``from conftest import ...``, the house's form."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
_BAD = re.compile(r"^\s*(from\s+tests(\.|\s)|import\s+tests(\.|\s|$))", re.MULTILINE)


def bad_imports(text: str) -> list[str]:
    return [m.group(0).strip() for m in _BAD.finditer(text)]


def test_the_rule_finds_a_package_import_of_tests():
    assert bad_imports("import os\nfrom tests.conftest import fresh_cache\n") == [
        "from tests."]
    assert bad_imports("    import tests.helpers\n") == ["import tests."]
    assert bad_imports("from conftest import fresh_cache\nfrom testsuite import x\n") == []


def test_no_test_imports_the_tests_folder_as_a_package():
    found = [f"{p.relative_to(TESTS)}: {b}" for p in sorted(TESTS.rglob("*.py"))
             for b in bad_imports(p.read_text(encoding="utf-8"))]
    assert not found, found
