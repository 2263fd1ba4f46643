"""``Flatten`` and ``Unflatten``: reshape between images and vectors inside a ``Sequential``.

A DCGAN discriminator ends with ``Flatten()`` -- (N, C, H, W) to (N, C*H*W) -- before a linear
layer; an MLP or conditional generator produces (N, C*H*W) and ends with ``Unflatten(1, (C, H, W))``.
"""
from __future__ import annotations

import math

from .checks import check_input, describe
from .module import Module


def _axis(axis: int, ndim: int):
    """``axis`` as a non-negative index into ``ndim`` axes (negatives count from the end), or None if out of range."""
    return axis % ndim if -ndim <= axis < ndim else None


class Flatten(Module):
    """Merge the axes ``start_dim`` to ``end_dim`` (inclusive) into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        check_input(self, x, ("*",))
        start, end = _axis(self.start_dim, x.ndim), _axis(self.end_dim, x.ndim)
        if start is None or end is None or start > end:
            raise ValueError(f"{describe(self)}: cannot flatten an input of shape {x.shape}")
        merged = math.prod(x.shape[start:end + 1])
        return x.reshape(x.shape[:start] + (merged,) + x.shape[end + 1:])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size``: ``Unflatten(1, (1, 28, 28))`` maps (N, 784) to (N, 1, 28, 28)."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x):
        check_input(self, x, ("*",))
        dim, size = _axis(self.dim, x.ndim), math.prod(self.unflattened_size)
        if dim is None or x.shape[dim] != size:
            raise ValueError(
                f"{describe(self)}: expected an input whose axis {self.dim} has {size} entries, got shape {x.shape}"
            )
        return x.reshape(x.shape[:dim] + self.unflattened_size + x.shape[dim + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
