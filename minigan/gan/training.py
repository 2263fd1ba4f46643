"""The GAN training loop, once: :class:`GANTrainer` does one training step at a time.

Every call of :meth:`GANTrainer.step` with a batch of real samples does

1. **a D (critic) step**: fake = G(z); L_D = d_loss(D(x), D(fake)) [+ lambda * GP] [+ gamma/2 * R1];
   one optimizer step on D; weight clipping for the original WGAN;
2. **a G step every ``n_critic``-th call**: L_G = g_loss(D(fake)) with the *updated* D, reusing the
   fake batch of step 1 (as the DCGAN reference does); one optimizer step on G; then the EMA copy
   of G (if any) moves toward G: theta_ema <- decay * theta_ema + (1 - decay) * theta.

The EMA starts from G's random initial weights, and with decay 0.999 it would take thousands of
steps to forget them. So, as TensorFlow's ExponentialMovingAverage does, the decay warms up:
after t G steps it is min(decay, (1 + t) / (10 + t)) -- a plain running average at first.

During the G step D's parameters are frozen (``requires_grad_(False)``): the gradient still flows
*through* D to the fake images, but D's own weight gradients -- which the G step would throw away
-- are never computed.

With ``augment`` (DiffAugment, :mod:`minigan.gan.augment`) D is the critic x -> D(T(x)) everywhere:
on real and fake images, in both steps and in the penalties, with a fresh random T per image. An
:class:`~minigan.gan.augment.AdaptiveAugment` (ADA) also reads D's logits on the real batch after
each D step and adapts its strength; the step reports the strength it used as ``augment_p``.

The command-line trainer and the tutorials both drive this class; nothing else holds a copy of the
loop. ``step`` returns the numbers a training plot needs. Its two halves are public too:
:meth:`GANTrainer.d_step` and :meth:`GANTrainer.g_step` make one D update or one G update alone,
so that a person can drive the game by hand (``python -m minigan.lab``).
"""
from __future__ import annotations

import copy
import math

from ..autograd import no_grad, randn
from ..nn.utils import clip_grad_norm_
from .augment import AdaptiveAugment
from .losses import get_loss
from .penalties import clip_weights_, gradient_penalty, r1_penalty


def _grad_norm(parameters):
    """The global L2 norm of the parameters' gradients, sqrt(sum of all squared entries)."""
    total = 0.0
    for p in parameters:
        if p.grad is not None:
            total += float((p.grad.data.astype("float64") ** 2).sum())
    return math.sqrt(total)


