"""Per-channel kernels on the GPU: channel sums, bias add, and batch normalisation forward/backward.

The formulas are those of ``kernels/cpu/batch_norm.py``; ``x`` is (N, C, L) and a channel has
M = N*L elements.

Two kinds of kernel:

* **Elementwise** (bias add, normalisation, the dx of the backward pass): one thread per element,
  ``launch.blocks_for(x.size)`` blocks. Thread ``index`` finds its element
  ``(n, c, l) = (index // (C*L), index // L % C, index % L)``.
* **Per-channel reductions** (channel sums, mean and variance, dbias and dweight): one block of
  ``launch.THREADS`` threads per channel. Thread t adds up elements t, t+THREADS, t+2*THREADS, ...
  of its channel (flat index k = n*L + l, so neighbouring threads read neighbouring positions when
  L is large), then the block combines the THREADS partial sums with a tree reduction in shared
  memory (:func:`_block_sum`):

      step 128: thread t < 128 adds partial[t + 128] into partial[t]
      step  64: thread t <  64 adds partial[t +  64] into partial[t]
      ...                                            (a barrier after every step)
      step   1: partial[0] is the channel's total

  Sums are accumulated in float64. The variance takes two passes over the channel inside one
  block: the block first reduces the mean, which every thread then subtracts before squaring.

Host functions allocate outputs with the input's array module (CuPy on a GPU, NumPy under the
simulator); per-channel vectors are already in ``x``'s dtype and array module (the dispatcher in
``minigan.kernels`` sees to that).
"""
from __future__ import annotations

from numba import cuda, float64

from minigan import backend

from .launch import THREADS, blocks_for, launch


def channel_sum(x):
    """sum over n and l of x (N, C, L): shape (C,)."""
    total = backend.array_module(x).empty(x.shape[1], dtype=x.dtype)
    launch(_channel_sum, x.shape[1], x, total)
    return total


def add_channel_bias(x, b):
    """y = x + b[None, :, None]."""
    y = backend.array_module(x).empty_like(x)
    launch(_add_channel_bias, blocks_for(x.size), x, b, y)
    return y


def batch_norm_stats(x):
    """Per-channel mean and biased variance of x (N, C, L), each (C,)."""
    xp = backend.array_module(x)
    mean, var = xp.empty(x.shape[1], dtype=x.dtype), xp.empty(x.shape[1], dtype=x.dtype)
    launch(_batch_norm_stats, x.shape[1], x, mean, var)
    return mean, var


def batch_norm_forward(x, mean, inv_std, weight, bias):
    """y = (x - mean[c]) * inv_std[c] * weight[c] + bias[c]."""
    y = backend.array_module(x).empty_like(x)
    launch(_batch_norm_forward, blocks_for(x.size), x, mean, inv_std, weight, bias, y)
    return y


def batch_norm_backward(dy, x, mean, inv_std, weight):
    """Training-mode backward: (dx, dweight, dbias); the sums stay float64 until dx is written."""
    xp = backend.array_module(x)
    dweight, dbias = xp.empty(x.shape[1], dtype=xp.float64), xp.empty(x.shape[1], dtype=xp.float64)
    launch(_batch_norm_backward_sums, x.shape[1], dy, x, mean, inv_std, dweight, dbias)
    dx = xp.empty_like(x)
    launch(_batch_norm_backward_dx, blocks_for(x.size), dy, x, mean, inv_std, weight, dweight, dbias, dx)
    return dx, dweight.astype(x.dtype), dbias.astype(x.dtype)


@cuda.jit(device=True)
def _block_sum(partial, value):
    """Sum ``value`` over the threads of the block (tree reduction); every thread gets the total."""
    t = cuda.threadIdx.x
    partial[t] = value
    cuda.syncthreads()
    step = THREADS // 2
    while step > 0:
        if t < step:
            partial[t] += partial[t + step]
        cuda.syncthreads()
        step //= 2
    total = partial[0]
    cuda.syncthreads()  # everyone has read partial[0] before a later _block_sum overwrites it
    return total


@cuda.jit(device=True)
def _channel_total(x, c, partial):
    """Sum of channel ``c`` of ``x`` (N, C, L): each thread strides over N*L, then the block adds up."""
    N, C, L = x.shape
    value = 0.0
    for k in range(cuda.threadIdx.x, N * L, THREADS):
        value += x[k // L, c, k % L]
    return _block_sum(partial, value)


@cuda.jit
def _channel_sum(x, total):
    c = cuda.blockIdx.x
    partial = cuda.shared.array(THREADS, float64)
    value = _channel_total(x, c, partial)
    if cuda.threadIdx.x == 0:
        total[c] = value


@cuda.jit
def _batch_norm_stats(x, mean, var):
    N, C, L = x.shape
    c = cuda.blockIdx.x
    partial = cuda.shared.array(THREADS, float64)
    channel_mean = _channel_total(x, c, partial) / (N * L)
    value = 0.0
    for k in range(cuda.threadIdx.x, N * L, THREADS):
        deviation = x[k // L, c, k % L] - channel_mean
        value += deviation * deviation
    channel_var = _block_sum(partial, value) / (N * L)
    if cuda.threadIdx.x == 0:
        mean[c] = channel_mean
        var[c] = channel_var


@cuda.jit
def _batch_norm_backward_sums(dy, x, mean, inv_std, dweight, dbias):
    N, C, L = x.shape
    c = cuda.blockIdx.x
    partial = cuda.shared.array(THREADS, float64)
    grad_sum = 0.0
    grad_xhat_sum = 0.0
    for k in range(cuda.threadIdx.x, N * L, THREADS):
        n, l = k // L, k % L
        grad_sum += dy[n, c, l]
        grad_xhat_sum += dy[n, c, l] * (x[n, c, l] - mean[c]) * inv_std[c]
    grad_sum = _block_sum(partial, grad_sum)
    grad_xhat_sum = _block_sum(partial, grad_xhat_sum)
    if cuda.threadIdx.x == 0:
        dbias[c] = grad_sum
        dweight[c] = grad_xhat_sum


@cuda.jit
def _add_channel_bias(x, b, y):
    index = cuda.grid(1)
    if index >= x.size:
        return
    N, C, L = x.shape
    n, c, l = index // (C * L), index // L % C, index % L
    y[n, c, l] = x[n, c, l] + b[c]


@cuda.jit
def _batch_norm_forward(x, mean, inv_std, weight, bias, y):
    index = cuda.grid(1)
    if index >= x.size:
        return
    N, C, L = x.shape
    n, c, l = index // (C * L), index // L % C, index % L
    y[n, c, l] = (x[n, c, l] - mean[c]) * inv_std[c] * weight[c] + bias[c]


@cuda.jit
def _batch_norm_backward_dx(dy, x, mean, inv_std, weight, dweight, dbias, dx):
    index = cuda.grid(1)
    if index >= x.size:
        return
    N, C, L = x.shape
    M = N * L
    n, c, l = index // (C * L), index // L % C, index % L
    xhat = (x[n, c, l] - mean[c]) * inv_std[c]
    dx[n, c, l] = weight[c] * inv_std[c] / M * (M * dy[n, c, l] - dbias[c] - xhat * dweight[c])
