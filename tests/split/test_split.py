"""Split-point studies (cimsim.split): the cuts of a tiny hand-made workload and the link terms by
hand, each half a real run, and the study's rows as their sums."""

import copy
import math

import pytest
from conftest import ROUND_ARCH, make_arch

from cimsim import simulate
from cimsim.errors import ConfigError, WorkloadError
from cimsim.split import cut_points, cut_workload, parse_link, split_study
from split_cases import tiny


# uplink 1000 B/s (8 kb/s), downlink 2000 B/s, 100 ms a message, TX 1 nJ/bit, RX 0.5 nJ/bit
LINK = "name=radio,uplink=8kb/s,downlink=16kb/s,latency=100ms,tx_energy=1nJ/bit,rx_energy=0.5nJ/bit"


def test_every_cut_and_its_bytes_by_hand():
    cuts = cut_points(tiny())
    assert [c.index for c in cuts] == [0, 1, 2, 3, 4]
    assert [c.after for c in cuts] == [None, "a", "b", "c", "d"]
    # cut 0: the raw input x (100 x 4 B); 1: h1; 2: h1 and h2 (c reads both); 3: h3; 4: nothing
    assert [c.tensors for c in cuts] == [("x",), ("h1",), ("h1", "h2"), ("h3",), ()]
    assert [c.uplink_bytes() for c in cuts] == [400, 200, 400, 200, 0]
    assert [c.uplink_bytes("int8") for c in cuts] == [100, 50, 100, 50, 0]  # 1 B an element
    # the model's answer y (10 x 4 B) is made on the server at every cut but the last
    assert [c.returned_bytes for c in cuts] == [40, 40, 40, 40, 0]
    assert [c.index for c in cut_points(tiny(), single_tensor=True, ends=False)] == [0, 1, 3]
    assert [c.index for c in cut_points(tiny(), after=["b"])] == [0, 2, 4]  # the ends kept


def test_the_halves_of_a_cut():
    prefix, suffix = cut_workload(tiny(), 2)
    assert [op.name for op in prefix.ops] == ["a", "b"]
    assert sorted(prefix.metadata["outputs"]) == ["h1", "h2"]
    assert [op.name for op in suffix.ops] == ["c", "d"]
    assert suffix.tensors["h1"].role == suffix.tensors["h2"].role == "input"
    assert suffix.metadata["outputs"] == ["y"]
    assert cut_workload(tiny(), 0)[0] is None and cut_workload(tiny(), 4)[1] is None
    with pytest.raises(WorkloadError, match="cut 5: workload 'tiny' has 4 ops"):
        cut_workload(tiny(), 5)


def test_link_terms_by_hand_and_halves_from_real_runs():
    edge = make_arch(name="edge")
    server_d = copy.deepcopy(ROUND_ARCH)
    server_d["processor"]["cores"] = 8
    server = make_arch(name="server", processor=server_d["processor"])
    w = tiny()
    study = split_study(edge, server, w, [LINK])
    rows = {r["cut"]: r for r in study.rows}
    r = rows[2]
    assert r["uplink_bytes"] == 400 and r["downlink_bytes"] == 40
    assert r["uplink_s"] == pytest.approx(400 / 1000 + 0.1, rel=1e-12, abs=0)   # 0.5 s
    assert r["downlink_s"] == pytest.approx(40 / 2000 + 0.1, rel=1e-12, abs=0)  # 0.12 s
    assert r["edge_radio_j"] == pytest.approx(400 * 8 * 1e-9 + 40 * 8 * 0.5e-9, rel=1e-12, abs=0)  # 3.36 uJ
    assert r["server_radio_j"] == pytest.approx(400 * 8 * 0.5e-9 + 40 * 8 * 1e-9, rel=1e-12, abs=0)  # 1.92 uJ
    prefix, suffix = cut_workload(w, 2)
    e, s = simulate(edge, prefix), simulate(server, suffix)
    assert r["edge_latency_s"] == e.latency_s and r["server_energy_j"] == s.energy_j
    assert r["total_latency_s"] == pytest.approx(e.latency_s + 0.5 + s.latency_s + 0.12, rel=1e-12, abs=0)
    # the edge (round's processor: static_power 1 W, its memories 0 W) waits for its uplink
    # (0.5 s), the server's run and the downlink (0.12 s) at 1 W (review 22 G 2)
    wait = 1.0 * (0.5 + s.latency_s + 0.12)
    assert r["edge_static_power_w"] == pytest.approx(1.0, rel=1e-12, abs=0)
    assert r["edge_wait_j"] == pytest.approx(wait, rel=1e-12, abs=0)
    assert r["edge_busy_energy_j"] == pytest.approx(e.energy_j + 3.36e-6, rel=1e-12, abs=0)
    assert r["edge_total_energy_j"] == pytest.approx(e.energy_j + 3.36e-6 + wait, rel=1e-12, abs=0)
    assert r["total_energy_j"] == pytest.approx(e.energy_j + 3.36e-6 + wait + s.energy_j + 1.92e-6, rel=1e-12, abs=0)
    # the trivial cuts: the whole model on one side; server only sends x (400 B), edge only nothing
    whole_edge, whole_server = simulate(edge, w), simulate(server, w)
    assert rows[0]["server_latency_s"] == pytest.approx(whole_server.latency_s, rel=1e-12, abs=0)
    assert rows[0]["edge_energy_j"] == 0 and rows[0]["uplink_s"] == pytest.approx(0.5, rel=1e-12, abs=0)
    assert rows[4]["edge_energy_j"] == pytest.approx(whole_edge.energy_j, rel=1e-12, abs=0)
    assert rows[4]["link_s"] == 0 and rows[4]["total_latency_s"] == pytest.approx(whole_edge.latency_s, rel=1e-12, abs=0)
    # at 0.6 s of link or more for every other cut, edge only is fastest
    assert study.best("radio", "latency")["cut"] == 4
    quantized = split_study(edge, server, w, [LINK], cut_dtype="int8")
    assert quantized.rows[2]["uplink_s"] == pytest.approx(100 / 1000 + 0.1, rel=1e-12, abs=0)


