"""A chip's fault map is fixed by the seed and the weight, never by the reads before it
(find-F 1): stuck-at cells, programming variation and drift's ν each draw from the weight's own
stream (:mod:`cimsim.accuracy.chips`), apart from per-read noise."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from cimsim.accuracy import Arith, NonIdeal  # noqa: E402
from cimsim.accuracy.chips import DeviceStreams, chip_seeds, weight_names  # noqa: E402
from cimsim.accuracy.emulator import Emulator  # noqa: E402
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
    # a programmed view's key: (its storage, offset, shape, stride, op, the weight's own key)
    return y, {names[k[5][0]]: p.cells for k, p in mode.programmed.items()}


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


def test_device_streams_are_seedsequence_children():
    """The stream of (chip seed, key, effect): numpy's SeedSequence(chip seed, spawn_key = the
    first four little-endian 32-bit words of SHA-256(key NUL effect)), the same in any process."""
    import hashlib

    h = hashlib.sha256(b"mm:0.weight\0stuck_at").digest()
    words = tuple(int.from_bytes(h[i:i + 4], "little") for i in range(0, 16, 4))
    seed = int(np.random.SeedSequence(entropy=7, spawn_key=words).generate_state(1, np.uint64)[0] >> 1)
    assert DeviceStreams(7, "mm:0.weight").get("stuck_at").initial_seed() == seed
    assert DeviceStreams(7, "mm:0.weight").get("programming").initial_seed() != seed


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
