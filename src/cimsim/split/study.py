"""A split-point study: each cut's prefix run on the edge config and suffix on the server config
(the real simulator, one run per half and cut, whatever the number of links), the link's terms
added in closed form, one row per link and cut.

Per row: the edge's latency and energy (its run's dynamic energy plus its static power over its
own run), the uplink's time (crossing bytes / rate + latency) and the downlink's (the server's
model outputs, when the link has a downlink), the radios' energy (uplink: TX on the edge, RX on
the server; downlink the other way), the server's latency and energy, the edge's wait (its
static power while its radio sends, the server runs and the answer comes back), and the totals:
``total_latency_s`` = edge + uplink + server + downlink (the halves run one after the other),
``edge_total_energy_j`` = the edge's run + its radio + its wait (the battery's figure, which
picks ``best_edge_energy``; ``edge_busy_energy_j`` leaves the wait out), ``total_energy_j`` =
that + the server's run + its radio. With a ``period`` (``--period``: one frame every period,
the halves and the link pipelined, the edge on at its static power between frames):
``edge_period_energy_j`` = the edge's run and radio + its static power over the rest of the
period, ``edge_average_power_w`` that / the period, and ``sustains_period`` whether the edge
half's shortest period, the uplink, the server and the downlink each fit in it (the energy and
power NaN where not). A half its config refuses leaves NaN in its row and the
reason in ``error``: ``does not fit`` (its memory), ``cannot run it`` (no component runs an op, a
dtype), or ``cimsim error`` (a fault of the half itself, not the config's); the best cuts are
those that ran.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

from ..report import columns as C
from .cuts import CUT_DTYPES, Cut, cut_dtype_notes, cut_points, parse_formats, refuse
from .halves import cut_workload
from .link import SplitLink, parse_link

#: the columns of :meth:`SplitStudy.table`, in order
COLUMNS = (*C.SPLIT_COLUMNS, C.ERROR)
#: how a refused half's ``error`` begins, by what refused it
REFUSALS = ("does not fit", "cannot run it", "cimsim error")


@dataclass
class Half:
    """One half's run: its latency and energy (0 for a half with no op; NaN, with ``error``, for
    a half that did not run: ``does not fit: ...``, ``cannot run it: ...`` or ``cimsim error:
    ...``, :data:`REFUSALS`)."""

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
    edge_static_w: float = 0.0
    period_s: float | None = None
    formats: dict = field(default_factory=dict)
    output_to: str = "edge"
    notes: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rows = [self._row(link, cut, e, s) for link in self.links
                     for cut, e, s in zip(self.cuts, self.edge, self.server)]
        for link in self.links:
            mine = [r for r in self.rows if r[C.SPLIT_LINK] == link.name and r[C.ERROR] is None]
            for flag, key in ((C.BEST_LATENCY, C.TOTAL_LATENCY_S), (C.BEST_EDGE_ENERGY, self.edge_energy_key)):
                # with a period, the cuts that sustain it (NaN energy) are the only candidates
                ran = [r for r in mine if r[key] == r[key]]
                best = min(ran, key=lambda r: r[key]) if ran else None
                for r in self.rows:
                    if r[C.SPLIT_LINK] == link.name:
                        r[flag] = r is best

    def _row(self, link: SplitLink, cut: Cut, e: Half, s: Half) -> dict:
        # with output_to server the edge's model outputs go uplink too, sent like any crossing
        # tensor (--cut-dtype, --cut-bits, --cut-density: review C 1); none come back
        cut = cut.as_sent(self.output_to)
        up = cut.uplink_bytes(self.cut_dtype, self.formats)
        if self.output_to == "server":
            down = 0
        else:
            down = cut.returned_bytes if link.downlink_bytes_per_s is not None else 0
        up_s, down_s = link.up_s(up), link.down_s(down)
        edge_radio = up * link.tx_j_per_byte + down * link.rx_j_per_byte
        server_radio = up * link.rx_j_per_byte + down * link.tx_j_per_byte
        # the edge waits for its radio, and for the answer where it consumes it (output_to edge)
        answer = s.latency_s + down_s if self.output_to == "edge" and cut.before is not None else 0.0
        wait = self.edge_static_w * (up_s + answer)
        busy = e.energy_j + edge_radio
        down_rate = link.downlink_bytes_per_s
        period = self._period(e, s, up_s, down_s, busy) if self.period_s is not None else {}
        return period | {C.WORKLOAD: self.workload, C.SPLIT_EDGE_CONFIG: self.edge_config,
                C.SPLIT_SERVER_CONFIG: self.server_config, C.SPLIT_LINK: link.name,
                C.UPLINK_BANDWIDTH: link.uplink_bytes_per_s,
                C.DOWNLINK_BANDWIDTH: math.nan if down_rate is None else down_rate,
                C.LINK_LATENCY_S: link.latency_s, C.TX_ENERGY_J_PER_BIT: link.tx_j_per_byte / 8,
                C.RX_ENERGY_J_PER_BIT: link.rx_j_per_byte / 8, C.CUT_DTYPE: "; ".join([self.cut_dtype or "own", *(
                    f.label(t) for t, f in self.formats.items() if t in cut.tensors)]),
                C.SPLIT_CUT: cut.index, C.SPLIT_AFTER_OP: cut.after or "(input)",
                C.SPLIT_TENSORS: len(cut.tensors), C.SPLIT_TENSOR_NAMES: "; ".join(cut.tensors),
                C.UPLINK_BYTES: up, C.DOWNLINK_BYTES: down,
                C.EDGE_LATENCY_S: e.latency_s, C.EDGE_ENERGY_J: e.energy_j, C.UPLINK_S: up_s,
                C.DOWNLINK_S: down_s, C.LINK_S: up_s + down_s, C.EDGE_RADIO_J: edge_radio,
                C.SERVER_RADIO_J: server_radio, C.SERVER_LATENCY_S: s.latency_s,
                C.SERVER_ENERGY_J: s.energy_j,
                C.TOTAL_LATENCY_S: e.latency_s + up_s + s.latency_s + down_s,
                C.EDGE_STATIC_POWER_W: self.edge_static_w, C.EDGE_WAIT_J: wait,
                C.EDGE_BUSY_ENERGY_J: busy, C.EDGE_TOTAL_ENERGY_J: busy + wait,
                C.TOTAL_ENERGY_J: busy + wait + s.energy_j + server_radio,
                C.ERROR: "; ".join(f"{side}: {h.error}" for side, h in (("edge", e), ("server", s)) if h.error)
                or None}

    @property
    def edge_energy_key(self) -> str:
        """The column ``best_edge_energy`` picks by: ``edge_period_energy_j`` with a period
        (the energy of a frame at that rate), else ``edge_total_energy_j``."""
        return C.EDGE_TOTAL_ENERGY_J if self.period_s is None else C.SPLIT_PERIOD_ENERGY_J

    def _period(self, e: Half, s: Half, up_s: float, down_s: float, busy: float) -> dict:
        """The ``--period`` columns of one row (the module's docstring)."""
        from ..report.load import min_period_s

        t = self.period_s
        edge_s = min_period_s(e.result) if e.result is not None else e.latency_s
        keeps = all(x <= t for x in (edge_s, up_s, s.latency_s, down_s))
        energy = busy + self.edge_static_w * (t - e.latency_s) if keeps else math.nan
        # a cut a half refused was never timed: NaN, not "too slow" (review C 3)
        ran = not (e.error or s.error)
        return {C.PERIOD_S: t, C.SPLIT_PERIOD_ENERGY_J: energy, C.SPLIT_AVERAGE_POWER_W: energy / t,
                C.SUSTAINS_PERIOD: keeps if ran else math.nan}

    @property
    def columns(self) -> tuple[str, ...]:
        """The table's columns: :data:`COLUMNS`, with the period's before ``error`` where a
        period is given."""
        return COLUMNS if self.period_s is None else (*C.SPLIT_COLUMNS, *C.SPLIT_PERIOD_COLUMNS, C.ERROR)

    def table(self):
        """One row per link and cut (:attr:`columns`), a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(self.columns))

    def best(self, link: str | None = None, by: str = "latency") -> dict:
        """The row of the best cut on ``link`` (the first link by default), ``by`` ``latency``
        (``total_latency_s``) or ``edge_energy`` (``edge_total_energy_j``; with a period
        ``edge_period_energy_j``, of the cuts that sustain it)."""
        flags = {"latency": C.BEST_LATENCY, "edge_energy": C.BEST_EDGE_ENERGY}
        if by not in flags:
            raise ValueError(f"by={by!r}: give one of {', '.join(flags)}")
        name = self.links[0].name if link is None else link
        if name not in {k.name for k in self.links}:
            raise ValueError(f"link {name!r}: not one of {', '.join(k.name for k in self.links)}")
        rows = [r for r in self.rows if r[C.SPLIT_LINK] == name and r[flags[by]]]
        if not rows:
            ran = [r for r in self.rows if r[C.SPLIT_LINK] == name and r[C.ERROR] is None]
            if ran and self.period_s is not None and by == "edge_energy":  # review C 5
                raise ValueError(f"link {name!r}: no cut sustains the period ({self.period_s:g} s: "
                                 f"{len(ran)} cut(s) ran, each too slow; see sustains_period)")
            raise ValueError(f"link {name!r}: no cut ran on both configs (each row's error says why)")
        return rows[0]


def split_study(edge, server, workload, links: Sequence[SplitLink | str | dict],
                cuts: Sequence[Cut] | None = None, cut_dtype: str | None = None,
                engine: str = "des", progress: Callable[[int, int], None] | None = None,
                edge_name: str | None = None, server_name: str | None = None,
                period: float | str | None = None, cut_bits=(), cut_density=(),
                output_to: str = "edge") -> SplitStudy:
    """Run every cut of ``workload`` (or the ``cuts`` given, from :func:`cut_points`) with its
    prefix on ``edge`` and its suffix on ``server`` (architectures), and add each link's transfer.
    ``links``: :class:`SplitLink` or what :func:`parse_link` reads; ``cut_dtype``: send the
    floating-point crossing tensors as this dtype where it is narrower (``int8``: 1 B an
    element; :data:`~cimsim.split.cuts.CUT_DTYPES`); ``edge_name`` / ``server_name``: the
    configs' labels (default their names); ``progress(done, total)`` is called after each cut;
    ``period``: one frame every period (s, or text: ``33.3ms``, ``30Hz``), adding the
    ``--period`` columns (the module's docstring); ``cut_bits`` (``{name: bits}`` or
    ``NAME=BITS`` items) and ``cut_density`` (``{name: (fraction, bytes)}`` or
    ``NAME=FRACTION,BYTES`` items): a crossing tensor's bits an element on the link, or its
    nonzeros' bytes (:class:`~cimsim.split.cuts.SentFormat`), before ``cut_dtype``;
    ``output_to``: ``edge`` (the default: model outputs the server makes come back where the
    link has a downlink, the edge-only cut sends nothing) or ``server`` (the server consumes
    the answer: every cut sends the model outputs the edge makes uplink, nothing comes back)."""
    from ..errors import CapacityError, CimsimError, ConfigError, MappingError
    from ..pipeline import simulate_quietly

    if cut_dtype is not None and cut_dtype not in CUT_DTYPES:
        raise ConfigError(f"cut dtype {cut_dtype!r}: not one of {', '.join(CUT_DTYPES)} (the "
                          "formats floating-point activations are sent in)")
    links = [k if isinstance(k, SplitLink) else parse_link(k) for k in links]
    if not links:
        raise ConfigError("a split study needs at least one link (--link)")
    names = [k.name for k in links]
    if len(set(names)) != len(names):
        raise ConfigError(f"two links are named {next(n for n in names if names.count(n) > 1)!r}; "
                          "give each a name= of its own")
    from ..report.load import stated_value

    period_s = stated_value(period, "period_s", "period=" if not isinstance(period, str) else "--period")
    if output_to not in ("edge", "server"):
        raise ConfigError(f"output to {output_to!r}: give edge or server (which side consumes the "
                          "model's outputs)")
    refuse(workload)
    formats = parse_formats(workload, cut_bits, cut_density)
    cuts = list(cut_points(workload) if cuts is None else cuts)

    def run(arch, wl) -> Half:
        if wl is None:
            return Half()
        try:
            r = simulate_quietly(arch, wl, engine=engine, keep_ops=False)
        except CimsimError as exc:  # that cut's row says which refused it, and why
            kind = REFUSALS[0 if isinstance(exc, CapacityError) else
                            1 if isinstance(exc, (MappingError, ConfigError)) else 2]
            return Half(math.nan, math.nan, None, f"{kind}: {str(exc).splitlines()[0]}")
        return Half(r.latency_s, r.energy_j, r)

    edge_runs, server_runs = [], []
    for i, cut in enumerate(cuts):
        prefix, suffix = cut_workload(workload, cut)
        edge_runs.append(run(edge, prefix))
        server_runs.append(run(server, suffix))
        if progress is not None:
            progress(i + 1, len(cuts))
    sent = [c.as_sent(output_to) for c in cuts]  # what goes uplink, the outputs included
    return SplitStudy(workload.name, edge_name or edge.name, server_name or server.name, cuts,
                      links, edge_runs, server_runs, cut_dtype, float(edge.static_power_w),
                      period_s, formats, output_to,
                      cut_dtype_notes(sent, cut_dtype) + _format_notes(sent, formats)
                      + _input_read_note(edge, workload, cuts))


def _format_notes(cuts, formats) -> list[str]:
    """A note per ``--cut-bits`` / ``--cut-density`` tensor that crosses none of the cuts."""
    crossing = {t for c in cuts for t in c.tensors}
    idle = [t for t in formats if t not in crossing]
    return [f"--cut-bits/--cut-density {', '.join(idle)}: cross(es) none of the cuts studied, so "
            "no row uses it"] if idle else []


def _input_read_note(edge, workload, cuts) -> list[str]:
    """Where the model inputs come from on the edge (find-C 4): a cut with an edge half reads
    them from the edge's backing store (model inputs start there), cut 0 sends them unread; on
    a read-only level no new input could arrive there each run."""
    from ..units import si

    names = {t for c in cuts if c.index == 0 for t in c.tensors}
    if not names or not any(c.index > 0 for c in cuts):
        return []
    level = edge.hardware.backing_store
    nbytes = sum(workload.tensors[t].nbytes for t in names)
    ro = getattr(edge.memory[level], "read_only", False)
    return [f"every cut with an edge half reads the model inputs ({si(nbytes, 'B')}: "
            f"{', '.join(sorted(names)[:3])}) from the edge's backing store memory.{level}, where "
            "model inputs start; cut 0 sends them without that read"
            + (f" (and memory.{level} is read_only: no new input could be written there each run)"
               if ro else "") + ". cimsim has no sensor port writing inputs into an inner level: "
            "compare cuts with that read in mind (the edge's energy_<level>_j in a half's run)"]
