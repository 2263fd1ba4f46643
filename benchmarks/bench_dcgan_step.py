"""One DCGAN training step, minigan beside the PyTorch reference ``benchmarks/torch_reference.py``.

Both sides run the same step: fake = G(z); D step with BCE-with-logits on real and detached fake;
G step with the non-saturating loss through the updated D; Adam(2e-4, (0.5, 0.999)); the 28x28
DCGAN of the reference (G 778,305 and D 138,817 parameters); a fixed random "real" batch. minigan's
step is ``GANTrainer.step`` -- exactly what ``python -m minigan.train mnist`` runs.

The PyTorch reference is imported only after minigan's timing, so that loading PyTorch cannot
change minigan's numbers, and runs in the same process with the same thread count. For each side
the script prints the median step time, the GFLOP/s it means (the reference's ``step_flops`` rule
count, the same computation for both), and the seconds per epoch of the 60,000 MNIST images and of
the 4,500 offline digits; then the ratio minigan / PyTorch of the median step times.

    python benchmarks/bench_dcgan_step.py --batch 64
"""
import argparse
import os
import statistics
import time


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


def load_reference():
    """The module ``torch_reference`` beside this script, or None (with the reason printed) without PyTorch."""
    try:
        import torch_reference
    except ImportError as err:
        print(f"PyTorch reference not available ({err}): pip install torch==2.13.0 for the comparison")
        return None
    return torch_reference


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
    reference = load_reference()
    theirs = reference.time_step(args.batch, args.steps, args.warmup, args.threads) if reference else None
    flops = reference.step_flops(args.batch)[0] if reference else None
    per_step = f", {flops / 1e9:.2f} GFLOP/step" if flops else ""
    print(f"batch {args.batch}, {args.threads} threads, median of {args.steps} steps{per_step}")
    for name, seconds in (("minigan", ours), ("PyTorch", theirs)):
        if seconds is None:
            continue
        rate = f" {flops / seconds / 1e9:6.1f} GFLOP/s" if flops else ""
        epochs = ", ".join(f"{images:,} images: {seconds * (images // args.batch):6.1f} s/epoch"
                           for images in (60_000, 4_500))
        print(f"  {name:8s} {seconds * 1e3:8.1f} ms/step{rate}   ({epochs})")
    if theirs:
        print(f"  ratio minigan / PyTorch: {ours / theirs:.2f}")

if __name__ == "__main__":
    main()
