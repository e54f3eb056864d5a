"""The one place that names result columns (reports, JSON, CSV, sweeps, plots).

Every numeric column carries its unit in its name (``_s``, ``_j``, ``_bytes``,
``_per_s``) or is a dimensionless fraction (``util_*``) or count.

Some columns are fixed; the others come from the architecture, through the
component registry, and are named by the patterns below with the names of its
components, memory levels and links (see :func:`result_columns`):

- ``ops_<component>``: ops the component runs;
- ``<resource>_bytes``: bytes over each memory level and link;
- ``<component>_<fact>``: a component's scalar facts (e.g. ``cim_arrays_needed``,
  ``cim_reprograms``, ``processor_weights_on_chip``);
- ``energy_<part>_j``: energy per part: ``<component>_<part>`` for each part of
  each component (e.g. ``processor_compute``, ``cim_adc``), one per memory level
  and link (by its name), and ``static`` (static power x latency, every component);
- ``util_<name>``: utilization in [0, 1]: ``<component>_<what>`` (e.g.
  ``processor_mac``, ``processor_busy``, ``cim_arrays``, ``pim_mac``) and
  ``<resource>_bw`` (bytes / (peak bandwidth x latency));
- ``path_<part>_s``: the realised critical path's time per part: one per memory
  level and link, ``compute`` and ``overhead``;
- ``area_<part>_m2``: declared silicon area by part: ``<component>_<part>`` (e.g.
  ``cim_adc``, ``processor_die``) and on-chip memory levels by name.
"""

from __future__ import annotations

WORKLOAD = "workload"
ARCHITECTURE = "architecture"
ENGINE = "engine"
LATENCY = "latency_s"
ENERGY = "energy_j"
BOUND = "bound"
#: the part of the critical path that names the bound: a memory level or link
#: name, "compute" or "overhead"
BOUND_PART = "bound_part"
#: Two paths have a name each. The *dependency critical path* is the longest chain of
#: dependent ops, each taking its time alone (no contention, no queueing on a server): its
#: length is ``critical_path_s`` and its op count ``critical_path_ops``, the same under
#: either engine. The *realised critical path* is the chain the DES actually ran: walking
#: back from the last op to finish through whatever each op waited for last (a
#: predecessor or the op before it on its server); the bound and the ``path_<part>_s``
#: columns attribute its time, the Gantt strip draws it, and its op count is
#: ``Result.realized_path_ops``. With the analytic engine the two are the same path.
CRITICAL_PATH_S = "critical_path_s"
CRITICAL_PATH_OPS = "critical_path_ops"
#: names of the two paths wherever they are shown (tables, figures, CLI)
DEPENDENCY_PATH = "dependency critical path"
REALIZED_PATH = "realised critical path"
PARALLELISM = "parallelism"
MACS = "macs"
OPS = "ops"
THROUGHPUT_MACS = "throughput_macs_per_s"
SAMPLES_PER_S = "samples_per_s"
WEIGHT_BYTES = "weight_bytes"
ACTIVATION_BYTES = "activation_bytes"
#: lower bound from bandwidth: the largest bytes / effective bandwidth over the memory levels
BOUND_MEMORY_S = "bound_memory_s"
#: lower bound from compute: the busiest server's compute time
BOUND_COMPUTE_S = "bound_compute_s"
#: silicon area of the architecture: its components' and on-chip memory levels' declared areas
AREA_M2 = "area_m2"
#: energy efficiency: 2 x MACs / energy (operations per joule = OPS/W; 1e12 is 1 TOPS/W)
OPS_PER_J = "ops_per_j"
#: area efficiency: 2 x MACs / latency / area (1e18 ops/s/m^2 is 1 TOPS/mm^2); NaN when no
#: part of the architecture declares its area
OPS_PER_S_PER_M2 = "ops_per_s_per_m2"
#: fraction of the total energy (area) resting on placeholders: values the config marks (U) or
#: leaves at an unsourced default (see :mod:`cimsim.report.provenance`)
ENERGY_PLACEHOLDER_SHARE = "energy_placeholder_share"
AREA_PLACEHOLDER_SHARE = "area_placeholder_share"
#: above this energy placeholder share, `cimsim run` warns
PLACEHOLDER_WARN_SHARE = 0.5
#: ``--json`` key of the per-part provenance: {"energy": {part: p}, "area": {part: p}}
PROVENANCE = "provenance"
#: ``--json`` key and note of a comparison mixing precisions (trace dtype vs a component's bits)
PRECISION_MISMATCH = "precision_mismatch"
STATIC = "static"  # the energy part of static power x latency

