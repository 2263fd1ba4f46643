"""Array-in, array-out kernels (installed as ``minigan.kernels``): the public entry points.

Each function here checks its arguments, turns int-or-pair convolution parameters into ``(h, w)``
pairs, and hands the work to the kernel family for the array's target
(``minigan.backend.kernel_target``):

* ``"cpu"``                -> ``minigan.kernels.cpu``  (Numba ``@njit``, NumPy arrays)
* ``"cuda"``, ``"cuda-sim"`` -> ``minigan.kernels.cuda`` (Numba ``@cuda.jit``; CuPy arrays on a GPU,
                              NumPy arrays under Numba's CUDA simulator)

Both families have the same functions with the same signatures. ``kernels.cuda`` is imported only
when a CUDA target is first asked for, so CPU users never import ``numba.cuda``.

Arrays are NCHW for the convolution kernels and (N, C, L) for the per-channel kernels -- callers pass
an (N, C) batch as (N, C, 1) and an (N, C, H, W) batch as (N, C, H*W). Inputs must be float32 or
float64; every output has the input's dtype. Per-channel vectors (mean, inv_std, weight, bias) are
converted to the input's dtype.

The convolution geometry, with pairs ``(kh, kw)``, ``(sh, sw)``, ``(ph, pw)``, ``(dh, dw)``:

    OH = (H + 2*ph - dh*(kh-1) - 1) // sh + 1        (likewise OW)
    cols[c*kh*kw + i*kw + j, n*OH*OW + oh*OW + ow] = x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]

so a convolution with weights (O, C, kh, kw) is ``W.reshape(O, C*kh*kw) @ im2col(x, ...)``.
"""
from __future__ import annotations

import operator

from minigan import backend

from .geometry import conv_output_hw

__all__ = [
    "im2col", "col2im", "conv_rows_to_nchw", "channel_sum", "add_channel_bias",
    "batch_norm_stats", "batch_norm_forward", "batch_norm_backward", "leaky_relu", "leaky_relu_backward",
    "relu_backward", "adam_update",
]


def im2col(x, kernel_size, stride=1, padding=0, dilation=1):
    """Copy every receptive field of ``x`` (N, C, H, W) into a column: (C*kh*kw, N*OH*OW).

    Positions in the zero padding give 0. ``kernel_size``, ``stride``, ``padding`` and
    ``dilation`` are ints or ``(h, w)`` pairs.
    """
    x = _float_array("im2col", "x", x, ndim=4)
    geometry = _conv_geometry("im2col", x.shape, kernel_size, stride, padding, dilation)
    return _family(x).im2col(x, *geometry)


def col2im(cols, x_shape, kernel_size, stride=1, padding=0, dilation=1):
    """The adjoint of :func:`im2col`: an (N, C, H, W) array where every entry of ``cols`` is
    *added* to the pixel it was copied from (entries that came from the padding are dropped)."""
    cols = _float_array("col2im", "cols", cols, ndim=2)
    x_shape = _shape("col2im", x_shape)
    geometry = _conv_geometry("col2im", x_shape, kernel_size, stride, padding, dilation)
    n, c, _, _ = x_shape
    (kh, kw), (oh, ow) = geometry[0], conv_output_hw(x_shape, *geometry)
    expected = (c * kh * kw, n * oh * ow)
    if tuple(cols.shape) != expected:
        raise ValueError(f"col2im: cols has shape {tuple(cols.shape)}, but x_shape {x_shape} with kernel "
                         f"{geometry[0]}, stride {geometry[1]}, padding {geometry[2]}, dilation {geometry[3]} "
                         f"needs {expected}")
    return _family(cols).col2im(cols, x_shape, *geometry)


def conv_rows_to_nchw(rows, b):
    """A convolution's GEMM output in NCHW order, with the bias added: ``rows`` (C, N, L) -- one row
    of N*L values per output channel, as ``W.reshape(C, -1) @ im2col(x)`` gives it -- becomes the
    (N, C, L) array ``out[n, c, l] = rows[c, n, l] + b[c]``, in one pass over the data."""
    rows = _float_array("conv_rows_to_nchw", "rows", rows, ndim=3)
    b = _channel_vector("conv_rows_to_nchw", "b", b, rows, axis=0, x_name="rows")
    return _family(rows).conv_rows_to_nchw(rows, b)


def channel_sum(x):
    """Per-channel sum of ``x`` (N, C, L) over N and L: shape (C,). The bias gradient."""
    x = _float_array("channel_sum", "x", x, ndim=3)
    return _family(x).channel_sum(x)


