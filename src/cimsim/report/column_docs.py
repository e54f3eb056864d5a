"""The README's "Result columns" table, made from :mod:`cimsim.report.columns`: each column's
(or column pattern's) meaning, unit and the outputs that carry it.

The meaning is :mod:`.columns`' own, read from it (:func:`meanings`): a column's ``#:`` comment,
a pattern's function docstring; only the unit and the outputs that carry a column are written
here (:data:`DOCS`). ``python -m cimsim.report.column_docs`` prints the table; ``--write
README.md`` replaces the block between :data:`BEGIN` and :data:`END` in that file. Tests fail
when the README's block and this table disagree, when :mod:`.columns` names a column this table
lacks (or this table one it no longer names) or leaves one without a meaning, and when a unit
here disagrees with its column name's unit suffix.
"""

from __future__ import annotations

import inspect
import re
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

#: (column or pattern, unit, where); "-" for no unit (a label, a count of things). The meaning
#: of each is :mod:`.columns`' own: :func:`meanings`
DOCS: tuple[tuple[str, str, str], ...] = (
    (C.WORKLOAD, "-", ALL),
    (C.ARCHITECTURE, "-", ALL),
    (C.ENGINE, "-", ALL),
    (C.LATENCY, "s", ALL),
    (C.STEADY_LATENCY, "s", "run --steady (--json)"),
    (C.ENERGY, "J", ALL),
    (C.BOUND, "-", ALL),
    (C.BOUND_PART, "-", ALL),
    (C.CRITICAL_PATH_S, "s", ALL),
    (C.CRITICAL_PATH_OPS, "count", ALL),
    (C.CRITICAL_PATH_SERIAL_STEPS, "count", ALL),
    (C.GRAPH_DEPTH_SERIAL_STEPS, "count", ALL),
    (C.GRAPH_DEPTH_OPS, "count", ALL),
    (C.PARALLELISM, "ratio", ALL),
    (C.BOUND_MEMORY_S, "s", ALL),
    (C.BOUND_LINK_S, "s", ALL),
    (C.BOUND_COMPUTE_S, "s", ALL),
    (C.MACS, "MAC", ALL),
    (C.OPS, "op", ALL),  # as vector_ops (review 23 G 7)
    (C.THROUGHPUT_MACS, "MAC/s", ALL),
    (C.SAMPLES_PER_S, "1/s", ALL),
    (C.SAMPLES_PER_RUN, "count", ALL),
    (C.J_PER_SAMPLE, "J", ALL),
    (C.ITEMS_PER_SAMPLE, "count", ALL + " (NaN where the workload states no items_per_sample)"),
    (C.ITEM_NAME, "-", "as above (null, an empty CSV cell, where none)"),
    (C.ITEMS_PER_S, "1/s", "as above"),
    (C.J_PER_ITEM, "J", "as above"),
    (C.VECTOR_OPS, "op", ALL),
    (C.VECTOR_OPS_PER_S, "op/s", ALL),
    (C.WEIGHT_BYTES, "B", ALL),
    (C.ACTIVATION_BYTES, "B", ALL),
    (C.OPTIMIZER_STATE_BYTES, "B", ALL),
    (C.FOOTPRINT_BYTES, "B", ALL),
    (C.FOOTPRINT_WEIGHT_BYTES, "B", ALL),
    (C.FOOTPRINT_KV_CACHE_BYTES, "B", ALL),
    (C.FOOTPRINT_ACTIVATION_BYTES, "B", ALL),
    (C.BACKING_CAPACITY_BYTES, "B", ALL),
    (C.BACKING_HEADROOM_BYTES, "B", ALL),
    (C.KV_CACHE_PEAK_BYTES, "B", ALL),
    (C.OPS_PER_BACKING_BYTE, "op/B", ALL),
    (C.RIDGE_OPS_PER_BACKING_BYTE, "op/B", ALL),
    (C.RIDGE_OPS_PER_BYTE_BY_LEVEL, "op/B", "`run --json` (an object: memory level -> op/B)"),
    (C.AREA_M2, "m²", ALL),
    (C.AVERAGE_POWER_W, "W", ALL),
    (C.POWER_DENSITY_W_PER_M2, "W/m²", ALL),
    (C.OFFCHIP_MEMORY_POWER_W, "W", ALL),
    (C.OPS_PER_J, "op/J", ALL),
    (C.OPS_PER_S_PER_M2, "op/(s·m²)", ALL),
    (C.SYSTEM_DEVICES, "count", ALL),
    (C.SYSTEM_ENERGY_J, "J", ALL),
    (C.SYSTEM_AREA_M2, "m²", ALL),
    (C.SYSTEM_OPS_PER_J, "op/J", ALL),
    (C.SYSTEM_OPS_PER_S_PER_M2, "op/(s·m²)", ALL),
    (C.SYSTEM_AVERAGE_POWER_W, "W", ALL),
    (C.STATIC_POWER_W, "W", ALL),
    (C.DYNAMIC_J_PER_SAMPLE, "J", ALL),
    (C.POWER_UP_LATENCY_S, "s", ALL),
    (C.POWER_UP_ENERGY_J, "J", ALL),
    (C.PERIOD_S, "s", "`run --json`, `compare -o`, `sweep`, `report`'s results.csv with `--period`; "
     "`Result.at_load(period_s=)`"),
    (C.PERIOD_ENERGY_J, "J", "as above"),
    (C.PERIOD_J_PER_SAMPLE, "J", "as above"),
    (C.PERIOD_J_PER_TOKEN, "J", "as above (serving workloads only)"),
    (C.PERIOD_AVERAGE_POWER_W, "W", "as above"),
    (C.PERIOD_UTILIZATION, "fraction", "as above"),
    (C.PERIOD_IDLE, "on, sleep or gate", "as above; `--idle`, `Result.at_load(idle=)`"),
    (C.PERIOD_IDLE_POWER_W, "W", "as above"),
    (C.PERIOD_WAKE_ENERGY_J, "J", "as above"),
    (C.PERIOD_WAKE_S, "s", "as above"),
    (C.PERIOD_WEAROUT_S, "s", "as above, where a run writes CIM cells (`<cim>_runs_to_wearout`)"),
    (C.PERIOD_WEAROUT_LEVELLED_S, "s", "as above"),
    (C.DEADLINE_S, "s", "`run --json`, `compare -o`, `sweep`, `report`'s results.csv with `--deadline`; "
     "`Result.at_load(deadline_s=)`"),
    (C.DEADLINE_SLACK_S, "s", "as above"),
    (C.MEETS_DEADLINE, "flag", "as above"),
    (C.DEADLINE_RESPONSE_S, "s", "as above"),
    (C.POWER_UP_DEADLINE_SLACK_S, "s", "as above"),
    (C.HARVEST_POWER_W, "W", "`run --json`, `compare -o` with `--harvest`; `Result.at_load(harvest_w=)`"),
    (C.HARVEST_RUNS_PER_S, "1/s", "as above"),
    (C.HARVEST_PERIOD_S, "s", "as above"),
    (C.STORAGE_J, "J", "`run --json`, `compare -o` with `--storage`; `Result.at_load(storage_j=)`"),
    (C.STORAGE_RUN_ENERGY_J, "J", "as above"),
    (C.STORAGE_RUNS, "count", "as above"),
    (C.STORAGE_CHARGES_PER_RUN, "count", "as above"),
    (C.QUEUE_ARRIVALS, "text", "`run --json`, `compare -o` with `--period` and `--arrivals`; "
                               "`Result.at_load(period_s=, arrivals=)`"),
    (C.QUEUE_MEAN_RESPONSE_S, "s", "as above"),
    (C.QUEUE_P50_RESPONSE_S, "s", "as above"),
    (C.QUEUE_P95_RESPONSE_S, "s", "as above"),
    (C.QUEUE_P99_RESPONSE_S, "s", "as above"),
    (C.QUEUE_MD1_MEAN_RESPONSE_S, "s", "as above"),
    (C.QUEUE_WITHIN_DEADLINE, "fraction", "as above, with `--deadline`"),
    (C.SLO_TTFT_S, "s", "`run --json` of an LLM serving run with `--ttft-slo`"),
    (C.SLO_TPOT_S, "s", "`run --json` of an LLM serving run with `--tpot-slo`"),
    (C.SLO_TTFT_ATTAINMENT, "fraction", "`run --json` of an LLM serving run with `--ttft-slo`"),
    (C.SLO_TPOT_ATTAINMENT, "fraction", "`run --json` of an LLM serving run with `--tpot-slo`"),
    (C.SLO_ATTAINMENT, "fraction", "`run --json` of an LLM serving run with `--ttft-slo` or `--tpot-slo`"),
    (C.KV_LINK_BYTES_PER_S, "B/s", "`run --json` of an LLM serving run with `--kv-link`"),
    (C.KV_LINK_LATENCY_S, "s", "`run --json` of an LLM serving run with `--kv-link`"),
    (C.KV_TOKEN_BYTES, "B", "`run --json` of an LLM serving run with `--kv-link`"),
    (C.KV_TRANSFER_BYTES, "B", "`run --json` of an LLM serving run with `--kv-link`"),
    (C.KV_TRANSFER_S, "s", "`run --json` of an LLM serving run with `--kv-link`"),
    (C.KV_TRANSFER_J, "J", "`run --json` of an LLM serving run with `--kv-link`"),
    (C.KV_TRANSFER_LINK_J, "J", "`run --json` of an LLM serving run with `--kv-link`"),
    (C.KV_TRANSFER_MEMORY_J, "J", "`run --json` of an LLM serving run with `--kv-link`"),
    (C.KV_OVERLAP, "text", "`run --json` of an LLM serving run with `--kv-link`"),
    (C.TTFT_PREFILL_NODE_S, "s", "`run --json` of an LLM serving run with `--kv-link`"),
    (C.TTFT_DISAGG_S, "s", "`run --json` of an LLM serving run with `--kv-link`"),
    (C.TTFT_DISAGG_MAX_S, "s", "`run --json` of an LLM serving run with `--kv-link`"),
    (C.TTFT2_DISAGG_S, "s", "`run --json` of an LLM serving run with `--kv-link`"),
    (C.TPOT_DECODE_ONLY_S, "s", "`run --json` of an LLM serving run with `--kv-link`"),
    (C.DISAGG_ENERGY_J, "J", "`run --json` of an LLM serving run with `--kv-link`"),
    (C.TPOT_STEADY_S, "s", "`run --json`, `compare -o` of a pipeline-parallel LLM serving run"),
    (C.DISAGG_TOKENS_PER_J, "token/J", "`run --json` of an LLM serving run with `--kv-link`"),
    (C.ENERGY_PLACEHOLDER_SHARE, "fraction", ALL),
    (C.AREA_PLACEHOLDER_SHARE, "fraction", ALL),
    (C.LATENCY_PLACEHOLDER_SHARE, "fraction", ALL),
    (C.PRECISION_MISMATCH, "-", ALL),
    (C.EXTRAPOLATED, "-", ALL),
    (C.PHYSICALLY_PLAUSIBLE, "-", ALL),
    (C.NOTES, "-", ALL),
    (C.ops_column(_COMP), "count", CSV + "; `run --json`: `ops_per_unit`"),
    (C.macs_column(_COMP), "MAC", CSV + "; `run --json`: `macs_per_unit`"),
    (C.bytes_column(_RES), "B", CSV + "; `run --json`: `traffic_bytes`"),
    (C.write_bytes_column(_RES), "B", CSV + "; `run --json`: `write_bytes`"),
    (C.fact_column(_COMP, "<fact>"), "count, flag or its unit", ALL),
    (C.peak_column(_COMP), "op/s", ALL + "; `run`'s `peak` line"),
    (C.energy_column(_PART), "J", CSV + "; `run --json`: `energy_breakdown_j`"),
    (C.util_column("<name>"), "fraction", CSV + "; `run --json`: `utilization`"),
    (C.path_column(_PART), "s", CSV + "; `run --json`: `critical_path_time_s`"),
    (C.area_column(_PART), "m²", CSV + "; `run --json`: `area_breakdown_m2`"),
    (C.die_area_column(_COMP), "m²", ALL),
    (C.dies_column(_COMP), "count", ALL),
    *((col, "USD" if "usd" in col else "-", "`cimsim cost RESULTS`; `cimsim.report.money.cost(df, ...)`")
      for col in C.COST_COLUMNS),
    (C.dies_per_wafer_column(_COMP), "count", "as above"),
    (C.yield_column(_COMP), "fraction", "as above"),
    (C.die_usd_column(_COMP), "USD", "as above"),
    (C.static_power_column(_PART), "W", ALL),
    (C.TECHNOLOGY_NODE_M, "m", ALL + " (where the config states technology.node)"),
    (C.T_JUNCTION_C, "°C", ALL + " (where the config has a thermal: block)"),
    (C.STACK_FOOTPRINT_M2, "m²", ALL + " (where a component or level states a `stack:` block: a 3D stack)"),
    (C.PIPELINE_INTERVAL_S, "s", ALL + " (a layer-pipelining component only)"),
    (C.PIPELINED_SAMPLES_PER_S, "1/s", "as above"),
    (C.PIPELINED_OPS_PER_S, "op/s", "as above"),
    (C.PIPELINE_LIMIT, "-", "as above"),
    (C.PIPELINED_J_PER_SAMPLE, "J", "as above; by part: `run --json`: `steady_energy_by_part_j`"),
    (C.PIPELINED_OPS_PER_J, "op/J", "as above"),
    (C.PIPELINED_OPS_PER_S_PER_M2, "op/(s·m²)", "as above"),
    (C.PROGRAMMING_ENERGY_J, "J", ALL + " (a component that programs weights: CIM)"),
    (C.PROGRAMMING_TIME_S, "s", "as above"),
    (C.STEP_WRITE_ENERGY_J, "J", "as above (a traced training step, else NaN)"),
    (C.STEP_WRITE_TIME_S, "s", "as above"),
    (C.STEPS_TO_WEAROUT, "count", "as above"),
    (C.STEPS_TO_WEAROUT_LEVELLED, "count", "as above"),
    (C.TTFT_S, "s", ALL + " (serving workloads only)"),
    (C.TPOT_S, "s", "as above"),
    (C.TOKENS_PER_S, "token/s", "as above"),
    (C.TOKENS_PER_J, "token/J", "as above"),
    (C.TOKENS_PER_RUN, "count", "as above"),
    (C.DECODE_TOKENS_PER_S, "token/s", "as above"),
    (C.LLM_BATCH, "count", "as above"),
    *((col, "s", "as above") for col in (*C.TTFT_SPREAD, *C.TPOT_SPREAD)),
    *((col, {"_s": "s", "_j": "J", "ps": "count"}.get(col[-2:], "-"), "as above (with phase tags)") for col in C.PHASE_COLUMNS),
    (C.BASELINE, "-", "`compare --baseline -o`, report"),
    (C.SPEEDUP, "ratio", "as above"),
    (C.ENERGY_RATIO, "ratio", "as above"),
    (C.PERIOD_ENERGY_RATIO, "ratio", "`compare --baseline --period -o`"),
    (C.ONE_DEVICE_SHARE, "flag", "`compare -o`, report, `run --json` (parallel runs only)"),
    (C.OVERRIDES, "-", "`run --json`, `compare -o`, report"),
    (C.CONFIG_PATH, "-", "`run --json`, `compare -o`, report, sweep CSV"),
    (C.CONFIG_SHA256, "-", "as above"),
    (C.WORKLOAD_PATH, "-", "as above"),
    (C.WORKLOAD_SHA256, "-", "as above"),
    (C.CIMSIM_VERSION, "-", "`run --json`, `compare -o`, report, sweep CSV, `validate -o`; sweep: Parquet attrs"),
    (C.CIMSIM_REVISION, "-", "as above"),
    (C.ACCURACY_TOP1, "fraction", "`run --accuracy --json`, `sweep --accuracy`"),
    (C.ACCURACY_TOP1_STD, "fraction", "as above"),
    (C.ACCURACY_TOP1_CI_LOW, "fraction", "as above"),
    (C.ACCURACY_TOP1_CI_HIGH, "fraction", "as above"),
    (C.ACCURACY_TOP1_REFERENCE, "fraction", "as above"),
    (C.AGREEMENT, "fraction", "as above"),
    (C.AGREEMENT_STD, "fraction", "as above"),
    (C.OUTPUT_SNR_DB, "dB", "as above"),
    (C.OUTPUT_SNR_DB_STD, "dB", "as above"),
    (C.OUTPUT_SNR_CORRECTED_DB, "dB", "as above"),
    (C.OUTPUT_SNR_CORRECTED_DB_STD, "dB", "as above"),
    (C.OUTPUT_KL, "nat", "as above"),
    (C.OUTPUT_KL_STD, "nat", "as above"),
    (C.OUTPUT_NLL, "nat", "as above"),
    (C.OUTPUT_NLL_STD, "nat", "as above"),
    (C.OUTPUT_NLL_REFERENCE, "nat", "as above"),
    (C.OUTPUT_BRIER, "-", "as above"),
    (C.OUTPUT_BRIER_STD, "-", "as above"),
    (C.OUTPUT_BRIER_REFERENCE, "-", "as above"),
    (C.OUTPUT_ECE, "fraction", "as above"),
    (C.OUTPUT_ECE_STD, "fraction", "as above"),
    (C.OUTPUT_ECE_REFERENCE, "fraction", "as above"),
    (C.PRECISION, "fraction", "as above"),
    (C.PRECISION_STD, "fraction", "as above"),
    (C.PRECISION_REFERENCE, "fraction", "as above"),
    (C.RECALL, "fraction", "as above"),
    (C.RECALL_STD, "fraction", "as above"),
    (C.RECALL_REFERENCE, "fraction", "as above"),
    (C.F1, "fraction", "as above"),
    (C.F1_STD, "fraction", "as above"),
    (C.F1_REFERENCE, "fraction", "as above"),
    (C.ROC_AUC, "fraction", "as above"),
    (C.ROC_AUC_STD, "fraction", "as above"),
    (C.ROC_AUC_REFERENCE, "fraction", "as above"),
    (C.ACCURACY_REPEATS, "count", "as above"),
    (C.ACCURACY_OUTPUT_KIND, "-", "as above"),
    (C.ACCURACY_BASIS, "-", "as above"),
    (C.POINT_ID, "-", "sweep"),
    (C.SAMPLE, "count", "sweep"),
    (C.CONFIG_FILE, "-", "sweep"),
    (C.WORKLOAD_FILE, "-", "sweep"),
    ("<dotted.config.path>", "the field's SI unit", "sweep"),
    (C.ERROR, "-", "sweep, `cimsim split`"),
    (C.PARETO_OBJECTIVES, "-", "`plot --pareto` CSV"),
    (C.SPLIT_EDGE_CONFIG, "-", "`cimsim split` (table, `-o` CSV / Parquet), `SplitStudy.table()`"),
    (C.SPLIT_SERVER_CONFIG, "-", "as above"),
    (C.SPLIT_LINK, "-", "as above"),
    (C.UPLINK_BANDWIDTH, "B/s", "as above"),
    (C.DOWNLINK_BANDWIDTH, "B/s", "as above"),
    (C.LINK_LATENCY_S, "s", "as above"),
    (C.TX_ENERGY_J_PER_BIT, "J/bit", "as above"),
    (C.RX_ENERGY_J_PER_BIT, "J/bit", "as above"),
    (C.CUT_DTYPE, "-", "as above"),
    (C.SPLIT_CUT, "count", "as above"),
    (C.SPLIT_AFTER_OP, "-", "as above"),
    (C.SPLIT_TENSORS, "count", "as above"),
    (C.SPLIT_TENSOR_NAMES, "-", "as above"),
    (C.UPLINK_BYTES, "B", "as above"),
    (C.DOWNLINK_BYTES, "B", "as above"),
    (C.EDGE_LATENCY_S, "s", "as above"),
    (C.EDGE_ENERGY_J, "J", "as above"),
    (C.UPLINK_S, "s", "as above"),
    (C.DOWNLINK_S, "s", "as above"),
    (C.LINK_S, "s", "as above"),
    (C.EDGE_RADIO_J, "J", "as above"),
    (C.SERVER_RADIO_J, "J", "as above"),
    (C.SERVER_LATENCY_S, "s", "as above"),
    (C.SERVER_ENERGY_J, "J", "as above"),
    (C.TOTAL_LATENCY_S, "s", "as above"),
    (C.EDGE_STATIC_POWER_W, "W", "as above"),
    (C.EDGE_WAIT_J, "J", "as above"),
    (C.EDGE_BUSY_ENERGY_J, "J", "as above"),
    (C.EDGE_TOTAL_ENERGY_J, "J", "as above"),
    (C.TOTAL_ENERGY_J, "J", "as above"),
    (C.BEST_LATENCY, "flag", "as above"),
    (C.BEST_EDGE_ENERGY, "flag", "as above"),
    (C.SPLIT_PERIOD_ENERGY_J, "J", "`cimsim split --period`, `split_study(period=)`"),
    (C.SPLIT_AVERAGE_POWER_W, "W", "as above"),
    (C.SUSTAINS_PERIOD, "flag", "as above"),
)


