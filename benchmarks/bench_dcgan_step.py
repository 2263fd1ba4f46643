"""One DCGAN training step, minigan beside the PyTorch reference ``benchmarks/torch_reference.py``.

Both sides run the same step: fake = G(z); D step with BCE-with-logits on real and detached fake;
G step with the non-saturating loss through the updated D; Adam(2e-4, (0.5, 0.999)); the 28x28
DCGAN of the reference (G 778,305 and D 138,817 parameters); a fixed random "real" batch. minigan's
step is ``GANTrainer.step`` -- exactly what ``python -m minigan.train mnist`` runs.

**Fair timing.** A busy machine slows both sides alike only if they are measured at the same time,
so the two sides run in one process and *alternate in blocks* (A B B A A B ...: each block is a few
steps of one side). Each setting (batch size, thread count) runs in a fresh process whose BLAS and
Numba thread counts are set before anything is imported. For each side the script prints the
median step time with its min-max spread and the GFLOP/s it means (``torch_reference.step_flops``,
the same count for both), then the ratio minigan / PyTorch of the medians, and the *floor*: the
step's FLOPs at the GEMM peak this machine reached a moment before (a 1024^3 float32 matmul).

    python benchmarks/bench_dcgan_step.py                       # batch 64 and 256, 1 and 2 threads
    python benchmarks/bench_dcgan_step.py --batch 64 --threads 2 --blocks 10
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from dcgan_flops import step_flops  # beside this script (a script's folder is on sys.path)


def minigan_step(batch):
    """A function running one minigan ``GANTrainer.step`` on a fixed real batch."""
    import numpy as np

    import minigan as mg
    from minigan import optim
    from minigan.gan.models import DCGANDiscriminator, DCGANGenerator
    from minigan.gan.training import GANTrainer

    mg.manual_seed(0)
    g, d = DCGANGenerator(), DCGANDiscriminator()
    trainer = GANTrainer(g, d, optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999)),
                         optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999)), loss="ns")
    real = mg.tensor(np.random.default_rng(0).uniform(-1, 1, (batch, 1, 28, 28)).astype(np.float32))
    return lambda: trainer.step(real)


def gemm_peak_gflops(threads):
    """The best float32 GFLOP/s of a 1024^3 NumPy matmul over a few tries: the ceiling of a conv layer."""
    import numpy as np

    a = np.random.default_rng(0).standard_normal((1024, 1024)).astype(np.float32)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - start)
    return 2 * 1024 ** 3 / best / 1e9


def measure(batch, threads, blocks, steps_per_block, warmup):
    """Per-step seconds of both sides, alternating in blocks; PyTorch's list is empty without torch."""
    sides = {"minigan": minigan_step(batch)}
    try:
        import torch_reference
        import torch
        torch.set_num_threads(threads)
        sides["PyTorch"] = torch_reference.make_train_step(batch)
    except ImportError as err:
        print(f"PyTorch reference not available ({err}): pip install -e '.[bench]' for the comparison")
    for step in sides.values():
        for _ in range(warmup):
            step()
    times = {name: [] for name in sides}
    order = list(sides)
    for block in range(blocks):
        for name in order if block % 2 == 0 else order[::-1]:  # A B, B A, A B, ...
            for _ in range(steps_per_block):
                start = time.perf_counter()
                sides[name]()
                times[name].append(time.perf_counter() - start)
    return times


def child(args):
    """Measure one setting in this process (its thread counts were set by the parent) and print JSON."""
    peak = gemm_peak_gflops(args.threads)
    times = measure(args.batch, args.threads, args.blocks, args.steps_per_block, args.warmup)
    print(json.dumps({"batch": args.batch, "threads": args.threads, "peak": peak, "times": times}))


def run_setting(batch, threads, args):
    """Run one setting in a fresh process with the thread counts fixed before any import."""
    env = {**os.environ, **{v: str(threads) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                       "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")}}
    for variable in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # they slow a current OpenBLAS (bench_layers.py)
        env.pop(variable, None)
    command = [sys.executable, __file__, "--child", "--batch", str(batch), "--threads", str(threads),
               "--blocks", str(args.blocks), "--steps-per-block", str(args.steps_per_block), "--warmup", str(args.warmup)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    for line in result.stdout.splitlines()[:-1]:
        print(line)
    return json.loads(result.stdout.splitlines()[-1])


def report(result):
    flops = step_flops(result["batch"])[0]
    floor_ms = flops / (result["peak"] * 1e9) * 1e3
    print(f"batch {result['batch']}, {result['threads']} thread(s): {flops / 1e9:.2f} GFLOP/step; GEMM peak "
          f"{result['peak']:.0f} GFLOP/s -> floor {floor_ms:.1f} ms/step")
    medians = {}
    for name, times in result["times"].items():
        ms = [t * 1e3 for t in times]
        medians[name] = statistics.median(ms)
        print(f"  {name:8s} median {medians[name]:7.1f} ms/step (min {min(ms):6.1f}, max {max(ms):6.1f}, "
              f"{len(ms)} steps)   {flops / (medians[name] / 1e3) / 1e9:6.1f} GFLOP/s")
    if "PyTorch" in medians:
        print(f"  ratio minigan / PyTorch: {medians['minigan'] / medians['PyTorch']:.2f}")
    return medians


def main(argv=None):
    parser = argparse.ArgumentParser(description="One DCGAN training step: minigan vs the PyTorch reference.")
    parser.add_argument("--batch", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--blocks", type=int, default=8, help="alternating blocks per side (default: 8)")
    parser.add_argument("--steps-per-block", type=int, default=3, help="timed steps in each block (default: 3)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps of each side first (default: 3)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        args.batch, args.threads = args.batch[0], args.threads[0]
        return child(args)
    for threads in args.threads:
        for batch in args.batch:
            report(run_setting(batch, threads, args))


if __name__ == "__main__":
    main()
