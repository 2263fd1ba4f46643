"""``interpolate``: resize images by nearest-neighbour or bilinear sampling (``torch.nn.functional.interpolate``).

**Resizing is two matrix products.** Both modes compute each output row from input rows, and each
output column from input columns, with weights that depend only on the sizes. So for an image x
(H_in, W_in) there are fixed matrices A_h (H_out, H_in) and A_w (W_out, W_in) with

    y = A_h  x  A_w^T                    (for every sample and channel at once: a batched matmul)

* ``"nearest"``: row o of A is one-hot at src = floor(o * H_in / H_out) (PyTorch's ``"nearest"``,
  computed in float32 as PyTorch does; with ``scale_factor`` the scale is 1 / scale_factor);
* ``"bilinear"``: row o has two weights, 1 - t at floor(src) and t at the next row, where
  src = (o + 0.5) * H_in / H_out - 0.5, clamped at 0 (``align_corners=False``, the default: pixels
  are squares and their centres are aligned), or src = o * (H_in - 1) / (H_out - 1)
  (``align_corners=True``: the corner pixels' centres are aligned).

**Backward.** y is linear in x, so dL/dx = A_h^T (dL/dy) A_w -- which the autograd engine derives
from the two matmuls by itself, to any order: nothing here needs a backward formula. Upsampling by
2 with "nearest" sends each input pixel the sum of the gradients of its 2x2 copies.
"""
from __future__ import annotations

import math

import numpy

from ..autograd import Tensor, as_tensor

MODES = ("nearest", "bilinear")


def _nearest_matrix(in_size, out_size, scale, dtype):
    """A (out_size, in_size) matrix with a one in each row, at PyTorch's nearest source index."""
    if out_size in (in_size, 2 * in_size):
        scale = None  # PyTorch's shortcuts (o, and o // 2), which the formula gives for a scale from the sizes
    if scale is None:
        scale = numpy.float32(in_size) / numpy.float32(out_size)  # PyTorch computes this in float32
    else:
        scale = numpy.float32(1.0 / scale)
    source = numpy.floor(numpy.arange(out_size, dtype=numpy.float32) * scale).astype(numpy.int64)
    matrix = numpy.zeros((out_size, in_size), dtype=dtype)
    matrix[numpy.arange(out_size), numpy.minimum(source, in_size - 1)] = 1
    return matrix


def _bilinear_matrix(in_size, out_size, scale, align_corners, dtype):
    """A (out_size, in_size) matrix whose row o holds the two linear-interpolation weights of output o."""
    out = numpy.arange(out_size, dtype=dtype)
    if align_corners:
        source = out * dtype.type((in_size - 1) / (out_size - 1) if out_size > 1 else 0.0)
    else:
        step = dtype.type(in_size / out_size if scale is None else 1.0 / scale)
        source = numpy.maximum(step * (out + dtype.type(0.5)) - dtype.type(0.5), 0)
    low = numpy.minimum(numpy.floor(source).astype(numpy.int64), in_size - 1)
    high = numpy.minimum(low + 1, in_size - 1)
    t = numpy.clip(source - low, 0, 1).astype(dtype)
    matrix = numpy.zeros((out_size, in_size), dtype=dtype)
    rows = numpy.arange(out_size)
    numpy.add.at(matrix, (rows, low), 1 - t)
    numpy.add.at(matrix, (rows, high), t)  # at the last row low == high: the two weights add up to 1
    return matrix


def _output_size(x, size, scale_factor):
    """``(H_out, W_out)`` and the per-axis scale factors PyTorch passes on (None when ``size`` was given)."""
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor, got "
                         f"size={size!r}, scale_factor={scale_factor!r}")
    if size is not None:
        size = (size, size) if isinstance(size, int) else tuple(size)
        if len(size) != 2 or not all(isinstance(s, int) and s > 0 for s in size):
            raise ValueError(f"interpolate: size must be a positive int or a pair of them, got {size!r}")
        return size, (None, None)
    scales = (scale_factor, scale_factor) if isinstance(scale_factor, (int, float)) else tuple(scale_factor)
    if len(scales) != 2 or not all(isinstance(s, (int, float)) and s > 0 for s in scales):
        raise ValueError(f"interpolate: scale_factor must be a positive number or a pair of them, got {scale_factor!r}")
    size = tuple(math.floor(n * s) for n, s in zip(x.shape[2:], scales))
    if min(size) < 1:
        raise ValueError(f"interpolate: scale_factor {scale_factor} makes an empty output from input shape {x.shape}")
    return size, tuple(float(s) for s in scales)


def interpolate(x, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Resize an (N, C, H, W) tensor to ``size`` (an int or (H, W)) or by ``scale_factor``, as PyTorch.

    ``mode`` is ``"nearest"`` or ``"bilinear"``; ``align_corners`` (bilinear only) defaults to False.
    """
    x = as_tensor(x)
    if mode not in MODES:
        raise ValueError(f"interpolate: mode must be one of {MODES}, got {mode!r}")
    if x.ndim != 4:
        raise ValueError(f"interpolate: expected a 4-D input (N, C, H, W), got shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"interpolate: expected a floating-point input, got dtype {x.dtype}")
    if mode == "nearest" and align_corners is not None:
        raise ValueError("interpolate: align_corners can only be set with mode='bilinear'")
    (out_h, out_w), (scale_h, scale_w) = _output_size(x, size, scale_factor)
    (in_h, in_w), dtype = x.shape[2:], x.dtype
    if mode == "nearest":
        rows, cols = _nearest_matrix(in_h, out_h, scale_h, dtype), _nearest_matrix(in_w, out_w, scale_w, dtype)
    else:
        rows = _bilinear_matrix(in_h, out_h, scale_h, bool(align_corners), dtype)
        cols = _bilinear_matrix(in_w, out_w, scale_w, bool(align_corners), dtype)
    rows, cols = (Tensor(m, device=x.device) for m in (rows, cols.T))
    return rows @ x @ cols