def documented_columns() -> set[str]:
    """Every column and pattern :mod:`.columns` names, as this table writes them."""
    named = {*C.FIXED_COLUMNS, C.OPTIMIZER_STATE_BYTES, *C.SAMPLE_COLUMNS, *C.PIPELINE_COLUMNS, *C.PROGRAMMING_COLUMNS, *C.SERVING_COLUMNS,
             *C.ACCURACY_COLUMNS, *C.SWEEP_KEY_COLUMNS, C.ERROR, C.BASELINE, C.SPEEDUP, C.ENERGY_RATIO, C.PERIOD_ENERGY_RATIO,
             C.ONE_DEVICE_SHARE, C.CIMSIM_VERSION, C.CIMSIM_REVISION, C.PARETO_OBJECTIVES, *C.SPLIT_COLUMNS, *C.SPLIT_PERIOD_COLUMNS,
             *C.INPUT_COLUMNS, *C.STATED_LOAD_COLUMNS, C.TECHNOLOGY_NODE_M, C.STACK_FOOTPRINT_M2, C.RIDGE_OPS_PER_BYTE_BY_LEVEL, C.STEADY_LATENCY,
             *C.THERMAL_COLUMNS, *C.DISAGG_COLUMNS, *C.COST_COLUMNS, *C.PIPELINE_SERVING_COLUMNS}
    return named | set(_PATTERNS) | set(_SWEPT)


#: the one row :mod:`.columns` has no name for: a sweep's swept parameters, named by their paths
_SWEPT = {"<dotted.config.path>": "one column per swept parameter, SI values"}
_PATTERNS = {C.ops_column(_COMP): C.ops_column, C.macs_column(_COMP): C.macs_column,
             C.bytes_column(_RES): C.bytes_column,
             C.write_bytes_column(_RES): C.write_bytes_column,
             C.fact_column(_COMP, "<fact>"): C.fact_column, C.peak_column(_COMP): C.peak_column, C.energy_column(_PART): C.energy_column,
             C.util_column("<name>"): C.util_column, C.path_column(_PART): C.path_column,
             C.area_column(_PART): C.area_column, C.static_power_column(_PART): C.static_power_column,
             C.die_area_column(_COMP): C.die_area_column, C.dies_column(_COMP): C.dies_column,
             C.dies_per_wafer_column(_COMP): C.dies_per_wafer_column, C.yield_column(_COMP): C.yield_column,
             C.die_usd_column(_COMP): C.die_usd_column}
_ASSIGN = re.compile(r'^[A-Z][A-Z0-9_]*(?:: [^=]+)? = "([^"]*)"\s*(?:#:\s*(.*))?$')


#: the unit a column name's suffix says, by :mod:`.columns`' convention (longest suffix first;
#: ``_std`` is stripped: a standard deviation has its column's unit). Each row of :data:`DOCS`
#: must agree with it (tests/report/test_column_docs.py), and :func:`column_unit` falls back to it
#: for a fact column (``cim_area_needed_m2``), whose unit only its name carries
SUFFIX_UNITS = (("_per_s_per_m2", "op/(s·m²)"), ("_w_per_m2", "W/m²"), ("_j_per_sample", "J"), ("_j_per_item", "J"),
                ("_j_per_token", "J"), ("_node_m", "m"), ("_junction_c", "°C"),
                ("_macs_per_s", "MAC/s"), ("_tokens_per_s", "token/s"), ("_tokens_per_j", "token/J"),
                ("_ops_per_s", "op/s"), ("_ops_per_j", "op/J"), ("_bytes_per_s", "B/s"), ("_per_s", "1/s"),
                ("_bytes", "B"), ("_m2", "m²"), ("_db", "dB"), ("_s", "s"), ("_j", "J"),
                ("_w", "W"), ("_placeholder_share", "fraction"), ("_kl", "nat"))
#: units of :data:`DOCS` that are no unit to print after a number or in an axis label
NO_UNIT = {"-", "count", "ratio", "fraction", "flag"}


def suffix_unit(name: str) -> str | None:
    """The unit ``name``'s suffix says (:data:`SUFFIX_UNITS`), or None when it has none."""
    base = "_" + name.removesuffix("_std")  # "_" so that "ops_per_j" ends with "_ops_per_j"
    return next((u for suffix, u in SUFFIX_UNITS if base.endswith(suffix)), None)


def _pattern(name: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"<[^>]+>", ".+", re.escape(name).replace(r"\<", "<")
                                   .replace(r"\>", ">")) + "$")


def column_unit(column: str) -> str:
    """The unit of the result column ``column`` as :data:`DOCS` gives it (``W/m²`` for
    ``power_density_w_per_m2``, ``op/J`` for ``ops_per_j``), its name or else its pattern's
    (``energy_<part>_j``: J); ``""`` for a label, count, ratio or fraction, or a name the table
    does not know. A fact column's unit is its name's suffix's (:func:`suffix_unit`)."""
    units = {name: unit for name, unit, _ in DOCS}
    if column in units:
        unit = units[column]
    else:
        fact = C.fact_column(_COMP, "<fact>")
        unit = next((u for name, u, _ in DOCS if name in _PATTERNS and name != fact
                     and _pattern(name).match(column)), None)
        if unit is None and _pattern(fact).match(column):
            unit = suffix_unit(column) or ""
    return "" if unit is None or unit in NO_UNIT or " " in unit else unit


_FACT = C.fact_column(_COMP, "<fact>")
#: a table's unit for a count, ratio or fraction (review 23 G 7: stated, so that a missing key
#: means a column the table does not know)
DIMENSIONLESS = {"count": "count", "ratio": "1", "fraction": "1"}


def column_units(columns) -> dict[str, str]:
    """``{column: unit}`` for the ``cimsim_column_units`` attrs of a table: :func:`column_unit`'s
    unit, ``count`` for a count (``tokens_per_run``, ``llm_batch``), ``1`` for a ratio or
    fraction (``utilization``), ``""`` for a label (``workload``); a column no :data:`DOCS` row
    or pattern knows (a swept path: its unit is in ``cimsim_units``) is left out."""
    units = {name: unit for name, unit, _ in DOCS}
    out = {}
    for column in map(str, columns):
        if (unit := column_unit(column)) or column in units:
            out[column] = unit or DIMENSIONLESS.get(units[column], "")
        elif (doc := next((u for name, u, _ in DOCS if name in _PATTERNS and name != _FACT
                           and _pattern(name).match(column)), None)) is not None:
            out[column] = DIMENSIONLESS.get(doc, "")
        elif _pattern(_FACT).match(column):  # a fact without a unit suffix: a count or flag
            out[column] = ""
    return out


