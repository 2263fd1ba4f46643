"""The CUDA kernel tests, run by Numba's CUDA simulator in a pytest process of their own.

The simulator has to be switched on (``NUMBA_ENABLE_CUDASIM=1``) before Numba is first imported,
which the main test process has long done by the time it collects this folder. So the folder is
ignored unless the variable is set; ``tests/test_cuda_simulator.py`` runs it in a subprocess with
``NUMBA_ENABLE_CUDASIM=1 MINIGAN_DEVICE=cuda-sim``:

    NUMBA_ENABLE_CUDASIM=1 MINIGAN_DEVICE=cuda-sim python -m pytest tests/cuda_sim -q
"""
import os
import sys
from pathlib import Path

if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":
    collect_ignore_glob = ["test_*.py"]

# The references and checks shared with the CPU tests live one folder up, in tests/reference.py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
