"""``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` on the meta device, run in the CPU kernel's schedule.

torch's native RNN (``aten/src/ATen/native/RNN.cpp``, with oneDNN off as the tracer runs it)
chooses its schedule by the input's device: on the CPU, ``FullLayer`` first projects the whole
sequence through ``weight_ih`` (one ``addmm`` of M = steps x batch per layer and direction), then
runs each step's ``weight_hh`` matmul on the precomputed input gates; on any other device
(``meta`` included) each step runs its own ``weight_ih`` matmul (M = batch). The same module
would trace to a different graph (an ``nn.LSTM(4, 40, 2)`` over 96 steps: 772 ops instead of 392,
about +50 % latency on ``cpu-ddr5``) only because it was built under ``torch.device("meta")``.

:func:`maybe_cpu_schedule` runs a dense (not packed) ``torch.lstm`` / ``gru`` / ``rnn_tanh`` /
``rnn_relu`` call on the meta device (meta tensors, or fake tensors faking it, as the zoo builds
them) as ``RNN.cpp``'s CPU path does, op for op (the same aten ops in the same order: the
recorder sees what a CPU-built model records). A call on another device runs as torch runs it
(fake tensors faking the CPU take the CPU path already); a packed sequence's call too (its steps
depend on the batch sizes' values).
"""

from __future__ import annotations

_NAMES = ("lstm", "gru", "rnn_tanh", "rnn_relu")  # the torch RNN functions taken over


def rnn_functions(torch) -> dict:
    """The torch functions :func:`maybe_cpu_schedule` takes over: function -> its name."""
    return {getattr(torch, n): n for n in _NAMES}


def maybe_cpu_schedule(torch, name: str, args, kwargs):
    """The result of ``torch.<name>(*args)`` run in the CPU schedule, or None where the call is
    not a dense call on meta tensors (the caller then runs it as given)."""
    if kwargs or len(args) != 9:
        return None
    x, hx, params = args[0], args[1], args[2]
    dense = isinstance(params, (list, tuple)) and (isinstance(hx, (list, tuple)) if name == "lstm"
                                                   else isinstance(hx, torch.Tensor))
    if not dense or not isinstance(x, torch.Tensor) or x.device.type != "meta":
        return None
    has_biases, num_layers, dropout_p, train, bidirectional, batch_first = args[3:9]
    hx = list(hx) if name == "lstm" else [hx]
    proj = name == "lstm" and hx[0].shape[-1] != hx[1].shape[-1]
    per = 2 + 2 * bool(has_biases) + proj
    cells = []
    for i in range(0, len(params), per):
        p = list(params[i:i + per])
        w_ih, w_hh = p[0], p[1]
        b_ih, b_hh = (p[2], p[3]) if has_biases else (None, None)
        cells.append((w_ih, w_hh, b_ih, b_hh, p[-1] if proj else None))
    return _run(torch, name, x, hx, cells, num_layers, dropout_p, train, bidirectional, batch_first)


def _cell(torch, name, gi, hidden, c):
    """One step on the precomputed input gates ``gi`` (``RNN.cpp``'s cells, pre_compute_input)."""
    F = torch.nn.functional
    _, w_hh, _, b_hh, w_hr = c
    if name == "lstm":
        h, cx = hidden
        gates = F.linear(h, w_hh, b_hh).add_(gi)
        i, f, g, o = gates.unsafe_chunk(4, 1)
        i, f, g, o = i.sigmoid_(), f.sigmoid_(), g.tanh_(), o.sigmoid_()
        cy = (f * cx).add_(i * g)
        hy = o * cy.tanh()
        if w_hr is not None:
            hy = torch.matmul(hy, w_hr.t())
        return hy, cy
    if name == "gru":
        ig = gi.unsafe_chunk(3, 1)
        hg = F.linear(hidden, w_hh, b_hh).unsafe_chunk(3, 1)
        reset = hg[0].add_(ig[0]).sigmoid_()
        inp = hg[1].add_(ig[1]).sigmoid_()
        new = ig[2].add(hg[2].mul_(reset)).tanh_()
        return (hidden - new).mul_(inp).add_(new)
    act = torch.tanh if name == "rnn_tanh" else torch.relu
    return act(F.linear(hidden, w_hh, b_hh).add_(gi))


def _direction(torch, name, x, hidden, c, reverse: bool):
    """One layer in one direction (``FullLayer`` on the CPU): the input projection over the
    whole sequence, then the steps; the step outputs stacked in time order, the final hidden."""
    steps = torch.nn.functional.linear(x, c[0], c[2]).unbind(0)
    outs = []
    for gi in (reversed(steps) if reverse else steps):
        hidden = _cell(torch, name, gi, hidden, c)
        outs.append(hidden[0] if name == "lstm" else hidden)
    if reverse:
        outs.reverse()
    return torch.stack(outs, 0), hidden


def _run(torch, name, x, hx, cells, num_layers, dropout_p, train, bidirectional, batch_first):
    """``RNN.cpp``'s ``lstm`` / ``ONE_HIDDEN_RNN`` on the CPU: ``apply_layer_stack`` of
    ``FullLayer`` (or ``FullBidirectionalLayer``), the final hiddens stacked."""
    x = x.transpose(0, 1) if batch_first else x
    if name == "lstm":
        hs, cs = hx[0].unbind(0), hx[1].unbind(0)
        hiddens = list(zip(hs, cs))
    else:
        hiddens = list(hx[0].unbind(0))
    dirs = 2 if bidirectional else 1
    finals = []
    for layer in range(num_layers):
        k = layer * dirs
        out, h = _direction(torch, name, x, hiddens[k], cells[k], False)
        finals.append(h)
        if bidirectional:
            rev, hr = _direction(torch, name, x, hiddens[k + 1], cells[k + 1], True)
            finals.append(hr)
            out = torch.cat([out, rev], out.dim() - 1)
        x = out
        if dropout_p != 0 and train and layer < num_layers - 1:
            x = torch.dropout(x, dropout_p, True)
    if name == "lstm":
        # ``make_tuple(outputs, stack(hy), stack(cy))``: GCC evaluates the arguments right to
        # left, so torch's CPU build stacks the cell states first
        cy = torch.stack([c for _, c in finals], 0)
        hy = torch.stack([h for h, _ in finals], 0)
        return (x.transpose(0, 1) if batch_first else x), hy, cy
    hy = torch.stack(finals, 0)
    if batch_first:
        x.transpose_(0, 1)
    return x, hy
