"""The benchmark scripts run where they are meant to (their numbers are for people, not for asserts)."""
import os
import subprocess
import sys

import pytest

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")


def test_gpu_check_says_in_one_line_that_there_is_no_gpu_and_exits_0():
    import minigan
    if minigan.cuda_available():
        pytest.skip("this machine has a GPU: gpu_check.py would run its real checks")
    result = subprocess.run([sys.executable, os.path.join(BENCHMARKS, "gpu_check.py")], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("gpu_check: no usable NVIDIA GPU here") and len(result.stdout.splitlines()) == 1


@pytest.mark.parametrize("view, rows", [([], 7), (["--by-kind"], 9)], ids=["phases", "kinds"])
def test_profile_step_parts_add_up_to_the_step(view, rows):
    """Phases: G fwd, D fwds, 2 backwards, 2 Adams, rest. Kinds: 8 kinds of work and the rest, each
    timed exclusively, so that nothing is counted twice and every row is positive."""
    result = subprocess.run([sys.executable, os.path.join(BENCHMARKS, "profile_step.py"), "--steps", "2",
                             "--warmup", "1", "--threads", "1"] + view, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    whole = float(lines[0].rsplit(":", 1)[1].split()[0])
    parts = [float(line.split()[-3]) for line in lines[1:]]  # "  <name>  12.3 ms  45.6%"
    assert len(parts) == rows and abs(sum(parts) - whole) < 0.5 and min(parts) > 0


def test_bench_memory_reports_every_row_and_the_start_up_costs():
    result = subprocess.run([sys.executable, os.path.join(BENCHMARKS, "bench_memory.py"), "--steps", "1",
                             "--threads", "1"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    peaks = {line.split("  ")[1].strip(): float(line.split()[-2]) for line in result.stdout.splitlines()
             if line.endswith(" MB")}
    assert {"minigan train", "minigan loop", "minigan loop, malloc untouched"} <= set(peaks)
    assert all(50 < mb < 5000 for mb in peaks.values())
    assert "import minigan: " in result.stdout and "first GANTrainer.step of a fresh process" in result.stdout


def test_bench_gemm_split_times_every_gemm_of_the_step_and_its_halves_are_exact_at_batch_64():
    pytest.importorskip("threadpoolctl")
    result = subprocess.run([sys.executable, os.path.join(BENCHMARKS, "bench_gemm_split.py"), "--batch", "64",
                             "--blocks", "1", "--calls", "2"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if "split/blas2" in line]
    assert len(rows) == 6 and all(row.endswith("split == blas1: True") for row in rows)
    assert "handing the worker an empty job and waiting" in result.stdout
