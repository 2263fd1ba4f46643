"""The GAN losses: what the discriminator D and the generator G each minimize.

Every loss takes the discriminator's raw outputs -- logits, or critic values for WGAN and hinge --
of any shape, (N,) or (N, 1) or a PatchGAN's (N, 1, H, W), and returns a scalar Tensor (the mean
over all entries). Notation in the docstrings:

    x      a batch of real samples            D(x)     D's raw output (a logit, or a critic value)
    G(z)   a batch of generated samples       sigma    the sigmoid: sigma(D(x)) is "probability real"
    E[.]   the mean over the batch

Every loss built on log sigma(.) goes through ``binary_cross_entropy_with_logits``, which is exact
at any logit: the textbook ``log(1 - sigmoid(D(G(z))))`` is log(0) = -inf in float32 as soon as D
is confident (a logit of 17 is enough).

At the end, :func:`get_loss` hands the training loop a matched (d_loss, g_loss) pair by name.
"""
from __future__ import annotations

from functools import partial
from typing import Callable, NamedTuple

from ..autograd import relu
from ..functional.losses import binary_cross_entropy_with_logits, mse_loss


# ---------------------------------------------------------------- the original GAN (Goodfellow et al. 2014)
def minimax_d_loss(real_logits, fake_logits, real_target=1.0):
    """Discriminator loss of the original GAN: binary cross-entropy with "real" = 1, "fake" = 0.

        L_D = -E[log sigma(D(x))] - E[log(1 - sigma(D(G(z))))]

    Source: Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014 (D maximizes the value
    function V(D, G); this is -V). The same D loss serves the minimax and the non-saturating G loss.

    ``real_target`` < 1 is *one-sided label smoothing* (Salimans et al., "Improved Techniques for
    Training GANs", NeurIPS 2016): real samples are labelled e.g. 0.9, so that D is not rewarded
    for ever larger logits on real data, which keeps its gradients for G from growing extreme.
    Fake labels stay 0 -- smoothing them too would reward G's samples where there is no data.

    Pitfall: the two halves are *summed* (as in PyTorch's DCGAN example), so a D that cannot tell
    real from fake scores 2 log 2 ~ 1.386, not log 2.
    """
    return (binary_cross_entropy_with_logits(real_logits, real_target)
            + binary_cross_entropy_with_logits(fake_logits, 0.0))


def minimax_g_loss(fake_logits):
    """Generator loss of the original *minimax* GAN: G minimizes D's log-probability of spotting a fake.

        L_G = E[log(1 - sigma(D(G(z))))]      (= -binary_cross_entropy(fake, target 0))

    Source: Goodfellow et al. 2014, eq. 1.

    Pitfall -- it *saturates*: early in training D rejects fakes confidently, D(G(z)) -> -inf, and
    the gradient d L_G / d D(G(z)) = -sigma(D(G(z))) vanishes exactly when G most needs it. Kept
    for teaching and comparison; train with :func:`nonsaturating_g_loss`.
    """
    return -binary_cross_entropy_with_logits(fake_logits, 0.0)


def nonsaturating_g_loss(fake_logits):
    """The *non-saturating* generator loss: G maximizes the log-probability that D calls its samples real.

        L_G = -E[log sigma(D(G(z)))]           (= binary_cross_entropy(fake, target 1))

    Source: Goodfellow et al. 2014, section 3 (the practical alternative to the minimax loss).
    Same fixed point as the minimax loss, but the gradient 1 - sigma(D(G(z))) is largest where D
    rejects the fakes. The default choice for a standard GAN (DCGAN uses it).
    """
    return binary_cross_entropy_with_logits(fake_logits, 1.0)


# ---------------------------------------------------------------- least squares (Mao et al. 2017)
def lsgan_d_loss(real_logits, fake_logits, a=0.0, b=1.0):
    """Least-squares GAN discriminator loss: push D(x) toward ``b`` and D(G(z)) toward ``a``.

        L_D = 1/2 E[(D(x) - b)^2] + 1/2 E[(D(G(z)) - a)^2]

    Source: Mao et al., "Least Squares Generative Adversarial Networks", ICCV 2017. D's output is
    used raw (no sigmoid). The defaults a = 0, b = 1, c = 1 are the paper's 0-1 coding; a = -1,
    b = 1, c = 0 is the choice for which it shows G minimizes the Pearson chi^2 divergence.

    When to use: a smooth, non-saturating alternative to the cross-entropy losses -- fakes that D
    classifies correctly but that lie far from the data are still penalized.
    Pitfall: the squared error grows without bound for outliers; D's outputs can drift large.
    """
    return 0.5 * mse_loss(real_logits, b) + 0.5 * mse_loss(fake_logits, a)