def add_channel_bias(x, b):
    """``x + b[None, :, None]`` for ``x`` (N, C, L) and ``b`` (C,), as a new array."""
    x = _float_array("add_channel_bias", "x", x, ndim=3)
    b = _channel_vector("add_channel_bias", "b", b, x)
    return _family(x).add_channel_bias(x, b)


def batch_norm_stats(x):
    """Per-channel ``(mean, var)`` of ``x`` (N, C, L) over its N*L elements; var is the biased
    (divide-by-M) variance, computed in two passes in float64."""
    x = _float_array("batch_norm_stats", "x", x, ndim=3)
    _require_elements("batch_norm_stats", x)
    return _family(x).batch_norm_stats(x)


def batch_norm_forward(x, mean, inv_std, weight, bias):
    """``y = (x - mean[c]) * inv_std[c] * weight[c] + bias[c]`` for ``x`` (N, C, L)."""
    x = _float_array("batch_norm_forward", "x", x, ndim=3)
    vectors = [_channel_vector("batch_norm_forward", name, v, x)
               for name, v in (("mean", mean), ("inv_std", inv_std), ("weight", weight), ("bias", bias))]
    return _family(x).batch_norm_forward(x, *vectors)


def batch_norm_backward(dy, x, mean, inv_std, weight):
    """Training-mode batch-norm backward for ``x``, ``dy`` (N, C, L): returns ``(dx, dweight, dbias)``.

    With M = N*L and xhat = (x - mean) * inv_std, where mean and inv_std are the batch statistics
    of x: dbias = sum(dy), dweight = sum(dy * xhat) (sums over N and L), and
    dx = weight * inv_std / M * (M*dy - dbias - xhat*dweight).
    """
    x = _float_array("batch_norm_backward", "x", x, ndim=3)
    dy = _float_array("batch_norm_backward", "dy", dy, ndim=3)
    if dy.shape != x.shape or dy.dtype != x.dtype:
        raise ValueError(f"batch_norm_backward: dy {tuple(dy.shape)} {dy.dtype} must match "
                         f"x {tuple(x.shape)} {x.dtype}")
    _require_elements("batch_norm_backward", x)
    vectors = [_channel_vector("batch_norm_backward", name, v, x)
               for name, v in (("mean", mean), ("inv_std", inv_std), ("weight", weight))]
    return _family(x).batch_norm_backward(dy, x, *vectors)


def leaky_relu(x, slope):
    """``x if x > 0 else slope * x`` elementwise, any shape, in one pass (the result has x's shape)."""
    flat = _float_array("leaky_relu", "x", x.reshape(-1), ndim=1)
    return _family(flat).leaky_relu(flat, slope).reshape(x.shape)


def leaky_relu_backward(dy, x, slope):
    """Leaky ReLU's input gradient ``dy if x > 0 else slope * dy``, in one pass; dy and x of one shape."""
    if dy.shape != x.shape or dy.dtype != x.dtype:
        raise ValueError(f"leaky_relu_backward: dy {tuple(dy.shape)} {dy.dtype} must match "
                         f"x {tuple(x.shape)} {x.dtype}")
    flat_dy, flat_x = (_float_array("leaky_relu_backward", name, a.reshape(-1), ndim=1)
                       for name, a in (("dy", dy), ("x", x)))
    return _family(flat_x).leaky_relu_backward(flat_dy, flat_x, slope).reshape(x.shape)


def relu_backward(dy, x):
    """ReLU's input gradient ``dy if x > 0 else 0``, in one pass; dy and x of one shape and dtype."""
    if dy.shape != x.shape or dy.dtype != x.dtype:
        raise ValueError(f"relu_backward: dy {tuple(dy.shape)} {dy.dtype} must match x {tuple(x.shape)} {x.dtype}")
    flat_dy, flat_x = (_float_array("relu_backward", name, a.reshape(-1), ndim=1) for name, a in (("dy", dy), ("x", x)))
    return _family(flat_x).relu_backward(flat_dy, flat_x).reshape(x.shape)


def adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, beta1, beta2, step_size, root_correction2, eps):
    """One Adam step, in place and in one pass (see ``kernels/cpu/optim.py`` for the formulas).

    ``param``, ``exp_avg``, ``exp_avg_sq`` and ``max_exp_avg_sq`` are updated in place, so they must be
    contiguous arrays of one shape and dtype; ``grad`` must have that shape and dtype too.
    ``max_exp_avg_sq`` is None for Adam without amsgrad.
    """
    in_place = {"param": param, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq, "max_exp_avg_sq": max_exp_avg_sq}
    in_place = {name: array for name, array in in_place.items() if array is not None}
    for name, array in {**in_place, "grad": grad}.items():
        if array.shape != param.shape or array.dtype != param.dtype:
            raise ValueError(f"adam_update: {name} is {tuple(array.shape)} {array.dtype}, but param is "
                             f"{tuple(param.shape)} {param.dtype}")
    for name, array in in_place.items():
        if not array.flags.c_contiguous:
            raise ValueError(f"adam_update: {name} must be C-contiguous: it is updated in place")
    v_max = param[:0] if max_exp_avg_sq is None else max_exp_avg_sq  # an empty array tells the kernel: no amsgrad
    buffers = (("param", param), ("grad", grad), ("exp_avg", exp_avg), ("exp_avg_sq", exp_avg_sq),
               ("max_exp_avg_sq", v_max))
    flat = [_float_array("adam_update", name, array.reshape(-1), ndim=1) for name, array in buffers]
    _family(param).adam_update(*flat, beta1, beta2, step_size, root_correction2, eps)


def _family(array):
    """The kernel module for ``array``'s target: ``kernels.cpu`` or ``kernels.cuda``."""
    if backend.kernel_target(array) == "cpu":
        from . import cpu
        return cpu
    from . import cuda  # imports numba.cuda: only ever done for a CUDA target
    return cuda


def _float_array(kernel, name, array, ndim):
    """``array`` as a C-contiguous float32/float64 array with ``ndim`` dimensions, or a clear error."""
    xp = backend.array_module(array)
    array = xp.asarray(array)
    if array.ndim != ndim:
        raise ValueError(f"{kernel}: {name} must have {ndim} dimensions, got shape {tuple(array.shape)}")
    if array.dtype not in (xp.float32, xp.float64):
        raise TypeError(f"{kernel}: {name} must be float32 or float64, got {array.dtype}")
    return xp.ascontiguousarray(array)


def _channel_vector(kernel, name, vector, x, axis=1, x_name="x"):
    """A per-channel vector (channels on ``x``'s ``axis``) as a contiguous (C,) array in ``x``'s
    dtype and array module."""
    xp = backend.array_module(x)
    vector = xp.ascontiguousarray(xp.asarray(vector, dtype=x.dtype))
    if vector.shape != (x.shape[axis],):
        raise ValueError(f"{kernel}: {name} must have shape ({x.shape[axis]},) for {x_name} of shape "
                         f"{tuple(x.shape)}, got {tuple(vector.shape)}")
    return vector


def _require_elements(kernel, x):
    """Batch statistics need at least one element per channel (M = N*L > 0)."""
    if x.shape[0] * x.shape[2] == 0:
        raise ValueError(f"{kernel}: x of shape {tuple(x.shape)} has no elements per channel")


def _shape(kernel, x_shape):
    """``x_shape`` as a tuple of four non-negative Python ints."""
    shape = tuple(operator.index(size) for size in x_shape)
    if len(shape) != 4 or min(shape) < 0:
        raise ValueError(f"{kernel}: x_shape must be four non-negative sizes (N, C, H, W), got {x_shape}")
    return shape


def _pair(kernel, name, value, smallest):
    """An int or (h, w) pair as a pair of Python ints, each at least ``smallest``."""
    try:
        pair = (operator.index(value),) * 2
    except TypeError:
        pair = tuple(operator.index(v) for v in value)
    if len(pair) != 2 or min(pair) < smallest:
        raise ValueError(f"{kernel}: {name} must be an int or a pair of ints >= {smallest}, got {value!r}")
    return pair


def _conv_geometry(kernel, x_shape, kernel_size, stride, padding, dilation):
    """Validated ``(kernel_size, stride, padding, dilation)`` pairs for an NCHW shape."""
    geometry = (
        _pair(kernel, "kernel_size", kernel_size, 1),
        _pair(kernel, "stride", stride, 1),
        _pair(kernel, "padding", padding, 0),
        _pair(kernel, "dilation", dilation, 1),
    )
    (kh, kw), _, (ph, pw), (dh, dw) = geometry
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    padded = (x_shape[2] + 2 * ph, x_shape[3] + 2 * pw)
    if span[0] > padded[0] or span[1] > padded[1]:
        raise ValueError(f"{kernel}: the kernel {(kh, kw)} with dilation {(dh, dw)} spans {span}, larger than "
                         f"the padded input {padded} (input shape {tuple(x_shape)}, padding {(ph, pw)})")
    return geometry
