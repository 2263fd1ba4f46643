"""Batch normalisation (Ioffe & Szegedy 2015), with PyTorch's running-statistics semantics.

Training mode normalises each channel c with the statistics of the current batch, taken over the
M = N*H*W values of that channel:

    mean_c = (1/M) sum x,   var_c = (1/M) sum (x - mean_c)^2,   xhat = (x - mean_c) / sqrt(var_c + eps)
    y = weight_c * xhat + bias_c

and updates the running estimates used in eval mode (the running variance uses the *unbiased*
batch variance, var_c * M / (M - 1), as PyTorch does):

    running_mean = (1 - momentum) * running_mean + momentum * mean_c
    running_var  = (1 - momentum) * running_var  + momentum * var_c * M / (M - 1)

**Backward.** Because mean and variance depend on every x in the channel, the gradient has three
terms, which collapse to the fused formula the kernels compute in one pass:

    dbias = sum dy,   dweight = sum dy * xhat,
    dx = weight * inv_std / M * (M * dy - dbias - xhat * dweight)

**Double backward.** The fused kernel gives numbers, not a graph. When the engine records the
backward pass (``create_graph=True``, e.g. a gradient penalty through a batch-normed critic), the
same formula is evaluated with Tensor operations on the inputs instead, so second derivatives are
exact -- just slower. (WGAN-GP critics usually avoid batch norm anyway, since it couples samples.)
"""
from __future__ import annotations

import warnings

from .. import kernels
from ..autograd import Function, Tensor, as_tensor, is_grad_enabled


def _as_channels_last_axis(x):
    """View (N, C), (N, C, L) or (N, C, H, W) as (N, C, L), the layout the kernels work on."""
    return x.reshape(x.shape[0], x.shape[1], -1)


def _per_channel(values, ndim):
    """Shape a (C,) Tensor to broadcast against an (N, C, ...) tensor."""
    return values.reshape((1, -1) + (1,) * (ndim - 2))


class BatchNormTrain(Function):
    """Training-mode batch norm of (x, weight, bias); the batch statistics are saved for backward."""

    def __init__(self, eps):
        self.eps = eps

    def forward(self, x, weight, bias):
        x3 = _as_channels_last_axis(x)
        self.mean, self.var = kernels.batch_norm_stats(x3)
        self.inv_std = 1 / (self.var + self.eps) ** 0.5
        return kernels.batch_norm_forward(x3, self.mean, self.inv_std, weight, bias).reshape(x.shape)

    def backward(self, grad):
        x, weight, _ = self.inputs
        if is_grad_enabled():
            return self._composite_backward(grad)
        dx, dweight, dbias = kernels.batch_norm_backward(
            _as_channels_last_axis(grad.data), _as_channels_last_axis(x.data), self.mean, self.inv_std, weight.data
        )
        return Tensor._from_data(dx.reshape(x.shape)), Tensor._from_data(dweight), Tensor._from_data(dbias)

    def _composite_backward(self, grad):
        """The fused formula in differentiable Tensor operations (recomputes the statistics)."""
        x, weight, _ = self.inputs
        axes = (0,) + tuple(range(2, x.ndim))
        count = x.numel() // x.shape[1]
        centered = x - x.mean(axis=axes, keepdims=True)
        variance = (centered * centered).mean(axis=axes, keepdims=True)
        inv_std = 1 / (variance + self.eps).sqrt()
        xhat = centered * inv_std
        dbias = grad.sum(axis=axes)
        dweight = (grad * xhat).sum(axis=axes)
        dx = (_per_channel(weight, x.ndim) * inv_std / count
              * (count * grad - _per_channel(dbias, x.ndim) - xhat * _per_channel(dweight, x.ndim)))
        return dx, dweight, dbias


def batch_norm(x, running_mean=None, running_var=None, weight=None, bias=None, training=True,
               momentum=0.1, eps=1e-5):
    """Batch norm over axis 1 of an (N, C), (N, C, L) or (N, C, H, W) tensor, as ``torch.nn.functional.batch_norm``.

    ``running_mean`` / ``running_var`` are (C,) Tensors updated *in place* in training mode (pass
    None to track nothing); in eval mode (``training=False``) they normalise instead of the batch.
    ``weight`` / ``bias`` default to ones / zeros (no affine transform).
    """
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C), (N, C, L) or (N, C, H, W), got {x.shape}")
    if training and momentum is None and (running_mean is not None or running_var is not None):
        raise ValueError("batch_norm: momentum=None (a cumulative average) needs the count of batches seen: "
                         "use nn.BatchNorm1d/2d(momentum=None), which keeps it, or pass momentum=1/count")
    channels = x.shape[1]
    weight = Tensor(x.xp.ones(channels, dtype=x.dtype)) if weight is None else as_tensor(weight)
    bias = Tensor(x.xp.zeros(channels, dtype=x.dtype)) if bias is None else as_tensor(bias)
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.shape != (channels,):
            raise ValueError(f"batch_norm: input {x.shape} has {channels} channels, but {name} has shape {t.shape}")

    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: eval mode (training=False) needs running_mean and running_var")
        scale = weight / (running_var.detach() + eps).sqrt()
        shift = bias - running_mean.detach() * scale
        return x * _per_channel(scale, x.ndim) + _per_channel(shift, x.ndim)

    count = x.numel() // channels
    if count < 2:
        raise ValueError(f"batch_norm: training needs more than one value per channel, got input shape {x.shape}")
    function = BatchNormTrain(eps)
    y = function(x, weight, bias)
    xp = x.xp
    if not (xp.isfinite(function.mean).all() and xp.isfinite(function.var).all()):
        if running_mean is not None or running_var is not None:
            warnings.warn("batch_norm: the batch holds NaN or inf values; running_mean and running_var are left "
                          "as they were (averaging them in would poison every later eval-mode output)",
                          RuntimeWarning, stacklevel=2)
        return y
    if running_mean is not None:
        running_mean.copy_((1 - momentum) * running_mean.data + momentum * function.mean)
    if running_var is not None:
        unbiased = function.var * (count / (count - 1))
        running_var.copy_((1 - momentum) * running_var.data + momentum * unbiased)
    return y