def lsgan_g_loss(fake_logits, c=1.0):
    """Least-squares GAN generator loss: push D(G(z)) toward ``c``, the value G wants D to believe.

        L_G = 1/2 E[(D(G(z)) - c)^2]

    Source: Mao et al. 2017 (see :func:`lsgan_d_loss`).
    """
    return 0.5 * mse_loss(fake_logits, c)


# ---------------------------------------------------------------- Wasserstein (Arjovsky et al. 2017)
def wasserstein_d_loss(real_logits, fake_logits):
    """WGAN critic loss: the negated estimate of the Wasserstein-1 distance.

        L_D = E[D(G(z))] - E[D(x)]

    Source: Arjovsky, Chintala & Bottou, "Wasserstein GAN", ICML 2017. D (the *critic*) outputs an
    unbounded score, no sigmoid. -L_D estimates the earth mover's distance between the data and
    the generator's distribution only if D is 1-Lipschitz: enforce it with weight clipping
    (``minigan.gan.penalties.clip_weights_``, the paper) or a gradient penalty
    (``minigan.gan.penalties.gradient_penalty``, WGAN-GP, Gulrajani et al. 2017).

    Pitfalls: without the Lipschitz constraint the loss is unbounded below and D's outputs explode.
    The value is meaningful only as a *difference*: its sign and offset carry no information.
    Train the critic several steps per G step (n_critic = 5 in both papers).
    """
    return fake_logits.mean() - real_logits.mean()


def wasserstein_g_loss(fake_logits):
    """WGAN generator loss: raise the critic's score of the generated samples.

        L_G = -E[D(G(z))]

    Source: Arjovsky et al. 2017. The hinge loss uses this very G loss (see :func:`hinge_d_loss`).
    """
    return -fake_logits.mean()


# ---------------------------------------------------------------- hinge (Lim & Ye 2017; Miyato et al. 2018)
def hinge_d_loss(real_logits, fake_logits):
    """Hinge discriminator loss: a margin classifier with the margin at +-1.

        L_D = E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]

    Sources: Lim & Ye, "Geometric GAN", 2017; Miyato et al., "Spectral Normalization for Generative
    Adversarial Networks", ICLR 2018 (and SAGAN, BigGAN after them). The generator loss is the
    WGAN one, L_G = -E[D(G(z))]: :func:`hinge_g_loss` is :func:`wasserstein_g_loss`.

    When to use: with spectral normalization in D, the standard choice for image GANs.
    Pitfall: samples beyond the margin (D(x) > 1, D(G(z)) < -1) contribute no gradient to D at all,
    so the loss can sit at 0 while D keeps its outputs large; G still gets its gradient.
    """
    return relu(1 - real_logits).mean() + relu(1 + fake_logits).mean()


hinge_g_loss = wasserstein_g_loss  # the same formula, -E[D(G(z))], under the name the papers use


# ---------------------------------------------------------------- relativistic average (Jolicoeur-Martineau 2018)
def _relativistic(real_logits, fake_logits):
    """C(x) - E[C(G(z))] and C(G(z)) - E[C(x)]: how much more real each sample looks than the
    average sample of the other kind."""
    return real_logits - fake_logits.mean(), fake_logits - real_logits.mean()


def _require_real(fn_name, real_logits):
    if real_logits is None:
        raise ValueError(f"{fn_name} needs real_logits: a relativistic generator loss compares the fakes "
                         "with D's outputs on a batch of real samples")


def relativistic_d_loss(real_logits, fake_logits, real_target=1.0):
    """Relativistic average (standard) GAN discriminator loss, RaSGAN.

        L_D = -E[log sigma(D(x) - E[D(G(z))])] - E[log(1 - sigma(D(G(z)) - E[D(x)]))]

    Source: Jolicoeur-Martineau, "The relativistic discriminator: a key element missing from
    standard GAN", ICLR 2019 (arXiv 2018). D no longer judges a sample alone but whether it looks
    *more real than the average fake* (and a fake, less real than the average real sample).
    ``real_target`` < 1 is one-sided label smoothing, as in :func:`minimax_d_loss`.

    When to use: a drop-in for the standard loss that is often more stable.
    Pitfall: the averages are batch statistics -- small batches make them noisy.
    """
    real_vs_fake, fake_vs_real = _relativistic(real_logits, fake_logits)
    return (binary_cross_entropy_with_logits(real_vs_fake, real_target)
            + binary_cross_entropy_with_logits(fake_vs_real, 0.0))


def relativistic_g_loss(fake_logits, real_logits=None):
    """Relativistic average (standard) GAN generator loss: the D loss with real and fake swapped.

        L_G = -E[log sigma(D(G(z)) - E[D(x)])] - E[log(1 - sigma(D(x) - E[D(G(z))]))]

    Source: Jolicoeur-Martineau 2018. Unlike every other G loss it needs D's outputs on *real*
    samples: G gains both from fakes that look more real and from reals that look less real.
    """
    _require_real("relativistic_g_loss", real_logits)
    return relativistic_d_loss(fake_logits, real_logits)


