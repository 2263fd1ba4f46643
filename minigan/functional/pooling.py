"""``avg_pool2d`` and ``max_pool2d``: summarise each k x k window of every channel by its mean or its maximum.

Both see the same windows as a convolution with the same kernel size, stride and padding, one
channel at a time, so both are built on the convolution machinery:

* **Average pooling is a convolution** with a constant kernel of ones / (kh * kw), applied to each
  channel on its own (the channels are folded into the batch). It is linear, and conv2d's backward
  -- differentiable to any order -- is its backward. With ``count_include_pad=False`` each window
  is divided by how many of its entries lie inside the image instead (itself a convolution of ones).
* **Max pooling picks one entry per window.** ``im2col`` lays every window out as a column (the
  padding filled with -inf, so it never wins); the argmax of each column says which input pixel
  the output copies. The gradient goes back to that pixel only -- added up where overlapping
  windows picked the same one -- by ``col2im``. With the argmax held fixed both directions are
  linear maps, each the other's adjoint, so the two Functions below are each other's backward.
  Ties go to the first maximum in the window, in row-major order -- as PyTorch's CPU kernel does.

As in PyTorch, ``stride`` defaults to the kernel size (windows that tile the image) and padding may
be at most half the kernel, so every window holds at least one pixel of the image.
"""
from __future__ import annotations

from .. import kernels
from ..autograd import Function, Tensor, as_tensor
from ..backend import array_module
from ..kernels.geometry import conv_output_hw
from .conv import _pair, conv2d


def _geometry(function, x, kernel_size, stride, padding):
    """Check an (N, C, H, W) input and return (kernel, stride, padding) as pairs."""
    kernel = _pair(kernel_size, "kernel_size", function)
    stride = kernel if stride is None else _pair(stride, "stride", function)
    padding = _pair(padding, "padding", function)
    if x.ndim != 4:
        raise ValueError(f"{function}: expected a 4-D input (N, C, H, W), got shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"{function}: expected a floating-point input, got dtype {x.dtype}")
    if min(kernel) < 1 or min(stride) < 1:
        raise ValueError(f"{function}: kernel_size and stride must be positive, got {kernel} and {stride}")
    if any(not 0 <= p <= k // 2 for p, k in zip(padding, kernel)):
        raise ValueError(f"{function}: padding must be at most half the kernel size, got padding {padding} "
                         f"for kernel_size {kernel}")
    if any(size + 2 * p < k for size, p, k in zip(x.shape[2:], padding, kernel)):
        raise ValueError(f"{function}: kernel_size {kernel} is larger than the padded input: input shape {x.shape}, "
                         f"padding {padding}")
    return kernel, stride, padding


def _planes(x):
    """(N, C, H, W) -> (N*C, 1, H, W): every channel becomes a one-channel image of its own."""
    return x.reshape(x.shape[0] * x.shape[1], 1, *x.shape[2:])


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """The mean of every window, as ``torch.nn.functional.avg_pool2d`` (ceil_mode=False)."""
    x = as_tensor(x)
    kernel, stride, padding = _geometry("avg_pool2d", x, kernel_size, stride, padding)
    xp = x.xp
    ones = Tensor(xp.ones((1, 1) + kernel, dtype=x.dtype))
    sums = conv2d(_planes(x), ones, stride=stride, padding=padding)
    if count_include_pad:
        counts = kernel[0] * kernel[1]
    else:
        counts = conv2d(Tensor(xp.ones((1, 1) + x.shape[2:], dtype=x.dtype)), ones, stride=stride, padding=padding)
    return (sums / counts).reshape(x.shape[:2] + sums.shape[2:])


class _Windows:
    """What PickFromWindows and its adjoint share: the input's shape, the window geometry, and the fixed
    choice ``rows`` (for output l, the row of im2col -- the position in its window -- that it copies)."""

    saved_inputs = ()  # both are linear maps once ``rows`` is fixed: backward needs no values

    def __init__(self, shape, kernel, stride, padding, rows):
        self.shape, self.kernel, self.stride, self.padding, self.rows = shape, kernel, stride, padding, rows

    def _kernel_args(self):
        n, c, h, w = self.shape
        return (n * c, 1, h, w), dict(kernel_size=self.kernel, stride=self.stride, padding=self.padding)

    def _other(self, function):
        return function(self.shape, self.kernel, self.stride, self.padding, self.rows)


class PickFromWindows(_Windows, Function):
    """out[l] = im2col(x)[rows[l], l] for x of shape (N, C, H, W), channels as separate images."""

    def forward(self, x):
        planes_shape, geometry = self._kernel_args()
        cols = kernels.im2col(array_module(x).ascontiguousarray(x).reshape(planes_shape), **geometry)
        return cols[self.rows, array_module(x).arange(self.rows.size)]

    def backward(self, grad):
        return self._other(ScatterToWindows)(grad)


class ScatterToWindows(_Windows, Function):
    """The adjoint of PickFromWindows: each value goes back where it was picked (``col2im`` adds up repeats)."""

    def forward(self, values):
        xp = array_module(values)
        planes_shape, geometry = self._kernel_args()
        cols = xp.zeros((self.kernel[0] * self.kernel[1], self.rows.size), dtype=values.dtype)
        cols[self.rows, xp.arange(self.rows.size)] = values
        return kernels.col2im(cols, planes_shape, **geometry).reshape(self.shape)

    def backward(self, grad):
        return self._other(PickFromWindows)(grad)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """The maximum of every window, as ``torch.nn.functional.max_pool2d`` (dilation 1, ceil_mode=False)."""
    x = as_tensor(x)
    kernel, stride, padding = _geometry("max_pool2d", x, kernel_size, stride, padding)
    xp = x.xp
    planes = xp.ascontiguousarray(x.data).reshape(x.shape[0] * x.shape[1], 1, *x.shape[2:])
    (ph, pw) = padding
    padded = xp.pad(planes, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-xp.inf)
    rows = kernels.im2col(padded, kernel, stride, 0).argmax(axis=0)
    picked = PickFromWindows(x.shape, kernel, stride, padding, rows)(x)
    return picked.reshape(x.shape[:2] + conv_output_hw(planes.shape, kernel, stride, padding, (1, 1)))
