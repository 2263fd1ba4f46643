"""Small helpers shared by the tutorial notebooks (07, 08, 09 and their solutions).

Only what several notebooks repeat and the library does not (and should not) offer: building the DCGAN trainer
the way ``python -m minigan.train mnist --recipe dcgan`` builds it, and two hand-made style measures of digit images.
Everything else the notebooks use is minigan's public API (``minigan.gan.sample``, ``minigan.viz.smooth``,
``Module.num_parameters()``). Import it from a notebook in ``tutorials/`` with ``import helpers``; the
solutions in ``tutorials/solutions/`` put ``tutorials/`` on ``sys.path`` first.
"""
import numpy as np

import minigan
from minigan import optim
from minigan.gan import DCGANDiscriminator, DCGANGenerator, GANTrainer


def make_dcgan_trainer(width=64, seed=0, num_classes=0, conditioning="projection", loss="ns", ema_decay=0.999,
                       lr=2e-4, betas=(0.5, 0.999)):
    """G, D, their Adam optimizers and a ``GANTrainer``, built as ``python -m minigan.train mnist --recipe dcgan``
    builds them (the command's default recipe adds the R1 penalty and trains narrower, class-conditional networks
    with another Adam, batch and length: README, "How the default was chosen").

    ``minigan.manual_seed(seed)`` first, then G, then D, so the same seed gives the same initial networks. With
    ``num_classes`` > 0 both networks are class-conditional (D with ``conditioning``, "projection" or "concat")
    and the trainer expects ``trainer.step(real, labels)``. The DCGAN recipe: Adam(2e-4, betas=(0.5, 0.999)),
    the non-saturating loss, an EMA copy of G with decay 0.999.
    """
    minigan.manual_seed(seed)
    G = DCGANGenerator(latent_dim=100, width=width, num_classes=num_classes)
    if num_classes:
        D = DCGANDiscriminator(width=width, num_classes=num_classes, conditioning=conditioning)
    else:
        D = DCGANDiscriminator(width=width)
    return GANTrainer(G, D, optim.Adam(G.parameters(), lr=lr, betas=betas),
                      optim.Adam(D.parameters(), lr=lr, betas=betas),
                      loss=loss, ema_decay=ema_decay, conditional=bool(num_classes))


def ink(images):
    """Mean brightness in [0, 1] of each image of (N, 1, H, W) images in [-1, 1]: tracks stroke thickness and size."""
    return ((np.asarray(images) + 1) / 2).mean(axis=(1, 2, 3))


def slant(images):
    """Slant of each image from its intensity moments: mu11 / mu02, x to the right, y down.

    With brightness w = (x + 1) / 2 as weights, cov_w(column, row) / var_w(row): 0 for an upright stroke,
    positive when the top leans to the left ("\\"), negative when it leans to the right ("/").
    """
    p = (np.asarray(images)[:, 0] + 1) / 2
    h, w = p.shape[1:]
    total = p.sum(axis=(1, 2))
    ys, xs = np.mgrid[0:h, 0:w]
    mx = (p * xs).sum(axis=(1, 2)) / total
    my = (p * ys).sum(axis=(1, 2)) / total
    mu11 = (p * (xs - mx[:, None, None]) * (ys - my[:, None, None])).sum(axis=(1, 2)) / total
    mu02 = (p * (ys - my[:, None, None]) ** 2).sum(axis=(1, 2)) / total
    return mu11 / mu02
