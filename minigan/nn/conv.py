"""``Conv2d`` and ``ConvTranspose2d``: the layers of a DCGAN (the math is in ``minigan.functional.conv``).

A Conv2d with stride 2 halves an image's height and width -- the discriminator's way down; a
ConvTranspose2d with stride 2 doubles them -- the generator's way up. With kernel k, stride s,
padding p, output padding op and dilation d, each spatial axis maps as

    Conv2d:           out = floor((in + 2p - d(k - 1) - 1) / s) + 1
    ConvTranspose2d:  out = (in - 1) s - 2p + d(k - 1) + 1 + op

Weights follow PyTorch: Conv2d (out_channels, in_channels, kh, kw), ConvTranspose2d
(in_channels, out_channels, kh, kw) -- the transposed layer uses the weight of the Conv2d it
mirrors. Both start with PyTorch's default init (``init.default_init_``).

``Conv2d(..., padding_mode="reflect")`` pads with the input's mirror image instead of zeros
(``F.pad(x, ..., mode="reflect")``), as PyTorch's; CycleGAN's generators do, to draw no frame.
"""
from __future__ import annotations

from .. import functional as F
from ..autograd import zeros
from . import init
from .checks import check_input
from .module import Module
from .parameter import Parameter


def _pair(value, name):
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return pair


class _Conv2dBase(Module):
    """What both convolution layers share: their settings as (h, w) pairs, weight, bias, init, repr, input check."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, bias, weight_channels):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride, self.padding = _pair(stride, "stride"), _pair(padding, "padding")
        self.dilation = _pair(dilation, "dilation")
        self.weight = Parameter(zeros(*weight_channels, *self.kernel_size))
        self.bias = Parameter(zeros(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_init_(self.weight, self.bias)

    def _check_input(self, x):
        check_input(self, x, ("N", self.in_channels, "H", "W"))

    def extra_repr(self) -> str:
        settings = [f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"]
        defaults = dict(stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1), padding_mode="zeros")
        for name, default in defaults.items():  # only the settings that differ, as PyTorch prints them
            value = getattr(self, name, default)
            if value != default:
                settings.append(f"{name}={value}")
        if self.bias is None:
            settings.append("bias=False")
        return ", ".join(settings)


class Conv2d(_Conv2dBase):
    """``Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, bias=True,
    padding_mode="zeros")``: (N, in_channels, H, W) -> (N, out_channels, H', W'); ``padding_mode``
    is ``"zeros"`` or ``"reflect"``."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, bias=True,
                 padding_mode="zeros"):
        if padding_mode not in ("zeros", "reflect"):
            raise ValueError(f"Conv2d: padding_mode must be 'zeros' or 'reflect', got {padding_mode!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, bias,
                         weight_channels=(out_channels, in_channels))
        self.padding_mode = padding_mode

    def forward(self, x):
        self._check_input(x)
        if self.padding_mode == "reflect":
            (ph, pw) = self.padding
            x = F.pad(x, (pw, pw, ph, ph), mode="reflect")
            return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation)
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)


class ConvTranspose2d(_Conv2dBase):
    """``ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
    dilation=1, bias=True)``: (N, in_channels, H, W) -> (N, out_channels, H', W')."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, dilation=1,
                 bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, bias,
                         weight_channels=(in_channels, out_channels))
        self.output_padding = _pair(output_padding, "output_padding")

    def forward(self, x):
        self._check_input(x)
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                  self.dilation)
