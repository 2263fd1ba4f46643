"""StyleGAN's mapping network: z -> w, an MLP whose output steers every layer of the generator.

Karras et al. (2019) map the latent z through an MLP before the generator sees it. z must be drawn
from a fixed distribution (a Gaussian), so its space is forced to be "round"; the learned space of
w need not be, and in it the factors of variation (for digits: slant, stroke width, the digit
itself) come out more disentangled. The pieces, as in StyleGAN2:

* z is first normalised to unit mean square (``normalize_latent``: z / sqrt(mean(z^2) + 1e-8));
* ``num_layers`` ``nn.EqualizedLinear`` layers, each followed by leaky ReLU(0.2) times sqrt(2) (the
  gain that keeps the activations' scale through the layers), with ``lr_multiplier`` 0.01: the
  mapping learns 100x more slowly than the generator, which keeps w's space from drifting;
* ``w_avg``, a buffer with the running mean of w over training (``w_avg_beta`` = 0.995 per batch),
  which the **truncation trick** pulls samples towards: w' = w_avg + psi (w - w_avg). psi < 1 trades
  variety for quality -- the samples near the mean are the ones G draws best.
"""
from __future__ import annotations

import math

from .. import functional as F
from .. import nn
from ..autograd import no_grad, zeros
from ..nn.checks import check_input


class MappingNetwork(nn.Module):
    """``MappingNetwork(latent_dim, style_dim, num_layers=8, hidden_dim=None, lr_multiplier=0.01,
    normalize_latent=True, w_avg_beta=0.995)``: z (N, latent_dim) -> w (N, style_dim).

    ``hidden_dim`` defaults to ``style_dim``; ``mapping(z, truncation_psi=0.7)`` applies the truncation trick.
    ``w_avg`` is updated in training mode only (``w_avg_beta=None``: never).
    """

    def __init__(self, latent_dim: int, style_dim: int, num_layers: int = 8, hidden_dim: int | None = None,
                 lr_multiplier: float = 0.01, normalize_latent: bool = True, w_avg_beta: float | None = 0.995):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"MappingNetwork: num_layers must be at least 1, got {num_layers}")
        hidden_dim = style_dim if hidden_dim is None else hidden_dim
        widths = [latent_dim] + [hidden_dim] * (num_layers - 1) + [style_dim]
        self.latent_dim, self.style_dim, self.normalize_latent, self.w_avg_beta = (
            latent_dim, style_dim, normalize_latent, w_avg_beta)
        self.layers = nn.ModuleList(nn.EqualizedLinear(a, b, lr_multiplier=lr_multiplier)
                                    for a, b in zip(widths[:-1], widths[1:]))
        self.register_buffer("w_avg", zeros(style_dim))

    def forward(self, z, truncation_psi: float = 1.0):
        check_input(self, z, ("N", self.latent_dim))
        x = z
        if self.normalize_latent:
            x = x / ((x * x).mean(axis=1, keepdims=True) + 1e-8).sqrt()
        for layer in self.layers:
            x = F.leaky_relu(layer(x), 0.2) * math.sqrt(2.0)
        if self.training and self.w_avg_beta is not None:
            with no_grad():
                beta = self.w_avg_beta
                self.w_avg.copy_(beta * self.w_avg.data + (1 - beta) * x.data.mean(axis=0))
        if truncation_psi != 1.0:
            avg = self.w_avg.detach()
            x = avg + truncation_psi * (x - avg)
        return x

    def extra_repr(self) -> str:
        return f"latent_dim={self.latent_dim}, style_dim={self.style_dim}, num_layers={len(self.layers)}"