def test_no_downlink_means_nothing_comes_back():
    up_only = parse_link("uplink=8kb/s,rtt=200ms,energy_per_bit=1nJ/bit")
    assert up_only.latency_s == pytest.approx(0.1, rel=1e-12, abs=0)  # half the RTT a message
    assert up_only.tx_j_per_byte == pytest.approx(8e-9, rel=1e-12, abs=0)
    study = split_study(make_arch(name="edge"), make_arch(name="server"), tiny(), [up_only],
                        cuts=cut_points(tiny(), after=["c"]))
    assert [r["downlink_bytes"] for r in study.rows] == [0, 0, 0]
    assert [r["downlink_s"] for r in study.rows] == [0, 0, 0]


@pytest.mark.parametrize("spec, message", [
    ("latency=1ms", "no uplink rate; give uplink="),
    ("uplink=10Mbps", "uplink: unknown unit 'Mbps'"),
    ("uplink=0Mb/s", "uplink: '0Mb/s' must be above 0"),
    ("uplink=1Mb/s,rtt=1ms,latency=1ms", "give latency or rtt, not both"),
    ("uplink=1Mb/s,power=1W", "unknown field 'power'"),
    ("uplink", "'uplink' is not KEY=VALUE"),
])
def test_bad_links_are_one_line_errors(spec, message):
    with pytest.raises(ConfigError, match=message):
        parse_link(spec)


def test_link_yaml_file(tmp_path):
    f = tmp_path / "lte.yaml"
    f.write_text("uplink: 20 Mb/s\ndownlink: 100 Mb/s\nlatency: 40 ms\ntx_energy: 50 nJ/bit\n")
    link = parse_link(str(f))
    assert link.name == "lte" and link.uplink_bytes_per_s == pytest.approx(2.5e6, rel=1e-12, abs=0)
    assert link.down_s(1000) == pytest.approx(1000 / 12.5e6 + 0.04, rel=1e-12, abs=0)


def test_a_half_the_edge_cannot_hold_is_reported_not_fatal():
    small = copy.deepcopy(ROUND_ARCH["memory"])
    small["dram"]["capacity"] = "1 KiB"  # W1 alone is 100 x 50 x 4 B = 20 kB
    small["sram"]["capacity"] = "512 B"
    study = split_study(make_arch(name="edge", memory=small), make_arch(name="server"), tiny(), [LINK])
    errors = [r["error"] for r in study.rows]
    assert errors[0] is None and all(e and e.startswith("edge: ") for e in errors[1:])
    assert all(math.isnan(r["edge_latency_s"]) for r in study.rows[1:])
    assert study.best("radio", "latency")["cut"] == 0  # server only, the one cut that ran
