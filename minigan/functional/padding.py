"""``pad``: widen a tensor's last axes with a constant or with their own mirror image (``torch.nn.functional.pad``).

``pad`` is PyTorch's tuple, *last axis first*: ``(left, right)`` pads the last axis, ``(left, right,
top, bottom)`` the last two. Two modes:

* ``"constant"`` -- fill with ``value`` (0 by default): what a convolution's ``padding`` does;
* ``"reflect"``  -- mirror the tensor about its first and last entries, which are not repeated:
  a row ``a b c d`` padded by 2 on each side becomes ``c b | a b c d | c b``. The border then looks
  like the image itself instead of a black frame, so a generator (CycleGAN's, pix2pix's) does not
  learn to draw a frame at the edges. Each pad must be smaller than its axis (as in PyTorch).

**Backward of reflect.** Reflection copies some inputs twice -- ``b`` and ``c`` above appear in the
middle and in a border -- so its adjoint *folds* the border gradients back onto the entries they
were copied from and adds them. Folding is linear too, and its adjoint is reflecting again: the two
Functions below are each other's backward, so gradients of gradients pass through (a gradient
penalty through a critic with reflect-padded convolutions).
"""
from __future__ import annotations

from ..autograd import Function, as_tensor
from ..autograd import pad as constant_pad
from ..backend import array_module

MODES = ("constant", "reflect")


def _along(axis, index):
    """An index that applies ``index`` (a slice) to ``axis`` and takes everything on the other axes."""
    return (slice(None),) * axis + (index,)


class ReflectPad(Function):
    """Mirror-pad an array with NumPy's ``pad_width`` (one ``(before, after)`` pair per axis)."""

    saved_inputs = ()  # a linear map: backward needs only the shapes

    def __init__(self, widths):
        self.widths = widths

    def forward(self, a):
        return array_module(a).pad(a, self.widths, mode="reflect")  # NumPy's "reflect" is PyTorch's

    def backward(self, grad):
        return FoldReflection(self.widths)(grad)


class FoldReflection(Function):
    """The adjoint of :class:`ReflectPad`: cut the borders off and add each onto the entries it mirrors.

    Along an axis of n entries padded by (p, q): padded entry j < p copies entry p - j, and padded
    entry p + n + k copies entry n - 2 - k. So the middle n entries receive their own gradient plus
    the flipped left border on entries 1..p and the flipped right border on entries n-1-q..n-2.
    """

    saved_inputs = ()

    def __init__(self, widths):
        self.widths = widths

    def forward(self, grad):
        xp = array_module(grad)
        for axis, (before, after) in enumerate(self.widths):
            if before == after == 0:
                continue
            n = grad.shape[axis] - before - after
            folded = grad[_along(axis, slice(before, before + n))].copy()
            folded[_along(axis, slice(1, before + 1))] += xp.flip(grad[_along(axis, slice(0, before))], axis)
            folded[_along(axis, slice(n - 1 - after, n - 1))] += xp.flip(grad[_along(axis, slice(before + n, None))],
                                                                          axis)
            grad = folded
        return grad

    def backward(self, grad):
        return ReflectPad(self.widths)(grad)


def _widths(x, pad):
    """PyTorch's last-axis-first pad tuple as NumPy's ``pad_width`` for every axis of ``x``."""
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim or not all(isinstance(p, int) for p in pad):
        raise ValueError(f"pad: expected an even number of ints, at most two per axis of the input shape {x.shape}, "
                         f"got {pad}")
    if any(p < 0 for p in pad):
        raise ValueError(f"pad: widths must be non-negative, got {pad}")
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return tuple(widths)


def pad(x, pad, mode="constant", value=0.0):
    """Pad the last ``len(pad) // 2`` axes of ``x``: ``pad(x, (1, 1, 2, 2), mode="reflect")`` adds one column
    on each side and two rows above and below, as ``torch.nn.functional.pad``."""
    x = as_tensor(x)
    widths = _widths(x, pad)
    if mode == "constant":
        return constant_pad(x, widths, value)
    if mode != "reflect":
        raise ValueError(f"pad: mode must be one of {MODES}, got {mode!r}")
    for axis, (before, after) in enumerate(widths):
        if max(before, after) >= x.shape[axis]:
            raise ValueError(f"pad: reflect padding must be smaller than the axis it pads: padding ({before}, {after}) "
                             f"of axis {axis}, which has {x.shape[axis]} entries (input shape {x.shape})")
    return ReflectPad(widths)(x)
