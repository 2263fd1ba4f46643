"""``AvgPool2d`` and ``MaxPool2d``: shrink an image by summarising each window (``minigan.functional.pooling``).

With kernel k, stride s (the kernel size by default) and padding p, each spatial axis maps as a
convolution's does: out = floor((in + 2p - k) / s) + 1, so ``AvgPool2d(2)`` halves 28 to 14.
A ResNet discriminator goes down with ``AvgPool2d(2)``; max pooling is the classifier's habit (its
gradient reaches one pixel per window, which gives a generator a sparse, noisy signal).
"""
from __future__ import annotations

from .. import functional as F
from .checks import check_input
from .conv import _pair
from .module import Module


class _Pool2d(Module):
    """Kernel, stride and padding as (h, w) pairs, the input check and the repr that both pools share."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else _pair(stride, "stride")
        self.padding = _pair(padding, "padding")

    def _check_input(self, x):
        check_input(self, x, ("N", "C", "H", "W"))

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_Pool2d):
    """``AvgPool2d(kernel_size, stride=None, padding=0, count_include_pad=True)``: (N, C, H, W) -> (N, C, H', W')."""

    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad=True):
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = count_include_pad

    def forward(self, x):
        self._check_input(x)
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.count_include_pad)


class MaxPool2d(_Pool2d):
    """``MaxPool2d(kernel_size, stride=None, padding=0)``: (N, C, H, W) -> (N, C, H', W'); ties go to the first
    maximum of a window (row-major), as in PyTorch."""

    def forward(self, x):
        self._check_input(x)
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)
