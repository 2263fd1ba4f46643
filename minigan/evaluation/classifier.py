"""The classifiers behind the metrics: a small CNN per dataset, trained with minigan, shipped as weights.

**Why our own network.** FID and the Inception Score were defined with Inception-v3, an ImageNet
classifier. For 28x28 grey digits and clothes an ImageNet network sees the wrong world, and it
would need PyTorch or TensorFlow; so, as most MNIST GAN papers do, we measure with a classifier
trained on the dataset itself. Its numbers compare runs *with the same classifier*; they are not
comparable to published FIDs (which are Inception features) nor across datasets.

**The network** (images (N, 1, 28, 28) in [-1, 1], the scale of a generator's tanh)::

    Conv2d(1, 32, 4, stride 2, pad 1)  -> LeakyReLU(0.2)     (32, 14, 14)
    Conv2d(32, 64, 4, stride 2, pad 1) -> LeakyReLU(0.2)     (64, 7, 7)
    Conv2d(64, 64, 3, stride 2, pad 1) -> LeakyReLU(0.2)     (64, 4, 4)
    Flatten -> Linear(1024, 128)       -> LeakyReLU(0.2)     128 features   <- features(x)
    Dropout(0.3) -> Linear(128, 10)                           10 logits     <- forward(x)

202,794 parameters. ``features(x)`` is the penultimate layer, the space in which the Fréchet
distance, KID and precision/recall measure; ``softmax(forward(x))`` gives p(y|x) for the
Inception Score and the class histogram. No batch norm, so a sample's features never depend on
the rest of its batch; dropout is only active in training: use the model in ``eval()`` mode,
which :func:`load_classifier` returns.

**The weights** live in ``weights/<dataset>_classifier.npz`` (a minigan checkpoint: the
``state_dict`` in float16, which halves the file and changes no prediction that matters -- the
recorded accuracy is measured *after* rounding -- and an ``info`` dict: dataset, accuracy, data
sources, training settings). Each file's SHA-256 is written in :data:`WEIGHTS` below and checked
at every load, so a damaged or swapped file is an error, never a silently different metric.
To retrain (see ``train_classifier.py``)::

    python -m minigan.evaluation.train_classifier mnist --out minigan/evaluation/weights/mnist_classifier.npz

then paste the checksum it prints into :data:`WEIGHTS`.
"""
from __future__ import annotations

import hashlib
import importlib.resources
import os

import numpy

from .. import nn
from ..autograd import Tensor, no_grad, softmax
from ..checkpoint import load_checkpoint

FEATURE_DIM = 128
NUM_CLASSES = 10

# dataset -> (file in weights/, its SHA-256)
WEIGHTS = {
    "mnist": ("mnist_classifier.npz",
              "2d75af3f75cc3e1b1ef71a68c882a9a35b487b983ad8eb359c1ce0ce2f20ad15"),
    "fashion-mnist": ("fashion_mnist_classifier.npz",
                      "da24c5b19fffccff4056136e496326dc5a73c0f31c9101dbc8f95b203052b710"),
}


class ChecksumError(ValueError):
    """A weights file whose SHA-256 is not the one recorded in :data:`WEIGHTS`."""


class Classifier(nn.Module):
    """The CNN of the module docstring: ``features(x)`` (N, 128), ``forward(x)`` logits (N, 10)."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(32, 64, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(64, 64, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(64 * 4 * 4, FEATURE_DIM), nn.LeakyReLU(0.2),
        )
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(FEATURE_DIM, NUM_CLASSES)

    def features(self, x):
        return self.body(x)

    def forward(self, x):
        return self.head(self.dropout(self.features(x)))


def weights_path(dataset: str) -> str:
    """The shipped weights file of ``dataset`` (inside the installed package)."""
    if dataset not in WEIGHTS:
        raise ValueError(f"no classifier for {dataset!r}: there are classifiers for {', '.join(WEIGHTS)}")
    return os.fspath(importlib.resources.files(__package__).joinpath("weights", WEIGHTS[dataset][0]))


def sha256_of(path) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def load_classifier(dataset: str, path=None):
    """``(classifier in eval mode, info dict)`` for ``dataset``, checked against its recorded SHA-256.

    ``path`` replaces the shipped file (it must still have the recorded checksum).
    """
    path = weights_path(dataset) if path is None else os.fspath(path)
    if dataset not in WEIGHTS:
        raise ValueError(f"no classifier for {dataset!r}: there are classifiers for {', '.join(WEIGHTS)}")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"classifier weights not found: {path} (reinstall minigan, or retrain them "
                                f"with python -m minigan.evaluation.train_classifier {dataset})")
    expected, found = WEIGHTS[dataset][1], sha256_of(path)
    if found != expected:
        raise ChecksumError(f"{path}: SHA-256 {found} differs from the recorded {expected}; the file is damaged "
                            f"or not the shipped {dataset} classifier (after retraining, update WEIGHTS in "
                            "minigan/evaluation/classifier.py)")
    saved = load_checkpoint(path)
    model = Classifier()
    model.load_state_dict(saved["model"])
    model.eval()
    return model, saved["info"]


def to_model_input(images) -> numpy.ndarray:
    """uint8 images (N, 28, 28) as the network's float32 input (N, 1, 28, 28) in [-1, 1]: x / 127.5 - 1."""
    images = numpy.asarray(images)
    if images.dtype != numpy.uint8 or images.ndim != 3:
        raise ValueError(f"to_model_input: expected uint8 images (N, H, W), got {images.dtype} {images.shape}")
    return (images.astype(numpy.float32) / 127.5 - 1.0)[:, None]


def classify(model: Classifier, images, batch_size: int = 500, progress=None):
    """``(features float64 (N, 128), probabilities float64 (N, 10))`` of images (N, 1, 28, 28) in [-1, 1].

    Runs in batches under ``no_grad``; ``progress`` is an optional tqdm bar advanced per image.
    """
    images = numpy.asarray(images, dtype=numpy.float32)
    if images.ndim != 4 or images.shape[1:] != (1, 28, 28):
        raise ValueError(f"classify: expected images of shape (N, 1, 28, 28) in [-1, 1], got {images.shape}")
    if model.training:
        raise ValueError("classify: call model.eval() first (dropout would make features random)")
    features, probabilities = [], []
    with no_grad():
        for start in range(0, len(images), batch_size):
            h = model.features(Tensor(images[start:start + batch_size]))
            features.append(h.numpy().astype(numpy.float64))
            logits = model.head(h)  # = model(x): dropout is off in eval mode
            probabilities.append(softmax(logits, axis=1).numpy().astype(numpy.float64))
            if progress is not None:
                progress.update(len(h))
    return numpy.concatenate(features), numpy.concatenate(probabilities)
