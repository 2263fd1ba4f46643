"""``python -m minigan.train DATASET``: train a GAN and leave behind pictures, logs and checkpoints.

    python -m minigan.train mnist                         # a conditional DCGAN (one row per digit in the samples),
                                                          # width 48, lazy R1, Adam(4e-4, (0, 0.99)): 8 min
    python -m minigan.train mnist --no-conditional        # the same, unconditional: G never sees a label
    python -m minigan.train mnist --recipe dcgan          # the reference DCGAN recipe (tutorials 07-09)
    python -m minigan.train mnist --loss wgan-gp          # WGAN-GP with a layer-norm critic
    python -m minigan.train ring --loss hinge --spectral-norm
    python -m minigan.train mnist --out runs/mnist --resume   # continue an interrupted run
    python -m minigan.train mnist --augment translation,cutout  # DiffAugment: D sees augmented real and fake
    python -m minigan.train mnist --augment translation,cutout --ada  # ... as strongly as D's overfitting asks

The output folder (``--out``, default ``runs/DATASET-LOSS``) receives

    config.json     every setting of the run (and where the data came from)
    metrics.jsonl   one JSON line per logged step: losses, D outputs, penalties, gradient norms (and
                    augment_p with --ada); and
                    every --eval-every steps the live evaluation (images): eval_fd, eval_kid,
                    eval_classes, eval_class_histogram, eval_precision, eval_recall, eval_coverage
    samples/        step_NNNNNN.png: the same fixed latent vectors, every --sample-every steps
    checkpoint.npz  models, optimizers, EMA, random state, data position (atomic, pickle-free)
    best.npz        the same, from the step whose live evaluation had the lowest FD (images; --eval-every)
    curves.png      losses and D outputs over training, and the live evaluation's scores (at the end)
    samples.gif     the sample grids as an animation          (at the end)
    final.png       the last sample grid                      (at the end)

Ctrl-C (or SIGTERM, what a job scheduler or ``docker stop`` sends) finishes the current step,
saves a checkpoint and exits; ``--resume`` then continues bit-identically on the CPU. A resumed run
may change its length, learning rates, penalties' weights and logging (each change is recorded in
config.json with its step); what would make it another run -- dataset, loss, architecture, batch,
seed -- is refused. A run that diverges (a loss or a weight NaN, infinite or beyond 1e8) stops
with a message naming the step and the last checkpoint that is really good: nothing non-finite is
ever saved. One process at a time trains in a folder (a ``.lock`` file). Expected problems --
bad arguments, missing data, a damaged checkpoint, a folder that cannot be written -- are one
line on stderr and a non-zero exit, never a traceback.

While it trains, the run reads its own numbers (:func:`minigan.gan.diagnosis.diagnose`) and prints a
warning, once per problem, when it sees D winning, G's gradient vanishing, mode collapse or
oscillation, with the remedy and the tutorial to read; ``python -m minigan.diagnose RUN`` says the
same of a finished or running run.

The loop itself lives in :class:`minigan.gan.training.GANTrainer`; the run folder's files in
:mod:`minigan.runs`; the live evaluation in :mod:`minigan.evaluation.live`.
"""
from __future__ import annotations

import argparse
import glob
import math
import os
import signal
import sys
import time

import numpy as np

from . import runs
from .cli import (
    DefaultsHelpFormatter, OneLineErrorParser, fraction_below_one, non_negative_float, non_negative_int, positive_float,
    positive_int, run_cli,
)
from .runs import IMAGE_DATASETS

