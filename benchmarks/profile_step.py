"""Where the time of one DCGAN training step goes, phase by phase: ms per step and share of the step.

``GANTrainer.step`` is timed as a whole, and its parts by wrapping them on this one trainer (the
library is not changed): G's forward, D's three forwards (real and fake in the D step, fake again
in the G step), the two backward passes, the two Adam updates. What is left -- losses, gradient-
norm statistics, the EMA copy of G, Python glue -- is the "rest" row.

    python benchmarks/profile_step.py                    # batch 64, 2 threads, 30 steps
    python benchmarks/profile_step.py --batch 256 --threads 1

Thread counts are set before NumPy and Numba are imported, as in ``bench_dcgan_step.py``.
"""
import argparse
import os
import sys
import time
from collections import defaultdict


def wrap(owner, attribute, labels, totals):
    """Replace ``owner.attribute`` by a copy that adds its wall time to ``totals``, under the labels in
    turn: call 1 under ``labels[0]``, call 2 under ``labels[1]``, ... and round again. Returns the original."""
    original, calls = getattr(owner, attribute), []

    def timed(*args, **kwargs):
        label = labels[len(calls) % len(labels)]
        calls.append(label)
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[label] += time.perf_counter() - start
    setattr(owner, attribute, timed)
    return original


def profile(batch, steps, warmup):
    """{phase: seconds per step} of minigan's DCGAN step, and the whole step's seconds."""
    import numpy as np

    import minigan as mg
    from minigan import optim
    from minigan.autograd import engine
    from minigan.gan.models import DCGANDiscriminator, DCGANGenerator
    from minigan.gan.training import GANTrainer

    mg.manual_seed(0)
    g, d = DCGANGenerator(), DCGANDiscriminator()
    trainer = GANTrainer(g, d, optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999)),
                         optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999)), loss="ns", ema_decay=0.999)
    real = mg.tensor(np.random.default_rng(0).uniform(-1, 1, (batch, 1, 28, 28)).astype(np.float32))
    for _ in range(warmup):
        trainer.step(real)

    totals = defaultdict(float)
    wrap(g, "forward", ["G forward"], totals)
    wrap(d, "forward", ["D forwards (3)"], totals)
    # Each step runs two backward passes: the D step's, then the G step's.
    original_backward = wrap(engine, "backward", ["backward, D step", "backward, G step"], totals)
    wrap(trainer.d_optimizer, "step", ["Adam, D"], totals)
    wrap(trainer.g_optimizer, "step", ["Adam, G"], totals)
    start = time.perf_counter()
    for _ in range(steps):
        trainer.step(real)
    whole = (time.perf_counter() - start) / steps
    engine.backward = original_backward
    phases = {name: seconds / steps for name, seconds in totals.items()}
    phases["rest (losses, statistics, EMA, glue)"] = whole - sum(phases.values())
    return phases, whole


def main(argv=None):
    parser = argparse.ArgumentParser(description="Per-phase breakdown of minigan's DCGAN training step.")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args(argv)
    if "numpy" in sys.modules:
        raise SystemExit("profile_step: run it as a script, so that thread counts are set before NumPy loads")
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[variable] = str(args.threads)
    for variable in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # see bench_layers.py
        os.environ.pop(variable, None)
    phases, whole = profile(args.batch, args.steps, args.warmup)
    print(f"minigan DCGAN step, batch {args.batch}, {args.threads} thread(s), mean of {args.steps} steps: "
          f"{whole * 1e3:.1f} ms")
    for name, seconds in sorted(phases.items(), key=lambda item: -item[1]):
        print(f"  {name:38s} {seconds * 1e3:7.1f} ms  {seconds / whole:6.1%}")


if __name__ == "__main__":
    main()
