"""A user-written LSTM: an nn.LSTMCell stepped in a Python loop over time.

Trace it with::

    cimsim trace examples/lstmcell_loop.py:factory -o loop.json

(not into workloads/: every JSON there is a bundled workload, which `cimsim compare` runs and
the regression test expects to find in its reference)
"""

import torch
from torch import nn

INPUT_SIZE, HIDDEN, STEPS, BATCH, CLASSES = 32, 64, 12, 2, 10


class LSTMCellLoop(nn.Module):
    """Encode a (batch, steps, input) sequence with an LSTMCell, classify the last state."""

    def __init__(self, input_size: int = INPUT_SIZE, hidden: int = HIDDEN, classes: int = CLASSES):
        super().__init__()
        self.hidden = hidden
        self.cell = nn.LSTMCell(input_size, hidden)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        batch, steps, _ = x.shape
        h = torch.zeros(batch, self.hidden)
        c = torch.zeros(batch, self.hidden)
        for t in range(steps):
            h, c = self.cell(x[:, t], (h, c))
        return self.head(h)


def factory():
    torch.manual_seed(0)
    return LSTMCellLoop().eval(), (torch.randn(BATCH, STEPS, INPUT_SIZE),)
