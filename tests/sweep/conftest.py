"""Fixtures the sweep tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from cimsim.workload import Op, Tensor, Workload, save_workload


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> Path:
    """matmul -> matmul on 1 x 16 activations: a workload of two ops, quick on any engine."""
    tensors = [Tensor("x", (1, 16), "fp32", "input"), Tensor("w0", (16, 16), "fp32", "weight"),
               Tensor("h0", (1, 16), "fp32", "activation"), Tensor("w1", (16, 16), "fp32", "weight"),
               Tensor("h1", (1, 16), "fp32", "activation")]
    ops = [Op("mm0", "matmul", ("x", "w0"), ("h0",), m=1, k=16, n=16, weight="w0"),
           Op("mm1", "matmul", ("h0", "w1"), ("h1",), m=1, k=16, n=16, weight="w1")]
    path = tmp_path_factory.mktemp("wl") / "chain.json"
    save_workload(Workload("chain", tensors, ops), path)
    return path
