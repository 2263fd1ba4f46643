"""One lab run: a 2-D GAN that a person trains by hand or lets play, and everything the page shows of it.

    session = LabSession({"dataset": "ring", "loss": "minimax"})
    session.step("d")           # exactly one update of D  (GANTrainer.d_step)
    session.step("g")           # exactly one update of G  (GANTrainer.g_step)
    session.step("full", 10)    # ten calls of GANTrainer.step, as python -m minigan.train makes them
    session.change({"loss": "ns"})    # a live setting: the networks keep training
    picture = session.state()   # points, heat map, arrows, curves, code, command line: plain JSON

The run is built the way ``python -m minigan.train`` builds a toy run (same data, MLPs, optimizers and
seeding), so :func:`minigan.lab.command.command_line` can name the command that reproduces it.

A session is *not* thread-safe: the server holds one lock around it (see ``api``). It seeds minigan's
global random generator on (re)start and draws training's random numbers from it, as the CLI does;
what it only *shows* (the fake points on display, the penalty's interpolation points) uses random
generators of its own, so looking at a run never changes it.
"""
from __future__ import annotations

import contextlib
import math

import numpy

import minigan

from .. import optim
from ..autograd import no_grad
from ..data import BatchLoader, count_covered_modes
from ..gan.losses import get_loss
from ..gan.models import MLPDiscriminator, MLPGenerator
from ..gan.training import GANTrainer
from ..runs import non_finite_arrays
from . import distributions, fields
from .command import command_line
from .settings import LIVE, validated
from .source import code_that_ran

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # the lab extra brings it (pip install -e ".[lab]"); without it BLAS keeps all its threads
    threadpool_limits = None

DISPLAY_POINTS = 512      # real and fake points on the plane
PENALTY_POINTS = 128      # of them, pairs that give the gradient penalty's interpolation points
RESOLUTION = 40           # cells per side of the heat map and of the gradient-norm field
HISTORY_SENT = 600        # the last updates whose numbers the page plots
MAX_SNAPSHOTS = 100       # pictures kept for the GIF; past that, every other one goes and they come half as often
DIVERGED_ABOVE = 1e8      # a loss or gradient norm beyond this has exploded (as minigan.train judges it)
D_STATS = ("d_loss", "d_real", "d_fake", "penalty", "d_grad_norm")
PROBABILITY_LOSSES = ("ns", "minimax")  # losses whose D output is a logit of "real": the map shows sigma(D(x))
KINDS = ("d", "g", "full")


def one_blas_thread():
    """BLAS on one thread for the duration: the lab's matrices (a batch by 128 units) are too small to
    share out, and on a busy 2-core machine a second BLAS thread made a step 20 times slower (300 ms, not 14)."""
    return threadpool_limits(1) if threadpool_limits is not None else contextlib.nullcontext()


class SessionError(RuntimeError):
    """A request the session cannot carry out as things are (a diverged run); the message says what to do."""


