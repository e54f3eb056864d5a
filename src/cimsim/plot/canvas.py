"""The figure every plot draws on: an Agg canvas without pyplot (no global state, no display
needed) that Jupyter shows as a PNG, whose titles wrap to the width they have."""

from __future__ import annotations

import contextlib
import io
import textwrap
import warnings

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: a character's mean width in DejaVu Sans, in em
EM_PER_CHAR = 0.6


def wrap(text: str, width_in: float, size_pt: float) -> str:
    """``text`` wrapped to ``width_in`` inches at ``size_pt`` points (:func:`fill`)."""
    return fill(text, int(width_in * 72 / (EM_PER_CHAR * size_pt)))


def fill(text: str, chars: int) -> str:
    """``text`` wrapped to ``chars`` characters a line (at least 12), each of its lines on its
    own; a name without spaces (a workload's) breaks where the line is full."""
    chars = max(12, chars)
    return "\n".join(textwrap.fill(line, chars, break_on_hyphens=False) or line
                     for line in str(text).split("\n"))


class CimFigure(Figure):
    """A :class:`~matplotlib.figure.Figure` that Jupyter displays as a PNG without pyplot."""

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=100)
        return buf.getvalue()

    def suptitle(self, t, **kwargs):
        """The figure's title, wrapped to the figure's width: a long workload or config name
        ran off both edges of a one-panel figure (constrained layout centres a title but does
        not shrink it). About 0.6 em per character, DejaVu Sans's mean."""
        from matplotlib import rcParams
        from matplotlib.font_manager import FontProperties

        size = FontProperties(size=kwargs.get("fontsize", kwargs.get("size",
                              rcParams["figure.titlesize"]))).get_size_in_points()
        return super().suptitle(wrap(t, max(self.get_figwidth(), 20 * EM_PER_CHAR * size / 72),
                                     size), **kwargs)

    def wrap_titles(self) -> None:
        """Wrap each panel's title to its panel's width: a long workload name (a serving run's
        lengths) ran over the next panel and the legend (a new user, 2026-12-05)."""
        engine = self.get_layout_engine()
        if engine is not None:  # the panels' widths as laid out (beside an outside legend)
            engine.execute(self)
        titles = [(ax.title, ax.bbox.width) for ax in self.axes]  # panels, in subfigures too
        titles += [(sf._suptitle, sf.bbox.width) for sf in self.subfigs if sf._suptitle is not None]
        renderer = self.canvas.get_renderer()
        for t, room in titles:  # widths in pixels: the title as drawn against its panel
            text = t.get_text()
            if not text:
                continue
            drawn = t.get_window_extent(renderer).width  # its widest line
            chars = max(len(line) for line in text.split("\n"))
            for _ in range(4):  # narrower until it fits, measured again each time (wide letters)
                if drawn <= room or chars <= 12:  # (a very narrow panel may still overflow)
                    break
                chars = max(12, int(chars * room / drawn * 0.95))
                t.set_text(fill(text, chars))
                drawn = t.get_window_extent(renderer).width

    def stack_bottom(self) -> None:
        """A legend below the panels (``loc="outside lower center"``) and the caption
        (``supxlabel``) each ask constrained layout for the bottom margin, which takes the larger
        of the two, not their sum: the legend was drawn over the caption. The caption goes at the
        bottom, the legend above it, the panels above both (the layout's ``rect``); the figure
        grows by the caption's height, once."""
        cap = self._supxlabel
        below = [leg for leg in self.legends if getattr(leg, "_outside_loc", None) == "lower"]
        engine = self.get_layout_engine()
        if cap is None or not cap.get_text() or not below or engine is None:
            return
        renderer = self.canvas.get_renderer()
        pad = 4 / 72 * self.dpi  # pixels
        cap.set_in_layout(False)
        cap.set_verticalalignment("bottom")
        if not getattr(self, "_stacked", False):
            w, h = self.get_size_inches()
            self.set_size_inches(w, h + (cap.get_window_extent(renderer).height + 2 * pad) / self.dpi)
            self._stacked = True
        height = self.bbox.height
        cap.set_y(pad / height)
        low = (cap.get_window_extent(renderer).height + 2 * pad) / height
        for leg in below:
            leg.set_bbox_to_anchor((0, low, 1, 1 - low), transform=self.transFigure)
            low += (leg.get_window_extent(renderer).height + pad) / height
        engine.set(rect=(0, low, 1, 1 - low))

    def savefig(self, *args, **kwargs):
        from matplotlib import rc_context

        with rc_context({"font.sans-serif": sans_fonts()}), glyphs_said_once():
            self.stack_bottom()
            self.wrap_titles()
            return super().savefig(*args, **kwargs)


#: fonts with CJK (and other non-Latin) glyphs, tried after DejaVu Sans for a glyph it lacks,
#: where installed (matplotlib falls back glyph by glyph through the family list)
FALLBACK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK KR", "Noto Sans CJK TC",
                  "Source Han Sans SC", "Source Han Sans", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
                  "Droid Sans Fallback", "AR PL UMing CN", "Microsoft YaHei", "SimHei", "MS Gothic",
                  "Malgun Gothic", "PingFang SC", "Hiragino Sans", "Apple SD Gothic Neo", "Noto Sans",
                  "Noto Sans Symbols 2", "Noto Emoji", "Segoe UI Emoji", "Symbola")
_said: set[str] = set()  # the missing glyphs already said, in this process


def sans_fonts() -> list[str]:
    """The sans-serif family list figures draw with: matplotlib's, then each of
    :data:`FALLBACK_FONTS` that is installed (naming one that is not logs a warning per name)."""
    from matplotlib import rcParams
    from matplotlib.font_manager import fontManager

    have = {f.name for f in fontManager.ttflist}
    base = list(rcParams["font.sans-serif"])
    return base + [f for f in FALLBACK_FONTS if f in have and f not in base]


@contextlib.contextmanager
def glyphs_said_once():
    """matplotlib's "Glyph N (...) missing from font(s) DejaVu Sans." warning, once per glyph
    per figure (160 lines for one `cimsim plot` of CJK names: find-L 5), becomes one warning in
    the process naming the characters; any other warning passes as it was."""
    import re

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    missing = []
    for w in caught:
        m = re.match(r"Glyph (\d+) .*missing from font", str(w.message))
        if m is None:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            continue
        ch = chr(int(m.group(1)))
        if ch not in _said:
            _said.add(ch)
            missing.append(ch)
    if missing:
        warnings.warn(f"the figures' text holds {len(missing)} character(s) no installed font "
                      f"has ({' '.join(missing[:12])}{' ...' if len(missing) > 12 else ''}): they show "
                      "as empty boxes; install a font with them (Noto Sans CJK, WenQuanYi Zen Hei, "
                      "Noto Emoji, ...) and the figures use it (README: Reports and timelines, Fonts)",
                      stacklevel=2)


def new_figure(width: float, height: float) -> CimFigure:
    """An empty figure of ``width`` x ``height`` inches (constrained layout, Agg canvas) that
    Jupyter displays as a PNG: the notebooks draw their own figures on it too."""
    fig = CimFigure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig
