"""Design-space sweeps: any config field by dotted path, grids and samples, resumable Parquet.

>>> df = sweep(["cpu-ddr5", "gpu-hbm3"], "lstm",
...            ["memory.dram.bandwidth=25GB/s..3.2TB/s:log:8"], output="bw.parquet")  # doctest: +SKIP
"""

import importlib

# names load from their submodule on first use, so that `import cimsim.sweep.params` (the
# CLI's option defaults) does not import pandas and pyarrow through the runner and store
_WHERE = {
    **dict.fromkeys(["ERROR", "POINT_ID", "SAMPLE", "param_columns", "sweep_columns"], "columns"),
    **dict.fromkeys(["DEFAULT_MAX_POINTS", "ParamSpec", "SweepSpecError", "field_kind", "parse_param",
                     "parse_spec"], "params"),
    **dict.fromkeys(["ENGINES", "SweepIncomplete", "SweepPlan", "SweepTooLarge", "describe_run",
                     "plan_sweep", "point_id", "sweep"], "runner"),
    **dict.fromkeys(["SAMPLERS", "count_points", "grid_points", "latin_hypercube", "sample_points"],
                    "sampling"),
    **dict.fromkeys(["SweepBusy", "SweepStore"], "store"),
    **dict.fromkeys(["SweepPool", "sweep_pool"], "pool"),
}


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_MAX_POINTS",
    "ENGINES",
    "ERROR",
    "POINT_ID",
    "SAMPLE",
    "SAMPLERS",
    "ParamSpec",
    "SweepBusy",
    "SweepPool",
    "SweepIncomplete",
    "SweepPlan",
    "SweepTooLarge",
    "SweepSpecError",
    "SweepStore",
    "count_points",
    "describe_run",
    "field_kind",
    "grid_points",
    "latin_hypercube",
    "param_columns",
    "parse_param",
    "parse_spec",
    "plan_sweep",
    "point_id",
    "sample_points",
    "sweep",
    "sweep_columns",
    "sweep_pool",
]

