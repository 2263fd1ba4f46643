"""Input checks for layers: a wrong input shape is reported by the layer, in the layer's terms.

Without a check, feeding a 3-channel image to ``Conv2d(1, 64, 4)`` fails deep inside a matrix
product with shapes the user never wrote. With it, the error reads

    Conv2d(1, 64, kernel_size=(4, 4)): expected input (N, 1, H, W), got shape (8, 3, 28, 28)
"""
from __future__ import annotations

from ..autograd import Tensor


def describe(layer) -> str:
    """How a layer introduces itself in errors: its name and settings, as in its repr."""
    return f"{type(layer).__name__}({layer.extra_repr()})"


def check_input(layer, x, dims) -> None:
    """Raise unless ``x`` is a Tensor whose shape fits ``dims`` and whose dtype is the layer's weights'.

    Every layer refuses a raw array and a dtype it was not built for (an int64 or float64 batch
    into float32 weights) in the same words, rather than silently upcasting some and not others.

    ``dims`` is the expected shape: an int must match exactly, a name such as "N" or "H" matches any
    size, and a leading "*" matches any number of leading axes (``("*", 784)``: anything ending in 784).
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"{describe(layer)}: expected a Tensor, got {type(x).__name__}")
    any_leading = dims[0] == "*"
    fixed = dims[1:] if any_leading else dims
    rank_fits = x.ndim >= len(fixed) if any_leading else x.ndim == len(fixed)
    sizes_fit = rank_fits and all(
        isinstance(d, str) or d == n for d, n in zip(fixed, x.shape[x.ndim - len(fixed):])
    )
    if not sizes_fit:
        expected = ", ".join(str(d) for d in dims)
        raise ValueError(f"{describe(layer)}: expected input ({expected}), got shape {x.shape}")
    weight = next(layer.parameters(recurse=False), None)
    if weight is not None and x.dtype != weight.dtype:
        raise TypeError(f"{describe(layer)}: input dtype {x.dtype} differs from the layer's {weight.dtype} weights; "
                        f"convert one of them (x.to({weight.dtype.name}), or layer.double() / layer.float())")
