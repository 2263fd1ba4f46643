"""Slow, obviously-correct NumPy references for the kernels, and the checks both kernel suites run.

The references compute what ``minigan.kernels`` computes by a *different route*, so one
misunderstanding cannot hide in both:

* im2col pads the image with ``np.pad`` and, for every kernel tap (i, j), takes the strided window
  ``padded[:, :, i*dh : ... : sh, j*dw : ... : sw]`` -- the (OH, OW) pixels that tap sees.
* col2im is the same walk with ``+=`` into the padded image, then crops the padding.
* OH and OW are counted (window positions 0, s, 2s, ... that fit), not computed by the formula.
* batch-norm statistics use ``np.mean`` / ``np.var`` in float64; the backward pass is the
  step-by-step chain rule of Ioffe & Szegedy (2015, section 3) -- through dxhat, dvar and dmean --
  not the fused formula the kernels use.

The ``check_*`` functions call ``minigan.kernels`` (which dispatches on the array's target) and
compare with the references, asserting dtypes too. ``tests/test_kernels_cpu.py`` runs them on the
CPU kernels over many hypothesis-drawn shapes; ``tests/cuda_sim/test_kernels_cuda.py`` runs them on
the CUDA kernels under Numba's simulator, on the few small shapes in ``SMALL_CONV_CASES`` and
``SMALL_CHANNEL_SHAPES``.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from hypothesis import strategies as st

from minigan import kernels

# Sums may be taken in another order (and in float64 inside the kernels), so compare per dtype.
TOLERANCE = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-10)}


class ConvCase(NamedTuple):
    """One im2col/col2im geometry: an NCHW input shape and (h, w) pairs of parameters."""

    x_shape: tuple
    kernel_size: tuple
    stride: tuple = (1, 1)
    padding: tuple = (0, 0)
    dilation: tuple = (1, 1)

    @property
    def span(self):
        """Input positions one dilated kernel covers, per axis."""
        return tuple(self.dilation[a] * (self.kernel_size[a] - 1) + 1 for a in (0, 1))

    @property
    def out_hw(self):
        """Count the window positions 0, s, 2s, ... at which the dilated kernel fits in the padded image."""
        return tuple(
            len(range(0, self.x_shape[2 + a] + 2 * self.padding[a] - self.span[a] + 1, self.stride[a]))
            for a in (0, 1)
        )

    @property
    def cols_shape(self):
        n, c, _, _ = self.x_shape
        oh, ow = self.out_hw
        return (c * self.kernel_size[0] * self.kernel_size[1], n * oh * ow)

    def args(self):
        return self.kernel_size, self.stride, self.padding, self.dilation

    def __str__(self):  # a short test id, e.g. x2.3.6.5-k2.3-s2.1-p1.0-d1.1
        return "-".join(f"{tag}{'.'.join(map(str, v))}" for tag, v in zip("xkspd", self))


# Small geometries for the CUDA simulator (it runs every GPU thread in Python): batch 1 and odd
# batches, one and several channels, non-square images, kernels, strides and paddings, padding
# wider than the stride, dilation along either axis, and a 1x1 kernel with a stride that skips pixels.
SMALL_CONV_CASES = [
    ConvCase((1, 1, 5, 5), (3, 3)),
    ConvCase((2, 3, 6, 5), (2, 3), stride=(2, 1), padding=(1, 0)),
    ConvCase((3, 2, 7, 6), (3, 2), stride=(3, 2), padding=(2, 1), dilation=(2, 1)),
    ConvCase((2, 1, 5, 7), (2, 3), stride=(1, 2), padding=(0, 2), dilation=(1, 2)),
    ConvCase((2, 2, 4, 4), (4, 4), stride=(2, 2), padding=(1, 1)),
    ConvCase((1, 4, 3, 5), (1, 1), stride=(2, 3)),
]

# (N, C, L) shapes for the per-channel kernels under the simulator: L = 1 is BatchNorm1d's (N, C)
# layout, and a channel with more elements (390) than a block has threads (256) checks the strided loop.
SMALL_CHANNEL_SHAPES = [(1, 3, 1), (5, 2, 7), (3, 1, 130)]


@st.composite
def conv_cases(draw, max_size=9):
    """Hypothesis strategy: a valid ConvCase with kernel 1-5, stride 1-3, padding 0-2, dilation 1-2."""
    kernel = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    # The padded image must hold the dilated kernel at least once.
    span = ConvCase((1, 1, 1, 1), kernel, dilation=dilation).span
    h = draw(st.integers(max(1, span[0] - 2 * padding[0]), max_size))
    w = draw(st.integers(max(1, span[1] - 2 * padding[1]), max_size))
    x_shape = (draw(st.integers(1, 4)), draw(st.integers(1, 5)), h, w)
    return ConvCase(x_shape, kernel, stride, padding, dilation)


def channel_shapes():
    """Hypothesis strategy: an (N, C, L) shape, L = 1 included."""
    return st.tuples(st.integers(1, 6), st.integers(1, 6), st.sampled_from([1, 2, 3, 7, 16, 49]))


# ----------------------------------------------------------------------------- references

def _tap_windows(case: ConvCase):
    """For each kernel tap (i, j): the slices of the padded image that the tap reads."""
    (kh, kw), (sh, sw), (dh, dw) = case.kernel_size, case.stride, case.dilation
    oh, ow = case.out_hw
    for i in range(kh):
        for j in range(kw):
            yield i, j, (slice(i * dh, i * dh + sh * (oh - 1) + 1, sh), slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


def im2col_reference(x, case: ConvCase):
    n, c, _, _ = x.shape
    (kh, kw), (ph, pw) = case.kernel_size, case.padding
    oh, ow = case.out_hw
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = np.zeros((c, kh, kw, n, oh, ow), dtype=x.dtype)
    for i, j, window in _tap_windows(case):
        cols[:, i, j] = padded[:, :, window[0], window[1]].transpose(1, 0, 2, 3)
    return cols.reshape(case.cols_shape)


def col2im_reference(cols, case: ConvCase):
    n, c, h, w = case.x_shape
    (kh, kw), (ph, pw) = case.kernel_size, case.padding
    oh, ow = case.out_hw
    cols = cols.reshape(c, kh, kw, n, oh, ow)
    padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i, j, window in _tap_windows(case):
        padded[:, :, window[0], window[1]] += cols[:, i, j].transpose(1, 0, 2, 3)
    return padded[:, :, ph:ph + h, pw:pw + w]


def channel_sum_reference(x):
    return x.astype(np.float64).sum(axis=(0, 2))


def batch_norm_stats_reference(x):
    x64 = x.astype(np.float64)
    return x64.mean(axis=(0, 2)), x64.var(axis=(0, 2))


def _per_channel(*vectors):
    """(C,) vectors as float64 (1, C, 1) arrays that broadcast against (N, C, L)."""
    return [np.asarray(v, dtype=np.float64)[None, :, None] for v in vectors]


def batch_norm_forward_reference(x, mean, inv_std, weight, bias):
    mean, inv_std, weight, bias = _per_channel(mean, inv_std, weight, bias)
    return (x - mean) * inv_std * weight + bias


def batch_norm_backward_reference(dy, x, mean, inv_std, weight):
    """Chain rule through y = weight * xhat + bias, xhat = (x - mean) * inv_std and
    inv_std = (var + eps)^(-1/2), where mean and var are the batch statistics of x (so depend on x)."""
    dy, x = dy.astype(np.float64), x.astype(np.float64)
    mean, inv_std, weight = _per_channel(mean, inv_std, weight)
    m = x.shape[0] * x.shape[2]
    centred = x - mean

    def total(a):
        return a.sum(axis=(0, 2), keepdims=True)

    dxhat = dy * weight
    dvar = total(dxhat * centred) * -0.5 * inv_std**3
    dmean = -total(dxhat) * inv_std + dvar * -2.0 * total(centred) / m
    dx = dxhat * inv_std + dvar * 2.0 * centred / m + dmean / m
    return dx, total(dy * centred * inv_std).ravel(), total(dy).ravel()


def batch_statistics(x, eps=1e-5):
    """The (mean, inv_std) that a training-mode BatchNorm passes to the kernels, in x's dtype."""
    mean, var = batch_norm_stats_reference(x)
    return mean.astype(x.dtype), (1.0 / np.sqrt(var + eps)).astype(x.dtype)


