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


def cached(traced: bool = True) -> Workload:
    """One attention step over a resident K cache (128 x 64 fp32 = 32,768 B): x[1,64] -> q = x @
    Wq [1,64], k = x @ Wk [1,64]. ``traced``: a traced step, the cache named as Hugging Face
    names one (``past_key_values``, ``capture: aten``) and grown by a concatenation, Kc =
    cat(K, k) [129,64], s = q @ Kc^T [1,129], the model returning s (516 B) and Kc; else one
    built by hand, s = q @ K^T [1,128] read in place (the matmul's second operand), s 512 B."""
    k = "past_key_values[0]" if traced else "K"
    tensors = [Tensor("x", (1, 64), "fp32", "input"), Tensor("Wq", (64, 64), "fp32", "weight"),
               Tensor("Wk", (64, 64), "fp32", "weight"), Tensor(k, (128, 64), "fp32", "input"),
               Tensor("q", (1, 64), "fp32", "activation"), Tensor("k", (1, 64), "fp32", "activation")]
    ops = [Op("q_proj", "matmul", ("x", "Wq"), ("q",), m=1, k=64, n=64, weight="Wq"),
           Op("k_proj", "matmul", ("x", "Wk"), ("k",), m=1, k=64, n=64, weight="Wk")]
    if traced:
        tensors += [Tensor("Kc", (129, 64), "fp32", "activation"), Tensor("s", (1, 129), "fp32", "activation")]
        ops += [Op("cat", "copy", (k, "k"), ("Kc",)), Op("scores", "matmul", ("q", "Kc"), ("s",), m=1, k=64, n=129)]
        return Workload("cached", tensors, ops, metadata={"outputs": ["s", "Kc"], "capture": "aten"})
    tensors += [Tensor("s", (1, 128), "fp32", "activation"), Tensor("s2", (1, 128), "fp32", "activation")]
    ops += [Op("scores", "matmul", ("q", k), ("s",), m=1, k=64, n=128),
            Op("mix", "elementwise", ("s", "k"), ("s2",), fn="add")]
    return Workload("cached", tensors, ops)