#: Parts of a critical path's time besides one per memory level and link.
PATH_FIXED: tuple[str, ...] = ("compute", "overhead")

#: What a run is bound by: the largest part of its realised critical path's
#: time, as a class: "memory" (a memory level), "interconnect" (a link),
#: "compute". When that part is overhead, the run is "dependency"-bound if its
#: latency is within 10 % of the data-dependency critical path (a chain of
#: dependent ops waiting on fixed latencies: neither bandwidth nor compute would
#: shorten it), and "overhead"-bound otherwise (many ops queued on one unit,
#: each paying its dispatch cost: batching or fusing ops would help).
BOUNDS: tuple[str, ...] = ("memory", "interconnect", "compute", "dependency", "overhead")

#: Columns every result has, in order.
FIXED_COLUMNS: tuple[str, ...] = (
    WORKLOAD, ARCHITECTURE, ENGINE, LATENCY, ENERGY, BOUND, BOUND_PART, CRITICAL_PATH_S,
    CRITICAL_PATH_OPS, PARALLELISM, BOUND_MEMORY_S, BOUND_COMPUTE_S, MACS, OPS, THROUGHPUT_MACS,
    SAMPLES_PER_S, WEIGHT_BYTES, ACTIVATION_BYTES, AREA_M2, OPS_PER_J, OPS_PER_S_PER_M2,
    ENERGY_PLACEHOLDER_SHARE, AREA_PLACEHOLDER_SHARE, PRECISION_MISMATCH,
)


def energy_column(part: str) -> str:
    return f"energy_{part}_j"


def util_column(name: str) -> str:
    return f"util_{name}"


def path_column(part: str) -> str:
    return f"path_{part}_s"


def ops_column(component: str) -> str:
    return f"ops_{component}"


def bytes_column(resource: str) -> str:
    return f"{resource}_bytes"


def area_column(part: str) -> str:
    return f"area_{part}_m2"


def area_parts(arch) -> dict[str, float]:
    """Declared silicon area by part (m^2): ``<component>_<part>``, then on-chip memory levels."""
    out = {f"{c.name}_{p}": a for c in arch.instances for p, a in c.area_m2().items()}
    out.update({lv: m.area for lv, m in arch.memory.items() if m.area is not None})
    return out


def fact_column(component: str, fact: str) -> str:
    return f"{component}_{fact}"


def resource_util(resource: str) -> str:
    return f"{resource}_bw"


def result_columns(arch) -> tuple[str, ...]:
    """Columns of a result record on ``arch``, in order (fixed, then the architecture's)."""
    comps = arch.instances
    resources = arch.hardware.resources
    facts = [fact_column(c.name, f) for c in comps for f in getattr(c, "facts", ())]
    return (
        *FIXED_COLUMNS,
        *(ops_column(c.name) for c in comps),
        *(bytes_column(r) for r in resources),
        *facts,
        *(energy_column(f"{c.name}_{p}") for c in comps for p in c.energy_parts),
        *(energy_column(r) for r in resources),
        energy_column(STATIC),
        *(util_column(f"{c.name}_{u}") for c in comps for u in c.utilizations),
        *(util_column(resource_util(r)) for r in resources),
        *(path_column(p) for p in (*resources, *PATH_FIXED)),
        *(area_column(p) for p in area_parts(arch)),
    )


# ---------------------------------------------------------------------------- sweeps
#: Columns a sweep adds around the result columns (see :mod:`cimsim.sweep`): a sweep
#: table is ``SWEEP_KEY_COLUMNS``, one column per swept parameter (named by its
#: dotted config path, SI values), the result columns, then ``ERROR``.
POINT_ID = "point_id"  # stable hash of config + workload content + overrides + engine
SAMPLE = "sample"  # index of the design-space point (same for every config x workload)
CONFIG_FILE = "config_file"  # the config as named on the command line
WORKLOAD_FILE = "workload_file"  # the workload as named on the command line
ERROR = "error"  # None, or the message of the exception the point raised
SWEEP_KEY_COLUMNS: tuple[str, ...] = (POINT_ID, SAMPLE, CONFIG_FILE, WORKLOAD_FILE)


def union_columns(archs) -> tuple[str, ...]:
    """Result columns of several architectures (a sweep's table), in first-seen order."""
    seen: dict[str, None] = {}
    for a in archs:
        for c in result_columns(a):
            seen.setdefault(c, None)
    return tuple(seen)
