"""A stdout that cannot encode cimsim's text (a tester, 2026-12-05): `PYTHONIOENCODING=ascii cimsim run
gpu-hbm3 gru` and `cimsim fields` ended with a 30-40 line UnicodeEncodeError traceback on the `µ`
of `µs` and the `²` of `mm²`. Now such characters are spelled in ASCII, as cimsim reads units
back (`us`, `mm^2`), and the command succeeds. Real CLI runs in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cimsim.units import parse_quantity

SRC = str(Path(__file__).resolve().parents[2] / "src")


def cimsim(*args: str, encoding: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "PYTHONIOENCODING": encoding, "COLUMNS": "160"}  # the width sets where rich cuts "…"
    return subprocess.run([sys.executable, "-m", "cimsim", *args], env=env, capture_output=True,
                          timeout=300)


@pytest.mark.parametrize("args, spelled", [
    (("run", "gpu-hbm3", "gru"), [b" us", b"GOPS/mm^2 over 814 mm^2"]),  # gpu-hbm3 gives 814 mm2
    # a description ending "... m²)." and a cell cut with "…" (at 160 columns)
    (("fields",), [b" m^2). ", b"(data/validation/mess_latency_... |"]),
])
def test_ascii_stdout_spells_units_in_ascii(args, spelled):
    p = cimsim(*args, encoding="ascii")
    assert p.returncode == 0, p.stderr.decode(errors="replace")[-2000:]
    assert b"Traceback" not in p.stderr and b"UnicodeEncodeError" not in p.stderr
    assert p.stdout.isascii() and p.stderr.isascii()
    for text in spelled:
        assert text in p.stdout


def test_latin1_stdout_spells_what_it_lacks():
    """Latin-1 has `µ` and `²` but not the `…` (U+2026) that `cimsim fields` prints: that
    ended in a traceback; `²` stays as it is."""
    p = cimsim("fields", encoding="latin-1")
    assert p.returncode == 0, p.stderr.decode(errors="replace")[-2000:]
    assert b"Traceback" not in p.stderr
    assert b" m\xb2). " in p.stdout  # latin-1's own superscript two, not spelled
    assert b"(data/validation/mess_latency_... |" in p.stdout


def test_the_ascii_spelling_reads_back_as_the_same_quantity():
    import cimsim.commands as commands

    commands.ascii_fallback()  # registers the handler (the test's capture is left as it is)
    text = "18.89 µs, 814 mm², 1 µJ".encode("ascii", "cimsim-ascii").decode("ascii")
    assert text == "18.89 us, 814 mm^2, 1 uJ"
    assert [parse_quantity(t, u) for t, u in zip(text.split(", "), ("s", "m^2", "J"))] == \
        pytest.approx([18.89e-6, 814e-6, 1e-6], rel=1e-12, abs=0)


def test_c_locale_without_utf8_mode_spells_units_in_ascii():
    """A real ASCII console: the C locale with Python's UTF-8 mode and locale coercion off
    (`LC_ALL=C PYTHONUTF8=0 PYTHONCOERCECLOCALE=0`, a tester 2026-12-06). Python gives stdout
    `surrogateescape` there, which the fallback took for the user's own handler and left, so
    `cimsim run` and `fields` ended in a UnicodeEncodeError traceback on `µ`."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONIOENCODING", "LANG", "LC_CTYPE")}
    env.update({"PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
                "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0", "COLUMNS": "160"})
    for args in (("run", "gpu-hbm3", "gru"), ("fields",)):
        p = subprocess.run([sys.executable, "-m", "cimsim", *args], env=env, capture_output=True,
                           timeout=300)
        assert p.returncode == 0, p.stderr.decode(errors="replace")[-2000:]
        assert b"Traceback" not in p.stderr and p.stdout.isascii()
    assert b" us" in subprocess.run([sys.executable, "-m", "cimsim", "run", "gpu-hbm3", "gru"],
                                    env=env, capture_output=True, timeout=300).stdout
