"""The roofline's ridge point: the result column ``ridge_ops_per_backing_byte`` and the ridge
labels of both roofline figures (find-H 2: nothing said where the LSTM stops being
bandwidth-bound). Golden values are closed form: ridge = 2 x peak MAC/s / effective bandwidth."""

from __future__ import annotations

import math

import pytest

from conftest import gemv_workload, make_arch
from cimsim import load_architecture, simulate
from cimsim.plot.roofline import roofline
from cimsim.plot.run_figures import arch_roofline
from cimsim.report import columns as C
from cimsim.studies import op_tables
from cimsim.workload import Op, Tensor, Workload, load_workload
from cimsim.workload.generators import lstm

#: the round machine: 4 cores x 1 GHz x 8 fp32 MAC (32 MAC for int8) over a 10 GB/s DRAM
ROUND_RIDGE = {"fp32": 2 * 4 * 1e9 * 8 / 10e9, "int8": 2 * 4 * 1e9 * 32 / 10e9}  # 6.4, 25.6 op/B


@pytest.mark.parametrize("dtype", ["fp32", "int8"])
def test_ridge_column_is_twice_the_peak_over_the_backing_bandwidth(dtype):
    r = simulate(make_arch(), gemv_workload(1024, 1024, dtype=dtype), keep_ops=False)
    assert r.record()[C.RIDGE_OPS_PER_BACKING_BYTE] == pytest.approx(ROUND_RIDGE[dtype], rel=1e-12, abs=0)
    assert r.to_json()[C.RIDGE_OPS_PER_BACKING_BYTE] == pytest.approx(ROUND_RIDGE[dtype], rel=1e-12, abs=0)
    assert C.RIDGE_OPS_PER_BACKING_BYTE in C.result_columns(make_arch())


def test_ridge_column_is_nan_without_macs():
    wl = Workload("add", [Tensor("a", (1024,), "fp32", "input"), Tensor("b", (1024,), "fp32", "activation")],
                  [Op("relu", "elementwise", ("a",), ("b",), fn="relu")])
    assert math.isnan(simulate(make_arch(), wl, keep_ops=False).record()[C.RIDGE_OPS_PER_BACKING_BYTE])


def test_bundled_host_ridges_from_their_datasheets():
    """cpu-ddr5: 16 cores x 2.5 GHz x 32 fp32 MAC = 2.56 TFLOP/s over 8 x DDR5-4800 (307.2 GB/s)
    at 70 % = 215 GB/s: 11.9 op/B; gpu-hbm3: 66.9 TFLOP/s (non-tensor fp32) over 3.35 TB/s at
    70 %: 28.5 op/B."""
    wl = gemv_workload(2048, 8192)
    cpu = simulate(load_architecture("cpu-ddr5"), wl, keep_ops=False)
    assert cpu.record()[C.RIDGE_OPS_PER_BACKING_BYTE] == pytest.approx(2 * 16 * 2.5e9 * 32 / (307.2e9 * 0.7), rel=1e-6, abs=0)
    gpu = simulate(load_architecture("gpu-hbm3"), wl, keep_ops=False)
    assert gpu.record()[C.RIDGE_OPS_PER_BACKING_BYTE] == pytest.approx(66.9e12 / (3.35e12 * 0.7), rel=2e-3, abs=0)


#: tpu-like: 256 x 256 MACs at 700 MHz (TPU v1, Jouppi et al. ISCA 2017) over its PCIe Gen3 x16
#: link (15.75 GB/s), slower than its 34 GB/s weight memory and the DRAM's 307.2 GB/s x 0.7
TPU_RIDGE = 2 * 256 * 256 * 700e6 / min(307.2e9 * 0.7, 34e9, 15.75e9)  # 5825.4 op/B
#: sram-cim: 8452 arrays of 256 x 256 one-bit cells, 8-bit weights (256 / 8 = 32 a row), 8
#: one-bit input slices each one 2.4881 ns read (a digital column outputs one sum a cycle),
#: over its 32 GB/s interconnect (the DRAM: 307.2 GB/s x 0.7)
CIM_RIDGE = 2 * 8452 * 256 * (256 / 8) / (8 * 2.4881e-9) / min(307.2e9 * 0.7, 32e9)


