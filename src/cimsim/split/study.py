"""A split-point study: each cut's prefix run on the edge config and suffix on the server config
(the real simulator, one run per half and cut, whatever the number of links), the link's terms
added in closed form, one row per link and cut.

Per row: the edge's latency and energy (its run's dynamic energy plus its static power over its
own run; nothing while it waits for the link or the server), the uplink's time (crossing bytes x 8
/ rate + latency) and the downlink's (the server's model outputs, when the link has a downlink),
the radios' energy (uplink: TX on the edge, RX on the server; downlink the other way), the
server's latency and energy, and the totals: ``total_latency_s`` = edge + uplink + server +
downlink (the halves run one after the other), ``edge_total_energy_j`` = the edge's run + its
radio (the battery's figure), ``total_energy_j`` = both runs + both radios. A half its config
refuses (one that does not fit its memory) leaves NaN in its row and the reason in ``error``; the
best cuts are those that ran.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

from ..report import columns as C
from .cuts import Cut, cut_points, cut_workload
from .link import SplitLink, parse_link

#: the columns of :meth:`SplitStudy.table`, in order
COLUMNS = (C.SPLIT_LINK, C.UPLINK_BANDWIDTH, C.SPLIT_CUT, C.SPLIT_AFTER_OP, C.SPLIT_TENSORS,
           C.UPLINK_BYTES, C.DOWNLINK_BYTES, C.EDGE_LATENCY_S, C.EDGE_ENERGY_J, C.UPLINK_S,
           C.DOWNLINK_S, C.LINK_S, C.EDGE_RADIO_J, C.SERVER_RADIO_J, C.SERVER_LATENCY_S,
           C.SERVER_ENERGY_J, C.TOTAL_LATENCY_S, C.EDGE_TOTAL_ENERGY_J, C.TOTAL_ENERGY_J,
           C.BEST_LATENCY, C.BEST_EDGE_ENERGY, C.ERROR)


@dataclass
class Half:
    """One half's run: its latency and energy (0 for a half with no op; NaN, with ``error``, for
    a half its config refuses: one that does not fit its memory)."""

    latency_s: float = 0.0
    energy_j: float = 0.0
    result: object = None
    error: str | None = None


@dataclass
class SplitStudy:
    """The cuts, the links, and each cut's two runs (``edge[i]``, ``server[i]`` for ``cuts[i]``)."""

    workload: str
    edge_config: str
    server_config: str
    cuts: list[Cut]
    links: list[SplitLink]
    edge: list[Half]
    server: list[Half]
    cut_dtype: str | None = None
    rows: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rows = [self._row(link, cut, e, s) for link in self.links
                     for cut, e, s in zip(self.cuts, self.edge, self.server)]
        for link in self.links:
            mine = [r for r in self.rows if r[C.SPLIT_LINK] == link.name and r[C.ERROR] is None]
            for flag, key in ((C.BEST_LATENCY, C.TOTAL_LATENCY_S), (C.BEST_EDGE_ENERGY, C.EDGE_TOTAL_ENERGY_J)):
                best = min(mine, key=lambda r: r[key]) if mine else None
                for r in self.rows:
                    if r[C.SPLIT_LINK] == link.name:
                        r[flag] = r is best

    def _row(self, link: SplitLink, cut: Cut, e: Half, s: Half) -> dict:
        up = cut.uplink_bytes(self.cut_dtype)
        down = cut.returned_bytes if link.downlink_bytes_per_s is not None else 0
        up_s, down_s = link.up_s(up), link.down_s(down)
        edge_radio = up * link.tx_j_per_byte + down * link.rx_j_per_byte
        server_radio = up * link.rx_j_per_byte + down * link.tx_j_per_byte
        return {C.SPLIT_LINK: link.name, C.UPLINK_BANDWIDTH: link.uplink_bytes_per_s,
                C.SPLIT_CUT: cut.index, C.SPLIT_AFTER_OP: cut.after or "(input)",
                C.SPLIT_TENSORS: len(cut.tensors), C.UPLINK_BYTES: up, C.DOWNLINK_BYTES: down,
                C.EDGE_LATENCY_S: e.latency_s, C.EDGE_ENERGY_J: e.energy_j, C.UPLINK_S: up_s,
                C.DOWNLINK_S: down_s, C.LINK_S: up_s + down_s, C.EDGE_RADIO_J: edge_radio,
                C.SERVER_RADIO_J: server_radio, C.SERVER_LATENCY_S: s.latency_s,
                C.SERVER_ENERGY_J: s.energy_j,
                C.TOTAL_LATENCY_S: e.latency_s + up_s + s.latency_s + down_s,
                C.EDGE_TOTAL_ENERGY_J: e.energy_j + edge_radio,
                C.TOTAL_ENERGY_J: e.energy_j + edge_radio + s.energy_j + server_radio,
                C.ERROR: "; ".join(f"{side}: {h.error}" for side, h in (("edge", e), ("server", s)) if h.error)
                or None}

    def table(self):
        """One row per link and cut (:data:`COLUMNS`), a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(COLUMNS))

    def best(self, link: str | None = None, by: str = "latency") -> dict:
        """The row of the best cut on ``link`` (the first link by default), ``by`` ``latency``
        (``total_latency_s``) or ``edge_energy`` (``edge_total_energy_j``)."""
        flags = {"latency": C.BEST_LATENCY, "edge_energy": C.BEST_EDGE_ENERGY}
        if by not in flags:
            raise ValueError(f"by={by!r}: give one of {', '.join(flags)}")
        name = self.links[0].name if link is None else link
        if name not in {k.name for k in self.links}:
            raise ValueError(f"link {name!r}: not one of {', '.join(k.name for k in self.links)}")
        rows = [r for r in self.rows if r[C.SPLIT_LINK] == name and r[flags[by]]]
        if not rows:
            raise ValueError(f"link {name!r}: no cut ran on both configs (each row's error says why)")
        return rows[0]


def split_study(edge, server, workload, links: Sequence[SplitLink | str | dict],
                cuts: Sequence[Cut] | None = None, cut_dtype: str | None = None,
                engine: str = "des", progress: Callable[[int, int], None] | None = None) -> SplitStudy:
    """Run every cut of ``workload`` (or the ``cuts`` given, from :func:`cut_points`) with its
    prefix on ``edge`` and its suffix on ``server`` (architectures), and add each link's transfer.
    ``links``: :class:`SplitLink` or what :func:`parse_link` reads; ``cut_dtype``: send the
    crossing tensors as this dtype (``int8``: 1 B an element); ``progress(done, total)`` is
    called after each cut."""
    from ..dtypes import TENSOR_DTYPES
    from ..errors import CimsimError, ConfigError
    from ..pipeline import simulate_quietly

    if cut_dtype is not None and cut_dtype not in TENSOR_DTYPES:
        raise ConfigError(f"cut dtype {cut_dtype!r}: not one of {', '.join(sorted(TENSOR_DTYPES))}")
    links = [k if isinstance(k, SplitLink) else parse_link(k) for k in links]
    if not links:
        raise ConfigError("a split study needs at least one link (--link)")
    names = [k.name for k in links]
    if len(set(names)) != len(names):
        raise ConfigError(f"two links are named {next(n for n in names if names.count(n) > 1)!r}; "
                          "give each a name= of its own")
    cuts = list(cut_points(workload) if cuts is None else cuts)

    def run(arch, wl) -> Half:
        if wl is None:
            return Half()
        try:
            r = simulate_quietly(arch, wl, engine=engine, keep_ops=False)
        except CimsimError as exc:  # a half its config refuses (too large): that cut's row says so
            return Half(math.nan, math.nan, None, str(exc).splitlines()[0])
        return Half(r.latency_s, r.energy_j, r)

    edge_runs, server_runs = [], []
    for i, cut in enumerate(cuts):
        prefix, suffix = cut_workload(workload, cut)
        edge_runs.append(run(edge, prefix))
        server_runs.append(run(server, suffix))
        if progress is not None:
            progress(i + 1, len(cuts))
    return SplitStudy(workload.name, edge.name, server.name, cuts, links, edge_runs, server_runs,
                      cut_dtype)
