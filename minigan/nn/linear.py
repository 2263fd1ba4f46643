"""``Linear``: the fully connected layer y = x W^T + b (see ``minigan.functional.layers``).

The weight has shape (out_features, in_features), as in PyTorch, and both weight and bias start
as U(-1/sqrt(in_features), 1/sqrt(in_features)) (``init.default_init_``).
"""
from __future__ import annotations

from .. import functional as F
from ..autograd import zeros
from . import init
from .checks import check_input
from .module import Module
from .parameter import Parameter


class Linear(Module):
    """``Linear(in_features, out_features, bias=True)``: input (*, in_features) -> (*, out_features)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(zeros(out_features, in_features))
        self.bias = Parameter(zeros(out_features)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_init_(self.weight, self.bias)

    def forward(self, x):
        check_input(self, x, ("*", self.in_features))
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
