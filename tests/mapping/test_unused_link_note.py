"""A declared link that no component names gets a run note saying it carries nothing
(find-C 5): a wafer's fabric declared as a link beside a processor read ``fabric 0 B`` as if the
workload had not needed it."""

from __future__ import annotations

from cimsim import bundled, load_architecture, simulate
from cimsim.workload import Op, Tensor, Workload

NOTE = "is named by no component"


MESH = "  {name}:\n    bandwidth: 27.5 PB/s\n    latency: 1 ns\n    energy_per_bit: 0.1 pJ/bit\n"


def _config(name: str, tmp_path, link: str | None = None):
    """Bundled config ``name``, with a link ``link`` added to its links (a new section if none)."""
    text = next(p for p in bundled.config_paths() if p.stem == name).read_text()
    if link is not None:
        mesh = MESH.format(name=link)
        text = text.replace("\nlinks:\n", "\nlinks:\n" + mesh) if "\nlinks:\n" in text \
            else text + "\nlinks:\n" + mesh
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return load_architecture(path)


def _relu() -> Workload:
    t = [Tensor("x", (1, 64), "int8", "input"), Tensor("y", (1, 64), "int8", "activation")]
    return Workload("relu", t, [Op("r", "elementwise", ("x",), ("y",), fn="relu")])


def test_a_link_beside_a_processor_alone_is_noted_as_carrying_nothing(tmp_path):
    r = simulate(_config("cpu-ddr5", tmp_path, "fabric"), _relu())
    said = [n for n in r.notes if NOTE in n]
    assert len(said) == 1 and "link 'fabric'" in said[0] and "carries nothing" in said[0]
    assert r.traffic_bytes["fabric"] == 0.0
    # find-C4 5: it names the field that would use it and where it is described, and no
    # longer says a processor's ops cannot use a link
    assert "processor.fabric.link with a third gemm_tile entry" in said[0]
    assert "README 'Spatial mapping: split K over a fabric'" in said[0]
    assert "not modelled" not in said[0]


def test_only_the_link_no_component_names_is_noted(tmp_path):
    r = simulate(_config("sram-cim", tmp_path, "mesh"), _relu())  # cim.link: interconnect
    said = [n for n in r.notes if NOTE in n]
    assert len(said) == 1 and "link 'mesh'" in said[0]


def test_a_used_link_gets_no_note(tmp_path):
    r = simulate(_config("sram-cim", tmp_path), _relu())  # the cim names it
    assert not [n for n in r.notes if NOTE in n]
