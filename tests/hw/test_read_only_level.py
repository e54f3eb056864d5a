"""A ``read_only: true`` memory level (tester R's report, find-R #3): examples/edge-cim.yaml's
NOR flash took spilled activations as if it were RAM, its writes costed at the read rate and
energy. A run that writes a read-only level is now refused, naming the bytes; one that fits the
SRAM runs as before.

Goldens are hand arithmetic written beside each assertion, never the tool's output."""

from __future__ import annotations

from pathlib import Path

import pytest

import cimsim
from cimsim.errors import CapacityError
from cimsim.workload.trace import trace

pytestmark = pytest.mark.torch

torch = pytest.importorskip("torch")
EDGE = str(Path(__file__).resolve().parents[2] / "examples" / "edge-cim.yaml")


class Scale(torch.nn.Module):
    def forward(self, x):
        return torch.relu(x) * 2  # fused into one op: x in, one fp32 tensor of x's size out


def _run(n, read_only):
    w = trace(Scale(), (torch.randn(1, n),), batch=1)
    arch = cimsim.load_architecture(EDGE, overrides={"memory.flash.read_only": read_only})
    return cimsim.simulate(arch, w, engine="analytic")


def test_a_spill_into_a_read_only_flash_is_refused_naming_the_bytes():
    # 200,000 fp32 = 800,000 B out, more than the 640 KiB (655,360 B) SRAM: written to the flash
    with pytest.raises(CapacityError, match=r"memory\.flash is read_only, but the run writes 800 kB to it"
                       r" \(tensors the levels inside it, sram 640 KiB \(655\.4 kB\), do not hold"):
        _run(200_000, True)  # the SRAM as the config writes it (final read 23 F1 1)
    # read_only: false: the old behaviour, the 800,000 B costed as flash writes at the read rate
    assert _run(200_000, False).write_bytes["flash"] == 800_000


def test_a_run_that_fits_the_sram_writes_no_flash_and_runs():
    r = _run(1000, True)  # 1,000 x 4 B = 4 kB out, in the SRAM
    assert r.write_bytes["flash"] == 0 and r.write_bytes["sram"] == 4000


def test_read_only_innermost_level_says_the_activations_home():
    w = trace(Scale(), (torch.randn(1, 1000),), batch=1)  # 1,000 fp32 out: 4,000 B written
    arch = cimsim.load_architecture(EDGE, overrides={"memory.sram.volatile": False,
                                                     "memory.sram.read_only": True})
    with pytest.raises(CapacityError, match="innermost level: every run writes its activations there") as e:
        cimsim.simulate(arch, w, engine="analytic")  # (review 23 E 2)
    assert "spilled" not in str(e.value) and "enlarge the inner" not in str(e.value)


def test_read_only_with_volatile_is_refused_at_validation():
    with pytest.raises(Exception, match="read_only: true with volatile: true"):  # (review 23 E 2)
        cimsim.load_architecture(EDGE, overrides={"memory.flash.volatile": True,
                                                  "memory.flash.read_only": True})


def test_a_spilled_im2col_matrix_names_cim_input_reuse():
    # (find-C 7) a 1->8 3x3 conv on a 1 x 1 x 300 x 300 int8 image: its im2col matrix is
    # 90,000 rows x 9 B = 810 kB, more than the 640 KiB SRAM; input reuse never forms it
    # (a 1->4 conv since find-D 2: a 1->8 conv's 720 kB output does not fit the SRAM either)
    conv = torch.nn.Conv2d(1, 4, 3, padding=1, bias=False)
    w = trace(conv, (torch.randn(1, 1, 300, 300),), dtype="int8", batch=1)
    arch = cimsim.load_architecture(EDGE)
    with pytest.raises(CapacityError, match=r"or set cim\.input_reuse: true \(the unit then builds each "
                       r"convolution's windows from the raw input, as a line buffer, and the 810 kB of "
                       r"im2col matrices are never formed\)"):
        cimsim.simulate(arch, w, engine="analytic")
    r = cimsim.simulate(cimsim.load_architecture(EDGE, overrides={"cim.input_reuse": True}), w,
                        engine="analytic")
    assert r.write_bytes["flash"] == 0



def test_activations_held_past_the_sram_are_refused_though_none_spills():
    # (find-D 2) a 1->8 3x3 conv on a 300 x 300 int8 image on the macros, input reuse on: its
    # output, 8 x 90,000 x 1 B = 720,000 B, goes to the host, which holds it (a model output):
    # no op spills it, so the flash is never written, yet 720,000 B > the SRAM's 640 KiB =
    # 655,360 B (the 90,000 B input starts in the flash and is not counted)
    arch = cimsim.load_architecture(EDGE, overrides={"cim.input_reuse": True})
    conv8 = torch.nn.Conv2d(1, 8, 3, padding=1, bias=False)
    w = trace(conv8, (torch.randn(1, 1, 300, 300),), dtype="int8", batch=1)
    with pytest.raises(CapacityError, match=r"memory\.flash is read_only, but workload '.*' holds 720 kB "
                       r"of activations it makes live at once .* writable levels inside it hold sram "
                       r"640 KiB \(655\.4 kB\): at op '.*' the largest are .* 720 kB"):
        cimsim.simulate(arch, w, engine="analytic")
    # read_only: false: the flash may hold it (as before find-D 2)
    free = cimsim.load_architecture(EDGE, overrides={"cim.input_reuse": True, "memory.flash.read_only": False})
    assert cimsim.simulate(free, w, engine="analytic").write_bytes["flash"] == 0


def test_read_only_room_is_the_largest_inner_level_not_their_sum(tmp_path):
    # (review P 2) the hierarchy is inclusive: a 64 KiB L1 in front of the 640 KiB SRAM adds no
    # room. The 720,000 B output above is under their sum (65,536 + 655,360 = 720,896 B, which let
    # it through) but over the largest, 655,360 B: refused
    import yaml
    cfg = yaml.safe_load(Path(EDGE).read_text())
    l1 = dict(cfg["memory"]["sram"], capacity="64 KiB", technology="MCU L1")
    cfg["memory"] = {"l1": l1, **cfg["memory"]}
    path = tmp_path / "edge-l1.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    arch = cimsim.load_architecture(str(path), overrides={"cim.input_reuse": True})
    conv8 = torch.nn.Conv2d(1, 8, 3, padding=1, bias=False)
    w = trace(conv8, (torch.randn(1, 1, 300, 300),), dtype="int8", batch=1)
    with pytest.raises(CapacityError, match=r"holds 720 kB of activations .* hold l1 64 KiB \(65\.54 kB\), "
                       r"sram 640 KiB \(655\.4 kB\) \(inclusive: 655\.4 kB, the largest\)"):
        cimsim.simulate(arch, w, engine="analytic")
