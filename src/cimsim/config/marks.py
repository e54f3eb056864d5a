"""Placeholder marks: which config values rest on no source.

A config marks a value as an unverified placeholder in one of two ways:

- a ``(U)`` in the value's own line comment, the marker every bundled config already uses
  (``static_power: 1 W  # (U) placeholder: ...``); :func:`read_yaml` turns these into
- the top-level ``placeholders:`` list of dotted paths (``placeholders: [cim.static_power]``),
  which a config may also write itself (a config built in code, a flow-style file).

The marks travel with the config's mapping as that list; a ``--set`` of a marked path clears
its mark (the user has stated the value). The report weighs each energy and area part by
whether it rests on a marked value (:mod:`cimsim.report.provenance`).

The comment scanner reads block-style YAML line by line: a key's path is the keys above it by
indentation. Only values are marked: a ``(U)`` on a line that opens a section (``adc:  # (U)``)
is dropped, as is any path the schema does not know. Lines inside lists are not scanned.
"""

from __future__ import annotations

import re

#: the marker of an unverified placeholder in a line comment
MARK = "(U)"
KEY = "placeholders"

_KEY_LINE = re.compile(r"""^(?P<indent> *)(?P<key>[A-Za-z0-9_.\-]+|"[^"]*"|'[^']*')\s*:(?:\s+|$)(?P<rest>.*)$""")


def _comment(rest: str) -> tuple[str, str]:
    """``(value, comment)`` of what follows a key's colon (a ``#`` outside quotes after a space
    starts the comment)."""
    quote = None
    for i, ch in enumerate(rest):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or rest[i - 1] in " \t"):
            return rest[:i].strip(), rest[i + 1:]
    return rest.strip(), ""


def scan(text: str) -> list[str]:
    """Dotted paths whose line comment holds ``(U)``, in file order (sections: their path)."""
    return [path for path, comment in comments(text) if MARK in comment]


#: the source marks a bundled config's comments use: primary, transcription, derived, placeholder
SOURCE_MARKS = ("P", "T", "D", "U")
_SOURCE_MARK = re.compile(r"\(([PTDU])\)")


def source_marks(text: str) -> dict[str, str]:
    """Each dotted path whose line comment holds source marks -> its marks in
    :data:`SOURCE_MARKS` order, ``"(U) (T) (D)"`` for ``latency: 110 ns  # (U) ... (T) (D)``."""
    out = {}
    for path, comment in comments(text):
        found = set(_SOURCE_MARK.findall(comment))
        if found:
            out[path] = " ".join(f"({m})" for m in SOURCE_MARKS if m in found)
    return out


def comments(text: str) -> list[tuple[str, str]]:
    """``(dotted path, line comment)`` of each key line of block-style YAML ``text`` that has a
    comment, in file order (sections: their path)."""
    stack: list[tuple[int, str]] = []
    out: list[tuple[str, str]] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith("-"):
            continue
        m = _KEY_LINE.match(line)
        if m is None:
            continue
        indent = len(m.group("indent"))
        key = m.group("key").strip("'\"")
        while stack and stack[-1][0] >= indent:
            stack.pop()
        value, comment = _comment(m.group("rest"))
        path = ".".join([k for _, k in stack] + [key])
        if comment:
            out.append((path, comment))
        if value == "":
            stack.append((indent, key))
    return out


def value_marks(text: str, data, rename=None) -> list[str]:
    """:func:`scan`'s paths that name a value of the config ``data`` (see the module doc);
    ``rename`` maps each path of the text first (a legacy file's paths to the upgraded
    ``data``'s)."""
    from .paths import PathError, resolve

    out = []
    for p in map(rename or (lambda q: q), scan(text)):
        try:
            resolve(p, data)
        except PathError:
            continue
        out.append(p)
    return out


def cleared(marks, path: str) -> list:
    """``marks`` without ``path`` and the marks below it (a ``--set`` stated them)."""
    return [m for m in marks if not (m == path or m.startswith(path + "."))]
