"""`cimsim validate -s cim-accuracy`: published accuracy figures without external data."""

from __future__ import annotations

import pytest

from cimsim.validate import run


@pytest.mark.slow
@pytest.mark.torch
def test_cim_accuracy_reproduces_mnist1d_and_names_the_cifar_figures():
    """fp32 top-1 of the bundled mnist1d CNN and GRU within 3 points of the package README's
    (94 %, 91 %); NeuroSim V1.4's CIFAR-10 figures named and skipped with the reason."""
    pytest.importorskip("mnist1d")
    df = run(["cim-accuracy"])
    assert len(df) == 2 and (df["measured"].tolist() == [94.0, 91.0])
    assert (df["predicted"] - df["measured"]).abs().max() <= 3.0
    skipped = df.attrs["skipped"]
    assert len(skipped) == 4 and all("CIFAR-10" in s["reason"] for s in skipped)
    assert [s["case"].split("baseline: ")[-1] for s in skipped] == [
        "SRAM, 4-bit ADC, 32 rows at once: 77 % top-1", "SRAM, 4-bit ADC, 64 rows at once: 59 % top-1",
        "RRAM, 4-bit ADC, 32 rows at once: 71 % top-1", "RRAM, 4-bit ADC, 64 rows at once: 43 % top-1"]


def test_cim_accuracy_without_its_extra_is_one_line_and_fails(monkeypatch):
    """Without the accuracy extra, `validate -s cim-accuracy` checks nothing: that must not exit 0
    with an empty table (a CI gate would pass having compared nothing); the line names each
    missing module."""
    import sys

    from click.testing import CliRunner

    from cimsim.cli import main

    monkeypatch.setitem(sys.modules, "mnist1d", None)  # `import mnist1d` raises ImportError
    r = CliRunner().invoke(main, ["validate", "-s", "cim-accuracy"])
    assert r.exit_code == 1
    last = r.output.strip().splitlines()[-1]
    assert last.startswith("Error: -s cim-accuracy: ran none of its cases")
    assert "mnist1d missing" in last and "Traceback" not in r.output
    # the other suites named beside it still run and decide the exit alone
    r = CliRunner().invoke(main, ["validate", "-s", "systolic"])
    assert r.exit_code == 0
