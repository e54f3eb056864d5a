"""Write a :class:`.measure.Calibration` as an architecture config: a tree of values, each with
the comment that says how it was measured, dumped as YAML.

:func:`config_tree` builds the tree (``Note(value, comment)`` leaves and sections, plain
values where there is nothing to say); :func:`dump` writes it, each scalar and inline list
rendered by PyYAML (so any text, a CPU name with quotes included, stays valid YAML) and
each comment beside its key. Energies and static power cannot be timed: they are (U)
placeholders (:data:`PLACEHOLDER_ENERGY`).
"""

from __future__ import annotations

import platform
from decimal import Decimal
from dataclasses import dataclass
from typing import Any

import yaml

from .measure import SINGLE_STREAM_TOLERANCE, MiB, Calibration
from .sweep import REUSE_FRACTION

#: placeholders for what a timer cannot measure (marked (U) in the config): value, source
PLACEHOLDER_ENERGY = {
    "llc_energy_per_byte": ("12.5 pJ/B", "Horowitz ISSCC 2014 1 MB SRAM 64-bit read / 8 B"),
    "dram_energy_per_bit": ("20 pJ/bit", "DDR4/DDR5 range 15-22 pJ/bit"),
    "energy_per_mac": ("100 pJ", "placeholder"),
    "energy_per_vector_op": ("100 pJ", "placeholder"),
    "static_power": ("20 W", "placeholder"),
}
MARKERS = ("(M) measured here by the benchmark named beside it, (D) derived from (M),",
           "(U) placeholder: a timer cannot measure energy or static power.")
TIMING_WORDS = {"min": "fastest", "median": "median"}


@dataclass(frozen=True)
class Note:
    """A config value (scalar, inline list, section dict, or list of Notes: one row each)
    with the comment written beside its key."""

    value: Any
    comment: str = ""


def _g(x: float) -> float:
    """``x`` to 4 significant digits."""
    return float(f"{x:.4g}")


def _q(x: float, unit: str) -> str:
    """A quantity string, 4 significant digits: ``23.66 GB/s``."""
    return f"{x:.4g} {unit}"


def _mib(n: int) -> str:
    """``n`` bytes in MiB, written exactly (``n / 2^20`` has at most 20 decimals): ``4 MiB``,
    ``30.25 MiB`` (the 2816 x 2816 fp32 weight)."""
    return f"{(Decimal(n) / MiB).normalize():f} MiB"


def _placeholder(key: str) -> Note:
    value, source = PLACEHOLDER_ENERGY[key]
    return Note(value, f"(U) {source}")


