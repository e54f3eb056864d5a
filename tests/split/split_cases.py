"""The tiny hand-made workload the split tests cut (tests/split/test_split.py, the CLI's)."""

from cimsim.workload import Op, Tensor, Workload


def tiny() -> Workload:
    """x[1,100] -> a: h1 = x @ W1 [1,50] -> b: h2 = relu(h1) -> c: h3 = h2 + h1 -> d: y = h3 @ W2
    [1,10]; fp32 throughout (4 B an element)."""
    return Workload("tiny", [
        Tensor("x", (1, 100), "fp32", "input"), Tensor("W1", (100, 50), "fp32", "weight"),
        Tensor("h1", (1, 50), "fp32", "activation"), Tensor("h2", (1, 50), "fp32", "activation"),
        Tensor("h3", (1, 50), "fp32", "activation"), Tensor("W2", (50, 10), "fp32", "weight"),
        Tensor("y", (1, 10), "fp32", "activation"),
    ], [
        Op("a", "matmul", ("x", "W1"), ("h1",), m=1, k=100, n=50, weight="W1"),
        Op("b", "elementwise", ("h1",), ("h2",), fn="relu"),
        Op("c", "elementwise", ("h2", "h1"), ("h3",), fn="add"),
        Op("d", "matmul", ("h3", "W2"), ("y",), m=1, k=50, n=10, weight="W2"),
    ])
