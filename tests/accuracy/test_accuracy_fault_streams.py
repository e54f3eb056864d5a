"""A chip's fault map is fixed by the seed and the weight, never by the reads before it
(find-F 1): stuck-at cells, programming variation and drift's ν each draw from the weight's own
stream (:mod:`cimsim.accuracy.chips`), apart from per-read noise."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from cimsim.accuracy import Arith, NonIdeal  # noqa: E402
from cimsim.accuracy.chips import DeviceStreams, chip_seeds, identity, weight_names  # noqa: E402
from cimsim.accuracy.emulator import Emulator, program  # noqa: E402
from cimsim.accuracy.nonideal import StuckAt  # noqa: E402
from cimsim.accuracy.run import CIMMode, _forward, evaluate, fused_kernels_off  # noqa: E402

pytestmark = pytest.mark.torch

#: R = 128 rows, 1-bit DAC, 2-bit cells: the worst partial sum 128 x 1 x 3 = 384 < 2^9 - 1, so a
#: 9-bit ADC at the `max` range has lsb = max(1, 384 / 511) = 1: every integer sum converts exactly
LOSSLESS = Arith(adc_bits=9)


class TwoBranch(torch.nn.Module):
    """y = fc(relu(a(x)) + relu(b(x))); ``b_first`` runs branch b first (the order the weights
    are first programmed in), which changes nothing a chip holds."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.a, self.b, self.fc = torch.nn.Linear(64, 48), torch.nn.Linear(64, 48), torch.nn.Linear(48, 10)
        self.b_first = False

    def forward(self, x):
        if self.b_first:
            hb = torch.relu(self.b(x))
            ha = torch.relu(self.a(x))
        else:
            ha = torch.relu(self.a(x))
            hb = torch.relu(self.b(x))
        return self.fc(ha + hb)


def _inputs(n: int = 40) -> torch.Tensor:
    return torch.rand(n, 64, generator=torch.Generator().manual_seed(1))


def _chip(model, x, ni: NonIdeal, arith: Arith = LOSSLESS, seed: int = 0):
    """One chip as evaluate() builds it: its outputs and each weight's programmed cells, by name."""
    names = weight_names(model)
    gen = torch.Generator().manual_seed(chip_seeds(seed, 1)[0])
    mode = CIMMode(Emulator(arith, ni, gen), names)
    with fused_kernels_off(), mode:
        y = _forward(model, x, None)
    # a programmed view's key (chips.identity): "name:offset(shape)(stride)"
    return y, {k.split(":")[0]: p.cells for k, p in mode.programmed.items()}


def test_read_noise_leaves_the_fault_map_alone():
    """Read noise 0 and 1e-12 of the cell range: the same stuck cells in every layer. Before,
    layer 1's read draws advanced the stream layer 2's faults came from: other cells."""
    model = torch.nn.Sequential(torch.nn.Linear(64, 48), torch.nn.ReLU(), torch.nn.Linear(48, 10)).eval()
    x = _inputs()
    stuck = StuckAt(on=0.02, off=0.01)
    y0, m0 = _chip(model, x, NonIdeal(stuck_at=stuck))
    y1, m1 = _chip(model, x, NonIdeal(stuck_at=stuck, read_sigma=1e-12))
    assert m0.keys() == m1.keys() == {"0.weight", "2.weight"}
    for k in m0:
        assert torch.equal(m0[k], m1[k]), k
    # the noise on one sum: sigma Lmax sqrt(sum x_slice^2) <= 1e-12 x 3 x sqrt(64) = 2.4e-11 LSB,
    # far under the 0.5 LSB a lossless ADC rounds away: the outputs are the same, bit for bit
    assert torch.equal(y0, y1)


def test_the_test_set_size_leaves_the_fault_map_alone():
    model = torch.nn.Sequential(torch.nn.Linear(64, 48), torch.nn.ReLU(), torch.nn.Linear(48, 10)).eval()
    ni = NonIdeal(stuck_at=StuckAt(on=0.02), programming_sigma=0.05, read_sigma=1e-3, adc_noise=0.5)
    _, few = _chip(model, _inputs(5), ni)
    _, many = _chip(model, _inputs(50), ni)
    for k in few:
        assert torch.equal(few[k], many[k]), k