@pytest.mark.parametrize("config, ridge", [("tpu-like", TPU_RIDGE), ("sram-cim", CIM_RIDGE)])
def test_a_linked_components_ridge_is_over_the_slowest_bandwidth_on_its_path(config, ridge):
    """The component that ran the MACs reads the backing store through a link (and the TPU its
    weights from its own memory): its ridge is over the slowest of them, the corner of a roof
    the roofline draws, not over the DRAM's 215 GB/s (426.7 and 32,351 op/B before)."""
    arch = load_architecture(config)
    r = simulate(arch, gemv_workload(2048, 8192), keep_ops=True)
    assert r.record()[C.RIDGE_OPS_PER_BACKING_BYTE] == pytest.approx(ridge, rel=1e-12, abs=0)
    drawn = [x for (x, _) in _ridge_texts(arch_roofline(arch, r, gemv_workload(2048, 8192))).values()]
    assert min(abs(x / ridge - 1) for x in drawn) < 1e-12


def test_the_lstm_leaves_the_dram_roof_where_its_recurrent_gemv_passes_the_ridge():
    """A recurrent GEMV at batch B reads W_hh (4H x H fp32) for 4H x H x B MACs: B/2 op/B. On
    cpu-ddr5 that passes the 11.9 op/B ridge at B = 23.8: the bundled LSTM's shape is DRAM-bound
    at batch 23 and compute-bound at 24 (the README's motivating argument)."""
    arch = load_architecture("cpu-ddr5")
    ridge = 2 * 16 * 2.5e9 * 32 / (307.2e9 * 0.7)
    bounds = {}
    for b in (23, 24):
        r = simulate(arch, lstm(input_size=2048, hidden=2048, layers=2, steps=100, batch=b), keep_ops=False)
        assert r.record()[C.RIDGE_OPS_PER_BACKING_BYTE] == pytest.approx(ridge, abs=0)
        bounds[b] = r.bound_label
    assert 23 / 2 < ridge < 24 / 2
    assert bounds == {23: "memory (dram)", 24: "compute"}


def _ridge_texts(fig):
    return {t.get_text(): t.xy for ax in fig.axes for t in ax.texts if t.get_text().startswith("ridge ")}


def test_run_report_roofline_labels_each_roofs_ridge():
    arch, wl = make_arch(), gemv_workload(1024, 1024)
    r = simulate(arch, wl, keep_ops=True)
    texts = _ridge_texts(arch_roofline(arch, r, wl))
    # one roof per level the GEMV read: the DRAM's at 6.4 op/B, the 1 TB/s SRAM's at 0.064
    assert texts == {"ridge 6.4 op/B": pytest.approx((6.4, 64e9), rel=1e-6, abs=0),
                     "ridge 0.064 op/B": pytest.approx((0.064, 64e9), rel=1e-6, abs=0)}


def test_sweep_roofline_labels_each_roofs_ridge():
    arch, wl = make_arch(), gemv_workload(1024, 1024)
    texts = _ridge_texts(roofline(op_tables([arch], wl), wl))
    assert texts["ridge 6.4 op/B"] == pytest.approx((6.4, 64e9), rel=1e-6, abs=0)


def _ridge_boxes(fig):
    """Each ridge label's text and its box on the drawn figure (the layout done), with its axes'."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [(t.get_text(), t.get_window_extent(renderer), ax.bbox) for ax in fig.axes for t in ax.texts
            if t.get_text().startswith("ridge ")]


def _assert_legible(boxes):
    for i, (text, bb, frame) in enumerate(boxes):
        assert frame.x0 <= bb.x0 and bb.x1 <= frame.x1 and frame.y0 <= bb.y0 and bb.y1 <= frame.y1, text
        assert "e+" not in text and "e-" not in text, text
        for other, ob, _ in boxes[i + 1:]:
            assert not bb.overlaps(ob), (text, other)


@pytest.mark.parametrize("config, workload, texts", [
    # the reviewer's report case: L3 1 TB/s and DRAM 215 GB/s under 2.56 TFLOP/s, ridges 2.56
    # and 11.9 op/B, less than a decade apart on one flat roof (they overprinted, cut by the frame)
    ("cpu-ddr5", "hier-attn", {"ridge 2.56 op/B", "ridge 11.9 op/B"}),
    # sram-cim's arrays over the DRAM (215 GB/s) and the interconnect (32 GB/s): 32,351 and
    # 217,399 op/B at 3 digits (they read 3.24e+04 and 2.17e+05)
    ("sram-cim", "lstm", {"ridge 32,400 op/B", "ridge 217,000 op/B"}),
])
def test_run_report_ridge_labels_neither_overlap_nor_leave_the_axes(config, workload, texts):
    arch, wl = load_architecture(config), load_workload(workload)
    boxes = _ridge_boxes(arch_roofline(arch, simulate(arch, wl, engine="analytic"), wl))
    assert {t for t, _, _ in boxes} == texts
    _assert_legible(boxes)


def test_sweep_ridge_labels_neither_overlap_nor_leave_the_axes():
    """cpu-ddr5 and tpu-like in one panel: the TPU's 91.75 TOPS over its 215 GB/s DRAM, 34 GB/s
    weights and 15.75 GB/s PCIe (427, 2,700, 5,830 op/B) on one flat roof, the hosts' 2.56 and
    11.9 op/B on theirs; the two hosts' equal DRAM roofs share one label."""
    wl = load_workload("lstm")
    boxes = _ridge_boxes(roofline(op_tables([load_architecture("cpu-ddr5"), load_architecture("tpu-like")],
                                            wl), wl))
    assert sorted(t for t, _, _ in boxes) == sorted(
        f"ridge {x} op/B" for x in ("2.56", "11.9", "427", "2,700", "5,830"))
    _assert_legible(boxes)


