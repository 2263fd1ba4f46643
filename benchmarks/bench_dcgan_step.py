"""One DCGAN training step, minigan beside the PyTorch reference ``shared/bench/torch_dcgan.py``.

Both sides run the same step: fake = G(z); D step with BCE-with-logits on real and detached fake;
G step with the non-saturating loss through the updated D; Adam(2e-4, (0.5, 0.999)); the 28x28
DCGAN of the reference (G 778,305 and D 138,817 parameters); a fixed random "real" batch. minigan's
step is ``GANTrainer.step`` -- exactly what ``python -m minigan.train mnist`` runs.

The PyTorch reference runs as a subprocess (its own script, unchanged) right after minigan's timing,
and its JSON line is read back; the ratio minigan / PyTorch of the median step times is printed,
with the seconds per epoch of the 60,000 MNIST images and of the 4,500 offline digits.

    python benchmarks/bench_dcgan_step.py --batch 64
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "bench", "torch_dcgan.py"))


def time_minigan(batch, steps, warmup):
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
    for _ in range(warmup):
        trainer.step(real)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        trainer.step(real)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_torch(batch, steps, warmup, threads):
    """Median step time of the reference script, or None (with the reason printed) if it cannot run."""
    if not os.path.exists(REFERENCE):
        print(f"PyTorch reference not found at {REFERENCE}")
        return None
    command = [sys.executable, REFERENCE, "--batch", str(batch), "--steps", str(steps), "--warmup", str(warmup),
               "--threads", str(threads)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        print("PyTorch reference did not run (pip install torch==2.13.0 for the comparison):",
              result.stderr.strip().splitlines()[-1:])
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])["step_s"]["median"]


def main(argv=None):
    parser = argparse.ArgumentParser(description="One DCGAN training step: minigan vs the PyTorch reference.")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20, help="timed steps (default: 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (default: 3)")
    parser.add_argument("--threads", type=int, default=2, help="threads for both (default: 2)")
    args = parser.parse_args(argv)
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[variable] = str(args.threads)
    for variable in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # see benchmarks/bench_layers.py
        os.environ.pop(variable, None)

    ours = time_minigan(args.batch, args.steps, args.warmup)
    theirs = time_torch(args.batch, args.steps, args.warmup, args.threads)
    print(f"batch {args.batch}, {args.threads} threads, median of {args.steps} steps")
    for name, seconds in (("minigan", ours), ("PyTorch", theirs)):
        if seconds is None:
            continue
        epochs = ", ".join(f"{images:,} images: {seconds * (images // args.batch):6.1f} s/epoch"
                           for images in (60_000, 4_500))
        print(f"  {name:8s} {seconds * 1e3:8.1f} ms/step   ({epochs})")
    if theirs:
        print(f"  ratio minigan / PyTorch: {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
