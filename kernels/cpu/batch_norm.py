"""Per-channel kernels on the CPU: channel sums, bias add, and batch normalisation forward/backward.

Every kernel here sees ``x`` as (N, C, L): N samples, C channels, L positions per channel
(L = 1 for BatchNorm1d's (N, C) inputs, L = H*W for BatchNorm2d). With M = N*L elements per channel:

    mean[c]    = sum_{n,l} x[n,c,l] / M
    var[c]     = sum_{n,l} (x[n,c,l] - mean[c])^2 / M               (biased; two passes, float64)
    xhat       = (x - mean[c]) * inv_std[c]
    y          = xhat * weight[c] + bias[c]
    dbias[c]   = sum_{n,l} dy
    dweight[c] = sum_{n,l} dy * xhat
    dx         = weight[c] * inv_std[c] / M * (M*dy - dbias[c] - xhat*dweight[c])

The backward formula is the whole chain rule through the batch statistics, simplified: mean and var
depend on every x, which is where the two subtracted sums come from.

**Loop order.** For each sample n, the (C, L) block is contiguous, C*L elements long. The loops run
over it in memory order, ``q = c*L + l``, so the innermost loop is long and contiguous whether L is
1 or 196, and the compiler vectorises it. (Loops ``for c: for l:`` have an inner loop of length 1
for BatchNorm1d and measured about 6x slower there.) To know each q's channel without a division,
per-channel constants are first expanded to per-position vectors of length C*L
(:func:`_per_position`, 1/N of the data). Reductions add the N planes of C*L values into a float64
accumulator plane, then fold each channel's L entries (:func:`_fold_channels`).

**Precision.** Sums are accumulated in float64 whatever the input dtype; the variance uses two
passes (mean first, then squared deviations), which stays accurate for data far from zero, e.g.
1e4 + small noise in float32, where the one-pass E[x^2] - E[x]^2 cancels catastrophically. Outputs
have the input's dtype.

**Threads.** These kernels are serial. At DCGAN sizes they take 0.05-0.6 ms, and a ``prange``
call on Numba's OpenMP layer can wait a whole scheduler slice (several ms) for a core that another
process -- or OpenBLAS's still-spinning GEMM threads -- holds, which costs far more than a second
thread saves (see ``kernels/cpu/conv.py`` and ``benchmarks/bench_kernels.py --threads``).
"""
from __future__ import annotations

import numpy as np
from numba import njit


def channel_sum(x):
    """sum over n and l of x (N, C, L): shape (C,)."""
    return _channel_totals(x).astype(x.dtype)


def add_channel_bias(x, b):
    """y = x + b[None, :, None]."""
    y = np.empty_like(x)
    _add_channel_bias(x, b, y)
    return y


def batch_norm_stats(x):
    """Per-channel mean and biased variance of x (N, C, L), each (C,)."""
    mean, var = _batch_norm_stats(x)
    return mean.astype(x.dtype), var.astype(x.dtype)


def batch_norm_forward(x, mean, inv_std, weight, bias):
    """y = (x - mean[c]) * inv_std[c] * weight[c] + bias[c]."""
    y = np.empty_like(x)
    _batch_norm_forward(x, mean, inv_std, weight, bias, y)
    return y


def batch_norm_backward(dy, x, mean, inv_std, weight):
    """Training-mode backward: (dx, dweight, dbias) (see the module docstring)."""
    dx = np.empty_like(x)
    dweight, dbias = _batch_norm_backward(dy, x, mean, inv_std, weight, dx)
    return dx, dweight.astype(x.dtype), dbias.astype(x.dtype)


@njit(cache=True)
def _per_position(per_channel, L):
    """Repeat each channel's value L times: the value at every position q = c*L + l."""
    values = np.empty(per_channel.size * L, dtype=per_channel.dtype)
    for c in range(per_channel.size):
        for l in range(L):
            values[c * L + l] = per_channel[c]
    return values


@njit(cache=True)
def _fold_channels(plane, C, L):
    """Sum a (C*L) plane of per-position totals into (C,) per-channel totals."""
    totals = np.zeros(C)
    for c in range(C):
        for l in range(L):
            totals[c] += plane[c * L + l]
    return totals


@njit(cache=True)
def _channel_totals(x):
    """sum_{n,l} x[n, c, l] in float64: add the N planes, then fold each channel's L positions."""
    N, C, L = x.shape
    rows = x.reshape(N, C * L)
    plane = np.zeros(C * L)
    for n in range(N):
        for q in range(C * L):
            plane[q] += rows[n, q]
    return _fold_channels(plane, C, L)


@njit(cache=True)
def _add_channel_bias(x, b, y):
    N, C, L = x.shape
    rows, out = x.reshape(N, C * L), y.reshape(N, C * L)
    shift = _per_position(b, L)
    for n in range(N):
        for q in range(C * L):
            out[n, q] = rows[n, q] + shift[q]


@njit(cache=True)
def _batch_norm_stats(x):
    """Two passes: the mean, then the mean squared deviation from it (float64)."""
    N, C, L = x.shape
    M = N * L
    mean = _channel_totals(x) / M
    rows = x.reshape(N, C * L)
    centre = _per_position(mean, L)
    plane = np.zeros(C * L)
    for n in range(N):
        for q in range(C * L):
            deviation = rows[n, q] - centre[q]
            plane[q] += deviation * deviation
    return mean, _fold_channels(plane, C, L) / M


@njit(cache=True)
def _batch_norm_forward(x, mean, inv_std, weight, bias, y):
    N, C, L = x.shape
    rows, out = x.reshape(N, C * L), y.reshape(N, C * L)
    centre = _per_position(mean, L)
    scale = _per_position(inv_std * weight, L)
    shift = _per_position(bias, L)
    for n in range(N):
        for q in range(C * L):
            out[n, q] = (rows[n, q] - centre[q]) * scale[q] + shift[q]


@njit(cache=True)
def _batch_norm_backward(dy, x, mean, inv_std, weight, dx):
    """Pass 1 reduces dbias and dweight; pass 2 writes dx. Returns (dweight, dbias) in float64."""
    N, C, L = x.shape
    M = N * L
    rows, grads, out = x.reshape(N, C * L), dy.reshape(N, C * L), dx.reshape(N, C * L)
    centre = _per_position(mean, L)
    inv = _per_position(inv_std, L)
    dbias_plane = np.zeros(C * L)
    dweight_plane = np.zeros(C * L)
    for n in range(N):
        for q in range(C * L):
            xhat = (rows[n, q] - centre[q]) * inv[q]
            dbias_plane[q] += grads[n, q]
            dweight_plane[q] += grads[n, q] * xhat
    dbias = _fold_channels(dbias_plane, C, L)
    dweight = _fold_channels(dweight_plane, C, L)
    scale = _per_position(weight * inv_std / M, L)
    dbias_q = _per_position(dbias, L)
    dweight_q = _per_position(dweight, L)
    for n in range(N):
        for q in range(C * L):
            xhat = (rows[n, q] - centre[q]) * inv[q]
            out[n, q] = scale[q] * (M * grads[n, q] - dbias_q[q] - xhat * dweight_q[q])
    return dweight, dbias
