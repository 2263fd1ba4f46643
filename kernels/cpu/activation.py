"""Leaky ReLU on the CPU, forward and backward, and ReLU's backward, each in one pass over memory.

    forward:   y  = x          if x > 0 else slope * x
    backward:  dx = dy         if x > 0 else slope * dy
    ReLU:      dx = dy         if x > 0 else 0

Written with NumPy, each is three passes and two temporaries (the mask ``x > 0``, the product
``slope * x``) and a choice per element; ``numpy.where`` on a random-looking mask mispredicts half
its branches (see ``minigan/autograd/select.py``). In a Numba loop the compiler turns the ``if``
into a vector blend -- no branch at all -- and each element is read once and written once. The
results are bit-for-bit NumPy's: the same single multiplication, and NaN and -0.0 take the
``else`` side exactly as ``x > 0`` says. (ReLU's backward was ``select``: five passes, 1.6 ms on a
(64, 64, 14, 14) batch.) Arrays arrive flat and contiguous (``minigan.kernels``).
"""
from __future__ import annotations

import numpy as np
from numba import njit


def leaky_relu(x, slope):
    y = np.empty_like(x)
    _leaky_relu(x, x.dtype.type(slope), y)
    return y


def leaky_relu_backward(dy, x, slope):
    dx = np.empty_like(dy)
    _leaky_relu_backward(dy, x, x.dtype.type(slope), dx)
    return dx


@njit(cache=True, nogil=True)
def _leaky_relu(x, slope, y):
    for i in range(x.size):
        v = x[i]
        y[i] = v if v > 0 else v * slope


@njit(cache=True, nogil=True)
def _leaky_relu_backward(dy, x, slope, dx):
    for i in range(x.size):
        g = dy[i]
        dx[i] = g if x[i] > 0 else g * slope


def relu_backward(dy, x):
    dx = np.empty_like(dy)
    _relu_backward(dy, x, dx)
    return dx


@njit(cache=True, nogil=True)
def _relu_backward(dy, x, dx):
    for i in range(x.size):
        dx[i] = dy[i] if x[i] > 0 else 0.0
