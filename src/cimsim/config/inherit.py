"""Config inheritance: a config file's ``base: NAME-or-PATH`` (find-B2 3).

``base`` names a bundled config (``gpu-hbm-pim-attn``) or a config file, a relative path
being relative to the folder of the file that says it (a bare name that is a file there wins
over a bundled config, as on the command line). The base may have a base of its own (a chain);
a file met twice in a chain is refused, naming the chain. The file's mapping is merged onto its
base's (the deepest base first):

- a mapping merges key by key (``pim: {max_rows: 4}`` changes that one field of the base's
  ``pim``);
- a list or a scalar replaces the base's value (a list is not appended to);
- a new key goes where the file lists it among the base's keys it names (so a new memory level
  is placed by naming the level outside it: ``memory: {l2: {...}, dram: {}}``), else last;
- ``null`` deletes the key from the base (as ``--set PATH=null`` does: the field's default
  applies, or a required one is missing);
- placeholder marks (``placeholders:`` and ``(U)`` comments): the base's stay, but for the
  values the file states or deletes, and the file's are added.

``--set`` applies to the merged mapping. Each leaf value of the merged mapping remembers the
file that stated it (:attr:`Resolved.stated`), so that a config error names that file, the
file or one of its bases. A config with a base is recorded by the SHA-256 of its chain
(:attr:`Resolved.record`): of the lines ``<sha256 of the file's bytes>\\n`` of each file, the
file first, then its base, then the base's base, so that any edit in any of them changes it.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..errors import ConfigError, given, one_line, suggest
from ..inputs import file_record, sha256_hex
from . import marks
from .readfile import config_bytes, read_one

#: the top-level key that names a config's base
KEY = "base"


@dataclass(frozen=True)
class Resolved:
    """A config file read with its ``base:`` chain merged in."""

    data: dict  #: the merged mapping (no ``base:`` key): what validation and ``--set`` see
    files: tuple  #: :func:`file_record` of each file of the chain, the file first, then its bases
    stated: dict = field(default_factory=dict)  #: dotted path of each leaf value -> its file
    deleted: dict = field(default_factory=dict)  #: dotted path a file's ``null`` deleted -> that file

    @property
    def record(self) -> dict[str, str]:
        """``{"path", "sha256"}`` as outputs record the config: the file's own record, or for a
        chain the file's path and the SHA-256 of its files' SHA-256 lines (module doc)."""
        if len(self.files) == 1:
            return dict(self.files[0])
        lines = "".join(f"{f['sha256']}\n" for f in self.files).encode()
        return {"path": self.files[0]["path"], "sha256": sha256_hex(lines)}

    def label(self, path: str | Path) -> str:
        """How an error names the config as a whole: ``sep.yaml``, or with a chain
        ``sep.yaml (base: /…/gpu-hbm-pim-attn.yaml)`` (``path``: the file as given)."""
        if len(self.files) == 1:
            return str(path)
        return f"{path} (base: {' -> '.join(f['path'] for f in self.files[1:])})"

    def note(self, path: str | Path) -> str | None:
        """A run's note stating the chain (None without a base)."""
        if len(self.files) == 1:
            return None
        chain = " -> ".join(f["path"] for f in self.files[1:])
        return (f"config {path} is its own values merged onto base: {chain}; config_sha256 "
                f"covers all {len(self.files)} files (README \"Config inheritance\")")

    def blame(self, path: str, default: str, also=()) -> tuple[str, str]:
        """``(file, note)`` for an error at ``path`` whose rule also reads the paths ``also``
        (find-B4 2, 4): the one file that states all of them (or whose ``null`` deleted one of
        them; a path of ``also`` that no file states or deletes, such as a misspelt link's,
        counts for none), else ``default`` (the file with its chain); ``note`` (``""`` or ``"; ..."``) says
        which file's ``null`` deleted a value involved."""
        if len(self.files) == 1:
            return default, ""
        paths = (path, *also)
        nulled = {d: f for d, f in self.deleted.items()
                  if any(a == d or a.startswith(d + ".") or d.startswith(a + ".") for a in paths)}
        kept = [a for a in paths if not any(a == d or a.startswith(d + ".") for d in nulled)]
        files = {*nulled.values(), *(self.file_of(a, None) for a in kept[:1] if a == path),
                 *(f for a in kept if a != path and (f := self.file_of(a, None)) is not None)}
        note = "".join(f"; {f}'s null deleted the value its base gives" if d == path else
                       f"; {d}: deleted by {f}'s null" for d, f in nulled.items())
        return (files.pop() if len(files) == 1 and None not in files else default), note

    def file_of(self, path: str, default: str) -> str:
        """The file that states the value at dotted ``path`` (or every value below it, or the
        list or value above it); ``default`` where several files or none do."""
        if not self.stated or len(self.files) == 1:
            return default
        if path in self.stated:
            return self.stated[path]
        below = {f for k, f in self.stated.items() if k.startswith(path + ".")}
        if len(below) == 1:
            return below.pop()
        parts = path.split(".")
        for i in range(len(parts) - 1, 0, -1):
            if (up := ".".join(parts[:i])) in self.stated:
                return self.stated[up]
        return default


