"""The lab's data: the training points of each distribution, their modes, and the part of the plane to show.

The toy sets are drawn exactly as ``python -m minigan.train`` draws them -- ``TOY_SAMPLES`` points
from ``numpy.random.default_rng(seed)`` -- so that the command line the lab exports trains on the
same points. A *drawn* distribution is a mixture of small Gaussians, one around each drawn point.
"""
from __future__ import annotations

import math

import numpy

from .. import data

TOY_SAMPLES = 50_000  # as minigan.train draws: the exported command line then sees the same data
DRAWN_STD = 0.05      # the spread of the Gaussian around each drawn point
GAUSSIAN_CENTRE, GAUSSIAN_STD = (1.0, 1.0), 0.5  # the lab's one 2-D Gaussian: off the origin, where G starts

# name: (points of n samples drawn with rng, settings) -- the settings carry a drawing's points.
_SAMPLERS = {
    "ring": lambda n, rng, settings: data.ring(n, rng),
    "grid": lambda n, rng, settings: data.grid(n, rng),
    "spiral": lambda n, rng, settings: data.spiral(n, rng),
    "gaussian": lambda n, rng, settings: data.mixture(n, rng, [GAUSSIAN_CENTRE], GAUSSIAN_STD),
    "two_moons": lambda n, rng, settings: data.two_moons(n, rng),
    "drawn": lambda n, rng, settings: data.mixture(n, rng, settings["points"], DRAWN_STD),
}


def training_points(settings) -> numpy.ndarray:
    """The (TOY_SAMPLES, 2) float32 points a run trains on."""
    return _SAMPLERS[settings["dataset"]](TOY_SAMPLES, numpy.random.default_rng(settings["seed"]), settings)


def modes(settings):
    """``(centres, std)`` of the distribution's modes, for counting the ones G covers; None for the curves
    (spiral, two moons), which have no separate modes to count."""
    name = settings["dataset"]
    if name == "ring":
        return data.ring_centres(), 0.02
    if name == "grid":
        return data.grid_centres(), 0.05
    if name == "gaussian":
        return numpy.array([GAUSSIAN_CENTRE]), GAUSSIAN_STD
    if name == "drawn":
        return numpy.array(settings["points"]), DRAWN_STD
    return None


def extent(points) -> float:
    """Half the side of the square [-e, e]^2 the page shows: at least 3, and 15% beyond the farthest point,
    rounded up to a half."""
    return max(3.0, math.ceil(1.15 * float(numpy.abs(points).max()) * 2) / 2)
