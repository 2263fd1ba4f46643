"""The layers of a style-based generator (StyleGAN, Karras et al. 2019; StyleGAN2, 2020).

A style-based G does not feed z into its first layer. A mapping network turns z into a style
vector w, and every layer of the synthesis network reads w through a learned affine map:

* ``AdaptiveInstanceNorm2d`` -- StyleGAN: instance-normalise, then scale and shift each channel by
  A(w) (``F.adaptive_instance_norm``);
* ``ModulatedConv2d``        -- StyleGAN2: scale the conv weights per input channel by A(w), then
  demodulate (``F.modulated_conv2d``), which removes the "droplet" artifacts AdaIN causes;
* ``NoiseInjection``         -- add per-pixel Gaussian noise times a learned per-channel strength:
  the stochastic details (where exactly a stroke frays) that the style should not have to encode;
* ``EqualizedLinear``        -- the *equalized learning rate* of ProGAN (Karras et al. 2018): weights
  are stored as N(0, 1) and multiplied by 1/sqrt(fan_in) at every forward, so Adam's per-weight step
  sizes are the same for every layer; ``lr_multiplier`` (0.01 in StyleGAN's mapping network) slows a
  layer down by storing w / lr_multiplier and multiplying it back.
"""
from __future__ import annotations

import math

from .. import functional as F
from ..autograd import full, randn, zeros
from . import init
from .checks import check_input, describe
from .module import Module
from .parameter import Parameter


def _check_style(layer, x, w, channels, style_dim):
    """An input (N, channels, H, W) and a style batch (N, style_dim) for it, or an error in the layer's words."""
    check_input(layer, x, ("N", channels, "H", "W"))
    if getattr(w, "shape", None) != (x.shape[0], style_dim):
        raise ValueError(f"{describe(layer)}: expected a style of shape ({x.shape[0]}, {style_dim}) for an input of "
                         f"shape {x.shape}, got {getattr(w, 'shape', type(w).__name__)}")


class EqualizedLinear(Module):
    """``EqualizedLinear(in_features, out_features, bias=True, lr_multiplier=1.0, bias_init=0.0)``: a Linear layer
    with the equalized learning rate, y = x (c W)^T + lr_multiplier * b with c = lr_multiplier / sqrt(in_features).

    As in StyleGAN2: W starts as N(0, 1 / lr_multiplier^2) and b as ``bias_init``.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, lr_multiplier: float = 1.0,
                 bias_init: float = 0.0):
        super().__init__()
        self.in_features, self.out_features, self.lr_multiplier = in_features, out_features, lr_multiplier
        self.weight = Parameter(zeros(out_features, in_features))
        self.bias = Parameter(full((out_features,), float(bias_init))) if bias else None
        init.normal_(self.weight, 0.0, 1.0 / lr_multiplier)

    def forward(self, x):
        check_input(self, x, ("*", self.in_features))
        bias = None if self.bias is None else self.bias * self.lr_multiplier
        return F.linear(x, self.weight * (self.lr_multiplier / math.sqrt(self.in_features)), bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}, "
                f"lr_multiplier={self.lr_multiplier}")


class AdaptiveInstanceNorm2d(Module):
    """``AdaptiveInstanceNorm2d(num_features, style_dim, eps=1e-5)``: ``layer(x, w)`` with x (N, num_features, H, W)
    and w (N, style_dim); the scale starts at 1 and the shift at 0 (whatever w is), as in StyleGAN."""

    def __init__(self, num_features: int, style_dim: int, eps: float = 1e-5):
        super().__init__()
        self.num_features, self.style_dim, self.eps = num_features, style_dim, eps
        self.scale = EqualizedLinear(style_dim, num_features, bias_init=1.0)
        self.shift = EqualizedLinear(style_dim, num_features)

    def forward(self, x, w):
        _check_style(self, x, w, self.num_features, self.style_dim)
        return F.adaptive_instance_norm(x, self.scale(w), self.shift(w), self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_features}, style_dim={self.style_dim}, eps={self.eps}"


class ModulatedConv2d(Module):
    """``ModulatedConv2d(in_channels, out_channels, kernel_size, style_dim, demodulate=True, bias=True)``:
    ``layer(x, w)`` with x (N, in_channels, H, W) and w (N, style_dim) -> (N, out_channels, H, W) ("same" padding).

    The weight is stored as N(0, 1) and used times 1/sqrt(in_channels * kh * kw) (equalized learning
    rate); the styles A(w) start near 1 (``EqualizedLinear`` with ``bias_init=1``).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, style_dim: int, demodulate: bool = True,
                 bias: bool = True, eps: float = 1e-8):
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"ModulatedConv2d: kernel_size must be odd (the output keeps the input's size), "
                             f"got {kernel_size}")
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        self.style_dim, self.demodulate, self.eps = style_dim, demodulate, eps
        self.weight = Parameter(randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = Parameter(zeros(out_channels)) if bias else None
        self.affine = EqualizedLinear(style_dim, in_channels, bias_init=1.0)

    def forward(self, x, w):
        _check_style(self, x, w, self.in_channels, self.style_dim)
        weight = self.weight * (1.0 / math.sqrt(self.in_channels * self.kernel_size ** 2))
        y = F.modulated_conv2d(x, weight, self.affine(w), self.demodulate, self.kernel_size // 2, self.eps)
        return y if self.bias is None else y + self.bias.reshape(1, -1, 1, 1)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, style_dim={self.style_dim}, "
                f"demodulate={self.demodulate}")


class NoiseInjection(Module):
    """``NoiseInjection(num_channels)``: x + strength[c] * noise, with noise (N, 1, H, W) ~ N(0, 1) shared by the
    channels, drawn from minigan's generator (``minigan.manual_seed``) unless ``layer(x, noise)`` passes it.
    The per-channel strength starts at 0, so a new layer changes nothing until training finds noise useful."""

    def __init__(self, num_channels: int):
        super().__init__()
        self.num_channels = num_channels
        self.weight = Parameter(zeros(num_channels))

    def forward(self, x, noise=None):
        check_input(self, x, ("N", self.num_channels, "H", "W"))
        n, _, h, w = x.shape
        if noise is None:
            noise = randn(n, 1, h, w, dtype=x.dtype, device=x.device)
        elif getattr(noise, "shape", None) != (n, 1, h, w):
            raise ValueError(f"{describe(self)}: expected noise of shape {(n, 1, h, w)} for an input of shape {x.shape}, "
                             f"got {getattr(noise, 'shape', type(noise).__name__)}")
        return x + self.weight.reshape(1, -1, 1, 1) * noise

    def extra_repr(self) -> str:
        return f"{self.num_channels}"