def test_a_ridge_label_with_no_room_goes_into_the_caption_not_over_another():
    """review14-5 #6: a label that found no free place in its len(labels) + 1 tries was left at
    the last one, over another label or below the frame, with no sign. Six roofs of one peak
    (2 x 2.5 TMAC/s = 5 TOP/s) over 5, 2.5, 1.67, 1.25, 1 and 0.833 TB/s: ridges at 1-6 op/B,
    closer than a label's width on a 3.2 x 2.4 in figure (2.4 x 1.6 in until figure text went
    to >= 8.3 pt, find-A 2: there no label fits), so they stack down and the lowest find the
    bottom; each is drawn clear of the others inside the frame, or named in the caption."""
    from cimsim.plot.canvas import new_figure
    from cimsim.plot.roofline import RIDGE_CAPTION, ridge_labels

    fig = new_figure(3.2, 2.4)
    ax = fig.subplots()
    ax.set(xscale="log", yscale="log", xlim=(0.1, 1e3), ylim=(1e11, 1e14))
    peak = 2.5e12
    ridge_labels(ax, [(peak, 2.0 * peak / r, f"C{r}") for r in range(1, 7)])
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    (caption,) = [t for t in ax.texts if not t.get_text().startswith("ridge ")]  # wrapped to the axes
    shown = [(t.get_text(), t.get_window_extent(renderer), ax.bbox) for t in ax.texts
             if t.get_text().startswith("ridge ") and t.get_visible()]
    values = " ".join(caption.get_text().split()).removeprefix(RIDGE_CAPTION + " ").removesuffix(" op/B")
    said = [f"ridge {v} op/B" for v in values.split("; ")] if caption.get_visible() else []
    assert sorted([t for t, _, _ in shown] + said) == [f"ridge {r} op/B" for r in range(1, 7)]
    assert said and len(shown) >= 2  # the crafted case drops some, and keeps some by their corner
    _assert_legible(shown + [(caption.get_text(), caption.get_window_extent(renderer), ax.bbox)])


def test_peak_column_and_run_line_give_each_components_datasheet_peak(tmp_path):
    """find-K 3: a design's peak op/s per component, 2 x MAC/s. tpu-like: 2 x 256 x 256 x 700 MHz
    = 91.75 TOPS (TPU v1's 92 TOPS, Jouppi et al. ISCA 2017); its host: 16 cores x 2.5 GHz x
    32 fp32 MAC x 2 = 2.56 TOPS at the workload's fp32. A unit without MACs: NaN."""
    from click.testing import CliRunner
    from cimsim.cli import main
    from cimsim.workload.io import save_workload
    arch = load_architecture("tpu-like")
    rec = simulate(arch, gemv_workload(1024, 1024), keep_ops=False).record()
    assert rec[C.peak_column("tpu")] == pytest.approx(2 * 256 * 256 * 700e6, rel=1e-12, abs=0)
    assert rec[C.peak_column("processor")] == pytest.approx(2 * 16 * 2.5e9 * 32, rel=1e-12, abs=0)
    assert C.peak_column("tpu") in C.result_columns(arch)
    path = tmp_path / "w.json"
    save_workload(gemv_workload(1024, 1024), path)
    out = CliRunner().invoke(main, ["run", "tpu-like", str(path)], terminal_width=200).output
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("peak "))
    assert "tpu 91.75 TOPS" in line and "processor 2.56 TOPS" in line
    wl = Workload("add", [Tensor("a", (1024,), "fp32", "input"), Tensor("b", (1024,), "fp32", "activation")],
                  [Op("relu", "elementwise", ("a",), ("b",), fn="relu")])
    assert math.isnan(simulate(arch, wl, keep_ops=False).record()[C.peak_column("tpu")])


