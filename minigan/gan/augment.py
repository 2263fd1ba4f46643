"""Differentiable augmentation (DiffAugment): D sees real *and* fake images through the same random transformations.

With few training images (the 4,500 offline digits), D soon memorises them: its loss on real
images falls while its verdict on new real images gets worse, and G chases a D that no longer
describes the data. Augmenting only the real images does not help -- G then learns to produce the
augmentations (shifted, cut-out digits). DiffAugment (Zhao et al. 2020, "Differentiable
Augmentation for Data-Efficient GAN Training") augments **every** image D sees, real or fake, in
both the D step and the G step:

    L_D = d_loss(D(T(x)), D(T(G(z))))          L_G = g_loss(D(T(G(z))))

with T a fresh random transformation per image. Because T is differentiable, G's gradient flows
back through it: G is still trained to make images whose *augmented* versions D accepts, and since
D never sees an un-augmented image, it cannot tell G "draw a shifted digit". Every transformation
here is a few Tensor operations (or a Function whose backward is again a Function), so gradients of
gradients pass through too -- the R1 and WGAN-GP penalties of a critic ``D(T(x))`` work unchanged.

The transformations, on (N, C, H, W) images in [-1, 1] (minigan's image scale; the background of a
digit is -1):

* ``translation`` -- shift each image by up to ``translation_ratio`` of its size (1/8: +-4 px of 28) in
  each direction, filling the uncovered border with ``fill`` (the background);
* ``cutout``      -- paint a square of side ``cutout_ratio`` of the image (1/2: 14 px) at a uniformly
  random centre with ``fill`` (the square may stick out of the frame, as in DiffAugment);
* ``brightness``  -- add u - 0.5 to every pixel, u ~ U(0, 1) per image;
* ``contrast``    -- scale each image about its own mean by u + 0.5, u ~ U(0, 1).

Each image gets each transformation with probability ``probability`` (1 in DiffAugment; the
adaptive variant ADA, Karras et al. 2020, tunes it while training). Random numbers come from
minigan's global generator (``minigan.manual_seed``), which checkpoints save: a resumed run draws
the same augmentations as a straight one.
"""
from __future__ import annotations

import numpy

from ..autograd import Function, Tensor
from ..autograd.creation import default_generator
from ..backend import array_module

TRANSFORMS = ("translation", "cutout", "brightness", "contrast")


def _shifted_slices(shift, length):
    """(destination, source) slices that move a row of ``length`` entries by ``shift`` (dst[i + shift] = src[i])."""
    shift = max(-length, min(shift, length))  # a shift beyond the row leaves nothing of it
    return (slice(max(shift, 0), length + min(shift, 0)), slice(max(-shift, 0), length - max(shift, 0)))


class Translate(Function):
    """Shift image n by ``shifts[n] = (dy, dx)`` pixels: out[n, :, i, j] = a[n, :, i - dy, j - dx], else ``fill``.

    The map is linear in ``a`` (plus a constant border), and its adjoint moves the gradient back by
    (-dy, -dx) with zeros where nothing came from: the backward is another :class:`Translate`, so
    gradients of gradients pass through.
    """

    saved_inputs = ()  # linear: backward needs only the shifts

    def __init__(self, shifts, fill=0.0):
        self.shifts, self.fill = shifts, fill

    def forward(self, a):
        out = array_module(a).full_like(a, self.fill)
        height, width = a.shape[-2:]
        for n, (dy, dx) in enumerate(self.shifts):
            (rows_to, rows_from), (cols_to, cols_from) = _shifted_slices(dy, height), _shifted_slices(dx, width)
            out[n, ..., rows_to, cols_to] = a[n, ..., rows_from, cols_from]
        return out

    def backward(self, grad):
        return Translate(-self.shifts, 0.0)(grad)


def _chosen(n, probability, rng):
    """A boolean mask of the images (out of n) that get a transformation, each with ``probability``."""
    if probability >= 1:
        return numpy.ones(n, dtype=bool)
    return rng.random(n) < probability


def translate(images: Tensor, ratio=0.125, fill=-1.0, probability=1.0, rng=None) -> Tensor:
    """Shift each image by integers dy, dx uniform in [-r, r], r = round(ratio * size); see the module docstring."""
    rng = rng or default_generator()
    n, height, width = images.shape[0], images.shape[-2], images.shape[-1]
    reach = numpy.array([round(ratio * height), round(ratio * width)])
    shifts = rng.integers(-reach, reach + 1, size=(n, 2))
    shifts[~_chosen(n, probability, rng)] = 0
    return Translate(shifts, fill)(images)