# ----------------------------------------------------------------------------- checks

def assert_matches(actual, expected, dtype, what):
    """``actual`` is a NumPy array of ``dtype`` that equals ``expected`` within that dtype's tolerance."""
    assert isinstance(actual, np.ndarray), f"{what}: expected a NumPy array, got {type(actual)}"
    assert actual.dtype == dtype, f"{what}: dtype {actual.dtype}, expected {np.dtype(dtype)}"
    np.testing.assert_allclose(actual, expected, err_msg=what, **TOLERANCE[dtype])


def check_im2col(case: ConvCase, dtype, seed=0):
    x = np.random.default_rng(seed).standard_normal(case.x_shape).astype(dtype)
    cols = kernels.im2col(x, *case.args())
    assert cols.dtype == dtype, f"im2col {case}: dtype {cols.dtype}"
    np.testing.assert_array_equal(cols, im2col_reference(x, case), err_msg=f"im2col {case}")


def check_col2im(case: ConvCase, dtype, seed=0):
    cols = np.random.default_rng(seed).standard_normal(case.cols_shape).astype(dtype)
    x = kernels.col2im(cols, case.x_shape, *case.args())
    assert_matches(x, col2im_reference(cols, case), dtype, f"col2im {case}")


def check_adjoint(case: ConvCase, seed=0):
    """<im2col(x), c> == <x, col2im(c)>: col2im is the transpose of im2col (float64)."""
    rng = np.random.default_rng(seed)
    x, c = rng.standard_normal(case.x_shape), rng.standard_normal(case.cols_shape)
    lhs = np.vdot(kernels.im2col(x, *case.args()), c)
    rhs = np.vdot(x, kernels.col2im(c, case.x_shape, *case.args()))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12, atol=1e-12, err_msg=f"adjoint {case}")


