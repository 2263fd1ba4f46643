"""StyleGAN's two ways of letting a style vector steer a convolution: AdaIN and weight (de)modulation.

**AdaIN** (Huang & Belongie 2017; StyleGAN, Karras et al. 2019) normalises every channel of every
sample over H, W and then gives it the scale and shift that the style asks for:

    AdaIN(x, s, b)[n, c] = s[n, c] * (x[n, c] - mean_nc) / sqrt(var_nc + eps) + b[n, c]

so the style decides each feature map's strength and offset, whatever the previous layer produced.

**Modulated convolution** (StyleGAN2, Karras et al. 2020) moves the scaling into the weights instead:
each sample n gets its own weights, scaled per *input* channel i by its style s[n, i],

    w'[n, o, i, k] = s[n, i] * w[o, i, k]

and, with demodulation, rescaled per output channel so that outputs have unit variance again
(for unit-variance inputs) -- the statistics AdaIN used to remove from the data, now in the weights:

    w''[n, o, i, k] = w'[n, o, i, k] / sqrt(sum_{i,k} w'[n, o, i, k]^2 + eps)

This is a different convolution per sample (a grouped convolution with N groups). Because a
convolution is linear, it equals one *shared* convolution between two per-sample scalings, which is
how StyleGAN2 itself computes it when it does not fuse (``fused_modconv=False``) and how this file does:

    y[n, o] = d[n, o] * conv2d(x[n] * s[n], w)[o],    d[n, o] = 1 / sqrt(sum_i s[n, i]^2 W2[o, i] + eps)

with W2[o, i] = sum_k w[o, i, k]^2 -- one GEMM for the whole batch. Both functions are Tensor
operations on conv2d, so their gradients (of any order) come from the autograd engine.
"""
from __future__ import annotations

from ..autograd import as_tensor
from .conv import conv2d
from .normalization import instance_norm


def _check_styles(function, x, styles, name, channels):
    if styles.shape != (x.shape[0], channels):
        raise ValueError(f"{function}: input {x.shape} needs {name} of shape ({x.shape[0]}, {channels}) "
                         f"(one row per sample), got {styles.shape}")


def adaptive_instance_norm(x, style_scale, style_bias, eps=1e-5):
    """AdaIN: instance-normalise ``x`` (N, C, H, W), then scale and shift channel c of sample n by
    ``style_scale[n, c]`` and ``style_bias[n, c]`` (both (N, C))."""
    x, style_scale, style_bias = as_tensor(x), as_tensor(style_scale), as_tensor(style_bias)
    if x.ndim != 4:
        raise ValueError(f"adaptive_instance_norm: expected an input (N, C, H, W), got shape {x.shape}")
    for name, t in (("style_scale", style_scale), ("style_bias", style_bias)):
        _check_styles("adaptive_instance_norm", x, t, name, x.shape[1])
    per_map = (x.shape[0], x.shape[1], 1, 1)
    return instance_norm(x, eps=eps) * style_scale.reshape(per_map) + style_bias.reshape(per_map)


def modulated_conv2d(x, weight, styles, demodulate=True, padding=0, eps=1e-8):
    """StyleGAN2's modulated convolution of ``x`` (N, I, H, W) with ``weight`` (O, I, kh, kw), modulated
    by ``styles`` (N, I) and demodulated unless ``demodulate=False``; no bias (add it afterwards)."""
    x, weight, styles = as_tensor(x), as_tensor(weight), as_tensor(styles)
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError(f"modulated_conv2d: expected a 4-D input and weight, got shapes {x.shape} and {weight.shape}")
    _check_styles("modulated_conv2d", x, styles, "styles", weight.shape[1])
    n, in_channels = styles.shape
    y = conv2d(x * styles.reshape(n, in_channels, 1, 1), weight, padding=padding)
    if not demodulate:
        return y
    weight_energy = (weight * weight).sum(axis=(2, 3))  # W2 (O, I)
    inv_norm = ((styles * styles) @ weight_energy.T + eps) ** -0.5  # d (N, O)
    return y * inv_norm.reshape(n, -1, 1, 1)
