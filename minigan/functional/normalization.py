"""Instance norm and group norm: batch norm's formula with the statistics taken over other axes.

Every normalisation layer computes, over some set of axes,

    xhat = (x - mean) / sqrt(var + eps)        (var: the biased variance, dividing by the count)

and then scales and shifts per channel. They differ only in *which values share a mean*:

| layer                  | statistics over       | for an (N, C, H, W) input                           |
|------------------------|-----------------------|-----------------------------------------------------|
| batch norm             | N, H, W               | one mean per channel, shared by the whole batch     |
| layer norm             | C, H, W               | one mean per sample                                 |
| instance norm          | H, W                  | one mean per sample and channel                     |
| group norm (G groups)  | C / G channels, H, W  | one mean per sample and group of channels           |

Instance norm (Ulyanov et al. 2016) removes each image's own contrast per channel, which is why
style transfer and CycleGAN use it; group norm (Wu & He 2018) sits between layer norm (G = 1) and
instance norm (G = C). Neither mixes the samples of a batch, so both are safe inside a gradient-
penalised critic. Everything is written with Tensor operations, so the autograd engine gives the
gradient and its gradient.

Instance norm may keep running statistics as batch norm does (``track_running_stats`` in
``nn.InstanceNorm2d``, off by default as in PyTorch): the running mean moves towards the mean over
the batch of the per-instance means, the running variance towards that of the per-instance
*unbiased* variances; ``use_input_stats=False`` normalises with them instead.
"""
from __future__ import annotations

from ..autograd import as_tensor
from .batch_norm import _per_channel


def standardize(x, axes, eps):
    """``(x - mean) / sqrt(var + eps)`` over ``axes`` (biased variance); also returns the mean and variance."""
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    variance = (centered * centered).mean(axis=axes, keepdims=True)
    return centered / (variance + eps).sqrt(), mean, variance


def affine(y, weight, bias):
    """y * weight + bias with (C,) weight and bias broadcast over axis 1; either may be None."""
    if weight is not None:
        y = y * _per_channel(weight, y.ndim)
    if bias is not None:
        y = y + _per_channel(bias, y.ndim)
    return y


def _check_channels(function, x, expected, min_ndim, **vectors):
    """An input of at least ``min_ndim`` axes (``expected`` describes it), and (C,) vectors that fit its channels."""
    if x.ndim < min_ndim:
        raise ValueError(f"{function}: expected an input ({expected}), got shape {x.shape}")
    for name, t in vectors.items():
        if t is not None and t.shape != (x.shape[1],):
            raise ValueError(f"{function}: input {x.shape} has {x.shape[1]} channels, but {name} has shape {t.shape}")


def instance_norm(x, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalise every channel of every sample over its own H, W, as ``torch.nn.functional.instance_norm``.

    ``running_mean`` / ``running_var`` (C,) are updated in place when given and ``use_input_stats``;
    with ``use_input_stats=False`` they normalise instead.
    """
    x = as_tensor(x)
    _check_channels("instance_norm", x, "N, C, H, W", 3, weight=weight, bias=bias, running_mean=running_mean, running_var=running_var)
    spatial = tuple(range(2, x.ndim))
    count = x.numel() // (x.shape[0] * x.shape[1]) if x.numel() else 0
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: use_input_stats=False needs running_mean and running_var")
        y = (x - _per_channel(running_mean.detach(), x.ndim)) / _per_channel((running_var.detach() + eps).sqrt(), x.ndim)
        return affine(y, weight, bias)
    if count < 2:
        raise ValueError(f"instance_norm: expected more than one spatial element per channel, got input shape {x.shape}")
    y, mean, variance = standardize(x, spatial, eps)
    if running_mean is not None:
        running_mean.copy_((1 - momentum) * running_mean.data + momentum * mean.data.reshape(x.shape[:2]).mean(axis=0))
    if running_var is not None:
        unbiased = variance.data.reshape(x.shape[:2]) * (count / (count - 1))
        running_var.copy_((1 - momentum) * running_var.data + momentum * unbiased.mean(axis=0))
    return affine(y, weight, bias)


def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each sample over groups of ``C / num_groups`` channels (and H, W), as ``torch.nn.functional.group_norm``."""
    x = as_tensor(x)
    _check_channels("group_norm", x, "N, C, *", 2, weight=weight, bias=bias)
    if not isinstance(num_groups, int) or num_groups < 1 or x.shape[1] % num_groups:
        raise ValueError(f"group_norm: the {x.shape[1]} channels of input shape {x.shape} cannot be split into "
                         f"num_groups={num_groups!r} equal groups")
    grouped = x.reshape(x.shape[0], num_groups, -1)
    y, _, _ = standardize(grouped, (2,), eps)
    return affine(y.reshape(x.shape), weight, bias)
