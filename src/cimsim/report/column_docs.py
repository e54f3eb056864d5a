"""The README's "Result columns" table, made from :mod:`cimsim.report.columns`: each column's
(or column pattern's) meaning, unit and the outputs that carry it.

``python -m cimsim.report.column_docs`` prints the table; ``--write README.md`` replaces the
block between :data:`BEGIN` and :data:`END` in that file. A test fails when the README's block
and this table disagree, or when :mod:`.columns` names a column this table lacks (or this table
one it no longer names), so the README cannot go stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import columns as C

BEGIN = "<!-- result-columns: begin (python -m cimsim.report.column_docs --write README.md) -->"
END = "<!-- result-columns: end -->"

#: where a column appears (the last cell of a row)
CSV = "CSV"  # compare -o, report results.csv, a sweep's table, Result.record()
ALL = "all"  # those and run --json

_PART = "<part>"
_COMP = "<component>"
_RES = "<resource>"

#: (column or pattern, meaning, unit, where); "-" for no unit (a label, a count of things)
DOCS: tuple[tuple[str, str, str, str], ...] = (
    (C.WORKLOAD, "workload name", "-", ALL),
    (C.ARCHITECTURE, "architecture (config) name", "-", ALL),
    (C.ENGINE, "`des` (discrete-event) or `analytic` (bounds)", "-", ALL),
    (C.LATENCY, "end-to-end time of the workload", "s", ALL),
    (C.ENERGY, "total energy, static included", "J", ALL),
    (C.BOUND, "what bounds the run: " + ", ".join(C.BOUNDS) + " (largest part of the realised "
     "critical path)", "-", ALL),
    (C.BOUND_PART, "that part: a memory level or link name, `compute` or `overhead`", "-", ALL),
    (C.CRITICAL_PATH_S, "length of the dependency critical path (each op alone)", "s", ALL),
    (C.CRITICAL_PATH_OPS, "ops on the dependency critical path", "count", ALL),
    (C.PARALLELISM, "sum of op times / critical path", "ratio", ALL),
    (C.BOUND_MEMORY_S, "lower bound from memory: max over levels of bytes / effective bandwidth",
     "s", ALL),
    (C.BOUND_LINK_S, "lower bound from links (and shared on-chip buses); 0 without links", "s",
     ALL),
    (C.BOUND_COMPUTE_S, "lower bound from compute: the busiest server's compute time", "s", ALL),
    (C.MACS, "multiply-accumulates", "MAC", ALL),
    (C.OPS, "ops in the workload", "count", ALL),
    (C.THROUGHPUT_MACS, "MACs / latency", "MAC/s", ALL),
    (C.SAMPLES_PER_S, "the batch (a serving run's requests) / latency", "1/s", ALL),
    (C.WEIGHT_BYTES, "bytes of weights", "B", ALL),
    (C.ACTIVATION_BYTES, "bytes of activations", "B", ALL),
    (C.AREA_M2, "declared silicon area (components and on-chip levels); NaN/null when none",
     "m²", ALL),
    (C.AVERAGE_POWER_W, "energy / latency, static included", "W", ALL),
    (C.POWER_DENSITY_W_PER_M2, "average power / area; NaN/null when no part declares an area "
     "(1e6 is 1 W/mm²)", "W/m²", ALL),
    (C.OPS_PER_J, "2 x MACs / energy (OPS/W; 1e12 is 1 TOPS/W)", "op/J", ALL),
    (C.OPS_PER_S_PER_M2, "2 x MACs / latency / area (1e18 is 1 TOPS/mm²)", "op/(s·m²)", ALL),
    (C.ENERGY_PLACEHOLDER_SHARE, "fraction of the energy resting on placeholder values ((U) "
     "marks, unsourced defaults)", "fraction", ALL),
    (C.AREA_PLACEHOLDER_SHARE, "the same for the area", "fraction", ALL),
    (C.PRECISION_MISMATCH, "note: a component computes at other bits than the trace's dtype",
     "-", ALL),
    (C.EXTRAPOLATED, "true when a circuit-model input lies outside the range its laws were "
     "fitted on (a CIM's supply outside 0.8-1.1 x the node's nominal); the notes say which",
     "-", ALL),
    (C.NOTES, "the run's notes, one per line (`run --json`: a list)", "-", ALL),
    (C.ops_column(_COMP), "ops the component runs", "count",
     CSV + "; `run --json`: `ops_per_unit`"),
    (C.bytes_column(_RES), "bytes over a memory level or link", "B",
     CSV + "; `run --json`: `traffic_bytes`"),
    (C.write_bytes_column(_RES), "the part of them written (into a level; out over a link)", "B",
     CSV + "; `run --json`: `write_bytes`"),
    (C.fact_column(_COMP, "<fact>"), "a component's scalar fact (`cim_arrays_needed`, "
     "`cim_area_needed_m2`: those arrays' area (m²), `cim_reprograms`, "
     "`processor_weights_on_chip`, ...)", "count, flag or its unit", ALL),
    (C.energy_column(_PART), "energy by part: `<component>_<part>` (`cim_adc`), each level and "
     "link, `static` (static power x latency)", "J", CSV + "; `run --json`: `energy_breakdown_j`"),
    (C.util_column("<name>"), "utilization: `<component>_<what>` (`processor_mac`), "
     "`<resource>_bw` (bytes / peak bandwidth + hold time, over the latency)", "fraction",
     CSV + "; `run --json`: `utilization`"),
    (C.path_column(_PART), "realised critical path's time per level, link, `compute`, "
     "`overhead` and a component's split-out parts (`cim_buffer`)", "s",
     CSV + "; `run --json`: `critical_path_time_s`"),
    (C.area_column(_PART), "declared area by part: `<component>_<part>`, on-chip levels", "m²",
     CSV + "; `run --json`: `area_breakdown_m2`"),
    (C.PIPELINE_INTERVAL_S, "layer-pipelined chip: interval between samples (busiest stage)",
     "s", ALL + " (a layer-pipelining component only)"),
    (C.PIPELINED_SAMPLES_PER_S, "samples per second at steady state", "1/s", "as above"),
    (C.PIPELINED_OPS_PER_S, "2 x MACs per sample / interval", "op/s", "as above"),
    (C.PIPELINE_LIMIT, "the stage that sets the interval", "-", "as above"),
    (C.PIPELINED_J_PER_SAMPLE, "energy per sample at steady state (static x interval included)",
     "J", "as above"),
    (C.PIPELINED_OPS_PER_J, "steady-state ops per joule", "op/J", "as above"),
    (C.PIPELINED_OPS_PER_S_PER_M2, "steady-state ops per second per area", "op/(s·m²)",
     "as above"),
    (C.TTFT_S, "LLM serving: time to first token, mean over requests", "s",
     ALL + " (serving workloads only)"),
    (C.TPOT_S, "time per output token after the first, mean", "s", "as above"),
    (C.TOKENS_PER_S, "generated tokens / latency", "token/s", "as above"),
    (C.TOKENS_PER_J, "generated tokens / energy", "token/J", "as above"),
    (C.DECODE_TOKENS_PER_S, "decode tokens / decode time (prefill excluded)", "token/s",
     "as above"),
    (C.LLM_BATCH, "requests served at once", "count", "as above"),
    *((col, f"TTFT over requests: {q} (numpy's linear interpolation)", "s", "as above")
      for col, q in zip(C.TTFT_SPREAD, ("50th percentile", "90th percentile", "99th percentile",
                                        "maximum"))),
    *((col, f"TPOT over the requests of two or more tokens: {q}", "s", "as above")
      for col, q in zip(C.TPOT_SPREAD, ("50th percentile", "90th percentile", "99th percentile",
                                        "maximum"))),
    (C.BASELINE, "the `--baseline` architecture", "-", "`compare --baseline -o`, report"),
    (C.SPEEDUP, "baseline latency / latency (above 1: faster)", "ratio", "as above"),
    (C.ENERGY_RATIO, "energy / baseline energy (below 1: less energy)", "ratio", "as above"),
    (C.ONE_DEVICE_SHARE, "a tensor/pipeline-parallel run's latency and energy are one "
     "device's share", "flag", "`compare -o`, report (parallel runs only)"),
    (C.CIMSIM_VERSION, "the cimsim that computed it", "-",
     "`run --json`, `compare -o`, report; sweep: Parquet attrs"),
    (C.CIMSIM_REVISION, "digest of cimsim's source and bundled data", "-", "as above"),
    (C.ACCURACY_TOP1, "top-1 accuracy with the design's arithmetic (mean over chips)",
     "fraction", "`run --accuracy --json`, `sweep --accuracy`"),
    (C.ACCURACY_TOP1_STD, "its standard deviation over chips (null: one chip of a random "
     "design, no spread measured)", "fraction", "as above"),
    (C.ACCURACY_TOP1_CI_LOW, "Wilson 95 % interval of top-1 from the test-set size: low end",
     "fraction", "as above"),
    (C.ACCURACY_TOP1_CI_HIGH, "the same: high end", "fraction", "as above"),
    (C.ACCURACY_TOP1_REFERENCE, "the fp32 model's top-1", "fraction", "as above"),
    (C.AGREEMENT, "arg-max equal to fp32's", "fraction", "as above"),
    (C.AGREEMENT_STD, "its standard deviation", "fraction", "as above"),
    (C.OUTPUT_SNR_DB, "output SNR against fp32", "dB", "as above"),
    (C.OUTPUT_SNR_DB_STD, "its standard deviation", "dB", "as above"),
    (C.OUTPUT_SNR_CORRECTED_DB, "SNR after a least-squares gain and offset fit", "dB",
     "as above"),
    (C.OUTPUT_SNR_CORRECTED_DB_STD, "its standard deviation", "dB", "as above"),
    (C.OUTPUT_KL, "KL(softmax fp32 ‖ softmax CIM), mean over outputs", "nat", "as above"),
    (C.OUTPUT_KL_STD, "its standard deviation", "nat", "as above"),
    (C.ACCURACY_REPEATS, "Monte-Carlo chips behind the means", "count", "as above"),
    (C.ACCURACY_BASIS, "what the accuracy rests on", "-", "as above"),
    (C.POINT_ID, "sweep: stable hash of config, workload, overrides, engine", "-", "sweep"),
    (C.SAMPLE, "index of the design-space point", "count", "sweep"),
    (C.CONFIG_FILE, "the config as named on the command line", "-", "sweep"),
    (C.WORKLOAD_FILE, "the workload as named on the command line", "-", "sweep"),
    ("<dotted.config.path>", "one column per swept parameter, SI values", "the field's SI unit",
     "sweep"),
    (C.ERROR, "the point's error message, or empty", "-", "sweep"),
)


def documented_columns() -> set[str]:
    """Every column and pattern :mod:`.columns` names, as this table writes them."""
    named = {*C.FIXED_COLUMNS, *C.PIPELINE_COLUMNS, *C.SERVING_COLUMNS, *C.ACCURACY_COLUMNS,
             *C.SWEEP_KEY_COLUMNS, C.ERROR, C.BASELINE, C.SPEEDUP, C.ENERGY_RATIO,
             C.ONE_DEVICE_SHARE, C.CIMSIM_VERSION, C.CIMSIM_REVISION}
    patterns = {C.ops_column(_COMP), C.bytes_column(_RES), C.write_bytes_column(_RES),
                C.fact_column(_COMP, "<fact>"), C.energy_column(_PART), C.util_column("<name>"),
                C.path_column(_PART), C.area_column(_PART), "<dotted.config.path>"}
    return named | patterns


def markdown_table() -> str:
    """The README block: the markers and the table between them."""
    lines = [BEGIN, "", "| column | meaning | unit | in |", "|---|---|---|---|"]
    lines += [f"| `{name}` | {meaning} | {unit} | {where} |" for name, meaning, unit, where in DOCS]
    return "\n".join([*lines, "", END])


def readme_block(text: str) -> str:
    """The block of ``text`` from :data:`BEGIN` to :data:`END` (empty when it has none)."""
    if BEGIN not in text or END not in text:
        return ""
    return text[text.index(BEGIN):text.index(END) + len(END)]


def main(argv: list[str]) -> int:
    if argv[:1] == ["--write"] and len(argv) == 2:
        path = Path(argv[1])
        text = path.read_text(encoding="utf-8")
        old = readme_block(text)
        if not old:
            print(f"{path}: no '{BEGIN}' ... '{END}' block to replace", file=sys.stderr)
            return 1
        path.write_text(text.replace(old, markdown_table()), encoding="utf-8")
        return 0
    if argv:
        print("usage: python -m cimsim.report.column_docs [--write README.md]", file=sys.stderr)
        return 2
    print(markdown_table())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
