"""A run folder: what ``python -m minigan.train`` leaves behind, and what ``sample`` and ``evaluate`` read.

    runs/mnist-ns/
        config.json      every setting, where the data came from, and the settings changed on resume
        metrics.jsonl    one JSON line per logged step
        checkpoint.npz   models, optimizers, EMA, random state, data position (minigan.checkpoint)
        samples/         sample grids, final.png, curves.png, samples.gif
        .lock            while a process trains in the folder: its PID

This module owns those files, so that the command-line tools share one reading of them and never
import each other. Every file is written atomically (``checkpoint.atomic_write``): a kill at any
moment leaves the old version or the new one. Problems a user can cause -- a folder that is not a
run, a second process on the same run, a damaged file -- are :class:`RunFolderError`, whose message
is one line that the CLIs print as it is.
"""
from __future__ import annotations

import json
import os
import time
import warnings

import numpy

from .checkpoint import atomic_write, load_checkpoint, process_is_alive

CONFIG, METRICS, CHECKPOINT, BEST, LOCK = "config.json", "metrics.jsonl", "checkpoint.npz", "best.npz", ".lock"
IMAGE_DATASETS = ("mnist", "fashion-mnist")
TOY_DIMENSIONS = {"ring": 2, "grid": 2, "spiral": 2, "gaussian": 1}


class RunFolderError(RuntimeError):
    """A run folder that cannot be used as asked: missing, damaged, or busy with another process."""


# ---------------------------------------------------------------------- the models of a run
def build_models(settings):
    """(generator, discriminator) as the run's settings describe them, freshly initialised."""
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


def load_generator(folder, ema=True, checkpoint=CHECKPOINT):
    """(generator in eval mode, settings) of the run in ``folder``: the EMA copy when there is one and ``ema``.

    ``checkpoint``: the file to read, :data:`CHECKPOINT` (the last step) or :data:`BEST` (the step with
    the lowest FD in the run's live evaluation).
    """
    settings = read_config(folder)
    path = os.path.join(folder, checkpoint)
    if not os.path.isfile(path):
        why = "was live evaluation on (--eval-every)?" if checkpoint == BEST else "did the run save one?"
        raise RunFolderError(f"{folder} has no {checkpoint} ({why})")
    state = load_checkpoint(path)["trainer"]
    generator, _ = build_models(settings)
    use_ema = ema and "ema_generator" in state
    generator.load_state_dict(state["ema_generator" if use_ema else "generator"])
    generator.eval()
    return generator, settings


# ---------------------------------------------------------------------- config.json and metrics.jsonl
def read_config(folder) -> dict:
    """The settings saved in ``folder/config.json``."""
    path = os.path.join(folder, CONFIG)
    if not os.path.isfile(path):
        raise RunFolderError(f"{folder} is not a training run folder (no {CONFIG})")
    try:
        with open(path) as f:
            config = json.load(f)
    except (ValueError, UnicodeDecodeError) as error:
        raise RunFolderError(f"{path} is damaged ({error}); it cannot be read as JSON") from None
    if not isinstance(config, dict) or "dataset" not in config:
        raise RunFolderError(f"{path} does not hold the settings of a minigan run")
    return config


def write_config(folder, config: dict) -> None:
    """Write ``config`` to ``folder/config.json`` atomically."""
    text = json.dumps(config, indent=2) + "\n"
    atomic_write(os.path.join(folder, CONFIG), lambda f: f.write(text.encode()))


def read_metrics(folder) -> list:
    """The records of ``folder/metrics.jsonl``; a torn last line (a kill mid-write) is dropped with a warning."""
    path = os.path.join(folder, METRICS)
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = [line for line in f.read().split("\n") if line.strip()]
    records = []
    for number, line in enumerate(lines, 1):
        try:
            records.append(json.loads(line))
        except ValueError:
            if number == len(lines):
                warnings.warn(f"{path}: dropped a torn last line (the run was stopped while writing it)", stacklevel=2)
                break
            raise RunFolderError(f"{path}: line {number} is not JSON; the file is damaged") from None
    return records


def write_metrics(folder, records) -> None:
    """Replace ``folder/metrics.jsonl`` by ``records``, atomically."""
    text = "".join(json.dumps(record) + "\n" for record in records)
    atomic_write(os.path.join(folder, METRICS), lambda f: f.write(text.encode()))


def append_metrics(folder, record) -> None:
    """Add one line to ``folder/metrics.jsonl`` (a kill mid-line leaves a torn line that reading drops)."""
    with open(os.path.join(folder, METRICS), "a") as f:
        f.write(json.dumps(record) + "\n")


# ---------------------------------------------------------------------- finiteness of saved state
def non_finite_arrays(state, prefix="") -> list:
    """The paths of the floating-point arrays in a nested state dict that hold NaN or an infinity."""
    found = []
    for key, value in state.items():
        path = f"{prefix}/{key}" if prefix else key
        if isinstance(value, dict):
            found += non_finite_arrays(value, path)
        elif isinstance(value, (numpy.ndarray, numpy.floating, float)) and numpy.asarray(value).dtype.kind == "f":
            if not numpy.isfinite(value).all():
                found.append(path)
    return found


# ---------------------------------------------------------------------- one process per run
class RunLock:
    """``with RunLock(folder):`` -- refuse a second process training in the same run folder.

    The lock is a file, ``folder/.lock``, created exclusively (``O_EXCL``: of two processes racing,
    exactly one succeeds) and holding the owner's PID. A lock whose process has died -- killed, or
    its machine restarted -- does not block the folder forever: it is taken over.
    """

    def __init__(self, folder):
        self.path = os.path.join(folder, LOCK)

    def __enter__(self):
        for _ in range(2):  # the second try follows the removal of a dead owner's lock
            try:
                descriptor = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                owner = self._owner()
                if self._held_by_a_live_process(owner):
                    raise RunFolderError(f"{os.path.dirname(self.path)} is in use by another training process "
                                         f"(PID {owner}); wait for it, stop it, or pass another --out") from None
                os.remove(self.path)  # its process is gone
                continue
            with os.fdopen(descriptor, "w") as f:
                f.write(str(os.getpid()))
            return self
        raise RunFolderError(f"could not take the lock {self.path}")

    def _owner(self):
        """The PID in the lock file, or None if it holds none (yet)."""
        try:
            with open(self.path) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def _held_by_a_live_process(self, owner) -> bool:
        if owner is not None and owner > 0:
            return process_is_alive(owner)
        # No PID: either its owner is between creating the file and writing to it (a fresh file), or
        # it died there. A few seconds tell the two apart.
        try:
            return time.time() - os.path.getmtime(self.path) < 10
        except OSError:
            return False

    def __exit__(self, *exc_info):
        if self._owner() == os.getpid():
            os.remove(self.path)
