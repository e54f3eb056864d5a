"""A zoo model says what its tensors are where the user meets it (find-C 6): fake tensors by
default (a call returns fake outputs; timing it times fake dispatch), real with real_weights."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")


def test_a_fake_zoo_model_says_it_is_not_runnable_for_timing():
    from torch._subclasses.fake_tensor import FakeTensor

    from cimsim import zoo

    zm = zoo.build("resnet18", image=64, classes=10, cifar=False)
    assert isinstance(zm.args[0], FakeTensor) and zm.weights == "fake"
    text = repr(zm)
    assert text.startswith("ZooModel('resnet18', weights='fake': fake tensors: shapes only, no values")
    assert "real_weights=True" in text and "not the model" in text


def test_a_real_zoo_model_says_real():
    from cimsim import zoo

    zm = zoo.build("resnet18", real_weights=True, image=32, classes=10, cifar=True)
    assert not type(zm.args[0]).__name__.startswith("Fake") and zm.weights == "real"
    assert repr(zm) == "ZooModel('resnet18', weights='real': real tensors: random values on the CPU)"