class LabSession:
    """One run of the lab, built from ``settings`` (a dict of :data:`minigan.lab.settings.DEFAULTS`' keys;
    the rest keep their defaults). See the module docstring for what it does."""

    def __init__(self, settings=None):
        self.settings = validated(settings or {})
        self.version = 0  # goes up with every change, so that a page can ask "anything new?"
        self.restart()

    # ------------------------------------------------------------------ building and changing the run
    def restart(self) -> None:
        """Start the run again from step 0 with the current settings (also: the way out of a diverged run)."""
        s = self.settings
        minigan.manual_seed(s["seed"])
        points = distributions.training_points(s)
        self.loader = BatchLoader(points, batch_size=s["batch_size"], seed=s["seed"])
        self.batches = self.loader.forever()
        generator = MLPGenerator(s["latent_dim"], 2, hidden=s["hidden"], depth=s["depth"])
        discriminator = MLPDiscriminator(2, hidden=s["hidden"], depth=s["depth"],
                                         norm="spectral" if s["spectral_norm"] else "none")
        betas = (s["beta1"], s["beta2"])
        self.trainer = GANTrainer(
            generator, discriminator,
            optim.Adam(generator.parameters(), lr=s["lr_g"], betas=betas),
            optim.Adam(discriminator.parameters(), lr=s["lr_d"], betas=betas),
            loss=s["loss"], n_critic=s["n_critic"], gp_weight=s["gp_weight"], r1_gamma=s["r1_gamma"])
        self.real = points[:DISPLAY_POINTS]
        self.z = self.trainer.sample_latent(DISPLAY_POINTS, generator=numpy.random.default_rng([s["seed"], 1]))
        self.extent = distributions.extent(points)
        self.grid = fields.plane_grid(self.extent, RESOLUTION)
        self.modes = distributions.modes(s)
        self.history, self.updates = [], {"d": 0, "g": 0}
        self.code, self.changes, self.hand_updates, self.diverged = [], [], 0, None
        self.snapshots, self.snapshot_every = [], 1
        self._take_snapshot()
        self.version += 1

    def change(self, changes) -> str:
        """Apply settings; returns what happened, in words. A live setting (``settings.LIVE``) changes the
        running trainer; any other starts the run again."""
        new = validated(changes, self.settings)
        changed = [name for name in new if new[name] != self.settings[name]]
        self.settings = new
        if not changed:
            return "nothing changed"
        restarting = [name for name in changed if name not in LIVE]
        if restarting:
            self.restart()
            return f"{', '.join(restarting)} changed: the run starts again"
        self._apply_live_settings()
        if self.total_updates:
            self.changes.append(f"{', '.join(changed)} changed after update {self.total_updates}")
        self.version += 1
        return f"{', '.join(changed)} changed: the networks keep training"

    def _apply_live_settings(self):
        s, trainer = self.settings, self.trainer
        trainer.loss = get_loss(s["loss"])
        trainer.n_critic, trainer.gp_weight, trainer.r1_gamma = s["n_critic"], s["gp_weight"], s["r1_gamma"]
        for optimizer, lr in ((trainer.g_optimizer, s["lr_g"]), (trainer.d_optimizer, s["lr_d"])):
            for group in optimizer.param_groups:
                group.update(lr=lr, betas=(s["beta1"], s["beta2"]))

    # ------------------------------------------------------------------ training
    @property
    def total_updates(self) -> int:
        return self.updates["d"] + self.updates["g"]

    def step(self, kind: str = "full", count: int = 1) -> None:
        """``count`` times: one D update ("d"), one G update ("g"), or one ``GANTrainer.step`` ("full").

        Stops early when the run diverges; a diverged run refuses to step until it is restarted.
        """
        if kind not in KINDS:
            raise ValueError(f"LabSession.step: kind must be one of {', '.join(KINDS)}, got {kind!r}")
        if count < 1:
            raise ValueError(f"LabSession.step: count must be at least 1, got {count}")
        if self.diverged:
            raise SessionError(f"{self.diverged} -- press Reset to start again (lower learning rates help)")
        with one_blas_thread():
            for _ in range(count):
                g_ran = self._update(kind)
                if self.diverged:
                    break
        self.code = code_that_ran(kind, self.trainer, g_ran)  # of the last update: what the page shows
        self.version += 1

    def _update(self, kind) -> bool:
        """One update of the given kind; returns whether G was updated."""
        real = next(self.batches)
        self.hand_updates += kind != "full"
        with numpy.errstate(over="ignore", invalid="ignore", divide="ignore"):  # divergence is judged below
            if kind == "d":
                stats = self.trainer.d_step(real)
            elif kind == "g":
                stats = self.trainer.g_step(real)
            else:
                stats = self.trainer.step(real)
        g_ran = "g_loss" in stats
        if kind != "g":
            self._record("D", {key: stats[key] for key in D_STATS})
        if g_ran:
            self._record("G", {"g_loss": stats["g_loss"], "g_grad_norm": stats["g_grad_norm"]})
        self._check_divergence(stats)
        return g_ran

    def _record(self, player, stats):
        self.updates[player.lower()] += 1
        self.history.append({"update": self.total_updates, "player": player, **stats})
        if self.total_updates % self.snapshot_every == 0:
            self._take_snapshot()

    def _check_divergence(self, stats):
        bad = [key for key, value in stats.items() if not math.isfinite(value) or abs(value) > DIVERGED_ABOVE]
        broken = non_finite_arrays({"G": self.trainer.generator.state_dict(),
                                    "D": self.trainer.discriminator.state_dict()})
        if bad or broken:
            what = f"{bad[0]} became {stats[bad[0]]:.4g}" if bad else f"weights hold NaN or inf ({broken[0]})"
            self.diverged = f"the run diverged at update {self.total_updates}: {what}"

    # ------------------------------------------------------------------ what the page shows
    def fake_points(self) -> numpy.ndarray:
        """G's output for the fixed latent points on display."""
        with no_grad():
            return self.trainer.generator(self.z).numpy()

    def heat_map(self) -> dict:
        """D over the grid: sigma(D(x)), "probability real", for the logit losses, else D's raw score;
        with the value at the colour scale's middle and the distance from it to its ends."""
        values = fields.discriminator_values(self.trainer.discriminator, self.grid).astype(numpy.float64)
        if self.settings["loss"] in PROBABILITY_LOSSES:
            sigma = 0.5 * (1 + numpy.tanh(values / 2))  # = 1 / (1 + e^-v), without overflow for large |v|
            return {"kind": "probability", "values": sigma, "centre": 0.5, "span": 0.5}
        centre = 0.5 if self.settings["loss"] == "lsgan" else 0.0  # LSGAN's D aims at 0 (fake) and 1 (real)
        return {"kind": "score", "values": values, "centre": centre,
                "span": max(float(numpy.abs(values - centre).max()), 1e-6)}

    def picture(self) -> dict:
        """Everything drawn on the plane, as arrays (see :meth:`state` for the JSON)."""
        fake = self.fake_points()
        gradients = fields.generator_gradients(self.trainer.loss, self.trainer.discriminator, fake, self.real)
        picture = {
            "fake": fake,
            "push": -len(fake) * gradients,  # minus each point's own d(loss)/dx (undoing L_G's mean, 1/N)
            "heat_map": self.heat_map(),
            "slope": fields.gradient_norms(self.trainer.discriminator, self.grid),
            "penalty_points": None,
            "coverage": None,
        }
        if self.trainer.loss.critic_constraint == "gradient-penalty":
            rng = numpy.random.default_rng([self.settings["seed"], 2])  # the same eps each time: points move smoothly
            picture["penalty_points"] = fields.interpolation_points(
                self.real[:PENALTY_POINTS], fake[:PENALTY_POINTS], rng)
        if self.modes is not None:
            centres, std = self.modes
            covered, high_quality = count_covered_modes(fake, centres, std)
            picture["coverage"] = {"covered": covered, "modes": len(centres), "high_quality": high_quality}
        return picture

    def off_script(self) -> list:
        """What happened in this run that a command line cannot replay, in words."""
        hand = [f"{self.hand_updates} updates of D or G alone (Step D / Step G), which minigan.train never makes"]
        return (hand if self.hand_updates else []) + self.changes

    def command(self) -> dict:
        """The ``python -m minigan.train`` line of this run, and what it cannot say (see ``command_line``)."""
        return command_line(self.settings, self.trainer.iteration, self.off_script())

    def state(self) -> dict:
        """The whole picture of the run as JSON-ready values; a diverged run shows its numbers but no picture
        (NaN and infinities become null: JSON has neither)."""
        picture = None if self.diverged else self._finite_picture()
        state = {
            "version": self.version,
            "settings": self.settings,
            "extent": self.extent,
            "resolution": RESOLUTION,
            "updates": {**self.updates, "steps": self.trainer.iteration},
            "real": _rounded(self.real),
            "history": [{key: _finite(value) for key, value in record.items()}
                        for record in self.history[-HISTORY_SENT:]],
            "code": self.code,
            "command": self.command(),
            "diverged": self.diverged,
            "snapshots": len(self.snapshots),
        }
        if picture is None:
            return {**state, "fake": [], "push": [], "heat_map": None, "slope": None,
                    "penalty_points": None, "coverage": None}
        heat_map = picture["heat_map"]
        return {
            **state,
            "fake": _rounded(picture["fake"]),
            "push": _rounded(picture["push"], 5),
            "heat_map": {**heat_map, "values": _rounded(heat_map["values"])},
            "slope": _rounded(picture["slope"]),
            "penalty_points": None if picture["penalty_points"] is None else _rounded(picture["penalty_points"]),
            "coverage": picture["coverage"],
        }

    def _finite_picture(self):
        """:meth:`picture`, or None -- and the run marked diverged -- when weights that are still finite
        have grown so large that G's points or D's outputs are not."""
        with one_blas_thread(), numpy.errstate(all="ignore"):
            picture = self.picture()
        arrays = (picture["fake"], picture["push"], picture["slope"], picture["heat_map"]["values"])
        if all(numpy.isfinite(array).all() for array in arrays):
            return picture
        self.diverged = f"the run diverged at update {self.total_updates}: G's points or D's outputs overflowed"
        return None

    # ------------------------------------------------------------------ pictures for the GIF
    def _take_snapshot(self):
        """Keep the fake points and the heat map of this moment, thinning out old ones beyond MAX_SNAPSHOTS."""
        fake = self.fake_points()
        if not numpy.isfinite(fake).all():
            return  # a diverging run: nothing worth a picture
        self.snapshots.append({"update": self.total_updates, "fake": fake, "heat_map": self.heat_map()})
        if len(self.snapshots) > MAX_SNAPSHOTS:
            self.snapshots = self.snapshots[::2]
            self.snapshot_every *= 2


def _rounded(array, decimals=4) -> list:
    """An array as nested lists of floats, rounded: the page needs no more digits, and JSON gets shorter."""
    return numpy.round(numpy.asarray(array, dtype=numpy.float64), decimals).tolist()


def _finite(value):
    return value if not isinstance(value, float) or math.isfinite(value) else None