def test_layer_order_leaves_the_fault_map_alone():
    """Faults belong to the weight's name, not to the order the layers are first used in
    (before, with no noise at all, branch a's faults went to branch b when b ran first)."""
    model = TwoBranch().eval()
    x = _inputs()
    ni = NonIdeal(stuck_at=StuckAt(on=0.05))
    _, ab = _chip(model, x, ni, Arith())
    model.b_first = True
    _, ba = _chip(model, x, ni, Arith())
    assert ab.keys() == ba.keys() == {"a.weight", "b.weight", "fc.weight"}
    for k in ab:
        assert torch.equal(ab[k], ba[k]), k
    assert not torch.equal(ab["a.weight"], ab["b.weight"])   # two weights, two fault maps


def test_each_effect_draws_its_own_stream():
    """Turning stuck-at on leaves the programming variation of every other cell where it was;
    stuck maps stay nested across rates (u < p over the same uniforms)."""
    model = torch.nn.Sequential(torch.nn.Linear(64, 48), torch.nn.ReLU(), torch.nn.Linear(48, 10)).eval()
    x = _inputs(4)
    _, var = _chip(model, x, NonIdeal(programming_sigma=0.05))
    _, both = _chip(model, x, NonIdeal(programming_sigma=0.05, stuck_at=StuckAt(on=0.02)))
    _, lo = _chip(model, x, NonIdeal(stuck_at=StuckAt(on=0.01)))
    _, hi = _chip(model, x, NonIdeal(stuck_at=StuckAt(on=0.02)))
    _, ideal = _chip(model, x, NonIdeal(read_sigma=1e-12))   # the target levels, no device effect
    for k in var:
        stuck = both[k] != var[k]
        # a cell differs only where it is stuck (level 3): 2 % of cells, not all of them
        assert bool((both[k][stuck] == 3).all())
        assert 0.005 < float(stuck.double().mean()) < 0.035
        lo_stuck, hi_stuck = lo[k] != ideal[k], hi[k] != ideal[k]
        assert bool((hi_stuck | ~lo_stuck).all())             # stuck at 1 % => stuck at 2 %


def _stuck(on: float, off: float, w: torch.Tensor):
    """Which cells of ``w`` (2-bit cells, Lmax = 3) read stuck-on and stuck-off on chip 5, as
    level Lmax or 0 where the target is another level, and the ideal (target) levels."""
    ideal = program(w, Arith(), NonIdeal(read_sigma=1e-12), DeviceStreams(5, "w")).cells
    c = program(w, Arith(), NonIdeal(stuck_at=StuckAt(on=on, off=off)), DeviceStreams(5, "w")).cells
    return (c != ideal) & (c == 3), (c != ideal) & (c == 0), ideal


def test_stuck_rates_stay_nested_each_way():
    """One uniform per cell: stuck-on u < on, stuck-off u >= 1 - off. Raising one rate adds
    cells of its kind and keeps every cell of the other (review D 3: stuck-off was on <= u <
    on + off, so on 1 % -> 2 % at off 1 % moved all 461 stuck-off cells of a 128 x 128 weight)."""
    w = torch.randn(128, 128, generator=torch.Generator().manual_seed(0))
    on1, off1, ideal = _stuck(0.01, 0.01, w)
    on2, off_same, _ = _stuck(0.02, 0.01, w)
    on_same, off2, _ = _stuck(0.01, 0.02, w)
    assert torch.equal(off_same, off1) and torch.equal(on_same, on1)   # the other kind kept
    assert bool((on2 | ~on1).all()) and bool((off2 | ~off1).all())     # nested in its own rate
    # a stuck cell shows where its target differs: E[stuck-on seen] = p_on x #(target != 3),
    # E[stuck-off seen] = p_off x #(target != 0); each within 4 binomial sigma
    for seen, p, n in ((on1, 0.01, int((ideal != 3).sum())), (on2, 0.02, int((ideal != 3).sum())),
                       (off1, 0.01, int((ideal != 0).sum())), (off2, 0.02, int((ideal != 0).sum()))):
        assert abs(int(seen.sum()) - p * n) < 4 * (n * p * (1 - p)) ** 0.5
    # on + off = 1 (0.1 + 0.9): every cell is stuck, at 3 or at 0, about 10 % of them at 3
    c = program(w, Arith(), NonIdeal(stuck_at=StuckAt(on=0.1, off=0.9)), DeviceStreams(5, "w")).cells
    assert bool(((c == 3) | (c == 0)).all())
    n = c.numel()
    assert abs(int((c == 3).sum()) - 0.1 * n) < 4 * (n * 0.1 * 0.9) ** 0.5


