"""GANs: the losses D and G minimize, the penalties that keep D smooth, the models and the training loop.

Floor 5 of the house (see GUIDE): built on ``minigan.nn``, ``minigan.optim`` and ``minigan.functional``.

* ``losses.py``    -- minimax, non-saturating, LSGAN, WGAN, hinge, relativistic; ``get_loss(name)``;
* ``penalties.py`` -- WGAN-GP gradient penalty, R1 / R2, WGAN weight clipping;
* ``models.py``    -- MLP G and D for toy data, DCGAN G and D (optionally class-conditional);
* ``training.py``  -- :class:`GANTrainer`, the one training loop (a D step, a G step, the EMA of G).
"""
from .losses import (  # noqa: F401
    LOSS_NAMES, GanLoss, get_loss, hinge_d_loss, hinge_g_loss, lsgan_d_loss, lsgan_g_loss, minimax_d_loss,
    minimax_g_loss, nonsaturating_g_loss, relativistic_d_loss, relativistic_g_loss, relativistic_lsgan_d_loss,
    relativistic_lsgan_g_loss, wasserstein_d_loss, wasserstein_g_loss,
)
from .penalties import clip_weights_, gradient_penalty, r1_penalty, r2_penalty  # noqa: F401
from .models import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator  # noqa: F401
from .training import GANTrainer  # noqa: F401
