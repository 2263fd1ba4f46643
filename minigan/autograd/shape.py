"""Operations that move values around without changing them: reshape, transpose, indexing,
concatenate, stack, pad, and moving between devices.

Their derivatives only move the gradient back: a reshape's gradient is reshaped back, a transpose's
is transposed back, and an index's gradient is *scattered* back into a zero array of the input's
shape -- adding, not overwriting, where an index picked the same element twice.
"""
from __future__ import annotations

import numpy

from .. import backend
from .function import Function
from .tensor import Tensor, as_tensor


class Reshape(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, a):
        return a.reshape(self.shape)

    def backward(self, grad):
        return grad.reshape(self.inputs[0].shape)


class Transpose(Function):
    """Permute axes; the gradient is permuted back with the inverse permutation."""

    def __init__(self, axes):
        self.axes = axes

    def forward(self, a):
        return a.transpose(self.axes)

    def backward(self, grad):
        return grad.transpose(tuple(numpy.argsort(self.axes)))


class GetItem(Function):
    """``a[index]`` with NumPy's basic and integer-array indexing."""

    def __init__(self, index):
        self.index = index

    def forward(self, a):
        return a[self.index]

    def backward(self, grad):
        return ScatterAdd(self.index, self.inputs[0].shape)(grad)


class ScatterAdd(Function):
    """The adjoint of ``GetItem``: zeros of ``shape`` with ``values`` added at ``index``.

    With an integer array that repeats an element, ``x[[0, 0]]`` uses ``x[0]`` twice, so its
    gradient receives both contributions: ``add.at`` adds instead of overwriting.
    """

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, values):
        xp = backend.array_module(values)
        out = xp.zeros(self.shape, dtype=values.dtype)
        if _is_basic(self.index):
            out[self.index] = values  # slices never repeat an element: plain assignment is enough
        elif xp is numpy:
            numpy.add.at(out, self.index, values)
        else:
            import cupyx
            cupyx.scatter_add(out, self.index, values)
        return out

    def backward(self, grad):
        return grad[self.index]


class Concatenate(Function):
    """Join tensors along ``axis``; each input gets back its own slice of the gradient."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *arrays):
        return backend.array_module(arrays[0]).concatenate(arrays, axis=self.axis)

    def backward(self, grad):
        grads, start = [], 0
        for tensor, wanted in zip(self.inputs, self.needs_input_grad):
            stop = start + tensor.shape[self.axis]
            grads.append(grad[(slice(None),) * self.axis + (slice(start, stop),)] if wanted else None)
            start = stop
        return tuple(grads)


class Pad(Function):
    """Pad with a constant; the gradient is the un-padded middle of the incoming gradient."""

    def __init__(self, pad_width, value):
        self.pad_width, self.value = pad_width, value

    def forward(self, a):
        return backend.array_module(a).pad(a, self.pad_width, constant_values=self.value)

    def backward(self, grad):
        return grad[tuple(slice(before, before + n) for (before, _), n in zip(self.pad_width, self.inputs[0].shape))]


class ToDevice(Function):
    def __init__(self, device):
        self.device = device

    def forward(self, a):
        return backend.to_device(a, self.device)

    def backward(self, grad):
        return to_device(grad, self.inputs[0].device)


def _is_basic(index):
    """True when ``index`` only has ints, slices, None and Ellipsis (no arrays): NumPy's basic indexing."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, numpy.integer, slice, type(None), type(Ellipsis))) for p in parts)


def _plain_index(index):
    """Replace Tensors and lists in an index by arrays, as NumPy expects them."""
    parts = index if isinstance(index, tuple) else (index,)
    parts = tuple(numpy.asarray(p) if isinstance(p, list) else p.data if isinstance(p, Tensor) else p for p in parts)
    return parts if isinstance(index, tuple) else parts[0]


def reshape(a, shape):
    a = as_tensor(a)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    known = int(numpy.prod([n for n in shape if n != -1], dtype=numpy.int64))
    if -1 in shape:
        fits = shape.count(-1) == 1 and known > 0 and a.size % known == 0
    else:
        fits = known == a.size
    if not fits:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {a.shape} ({a.size} elements) into {shape}")
    return Reshape(shape)(a)


def transpose(a, axes=None):
    a = as_tensor(a)
    axes = tuple(reversed(range(a.ndim))) if axes is None else tuple(ax % a.ndim for ax in axes)
    if sorted(axes) != list(range(a.ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of the {a.ndim} axes of shape {a.shape}")
    return Transpose(axes)(a)


def getitem(a, index):
    try:
        return GetItem(_plain_index(index))(a)
    except (IndexError, TypeError) as error:
        raise IndexError(f"index {index!r} does not fit a tensor of shape {a.shape}: {error}") from None


def concatenate(tensors, axis=0):
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate: need at least one tensor")
    first = tensors[0]
    axis = axis % first.ndim if first.ndim else axis
    for i, t in enumerate(tensors):
        if t.ndim != first.ndim or t.shape[:axis] + t.shape[axis + 1:] != first.shape[:axis] + first.shape[axis + 1:]:
            raise ValueError(
                f"concatenate: tensor {i} has shape {t.shape}, which does not match {first.shape} "
                f"outside axis {axis}"
            )
    return Concatenate(axis)(*tensors)


def stack(tensors, axis=0):
    """Join same-shaped tensors along a new axis: concatenate after giving each a length-1 axis."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: need at least one tensor")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: tensor {i} has shape {t.shape}, expected {tensors[0].shape} like tensor 0")
    axis = axis % (tensors[0].ndim + 1)
    return concatenate([unsqueeze(t, axis) for t in tensors], axis)


def unsqueeze(a, axis):
    """Insert a length-1 axis at ``axis``."""
    a = as_tensor(a)
    axis = axis % (a.ndim + 1)
    return reshape(a, a.shape[:axis] + (1,) + a.shape[axis:])


def pad(a, pad_width, value=0.0):
    """Constant padding with NumPy's ``pad_width``: one ``(before, after)`` pair per axis, or one for all."""
    a = as_tensor(a)
    widths = numpy.broadcast_to(numpy.asarray(pad_width, dtype=int), (a.ndim, 2))
    if (widths < 0).any():
        raise ValueError(f"pad: widths must be non-negative, got {pad_width}")
    return Pad(tuple(map(tuple, widths.tolist())), value)(a)


def to_device(a, device):
    return ToDevice(backend.resolve_device(device))(as_tensor(a))