def cutout_masks(n, height, width, ratio, probability, rng) -> numpy.ndarray:
    """(n, 1, height, width) float masks: 0 inside each image's random square of side round(ratio * size), else 1."""
    side_y, side_x = round(ratio * height), round(ratio * width)
    centre_y, centre_x = rng.integers(0, height, size=n), rng.integers(0, width, size=n)
    top, left = centre_y - side_y // 2, centre_x - side_x // 2
    rows, cols = numpy.arange(height), numpy.arange(width)
    inside_y = (rows[None, :] >= top[:, None]) & (rows[None, :] < top[:, None] + side_y)  # (n, H)
    inside_x = (cols[None, :] >= left[:, None]) & (cols[None, :] < left[:, None] + side_x)
    cut = inside_y[:, :, None] & inside_x[:, None, :] & _chosen(n, probability, rng)[:, None, None]
    return (~cut).astype(numpy.float32)[:, None]


def cutout(images: Tensor, ratio=0.5, fill=-1.0, probability=1.0, rng=None) -> Tensor:
    """Paint one random square per image with ``fill``: keep * x + fill * (1 - keep), differentiable in x."""
    rng = rng or default_generator()
    keep = cutout_masks(images.shape[0], images.shape[-2], images.shape[-1], ratio, probability, rng)
    xp = array_module(images.data)
    keep = xp.asarray(keep, dtype=images.dtype)
    return images * Tensor(keep) + Tensor(fill * (1 - keep))


def _per_image(images, values):
    """Per-image numbers as an (N, 1, 1, 1) constant Tensor on the images' device, in their dtype."""
    xp = array_module(images.data)
    return Tensor(xp.asarray(values.reshape(-1, 1, 1, 1), dtype=images.dtype))


def brightness(images: Tensor, probability=1.0, rng=None) -> Tensor:
    """x + (u - 0.5) with u ~ U(0, 1) per image."""
    rng = rng or default_generator()
    n = images.shape[0]
    offsets = (rng.random(n) - 0.5) * _chosen(n, probability, rng)
    return images + _per_image(images, offsets)


def contrast(images: Tensor, probability=1.0, rng=None) -> Tensor:
    """(x - mean) * (u + 0.5) + mean per image, u ~ U(0, 1): the mean of each image stays.

    Written as x + (x - mean) * (u - 0.5), so that an image left alone (factor 1) is exactly x.
    """
    rng = rng or default_generator()
    n = images.shape[0]
    factors = numpy.where(_chosen(n, probability, rng), rng.random(n) + 0.5, 1.0)
    mean = images.mean(axis=(1, 2, 3), keepdims=True)
    return images + (images - mean) * _per_image(images, factors - 1)


class DiffAugment:
    """The augmentation T of DiffAugment: a callable applying ``policy``'s transformations in order.

    ``policy``: transformation names from :data:`TRANSFORMS`, as a comma-separated string or a list
    ("translation,cutout" is DiffAugment's choice for few images); ``probability``: the chance that
    an image gets each transformation. Give it to ``GANTrainer(augment=...)``, which applies it to
    every image D sees.

        augment = DiffAugment("translation,cutout")
        augmented = augment(images)          # (N, C, H, W) -> (N, C, H, W), differentiable
    """

    def __init__(self, policy="translation,cutout", probability=1.0, translation_ratio=0.125, cutout_ratio=0.5,
                 fill=-1.0):
        names = [name.strip() for name in policy.split(",")] if isinstance(policy, str) else list(policy)
        unknown = [name for name in names if name not in TRANSFORMS]
        if unknown or not names:
            raise ValueError(f"DiffAugment: unknown transformation(s) {unknown or policy!r}; "
                             f"choose from {', '.join(TRANSFORMS)}")
        if not 0 <= probability <= 1:
            raise ValueError(f"DiffAugment: probability must be in [0, 1], got {probability}")
        self.policy, self.probability = names, probability
        self.translation_ratio, self.cutout_ratio, self.fill = translation_ratio, cutout_ratio, fill

    def __call__(self, images: Tensor, rng=None) -> Tensor:
        if images.ndim != 4:
            raise ValueError(f"DiffAugment: expected images (N, C, H, W), got shape {tuple(images.shape)}")
        rng = rng or default_generator()
        p = self.probability
        for name in self.policy:
            if name == "translation":
                images = translate(images, self.translation_ratio, self.fill, p, rng)
            elif name == "cutout":
                images = cutout(images, self.cutout_ratio, self.fill, p, rng)
            elif name == "brightness":
                images = brightness(images, p, rng)
            else:
                images = contrast(images, p, rng)
        return images

    def __repr__(self):
        return f"DiffAugment({','.join(self.policy)!r}, probability={self.probability})"
