"""Atomic file writes: a temporary file in the same directory, fsync, then rename.

A reader, or a rerun after SIGKILL, sees the whole old file or the whole new
one, never a half-written one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: str | Path, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` to produce the file, then move it to ``path`` atomically. On
    failure nothing is left, and an ``OSError`` that names no file (a full disk) names ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual file mode
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename in (None, tmp):
            exc.filename = str(path)  # a full disk names no file: the one being written
        raise


def check_writable(path: str | Path, option: str) -> None:
    """Refuse (one :class:`~cimsim.errors.CimsimError`) an output path whose nearest existing
    folder is not a writable folder, or that is a folder itself (a probe file, removed at once, where
    the folder exists: a file system may refuse files its mode allows); nothing is left."""
    from .errors import CimsimError

    path = Path(path)
    if path.is_dir():
        raise CimsimError(f"{option} {path}: is a folder; give a file name")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise CimsimError(f"{option} {path}: cannot write there ({folder} is not a folder)")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CimsimError(f"{option} {path}: cannot write there ({folder} is not writable)")
    if folder == path.parent:  # writable by its mode, yet a file system may refuse files (/proc)
        import tempfile

        try:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{path.name}.", suffix=".probe"):
                pass
        except OSError as exc:
            raise CimsimError(f"{option} {path}: cannot write there ({exc.strerror or exc})") from None
