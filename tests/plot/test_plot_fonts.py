"""Non-Latin names in figures: a font fallback, and one line where no font has a glyph
(find-L 5: 160 lines of matplotlib's "Glyph ... missing" for one `cimsim plot`)."""

from __future__ import annotations

import io
import warnings

from cimsim.plot import canvas
from cimsim.plot.canvas import new_figure, sans_fonts


def test_an_installed_fallback_font_follows_matplotlibs_sans_serif(monkeypatch):
    from matplotlib import rcParams

    monkeypatch.setattr(canvas, "FALLBACK_FONTS", ("No Such Font 123", "DejaVu Serif"))
    fonts = sans_fonts()
    assert fonts[:len(rcParams["font.sans-serif"])] == list(rcParams["font.sans-serif"])
    assert "DejaVu Serif" in fonts and "No Such Font 123" not in fonts  # installed ones only


def test_missing_glyphs_are_said_once_in_one_line(monkeypatch):
    from matplotlib.font_manager import fontManager

    monkeypatch.setattr(canvas, "FALLBACK_FONTS", ())  # DejaVu Sans alone: no CJK glyph
    monkeypatch.setattr(canvas, "_said", set())
    text = "中央处理器 甲"  # 6 distinct characters without a glyph in DejaVu Sans, and a space
    assert {f.name for f in fontManager.ttflist} >= {"DejaVu Sans"}
    said = []
    for _ in range(2):  # two figures with the same name: a line for the first only
        fig = new_figure(3, 2)
        fig.suptitle(text)
        fig.add_subplot().set_title(text)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.savefig(io.BytesIO(), format="png")
        said.append([str(w.message) for w in caught])
    assert len(said[0]) == 1 and said[1] == [], said
    assert "6 character(s) no installed font has (中 央 处 理 器 甲)" in said[0][0]
    assert not any("Glyph" in m for m in said[0])
