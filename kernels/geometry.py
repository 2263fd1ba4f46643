"""The one formula every convolution shares: how many output positions fit along an axis.

A kernel of size ``k`` with dilation ``d`` spans ``d*(k-1) + 1`` input positions. Sliding it with
stride ``s`` over an axis of ``size`` positions padded by ``p`` zeros on both sides gives

    out = (size + 2*p - d*(k-1) - 1) // s + 1

output positions; output ``o`` reads input positions ``o*s - p + i*d`` for the kernel taps
``i = 0 .. k-1``. The dispatchers, the CPU kernels and the CUDA kernels all take their shapes
from here, so the formula lives in exactly one place.
"""
from __future__ import annotations


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """Number of output positions along one axis (see the module docstring)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv_output_hw(x_shape, kernel_size, stride, padding, dilation) -> tuple[int, int]:
    """``(OH, OW)`` for an NCHW input shape and ``(h, w)`` pairs of convolution parameters."""
    return tuple(
        conv_output_size(x_shape[2 + axis], kernel_size[axis], stride[axis], padding[axis], dilation[axis])
        for axis in (0, 1)
    )
