"""Operations that move values around without changing them: reshape, permute/transpose, indexing,
concatenate, stack, chunk, squeeze, expand, pad, clone, and moving between devices.

Their derivatives only move the gradient back: a reshape's gradient is reshaped back, a transpose's
is transposed back, and an index's gradient is *scattered* back into a zero array of the input's
shape -- adding, not overwriting, where an index picked the same element twice.
"""
from __future__ import annotations

import numpy

from .. import backend
from .function import Function
from .names import accepts_torch_names
from .tensor import Tensor, as_tensor


class Reshape(Function):
    saved_inputs = ()  # shape operations only need the input's shape, never its values

    def __init__(self, shape):
        self.shape = shape

    def forward(self, a):
        return a.reshape(self.shape)

    def backward(self, grad):
        return grad.reshape(self.inputs[0].shape)


class Permute(Function):
    """Permute axes; the gradient is permuted back with the inverse permutation."""

    saved_inputs = ()

    def __init__(self, axes):
        self.axes = axes

    def forward(self, a):
        return a.transpose(self.axes)

    def backward(self, grad):
        return grad.permute(tuple(int(axis) for axis in numpy.argsort(self.axes)))


class GetItem(Function):
    """``a[index]`` with NumPy's basic and integer-array indexing."""

    saved_inputs = ()

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

    saved_inputs = ()

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, values):
        xp = backend.array_module(values)
        out = xp.zeros(self.shape, dtype=values.dtype)
        if _is_basic(self.index):
            out[self.index] = values  # slices never repeat an element: plain assignment is enough
        elif xp is numpy:
            add_at(out, self.index, values)
        else:
            import cupyx
            cupyx.scatter_add(out, self.index, values)
        return out

    def backward(self, grad):
        return grad[self.index]


ROW_BY_ROW_FROM = 256  # elements per row from which adding whole rows beats add.at (~7 ns an element)


def add_at(out, index, values):
    """``numpy.add.at(out, index, values)``: ``out[index[i]] += values[i]`` for every i in turn, repeats included.

    ``add.at`` works one element at a time, ~7 ns each: 1 ms for the gradient of a conditional D's
    label embedding (32 rows of 4,704). When ``index`` is a 1-D integer array that picks whole rows
    of at least ``ROW_BY_ROW_FROM`` elements, a Python loop adds row by row instead -- the same
    additions in the same order, so the same bits -- at the speed of a vector add (0.1 ms there).
    """
    picks_rows = isinstance(index, numpy.ndarray) and index.ndim == 1 and index.dtype.kind in "iu"
    row_size = values[0].size if values.ndim > 1 and len(values) else 0
    if picks_rows and row_size >= ROW_BY_ROW_FROM:
        for row, value in zip(index.tolist(), values):
            out[row] += value
    else:
        numpy.add.at(out, index, values)


class Concatenate(Function):
    """Join tensors along ``axis``; each input gets back its own slice of the gradient."""

    saved_inputs = ()

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

    saved_inputs = ()

    def __init__(self, pad_width, value):
        self.pad_width, self.value = pad_width, value

    def forward(self, a):
        return backend.array_module(a).pad(a, self.pad_width, constant_values=self.value)

    def backward(self, grad):
        return grad[tuple(slice(before, before + n) for (before, _), n in zip(self.pad_width, self.inputs[0].shape))]


class ToDevice(Function):
    saved_inputs = ()

    def __init__(self, device):
        self.device = device

    def forward(self, a):
        return backend.to_device(a, self.device)

    def backward(self, grad):
        return to_device(grad, self.inputs[0].device)


class Clone(Function):
    """A copy in new memory; the gradient passes through unchanged."""

    saved_inputs = ()

    def forward(self, a):
        return a.copy()

    def backward(self, grad):
        return grad


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
        fits = shape.count(-1) == 1 and known > 0 and a.numel() % known == 0
    else:
        fits = known == a.numel()
    if not fits:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {a.shape} ({a.numel()} elements) into {shape}")
    return Reshape(shape)(a)


