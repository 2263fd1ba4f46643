"""Where the time of one DCGAN training step goes: ms per step and share of the step.

``GANTrainer.step`` is timed as a whole, and its parts by wrapping them (the library is not
changed), in one of two views:

* **phases** (the default): G's forward, D's three forwards (real and fake in the D step, fake again
  in the G step), the two backward passes, the two Adam updates. What is left -- losses, gradient-
  norm statistics, the EMA copy of G, Python glue -- is the "rest" row.
* **kinds of work** (``--by-kind``): the convolutions' matrix products (with the layout copies
  around them), their data movement (im2col, col2im, the NCHW output), batch norm, the activations,
  the linear layers, the bias adds and their gradients, Adam, the EMA and gradient-norm statistics.
  Each row counts its own time only (*exclusive*: a convolution's row leaves out the im2col inside
  it), so the rows add up to the step; the rest is the autograd engine, Python and the small
  operations. The wrappers themselves cost about 1 us a call, which lands in the rest.

    python benchmarks/profile_step.py                    # batch 64, 2 threads, 30 steps
    python benchmarks/profile_step.py --by-kind
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
    turn: call 1 under ``labels[0]``, call 2 under ``labels[1]``, ... and round again."""
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


def wrap_exclusive(owner, attribute, label, totals, stack):
    """Replace ``owner.attribute`` by a copy that adds its *own* wall time to ``totals[label]``: its
    time minus that of the wrapped calls made inside it (``stack`` holds, per open call, their sum)."""
    original = getattr(owner, attribute)

    def timed(*args, **kwargs):
        stack.append(0.0)
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - start
            totals[label] += elapsed - stack.pop()
            if stack:
                stack[-1] += elapsed
    setattr(owner, attribute, timed)


def wrap_kinds(totals):
    """Wrap, by kind of work, the functions a DCGAN step spends its time in (see the module docstring)."""
    from minigan import kernels
    from minigan.autograd import arithmetic, reductions
    from minigan.functional import conv
    from minigan.gan import training

    kinds = {
        "convolution GEMMs, layout copies": [(conv.Conv2d, "forward"), (conv.ConvTranspose2d, "forward"),
                                             (conv.Conv2dWeight, "forward")],
        "im2col, col2im, NCHW output + bias": [(kernels, "im2col"), (kernels, "col2im"),
                                               (kernels, "conv_rows_to_nchw")],
        "batch norm": [(kernels, "batch_norm_stats"), (kernels, "batch_norm_forward"),
                       (kernels, "batch_norm_backward")],
        "activations (ReLU, leaky ReLU)": [(kernels, "leaky_relu"), (kernels, "leaky_relu_backward"),
                                           (kernels, "relu_backward")],
        "linear layers (MatMul)": [(arithmetic.MatMul, "forward")],
        "adds, bias gradients (Add, SumTo)": [(arithmetic.Add, "forward"), (reductions.SumTo, "forward")],
        "Adam": [(kernels, "adam_update")],
        "EMA of G, gradient norms": [(training.GANTrainer, "_update_ema"), (training, "_grad_norm")],
    }
    stack = []
    for label, places in kinds.items():
        for owner, attribute in places:
            wrap_exclusive(owner, attribute, label, totals, stack)
    return "rest (autograd, Python, small ops)"


def profile(batch, steps, warmup, by_kind=False):
    """{phase or kind: seconds per step} of minigan's DCGAN step, and the whole step's seconds."""
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
    if by_kind:
        rest = wrap_kinds(totals)
    else:
        rest = "rest (losses, statistics, EMA, glue)"
        wrap(g, "forward", ["G forward"], totals)
        wrap(d, "forward", ["D forwards (3)"], totals)
        # Each step runs two backward passes: the D step's, then the G step's.
        wrap(engine, "backward", ["backward, D step", "backward, G step"], totals)
        wrap(trainer.d_optimizer, "step", ["Adam, D"], totals)
        wrap(trainer.g_optimizer, "step", ["Adam, G"], totals)
    start = time.perf_counter()
    for _ in range(steps):
        trainer.step(real)
    whole = (time.perf_counter() - start) / steps
    parts = {name: seconds / steps for name, seconds in totals.items()}
    parts[rest] = whole - sum(parts.values())
    return parts, whole


def main(argv=None):
    parser = argparse.ArgumentParser(description="Per-phase breakdown of minigan's DCGAN training step.")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--by-kind", action="store_true",
                        help="split the step by kind of work (GEMMs, im2col/col2im, batch norm, ...), not by phase")
    args = parser.parse_args(argv)
    if "numpy" in sys.modules:
        raise SystemExit("profile_step: run it as a script, so that thread counts are set before NumPy loads")
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[variable] = str(args.threads)
    for variable in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # see bench_layers.py
        os.environ.pop(variable, None)
    parts, whole = profile(args.batch, args.steps, args.warmup, args.by_kind)
    print(f"minigan DCGAN step, batch {args.batch}, {args.threads} thread(s), mean of {args.steps} steps: "
          f"{whole * 1e3:.1f} ms")
    for name, seconds in sorted(parts.items(), key=lambda item: -item[1]):
        print(f"  {name:38s} {seconds * 1e3:7.1f} ms  {seconds / whole:6.1%}")


if __name__ == "__main__":
    main()
