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

``StyleGenerator`` puts the pieces together, small enough to train on 28x28 digits on a CPU: the
mapping network, a learned constant input, modulated convolutions with noise, and one w per layer,
so that the layers can read different styles (style mixing).
"""
from __future__ import annotations

import math

from .. import functional as F
from .. import nn
from ..autograd import Tensor, no_grad, randn, zeros
from ..autograd.creation import default_generator
from ..nn.checks import check_input, describe


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


class StyleGenerator(nn.Module):
    """``StyleGenerator(latent_dim=64, style_dim=64, width=32, image_size=28, start_size=7, channels=1,
    mapping_layers=4, mapping_lr_multiplier=0.01, style_mixing_prob=0.0)``: z (N, latent_dim) -> images
    (N, channels, image_size, image_size), a StyleGAN2-style generator sized for small images.

    The synthesis network never sees z. It starts from a learned constant and reads a style w at every
    layer; for 28x28 (``start_size=7``, two doublings) it is::

        const (width, 7, 7)
        layer 0   ModulatedConv2d 3x3 -> NoiseInjection -> leaky ReLU(0.2) * sqrt(2)      7x7    reads ws[0]
        layer 1   bilinear x2 -> ModulatedConv2d 3x3 -> noise -> act                     14x14   reads ws[1]
        layer 2   ModulatedConv2d 3x3 -> noise -> act                                    14x14   reads ws[2]
        layer 3   bilinear x2 -> ModulatedConv2d 3x3 -> noise -> act                     28x28   reads ws[3]
        layer 4   ModulatedConv2d 3x3 -> noise -> act                                    28x28   reads ws[4]
        to_rgb    ModulatedConv2d 1x1, not demodulated (its output is the image)         28x28   reads ws[5]

    ``num_ws`` (6 here) is the number of styles one image reads: 1 + 2 per doubling + 1. As in StyleGAN2
    the output is linear (no tanh): clip it to [-1, 1] to show or measure it.

    * ``G(z, truncation_psi=1.0, noise=None)``: w = ``G.mapping(z, truncation_psi)`` for every layer; in
      training mode, with probability ``style_mixing_prob`` per batch (StyleGAN's *mixing regularisation*,
      0.9 there), the layers from a random crossover k in 1..num_ws-1 on read the w of a second z instead.
    * ``G.synthesis(ws, noise=None)``: ws is one w (N, style_dim) for every layer, or (N, num_ws, style_dim),
      or a list of num_ws Tensors (N, style_dim) -- the way to mix styles by hand.
    * ``noise``: None (fresh N(0, 1) from minigan's generator at every call), or a list of ``num_noise``
      Tensors, one per noise layer, of the shapes ``G.noise_shapes(N)`` (zeros switch the noise off).
    """

    def __init__(self, latent_dim: int = 64, style_dim: int = 64, width: int = 32, image_size: int = 28,
                 start_size: int = 7, channels: int = 1, mapping_layers: int = 4,
                 mapping_lr_multiplier: float = 0.01, style_mixing_prob: float = 0.0):
        super().__init__()
        doublings = math.log2(image_size / start_size) if image_size % start_size == 0 else -1
        if doublings < 0 or doublings != int(doublings):
            raise ValueError(f"StyleGenerator: image_size / start_size must be a power of 2, got {image_size} / "
                             f"{start_size}")
        if not 0.0 <= style_mixing_prob <= 1.0:
            raise ValueError(f"StyleGenerator: style_mixing_prob must be in [0, 1], got {style_mixing_prob}")
        self.latent_dim, self.style_dim, self.width, self.channels = latent_dim, style_dim, width, channels
        self.image_size, self.start_size, self.style_mixing_prob = image_size, start_size, style_mixing_prob
        self.mapping = MappingNetwork(latent_dim, style_dim, num_layers=mapping_layers,
                                      lr_multiplier=mapping_lr_multiplier)
        self.const = nn.Parameter(randn(1, width, start_size, start_size))
        # layer i upsamples first when i is odd: 0 at start_size, then (up + conv, conv) per doubling
        self.upsample = [False] + [True, False] * int(doublings)
        self.convs = nn.ModuleList(nn.ModulatedConv2d(width, width, 3, style_dim) for _ in self.upsample)
        self.noises = nn.ModuleList(nn.NoiseInjection(width) for _ in self.upsample)
        self.to_rgb = nn.ModulatedConv2d(width, channels, 1, style_dim, demodulate=False)

    @property
    def num_ws(self) -> int:
        """How many styles one image reads: one per modulated convolution, ``to_rgb`` included."""
        return len(self.convs) + 1

    @property
    def num_noise(self) -> int:
        return len(self.noises)

    def noise_shapes(self, n: int) -> list:
        """The shape of each noise input for a batch of n: (n, 1, H, W) at each layer's resolution."""
        shapes, size = [], self.start_size
        for up in self.upsample:
            size *= 2 if up else 1
            shapes.append((n, 1, size, size))
        return shapes

    def forward(self, z, truncation_psi: float = 1.0, noise=None):
        w = self.mapping(z, truncation_psi)
        ws = [w] * self.num_ws
        if self.training and self.style_mixing_prob > 0:
            rng = default_generator()
            if rng.random() < self.style_mixing_prob:
                cutoff = int(rng.integers(1, self.num_ws))
                w2 = self.mapping(randn(*z.shape, dtype=z.dtype, device=z.device), truncation_psi)
                ws = ws[:cutoff] + [w2] * (self.num_ws - cutoff)
        return self.synthesis(ws, noise)

    def _split_styles(self, ws):
        if isinstance(ws, (list, tuple)):
            styles = list(ws)
        elif isinstance(ws, Tensor) and ws.ndim == 2:
            styles = [ws] * self.num_ws
        elif isinstance(ws, Tensor) and ws.ndim == 3 and ws.shape[1] == self.num_ws:
            styles = [ws[:, i] for i in range(self.num_ws)]
        else:
            raise ValueError(f"{describe(self)}: expected ws of shape (N, {self.style_dim}), (N, {self.num_ws}, "
                             f"{self.style_dim}) or a list of {self.num_ws} styles, got "
                             f"{getattr(ws, 'shape', type(ws).__name__)}")
        if len(styles) != self.num_ws:
            raise ValueError(f"{describe(self)}: expected {self.num_ws} styles, one per layer, got {len(styles)}")
        for w in styles:
            check_input(self, w, (styles[0].shape[0], self.style_dim))
        return styles

    def synthesis(self, ws, noise=None):
        """Images from styles (see the class docstring for the forms of ``ws`` and ``noise``)."""
        styles = self._split_styles(ws)
        n = styles[0].shape[0]
        if noise is not None and len(noise) != self.num_noise:
            raise ValueError(f"{describe(self)}: expected {self.num_noise} noise inputs, one per layer, "
                             f"got {len(noise)}")
        x = self.const.expand(n, *self.const.shape[1:])
        for i, (up, conv, inject) in enumerate(zip(self.upsample, self.convs, self.noises)):
            if up:
                x = F.interpolate(x, scale_factor=2, mode="bilinear")
            x = inject(conv(x, styles[i]), None if noise is None else noise[i])
            x = F.leaky_relu(x, 0.2) * math.sqrt(2.0)
        return self.to_rgb(x, styles[-1])

    def mix_styles(self, w_coarse, w_fine, crossover: int) -> list:
        """The styles of a mixed image: ``w_coarse`` for layers 0..crossover-1, ``w_fine`` from ``crossover`` on."""
        if not 0 <= crossover <= self.num_ws:
            raise ValueError(f"{describe(self)}: crossover must be in 0..{self.num_ws}, got {crossover}")
        return [w_coarse] * crossover + [w_fine] * (self.num_ws - crossover)

    def extra_repr(self) -> str:
        return (f"latent_dim={self.latent_dim}, style_dim={self.style_dim}, width={self.width}, "
                f"{self.start_size}x{self.start_size} -> {self.image_size}x{self.image_size}, num_ws={self.num_ws}")