def relativistic_lsgan_d_loss(real_logits, fake_logits):
    """Relativistic average least-squares GAN discriminator loss, RaLSGAN.

        L_D = E[(D(x) - E[D(G(z))] - 1)^2] + E[(D(G(z)) - E[D(x)] + 1)^2]

    Source: Jolicoeur-Martineau 2018 (the relativistic form of LSGAN). D is asked to place each
    real sample one unit above the average fake and each fake one unit below the average real one.
    Pitfall: as for RaSGAN, the batch averages are noisy for small batches.
    """
    real_vs_fake, fake_vs_real = _relativistic(real_logits, fake_logits)
    return mse_loss(real_vs_fake, 1.0) + mse_loss(fake_vs_real, -1.0)


def relativistic_lsgan_g_loss(fake_logits, real_logits=None):
    """RaLSGAN generator loss: the D loss with real and fake swapped.

        L_G = E[(D(G(z)) - E[D(x)] - 1)^2] + E[(D(x) - E[D(G(z))] + 1)^2]

    Source: Jolicoeur-Martineau 2018. Needs D's outputs on real samples, like :func:`relativistic_g_loss`.
    """
    _require_real("relativistic_lsgan_g_loss", real_logits)
    return relativistic_lsgan_d_loss(fake_logits, real_logits)


# ---------------------------------------------------------------- the registry
class GanLoss(NamedTuple):
    """A matched pair of losses, called by the training loop as

        d_loss(real_logits, fake_logits)  and  g_loss(fake_logits, real_logits=None).

    ``g_needs_real`` says whether ``g_loss`` uses ``real_logits`` (the relativistic losses), so that
    the loop only runs D on real data in the G step when it must. ``critic_constraint`` names the
    Lipschitz constraint the loss assumes -- ``"weight-clipping"`` (WGAN) or ``"gradient-penalty"``
    (WGAN-GP) -- which the loop applies with ``minigan.gan.penalties``; None for the others.
    """

    name: str
    d_loss: Callable
    g_loss: Callable
    g_needs_real: bool = False
    critic_constraint: str | None = None


def _fake_only(g_loss):
    """Give a G loss of the fakes alone the common signature g_loss(fake_logits, real_logits=None)."""
    return lambda fake_logits, real_logits=None: g_loss(fake_logits)


# Each entry builds a pair; keyword arguments to get_loss reach these builders.
_BUILDERS = {
    "ns": lambda real_target=1.0: GanLoss(
        "ns", partial(minimax_d_loss, real_target=real_target), _fake_only(nonsaturating_g_loss)),
    "minimax": lambda real_target=1.0: GanLoss(
        "minimax", partial(minimax_d_loss, real_target=real_target), _fake_only(minimax_g_loss)),
    "lsgan": lambda a=0.0, b=1.0, c=1.0: GanLoss(
        "lsgan", partial(lsgan_d_loss, a=a, b=b), _fake_only(partial(lsgan_g_loss, c=c))),
    "wgan": lambda: GanLoss(
        "wgan", wasserstein_d_loss, _fake_only(wasserstein_g_loss), critic_constraint="weight-clipping"),
    "wgan-gp": lambda: GanLoss(
        "wgan-gp", wasserstein_d_loss, _fake_only(wasserstein_g_loss), critic_constraint="gradient-penalty"),
    "hinge": lambda: GanLoss("hinge", hinge_d_loss, _fake_only(hinge_g_loss)),
    "ragan": lambda real_target=1.0: GanLoss(
        "ragan", partial(relativistic_d_loss, real_target=real_target), relativistic_g_loss, g_needs_real=True),
    "rals": lambda: GanLoss("rals", relativistic_lsgan_d_loss, relativistic_lsgan_g_loss, g_needs_real=True),
}

LOSS_NAMES = tuple(_BUILDERS)


def get_loss(name: str, **options) -> GanLoss:
    """The (d_loss, g_loss) pair called ``name``, one of :data:`LOSS_NAMES`:

    ``"ns"`` (standard D loss, non-saturating G loss), ``"minimax"``, ``"lsgan"``, ``"wgan"``,
    ``"wgan-gp"``, ``"hinge"``, ``"ragan"`` (relativistic average), ``"rals"`` (relativistic
    average least squares).

    ``options`` set the losses' parameters: ``real_target`` (one-sided label smoothing) for "ns",
    "minimax" and "ragan"; ``a``, ``b``, ``c`` for "lsgan". Example: ``get_loss("ns", real_target=0.9)``.
    """
    if name not in _BUILDERS:
        raise ValueError(f"unknown GAN loss {name!r}; choose one of: {', '.join(LOSS_NAMES)}")
    try:
        return _BUILDERS[name](**options)
    except TypeError:
        raise TypeError(f"GAN loss {name!r} does not take the options {sorted(options)}") from None
