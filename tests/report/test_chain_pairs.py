"""Serial steps through fused ops that keep two states (find-X 1): a fused op states its chain
per input and output pair (tag ``chain_io``, ``None`` where the output does not depend on the
input), so an xLSTM-like step whose stabiliser m reaches the memory c (6 ops) while c never
reaches m counts 2 a step along the m chain, not the 6 from m plus the 6 into c. The dependency
path never exceeds the graph depth. Golden values are closed forms written in each test."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cimsim import simulate
from cimsim.cli import main
from cimsim.workload.io import save_workload
from conftest import make_arch

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def _steps(model, args, configs=("cpu-ddr5", "sram-cim")):
    """``(dependency path steps per config, graph depth steps)``, checking the invariant."""
    from cimsim.config import load_architecture
    from cimsim.workload.trace import trace

    w = trace(model, args)
    paths, depth = [], None
    for c in configs:
        r = simulate(load_architecture(c) if c else make_arch(), w, engine="analytic")
        assert r.critical_path_serial_steps <= r.graph_depth_serial_steps, c
        paths.append(r.critical_path_serial_steps)
        depth = r.graph_depth_serial_steps
    return paths, depth


class OneState(torch.nn.Module):
    """h = h * a[t] + x[t] (mul, add), y[t] = W h (a matmul splitting the loop per step)."""

    def __init__(self, H=8, readout=True):
        super().__init__()
        self.W, self.readout = torch.nn.Linear(H, H, bias=False), readout

    def forward(self, x, a, b):
        h, ys = x.new_zeros(x.shape[1]), []
        for t in range(x.shape[0]):
            h = h * a[t] + x[t]
            if self.readout:
                ys.append(self.W(h))
        return torch.stack(ys) if self.readout else h


class TwoState(OneState):
    """The tester's model: m = max(m + a[t], b[t]) (2 ops from m), c = c * exp(m - 1) + x[t]
    (2 from c; 6 from the previous m: add, max, sub, exp, mul, add); y[t] = W (c * c)."""

    def forward(self, x, a, b):
        m, c, ys = x.new_zeros(x.shape[1]), x.new_zeros(x.shape[1]), []
        for t in range(x.shape[0]):
            m = torch.maximum(m + a[t], b[t])
            c = c * torch.exp(m - 1.0) + x[t]
            if self.readout:
                ys.append(self.W(c * c))
        return torch.stack(ys) if self.readout else c


def _args(T, H=8):
    return tuple(torch.randn(T, H) for _ in range(3))


@pytest.mark.parametrize("T", [8, 16])
def test_a_one_state_recurrence_is_two_steps_a_token(T):
    """T x (mul, add), then the last step's readout matmul and the stack: 2 T + 2."""
    paths, depth = _steps(OneState(), _args(T))
    assert paths == [2 * T + 2] * 2 and depth == 2 * T + 2


@pytest.mark.parametrize("T", [16, 32])
def test_a_two_state_recurrence_with_a_readout_is_two_steps_a_token(T):
    """The m chain over the first T - 1 steps (2 each), the last step from m to c * c (add, max,
    sub, exp, mul, add, mul: 7), the readout matmul and the stack (2): 2 T + 7 = 39 at T = 16, 71
    at T = 32 (before: 99 / 195 on the path, 68 / 132 in the graph depth)."""
    paths, depth = _steps(TwoState(), _args(T))
    assert paths == [2 * T + 7] * 2 and depth == 2 * T + 7


def test_a_two_state_loop_fused_whole_is_two_steps_a_token():
    """No per-step readout: the loop is one fused op; 2 (T - 1) along m, 6 from m to the last c:
    2 T + 4."""
    T = 16
    paths, depth = _steps(TwoState(readout=False), _args(T))
    assert paths == [2 * T + 4] * 2 and depth == 2 * T + 4


