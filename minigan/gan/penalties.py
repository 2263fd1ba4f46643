"""Keeping the discriminator smooth: weight clipping, the WGAN-GP gradient penalty, R1 and R2.

A GAN trains well when D's output does not change abruptly with its input. The WGAN losses even
require it (D must be 1-Lipschitz). Two ways to get there:

* clip every weight into [-c, c] after each optimizer step (:func:`clip_weights_`), crude but simple;
* penalize the *gradient of D with respect to its input*, ||grad_x D(x)||, in D's loss
  (:func:`gradient_penalty`, :func:`r1_penalty`, :func:`r2_penalty`).

A penalty on a gradient is trained by gradient descent, so it needs the gradient *of* a gradient:
the input gradient is computed with ``minigan.grad(..., create_graph=True)``, which records the
backward pass as a graph of its own, and the penalty's ``backward()`` then runs through that graph
to D's weights -- a second derivative. No shortcut formula is involved: that is what the autograd
engine's differentiable backward passes are for.

Pitfall common to the penalties: they assume D treats every sample on its own. A D with batch norm
mixes the samples of a batch, and the "per-sample gradient" below is no longer one; use layer
norm, spectral norm or no normalization in a penalized D.
"""
from __future__ import annotations

from ..autograd import grad, no_grad, rand, relu

NORM_EPS = 1e-12  # inside the square root of the gradient norm; see _input_gradient_norms


def clip_weights_(parameters, c=0.01):
    """Clamp every parameter into [-c, c], in place (the original WGAN's Lipschitz constraint).

    Source: Arjovsky et al., "Wasserstein GAN", ICML 2017 (c = 0.01). Call it after every critic
    optimizer step. The arrays are changed in place, so anything holding them (an optimizer's
    state, a state_dict) sees the clipped values.

    Pitfalls (Gulrajani et al. 2017, section 3): with a small c the critic can only learn very
    simple functions, with a large c training is slow to converge; the weights pile up at +-c.
    The gradient penalty replaces it.
    """
    with no_grad():
        for p in parameters:
            p.copy_(p.xp.clip(p.data, -c, c))


def _input_gradients(critic, x):
    """grad_x sum(critic(x)) for a copy of ``x`` that is a leaf, recorded so it can be differentiated.

    Summing the outputs before differentiating gives every sample's own gradient at once, because
    sample i's output depends on sample i's input only. ``x`` is detached first: the penalty must
    train D, never flow back into G.
    """
    x = x.detach().requires_grad_()
    (gradients,) = grad(critic(x).sum(), x, create_graph=True)
    return gradients.reshape(gradients.shape[0], -1)


def _squared_norms(gradients):
    """||g_i||^2 over all non-batch axes, one per sample."""
    return (gradients * gradients).sum(axis=1)


def _input_gradient_norms(critic, x):
    """||grad_x critic(x)||_2 per sample, as an (N,) Tensor that is part of the graph.

    The norm is sqrt(sum g^2 + NORM_EPS), not sqrt(sum g^2): the derivative of sqrt at 0 is
    infinite, and 0 * infinity = NaN would reach the weights whenever a sample's gradient is exactly
    zero (a dead ReLU critic, a fresh zero-initialized layer). With the epsilon the derivative
    there is 0 / sqrt(NORM_EPS) = 0, and the norm changes by at most sqrt(1e-12) = 1e-6.
    """
    return (_squared_norms(_input_gradients(critic, x)) + NORM_EPS).sqrt()


def interpolate(real, fake, generator=None):
    """The points where WGAN-GP measures the critic's slope: x_hat = eps x + (1 - eps) G(z), detached.

    One eps ~ U(0, 1) per sample, drawn from ``generator`` (a ``numpy.random.Generator``) or
    minigan's seeded generator, so each x_hat lies on the segment between a real and a fake sample.
    """
    if real.shape != fake.shape:
        raise ValueError(f"gradient_penalty: real has shape {real.shape} but fake has shape {fake.shape}")
    per_sample = (real.shape[0],) + (1,) * (real.ndim - 1)
    eps = rand(per_sample, dtype=real.dtype, device=real.device, generator=generator)
    return eps * real.detach() + (1 - eps) * fake.detach()


def gradient_penalty(critic, real, fake, target=1.0, one_sided=False, generator=None, return_norms=False):
    """The WGAN-GP gradient penalty, to be added (times lambda = 10) to the critic's loss.

        x_hat = eps x + (1 - eps) G(z),   eps ~ U(0, 1), one per sample
        GP    = E[(||grad_x_hat D(x_hat)||_2 - target)^2]
        GP    = E[relu(||grad_x_hat D(x_hat)||_2 - target)^2]        (one_sided=True)

    Source: Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017. The optimal
    critic has gradient norm 1 almost everywhere on the lines between real and generated samples,
    so the penalty asks for norm 1 there. The one-sided variant (considered by Gulrajani et al.,
    advocated by Petzka et al., ICLR 2018) only penalizes norms above the target, which is all
    that 1-Lipschitz demands.

    ``critic`` is any callable Tensor -> Tensor (for a conditional critic: ``lambda x: D(x, y)``).
    ``real`` and ``fake`` have the same shape (N, ...). ``eps`` is drawn from ``generator`` (a
    ``numpy.random.Generator``) or minigan's seeded generator. Both batches are detached: the
    penalty trains D only. ``return_norms=True`` also returns the per-sample gradient norms,
    detached, for logging (they come for free).

    Pitfall: differentiating a gradient costs roughly one more forward and backward pass of D.
    """
    norms = _input_gradient_norms(critic, interpolate(real, fake, generator))
    excess = relu(norms - target) if one_sided else norms - target
    penalty = (excess * excess).mean()
    return (penalty, norms.detach()) if return_norms else penalty


def _zero_centered_penalty(discriminator, x, return_norms):
    """E[||grad_x D(x)||^2]: R1 on real samples, R2 on generated ones."""
    squared = _squared_norms(_input_gradients(discriminator, x))
    penalty = squared.mean()
    return (penalty, squared.detach().sqrt()) if return_norms else penalty


def r1_penalty(discriminator, real, return_norms=False):
    """The R1 penalty: the squared gradient norm of D on *real* data. Add gamma/2 times it to D's loss.

        R1 = E_x[ ||grad_x D(x)||^2 ]

    Source: Mescheder, Geiger & Nowozin, "Which Training Methods for GANs do actually Converge?",
    ICML 2018 (the regularizer of StyleGAN). Near convergence the generator matches the data and D
    should be flat there; penalizing D's slope on real data makes training converge locally where
    the unregularized GAN oscillates. gamma is a tuning knob (10 is common; smaller for small images).

    There is no square root, so no epsilon is needed. ``discriminator`` is any callable Tensor ->
    Tensor; ``real`` is detached first. ``return_norms=True`` also returns the per-sample gradient
    norms ||grad_x D(x)||, detached, for logging.
    Pitfall: it is zero-centered -- unlike WGAN-GP it pushes D's slope toward 0, not 1.
    """
    return _zero_centered_penalty(discriminator, real, return_norms)


def r2_penalty(discriminator, fake, return_norms=False):
    """The R2 penalty: R1's formula on *generated* samples, E_z[ ||grad D(G(z))||^2 ].

    Source: Mescheder et al. 2018 (section 4.1). ``fake`` is detached first, so the penalty trains
    D only. Arguments and return value as in :func:`r1_penalty`.
    """
    return _zero_centered_penalty(discriminator, fake, return_norms)