def read_config(path: str | Path, raw: bytes | None = None) -> Resolved:
    """The config file ``path`` (``raw``: its bytes, if read already) with its ``base:``
    chain merged in; ConfigError naming the file whose ``base:`` is wrong, or the cycle."""
    chain: list[tuple[str, dict, dict]] = []  # (path, file record, its own mapping)
    seen: dict[str, str] = {}  # real path -> the path as the chain reached it
    here: str | Path = path
    while True:
        raw = config_bytes(here) if raw is None else raw
        data = read_one(here, raw)
        real = os.path.realpath(here)
        if real in seen:
            names = [c[0] for c in chain] + [str(here)]
            raise ConfigError(f"{chain[-1][0]}: {KEY}: a cycle of bases: {' -> '.join(names)}; "
                              "a config cannot be its own base")
        seen[real] = str(here)
        chain.append((str(here), file_record(here, raw), data))
        if KEY not in data:
            break
        here, raw = base_path(data.pop(KEY), here), None
    merged = chain[-1][2]
    stated, deleted = {p: chain[-1][0] for p in _leaves(merged, ())}, {}
    for where, _, own in reversed(chain[:-1]):
        merged = _placeholders(merged, own, _merge(merged, own, (stated, deleted), where, ()), where)
    return Resolved(merged, tuple(c[1] for c in chain), stated, deleted)


def base_path(value: Any, child: str | Path) -> Path:
    """The file ``base: value`` in the config ``child`` names (module doc; :func:`_folder`)."""
    from .. import bundled

    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{child}: {KEY}: must be a bundled config name (such as gpu-hbm3) or the "
                          f"path of a config file, relative to this file's folder; got {given(value)}")
    cand = Path(value).expanduser()
    cand = cand if cand.is_absolute() else _tidy(_folder(child) / cand)
    if cand.is_file():
        return cand
    if cand.exists():
        raise ConfigError(f"{child}: {KEY}: {one_line(value)}: {cand} is not a file")
    bare = len(Path(value).parts) == 1 and Path(value).suffix not in (".yaml", ".yml")
    found = bundled._named(value, bundled.configs_dir(), ".yaml") if bare else None
    if found is not None:
        return found
    names = ", ".join(x.stem for x in bundled.config_paths())
    where = ("the working folder, for a config read from standard input or a pipe"
             if _is_stdin(str(child)) or not Path(child).is_file() else "this file's folder")
    raise ConfigError(f"{child}: {KEY}: {one_line(value)}: no config file {cand} (a path is "
                      f"relative to {where})" + (f" and no bundled config of that name "
                                                            f"({names})" if bare else ""))


def _is_stdin(path: str) -> bool:
    """Whether ``path`` is standard input (``/dev/stdin``, ``/dev/fd/N``, ``/proc/self/fd/N``),
    a regular file or a pipe depending on how the shell feeds it."""
    return path in ("-", "/dev/stdin") or path.startswith(("/dev/fd/", "/proc/self/fd/"))


def _folder(child: str | Path) -> Path:
    """The folder a relative ``base:`` of ``child`` is read from (module doc): the folder of
    the file that says it, a symlink followed to its target (review B4 2); the working folder
    for standard input, fed from a file or a pipe alike, and for any other pipe (review B4 4)."""
    child_p = Path(child)
    if _is_stdin(str(child)) or not child_p.is_file():
        return Path.cwd()
    if not child_p.is_symlink():
        return child_p.parent
    real = Path(os.path.realpath(child_p)).parent
    rel = os.path.relpath(real)  # as the user knows it, where it is below the working folder
    return Path(rel) if not rel.startswith("..") else real


def _tidy(cand: Path) -> Path:
    """``cand`` with ``x/..`` and ``.`` folded (``other/../k4.yaml`` is ``k4.yaml``), where that
    names the same file (not where ``x`` is a symlink to another folder) (review B4 5)."""
    short = Path(os.path.normpath(cand))
    return short if os.path.realpath(short) == os.path.realpath(cand) else cand


def _leaves(value: Any, prefix: tuple) -> list[str]:
    """The dotted paths of the leaf values of ``value`` at ``prefix`` (an empty mapping: itself)."""
    if isinstance(value, Mapping) and value:
        return [p for k, v in value.items() for p in _leaves(v, (*prefix, str(k)))]
    return [".".join(prefix)] if prefix else []


def _drop(stated: dict, path: str) -> None:
    for k in [k for k in stated if k == path or k.startswith(path + ".")]:
        del stated[k]


