"""``import minigan`` makes glibc keep freed memory (minigan/allocator.py), and the opt-out works.

glibc's ``mallinfo2`` counts the live blocks served by ``mmap`` (``hblks``): by default a 64 MB array is
one of them (it is above the mmap threshold), and freeing it hands its pages back to the OS. With
minigan's setting no block is mmap'd, so the next array of that size reuses the same heap pages.
Each case runs in a fresh process: the setting is process-wide and made at import.
"""
import ctypes
import ctypes.util
import os
import subprocess
import sys

import pytest

from minigan import allocator

pytestmark = pytest.mark.skipif(allocator._glibc_mallopt() is None, reason="needs glibc")

MMAPPED_BLOCKS_AFTER_A_BIG_ARRAY = """
import ctypes, ctypes.util

class Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]

libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.mallinfo2.restype = Mallinfo2
import minigan
import numpy as np
before = libc.mallinfo2().hblks  # blocks mmap'd earlier (during imports) and still alive
big = np.ones(16 * 2**20, dtype=np.float32)  # 64 MiB
print(libc.mallinfo2().hblks - before)
"""


def _mmapped_blocks(env):
    result = subprocess.run([sys.executable, "-c", MMAPPED_BLOCKS_AFTER_A_BIG_ARRAY], env=env,
                            capture_output=True, text=True, check=True)
    return int(result.stdout.split()[-1])


def _has_mallinfo2():
    return hasattr(ctypes.CDLL(ctypes.util.find_library("c")), "mallinfo2")


@pytest.mark.skipif(not _has_mallinfo2(), reason="needs glibc 2.33+ (mallinfo2)")
def test_import_minigan_serves_big_arrays_from_the_reused_heap():
    env = {key: value for key, value in os.environ.items() if key != allocator.ENV_VAR}
    assert _mmapped_blocks(env) == 0


@pytest.mark.skipif(not _has_mallinfo2(), reason="needs glibc 2.33+ (mallinfo2)")
def test_the_environment_variable_leaves_malloc_alone():
    assert _mmapped_blocks({**os.environ, allocator.ENV_VAR: "0"}) >= 1


def test_keep_freed_memory_reports_what_it_did(monkeypatch):
    monkeypatch.setenv(allocator.ENV_VAR, "0")
    assert allocator.keep_freed_memory() is False
    monkeypatch.delenv(allocator.ENV_VAR)
    assert allocator.keep_freed_memory() is True