class MLSTMLike(torch.nn.Module):
    """A stabilised mLSTM cell: lf = logf[t] + m; m' = max(lf, logi[t]); f = exp(lf - m');
    i = exp(logi[t] - m'); C = f * C + i * (k v^T); h[t] = C q[t] (a bmm readout splitting the
    loop). From m to m' 2 ops; from m to C add, max, sub, exp, mul, add = 6; from C to C 2."""

    def forward(self, logf, logi, k, v, q):
        T, H = k.shape
        m, C, hs = logf.new_zeros(1), k.new_zeros(H, H), []
        for t in range(T):
            lf = logf[t] + m
            m_new = torch.maximum(lf, logi[t])
            f, i = torch.exp(lf - m_new), torch.exp(logi[t] - m_new)
            C = f * C + i * (k[t].unsqueeze(1) * v[t].unsqueeze(0))
            m = m_new
            hs.append(C @ q[t])
        return torch.stack(hs)


@pytest.mark.parametrize("T", [8, 16])
def test_an_mlstm_like_cell_is_two_steps_a_token(T):
    """2 (T - 1) along m, 6 from the last m to C, the readout matvec and the stack: 2 T + 6."""
    H = 8
    args = (torch.randn(T, 1), torch.randn(T, 1), torch.randn(T, H), torch.randn(T, H), torch.randn(T, H))
    paths, depth = _steps(MLSTMLike(), args)
    assert paths == [2 * T + 6] * 2 and depth == 2 * T + 6


def test_nn_lstm_keeps_its_closed_form():
    """A bias-free nn.LSTM, L layers over T steps: per layer the input projection, then T x
    (recurrent matmul + the cell's 6 dependent ops): L (1 + 7 T) = 72 at L = 2, T = 5."""
    L, T = 2, 5
    model = torch.nn.LSTM(8, 8, num_layers=L, bias=False)
    paths, depth = _steps(model, (torch.randn(T, 1, 8),))
    assert paths == [L * (1 + 7 * T)] * 2 and depth == L * (1 + 7 * T)


def test_the_fused_step_states_which_outputs_each_input_reaches():
    """The two-state step's chain_io: c never reaches m (None); m reaches m in 2, c in 6."""
    from cimsim.workload.trace import trace

    w = trace(TwoState(), _args(2))
    op = next(o for o in w.ops if "chain_io" in o.tags)
    io = {(a, b): x for a, row in zip(op.inputs, op.tags["chain_io"]) for b, x in zip(op.outputs, row)}
    m_in, c_in = op.inputs[0], op.inputs[3]  # const m0, const c0 of the first step
    m_out, c_out = op.outputs[0], op.outputs[1]
    assert (io[m_in, m_out], io[m_in, c_out], io[c_in, c_out], io[c_in, m_out]) == (2, 6, 2, None)


def test_a_bad_chain_io_is_one_line_naming_the_op_and_the_tag(tmp_path):
    from cimsim.workload.trace import trace

    w = trace(TwoState(), _args(2))
    path = tmp_path / "w.json"
    save_workload(w, path)
    raw = json.loads(path.read_text())
    op = next(o for o in raw["ops"] if "chain_io" in o["tags"])
    op["tags"]["chain_io"] = [[1, -2]]
    path.write_text(json.dumps(raw))
    res = CliRunner().invoke(main, ["run", "cpu-ddr5", str(path)])
    assert res.exit_code != 0 and "Traceback" not in res.output
    line = res.output.strip().splitlines()[-1]
    assert f"op '{op['name']}'" in line and "chain_io = [[1, -2]]" in line and "null" in line


class Side(torch.nn.Module):
    """review20-C 1: a loop h = a[t] * h + x[t] fused whole, writing z = 2 h_1 (3 ops deep:
    mul, add, mul) beside the final h (2T deep); only z feeds three matmuls."""

    def __init__(self, H=16):
        super().__init__()
        self.W = torch.nn.Sequential(*[torch.nn.Linear(H, H, bias=False) for _ in range(3)])

    def forward(self, x, a):
        h, z = x.new_zeros(x.shape[1]), None
        for t in range(x.shape[0]):
            h = a[t] * h + x[t]
            if t == 0:
                z = h * 2.0
        return self.W(z), h


