"""The README's op-tag table and vector-op-cost table, made from the code: every tag of
:data:`cimsim.workload.tags.TAGS` (type, unit, what it changes) and the vector operations per
element of each elementwise ``fn`` and each other op kind (:mod:`cimsim.workload.kinds`).

``python -m cimsim.workload.tag_docs`` prints both; ``--write README.md`` replaces the blocks
between their markers in that file. A test fails when the README's blocks and these disagree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .kinds import ELEMENTWISE_OPS_PER_ELEMENT, KIND_OPS_PER_ELEMENT
from .tags import NOTE, TAGS, TYPES, USER_PREFIX

TAGS_BEGIN = "<!-- op-tags: begin (python -m cimsim.workload.tag_docs --write README.md) -->"
TAGS_END = "<!-- op-tags: end -->"
COSTS_BEGIN = "<!-- op-costs: begin (python -m cimsim.workload.tag_docs --write README.md) -->"
COSTS_END = "<!-- op-costs: end -->"


def tags_table() -> str:
    """Every declared tag, cost-reading ones first: key, value, unit, what it changes."""
    rows = ["| tag | value | unit | changes a result | what it is |", "| --- | --- | --- | --- | --- |"]
    for key, tag in sorted(TAGS.items(), key=lambda kv: (kv[1].costs is not True, not kv[1].costs, kv[0])):
        value = TYPES[tag.type][0]
        if tag.values:
            value = ("one of " if not tag.labels else "a string; read: ") + ", ".join(f"`{v}`" for v in tag.values)
        if tag.kinds:
            value += f"; on {', '.join(tag.kinds)} ops only"
        for v, kinds in tag.value_kinds:
            value += f"; `{v}` on {', '.join(kinds)} ops only"
        costs = "no (a label)" if not tag.costs else "no (a run note only)" if tag.costs == NOTE else "yes"
        rows.append(f"| `{key}` | {value} | {tag.unit} | {costs} | {tag.what} |")
    rows.append(f"| `{USER_PREFIX}...` | any JSON value | - | no | your own note: kept, written back, "
                "read by nothing |")
    return "\n".join(rows)


def costs_table() -> str:
    """Vector operations per element: each elementwise ``fn`` with the torch (aten) pointwise ops
    the tracer costs as it (:data:`.trace.aten.POINTWISE`), then each other non-matmul kind."""
    from .trace.aten import POINTWISE

    rows = ["| op | vector ops per element | traced torch ops costed so (aten names) |", "| --- | --- | --- |"]
    for fn, v in ELEMENTWISE_OPS_PER_ELEMENT.items():
        traced = ", ".join(f"`{a}`" for a, f in POINTWISE.items() if f == fn)
        rows.append(f"| elementwise `{fn}` | {v:g} per output element | {traced or '-'} |")
    for kind, v in KIND_OPS_PER_ELEMENT.items():
        per = "input" if kind == "reduction" else "output"
        rows.append(f"| `{kind}` | {v:g} per {per} element | - |")
    return "\n".join(rows)


def _block(text: str, begin: str, end: str) -> str | None:
    m = re.search(re.escape(begin) + r"\n(.*?)" + re.escape(end), text, flags=re.S)
    return None if m is None else m.group(1).removesuffix("\n")


def readme_blocks(text: str) -> tuple[str | None, str | None]:
    """The README's tag block and cost block (None where a marker is missing)."""
    return _block(text, TAGS_BEGIN, TAGS_END), _block(text, COSTS_BEGIN, COSTS_END)


def write(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for begin, end, body in ((TAGS_BEGIN, TAGS_END, tags_table()), (COSTS_BEGIN, COSTS_END, costs_table())):
        if _block(text, begin, end) is None:
            raise SystemExit(f"{path}: no {begin!r} ... {end!r} block")
        text = re.sub(re.escape(begin) + r"\n.*?" + re.escape(end),
                      lambda _m: f"{begin}\n{body}\n{end}", text, flags=re.S)
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--write":
        write(Path(sys.argv[2]))
    else:
        print(tags_table() + "\n\n" + costs_table())