class OneLinear(torch.nn.Module):
    """One Linear read by three aten ops: ``addmm`` (a batch), ``mm`` (``x @ W.t()``) and
    ``mv`` (``W @ v``), each reading the same transposed view of the weight."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.l = torch.nn.Linear(16, 16)

    def forward(self, x):
        w = self.l.weight
        return torch.cat([self.l(x), x @ w.t(), (w @ x[0]).unsqueeze(0)])


def test_one_weight_is_one_chip_whatever_op_reads_it():
    """A weight is one set of arrays: addmm, mm and mv over one view of it program it once and
    read the same cells (review D 7: the key held the aten op, three fault maps for one Linear)."""
    model, x = OneLinear().eval(), torch.rand(8, 16, generator=torch.Generator().manual_seed(1))
    names = weight_names(model)
    gen = torch.Generator().manual_seed(chip_seeds(0, 1)[0])
    mode = CIMMode(Emulator(Arith(), NonIdeal(stuck_at=StuckAt(on=0.05)), gen), names)
    with fused_kernels_off(), mode:
        y = _forward(model, x, None)
    assert mode.emulated == {"addmm": 1, "mm": 1, "mv": 1}
    assert list(mode.programmed) == ["l.weight:0(16, 16)(1, 16)"]
    # one chip, inputs scaled per row: mm and mv give addmm's rows less the bias
    b = model.l.bias.detach()
    assert torch.allclose(y[8:16], y[:8] - b, rtol=0, atol=1e-5)
    assert torch.allclose(y[16], y[0] - b, rtol=0, atol=1e-5)


def test_the_key_holds_the_op_only_for_a_copy():
    """The key is the weight's name and the view programmed; an op that must copy the weight to
    lay it out (a channels-last conv weight reshaped to O x CK) adds its name and the weight's view."""
    w = torch.zeros(16, 16)
    names = {w.untyped_storage().data_ptr(): "w"}
    assert identity(names, {}, w.t(), w, "addmm") == identity(names, {}, w.t(), w.t(), "mm") \
        == "w:0(16, 16)(1, 16)"
    cw = torch.zeros(4, 2, 3, 3).to(memory_format=torch.channels_last)   # strides (18, 1, 6, 2)
    names = {cw.untyped_storage().data_ptr(): "c"}
    assert identity(names, {}, cw.reshape(4, -1).t(), cw, "conv") == \
        "c:0(4, 2, 3, 3)(18, 1, 6, 2):conv:0(18, 4)(1, 18)"


def test_device_streams_are_seedsequence_children():
    """The stream of (chip seed, key, effect): numpy's SeedSequence(chip seed, spawn_key = the
    first four little-endian 32-bit words of SHA-256(key NUL effect)), the same in any process."""
    import hashlib

    key = "0.weight:0(64, 48)(1, 64)"
    h = hashlib.sha256(key.encode() + b"\0stuck_at").digest()
    words = tuple(int.from_bytes(h[i:i + 4], "little") for i in range(0, 16, 4))
    seed = int(np.random.SeedSequence(entropy=7, spawn_key=words).generate_state(1, np.uint64)[0] >> 1)
    assert DeviceStreams(7, key).get("stuck_at").initial_seed() == seed
    assert DeviceStreams(7, key).get("programming").initial_seed() != seed


def test_evaluate_tiny_read_noise_is_the_same_chip():
    """End to end, 3 chips: read noise 1e-12 scores each chip as read noise 0 does (lossless ADC:
    the noise rounds away), where before chips 0-2 had other faults in layer 2 (F 1: 3.2 dB)."""
    model = torch.nn.Sequential(torch.nn.Linear(64, 48), torch.nn.ReLU(), torch.nn.Linear(48, 10)).eval()
    x = _inputs(60)
    runs = [evaluate(model, x, None, LOSSLESS, nonideal=NonIdeal(stuck_at=StuckAt(on=0.02), read_sigma=rs,
                                                                  repeats=3)).per_repeat
            for rs in (0.0, 1e-12)]
    assert [m["output_snr_db"] for m in runs[0]] == [m["output_snr_db"] for m in runs[1]]
    assert len({m["output_snr_db"] for m in runs[0]}) == 3   # three different chips
