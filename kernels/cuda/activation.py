"""Leaky ReLU on the GPU, forward and backward, and ReLU's backward: the formulas of ``kernels/cpu/activation.py``, one
thread per element (``launch.blocks_for``). Arrays arrive flat and contiguous."""
from __future__ import annotations

from numba import cuda

from minigan import backend

from .launch import blocks_for, launch


def leaky_relu(x, slope):
    y = backend.array_module(x).empty_like(x)
    launch(_leaky_relu, blocks_for(x.size), x, x.dtype.type(slope), y)
    return y


def leaky_relu_backward(dy, x, slope):
    dx = backend.array_module(dy).empty_like(dy)
    launch(_leaky_relu_backward, blocks_for(x.size), dy, x, x.dtype.type(slope), dx)
    return dx


@cuda.jit
def _leaky_relu(x, slope, y):
    i = cuda.grid(1)
    if i < x.size:
        v = x[i]
        y[i] = v if v > 0 else v * slope


@cuda.jit
def _leaky_relu_backward(dy, x, slope, dx):
    i = cuda.grid(1)
    if i < x.size:
        g = dy[i]
        dx[i] = g if x[i] > 0 else g * slope


def relu_backward(dy, x):
    dx = backend.array_module(dy).zeros_like(dy)
    launch(_relu_backward, blocks_for(x.size), dy, x, dx)
    return dx


@cuda.jit
def _relu_backward(dy, x, dx):
    i = cuda.grid(1)
    if i < x.size and x[i] > 0:
        dx[i] = dy[i]

