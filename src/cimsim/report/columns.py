"""The one place that names result columns (reports, JSON, CSV, sweeps, plots).

Every numeric column carries its unit in its name (``_s``, ``_j``, ``_bytes``,
``_per_s``) or is a dimensionless fraction (``util_*``) or count.
"""

from __future__ import annotations

#: Energy components, in the order reports show them.
ENERGY_COMPONENTS: tuple[str, ...] = (
    "compute",  # processor MACs and vector ops
    "sram",  # processor on-chip SRAM accesses
    "dram",  # off-chip memory accesses and I/O
    "cim_array",  # CIM cell reads
    "cim_adc",  # CIM column readout (ADC or adder tree)
    "cim_dac",  # CIM row drivers
    "cim_digital",  # CIM shift-and-add and local buffer
    "cim_write",  # CIM weight (re)programming
    "pim",  # near-bank PIM MACs and internal bank reads
    "interconnect",  # host <-> CIM link
    "static",  # static power x latency, every unit
)

#: Resources whose utilization is reported, in [0, 1].
UTILIZATIONS: tuple[str, ...] = (
    "mac",  # achieved processor MACs / (peak MAC rate x latency)
    "processor_busy",  # time the processor runs an op / latency
    "dram_bw",  # bytes moved over the memory bus / (peak bandwidth x latency); at most memory.sustained_fraction
    "cim_arrays",  # array-seconds busy / (arrays x latency)
    "pim",  # PIM MACs / (peak PIM MAC rate x latency)
    "interconnect_bw",  # bytes over the host<->CIM link / (bandwidth x latency)
)

WORKLOAD = "workload"
ARCHITECTURE = "architecture"
ENGINE = "engine"
LATENCY = "latency_s"
ENERGY = "energy_j"
BOUND = "bound"
CRITICAL_PATH_S = "critical_path_s"
CRITICAL_PATH_OPS = "critical_path_ops"
PARALLELISM = "parallelism"
MACS = "macs"
OPS = "ops"
THROUGHPUT_MACS = "throughput_macs_per_s"
SAMPLES_PER_S = "samples_per_s"
DRAM_BYTES = "dram_bytes"
WEIGHT_BYTES = "weight_bytes"
ACTIVATION_BYTES = "activation_bytes"
WEIGHTS_ON_CHIP = "weights_on_chip"
CIM_ARRAYS_NEEDED = "cim_arrays_needed"
CIM_REPROGRAMS = "cim_reprograms"
OPS_PROCESSOR = "ops_processor"
OPS_CIM = "ops_cim"
OPS_PIM = "ops_pim"
BOUND_MEMORY_S = "bound_memory_s"  # lower bound from bandwidth: DRAM bytes / effective bandwidth
BOUND_COMPUTE_S = "bound_compute_s"  # lower bound from compute: busiest unit's compute time

#: Parts of the critical path's time (s): waiting on off-chip memory transfers,
#: on host <-> CIM interconnect transfers, computing, and fixed overheads
#: (dispatch, access latency) between dependent ops.
PATH_PARTS: tuple[str, ...] = ("memory", "interconnect", "compute", "overhead")

#: What a run is bound by: the largest part of its realised critical path's
#: time. When that part is "overhead", the run is "dependency"-bound if its
#: latency is within 10 % of the data-dependency critical path (a chain of
#: dependent ops waiting on fixed latencies: neither bandwidth nor compute would
#: shorten it), and "overhead"-bound otherwise (many ops queued on one unit,
#: each paying its dispatch cost: batching or fusing ops would help).
BOUNDS: tuple[str, ...] = ("memory", "interconnect", "compute", "dependency", "overhead")


def energy_column(component: str) -> str:
    return f"energy_{component}_j"


def util_column(resource: str) -> str:
    return f"util_{resource}"


def path_column(part: str) -> str:
    return f"path_{part}_s"


#: Columns of one result record, in order.
RESULT_COLUMNS: tuple[str, ...] = (
    WORKLOAD,
    ARCHITECTURE,
    ENGINE,
    LATENCY,
    ENERGY,
    BOUND,
    CRITICAL_PATH_S,
    CRITICAL_PATH_OPS,
    PARALLELISM,
    BOUND_MEMORY_S,
    BOUND_COMPUTE_S,
    MACS,
    OPS,
    THROUGHPUT_MACS,
    SAMPLES_PER_S,
    DRAM_BYTES,
    WEIGHT_BYTES,
    ACTIVATION_BYTES,
    WEIGHTS_ON_CHIP,
    CIM_ARRAYS_NEEDED,
    CIM_REPROGRAMS,
    OPS_PROCESSOR,
    OPS_CIM,
    OPS_PIM,
    *(energy_column(c) for c in ENERGY_COMPONENTS),
    *(util_column(u) for u in UTILIZATIONS),
    *(path_column(p) for p in PATH_PARTS),
)

# ---------------------------------------------------------------------------- sweeps
#: Columns a sweep adds around RESULT_COLUMNS (see :mod:`cimsim.sweep`): a sweep
#: table is ``SWEEP_KEY_COLUMNS``, one column per swept parameter (named by its
#: dotted config path, SI values), ``RESULT_COLUMNS``, then ``ERROR``.
POINT_ID = "point_id"  # stable hash of config + workload content + overrides + engine
SAMPLE = "sample"  # index of the design-space point (same for every config x workload)
CONFIG_FILE = "config_file"  # the config as named on the command line
WORKLOAD_FILE = "workload_file"  # the workload as named on the command line
ERROR = "error"  # None, or the message of the exception the point raised
SWEEP_KEY_COLUMNS: tuple[str, ...] = (POINT_ID, SAMPLE, CONFIG_FILE, WORKLOAD_FILE)