def test_run_line_names_a_processor_without_the_workloads_dtype_rate(tmp_path):
    """review 23 F 6: a processor with no int8 rate (fp32 only) has a NaN peak on an int8 run;
    the ``peak`` line names it rather than dropping it. The array: 2 x 256 x 256 x 700 MHz."""
    from click.testing import CliRunner
    from cimsim.cli import main
    from cimsim.workload.io import save_workload
    path = tmp_path / "w.json"
    save_workload(gemv_workload(1024, 1024, dtype="int8"), path)
    out = CliRunner().invoke(main, ["run", "tpu-like", str(path), "--set",
                                    "processor.macs_per_cycle_per_core={fp32: 32}"], terminal_width=200).output
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("peak "))
    assert "processor no MAC rate at the workload's dtype, tpu 91.75 TOPS" in line, out


@pytest.mark.parametrize("dtype", ["fp32", "int8"])
def test_a_ridge_per_memory_level_is_twice_the_peak_over_each_levels_bandwidth(dtype):
    # find-A 5: the round machine's 4 x 1 GHz x (8 fp32 | 32 int8) MAC over its 1 TB/s SRAM and
    # 10 GB/s DRAM: fp32 64 GOPS / 1e12 = 0.064 and / 1e10 = 6.4 op/B; int8 0.256 and 25.6
    peak_ops = 2 * 4 * 1e9 * {"fp32": 8, "int8": 32}[dtype]
    r = simulate(make_arch(), gemv_workload(1024, 1024, dtype=dtype), keep_ops=False)
    by_level = r.to_json()[C.RIDGE_OPS_PER_BYTE_BY_LEVEL]
    assert list(by_level) == ["sram", "dram"]  # innermost first
    assert by_level["sram"] == pytest.approx(peak_ops / 1e12, rel=1e-12, abs=0)
    assert by_level["dram"] == pytest.approx(peak_ops / 10e9, rel=1e-12, abs=0)
    assert by_level["dram"] == r.ridge_ops_per_backing_byte  # the processor reads the DRAM directly
    assert C.RIDGE_OPS_PER_BYTE_BY_LEVEL not in r.record()  # --json only: the CSV is as it was


def test_ridge_per_level_is_null_without_macs():
    wl = Workload("add", [Tensor("a", (1024,), "fp32", "input"), Tensor("b", (1024,), "fp32", "activation")],
                  [Op("relu", "elementwise", ("a",), ("b",), fn="relu")])
    assert simulate(make_arch(), wl, keep_ops=False).to_json()[C.RIDGE_OPS_PER_BYTE_BY_LEVEL] == \
        {"sram": None, "dram": None}


def test_run_summary_prints_the_ridge_by_level():
    # cpu-ddr5: 16 x 2.5 GHz x 32 fp32 MAC = 2.56 TOPS over its 1 TB/s L3 (2.56 op/B) and
    # 307.2 GB/s x 0.7 DDR5 (11.9 op/B)
    from click.testing import CliRunner

    from cimsim.cli import main

    res = CliRunner().invoke(main, ["run", "cpu-ddr5", "lstm", "--engine", "analytic"])
    assert res.exit_code == 0, res.output
    flat = " ".join(res.output.split())
    assert "ridge by level sram 2.56 op/B, dram 11.9 op/B (2 x processor's peak MAC/s" in flat
    assert f"{2 * 16 * 2.5e9 * 32 / (307.2e9 * 0.7):.3g}" == "11.9"


def test_an_accelerators_ridge_by_level_is_over_the_levels_it_reads():
    # review L45 3: the TPU reads its unified buffer (179.2 GB/s), its weight DDR3 (34 GB/s), the
    # host over PCIe (15.75 GB/s) and the host's DRAM (307.2 GB/s x 0.7), not the host's L3.
    # Its peak: 256 x 256 MAC x 700 MHz x 2 = 91.75 TOPS.
    peak_ops = 2 * 256 * 256 * 700e6
    r = simulate(load_architecture("tpu-like"), gemv_workload(1024, 1024, dtype="int8"), keep_ops=False)
    by_level = r.to_json()[C.RIDGE_OPS_PER_BYTE_BY_LEVEL]
    assert list(by_level) == ["tpu.buffer", "weights", "pcie", "dram"]  # innermost first; no "sram"
    assert by_level["tpu.buffer"] == pytest.approx(peak_ops / 179.2e9, rel=1e-12, abs=0)  # 512 op/B
    assert by_level["weights"] == pytest.approx(peak_ops / 34e9, rel=1e-12, abs=0)  # 2698.5
    assert by_level["pcie"] == pytest.approx(peak_ops / 15.75e9, rel=1e-12, abs=0)  # 5825.4
    assert by_level["dram"] == pytest.approx(peak_ops / (307.2e9 * 0.7), rel=1e-12, abs=0)  # 426.7
