"""How minigan launches its CUDA kernels: one block size, two grid shapes, no noise.

Block size: ``THREADS = 256`` threads per block -- a multiple of the 32-thread warp, enough warps
per block to hide memory latency, and small enough that several blocks share a streaming
multiprocessor. Per-channel reductions size their shared-memory scratch with it, so it is a
compile-time constant.

Grid shapes:

* elementwise kernels -- one thread per output element, ``ceil(size / THREADS)`` blocks, each
  thread checking ``index < size`` because the last block sticks out past the end;
* per-channel reductions -- one block per channel; its threads stride over the channel's elements
  and combine their partial sums in shared memory (``kernels/cuda/batch_norm.py``).

Numba warns (``NumbaPerformanceWarning``) when a grid has fewer than 128 blocks. A reduction over
C channels has C blocks by design, and small inputs have small grids; the warning concerns the
kernel's author, not the user who called ``conv2d``, so :func:`launch` silences that one category.
"""
from __future__ import annotations

import warnings

from numba.core.errors import NumbaPerformanceWarning

THREADS = 256


def blocks_for(size: int) -> int:
    """Blocks needed for one thread per element: ceil(size / THREADS), at least one."""
    return max(1, -(-size // THREADS))


def launch(kernel, blocks: int, *args) -> None:
    """Run ``kernel[blocks, THREADS](*args)`` without the small-grid performance warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NumbaPerformanceWarning)
        kernel[blocks, THREADS](*args)
