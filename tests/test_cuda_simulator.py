"""The CUDA kernels in the default suite, which runs without a GPU and without the simulator.

* The CUDA kernel tests (``tests/cuda_sim``) run under Numba's CUDA simulator in a subprocess: the
  simulator must be enabled before Numba is imported, and this process imported Numba long ago. The
  subprocess gets ``NUMBA_ENABLE_CUDASIM=1`` and ``MINIGAN_DEVICE=cuda-sim``; this test fails --
  showing that run's output -- when any of its tests fails or when none was collected.
* Importing the CUDA kernels on a machine without a GPU prints nothing, warns nothing and does not
  fail, and CPU kernel calls never import ``numba.cuda`` at all.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(args, **environment):
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_ENABLE_CUDASIM", "MINIGAN_DEVICE")}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=dict(env, **environment),
                          capture_output=True, text=True, timeout=900)


def test_cuda_kernels_pass_under_the_simulator():
    run = _run(["-m", "pytest", "tests/cuda_sim", "-q", "-p", "no:cacheprovider"],
               NUMBA_ENABLE_CUDASIM="1", MINIGAN_DEVICE="cuda-sim")
    output = run.stdout + run.stderr
    assert run.returncode == 0, f"the CUDA simulator tests failed (exit code {run.returncode}):\n{output}"
    passed = re.search(r"(\d+) passed", output)
    assert passed and int(passed.group(1)) > 0, f"no CUDA simulator test ran:\n{output}"


def test_importing_the_cuda_kernels_is_quiet():
    script = (
        "import sys, numpy\n"
        "from minigan import kernels\n"
        "kernels.channel_sum(numpy.ones((1, 2, 3)))\n"
        "assert 'numba.cuda' not in sys.modules, 'a CPU kernel call imported numba.cuda'\n"
        "import minigan.kernels.cuda\n"
    )
    run = _run(["-W", "error", "-c", script])
    assert (run.returncode, run.stdout, run.stderr) == (0, "", ""), run.stdout + run.stderr
