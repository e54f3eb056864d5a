"""Shared fixtures: small architectures with round numbers for closed-form tests."""

from __future__ import annotations

import contextlib
import copy
import importlib
import importlib.util
import os
import sys
from pathlib import Path

import pytest

from cimsim.config import architecture_from_dict
from cimsim.workload import Op, Tensor, Workload

#: A processor + DRAM with numbers chosen so closed-form answers are easy:
#: peak fp32 = 4 cores x 1 GHz x 8 MAC = 32 GMAC/s, DRAM 10 GB/s, 100 ns latency.
ROUND_ARCH = {
    "name": "round",
    "memory": {
        "sram": {"capacity": "1 MiB", "bandwidth": "1 TB/s", "energy_per_byte": "1 pJ/B"},
        "dram": {
            "technology": "test-dram",
            "channels": 2,
            "bandwidth": "10 GB/s",
            "latency": "100 ns",
            "energy_per_bit": "10 pJ/bit",
            "capacity": "16 GiB",
        },
    },
    "processor": {
        "name": "test-cpu",
        "cores": 4,
        "clock": "1 GHz",
        "macs_per_cycle_per_core": {"fp32": 8, "int8": 32},
        "vector_ops_per_cycle_per_core": 8,
        "energy_per_mac": {"fp32": "4 pJ", "int8": "0.25 pJ"},
        "energy_per_vector_op": "1 pJ",
        "static_power": "1 W",
        "op_overhead": "0 s",
    },
}

#: ISAAC-like CIM block: 128x128 arrays, 2 bits/cell, 8-bit weights and inputs,
#: 1-bit DACs, one ADC per array at 1.28 GS/s (128 columns in 100 ns).
ROUND_CIM = {
    "technology": "rram",
    "arrays": 64,
    "rows": 128,
    "cols": 128,
    "bits_per_cell": 2,
    "weight_bits": 8,
    "input_bits": 8,
    "dac_bits": 1,
    "read_latency": "100 ns",
    "adc": {"bits": 8, "sample_rate": "1.28 GHz", "energy_per_conversion": "2 pJ", "per_array": 1},
    "dac_energy": "0.5 pJ",
    "cell_read_energy": "0.01 pJ",
    "shift_add_energy": "0.1 pJ",
    "write_latency": "1 us",
    "write_energy": "10 pJ",
    "endurance": 1e8,
    "buffer": {"capacity": "64 KiB", "bandwidth": "100 GB/s", "energy_per_byte": "1 pJ/B"},
    "static_power": "0 W",
}
def tiny_chip(transfers: str, chip_level: dict, name: str = "tiny-chip") -> dict:
    """A config dict: 16 64 x 64 RRAM arrays (8 one-bit slices x 100 ns a vector), 4 PEs of 4,
    one chip-level unit ``chip_level`` (its buffer and interconnect, shared by every layer);
    DRAM and the link at 1 PB/s, every energy but the ADC's 1 pJ and writes' 0."""
    return {
        "name": name,
        "memory": {"dram": {"capacity": "1 GB", "bandwidth": "1 PB/s", "energy_per_byte": "0 pJ/B"}},
        "links": {"noc": {"bandwidth": "1 PB/s", "latency": "0 s", "energy_per_bit": "0 pJ/bit"}},
        "cim": {
            "link": "noc", "technology": "rram", "arrays": 16, "rows": 64, "cols": 64,
            "bits_per_cell": 8, "weight_bits": 8, "input_bits": 8, "dac_bits": 1,
            "read_latency": "100 ns",
            "adc": {"bits": 8, "sample_rate": "1 GHz", "energy_per_conversion": "1 pJ", "per_array": 64},
            "dac_energy": "0 pJ", "cell_read_energy": "0 pJ", "shift_add_energy": "0 pJ",
            "write_latency": "10 ns", "write_energy": "1 pJ", "endurance": 1e6, "static_power": "0 W",
            "chip": {"node_nm": 22, "transfers": transfers,
                     "levels": {"pe": {"fanout": 4}, "chip": {"fanout": 4, **chip_level}}},
        },
    }


