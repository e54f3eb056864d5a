"""A Monte-Carlo chip's random streams: what is fixed when the chip is programmed, apart from
what every read draws.

Chip i of ``seed`` has the 63-bit seed :func:`chip_seeds` gives (numpy's
``SeedSequence(seed).spawn``). Its per-read noise (``read_sigma``, ``adc_noise``) draws from one
``torch.Generator`` seeded with it, in the order the reads happen. Everything fixed at
programming time (stuck-at cells, programming variation, drift's per-cell ν) draws from
:class:`DeviceStreams`: one stream per (chip, weight, effect), spawned from the chip's seed and
a stable key naming the weight (its parameter's name and the view programmed, :func:`identity`;
not the op that reads it: one weight is one set of arrays, so a Linear reached through ``addmm``,
``mm`` and ``mv`` reads one chip) and the effect. So a chip's fault map depends on the seed and
the weight alone: not on whether read or ADC noise is on (which advances the read stream), nor
on the test set's size or batch, nor on the order the layers are first used, nor on which other
device effects are on (turning stuck-at on leaves the programming variation's draws where they
were). Stuck-at rates stay nested: one uniform u per cell, stuck-on where ``u < on`` and
stuck-off where ``u >= 1 - off``, so a cell stuck at 1 % is stuck at 2 %, and raising one rate
keeps every cell of the other kind.
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch


def chip_seeds(seed: int, chips: int) -> list[int]:
    """One independent 63-bit seed per Monte-Carlo chip of ``seed`` (numpy's
    ``SeedSequence(seed).spawn``): no two seeds share a chip, and chip i of a seed is the same
    whatever the number of chips."""
    return [int(c.generate_state(1, np.uint64)[0] >> 1)
            for c in np.random.SeedSequence(seed).spawn(chips)]


def _words(text: str) -> tuple[int, ...]:
    """Four 32-bit words of the SHA-256 of ``text``: a spawn key that is the same in every
    process (Python's ``hash`` of a string is salted per process)."""
    h = hashlib.sha256(text.encode()).digest()
    return tuple(int.from_bytes(h[i:i + 4], "little") for i in range(0, 16, 4))


class DeviceStreams:
    """The programming-time streams of one weight on one chip: :meth:`get` gives the stream of
    one effect (``stuck_at``, ``programming``, ``drift_nu``), a fresh generator each call, the
    same for the same (chip seed, key, effect) in any process."""

    def __init__(self, chip_seed: int, key: str):
        self.chip_seed, self.key = int(chip_seed), key

    def get(self, effect: str) -> torch.Generator:
        ss = np.random.SeedSequence(entropy=self.chip_seed, spawn_key=_words(f"{self.key}\0{effect}"))
        return torch.Generator().manual_seed(int(ss.generate_state(1, np.uint64)[0] >> 1))


def weight_names(model: torch.nn.Module) -> dict[int, str]:
    """Storage pointer -> name of what the emulator takes for a weight: the parameters and the
    floating-point (or int8) buffers; a storage shared by several names keeps the first."""
    names: dict[int, str] = {}
    for n, t in model.named_parameters():
        names.setdefault(t.untyped_storage().data_ptr(), n)
    for n, b in model.named_buffers():
        if b.is_floating_point() or b.dtype == torch.int8:
            names.setdefault(b.untyped_storage().data_ptr(), n)
    return names


def _view(t: torch.Tensor) -> str:
    return f"{t.storage_offset()}{tuple(t.shape)}{tuple(t.stride())}"


def identity(names, seen: dict, t: torch.Tensor, whole: torch.Tensor, op: str) -> str:
    """A stable key of the matrix ``t`` programmed from the weight ``whole``: the weight's name
    (from ``names``, a :func:`weight_names` dict; a weight it does not name, or a plain set of
    pointers, is named by the order it was first programmed, ``seen``) and the view programmed
    (storage offset, shape, stride: a transposed weight, a batched weight's slice, an LSTM's
    gate block). Not the aten op: every op that reads the same view of a weight (``addmm``,
    ``mm``, ``mv`` of one Linear) reads the same cells. Only where ``op`` had to copy the weight
    to lay it out (a channels-last convolution's weight, ``addbmm``'s left operand) is the
    copy's layout the op's, so the key is then the weight's view, the op and the copy's view."""
    ptr = whole.untyped_storage().data_ptr()
    name = names.get(ptr) if isinstance(names, dict) else None
    if name is None:
        name = seen.setdefault(ptr, f"#{len(seen)}")
    if t.untyped_storage().data_ptr() == ptr:
        return f"{name}:{_view(t)}"
    return f"{name}:{_view(whole)}:{op}:{_view(t)}"
