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
    ("uplink=1Mb/s,latency=20ms,latency=30ms", "'latency' is given twice"),  # review 22 G 8
    ("name=,uplink=1Mb/s", "name: '' is no label"),
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


def _small_memory() -> dict:
    """round's memories cut to 1 KiB of DRAM and 512 B of SRAM: W1 alone is 100 x 50 x 4 B = 20 kB."""
    small = copy.deepcopy(ROUND_ARCH["memory"])
    small["dram"]["capacity"] = "1 KiB"
    small["sram"]["capacity"] = "512 B"
    return small


def test_a_half_the_edge_cannot_hold_is_reported_not_fatal():
    small = _small_memory()
    study = split_study(make_arch(name="edge", memory=small), make_arch(name="server"), tiny(), [LINK])
    errors = [r["error"] for r in study.rows]
    assert errors[0] is None and all(e and e.startswith("edge: ") for e in errors[1:])
    assert all(math.isnan(r["edge_latency_s"]) for r in study.rows[1:])
    assert study.best("radio", "latency")["cut"] == 0  # server only, the one cut that ran


# --- review 22 G: resident state, training steps, cut dtype, lowering cuts, table, link spec ---

def test_a_resident_cache_stays_where_it_is_read_and_is_never_sent():
    from split_cases import cached

    # traced: cut 0 sends x (64 x 4 B), never the 32,768 B cache; the grown cache Kc stays on the
    # server, only s (129 x 4 B = 516 B) comes back
    cuts = {c.index: c for c in cut_points(cached(traced=True))}
    assert cuts[0].tensors == ("x",) and cuts[0].uplink_bytes() == 256
    assert cuts[0].returned == ("s",) and cuts[0].returned_bytes == 516
    assert cuts[2].tensors == ("q", "k")
    # built by hand: the matmul reads K in place, a KV cache on the side that reads it; cut 2
    # sends q and k (2 x 256 B), not K; the server holds it, 32,768 B of KV cache
    w = cached(traced=False)
    cuts = {c.index: c for c in cut_points(w)}
    assert cuts[0].tensors == ("x",) and cuts[2].tensors == ("q", "k") and cuts[2].uplink_bytes() == 512
    prefix, suffix = cut_workload(w, 2)
    assert w.footprint.kv_cache == suffix.footprint.kv_cache == 32768
    assert suffix.tensors["K"].role == "input" and suffix.metadata["split"]["crossing"] == ["k", "q"]
    # cut 3 (after scores): k arrives over the link and is read by an add, no cache
    assert cut_workload(w, 3)[1].footprint.kv_cache == 0


def test_a_suffix_input_sent_over_the_link_is_no_kv_cache():
    # tiny's cut 3 suffix reads h3 (sent) as a matmul's first operand; cut the generator's
    # transformer at 1: l0.k and l0.v arrive over the link and are activations, not a cache
    from cimsim.bundled import resolve_workload
    from cimsim.workload import load_workload

    w = load_workload(resolve_workload("transformer"))
    assert w.footprint.kv_cache == 0
    suffix = cut_workload(w, 1)[1]
    assert suffix.footprint.kv_cache == 0


def test_a_training_step_is_refused_in_one_line():
    w = tiny()
    step = type(w)("step", list(w.tensors.values()), list(w.ops), metadata={"backward_ops": 3})
    with pytest.raises(WorkloadError, match="is a training step .* trace the model's forward"):
        cut_points(step)
    with pytest.raises(WorkloadError, match="is a training step"):
        split_study(make_arch(name="e"), make_arch(name="s"), step, ["uplink=1Mb/s"], cuts=[])


def test_cut_dtype_retypes_floating_tensors_only_and_never_widens():
    from cimsim.split import Cut
    from cimsim.split.cuts import cut_dtype_notes

    # 100 int64 token ids (800 B), 50 fp32 (200 B), 40 fp16 (80 B), 10 bool (10 B)
    cut = Cut(0, None, "a", ("ids", "h", "g", "mask"), (100, 50, 40, 10), (800, 200, 80, 10), (), 0,
              ("int64", "fp32", "fp16", "bool"))
    assert cut.sent_bytes("int8") == (800, 50, 40, 10)   # ids and mask keep their own
    assert cut.sent_bytes("fp16") == (800, 100, 80, 10)  # fp16 already: as it is
    assert cut.sent_bytes("fp32") == (800, 200, 80, 10)  # never widened (g stays 80 B)
    notes = cut_dtype_notes([cut], "fp32")
    assert "2 crossing tensor(s) not floating point" in notes[0] and "ids (int64)" in notes[0]
    assert "1 crossing tensor(s) narrower than fp32" in notes[1] and "g (fp16)" in notes[1]
    with pytest.raises(ConfigError, match="cut dtype 'bool': not one of fp32, fp16"):
        split_study(make_arch(name="e"), make_arch(name="s"), tiny(), ["uplink=1Mb/s"], cut_dtype="bool")