ROUND_LINK = {"bandwidth": "100 GB/s", "latency": "10 ns", "energy_per_bit": "1 pJ/bit"}


def make_arch(**overrides):
    """ROUND_ARCH with top-level sections replaced (``interconnect=`` adds that link)."""
    d = copy.deepcopy(ROUND_ARCH)
    for k, v in overrides.items():
        if k == "interconnect":
            d.setdefault("links", {})["interconnect"] = v
        else:
            d[k] = v
    return architecture_from_dict(d)


def cim_arch_22nm(cim: dict, **over):
    """ROUND_ARCH with the CIM block ``cim`` (each ``over`` a dotted path inside it:
    ``"adc.bits"``), an interconnect link and a 22 nm, 0.72 V technology block."""
    cim = copy.deepcopy(cim)
    for path, v in over.items():  # "adc.bits" -> cim["adc"]["bits"]
        *head, last = path.split(".")
        node = cim
        for h in head:
            node = node[h]
        node[last] = v
    return make_arch(cim=cim, interconnect=dict(ROUND_LINK),
                     technology={"node": "22 nm", "voltage": "0.72 V"})


@pytest.fixture
def round_arch():
    return make_arch()


@pytest.fixture
def cim_arch():
    return make_arch(name="round-cim", cim=copy.deepcopy(ROUND_CIM), interconnect=dict(ROUND_LINK))


def gemv_workload(k: int, n: int, rows: int = 1, dtype: str = "fp32", name: str = "gemv") -> Workload:
    """One matmul: (rows x k) activations times a stationary k x n weight."""
    return Workload(
        name,
        [
            Tensor("x", (rows, k), dtype, "input"),
            Tensor("W", (k, n), dtype, "weight"),
            Tensor("y", (rows, n), dtype, "activation"),
        ],
        [Op("mm", "matmul", ("x", "W"), ("y",), m=rows, k=k, n=n, weight="W")],
    )


# ------------------------------------------------------------------ markers
#: ``@pytest.mark.torch`` (or ``pytestmark = pytest.mark.torch``) is how a test says it needs the
#: optional torch extra; without torch it is skipped here, with one reason, instead of failing.
HAS_TORCH = importlib.util.find_spec("torch") is not None


def pytest_runtest_setup(item):
    if item.get_closest_marker("torch") is not None and not HAS_TORCH:
        pytest.skip("needs torch: pip install -e '.[torch]'")


# --------------------------------------------------------------------------- LLM serving runs
def _ancestors(w: Workload, i: int) -> set[int]:
    indptr, indices = w.predecessors
    seen, stack = set(), [i]
    while stack:
        j = stack.pop()
        for p in indices[indptr[j]:indptr[j + 1]]:
            if int(p) not in seen:
                seen.add(int(p))
                stack.append(int(p))
    return seen


def assert_prefills_follow_the_iteration_before(w: Workload) -> int:
    """Every op of a prefill after the first descends from the last op of the iteration before
    (a queued request starts after the step that freed its slot); returns the prefills checked."""
    kinds, ends = w.metadata["llm"]["step_kind"], w.metadata["llm"]["step_end_ops"]
    checked = 0
    for i, kind in enumerate(kinds):
        if kind != "prefill" or i == 0:
            continue
        for o in range(ends[i - 1] + 1, ends[i] + 1):
            assert ends[i - 1] in _ancestors(w, o), (i, w.ops[o].name)
        checked += 1
    return checked


@pytest.fixture(scope="module")
def chain_json(tmp_path_factory):
    """A workload file of matmul -> matmul on 1 x 16 activations: two ops, quick on any engine."""
    tensors = [Tensor("x", (1, 16), "fp32", "input"), Tensor("w0", (16, 16), "fp32", "weight"),
               Tensor("h0", (1, 16), "fp32", "activation"), Tensor("w1", (16, 16), "fp32", "weight"),
               Tensor("h1", (1, 16), "fp32", "activation")]
    ops = [Op("mm0", "matmul", ("x", "w0"), ("h0",), m=1, k=16, n=16, weight="w0"),
           Op("mm1", "matmul", ("h0", "w1"), ("h1",), m=1, k=16, n=16, weight="w1")]
    from cimsim.workload import save_workload

    path = tmp_path_factory.mktemp("wl") / "chain.json"
    save_workload(Workload("chain", tensors, ops), path)
    return path



