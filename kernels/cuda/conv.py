"""im2col, col2im and conv_rows_to_nchw as CUDA kernels: one GPU thread per output element.

The index formula is the CPU one (``kernels/cpu/conv.py``):

    cols[c*kh*kw + i*kw + j,  n*OH*OW + oh*OW + ow] = x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]

**im2col** launches one thread per entry of ``cols``. Thread ``index`` owns entry
``(row, col) = divmod(index, N*OH*OW)``, splits ``row`` into (c, i, j) and ``col`` into (n, oh, ow),
and copies one pixel (or writes 0 in the padding). Consecutive threads own consecutive entries of a
row, so their writes are coalesced.

**col2im** launches one thread per pixel of ``x`` and *gathers*: the pixel at row h was read by
kernel tap i of output row oh exactly when ``q = h + ph - i*dh`` is a non-negative multiple of
``sh`` with ``oh = q / sh < OH`` (and likewise for columns), so the thread loops over the taps,
keeps those that hit it, and sums their ``cols`` entries (in float64). Every element of ``x`` is
written by exactly one thread: no races and no atomics.

**conv_rows_to_nchw** launches one thread per output element, ``out[n, c, l] = rows[c, n, l] + b[c]``.

Launch configuration: ``launch.THREADS`` threads per block, ``launch.blocks_for(size)`` blocks
(see ``kernels/cuda/launch.py``). The host functions allocate outputs with the input's array module
(CuPy on a GPU, NumPy under Numba's CUDA simulator).
"""
from __future__ import annotations

from numba import cuda

from minigan import backend

from ..geometry import conv_output_hw
from .launch import blocks_for, launch


def im2col(x, kernel_size, stride, padding, dilation):
    """Receptive fields of ``x`` (N, C, H, W) as the columns of a (C*kh*kw, N*OH*OW) matrix."""
    n, c, _, _ = x.shape
    out_hw = conv_output_hw(x.shape, kernel_size, stride, padding, dilation)
    xp = backend.array_module(x)
    cols = xp.empty((c * kernel_size[0] * kernel_size[1], n * out_hw[0] * out_hw[1]), dtype=x.dtype)
    launch(_im2col, blocks_for(cols.size), x, cols, kernel_size, stride, padding, dilation, out_hw)
    return cols


def col2im(cols, x_shape, kernel_size, stride, padding, dilation):
    """The adjoint of :func:`im2col`: each pixel sums the ``cols`` entries copied from it."""
    out_hw = conv_output_hw(x_shape, kernel_size, stride, padding, dilation)
    x = backend.array_module(cols).empty(x_shape, dtype=cols.dtype)
    launch(_col2im, blocks_for(x.size), cols, x, kernel_size, stride, padding, dilation, out_hw)
    return x


def conv_rows_to_nchw(rows, b):
    """``out[n, c, l] = rows[c, n, l] + b[c]``: a convolution's GEMM rows in NCHW order, bias added."""
    channels, n, length = rows.shape
    out = backend.array_module(rows).empty((n, channels, length), dtype=rows.dtype)
    launch(_conv_rows_to_nchw, blocks_for(out.size), rows, b, out)
    return out


@cuda.jit
def _im2col(x, cols, kernel_size, stride, padding, dilation, out_hw):
    index = cuda.grid(1)
    if index >= cols.size:
        return
    N, C, H, W = x.shape
    kh, kw = kernel_size
    OH, OW = out_hw
    row, col = index // cols.shape[1], index % cols.shape[1]
    c, i, j = row // (kh * kw), row // kw % kh, row % kw
    n, oh, ow = col // (OH * OW), col // OW % OH, col % OW
    h = oh * stride[0] - padding[0] + i * dilation[0]
    w = ow * stride[1] - padding[1] + j * dilation[1]
    if 0 <= h < H and 0 <= w < W:
        cols[row, col] = x[n, c, h, w]
    else:
        cols[row, col] = 0


@cuda.jit
def _col2im(cols, x, kernel_size, stride, padding, dilation, out_hw):
    index = cuda.grid(1)
    if index >= x.size:
        return
    N, C, H, W = x.shape
    kh, kw = kernel_size
    sh, sw = stride
    OH, OW = out_hw
    n, c, h, w = index // (C * H * W), index // (H * W) % C, index // W % H, index % W
    total = 0.0
    for i in range(kh):
        q = h + padding[0] - i * dilation[0]
        if q < 0 or q % sh != 0 or q // sh >= OH:
            continue
        for j in range(kw):
            r = w + padding[1] - j * dilation[1]
            if r < 0 or r % sw != 0 or r // sw >= OW:
                continue
            total += cols[(c * kh + i) * kw + j, (n * OH + q // sh) * OW + r // sw]
    x[n, c, h, w] = total


@cuda.jit
def _conv_rows_to_nchw(rows, b, out):
    index = cuda.grid(1)
    if index >= out.size:
        return
    N, C, L = out.shape
    n, c, l = index // (C * L), index // L % C, index % L
    out[n, c, l] = rows[c, n, l] + b[c]
