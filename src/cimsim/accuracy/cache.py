"""The accuracy cache, ``$CIMSIM_CACHE/accuracy`` (default ``~/.cache/cimsim/accuracy``): one
policy for every entry (a bundled model's weights, the mnist1d arrays, a traced workload).

- An entry is read when it is there; one that cannot be read (damaged, truncated, stale: any
  failure to load it) is rebuilt and replaced, with one warning line naming the file.
- Writes are atomic (:func:`cimsim.atomic.atomic_write`: a temporary file in the same folder,
  fsync, rename), so a reader never sees half an entry.
- Writes are best-effort: a cache that cannot be written (a read-only shared cache, a full
  disk, a ``CIMSIM_CACHE`` that cannot be made) leaves what was computed in memory, for this
  run, with one warning per cache saying so.
- A temporary file a killed write left behind (``.NAME.*.tmp``, or ``NAME.tmp<pid>`` of older
  cimsims) is never read; the next write of that entry removes those older than an hour.
"""

from __future__ import annotations

import os
import re
import time
import warnings
from pathlib import Path
from typing import Callable, TypeVar

from ..atomic import atomic_write
from ..errors import CimsimWarning

T = TypeVar("T")

#: a killed write's temporary file older than this (seconds) is removed by the next write
STALE_TEMP_S = 3600.0

_warned: set[str] = set()  # the caches already said to be unwritable, in this process
#: a sweep context's key: the caches its main process said were unwritable (the workers do not)
WARNED = "accuracy_cache_warned"


class Damaged(Exception):
    """Raised by an entry's loader: the file is there but is not a valid entry (the message says
    why, in a few words)."""


def root() -> Path:
    """The accuracy cache folder (not created here): ``$CIMSIM_CACHE/accuracy``, else
    ``$XDG_CACHE_HOME/cimsim/accuracy`` (the XDG base-directory rule), else
    ``~/.cache/cimsim/accuracy``."""
    base = os.environ.get("CIMSIM_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "cimsim")
    return Path(base) / "accuracy"


def _named() -> str:
    if os.environ.get("CIMSIM_CACHE"):
        return "CIMSIM_CACHE"
    if os.environ.get("XDG_CACHE_HOME"):
        return "XDG_CACHE_HOME; CIMSIM_CACHE sets another"
    return "the default; CIMSIM_CACHE sets another"


def cache_dir() -> Path:
    """:func:`root`, created when it can be (else warned about once: entries are then computed
    and kept in memory only)."""
    d = root()
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        not_writable(exc)
    return d


def not_writable(exc: OSError) -> None:
    """One warning per cache: it cannot be written, so what is computed is not kept."""
    d = root()
    if str(d) in _warned:
        return
    _warned.add(str(d))
    why = exc.strerror or type(exc).__name__
    if exc.filename is not None and str(exc.filename) != str(d):
        why = f"{why}: {exc.filename}"
    warnings.warn(f"accuracy cache {d} ({_named()}) is not writable: results not cached ({why})",
                  CimsimWarning, stacklevel=3)


def warned(paths=()) -> list[str]:
    """The caches said to be unwritable in this process, ``paths`` (another process's) added."""
    _warned.update(paths)
    return sorted(_warned)


def _reason(exc: BaseException, path: Path) -> str:
    if isinstance(exc, Damaged):
        return str(exc)
    first = (str(exc).strip().splitlines() or [""])[0].removeprefix(f"{path}: ")
    if len(first) > 120:
        first = first[:117] + "..."
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def cached(path: Path, load: Callable[[Path], T], build: Callable[[], T],
           save: Callable[[T, str], None], rebuild: bool = False) -> T:
    """The entry at ``path``: ``load(path)`` when it is there (and ``rebuild`` is false), else
    (or when loading fails in any way) ``build()``, stored by ``save(value, tmp_path)``
    atomically where the cache can be written."""
    if not rebuild and path.exists():
        try:
            return load(path)
        except Exception as exc:  # noqa: BLE001 - any unreadable entry is rebuilt: it is a cache
            warnings.warn(f"{path}: damaged accuracy cache entry ({_reason(exc, path)}); rebuilding it",
                          CimsimWarning, stacklevel=3)
    value = build()
    store(path, lambda tmp: save(value, tmp))
    return value


def store(path: Path, write: Callable[[str], None]) -> bool:
    """Write the entry ``path`` atomically; False (and the one warning) where the cache cannot
    be written."""
    try:
        atomic_write(path, write)
    except OSError as exc:
        not_writable(exc)
        return False
    _remove_stale_temps(path)
    return True


def _remove_stale_temps(path: Path) -> None:
    """Temporary files of ``path`` that a killed write left (atomic_write's ``.NAME.*.tmp``, the
    ``STEM.tmp<pid>[.npz]`` of cimsim 0.5 and before), older than :data:`STALE_TEMP_S` (a write
    in progress is seconds old)."""
    mine = re.compile(rf"\.{re.escape(path.name)}\.[A-Za-z0-9_]+\.tmp|"
                      rf"{re.escape(path.stem)}\.tmp\d+{re.escape(path.suffix) if path.suffix == '.npz' else ''}")
    now = time.time()
    try:
        names = list(path.parent.iterdir())
    except OSError:
        return
    for p in names:
        if not mine.fullmatch(p.name):
            continue
        try:
            if now - p.stat().st_mtime > STALE_TEMP_S:
                p.unlink()
        except OSError:
            pass
