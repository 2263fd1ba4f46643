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


class AdaptiveAugment(DiffAugment):
    """DiffAugment whose probability p follows how sure D is of the real images (ADA, Karras et al. 2020).

    A D that memorises its few training images gives them ever larger logits. ADA measures that
    with the overfitting heuristic

        r = E[sign(D(T(x)))]  over the real batches of the last ``interval`` D steps   (-1 <= r <= 1)

    (the share of real images D calls real, minus the share it calls fake), and moves p by a fixed
    amount after every ``interval`` D steps: up while r > ``target``, down while r < ``target``,
    kept in [0, 1]. The amount is ``interval * batch / ramp_images``, so p could go from 0 to 1 in
    ``ramp_images`` real images. p starts at 0: a D that does not overfit is never augmented.

    ADA's own numbers are target 0.6, interval 4 and a ramp of 500,000 images; the ramp here is
    100,000, because a run of 3,000 batches of 64 sees only 192,000 real images, in which a
    500,000-image ramp could lift p to 0.38 at most. The sign reads a logit's decision boundary at
    0, as for the non-saturating, minimax and hinge losses; the trainer gives this object D's real
    logits after each D step (:meth:`observe`). ``state_dict`` / ``load_state_dict`` keep p and the
    running count, so a resumed run continues exactly.
    """

    def __init__(self, policy="translation,cutout", target=0.6, interval=4, ramp_images=100_000, **options):
        super().__init__(policy, probability=0.0, **options)
        if not 0 < target < 1 or interval < 1 or ramp_images <= 0:
            raise ValueError(f"AdaptiveAugment: need 0 < target < 1, interval >= 1 and ramp_images > 0, got "
                             f"target={target}, interval={interval}, ramp_images={ramp_images}")
        self.target, self.interval, self.ramp_images = target, interval, ramp_images
        self.sign_sum, self.seen, self.steps = 0.0, 0, 0

    def observe(self, real_logits) -> None:
        """Count one D step's logits on the (augmented) real batch; every ``interval`` steps, adjust p."""
        xp = array_module(real_logits)
        self.sign_sum += float(xp.sign(real_logits).sum())
        self.seen += int(real_logits.size)
        self.steps += 1
        if self.steps == self.interval:
            overfitting = self.sign_sum / self.seen
            step = self.seen / self.ramp_images  # interval * batch real images
            direction = float(numpy.sign(overfitting - self.target))
            self.probability = min(1.0, max(0.0, self.probability + direction * step))
            self.sign_sum, self.seen, self.steps = 0.0, 0, 0

    def state_dict(self) -> dict:
        return {"probability": self.probability, "sign_sum": self.sign_sum, "seen": self.seen, "steps": self.steps}

    def load_state_dict(self, state) -> None:
        self.probability, self.sign_sum = float(state["probability"]), float(state["sign_sum"])
        self.seen, self.steps = int(state["seen"]), int(state["steps"])

    def __repr__(self):
        return (f"AdaptiveAugment({','.join(self.policy)!r}, probability={self.probability:.4f}, "
                f"target={self.target})")