def _markdown(text: str) -> str:
    """A docstring's text as a table cell: one line, ``code`` and :role:`name` as `code`."""
    text = re.sub(r":[a-z]+:`~?([^`]+)`", r"`\1`", " ".join(text.split()))
    return text.replace("``", "`").replace("|", "\\|")


def meanings() -> dict[str, str]:
    """{column or pattern: its meaning}, as :mod:`.columns` writes it: the ``#:`` comment above a
    column's name (or after it, on its line), the docstring of a pattern's function."""
    out, doc = dict(_SWEPT), []
    for line in Path(C.__file__).read_text(encoding="utf-8").splitlines():
        if line.startswith("#:"):
            doc.append(line[2:])
            continue
        m = _ASSIGN.match(line)
        if m and (m.group(2) or doc):
            out[m.group(1)] = _markdown(m.group(2) or " ".join(doc))
        doc = []
    out.update({name: _markdown(inspect.getdoc(f) or "") for name, f in _PATTERNS.items()})
    return out


def markdown_table() -> str:
    """The README block: the markers and the table between them."""
    meaning = meanings()
    lines = [BEGIN, "", "| column | meaning | unit | in |", "|---|---|---|---|"]
    lines += [f"| `{name}` | {meaning[name]} | {unit} | {where} |" for name, unit, where in DOCS]
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