def check_channel_kernels(shape, dtype, seed=0):
    """channel_sum, add_channel_bias and the three batch-norm kernels against the references."""
    rng = np.random.default_rng(seed)
    x, dy = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    weight, bias = (rng.standard_normal(shape[1]).astype(dtype) for _ in range(2))
    mean, inv_std = batch_statistics(x)
    what = f"{shape} {np.dtype(dtype)}"

    assert_matches(kernels.channel_sum(x), channel_sum_reference(x), dtype, f"channel_sum {what}")
    assert_matches(kernels.add_channel_bias(x, bias), x + bias[None, :, None], dtype, f"add_channel_bias {what}")
    rows = np.ascontiguousarray(x.transpose(1, 0, 2))  # (C, N, L): a convolution's GEMM output
    assert_matches(kernels.conv_rows_to_nchw(rows, bias), x + bias[None, :, None], dtype, f"conv_rows_to_nchw {what}")
    for name, got, expected in zip(("mean", "var"), kernels.batch_norm_stats(x), batch_norm_stats_reference(x)):
        assert_matches(got, expected, dtype, f"batch_norm_stats {name} {what}")
    assert_matches(kernels.batch_norm_forward(x, mean, inv_std, weight, bias),
                   batch_norm_forward_reference(x, mean, inv_std, weight, bias), dtype, f"batch_norm_forward {what}")
    got = kernels.batch_norm_backward(dy, x, mean, inv_std, weight)
    expected = batch_norm_backward_reference(dy, x, mean, inv_std, weight)
    for name, g, e in zip(("dx", "dweight", "dbias"), got, expected):
        assert_matches(g, e, dtype, f"batch_norm_backward {name} {what}")


