"""The PatchGAN discriminator of pix2pix (Isola et al. 2017), scaled from 256x256 images to 28x28.

An image-to-image generator trained with an L1 loss alone gets the low frequencies right -- where
the strokes are -- and blurs the high ones. pix2pix adds a discriminator that judges *texture*: a
fully convolutional net whose every output is the logit "this patch is real" for one patch of the
input, its receptive field. The GAN loss is the mean over the map, and L1 takes care of the rest.

The layers are pix2pix's ``NLayerDiscriminator``: ``n_layers`` stride-2 4x4 convolutions (the first
without normalisation), one stride-1 4x4 convolution, and a stride-1 4x4 convolution to one channel,
with leaky ReLU(0.2) between. A receptive field of r pixels through a layer of kernel k and stride s
grows to (r - 1) s + k, so the logits see

    n_layers = 1 (default):  28x28 -> 12x12 logits, each on a 16x16 patch
    n_layers = 2:            28x28 ->  5x5 logits, each on a 34x34 patch (the whole digit: a plain D)

(pix2pix's 70x70 is n_layers = 3 on 256x256 images). A conditional D (pix2pix) judges the pair:
``D(output, condition)`` concatenates the two along the channels, so ``in_channels`` counts both.
"""
from __future__ import annotations

from .. import nn
from ..autograd import concatenate
from ..nn.checks import check_input
from .blocks import norm_layer
from .models import _normalized

NORMS = ("batch", "instance", "spectral", "none")


class PatchGANDiscriminator(nn.Module):
    """``PatchGANDiscriminator(in_channels=1, width=64, n_layers=1, norm="instance")``: (N, in_channels, H, W) ->
    (N, 1, h, w) logits, one per patch of ``receptive_field`` x ``receptive_field`` pixels.

    ``norm``: "instance" (CycleGAN), "batch" (pix2pix), "spectral" (spectral norm on every conv) or "none".
    """

    def __init__(self, in_channels: int = 1, width: int = 64, n_layers: int = 1, norm: str = "instance"):
        super().__init__()
        if norm not in NORMS:
            raise ValueError(f"PatchGANDiscriminator: norm must be one of {NORMS}, got {norm!r}")
        self.in_channels, self.n_layers = in_channels, n_layers
        normalized = norm in ("batch", "instance")

        def conv(a, b, stride):
            return _normalized(nn.Conv2d(a, b, 4, stride, 1, bias=not normalized), norm)

        layers = [_normalized(nn.Conv2d(in_channels, width, 4, 2, 1), norm), nn.LeakyReLU(0.2)]
        channels = width
        for i in range(1, n_layers + 1):
            out = width * min(2 ** i, 8)
            layers += [conv(channels, out, 2 if i < n_layers else 1),
                       norm_layer(norm, out) if normalized else nn.Identity(), nn.LeakyReLU(0.2)]
            channels = out
        layers.append(_normalized(nn.Conv2d(channels, 1, 4, 1, 1), norm))
        self.net = nn.Sequential(*layers)

    @property
    def receptive_field(self) -> int:
        """How many pixels (per axis) of the input one output logit depends on."""
        field = 1
        for layer in reversed(list(self.net)):
            if isinstance(layer, nn.Conv2d):
                field = (field - 1) * layer.stride[0] + layer.kernel_size[0]
        return field

    def forward(self, x, condition=None):
        if condition is not None:
            x = concatenate([x, condition], axis=1)
        check_input(self, x, ("N", self.in_channels, "H", "W"))
        return self.net(x)

    def extra_repr(self) -> str:
        return f"in_channels={self.in_channels}, n_layers={self.n_layers}, receptive_field={self.receptive_field}"
