"""Toy distributions for tutorials: small, fast, and with answers we know, so mode collapse can be counted.

Each sampler is a function ``(n, rng) -> float32 array of shape (n, d)``; ``rng`` is a NumPy
``Generator`` or a seed. The mixtures of Gaussians are the standard GAN test beds:

* ``ring``: 8 Gaussians on a circle of radius 2, std 0.02 (Metz et al., "Unrolled Generative
  Adversarial Networks", 2017);
* ``grid``: 25 Gaussians on a 5x5 grid, at -4, -2, 0, 2, 4 in each coordinate, std 0.05
  (Srivastava et al., "VEEGAN", 2017; Lin et al., "PacGAN", 2018);
* ``gaussian_mixture_1d``: two 1-D Gaussians, the smallest case where a generator can drop a mode;
* ``spiral``: a noisy 2-D spiral, one connected but curved mode;
* ``two_moons``: two interleaving half circles, scikit-learn's ``make_moons`` -- two curved modes
  that no straight line separates.

``count_covered_modes`` scores generated samples against the known mode centres the way those
papers do: a sample is *high quality* if it lies within ``threshold`` (3) standard deviations of
some mode centre, and a mode is *covered* if at least one sample lies that close to it.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy


class ModeCoverage(NamedTuple):
    covered: int  # how many modes have at least one sample (or min_fraction of them) within threshold * std
    high_quality: float  # the fraction of samples within threshold * std of some mode


def ring_centres(modes: int = 8, radius: float = 2.0) -> numpy.ndarray:
    """The (modes, 2) centres of ``ring``: evenly spaced on a circle, the first at angle 0."""
    angles = 2 * numpy.pi * numpy.arange(modes) / modes
    return (radius * numpy.stack([numpy.cos(angles), numpy.sin(angles)], axis=1)).astype(numpy.float32)


def grid_centres(size: int = 5, spacing: float = 2.0) -> numpy.ndarray:
    """The (size*size, 2) centres of ``grid``: a square grid centred on the origin."""
    ticks = spacing * (numpy.arange(size) - (size - 1) / 2)
    xs, ys = numpy.meshgrid(ticks, ticks, indexing="ij")
    return numpy.stack([xs.ravel(), ys.ravel()], axis=1).astype(numpy.float32)


def mixture(n: int, rng, centres, std: float) -> numpy.ndarray:
    """``n`` samples from equal-weight Gaussians with the given (k, d) centres and one std."""
    rng = numpy.random.default_rng(rng)
    centres = numpy.asarray(centres, dtype=numpy.float64)
    picks = rng.integers(0, len(centres), size=n)
    return (centres[picks] + std * rng.standard_normal((n, centres.shape[1]))).astype(numpy.float32)


def ring(n: int, rng, modes: int = 8, radius: float = 2.0, std: float = 0.02) -> numpy.ndarray:
    return mixture(n, rng, ring_centres(modes, radius), std)


def grid(n: int, rng, size: int = 5, spacing: float = 2.0, std: float = 0.05) -> numpy.ndarray:
    return mixture(n, rng, grid_centres(size, spacing), std)


def gaussian_mixture_1d(n: int, rng, means=(-2.0, 2.0), std: float = 0.5) -> numpy.ndarray:
    """(n, 1) samples from equal-weight 1-D Gaussians at ``means``."""
    return mixture(n, rng, numpy.reshape(means, (-1, 1)), std)


def spiral(n: int, rng, turns: float = 1.5, radius: float = 2.0, noise: float = 0.05) -> numpy.ndarray:
    """(n, 2) points along a spiral from the origin out to ``radius``, plus Gaussian noise.

    Taking the square root of a uniform number as the position along the spiral spreads points
    roughly evenly over its length instead of crowding them near the centre.
    """
    rng = numpy.random.default_rng(rng)
    s = numpy.sqrt(rng.random(n))
    angle = 2 * numpy.pi * turns * s
    points = radius * s[:, None] * numpy.stack([numpy.cos(angle), numpy.sin(angle)], axis=1)
    return (points + noise * rng.standard_normal((n, 2))).astype(numpy.float32)


def two_moons(n: int, rng, noise: float = 0.05, scale: float = 1.5) -> numpy.ndarray:
    """(n, 2) points on two interleaving half circles of radius 1, plus Gaussian noise (std ``noise``).

    As scikit-learn's ``make_moons``: the upper moon is (cos t, sin t) and the lower one
    (1 - cos t, 0.5 - sin t), t ~ U(0, pi), each point on either moon with probability 1/2. The pair
    is then moved so that its centre, (0.5, 0.25), is the origin, and scaled by ``scale``.
    """
    rng = numpy.random.default_rng(rng)
    t = numpy.pi * rng.random(n)
    lower = rng.random(n) < 0.5
    x = numpy.where(lower, 1 - numpy.cos(t), numpy.cos(t))
    y = numpy.where(lower, 0.5 - numpy.sin(t), numpy.sin(t))
    points = scale * (numpy.stack([x, y], axis=1) - [0.5, 0.25])
    return (points + noise * rng.standard_normal((n, 2))).astype(numpy.float32)


def count_covered_modes(samples, centres, std: float, threshold: float = 3.0,
                        min_fraction: float = 0.0) -> ModeCoverage:
    """How many modes the samples reach, and the fraction of samples near some mode (see the module notes).

    By default one sample within ``threshold * std`` covers a mode, as in the papers -- which a
    generator spraying points everywhere passes by luck. ``min_fraction`` asks more: a mode counts
    only if at least that fraction of all samples lies near it (0.01: the mode holds 1% of them).
    """
    if not 0 <= min_fraction <= 1:
        raise ValueError(f"count_covered_modes: min_fraction must be in [0, 1], got {min_fraction}")
    centres = numpy.asarray(centres, dtype=numpy.float64).reshape(len(centres), -1)  # (modes, d), also for 1-D
    samples = numpy.asarray(samples, dtype=numpy.float64).reshape(-1, centres.shape[1])
    distances = numpy.linalg.norm(samples[:, None, :] - centres[None, :, :], axis=2)  # (samples, modes)
    close = distances <= threshold * std
    needed = max(1.0, min_fraction * len(samples))  # samples a mode must hold to count as covered
    covered = int((close.sum(axis=0) >= needed).sum())
    return ModeCoverage(covered, float(close.any(axis=1).mean()) if len(samples) else 0.0)
