"""im2col and col2im on the CPU: the two data-movement kernels that turn a convolution into one GEMM.

im2col copies every receptive field of an NCHW image into a column of a matrix:

    cols[c*kh*kw + i*kw + j,  n*OH*OW + oh*OW + ow] = x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]

(0 where that position falls in the zero padding). Rows are (channel, kernel tap), columns are
(image, output pixel), so a convolution is ``W.reshape(O, C*kh*kw) @ cols``.

Where kernel tap ``t = i*kw + j`` of output pixel ``p = oh*OW + ow`` reads does not depend on the
image or the channel. So both kernels first tabulate, once per call, its offset inside one H x W
plane,

    source[t, p] = h*W + w      (h = oh*sh - ph + i*dh, w = ow*sw - pw + j*dw; PADDING if outside),

and then the two kernels are the same loop run in opposite directions, with
``plane(n, c) = (n*C + c)*H*W`` the start of image n's channel c in the flattened ``x``:

    im2col:  cols[c*kh*kw + t, n*OH*OW + p]  =  x.flat[plane(n, c) + source[t, p]]
    col2im:  x.flat[plane(n, c) + source[t, p]]  +=  cols[c*kh*kw + t, n*OH*OW + p]

which is exactly why col2im is the adjoint (the transpose) of im2col. The table has kh*kw*OH*OW
entries (784 for a 4x4 kernel and a 7x7 output), so it costs nothing next to the copy, and it
moves the padding test and the index arithmetic out of the inner loop.

Both loop over the planes (c, n), and inside a plane over taps and output pixels. col2im *adds*,
and the taps of a plane land on the same pixels; handling all taps of one plane together keeps
that H x W plane in the L1 cache while it is summed into (1.6x faster than tap by tap over all
images). (The CUDA col2im, with a thread per pixel, gathers instead; on the CPU this scatter reads
``cols`` in order and measured about 3x faster than a per-pixel gather.)

Threads: the iterations of the outer loop over channels touch disjoint parts of ``x`` and ``cols``
(channel c's pixels; rows c*kh*kw ... c*kh*kw + kh*kw - 1) and say so with ``prange``, but the
kernels are compiled without ``parallel=True``, which makes ``prange`` a plain ``range``. On a quiet
machine two threads save 30-50%. But in a training step each im2col sits between OpenBLAS GEMMs
whose threads keep spinning on both cores afterwards; Numba's OpenMP workers then wait for a
scheduler slice, and a 2 ms im2col took a median 5-12 ms (the ``workqueue`` layer does not spin but
adds 0.05-0.15 ms per call and still competes with the GEMM threads). Measured again on the whole
step (batch 64, 2 threads, after ``minigan/allocator.py``): 90.7 ms serial, 144 ms with
``parallel=True`` and OpenMP, 91.9 ms with the workqueue layer, 107.7 ms with OpenMP when OpenBLAS's
workers sleep at once (``OPENBLAS_THREAD_TIMEOUT=4``, which alone slows the step to 97 ms).
``python benchmarks/bench_kernels.py --threads`` measures the kernels alone. Every kernel is compiled on first
use and cached on disk (``cache=True``).

A third kernel, ``conv_rows_to_nchw``, finishes a convolution: the GEMM gives one row per output
channel, (O, N*OH*OW), and it writes them in NCHW order with the bias added, in one pass.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..geometry import conv_output_hw

PADDING = -1  # the source offset of a tap that falls in the zero padding


def im2col(x, kernel_size, stride, padding, dilation):
    """Receptive fields of ``x`` (N, C, H, W) as the columns of a (C*kh*kw, N*OH*OW) matrix."""
    n, c, _, _ = x.shape
    source = _source_offsets(x.shape, kernel_size, stride, padding, dilation)
    taps, pixels = source.shape
    cols = np.empty((c * taps, n * pixels), dtype=x.dtype)
    _im2col(x, source, cols)
    return cols


def col2im(cols, x_shape, kernel_size, stride, padding, dilation):
    """The adjoint of :func:`im2col`: sum every entry of ``cols`` into the pixel it came from."""
    source = _source_offsets(x_shape, kernel_size, stride, padding, dilation)
    x = np.zeros(x_shape, dtype=cols.dtype)
    _col2im(cols, source, x)
    return x


def conv_rows_to_nchw(rows, b):
    """``out[n, c, l] = rows[c, n, l] + b[c]``: a convolution's GEMM output, one row per channel, in
    NCHW order with the bias added -- one pass where a transposing copy and an add would take two."""
    channels, n, length = rows.shape
    out = np.empty((n, channels, length), dtype=rows.dtype)
    _conv_rows_to_nchw(rows, b, out)
    return out


def _source_offsets(x_shape, kernel_size, stride, padding, dilation):
    """The ``source`` table of the module docstring: (kh*kw, OH*OW) offsets into one H x W plane."""
    out_hw = conv_output_hw(x_shape, kernel_size, stride, padding, dilation)
    return _fill_source_offsets(tuple(x_shape[2:]), kernel_size, stride, padding, dilation, out_hw)


@njit(cache=True)
def _fill_source_offsets(hw, kernel_size, stride, padding, dilation, out_hw):
    H, W = hw
    kh, kw = kernel_size
    OH, OW = out_hw
    source = np.empty((kh * kw, OH * OW), dtype=np.int64)
    for i in range(kh):
        for j in range(kw):
            for oh in range(OH):
                h = oh * stride[0] - padding[0] + i * dilation[0]
                for ow in range(OW):
                    w = ow * stride[1] - padding[1] + j * dilation[1]
                    inside = 0 <= h < H and 0 <= w < W
                    source[i * kw + j, oh * OW + ow] = h * W + w if inside else PADDING
    return source


@njit(cache=True)
def _im2col(x, source, cols):
    """cols[c*taps + t, n*pixels + p] = x.flat[plane(n, c) + source[t, p]], plane by plane."""
    N, C, H, W = x.shape
    taps, pixels = source.shape
    image = x.reshape(-1)
    for c in prange(C):
        for n in range(N):
            plane, first = (n * C + c) * H * W, n * pixels
            for t in range(taps):
                for p in range(pixels):
                    offset = source[t, p]
                    cols[c * taps + t, first + p] = image[plane + offset] if offset != PADDING else 0


@njit(cache=True)
def _col2im(cols, source, x):
    """x.flat[plane(n, c) + source[t, p]] += cols[c*taps + t, n*pixels + p], plane by plane."""
    N, C, H, W = x.shape
    taps, pixels = source.shape
    image = x.reshape(-1)
    for c in prange(C):
        for n in range(N):
            plane, first = (n * C + c) * H * W, n * pixels
            for t in range(taps):
                for p in range(pixels):
                    offset = source[t, p]
                    if offset != PADDING:
                        image[plane + offset] += cols[c * taps + t, first + p]


@njit(cache=True)
def _conv_rows_to_nchw(rows, b, out):
    """Writes ``out`` in memory order; each image reads one stretch of L values from every row."""
    C, N, L = rows.shape
    for n in range(N):
        for c in range(C):
            shift = b[c]
            for l in range(L):
                out[n, c, l] = rows[c, n, l] + shift