def install_plugin(folder: Path, dist: str, entry_points: dict[str, list[str]],
                   modules: dict[str, str] | None = None) -> dict:
    """A plug-in package installed as a real distribution in ``folder``: its ``modules`` (name ->
    source) and a ``.dist-info`` whose entry_points.txt lists ``entry_points`` (group -> lines
    ``name = module:Class``), read by importlib.metadata as pip would leave it. Returns the
    environment of a fresh interpreter (or sweep worker) that has it and cimsim's sources."""
    import cimsim

    for name, source in (modules or {}).items():
        (folder / f"{name}.py").write_text(source)
    info = folder / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("".join(f"[{group}]\n" + "".join(f"{e}\n" for e in lines)
                                                   for group, lines in entry_points.items()))
    src = Path(cimsim.__file__).parent.parent
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), str(src)])}


@contextlib.contextmanager
def plugin_package(folder: Path, dist: str, module: str, source: str, entry_points: dict[str, list[str]]):
    """:func:`install_plugin` of one module, which is also imported here and each of whose
    entry points' classes is registered here until the block ends; yields the environment."""
    from cimsim.hw.registry import register, unregister

    env = install_plugin(folder, dist, entry_points, {module: source})
    sys.path.insert(0, str(folder))
    kind = {"cimsim.components": "component", "cimsim.memory": "memory", "cimsim.links": "link",
            "cimsim.adcs": "adc", "cimsim.cells": "cell"}
    done = []
    try:
        mod = importlib.import_module(module)
        for group, lines in entry_points.items():
            for line in lines:
                part = register(getattr(mod, line.rsplit(":", 1)[1].strip()))
                done.append((getattr(part, "type_name", None) or part.name, kind[group]))
        yield env
    finally:
        for name, k in done:
            unregister(name, kind=k)
        sys.path.remove(str(folder))
        sys.modules.pop(module, None)


@contextlib.contextmanager
def fresh_cache(path: Path):
    """``CIMSIM_CACHE`` set to ``path`` until the block ends: a fresh model and trace cache
    (the user's own is left alone)."""
    old = os.environ.get("CIMSIM_CACHE")
    os.environ["CIMSIM_CACHE"] = str(path)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("CIMSIM_CACHE", None)
        else:
            os.environ["CIMSIM_CACHE"] = old


@pytest.fixture(scope="session")
def bundled_model_cache(tmp_path_factory):
    """One fresh cache folder for the session's bundled accuracy models (digits-cnn, mnist1d-gru,
    ...): each trains once a session, on first use, however many test files use it (use it with
    ``fresh_cache``)."""
    return tmp_path_factory.mktemp("bundled-models")


#: a FILE.py's source: a linear model (20 -> 16 -> 5) and 200 inputs labelled by its own
#: arg-max, so its fp32 top-1 is 1 by construction (``factory``, ``dataset``)
LABELLED_LINEAR = """
import torch

def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(20, 16), torch.nn.ReLU(),
                               torch.nn.Linear(16, 5))

def factory():
    return _model(), torch.zeros(1, 20)

def dataset():
    torch.manual_seed(1)
    x = torch.randn(200, 20)
    with torch.no_grad():
        y = _model()(x).argmax(-1)
    return x, y
"""


def run_readme_block(heading: str) -> dict:
    """The first ```python block after ``heading`` in the README, run as a user's script runs
    it (without a test module's ``from __future__ import annotations``); its namespace."""
    import cimsim

    readme = (Path(cimsim.__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = readme.index("```python\n", readme.index(heading)) + len("```python\n")
    ns: dict = {}
    exec(compile(readme[start:readme.index("```", start)], "README.md", "exec", dont_inherit=True), ns)
    return ns