def config_tree(cal: Calibration) -> dict:
    """The architecture config of ``cal`` with its provenance in comments."""
    cores, clock = cal.threads, cal.clock_hz
    kernel = cal.backend.split(" (")[0]
    if cal.llc_bytes == cal.llc_sysfs_bytes:
        llc_how = (f"kernel-reported size (sysfs cpu0 cache index, {cal.llc_sysfs_bytes / MiB:.4g} MiB) "
                   f"agrees within 2x with the measured knee ({cal.llc_knee_bytes / MiB:.4g} MiB)")
    else:
        llc_how = f"measured knee of read bandwidth vs working set ({cal.llc_knee_bytes / MiB:.4g} MiB)"
    llc_cap = cal.llc_capacity_bytes
    if llc_cap < cal.llc_bytes:
        llc_how = (f"largest working set a repeated read keeps at {REUSE_FRACTION:g} of the cache "
                   f"plateau's bandwidth, the sweep's fastest calls (the LLC: {cal.llc_bytes / MiB:.4g} MiB, "
                   f"{llc_how}; the rest holds other data or other tenants' lines)")
    dram_cap = (Note(f"{cal.dram_capacity_bytes:.0f} B", "(M) /proc/meminfo MemTotal") if cal.dram_capacity_bytes
                else Note(f"{16e9:.0f} B", "(U) /proc/meminfo unreadable"))

    def mm_comment(dt: str) -> str:
        text = f"(M) mm n={cal.matmul_n[dt]}: {_g(cal.matmul_macs_per_s[dt] / 1e9)} GMAC/s"
        if dt == "fp32":
            text += f"; fastest of it and the addmm below: {_g(cal.fp32_peak / 1e9)} GMAC/s"
        return text

    grid = cal.grid_macs_per_s
    fraction = [Note([_g(grid[(r, s)] / cal.fp32_peak) for s in cal.grid_sides],
                     f"{r} rows: " + ", ".join(f"{_g(grid[(r, s)] / 1e9)}" for s in cal.grid_sides))
                for r in cal.grid_rows]
    few_rows = {}
    if cal.rows_per_pass is not None:
        few_rows = {"rows_per_pass": Note(cal.rows_per_pass, f"(D) {cal.pass_fit}"),
                    "pass_max_rows": Note(cal.pass_max_rows, f"(M) {cal.pass_scan}")}
    if cal.row_length_exponent is not None:
        few_rows["row_length_exponent"] = Note(_g(cal.row_length_exponent), f"(M) {cal.row_length_how}")
        few_rows["row_length_from"] = Note(f"{llc_cap:.0f} B", "weights past the LLC stream from DRAM")
    few_rows["cold_from"] = Note(f"{llc_cap:.0f} B", "the LLC's capacity above: the columns up to it were timed "
                                 "cache-warm (repeated calls on one weight), those past it streaming from DRAM")
    processor_extra = {}
    if cal.gemv_single_stream:
        processor_extra["single_stream_bandwidth"] = Note(
            _q(cal.dram_read_1thread_bps / 1e9, "GB/s"),
            f"(M) read (sum) of the {cal.dram_array_bytes / MiB:.0f} MiB array with 1 thread; the 1-row matmul by "
            f"the {4 * cal.grid_sides[-1] ** 2 / MiB:.0f} MiB weight with {cores} threads read "
            f"{_g(cal.gemv_dram_bps / 1e9)} GB/s, within {SINGLE_STREAM_TOLERANCE}x of it: a GEMV is one stream")
    return {
        "name": "host",
        "description": f"{cal.host}, calibrated {cal.date}",
        "memory": Note({
            "llc": {
                "technology": "last-level cache",
                "capacity": Note(f"{llc_cap:.0f} B", f"(M) {llc_how}"),
                "bandwidth": Note(_q(cal.llc_bps / 1e9, "GB/s"), f"(M) median read ({kernel} sum) bandwidth on "
                                                               "the cache plateau of the sweep above"),
                "energy_per_byte": _placeholder("llc_energy_per_byte"),
                "replacement": Note("lru", "a hardware cache: a weight stays between two uses while "
                                    "what was touched in between fits (hw/lru.py)"),
            },
            "dram": {
                "technology": "DRAM",
                "capacity": dram_cap,
                "bandwidth": Note(_q(cal.dram_read_bps / 1e9, "GB/s"),
                                  f"(M) read (sum) of a {cal.dram_array_bytes / MiB:.0f} MiB array; triad "
                                  f"a = b + 3c: {_g(cal.dram_triad_bps / 1e9)} GB/s"),
                "sustained_fraction": Note(1.0, "the bandwidth above is already the sustained rate"),
                "latency": Note("0 s", "not measured: an op's fixed cost is in processor.op_overhead"),
                "energy_per_bit": _placeholder("dram_energy_per_bit"),
            },
        }, "innermost first; the last level is the backing store"),
        "processor": {
            "name": cal.host,
            "cores": Note(cores, f"(M) threads the timed kernels use ({cal.backend})"),
            "clock": Note(_q(clock / 1e9, "GHz"), f"(M) {cal.clock_source}"),
            "macs_per_cycle_per_core": Note(
                {dt: Note(_g(cal.peak_of(dt) / (cores * clock)), mm_comment(dt)) for dt in cal.matmul_macs_per_s},
                "(D) measured square-matmul MAC/s / (cores x clock)"),
            "mac_efficiency": Note({
                "rows": list(cal.grid_rows),
                "weight_bytes": Note([_mib(4 * s * s) for s in cal.grid_sides],
                                     "squares of side " + ", ".join(str(s) for s in cal.grid_sides)),
                "fraction": Note(fraction, "one row per rows entry; (M) GMAC/s in the comment"),
                **few_rows,
            }, "(D) fp32 x @ W.T of `rows` rows by a square weight of `weight_bytes`: (MAC/s less op_overhead) "
               "/ fp32 peak; applies to every dtype"),
            **processor_extra,
            "vector_ops_per_cycle_per_core": Note(
                _g(cal.vector_ops_per_s / (cores * clock)),
                f"(D) sigmoid over 64 Ki cache-resident elements: {_g(cal.vector_ops_per_s / 4e9)} G elements/s "
                "x 4 ops each (workload IR count)"),
            "energy_per_mac": {dt: _placeholder("energy_per_mac") for dt in cal.matmul_macs_per_s},
            "energy_per_vector_op": _placeholder("energy_per_vector_op"),
            "static_power": _placeholder("static_power"),
            "op_overhead": Note(_q(cal.op_overhead_s * 1e6, "us"),
                                f"(M) mean of a one-element add ({_g(cal.add_overhead_s * 1e6)} us) and a 1x1 mm "
                                f"({_g(cal.mm_overhead_s * 1e6)} us), per call in batches of 200"),
            "torch_cpu_dispatches": Note(True, "torch's CPU path: a traced nn.LSTM / nn.GRU step's gate "
                                         "arithmetic pays op_overhead per ATen call (tag dispatches)"),
        },
    }