def test_capacity_refusals_are_told_from_other_errors():
    small = _small_memory()
    study = split_study(make_arch(name="edge", memory=small), make_arch(name="server"), tiny(), [LINK])
    assert all(r["error"].startswith("edge: does not fit: workload 'tiny-edge") for r in study.rows[1:])


def test_link_yaml_duplicate_key(tmp_path):
    f = tmp_path / "dup.yaml"
    f.write_text("uplink: 1 Mb/s\nlatency: 20 ms\nlatency: 30 ms\n")
    with pytest.raises(ConfigError, match="dup.yaml: not a link YAML file .*duplicate key 'latency'"):
        parse_link(str(f))


def test_bandwidth_variants_get_names_that_tell_them_apart():
    link = parse_link("name=w,uplink=1Mb/s")
    names = [v.name for v in link.at_uplinks([125000.0, 125050.0])]  # 1 Mb/s and 1.0004 Mb/s
    assert names == ["w@1 Mb/s", "w@1.0004 Mb/s"]
    with pytest.raises(ConfigError, match="1 Mb/s is given twice"):
        link.at_uplinks([125000.0, 125000.0])


def test_figure_marks_the_cuts_that_did_not_run_on_an_integer_axis():
    from cimsim.plot.split import split_figure

    small = _small_memory()
    study = split_study(make_arch(name="edge", memory=small), make_arch(name="server"), tiny(), [LINK])
    top, bottom = split_figure(study).axes
    assert bottom.get_xlim() == (-0.5, 4.5)  # cuts 0..4
    assert all(float(t).is_integer() for t in bottom.get_xticks())
    assert "n/a (x): 4 of 5 cut(s) did not run on both configs" in bottom.get_xlabel()
    assert "1-4" in bottom.get_xlabel() and top.get_yscale() == "log"
    everything = split_study(make_arch(name="edge", memory=small), make_arch(name="server", memory=small),
                             tiny(), [LINK])
    assert "5 of 5" in split_figure(everything).axes[1].get_xlabel()  # no best to ring: no error


def test_the_halves_of_a_merge_keep_each_models_own_ops():
    # final read 22-2 1: each half kept the whole merge's metadata.models (kws: ops 0 to 3 of a half
    # of 1 op), so every interior cut of a merged workload failed. Merge p = tiny() (ops 0-3, its
    # y [1,10]) feeding q = one 10 x 8 GEMV (op 4): each half keeps its models' ops re-based to its
    # own, a model cut in two on both sides, and the edge q.x=p.y only where p.y is made and read
    from cimsim.workload.merge import merge_workloads
    from conftest import gemv_workload

    w = merge_workloads({"p": tiny(), "q": gemv_workload(10, 8, name="q")}, after=["q.x=p.y"])
    arch = make_arch()

    def models(h):
        return None if h is None else [(m["name"], m["first_op"], m["ops"], m["after"])
                                       for m in h.metadata.get("models", [])]
    want = {  # cut k: (edge's, server's) models as (name, first_op, ops, after)
        0: (None, [("p", 0, 4, []), ("q", 4, 1, ["p"])]),
        2: ([("p", 0, 2, [])], [("p", 0, 2, []), ("q", 2, 1, ["p"])]),
        4: ([("p", 0, 4, [])], [("q", 0, 1, [])]),
        5: ([("p", 0, 4, []), ("q", 4, 1, ["p"])], None),
    }
    for k, (edge, server) in want.items():
        halves = cut_workload(w, k)
        assert (models(halves[0]), models(halves[1])) == (edge, server)
    prefix, suffix = cut_workload(w, 2)
    assert prefix.metadata["edges"] == [] and suffix.metadata["edges"] == ["q.x=p.y"]
    for k in range(6):  # every cut runs, each model's op count its part
        for h in cut_workload(w, k):
            if h is not None:
                r = simulate(arch, h)
                assert sum(m["ops"] for m in r.models.values()) == len(h.ops)


