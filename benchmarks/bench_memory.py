"""Peak memory of 200 DCGAN training steps, minigan beside PyTorch, and what a fresh process costs.

Each row runs in a fresh process, and its peak resident memory (RSS) is what the kernel reports
for that process when it exits (``os.wait4``'s ``ru_maxrss``):

* ``minigan train``  -- ``python -m minigan.train mnist --steps 200 --no-conditional --width 64``: what a
  user runs, with the reference DCGAN that the other rows train (the default recipe's G and D are
  narrower and conditional). Live
  evaluation is off (``--eval-every 0``: it would load the classifier and the test digits), the
  rest as usual -- the sample grid, curves.png with matplotlib, the checkpoint;
* ``minigan loop``   -- ``GANTrainer`` and ``BatchLoader`` alone, the same loop as the PyTorch row;
* ``minigan loop, malloc untouched`` -- the same with ``MINIGAN_KEEP_FREED_MEMORY=0`` (see
  ``minigan/allocator.py``: keeping freed memory could only raise the peak, and this row shows by how much);
* ``PyTorch loop``   -- ``torch_reference.py``'s models and step, with an EMA copy of G, on the
  same digits in batches of 64.

Then the start-up costs: ``import minigan`` (median of 5 fresh processes), and the first
``GANTrainer.step`` of a fresh process, whose kernels come from Numba's on-disk cache.

    python benchmarks/bench_memory.py                 # 200 steps, 2 threads
    python benchmarks/bench_memory.py --steps 50 --threads 1
"""
import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DIGITS = os.path.join(os.path.dirname(HERE), "minigan", "data", "offline", "mnist_5k.npz")


def digit_batches(batch, seed=0):
    """Endless shuffled batches of the shipped digits, as float32 (N, 1, 28, 28) in [-1, 1]."""
    import numpy as np

    with np.load(DIGITS, allow_pickle=False) as files:
        images = files["images"].astype(np.float32) / 127.5 - 1
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(len(images))
        for start in range(0, len(order) - batch + 1, batch):
            yield images[order[start:start + batch], None]


def reference_trainer():
    """minigan's trainer of the reference step (torch_reference.py's recipe), seeded."""
    import minigan as mg
    from minigan import optim
    from minigan.gan.models import DCGANDiscriminator, DCGANGenerator
    from minigan.gan.training import GANTrainer

    mg.manual_seed(0)
    g, d = DCGANGenerator(), DCGANDiscriminator()
    return GANTrainer(g, d, optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999)),
                      optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999)), loss="ns", ema_decay=0.999)


def minigan_loop(steps, batch):
    import minigan as mg

    trainer = reference_trainer()
    batches = digit_batches(batch)
    for _ in range(steps):
        trainer.step(mg.tensor(next(batches)))


def torch_loop(steps, batch):
    import copy

    import torch

    sys.path.insert(0, HERE)
    import torch_reference as ref

    g, d = ref.make_models()
    ema = copy.deepcopy(g)
    adam_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    adam_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = torch.nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)
    batches = digit_batches(batch)
    for _ in range(steps):
        real = torch.from_numpy(next(batches))
        fake = g(torch.randn(batch, ref.LATENT_DIM))
        adam_d.zero_grad(set_to_none=True)
        (bce(d(real), ones) + bce(d(fake.detach()), zeros)).backward()
        adam_d.step()
        adam_g.zero_grad(set_to_none=True)
        bce(d(fake), ones).backward()
        adam_g.step()
        with torch.no_grad():
            for e, p in zip(ema.parameters(), g.parameters()):
                e.lerp_(p, 1 - 0.999)


def first_step(batch):
    """Seconds of the first GANTrainer.step in this (fresh) process."""
    import minigan as mg

    trainer = reference_trainer()
    real = mg.tensor(next(digit_batches(batch)))
    start = time.perf_counter()
    trainer.step(real)
    return time.perf_counter() - start


def peak_rss_mb(command, env):
    """Run ``command`` in a fresh process and return its peak RSS in MB."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"{' '.join(command)} failed:\n{errors.read().decode()}")
    return usage.ru_maxrss / 1024  # Linux reports kilobytes


def child_command(what, steps, batch):
    return [sys.executable, os.path.abspath(__file__), "--child", what, "--steps", str(steps), "--batch", str(batch)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--child", choices=("minigan", "torch", "first-step"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        if args.child == "first-step":
            print(f"{first_step(args.batch):.3f}")
        else:
            (minigan_loop if args.child == "minigan" else torch_loop)(args.steps, args.batch)
        return

    threads = str(args.threads)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "NUMBA_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
    with tempfile.TemporaryDirectory() as out:
        rows = [("minigan train", [sys.executable, "-m", "minigan.train", "mnist", "--steps", str(args.steps),
                                   "--no-conditional", "--width", "64", "--batch-size", str(args.batch),
                                   "--eval-every", "0", "--no-progress", "--out", os.path.join(out, "run")], env),
                ("minigan loop", child_command("minigan", args.steps, args.batch), env),
                ("minigan loop, malloc untouched", child_command("minigan", args.steps, args.batch),
                 {**env, "MINIGAN_KEEP_FREED_MEMORY": "0"})]
        if importlib.util.find_spec("torch"):
            rows.append(("PyTorch loop", child_command("torch", args.steps, args.batch), env))
        else:
            print("(PyTorch is not installed: pip install torch==2.13.0 for its row)")
        print(f"peak RSS of {args.steps} DCGAN steps of batch {args.batch}, {args.threads} thread(s):")
        peaks = {}
        for name, command, row_env in rows:
            peaks[name] = peak_rss_mb(command, row_env)
            print(f"  {name:32s} {peaks[name]:7.0f} MB")
        if "PyTorch loop" in peaks:
            for name in ("minigan train", "minigan loop"):
                print(f"  {name} / PyTorch loop: {peaks[name] / peaks['PyTorch loop']:.2f}")

    imports = []
    for _ in range(5):
        result = subprocess.run([sys.executable, "-c", "import time; t = time.perf_counter(); import minigan; "
                                 "print(time.perf_counter() - t)"], env=env, capture_output=True, text=True, check=True)
        imports.append(float(result.stdout))
    print(f"import minigan: {statistics.median(imports):.3f} s (median of 5 fresh processes)")
    result = subprocess.run(child_command("first-step", 1, args.batch), env=env, capture_output=True, text=True,
                            check=True)
    print(f"first GANTrainer.step of a fresh process (kernels from Numba's cache): {float(result.stdout):.2f} s")


if __name__ == "__main__":
    main()
