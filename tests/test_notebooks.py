"""Notebooks are executed, not just stored: each must run top to bottom without error, and
every cell that draws a figure must show it as an image (issue 21, item 13: figures built
without pyplot used to show as the text ``<Figure size 1520x480 with 1 Axes>``)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def figure_functions() -> set[str]:
    """Every function of cimsim.plot that returns a figure (by its return annotation)."""
    from cimsim.plot import canvas, figures, run_figures

    out = set()
    for mod in (canvas, figures, run_figures):
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if fn.__module__ == mod.__name__ and str(inspect.signature(fn).return_annotation) in (
                    "Figure", "CimFigure"):
                out.add(name)
    return out


def figure_cells(nb) -> list[int]:
    """Indices of the code cells that call a figure function of cimsim.plot."""
    pat = re.compile(r"\b(" + "|".join(sorted(figure_functions())) + r")\(")
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and pat.search(c.source)]


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ should hold at least one notebook"


def test_figure_functions_are_found():
    """The detector is not vacuous: it knows the figure functions the notebooks use."""
    assert {"latency_vs_param", "energy_breakdown", "critical_path_gantt", "new_figure",
            "utilization_bars", "arch_roofline", "metric_vs_param"} <= figure_functions()


def test_a_figure_shows_as_a_png_without_pyplot():
    """IPython's display machinery turns a cimsim figure into image/png (no pyplot, no
    inline backend): what a notebook cell shows."""
    formatters = pytest.importorskip("IPython.core.formatters")
    from cimsim.plot import new_figure

    fig = new_figure(2, 2)
    fig.subplots().plot([0, 1], [0, 1])
    data, _ = formatters.DisplayFormatter().format(fig)
    assert data["image/png"][:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_and_shows_its_figures(path, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells), "commit notebooks without outputs"
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = [o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
            for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [t for t in text if "<Figure size" in t], "a figure shows as text, not an image"
    skipped_torch = "torch is not installed" in "".join(text)
    for i in figure_cells(nb):
        images = [o for o in nb.cells[i].outputs if "image/png" in o.get("data", {})]
        assert images or skipped_torch, f"cell {i} draws a figure but shows no image:\n{nb.cells[i].source}"
