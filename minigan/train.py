"""``python -m minigan.train DATASET``: train a GAN and leave behind pictures, logs and checkpoints.

    python -m minigan.train mnist                         # DCGAN on MNIST, about 10 minutes on 2 cores
    python -m minigan.train mnist --loss wgan-gp          # WGAN-GP with a layer-norm critic
    python -m minigan.train mnist --conditional           # one row per digit in the samples
    python -m minigan.train ring --loss hinge --spectral-norm
    python -m minigan.train mnist --out runs/mnist --resume   # continue an interrupted run

The output folder (``--out``, default ``runs/DATASET-LOSS``) receives

    config.json     every setting of the run (and where the data came from)
    metrics.jsonl   one JSON line per logged step: losses, D outputs, penalties, gradient norms
    samples/        step_NNNNNN.png: the same fixed latent vectors, every --sample-every steps
    checkpoint.npz  models, optimizers, EMA, random state, data position (atomic, pickle-free)
    curves.png      losses and D outputs over training       (at the end)
    samples.gif     the sample grids as an animation          (at the end)
    final.png       the last sample grid                      (at the end)

Ctrl-C finishes the current step, saves a checkpoint and exits; ``--resume`` then continues
bit-identically on the CPU. A loss that becomes NaN or infinite stops the run with a message and
keeps the last good checkpoint. The loop itself lives in :class:`minigan.gan.training.GANTrainer`.
"""
from __future__ import annotations

import argparse
import glob
import json
import math
import os
import signal
import sys
import time

import numpy as np

DATASETS = ("mnist", "fashion-mnist", "ring", "grid", "spiral", "gaussian")
IMAGE_DATASETS = ("mnist", "fashion-mnist")
TOY_SAMPLES = 50_000  # points drawn once from a toy distribution to make its "dataset"
TOY_DIMENSIONS = {"ring": 2, "grid": 2, "spiral": 2, "gaussian": 1}