def test_a_chain_leaving_the_path_is_not_the_path_s():
    """The path fused -> W.0 -> W.1 -> W.2 leaves the loop by z: 3 + 3 = 6 steps (128 before this
    fix, the dead-end h chain); the graph depth is that h chain, 2 T = 32."""
    T = 16
    paths, depth = _steps(Side(), (torch.randn(T, 16), torch.randn(T, 16)))
    assert paths == [3 + 3] * 2 and depth == 2 * T


def _two_state_group(T):
    """A two-state loop's members by hand, per step: m = max(m + a[t], b[t]) (add, max), c = c *
    exp(m - 1) + x[t] (sub, exp, mul, add); each step's m and c an output."""
    from cimsim.workload.ir import Op

    ops, m, c = [], "m0", "c0"
    for t in range(1, T + 1):
        ops += [Op(f"s{t}", "elementwise", (m, f"a{t}"), (f"s{t}",), fn="add"),
                Op(f"m{t}", "elementwise", (f"s{t}", f"b{t}"), (f"m{t}",), fn="maximum"),
                Op(f"d{t}", "elementwise", (f"m{t}",), (f"d{t}",), fn="sub"),
                Op(f"e{t}", "elementwise", (f"d{t}",), (f"e{t}",), fn="exp"),
                Op(f"p{t}", "elementwise", (c, f"e{t}"), (f"p{t}",), fn="mul"),
                Op(f"c{t}", "elementwise", (f"p{t}", f"x{t}"), (f"c{t}",), fn="add")]
        m, c = f"m{t}", f"c{t}"
    return ops, ["m0", "c0"], [f"{s}{t}" for t in range(1, T + 1) for s in "mc"]


@pytest.mark.parametrize("backward", [False, True])
def test_chain_io_forward_and_backward_give_the_closed_form(backward):
    """m0 -> m_t 2 t, m0 -> c_t 2 (t - 1) + 6, c0 -> c_t 2 t, c0 -> m_t none; the pass run from
    the inputs or from the outputs (the smaller side) gives the same."""
    from cimsim.workload.trace.fuse import chain_io

    T = 4
    members, ins, outs = _two_state_group(T)
    io = chain_io(members, ins, outs, backward=backward)
    want_m = [x for t in range(1, T + 1) for x in (2 * t, 2 * (t - 1) + 6)]
    want_c = [x for t in range(1, T + 1) for x in (None, 2 * t)]
    assert io == [want_m, want_c]


def test_chain_io_is_skipped_for_one_output_and_bounded_before_the_pass():
    """One output: chain_in is each pair, no pass. 128 steps each 128 adds deep, reading a[t] and
    writing y[t]: 16,512 pairs, over 16,384; 127 x 127: 16,256 pairs, but 16,129 member pairs x
    127 = 2,048,383 of work, under 2 ** 21 = 2,097,152, so computed (shown at 12 x 12: h0 reaches
    the last output through all 144 adds, a[11] through its step's 12)."""
    from cimsim.workload.ir import Op
    from cimsim.workload.trace.fuse import chain_io, chain_io_over

    members, ins, outs = _two_state_group(3)
    assert chain_io(members, ins, outs[-1:]) is None

    def deep(n):
        ops, h = [], "h0"
        for t in range(n):
            for j in range(n):
                ops.append(Op(f"h{t}_{j}", "elementwise", (h, f"a{t}") if j == 0 else (h,), (f"h{t}_{j}",), fn="add"))
                h = f"h{t}_{j}"
        return ops, ["h0", *(f"a{t}" for t in range(n))], [f"h{t}_{n - 1}" for t in range(n)]

    assert chain_io_over(*deep(128))
    assert not chain_io_over(*deep(127))
    io = chain_io(*deep(12))
    assert io[0][11] == 12 * 12 and io[12][11] == 12  # h0 through every op; a[11] its step


