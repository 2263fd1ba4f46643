"""Forward + backward time of every layer of the reference DCGAN, minigan beside PyTorch.

The layers and shapes are those of ``torch_reference.py`` beside this script (the 28x28 MNIST
DCGAN). For each layer and batch size this script times one forward pass plus one backward pass
(input and weight gradients) with minigan, and -- when PyTorch is installed -- the same layer in
PyTorch in the same process, the two interleaved repetition by repetition so that both see the
same machine load.
It prints milliseconds (median), GFLOP/s (2 FLOPs per multiply-add, backward counted as 2x forward)
and the ratio minigan / PyTorch (below 1 means minigan is faster).

    python benchmarks/bench_layers.py                   # batch 64 and 256, 2 threads
    python benchmarks/bench_layers.py --batch 64 --repeats 30

Set the thread count before NumPy/Numba start: this script does it from ``--threads``. It also
drops ``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE`` for its own process: some machines here set them
(older OpenBLAS builds misbehave without), and they pin NumPy's OpenBLAS to its Haswell kernels,
half the speed of the AVX-512 ones on these CPUs. The script prints which kernels OpenBLAS runs.
"""
import argparse
import os
import statistics
import sys
import time

from dcgan_flops import FORWARD_MACS, LATENT_DIM


def _set_threads(threads):
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[variable] = str(threads)
    for variable in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # see the module docstring
        os.environ.pop(variable, None)


def _blas_description():
    """Which BLAS NumPy uses, with its kernel architecture and threads (if threadpoolctl is installed)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "NumPy BLAS: unknown (pip install threadpoolctl to see it)"
    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    return "; ".join(f"NumPy BLAS: {i['internal_api']} {i.get('version')}, {i.get('architecture')} kernels, "
                     f"{i['num_threads']} threads" for i in blas)


NZ = LATENT_DIM
# name, kind, per-sample input shape, (in, out) channels / features; multiply-adds per sample: FORWARD_MACS
LAYERS = [
    ("G.fc", "linear", (NZ,), (NZ, 6272)),
    ("G.bn0", "bn", (6272,), (6272, 6272)),
    ("G.deconv1", "convT", (128, 7, 7), (128, 64)),
    ("G.bn1", "bn", (64, 14, 14), (64, 64)),
    ("G.deconv2", "convT", (64, 14, 14), (64, 1)),
    ("D.conv1", "conv", (1, 28, 28), (1, 64)),
    ("D.conv2", "conv", (64, 14, 14), (64, 128)),
    ("D.bn2", "bn", (128, 7, 7), (128, 128)),
    ("D.fc", "linear", (6272,), (6272, 1)),
]


def minigan_step(kind, batch, shape, channels):
    """A closure running forward + backward of one layer in minigan."""
    import numpy as np

    import minigan as mg
    from minigan import functional as F

    rng = np.random.default_rng(0)
    x = mg.tensor(rng.standard_normal((batch,) + shape).astype(np.float32), requires_grad=True)
    c_in, c_out = channels
    if kind == "linear":
        w = mg.tensor(rng.standard_normal((c_in, c_out)).astype(np.float32) * 0.02, requires_grad=True)
        b = mg.zeros(c_out, requires_grad=True)
        forward = lambda: x @ w + b  # noqa: E731
    elif kind == "conv":
        w = mg.tensor(rng.standard_normal((c_out, c_in, 4, 4)).astype(np.float32) * 0.02, requires_grad=True)
        b = mg.zeros(c_out, requires_grad=True)
        forward = lambda: F.conv2d(x, w, b, stride=2, padding=1)  # noqa: E731
    elif kind == "convT":
        w = mg.tensor(rng.standard_normal((c_in, c_out, 4, 4)).astype(np.float32) * 0.02, requires_grad=True)
        b = mg.zeros(c_out, requires_grad=True)
        forward = lambda: F.conv_transpose2d(x, w, b, stride=2, padding=1)  # noqa: E731
    else:
        w, b = mg.ones(c_in, requires_grad=True), mg.zeros(c_in, requires_grad=True)
        running_mean, running_var = mg.zeros(c_in), mg.ones(c_in)
        forward = lambda: F.batch_norm(x, running_mean, running_var, w, b, training=True)  # noqa: E731
    grad = mg.tensor(rng.standard_normal(forward().shape).astype(np.float32))

    def step():
        x.grad = w.grad = b.grad = None
        forward().backward(grad)
    return step


def torch_step(kind, batch, shape, channels):
    """The same layer in PyTorch (x requires grad too, so both compute input and weight gradients)."""
    import torch
    import torch.nn as nn

    c_in, c_out = channels
    layer = {
        "linear": lambda: nn.Linear(c_in, c_out),
        "conv": lambda: nn.Conv2d(c_in, c_out, 4, 2, 1),
        "convT": lambda: nn.ConvTranspose2d(c_in, c_out, 4, 2, 1),
        "bn": lambda: nn.BatchNorm1d(c_in) if len(shape) == 1 else nn.BatchNorm2d(c_in),
    }[kind]()
    x = torch.randn((batch,) + shape, requires_grad=True)
    grad = torch.randn(layer(x).shape)

    def step():
        x.grad = None
        layer.zero_grad(set_to_none=True)
        layer(x).backward(grad)
    return step


def _time(step):
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description="Time each DCGAN layer (forward + backward), minigan vs PyTorch.")
    parser.add_argument("--batch", type=int, nargs="+", default=[64, 256], help="batch sizes (default: 64 256)")
    parser.add_argument("--repeats", type=int, default=20, help="timed repetitions per layer (default: 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed repetitions first (default: 3)")
    parser.add_argument("--threads", type=int, default=2, help="BLAS/Numba/PyTorch threads (default: 2)")
    args = parser.parse_args(argv)
    _set_threads(args.threads)

    try:
        import torch
        torch.set_num_threads(args.threads)
        have_torch = True
    except ImportError:
        have_torch = False
        print("PyTorch is not installed: showing minigan alone (pip install torch==2.13.0 for the comparison)")

    import numpy  # noqa: F401  (loads the BLAS that _blas_description inspects)
    print(_blas_description())
    header = f"{'layer':<10} {'batch':>5} {'minigan ms':>11} {'GFLOP/s':>8}"
    if have_torch:
        header += f" {'torch ms':>9} {'GFLOP/s':>8} {'ratio':>6}"
    print(header)
    for batch in args.batch:
        for name, kind, shape, channels in LAYERS:
            macs = FORWARD_MACS[name]
            steps = {"minigan": minigan_step(kind, batch, shape, channels)}
            if have_torch:
                steps["torch"] = torch_step(kind, batch, shape, channels)
            for step in steps.values():
                for _ in range(args.warmup):
                    step()
            times = {key: [] for key in steps}
            for _ in range(args.repeats):
                for key, step in steps.items():
                    times[key].append(_time(step))
            flops = 3 * 2 * macs * batch  # forward + backward (input and weight gradients)
            medians = {key: statistics.median(t) for key, t in times.items()}
            line = f"{name:<10} {batch:>5} {medians['minigan'] * 1e3:>11.2f} {flops / medians['minigan'] / 1e9:>8.1f}"
            if have_torch:
                line += (f" {medians['torch'] * 1e3:>9.2f} {flops / medians['torch'] / 1e9:>8.1f}"
                         f" {medians['minigan'] / medians['torch']:>6.2f}")
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