def test_a_period_charges_the_edge_static_power_over_the_whole_frame_and_flags_slow_cuts():
    # (find-C 1) one frame every 2 s: the edge (1 W static) is on all the period
    edge = make_arch(name="edge")
    w = tiny()
    link = "name=radio,uplink=8kb/s,latency=100ms,tx_energy=8nJ/bit"  # 1000 B/s, 8 nJ a bit
    study = split_study(edge, edge, w, [link], period="0.5Hz")
    rows = {r["cut"]: r for r in study.rows}
    assert list(study.table().columns)[-5:] == ["period_s", "edge_period_energy_j", "edge_average_power_w",
                                                "sustains_period", "error"]
    # cut 0: x (400 B) at 1000 B/s + 100 ms = 0.5 s, TX 400 x 8 x 8 nJ = 25.6 uJ; the edge idles
    # at 1 W over the 2 s: 2 J + 25.6 uJ a frame, 1.0000128 W
    assert rows[0]["period_s"] == 2.0 and rows[0]["sustains_period"]
    assert rows[0]["edge_period_energy_j"] == pytest.approx(2.0 + 25.6e-6, rel=1e-12, abs=0)
    assert rows[0]["edge_average_power_w"] == pytest.approx((2.0 + 25.6e-6) / 2, rel=1e-12, abs=0)
    # edge only: its run's dynamic energy + 1 W x 2 s (its energy_j has 1 W x its latency)
    whole = simulate(edge, w)
    assert rows[4]["edge_period_energy_j"] == pytest.approx(whole.energy_j - 1.0 * whole.latency_s + 2.0,
                                                            rel=1e-12, abs=0)
    # without a period no period column, and the best for edge energy is the per-request one
    assert "period_s" not in split_study(edge, edge, w, [link]).table().columns
    # at 4 Hz (0.25 s) the 0.5 s uplink of cut 0 cannot keep up: too slow, NaN energy, and
    # the best for edge energy is among the cuts that do (the edge-only cut, nothing sent)
    fast = {r["cut"]: r for r in split_study(edge, edge, w, [link], period="4Hz").rows}
    assert not fast[0]["sustains_period"] and math.isnan(fast[0]["edge_period_energy_j"])
    assert fast[4]["sustains_period"] and fast[4]["best_edge_energy"]
    with pytest.raises(Exception, match="period"):
        split_study(edge, edge, w, [link], period="-1s")


def test_cut_bits_and_density_set_a_crossing_tensors_bytes_on_the_link():
    # (find-C 2) x is 100 fp32 elements (400 B); at 10 bits an element 1,000 bits = 125 B; as
    # 10 % nonzeros of 4 B each (AER events) 10 x 4 = 40 B; the other tensors as they were
    edge = make_arch(name="edge")
    w = tiny()
    raw10 = {r["cut"]: r for r in split_study(edge, edge, w, [LINK], cut_bits=["x=10"]).rows}
    assert raw10[0]["uplink_bytes"] == 125 and raw10[0]["cut_dtype"] == "own; x: 10 bits"
    assert raw10[0]["uplink_s"] == pytest.approx(125 / 1000 + 0.1, rel=1e-12, abs=0)
    assert raw10[0]["edge_radio_j"] == pytest.approx(1000 * 1e-9 + 40 * 8 * 0.5e-9, rel=1e-12, abs=0)
    assert raw10[2]["uplink_bytes"] == 400 and raw10[2]["cut_dtype"] == "own"  # h1 + h2, 2 x 50 fp32, as own
    events = split_study(edge, edge, w, [LINK], cut_density={"x": (0.1, "4B")}, cut_dtype="int8")
    assert events.rows[0]["uplink_bytes"] == 40  # before --cut-dtype (which would give 100 B)
    for bad, match in ((dict(cut_bits=["nosuch=8"]), "no tensor 'nosuch'"),
                       (dict(cut_bits=["x=0"]), "--cut-bits x=0: expected NAME=BITS"),
                       (dict(cut_density=["x=0.01"]), "give the bytes of one nonzero"),
                       (dict(cut_density=["x=2,4B"]), "a fraction of nonzeros in \\(0, 1\\]")):
        with pytest.raises(WorkloadError, match=match):
            split_study(edge, edge, w, [LINK], **bad)


