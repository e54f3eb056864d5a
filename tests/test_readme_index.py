"""The README's "How do I ..." index and its other in-page links lead somewhere: every
``](#anchor)`` names a heading (GitHub's anchor: lower case, punctuation dropped, spaces to
hyphens), and the index covers the tasks a new user asks first."""

from __future__ import annotations

import re
from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _anchor(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_in_page_link_names_a_heading():
    heads = {_anchor(h) for h in re.findall(r"^#{1,6} (.+)$", README, re.M)}
    links = set(re.findall(r"\]\(#([^)]+)\)", README))
    assert links and not links - heads, sorted(links - heads)


def test_the_index_follows_quickstart_and_names_the_first_questions():
    heads = re.findall(r"^## (.+)$", README, re.M)
    assert heads.index("How do I ...") == heads.index("Quickstart") + 1
    index = README.split("## How do I ...", 1)[1].split("\n## ", 1)[0]
    for task in ("DRAM", "sweep", "trace", "attention", "`bound`", "config uses", "compare",
                 "LLM", "accuracy", "validated", "plug-in", "report", "result column"):
        assert task in index, task
