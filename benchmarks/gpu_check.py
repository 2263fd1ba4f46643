"""On a machine with an NVIDIA GPU: minigan's CUDA kernels natively against the CPU, and the DCGAN step on cuda.

The test suite runs the CUDA kernels under Numba's simulator, which checks their logic but not a
real device (memory, launch limits, speed). This script is for the day a GPU is at hand
(``pip install -e ".[gpu]"``):

1. every kernel of ``minigan.kernels`` (im2col, col2im, channel sums, bias, batch-norm statistics,
   forward and backward) on CuPy arrays against the same kernel on NumPy arrays, over several
   shapes, float32 and float64 -- the largest relative difference of each;
2. the DCGAN training step of ``bench_dcgan_step.py`` on ``cuda``: median time per step, and
   PyTorch's on CUDA beside it when torch sees a GPU.

Without a usable GPU it says so in one line and exits 0.

    python benchmarks/gpu_check.py
"""
import statistics
import sys
import time

import numpy as np

import minigan
from minigan import backend, kernels

CONV_CASES = [  # (x shape, kernel, stride, padding, dilation)
    ((2, 3, 9, 9), 3, 1, 1, 1), ((4, 64, 14, 14), 4, 2, 1, 1), ((64, 1, 28, 28), 4, 2, 1, 1),
    ((3, 5, 8, 11), (3, 2), (2, 1), (1, 0), (1, 2)),
]
CHANNEL_SHAPES = [(64, 128, 49), (64, 6272, 1), (5, 3, 17)]


def relative_error(gpu, cpu) -> float:
    gpu = backend.to_device(gpu, "cpu")
    return float(np.abs(gpu - cpu).max() / max(np.abs(cpu).max(), 1e-30))


def kernel_errors(rng) -> list:
    """(kernel, case, dtype, max relative difference GPU vs CPU) for every kernel and case."""
    cp = backend.array_module("cuda")
    rows = []
    for dtype in (np.float32, np.float64):
        for shape, k, s, p, d in CONV_CASES:
            x = rng.standard_normal(shape).astype(dtype)
            cols = kernels.im2col(x, k, s, p, d)
            rows.append(("im2col", shape, dtype, relative_error(kernels.im2col(cp.asarray(x), k, s, p, d), cols)))
            back = kernels.col2im(cols, shape, k, s, p, d)
            rows.append(("col2im", shape, dtype, relative_error(kernels.col2im(cp.asarray(cols), shape, k, s, p, d), back)))
        for shape in CHANNEL_SHAPES:
            x, dy = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
            c = shape[1]
            weight, bias = rng.standard_normal(c).astype(dtype), rng.standard_normal(c).astype(dtype)
            mean, var = kernels.batch_norm_stats(x)
            inv_std = 1 / np.sqrt(var + 1e-5)
            g = [cp.asarray(a) for a in (x, dy, weight, bias, mean, inv_std)]
            gpu_mean, gpu_var = kernels.batch_norm_stats(g[0])
            rows += [("channel_sum", shape, dtype, relative_error(kernels.channel_sum(g[0]), kernels.channel_sum(x))),
                     ("add_channel_bias", shape, dtype,
                      relative_error(kernels.add_channel_bias(g[0], g[3]), kernels.add_channel_bias(x, bias))),
                     ("batch_norm_stats mean", shape, dtype, relative_error(gpu_mean, mean)),
                     ("batch_norm_stats var", shape, dtype, relative_error(gpu_var, var)),
                     ("batch_norm_forward", shape, dtype,
                      relative_error(kernels.batch_norm_forward(g[0], g[4], g[5], g[2], g[3]),
                                     kernels.batch_norm_forward(x, mean, inv_std, weight, bias)))]
            for name, gpu, cpu in zip(("dx", "dweight", "dbias"),
                                      kernels.batch_norm_backward(g[1], g[0], g[4], g[5], g[2]),
                                      kernels.batch_norm_backward(dy, x, mean, inv_std, weight)):
                rows.append((f"batch_norm_backward {name}", shape, dtype, relative_error(gpu, cpu)))
    return rows


def median_step_seconds(step, synchronize, steps=20, warmup=3) -> float:
    for _ in range(warmup):
        step()
    synchronize()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    if not minigan.cuda_available():
        print(f"gpu_check: no usable NVIDIA GPU here ({backend.cuda_unavailable_reason()}); nothing to check")
        return 0
    cp = backend.array_module("cuda")
    rows = kernel_errors(np.random.default_rng(0))
    tolerance = {np.float32: 1e-4, np.float64: 1e-10}
    failed = [row for row in rows if row[3] > tolerance[row[2]]]
    for name, shape, dtype, error in rows:
        flag = "  <-- too large" if error > tolerance[dtype] else ""
        print(f"{name:26s} {str(shape):18s} {np.dtype(dtype).name:8s} max relative difference {error:.2e}{flag}")
    print(f"{len(rows) - len(failed)} of {len(rows)} kernel checks within tolerance")

    from bench_dcgan_step import minigan_step
    minigan.set_default_device("cuda")
    for batch in (64, 256):
        ours = median_step_seconds(minigan_step(batch), cp.cuda.Device().synchronize)
        line = f"DCGAN step on cuda, batch {batch}: minigan {ours * 1e3:.1f} ms"
        try:
            import torch
            import torch_reference
            if torch.cuda.is_available():
                torch.set_default_device("cuda")
                theirs = median_step_seconds(torch_reference.make_train_step(batch), torch.cuda.synchronize)
                torch.set_default_device("cpu")
                line += f", PyTorch {theirs * 1e3:.1f} ms, ratio {ours / theirs:.2f}"
        except ImportError:
            pass
        print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
