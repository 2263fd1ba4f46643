"""``Dropout``: randomly zero activations while training (Srivastava et al. 2014).

Each entry is dropped with probability p and the survivors are scaled by 1 / (1 - p) ("inverted"
dropout), so the expected activation is unchanged and ``eval()`` simply turns dropout off.
"""
from __future__ import annotations

from .. import functional as F
from .module import Module


class Dropout(Module):
    """``Dropout(p=0.5)``: active in training mode only; the mask comes from minigan's seeded generator."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
