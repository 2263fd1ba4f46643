"""GANs: the losses D and G minimize, the penalties that keep D smooth, the models and the training loop.

Floor 5 of the house (README, Layout): built on ``minigan.nn``, ``minigan.optim`` and ``minigan.functional``.

* ``losses.py``    -- minimax, non-saturating, LSGAN, WGAN, hinge, relativistic; ``get_loss(name)``;
* ``penalties.py`` -- WGAN-GP gradient penalty, R1 / R2, WGAN weight clipping;
* ``models.py``    -- MLP G and D for toy data, DCGAN G and D (optionally class-conditional);
* ``blocks.py``    -- the pre-activation ``ResidualBlock`` (G and D), ``MinibatchStdDev`` (ProGAN);
* ``style.py``     -- StyleGAN's ``MappingNetwork`` (z -> w, the truncation trick) and a small ``StyleGenerator``;
* ``patchgan.py``  -- ``PatchGANDiscriminator`` (pix2pix): a map of real/fake logits, one per patch;
* ``reconstruction.py`` -- CycleGAN's ``cycle_consistency_loss`` and ``identity_loss`` (L1);
* ``inpainting.py`` -- the ``ContextEncoder`` (Pathak 2016): holes, ``masked_mse_loss``, ``paste``, scores of a fill;
* ``augment.py``   -- :class:`DiffAugment`, differentiable augmentation of every image D sees (few-data training),
  and :class:`AdaptiveAugment`, its strength adapted to D's overfitting (ADA);
* ``training.py``  -- :class:`GANTrainer`, the one training loop (a D step, a G step, the EMA of G);
* ``diagnosis.py`` -- :func:`diagnose`: D winning, a vanishing G gradient, mode collapse, oscillation, from a run's numbers;
* ``sampling.py``  -- :func:`sample`, images from a generator (eval mode, no graph, NumPy out).
"""
from .losses import (  # noqa: F401
    LOSS_NAMES, GanLoss, get_loss, hinge_d_loss, hinge_g_loss, lsgan_d_loss, lsgan_g_loss, minimax_d_loss,
    minimax_g_loss, nonsaturating_g_loss, relativistic_d_loss, relativistic_g_loss, relativistic_lsgan_d_loss,
    relativistic_lsgan_g_loss, wasserstein_d_loss, wasserstein_g_loss,
)
from .penalties import clip_weights_, gradient_penalty, interpolate, r1_penalty, r2_penalty  # noqa: F401
from .models import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator  # noqa: F401
from .blocks import MinibatchStdDev, ResidualBlock  # noqa: F401
from .patchgan import PatchGANDiscriminator  # noqa: F401
from .reconstruction import cycle_consistency_loss, identity_loss  # noqa: F401
from .inpainting import (  # noqa: F401
    ContextEncoder, gradient_energy, hole_psnr, mask_images, masked_l1_loss, masked_mse_loss, nearest_context_indices,
    paste, random_square_masks, square_mask,
)
from .style import MappingNetwork, StyleGenerator  # noqa: F401
from .augment import AdaptiveAugment, DiffAugment  # noqa: F401
from .training import GANTrainer  # noqa: F401
from .diagnosis import Finding, diagnose  # noqa: F401
from .sampling import sample  # noqa: F401
