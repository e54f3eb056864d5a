"""What a run says of where its time went (found by a seventh round of new users): the
``--placement`` time of each op as it ran, every digit of its JSON, a flat CIM buffer that sets
the arrays' pace named as the bound, and a roofline that does not place ops at an intensity
they have not.

Golden values: hand arithmetic (bytes / rate), never the code's output.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.bundled import resolve_config
from cimsim.cli import main
from cimsim.config.loader import load_architecture
from cimsim.workload.io import save_workload
from cimsim.workload.ir import Op, Tensor, Workload

from conftest import gemv_workload


def _two_gemvs() -> Workload:
    """Two independent 4096 x 4096 GEMVs (fp32): each moves 4,096 B in and 16,384 B out."""
    t, ops = [], []
    for i in range(2):
        t += [Tensor(f"x{i}", (1, 4096), "fp32", "input"), Tensor(f"W{i}", (4096, 4096), "fp32", "weight"),
              Tensor(f"y{i}", (1, 4096), "fp32", "activation")]
        ops.append(Op(f"mm{i}", "matmul", (f"x{i}", f"W{i}"), (f"y{i}",), m=1, k=4096, n=4096, weight=f"W{i}"))
    return Workload("two-gemvs", t, ops)


def test_placement_time_is_end_minus_start_and_its_json_keeps_every_digit(tmp_path):
    f = tmp_path / "w.json"
    save_workload(_two_gemvs(), f)
    sets = ["--set", "links.interconnect.bandwidth=1GB/s"]
    r = CliRunner().invoke(main, ["run", "sram-cim", str(f), "--placement", "--json", *sets])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)["placement"]
    arch = load_architecture(resolve_config("sram-cim"), overrides={"links.interconnect.bandwidth": "1GB/s"})
    api = simulate(arch, _two_gemvs()).op_table
    for row, (_, ref) in zip(rows, api.iterrows()):  # every float as the Python API has it
        for k in ("compute_s", "duration_s", "energy_j", "end_s"):
            assert row[k] == float(ref[k]), (k, row[k], ref[k])
    # MACs and bytes are integers, as in the run's record (review 17-2 S6: 16777216.0)
    assert [row["macs"] for row in rows] == [4096 * 4096] * 2
    assert all(type(row["macs"]) is int for row in rows)
    assert all(type(v) is int for row in rows for k, v in row.items() if k.endswith("_bytes"))
    # both ops share the 1 GB/s link: each ends after both ops' bytes, 2 x 20,480 B / 1 GB/s
    ends = [row["end_s"] - row["start_s"] for row in rows]
    # + the array's 8 input slices (~20 ns), the link's 10 ns latency and the DRAM's 110 ns
    # (x, a model input, read from DRAM by the host: 16,384 B, over DRAM beside the link)
    assert all(2 * 20480 / 1e9 < t < 2 * 20480 / 1e9 + 200e-9 for t in ends), ends
    assert all(row["duration_s"] < 2 * 20480 / 1e9 for row in rows)  # each alone: half of it
    r = CliRunner().invoke(main, ["run", "sram-cim", str(f), "--placement", *sets], env={"COLUMNS": "200"})
    line = next(ln for ln in r.output.splitlines() if ln.lstrip().startswith("0 ") and "mm0" in ln)
    cells = line.split()
    assert cells[-4:-2] == ["0", "s"], line  # start 0: the time is the end, not the op alone
    assert cells[-6:-4] == cells[-2:] and float(cells[-2]) > 40.96, line


def test_a_flat_buffer_that_sets_the_arrays_pace_is_the_bound():
    # 1024 rows x 256 x 256 on sram-cim with its 1 MiB buffer at 1 GB/s: (262,144 B in at 8 bit +
    # 1,048,576 B out) / 1 GB/s = 1.311 ms in the buffer; the arrays' vectors take ~20 ns
    arch = load_architecture(resolve_config("sram-cim"), overrides={"cim.buffer.bandwidth": "1GB/s"})
    r = simulate(arch, gemv_workload(256, 256, rows=1024))
    assert (r.bound, r.bound_part) == ("memory", "cim_buffer")
    assert r.path_time_s["cim_buffer"] == pytest.approx((262144 + 1048576) / 1e9, rel=1e-12, abs=0)
    assert r.path_time_s["compute"] == 0.0
    assert r.bound_memory_s >= (262144 + 1048576) / 1e9
    # a buffer that never binds: a column of 0 s, the compute where it was
    r = simulate(load_architecture(resolve_config("sram-cim")), gemv_workload(256, 256))
    assert r.path_time_s["cim_buffer"] == 0.0 and r.path_time_s["compute"] > 0


def test_the_roofline_places_no_op_at_an_intensity_it_has_not():
    from cimsim.plot.run_figures import arch_roofline
    from cimsim.workload.generators import lstm

    arch = load_architecture(resolve_config("cpu-ddr5"))
    wl = lstm(input_size=1024, hidden=1024, steps=3)
    r = simulate(arch, wl)
    fig = arch_roofline(arch, r, wl)
    ax = fig.axes[0]
    ops = r.op_table[(r.op_table.macs > 0)]
    none = int((ops["dram_bytes"] == 0).sum())
    assert none == 2  # the recurrent GEMVs of steps 1 and 2 read W_hh from the SRAM
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    # on the L3's roof now (a hierarchical roofline), not at the right edge
    assert "processor ops bound by sram (2)" in labels and not any("unbounded" in t for t in labels), labels
    sram, dram = ax.collections
    l3 = ops[ops.dram_bytes == 0]
    assert sorted(sram.get_offsets()[:, 0]) == pytest.approx(sorted(2 * l3.macs / l3.sram_bytes), rel=1e-12, abs=0)
    # each op read from DRAM at 2 x MACs / its DRAM bytes
    want = sorted((2 * ops.macs / ops.dram_bytes)[ops.dram_bytes > 0])
    assert sorted(np.asarray(dram.get_offsets())[:, 0]) == pytest.approx(want, rel=1e-12, abs=0)