def header(cal: Calibration, command: str = "cimsim calibrate", statistic: str = "min") -> list[str]:
    """The config's opening comment lines: who wrote it, when, on what, how."""
    sweep = ", ".join(f"{s / MiB:.3g} MiB: {bw / 1e9:.3g}" for s, bw in cal.sweep)
    return [
        f"Calibrated to this host by `{command}` on {cal.date}, {cal.seconds:.0f} s of benchmarks.",
        f"Host CPU: {cal.host} ({cal.threads} threads timed; {platform.node() or 'host'}).",
        f"Kernels timed: {cal.backend}; each figure is the {TIMING_WORDS[statistic]} of repeated calls "
        "(time.perf_counter; other jobs share the machine).",
        f"Markers: {MARKERS[0]}",
        MARKERS[1],
        f"Read bandwidth vs working set (MiB: GB/s): {sweep}",
        *([f"DRAM read with 1 thread (one stream): {cal.dram_read_1thread_bps / 1e9:.4g} GB/s; 1-row matmul by the "
           f"{4 * cal.grid_sides[-1] ** 2 / MiB:.0f} MiB weight: {cal.gemv_dram_bps / 1e9:.4g} GB/s"]
          if cal.dram_read_1thread_bps else []),
        *[f"note: {n}" for n in cal.notes],
    ]


def _flow(value: Any) -> str:
    """``value`` (a scalar or a list of scalars) as one line of YAML, quoted where needed."""
    text = yaml.safe_dump(value if isinstance(value, list) else [value], default_flow_style=True,
                          width=1 << 30, allow_unicode=True).strip()
    return text if isinstance(value, list) else text[1:-1]


def _comment(text: str) -> str:
    if "\n" in text:
        raise ValueError(f"a config comment spans lines: {text!r}")
    return f"  # {text}" if text else ""


def _lines(tree: dict, depth: int) -> list[str]:
    pad, out = "  " * depth, []
    for key, node in tree.items():
        value, comment = (node.value, node.comment) if isinstance(node, Note) else (node, "")
        if isinstance(value, dict):
            out.append(f"{pad}{key}:{_comment(comment)}")
            out += _lines(value, depth + 1)
        elif isinstance(value, list) and value and isinstance(value[0], Note):
            out.append(f"{pad}{key}:{_comment(comment)}")
            out += [f"{pad}  - {_flow(row.value)}{_comment(row.comment)}" for row in value]
        else:
            out.append(f"{pad}{key}: {_flow(value)}{_comment(comment)}")
    return out


def dump(tree: dict, comments: list[str] = ()) -> str:
    """YAML text of ``tree`` after the comment lines ``comments``."""
    return "\n".join([*(f"# {c}" if c else "#" for c in comments), *_lines(tree, 0), ""])


def to_yaml(cal: Calibration, command: str = "cimsim calibrate", statistic: str = "min") -> str:
    """The calibration as an architecture config (YAML text with its provenance in comments)."""
    return dump(config_tree(cal), header(cal, command, statistic))
