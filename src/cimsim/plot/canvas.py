"""The figure every plot draws on: an Agg canvas without pyplot (no global state, no display
needed) that Jupyter shows as a PNG, whose titles wrap to the width they have."""

from __future__ import annotations

import io
import textwrap

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: a character's mean width in DejaVu Sans, in em
EM_PER_CHAR = 0.6


def wrap(text: str, width_in: float, size_pt: float) -> str:
    """``text`` wrapped to ``width_in`` inches at ``size_pt`` points (at least 12 characters a
    line), each of its lines on its own; a name without spaces (a workload's) breaks where the
    line is full."""
    chars = max(12, int(width_in * 72 / (EM_PER_CHAR * size_pt)))
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
        fit = 0.85 / self.dpi  # of a panel's width, in inches: names are digit- and capital-heavy
        for ax in self.axes:  # every panel, in subfigures too
            t = ax.title
            if t.get_text():
                t.set_text(wrap(t.get_text(), ax.bbox.width * fit, t.get_fontsize()))
        for sf in self.subfigs:  # a subfigure's title (a workload's panel of bars)
            t = sf._suptitle
            if t is not None and t.get_text():
                t.set_text(wrap(t.get_text(), sf.bbox.width * fit, t.get_fontsize()))

    def savefig(self, *args, **kwargs):
        self.wrap_titles()
        return super().savefig(*args, **kwargs)


def new_figure(width: float, height: float) -> CimFigure:
    """An empty figure of ``width`` x ``height`` inches (constrained layout, Agg canvas) that
    Jupyter displays as a PNG: the notebooks draw their own figures on it too."""
    fig = CimFigure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig
