"""Time minigan's CPU kernels against the obvious NumPy code, at DCGAN layer sizes.

The kernels of ``minigan.kernels``, and ``minigan.autograd.select`` (the branch-free ``numpy.where``
behind ReLU's and LeakyReLU's passes) on the sign of a normal batch, the mask those layers see.

    python benchmarks/bench_kernels.py            # warm timings (compile excluded)
    python benchmarks/bench_kernels.py --cold     # also time the first calls with an empty JIT cache
    python benchmarks/bench_kernels.py --threads  # also: would parallel=True pay for im2col/col2im?
    NUMBA_THREADING_LAYER=workqueue python benchmarks/bench_kernels.py --threads

Each line shows the median and the slowest of ``--repeat`` calls, in milliseconds, for minigan and
for NumPy, and the ratio of the medians (NumPy / minigan: above 1 means minigan is faster). Every
kernel is called once before the timing starts; with ``--cold`` those first calls compile into an
empty cache directory and their total time is printed.

``--threads`` compiles im2col's and col2im's loops (written with ``prange``, shipped serial) a
second time with ``parallel=True`` and times both versions alone and right after a GEMM of the size
that follows them in a DCGAN layer, as in a training step, where OpenBLAS's threads are still
spinning when the kernel starts.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def numpy_im2col(x, k, s, p):
    """Pad, view every k x k window, reorder the axes to (C, kh, kw, N, OH, OW) and copy."""
    windows = sliding_window_view(np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))), (k, k), axis=(2, 3))[:, :, ::s, ::s]
    n, c, oh, ow = windows.shape[:4]
    return np.ascontiguousarray(windows.transpose(1, 4, 5, 0, 2, 3)).reshape(c * k * k, n * oh * ow)


def numpy_col2im(cols, x_shape, k, s, p):
    """Add each kernel tap's (C, N, OH, OW) block into a strided window of the padded image."""
    n, c, h, w = x_shape
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    blocks = cols.reshape(c, k, k, n, oh, ow)
    padded = np.zeros((n, c, h + 2 * p, w + 2 * p), dtype=cols.dtype)
    for i in range(k):
        for j in range(k):
            padded[:, :, i:i + s * (oh - 1) + 1:s, j:j + s * (ow - 1) + 1:s] += blocks[:, i, j].transpose(1, 0, 2, 3)
    return padded[:, :, p:p + h, p:p + w]


def numpy_batch_norm_backward(dy, x, mean, inv_std, weight):
    m = x.shape[0] * x.shape[2]
    xhat = (x - mean[:, None]) * inv_std[:, None]
    dbias, dweight = dy.sum(axis=(0, 2)), (dy * xhat).sum(axis=(0, 2))
    return (weight * inv_std / m)[:, None] * (m * dy - dbias[:, None] - xhat * dweight[:, None]), dweight, dbias


def cases(kernels, rng):
    """(name, minigan call, NumPy call) for every benchmarked kernel and shape."""
    from minigan.autograd.select import select

    def image(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    for shape in [(64, 64, 14, 14), (64, 128, 7, 7)]:
        sign, grad = image(*shape) > 0, image(*shape)
        yield (f"select (where) {shape}", lambda c=sign, g=grad, gs=0.2 * grad: select(c, g, gs),
               lambda c=sign, g=grad, gs=0.2 * grad: np.where(c, g, gs))

    for x_shape in [(64, 64, 14, 14), (64, 1, 28, 28)]:
        x = image(*x_shape)
        cols = kernels.im2col(x, 4, 2, 1)
        yield f"im2col {x_shape} k4 s2 p1", lambda x=x: kernels.im2col(x, 4, 2, 1), lambda x=x: numpy_im2col(x, 4, 2, 1)
        yield (f"col2im -> {x_shape} k4 s2 p1", lambda c=cols, s=x_shape: kernels.col2im(c, s, 4, 2, 1),
               lambda c=cols, s=x_shape: numpy_col2im(c, s, 4, 2, 1))
    for shape in [(64, 128, 49), (64, 64, 196), (64, 6272, 1)]:
        x, dy = image(*shape), image(*shape)
        mean, inv_std, weight, bias = (image(shape[1]) for _ in range(4))
        yield (f"channel_sum {shape}", lambda x=x: kernels.channel_sum(x), lambda x=x: x.sum(axis=(0, 2)))
        yield (f"add_channel_bias {shape}", lambda x=x, b=bias: kernels.add_channel_bias(x, b),
               lambda x=x, b=bias: x + b[:, None])
        yield (f"batch_norm_stats {shape}", lambda x=x: kernels.batch_norm_stats(x),
               lambda x=x: (x.mean(axis=(0, 2)), x.var(axis=(0, 2))))
        yield (f"batch_norm_forward {shape}",
               lambda x=x, p=(mean, inv_std, weight, bias): kernels.batch_norm_forward(x, *p),
               lambda x=x, m=mean, s=inv_std * weight, b=bias: (x - m[:, None]) * s[:, None] + b[:, None])
        yield (f"batch_norm_backward {shape}",
               lambda a=(dy, x, mean, inv_std, weight): kernels.batch_norm_backward(*a),
               lambda a=(dy, x, mean, inv_std, weight): numpy_batch_norm_backward(*a))


def timings(call, repeat):
    """Median and maximum of ``repeat`` calls, in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1e3 * np.median(times), 1e3 * max(times)


def thread_study(repeat, rng):
    """Shipped (serial) im2col/col2im against the same loops compiled with parallel=True."""
    import numba

    from minigan.kernels.cpu import conv

    x_shape, geometry = (64, 64, 14, 14), ((4, 4), (2, 2), (1, 1), (1, 1))
    x = rng.standard_normal(x_shape).astype(np.float32)
    source = conv._source_offsets(x_shape, *geometry)
    cols = np.empty((64 * 16, 64 * 49), dtype=np.float32)
    weight = rng.standard_normal((128, 64 * 16)).astype(np.float32)  # the GEMM that consumes cols
    for name, kernel, args in [("im2col", conv._im2col, (x, source, cols)),
                               ("col2im", conv._col2im, (cols, source, np.zeros_like(x)))]:
        for label, version in [("serial", kernel), ("parallel=True", numba.njit(parallel=True)(kernel.py_func))]:
            version(*args)
            alone = timings(lambda: version(*args), repeat)
            after_gemm = []
            for _ in range(repeat):
                weight @ cols
                after_gemm.append(timings(lambda: version(*args), 1)[0])
            print(f"{name} {x_shape} {label:14s} alone {alone[0]:6.3f} ms (max {alone[1]:6.2f}), "
                  f"after a GEMM {np.median(after_gemm):6.3f} ms (max {max(after_gemm):6.2f})")
    print(f"threading layer: {numba.threading_layer()}, {numba.get_num_threads()} threads")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--cold", action="store_true", help="compile into an empty cache and time the first calls")
    parser.add_argument("--threads", action="store_true", help="time im2col/col2im with parallel=True too")
    args = parser.parse_args()
    if args.cold:
        os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="minigan-numba-cache-")

    import numba  # after NUMBA_CACHE_DIR is set

    from minigan import kernels

    rng = np.random.default_rng(0)
    start = time.perf_counter()
    benchmarks = list(cases(kernels, rng))  # makes the first im2col calls
    for _, ours, theirs in benchmarks:
        ours(), theirs()
    first_calls = time.perf_counter() - start

    print(f"numba {numba.__version__}, numpy {np.__version__}; first call of every kernel "
          f"({'empty cache, compiling' if args.cold else 'cache as found'}): {first_calls:.2f} s")
    print(f"{'kernel and shape':40s} {'minigan ms (max)':>17s} {'NumPy ms (max)':>17s} {'NumPy/minigan':>14s}")
    for name, ours, theirs in benchmarks:
        (ours_median, ours_max), (theirs_median, theirs_max) = timings(ours, args.repeat), timings(theirs, args.repeat)
        print(f"{name:40s} {ours_median:8.3f} ({ours_max:6.2f}) {theirs_median:8.3f} ({theirs_max:6.2f}) "
              f"{theirs_median / ours_median:13.1f}x")
    if args.threads:
        thread_study(args.repeat, rng)


if __name__ == "__main__":
    main()
