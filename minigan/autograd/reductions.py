"""Reductions (sum, mean, max, var, ...) and the broadcast pair ``broadcast_to`` / ``sum_to``.

``broadcast_to`` and ``sum_to`` are each other's derivative: copying a value to many places sends
back the sum of the gradients of all copies, and summing many values sends the gradient of the sum
back to every one of them. Every reduction's backward is a broadcast, and every broadcasting
operation's backward is a ``sum_to``.
"""
from __future__ import annotations

import numpy

from .function import Function
from .tensor import Tensor, as_tensor


def _normalize_axis(axis, ndim):
    """``axis`` (None, an int or a tuple, negatives allowed) as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
    return tuple(sorted({a % ndim for a in axes}))


def _keepdims_shape(shape, axes):
    """The shape a reduction over ``axes`` has with keepdims=True."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class BroadcastTo(Function):
    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, a):
        from ..backend import array_module
        return array_module(a).broadcast_to(a, self.shape)

    def backward(self, grad):
        return sum_to(grad, self.inputs[0].shape)


class SumTo(Function):
    """Sum a broadcast array back down to ``shape`` (the reverse of NumPy broadcasting)."""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, a):
        leading = a.ndim - len(self.shape)
        stretched = tuple(leading + i for i, n in enumerate(self.shape) if n == 1 and a.shape[leading + i] != 1)
        summed = a.sum(axis=tuple(range(leading)) + stretched, keepdims=True)
        return summed.reshape(self.shape)

    def backward(self, grad):
        return broadcast_to(grad, self.inputs[0].shape)


class Sum(Function):
    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, a):
        return a.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, grad):
        shape = self.inputs[0].shape
        return broadcast_to(grad.reshape(_keepdims_shape(shape, self.axes)), shape)


class Max(Function):
    """Maximum over axes. The gradient goes to the maximal entries, split equally among ties."""

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, a):
        return a.max(axis=self.axes, keepdims=self.keepdims)

    def backward(self, grad):
        a = self.inputs[0]
        kept = _keepdims_shape(a.shape, self.axes)
        is_max = a.data == self._output_data.reshape(kept)
        share = is_max / is_max.sum(axis=self.axes, keepdims=True)
        return broadcast_to(grad.reshape(kept), a.shape) * Tensor._from_data(share.astype(grad.dtype))


def broadcast_to(a, shape):
    a = as_tensor(a)
    shape = tuple(shape)
    if a.shape == shape:
        return a
    try:
        numpy.broadcast_shapes(a.shape, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {a.shape} to {shape}") from None
    return BroadcastTo(shape)(a)


def sum_to(a, shape):
    """Sum ``a`` over the axes that broadcasting added or stretched, so that it gets ``shape``."""
    shape = tuple(shape)
    return a if a.shape == shape else SumTo(shape)(a)


def sum(a, axis=None, keepdims=False):
    a = as_tensor(a)
    return Sum(_normalize_axis(axis, a.ndim), keepdims)(a)


def _count(a, axes):
    count = 1
    for axis in axes:
        count *= a.shape[axis]
    return count


def mean(a, axis=None, keepdims=False):
    a = as_tensor(a)
    axes = _normalize_axis(axis, a.ndim)
    return sum(a, axes, keepdims) / _count(a, axes)


def max(a, axis=None, keepdims=False):
    a = as_tensor(a)
    if a.size == 0:
        raise ValueError(f"max: cannot reduce an empty tensor of shape {a.shape}")
    return Max(_normalize_axis(axis, a.ndim), keepdims)(a)


def min(a, axis=None, keepdims=False):
    """min(a) = -max(-a)."""
    return -max(-as_tensor(a), axis, keepdims)


def var(a, axis=None, keepdims=False, ddof=0):
    """Variance: mean of squared deviations; ``ddof=1`` divides by n - 1 (the unbiased estimate)."""
    a = as_tensor(a)
    axes = _normalize_axis(axis, a.ndim)
    deviation = a - mean(a, axes, keepdims=True)
    return sum(deviation * deviation, axes, keepdims) / (_count(a, axes) - ddof)


def std(a, axis=None, keepdims=False, ddof=0):
    return var(a, axis, keepdims, ddof).sqrt()


def norm(a, axis=None, keepdims=False):
    """Euclidean norm sqrt(sum(a^2)). Its gradient a / norm is undefined at 0: add a small eps there."""
    a = as_tensor(a)
    return sum(a * a, axis, keepdims).sqrt()
