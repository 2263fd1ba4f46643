"""Building blocks of image GANs beyond DCGAN: the residual block and the minibatch standard deviation layer.

**Residual block** (pre-activation, He et al. 2016; the ResNet G and D of Gulrajani et al. 2017 and
Miyato et al. 2018). The main path normalises and activates *before* each convolution,

    main(x)     = [down]( conv3x3( act(norm2( conv3x3( [up]( act(norm1(x)) ) ) )) ) )
    shortcut(x) = x                                  when the shape does not change
                = [up]( conv1x1( [down](x) ) )       otherwise (a learned 1x1 projection)
    out         = main(x) + shortcut(x)

so the shortcut is a clean path from the block's input to its output: at initialisation the block
is close to the identity, and gradients reach early layers undiminished. ``resample="up"``
(nearest, x2: a generator block) and ``"down"`` (2x2 average pooling: a discriminator block) change
the resolution. On the shortcut the 1x1 convolution runs at the lower resolution -- it commutes
with nearest upsampling and with average pooling, so that is the same map, at a quarter of the cost.

**Minibatch standard deviation** (ProGAN, Karras et al. 2018). A discriminator that sees one
sample at a time cannot notice that G draws the same digit every time. This layer appends one
feature that summarises the *batch*: split it into groups of ``group_size`` samples; in each group
take the standard deviation of every feature (channel, pixel) over the samples, average those into
one number, and append it as a constant extra channel to every sample of the group:

    y = x - mean_group(x);  s = mean_{c,h,w} sqrt(mean_group(y^2) + 1e-8);  out = cat([x, s broadcast], channels)

A collapsed G makes s small for its fakes, and D can use that. Groups are formed as in StyleGAN2:
sample n belongs to group n mod (N / group_size).
"""
from __future__ import annotations

from .. import functional as F
from .. import nn
from ..autograd import concatenate
from ..nn.checks import check_input, describe
from .models import _normalized

NORMS = ("batch", "instance", "none")
RESAMPLES = (None, "up", "down")


def norm_layer(norm, channels):
    """The normalisation layer called ``norm`` ("batch", "instance" -- with affine weights -- or "none")."""
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    if norm == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if norm == "none":
        return nn.Identity()
    raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")


class ResidualBlock(nn.Module):
    """``ResidualBlock(in_channels, out_channels, resample=None, norm="none", negative_slope=0.0,
    spectral_norm=False, activate_input=True)``: (N, in_channels, H, W) -> (N, out_channels, H', W'), with
    H' = 2H for ``resample="up"``, H // 2 for ``"down"``.

    ``negative_slope`` > 0 uses leaky ReLU (a discriminator's habit); ``spectral_norm=True`` wraps every
    convolution in spectral normalisation; ``activate_input=False`` skips the first norm and activation,
    for a discriminator's first block, which sees the raw image.
    """

    def __init__(self, in_channels, out_channels, resample=None, norm="none", negative_slope=0.0,
                 spectral_norm=False, activate_input=True):
        super().__init__()
        if resample not in RESAMPLES:
            raise ValueError(f"ResidualBlock: resample must be one of {RESAMPLES}, got {resample!r}")
        self.in_channels, self.out_channels, self.resample = in_channels, out_channels, resample
        self.negative_slope, self.activate_input = negative_slope, activate_input
        sn = "spectral" if spectral_norm else "none"
        self.norm1 = norm_layer(norm, in_channels) if activate_input else nn.Identity()
        self.conv1 = _normalized(nn.Conv2d(in_channels, out_channels, 3, padding=1), sn)
        self.norm2 = norm_layer(norm, out_channels)
        self.conv2 = _normalized(nn.Conv2d(out_channels, out_channels, 3, padding=1), sn)
        learned = in_channels != out_channels or resample is not None
        self.shortcut = _normalized(nn.Conv2d(in_channels, out_channels, 1), sn) if learned else None

    def _act(self, h):
        return h.relu() if self.negative_slope == 0 else F.leaky_relu(h, self.negative_slope)

    def _resample(self, h, direction):
        if self.resample != direction:
            return h
        return F.interpolate(h, scale_factor=2) if direction == "up" else F.avg_pool2d(h, 2)

    def forward(self, x):
        check_input(self, x, ("N", self.in_channels, "H", "W"))
        h = self._act(self.norm1(x)) if self.activate_input else x
        h = self.conv1(self._resample(h, "up"))
        h = self._resample(self.conv2(self._act(self.norm2(h))), "down")
        skip = self._resample(x, "down")
        if self.shortcut is not None:
            skip = self.shortcut(skip)
        return h + self._resample(skip, "up")

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, resample={self.resample!r}"


class MinibatchStdDev(nn.Module):
    """``MinibatchStdDev(group_size=4)``: (N, C, H, W) -> (N, C + 1, H, W). ``group_size=None`` makes the whole
    batch one group (ProGAN's original); a batch smaller than ``group_size`` is one group too."""

    def __init__(self, group_size: int | None = 4, eps: float = 1e-8):
        super().__init__()
        self.group_size, self.eps = group_size, eps

    def forward(self, x):
        check_input(self, x, ("N", "C", "H", "W"))
        n, c, h, w = x.shape
        group = n if self.group_size is None else min(self.group_size, n)
        if n % group:
            raise ValueError(f"{describe(self)}: the batch of {n} samples (input shape {x.shape}) cannot be split into "
                             f"groups of {group}")
        y = x.reshape(group, n // group, c, h, w)
        y = y - y.mean(axis=0, keepdims=True)
        std = ((y * y).mean(axis=0) + self.eps).sqrt()  # (N / group, C, H, W)
        s = std.mean(axis=(1, 2, 3)).reshape(1, n // group, 1, 1, 1)
        return concatenate([x, s.expand(group, n // group, 1, h, w).reshape(n, 1, h, w)], axis=1)

    def extra_repr(self) -> str:
        return f"group_size={self.group_size}"
