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


def _llm_commands() -> list[tuple[str, str]]:
    """``(where, command)`` of each ``cimsim workload llm`` in the index's LLM row and in the
    "Using cimsim" command block, with the text of its row or line (for "torch extra")."""
    index = README.split("## How do I ...", 1)[1].split("\n## ", 1)[0]
    row = next(line for line in index.splitlines() if "LLM" in line)
    out = [(row, c) for c in re.findall(r"`(cimsim workload llm [^`]+)`", row)]
    using = README.split("## Using cimsim", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    out += [(line, line.split("#", 1)[0].strip()) for line in using.splitlines()
            if line.startswith("cimsim workload llm")]
    return out


def test_the_llm_command_runs_after_the_quickstart_install(tmp_path, monkeypatch):
    """find-F 2: the index gave only ``--hf-model llama``, which needs transformers (the torch
    extra) that the Quickstart's ``pip install -e .`` leaves out. Each place now gives the
    shape options, which need nothing, and marks ``--hf-model`` as the torch extra's."""
    import shlex
    import sys

    from click.testing import CliRunner

    from cimsim.cli import main

    monkeypatch.setitem(sys.modules, "transformers", None)  # as after `pip install -e .`
    commands = _llm_commands()
    runnable = [(where, cmd) for where, cmd in commands if "--hf-model" not in cmd]
    assert {where for where, _ in runnable} >= {where for where, _ in commands if "LLM" in where}
    assert len({where for where, _ in runnable}) == 2, commands  # the row and the block
    for where, cmd in commands:
        if "--hf-model" in cmd:
            assert "torch extra" in where, where
    for _, cmd in runnable:
        args = shlex.split(cmd)[1:]
        args[args.index("-o") + 1] = str(tmp_path / "llama.npz")
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 0, res.output
        assert "llm-L32-d4096-h32-kv32-B8-P1024-D128-fp16" in res.output
