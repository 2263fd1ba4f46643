"""Reference image sets: what a metric gives for data whose defect we know, so its number can be read.

Every metric of :mod:`minigan.metrics` depends on N and on the classifier that makes the features,
so "FD = 250" means nothing alone. Scored the same way next to a generator, these sets do the
explaining (``python -m minigan.evaluate`` prints them as rows; notebook 9 builds on them):

* **real (train split)** -- N training digits: what a perfect generator would score. Not 0 for FD,
  because two samples of one distribution differ, the more so the smaller N;
* **real, blurred** -- the same digits under a Gaussian blur of ``BLUR_SIGMA`` = 1 pixel: right
  shapes, soft edges;
* **real + noise** -- the same digits plus Gaussian noise of ``NOISE_SIGMA`` = 0.25 (about 32 grey levels);
* **one class** -- N digits of a single class: mode collapse in its purest form;
* **uniform noise** -- every pixel uniform in [-1, 1]: nothing learned at all.
"""
from __future__ import annotations

import math

import numpy

from .classifier import to_model_input

BLUR_SIGMA = 1.0  # pixels
NOISE_SIGMA = 0.25  # in the [-1, 1] pixel scale


def gaussian_blur(images, sigma) -> numpy.ndarray:
    """Blur images (N, C, H, W) with a Gaussian of ``sigma`` pixels.

    The 2-D Gaussian is separable, exp(-(i² + j²) / 2σ²) = exp(-i² / 2σ²) · exp(-j² / 2σ²), so one
    1-D pass along the rows and one along the columns do the whole blur. The kernel is cut at 3σ and
    normalised to sum 1; edge pixels are repeated outward, so a constant image stays constant.
    """
    radius = math.ceil(3 * sigma)
    offsets = numpy.arange(-radius, radius + 1)
    kernel = numpy.exp(-offsets ** 2 / (2 * sigma ** 2))
    kernel /= kernel.sum()
    padded = numpy.pad(images, ((0, 0), (0, 0), (radius, radius), (radius, radius)), mode="edge")
    height, width = images.shape[2:]
    rows = sum(weight * padded[:, :, i:i + height, :] for i, weight in enumerate(kernel))
    return sum(weight * rows[:, :, :, j:j + width] for j, weight in enumerate(kernel))


def reference_sets(train_images, train_labels, n, rng) -> dict:
    """The reference sets above, N images (N, 1, 28, 28) each with pixels in [-1, 1], by row name.

    ``train_images`` are uint8 digits (N, 28, 28) with their ``train_labels``; the single class is
    the class of the first one. ``rng`` (a NumPy Generator) draws every random choice.
    """
    real = to_model_input(train_images[rng.choice(len(train_images), n, replace=False)])
    one_class = numpy.flatnonzero(train_labels == train_labels[0])
    # Offline MNIST has 450 digits per class: with N = 500 a few are drawn twice.
    single = to_model_input(train_images[rng.choice(one_class, n, replace=len(one_class) < n)])
    return {
        "real (train split)": real,
        "real, blurred": gaussian_blur(real, BLUR_SIGMA),
        "real + noise": numpy.clip(real + NOISE_SIGMA * rng.standard_normal(real.shape), -1, 1),
        f"one class ({train_labels[0]})": single,
        "uniform noise": rng.uniform(-1, 1, real.shape),
    }
