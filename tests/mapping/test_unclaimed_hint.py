"""A CIM chip without periphery units refusing a CNN's activations says how the chip itself
could run them (`chip.periphery`), not only "add a processor" (issue 18: a CIM-only chip needs
no host processor). A chip-less CIM gets no such hint: only a processor helps there."""

from __future__ import annotations

import pytest

from importlib import resources

from cimsim.bundled import resolve_workload
from cimsim.config.loader import load_architecture
from cimsim.errors import MappingError
from cimsim.mapping.placement import place
from cimsim.workload import load_workload



def test_chip_without_periphery_names_it():
    puma = resources.files("cimsim") / "data" / "validation" / "puma.yaml"
    arch = load_architecture(str(puma))
    w = load_workload(str(resources.files("cimsim") / "data" / "validation" / "vgg8-cifar10.json"))
    with pytest.raises(MappingError) as e:
        place(w, arch)
    msg = str(e.value)
    assert "add a processor" in msg and "cim.chip.periphery" in msg and "\n" not in msg
    # with the periphery given, the same workload places on the chip alone
    arch = load_architecture(str(puma), {"cim.chip.periphery.level": "tile",
                                         "cim.chip.periphery.units": "1",
                                         "cim.chip.periphery.bits": "16",
                                         "cim.chip.periphery.clock": "1GHz"}, cli=True)
    place(w, arch)


def test_flat_cim_gets_no_periphery_hint():
    isaac = resources.files("cimsim") / "data" / "validation" / "isaac.yaml"
    with pytest.raises(MappingError) as e:
        place(load_workload(resolve_workload("lstm")), load_architecture(str(isaac)))
    assert "periphery" not in str(e.value)


# --- communication ops: the processor points at the collective, and a collective whose group
# --- size contradicts the workload's tensor parallelism is refused

TP_BLOCK = """
links:
  nvlink: {bandwidth: 450 GB/s, latency: 4 us, energy_per_bit: 1.3 pJ/bit}
collective:
  devices: DEVICES
  link: nvlink
"""


def _tp_workload():
    from cimsim.workload.llm import LLMModel, llm_serving

    tiny = LLMModel(layers=2, hidden=32, heads=8, kv_heads=2, ffn=48, vocab=20, head_dim=4,
                    gated=True)
    return llm_serving(tiny, prompt=4, decode=2, batch=2, tensor_parallel=2)


def test_allreduce_without_collective_names_the_collective():
    from cimsim.bundled import resolve_config

    with pytest.raises(MappingError) as e:
        place(_tp_workload(), load_architecture(resolve_config("gpu-hbm3")))
    msg = str(e.value)
    assert "add a collective: section" in msg and "add a processor" not in msg


@pytest.mark.parametrize("devices, ok", [(2, True), (4, False)])
def test_collective_group_must_match_the_workloads_tensor_parallelism(tmp_path, devices, ok):
    from cimsim.bundled import resolve_config

    path = tmp_path / "tp.yaml"
    path.write_text(resolve_config("gpu-hbm3").read_text()
                    + TP_BLOCK.replace("DEVICES", str(devices)))
    arch = load_architecture(str(path))
    if ok:
        place(_tp_workload(), arch)
        return
    with pytest.raises(MappingError) as e:
        place(_tp_workload(), arch)
    assert "collective.devices is 4" in str(e.value) and "tensor parallelism 2" in str(e.value)