def check_stats_far_from_zero(shape, seed=0):
    """float32 data at 1e4 with noise of 1e-2: a one-pass E[x^2] - E[x]^2 in float32 returns garbage
    (the variance, 1e-4, is below the rounding error of E[x^2] ~ 1e8); two passes are exact enough."""
    x = (1e4 + 1e-2 * np.random.default_rng(seed).standard_normal(shape)).astype(np.float32)
    mean, var = kernels.batch_norm_stats(x)
    expected_mean, expected_var = batch_norm_stats_reference(x)
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-7)
    np.testing.assert_allclose(var, expected_var, rtol=1e-4)


def check_leaky_relu(shape, dtype, slope=0.2, seed=0):
    """The leaky ReLU kernels equal NumPy's formula *bit for bit*, special values included."""
    rng = np.random.default_rng(seed)
    x, dy = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    special = np.array([np.nan, -0.0, 0.0, np.inf, -np.inf, 1e-45, -1e-45], dtype=dtype)
    x.reshape(-1)[:min(x.size, special.size)] = special[:x.size]
    s = dtype(slope)
    bits = np.uint32 if dtype == np.float32 else np.uint64
    for got, expected, what in ((kernels.leaky_relu(x, slope), np.where(x > 0, x, x * s), "forward"),
                                (kernels.leaky_relu_backward(dy, x, slope), np.where(x > 0, dy, dy * s), "backward")):
        assert got.shape == x.shape and got.dtype == x.dtype, what
        np.testing.assert_array_equal(got.view(bits), expected.view(bits), err_msg=f"leaky_relu {what} {shape}")


def check_relu_backward(shape, dtype, seed=0):
    """ReLU's backward kernel equals ``numpy.where(x > 0, dy, 0.0)`` *bit for bit*, special values included."""
    rng = np.random.default_rng(seed)
    x, dy = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    special = np.array([np.nan, -0.0, 0.0, np.inf, -np.inf, 1e-45, -1e-45], dtype=dtype)
    x.reshape(-1)[:min(x.size, special.size)] = special[:x.size]
    dy.reshape(-1)[-min(dy.size, special.size):] = -special[:dy.size]  # -0.0 and NaN gradients too
    got, expected = kernels.relu_backward(dy, x), np.where(x > 0, dy, dtype(0))
    assert got.shape == x.shape and got.dtype == x.dtype
    bits = np.uint32 if dtype == np.float32 else np.uint64
    np.testing.assert_array_equal(got.view(bits), expected.view(bits), err_msg=f"relu_backward {shape}")


def adam_update_reference(p, g, m, v, v_max, beta1, beta2, step_size, root_correction2, eps):
    """Adam's update as NumPy expressions (what ``optim.Adam`` computed before its kernel), as new arrays.
    ``v_max`` is None without amsgrad."""
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    v_max = None if v_max is None else np.maximum(v_max, v)
    p = p - step_size * (m / (np.sqrt(v if v_max is None else v_max) / root_correction2 + eps))
    return p, m, v, v_max


def check_adam_update(size, dtype, amsgrad, steps=5, seed=0):
    """``kernels.adam_update`` equals the NumPy expressions *bit for bit*, step after step, in place."""
    rng = np.random.default_rng(seed)
    p = rng.standard_normal(size).astype(dtype)
    m, v = np.zeros_like(p), np.zeros_like(p)
    v_max = np.zeros_like(p) if amsgrad else None
    expected = (p.copy(), m.copy(), v.copy(), None if v_max is None else v_max.copy())
    beta1, beta2, lr, eps = 0.5, 0.999, 2e-4, 1e-8
    bits = np.uint32 if dtype == np.float32 else np.uint64
    for t in range(1, steps + 1):
        g = (rng.standard_normal(size) * 10.0 ** rng.integers(-6, 2)).astype(dtype)
        step_size, root_correction2 = lr / (1 - beta1 ** t), math.sqrt(1 - beta2 ** t)
        expected = adam_update_reference(expected[0], g, *expected[1:], beta1, beta2, step_size, root_correction2, eps)
        kernels.adam_update(p, g, m, v, v_max, beta1, beta2, step_size, root_correction2, eps)
        for got, want, name in zip((p, m, v, v_max), expected, ("param", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")):
            if want is not None:
                np.testing.assert_array_equal(got.view(bits), want.view(bits), err_msg=f"{name} at step {t}")