class GANTrainer:
    """Trains ``generator`` against ``discriminator`` with the GAN loss called ``loss``.

    Arguments:
        generator, discriminator: Modules. Conditional ones are called as G(z, labels), D(x, labels).
        g_optimizer, d_optimizer: optimizers over their parameters (e.g. ``optim.Adam``).
        loss: a name from :data:`minigan.gan.LOSS_NAMES` ("ns", "minimax", "lsgan", "wgan",
            "wgan-gp", "hinge", "ragan", "rals"); ``loss_options`` go to :func:`get_loss`.
        latent_dim: size of z (default: ``generator.latent_dim``).
        n_critic: D steps per G step (5 is usual for WGAN and WGAN-GP, 1 otherwise).
        gp_weight: lambda of the WGAN-GP gradient penalty (used with "wgan-gp").
        gp_one_sided: penalise only gradient norms above 1, max(0, ||grad|| - 1)^2, instead of
            every deviation from 1 (see :func:`gradient_penalty`).
        clip_value: c of WGAN weight clipping (used with "wgan").
        r1_gamma: gamma of the R1 penalty on real data, for any loss (0 = off).
        r1_every: apply R1 only on every ``r1_every``-th step, weighted by ``r1_every`` (StyleGAN2's
            *lazy regularization*): about the same pull on D's gradients on average, for a fraction of
            the cost -- R1 differentiates D's backward pass, which makes a DCGAN step 1.6 times longer.
            Steps are counted by ``iteration`` (calls of :meth:`step`).
        ema_decay: keep an exponential moving average of G's weights in ``ema_generator``
            (e.g. 0.999), or None.
        clip_grad_norm: rescale each network's gradients to at most this global L2 norm before its
            optimizer step (``nn.utils.clip_grad_norm_``), or None. The logged ``*_grad_norm`` are
            the norms before clipping.
        conditional: pass ``labels`` to G and D.
        augment: a differentiable augmentation T (e.g. :class:`minigan.gan.augment.DiffAugment`) applied
            to every image D sees -- real and fake, in the D step, the G step and the penalties, which
            all see the critic x -> D(T(x)) -- or None. An :class:`~minigan.gan.augment.AdaptiveAugment`
            adapts its probability to D's logits on the real batches (ADA).
    """

    def __init__(self, generator, discriminator, g_optimizer, d_optimizer, loss="ns", loss_options=None,
                 latent_dim=None, n_critic=1, gp_weight=10.0, gp_one_sided=False, clip_value=0.01, r1_gamma=0.0,
                 ema_decay=None, conditional=False, clip_grad_norm=None, augment=None, r1_every=1):
        if n_critic < 1:
            raise ValueError(f"GANTrainer: n_critic must be at least 1, got {n_critic}")
        self.generator, self.discriminator = generator, discriminator
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.loss = get_loss(loss, **(loss_options or {}))
        self.latent_dim = latent_dim if latent_dim is not None else generator.latent_dim
        self.n_critic, self.gp_weight, self.clip_value, self.r1_gamma = n_critic, gp_weight, clip_value, r1_gamma
        if not (isinstance(r1_every, int) and r1_every >= 1):
            raise ValueError(f"GANTrainer: r1_every must be a positive integer, got {r1_every!r}")
        self.r1_every = r1_every
        self.gp_one_sided = gp_one_sided
        self.conditional = conditional
        self.augment = augment
        if clip_grad_norm is not None and not clip_grad_norm > 0:
            raise ValueError(f"GANTrainer: clip_grad_norm must be positive or None, got {clip_grad_norm}")
        self.clip_grad_norm = clip_grad_norm
        self.ema_decay = ema_decay
        self.ema_generator = None
        if ema_decay is not None:
            self.ema_generator = copy.deepcopy(generator)
            self.ema_generator.requires_grad_(False)
        self.iteration = 0

    # ---------------------------------------------------------------- helpers
    def sample_latent(self, n, generator=None):
        """n latent vectors z ~ N(0, I), shape (n, latent_dim), on the generator's device."""
        device = next(self.generator.parameters()).device
        return randn(n, self.latent_dim, generator=generator, device=device)

    def _critic(self, labels):
        """D as a function of the samples alone (labels bound, augmentation applied), as the penalties expect."""
        discriminator, augment = self.discriminator, self.augment
        if augment is not None:
            if self.conditional:
                return lambda x: discriminator(augment(x), labels)
            return lambda x: discriminator(augment(x))
        if self.conditional:
            return lambda x: discriminator(x, labels)
        return discriminator

    def _generate(self, z, labels):
        return self.generator(z, labels) if self.conditional else self.generator(z)

    @no_grad()
    def _update_ema(self):
        g_steps = self.iteration // self.n_critic
        decay = min(self.ema_decay, (1 + g_steps) / (10 + g_steps))
        for ema, p in zip(self.ema_generator.parameters(), self.generator.parameters()):
            # decay * ema + (1 - decay) * p, in place: the same roundings as the expression, but one
            # temporary instead of three (each assignment to .data counts as an in-place change)
            ema.data *= decay
            ema.data += (1 - decay) * p.data
        for ema, b in zip(self.ema_generator.buffers(), self.generator.buffers()):
            ema.copy_(b)

    # ---------------------------------------------------------------- the step
    def step(self, real, labels=None) -> dict:
        """One D step, and a G step if this is an ``n_critic``-th call. Returns the numbers to plot:

        ``d_loss`` (without penalties), ``d_real`` and ``d_fake`` (D's mean raw output on real and
        fake samples), ``penalty`` (the weighted GP and R1 terms), ``d_grad_norm`` (global L2 norm
        of D's parameter gradients), and after a G step also ``g_loss`` and ``g_grad_norm``.
        """
        self._check_labels("step", labels)
        self.iteration += 1
        g_step = self.iteration % self.n_critic == 0
        z = self.sample_latent(real.shape[0])
        if g_step:
            fake = self._generate(z, labels)
        else:
            with no_grad():  # no G step follows: no graph through G is needed
                fake = self._generate(z, labels)
        stats = self.d_step(real, labels, fake=fake)
        if g_step:
            stats.update(self.g_step(real, labels, fake=fake))
        return stats

    def d_step(self, real, labels=None, fake=None) -> dict:
        """One update of D alone (G is not touched); returns the D numbers of :meth:`step`.

        ``fake``: the generated batch to judge; by default a fresh one, G(z) for new z. :meth:`step`
        passes its own, so that its G step can reuse the batch. Unlike :meth:`step`, this does not
        count as a training step (``iteration`` stays): it is for driving D and G by hand, as the lab does.
        """
        self._check_labels("d_step", labels)
        critic = self._critic(labels)
        if fake is None:
            with no_grad():
                fake = self._generate(self.sample_latent(real.shape[0]), labels)
        real_logits, fake_logits = critic(real), critic(fake.detach())
        d_loss = self.loss.d_loss(real_logits, fake_logits)
        penalty = 0.0
        if self.loss.critic_constraint == "gradient-penalty":
            penalty = self.gp_weight * gradient_penalty(critic, real, fake, one_sided=self.gp_one_sided)
        if self.r1_gamma and self.iteration % self.r1_every == 0:  # lazily: every r1_every-th step, weighted up
            penalty = penalty + self.r1_every * self.r1_gamma / 2 * r1_penalty(critic, real)
        self.d_optimizer.zero_grad()
        (d_loss + penalty).backward()
        stats = {
            "d_loss": d_loss.item(),
            "d_real": real_logits.mean().item(),
            "d_fake": fake_logits.mean().item(),
            "penalty": float(penalty if isinstance(penalty, float) else penalty.item()),
            "d_grad_norm": _grad_norm(self.discriminator.parameters()),
        }
        if isinstance(self.augment, AdaptiveAugment):
            stats["augment_p"] = self.augment.probability  # the strength this step used, before ADA adapts it
            self.augment.observe(real_logits.data)
        self._clip(self.discriminator)
        self.d_optimizer.step()
        if self.loss.critic_constraint == "weight-clipping":
            clip_weights_(self.discriminator.parameters(), self.clip_value)
        return stats

    def g_step(self, real, labels=None, fake=None) -> dict:
        """One update of G alone against the current D (D's weights stay); returns ``g_loss``, ``g_grad_norm``.

        ``real`` gives the batch size, and D's outputs on real data for the relativistic losses.
        ``fake``: a generated batch still attached to G's graph; by default a fresh one, G(z) for new z.
        Like :meth:`d_step`, a call on its own leaves ``iteration`` as it is.
        """
        self._check_labels("g_step", labels)
        if fake is None:
            fake = self._generate(self.sample_latent(real.shape[0]), labels)
        return self._generator_step(self._critic(labels), real, fake)

    def _clip(self, network):
        if self.clip_grad_norm is not None:
            clip_grad_norm_(network.parameters(), self.clip_grad_norm)

    def _check_labels(self, method, labels):
        if self.conditional and labels is None:
            raise ValueError(f"GANTrainer.{method}: this trainer is conditional; pass the labels of the real batch")

    def _generator_step(self, critic, real, fake):
        self.discriminator.requires_grad_(False)
        try:
            real_logits = critic(real) if self.loss.g_needs_real else None
            g_loss = self.loss.g_loss(critic(fake), real_logits)
            self.g_optimizer.zero_grad()
            g_loss.backward()
        finally:
            self.discriminator.requires_grad_(True)
        grad_norm = _grad_norm(self.generator.parameters())
        self._clip(self.generator)
        self.g_optimizer.step()
        if self.ema_generator is not None:
            self._update_ema()
        return {"g_loss": g_loss.item(), "g_grad_norm": grad_norm}

    # ---------------------------------------------------------------- checkpoints
    def state_dict(self) -> dict:
        """Everything needed to resume: both models, both optimizers, the EMA copy, the step count."""
        state = {
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "g_optimizer": self.g_optimizer.state_dict(),
            "d_optimizer": self.d_optimizer.state_dict(),
            "iteration": self.iteration,
        }
        if self.ema_generator is not None:
            state["ema_generator"] = self.ema_generator.state_dict()
        if isinstance(self.augment, AdaptiveAugment):
            state["augment"] = self.augment.state_dict()
        return state

    def load_state_dict(self, state: dict) -> None:
        self.generator.load_state_dict(state["generator"])
        self.discriminator.load_state_dict(state["discriminator"])
        self.g_optimizer.load_state_dict(state["g_optimizer"])
        self.d_optimizer.load_state_dict(state["d_optimizer"])
        self.iteration = int(state["iteration"])
        if self.ema_generator is not None:
            if "ema_generator" not in state:
                raise KeyError("GANTrainer.load_state_dict: this trainer keeps an EMA generator, the state has none")
            self.ema_generator.load_state_dict(state["ema_generator"])
        if isinstance(self.augment, AdaptiveAugment):
            if "augment" not in state:
                raise KeyError("GANTrainer.load_state_dict: this trainer adapts its augmentation (ADA), the state "
                               "has no augmentation state")
            self.augment.load_state_dict(state["augment"])
