"""Split computing: a workload cut in two, its prefix on an edge config and its suffix on a
server config, the tensors at the cut sent over a radio or network link (:mod:`.cuts`: where to
cut; :mod:`.halves`: the two halves; :mod:`.link`: the link; :mod:`.study`: the runs and the
table)."""

from .cuts import Cut, cut_points
from .halves import cut_workload
from .link import SplitLink, parse_link
from .study import SplitStudy, split_study

__all__ = ["Cut", "SplitLink", "SplitStudy", "cut_points", "cut_workload", "parse_link", "split_study"]
