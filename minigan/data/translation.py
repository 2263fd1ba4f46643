"""Image-to-image domains made from digits, offline: thin and thick handwriting by grey-scale morphology.

pix2pix (Isola et al. 2017) learns from *pairs* (x, y): an input and the one image it should become.
CycleGAN (Zhu et al. 2017) learns from two *unpaired* sets, domain X and domain Y. Both need data that a
course can build anywhere, without a download. These helpers make two such domains from MNIST digits in NumPy:

* **grey-scale morphology** (:func:`erode`, :func:`dilate`): the minimum or maximum of each pixel's
  neighbourhood (a ``size`` x ``size`` square, or a plus-shaped ``"cross"``; the image is padded with its
  background, -1). On a digit, erosion peels about ``size // 2`` pixels off every edge of a stroke and
  dilation adds as many: thin and thick handwriting from the same digits;
* **stroke domains** (:func:`stroke_domains`): the training digits split at random into two disjoint halves,
  one eroded (domain X, thin strokes) and one dilated (domain Y, thick strokes). No digit appears in both,
  so there are no pairs -- the CycleGAN setting -- while every image keeps its label for evaluation. The
  test digits, eroded and dilated, *are* pairs: ``dilate(d)`` is the answer a translator of ``erode(d)``
  should approach, which unpaired training never sees but an evaluation may use.

Images are float arrays (N, 1, H, W) or (N, H, W) in [-1, 1] (background -1, ink +1), as
``minigan.evaluation.to_model_input`` makes them.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy

BACKGROUND = -1.0
SHAPES = ("square", "cross")


def _offsets(size: int, shape: str):
    if size < 1 or size % 2 == 0:
        raise ValueError(f"morphology: size must be an odd positive integer, got {size!r}")
    if shape not in SHAPES:
        raise ValueError(f"morphology: shape must be one of {SHAPES}, got {shape!r}")
    r = size // 2
    return [(i, j) for i in range(-r, r + 1) for j in range(-r, r + 1) if shape == "square" or i == 0 or j == 0]


def _morphology(images, size, shape, reduce):
    images = numpy.asarray(images)
    if images.ndim < 2:
        raise ValueError(f"morphology: expected images (..., H, W), got shape {images.shape}")
    r = size // 2
    offsets = _offsets(size, shape)
    pad = [(0, 0)] * (images.ndim - 2) + [(r, r), (r, r)]
    padded = numpy.pad(images, pad, constant_values=BACKGROUND)
    h, w = images.shape[-2:]
    out = padded[..., r:r + h, r:r + w].copy()
    for i, j in offsets:
        reduce(out, padded[..., r + i:r + i + h, r + j:r + j + w], out=out)
    return out


def erode(images, size: int = 3, shape: str = "cross") -> numpy.ndarray:
    """Grey-scale erosion: each pixel becomes the minimum over its ``size`` x ``size`` neighbourhood
    (``shape`` "square", or "cross": the centre row and column only). Strokes get thinner."""
    return _morphology(images, size, shape, numpy.minimum)


def dilate(images, size: int = 3, shape: str = "square") -> numpy.ndarray:
    """Grey-scale dilation: each pixel becomes the maximum over its neighbourhood. Strokes get thicker."""
    return _morphology(images, size, shape, numpy.maximum)


class StrokeDomains(NamedTuple):
    """Two unpaired domains: thin-stroke images ``x`` with their labels, thick-stroke images ``y`` with theirs."""
    x: numpy.ndarray
    x_labels: numpy.ndarray
    y: numpy.ndarray
    y_labels: numpy.ndarray


def stroke_domains(images, labels, rng, thin_size: int = 3, thick_size: int = 3) -> StrokeDomains:
    """Split ``images`` (N, 1, H, W) in [-1, 1] at random (``rng``) into two disjoint halves: the first eroded
    (:func:`erode`, a cross of ``thin_size``) is domain X, the second dilated (:func:`dilate`, a square of
    ``thick_size``) is domain Y. Labels travel with their images; no digit is in both domains."""
    images, labels = numpy.asarray(images), numpy.asarray(labels)
    if len(images) != len(labels) or len(images) < 2:
        raise ValueError(f"stroke_domains: need at least two images with one label each, got {len(images)} "
                         f"images and {len(labels)} labels")
    order = rng.permutation(len(images))
    a, b = order[: len(images) // 2], order[len(images) // 2:]
    return StrokeDomains(erode(images[a], thin_size), labels[a], dilate(images[b], thick_size), labels[b])
