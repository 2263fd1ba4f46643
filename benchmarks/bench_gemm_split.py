"""Can minigan run the training step's GEMMs on two threads of its own instead of OpenBLAS's?

Two threads of a 2-core machine are busy only while OpenBLAS multiplies; im2col, col2im, batch norm,
the activations and the copies between them (about 55 ms of the 89 ms DCGAN step at batch 64, see
``profile_step.py``) run on one core. Parallel Numba kernels lose, because OpenBLAS's workers keep
spinning after each GEMM (``kernels/cpu/conv.py``). The way around is to own both threads: OpenBLAS
with one thread, every GEMM cut into two column halves -- one computed by the calling thread, one by
a worker woken through a ``threading.Event`` (NumPy releases the GIL inside ``matmul``) -- and the
kernels between the GEMMs cut the same way. This script measures the first half of that plan: each
GEMM of the step at its real shape, alternated in blocks,

    blas2  OpenBLAS's own two threads (what the step does today);
    blas1  OpenBLAS with one thread (the cost of doing nothing about it);
    split  OpenBLAS with one thread, in each of two Python threads, on the two column halves,

and what it costs to hand a worker an empty job and wait for it (the price of every split).
Each line also says whether ``split`` is bit for bit ``blas1``. At the step's shapes and operand layouts
it was at every batch tried (1, 2, 3, 5, 8, 16, 32, 64, 256). It need not be for every layout: with
G.deconv2's A C-contiguous instead of a transposed view, at batch 2 the halves (16x64 @ 64x196) took
another OpenBLAS kernel than the whole product and rounded differently -- a split step would have to
be tested layout by layout, or promise only float32 rounding.

    python benchmarks/bench_gemm_split.py               # batch 64
    python benchmarks/bench_gemm_split.py --batch 256

Measured on a quiet 2-core machine (medians; split / blas2): the three big GEMM shapes split as well as
OpenBLAS's own threads (0.99-1.06 at batch 64, 0.99-1.01 at batch 256); the small ones (G.fc, G.deconv2,
D.conv1: 0.15-0.38 ms at batch 64) gain nothing from a second thread at batch 64 (2.1-2.9, no faster
than blas1) and little at 256 (1.1-1.9); waking the worker costs 0.01-0.07 ms. A throwaway prototype
of the whole step (not in the repository; batch 64, OpenBLAS with one thread, median of three runs of
50 steps) gave 86.4 ms today, 93.0 ms with the convolutions' GEMMs split (the small GEMMs and the
linear layers then run on one thread), and 86.2 ms with im2col and col2im split over channels as
well. So owning the threads pays only once nearly all the glue is split too.
Needs threadpoolctl (``pip install -e .[bench]``).
"""
from __future__ import annotations

import argparse
import statistics
import threading
import time

import numpy as np


class Worker(threading.Thread):
    """A thread that sleeps until it is handed a job, runs it, and says it is done."""

    def __init__(self):
        super().__init__(daemon=True)
        self.job, self.ready, self.finished = None, threading.Event(), threading.Event()
        self.start()

    def run(self):
        while True:
            self.ready.wait()
            self.ready.clear()
            self.job()
            self.finished.set()

    def run_beside(self, job, own_job):
        """Run ``job`` on this worker and ``own_job`` on the calling thread, and wait for both."""
        self.job = job
        self.finished.clear()
        self.ready.set()
        own_job()
        self.finished.wait()


def split_matmul(worker, a, b):
    """a @ b with the columns of the result cut in two halves, one per thread."""
    out = np.empty((a.shape[0], b.shape[1]), dtype=np.result_type(a, b))
    half = b.shape[1] // 2
    worker.run_beside(lambda: np.matmul(a, b[:, half:], out=out[:, half:]),
                      lambda: np.matmul(a, b[:, :half], out=out[:, :half]))
    return out


def step_gemms(batch):
    """(name, (M, K, N), is A a transposed view?, is B?) of the DCGAN step's GEMMs, as
    ``minigan/functional/conv.py`` and ``linear`` hand them to ``matmul``."""
    return [
        ("G.fc forward", (batch, 100, 6272), False, True),  # x @ weight.T
        ("G.deconv1 forward, D.conv2 dx", (1024, 128, batch * 49), True, False),  # W.reshape(C_in, -1).T @ x_rows
        ("D.conv2 forward, G.deconv1 dx", (128, 1024, batch * 49), False, False),  # W.reshape(O, -1) @ cols
        ("D.conv2 dW, G.deconv1 dW", (128, batch * 49, 1024), False, True),  # gy_rows @ cols.T
        ("G.deconv2 forward", (16, 64, batch * 196), True, False),
        ("D.conv1 forward", (64, 16, batch * 196), False, False),
    ]


def operand(rng, rows, columns, transposed):
    """A float32 (rows, columns) matrix: C-contiguous, or the transposed view of a C-contiguous one."""
    if transposed:
        return rng.standard_normal((columns, rows), dtype=np.float32).T
    return rng.standard_normal((rows, columns), dtype=np.float32)


def time_block(function, calls):
    """The wall time of each of ``calls`` calls of ``function``, in seconds (all of them: the report
    shows the median and the min-max range; ``bench_kernels.timings`` keeps only median and max)."""
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description="The step's GEMMs on OpenBLAS's two threads or on two of our own.")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--blocks", type=int, default=5, help="alternated blocks per side")
    parser.add_argument("--calls", type=int, default=20, help="timed calls per block")
    args = parser.parse_args(argv)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise SystemExit("bench_gemm_split: needs threadpoolctl (pip install -e .[bench])") from None

    rng = np.random.default_rng(0)
    worker = Worker()
    print(f"GEMMs of the DCGAN step, batch {args.batch}, float32: median (min-max) ms of {args.blocks} x "
          f"{args.calls} calls per side")
    for name, (m, k, n), a_transposed, b_transposed in step_gemms(args.batch):
        a, b = operand(rng, m, k, a_transposed), operand(rng, k, n, b_transposed)
        sides = {"blas2": (2, lambda: a @ b), "blas1": (1, lambda: a @ b), "split": (1, lambda: split_matmul(worker, a, b))}
        times = {side: [] for side in sides}
        for _ in range(args.blocks):
            for side, (threads, function) in sides.items():
                with threadpool_limits(threads, "blas"):
                    if side == "blas1":
                        # OpenBLAS's workers spin for a while after their last GEMM before they sleep; on
                        # two cores they would take the core the split needs. Let them fall asleep.
                        time.sleep(0.5)
                    function()
                    times[side] += time_block(function, args.calls)
        with threadpool_limits(1, "blas"):
            same = np.array_equal(split_matmul(worker, a, b), a @ b)
        medians = {side: statistics.median(t) * 1e3 for side, t in times.items()}
        cells = "  ".join(f"{side} {medians[side]:6.2f} ({min(t) * 1e3:.2f}-{max(t) * 1e3:.2f})"
                          for side, t in times.items())
        print(f"  {name:31s} ({m}x{k} @ {k}x{n})  {cells}  split/blas2 {medians['split'] / medians['blas2']:.2f}"
              f"  split == blas1: {same}")
    dispatch = time_block(lambda: worker.run_beside(lambda: None, lambda: None), 2000)
    print(f"  handing the worker an empty job and waiting: {statistics.median(dispatch) * 1e3:.3f} ms (median)")


if __name__ == "__main__":
    main()