def _merge(base: dict, own: Mapping, books: tuple, where: str, prefix: tuple) -> dict:
    """``own`` merged onto ``base`` (module doc); ``books`` = ``(stated, deleted)`` updated with
    ``where`` for the values ``own`` gives and the base's values its ``null`` deletes. The
    placeholder list is left to :func:`_placeholders`."""
    stated, deleted = books
    out = dict(base)
    for k, v in own.items():
        path = (*prefix, str(k))
        if not prefix and k == marks.KEY:
            continue
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _merge(dict(out[k]), v, books, where, path)
            continue
        dotted = ".".join(path)
        gone = deleted.get(dotted)
        _drop(stated, dotted)
        for d in [d for d in deleted if dotted.startswith(d + ".")]:  # a value again below it
            del deleted[d]
        _drop(deleted, dotted)
        if v is None:  # null deletes the base's key
            if k not in out:  # a typo would keep the value it meant to delete (review B4 1)
                raise ConfigError(_deletes_nothing(where, dotted, k, list(base), gone))
            deleted[dotted] = where
            out.pop(k, None)
            continue
        out[k] = copy.deepcopy(v)
        stated.update((p, where) for p in _leaves(v, path))
    return _ordered(out, list(base), list(own))


def _deletes_nothing(where: str, dotted: str, key: Any, keys: list, gone: str | None) -> str:
    """The one line refusing a ``null`` on a key its base does not have, as ``--set PATH=null``
    refuses a path that is not a field (review B4 1)."""
    above = dotted.rpartition(".")[0]
    best = suggest(str(key), [str(x) for x in keys])
    why = (f"{gone}'s null deleted it already" if gone is not None else
           f"keys there: {', '.join(map(str, keys)) or 'none'}"
           + (f"; did you mean '{above + '.' if above else ''}{best}'?" if best is not None else ""))
    return (f"{where}: {dotted}: null deletes nothing: its base has no such key ({why}); "
            "null deletes a value the base gives (README \"Config inheritance\")")


def _ordered(out: dict, old: list, named: list) -> dict:
    """``out`` in the base's key order, a new key placed before the next key the file names
    after it that the base has (``memory: {l2: {...}, dram: {}}`` puts a new ``l2`` inside
    ``dram``: levels run innermost first), else last."""
    order = [k for k in old if k in out]
    for i, k in enumerate(named):
        if k in out and k not in old:
            nxt = next((j for j in named[i + 1:] if j in order), None)
            order.insert(order.index(nxt) if nxt is not None else len(order), k)
    return {k: out[k] for k in order}


def _placeholders(base: Mapping, own: Mapping, merged: dict, where: str) -> dict:
    """``merged`` with its placeholder marks: the base's, less those on a value ``own`` states
    or deletes, then ``own``'s (a list that is not one of paths: ``own``'s replaces, for
    validation to refuse). ``placeholders: null`` (or ``[]`` over a base's marks) is refused:
    a mark goes only with its value (review B4 3)."""
    mine, theirs = own.get(marks.KEY), base.get(marks.KEY)
    if marks.KEY in own and (mine is None or mine == []) and (mine is None or theirs):
        if not theirs:
            raise ConfigError(f"{where}: {marks.KEY}: null deletes nothing: its base has no "
                              "placeholder marks")
        listed = ", ".join(map(str, theirs)) if isinstance(theirs, list) else one_line(str(theirs))
        raise ConfigError(f"{where}: {marks.KEY}: {'null' if mine is None else '[]'} does not clear the base's "
                          f"placeholder marks ({listed}): a mark goes only with its value; state "
                          "the values this file knows, and they lose their marks (README \"Config "
                          "inheritance\")")
    if mine is not None and not isinstance(mine, list) or theirs is not None and not isinstance(theirs, list):
        merged[marks.KEY] = mine if mine is not None else theirs
        return merged
    kept = list(theirs or [])
    for p in _stated({k: v for k, v in own.items() if k != marks.KEY}, base, ()):
        kept = marks.cleared(kept, p)
    out = list(dict.fromkeys([*kept, *(mine or [])]))
    if out:
        merged[marks.KEY] = out
    else:
        merged.pop(marks.KEY, None)
    return merged


def _stated(own: Mapping, base: Any, prefix: tuple) -> list[str]:
    """The dotted paths whose base values ``own`` states or deletes, for their placeholder marks
    to be cleared (find-B4 1): a mapping merged onto a base mapping states only what is in it
    (so ``dram: {}``, which places a new level, states nothing and keeps the base's marks
    below it); any other value, or a mapping where the base has none, states its whole path."""
    out = []
    for k, v in own.items():
        path = (*prefix, str(k))
        under = base.get(k) if isinstance(base, Mapping) else None
        if isinstance(v, Mapping) and isinstance(under, Mapping):
            out += _stated(v, under, path)
        else:
            out.append(".".join(path))
    return out
