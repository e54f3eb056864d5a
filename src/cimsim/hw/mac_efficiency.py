"""The achievable fraction of a processor's peak MAC rate by a matmul's shape
(``processor.mac_efficiency``, :class:`MacEfficiency`): a table ``cimsim calibrate`` measures.
Split out of :mod:`cimsim.hw.processor` (module size)."""

from __future__ import annotations

import itertools
import math
from typing import Optional

import numpy as np
from pydantic import Field, model_validator

from ..quantity import Bytes, Fraction, PositiveFloat, PositiveInt
from .base import Strict


#: the row lengths, over the square's, that ``cimsim calibrate`` times (``N = 4K`` and ``N = K/4``;
#: :mod:`cimsim.calibrate.rowlength`): rule 6 holds an op's ratio to them, as rule 3 the table's edge
ROW_RATIO_TIMED = (0.5, 2.0)


class MacEfficiency(Strict):
    """Achievable fraction of the peak MAC rate of a matmul, by its activation rows and the
    bytes of its weights: a table measured by ``cimsim calibrate``.

    Rules, in order:

    1. ``fraction[i][j]`` is what a matmul of ``rows[i]`` activation rows (batch x m) by a
       weight of ``weight_bytes[j]`` bytes reaches, timed as the kernel runs it: a matmul of
       few rows reaches less of the peak than the square one the peak is measured with, and
       less again when its weight must be packed from beyond the caches;
    2. an op between the table's points takes the bilinear interpolation in
       (log2 rows, log2 weight bytes);
    3. beyond the table's edge (more rows than the last entry, a smaller or larger weight) an
       op takes the edge's value, the fraction the kernel has settled to (an op with no
       weight, e.g. attention's activation x activation matmul, takes the smallest weight's);
    4. without ``weight_bytes`` each row of ``fraction`` has one entry: the fraction by rows
       alone;
    5. with ``rows_per_pass`` (p) and ``pass_max_rows``: a matmul of at most ``pass_max_rows``
       rows runs on the kernel's few-row path, which reads the whole weight once per block of p
       rows, so its time is ``ceil(rows / p)`` passes over the weight. Such an op takes the time
       of the table's largest ``rows`` entry r at or below its own rows, scaled by the passes:
       ``fraction = fraction(r) x (rows / r) x ceil(r / p) / ceil(rows / p)`` (in place of rule
       2's interpolation in rows, which would put a 12-row matmul halfway in rate between the
       8-row pass path and the 16-row blocked path);
    6. with ``row_length_exponent`` (a) and ``row_length_from``: a matmul whose weight holds at
       least ``row_length_from`` bytes (one past the last-level cache, streamed from DRAM) runs
       at ``(row / row_sq) ** a`` times the table's fraction, ``row`` the bytes of one stored row
       of its weight (the contiguous run the kernel streams: ``K`` elements of an ``[N, K]``
       weight) and ``row_sq = 2 sqrt(weight bytes)`` that of the table's fp32 square of the same
       bytes: a kernel streams long rows faster than short ones (a 2-vCPU EPYC's MKL, 1 thread,
       64 MiB weights: ``N = 4K`` ran 0.82-0.88x the square's rate at 1-64 rows, ``N = K/4``
       1.02-1.11x). As beyond the table's edge (rule 3), ``row / row_sq`` is held to the range
       the calibration timed, 1/2 (``N = 4K``) to 2 (``N = K/4``), and the fraction never exceeds
       1 (the peak). An op whose weight has no row length known runs at the table's fraction.
    7. with ``cold_from``: the table's columns up to ``cold_from`` bytes were timed with the
       weight cache-warm (repeated calls on one weight that fits the last-level cache), those past
       it with the weight streaming from DRAM. An op that reads its weight from the backing store
       at this use (its first use, a weight read once, one no cache level holds: the hierarchy's
       rule 1) streams it too, so it takes the table at no smaller a weight than the first column
       past ``cold_from`` (rules 2-6 then apply at that size; rule 6's row ratio keeps the op's
       own weight bytes). Without a column past it, rule 7 changes nothing. (Two 4 MiB weights
       read in turn on a 2-vCPU EPYC whose usable LLC holds 4 MiB: 3.7 GMAC/s each at one row,
       against 7.4 for either alone, 2026-12-07.)
    """

    rows: list[PositiveFloat] = Field(description="Activation row counts (batch x m), ascending.")
    weight_bytes: list[Bytes] | None = Field(
        default=None, description="Weight sizes, ascending (omit for a fraction by rows alone).")
    fraction: list[list[Fraction]] = Field(
        description="One row per `rows` entry, one entry per `weight_bytes` entry (or one).")
    rows_per_pass: Optional[PositiveInt] = Field(
        default=None, description="Activation rows one pass of the kernel's few-row path over the "
        "weight serves: a matmul of up to pass_max_rows rows takes ceil(rows / rows_per_pass) passes "
        "(`cimsim calibrate` fits it to the table's times; default: none, rows interpolated).")
    pass_max_rows: Optional[PositiveInt] = Field(
        default=None, description="The most activation rows the few-row path runs (the kernel "
        "switches to its blocked path above); with rows_per_pass only.")
    row_length_exponent: Optional[float] = Field(
        default=None, ge=-1.0, le=1.0, description="Exponent a of the rate of a matmul by a weight "
        "of at least row_length_from bytes in its row length: the table's fraction x (row bytes / "
        "the fp32 square's row bytes) ** a (`cimsim calibrate` measures it past the last-level "
        "cache; default: none, the table's fraction).")
    row_length_from: Optional[Bytes] = Field(
        default=None, description="Weights of at least this many bytes take the row-length "
        "exponent (the calibrated last-level cache); with row_length_exponent only.")
    cold_from: Optional[Bytes] = Field(
        default=None, description="The largest weight the table's columns were timed with "
        "cache-warm (`cimsim calibrate` writes the last-level cache's usable capacity): an op "
        "that reads its weight from the backing store takes the table at its first column past "
        "this size or its own, whichever is larger (rule 7; default: none, every op at its own "
        "weight's size); with weight_bytes only.")

    @model_validator(mode="before")
    @classmethod
    def _not_the_list_form(cls, data):
        if isinstance(data, list):  # pydantic reports ValueError, not TypeError, as a field error
            raise ValueError(  # noqa: TRY004
                "a list of {max_rows, fraction} (cimsim 0.2) is no longer read: give "
                "a table {rows: [...], weight_bytes: [...], fraction: [[...], ...]} "
                "(rerun `cimsim calibrate` to measure one)")
        if (isinstance(data, dict) and not data.get("weight_bytes")
                and isinstance(data.get("fraction"), list)
                and all(isinstance(f, (int, float, str)) for f in data["fraction"])):
            rows, flat = data.get("rows"), data["fraction"]
            if isinstance(rows, list) and len(flat) != len(rows):
                raise ValueError(f"fraction: {len(rows)} entries (one per rows entry) without "
                                 f"weight_bytes, got {len(flat)}")
            data = {**data, "fraction": [[f] for f in flat]}  # one per rows entry
        return data

    @model_validator(mode="after")
    def _shape(self) -> MacEfficiency:
        if self.cold_from is not None and self.weight_bytes is None:
            raise ValueError("cold_from needs weight_bytes: it names the table's columns timed "
                             "cache-warm, and a table without weight_bytes has no such columns")
        if self.weight_bytes is not None and not self.weight_bytes:
            raise ValueError("weight_bytes is empty: give the weight sizes the fraction's columns "
                             "are for, or leave weight_bytes out (one fraction per rows entry)")
        cols = len(self.weight_bytes) if self.weight_bytes is not None else 1
        for name, axis in (("rows", self.rows), ("weight_bytes", self.weight_bytes or [1.0])):
            if not axis:
                raise ValueError(f"{name} is empty")
            if any(b <= a for a, b in itertools.pairwise(axis)):
                raise ValueError(f"{name} must be strictly ascending, got {axis}")
        if (self.rows_per_pass is None) != (self.pass_max_rows is None):
            raise ValueError("rows_per_pass and pass_max_rows go together: give both or neither")
        if (self.row_length_exponent is None) != (self.row_length_from is None):
            raise ValueError("row_length_exponent and row_length_from go together: give both or neither")
        if self.pass_max_rows is not None and self.pass_max_rows < self.rows[0]:
            raise ValueError(f"pass_max_rows ({self.pass_max_rows}) is below the first rows entry "
                             f"({self.rows[0]:g}): no table row lies on the few-row path")
        if len(self.fraction) != len(self.rows) or any(len(r) != cols for r in self.fraction):
            raise ValueError(f"fraction must be {len(self.rows)} rows (one per rows entry) of {cols} "
                             f"entries (one per weight_bytes entry), got "
                             f"{[len(r) for r in self.fraction]} entries per row")
        if self.rows_per_pass is not None:  # rule 5 must keep every op at or under the peak
            m = self._pass_peaks()
            for wb in self.weight_bytes or [1.0]:
                f = self._table_at(m, np.full(len(m), wb))
                if f.max() > 1.0 + 1e-12:
                    at = int(m[np.argmax(f)])
                    raise ValueError(
                        f"rows_per_pass {self.rows_per_pass} makes a {at}-row matmul"
                        + (f" by {wb:g} B of weights" if self.weight_bytes else "")
                        + f" run at {f.max():.3g} of the peak (rule 5: the "
                        "table's fraction x rows / table rows x passes), above 1: lower the "
                        "few-row fractions or rows_per_pass, or pass_max_rows")
        return self

    def _pass_peaks(self) -> np.ndarray:
        """The row counts where rule 5's fraction can peak: between table rows r_j and
        r_{j+1} it is f_j m / r_j x ceil(r_j / p) / ceil(m / p), largest at the band's last
        multiple of p or at its last row (m / ceil(m / p) grows within a pass count)."""
        p, top = self.rows_per_pass, self.pass_max_rows
        out = []
        for j, r in enumerate(self.rows):
            lo = math.ceil(r)
            hi = min(top, math.ceil(self.rows[j + 1]) - 1 if j + 1 < len(self.rows) else top)
            if lo <= hi:
                out += [lo, hi] + ([hi // p * p] if hi // p * p >= lo else [])
        return np.asarray(sorted(set(out)), dtype=np.float64)

    def at(self, rows: np.ndarray, weight_bytes: np.ndarray, row_bytes: np.ndarray | None = None,
           cold: np.ndarray | None = None) -> np.ndarray:
        """The fraction for ops of ``rows`` activation rows and ``weight_bytes`` of weights
        (``row_bytes``: bytes of one stored row of each op's weight, 0 where unknown; rule 6;
        ``cold``: True where an op reads its weight from the backing store, rule 7)."""
        wb = np.asarray(weight_bytes, dtype=np.float64)
        looked = wb
        if self.cold_from is not None and cold is not None:
            past = [float(c) for c in self.weight_bytes if c > self.cold_from]
            if past:  # rule 7: a cold weight runs as one streamed from past the caches
                looked = np.where(np.asarray(cold, dtype=bool), np.maximum(wb, past[0]), wb)
        out = self._table_at(rows, looked)
        if self.row_length_exponent is None or row_bytes is None:
            return out
        rb = np.asarray(row_bytes, dtype=np.float64)
        long = (looked >= self.row_length_from) & (rb > 0)
        ratio = np.clip(rb[long] / (2.0 * np.sqrt(wb[long])), ROW_RATIO_TIMED[0], ROW_RATIO_TIMED[1])
        out[long] = np.minimum(out[long] * ratio ** self.row_length_exponent, 1.0)
        return out

    def streamed(self, weight_bytes: np.ndarray, cold: np.ndarray | None) -> np.ndarray:
        """True where :meth:`at` reads a column past ``cold_from`` (timed with the weight
        streaming from DRAM: a memory-bound time, which a lower core clock does not stretch;
        review E 2); all False without ``cold_from`` or a column past it."""
        wb = np.asarray(weight_bytes, dtype=np.float64)
        past = ([float(c) for c in self.weight_bytes if c > self.cold_from]
                if self.cold_from is not None and self.weight_bytes else [])
        if not past:
            return np.zeros(wb.shape, dtype=bool)
        looked = wb if cold is None else np.where(np.asarray(cold, dtype=bool), np.maximum(wb, past[0]), wb)
        return looked > float(self.cold_from)

    def _table_at(self, rows: np.ndarray, weight_bytes: np.ndarray) -> np.ndarray:
        """Rules 1-5: the table's fraction."""
        table = np.asarray(self.fraction, dtype=np.float64)  # (R, W)
        wb = np.asarray(self.weight_bytes or [1.0], dtype=np.float64)
        lw = np.log2(np.maximum(weight_bytes, wb[0]))
        by_row = np.stack([np.interp(lw, np.log2(wb), t) for t in table])  # (R, n)
        cols = np.arange(by_row.shape[1])
        if len(self.rows) == 1:
            out = by_row[0].copy()
        else:
            lr = np.log2(np.maximum(rows, self.rows[0]))
            pos = np.interp(lr, np.log2(np.asarray(self.rows, dtype=np.float64)),
                            np.arange(len(self.rows), dtype=np.float64))
            i0 = np.minimum(np.floor(pos).astype(np.int64), len(self.rows) - 2)
            frac = pos - i0
            out = by_row[i0, cols] * (1.0 - frac) + by_row[i0 + 1, cols] * frac
        if self.rows_per_pass is None:
            return out
        # rule 5: on the few-row path, time scales with passes over the weight
        table_rows = np.asarray(self.rows, dtype=np.float64)
        rows = np.asarray(rows, dtype=np.float64)
        on_path = (rows >= table_rows[0]) & (rows <= self.pass_max_rows)
        if not on_path.any():
            return out
        p = float(self.rows_per_pass)
        j = np.searchsorted(table_rows, rows[on_path], side="right") - 1  # largest entry <= rows
        r = table_rows[j]
        m = rows[on_path]
        out[on_path] = by_row[j, cols[on_path]] * (m / r) * np.ceil(r / p) / np.ceil(m / p)
        return out
