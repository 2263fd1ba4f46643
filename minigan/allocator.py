"""Keep freed memory inside the process, so that every training step does not page-fault its arrays anew.

**Why.** A DCGAN step at batch 64 allocates and frees the same few dozen multi-MB arrays every step
(im2col columns of 12.8 MB, activations, gradients). glibc's ``malloc`` serves blocks above its
*mmap threshold* (128 KiB at first, raised adaptively up to 32 MiB) with fresh ``mmap`` pages, and
gives the top of its heap back to the OS once more than the *trim threshold* (twice the mmap
threshold) lies free there. Either way the next step's arrays land on pages the kernel has to
find, zero and map again: one page fault per 4 KiB, 3,125 for one 12.8 MB array. On this
project's 2-core virtual machines that cost 20 ms of a 118 ms step (``benchmarks/profile_step.py``,
2 threads: 118.5 ms before, 97.5 ms after; the first col2im of D's backward took 15 ms instead of
2.3 ms, only because its output's pages were new).

**What.** :func:`keep_freed_memory` tells glibc (``mallopt``) never to trim the heap and never to use
``mmap`` for a block, so freed memory is reused by the next allocation instead of going back to
the OS. The cost: the process keeps its peak memory until it exits, as PyTorch's caching
allocators do. ``import minigan`` calls it; set ``MINIGAN_KEEP_FREED_MEMORY=0`` before the import to
leave malloc alone. On a system without glibc (macOS, Windows, musl) it does nothing.
"""
from __future__ import annotations

import ctypes
import os

# mallopt's parameter numbers, from glibc's <malloc.h>.
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4

ENV_VAR = "MINIGAN_KEEP_FREED_MEMORY"

_NEVER_TRIM = 2**31 - 1  # mallopt takes an int: the largest one, ~2 GiB of free heap top before a trim


def _glibc_mallopt():
    """glibc's ``mallopt`` function, or None where the C library is not glibc.

    ``CDLL(None)`` opens the symbols the process already has -- the C library among them -- without
    ``ctypes.util.find_library``, whose import and ``ldconfig`` call would add ~9 ms to ``import minigan``.
    """
    try:
        libc = ctypes.CDLL(None)
    except (OSError, TypeError):  # Windows: no "the process itself" to open
        return None
    if not hasattr(libc, "gnu_get_libc_version"):  # only glibc has it (macOS, musl: no)
        return None
    mallopt = libc.mallopt
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return mallopt


def keep_freed_memory() -> bool:
    """Make glibc keep freed blocks for reuse (no heap trimming, no mmap'd blocks). True if it did.

    Does nothing, and returns False, without glibc or when ``MINIGAN_KEEP_FREED_MEMORY=0``.
    """
    if os.environ.get(ENV_VAR, "1") == "0":
        return False
    mallopt = _glibc_mallopt()
    if mallopt is None:
        return False
    # mallopt returns 1 on success. Both settings are needed: the trim threshold alone switches off
    # glibc's adaptive mmap threshold, so every block above 128 KiB would be mmap'd (measured 2x slower).
    return bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, _NEVER_TRIM))