class TwoPerStep(torch.nn.Module):
    """m = 0.9 m + a[t] (mul, add), c = c * exp(m) + x[t], y[t] = c: fused whole, 2 T + 1 inputs
    (a[t], x[t], the constant m0 / c0 once: T + T + 1) and T outputs."""

    def forward(self, x, a):
        m, c, ys = x.new_zeros(x.shape[1]), x.new_zeros(x.shape[1]), []
        for t in range(x.shape[0]):
            m = m * 0.9 + a[t]
            c = c * torch.exp(m) + x[t]
            ys.append(c)
        return torch.stack(ys)


@pytest.mark.parametrize("T,pairs", [(90, None), (91, (2 * 91 + 2) * 91)])
def test_a_run_says_when_a_fused_op_counts_the_bound(T, pairs):
    """T = 90: 182 x 90 = 16,380 pairs, chain_io stated, no note; T = 91: 184 x 91 = 16,744 pairs
    (one more input: the loop's two constants), over 16,384: tag chain_io_omitted and a run
    note naming the op."""
    from cimsim.config import load_architecture
    from cimsim.workload.trace import trace

    w = trace(TwoPerStep(), (torch.randn(T, 4), torch.randn(T, 4)))
    op = next(o for o in w.ops if o.kind == "elementwise")
    r = simulate(load_architecture("cpu-ddr5"), w, engine="analytic")
    notes = [n for n in r.notes if "chain_io" in n]
    assert op.tags.get("chain_io_omitted") == pairs and ("chain_io" in op.tags) == (pairs is None)
    assert notes == [] if pairs is None else (len(notes) == 1 and f"1 fused op with several inputs and outputs "
                                             f"({op.name}) states no chain_io (over 16,384" in notes[0])


def test_a_file_traced_before_chain_io_says_it_counts_the_bound(tmp_path):
    """A two-state T = 4 trace written as before 2026-12-07 (no chain_io, no metadata
    chain_rule): its 3 fused steps with several inputs and outputs are named in a note, and
    count min(chain_in, chain_out); traced now, no note."""
    from cimsim.config import load_architecture
    from cimsim.workload.io import load_workload
    from cimsim.workload.trace import trace

    w = trace(TwoState(), _args(4))
    path = tmp_path / "w.json"
    save_workload(w, path)
    raw = json.loads(path.read_text())
    old = [o["name"] for o in raw["ops"] if o["tags"].pop("chain_io", None) is not None]
    del raw["metadata"]["chain_rule"]
    path.write_text(json.dumps(raw))
    arch = load_architecture("cpu-ddr5")
    notes = [n for n in simulate(arch, load_workload(path), engine="analytic").notes if "chain_io" in n]
    assert len(old) == 3 and len(notes) == 1
    assert notes[0].startswith(f"3 fused ops with several inputs and outputs ({', '.join(old)}) state no "
                               "chain_io (traced before 2026-12-07")
    assert not [n for n in simulate(arch, w, engine="analytic").notes if "chain_io" in n]


