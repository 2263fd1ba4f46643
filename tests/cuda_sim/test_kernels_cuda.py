"""The Numba CUDA kernels under the CUDA simulator, against the NumPy references.

The same checks as ``tests/test_kernels_cpu.py`` (they live in ``tests/reference.py``), on a few
small shapes: the simulator runs every GPU thread as Python, and a per-channel reduction block of
256 threads with its barriers takes about half a second. Run through ``tests/test_cuda_simulator.py``
or by hand (see ``conftest.py``).
"""
import numpy as np
import pytest

from minigan import backend
from reference import (
    SMALL_CHANNEL_SHAPES,
    SMALL_CONV_CASES,
    check_adam_update,
    check_adjoint,
    check_channel_kernels,
    check_col2im,
    check_im2col,
    check_leaky_relu,
    check_relu_backward,
    check_stats_far_from_zero,
)


def test_numpy_arrays_run_the_cuda_kernels():
    """Otherwise every other test here would quietly test the CPU kernels."""
    assert backend.kernel_target(np.zeros(1)) == "cuda-sim", "run with MINIGAN_DEVICE=cuda-sim"


@pytest.mark.parametrize("case", SMALL_CONV_CASES, ids=str)
def test_im2col_and_col2im_match_reference(case):
    check_im2col(case, np.float32)
    check_col2im(case, np.float32)


@pytest.mark.parametrize("case", SMALL_CONV_CASES[1:3], ids=str)
def test_float64_and_adjoint(case):
    check_im2col(case, np.float64)
    check_col2im(case, np.float64)
    check_adjoint(case)


@pytest.mark.parametrize("shape", SMALL_CHANNEL_SHAPES, ids=str)
def test_channel_kernels_match_reference(shape):
    check_channel_kernels(shape, np.float32)


def test_channel_kernels_float64():
    check_channel_kernels(SMALL_CHANNEL_SHAPES[1], np.float64)


def test_batch_norm_stats_far_from_zero():
    check_stats_far_from_zero((4, 1, 75))


@pytest.mark.parametrize("shape", [(3,), (2, 5, 7)], ids=str)
def test_leaky_relu_kernels_match_numpy_bit_for_bit(shape):
    check_leaky_relu(shape, np.float32)
    check_leaky_relu(shape, np.float64, slope=0.01)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_update_matches_numpy_bit_for_bit(amsgrad):
    check_adam_update(300, np.float32, amsgrad, steps=3)
    check_adam_update(7, np.float64, amsgrad, steps=3)


def test_relu_backward_kernel_matches_numpy_bit_for_bit():
    check_relu_backward((5, 9), np.float32)
    check_relu_backward((13,), np.float64)

