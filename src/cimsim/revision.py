"""The model revision: which cimsim code and bundled data computed a result.

``__version__`` names a release and stays the same across the many commits of a development
line (0.5.0.dev0 held for 439 of them, results changing in several), so it cannot tell two
models apart. :func:`model_revision` can: the SHA-256 of the package's own files, exactly those a
wheel ships (its Python source and its bundled configs, workloads and validation data,
:data:`PACKAGE_DATA`, each by its path inside the package and its bytes), ``r`` and the
first 12 hex digits (the letter keeps a CSV column of it text). Any edit of the code or of a bundled file
gives another revision; the same files give the same revision on every machine and install
(an editable checkout or a wheel). Computed once per process (about 10 ms for the ~230
files), on first use.

Outputs record it beside the version (:func:`provenance`): a sweep's Parquet attrs (a resumed
sweep recomputes rows of another revision), ``run --json``, the compare and report CSVs (a
column), workload files written by ``cimsim workload`` / ``cimsim trace`` (their metadata), and
the Perfetto trace's ``otherData``; the accuracy trace cache is keyed by it.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import os
from pathlib import Path

#: What a wheel ships besides the packages' ``.py`` files: ``[tool.setuptools.package-data]``
#: of pyproject.toml, pattern for pattern (tests/test_revision.py holds the two equal; an
#: installed cimsim has no pyproject.toml to read). ``*`` matches within one path part.
PACKAGE_DATA = ("py.typed", "data/configs/*.yaml", "data/workloads/*.json",
                "data/validation/*.yaml", "data/validation/*.csv", "data/validation/*.json")

#: The length of the revision shown and stored (hex digits of the SHA-256).
REVISION_DIGITS = 12


def _shipped(rel: str, folder: Path) -> bool:
    """Whether a wheel holds the file ``rel`` (``/``-separated, inside the package) of
    ``folder``: a ``.py`` file of a package (a folder with ``__init__.py``), or a
    :data:`PACKAGE_DATA` file."""
    if rel.endswith(".py"):
        return (folder / "__init__.py").is_file()
    parts = rel.split("/")
    return any(len(pat) == len(parts) and all(map(fnmatch.fnmatchcase, parts, pat))
               for pat in (p.split("/") for p in PACKAGE_DATA))


def _package_files(root: Path) -> list[Path]:
    """The files a wheel of the package ``root`` holds (:func:`_shipped`), symlinked folders
    followed: a checkout links ``data/configs`` and ``data/workloads`` to the repository's,
    which a wheel holds as files, so both count them; anything else there (a README, an
    ``.orig``, a user's ``workloads/x.npz``) is in no wheel and counts in neither."""
    out = []
    for folder, dirs, files in os.walk(root, followlinks=True):
        dirs[:] = [d for d in dirs if d != "__pycache__" and not d.startswith(".")]
        for name in files:
            path = Path(folder, name)
            if name.startswith(".") or not path.is_file():
                continue
            if _shipped(path.relative_to(root).as_posix(), Path(folder)):
                out.append(path)
    return sorted(out, key=lambda p: p.relative_to(root).as_posix())


def digest_of(root: Path) -> str:
    """The revision of the package folder ``root``: SHA-256 over each file's path (relative,
    ``/``-separated) and bytes, in path order, the first :data:`REVISION_DIGITS` hex digits."""
    h = hashlib.sha256()
    for path in _package_files(root):
        data = path.read_bytes()
        name = path.relative_to(root).as_posix().encode()
        h.update(len(name).to_bytes(8, "big") + name + len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()[:REVISION_DIGITS]


#: What the revision starts with: 12 hex digits alone may be all decimal digits (817478448706)
#: or read as a number in exponent form (1234e5678901), and a CSV reader (pandas) then takes
#: the ``cimsim_revision`` column for a number; a letter first keeps it text everywhere
REVISION_PREFIX = "r"


@functools.lru_cache(maxsize=1)
def model_revision() -> str:
    """This cimsim's model revision (``r`` and 12 hex digits of :func:`digest_of`), computed
    once per process."""
    return REVISION_PREFIX + digest_of(Path(__file__).resolve().parent)


def version() -> str:
    """``cimsim.__version__`` (read without importing the package's lazily loaded parts)."""
    from . import __version__

    return __version__


def provenance() -> dict[str, str]:
    """``{"cimsim_version": ..., "cimsim_revision": ...}``: what outputs record (the names of
    :mod:`cimsim.report.columns`)."""
    from .report.columns import CIMSIM_REVISION, CIMSIM_VERSION

    return {CIMSIM_VERSION: version(), CIMSIM_REVISION: model_revision()}


def with_provenance(df, recorded: dict | None = None):
    """``df`` with ``cimsim_version`` and ``cimsim_revision`` as its last two columns (a CSV file
    has no metadata: a column, the same in every row, keeps the record with the rows): the
    values ``recorded`` gives (a sweep's attrs; "" where it has none), else this cimsim's; per-row
    columns ``df`` already has (a resumed sweep's rows of several revisions) are moved last."""
    from .report.columns import CIMSIM_REVISION, CIMSIM_VERSION

    known = provenance() if recorded is None else recorded
    cols = {c: df[c] if c in df.columns else known.get(c) or ""
            for c in (CIMSIM_VERSION, CIMSIM_REVISION)}
    return df.drop(columns=[c for c in cols if c in df.columns]).assign(**cols)


def describe(ver: str | None, rev: str | None) -> str:
    """``cimsim 0.5.0.dev0 rev 1a2b3c4d5e6f``, or what of it is known (a file written before
    cimsim recorded either says so)."""
    if not ver and not rev:
        return "a cimsim that recorded no version or revision"
    return f"cimsim {ver or '(version not recorded)'} rev {rev or '(not recorded)'}"


def current() -> str:
    """:func:`describe` of this cimsim."""
    return describe(version(), model_revision())