def _axis(axis, ndim, function):
    """``axis`` as a non-negative int below ``ndim``, or a clear error naming ``function``."""
    if not -ndim <= axis < ndim:
        raise IndexError(f"{function}: dimension {axis} is out of range for a tensor with {ndim} dimensions")
    return axis % ndim


def permute(a, dims):
    """Reorder all axes: output axis i is input axis ``dims[i]`` (NumPy's ``transpose(axes)``)."""
    a = as_tensor(a)
    dims = tuple(int(d) % a.ndim if a.ndim else int(d) for d in dims)
    if sorted(dims) != list(range(a.ndim)):
        raise ValueError(f"permute: dims {dims} are not a permutation of the {a.ndim} axes of shape {a.shape}")
    return Permute(dims)(a)


def transpose(a, dim0, dim1):
    """Swap axes ``dim0`` and ``dim1``, as ``torch.transpose`` (``permute`` reorders all axes)."""
    a = as_tensor(a)
    order = list(range(a.ndim))
    i, j = _axis(dim0, a.ndim, "transpose"), _axis(dim1, a.ndim, "transpose")
    order[i], order[j] = order[j], order[i]
    return Permute(tuple(order))(a)


def flatten(a, start_dim=0, end_dim=-1):
    """Merge axes ``start_dim`` to ``end_dim`` (both included) into one."""
    a = as_tensor(a)
    if a.ndim == 0:
        return reshape(a, (1,))
    start, end = _axis(start_dim, a.ndim, "flatten"), _axis(end_dim, a.ndim, "flatten")
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    return reshape(a, a.shape[:start] + (-1,) + a.shape[end + 1:])


@accepts_torch_names
def squeeze(a, axis=None):
    """Remove length-1 axes: all of them, or only ``axis`` (an int or tuple) where its length is 1."""
    a = as_tensor(a)
    if axis is None:
        axes = {i for i, n in enumerate(a.shape) if n == 1}
    else:
        axes = {_axis(ax, a.ndim, "squeeze") for ax in ((axis,) if isinstance(axis, int) else axis)}
        axes = {ax for ax in axes if a.shape[ax] == 1}  # PyTorch leaves longer axes alone
    return reshape(a, tuple(n for i, n in enumerate(a.shape) if i not in axes))


def expand(a, sizes):
    """Broadcast ``a`` to ``sizes`` (new axes in front; -1 keeps an existing axis's length)."""
    a = as_tensor(a)
    sizes = tuple(sizes)
    leading = len(sizes) - a.ndim
    if leading < 0:
        raise ValueError(f"expand: {len(sizes)} sizes given for a tensor with {a.ndim} dimensions (shape {a.shape})")
    shape = tuple(a.shape[i - leading] if n == -1 and i >= leading else n for i, n in enumerate(sizes))
    if any(n < 0 for n in shape):
        raise ValueError(f"expand: -1 is only allowed for existing axes, got sizes {sizes} for shape {a.shape}")
    from .reductions import broadcast_to  # reductions imports this module's neighbours: import at call time
    return broadcast_to(a, shape)


@accepts_torch_names
def chunk(a, chunks, axis=0):
    """Split ``a`` into ``chunks`` pieces along ``axis``, each ceil(length / chunks) long but the last."""
    a = as_tensor(a)
    if not isinstance(chunks, int) or chunks < 1:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    axis = _axis(axis, a.ndim, "chunk")
    length = a.shape[axis]
    step = -(-length // chunks)
    before = (slice(None),) * axis
    return tuple(a[before + (slice(start, start + step),)] for start in range(0, length, max(step, 1)))


def clone(a):
    """A differentiable copy of ``a`` in new memory."""
    return Clone()(as_tensor(a))


def getitem(a, index):
    try:
        return GetItem(_plain_index(index))(a)
    except (IndexError, TypeError) as error:
        raise IndexError(f"index {index!r} does not fit a tensor of shape {a.shape}: {error}") from None


@accepts_torch_names
def concatenate(tensors, axis=0):
    """Join tensors along an existing ``axis`` (``minigan.cat(tensors, dim=...)`` in PyTorch's name)."""
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


cat = concatenate


@accepts_torch_names
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


@accepts_torch_names
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
