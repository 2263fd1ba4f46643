"""What the lab draws on the plane, computed by minigan itself: pure functions of a network and some points.

* :func:`plane_grid` -- the centres of an R x R grid of cells over the square [-e, e]^2, in the
  order an image is stored (rows from the top, y = +e, down; columns from x = -e to the right);
* :func:`discriminator_values` -- D's raw output at points: over the grid, the heat map;
* :func:`generator_gradients` -- d L_G / d x at each fake point x: where G's loss pulls that point.
  G moves its samples along minus this gradient (through its weights, so only approximately);
* :func:`gradient_norms` -- ||grad_x D(x)|| at points: over the grid, the field WGAN-GP asks to
  be 1 between real and fake samples (and R1 asks to be 0 on real ones);
* :func:`interpolation_points` -- points like those where the gradient penalty measures that norm.

The networks are looked at, never changed: D runs in evaluation mode, where spectral normalisation
skips its power iteration (which would otherwise update D's buffers, and so the next training step).
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy

from ..autograd import grad, no_grad, tensor
from ..gan.penalties import interpolate


def plane_grid(extent: float, resolution: int) -> numpy.ndarray:
    """(resolution^2, 2) float32 cell centres over [-extent, extent]^2, row by row from the top."""
    ticks = ((numpy.arange(resolution) + 0.5) / resolution * 2 - 1) * extent
    xs, ys = numpy.meshgrid(ticks, ticks[::-1])  # ys[0] is the top row: y = +extent
    return numpy.stack([xs.ravel(), ys.ravel()], axis=1).astype(numpy.float32)


@contextmanager
def evaluating(module):
    """``module`` in evaluation mode for the duration, then back in the mode it was in."""
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)


def discriminator_values(discriminator, points) -> numpy.ndarray:
    """D(x) for each point x, raw (a logit or a critic's score): shape (N,)."""
    with evaluating(discriminator), no_grad():
        return discriminator(tensor(points)).numpy().reshape(-1)


def generator_gradients(loss, discriminator, fake, real=None) -> numpy.ndarray:
    """d L_G / d x for each fake point x, shape (N, 2), with L_G = ``loss.g_loss`` over the whole batch.

    ``loss`` is a :class:`minigan.gan.GanLoss`; ``real`` points are needed by the relativistic losses.
    L_G is a mean over the batch, so each point's gradient carries a factor 1/N.
    """
    x = tensor(fake, requires_grad=True)
    with evaluating(discriminator):
        real_logits = discriminator(tensor(real)) if loss.g_needs_real else None
        (gradients,) = grad(loss.g_loss(discriminator(x), real_logits), x)
    return gradients.numpy()


def gradient_norms(discriminator, points) -> numpy.ndarray:
    """||grad_x D(x)||_2 for each point x: shape (N,). D's outputs do not mix samples, so one backward
    pass of sum_i D(x_i) gives every point its own gradient."""
    x = tensor(points, requires_grad=True)
    with evaluating(discriminator):
        (gradients,) = grad(discriminator(x).sum(), x)
    return numpy.sqrt((gradients.numpy().astype(numpy.float64) ** 2).sum(axis=1))


def interpolation_points(real, fake, generator) -> numpy.ndarray:
    """eps x + (1 - eps) G(z) for pairs of real and fake points, one eps ~ U(0, 1) each, drawn from
    ``generator`` (a ``numpy.random.Generator``): what :func:`minigan.gan.penalties.interpolate` gives
    the gradient penalty, here with the lab's own random numbers so that training's stay untouched."""
    return interpolate(tensor(real), tensor(fake), generator=generator).numpy()
