"""Several config errors at once: the one line names the fields of the others, so a user fixes
them in one go (a derived CIM config missing the three write fields said "(and 2 more)" and
needed three runs to learn which)."""

from __future__ import annotations

from click.testing import CliRunner

from cimsim.bundled import resolve_config
from cimsim.cli import main


def test_the_other_missing_fields_are_named(tmp_path):
    text = resolve_config("rram-cim-derived").read_text()
    kept = [ln for ln in text.splitlines()
            if not ln.lstrip().startswith(("write_latency:", "write_energy:", "endurance:"))]
    path = tmp_path / "my-cim.yaml"
    path.write_text("\n".join(kept) + "\n")
    r = CliRunner().invoke(main, ["run", str(path), "lstm"])
    assert r.exit_code == 1
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1
    assert "cim.write_latency: required field is missing" in lines[0]
    assert lines[0].endswith("(and 2 more: cim.write_energy, cim.endurance)")