def build_parser() -> argparse.ArgumentParser:
    from .gan.losses import LOSS_NAMES

    parser = argparse.ArgumentParser(
        prog="python -m minigan.train", description="Train a GAN with minigan.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("dataset", choices=DATASETS, help="what to learn")
    model = parser.add_argument_group("model and loss")
    model.add_argument("--loss", choices=LOSS_NAMES, default="ns",
                       help="GAN loss: ns = non-saturating (DCGAN), wgan-gp = Wasserstein with gradient penalty, ...")
    model.add_argument("--d-norm", choices=("batch", "layer", "spectral", "none"), default=None,
                       help="normalization in D (default: batch, or layer for wgan-gp; images only)")
    model.add_argument("--spectral-norm", action="store_true", help="spectral normalization in D (= --d-norm spectral)")
    model.add_argument("--conditional", action="store_true", help="class-conditional G and D (images only)")
    model.add_argument("--latent-dim", type=int, default=None, help="size of z (default: 100 for images, 2 for toys)")
    model.add_argument("--width", type=int, default=64, help="DCGAN channel width (64 = the reference DCGAN)")
    model.add_argument("--n-critic", type=int, default=None, help="D steps per G step (default: 5 for wgan/wgan-gp, else 1)")
    model.add_argument("--gp-weight", type=float, default=10.0, help="lambda of the WGAN-GP gradient penalty")
    model.add_argument("--gp-one-sided", action="store_true",
                       help="penalise only critic gradient norms above 1: max(0, |grad| - 1)^2")
    model.add_argument("--r1-gamma", type=float, default=0.0, help="gamma of the R1 penalty on real data (0 = off)")
    model.add_argument("--ema-decay", type=float, default=0.999, help="EMA of G's weights for samples (0 = off)")
    optimizer = parser.add_argument_group("optimization")
    optimizer.add_argument("--steps", type=int, default=None, help="training steps (default: 3000)")
    optimizer.add_argument("--epochs", type=float, default=None, help="train this many passes over the data instead of --steps")
    optimizer.add_argument("--batch-size", type=int, default=64)
    optimizer.add_argument("--lr-g", type=float, default=2e-4, help="G's Adam learning rate")
    optimizer.add_argument("--lr-d", type=float, default=2e-4, help="D's Adam learning rate")
    optimizer.add_argument("--beta1", type=float, default=0.5, help="Adam beta1 (0.5 is the DCGAN choice)")
    optimizer.add_argument("--beta2", type=float, default=0.999, help="Adam beta2")
    optimizer.add_argument("--seed", type=int, default=0)
    run = parser.add_argument_group("run")
    run.add_argument("--out", default=None, help="output folder (default: runs/DATASET-LOSS)")
    run.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    run.add_argument("--device", choices=("cpu", "cuda", "cuda-sim"), default=None, help="default: $MINIGAN_DEVICE or cpu")
    run.add_argument("--data-dir", default=None, help="folder with the IDX files (default: $MINIGAN_DATA, then the cache)")
    run.add_argument("--limit", type=int, default=None, help="use only the first N training images (quick tries)")
    run.add_argument("--log-every", type=int, default=10, help="steps between lines of metrics.jsonl")
    run.add_argument("--sample-every", type=int, default=250, help="steps between sample grids")
    run.add_argument("--checkpoint-every", type=int, default=500, help="steps between checkpoints")
    run.add_argument("--no-progress", action="store_true", help="no progress bar (for logs and CI)")
    return parser


# The settings a resumed run takes from the command line (when given there); the rest comes from config.json.
RUN_LENGTH_AND_PLACE = ("out", "resume", "device", "data_dir", "no_progress")


def resolve_settings(args) -> dict:
    """The full settings of a run: defaults that depend on the dataset and loss filled in."""
    settings = dict(vars(args))
    images = args.dataset in IMAGE_DATASETS
    if not images and args.conditional:
        raise SystemExit(f"error: --conditional needs an image dataset ({', '.join(IMAGE_DATASETS)}), not {args.dataset}")
    if settings["latent_dim"] is None:
        settings["latent_dim"] = 100 if images else (1 if args.dataset == "gaussian" else 2)
    if settings["n_critic"] is None:
        settings["n_critic"] = 5 if args.loss in ("wgan", "wgan-gp") else 1
    if args.spectral_norm:
        settings["d_norm"] = "spectral"
    if settings["d_norm"] is None:
        settings["d_norm"] = "layer" if args.loss == "wgan-gp" else "batch"
    if settings["out"] is None:
        settings["out"] = os.path.join("runs", f"{args.dataset}-{args.loss}")
    return settings


def load_data(settings):
    """(samples, labels or None, description): images as uint8 (N, 28, 28), toy points as float32 (N, D)."""
    from . import data

    name = settings["dataset"]
    if name in IMAGE_DATASETS:
        loader = data.load_mnist if name == "mnist" else data.load_fashion_mnist
        images, labels, source = loader("train", data_dir=settings["data_dir"], progress=not settings["no_progress"])
        if settings["limit"]:
            images, labels = images[:settings["limit"]], labels[:settings["limit"]]
        return images, labels, source
    sampler = {"ring": data.ring, "grid": data.grid, "spiral": data.spiral, "gaussian": _gaussian}[name]
    return sampler(TOY_SAMPLES, np.random.default_rng(settings["seed"])), None, f"{TOY_SAMPLES:,} points from {name}"


def _gaussian(n, rng):
    """The 1-D Gaussian N(4, 1.25^2), the classic first GAN exercise."""
    return rng.normal(4.0, 1.25, (n, 1)).astype(np.float32)


def build_models(settings):
    from .gan.models import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator

    if settings["dataset"] in IMAGE_DATASETS:
        classes = 10 if settings["conditional"] else 0
        generator = DCGANGenerator(settings["latent_dim"], settings["width"], num_classes=classes)
        discriminator = DCGANDiscriminator(settings["width"], norm=settings["d_norm"], num_classes=classes)
    else:
        data_dim = TOY_DIMENSIONS[settings["dataset"]]
        generator = MLPGenerator(settings["latent_dim"], data_dim, hidden=128, depth=2)
        discriminator = MLPDiscriminator(data_dim, hidden=128, depth=2,
                                         norm="spectral" if settings["d_norm"] == "spectral" else "none")
    return generator, discriminator


class Run:
    """One training run: its folder, its trainer, and the files it writes."""

    def __init__(self, settings):
        import minigan
        from . import optim
        from .data import BatchLoader
        from .gan.training import GANTrainer

        self.settings = settings
        self.out = settings["out"]
        if settings["device"]:
            minigan.set_default_device(settings["device"])
        minigan.manual_seed(settings["seed"])
        samples, labels, self.source = load_data(settings)
        self.images = settings["dataset"] in IMAGE_DATASETS
        self.loader = BatchLoader(samples, labels if settings["conditional"] else None,
                                  batch_size=settings["batch_size"], seed=settings["seed"])
        generator, discriminator = build_models(settings)
        betas = (settings["beta1"], settings["beta2"])
        self.trainer = GANTrainer(
            generator, discriminator,
            optim.Adam(generator.parameters(), lr=settings["lr_g"], betas=betas),
            optim.Adam(discriminator.parameters(), lr=settings["lr_d"], betas=betas),
            loss=settings["loss"], n_critic=settings["n_critic"], gp_weight=settings["gp_weight"],
            gp_one_sided=settings["gp_one_sided"],
            r1_gamma=settings["r1_gamma"], ema_decay=settings["ema_decay"] or None,
            conditional=settings["conditional"])
        # The fixed latent batch of the sample grids: its own seed, so it never disturbs training.
        self.fixed_z = self.trainer.sample_latent(100 if self.images else 2000,
                                                  generator=np.random.default_rng([settings["seed"], 1]))
        self.fixed_labels = minigan.tensor(np.repeat(np.arange(10), 10)) if settings["conditional"] else None
        self.real_sample = samples[:2000]
        if settings["epochs"] is not None:
            self.total_steps = max(1, math.ceil(settings["epochs"] * len(self.loader)))
        else:
            self.total_steps = settings["steps"] if settings["steps"] is not None else 3000
        self.step, self.records = 0, []

    # ---------------------------------------------------------------- files
    def path(self, *parts):
        return os.path.join(self.out, *parts)

    def save_checkpoint(self):
        from .autograd import get_rng_state
        from .checkpoint import save_checkpoint

        save_checkpoint(self.path("checkpoint.npz"), {
            "trainer": self.trainer.state_dict(), "rng": get_rng_state(),
            "loader": self.loader.state_dict(), "step": self.step,
        })

    def restore(self):
        from .autograd import set_rng_state
        from .checkpoint import load_checkpoint

        state = load_checkpoint(self.path("checkpoint.npz"))
        self.trainer.load_state_dict(state["trainer"])
        set_rng_state(state["rng"])
        self.loader.load_state_dict(state["loader"])
        self.step = int(state["step"])
        # metrics.jsonl may hold lines logged after the checkpoint: keep only what the checkpoint covers.
        self.records = [r for r in _read_jsonl(self.path("metrics.jsonl")) if r["step"] <= self.step]
        _write_jsonl(self.path("metrics.jsonl"), self.records)

    def sample_generator(self):
        return self.trainer.ema_generator or self.trainer.generator

    def save_samples(self, filename):
        """The fixed latent batch through (the EMA copy of) G in eval mode: a grid, or a scatter for toys."""
        from .autograd import no_grad
        from .viz import save_image_grid, save_scatter

        generator = self.sample_generator()
        generator.eval()
        with no_grad():
            args = (self.fixed_z, self.fixed_labels) if self.settings["conditional"] else (self.fixed_z,)
            fake = generator(*args)
        generator.train()
        if self.images:
            return save_image_grid(fake, self.path("samples", filename), nrow=10)
        return save_scatter(self.real_sample, fake.numpy(), self.path("samples", filename),
                            title=f"step {self.step}")

    def finish(self):
        """The end-of-run pictures: curves, GIF of the sample grids, final grid."""
        from PIL import Image

        from .viz import plot_training_curves, save_gif

        self.save_samples("final.png")
        os.replace(self.path("samples", "final.png"), self.path("final.png"))
        if self.records:
            plot_training_curves(self.records, self.path("curves.png"))
        frames = [np.asarray(Image.open(f).convert("RGB")) for f in sorted(glob.glob(self.path("samples", "step_*.png")))]
        if frames:
            save_gif(frames, self.path("samples.gif"))

    # ---------------------------------------------------------------- the loop
    def train(self, progress=True) -> int:
        """Train until ``total_steps``; returns the exit code (0 done, 1 stopped by NaN, 130 interrupted)."""
        from tqdm import tqdm

        interrupted = []
        previous_handler = signal.signal(signal.SIGINT, lambda *_: interrupted.append(True))
        batches = self.loader.forever()
        bar = tqdm(total=self.total_steps, initial=self.step, disable=not progress, unit="step", dynamic_ncols=True)
        start = time.perf_counter()
        try:
            while self.step < self.total_steps and not interrupted:
                batch = next(batches)
                real, labels = batch if isinstance(batch, tuple) else (batch, None)
                stats = self.trainer.step(real, labels)
                bad = [key for key, value in stats.items() if not math.isfinite(value)]
                if bad:
                    print(f"\nstopped: {', '.join(bad)} became {stats[bad[0]]} at step {self.step + 1}. The last good "
                          f"checkpoint is {self.path('checkpoint.npz')}; try a lower learning rate "
                          f"(--lr-d/--lr-g) or another --loss.", file=sys.stderr)
                    return 1
                self.step += 1
                self._log(stats, time.perf_counter() - start)
                bar.update(1)
                bar.set_postfix({k: f"{stats[k]:.3f}" for k in ("d_loss", "g_loss") if k in stats})
                if self.step % self.settings["sample_every"] == 0:
                    self.save_samples(f"step_{self.step:06d}.png")
                if self.step % self.settings["checkpoint_every"] == 0:
                    self.save_checkpoint()
        finally:
            bar.close()
            signal.signal(signal.SIGINT, previous_handler)
        self.save_checkpoint()
        if interrupted:
            print(f"interrupted at step {self.step}: checkpoint saved; continue with --out {self.out} --resume",
                  file=sys.stderr)
            return 130
        self.finish()
        return 0

    def _log(self, stats, seconds):
        if self.step % self.settings["log_every"] and self.step != self.total_steps:
            return
        record = {"step": self.step, "seconds": round(seconds, 3), **stats}
        self.records.append(record)
        with open(self.path("metrics.jsonl"), "a") as log:
            log.write(json.dumps(record) + "\n")


def _read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _write_jsonl(path, records):
    with open(path, "w") as log:
        log.writelines(json.dumps(r) + "\n" for r in records)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    settings = resolve_settings(args)
    config_path = os.path.join(settings["out"], "config.json")
    if args.resume:
        if not os.path.exists(os.path.join(settings["out"], "checkpoint.npz")):
            raise SystemExit(f"error: --resume: no checkpoint.npz in {settings['out']}")
        with open(config_path) as f:
            saved = json.load(f)
        from_command_line = {k: settings[k] for k in RUN_LENGTH_AND_PLACE if settings[k] is not None}
        if args.steps is not None or args.epochs is not None:  # a new length replaces the old one
            from_command_line.update(steps=args.steps, epochs=args.epochs)
        # A setting newer than the saved run is absent from its config.json: it keeps its default.
        settings = {**settings, **saved, **from_command_line}
    elif os.path.exists(os.path.join(settings["out"], "checkpoint.npz")):
        raise SystemExit(f"error: {settings['out']} already holds a run; pass --resume to continue it or --out elsewhere")
    os.makedirs(os.path.join(settings["out"], "samples"), exist_ok=True)

    run = Run(settings)
    if args.resume:
        run.restore()
    else:
        open(run.path("metrics.jsonl"), "w").close()
    with open(config_path, "w") as f:
        json.dump({**settings, "data_source": run.source, "total_steps": run.total_steps}, f, indent=2)
    progress = not settings["no_progress"]
    if progress:
        print(f"training {settings['dataset']} ({run.source}) with the {settings['loss']} loss for "
              f"{run.total_steps} steps -> {settings['out']}")
    code = run.train(progress=progress)
    if code == 0 and progress:
        print(f"done: {run.path('final.png')}, {run.path('curves.png')}, {run.path('samples.gif')}")
    return code


if __name__ == "__main__":
    sys.exit(main())