DATASETS = ("mnist", "fashion-mnist", "ring", "grid", "spiral", "gaussian")
TOY_SAMPLES = 50_000  # points drawn once from a toy distribution to make its "dataset"
LR_DECAYS = ("none", "linear", "cosine")
WARN_EVERY = 10  # logged steps between two looks for problems (and on every live evaluation)
# The settings whose defaults make a recipe; every other default is the same for both. A flag given on
# the command line wins over its recipe's value. README ("How the default was chosen") has the measurements.
RECIPES = {
    "minigan": {"conditional": True, "width": 48, "r1_gamma": 1.0, "r1_every": 4, "steps": 10000, "batch_size": 32,
                "lr_g": 4e-4, "lr_d": 4e-4, "beta1": 0.0, "beta2": 0.99},
    "dcgan": {"conditional": False, "width": 64, "r1_gamma": 0.0, "r1_every": 1, "steps": 3000, "batch_size": 64,
              "lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5, "beta2": 0.999},
}
# The minigan recipe was measured with the ns loss, and a Wasserstein critic has its own constraint
# instead of R1: wgan and wgan-gp take every setting of the dcgan recipe (unless a flag says otherwise).
WASSERSTEIN_LOSSES = ("wgan", "wgan-gp")
# What a run saved before these settings existed did: it resumes with these, not with today's defaults.
BEFORE_RECIPES = {"recipe": "dcgan", "r1_every": 1, "ada": False}
ADA_LOSSES = ("ns", "minimax", "hinge")  # a logit's decision boundary at 0: what ADA's sign(D(x)) assumes
DIVERGED_ABOVE = 1e8  # a loss or gradient norm beyond this has exploded: no GAN here trains at such values


def describe_recipe(name) -> str:
    """A recipe's settings in words, for ``--help``: "class-conditional, width 48, R1 gamma 1 once every
    4 steps, Adam(0.0004, (0, 0.99)), 10,000 steps of batch 32"."""
    recipe = RECIPES[name]
    kind = "class-conditional" if recipe["conditional"] else "unconditional"
    r1 = f"R1 gamma {recipe['r1_gamma']:g}" if recipe["r1_gamma"] else "no R1"
    if recipe["r1_gamma"] and recipe["r1_every"] > 1:
        r1 += f" once every {recipe['r1_every']} steps"
    lr_g, lr_d = recipe["lr_g"], recipe["lr_d"]
    learning_rates = f"{lr_g:g}" if lr_g == lr_d else f"G {lr_g:g}, D {lr_d:g}"
    betas = f"({recipe['beta1']:g}, {recipe['beta2']:g})"
    return (f"{kind}, width {recipe['width']}, {r1}, Adam({learning_rates}, {betas}), "
            f"{recipe['steps']:,} steps of batch {recipe['batch_size']}")


def build_parser() -> argparse.ArgumentParser:
    from .gan.losses import LOSS_NAMES

    parser = OneLineErrorParser(
        prog="python -m minigan.train", description="Train a GAN with minigan.", allow_abbrev=False,
        formatter_class=DefaultsHelpFormatter)
    parser.add_argument("dataset", choices=DATASETS, help="what to learn")
    model = parser.add_argument_group("model and loss")
    model.add_argument("--loss", choices=LOSS_NAMES, default="ns",
                       help="GAN loss: ns = non-saturating (DCGAN), wgan-gp = Wasserstein with gradient penalty, ...")
    model.add_argument("--d-norm", choices=("batch", "layer", "spectral", "none"), default=None,
                       help="normalization in D (default: batch, or layer for wgan-gp; images only)")
    model.add_argument("--spectral-norm", action="store_true", help="spectral normalization in D (= --d-norm spectral)")
    model.add_argument("--conditional", action=argparse.BooleanOptionalAction, default=None,
                       help="class-conditional G and D, which learn one digit per label; --no-conditional for an "
                            "unconditional GAN (images only; default: the recipe's)")
    model.add_argument("--latent-dim", type=positive_int, default=None,
                       help="size of z (default: 100 for images, 2 for toys)")
    model.add_argument("--width", type=positive_int, default=None,
                       help="DCGAN channel width, 64 = the reference DCGAN (default: the recipe's)")
    model.add_argument("--n-critic", type=positive_int, default=None,
                       help="D steps per G step (default: 5 for wgan/wgan-gp, else 1)")
    model.add_argument("--gp-weight", type=non_negative_float, default=10.0, help="lambda of the WGAN-GP gradient penalty")
    model.add_argument("--gp-one-sided", action="store_true",
                       help="penalise only critic gradient norms above 1: max(0, |grad| - 1)^2")
    model.add_argument("--recipe", choices=tuple(RECIPES), default=None,
                       help=f"where {', '.join('--' + name.replace('_', '-') for name in RECIPES['minigan'])} take "
                            "their defaults: minigan = the measured best for images, "
                            f"{describe_recipe('minigan')} (README; the Wasserstein losses take dcgan's values), "
                            f"dcgan = the reference DCGAN recipe of tutorials 07 and 09, {describe_recipe('dcgan')}, "
                            "and the only one for the toy datasets (default: minigan for images)")
    model.add_argument("--r1-gamma", type=non_negative_float, default=None,
                       help="gamma of the R1 penalty on real data, 0 = off (default: the recipe's)")
    model.add_argument("--r1-every", type=positive_int, default=None,
                       help="apply R1 on every k-th step only, weighted by k (StyleGAN2's lazy regularization; "
                            "default: the recipe's)")
    model.add_argument("--augment", type=augment_policy, default="none",
                       help="DiffAugment on every image D sees, real and fake: transformations from "
                            "translation,cutout,brightness,contrast, comma-separated (none = off; images only)")
    model.add_argument("--ada", action="store_true",
                       help="adapt the probability of each --augment transformation to how sure D is of the real "
                            "images (ADA): from 0, up while D calls more than 80%% of them real (E[sign D(x)] > 0.6)")
    model.add_argument("--ema-decay", type=non_negative_float, default=0.999,
                       help="EMA of G's weights for samples (0 = off)")
    optimizer = parser.add_argument_group("optimization")
    optimizer.add_argument("--steps", type=positive_int, default=None, help="training steps (default: the recipe's)")
    optimizer.add_argument("--epochs", type=positive_float, default=None,
                           help="train this many passes over the data instead of --steps")
    optimizer.add_argument("--batch-size", type=positive_int, default=None,
                           help="images per step (real and fake each) (default: the recipe's)")
    optimizer.add_argument("--lr-g", type=non_negative_float, default=None,
                           help="G's Adam learning rate (default: the recipe's)")
    optimizer.add_argument("--lr-d", type=non_negative_float, default=None,
                           help="D's Adam learning rate (default: the recipe's)")
    optimizer.add_argument("--beta1", type=fraction_below_one, default=None,
                           help="Adam beta1 (default: the recipe's; 0.5 is the DCGAN choice)")
    optimizer.add_argument("--beta2", type=fraction_below_one, default=None, help="Adam beta2 (default: the recipe's)")
    optimizer.add_argument("--clip-grad-norm", type=positive_float, default=None,
                           help="rescale each network's gradients to at most this L2 norm before its step")
    optimizer.add_argument("--lr-decay", choices=LR_DECAYS, default="none",
                           help="learning-rate schedule over the run: constant, linear to 0, or cosine to 0")
    optimizer.add_argument("--seed", type=int, default=0)
    run = parser.add_argument_group("run")
    run.add_argument("--out", default=None, help="output folder (default: runs/DATASET-LOSS)")
    run.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    run.add_argument("--device", choices=("cpu", "cuda", "cuda-sim"), default=None, help="default: $MINIGAN_DEVICE or cpu")
    run.add_argument("--data-dir", default=None, help="folder with the IDX files (default: $MINIGAN_DATA, then the cache)")
    run.add_argument("--limit", type=positive_int, default=None, help="use only the first N training images (quick tries)")
    run.add_argument("--log-every", type=positive_int, default=10, help="steps between lines of metrics.jsonl")
    run.add_argument("--sample-every", type=positive_int, default=250, help="steps between sample grids")
    run.add_argument("--eval-every", type=non_negative_int, default=None,
                     help="steps between live evaluations (FD, KID, classes, precision/recall, coverage of a fixed "
                          "latent batch against held-out digits) and best.npz; default: 500 for images; 0 = off")
    run.add_argument("--eval-n", type=positive_int, default=500, help="images per live evaluation")
    run.add_argument("--checkpoint-every", type=positive_int, default=500, help="steps between checkpoints")
    run.add_argument("--no-progress", action="store_true", help="no progress bar (for logs and CI)")
    return parser


def augment_policy(text: str) -> str:
    """The ``--augment`` argument: "none" or comma-separated names of :data:`minigan.gan.augment.TRANSFORMS`."""
    from .gan.augment import TRANSFORMS

    if text == "none":
        return text
    names = [name.strip() for name in text.split(",")]
    unknown = [name for name in names if name not in TRANSFORMS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown transformation {unknown[0]!r}: choose from {', '.join(TRANSFORMS)} "
                                         "(comma-separated), or none")
    return ",".join(names)


# What a resumed run may change: the rest would make it another run (and is an error when it differs).
CHANGEABLE_ON_RESUME = ("steps", "epochs", "lr_g", "lr_d", "beta1", "beta2", "lr_decay", "clip_grad_norm",
                        "gp_weight", "r1_gamma", "r1_every", "log_every", "sample_every", "checkpoint_every", "eval_every",
                        "no_progress",
                        "device", "data_dir", "out")
# Settings resolved from others (see resolve_settings): compared through what they resolve to.
_RESOLVED = {"spectral_norm": "d_norm"}


def explicit_options(argv) -> set:
    """The settings given on the command line (not left at their defaults), as ``vars(args)`` names."""
    parser = build_parser()
    for action in parser._actions:
        action.default = argparse.SUPPRESS
    return set(vars(parser.parse_args(argv)))


def resolve_settings(args) -> dict:
    """The full settings of a run: defaults that depend on the dataset and loss filled in."""
    settings = dict(vars(args))
    images = args.dataset in IMAGE_DATASETS
    if not images and args.conditional:
        raise runs.RunFolderError(f"--conditional needs an image dataset ({', '.join(IMAGE_DATASETS)}), "
                                  f"not {args.dataset}")
    if not images and settings["augment"] != "none":
        raise runs.RunFolderError(f"--augment transforms images; {args.dataset} is a toy dataset of points")
    if settings["ada"] and settings["augment"] == "none":
        raise runs.RunFolderError("--ada adapts the strength of an augmentation: give it one, e.g. "
                                  "--augment translation,cutout --ada")
    if settings["ada"] and args.loss not in ADA_LOSSES:
        raise runs.RunFolderError(f"--ada reads the sign of D's logits, which means real or fake only for the "
                                  f"{', '.join(ADA_LOSSES)} losses, not {args.loss}")
    if settings["recipe"] is None:
        settings["recipe"] = "minigan" if images else "dcgan"
    elif settings["recipe"] != "dcgan" and not images:
        raise runs.RunFolderError(f"--recipe {settings['recipe']} was measured on images; {args.dataset} trains "
                                  "with --recipe dcgan")
    recipe = RECIPES["dcgan" if args.loss in WASSERSTEIN_LOSSES else settings["recipe"]]
    for name, value in recipe.items():
        if settings[name] is None and not (name == "steps" and settings["epochs"] is not None):
            settings[name] = value
    if settings["eval_every"] is None:
        settings["eval_every"] = 500 if images else 0
    elif settings["eval_every"] and not images:
        raise runs.RunFolderError(f"--eval-every scores images with a digit classifier; {args.dataset} is a toy "
                                  "dataset (its samples/ hold scatter plots instead)")
    if settings["latent_dim"] is None:
        settings["latent_dim"] = 100 if images else (1 if args.dataset == "gaussian" else 2)
    if settings["n_critic"] is None:
        settings["n_critic"] = 5 if args.loss in WASSERSTEIN_LOSSES else 1
    if args.spectral_norm:
        settings["d_norm"] = "spectral"
    if settings["d_norm"] is None:
        settings["d_norm"] = "layer" if args.loss == "wgan-gp" else "batch"
    if settings["out"] is None:
        settings["out"] = os.path.join("runs", f"{args.dataset}-{args.loss}")
    return settings


def resumed_settings(settings, saved, explicit) -> tuple[dict, list]:
    """(settings of the resumed run, the changes made) from the saved config and the command line.

    A setting the command line gives explicitly replaces the saved one if it may change on resume,
    and is an error naming both values if it may not. A setting newer than the saved run is
    absent from its config.json: it keeps its default -- or, for the recipe's settings, the value
    in :data:`BEFORE_RECIPES` that repeats what the run did.
    """
    saved = {**{k: v for k, v in BEFORE_RECIPES.items() if k not in saved}, **saved}
    merged, changes = {**settings, **saved}, []
    for name in sorted(explicit | {"dataset"}):
        name = _RESOLVED.get(name, name)
        old, new = saved.get(name, settings[name]), settings[name]
        if old == new or name == "resume":
            continue
        if name not in CHANGEABLE_ON_RESUME:
            flag = "dataset" if name == "dataset" else "--" + name.replace("_", "-")
            raise runs.RunFolderError(f"--resume: {flag} was {old!r} in this run and cannot change to {new!r}; "
                                      "start a new run with another --out")
        merged[name] = new
        changes.append({"setting": name, "from": old, "to": new})
    if "steps" in explicit or "epochs" in explicit:  # a new length replaces the old one
        merged.update(steps=settings["steps"], epochs=settings["epochs"])
    return merged, changes


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


class Diverged(Exception):
    """The run's numbers left the finite world (or exploded): training stops before anything is saved."""


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
        generator, discriminator = runs.build_models(settings)
        betas = (settings["beta1"], settings["beta2"])
        self.trainer = GANTrainer(
            generator, discriminator,
            optim.Adam(generator.parameters(), lr=settings["lr_g"], betas=betas),
            optim.Adam(discriminator.parameters(), lr=settings["lr_d"], betas=betas),
            loss=settings["loss"], n_critic=settings["n_critic"], gp_weight=settings["gp_weight"],
            gp_one_sided=settings["gp_one_sided"],
            r1_gamma=settings["r1_gamma"], r1_every=settings["r1_every"], ema_decay=settings["ema_decay"] or None,
            conditional=settings["conditional"], clip_grad_norm=settings.get("clip_grad_norm"),
            augment=self._augmentation())
        # The fixed latent batch of the sample grids: its own seed, so it never disturbs training.
        self.fixed_z = self.trainer.sample_latent(100 if self.images else 2000,
                                                  generator=np.random.default_rng([settings["seed"], 1]))
        self.fixed_labels = minigan.tensor(np.repeat(np.arange(10), 10)) if settings["conditional"] else None
        self.real_sample = samples[:2000]
        if settings["epochs"] is not None:
            self.total_steps = max(1, math.ceil(settings["epochs"] * len(self.loader)))
        else:
            # (A run saved before recipes with the default length has steps None: it was 3,000.)
            self.total_steps = settings["steps"] if settings["steps"] is not None else RECIPES["dcgan"]["steps"]
        self.step, self.records = 0, []
        self.checkpoint_step = None  # the step of the last good checkpoint on disk, once there is one
        self.evaluator, self.best_fd = None, math.inf  # the evaluator is made when training starts
        self.warned = set()  # the problems a warning was printed for (each once)
        self.schedulers = self._schedulers(last_step=-1)

    def _augmentation(self):
        """The --augment transformation T (DiffAugment; AdaptiveAugment with --ada), or None."""
        from .gan.augment import AdaptiveAugment, DiffAugment

        policy = self.settings.get("augment", "none")
        if policy == "none":
            return None
        return AdaptiveAugment(policy) if self.settings.get("ada") else DiffAugment(policy)

    def _live_evaluator(self):
        """The :class:`~minigan.evaluation.live.LiveEvaluator` of ``--eval-every``, or None when it is off.

        Without the dataset's test split (a --data-dir that holds only the training files) the run
        trains without live evaluation, and says so: the held-out images are what make its scores honest.
        """
        from .data import DataUnavailableError
        from .evaluation.live import LiveEvaluator

        settings = self.settings
        if not settings.get("eval_every"):
            return None
        try:
            return LiveEvaluator(settings["dataset"], settings["latent_dim"], n=settings["eval_n"],
                                 conditional=settings["conditional"], data_dir=settings["data_dir"],
                                 seed=settings["seed"])
        except DataUnavailableError as missing:
            print(f"live evaluation off: it scores against the test split, which is missing ({missing}); "
                  "--eval-every 0 turns it off without this note", file=sys.stderr)
            return None

    def _schedulers(self, last_step):
        """The --lr-decay schedules of both optimizers, positioned so that the next step is ``last_step + 1``.

        Each schedule is a closed form of the step (``minigan.optim.lr_scheduler``) over the run's
        ``total_steps``: a resumed run rebuilds them at its step and continues exactly -- also with a
        new learning rate or length, which then shape the rest of the schedule.
        """
        from .optim import lr_scheduler

        decay = self.settings.get("lr_decay", "none")
        if decay == "none":
            return []
        make = {"linear": lambda opt: lr_scheduler.LinearLR(opt, 1.0, 0.0, self.total_steps, last_epoch=last_step),
                "cosine": lambda opt: lr_scheduler.CosineAnnealingLR(opt, self.total_steps, last_epoch=last_step)}
        return [make[decay](optimizer) for optimizer in (self.trainer.g_optimizer, self.trainer.d_optimizer)]

    # ---------------------------------------------------------------- files
    def path(self, *parts):
        return os.path.join(self.out, *parts)

    def save_checkpoint(self, name=runs.CHECKPOINT):
        """Write the checkpoint of this step to ``name`` (checkpoint.npz, or best.npz for the best generator so
        far) -- after checking that every saved number is finite."""
        from .autograd import get_rng_state
        from .checkpoint import save_checkpoint

        trainer_state = self.trainer.state_dict()
        broken = runs.non_finite_arrays(trainer_state)
        if broken:
            raise Diverged(f"{len(broken)} arrays of the model or optimizer state hold NaN or inf "
                           f"({', '.join(broken[:3])}{', ...' if len(broken) > 3 else ''})")
        save_checkpoint(self.path(name), {
            "trainer": trainer_state, "rng": get_rng_state(),
            "loader": self.loader.state_dict(), "step": self.step,
        })
        if name == runs.CHECKPOINT:
            self.checkpoint_step = self.step

    def restore(self):
        from .autograd import set_rng_state
        from .checkpoint import load_checkpoint

        state = load_checkpoint(self.path(runs.CHECKPOINT))
        self.trainer.load_state_dict(state["trainer"])
        set_rng_state(state["rng"])
        self.loader.load_state_dict(state["loader"])
        self.step = self.checkpoint_step = int(state["step"])
        # The optimizers' saved hyper-parameters give way to the settings: a resume may change them.
        for optimizer, lr in ((self.trainer.g_optimizer, self.settings["lr_g"]),
                              (self.trainer.d_optimizer, self.settings["lr_d"])):
            for group in optimizer.param_groups:
                group.update(lr=lr, initial_lr=lr, betas=(self.settings["beta1"], self.settings["beta2"]))
        self.schedulers = self._schedulers(last_step=self.step - 1)
        # metrics.jsonl may hold lines logged after the checkpoint: keep only what the checkpoint covers.
        self.records = [r for r in runs.read_metrics(self.out) if r["step"] <= self.step]
        runs.write_metrics(self.out, self.records)
        self.best_fd = min((r["eval_fd"] for r in self.records if "eval_fd" in r), default=math.inf)

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
        """Train until ``total_steps``; returns the exit code (0 done, 1 diverged, 130 SIGINT, 143 SIGTERM)."""
        from tqdm import tqdm

        self.evaluator = self._live_evaluator()
        stop = []  # the signal that asked the run to stop, once one has
        handlers = {sig: signal.signal(sig, lambda number, _: stop.append(number))
                    for sig in (signal.SIGINT, signal.SIGTERM)}
        batches = self.loader.forever()
        bar = tqdm(total=self.total_steps, initial=self.step, disable=not progress, unit="step", dynamic_ncols=True)
        start = time.perf_counter()
        try:
            while self.step < self.total_steps and not stop:
                batch = next(batches)
                real, labels = batch if isinstance(batch, tuple) else (batch, None)
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # divergence is reported below
                    stats = self.trainer.step(real, labels)
                self._check_statistics(stats)
                for scheduler in self.schedulers:
                    scheduler.step()
                self.step += 1
                evaluated = self.evaluator is not None and self._due("eval_every")
                if evaluated:
                    stats.update(self.evaluate())
                if self._log(stats, time.perf_counter() - start, force=evaluated):
                    self._check_state()
                    self._warn(bar)
                bar.update(1)
                postfix = {k: f"{stats[k]:.3f}" for k in ("d_loss", "g_loss") if k in stats}
                if self.best_fd < math.inf:
                    postfix["best FD"] = f"{self.best_fd:.1f}"
                bar.set_postfix(postfix)
                if self.step % self.settings["sample_every"] == 0:
                    self.save_samples(f"step_{self.step:06d}.png")
                if self.step % self.settings["checkpoint_every"] == 0:
                    self.save_checkpoint()
            self.save_checkpoint()
        except Diverged as problem:
            bar.close()  # before the message, which would otherwise land inside the bar
            runs.append_metrics(self.out, {"step": self.step + 1, "diverged": str(problem)})  # for minigan.diagnose
            print(f"stopped at step {self.step + 1}: the run diverged: {problem}. {self._where_to_resume()}",
                  file=sys.stderr)
            return 1
        finally:
            bar.close()
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
        if stop:
            name = signal.Signals(stop[0]).name
            print(f"stopped by {name} at step {self.step}: checkpoint saved; continue with --out {self.out} --resume",
                  file=sys.stderr)
            return 128 + stop[0]
        self.finish()
        return 0

    def _check_statistics(self, stats):
        bad = {key: value for key, value in stats.items() if not math.isfinite(value) or abs(value) > DIVERGED_ABOVE}
        if bad:
            key = next(iter(bad))
            raise Diverged(f"{key} became {bad[key]:.4g}")

    def _check_state(self):
        broken = runs.non_finite_arrays({"generator": self.trainer.generator.state_dict(),
                                         "discriminator": self.trainer.discriminator.state_dict()})
        if broken:
            raise Diverged(f"weights hold NaN or inf ({', '.join(broken[:3])})")

    def _where_to_resume(self) -> str:
        """The last checkpoint that is really good (or that there is none), and the usual remedy."""
        remedy = "a lower learning rate (--lr-d/--lr-g) or another --loss"
        if self.checkpoint_step is None:
            return f"No checkpoint had been written yet: start again with {remedy}."
        return (f"The last good checkpoint is {self.path(runs.CHECKPOINT)} (step {self.checkpoint_step}); continue "
                f"from it with --out {self.out} --resume and {remedy}.")

    def _warn(self, bar):
        """Print each problem :func:`minigan.gan.diagnosis.diagnose` sees in the records so far, once per run."""
        from .gan.diagnosis import diagnose

        if len(self.records) % WARN_EVERY and "eval_fd" not in self.records[-1]:
            return
        for finding in diagnose(self.records, self.settings["loss"]):
            if finding.problem not in self.warned:
                self.warned.add(finding.problem)
                bar.write(f"warning: {finding}\n  (python -m minigan.diagnose {self.out} reads the run again)",
                          file=sys.stderr)

    def _due(self, every) -> bool:
        """Is this step one of the ``every``-th (or the last), for the setting named ``every`` (0 = never)?"""
        period = self.settings.get(every)
        return bool(period) and (self.step % period == 0 or self.step == self.total_steps)

    def evaluate(self) -> dict:
        """Score the sample generator (the EMA copy, if any) now, as ``eval_*`` statistics; when its FD is the
        lowest so far, keep this step as best.npz (a checkpoint like checkpoint.npz)."""
        scores = {f"eval_{key}": value for key, value in self.evaluator(self.sample_generator()).items()}
        if scores["eval_fd"] < self.best_fd:
            self.best_fd = scores["eval_fd"]
            self.save_checkpoint(runs.BEST)
        return scores

    def _log(self, stats, seconds, force=False) -> bool:
        """Append the step's statistics to metrics.jsonl on logged steps (and when ``force``); True when it did."""
        if not (force or self._due("log_every")):
            return False
        record = {"step": self.step, "seconds": round(seconds, 3), **stats}
        self.records.append(record)
        runs.append_metrics(self.out, record)
        return True


def prepare_folder(out) -> None:
    """Create ``out`` (and ``out/samples``) or say in one line why it cannot be used."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise runs.RunFolderError(f"--out {out} is a file, not a folder")
    os.makedirs(os.path.join(out, "samples"), exist_ok=True)


def main(argv=None) -> int:
    """The command line; returns the exit code. Expected problems are one line on stderr (``cli.run_cli``)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    return run_cli(_train, args, explicit_options(argv))


def _train(args, explicit) -> int:
    from .checkpoint import remove_orphan_temporaries

    settings = resolve_settings(args)
    out = settings["out"]
    has_checkpoint = os.path.exists(os.path.join(out, runs.CHECKPOINT))
    if args.resume and not has_checkpoint:
        raise runs.RunFolderError(f"--resume: no {runs.CHECKPOINT} in {out}")
    if not args.resume and has_checkpoint:
        raise runs.RunFolderError(f"{out} already holds a run; pass --resume to continue it or --out elsewhere")
    prepare_folder(out)
    with runs.RunLock(out):
        remove_orphan_temporaries(out)
        changes = []
        if args.resume:
            saved = runs.read_config(out)
            settings, changes = resumed_settings(settings, saved, explicit)
        run = Run(settings)
        if args.resume:
            if run.source != saved.get("data_source", run.source):
                raise runs.RunFolderError(f"--resume: the run trained on {saved['data_source']!r}, but the data found "
                                          f"now is {run.source!r}; give the same --data-dir")
            run.restore()
            changes = [{"step": run.step, **change} for change in changes]
        else:
            runs.write_metrics(out, [])
        history = (saved.get("changes", []) if args.resume else []) + changes
        runs.write_config(out, {**settings, "data_source": run.source, "total_steps": run.total_steps,
                                "changes": history})
        progress = not settings["no_progress"]
        for change in changes:
            print(f"resume: {change['setting']} {change['from']!r} -> {change['to']!r} from step {change['step']}",
                  file=sys.stderr)
        if progress:
            print(f"training {settings['dataset']} ({run.source}) with the {settings['loss']} loss for "
                  f"{run.total_steps} steps -> {out}")
        code = run.train(progress=progress)
    if code == 0 and progress:
        print(f"done: {run.path('final.png')}, {run.path('curves.png')}, {run.path('samples.gif')}")
    return code


if __name__ == "__main__":
    sys.exit(main())
