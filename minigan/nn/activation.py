"""Activation functions as modules, so they can sit in a ``Sequential``.

Each one calls its function from ``minigan.functional``, where the formulas and their derivatives
are documented. ``Identity`` passes its input through: a placeholder where a model builder takes
"no activation" as an option (e.g. a critic's raw score).
"""
from __future__ import annotations

from .. import functional as F
from .module import Module


class ReLU(Module):
    """max(x, 0)."""

    def forward(self, x):
        return F.relu(x)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x; DCGAN's discriminator uses slope 0.2."""

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Tanh(Module):
    """tanh(x), in (-1, 1): the usual last layer of a generator of images scaled to [-1, 1]."""

    def forward(self, x):
        return F.tanh(x)


class Sigmoid(Module):
    """1 / (1 + exp(-x)), in (0, 1)."""

    def forward(self, x):
        return F.sigmoid(x)


class Identity(Module):
    """Returns its input unchanged."""

    def forward(self, x):
        return x