def test_a_batched_serving_op_merges_the_requests_chains_pair_by_pair():
    """zoo/serve.py's merge of a template op over two requests (m and c one tensor per request,
    a[t], b[t], x[t] and the outputs' c * c one for both), from the traced two-state step's pairs
    (m -> m 2, m -> c 6, m -> c * c 7, b -> m 1, c -> c 2, c -> c * c 3, x -> c 1, c -> m none):
    a request's own m or c reaches its own outputs only."""
    from cimsim.workload.trace import trace
    from cimsim.zoo.serve import merged_chains

    op = next(o for o in trace(TwoState(), _args(2)).ops if "chain_io" in o.tags)
    assert op.inputs[0] == "const0" and op.inputs[3] == "const1"  # m0, c0
    got = merged_chains(dict(op.tags), [[10, 11], [30], [31], [20, 21], [32]], [[40, 41], [50, 51], [60]])
    n = None
    assert got["chain_io"] == [[2, n, 6, n, 7], [n, 2, n, 6, 7], [2, 2, 6, 6, 7], [1, 1, 5, 5, 6],
                               [n, n, 2, n, 3], [n, n, n, 2, 3], [n, n, 1, 1, 2]]
    assert got["chain_in"] == [7, 7, 7, 6, 3, 3, 2] and got["chain_out"] == [2, 2, 6, 6, 7]
    many = merged_chains(dict(op.tags), [list(range(100, 230)), [30], [31], [20], [32]],
                         [list(range(300, 430)), [50], [60]])  # 134 x 132 = 17,688 pairs
    assert "chain_io" not in many and many["chain_io_omitted"] == 134 * 132


# ---- invariants over traced recurrences whose fused ops state chain tags (review20-C 3)

def _traced(name):
    from cimsim.workload.trace import trace
    from cimsim.zoo.registry import trace_zoo

    torch.manual_seed(0)
    return {
        "two-state": lambda: trace(TwoState(), _args(8)),
        "two-state-whole": lambda: trace(TwoState(readout=False), _args(8)),
        "mlstm": lambda: trace(MLSTMLike(), (torch.randn(6, 1), torch.randn(6, 1), *(torch.randn(6, 8) for _ in range(3)))),
        "side": lambda: trace(Side(), (torch.randn(8, 16), torch.randn(8, 16))),
        "bound": lambda: trace(TwoPerStep(), (torch.randn(91, 2), torch.randn(91, 2))),
        "nn-lstm": lambda: trace(torch.nn.LSTM(8, 8, num_layers=2), (torch.randn(4, 1, 8),)),
        "zoo-lstm": lambda: trace_zoo("lstm", input_size=16, hidden=16, steps=4),
        "zoo-gru": lambda: trace_zoo("gru", input_size=16, hidden=16, steps=4),
    }[name]()


_TRACED: dict = {}


@pytest.mark.parametrize("engine", ["analytic", "des"])
@pytest.mark.parametrize("config", ["cpu-ddr5", "sram-cim"])
@pytest.mark.parametrize("name", ["two-state", "two-state-whole", "mlstm", "side", "bound", "nn-lstm",
                                  "zoo-lstm", "zoo-gru"])
def test_the_dependency_path_stays_within_its_ops_and_the_graph_depth(name, config, engine):
    """critical_path_ops <= critical_path_serial_steps <= the path ops' largest chains summed,
    and <= graph_depth_serial_steps, on workloads whose fused ops state chain tags."""
    from cimsim.config import load_architecture

    w = _TRACED.get(name) or _TRACED.setdefault(name, _traced(name))
    tagged = [o for o in w.ops if "chain_in" in o.tags or "chain_out" in o.tags]
    assert tagged  # the invariant runs on fused ops stating chains
    r = simulate(load_architecture(config), w, engine=engine)
    index = {n: i for i, n in enumerate(w.columns.op_names)}

    def largest(op):
        stated = [op.tags.get("chain_ops", 1), *op.tags.get("chain_in", ()), *op.tags.get("chain_out", ()),
                  *(x for row in op.tags.get("chain_io", ()) for x in row if x is not None)]
        return max(1, -(-max(stated) // 1))

    most = sum(largest(w.ops[index[n]]) for n in r.critical_path_op_names)
    assert r.critical_path_ops <= r.critical_path_serial_steps <= most
    assert r.critical_path_serial_steps <= r.graph_depth_serial_steps
    assert r.critical_path_ops <= r.graph_depth_ops
