"""Atomic file writes: a temporary file in the same directory, fsync, then rename.

A reader, or a rerun after SIGKILL, sees the whole old file or the whole new
one, never a half-written one. A symlink is followed: its target is replaced and the
link stays. An existing path that is not a regular file (a character device such as
``/dev/null`` or ``/dev/stdout``, a FIFO) is written into directly: renaming a file onto it
would replace the node itself (as root, ``--trace /dev/stdout`` replaced ``/dev/stdout``).
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Callable


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def is_special(path: str | Path) -> bool:
    """Whether ``path`` (symlinks followed) exists and is neither a regular file nor a folder:
    a character or block device, a FIFO, a socket (``/dev/stdout``, ``/dev/null``)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def target_of(path: str | Path) -> Path:
    """The file writing ``path`` changes: a symlink's final target (a dangling link's too),
    else ``path`` itself. A special file (:func:`is_special`) is kept as given: its link may
    be a ``/proc`` magic link (``/dev/stdout`` to ``/proc/self/fd/1`` to ``pipe:[...]``) whose
    text names no path."""
    path = Path(path)
    if path.is_symlink() and not is_special(path):
        return Path(os.path.realpath(path))
    return path


def atomic_write(path: str | Path, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` to produce the file, then move it to ``path`` atomically. On
    failure nothing is left, and an ``OSError`` that names no file (a full disk) names ``path``.
    A symlink's target is replaced (the link stays); a device or FIFO is written into directly,
    by ``write(path)`` (no temporary, no rename: not atomic, as nothing can make it so)."""
    path = Path(path)
    if is_special(path):
        try:
            write(str(path))
        except OSError as exc:
            if exc.filename is None:
                exc.filename = str(path)
            raise
        return
    path = target_of(path)
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
    if is_special(path):  # /dev/null, /dev/stdout, a FIFO: written into, never replaced
        if not os.access(path, os.W_OK):
            raise CimsimError(f"{option} {path}: cannot write there (it is not writable)")
        return
    shown, path = path, target_of(path)  # a symlink: its target's folder is written
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise CimsimError(f"{option} {shown}: cannot write there ({folder} is not a folder)")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CimsimError(f"{option} {shown}: cannot write there ({folder} is not writable)")
    if folder == path.parent:  # writable by its mode, yet a file system may refuse files (/proc)
        try:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{path.name}.", suffix=".probe"):
                pass
        except OSError as exc:
            raise CimsimError(f"{option} {shown}: cannot write there ({exc.strerror or exc})") from None
