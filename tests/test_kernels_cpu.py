"""The Numba CPU kernels against the NumPy references in ``tests/reference.py``.

Hypothesis draws the geometries: batch 1 and odd batches, 1-5 channels, kernels 1-5, strides 1-3,
paddings 0-2, dilations 1-2, each chosen separately for height and width. Example counts are kept
modest so the file runs in seconds once the kernels are compiled (and cached).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigan import backend, kernels
from reference import (
    SMALL_CONV_CASES,
    ConvCase,
    batch_norm_forward_reference,
    batch_statistics,
    channel_shapes,
    check_adam_update,
    check_adjoint,
    check_channel_kernels,
    check_col2im,
    check_im2col,
    check_leaky_relu,
    check_relu_backward,
    check_stats_far_from_zero,
    conv_cases,
    im2col_reference,
)

DTYPES = [np.float32, np.float64]
SEEDS = st.integers(0, 2**32 - 1)
FEW = settings(max_examples=40, deadline=None)


def test_numpy_arrays_run_the_cpu_kernels():
    assert backend.kernel_target(np.zeros(1)) == "cpu"


@FEW
@given(case=conv_cases(), dtype=st.sampled_from(DTYPES), seed=SEEDS)
def test_im2col_matches_reference(case, dtype, seed):
    check_im2col(case, dtype, seed)


@FEW
@given(case=conv_cases(), dtype=st.sampled_from(DTYPES), seed=SEEDS)
def test_col2im_matches_reference(case, dtype, seed):
    check_col2im(case, dtype, seed)


@FEW
@given(case=conv_cases(), seed=SEEDS)
def test_col2im_is_the_adjoint_of_im2col(case, seed):
    check_adjoint(case, seed)


@pytest.mark.parametrize("case", SMALL_CONV_CASES, ids=str)
def test_conv_kernels_on_the_simulator_cases(case):
    check_im2col(case, np.float32)
    check_col2im(case, np.float32)


def test_conv_kernels_at_dcgan_size():
    """Enough rows and channels that every thread of the parallel loops gets work."""
    case = ConvCase((5, 16, 14, 14), (4, 4), stride=(2, 2), padding=(1, 1))
    check_im2col(case, np.float32)
    check_col2im(case, np.float32)


def test_int_arguments_mean_square_pairs():
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 7)).astype(np.float32)
    np.testing.assert_array_equal(kernels.im2col(x, 3, 2, 1, 2), kernels.im2col(x, (3, 3), (2, 2), (1, 1), (2, 2)))
    cols = kernels.im2col(x, 3, stride=2, padding=1)
    np.testing.assert_array_equal(kernels.col2im(cols, x.shape, 3, 2, 1),
                                  kernels.col2im(cols, x.shape, (3, 3), (2, 2), (1, 1)))


def test_non_contiguous_input_is_accepted():
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 10))[:, :, :, ::2]
    case = ConvCase(x.shape, (3, 2), padding=(1, 1))
    np.testing.assert_array_equal(kernels.im2col(x, *case.args()), im2col_reference(np.ascontiguousarray(x), case))


@settings(max_examples=30, deadline=None)
@given(shape=channel_shapes(), dtype=st.sampled_from(DTYPES), seed=SEEDS)
def test_channel_kernels_match_reference(shape, dtype, seed):
    check_channel_kernels(shape, dtype, seed)


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 9), min_size=1, max_size=4).map(tuple), dtype=st.sampled_from(DTYPES),
       slope=st.floats(0, 1), seed=SEEDS)
def test_leaky_relu_kernels_match_numpy_bit_for_bit(shape, dtype, slope, seed):
    check_leaky_relu(shape, dtype, slope, seed)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1,), (7,), (3, 5), (64, 64, 14, 14)])
def test_relu_backward_kernel_matches_numpy_bit_for_bit(shape, dtype):
    check_relu_backward(shape, dtype)


def test_leaky_relu_kernels_at_dcgan_size_and_on_views():
    check_leaky_relu((64, 64, 14, 14), np.float32)
    x = np.random.default_rng(0).standard_normal((6, 8)).astype(np.float32)[:, ::2]  # not contiguous
    np.testing.assert_array_equal(kernels.leaky_relu(x, 0.2), np.where(x > 0, x, x * np.float32(0.2)))


@pytest.mark.parametrize("shape", [(64, 16, 49), (256, 40, 1)])
def test_batch_norm_stats_far_from_zero(shape):
    check_stats_far_from_zero(shape)


def test_batch_norm_backward_is_the_gradient_of_the_forward():
    """Central differences of sum(dy * BN(x)), with the batch statistics recomputed from x (float64)."""
    rng = np.random.default_rng(1)
    x, dy = rng.standard_normal((3, 2, 4)), rng.standard_normal((3, 2, 4))
    weight, bias = rng.standard_normal(2), rng.standard_normal(2)

    def loss(x):
        mean, inv_std = batch_statistics(x)
        return np.sum(dy * batch_norm_forward_reference(x, mean, inv_std, weight, bias))

    numeric = np.zeros_like(x)
    eps = 1e-6
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        numeric[index] = (loss(x + step) - loss(x - step)) / (2 * eps)
    dx, _, _ = kernels.batch_norm_backward(dy, x, *batch_statistics(x), weight)
    np.testing.assert_allclose(dx, numeric, rtol=1e-6, atol=1e-8)


X4 = np.zeros((2, 3, 5, 5), dtype=np.float32)
X3 = np.zeros((2, 3, 4), dtype=np.float32)
C3 = np.zeros(3, dtype=np.float32)
ERRORS = [
    (lambda: kernels.im2col(X3, 3), ValueError, r"im2col: x must have 4 dimensions, got shape \(2, 3, 4\)"),
    (lambda: kernels.im2col(X4, 0), ValueError, r"im2col: kernel_size must be .* >= 1, got 0"),
    (lambda: kernels.im2col(X4, 3, stride=(1, 0)), ValueError, r"im2col: stride .* got \(1, 0\)"),
    (lambda: kernels.im2col(X4, 3, dilation=0), ValueError, r"im2col: dilation"),
    (lambda: kernels.im2col(X4, 3, padding=-1), ValueError, r"im2col: padding must be .* >= 0"),
    (lambda: kernels.im2col(X4, (1, 2, 3)), ValueError, r"im2col: kernel_size .* got \(1, 2, 3\)"),
    (lambda: kernels.im2col(X4, (8, 3)), ValueError, r"im2col: the kernel \(8, 3\) .* spans \(8, 3\), larger "
                                                      r"than the padded input \(5, 5\) \(input shape \(2, 3, 5, 5\)"),
    (lambda: kernels.im2col(X4, 3, dilation=3), ValueError, r"im2col: the kernel \(3, 3\) with dilation \(3, 3\) spans \(7, 7\)"),
    (lambda: kernels.im2col(X4.astype(np.int32), 3), TypeError, r"im2col: x must be float32 or float64, got int32"),
    (lambda: kernels.col2im(np.zeros((27, 17), np.float32), X4.shape, 3), ValueError,
     r"col2im: cols has shape \(27, 17\), but x_shape \(2, 3, 5, 5\) .* needs \(27, 18\)"),
    (lambda: kernels.col2im(np.zeros(27, np.float32), X4.shape, 3), ValueError, r"col2im: cols must have 2 dimensions"),
    (lambda: kernels.col2im(np.zeros((27, 18), np.float32), (2, 3, 5), 3), ValueError, r"col2im: x_shape must be"),
    (lambda: kernels.channel_sum(X4), ValueError, r"channel_sum: x must have 3 dimensions"),
    (lambda: kernels.add_channel_bias(X3, np.zeros(4)), ValueError,
     r"add_channel_bias: b must have shape \(3,\) for x of shape \(2, 3, 4\), got \(4,\)"),
    (lambda: kernels.conv_rows_to_nchw(X3, np.zeros(3)), ValueError,
     r"conv_rows_to_nchw: b must have shape \(2,\) for rows of shape \(2, 3, 4\), got \(3,\)"),
    (lambda: kernels.conv_rows_to_nchw(X4, np.zeros(2)), ValueError, r"conv_rows_to_nchw: rows must have 3 dimensions"),
    (lambda: kernels.batch_norm_stats(np.zeros((0, 3, 4))), ValueError, r"batch_norm_stats: .* no elements"),
    (lambda: kernels.batch_norm_forward(X3, C3, C3, C3, np.zeros(2)), ValueError,
     r"batch_norm_forward: bias must have shape \(3,\)"),
    (lambda: kernels.batch_norm_backward(X3[:1], X3, C3, C3, C3), ValueError,
     r"batch_norm_backward: dy \(1, 3, 4\) float32 must match x \(2, 3, 4\) float32"),
    (lambda: kernels.batch_norm_backward(X3, X3, C3, C3, np.zeros((3, 1))), ValueError,
     r"batch_norm_backward: weight must have shape \(3,\)"),
]


@pytest.mark.parametrize("call, error, message", ERRORS, ids=[f"{m.split(':')[0]}-{i}" for i, (*_, m) in enumerate(ERRORS)])
def test_bad_arguments_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("size", [1, 7, 1000, (100, 6272)])
def test_adam_update_matches_numpy_bit_for_bit(size, dtype, amsgrad):
    check_adam_update(size, dtype, amsgrad)


def test_adam_update_refuses_buffers_it_cannot_update_in_place():
    p = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match=r"adam_update: exp_avg must be C-contiguous"):
        kernels.adam_update(p, p, np.zeros((4, 3), np.float32).T, p.copy(), p.copy(), 0.5, 0.9, 1e-3, 1.0, 1e-8)
    with pytest.raises(ValueError, match=r"adam_update: grad is \(3, 4\) float64, but param is \(3, 4\) float32"):
        kernels.adam_update(p, p.astype(np.float64), p.copy(), p.copy(), p.copy(), 0.5, 0.9, 1e-3, 1.0, 1e-8)