def test_output_to_server_sends_the_edges_outputs_uplink_in_every_cut():
    # (find-C 5) the server consumes y (10 fp32 = 40 B): the edge-only cut sends it uplink,
    # 40 B / 1000 B/s + 100 ms = 0.14 s, and nothing comes back in any cut
    edge = make_arch(name="edge")
    w = tiny()
    rows = {r["cut"]: r for r in split_study(edge, edge, w, [LINK], output_to="server").rows}
    assert rows[4]["uplink_bytes"] == 40 and rows[4]["downlink_bytes"] == 0
    assert rows[4]["uplink_s"] == pytest.approx(0.14, rel=1e-12, abs=0)
    assert rows[4]["edge_radio_j"] == pytest.approx(40 * 8 * 1e-9, rel=1e-12, abs=0)
    whole = simulate(edge, w)
    assert rows[4]["total_latency_s"] == pytest.approx(whole.latency_s + 0.14, rel=1e-12, abs=0)
    # the edge waits for its radio only (1 W x 0.14 s), not for an answer it does not consume
    assert rows[4]["edge_wait_j"] == pytest.approx(0.14, rel=1e-12, abs=0)
    assert rows[2]["uplink_bytes"] == 400 and rows[2]["downlink_bytes"] == 0 and rows[2]["downlink_s"] == 0
    assert rows[2]["edge_wait_j"] == pytest.approx(1.0 * (400 / 1000 + 0.1), rel=1e-12, abs=0)
    default = {r["cut"]: r for r in split_study(edge, edge, w, [LINK]).rows}
    assert default[4]["uplink_bytes"] == 0 and default[2]["downlink_bytes"] == 40  # as before


def test_a_note_says_cut_0_sends_the_inputs_without_the_backing_store_read():
    # (find-C 4) x (100 fp32 = 400 B) is read from the edge's backing store by every edge half
    edge = make_arch(name="edge")
    study = split_study(edge, edge, tiny(), [LINK])
    level = edge.hardware.backing_store
    assert any(n.startswith(f"every cut with an edge half reads the model inputs (400 B: x) from the edge's "
                            f"backing store memory.{level}") and "cut 0 sends them without that read" in n
               for n in study.notes), study.notes


def test_output_to_server_sends_the_edges_outputs_by_the_cut_dtype_and_format_rules():
    # (review C 1) y is 10 fp32 (40 B): with --cut-dtype int8 the edge-only cut sends it at
    # 1 B an element, 10 B, 10 / 1000 B/s + 100 ms = 0.11 s, 10 x 8 x 1 nJ = 80 nJ TX; with
    # --cut-bits y=4, 10 x 4 bits = 5 B; cut_tensor_names names y, and no note says y crosses none
    edge = make_arch(name="edge")
    w = tiny()
    rows = {r["cut"]: r for r in split_study(edge, edge, w, [LINK], output_to="server", cut_dtype="int8").rows}
    assert rows[4]["uplink_bytes"] == 10 and rows[4]["cut_tensor_names"] == "y" and rows[4]["cut_tensors"] == 1
    assert rows[4]["uplink_s"] == pytest.approx(0.11, rel=1e-12, abs=0)
    assert rows[4]["edge_radio_j"] == pytest.approx(80e-9, rel=1e-12, abs=0)
    assert rows[2]["uplink_bytes"] == 100  # h1 + h2, 2 x 50 fp32 at int8, as before
    bits = split_study(edge, edge, w, [LINK], output_to="server", cut_bits=["y=4"])
    row = {r["cut"]: r for r in bits.rows}[4]
    assert row["uplink_bytes"] == 5 and row["cut_dtype"] == "own; y: 4 bits"
    assert not any("cross(es) none of the cuts" in n for n in bits.notes), bits.notes
    # where the edge consumes the output, y never crosses: the note stays
    assert any("y: cross(es) none of the cuts" in n
               for n in split_study(edge, edge, w, [LINK], cut_bits=["y=4"]).notes)


def test_a_refused_cut_has_no_sustains_period_and_best_says_no_cut_sustains_it():
    # (review C 3) a cut a half refused was never timed: sustains_period NaN, not False
    import dataclasses

    from cimsim.split.study import Half

    edge = make_arch(name="edge")
    study = split_study(edge, edge, tiny(), [LINK], period="0.5Hz")
    edges = list(study.edge)
    edges[2] = Half(math.nan, math.nan, None, "does not fit: test")
    rows = {r["cut"]: r for r in dataclasses.replace(study, edge=edges).rows}
    assert math.isnan(rows[2]["sustains_period"]) and rows[2]["error"] == "edge: does not fit: test"
    assert rows[0]["sustains_period"] is True
    # (review C 5) at 1 GHz every cut runs, none keeps up: best() says so, not "no cut ran"
    fast = split_study(edge, edge, tiny(), ["name=r,uplink=8kb/s,latency=100ms"], period="1GHz")
    assert all(r["error"] is None and r["sustains_period"] is False for r in fast.rows)
    with pytest.raises(ValueError, match=r"link 'r': no cut sustains the period \(1e-09 s: 5 cut\(s\) ran"):
        fast.best(by="edge_energy")
