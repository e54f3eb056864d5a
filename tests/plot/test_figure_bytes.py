"""The same figure saved twice is the same bytes (a seventh-round tester: each SVG carried its
date and matplotlib's random clip-path ids, so two plots of one sweep never compared equal)."""

from __future__ import annotations

from cimsim.plot.canvas import new_figure
from cimsim.plot.figures import save_figure


def _fig():
    fig = new_figure(4, 3)
    ax = fig.add_subplot()
    ax.plot([1, 2, 3], [3, 1, 2], marker="o", label="a")
    ax.legend()
    return fig


def test_saving_a_figure_twice_gives_the_same_bytes(tmp_path):
    a = save_figure(_fig(), tmp_path / "a" / "f")
    b = save_figure(_fig(), tmp_path / "b" / "f")
    for x, y in zip(a, b):
        assert x.read_bytes() == y.read_bytes(), x.suffix
    assert b"<dc:date>" not in a[1].read_bytes()
